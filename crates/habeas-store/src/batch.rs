//! One atomic commit of vault changes **and** the audit-journal rows that describe them.
//!
//! Why: the journal must never say less than what the data shows (GDPR Art. 5(2)
//! accountability): a record written without its `write` entry, or an entry for a write that
//! rolled back, would make the journal useless as evidence. So [`crate::Store::commit`] runs
//! a list of [`WriteUnit`]s in ONE database transaction. Each unit carries its data operations
//! ([`WriteOp`]) and its journal entries ([`JournalDraft`]); the store numbers the entries and
//! continues the hash chain from the head **it reads inside that transaction** (SQLite:
//! `BEGIN IMMEDIATE` holds the only write lock; PostgreSQL: a transaction-scoped advisory lock
//! serialises journal appends across instances), asking the engine's [`JournalSealer`] for each
//! hash. The store never learns how hashes or signatures are made; the engine never has to guess
//! the head. One unit that fails (an unknown subject, a version conflict) is rolled back alone
//! (a savepoint) and answered with its own error; the others still commit.
//!
//! Group commit: the caller (the engine's committer thread) puts every caller waiting at that
//! moment into one `commit`, so a burst of audited reads costs one fsync, not one per read.

use chrono::{DateTime, Utc};

use crate::model::{
    AppToken, BlindIndexEntry, Checkpoint, DroppedPartition, JournalAnchor, NewRecord, Record,
    Subject, SubjectStatus, TimedRecord,
};

/// A journal entry before the store gives it a sequence number and a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalDraft {
    pub ts: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject_id: Option<String>,
    pub category: Option<String>,
    pub purpose: Option<String>,
    /// JSON or short text; never a personal-data value (the engine guarantees it).
    pub details: String,
}

/// Computes the chain hashes and decides checkpoints; implemented by the engine, which holds
/// the signing key. Called by the store inside the commit transaction.
pub trait JournalSealer: Send + Sync {
    /// The hash of entry `seq` that follows `prev_hash` (empty before the very first entry).
    fn link(&self, seq: u64, prev_hash: &[u8], draft: &JournalDraft) -> Vec<u8>;
    /// A signed checkpoint of `head` to store with this commit, if one is due; `last_signed`
    /// is the sequence number of the newest stored checkpoint (0 when none).
    fn checkpoint(&self, head: &JournalAnchor, last_signed: u64) -> Option<Checkpoint>;
}

/// One data operation of a [`WriteUnit`].
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Insert a subject; `Conflict` if the id exists.
    CreateSubject(Subject),
    /// Replace kind/status/dates of a subject; `NotFound` otherwise.
    UpdateSubject(Subject),
    /// Fail the unit unless the subject exists (`NotFound`) with one of `statuses`
    /// ([`crate::StoreError::SubjectState`]): checked inside the transaction, so a subject
    /// erased meanwhile cannot receive new data.
    RequireSubject {
        id: String,
        statuses: Vec<SubjectStatus>,
    },
    InsertRecords(Vec<NewRecord>),
    InsertTimed(Vec<TimedRecord>),
    /// Insert entries (an existing identical entry is kept).
    PutBlindIndexes(Vec<BlindIndexEntry>),
    /// Remove exactly these entries (an identifier no record carries any more). Output: count.
    RemoveBlindIndexes(Vec<BlindIndexEntry>),
    /// Remove a subject's entries of the given kinds (all kinds when `None`). Output: count.
    RemoveSubjectIndexes {
        subject_id: String,
        kinds: Option<Vec<String>>,
    },
    /// Replace a record's sealed content and metadata (rectification, GDPR Art. 16). Id,
    /// subject and category must match the stored record, otherwise `NotFound`.
    ReplaceRecord(Record),
    /// Delete one record of a subject; `NotFound` when that subject has no such record.
    DeleteRecord {
        subject_id: String,
        id: String,
    },
    /// Delete many due records, the retention purge's page (one statement, not one per
    /// record). Each goes only if it is still that subject's record AND still due at the date
    /// the purge listed it with: a record rectified meanwhile (its events moved its due date,
    /// Art. 16) fails the whole unit with [`crate::StoreError::Changed`] (`NotFound` when it
    /// is gone), so nothing is deleted on a stale judgement. Output: count.
    DeleteRecords(Vec<DueDeletion>),
    /// Fail the unit with [`crate::StoreError::Changed`] unless the subject's ordinary
    /// records of `category` are exactly `records` as the caller read them (same ids, same
    /// due dates, same sealed bytes): checked inside the transaction, before the unit's other
    /// ops. The purge reads and decrypts a subject's records to know which blind-index
    /// entries no remaining record carries and to anonymise; a record written, rectified or
    /// deleted meanwhile would make that plan wrong (an index entry removed that a new record
    /// needs, an anonymised copy of superseded values). Output: `Done`.
    RequireRecordsAsRead {
        subject_id: String,
        category: String,
        records: Vec<RecordSeen>,
    },
    /// Remove every blind-index entry of each `(subject_id, category)` (the kinds
    /// `category/…`, as the engine names them), for a category of which the subject has no
    /// ordinary record left: checked inside the transaction, after the unit's earlier ops, so
    /// the unit fails with [`crate::StoreError::Remaining`] rather than unindex a record
    /// written meanwhile. Lets the purge drop a subject's last records of a category without
    /// decrypting them. Output: count of entries removed.
    RemoveCategoryIndexes(Vec<(String, String)>),
    /// Delete a subject's records (all categories). Output: count.
    DeleteSubjectRecords {
        subject_id: String,
    },
    /// Delete a subject's ordinary records of one category (a category's
    /// erasure, Art. 17(3): the others stay). Output: count.
    DeleteSubjectCategory {
        subject_id: String,
        category: String,
    },
    /// Delete a subject's rows in every time partition. Output: count.
    DeleteSubjectTimed {
        subject_id: String,
    },
    /// Delete a subject's rows of one high-volume category in every time partition (that
    /// category's erasure, Art. 17: the rows go at once, not at the partition's expiry).
    /// Output: count.
    DeleteSubjectTimedCategory {
        subject_id: String,
        category: String,
    },
    /// Drop partitions ending at or before `before`. Output: the dropped partitions.
    DropTimedBefore {
        category: Option<String>,
        before: DateTime<Utc>,
        /// The caller has destroyed the keys of rows of this key version and above (the
        /// months' partition keys): a partition holding only such rows needs no zeroing of its
        /// freed pages (SQLite's `secure_delete`). `None`: zero everything, as for any delete.
        shredded_from_version: Option<u32>,
    },
    PutToken(AppToken),
    /// Output: whether an active token was revoked.
    RevokeToken {
        digest: Vec<u8>,
        at: DateTime<Utc>,
    },
    /// Create (`expected_version: None`) or replace version `expected_version` of a document;
    /// [`crate::StoreError::VersionConflict`] otherwise. Output: the new version.
    PutDoc {
        kind: String,
        id: String,
        expected_version: Option<u64>,
        /// The vault id of the subject the document concerns, for
        /// [`crate::Store::list_docs_of`]; `Some("")` for "owned by no one", `None` for a kind
        /// that files nothing (such a document is a candidate for every owner).
        owner: Option<String>,
        /// A short word the kind chooses (`open`, `closed`), for [`crate::Store::list_docs_in`];
        /// `None`: a candidate for every state.
        state: Option<String>,
        body: Vec<u8>,
        at: DateTime<Utc>,
    },
    /// Delete the documents `ids` of `kind` (those that exist; the rest are
    /// ignored). Output: how many were deleted. Their bytes are zeroed where the
    /// backend promises it (SQLite's `secure_delete`).
    DeleteDocs {
        kind: String,
        ids: Vec<String>,
    },
    /// Fail the unit with [`crate::StoreError::VersionConflict`] (id `*`, the counts as
    /// versions) unless exactly `count` documents of `kind` exist, checked inside the
    /// transaction. The retention purge's guard against a legal hold placed after it read
    /// the holds: holds are never deleted, so a new one changes the count. Output: `Done`.
    RequireDocCount {
        kind: String,
        count: u64,
    },
    /// Drop journal rows with `seq < before` (see [`crate::Store::journal_drop_before`]).
    /// Output: count.
    JournalDropBefore {
        before: u64,
    },
    /// Date a retention event on the subject's ordinary records of `categories`: `update`
    /// changes each record's event dates in place and gives its new `retention_due` (see
    /// [`crate::subject_event`]). Sealed values and high-volume rows are not touched.
    /// Output: [`OpOutput::Dated`], counting the records whose new due date is at or before
    /// `due_by` (the caller's "now": they go at the next purge).
    DateSubjectEvent {
        subject_id: String,
        categories: Vec<String>,
        update: crate::subject_event::EventUpdateFn,
        due_by: DateTime<Utc>,
    },
    /// Link the records of `window.category` collected in `[window.from, window.to]` to a
    /// security incident: set `incident_linked` and replace `retention_due` by what `due`
    /// returns (see [`crate::IncidentWindow`]). Records already linked are left as they are;
    /// high-volume (partitioned) rows are not touched. Output: [`OpOutput::Linked`].
    LinkIncident {
        window: crate::IncidentWindow,
        due: crate::IncidentDueFn,
    },
}

/// One record of [`WriteOp::DeleteRecords`]: the subject it belongs to and the due date the
/// purge judged it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDeletion {
    pub subject_id: String,
    pub id: String,
    pub due: DateTime<Utc>,
}

/// Why a [`WriteOp::DeleteRecords`] item was not deleted (the unit is rolled back): the
/// record is still that subject's (`still_there`: its due date changed) or it is gone.
pub(crate) fn undeleted(missed: &DueDeletion, still_there: bool) -> crate::StoreError {
    let id = missed.id.clone();
    if still_there {
        crate::StoreError::Changed { kind: "record", id }
    } else {
        crate::StoreError::NotFound { kind: "record", id }
    }
}

/// A record as a caller read it, for [`WriteOp::RequireRecordsAsRead`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSeen {
    pub id: String,
    pub retention_due: Option<DateTime<Utc>>,
    pub sealed: Vec<u8>,
}

impl RecordSeen {
    /// What `record` is now.
    pub fn of(record: &Record) -> Self {
        RecordSeen {
            id: record.id.clone(),
            retention_due: record.retention_due,
            sealed: record.sealed.clone(),
        }
    }
}

/// [`WriteOp::RequireRecordsAsRead`]'s verdict, shared by both backends: `found` is what the
/// store holds now, in any order.
pub(crate) fn check_records_as_read(
    expected: &[RecordSeen],
    found: Vec<RecordSeen>,
) -> crate::Result<()> {
    let mut expected: Vec<&RecordSeen> = expected.iter().collect();
    let mut found = found;
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    found.sort_by(|a, b| a.id.cmp(&b.id));
    // The first id that differs, either side (ids are opaque, never personal data).
    let differs = expected
        .iter()
        .zip(&found)
        .find(|(e, f)| **e != *f)
        .map(|(e, _)| e.id.clone())
        .or_else(|| match expected.len().cmp(&found.len()) {
            std::cmp::Ordering::Greater => expected.get(found.len()).map(|e| e.id.clone()),
            _ => found.get(expected.len()).map(|f| f.id.clone()),
        });
    match differs {
        None => Ok(()),
        Some(id) => Err(crate::StoreError::Changed { kind: "record", id }),
    }
}

/// What one [`WriteOp`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpOutput {
    Done,
    Count(u64),
    Flag(bool),
    Version(u64),
    Dropped(Vec<DroppedPartition>),
    /// Records whose event dates were set, by category, and how many of them are due
    /// ([`WriteOp::DateSubjectEvent`]).
    Dated {
        updated: crate::EventDated,
        due: u64,
    },
    /// Records newly linked to an incident and those linked before ([`WriteOp::LinkIncident`]).
    Linked(crate::IncidentLinked),
}

/// Operations and the journal entries describing them, committed together or not at all.
#[derive(Debug, Clone, Default)]
pub struct WriteUnit {
    pub ops: Vec<WriteOp>,
    pub journal: Vec<JournalDraft>,
}

/// A committed unit: the sequence numbers of its journal entries and one output per op.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitOutcome {
    pub seqs: Vec<u64>,
    pub outputs: Vec<OpOutput>,
}

/// A stored document (sealed body bytes; the store never reads them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDoc {
    pub kind: String,
    pub id: String,
    /// 1 for the first write, +1 per replacement.
    pub version: u64,
    /// As written by [`WriteOp::PutDoc`]: `None` when written without an owner.
    pub owner: Option<String>,
    /// As written by [`WriteOp::PutDoc`]: `None` when written without a state.
    pub state: Option<String>,
    pub body: Vec<u8>,
    pub updated_at: DateTime<Utc>,
}

/// The journal head a commit continues from: the newest row, else the retention anchor, else
/// the empty chain `(0, [])`.
pub(crate) fn head_of(
    newest: Option<(u64, Vec<u8>)>,
    anchor: Option<(u64, Vec<u8>)>,
) -> JournalAnchor {
    let (seq, hash) = newest.or(anchor).unwrap_or((0, Vec::new()));
    JournalAnchor { seq, hash }
}

/// Checks shared by both backends before a document write.
pub(crate) fn check_doc_key(kind: &str, id: &str) -> crate::Result<()> {
    for (what, key) in [("kind", kind), ("id", id)] {
        let ok = !key.is_empty()
            && key.len() <= 128
            && key.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
        if !ok {
            return Err(crate::StoreError::Invalid(format!(
                "document {what} must be 1 to 128 printable ASCII characters without '/'"
            )));
        }
    }
    Ok(())
}

/// [`WriteOp::RequireDocCount`]'s verdict, shared by both backends.
pub(crate) fn check_doc_count(kind: String, expected: u64, found: u64) -> crate::Result<()> {
    if expected == found {
        return Ok(());
    }
    Err(crate::StoreError::VersionConflict {
        kind,
        id: "*".into(),
        expected: Some(expected),
        found: Some(found),
    })
}
