//! Data-subject rights as a service (GDPR Art. 12–22, Art. 7): what a
//! subject receives when they ask for their data, and the request service
//! that carries a request from receipt to answer.
//!
//! Why a crate of its own: the legal rules (deadlines, the workflow, the
//! consent ledger) live in `habeas-core` and stay pure; this crate turns
//! them into the operations the CLI, the API and the portal call —
//! persisted through the [`habeas_core::docs::DocStore`] contract with
//! optimistic concurrency, time read from an injected
//! [`habeas_core::clock::Clock`] — and renders the answers (JSON, CSV zip,
//! HTML). It never touches the vault directly: the caller hands it a
//! [`held::SubjectHoldings`] snapshot of what the vault holds, and receives
//! plans ([`erasure::ErasurePlan`], [`rectification::RectificationPlan`])
//! that the engine executes.

pub mod consent_store;
pub mod erasure;
pub mod error;
pub mod export;
pub mod held;
pub mod notice_announce;
pub mod notices;
pub mod rectification;
pub mod request_limits;
pub mod service;
pub mod vault_bridge;
pub mod verification;

pub use error::RightsError;
