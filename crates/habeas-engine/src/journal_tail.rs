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

use chrono::{DateTime, Utc};

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
