//! Purge planning: given what is due and the active legal holds, decide for
//! each record whether it is deleted, anonymised or kept (and why), and
//! count it by category.
//!
//! Art. 5(1)(e) GDPR (storage limitation): data are kept no longer than the
//! declared retention period. The vault computes each record's due date when
//! it is written (from the declared rule, with the longer period of a record
//! linked to a security incident already applied); this module decides what
//! happens on that date:
//!
//! - the category's declared `on_expiry`: `delete` (crypto-shredding) or
//!   `anonymise` (see [`crate::anonymise`]);
//! - unless an active legal hold covers the subject or the category
//!   (Art. 17(3)(e), Art. 18): then the record is kept, the plan names the
//!   holds, and says when it goes if every hold has an end date;
//! - a record whose category is no longer declared is kept and reported:
//!   deleting on what may be a renamed category would destroy data by
//!   mistake; the DPO fixes the declarations first.
//!
//! The [`Planner`] is fed page by page (the store pages due records), so a
//! purge of a million records holds counts, not records. A dry run keeps
//! every [`Decision`] to show the date each item goes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use habeas_core::declarations::{Declarations, OnExpiry};
use serde::Serialize;

use crate::hold::{Hold, holds_covering};

/// A record whose retention is due (or will be, for a dry run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueItem {
    pub record: String,
    pub subject: String,
    pub category: String,
    /// The due date computed at write time.
    pub due: DateTime<Utc>,
    /// Whether the longer incident period applied (reported, not recomputed).
    pub incident_linked: bool,
}

/// What happens to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Crypto-shred it now.
    Delete,
    /// Replace it by its anonymised form now.
    Anonymise,
    /// Kept: legal holds cover it.
    Held { holds: Vec<String> },
    /// Not due yet (dry run over a horizon): `goes_at` says when.
    Scheduled { then: Expiry },
    /// Kept: its category is not declared any more.
    UnknownCategory,
}

/// Delete or anonymise, as declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expiry {
    Delete,
    Anonymise,
}

impl From<OnExpiry> for Expiry {
    fn from(value: OnExpiry) -> Self {
        match value {
            OnExpiry::Delete => Expiry::Delete,
            OnExpiry::Anonymise => Expiry::Anonymise,
        }
    }
}

/// The decision for one record, and the date it goes (`None`: not known,
/// e.g. held until released).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub record: String,
    pub category: String,
    pub due: DateTime<Utc>,
    #[serde(flatten)]
    pub action: Action,
    pub goes_at: Option<DateTime<Utc>>,
}

/// Counts for one category. Never values or subject ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CategoryCounts {
    pub delete: u64,
    pub anonymise: u64,
    /// Kept because of legal holds.
    pub held: u64,
    /// The holds that kept them.
    pub holds: BTreeSet<String>,
    /// Due later (dry run over a horizon).
    pub scheduled: u64,
    /// Among all of the above, records under the longer incident period.
    pub incident_linked: u64,
    /// Kept because the category is no longer declared.
    pub undeclared: u64,
}

/// The summary of a purge (or of a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeSummary {
    pub at: Option<DateTime<Utc>>,
    pub categories: BTreeMap<String, CategoryCounts>,
}

impl PurgeSummary {
    /// Records deleted or anonymised across categories.
    pub fn removed(&self) -> u64 {
        self.categories
            .values()
            .map(|c| c.delete + c.anonymise)
            .sum()
    }
}

/// What each declared category does on expiry.
pub fn expiry_by_category(declarations: &Declarations) -> BTreeMap<String, Expiry> {
    declarations
        .categories
        .iter()
        .map(|(name, c)| (name.get_ref().clone(), c.on_expiry.into()))
        .collect()
}

/// Decides, record by record, and counts.
pub struct Planner<'a> {
    now: DateTime<Utc>,
    expiry: &'a BTreeMap<String, Expiry>,
    holds: &'a [Hold],
    summary: PurgeSummary,
}

impl<'a> Planner<'a> {
    /// A planner at `now`, with each category's declared expiry and every
    /// hold (active or not: each is checked at the date that matters).
    pub fn new(
        now: DateTime<Utc>,
        expiry: &'a BTreeMap<String, Expiry>,
        holds: &'a [Hold],
    ) -> Self {
        Planner {
            now,
            expiry,
            holds,
            summary: PurgeSummary {
                at: Some(now),
                categories: BTreeMap::new(),
            },
        }
    }

    /// Decide for one record and count the decision.
    pub fn decide(&mut self, item: &DueItem) -> Decision {
        let decision = self.judge(item);
        self.count(item, &decision);
        decision
    }

    /// Decide for one record without counting it (count it with
    /// [`Planner::count`] once the action is done).
    pub fn judge(&self, item: &DueItem) -> Decision {
        let (action, goes_at) = match self.expiry.get(&item.category) {
            None => (Action::UnknownCategory, None),
            Some(&expiry) => {
                // A hold matters at the moment the record would go.
                let when = item.due.max(self.now);
                let holding = holds_covering(self.holds, &item.subject, &item.category, when);
                if !holding.is_empty() {
                    // It goes when the last hold lapses, if all have an end date.
                    let lapse = holding
                        .iter()
                        .map(|h| h.until)
                        .collect::<Option<Vec<_>>>()
                        .and_then(|ends| ends.into_iter().max());
                    let ids = holding.iter().map(|h| h.id.clone()).collect();
                    (Action::Held { holds: ids }, lapse)
                } else if item.due > self.now {
                    (Action::Scheduled { then: expiry }, Some(item.due))
                } else {
                    match expiry {
                        Expiry::Delete => (Action::Delete, Some(self.now)),
                        Expiry::Anonymise => (Action::Anonymise, Some(self.now)),
                    }
                }
            }
        };
        Decision {
            record: item.record.clone(),
            category: item.category.clone(),
            due: item.due,
            action,
            goes_at,
        }
    }

    /// Count a decision taken by [`Planner::judge`].
    pub fn count(&mut self, item: &DueItem, decision: &Decision) {
        let counts = self
            .summary
            .categories
            .entry(item.category.clone())
            .or_default();
        if item.incident_linked {
            counts.incident_linked += 1;
        }
        match &decision.action {
            Action::Delete => counts.delete += 1,
            Action::Anonymise => counts.anonymise += 1,
            Action::Held { holds } => {
                counts.held += 1;
                counts.holds.extend(holds.iter().cloned());
            }
            Action::Scheduled { .. } => counts.scheduled += 1,
            Action::UnknownCategory => counts.undeclared += 1,
        }
    }

    /// The counts so far.
    pub fn summary(&self) -> &PurgeSummary {
        &self.summary
    }

    /// The final counts.
    pub fn finish(self) -> PurgeSummary {
        self.summary
    }
}

/// A dry run: every decision (ordered by due date, then record) and the summary.
pub fn dry_run(
    now: DateTime<Utc>,
    expiry: &BTreeMap<String, Expiry>,
    holds: &[Hold],
    items: &[DueItem],
) -> (Vec<Decision>, PurgeSummary) {
    let mut planner = Planner::new(now, expiry, holds);
    let mut decisions: Vec<Decision> = items.iter().map(|i| planner.decide(i)).collect();
    decisions.sort_by(|a, b| (a.due, &a.record).cmp(&(b.due, &b.record)));
    (decisions, planner.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hold::{HoldScope, Release};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn item(record: &str, subject: &str, category: &str, due: &str) -> DueItem {
        DueItem {
            record: record.into(),
            subject: subject.into(),
            category: category.into(),
            due: t(due),
            incident_linked: false,
        }
    }

    fn hold(id: &str, scope: HoldScope, until: Option<&str>) -> Hold {
        Hold {
            id: id.into(),
            scope,
            reason: "litigation".into(),
            created_by: "dpo".into(),
            created_at: t("2026-01-01T00:00:00Z"),
            until: until.map(t),
            released: None,
        }
    }

    fn expiry() -> BTreeMap<String, Expiry> {
        BTreeMap::from([
            ("contact".to_string(), Expiry::Delete),
            ("navigation".to_string(), Expiry::Anonymise),
        ])
    }

    #[test]
    fn due_records_go_as_declared_and_held_ones_stay_with_their_hold_named() {
        let now = t("2027-06-01T00:00:00Z");
        let holds = vec![hold("HOLD-0001", HoldScope::Subject("sub_2".into()), None)];
        let e = expiry();
        let mut p = Planner::new(now, &e, &holds);
        let d1 = p.decide(&item("r1", "sub_1", "contact", "2027-05-01T00:00:00Z"));
        let d2 = p.decide(&item("r2", "sub_2", "contact", "2027-05-01T00:00:00Z"));
        let d3 = p.decide(&item("r3", "sub_1", "navigation", "2027-01-01T00:00:00Z"));
        assert_eq!(d1.action, Action::Delete);
        assert_eq!(d1.goes_at, Some(now));
        assert_eq!(
            d2.action,
            Action::Held {
                holds: vec!["HOLD-0001".into()]
            }
        );
        assert_eq!(d2.goes_at, None);
        assert_eq!(d3.action, Action::Anonymise);
        let s = p.finish();
        assert_eq!(s.categories["contact"].delete, 1);
        assert_eq!(s.categories["contact"].held, 1);
        assert_eq!(
            s.categories["contact"].holds,
            BTreeSet::from(["HOLD-0001".to_string()])
        );
        assert_eq!(s.categories["navigation"].anonymise, 1);
        assert_eq!(s.removed(), 2);
    }

    #[test]
    fn a_hold_with_an_end_date_says_when_the_record_goes() {
        let now = t("2027-06-01T00:00:00Z");
        let holds = vec![
            hold(
                "HOLD-0001",
                HoldScope::Category("contact".into()),
                Some("2027-09-01T00:00:00Z"),
            ),
            hold(
                "HOLD-0002",
                HoldScope::Subject("sub_1".into()),
                Some("2027-12-01T00:00:00Z"),
            ),
        ];
        let e = expiry();
        let mut p = Planner::new(now, &e, &holds);
        let d = p.decide(&item("r1", "sub_1", "contact", "2027-05-01T00:00:00Z"));
        assert_eq!(d.goes_at, Some(t("2027-12-01T00:00:00Z")));
        let d = p.decide(&item("r2", "sub_2", "contact", "2027-05-01T00:00:00Z"));
        assert_eq!(d.goes_at, Some(t("2027-09-01T00:00:00Z")));
    }

    #[test]
    fn released_or_lapsed_holds_no_longer_keep_anything() {
        let now = t("2027-06-01T00:00:00Z");
        let mut released = hold("HOLD-0001", HoldScope::Subject("sub_1".into()), None);
        released.released = Some(Release {
            by: "dpo".into(),
            at: t("2027-02-01T00:00:00Z"),
            reason: None,
        });
        let lapsed = hold(
            "HOLD-0002",
            HoldScope::Subject("sub_1".into()),
            Some("2027-03-01T00:00:00Z"),
        );
        let holds = vec![released, lapsed];
        let e = expiry();
        let mut p = Planner::new(now, &e, &holds);
        assert_eq!(
            p.decide(&item("r1", "sub_1", "contact", "2027-05-01T00:00:00Z"))
                .action,
            Action::Delete
        );
    }

    #[test]
    fn a_dry_run_shows_when_each_item_goes_and_checks_holds_at_that_date() {
        let now = t("2027-06-01T00:00:00Z");
        // This hold lapses before r2 is due: r2 is simply scheduled.
        let holds = vec![hold(
            "HOLD-0001",
            HoldScope::Subject("sub_2".into()),
            Some("2027-07-01T00:00:00Z"),
        )];
        let items = vec![
            item("r2", "sub_2", "navigation", "2027-08-01T00:00:00Z"),
            item("r1", "sub_1", "contact", "2027-05-01T00:00:00Z"),
            item("r3", "sub_3", "retired_category", "2027-05-02T00:00:00Z"),
        ];
        let (decisions, summary) = dry_run(now, &expiry(), &holds, &items);
        let lines: Vec<_> = decisions
            .iter()
            .map(|d| (d.record.as_str(), d.goes_at))
            .collect();
        assert_eq!(
            lines,
            [
                ("r1", Some(now)),
                ("r3", None),
                ("r2", Some(t("2027-08-01T00:00:00Z")))
            ]
        );
        assert_eq!(
            decisions[2].action,
            Action::Scheduled {
                then: Expiry::Anonymise
            }
        );
        assert_eq!(decisions[1].action, Action::UnknownCategory);
        assert_eq!(summary.categories["retired_category"].undeclared, 1);
        assert_eq!(summary.categories["navigation"].scheduled, 1);
        assert_eq!(summary.removed(), 1);
    }

    #[test]
    fn incident_linked_records_are_counted() {
        let now = t("2030-01-01T00:00:00Z");
        let e = expiry();
        let mut p = Planner::new(now, &e, &[]);
        let mut i = item("r1", "sub_1", "contact", "2029-12-01T00:00:00Z");
        i.incident_linked = true;
        p.decide(&i);
        p.decide(&item("r2", "sub_1", "contact", "2029-12-01T00:00:00Z"));
        let s = p.finish();
        assert_eq!(
            (
                s.categories["contact"].delete,
                s.categories["contact"].incident_linked
            ),
            (2, 1)
        );
    }

    proptest::proptest! {
        #[test]
        fn held_records_never_go_and_every_record_is_counted_once(
            rows in proptest::collection::vec((0u8..6, 0u8..3, -400i64..400, proptest::bool::ANY), 0..200),
            held_subject in 0u8..6,
            hold_days in proptest::option::of(1i64..300),
        ) {
            let now = t("2027-06-01T00:00:00Z");
            let mut h = hold("HOLD-0001", HoldScope::Subject(format!("sub_{held_subject}")), None);
            h.until = hold_days.map(|d| now + chrono::Duration::days(d));
            let holds = [h];
            let e = expiry();
            let mut p = Planner::new(now, &e, &holds);
            for (i, (subject, cat, days, incident)) in rows.iter().enumerate() {
                let item = DueItem {
                    record: format!("r{i}"),
                    subject: format!("sub_{subject}"),
                    category: ["contact", "navigation", "gone"][*cat as usize].into(),
                    due: now + chrono::Duration::days(*days),
                    incident_linked: *incident,
                };
                let d = p.decide(&item);
                let goes = matches!(d.action, Action::Delete | Action::Anonymise);
                let covered = holds[0].covers(&item.subject, &item.category)
                    && holds[0].is_active(item.due.max(now));
                proptest::prop_assert!(!(goes && covered), "held record {} goes", i);
                if goes {
                    proptest::prop_assert!(item.due <= now);
                }
            }
            let s = p.finish();
            let total: u64 = s.categories.values()
                .map(|c| c.delete + c.anonymise + c.held + c.scheduled + c.undeclared)
                .sum();
            proptest::prop_assert_eq!(total, rows.len() as u64);
        }
    }
}
