//! Changes to one (subject, category) as a whole, for features that keep a
//! small set of records per subject and must change it all or nothing — the
//! mail privacy lists (C12) are the first — and the category-precise erasure
//! the rights workflow needs (Art. 17(3): some categories are erased while
//! others must be kept under a legal obligation).
//!
//! - [`Vault::change_records`] deletes some records and inserts others in one
//!   transaction with one journal entry; blind indexes stay exact (identifiers
//!   no remaining record carries are removed).
//! - [`Vault::shred_category`] destroys the (subject, category) data key, then
//!   deletes the category's rows and index entries: every copy of those
//!   ciphertexts, including backups taken earlier, becomes unreadable, and
//!   the subject's other categories are untouched.

use std::collections::BTreeSet;

use habeas_store::{BlindIndexEntry, SubjectStatus, WriteOp};

use crate::access::{self, Caller};
use crate::error::{EngineError, Refusal, Result};
use crate::validate::{self, RecordInput};
use crate::vault::{Prepared, Receipt, Stored, Vault, shredded};

impl Vault {
    /// Delete the records `delete` of `subject` in `category` and insert
    /// `insert` (all of that category), atomically. Records left alone keep
    /// their ids and recording dates. Returns the receipts of the inserts.
    pub fn change_records(
        &self,
        caller: &Caller,
        subject: &str,
        category: &str,
        delete: &[String],
        insert: Vec<RecordInput>,
    ) -> Result<Vec<Receipt>> {
        self.subject_row(subject)?;
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
        if decl.high_volume {
            return Err(EngineError::Invalid(
                Refusal::new(
                    "high_volume_category",
                    "les catégories à fort volume ne se modifient pas enregistrement par enregistrement",
                    "high-volume categories are not changed record by record",
                )
                .category(category),
            ));
        }
        let purpose = self.authorize(caller, "write", Some(subject), category)?;
        let now = self.now();
        let mut prepared = Vec::with_capacity(insert.len());
        for (n, input) in insert.into_iter().enumerate() {
            if input.category != category {
                return Err(EngineError::Invalid(
                    Refusal::new(
                        "category_mismatch",
                        format!(
                            "l'élément {} n'est pas de la catégorie « {category} »",
                            n + 1
                        ),
                        format!("item {} is not of category `{category}`", n + 1),
                    )
                    .category(category),
                ));
            }
            prepared.push(Prepared {
                subject: subject.to_string(),
                record: access::new_id("rec_")?,
                valid: validate::validate(&self.decls, input, now)?,
            });
        }
        let stored = self.store.subject_records(subject, Some(category))?;
        let doomed: BTreeSet<&str> = delete.iter().map(String::as_str).collect();
        if let Some(missing) = doomed
            .iter()
            .find(|id| !stored.iter().any(|r| r.id == **id))
        {
            return Err(EngineError::NotFound(
                Refusal::new(
                    "unknown_record",
                    format!("enregistrement « {missing} » inconnu dans cette catégorie pour cette personne"),
                    format!("record `{missing}` is unknown in this category for this subject"),
                )
                .category(category),
            ));
        }
        let pair = (subject.to_string(), category.to_string());
        let deks = self
            .keys
            .get_or_create(std::slice::from_ref(&pair), &BTreeSet::new())?;
        let dek = deks.get(&pair).ok_or_else(|| shredded(category))?;
        // Index entries: of the records that go, of those that stay, of the new ones.
        let mut gone: Vec<BlindIndexEntry> = Vec::new();
        let mut kept: BTreeSet<(String, Vec<u8>)> = BTreeSet::new();
        for r in stored {
            let id = r.id.clone();
            let view = Stored::Record(r).open(subject, category, dek)?;
            let entries = self.index_entries(
                subject,
                category,
                &self.identifiers_of(category, &view.fields),
            )?;
            if doomed.contains(id.as_str()) {
                gone.extend(entries);
            } else {
                kept.extend(entries.into_iter().map(|e| (e.kind, e.digest)));
            }
        }
        let mut new: Vec<BlindIndexEntry> = Vec::new();
        let mut records = Vec::with_capacity(prepared.len());
        let mut receipts = Vec::with_capacity(prepared.len());
        for p in &prepared {
            new.extend(self.index_entries(subject, category, &p.valid.identifiers)?);
            records.push(self.sealed_record(p, dek, now)?);
            receipts.push(Receipt {
                subject: subject.to_string(),
                record: p.record.clone(),
                category: category.to_string(),
                due_at: p.valid.due_at,
            });
        }
        let stale = Self::stale(gone, &new, &kept);
        let mut ops = vec![WriteOp::RequireSubject {
            id: subject.to_string(),
            statuses: vec![SubjectStatus::Active, SubjectStatus::Restricted],
        }];
        ops.extend(doomed.iter().map(|id| WriteOp::DeleteRecord {
            subject_id: subject.to_string(),
            id: id.to_string(),
        }));
        if !records.is_empty() {
            ops.push(WriteOp::InsertRecords(records));
        }
        if !stale.is_empty() {
            ops.push(WriteOp::RemoveBlindIndexes(stale));
        }
        if !new.is_empty() {
            ops.push(WriteOp::PutBlindIndexes(new));
        }
        let e = self.entry(
            caller,
            "records.change",
            Some(subject),
            Some(category),
            Some(&purpose),
            format!("deleted={} inserted={}", doomed.len(), receipts.len()),
        );
        self.commit_unit(ops, &[e])?;
        Ok(receipts)
    }

    /// Erase one category of a subject by crypto-shredding (Art. 17): the
    /// (subject, category) data key is destroyed first, then the rows and
    /// index entries go, and the erasure is written to the tombstone ledger. Returns the number of data keys destroyed (0 or 1).
    /// High-volume rows of the category leave their time partitions in the
    /// same unit.
    pub fn shred_category(&self, caller: &Caller, subject: &str, category: &str) -> Result<usize> {
        // The batch path with one entry: one key-store transaction, one vault
        // unit, one ledger commit (erase.rs).
        let erased = self.erase_batch(
            caller,
            &[crate::erase::Erasure {
                subject: subject.to_string(),
                categories: vec![category.to_string()],
            }],
        )?;
        Ok(erased.first().map_or(0, |e| e.data_keys_destroyed))
    }
}

/// One subject's share of a query over categories ([`Vault::holders`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub subject: String,
    pub category: String,
    pub records: u64,
}

impl Vault {
    /// Who holds data of `categories` and how much — metadata only, nothing
    /// is decrypted: for high-volume categories the rows collected in
    /// `[from, to)`, for the others the records collected before `to` (they
    /// were there during the window). Used to size a breach (Art. 33(3)(a):
    /// approximate numbers of subjects and records). Journaled as one
    /// administrative query with its counts.
    pub fn holders(
        &self,
        caller: &Caller,
        categories: &[String],
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Holding>> {
        const PAGE: usize = 1000;
        let mut timed = Vec::new();
        let mut ordinary = Vec::new();
        for c in categories {
            match self.decls.category(c) {
                Some(d) if d.high_volume => timed.push(c.clone()),
                Some(_) => ordinary.push(c.clone()),
                None => {
                    return Err(EngineError::Invalid(
                        Refusal::new(
                            "unknown_category",
                            format!("catégorie « {c} » non déclarée"),
                            format!("category `{c}` is not declared"),
                        )
                        .category(c),
                    ));
                }
            }
        }
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list_subjects(&habeas_store::SubjectFilter {
                after_id: after.clone(),
                limit: PAGE,
                ..Default::default()
            })?;
            let full = page.len() == PAGE;
            after = page.last().map(|s| s.id.clone());
            // An ordinary category's records of the whole page in one statement.
            let ids: Vec<String> = page.iter().map(|s| s.id.clone()).collect();
            let mut held: std::collections::HashMap<(String, String), u64> = Default::default();
            for c in &ordinary {
                for r in self.store.records_of_subjects(&ids, c)? {
                    if r.collected_at < to {
                        *held.entry((r.subject_id, c.clone())).or_default() += 1;
                    }
                }
            }
            for subject in page {
                let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
                if !timed.is_empty() {
                    for row in self.store.subject_timed(&subject.id, &timed)? {
                        if row.collected_at >= from && row.collected_at < to {
                            *counts.entry(row.category).or_default() += 1;
                        }
                    }
                }
                for c in &ordinary {
                    if let Some(n) = held.remove(&(subject.id.clone(), c.clone())) {
                        counts.insert(c.clone(), n);
                    }
                }
                out.extend(counts.into_iter().map(|(category, records)| Holding {
                    subject: subject.id.clone(),
                    category,
                    records,
                }));
            }
            if !full {
                break;
            }
        }
        let subjects: BTreeSet<&str> = out.iter().map(|h| h.subject.as_str()).collect();
        let records: u64 = out.iter().map(|h| h.records).sum();
        self.journal_admin(
            caller,
            "holders.query",
            format!(
                "categories={} subjects={} records={records}",
                categories.join(","),
                subjects.len()
            ),
        )?;
        Ok(out)
    }
}

/// One category a subject holds data in, from metadata only
/// ([`Vault::held_categories`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldCategory {
    pub category: String,
    pub records: u64,
    /// When its newest record was collected (what a retention period
    /// counting from collection needs).
    pub last_collected: chrono::DateTime<chrono::Utc>,
    /// The earliest retention due date among its ordinary records: when the
    /// purge next erases some of them (GDPR Art. 5(1)(e)). High-volume rows
    /// expire with their month's partition and carry none.
    pub next_due: Option<chrono::DateTime<chrono::Utc>>,
    /// Ordinary records without a due date: their rule runs from an event
    /// (a contract's end …) not dated yet, or they are kept without limit.
    pub undated: u64,
}

impl Vault {
    /// Which categories `subject` holds data in, how many records, the
    /// newest collection date and the next retention due date of each —
    /// metadata only, nothing decrypted
    /// and no data key touched: what an erasure plan needs (Art. 17(3):
    /// which categories, and whether a legal retention period still runs),
    /// for a fraction of a full read (issue 4: a 10,000-record subject).
    /// Every category needs the caller's purpose (a refusal is journaled and
    /// returned); the query is journaled as one entry with its counts.
    pub fn held_categories(&self, caller: &Caller, subject: &str) -> Result<Vec<HeldCategory>> {
        self.subject_row(subject)?;
        let mut held: std::collections::BTreeMap<String, HeldCategory> = Default::default();
        fn note<'a>(
            held: &'a mut std::collections::BTreeMap<String, HeldCategory>,
            category: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> &'a mut HeldCategory {
            let e = held
                .entry(category.to_string())
                .or_insert_with(|| HeldCategory {
                    category: category.to_string(),
                    records: 0,
                    last_collected: at,
                    next_due: None,
                    undated: 0,
                });
            e.records += 1;
            e.last_collected = e.last_collected.max(at);
            e
        }
        for r in self.store.subject_records(subject, None)? {
            let e = note(&mut held, &r.category, r.collected_at);
            match r.retention_due {
                Some(due) => e.next_due = Some(e.next_due.map_or(due, |d| d.min(due))),
                None => e.undated += 1,
            }
        }
        let timed: Vec<String> = self
            .decls
            .categories
            .iter()
            .filter(|(_, c)| c.high_volume)
            .map(|(n, _)| n.get_ref().to_string())
            .collect();
        if !timed.is_empty() {
            for r in self.store.subject_timed(subject, &timed)? {
                note(&mut held, &r.category, r.collected_at);
            }
        }
        for c in held.keys() {
            self.authorize(caller, "read", Some(subject), c)?;
        }
        let records: u64 = held.values().map(|h| h.records).sum();
        let e = self.entry(
            caller,
            "holdings.categories",
            Some(subject),
            None,
            None,
            format!("categories={} records={records}", held.len()),
        );
        self.commit_unit(Vec::new(), &[e])?;
        Ok(held.into_values().collect())
    }
}
