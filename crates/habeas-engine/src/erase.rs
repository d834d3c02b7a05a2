//! Batched erasure (Art. 17; issue 4 "Speed"): many subjects, whole or
//! some categories each, erased with a fixed number of durable commits
//! instead of several per subject and per category.
//!
//! [`Vault::shred`] + [`Vault::record_tombstone`] and
//! [`Vault::shred_category`] each make their own key-store transaction,
//! vault unit, ledger commit and journal unit: about four fsyncs per
//! category and six per subject. [`Vault::erase_batch`] does the same work
//! for a whole batch in
//!
//! 1. one key-store transaction destroying every data key concerned (one
//!    purge of remnants: SQLite `secure_delete` + WAL truncation,
//!    PostgreSQL `VACUUM FULL`),
//! 2. one vault unit deleting the rows and blind-index entries, marking
//!    wholly erased subjects erased, with one journal entry per subject
//!    (`subject.shred`) or per (subject, category) (`category.shred`),
//!    counts only, no value,
//! 3. one tombstone-ledger transaction with the same events the single
//!    paths record (one per wholly erased subject, one per erased
//!    category), so a restore replays them identically, and one journal
//!    unit for them.
//!
//! Everything is checked before anything is destroyed (subjects exist,
//! categories are declared, the caller may delete them, no subject twice):
//! a refused batch changes nothing but the journal of the refusal. Once the
//! keys are destroyed the data is unreadable whatever follows; if a later
//! step fails, running the same batch again finishes it (the keys are
//! already gone, deleting rows and recording tombstones again is harmless).
//!
//! High-volume rows of an erased category leave their time partitions in
//! the same vault unit (`DeleteSubjectTimedCategory`), as with a wholly
//! erased subject: they do not wait for the partition's expiry.

use std::collections::BTreeSet;

use habeas_retention::tombstone::TombstoneEvent;
use habeas_store::{SubjectStatus, WriteOp};

use crate::access::Caller;
use crate::error::{EngineError, Refusal, Result};
use crate::validate;
use crate::vault::{Vault, index_key};

/// One journal entry to write: the category (`None` for the whole
/// subject) and the purpose that allowed it.
type Shred = (Option<String>, Option<String>);

/// One subject's share of a batch erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub subject: String,
    /// The categories to erase; empty = the whole subject (its every key,
    /// row and index entry, and the subject marked erased), like the
    /// tombstone ledger's convention.
    pub categories: Vec<String>,
}

impl Erasure {
    /// The whole subject.
    pub fn subject(subject: &str) -> Self {
        Erasure {
            subject: subject.to_string(),
            categories: Vec::new(),
        }
    }
}

/// What a batch did for one subject, in batch order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    pub subject: String,
    pub data_keys_destroyed: usize,
    /// Rows deleted: ordinary records and time-partitioned rows of the
    /// erased categories, or every row of a wholly erased subject.
    pub records: u64,
}

impl Vault {
    /// Erase every [`Erasure`] of `batch` with one key-store transaction,
    /// one vault unit and one ledger transaction (see the module doc).
    pub fn erase_batch(&self, caller: &Caller, batch: &[Erasure]) -> Result<Vec<Erased>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut seen = BTreeSet::new();
        let mut ops = Vec::new();
        let mut targets: Vec<(String, Option<String>)> = Vec::new();
        // Per erasure: the journal entries to write once the key counts are known.
        let mut plans: Vec<Vec<Shred>> = Vec::new();
        // (erasure, op) pairs whose count output is that erasure's rows.
        let mut counted: Vec<(usize, usize)> = Vec::new();
        let now = self.now();
        for (out_index, e) in batch.iter().enumerate() {
            if !seen.insert(e.subject.as_str()) {
                return Err(EngineError::invalid(
                    "duplicate_subject",
                    "une personne figure deux fois dans le lot d'effacements ; regroupez ses catégories en une seule demande",
                    "a subject appears twice in the erasure batch; merge its categories into one entry",
                ));
            }
            let mut row = self.subject_row(&e.subject)?;
            if e.categories.is_empty() {
                row.status = SubjectStatus::Erased;
                row.erased_at = Some(now);
                ops.push(WriteOp::RemoveSubjectIndexes {
                    subject_id: e.subject.clone(),
                    kinds: None,
                });
                counted.push((out_index, ops.len()));
                ops.push(WriteOp::DeleteSubjectRecords {
                    subject_id: e.subject.clone(),
                });
                counted.push((out_index, ops.len()));
                ops.push(WriteOp::DeleteSubjectTimed {
                    subject_id: e.subject.clone(),
                });
                ops.push(WriteOp::UpdateSubject(row));
                targets.push((e.subject.clone(), None));
                plans.push(vec![(None, None)]);
                continue;
            }
            let mut plan = Vec::new();
            let mut categories = BTreeSet::new();
            for category in &e.categories {
                if !categories.insert(category.as_str()) {
                    continue;
                }
                let decl = self.decls.category(category).ok_or_else(|| {
                    EngineError::Invalid(
                        Refusal::new(
                            "unknown_category",
                            format!("catégorie « {category} » non déclarée"),
                            format!("category `{category}` is not declared"),
                        )
                        .category(category),
                    )
                })?;
                let purpose = self.authorize(caller, "delete", Some(&e.subject), category)?;
                for (op, is_rows) in category_erase_ops(decl, &e.subject, category) {
                    if is_rows {
                        counted.push((out_index, ops.len()));
                    }
                    ops.push(op);
                }
                targets.push((e.subject.clone(), Some(category.clone())));
                plan.push((Some(category.clone()), Some(purpose)));
            }
            plans.push(plan);
        }
        // 1. The keys: from here on the data is unreadable, copies included.
        let destroyed = self.keys.destroy_many(&targets)?;
        // 2. The rows, indexes and subject states, with the journal entries.
        let mut counts = destroyed.into_iter();
        let mut entries = Vec::with_capacity(targets.len());
        let mut out = Vec::with_capacity(batch.len());
        for (e, plan) in batch.iter().zip(&plans) {
            let mut keys = 0;
            for (category, purpose) in plan {
                let k = counts.next().unwrap_or(0);
                keys += k;
                entries.push(match category {
                    None => self.entry(
                        caller,
                        "subject.shred",
                        Some(&e.subject),
                        None,
                        None,
                        format!("data_keys_destroyed={k}"),
                    ),
                    Some(c) => self.entry(
                        caller,
                        "category.shred",
                        Some(&e.subject),
                        Some(c),
                        purpose.as_deref(),
                        format!("data_keys_destroyed={k}"),
                    ),
                });
            }
            out.push(Erased {
                subject: e.subject.clone(),
                data_keys_destroyed: keys,
                records: 0,
            });
        }
        let outcome = self.commit_unit(ops, &entries)?;
        // The rows each delete op removed.
        for (erasure, op) in counted {
            if let Some(habeas_store::OpOutput::Count(n)) = outcome.outputs.get(op) {
                out[erasure].records += n;
            }
        }
        // 3. Kept apart from backups: a restore erases them again.
        // The same events as the single paths: one per subject, or one per
        // erased category ([`Vault::shred_category`] records each alone).
        let mut events = Vec::with_capacity(targets.len());
        for (subject, category) in targets {
            events.push(TombstoneEvent::Erasure {
                subject,
                categories: category.into_iter().collect(),
            });
        }
        self.record_tombstones(caller, events)?;
        Ok(out)
    }
}

impl Vault {
    /// A restore's replay of a category erasure (Art. 17): the subject's
    /// records of `category`, its index entries and its high-volume rows
    /// are deleted from the restored data, which its destroyed key no
    /// longer opens. Returns the rows deleted.
    pub(crate) fn erase_category_rows(
        &self,
        caller: &Caller,
        subject: &str,
        category: &str,
    ) -> Result<u64> {
        let Some(decl) = self.decls.category(category) else {
            return Ok(0); // no longer declared: nothing of it can be read
        };
        let (ops, rows): (Vec<WriteOp>, Vec<bool>) = category_erase_ops(decl, subject, category)
            .into_iter()
            .unzip();
        let e = self.entry(
            caller,
            "category.shred",
            Some(subject),
            Some(category),
            None,
            "replay=rows".to_string(),
        );
        let outcome = self.commit_unit(ops, &[e])?;
        Ok(outcome
            .outputs
            .iter()
            .zip(rows)
            .filter(|(_, is_rows)| *is_rows)
            .map(|(o, _)| match o {
                habeas_store::OpOutput::Count(n) => *n,
                _ => 0,
            })
            .sum())
    }
}

/// The writes that remove one category of a subject: its index entries, its
/// records and, for a high-volume category, its rows in every month's
/// partition (Art. 17(1)). Each op comes with whether its count is rows.
fn category_erase_ops(
    decl: &habeas_core::declarations::DataCategory,
    subject: &str,
    category: &str,
) -> Vec<(WriteOp, bool)> {
    let mut ops = Vec::new();
    let kinds: Vec<String> = decl
        .identifiers
        .iter()
        .filter_map(|f| {
            let t = decl.field(f.get_ref())?;
            Some(index_key(category, &validate::index_kind(t, f.get_ref())))
        })
        .collect();
    if !kinds.is_empty() {
        ops.push((
            WriteOp::RemoveSubjectIndexes {
                subject_id: subject.to_string(),
                kinds: Some(kinds),
            },
            false,
        ));
    }
    ops.push((
        WriteOp::DeleteSubjectCategory {
            subject_id: subject.to_string(),
            category: category.to_string(),
        },
        true,
    ));
    if decl.high_volume {
        ops.push((
            WriteOp::DeleteSubjectTimedCategory {
                subject_id: subject.to_string(),
                category: category.to_string(),
            },
            true,
        ));
    }
    ops
}
