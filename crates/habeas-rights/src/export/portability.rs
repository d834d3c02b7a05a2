//! The Art. 20 portability export: only the data the subject provided, and
//! only where the processing rests on consent (Art. 6(1)(a)) or a contract
//! (Art. 6(1)(b)).
//!
//! "Provided by the subject" is decided twice, and both must hold: the
//! category is declared `provided_by_subject` (the default), and the
//! record's [`SourceChannel`](crate::held::SourceChannel) is one the subject
//! drove — a form, their API calls, their messages, their uploads, or data
//! observed from their use of the service (WP29 WP242 rev.01). Records
//! entered by staff, obtained from third parties, derived by the provider or
//! imported without origin are left out. The basis is read from the
//! declared activities the record is processed for: at least one of them
//! must be consent or contract.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use habeas_core::declarations::{Declarations, LegalBasis};

use super::access::{field_order, record_purposes, relevant_activities};
use super::model::*;
use crate::held::{HeldRecord, SubjectHoldings};

/// Why a record is not portable, or `None` when it is.
fn exclusion(
    decls: &Declarations,
    record: &HeldRecord,
    purposes: &[String],
) -> Option<ExclusionReason> {
    let Some(category) = decls.category(&record.category) else {
        return Some(ExclusionReason::UndeclaredCategory);
    };
    if !category.provided_by_subject || !record.source_channel.provided_by_subject() {
        return Some(ExclusionReason::NotProvidedBySubject);
    }
    // Art. 20(1)(a): consent (6(1)(a), 9(2)(a)) or contract (6(1)(b)).
    let portable_basis = purposes.iter().any(|p| {
        decls
            .activity(p)
            .and_then(|a| a.legal_basis())
            .is_some_and(|b| matches!(b, LegalBasis::Consent | LegalBasis::Contract))
    });
    if !portable_basis {
        return Some(ExclusionReason::NotConsentOrContract);
    }
    None
}

/// The portability export of `holdings` at `now`.
pub fn build_portability_export(
    decls: &Declarations,
    holdings: &SubjectHoldings,
    now: DateTime<Utc>,
) -> PortabilityExport {
    let relevant = relevant_activities(decls, holdings);
    let mut kept: BTreeMap<&str, Vec<&HeldRecord>> = BTreeMap::new();
    let mut excluded: BTreeMap<(&str, ExclusionReason), usize> = BTreeMap::new();
    for category in holdings.categories() {
        for record in holdings.records_of(category) {
            let purposes = record_purposes(&record.purposes, category, &relevant);
            match exclusion(decls, record, &purposes) {
                None => kept.entry(category).or_default().push(record),
                Some(reason) => *excluded.entry((category, reason)).or_default() += 1,
            }
        }
    }
    PortabilityExport {
        schema: PORTABILITY_EXPORT_SCHEMA.to_string(),
        generated_at: now,
        subject: holdings.subject.id.clone(),
        categories: kept
            .into_iter()
            .map(|(key, records)| PortableCategory {
                key: key.to_string(),
                fields: field_order(decls, key, records.iter().map(|r| &r.fields)),
                records: records
                    .into_iter()
                    .map(|r| PortableRecord {
                        id: r.id.clone(),
                        recorded_at: r.recorded_at,
                        fields: r.fields.clone(),
                    })
                    .collect(),
            })
            .collect(),
        excluded: excluded
            .into_iter()
            .map(|((category, reason), records)| Exclusion {
                category: category.to_string(),
                reason,
                records,
            })
            .collect(),
    }
}
