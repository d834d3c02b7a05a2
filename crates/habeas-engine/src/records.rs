//! Record-level changes the rights and mail-list features build on:
//! rectification (GDPR Art. 16) replaces one record's sealed content, and
//! erasure of one record (Art. 17 for a single item) deletes it. Both are
//! purpose-checked like a write, journaled in the same transaction, and keep
//! the blind index exact: identifiers that no record of the (subject,
//! category) carries any more are removed from it, so `find` stops matching.
//!
//! Limit: high-volume rows (time partitions) are not addressable one by one;
//! they leave by partition expiry or with the subject's crypto-shredding.

use std::collections::{BTreeMap, BTreeSet};

use habeas_store::{BlindIndexEntry, Record, WriteOp};
use serde_json::Value;

use crate::access::Caller;
use crate::error::{EngineError, Refusal, Result};
use crate::validate::{self, RecordInput};
use crate::vault::{Prepared, Receipt, Stored, Vault, shredded};

/// A rectification corrects values, not history: the collection date and
/// the retention event dates (last interaction, contract end, account
/// closure, custom events) the input does not give are kept from the stored
/// record, and an incident link stays. Otherwise correcting a typo would
/// restart or cancel the retention clock (Art. 5(1)(e)) and drop the
/// Art. 33(5) incident documentation period.
fn keep_history(input: &mut RecordInput, stored: &Record) {
    input.collected_at = input.collected_at.or(Some(stored.collected_at));
    let ev = &mut input.events;
    let old = &stored.events;
    ev.last_interaction = ev.last_interaction.or(old.last_interaction);
    ev.contract_end = ev.contract_end.or(old.contract_end);
    ev.account_closure = ev.account_closure.or(old.account_closure);
    for (name, at) in &old.custom {
        ev.events.entry(name.clone()).or_insert(*at);
    }
    ev.incident_linked |= stored.incident_linked;
}

impl Vault {
    /// The stored record `record_id` of `subject` (not found when it belongs
    /// to someone else, so ids cannot be probed across subjects).
    fn record_of(&self, subject: &str, record_id: &str) -> Result<Record> {
        self.subject_row(subject)?;
        match self.store.get_record(record_id)? {
            Some(r) if r.subject_id == subject => Ok(r),
            _ => Err(EngineError::NotFound(Refusal::new(
                "unknown_record",
                "enregistrement inconnu pour cette personne concernée (les enregistrements à fort volume ne s'effacent que par expiration ou effacement de la personne)",
                "unknown record for this data subject (high-volume rows leave only by expiry or erasure of the subject)",
            ))),
        }
    }

    /// The identifiers (index kind, normalised value) of decrypted `fields`.
    pub(crate) fn identifiers_of(
        &self,
        category: &str,
        fields: &BTreeMap<String, Value>,
    ) -> Vec<(String, String)> {
        let Some(decl) = self.decls.category(category) else {
            return Vec::new();
        };
        fields
            .iter()
            .filter(|(f, _)| decl.is_identifier(f))
            .filter_map(|(f, v)| {
                let kind = decl.field(f)?;
                v.as_str()
                    .map(|text| (validate::index_kind(kind, f), text.to_string()))
            })
            .collect()
    }

    /// Index entries of the subject's other records of `category` (all but `except`).
    fn entries_kept(
        &self,
        subject: &str,
        category: &str,
        except: &str,
    ) -> Result<BTreeSet<(String, Vec<u8>)>> {
        let others: Vec<Record> = self
            .store
            .subject_records(subject, Some(category))?
            .into_iter()
            .filter(|r| r.id != except)
            .collect();
        let mut kept = BTreeSet::new();
        if others.is_empty() {
            return Ok(kept);
        }
        let dek = self
            .keys
            .get(subject, category)?
            .ok_or_else(|| shredded(category))?;
        for r in others {
            let view = Stored::Record(r).open(subject, category, &dek)?;
            for e in self.index_entries(
                subject,
                category,
                &self.identifiers_of(category, &view.fields),
            )? {
                kept.insert((e.kind, e.digest));
            }
        }
        Ok(kept)
    }

    /// Entries of `old` that neither `new` nor `kept` carry: to remove.
    pub(crate) fn stale(
        old: Vec<BlindIndexEntry>,
        new: &[BlindIndexEntry],
        kept: &BTreeSet<(String, Vec<u8>)>,
    ) -> Vec<BlindIndexEntry> {
        old.into_iter()
            .filter(|e| {
                let key = (e.kind.clone(), e.digest.clone());
                !kept.contains(&key)
                    && !new.iter().any(|n| n.kind == e.kind && n.digest == e.digest)
            })
            .collect()
    }

    /// Delete one record of a subject (erasure of a single item, Art. 17).
    pub fn delete_record(&self, caller: &Caller, subject: &str, record_id: &str) -> Result<()> {
        let record = self.record_of(subject, record_id)?;
        let category = record.category.clone();
        let purpose = self.authorize(caller, "delete", Some(subject), &category)?;
        let dek = self
            .keys
            .get(subject, &category)?
            .ok_or_else(|| shredded(&category))?;
        let old_view = Stored::Record(record).open(subject, &category, &dek)?;
        let old = self.index_entries(
            subject,
            &category,
            &self.identifiers_of(&category, &old_view.fields),
        )?;
        let kept = self.entries_kept(subject, &category, record_id)?;
        let stale = Self::stale(old, &[], &kept);
        let mut ops = vec![WriteOp::DeleteRecord {
            subject_id: subject.to_string(),
            id: record_id.to_string(),
        }];
        if !stale.is_empty() {
            ops.push(WriteOp::RemoveBlindIndexes(stale));
        }
        let e = self.entry(
            caller,
            "record.delete",
            Some(subject),
            Some(&category),
            Some(&purpose),
            format!("record={record_id}"),
        );
        self.commit_unit(ops, &[e])?;
        Ok(())
    }

    /// Replace one record's content (rectification, Art. 16): the input is
    /// validated like a new record of the same category, the retention due
    /// date and blind indexes are recomputed, the record keeps its id, its
    /// collection date and its retention event dates unless the input gives
    /// new ones.
    pub fn replace_record(
        &self,
        caller: &Caller,
        subject: &str,
        record_id: &str,
        input: RecordInput,
    ) -> Result<Receipt> {
        let record = self.record_of(subject, record_id)?;
        let category = record.category.clone();
        if input.category != category {
            return Err(EngineError::Invalid(
                Refusal::new(
                    "category_mismatch",
                    format!(
                        "l'enregistrement appartient à la catégorie « {category} » : une rectification ne change pas de catégorie (effacez puis écrivez)"
                    ),
                    format!(
                        "the record belongs to category `{category}`: a rectification keeps the category (delete, then write)"
                    ),
                )
                .category(&category),
            ));
        }
        let now = self.now();
        let mut input = input;
        keep_history(&mut input, &record);
        let valid = validate::validate(&self.decls, input, now)?;
        let purpose = self.authorize(caller, "rectify", Some(subject), &category)?;
        let dek = self
            .keys
            .get(subject, &category)?
            .ok_or_else(|| shredded(&category))?;
        let old_view = Stored::Record(record).open(subject, &category, &dek)?;
        let old = self.index_entries(
            subject,
            &category,
            &self.identifiers_of(&category, &old_view.fields),
        )?;
        let new = self.index_entries(subject, &category, &valid.identifiers)?;
        let kept = self.entries_kept(subject, &category, record_id)?;
        let stale = Self::stale(old, &new, &kept);
        let prepared = Prepared {
            subject: subject.to_string(),
            record: record_id.to_string(),
            valid,
        };
        let sealed = self.sealed_record(&prepared, &dek, now)?;
        let receipt = Receipt {
            subject: subject.to_string(),
            record: record_id.to_string(),
            category: category.clone(),
            due_at: sealed.retention_due,
        };
        let mut ops = vec![WriteOp::ReplaceRecord(sealed)];
        if !stale.is_empty() {
            ops.push(WriteOp::RemoveBlindIndexes(stale));
        }
        if !new.is_empty() {
            ops.push(WriteOp::PutBlindIndexes(new));
        }
        let e = self.entry(
            caller,
            "record.rectify",
            Some(subject),
            Some(&category),
            Some(&purpose),
            format!("record={record_id}"),
        );
        self.commit_unit(ops, &[e])?;
        Ok(receipt)
    }
}
