//! Storage for the Habeas vault: **opaque bytes only**.
//!
//! The engine encrypts every field value (`habeas-crypto`), wraps each (subject, category) data
//! key and computes keyed blind-index digests before anything reaches this crate, so no
//! plaintext personal data ever passes through here. This crate keeps those bytes on one of two
//! backends behind one synchronous interface:
//!
//! - [`sqlite`]: the default, embedded. One writer thread with group commit (several callers'
//!   work in one `BEGIN IMMEDIATE` transaction, each acknowledged after the commit) and a small
//!   pool of readers on WAL snapshots.
//! - [`postgres`]: scale-out. Native `PARTITION BY RANGE` for high-volume categories, advisory
//!   locks around migrations and partition creation, leases for jobs run by several instances.
//!
//! Wrapped data keys live in a separate [`KeyStore`] (its own file in its own directory, or its
//! own PostgreSQL schema/credentials) so that data backups never contain them and destroying a
//! key (crypto-shredding, GDPR Art. 17) makes every copy of the data unreadable. See
//! `docs/storage.md` for the durability settings and what each backend can and cannot promise.
//!
//! The API is synchronous (`Send + Sync`); async callers use `spawn_blocking`, except for
//! [`Store::commit_then`], which hands a commit's answer to a callback (SQLite: from its writer
//! thread, so an async caller awaits the commit without parking a thread on it).
//! [`conformance`] holds the behaviour suite every backend must pass.

mod batch;
pub mod conformance;
pub mod conformance_commit;
pub mod conformance_incident;
mod error;
mod incident;
pub mod migrations;
mod model;
pub mod postgres;
pub mod sqlite;
pub mod subject_event;
mod time;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use batch::{
    DueDeletion, JournalDraft, JournalSealer, OpOutput, RecordSeen, StoredDoc, UnitOutcome,
    WriteOp, WriteUnit,
};
pub use error::{Result, StoreError};
pub use incident::{IncidentDue, IncidentDueFn, IncidentLinked, IncidentWindow};
pub use model::*;
pub use subject_event::{EventDated, EventUpdate, EventUpdateFn};
/// Month arithmetic of the time partitions, shared with the engine (which keys each month).
pub use time::{month_index, month_start};

/// Receives the answer of [`Store::commit_then`].
pub type CommitDone = Box<dyn FnOnce(Result<Vec<Result<UnitOutcome>>>) + Send>;

/// How a unit of a bulk import may share its transaction with the units of the same import
/// before and after it ([`Store::commit_linked`]). The caller decides the grouping: a unit
/// that holds is followed by one that joins it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Tells one import's units from another's (unique among the imports running at once).
    pub chain: u64,
    /// May run in the transaction the previous unit of `chain` left open.
    pub joins: bool,
    /// May leave its transaction open for the next unit of `chain`.
    pub holds: bool,
}

/// The data store. All methods are synchronous and safe to call from many threads.
pub trait Store: Send + Sync {
    /// Schema version of the open database.
    fn schema_version(&self) -> Result<u32>;

    // ---- subjects ----
    /// Create a subject; `Conflict` if the id exists.
    fn create_subject(&self, subject: &Subject) -> Result<()>;
    fn get_subject(&self, id: &str) -> Result<Option<Subject>>;
    /// Replace kind/status/dates of an existing subject; `NotFound` otherwise.
    fn update_subject(&self, subject: &Subject) -> Result<()>;
    /// Number of subjects (every status).
    fn count_subjects(&self) -> Result<u64>;
    /// Subjects by status and/or due grace date, ordered by id.
    fn list_subjects(&self, filter: &SubjectFilter) -> Result<Vec<Subject>>;

    // ---- records ----
    /// Insert records in one transaction: all or nothing (`Conflict` on a duplicate id).
    fn insert_records(&self, records: Vec<NewRecord>) -> Result<()>;
    /// All records of a subject (optionally one category), ordered by (collected_at, id).
    fn subject_records(&self, subject_id: &str, category: Option<&str>) -> Result<Vec<Record>>;
    fn get_record(&self, id: &str) -> Result<Option<Record>>;
    /// The records of `category` held by any of `subject_ids` — a page of a walk over subjects
    /// (statistics), one statement instead of one per subject — in no particular order.
    fn records_of_subjects(&self, subject_ids: &[String], category: &str) -> Result<Vec<Record>>;
    /// Replace the sealed payload (rectification, GDPR Art. 16, or re-encryption).
    fn replace_sealed(&self, id: &str, sealed: &[u8], key_version: u32) -> Result<()>;
    /// Delete a subject's records (optionally one category); returns the count.
    fn delete_subject_records(&self, subject_id: &str, category: Option<&str>) -> Result<u64>;
    /// Records whose `retention_due <= due_by`, ordered by (retention_due, id).
    fn due_records(&self, query: &DueQuery) -> Result<Vec<DueRecord>>;
    fn delete_records(&self, ids: &[String]) -> Result<u64>;
    /// Number of records per category.
    fn count_by_category(&self) -> Result<BTreeMap<String, u64>>;
    /// Number of ordinary records of each `(subject_id, category)`, in order (0 for an
    /// unknown pair): the purge's check that a page takes all of a subject's category.
    fn count_subject_categories(&self, pairs: &[(String, String)]) -> Result<Vec<u64>>;

    // ---- high-volume, time-partitioned categories ----
    /// Bulk insert into monthly partitions (created on demand), one transaction.
    fn insert_timed(&self, rows: Vec<TimedRecord>) -> Result<()>;
    /// A subject's rows across all partitions (optionally some categories), by (collected_at, id).
    fn subject_timed(&self, subject_id: &str, categories: &[String]) -> Result<Vec<TimedRecord>>;
    /// Drop every partition whose month ends at or before `before` (all categories when
    /// `category` is `None`). Cheap expiry: no row-by-row delete.
    fn drop_timed_before(
        &self,
        category: Option<&str>,
        before: DateTime<Utc>,
    ) -> Result<Vec<DroppedPartition>>;
    /// Distinct subjects and rows with `from <= collected_at < to` in the given categories.
    fn timed_impact(
        &self,
        categories: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ImpactCount>;
    /// Delete a subject's rows in every partition (erasure); returns the count.
    fn delete_subject_timed(&self, subject_id: &str) -> Result<u64>;

    // ---- blind indexes ----
    /// Insert entries (an existing identical entry is kept).
    fn put_blind_indexes(&self, entries: &[BlindIndexEntry]) -> Result<()>;
    fn find_subjects(&self, kind: &str, digest: &[u8]) -> Result<Vec<String>>;
    /// Subjects holding `digest` under any of `kinds`, as (kind, subject)
    /// pairs ordered by kind then subject: one lookup for an identifier
    /// several categories index (one round trip on PostgreSQL).
    fn find_subjects_any(&self, kinds: &[String], digest: &[u8]) -> Result<Vec<(String, String)>> {
        let mut sorted: Vec<&String> = kinds.iter().collect();
        sorted.sort();
        sorted.dedup();
        let mut found = Vec::new();
        for kind in sorted {
            for subject in self.find_subjects(kind, digest)? {
                found.push((kind.clone(), subject));
            }
        }
        Ok(found)
    }
    fn remove_subject_indexes(&self, subject_id: &str) -> Result<u64>;

    // ---- audit journal ----
    /// Append rows in one transaction; `Conflict` if a seq exists.
    fn journal_append(&self, rows: &[JournalRow]) -> Result<()>;
    /// Rows with `seq >= from`, ascending, at most `limit`.
    fn journal_range(&self, from: u64, limit: usize) -> Result<Vec<JournalRow>>;
    fn journal_head(&self) -> Result<Option<JournalRow>>;
    /// The subject's journal entries, newest first, at most `limit`, leaving out those whose
    /// actor is one of `except_actors` (the subject's own portal visits, for the access log) —
    /// in the query, so the limit counts the entries kept.
    fn journal_for_subject(
        &self,
        subject_id: &str,
        except_actors: &[&str],
        limit: usize,
    ) -> Result<Vec<JournalRow>>;
    fn put_checkpoint(&self, checkpoint: &Checkpoint) -> Result<()>;
    fn list_checkpoints(&self) -> Result<Vec<Checkpoint>>;
    /// Drop rows with `seq < before`, remembering the last dropped row as the anchor.
    /// Checkpoints below the anchor are dropped too. Returns the number of rows dropped.
    fn journal_drop_before(&self, before: u64) -> Result<u64>;
    fn journal_anchor(&self) -> Result<Option<JournalAnchor>>;

    // ---- application tokens ----
    fn put_token(&self, token: &AppToken) -> Result<()>;
    fn get_token(&self, digest: &[u8]) -> Result<Option<AppToken>>;
    fn list_tokens(&self) -> Result<Vec<AppToken>>;
    /// Returns false when the token does not exist or was already revoked.
    fn revoke_token(&self, digest: &[u8], at: DateTime<Utc>) -> Result<bool>;

    // ---- jobs ----
    /// Take or renew the lease of `job` for `holder` until `now + ttl`; true when `holder`
    /// holds it. Several instances call this; exactly one wins while the lease is live.
    fn try_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    // ---- atomic commits (data + journal) ----
    /// Run `units` in ONE transaction, continuing the journal's hash chain from the head read
    /// inside it (see [`batch`](crate::WriteUnit)). Returns one result per unit: a unit that
    /// fails is rolled back alone. `Err` means the transaction itself failed: nothing stored.
    fn commit(
        &self,
        units: Vec<WriteUnit>,
        sealer: std::sync::Arc<dyn JournalSealer>,
    ) -> Result<Vec<Result<UnitOutcome>>>;

    /// Commit `units` in order, each standing alone (atomic, its own result), where the
    /// store may make them durable a few at a time: SQLite commits the units done so far
    /// whenever another caller waits between two of them, so that caller waits for one unit,
    /// not all (a purge page split by subject; `sqlite/steps.rs`). A unit `Ok` is durable; a
    /// unit that fails may fail others of `units` with it, never anyone else's. `Err` means
    /// none is stored. By default, one [`Store::commit`].
    fn commit_steps(
        &self,
        units: Vec<WriteUnit>,
        sealer: std::sync::Arc<dyn JournalSealer>,
    ) -> Result<Vec<Result<UnitOutcome>>> {
        self.commit(units, sealer)
    }

    /// [`Store::commit`] answered through `done` instead of returned: for callers that await
    /// the commit rather than block on it. SQLite queues the units to its writer thread and
    /// returns at once; `done` runs on that thread after the batch committed (it must be
    /// short: a oneshot send). By default — PostgreSQL — the commit runs synchronously on the
    /// calling thread and `done` is called before this returns. `done` is called exactly once,
    /// or dropped uncalled if the writer thread dies (a oneshot then reports its sender gone).
    fn commit_then(
        &self,
        units: Vec<WriteUnit>,
        sealer: std::sync::Arc<dyn JournalSealer>,
        done: CommitDone,
    ) {
        done(self.commit(units, sealer));
    }

    /// [`Store::commit_then`] for one unit of a bulk import that may share its transaction
    /// with the previous and next units of the same import ([`Link`]), so that the store
    /// writes fewer pages per record without the caller holding more records in memory. The
    /// unit stays all-or-nothing and `done` is called only once the transaction holding it
    /// committed (`Ok`) or failed; a unit may then fail because a later unit of its chain
    /// failed in the same transaction (nothing of either is stored). Other callers' work is
    /// never held back for the next unit. By default (PostgreSQL) the unit commits alone,
    /// as [`Store::commit_then`].
    fn commit_linked(
        &self,
        unit: WriteUnit,
        sealer: std::sync::Arc<dyn JournalSealer>,
        link: Link,
        done: CommitDone,
    ) {
        let _ = link;
        self.commit_then(vec![unit], sealer, done);
    }

    // ---- documents (small versioned state, sealed by the engine) ----
    fn get_doc(&self, kind: &str, id: &str) -> Result<Option<StoredDoc>>;
    /// Documents of `kind` with id greater than `after_id`, ordered by id (bytewise), at most
    /// `limit`.
    fn list_docs(&self, kind: &str, after_id: Option<&str>, limit: usize)
    -> Result<Vec<StoredDoc>>;
    /// Documents of `kind` written with `owner`, and those written without one (a candidate for
    /// every owner: the caller reads the body to decide), ordered by id (bytewise). Through an
    /// index: a subject's few requests without reading every request of the provider.
    fn list_docs_of(&self, kind: &str, owner: &str) -> Result<Vec<StoredDoc>>;
    /// Documents of `kind` written in `state`, and those written without one, ordered by id
    /// (bytewise), through an index: the open requests without reading the closed ones.
    fn list_docs_in(&self, kind: &str, state: &str) -> Result<Vec<StoredDoc>>;

    // ---- maintenance ----
    /// Push deleted bytes out of every file (SQLite: checkpoint + truncate the WAL;
    /// PostgreSQL: VACUUM of the touched tables).
    fn purge_remnants(&self) -> Result<()>;

    /// Refresh the query planner's statistics after a bulk load (the end of `habeas
    /// import`, a restore). PostgreSQL: `ANALYZE` of the tables the reads and the purge
    /// plan over — until autovacuum gets there, a freshly filled table has none, and the
    /// purge's plans made blind at 10M records ran a hundred times slow
    /// (docs/benchmarks-retention.md). SQLite: nothing — its planner uses statistics only
    /// once `ANALYZE` has run, every SQLite figure we publish was measured without, and
    /// one pass over a 10M-record file would be the price of changing plans unmeasured.
    fn refresh_statistics(&self) -> Result<()>;
}

/// The wrapped-data-key store, kept apart from the data.
pub trait KeyStore: Send + Sync {
    /// Insert keys; `Conflict` if a (subject, category) already has one.
    fn put_keys(&self, keys: &[WrappedKey]) -> Result<()>;
    fn get_key(&self, subject_id: &str, category: &str) -> Result<Option<WrappedKey>>;
    /// All keys of a subject.
    fn subject_keys(&self, subject_id: &str) -> Result<Vec<WrappedKey>>;
    /// The keys of `category` of any of `subject_ids` (a page of a walk over subjects), in no
    /// particular order; subjects without one are left out.
    fn keys_of_subjects(&self, subject_ids: &[String], category: &str) -> Result<Vec<WrappedKey>>;
    /// Keyset-paged list ordered by (subject_id, category), for rotation.
    fn list_keys(&self, after: Option<(&str, &str)>, limit: usize) -> Result<Vec<WrappedKey>>;
    /// Replace wrapped bytes and kek id of existing keys in one transaction; returns how many.
    fn replace_wrapped(&self, keys: &[WrappedKey]) -> Result<u64>;
    /// Crypto-shred: delete a subject's keys (or one category's) and purge remnants before
    /// returning. Returns the number of keys destroyed.
    fn shred(&self, subject_id: &str, category: Option<&str>) -> Result<u64>;
    /// [`KeyStore::shred`] of many targets — (subject, one category or `None` for all its
    /// keys) — in one transaction, all or nothing, with one purge of remnants for the whole
    /// batch (batched erasures, issue 4). Returns the keys destroyed per target, in order.
    fn shred_many(&self, targets: &[(String, Option<String>)]) -> Result<Vec<u64>>;
}

/// Open a data store by URL: `sqlite:///abs/path.db`, `sqlite://rel/path.db`, a plain path, or
/// `postgres://…` (optional `schema=NAME` query parameter).
pub fn open_store(url: &str) -> Result<Box<dyn Store>> {
    if is_postgres(url) {
        Ok(Box::new(postgres::PgStore::open(url)?))
    } else {
        Ok(Box::new(sqlite::SqliteStore::open(sqlite::path_from_url(
            url,
        )?)?))
    }
}

/// Open a key store by URL (same forms as [`open_store`]). For SQLite, use a file in its own
/// directory, outside the data directory, so that data backups never contain it.
pub fn open_key_store(url: &str) -> Result<Box<dyn KeyStore>> {
    if is_postgres(url) {
        Ok(Box::new(postgres::PgKeyStore::open(url)?))
    } else {
        Ok(Box::new(sqlite::SqliteKeyStore::open(
            sqlite::path_from_url(url)?,
        )?))
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
