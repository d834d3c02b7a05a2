//! # habeas-retention — retention enforced (SPEC C5, issue #7)
//!
//! Art. 5(1)(e) GDPR (storage limitation) only holds if something deletes
//! data when its declared period ends, skips what a legal hold protects,
//! and never lets a backup bring erased data back. This crate holds the
//! building blocks of those jobs, pure where they can be and generic over
//! the storage contract where they keep state:
//!
//! | module | what | state |
//! |---|---|---|
//! | [`plan`] | purge planning: delete / anonymise / held / scheduled, counts per category, dry run with dates | none (pure) |
//! | [`purge`] | the purge loop: pages of due records, each page deleted or anonymised atomically by the vault ([`purge::PurgeTarget`]) | none (vault injected) |
//! | [`report`] | the purge / dry-run report in French and English | none (pure) |
//! | [`anonymise`] | fields dropped or generalised, identifiers replaced by keyed pseudonyms | none (pure; key injected) |
//! | [`hold`] | legal holds (Art. 17(3)(e), Art. 18) | [`habeas_core::docs::DocStore`], kind `hold` |
//! | [`tombstone`] | erasures, identifier rectifications, consent withdrawals a restore re-applies | kind `tombstone` |
//! | [`gfs`] | grandfather-father-son backup rotation | none (pure) |
//! | [`schedule`] | `daily 02:30`, `every 15m`, `weekly sun 03:00` → next run times | none (pure) |
//! | [`runner`] | which jobs run now (leases), run reports with counts, never values | none (clock and lease injected) |
//!
//! The backup file format itself (compression, chunked AEAD, wrapped key)
//! lives in `habeas_crypto::backup`, the only crate that touches key bytes.
//! Time is always injected ([`habeas_core::clock::Clock`]), so a test moves a
//! year ahead and sees exactly what a purge would do then. See
//! `docs/retention.md` for the rules, the formats and the limits.

pub mod anonymise;
pub mod error;
pub mod gfs;
pub mod hold;
pub mod plan;
pub mod purge;
pub mod report;
pub mod runner;
pub mod schedule;
pub mod tombstone;

pub use error::{Result, RetentionError};
