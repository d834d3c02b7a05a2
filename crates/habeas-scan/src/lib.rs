//! Habeas personal-data discovery (SPEC C11): walk file trees, decode what operators keep on
//! servers (text in any common encoding, gzip logs, mailboxes, office documents) and report
//! personal data found, each value validated by its checksum or bound by its context.
//!
//! Layout: [`walk`] (parallel walker) → [`source`] (bytes → decoded texts with offsets) →
//! [`detect`] (findings per text) → [`report`] (table, JSON, JSONL, risk score).
//! No database, no server (architecture invariant).

pub mod coverage;
pub mod detect;
pub mod finding;
pub mod kind;
pub mod report;
pub mod source;
pub mod validate;
pub mod walk;

pub use detect::Detector;
pub use finding::Finding;
pub use kind::PiiType;
