//! What a bulk batch derives once and shares between its records.
//!
//! Why: a subject's rows of one batch often share their row key and their
//! identifiers (its connection logs: one month, one account id). Deriving a
//! high-volume row's key (an HKDF, then an AES key schedule) and computing
//! blind-index digests for every row was the largest part of preparing such
//! a batch; here each distinct row key is listed once, and each distinct set
//! of identifiers is marked for indexing once (docs/benchmarks-vault.md,
//! session 15). The plan is pure: the keys are derived and the rows sealed
//! by the caller, on every core.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use habeas_store::month_index;

use crate::vault::Prepared;

/// A record's identifiers as a batch indexes them once: (subject,
/// category, the (kind, value) pairs).
type IdentifierSet<'a> = (&'a str, &'a str, &'a [(String, String)]);

/// The shared derivations of one batch.
pub(crate) struct SealPlan<'a> {
    /// The row keys the batch needs, one per (subject, category, month):
    /// the subject, the category and the collection time of the first row
    /// that needs it.
    pub(crate) row_keys: Vec<(&'a str, &'a str, DateTime<Utc>)>,
    /// Per record, in the batch's order: the position in `row_keys` of its
    /// row key (high-volume rows only), and whether its identifiers are
    /// indexed (the first record of the batch with that subject, category
    /// and set of identifiers).
    pub(crate) records: Vec<(Option<usize>, bool)>,
}

impl<'a> SealPlan<'a> {
    /// The plan of `prepared`; a row without a collection time is collected
    /// `now`.
    pub(crate) fn of(prepared: &'a [Prepared], now: DateTime<Utc>) -> Self {
        let mut slots: HashMap<(&str, &str, i64), usize> = HashMap::new();
        let mut row_keys = Vec::new();
        let mut indexed: HashSet<IdentifierSet<'a>> = HashSet::new();
        let mut records = Vec::with_capacity(prepared.len());
        for p in prepared {
            let (subject, category) = (p.subject.as_str(), p.valid.category.as_str());
            let slot = p.valid.high_volume.then(|| {
                let at = p.valid.events.collected_at.unwrap_or(now);
                *slots
                    .entry((subject, category, month_index(at)))
                    .or_insert_with(|| {
                        row_keys.push((subject, category, at));
                        row_keys.len() - 1
                    })
            });
            let index_it = !p.valid.identifiers.is_empty()
                && indexed.insert((subject, category, p.valid.identifiers.as_slice()));
            records.push((slot, index_it));
        }
        SealPlan { row_keys, records }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::TimeZone;
    use habeas_core::retention::EventDates;

    use super::*;
    use crate::validate::ValidRecord;

    fn at(month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, month, day, 12, 0, 0)
            .single()
            .expect("date")
    }

    fn row(
        subject: &str,
        high_volume: bool,
        collected: Option<DateTime<Utc>>,
        ids: &[&str],
    ) -> Prepared {
        Prepared {
            subject: subject.into(),
            record: format!("rec_{subject}"),
            valid: ValidRecord {
                category: if high_volume {
                    "connection_logs"
                } else {
                    "contact"
                }
                .into(),
                fields: BTreeMap::new(),
                identifiers: ids
                    .iter()
                    .map(|v| ("account_id".to_string(), v.to_string()))
                    .collect(),
                source: "api".into(),
                purposes: Vec::new(),
                events: EventDates {
                    collected_at: collected,
                    ..EventDates::default()
                },
                due_at: None,
                high_volume,
            },
        }
    }

    #[test]
    fn rows_of_one_subject_and_month_share_a_row_key() {
        let batch = [
            row("s1", true, Some(at(3, 1)), &[]),
            row("s1", true, Some(at(3, 28)), &[]),
            row("s2", true, Some(at(3, 2)), &[]),
            row("s1", true, Some(at(4, 1)), &[]),
            row("s1", true, None, &[]),
            row("s1", false, Some(at(3, 1)), &[]),
        ];
        let plan = SealPlan::of(&batch, at(3, 15));
        assert_eq!(
            plan.row_keys,
            vec![
                ("s1", "connection_logs", at(3, 1)),
                ("s2", "connection_logs", at(3, 2)),
                ("s1", "connection_logs", at(4, 1)),
            ]
        );
        let slots: Vec<Option<usize>> = plan.records.iter().map(|r| r.0).collect();
        // A row without a collection time is collected now (March); a
        // record of an ordinary category has no row key.
        assert_eq!(
            slots,
            vec![Some(0), Some(0), Some(1), Some(2), Some(0), None]
        );
    }

    #[test]
    fn each_distinct_set_of_identifiers_is_indexed_once() {
        let batch = [
            row("s1", true, Some(at(3, 1)), &["A"]),
            row("s1", true, Some(at(3, 2)), &["A"]),
            row("s1", true, Some(at(3, 3)), &["B"]),
            row("s2", true, Some(at(3, 3)), &["A"]),
            row("s1", true, Some(at(3, 4)), &["A", "B"]),
            row("s1", true, Some(at(3, 5)), &[]),
            row("s1", false, Some(at(3, 5)), &["A"]),
        ];
        let plan = SealPlan::of(&batch, at(3, 15));
        let indexed: Vec<bool> = plan.records.iter().map(|r| r.1).collect();
        assert_eq!(indexed, vec![true, false, true, true, true, false, true]);
    }
}
