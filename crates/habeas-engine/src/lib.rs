//! # habeas-engine — the use cases behind the CLI and the HTTP API
//!
//! The glue that turns `habeas-crypto` and a store into an encrypted vault
//! with an audited API (SPEC C2, C6; issue 3):
//!
//! - [`Vault`]: ingest (validate against the declared category, compute
//!   the retention due date, seal with the (subject, category) data key,
//!   blind-index identifiers), read, find by identifier, bulk, crypto-shred,
//!   key rotation, high-volume partitions.
//! - [`journal`]: the hash-chained, checkpoint-signed audit journal with
//!   group commit — every audited read is durable before it is answered.
//! - [`access`]: application tokens scoped to purposes and categories.
//!
//! Everything here is synchronous; the HTTP layer runs it on blocking threads.

pub mod access;
pub mod db;
pub mod error;
pub mod journal;
pub mod keys;
pub mod project;
pub mod synthetic;
pub mod validate;
pub mod vault;
mod writer;

pub use access::{Caller, Scope, Token};
pub use error::{EngineError, Refusal, Result};
pub use journal::Verdict;
pub use validate::RecordInput;
pub use vault::{
    BulkLine, BulkReceipt, PendingBulk, Receipt, RecordView, SubjectView, Vault, VaultPaths,
};
