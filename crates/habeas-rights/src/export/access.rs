//! Building the Art. 15 access answer from the holdings and the declarations.
//!
//! Art. 15(1) GDPR: confirmation, a copy of the data (15(3)), and the
//! information of points (a)–(h); Art. 15(2): transfer safeguards. The
//! information comes from the declarations, restricted to what concerns the
//! subject: the activities that process a category held on them (and whose
//! declared data subjects include the subject's kind), plus any activity a
//! record names explicitly.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use habeas_core::declarations::{Activity, Declarations, Right, Role};
use habeas_core::lang::Lang;

use super::model::*;
use crate::held::{SourceChannel, SubjectHoldings};

/// The activities concerning the subject, by id.
pub(crate) fn relevant_activities<'a>(
    decls: &'a Declarations,
    holdings: &SubjectHoldings,
) -> BTreeMap<&'a str, &'a Activity> {
    let kind = holdings.subject.kind.as_str();
    let mut out = BTreeMap::new();
    let held = holdings.categories();
    for (id, activity) in &decls.activities {
        let processes_held = activity
            .categories
            .iter()
            .any(|c| held.contains(&c.get_ref().as_str()));
        let for_kind = kind.is_empty()
            || activity.subjects.is_empty()
            || activity.subjects.iter().any(|s| s.get_ref() == kind);
        if processes_held && for_kind {
            out.insert(id.get_ref().as_str(), activity);
        }
    }
    for record in &holdings.records {
        for p in &record.purposes {
            if let Some((id, activity)) = decls.activities.get_key_value(p.as_str()) {
                out.insert(id.get_ref().as_str(), activity);
            }
        }
    }
    out
}

/// The purposes a record is processed for: its own list, or else every
/// relevant activity processing its category.
pub(crate) fn record_purposes(
    record_purposes: &[String],
    category: &str,
    relevant: &BTreeMap<&str, &Activity>,
) -> Vec<String> {
    if !record_purposes.is_empty() {
        return record_purposes.to_vec();
    }
    relevant
        .iter()
        .filter(|(_, a)| a.categories.iter().any(|c| c.get_ref() == category))
        .map(|(id, _)| id.to_string())
        .collect()
}

/// Declared fields of a category (sorted), then any other field found in
/// the records, so no held value is left out of a table.
pub(crate) fn field_order<'a>(
    decls: &Declarations,
    category: &str,
    records: impl Iterator<Item = &'a std::collections::BTreeMap<String, String>>,
) -> Vec<String> {
    let mut fields: Vec<String> = decls
        .category(category)
        .map(|c| c.field_names().map(str::to_string).collect())
        .unwrap_or_default();
    let declared: BTreeSet<String> = fields.iter().cloned().collect();
    let mut extra = BTreeSet::new();
    for r in records {
        for k in r.keys() {
            if !declared.contains(k) {
                extra.insert(k.clone());
            }
        }
    }
    fields.extend(extra);
    fields
}

/// The Art. 15 answer for `holdings`, in `lang`, generated at `now`.
pub fn build_access_export(
    decls: &Declarations,
    holdings: &SubjectHoldings,
    lang: Lang,
    now: DateTime<Utc>,
) -> AccessExport {
    let relevant = relevant_activities(decls, holdings);
    let held = holdings.categories();

    let categories = held
        .iter()
        .map(|&key| category_export(decls, holdings, key, &relevant, lang))
        .collect();

    let purposes = relevant
        .iter()
        .map(|(id, a)| purpose_info(decls, id, a, lang))
        .collect();

    AccessExport {
        schema: ACCESS_EXPORT_SCHEMA.to_string(),
        generated_at: now,
        lang,
        declarations_version: decls.version_line().0,
        controller: controller_info(decls),
        subject: ExportSubject {
            id: holdings.subject.id.clone(),
            kind: holdings.subject.kind.clone(),
            kind_label: decls.subject_label(&holdings.subject.kind, lang),
            status: holdings.subject.status,
            status_label: holdings.subject.status.label(lang).to_string(),
        },
        processed: !holdings.records.is_empty(),
        categories,
        purposes,
        recipients: recipients(decls, &relevant, &held, lang),
        transfers: transfers(decls, &relevant, lang),
        sources: sources(decls, holdings, &relevant, lang),
        automated_decisions: automated(&relevant, lang),
        rights: rights(decls, &relevant, lang),
        complaint: complaint(decls, lang),
        consents: holdings
            .consents
            .iter()
            .map(|(purpose, state)| ConsentInfo {
                purpose: purpose.clone(),
                state: *state,
            })
            .collect(),
        access_log: holdings
            .access_journal
            .iter()
            .map(|e| AccessLogEntry {
                at: e.at,
                purpose: e.purpose.clone(),
                purpose_label: decls
                    .activity(&e.purpose)
                    .map_or_else(|| e.purpose.clone(), |a| a.name.get(lang).to_string()),
                categories: e.categories.clone(),
            })
            .collect(),
    }
}

fn controller_info(decls: &Declarations) -> ControllerInfo {
    let org = decls.organisation();
    let rights = decls.rights();
    ControllerInfo {
        name: org.map_or_else(String::new, |o| o.name.get_ref().clone()),
        address: org.and_then(|o| o.address.as_ref().map(|a| a.get_ref().clone())),
        email: org.and_then(|o| o.email.as_ref().map(|a| a.get_ref().clone())),
        dpo_email: decls
            .dpo()
            .and_then(|d| d.email.as_ref().map(|e| e.get_ref().clone())),
        rights_contact: rights.and_then(|r| r.contact_email.as_ref().map(|e| e.get_ref().clone())),
        portal_url: rights.and_then(|r| r.portal_url.clone()),
    }
}

fn category_export(
    decls: &Declarations,
    holdings: &SubjectHoldings,
    key: &str,
    relevant: &BTreeMap<&str, &Activity>,
    lang: Lang,
) -> CategoryExport {
    let declared = decls.category(key);
    let records = holdings.records_of(key);
    let mut purposes: BTreeSet<String> = relevant
        .iter()
        .filter(|(_, a)| a.categories.iter().any(|c| c.get_ref() == key))
        .map(|(id, _)| id.to_string())
        .collect();
    for r in &records {
        purposes.extend(r.purposes.iter().cloned());
    }
    CategoryExport {
        key: key.to_string(),
        label: decls.category_label(key, lang),
        description: declared.and_then(|c| c.description.as_ref().map(|d| d.get(lang).to_string())),
        provided_by_subject: declared.is_none_or(|c| c.provided_by_subject),
        sensitive: declared.is_some_and(|c| c.is_sensitive()),
        retention: declared.and_then(|c| {
            c.retention_rule().map(|rule| RetentionInfo {
                rule: rule.to_string(),
                description: rule.describe(lang),
                legal_obligation: rule.legal_obligation().map(str::to_string),
            })
        }),
        purposes: purposes.into_iter().collect(),
        fields: field_order(decls, key, records.iter().map(|r| &r.fields)),
        records: records
            .iter()
            .map(|r| RecordExport {
                id: r.id.clone(),
                recorded_at: r.recorded_at,
                source_channel: r.source_channel,
                source_label: r.source_channel.label(lang).to_string(),
                purposes: record_purposes(&r.purposes, key, relevant),
                fields: r.fields.clone(),
            })
            .collect(),
    }
}

fn purpose_info(decls: &Declarations, id: &str, a: &Activity, lang: Lang) -> PurposeInfo {
    PurposeInfo {
        id: id.to_string(),
        name: a.name.get(lang).to_string(),
        purpose: a.purpose.as_ref().map(|p| p.get(lang).to_string()),
        role: a.role(),
        controllers: if a.role() == Role::Processor {
            decls.controllers_of(a, lang)
        } else {
            Vec::new()
        },
        legal_basis: a.legal_basis().map(|b| LegalBasisInfo {
            key: b,
            article: b.article().to_string(),
            label: b.label_with_article(lang),
            reference: a.legal_basis_ref.clone(),
        }),
        legitimate_interest: a
            .legitimate_interest
            .as_ref()
            .map(|t| t.get(lang).to_string()),
        categories: a.categories.iter().map(|c| c.get_ref().clone()).collect(),
        recipients: a.recipients.iter().map(|c| c.get_ref().clone()).collect(),
        automated_decisions: a.automated_decisions,
    }
}

fn recipients(
    decls: &Declarations,
    relevant: &BTreeMap<&str, &Activity>,
    held: &[&str],
    lang: Lang,
) -> Vec<RecipientInfo> {
    let names: BTreeSet<&str> = relevant
        .values()
        .flat_map(|a| a.recipients.iter().map(|r| r.get_ref().as_str()))
        .collect();
    names
        .into_iter()
        .filter_map(|name| {
            let r = decls.recipient(name)?;
            let categories: Vec<String> = decls
                .received_by(name)
                .into_iter()
                .filter(|c| held.contains(c))
                .map(str::to_string)
                .collect();
            if categories.is_empty() {
                return None;
            }
            Some(RecipientInfo {
                key: name.to_string(),
                name: r.name.get(lang).to_string(),
                role: r.role,
                role_label: r.role.label(lang).to_string(),
                country: r.country.as_ref().map(|c| c.get_ref().clone()),
                categories,
            })
        })
        .collect()
}

fn transfers(
    decls: &Declarations,
    relevant: &BTreeMap<&str, &Activity>,
    lang: Lang,
) -> Vec<TransferInfo> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for a in relevant.values() {
        for t in decls.transfers_of(a) {
            if !seen.insert((t.recipient, t.country)) {
                continue;
            }
            out.push(TransferInfo {
                recipient: t.recipient.to_string(),
                recipient_name: decls.recipient_label(t.recipient, lang),
                country: t.country.to_string(),
                safeguard: t.safeguard,
                safeguard_label: t.safeguard.map(|s| s.label(lang).to_string()),
                safeguard_ref: t.safeguard_ref.map(str::to_string),
            });
        }
    }
    out
}

fn sources(
    decls: &Declarations,
    holdings: &SubjectHoldings,
    relevant: &BTreeMap<&str, &Activity>,
    lang: Lang,
) -> Vec<SourceInfo> {
    let mut out: Vec<SourceInfo> = Vec::new();
    let mut push = |category: &str, source: String| {
        if !out
            .iter()
            .any(|s| s.category == category && s.source == source)
        {
            out.push(SourceInfo {
                category: category.to_string(),
                category_label: decls.category_label(category, lang),
                source,
            });
        }
    };
    for category in holdings.categories() {
        let declared_elsewhere = decls
            .category(category)
            .is_some_and(|c| !c.provided_by_subject);
        if declared_elsewhere {
            let mut any = false;
            for a in relevant.values() {
                if a.categories.iter().any(|c| c.get_ref() == category)
                    && let Some(source) = &a.source
                {
                    push(category, source.get(lang).to_string());
                    any = true;
                }
            }
            if !any {
                push(
                    category,
                    lang.pick(
                        "Données non fournies par vous, produites dans le cadre du service (source non déclarée plus précisément).",
                        "Data not provided by you, produced in the course of the service (no more precise source declared).",
                    )
                    .to_string(),
                );
            }
        }
        let mut channels: Vec<SourceChannel> = holdings
            .records_of(category)
            .iter()
            .map(|r| r.source_channel)
            .filter(|c| !c.provided_by_subject())
            .collect();
        channels.sort_unstable();
        channels.dedup();
        for c in channels {
            push(category, c.label(lang).to_string());
        }
    }
    out
}

fn automated(relevant: &BTreeMap<&str, &Activity>, lang: Lang) -> AutomatedDecisions {
    let activities: Vec<String> = relevant
        .iter()
        .filter(|(_, a)| a.automated_decisions)
        .map(|(id, _)| id.to_string())
        .collect();
    let statement = if activities.is_empty() {
        lang.pick(
            "Aucune décision fondée exclusivement sur un traitement automatisé, y compris le profilage, n'est prise à votre sujet (RGPD art. 22).",
            "No decision based solely on automated processing, including profiling, is taken about you (GDPR Art. 22).",
        )
        .to_string()
    } else {
        let names: Vec<String> = activities
            .iter()
            .filter_map(|id| relevant.get(id.as_str()))
            .map(|a| a.name.get(lang).to_string())
            .collect();
        match lang {
            Lang::Fr => format!(
                "Des décisions fondées exclusivement sur un traitement automatisé sont prises pour : {}. Vous pouvez obtenir une intervention humaine, exprimer votre point de vue et contester la décision (RGPD art. 22(3)) ; écrivez-nous pour connaître la logique suivie et ses conséquences.",
                names.join(", ")
            ),
            Lang::En => format!(
                "Decisions based solely on automated processing are taken for: {}. You may obtain human intervention, express your point of view and contest the decision (GDPR Art. 22(3)); write to us to learn the logic involved and its consequences.",
                names.join(", ")
            ),
        }
    };
    AutomatedDecisions {
        any: !activities.is_empty(),
        activities,
        statement,
    }
}

fn rights(
    decls: &Declarations,
    relevant: &BTreeMap<&str, &Activity>,
    lang: Lang,
) -> Vec<RightInfo> {
    let r = decls.rights();
    let contact = r
        .and_then(|r| r.contact_email.as_ref().map(|e| e.get_ref().clone()))
        .or_else(|| {
            decls
                .dpo()
                .and_then(|d| d.email.as_ref().map(|e| e.get_ref().clone()))
        });
    let portal = r.and_then(|r| r.portal_url.clone());
    let how = match (contact.as_deref(), portal.as_deref(), lang) {
        (Some(c), Some(p), Lang::Fr) => format!("Écrivez à {c} ou utilisez {p}."),
        (Some(c), Some(p), Lang::En) => format!("Write to {c} or use {p}."),
        (Some(c), None, Lang::Fr) => format!("Écrivez à {c}."),
        (Some(c), None, Lang::En) => format!("Write to {c}."),
        (None, Some(p), Lang::Fr) => format!("Utilisez {p}."),
        (None, Some(p), Lang::En) => format!("Use {p}."),
        (None, None, _) => lang
            .pick(
                "Adressez-vous au responsable du traitement.",
                "Contact the controller.",
            )
            .to_string(),
    };
    let mut out: Vec<RightInfo> = Right::ALL
        .into_iter()
        .map(|right| RightInfo {
            right: right.key().to_string(),
            article: right.article().to_string(),
            label: right.label(lang).to_string(),
            how: how.clone(),
        })
        .collect();
    let consent_based = relevant
        .values()
        .any(|a| a.legal_basis() == Some(habeas_core::declarations::LegalBasis::Consent));
    if consent_based {
        out.push(RightInfo {
            right: "consent_withdrawal".into(),
            article: "7(3)".into(),
            label: lang
                .pick("Retrait du consentement", "Consent withdrawal")
                .to_string(),
            how: match lang {
                Lang::Fr => format!("À tout moment, aussi simplement que vous l'avez donné. {how}"),
                Lang::En => format!("At any time, as easily as you gave it. {how}"),
            },
        });
    }
    out
}

fn complaint(decls: &Declarations, lang: Lang) -> ComplaintInfo {
    let a = decls.authority();
    let name = lang.pick(a.name_fr, a.name_en);
    ComplaintInfo {
        authority: name.to_string(),
        address: a.address.to_string(),
        website: a.website.to_string(),
        statement: match lang {
            Lang::Fr => format!(
                "Vous pouvez introduire une réclamation auprès de l'autorité de contrôle : {name} (RGPD art. 77)."
            ),
            Lang::En => format!(
                "You may lodge a complaint with the supervisory authority: {name} (GDPR Art. 77)."
            ),
        },
    }
}
