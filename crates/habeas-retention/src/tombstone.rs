//! The tombstone ledger: what a restore must re-apply so erased data never
//! comes back.
//!
//! Backups are not rewritten at each erasure (regulators accept this when
//! backups rotate on a short documented schedule and restores re-apply
//! pending erasures; STANDARDS §7.5). So every erasure (Art. 17), every
//! rectification of an identifier (Art. 16) and every consent withdrawal
//! (Art. 7(3)) is also written here, with its time. After restoring a backup
//! taken at `T`, the restore re-applies [`replay_after`]`(T)`, oldest first.
//!
//! The ledger is kept apart from backups: give [`TombstoneLedger`] a store
//! that the backed-up database does not hold, or read the whole ledger
//! before replacing the database (a restore that reads the ledger from the
//! backup it restores would lose the newest tombstones).
//!
//! Minimal content: subject ids, category and field names, purposes. A
//! rectification must carry the new identifier value to re-apply it; it is
//! sealed by the store like every document, and [`TombstoneLedger::prunable`]
//! names the entries older than the oldest backup still kept, which no
//! restore can need, for the storage layer to remove.

use chrono::{DateTime, Utc};
use habeas_core::clock::Clock;
use habeas_core::docs::{DocError, DocStore, check_key};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RetentionError};

/// The document kind tombstones are stored under.
pub const TOMBSTONE_KIND: &str = "tombstone";

/// What happened, that a restore must do again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TombstoneEvent {
    /// The subject's data was erased: every category, or the ones listed.
    Erasure {
        subject: String,
        /// Empty = every category.
        #[serde(default)]
        categories: Vec<String>,
    },
    /// An identifier field was rectified; the restore writes `new_value` again.
    IdentifierRectification {
        subject: String,
        category: String,
        record: String,
        field: String,
        new_value: String,
    },
    /// Consent to a declared purpose was withdrawn.
    ConsentWithdrawal { subject: String, purpose: String },
}

impl TombstoneEvent {
    /// The subject concerned.
    pub fn subject(&self) -> &str {
        match self {
            TombstoneEvent::Erasure { subject, .. }
            | TombstoneEvent::IdentifierRectification { subject, .. }
            | TombstoneEvent::ConsentWithdrawal { subject, .. } => subject,
        }
    }

    fn check(&self) -> Result<()> {
        let mut keys: Vec<(&str, &str)> = vec![("subject", self.subject())];
        match self {
            TombstoneEvent::Erasure { categories, .. } => {
                keys.extend(categories.iter().map(|c| ("category", c.as_str())));
            }
            TombstoneEvent::IdentifierRectification {
                category,
                record,
                field,
                new_value,
                ..
            } => {
                keys.extend([
                    ("category", category.as_str()),
                    ("record", record.as_str()),
                    ("field", field.as_str()),
                ]);
                if new_value.trim().is_empty() {
                    return Err(RetentionError::invalid(
                        "rectification",
                        "the new identifier value is empty",
                        "record the value the identifier was corrected to",
                    ));
                }
            }
            TombstoneEvent::ConsentWithdrawal { purpose, .. } => {
                keys.push(("purpose", purpose));
            }
        }
        for (what, key) in keys {
            if check_key(key).is_err() {
                return Err(RetentionError::invalid(
                    format!("tombstone {what}"),
                    "must be 1–128 printable ASCII characters without `/` or spaces",
                    format!("give the {what} id as Habeas stores it"),
                ));
            }
        }
        Ok(())
    }
}

/// One ledger entry: an event, when it happened, and its place in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Position in the ledger (1, 2, …), which orders events of equal time.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub event: TombstoneEvent,
}

/// What a restore of a backup taken at `backup_taken_at` must re-apply, in
/// the order they happened (time, then ledger position).
///
/// An event at exactly the backup time is included: the backup may or may
/// not hold its effect, and re-applying an erasure, a rectification or a
/// withdrawal is harmless when already applied.
pub fn replay_after(ledger: &[Tombstone], backup_taken_at: DateTime<Utc>) -> Vec<&Tombstone> {
    let mut out: Vec<&Tombstone> = ledger.iter().filter(|t| t.at >= backup_taken_at).collect();
    out.sort_by_key(|t| (t.at, t.seq));
    out
}

/// The ledger over a document store (kind `tombstone`, one document per entry).
pub struct TombstoneLedger<'a> {
    docs: &'a dyn DocStore,
    clock: &'a dyn Clock,
}

/// Document ids sort like sequence numbers.
fn doc_id(seq: u64) -> String {
    format!("T{seq:012}")
}

impl<'a> TombstoneLedger<'a> {
    pub fn new(docs: &'a dyn DocStore, clock: &'a dyn Clock) -> Self {
        TombstoneLedger { docs, clock }
    }

    /// Append an event at the clock's time. Refuses malformed ids, storing nothing.
    pub fn record(&self, event: TombstoneEvent) -> Result<Tombstone> {
        event.check()?;
        let at = self.clock.now();
        let mut seq = self.next_seq()?;
        loop {
            let entry = Tombstone {
                seq,
                at,
                event: event.clone(),
            };
            let body = crate::error::encode(TOMBSTONE_KIND, &entry)?;
            match self.docs.put_doc(TOMBSTONE_KIND, &doc_id(seq), None, &body) {
                Ok(_) => return Ok(entry),
                Err(DocError::Conflict { .. }) => seq += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Append several events at the clock's time, in order, with one
    /// [`DocStore::create_docs`] (one transaction where the store has them:
    /// a batch of erasures costs one ledger commit, issue 4). Each entry is
    /// the one [`TombstoneLedger::record`] would write. Refuses the whole
    /// batch, storing nothing, if one event is malformed.
    pub fn record_many(&self, events: Vec<TombstoneEvent>) -> Result<Vec<Tombstone>> {
        for e in &events {
            e.check()?;
        }
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let at = self.clock.now();
        // A concurrent writer took one of our positions: start again after it.
        for _ in 0..8 {
            let first = self.next_seq()?;
            let entries: Vec<Tombstone> = events
                .iter()
                .zip(first..)
                .map(|(event, seq)| Tombstone {
                    seq,
                    at,
                    event: event.clone(),
                })
                .collect();
            let mut docs = Vec::with_capacity(entries.len());
            for entry in &entries {
                docs.push((
                    doc_id(entry.seq),
                    crate::error::encode(TOMBSTONE_KIND, entry)?,
                ));
            }
            match self.docs.create_docs(TOMBSTONE_KIND, &docs) {
                Ok(()) => return Ok(entries),
                Err(DocError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(DocError::Storage(
            "the tombstone ledger kept changing under a batch write; run it again".into(),
        )
        .into())
    }

    /// Every entry, in ledger order.
    pub fn all(&self) -> Result<Vec<Tombstone>> {
        let mut out = Vec::new();
        for doc in self.docs.list_docs(TOMBSTONE_KIND)? {
            let entry: Tombstone =
                serde_json::from_slice(&doc.body).map_err(|e| RetentionError::Corrupt {
                    kind: TOMBSTONE_KIND,
                    id: doc.id.clone(),
                    reason: e.to_string(),
                })?;
            out.push(entry);
        }
        out.sort_by_key(|t| t.seq);
        Ok(out)
    }

    /// What a restore of a backup taken at `backup_taken_at` must re-apply.
    pub fn replay_after(&self, backup_taken_at: DateTime<Utc>) -> Result<Vec<Tombstone>> {
        let all = self.all()?;
        Ok(replay_after(&all, backup_taken_at)
            .into_iter()
            .cloned()
            .collect())
    }

    /// Entries no restore can need: older than the oldest backup still kept.
    /// The [`DocStore`] contract has no delete: this returns their positions
    /// for the storage layer to remove, and removes nothing itself.
    pub fn prunable(&self, oldest_backup_taken_at: DateTime<Utc>) -> Result<Vec<u64>> {
        Ok(self
            .all()?
            .into_iter()
            .filter(|t| t.at < oldest_backup_taken_at)
            .map(|t| t.seq)
            .collect())
    }

    fn next_seq(&self) -> Result<u64> {
        let docs = self.docs.list_docs(TOMBSTONE_KIND)?;
        // Ids are zero-padded, so the last listed is the highest.
        Ok(docs
            .last()
            .and_then(|d| d.id.strip_prefix('T'))
            .and_then(|n| n.parse::<u64>().ok())
            .map_or(1, |n| n + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use habeas_core::clock::ManualClock;
    use habeas_core::docs::MemoryDocs;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn erase(subject: &str) -> TombstoneEvent {
        TombstoneEvent::Erasure {
            subject: subject.into(),
            categories: vec![],
        }
    }

    #[test]
    fn a_batch_is_recorded_after_what_is_there_like_single_records() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let ledger = TombstoneLedger::new(&docs, &clock);
        ledger.record(erase("sub_first")).unwrap();
        let batch = ledger
            .record_many(vec![
                erase("sub_a"),
                TombstoneEvent::Erasure {
                    subject: "sub_b".into(),
                    categories: vec!["billing".into()],
                },
            ])
            .unwrap();
        assert_eq!(batch.iter().map(|t| t.seq).collect::<Vec<_>>(), vec![2, 3]);
        let all = ledger.all().unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[1..], batch[..]);
        assert_eq!(all[2].event.subject(), "sub_b");
        // A malformed event refuses the whole batch.
        assert!(
            ledger
                .record_many(vec![erase("sub_c"), erase("bad id")])
                .is_err()
        );
        assert_eq!(ledger.all().unwrap().len(), 3);
    }

    #[test]
    fn a_restore_replays_what_came_after_the_backup_in_order() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let ledger = TombstoneLedger::new(&docs, &clock);
        ledger.record(erase("sub_old")).unwrap();
        clock.advance(Duration::days(2));
        let backup_at = clock.now();
        clock.advance(Duration::hours(1));
        ledger.record(erase("sub_a")).unwrap();
        ledger
            .record(TombstoneEvent::ConsentWithdrawal {
                subject: "sub_b".into(),
                purpose: "newsletter".into(),
            })
            .unwrap();
        clock.advance(Duration::hours(1));
        ledger
            .record(TombstoneEvent::IdentifierRectification {
                subject: "sub_c".into(),
                category: "contact".into(),
                record: "rec_1".into(),
                field: "email".into(),
                new_value: "new@example.org".into(),
            })
            .unwrap();
        let replay = ledger.replay_after(backup_at).unwrap();
        let subjects: Vec<_> = replay.iter().map(|t| t.event.subject()).collect();
        assert_eq!(subjects, ["sub_a", "sub_b", "sub_c"]);
        assert_eq!(ledger.prunable(backup_at).unwrap(), [1]);
    }

    #[test]
    fn order_is_by_time_then_position_and_the_backup_instant_is_included() {
        let e = |seq, mins| Tombstone {
            seq,
            at: t0() + Duration::minutes(mins),
            event: erase(&format!("sub_{seq}")),
        };
        // A clock that went backwards on another instance: seq 3 happened first.
        let ledger = vec![e(1, 10), e(2, 20), e(3, 5), e(4, 0)];
        let seqs: Vec<_> = replay_after(&ledger, t0()).iter().map(|t| t.seq).collect();
        assert_eq!(seqs, [4, 3, 1, 2]);
        let seqs: Vec<_> = replay_after(&ledger, t0() + Duration::minutes(10))
            .iter()
            .map(|t| t.seq)
            .collect();
        assert_eq!(seqs, [1, 2]);
    }

    #[test]
    fn malformed_events_are_refused_and_store_nothing() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let ledger = TombstoneLedger::new(&docs, &clock);
        assert!(ledger.record(erase("alice@example.org x")).is_err());
        assert!(
            ledger
                .record(TombstoneEvent::IdentifierRectification {
                    subject: "sub_1".into(),
                    category: "contact".into(),
                    record: "r".into(),
                    field: "email".into(),
                    new_value: " ".into(),
                })
                .is_err()
        );
        assert!(ledger.all().unwrap().is_empty());
    }

    #[test]
    fn concurrent_writers_get_distinct_positions() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let a = TombstoneLedger::new(&docs, &clock);
        let b = TombstoneLedger::new(&docs, &clock);
        let first = a.record(erase("sub_1")).unwrap();
        let second = b.record(erase("sub_2")).unwrap();
        assert_eq!((first.seq, second.seq), (1, 2));
        // A number written by another instance is never reused.
        docs.put_doc(
            TOMBSTONE_KIND,
            &doc_id(3),
            None,
            &serde_json::to_vec(&Tombstone {
                seq: 3,
                at: t0(),
                event: erase("sub_3"),
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(a.record(erase("sub_4")).unwrap().seq, 4);
        assert_eq!(a.all().unwrap().len(), 4);
    }
}
