//! The purge loop: page through due records, decide each with the
//! [`Planner`], and have the vault delete or anonymise the page's records.
//!
//! The vault is reached through [`PurgeTarget`], so this loop is the same
//! on SQLite and PostgreSQL and is tested without either. Each page of due
//! records is handled by one commit that the vault makes atomic (one
//! transaction: every record of the page fully gone or anonymised, or none
//! of them), so a purge interrupted at any point — an error, a crash, a
//! SIGKILL — is finished by the next run: what was done stays done, what
//! was not is still due. One commit per page instead of one per record is
//! what makes a million-record purge take seconds, not half an hour.
//! Held and undeclared records stay in the due list; keyset paging on
//! `(due, record)` steps over them.
//!
//! **Pipelined.** While page N commits on the store's writer, page N+1 is
//! listed, judged and prepared (reads, decryption, anonymisation). What
//! page N's commit could change is left out of that early preparation: the
//! (subject, category) pairs page N touches are prepared only once page N
//! has committed ([`PurgeTarget::prepare`]'s `busy`), and page N+1 is
//! queued only after page N is known to be durable. So each page sees the
//! store exactly as the sequential loop did, and a crash still leaves each
//! page whole or absent.
//!
//! **Holds placed during the purge** (Art. 17(3)(e)). The holds are read
//! once at the start; each page's commit carries the number of holds it was
//! judged with, and the vault refuses the page inside its transaction if a
//! hold was placed meanwhile ([`PageError::HoldsChanged`]). The loop then
//! re-reads the holds and judges the page again, so a record a new hold
//! covers is never purged once that hold is committed.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::hold::Hold;
use crate::plan::{Action, Decision, DueItem, Expiry, Planner, PurgeSummary};

/// What one page asks the vault to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageWork {
    /// Records to crypto-shred.
    pub delete: Vec<DueItem>,
    /// Records to replace by their anonymised form.
    pub anonymise: Vec<DueItem>,
    /// How many holds (active or not) the page was judged with: the commit
    /// is refused if the store holds another number by then.
    pub holds_known: usize,
}

/// Why a page's commit did not happen (in every case nothing of it changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// A legal hold was placed after the page was judged: judge it again.
    HoldsChanged,
    /// Anything else: the purge stops; the next run finishes it.
    Failed(String),
}

/// Record ids a committed page left as they were: gone meanwhile (erased
/// with their subject) or no longer due as judged (rectified, Art. 16 — a
/// later run judges them on their new date). Not counted as purged.
pub type Untouched = BTreeSet<String>;

/// The vault side of a purge, in three steps per page so that the next
/// page is prepared while one commits.
pub trait PurgeTarget {
    /// A page ready to be queued.
    type Prepared;
    /// A page queued to the store's writer.
    type Committing;
    /// Up to `limit` records due at or before `by`, ordered by `(due, record)`,
    /// strictly after `after` when given.
    fn due_page(
        &self,
        by: DateTime<Utc>,
        after: Option<&(DateTime<Utc>, String)>,
        limit: usize,
    ) -> Result<Vec<DueItem>, String>;
    /// Every hold, active or not, as stored now (re-read when a page is
    /// refused with [`PageError::HoldsChanged`]). Fails closed.
    fn holds(&self) -> Result<Vec<Hold>, String>;
    /// Prepare `work` without changing anything. `busy` names the
    /// `(subject, category)` pairs of the page committing meanwhile: what
    /// depends on them must wait for [`PurgeTarget::submit`], which is only
    /// called once that page is durable.
    fn prepare(
        &self,
        work: PageWork,
        busy: &BTreeSet<(String, String)>,
    ) -> Result<Self::Prepared, String>;
    /// Finish the preparation and queue the page's commit; returns at once.
    fn submit(&self, page: Self::Prepared) -> Result<Self::Committing, String>;
    /// Wait until the page is durable. On `Err` none of its records
    /// changed. A record already gone (erased meanwhile) or no longer due
    /// as judged (rectified meanwhile) is left alone and named in the
    /// returned set.
    fn finish(&self, page: Self::Committing) -> Result<Untouched, PageError>;
}

/// A purge that stopped on an error: what it did before, and why it stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the purge stopped after removing {} records: {error}; the next run finishes it", done.removed())]
pub struct PurgeInterrupted {
    pub done: PurgeSummary,
    pub error: String,
}

/// Judging the same page again after a hold appeared: at most this many times.
const HOLD_RETRIES: usize = 3;

/// A page of due records and the decision for each.
struct Judged {
    items: Vec<DueItem>,
    decisions: Vec<Decision>,
}

impl Judged {
    fn new(
        items: Vec<DueItem>,
        now: DateTime<Utc>,
        expiry: &std::collections::BTreeMap<String, Expiry>,
        holds: &[Hold],
    ) -> Self {
        let planner = Planner::new(now, expiry, holds);
        let decisions = items.iter().map(|item| planner.judge(item)).collect();
        Judged { items, decisions }
    }

    /// What the vault must do, or `None` when every record is kept.
    fn work(&self, holds_known: usize) -> Option<PageWork> {
        let mut delete = Vec::new();
        let mut anonymise = Vec::new();
        for (item, decision) in self.items.iter().zip(&self.decisions) {
            match decision.action {
                Action::Delete => delete.push(item.clone()),
                Action::Anonymise => anonymise.push(item.clone()),
                Action::Held { .. } | Action::Scheduled { .. } | Action::UnknownCategory => {}
            }
        }
        (!delete.is_empty() || !anonymise.is_empty()).then_some(PageWork {
            delete,
            anonymise,
            holds_known,
        })
    }

    /// The `(subject, category)` pairs the page changes.
    fn pairs(&self) -> BTreeSet<(String, String)> {
        self.items
            .iter()
            .zip(&self.decisions)
            .filter(|(_, d)| matches!(d.action, Action::Delete | Action::Anonymise))
            .map(|(i, _)| (i.subject.clone(), i.category.clone()))
            .collect()
    }
}

/// A page queued to the vault (or with nothing to do).
struct InFlight<C> {
    judged: Judged,
    committing: Option<C>,
}

/// Purge everything due at `now`, `page` records at a time (one atomic
/// vault commit per page), preparing each page while the previous one
/// commits.
pub fn run_purge<T: PurgeTarget>(
    target: &T,
    now: DateTime<Utc>,
    expiry: &std::collections::BTreeMap<String, Expiry>,
    holds: &[Hold],
    page: usize,
) -> Result<PurgeSummary, PurgeInterrupted> {
    // Counts only (`count` does not look at the holds).
    let mut counter = Planner::new(now, expiry, &[]);
    let mut holds = holds.to_vec();
    let mut after: Option<(DateTime<Utc>, String)> = None;
    let mut exhausted = false;
    let mut in_flight: Option<InFlight<T::Committing>> = None;
    let page = page.max(1);
    let stop = |counter: &Planner<'_>, error: String| PurgeInterrupted {
        done: counter.summary().clone(),
        error,
    };
    loop {
        // The next page, listed and prepared while the one in flight commits.
        // An error here is returned only once that page is settled, so the
        // summary counts it if it committed.
        let ahead = (|| {
            let items = if exhausted {
                Vec::new()
            } else {
                let items = target.due_page(now, after.as_ref(), page)?;
                exhausted = items.len() < page;
                if let Some(last) = items.last() {
                    after = Some((last.due, last.record.clone()));
                }
                items
            };
            let next = Judged::new(items, now, expiry, &holds);
            let busy = in_flight
                .as_ref()
                .map(|f| f.judged.pairs())
                .unwrap_or_default();
            let prepared = match next.work(holds.len()) {
                Some(work) => Some(target.prepare(work, &busy)?),
                None => None,
            };
            Ok::<_, String>((next, prepared))
        })();
        if ahead.is_err()
            && let Some(flight) = in_flight.take()
        {
            let done = match flight.committing {
                Some(committing) => target.finish(committing).ok(),
                None => Some(Untouched::new()),
            };
            if let Some(untouched) = done {
                count(&mut counter, &flight.judged, &untouched);
            }
        }
        let (mut next, mut prepared) = ahead.map_err(|e| stop(&counter, e))?;
        if let Some(flight) = in_flight.take() {
            let outcome = match flight.committing {
                Some(committing) => target.finish(committing),
                None => Ok(Untouched::new()),
            };
            match outcome {
                Ok(untouched) => count(&mut counter, &flight.judged, &untouched),
                Err(PageError::HoldsChanged) => {
                    // A hold was placed: re-read them, redo this page now,
                    // and judge the next one again.
                    holds = target.holds().map_err(|e| stop(&counter, e))?;
                    let (redone, untouched) =
                        apply_now(target, flight.judged.items, now, expiry, &mut holds)
                            .map_err(|e| stop(&counter, e))?;
                    count(&mut counter, &redone, &untouched);
                    next = Judged::new(next.items, now, expiry, &holds);
                    prepared = match next.work(holds.len()) {
                        Some(work) => Some(
                            target
                                .prepare(work, &BTreeSet::new())
                                .map_err(|e| stop(&counter, e))?,
                        ),
                        None => None,
                    };
                }
                Err(PageError::Failed(error)) => return Err(stop(&counter, error)),
            }
        }
        if next.items.is_empty() {
            break;
        }
        let committing = match prepared {
            Some(p) => Some(target.submit(p).map_err(|e| stop(&counter, e))?),
            None => None,
        };
        in_flight = Some(InFlight {
            judged: next,
            committing,
        });
    }
    Ok(counter.finish())
}

/// Judge, prepare and commit one page with nothing else in flight, judging
/// it again (with the holds re-read) while holds keep appearing.
fn apply_now<T: PurgeTarget>(
    target: &T,
    items: Vec<DueItem>,
    now: DateTime<Utc>,
    expiry: &std::collections::BTreeMap<String, Expiry>,
    holds: &mut Vec<Hold>,
) -> Result<(Judged, Untouched), String> {
    let mut items = items;
    for _ in 0..HOLD_RETRIES {
        let judged = Judged::new(items, now, expiry, holds);
        let Some(work) = judged.work(holds.len()) else {
            return Ok((judged, Untouched::new()));
        };
        let prepared = target.prepare(work, &BTreeSet::new())?;
        match target.finish(target.submit(prepared)?) {
            Ok(untouched) => return Ok((judged, untouched)),
            Err(PageError::HoldsChanged) => *holds = target.holds()?,
            Err(PageError::Failed(error)) => return Err(error),
        }
        items = judged.items;
    }
    Err("legal holds kept being placed while the purge ran; nothing of this page changed".into())
}

/// Count a page once the vault has done it: a failed page is not counted,
/// nor a record the page left `untouched`.
fn count(counter: &mut Planner<'_>, judged: &Judged, untouched: &Untouched) {
    for (item, decision) in judged.items.iter().zip(&judged.decisions) {
        if !untouched.contains(&item.record) {
            counter.count(item, decision);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hold::HoldScope;
    use chrono::Duration;
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;

    /// An in-memory vault: records by (due, id), plus what was anonymised;
    /// each page's `finish` is one atomic commit, refused when the number of
    /// holds changed since the page was judged.
    struct Vault {
        records: RefCell<BTreeMap<(DateTime<Utc>, String), DueItem>>,
        anonymised: RefCell<Vec<String>>,
        holds: RefCell<Vec<Hold>>,
        /// A hold placed right after this many pages were prepared.
        hold_after: Cell<Option<(usize, Hold)>>,
        prepared: Cell<usize>,
        fail_after: Cell<Option<usize>>,
        calls: Cell<usize>,
        pages: Cell<usize>,
        /// Whether a page was prepared while another was queued.
        overlapped: Cell<bool>,
        /// The listing fails from this call on.
        listing_fails_at: Cell<Option<usize>>,
        listings: Cell<usize>,
        queued: Cell<usize>,
        /// Records rectified after the listing: no longer due as judged.
        rectified: RefCell<BTreeSet<String>>,
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
                holds: RefCell::new(Vec::new()),
                hold_after: Cell::new(None),
                prepared: Cell::new(0),
                fail_after: Cell::new(None),
                calls: Cell::new(0),
                pages: Cell::new(0),
                overlapped: Cell::new(false),
                listing_fails_at: Cell::new(None),
                listings: Cell::new(0),
                queued: Cell::new(0),
                rectified: RefCell::new(BTreeSet::new()),
            }
        }
    }

    impl PurgeTarget for Vault {
        type Prepared = PageWork;
        type Committing = PageWork;

        fn due_page(
            &self,
            by: DateTime<Utc>,
            after: Option<&(DateTime<Utc>, String)>,
            limit: usize,
        ) -> Result<Vec<DueItem>, String> {
            self.listings.set(self.listings.get() + 1);
            if self
                .listing_fails_at
                .get()
                .is_some_and(|n| self.listings.get() >= n)
            {
                return Err("the due query timed out".into());
            }
            Ok(self
                .records
                .borrow()
                .iter()
                .filter(|(k, v)| v.due <= by && after.is_none_or(|a| *k > a))
                .take(limit)
                .map(|(_, v)| v.clone())
                .collect())
        }
        fn holds(&self) -> Result<Vec<Hold>, String> {
            Ok(self.holds.borrow().clone())
        }
        fn prepare(
            &self,
            work: PageWork,
            busy: &BTreeSet<(String, String)>,
        ) -> Result<PageWork, String> {
            if self.queued.get() > 0 {
                self.overlapped.set(true);
                // The loop names the queued page's pairs.
                assert!(!busy.is_empty());
            }
            self.prepared.set(self.prepared.get() + 1);
            if let Some((after, hold)) = self.hold_after.take() {
                if self.prepared.get() >= after {
                    self.holds.borrow_mut().push(hold);
                } else {
                    self.hold_after.set(Some((after, hold)));
                }
            }
            Ok(work)
        }
        fn submit(&self, page: PageWork) -> Result<PageWork, String> {
            self.queued.set(self.queued.get() + 1);
            Ok(page)
        }
        fn finish(&self, page: PageWork) -> Result<Untouched, PageError> {
            self.queued.set(self.queued.get() - 1);
            if page.holds_known != self.holds.borrow().len() {
                return Err(PageError::HoldsChanged);
            }
            // All or nothing: a page that would cross the failure point fails whole.
            let n = self.calls.get() + page.delete.len() + page.anonymise.len();
            if self.fail_after.get().is_some_and(|limit| n > limit) {
                return Err(PageError::Failed("connection to the database lost".into()));
            }
            self.calls.set(n);
            self.pages.set(self.pages.get() + 1);
            let mut records = self.records.borrow_mut();
            let rectified = self.rectified.borrow();
            let mut untouched = Untouched::new();
            for item in page.delete.iter().chain(&page.anonymise) {
                if rectified.contains(&item.record) {
                    untouched.insert(item.record.clone());
                } else {
                    records.remove(&(item.due, item.record.clone()));
                }
            }
            self.anonymised.borrow_mut().extend(
                page.anonymise
                    .iter()
                    .filter(|i| !untouched.contains(&i.record))
                    .map(|i| i.record.clone()),
            );
            Ok(untouched)
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
        *vault.holds.borrow_mut() = holds.to_vec();
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
        assert!(
            vault.overlapped.get(),
            "a page is prepared while the previous one commits"
        );
    }

    #[test]
    fn records_rectified_after_the_listing_stay_and_are_not_counted() {
        let vault = Vault::new(300, t0());
        vault
            .rectified
            .borrow_mut()
            .extend(["r00001".to_string(), "r00003".to_string()]);
        let summary = run_purge(&vault, t0() + Duration::hours(2), &expiry(), &[], 100).unwrap();
        assert_eq!(summary.removed(), 298, "{summary:?}");
        let left: Vec<String> = vault
            .records
            .borrow()
            .values()
            .map(|r| r.record.clone())
            .collect();
        assert_eq!(left, vec!["r00001".to_string(), "r00003".to_string()]);
        assert!(!vault.anonymised.borrow().contains(&"r00003".to_string()));
    }

    #[test]
    fn a_hold_placed_during_the_purge_keeps_what_it_covers() {
        let vault = Vault::new(3000, t0());
        // Placed once the third page is prepared: the second page, queued
        // with one hold known, is refused, judged again and redone.
        let mut late = hold_on("sub_3");
        late.id = "HOLD-0002".into();
        vault.hold_after.set(Some((3, late)));
        *vault.holds.borrow_mut() = vec![hold_on("sub_7")];
        let holds = vault.holds.borrow().clone();
        let summary = run_purge(&vault, t0() + Duration::hours(2), &expiry(), &holds, 100).unwrap();
        let left = vault.records.borrow();
        let of = |s: &str| left.values().filter(|r| r.subject == s).count();
        assert_eq!(of("sub_7"), 60, "the first hold kept everything it covers");
        // sub_3's records of pages 1 and 2 went before the hold was
        // placed; none of the later ones went.
        assert!(of("sub_3") >= 54, "{} left", of("sub_3"));
        assert_eq!(summary.removed() as usize, 3000 - left.len());
        let held: u64 = summary.categories.values().map(|c| c.held).sum();
        assert_eq!(
            held as usize,
            left.len(),
            "every record left is counted held"
        );
        assert!(
            summary
                .categories
                .values()
                .any(|c| c.holds.contains("HOLD-0002"))
        );
    }

    #[test]
    fn a_listing_error_still_counts_the_page_that_was_committing() {
        let vault = Vault::new(1000, t0());
        // The third listing fails while the second page is queued: that
        // page commits and is counted.
        vault.listing_fails_at.set(Some(3));
        let err = run_purge(&vault, t0() + Duration::hours(2), &expiry(), &[], 100).unwrap_err();
        assert_eq!(err.error, "the due query timed out");
        assert_eq!(err.done.removed(), 200);
        assert_eq!(vault.records.borrow().len(), 800);
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
