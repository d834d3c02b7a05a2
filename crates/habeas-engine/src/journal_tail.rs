//! The newest journal entries, filtered by action, for the DPO console's
//! retention and alert pages (SPEC C6: refusals are alerted; Art. 5(2):
//! the controller shows what it did).
//!
//! Why a bounded window: the journal only grows, and a console page must
//! answer in bounded time. [`Vault::journal_tail`] reads at most `window`
//! entries back from the head, in pages, and keeps those whose action is
//! asked for. Older entries stay in the journal (and in `habeas audit`);
//! the page says how far back it looked. The lookup is itself journaled
//! (`journal.scan`), since entries name pseudonymous subject ids.
//!
//! [`bulk_reads`] is the alert rule for mass reads (SPEC C6: unusual access
//! is alerted; Art. 32(1)(b) confidentiality, Art. 33 detection of a
//! breach): one actor reading [`BULK_READ_SUBJECTS`] distinct subjects or
//! more within [`BULK_READ_MINUTES`] minutes. Pure, no IO.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::access::Caller;
use crate::error::Result;
use crate::vault::Vault;

/// Entries read per store call while walking back from the head.
const PAGE: usize = 1_000;

/// One journal entry as the console shows it: no values ever (the engine
/// never journals them), the actor included (staff see who did what).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JournalEvent {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub category: Option<String>,
    pub purpose: Option<String>,
    pub details: String,
}

/// What [`Vault::journal_tail`] found, and how far back it looked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JournalTail {
    /// Matching entries, newest first.
    pub events: Vec<JournalEvent>,
    /// The oldest sequence number examined (`None`: the journal is empty).
    pub from_seq: Option<u64>,
    /// The newest sequence number examined.
    pub head_seq: Option<u64>,
}

impl Vault {
    /// The entries among the newest `window` whose action is in `actions`,
    /// newest first.
    pub fn journal_tail(
        &self,
        caller: &Caller,
        actions: &[&str],
        window: usize,
    ) -> Result<JournalTail> {
        let Some(head) = self.store.journal_head()? else {
            return Ok(JournalTail::default());
        };
        let lowest = head.seq.saturating_sub(window.saturating_sub(1) as u64);
        let mut events = Vec::new();
        let mut oldest = head.seq;
        let mut from = lowest;
        while from <= head.seq {
            let rows = self.store.journal_range(from, PAGE)?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                break;
            };
            oldest = oldest.min(rows[0].seq);
            events.extend(
                rows.into_iter()
                    .filter(|r| r.seq <= head.seq && actions.contains(&r.action.as_str()))
                    .map(|r| JournalEvent {
                        seq: r.seq,
                        at: r.ts,
                        actor: r.actor,
                        action: r.action,
                        subject: r.subject_id,
                        category: r.category,
                        purpose: r.purpose,
                        details: r.details,
                    }),
            );
            from = last + 1;
        }
        events.reverse();
        let e = self.entry(
            caller,
            "journal.scan",
            None,
            None,
            None,
            format!(
                "from={oldest} to={} actions={} matched={}",
                head.seq,
                actions.join(","),
                events.len()
            ),
        );
        self.commit_unit(Vec::new(), &[e])?;
        Ok(JournalTail {
            events,
            from_seq: Some(oldest),
            head_seq: Some(head.seq),
        })
    }
}

/// Distinct subjects one actor may read within [`BULK_READ_MINUTES`]
/// before the reads are flagged as a bulk read. A support agent answering
/// tickets reads a few dozen subjects an hour; an export or a scraping
/// token reads hundreds.
pub const BULK_READ_SUBJECTS: usize = 50;
/// The sliding window of [`BULK_READ_SUBJECTS`], in minutes.
pub const BULK_READ_MINUTES: i64 = 60;
/// The journal actions that read a subject's data (`find` only counts a match).
pub const READ_ACTIONS: [&str; 2] = ["read", "find"];

/// One episode of bulk reading by one actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRead {
    pub actor: String,
    /// The first read of the window that crossed the threshold.
    pub from: DateTime<Utc>,
    /// The last read while the window stayed over the threshold.
    pub to: DateTime<Utc>,
    /// Distinct subjects read during the episode.
    pub subjects: usize,
    /// The purposes the reads were made for.
    pub purposes: BTreeSet<String>,
}

/// The bulk-read episodes among `events` (any order; non-read entries are
/// ignored), newest first.
pub fn bulk_reads(events: &[JournalEvent]) -> Vec<BulkRead> {
    let window = Duration::minutes(BULK_READ_MINUTES);
    let mut by_actor: BTreeMap<&str, Vec<&JournalEvent>> = BTreeMap::new();
    for e in events {
        if READ_ACTIONS.contains(&e.action.as_str()) && e.subject.is_some() {
            by_actor.entry(e.actor.as_str()).or_default().push(e);
        }
    }
    let mut out = Vec::new();
    for (actor, mut reads) in by_actor {
        reads.sort_by_key(|e| (e.at, e.seq));
        let subject = |e: &JournalEvent| e.subject.clone().unwrap_or_default();
        let mut in_window: HashMap<String, usize> = HashMap::new();
        let mut left = 0;
        let mut current: Option<(BulkRead, BTreeSet<String>)> = None;
        for right in 0..reads.len() {
            *in_window.entry(subject(reads[right])).or_default() += 1;
            while reads[right].at - reads[left].at > window {
                let s = subject(reads[left]);
                if let Some(n) = in_window.get_mut(&s) {
                    *n -= 1;
                    if *n == 0 {
                        in_window.remove(&s);
                    }
                }
                left += 1;
            }
            if in_window.len() >= BULK_READ_SUBJECTS {
                let episode = current.get_or_insert_with(|| {
                    let seen: BTreeSet<String> = in_window.keys().cloned().collect();
                    let purposes = reads[left..=right]
                        .iter()
                        .filter_map(|e| e.purpose.clone())
                        .collect();
                    (
                        BulkRead {
                            actor: actor.to_string(),
                            from: reads[left].at,
                            to: reads[right].at,
                            subjects: 0,
                            purposes,
                        },
                        seen,
                    )
                });
                episode.0.to = reads[right].at;
                episode.1.insert(subject(reads[right]));
                if let Some(p) = &reads[right].purpose {
                    episode.0.purposes.insert(p.clone());
                }
            } else if let Some(done) = current.take() {
                out.push(close(done));
            }
        }
        if let Some(done) = current.take() {
            out.push(close(done));
        }
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.to));
    out
}

fn close((mut episode, seen): (BulkRead, BTreeSet<String>)) -> BulkRead {
    episode.subjects = seen.len();
    episode
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(seq: u64, actor: &str, minute: i64, subject: usize) -> JournalEvent {
        JournalEvent {
            seq,
            at: DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap(),
            actor: actor.into(),
            action: "read".into(),
            subject: Some(format!("sub_{subject}")),
            category: Some("contact".into()),
            purpose: Some("support".into()),
            details: "records=1".into(),
        }
    }

    #[test]
    fn fifty_subjects_within_the_hour_are_one_bulk_read() {
        // 60 subjects, one every 30 seconds (minute / 2 rounded down).
        let events: Vec<JournalEvent> = (0..60)
            .map(|i| read(i as u64, "token:t1:crm", i as i64 / 2, i))
            .collect();
        let found = bulk_reads(&events);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].actor, "token:t1:crm");
        assert_eq!(found[0].subjects, 60);
        assert_eq!(found[0].purposes, BTreeSet::from(["support".to_string()]));
    }

    #[test]
    fn below_the_threshold_or_spread_out_is_not_a_bulk_read() {
        // 49 subjects in ten minutes.
        let few: Vec<JournalEvent> = (0..49).map(|i| read(i as u64, "a", 0, i)).collect();
        assert!(bulk_reads(&few).is_empty());
        // The same subject read 200 times.
        let same: Vec<JournalEvent> = (0..200).map(|i| read(i, "a", 0, 1)).collect();
        assert!(bulk_reads(&same).is_empty());
        // 100 subjects, one every 2 minutes: at most 31 in any hour.
        let spread: Vec<JournalEvent> = (0..100)
            .map(|i| read(i as u64, "a", i as i64 * 2, i))
            .collect();
        assert!(bulk_reads(&spread).is_empty());
        // Two actors of 30 each in the same minute: each is below.
        let mut two: Vec<JournalEvent> = (0..30).map(|i| read(i as u64, "a", 0, i)).collect();
        two.extend((0..30).map(|i| read(100 + i as u64, "b", 0, 100 + i)));
        assert!(bulk_reads(&two).is_empty());
        // Not reads: ignored.
        let writes: Vec<JournalEvent> = (0..80)
            .map(|i| JournalEvent {
                action: "write".into(),
                ..read(i as u64, "a", 0, i)
            })
            .collect();
        assert!(bulk_reads(&writes).is_empty());
    }

    #[test]
    fn two_episodes_apart_are_two_alerts_newest_first() {
        let mut events: Vec<JournalEvent> = (0..50).map(|i| read(i as u64, "a", 0, i)).collect();
        events.extend((0..55).map(|i| read(100 + i as u64, "a", 300, 1000 + i)));
        let found = bulk_reads(&events);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].subjects, 55);
        assert_eq!(found[1].subjects, 50);
    }
}
