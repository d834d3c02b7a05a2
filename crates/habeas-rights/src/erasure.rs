//! Erasure planning (Art. 17 GDPR): which categories of a subject are erased,
//! which are kept, why and until when.
//!
//! Why a plan: erasure is irreversible (crypto-shredding destroys the data
//! keys), so the decision is computed first, shown and journaled, then
//! executed by the engine. A category is kept when its declared retention
//! rule names a legal obligation that has not yet run out (Art. 17(3)(b):
//! invoices under Code de commerce L123-22, connection data under Décret
//! 2021-1362…) or when a legal hold covers it (Art. 17(3)(e): establishment,
//! exercise or defence of legal claims). Everything else is erased — at once,
//! or at the end of the declared account-closure grace period, during which
//! the subject may reactivate the account. Pure: time comes in `now`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use habeas_core::declarations::Declarations;
use habeas_core::lang::Lang;
use habeas_core::retention::EventDates;
use habeas_core::rights::{Art17Exemption, promised_due};
use serde::{Deserialize, Serialize};

use crate::held::SubjectHoldings;

/// A legal hold on a category (Art. 17(3)(e)), from the hold register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    pub category: String,
    /// The claim or proceedings, e.g. a case number (no personal data).
    pub reference: String,
    /// When the hold ends, if known.
    pub until: Option<DateTime<Utc>>,
}

/// What the erasure request says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureRequest {
    pub requested_at: DateTime<Utc>,
    /// The request closes the account: the declared grace period applies,
    /// and the contract ends (and the account closes) at `requested_at`
    /// unless `dates` says otherwise.
    pub account_closure: bool,
    /// The subject's event dates (contract end, account closure, …).
    #[serde(default)]
    pub dates: EventDates,
    #[serde(default)]
    pub legal_holds: Vec<LegalHold>,
}

/// A category to erase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedCategory {
    pub category: String,
    /// Stored in time partitions (logs): the engine must reach them too.
    pub high_volume: bool,
    /// Not in the declarations: no retention ground can keep it.
    pub undeclared: bool,
}

/// A category kept despite the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptCategory {
    pub category: String,
    pub exemption: Art17Exemption,
    /// `17(3)(b)` or `17(3)(e)`.
    pub article: String,
    /// The statute or the hold reference.
    pub reference: String,
    /// When the ground runs out and the category is erased; `None` when the
    /// event the period counts from has not happened yet.
    pub until: Option<DateTime<Utc>>,
}

/// The plan the engine executes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasurePlan {
    pub subject: String,
    pub planned_at: DateTime<Utc>,
    /// End of the declared account-closure grace period, if one applies.
    pub grace_ends_at: Option<DateTime<Utc>>,
    /// When the erasure may run: the grace end, or `planned_at`.
    pub erase_at: DateTime<Utc>,
    pub erase: Vec<ErasedCategory>,
    pub keep: Vec<KeptCategory>,
}

/// Plan the erasure of `holdings` at `now`.
pub fn plan_erasure(
    decls: &Declarations,
    holdings: &SubjectHoldings,
    request: &ErasureRequest,
    now: DateTime<Utc>,
) -> ErasurePlan {
    let mut latest: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for r in &holdings.records {
        let e = latest.entry(r.category.as_str()).or_insert(r.recorded_at);
        *e = (*e).max(r.recorded_at);
    }
    plan_from_latest(decls, &holdings.subject.id, latest, request, now)
}

/// [`plan_erasure`] from each held category's newest recording date alone
/// (`Vault::held_categories`: metadata, nothing decrypted) — the plan only
/// needs which categories the subject holds and since when, so a subject
/// with 10,000 records is planned without opening them (issue 4).
pub fn plan_erasure_of(
    decls: &Declarations,
    subject: &str,
    latest: &BTreeMap<String, DateTime<Utc>>,
    request: &ErasureRequest,
    now: DateTime<Utc>,
) -> ErasurePlan {
    let latest = latest.iter().map(|(c, at)| (c.as_str(), *at)).collect();
    plan_from_latest(decls, subject, latest, request, now)
}

fn plan_from_latest(
    decls: &Declarations,
    subject: &str,
    latest: BTreeMap<&str, DateTime<Utc>>,
    request: &ErasureRequest,
    now: DateTime<Utc>,
) -> ErasurePlan {
    let grace_ends_at = if request.account_closure {
        decls
            .account_closure_grace()
            .map(|g| promised_due(g, request.requested_at, decls.holiday_calendar()))
    } else {
        None
    };
    let erase_at = grace_ends_at.map_or(now, |g| g.max(now));

    let mut erase = Vec::new();
    let mut keep = Vec::new();
    for (category, last_recorded) in latest {
        // Art. 17(3)(e): a legal hold keeps the category while it lasts.
        if let Some(hold) = request
            .legal_holds
            .iter()
            .find(|h| h.category == category && h.until.is_none_or(|u| u > erase_at))
        {
            keep.push(KeptCategory {
                category: category.to_string(),
                exemption: Art17Exemption::LegalClaims,
                article: Art17Exemption::LegalClaims.article().to_string(),
                reference: hold.reference.clone(),
                until: hold.until,
            });
            continue;
        }
        let Some(declared) = decls.category(category) else {
            erase.push(ErasedCategory {
                category: category.to_string(),
                high_volume: false,
                undeclared: true,
            });
            continue;
        };
        // Art. 17(3)(b): a retention period imposed by law outlives the request.
        if let Some(rule) = declared.retention_rule()
            && let Some(reference) = rule.legal_obligation()
        {
            let mut dates = request.dates.clone();
            dates.collected_at = Some(last_recorded);
            if request.account_closure {
                dates.account_closure = dates.account_closure.or(Some(request.requested_at));
                dates.contract_end = dates.contract_end.or(Some(request.requested_at));
            }
            let until = rule.due(&dates);
            if until.is_none_or(|u| u > erase_at) {
                keep.push(KeptCategory {
                    category: category.to_string(),
                    exemption: Art17Exemption::LegalObligation,
                    article: Art17Exemption::LegalObligation.article().to_string(),
                    reference: reference.to_string(),
                    until,
                });
                continue;
            }
        }
        erase.push(ErasedCategory {
            category: category.to_string(),
            high_volume: declared.high_volume,
            undeclared: false,
        });
    }
    ErasurePlan {
        subject: subject.to_string(),
        planned_at: now,
        grace_ends_at,
        erase_at,
        erase,
        keep,
    }
}

impl ErasurePlan {
    /// What the subject is told (Art. 12(1), 17(3)): what is erased, when,
    /// and which categories are kept, on which ground, until when.
    pub fn describe(&self, decls: &Declarations, lang: Lang) -> String {
        let day = |at: DateTime<Utc>| at.format("%Y-%m-%d").to_string();
        let mut out = String::new();
        if let Some(g) = self.grace_ends_at {
            out.push_str(&match lang {
                Lang::Fr => format!(
                    "Votre compte sera effacé le {} ; d'ici là, vous pouvez le réactiver.\n",
                    day(g)
                ),
                Lang::En => format!(
                    "Your account will be erased on {}; until then you may reactivate it.\n",
                    day(g)
                ),
            });
        }
        let erased: Vec<String> = self
            .erase
            .iter()
            .map(|c| decls.category_label(&c.category, lang))
            .collect();
        if !erased.is_empty() {
            out.push_str(&match lang {
                Lang::Fr => format!("Effacées définitivement : {}.\n", erased.join(", ")),
                Lang::En => format!("Erased for good: {}.\n", erased.join(", ")),
            });
        }
        for k in &self.keep {
            let label = decls.category_label(&k.category, lang);
            let why = match (k.exemption, lang) {
                (Art17Exemption::LegalClaims, Lang::Fr) => {
                    "constatation, exercice ou défense de droits en justice"
                }
                (Art17Exemption::LegalClaims, Lang::En) => {
                    "establishment, exercise or defence of legal claims"
                }
                (_, Lang::Fr) => "obligation légale de conservation",
                (_, Lang::En) => "legal obligation to keep them",
            };
            let until = match (k.until, lang) {
                (Some(u), Lang::Fr) => format!("jusqu'au {}", day(u)),
                (Some(u), Lang::En) => format!("until {}", day(u)),
                (None, Lang::Fr) => "jusqu'à la fin de la durée légale".to_string(),
                (None, Lang::En) => "until the legal period ends".to_string(),
            };
            out.push_str(&match lang {
                Lang::Fr => format!(
                    "Conservées : {label} — {why} ({}, RGPD art. {}), {until}.\n",
                    k.reference, k.article
                ),
                Lang::En => format!(
                    "Kept: {label} — {why} ({}, GDPR Art. {}), {until}.\n",
                    k.reference, k.article
                ),
            });
        }
        out
    }
}
