//! The vault side of retention (GDPR Art. 5(1)(e), storage limitation; SPEC
//! C5): what `habeas purge` and the scheduled purge call.
//!
//! [`VaultPurge`] implements `habeas_retention::purge::PurgeTarget` over the
//! vault: pages of due records from the store (keyset on due date, record
//! id, with the incident flag), each applied as steps of at most
//! [`STEP_RECORDS`] records, whole (subject, category) groups, each step
//! one atomic unit: its deletions and anonymisations (the category's
//! `keep_generalised` profile, re-sealed in place with no due date), the
//! blind-index entries no remaining record of the subject carries, its
//! guards (the hold count, the groups as read) and one journal entry per
//! category with counts (never a value, never a record id). The steps go
//! to the store together (`Store::commit_steps`): on SQLite they share one
//! transaction unless an audited read waits between two, which then
//! commits with the steps done so far — the read waits for one step, not
//! the page (docs/benchmarks-retention.md, session 7). Each step is
//! atomic, so a purge killed at any point leaves every record fully there
//! or fully gone; a step refused by a guard is planned again (on SQLite
//! with the steps not yet committed beside it). When the page takes every
//! record a subject has in a category (checked with one count query per
//! page), the subject's index entries of that category all go with no read
//! and no decryption; a category declaring no identifier has no index
//! entries, so its deletions need no read either. Only a subject keeping
//! some records of the category, or a record to anonymise, has its records
//! of the category read and decrypted (once per page), to remove only the
//! entries no remaining record carries. Wrapped data keys are left as for a
//! single-record deletion (a subject's key stays while the subject exists;
//! erasure shreds it).
//!
//! [`expire_partitions`] drops whole months of high-volume categories whose
//! rule is "N after collection" once the month's last row is due, unless a
//! legal hold names the category or a held subject has rows there.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use habeas_core::retention::{Anchor, Period};
use habeas_crypto::Aad;
use habeas_retention::anonymise::Profile;
use habeas_retention::hold::{HOLD_KIND, Hold, HoldFilter, HoldScope, HoldService};
use habeas_retention::plan::DueItem;
use habeas_retention::purge::{PageError, PageWork, PurgeTarget, Untouched};
use habeas_store::{
    BlindIndexEntry, DueDeletion, DueQuery, Record, RecordSeen, UnitOutcome, WriteOp, WriteUnit,
};
use serde::Serialize;
use serde_json::Value;

use crate::access::Caller;
use crate::committer::PendingSteps;
use crate::error::{EngineError, Result};
use crate::validate;
use crate::vault::{KEY_VERSION, Stored, Vault, shredded};

/// No pause before a purge page by default, on either backend: a page is
/// committed in steps of at most [`STEP_RECORDS`] records and the audited
/// reads waiting are committed between two of them — by SQLite's writer
/// (`Store::commit_steps`), by the committer on PostgreSQL — so a pause
/// only lengthens the purge (docs/benchmarks-retention.md: SQLite 1M of 10M
/// in 23.2 s, reads' p99 7.8 ms; PostgreSQL at 150k records, reads' p99
/// 12–15 ms without a pause and 12–13 ms with 10 ms, the purge a third
/// slower with it). [`VaultPurge::with_pause`] sets one.
pub const DEFAULT_PAUSE: std::time::Duration = std::time::Duration::ZERO;

/// The purge's view of the vault, acting as one caller (journaled as such).
pub struct VaultPurge<'a> {
    vault: &'a Vault,
    caller: Caller,
    profiles: BTreeMap<String, Profile>,
    /// Idle time of the store's writer before each page is queued.
    pause: std::time::Duration,
}

impl<'a> VaultPurge<'a> {
    /// The purge target over `vault`; every change is journaled as `caller`.
    pub fn new(vault: &'a Vault, caller: Caller) -> Self {
        let profiles = vault
            .decls
            .categories
            .iter()
            .map(|(name, c)| {
                (
                    name.get_ref().clone(),
                    Profile::for_category(name.get_ref(), c),
                )
            })
            .collect();
        VaultPurge {
            vault,
            caller,
            profiles,
            pause: DEFAULT_PAUSE,
        }
    }

    /// Wait `pause` before queueing each page (default: [`DEFAULT_PAUSE`]):
    /// the store's writer then commits the audited reads waiting behind the
    /// previous page alone, at the cost of purge throughput
    /// (docs/benchmarks-retention.md).
    pub fn with_pause(mut self, pause: std::time::Duration) -> Self {
        self.pause = pause;
        self
    }

    /// Every record due at or before `by` (for a dry run), in `(due, id)`
    /// order, `page` at a time from the store.
    pub fn due_by(&self, by: DateTime<Utc>, page: usize) -> Result<Vec<DueItem>> {
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let items = self.page(by, after.as_ref(), page.max(1))?;
            let full = items.len() == page.max(1);
            after = items.last().map(|i| (i.due, i.record.clone()));
            out.extend(items);
            if !full {
                return Ok(out);
            }
        }
    }

    fn page(
        &self,
        by: DateTime<Utc>,
        after: Option<&(DateTime<Utc>, String)>,
        limit: usize,
    ) -> Result<Vec<DueItem>> {
        let rows = self.vault.store.due_records(&DueQuery {
            due_by: by,
            category: None,
            after: after.cloned(),
            limit,
        })?;
        Ok(rows
            .into_iter()
            .map(|r| DueItem {
                record: r.id,
                subject: r.subject_id,
                category: r.category,
                due: r.retention_due,
                // The due date already includes the longer incident period.
                incident_linked: r.incident_linked,
            })
            .collect())
    }

    /// Plan the deletions and anonymisations of `delete` and `anonymise`
    /// into `plan`, group by (subject, category), reading the store as it
    /// is now.
    ///
    /// A (subject, category) whose every stored record goes in this page
    /// (one count query for the page) and none of them is anonymised needs
    /// no read: all the subject's index entries of the category go, with
    /// one `RemoveCategoryIndexes` op that the store refuses if a record of
    /// the pair was written meanwhile (the page is then retried). Only a
    /// subject keeping some records of the category, or a record to
    /// anonymise, is read and decrypted.
    fn plan_groups(
        &self,
        delete: &[DueItem],
        anonymise: &[DueItem],
        plan: &mut PagePlan,
    ) -> Result<()> {
        let vault = self.vault;
        let anonymised: BTreeSet<&str> = anonymise.iter().map(|i| i.record.as_str()).collect();
        let mut groups: BTreeMap<(&str, &str), Vec<&DueItem>> = BTreeMap::new();
        for item in delete.iter().chain(anonymise) {
            groups
                .entry((item.subject.as_str(), item.category.as_str()))
                .or_default()
                .push(item);
        }
        let indexed = |category: &str| {
            vault
                .decls
                .category(category)
                .is_some_and(|d| !d.identifiers.is_empty())
        };
        let whole = self.whole_groups(&groups, &anonymised, &indexed)?;
        for ((subject, category), items) in groups {
            if !plan.purposes.contains_key(category) {
                let purpose = vault.authorize(&self.caller, "delete", None, category)?;
                plan.purposes.insert(category.to_string(), purpose);
            }
            let mut group = GroupPlan::new(category, &items);
            self.plan_group(subject, category, items, &whole, &anonymised, &mut group)?;
            plan.groups.push(group);
        }
        Ok(())
    }

    /// One (subject, category) group of [`VaultPurge::plan_groups`].
    fn plan_group(
        &self,
        subject: &str,
        category: &str,
        items: Vec<&DueItem>,
        whole: &BTreeSet<(&str, &str)>,
        anonymised: &BTreeSet<&str>,
        plan: &mut GroupPlan,
    ) -> Result<()> {
        let vault = self.vault;
        let count = &mut plan.counts;
        let indexed = vault
            .decls
            .category(category)
            .is_some_and(|d| !d.identifiers.is_empty());
        let any_anonymised = items.iter().any(|i| anonymised.contains(i.record.as_str()));
        if !indexed && !any_anonymised {
            // No identifier declared: no index entry to clean, nothing to read.
            for item in items {
                plan.deletions.push(deletion(item));
                count.add(item, false);
            }
            return Ok(());
        }
        if whole.contains(&(subject, category)) {
            // The subject's last records of the category: every index
            // entry of the category goes, nothing to decrypt.
            for item in items {
                plan.deletions.push(deletion(item));
                count.add(item, false);
            }
            plan.cleared = Some((subject.to_string(), category.to_string()));
            return Ok(());
        }
        let going: BTreeMap<&str, &DueItem> =
            items.iter().map(|i| (i.record.as_str(), *i)).collect();
        let records = vault.store.subject_records(subject, Some(category))?;
        let Some(dek) = vault.keys.get(subject, category)? else {
            if any_anonymised {
                return Err(shredded(category));
            }
            // Keys shredded (the subject was erased, its index entries
            // with it): what is left is unreadable; delete it.
            for r in records.iter().filter(|r| going.contains_key(r.id.as_str())) {
                plan.deletions.push(deletion(going[r.id.as_str()]));
                count.add(going[r.id.as_str()], false);
            }
            return Ok(());
        };
        // The plan below holds only while these records stay as read:
        // the commit checks it (a record written, rectified or re-dated
        // meanwhile refuses the page, which is then planned again).
        plan.guard = Some(WriteOp::RequireRecordsAsRead {
            subject_id: subject.to_string(),
            category: category.to_string(),
            records: records.iter().map(RecordSeen::of).collect(),
        });
        let mut old = Vec::new();
        let mut kept = BTreeSet::new();
        for record in records {
            let item = going.get(record.id.as_str()).copied();
            if item.is_none() && !indexed {
                continue;
            }
            let view = Stored::Record(record.clone()).open(subject, category, &dek)?;
            let entries = if indexed {
                self.entries_of(subject, category, &view.fields)?
            } else {
                Vec::new()
            };
            let Some(item) = item else {
                kept.extend(entries.into_iter().map(|e| (e.kind, e.digest)));
                continue;
            };
            old.extend(entries);
            if anonymised.contains(record.id.as_str()) {
                plan.replacements
                    .push(self.anonymised(item, record, &view.fields, &dek)?);
                count.add(item, true);
            } else {
                plan.deletions.push(deletion(item));
                count.add(item, false);
            }
        }
        for e in old {
            if !kept.contains(&(e.kind.clone(), e.digest.clone())) {
                plan.stale.insert((e.kind, e.digest, e.subject_id));
            }
        }
        Ok(())
    }

    /// One unit for `groups`: their data ops behind the hold guard, one
    /// journal entry per category (counts only). `None` when nothing is
    /// left to do (everything went meanwhile: erased subjects).
    fn unit(
        &self,
        groups: impl IntoIterator<Item = GroupPlan>,
        purposes: &BTreeMap<String, String>,
        holds_known: usize,
    ) -> Option<WriteUnit> {
        let mut guards = Vec::new();
        let mut deletions = Vec::new();
        let mut replacements = Vec::new();
        let mut cleared = Vec::new();
        let mut stale = BTreeSet::new();
        let mut counts: BTreeMap<String, PageCounts> = BTreeMap::new();
        for g in groups {
            guards.extend(g.guard);
            deletions.extend(g.deletions);
            replacements.extend(g.replacements);
            cleared.extend(g.cleared);
            stale.extend(g.stale);
            counts.entry(g.category).or_default().merge(&g.counts);
        }
        if deletions.is_empty() && replacements.is_empty() {
            return None;
        }
        let mut ops = Vec::with_capacity(replacements.len() + guards.len() + 4);
        // First: a legal hold placed since the page was judged refuses the
        // unit inside its transaction (holds are never deleted, so a new
        // one changes their number). Art. 17(3)(e).
        ops.push(WriteOp::RequireDocCount {
            kind: HOLD_KIND.to_string(),
            count: holds_known as u64,
        });
        // Then: the groups read to plan this page are still as read.
        ops.extend(guards);
        if !deletions.is_empty() {
            ops.push(WriteOp::DeleteRecords(deletions));
        }
        ops.extend(replacements);
        if !cleared.is_empty() {
            // After the deletions: the store checks no record of the pair is left.
            ops.push(WriteOp::RemoveCategoryIndexes(cleared));
        }
        if !stale.is_empty() {
            ops.push(WriteOp::RemoveBlindIndexes(
                stale
                    .into_iter()
                    .map(|(kind, digest, subject_id)| BlindIndexEntry {
                        kind,
                        digest,
                        subject_id,
                    })
                    .collect(),
            ));
        }
        let journal = counts
            .iter()
            .filter(|(_, c)| c.deleted + c.anonymised > 0)
            .map(|(category, c)| {
                self.vault
                    .entry(
                        &self.caller,
                        "retention.purge_page",
                        None,
                        Some(category),
                        purposes.get(category).map(String::as_str),
                        format!(
                            "deleted={} anonymised={} incident_linked={}",
                            c.deleted, c.anonymised, c.incident_linked
                        ),
                    )
                    .draft()
            })
            .collect();
        Some(WriteUnit { ops, journal })
    }

    /// The page's units, one per step of at most [`STEP_RECORDS`] records
    /// (whole groups), with the record ids each one changes.
    fn steps(&self, plan: PagePlan, holds_known: usize) -> Vec<(WriteUnit, BTreeSet<String>)> {
        let PagePlan { groups, purposes } = plan;
        let sizes: Vec<usize> = groups.iter().map(|g| g.records.len()).collect();
        let mut groups = groups.into_iter();
        step_ranges(&sizes, STEP_RECORDS)
            .into_iter()
            .filter_map(|range| {
                let step: Vec<GroupPlan> = groups.by_ref().take(range.len()).collect();
                let ids = step
                    .iter()
                    .flat_map(|g| g.records.iter().cloned())
                    .collect();
                let unit = self.unit(step, &purposes, holds_known)?;
                Some((unit, ids))
            })
            .collect()
    }

    /// Queue `plan` as steps (`None`: nothing left to commit), with the
    /// record ids each step changes.
    fn queue(&self, plan: PagePlan, holds_known: usize) -> Result<Option<Queued>> {
        let (units, ids): (Vec<WriteUnit>, Vec<BTreeSet<String>>) =
            self.steps(plan, holds_known).into_iter().unzip();
        if units.is_empty() {
            return Ok(None);
        }
        let pending = self.vault.committer.submit_steps_nowait(units)?;
        Ok(Some((pending, ids)))
    }

    /// The (subject, category) groups of indexed categories, with nothing
    /// to anonymise, whose every stored record is in the page: one count
    /// query for the whole page.
    fn whole_groups<'g>(
        &self,
        groups: &BTreeMap<(&'g str, &'g str), Vec<&DueItem>>,
        anonymised: &BTreeSet<&str>,
        indexed: &dyn Fn(&str) -> bool,
    ) -> Result<BTreeSet<(&'g str, &'g str)>> {
        let candidates: Vec<((&'g str, &'g str), u64)> = groups
            .iter()
            .filter(|((_, category), items)| {
                indexed(category) && !items.iter().any(|i| anonymised.contains(i.record.as_str()))
            })
            .map(|(pair, items)| (*pair, items.len() as u64))
            .collect();
        if candidates.is_empty() {
            return Ok(BTreeSet::new());
        }
        let pairs: Vec<(String, String)> = candidates
            .iter()
            .map(|((s, c), _)| (s.to_string(), c.to_string()))
            .collect();
        let stored = self.vault.store.count_subject_categories(&pairs)?;
        Ok(candidates
            .into_iter()
            .zip(stored)
            .filter(|((_, going), stored)| going == stored)
            .map(|(pair_going, _)| pair_going.0)
            .collect())
    }

    /// The items whose record still exists with the same subject and the
    /// due date it was judged by; the others go to `untouched` (erased with
    /// their subject, or rectified so that their due date moved — Art. 16:
    /// they are judged again by a later run, on their new date).
    fn still_due(&self, items: Vec<DueItem>, untouched: &mut Untouched) -> Result<Vec<DueItem>> {
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            match self.vault.store.get_record(&item.record)? {
                Some(r) if r.subject_id == item.subject && r.retention_due == Some(item.due) => {
                    kept.push(item)
                }
                _ => {
                    untouched.insert(item.record);
                }
            }
        }
        Ok(kept)
    }

    /// The anonymised replacement of `record` (decrypted `fields`), re-sealed
    /// with the same key; it leaves the retention schedule.
    fn anonymised(
        &self,
        item: &DueItem,
        record: Record,
        fields: &BTreeMap<String, Value>,
        dek: &habeas_crypto::DataKey,
    ) -> Result<WriteOp> {
        let category = record.category.clone();
        let profile = self.profiles.get(&category).ok_or_else(|| {
            EngineError::Config(format!(
                "category `{category}` is not declared: it cannot be anonymised"
            ))
        })?;
        let anonymised = profile.apply(fields, &self.vault.indexer);
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(&anonymised.fields)
                .map_err(|e| EngineError::Storage(e.to_string()))?,
        );
        let aad = Aad::record_field(&item.subject, &category, &item.record, "fields");
        let mut replaced = record;
        replaced.sealed = dek.seal(&plain, &aad)?;
        replaced.key_version = KEY_VERSION;
        // Anonymised data leave the retention schedule: kept for statistics.
        replaced.retention_due = None;
        Ok(WriteOp::ReplaceRecord(replaced))
    }

    /// Blind-index entries of decrypted `fields` of `category`.
    fn entries_of(
        &self,
        subject: &str,
        category: &str,
        fields: &BTreeMap<String, Value>,
    ) -> Result<Vec<BlindIndexEntry>> {
        let Some(decl) = self.vault.decls.category(category) else {
            return Ok(Vec::new());
        };
        let ids: Vec<(String, String)> = fields
            .iter()
            .filter(|(f, _)| decl.is_identifier(f))
            .filter_map(|(f, v)| {
                let kind = decl.field(f)?;
                v.as_str()
                    .map(|text| (validate::index_kind(kind, f), text.to_string()))
            })
            .collect();
        self.vault.index_entries(subject, category, &ids)
    }
}

/// A page prepared while the previous one commits: what could be planned
/// already, and the groups the previous page touches, planned at submit.
pub struct PreparedPage {
    work: PageWork,
    plan: PagePlan,
    deferred: (Vec<DueItem>, Vec<DueItem>),
}

/// Steps queued to the committer, with the record ids each one changes.
type Queued = (PendingSteps, Vec<BTreeSet<String>>);

/// A page queued to the committer as steps (`Ok(None)`: nothing left to
/// commit; `Err`: its planning failed, retried by `finish`).
pub struct CommittingPage {
    work: PageWork,
    queued: std::result::Result<Option<Queued>, String>,
}

impl PurgeTarget for VaultPurge<'_> {
    type Prepared = PreparedPage;
    type Committing = CommittingPage;

    fn due_page(
        &self,
        by: DateTime<Utc>,
        after: Option<&(DateTime<Utc>, String)>,
        limit: usize,
    ) -> std::result::Result<Vec<DueItem>, String> {
        self.page(by, after, limit).map_err(|e| e.to_string())
    }

    fn holds(&self) -> std::result::Result<Vec<Hold>, String> {
        let docs = self.vault.docs(self.caller.clone());
        HoldService::new(&docs, &*self.vault.clock)
            .list(HoldFilter::All)
            .map_err(|e| format!("legal holds cannot be read, the purge stops: {e}"))
    }

    fn prepare(
        &self,
        work: PageWork,
        busy: &BTreeSet<(String, String)>,
    ) -> std::result::Result<PreparedPage, String> {
        // Groups the committing page touches are planned once it is durable.
        let is_busy = |i: &DueItem| busy.contains(&(i.subject.clone(), i.category.clone()));
        let (later_d, now_d): (Vec<DueItem>, Vec<DueItem>) =
            work.delete.iter().cloned().partition(|i| is_busy(i));
        let (later_a, now_a): (Vec<DueItem>, Vec<DueItem>) =
            work.anonymise.iter().cloned().partition(|i| is_busy(i));
        let mut plan = PagePlan::default();
        self.plan_groups(&now_d, &now_a, &mut plan)
            .map_err(|e| e.to_string())?;
        Ok(PreparedPage {
            work,
            plan,
            deferred: (later_d, later_a),
        })
    }

    fn submit(&self, page: PreparedPage) -> std::result::Result<CommittingPage, String> {
        let PreparedPage {
            work,
            mut plan,
            deferred: (delete, anonymise),
        } = page;
        if !self.pause.is_zero() {
            std::thread::sleep(self.pause);
        }
        let pending = (|| -> Result<Option<Queued>> {
            if !delete.is_empty() || !anonymise.is_empty() {
                self.plan_groups(&delete, &anonymise, &mut plan)?;
            }
            self.queue(plan, work.holds_known)
        })();
        Ok(CommittingPage {
            work,
            // A planning failure (a record erased between the listing and
            // the read …) is retried when the page is finished.
            queued: pending.map_err(|e| e.to_string()),
        })
    }

    fn finish(&self, page: CommittingPage) -> std::result::Result<Untouched, PageError> {
        let CommittingPage { mut work, queued } = page;
        let mut untouched = Untouched::new();
        let mut first = Some(queued);
        let mut last = String::new();
        // A record erased with its subject, or rectified, between the
        // listing and the commit fails its step (nothing of the step is
        // stored, nor of the steps sharing its transaction): keep what is
        // still there and still due as judged, plan again from the store as
        // it is now, retry (three attempts in all).
        for _ in 0..3 {
            let queued = match first.take() {
                Some(queued) => queued,
                None => {
                    let fail = |e: EngineError| PageError::Failed(e.to_string());
                    work.delete = self
                        .still_due(std::mem::take(&mut work.delete), &mut untouched)
                        .map_err(fail)?;
                    work.anonymise = self
                        .still_due(std::mem::take(&mut work.anonymise), &mut untouched)
                        .map_err(fail)?;
                    let mut plan = PagePlan::default();
                    self.plan_groups(&work.delete, &work.anonymise, &mut plan)
                        .and_then(|()| self.queue(plan, work.holds_known))
                        .map_err(|e| e.to_string())
                }
            };
            let (pending, ids) = match queued {
                Ok(Some(queued)) => queued,
                Ok(None) => return Ok(untouched),
                Err(e) => {
                    last = e;
                    continue;
                }
            };
            let results = match pending.wait() {
                Ok(results) => results,
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            };
            match settle(results, &ids) {
                Settled::Done => return Ok(untouched),
                Settled::HoldsChanged { done: false, .. } => return Err(PageError::HoldsChanged),
                Settled::HoldsChanged { done: true, failed } => {
                    // Steps committed before the hold was placed stand. The
                    // others are left as they are, still due, for the next
                    // run to judge with the new hold (this run sees the hold
                    // from its next page on, refused in turn).
                    untouched.extend(failed);
                    return Ok(untouched);
                }
                Settled::Retry { failed, error } => {
                    work.delete.retain(|i| failed.contains(&i.record));
                    work.anonymise.retain(|i| failed.contains(&i.record));
                    last = error;
                }
            }
        }
        Err(PageError::Failed(last))
    }
}

/// Records per purge commit (whole (subject, category) groups): a page is
/// queued as steps of this size, which the SQLite writer may commit
/// separately when audited reads wait (`Store::commit_steps`), so a read
/// waits for one step rather than a whole page. At 10M records a deletion
/// costs the writer ≈ 30 µs plus its share of the commit: ≈ 5 ms a step.
const STEP_RECORDS: usize = 100;

/// Consecutive ranges of `sizes` (groups of records, never split) holding
/// at most `max` records each, a larger group alone. Pure.
fn step_ranges(sizes: &[usize], max: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut records = 0;
    for (i, &n) in sizes.iter().enumerate() {
        if i > start && records + n > max {
            out.push(start..i);
            start = i;
            records = 0;
        }
        records += n;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// What the steps of a page came to.
#[derive(Debug, PartialEq, Eq)]
enum Settled {
    /// Every step is durable.
    Done,
    /// A hold placed since the page was judged refused the steps changing
    /// `failed`; `done`: some steps had committed before.
    HoldsChanged {
        failed: BTreeSet<String>,
        done: bool,
    },
    /// The steps changing `failed` did not happen (a record erased or
    /// rectified meanwhile, or the commit failed): plan them again.
    Retry {
        failed: BTreeSet<String>,
        error: String,
    },
}

/// Read the steps' results (`ids`: the records each step changes). Pure.
fn settle(results: Vec<Result<UnitOutcome>>, ids: &[BTreeSet<String>]) -> Settled {
    let mut failed = BTreeSet::new();
    let mut done = false;
    let mut holds = false;
    let mut error = None;
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(_) => done = true,
            Err(e) => {
                holds |= holds_changed(&e);
                error.get_or_insert_with(|| e.to_string());
                failed.extend(ids.get(i).into_iter().flatten().cloned());
            }
        }
    }
    match error {
        None => Settled::Done,
        Some(_) if holds => Settled::HoldsChanged { failed, done },
        Some(error) => Settled::Retry { failed, error },
    }
}

/// Whether a page's commit was refused by its hold guard (the only
/// document-version check a purge unit carries).
fn holds_changed(e: &EngineError) -> bool {
    matches!(e, EngineError::Conflict(r) if r.code == "version_conflict")
}

/// What a page's commit will do, gathered group by group.
#[derive(Default)]
struct PagePlan {
    groups: Vec<GroupPlan>,
    /// The purpose each category's deletions are journaled under.
    purposes: BTreeMap<String, String>,
}

/// What a page does to one (subject, category) group: the ops always
/// commit together (the index clean-up depends on the group's records).
struct GroupPlan {
    category: String,
    /// The group's due records in the page (ids).
    records: Vec<String>,
    /// `RequireRecordsAsRead` when the group was read to be planned.
    guard: Option<WriteOp>,
    deletions: Vec<DueDeletion>,
    replacements: Vec<WriteOp>,
    cleared: Option<(String, String)>,
    stale: BTreeSet<(String, Vec<u8>, String)>,
    counts: PageCounts,
}

impl GroupPlan {
    fn new(category: &str, items: &[&DueItem]) -> Self {
        GroupPlan {
            category: category.to_string(),
            records: items.iter().map(|i| i.record.clone()).collect(),
            guard: None,
            deletions: Vec::new(),
            replacements: Vec::new(),
            cleared: None,
            stale: BTreeSet::new(),
            counts: PageCounts::default(),
        }
    }
}

/// What one page did in one category (journaled; counts only).
#[derive(Default)]
struct PageCounts {
    deleted: u64,
    anonymised: u64,
    incident_linked: u64,
}

impl PageCounts {
    fn merge(&mut self, other: &PageCounts) {
        self.deleted += other.deleted;
        self.anonymised += other.anonymised;
        self.incident_linked += other.incident_linked;
    }

    fn add(&mut self, item: &DueItem, anonymised: bool) {
        if anonymised {
            self.anonymised += 1;
        } else {
            self.deleted += 1;
        }
        if item.incident_linked {
            self.incident_linked += 1;
        }
    }
}

/// One record of [`WriteOp::DeleteRecords`], guarded by its due date.
fn deletion(item: &DueItem) -> DueDeletion {
    DueDeletion {
        subject_id: item.subject.clone(),
        id: item.record.clone(),
        due: item.due,
    }
}

/// Whether the vault knows subject `id` (erased subjects included): a
/// legal hold on an unknown id would silently protect nothing.
pub fn subject_exists(vault: &Vault, id: &str) -> Result<bool> {
    Ok(vault.store.get_subject(id)?.is_some())
}

/// Take or renew the store lease of scheduled job `job` for `holder` until
/// `now + ttl`: with several instances on one PostgreSQL database, exactly
/// one holds it, so each occurrence of a job runs once.
pub fn try_lease(
    vault: &Vault,
    job: &str,
    holder: &str,
    ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(vault.store.try_lease(job, holder, ttl, now)?)
}

/// Push the bytes a purge deleted out of the store's files (SQLite: WAL
/// checkpoint and truncation; PostgreSQL: VACUUM), so purged data leaves no
/// remnant (RELIABILITY.md §0.1).
pub fn flush_remnants(vault: &Vault) -> Result<()> {
    Ok(vault.store.purge_remnants()?)
}

/// What partition expiry did for one high-volume category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PartitionExpiry {
    /// `YYYY-MM` of each dropped month, with its row count.
    pub dropped: BTreeMap<String, u64>,
    /// Why nothing was dropped, when nothing could be (hold ids, rule).
    pub skipped: Option<String>,
}

/// The latest month start `m` such that every row collected before `m` is
/// due at `now` (`period` after collection): rows of the months ending at
/// or before `m` may go. Pure.
pub fn partition_cutoff(period: Period, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut m = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()?;
    // At most a few hundred steps back (periods are years at most).
    for _ in 0..1200 {
        if period.add_to(m)? <= now {
            return Some(m);
        }
        m = m.checked_sub_months(chrono::Months::new(1))?;
    }
    None
}

/// Drop the months of high-volume categories whose every row is due at
/// `now` (rule "N after collection"; the longer incident period when one is
/// declared, since rows carry their incident flag only inside the
/// ciphertext). A category under a legal hold, or holding rows of a held
/// subject in a month that would go, is skipped and says why.
/// Art. 5(1)(e) GDPR; holds: Art. 17(3)(e).
pub fn expire_partitions(
    vault: &Vault,
    caller: &Caller,
    holds: &[Hold],
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, PartitionExpiry>> {
    let mut out = BTreeMap::new();
    let held_subjects: Vec<&Hold> = holds
        .iter()
        .filter(|h| h.is_active(now) && matches!(h.scope, HoldScope::Subject(_)))
        .collect();
    for (name, decl) in &vault.decls.categories {
        if !decl.high_volume {
            continue;
        }
        let category = name.get_ref().as_str();
        let mut result = PartitionExpiry::default();
        let Some(rule) = decl.retention_rule() else {
            result.skipped = Some("no valid retention rule".into());
            out.insert(category.to_string(), result);
            continue;
        };
        let period = match (rule.anchor(), rule.incident_period().or(rule.period())) {
            (Anchor::Collection, Some(p)) => p,
            _ => {
                result.skipped = Some(
                    "the rule is not counted from collection: rows leave with their subject".into(),
                );
                out.insert(category.to_string(), result);
                continue;
            }
        };
        let Some(cutoff) = partition_cutoff(period, now) else {
            out.insert(category.to_string(), result);
            continue;
        };
        let category_holds: Vec<String> = holds
            .iter()
            .filter(|h| h.is_active(now) && h.scope == HoldScope::Category(category.to_string()))
            .map(|h| h.id.clone())
            .collect();
        let mut blocking = category_holds;
        for h in &held_subjects {
            if let HoldScope::Subject(s) = &h.scope {
                let rows = vault.store.subject_timed(s, &[category.to_string()])?;
                if rows.iter().any(|r| r.collected_at < cutoff) {
                    blocking.push(h.id.clone());
                }
            }
        }
        if !blocking.is_empty() {
            result.skipped = Some(format!("held: {}", blocking.join(", ")));
            out.insert(category.to_string(), result);
            continue;
        }
        let parts = vault.expire_timed(
            caller,
            "partition.expire",
            category,
            cutoff,
            format!("before={}", cutoff.format("%Y-%m")),
        )?;
        for p in parts {
            result
                .dropped
                .insert(p.month_start.format("%Y-%m").to_string(), p.rows);
        }
        out.insert(category.to_string(), result);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use habeas_core::retention::PeriodUnit;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_month_goes_only_once_its_last_row_is_due() {
        let p = Period::new(13, PeriodUnit::Months);
        // On 2027-03-15, rows collected before 2026-02-01 are 13 months old at least
        // (2026-02-01 + 13 months = 2027-03-01 <= now): January 2026 and earlier go.
        assert_eq!(
            partition_cutoff(p, t("2027-03-15T10:00:00Z")),
            Some(t("2026-02-01T00:00:00Z"))
        );
        // Exactly at the boundary the month has just become due.
        assert_eq!(
            partition_cutoff(p, t("2027-03-01T00:00:00Z")),
            Some(t("2026-02-01T00:00:00Z"))
        );
        // One second earlier, February 2026's rows are not all due: only January.
        assert_eq!(
            partition_cutoff(p, t("2027-02-28T23:59:59Z")),
            Some(t("2026-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn steps_hold_whole_groups_of_at_most_the_bound() {
        assert_eq!(step_ranges(&[], 100), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(
            step_ranges(&[1; 250], 100),
            vec![0..100, 100..200, 200..250]
        );
        // A group is never split; one larger than the bound goes alone.
        assert_eq!(
            step_ranges(&[60, 50, 150, 3, 97, 1], 100),
            vec![0..1, 1..2, 2..3, 3..5, 5..6]
        );
    }

    fn ids(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn ok() -> Result<UnitOutcome> {
        Ok(UnitOutcome {
            seqs: Vec::new(),
            outputs: Vec::new(),
        })
    }

    fn hold_refusal() -> Result<UnitOutcome> {
        Err(habeas_store::StoreError::VersionConflict {
            kind: HOLD_KIND.to_string(),
            id: "*".into(),
            expected: Some(0),
            found: Some(1),
        }
        .into())
    }

    #[test]
    fn the_steps_that_did_not_commit_are_planned_again_or_left_to_a_new_judgement() {
        let steps = [ids(&["a", "b"]), ids(&["c"]), ids(&["d"])];
        assert_eq!(settle(vec![ok(), ok(), ok()], &steps), Settled::Done);
        let gone = || Err(EngineError::Storage("record gone".into()));
        assert_eq!(
            settle(vec![ok(), gone(), gone()], &steps),
            Settled::Retry {
                failed: ids(&["c", "d"]),
                error: "storage: record gone".into()
            }
        );
        // A hold placed before the page: nothing committed.
        assert_eq!(
            settle(vec![hold_refusal(), hold_refusal(), hold_refusal()], &steps),
            Settled::HoldsChanged {
                failed: ids(&["a", "b", "c", "d"]),
                done: false
            }
        );
        // Placed between two steps: the first stands.
        assert_eq!(
            settle(vec![ok(), hold_refusal(), gone()], &steps),
            Settled::HoldsChanged {
                failed: ids(&["c", "d"]),
                done: true
            }
        );
    }

    #[test]
    fn day_periods_cut_at_month_starts() {
        let p = Period::new(30, PeriodUnit::Days);
        assert_eq!(
            partition_cutoff(p, t("2027-03-20T00:00:00Z")),
            Some(t("2027-02-01T00:00:00Z"))
        );
    }
}
