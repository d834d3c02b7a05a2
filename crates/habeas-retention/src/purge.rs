//! The purge loop: page through due records, decide each with the
//! [`Planner`], and have the vault delete or anonymise the page's records.
//!
//! The vault is reached through [`PurgeTarget`], so this loop is the same
//! on SQLite and PostgreSQL and is tested without either. Each page of due
//! records is handled by one call that the vault makes atomic (one
//! transaction: every record of the page fully gone or anonymised, or none
//! of them), so a purge interrupted at any point — an error, a crash, a
//! SIGKILL — is finished by the next run: what was done stays done, what
//! was not is still due. One commit per page instead of one per record is
//! what makes a million-record purge take seconds, not half an hour.
//! Held and undeclared records stay in the due list; keyset paging on
//! `(due, record)` steps over them.

use chrono::{DateTime, Utc};

use crate::hold::Hold;
use crate::plan::{Action, DueItem, Expiry, Planner, PurgeSummary};

/// The vault side of a purge.
pub trait PurgeTarget {
    /// Up to `limit` records due at or before `by`, ordered by `(due, record)`,
    /// strictly after `after` when given.
    fn due_page(
        &self,
        by: DateTime<Utc>,
        after: Option<&(DateTime<Utc>, String)>,
        limit: usize,
    ) -> Result<Vec<DueItem>, String>;
    /// Crypto-shred the records of `delete` and replace those of `anonymise`
    /// by their anonymised form, all in one atomic step: on `Err`, none of
    /// them changed. A record already gone (erased meanwhile) is skipped.
    fn apply(&self, delete: &[DueItem], anonymise: &[DueItem]) -> Result<(), String>;
}

/// A purge that stopped on an error: what it did before, and why it stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the purge stopped after removing {} records: {error}; the next run finishes it", done.removed())]
pub struct PurgeInterrupted {
    pub done: PurgeSummary,
    pub error: String,
}

/// Purge everything due at `now`, `page` records at a time (one atomic
/// vault call per page).
pub fn run_purge(
    target: &dyn PurgeTarget,
    now: DateTime<Utc>,
    expiry: &std::collections::BTreeMap<String, Expiry>,
    holds: &[Hold],
    page: usize,
) -> Result<PurgeSummary, PurgeInterrupted> {
    let mut planner = Planner::new(now, expiry, holds);
    let mut after: Option<(DateTime<Utc>, String)> = None;
    let page = page.max(1);
    loop {
        let items = target
            .due_page(now, after.as_ref(), page)
            .map_err(|error| PurgeInterrupted {
                done: planner.summary().clone(),
                error,
            })?;
        let Some(last) = items.last() else { break };
        after = Some((last.due, last.record.clone()));
        // Judge the whole page first, count it once the vault has done it:
        // a failed page is not counted.
        let decisions: Vec<_> = items.iter().map(|item| planner.judge(item)).collect();
        let mut delete = Vec::new();
        let mut anonymise = Vec::new();
        for (item, decision) in items.iter().zip(&decisions) {
            match decision.action {
                Action::Delete => delete.push(item.clone()),
                Action::Anonymise => anonymise.push(item.clone()),
                Action::Held { .. } | Action::Scheduled { .. } | Action::UnknownCategory => {}
            }
        }
        if (!delete.is_empty() || !anonymise.is_empty())
            && let Err(error) = target.apply(&delete, &anonymise)
        {
            return Err(PurgeInterrupted {
                done: planner.finish(),
                error,
            });
        }
        for (item, decision) in items.iter().zip(&decisions) {
            planner.count(item, decision);
        }
        if items.len() < page {
            break;
        }
    }
    Ok(planner.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hold::HoldScope;
    use chrono::Duration;
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;

    /// An in-memory vault: records by (due, id), plus what was anonymised;
    /// each `apply` is one atomic page.
    struct Vault {
        records: RefCell<BTreeMap<(DateTime<Utc>, String), DueItem>>,
        anonymised: RefCell<Vec<String>>,
        fail_after: Cell<Option<usize>>,
        calls: Cell<usize>,
        pages: Cell<usize>,
    }

    impl Vault {
        fn new(n: usize, start: DateTime<Utc>) -> Self {
            let mut records = BTreeMap::new();
            for i in 0..n {
                let item = DueItem {
                    record: format!("r{i:05}"),
                    subject: format!("sub_{}", i % 50),
                    category: if i % 3 == 0 { "navigation" } else { "contact" }.into(),
                    due: start + Duration::minutes(i as i64 % 97),
                    incident_linked: false,
                };
                records.insert((item.due, item.record.clone()), item);
            }
            Vault {
                records: RefCell::new(records),
                anonymised: RefCell::new(Vec::new()),
                fail_after: Cell::new(None),
                calls: Cell::new(0),
                pages: Cell::new(0),
            }
        }
    }

    impl PurgeTarget for Vault {
        fn due_page(
            &self,
            by: DateTime<Utc>,
            after: Option<&(DateTime<Utc>, String)>,
            limit: usize,
        ) -> Result<Vec<DueItem>, String> {
            Ok(self
                .records
                .borrow()
                .iter()
                .filter(|(k, v)| v.due <= by && after.is_none_or(|a| *k > a))
                .take(limit)
                .map(|(_, v)| v.clone())
                .collect())
        }
        fn apply(&self, delete: &[DueItem], anonymise: &[DueItem]) -> Result<(), String> {
            // All or nothing: a page that would cross the failure point fails whole.
            let n = self.calls.get() + delete.len() + anonymise.len();
            if self.fail_after.get().is_some_and(|limit| n > limit) {
                return Err("connection to the database lost".into());
            }
            self.calls.set(n);
            self.pages.set(self.pages.get() + 1);
            let mut records = self.records.borrow_mut();
            for item in delete.iter().chain(anonymise) {
                records.remove(&(item.due, item.record.clone()));
            }
            self.anonymised
                .borrow_mut()
                .extend(anonymise.iter().map(|i| i.record.clone()));
            Ok(())
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn expiry() -> BTreeMap<String, Expiry> {
        BTreeMap::from([
            ("contact".to_string(), Expiry::Delete),
            ("navigation".to_string(), Expiry::Anonymise),
        ])
    }

    fn hold_on(subject: &str) -> Hold {
        Hold {
            id: "HOLD-0001".into(),
            scope: HoldScope::Subject(subject.into()),
            reason: "litigation".into(),
            created_by: "dpo".into(),
            created_at: t0() - Duration::days(1),
            until: None,
            released: None,
        }
    }

    #[test]
    fn pages_through_everything_due_and_leaves_held_records() {
        let vault = Vault::new(3000, t0());
        let holds = [hold_on("sub_7")];
        let summary = run_purge(&vault, t0() + Duration::hours(2), &expiry(), &holds, 100).unwrap();
        // 3000 records, 60 of subject sub_7 held (i % 50 == 7).
        assert_eq!(summary.removed(), 2940);
        let held: u64 = summary.categories.values().map(|c| c.held).sum();
        assert_eq!(held, 60);
        assert_eq!(vault.records.borrow().len(), 60);
        assert!(
            vault
                .records
                .borrow()
                .values()
                .all(|r| r.subject == "sub_7")
        );
        assert_eq!(
            vault.anonymised.borrow().len() as u64,
            summary.categories["navigation"].anonymise
        );
        // One vault call per page of 100, not one per record.
        assert_eq!(vault.pages.get(), 30);
    }

    #[test]
    fn only_what_is_due_goes() {
        let vault = Vault::new(970, t0());
        // Due times spread over 97 minutes; purge at +48 min takes minutes 0..=48.
        let summary = run_purge(&vault, t0() + Duration::minutes(48), &expiry(), &[], 64).unwrap();
        assert_eq!(summary.removed(), 490);
        assert!(
            vault
                .records
                .borrow()
                .values()
                .all(|r| r.due > t0() + Duration::minutes(48))
        );
    }

    #[test]
    fn an_interrupted_purge_counts_only_what_it_did_and_the_next_run_finishes() {
        let vault = Vault::new(1000, t0());
        vault.fail_after.set(Some(499));
        let now = t0() + Duration::hours(2);
        let err = run_purge(&vault, now, &expiry(), &[], 128).unwrap_err();
        // Pages of 128: three went whole, the fourth (records 384..512)
        // failed whole and nothing of it is counted or gone.
        assert_eq!(err.done.removed(), 384);
        assert_eq!(vault.records.borrow().len(), 616);
        assert!(err.to_string().contains("next run finishes it"), "{err}");
        vault.fail_after.set(None);
        let rest = run_purge(&vault, now, &expiry(), &[], 128).unwrap();
        assert_eq!(rest.removed(), 616);
        assert!(vault.records.borrow().is_empty());
    }
}
