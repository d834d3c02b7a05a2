//! Sub-processor changes and the notice owed to controller customers.
//!
//! Under a general written authorisation the processor informs the controller
//! of any intended addition or replacement of a sub-processor, giving it the
//! opportunity to object (Art. 28(2) GDPR; Art. 28(4) passes the same
//! obligations down). Comparing two versions of the declarations gives the
//! changes: sub-processors added, removed, or with new countries, transfer
//! safeguard, data received or services; each processor service gets one
//! notice for its controller customers with the effective date and the
//! objection period of the contract.
//!
//! Pure: two [`Declarations`] in, changes and notices out.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use habeas_core::declarations::adequacy::is_eea;
use habeas_core::declarations::{Declarations, RecipientRole, Role, Safeguard};
use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};

use crate::fmt::day;
use crate::letters::Draft;
use crate::scope::service_label;

/// A sub-processor as controller customers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subprocessor {
    /// The declared recipient id.
    pub id: String,
    pub name: String,
    pub role: RecipientRole,
    /// Where the data is processed or accessed from (ISO codes).
    pub countries: Vec<String>,
    pub safeguard: Option<Safeguard>,
    pub safeguard_ref: Option<String>,
    pub dpf_certified: bool,
    /// Data categories it receives.
    pub receives: Vec<String>,
    /// Processor services it works for.
    pub services: Vec<String>,
}

impl Subprocessor {
    /// Countries outside the EEA: transfers under Chapter V.
    pub fn transfers(&self) -> Vec<&str> {
        self.countries
            .iter()
            .map(String::as_str)
            .filter(|c| !is_eea(c))
            .collect()
    }
}

/// One change between two versions of the declarations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SubprocessorChange {
    Added {
        after: Subprocessor,
    },
    Removed {
        before: Subprocessor,
    },
    /// `fields`: which of countries, safeguard, dpf_certified, receives, services changed.
    Changed {
        before: Subprocessor,
        after: Subprocessor,
        fields: Vec<String>,
    },
}

impl SubprocessorChange {
    pub fn id(&self) -> &str {
        match self {
            SubprocessorChange::Added { after: s } | SubprocessorChange::Removed { before: s } => {
                &s.id
            }
            SubprocessorChange::Changed { after, .. } => &after.id,
        }
    }

    /// The processor services concerned, before or after.
    pub fn services(&self) -> BTreeSet<&str> {
        match self {
            SubprocessorChange::Added { after: s } | SubprocessorChange::Removed { before: s } => {
                s.services.iter().map(String::as_str).collect()
            }
            SubprocessorChange::Changed { before, after, .. } => before
                .services
                .iter()
                .chain(&after.services)
                .map(String::as_str)
                .collect(),
        }
    }
}

/// The sub-processors of the processor services: recipients acting on
/// instructions (`processor` or `sub_processor`) named by an activity where
/// the provider is processor, plus every declared `sub_processor`.
pub fn subprocessors(decls: &Declarations) -> BTreeMap<String, Subprocessor> {
    let mut out = BTreeMap::new();
    for (id, r) in &decls.recipients {
        let id = id.get_ref();
        if !r.role.is_processor() {
            continue;
        }
        let services: BTreeSet<String> = decls
            .activities_with_role(Role::Processor)
            .filter(|(_, a)| a.recipients.iter().any(|n| n.get_ref() == id))
            .flat_map(|(_, a)| a.services.iter().map(|s| s.get_ref().clone()))
            .filter(|s| decls.service(s).is_some_and(|s| s.role == Role::Processor))
            .collect();
        if services.is_empty() && r.role != RecipientRole::SubProcessor {
            continue;
        }
        out.insert(
            id.clone(),
            Subprocessor {
                id: id.clone(),
                name: r.name.fr.clone(),
                role: r.role,
                countries: r.countries().iter().map(|c| c.get_ref().clone()).collect(),
                safeguard: r.safeguard.as_ref().map(|s| *s.get_ref()),
                safeguard_ref: r.safeguard_ref.clone(),
                dpf_certified: r.dpf_certified,
                receives: decls
                    .received_by(id)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                services: services.into_iter().collect(),
            },
        );
    }
    out
}

/// What changed between `old` and `new`, ordered by recipient id.
pub fn diff(old: &Declarations, new: &Declarations) -> Vec<SubprocessorChange> {
    let before = subprocessors(old);
    let after = subprocessors(new);
    let ids: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    ids.into_iter()
        .filter_map(|id| match (before.get(id), after.get(id)) {
            (None, Some(a)) => Some(SubprocessorChange::Added { after: a.clone() }),
            (Some(b), None) => Some(SubprocessorChange::Removed { before: b.clone() }),
            (Some(b), Some(a)) => {
                let fields = changed_fields(b, a);
                (!fields.is_empty()).then(|| SubprocessorChange::Changed {
                    before: b.clone(),
                    after: a.clone(),
                    fields,
                })
            }
            (None, None) => None,
        })
        .collect()
}

fn changed_fields(b: &Subprocessor, a: &Subprocessor) -> Vec<String> {
    let mut fields = Vec::new();
    let sorted = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
    if sorted(&b.countries) != sorted(&a.countries) {
        fields.push("countries".to_string());
    }
    if b.safeguard != a.safeguard || b.safeguard_ref != a.safeguard_ref {
        fields.push("safeguard".to_string());
    }
    if b.dpf_certified != a.dpf_certified {
        fields.push("dpf_certified".to_string());
    }
    if sorted(&b.receives) != sorted(&a.receives) {
        fields.push("receives".to_string());
    }
    if b.services != a.services {
        fields.push("services".to_string());
    }
    fields
}

/// The contract's terms for announcing a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionTerms {
    /// The day the notice is sent.
    pub notice_date: NaiveDate,
    /// Days the controller has to object, from the notice (the contract's figure).
    pub objection_days: u32,
    /// The day the change applies.
    pub effective: NaiveDate,
}

/// Why notices cannot be produced. Nothing was produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error(
        "the change would apply on {effective}, before the objection period ends on {deadline} (Art. 28(2)): move the effective date to {deadline} or later"
    )]
    BeforeObjectionPeriodEnds {
        effective: NaiveDate,
        deadline: NaiveDate,
    },
    #[error("the objection period of {0} days is too long to compute a date")]
    PeriodOutOfRange(u32),
}

/// The notice for the controller customers of one processor service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubprocessorNotice {
    pub service: String,
    /// Who the controllers are, as declared on the service (Art. 30(2)(a)).
    pub controllers: Option<String>,
    pub changes: Vec<SubprocessorChange>,
    pub notice_date: NaiveDate,
    pub objection_deadline: NaiveDate,
    pub effective: NaiveDate,
    /// The notice in French then English.
    pub drafts: Vec<Draft>,
}

/// One notice per processor service touched by `changes`, for its controller
/// customers, in French and English.
pub fn notices(
    new: &Declarations,
    changes: &[SubprocessorChange],
    terms: ObjectionTerms,
) -> Result<Vec<SubprocessorNotice>, NoticeError> {
    let deadline = terms
        .notice_date
        .checked_add_days(Days::new(u64::from(terms.objection_days)))
        .ok_or(NoticeError::PeriodOutOfRange(terms.objection_days))?;
    if terms.effective < deadline {
        return Err(NoticeError::BeforeObjectionPeriodEnds {
            effective: terms.effective,
            deadline,
        });
    }
    let services: BTreeSet<&str> = changes.iter().flat_map(|c| c.services()).collect();
    Ok(services
        .into_iter()
        .map(|service| {
            let concerned: Vec<SubprocessorChange> = changes
                .iter()
                .filter(|c| c.services().contains(service))
                .cloned()
                .collect();
            let drafts = Lang::ALL
                .iter()
                .map(|&lang| draft(new, service, &concerned, &terms, deadline, lang))
                .collect();
            SubprocessorNotice {
                service: service.to_string(),
                controllers: new
                    .service(service)
                    .and_then(|s| s.controllers.as_ref())
                    .map(|c| c.fr.clone()),
                changes: concerned,
                notice_date: terms.notice_date,
                objection_deadline: deadline,
                effective: terms.effective,
                drafts,
            }
        })
        .collect())
}

fn draft(
    decls: &Declarations,
    service: &str,
    changes: &[SubprocessorChange],
    terms: &ObjectionTerms,
    deadline: NaiveDate,
    lang: Lang,
) -> Draft {
    let org = decls
        .organisation()
        .map_or_else(String::new, |o| o.name.get_ref().clone());
    let service = service_label(decls, service, lang);
    let subject = format!(
        "{org}{} {service}",
        lang.pick(
            " : changement de sous-traitants ultérieurs pour le service",
            ": change of sub-processors for the service"
        )
    );
    let mut body = format!(
        "{}\n\n{org}{} « {service} »{}\n\n",
        lang.pick("Madame, Monsieur,", "Dear customer,"),
        lang.pick(
            ", votre sous-traitant pour le service",
            ", your processor for the service"
        ),
        lang.pick(
            ", vous informe des changements de sous-traitants ultérieurs suivants (art. 28(2) RGPD) :",
            ", informs you of the following changes of sub-processors (GDPR Art. 28(2)):"
        )
    );
    if lang == Lang::En {
        body = body.replace(" « ", " \"").replace(" »", "\"");
    }
    for change in changes {
        body.push_str(&describe(decls, change, lang));
        body.push('\n');
    }
    body.push_str(&format!(
        "\n{} {}.\n{} {}{}\n\n{}\n{org}\n",
        lang.pick(
            "Ces changements prennent effet le",
            "These changes take effect on"
        ),
        day(terms.effective, lang),
        lang.pick(
            "Vous pouvez vous y opposer jusqu'au",
            "You may object to them until"
        ),
        day(deadline, lang),
        lang.pick(
            " inclus, en répondant à ce message, dans les conditions de votre contrat.",
            " inclusive, by replying to this message, under the terms of your contract."
        ),
        lang.pick("Cordialement,", "Kind regards,"),
    ));
    Draft {
        lang,
        subject,
        body,
    }
}

fn describe(decls: &Declarations, change: &SubprocessorChange, lang: Lang) -> String {
    match change {
        SubprocessorChange::Added { after } => format!(
            "- {} {}",
            lang.pick("Ajout :", "Added:"),
            profile(decls, after, lang)
        ),
        SubprocessorChange::Removed { before } => format!(
            "- {} {}",
            lang.pick("Retrait :", "Removed:"),
            label(decls, before, lang)
        ),
        SubprocessorChange::Changed {
            before,
            after,
            fields,
        } => {
            let mut parts = Vec::new();
            for field in fields {
                let part = match field.as_str() {
                    "countries" => format!(
                        "{} {} → {}",
                        lang.pick("pays de traitement", "processing countries"),
                        before.countries.join(", "),
                        after.countries.join(", ")
                    ),
                    "safeguard" => format!(
                        "{} {} → {}",
                        lang.pick("garantie de transfert", "transfer safeguard"),
                        safeguard(before, lang),
                        safeguard(after, lang)
                    ),
                    "dpf_certified" => format!(
                        "{} {}",
                        lang.pick("certification DPF :", "DPF certification:"),
                        yes_no(after.dpf_certified, lang)
                    ),
                    "receives" => format!(
                        "{} {}",
                        lang.pick("données reçues :", "data received:"),
                        categories(decls, after, lang)
                    ),
                    _ => format!(
                        "{} {}",
                        lang.pick("services :", "services:"),
                        after
                            .services
                            .iter()
                            .map(|s| service_label(decls, s, lang))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                parts.push(part);
            }
            format!(
                "- {} {} — {}",
                lang.pick("Modification :", "Changed:"),
                label(decls, after, lang),
                parts.join(" ; ")
            )
        }
    }
}

fn label(decls: &Declarations, s: &Subprocessor, lang: Lang) -> String {
    decls.recipient_label(&s.id, lang).replace('\n', " ")
}

fn profile(decls: &Declarations, s: &Subprocessor, lang: Lang) -> String {
    let mut out = format!(
        "{} ({}) — {} {}",
        label(decls, s, lang),
        s.countries.join(", "),
        lang.pick("données reçues :", "data received:"),
        categories(decls, s, lang)
    );
    let transfers = s.transfers();
    if !transfers.is_empty() {
        out.push_str(&format!(
            " — {} {} ; {} {}",
            lang.pick("transfert hors EEE vers", "transfer outside the EEA to"),
            transfers.join(", "),
            lang.pick("garantie :", "safeguard:"),
            safeguard(s, lang)
        ));
    }
    out
}

fn categories(decls: &Declarations, s: &Subprocessor, lang: Lang) -> String {
    if s.receives.is_empty() {
        return lang.pick("aucune déclarée", "none declared").to_string();
    }
    s.receives
        .iter()
        .map(|c| decls.category_label(c, lang))
        .collect::<Vec<_>>()
        .join(", ")
}

fn safeguard(s: &Subprocessor, lang: Lang) -> String {
    let base = match s.safeguard {
        Some(g) => g.label(lang).to_string(),
        None => lang.pick("aucune", "none").to_string(),
    };
    let mut out = match &s.safeguard_ref {
        Some(r) => format!("{base} ({r})"),
        None => base,
    };
    if s.dpf_certified {
        out.push_str(lang.pick(
            ", certifié Data Privacy Framework",
            ", Data Privacy Framework certified",
        ));
    }
    out
}

fn yes_no(v: bool, lang: Lang) -> &'static str {
    match v {
        true => lang.pick("oui", "yes"),
        false => lang.pick("non", "no"),
    }
}
