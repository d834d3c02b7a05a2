//! # habeas-engine — the use cases behind the CLI and the HTTP API
//!
//! The glue that turns `habeas-crypto` and a store into an encrypted vault
//! with an audited API (SPEC C2, C6; issue 3):
//!
//! - [`Vault`]: ingest (validate against the declared category, compute
//!   the retention due date, seal with the (subject, category) data key,
//!   blind-index identifiers), read, find by identifier, bulk, crypto-shred,
//!   key rotation, high-volume partitions; record rectification and
//!   deletion; sealed documents for the other domains ([`docs`]).
//! - [`journal`]: the hash-chained, checkpoint-signed audit journal with
//!   group commit — every audited read is durable before it is answered.
//! - Storage is `habeas-store` (SQLite or PostgreSQL): the engine writes no SQL.
//! - [`access`]: application tokens scoped to purposes and categories.
//!
//! Everything here is synchronous, except the awaited forms of a write, a
//! read and a find ([`Journaled`]): the HTTP layer runs their work where it
//! chooses and awaits the commit of their journal entries.

pub mod access;
mod admin;
pub mod backup;
mod bulk_chain;
mod category;
mod committer;
pub mod docs;
pub mod erase;
pub mod error;
pub mod fields;
pub mod import_csv;
pub mod incident;
pub mod journal;
pub mod journal_tail;
mod journaled;
pub mod json_time;
pub mod key_cache;
pub mod keys;
pub mod ledger;
pub mod limits;
pub mod match_existing;
pub mod project;
mod records;
pub mod retention;
mod seal_plan;
pub mod stats;
pub mod subject_event;
mod subject_refs;
pub mod synthetic;
mod timed_keys;
pub mod validate;
pub mod vault;

pub use access::{Caller, Scope, Token};
pub use admin::{AccessEvent, JournalDrop};
pub use bulk_chain::BulkChain;
pub use category::{HeldCategory, Holding};
pub use docs::VaultDocs;
pub use erase::{Erased, Erasure};
pub use error::{EngineError, Refusal, Result};
pub use fields::Fields;
/// Stack hygiene after key use (RELIABILITY.md T24): see [`habeas_crypto::stack`].
pub use habeas_crypto::{WipeStackOnReturn, wipe_stack_if_keys_touched};
pub use journal::Verdict;
pub use journaled::Journaled;
pub use stats::{StatsQuery, StatsReport};
pub use subject_event::EventDating;
pub use subject_refs::SubjectRefs;
pub use validate::RecordInput;
pub use vault::{
    BulkLine, BulkReceipt, KeySource, PendingBulk, PgUrls, Receipt, RecordView, SubjectView, Vault,
    VaultPaths,
};
