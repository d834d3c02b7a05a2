//! The values of the notification, computed once from the breach and the
//! declarations, then placed in either form's layout. `None` means the value
//! is not known yet; a mandatory field left `None` is reported as missing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use habeas_core::breach::{BreachClockConfig, Phase, RiskLevel, SubjectCommunication};
use habeas_core::declarations::Declarations;
use habeas_core::lang::Lang;

use super::forms::{article, fix, label, layout};
use super::{ExportField, Form, MissingField};
use crate::fmt::{non_empty, number, texts, when};
use crate::model::{Breach, EstimateMethod};
use crate::scope::service_label;

pub(super) struct Content {
    values: BTreeMap<&'static str, Option<String>>,
}

impl Content {
    pub(super) fn build(
        breach: &Breach,
        decls: &Declarations,
        cfg: &BreachClockConfig,
        phase: Phase,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Content {
        let mut v: BTreeMap<&'static str, Option<String>> = BTreeMap::new();
        let org = decls.organisation();
        v.insert("org.name", org.map(|o| o.name.get_ref().clone()));
        v.insert(
            "org.siren",
            org.and_then(|o| o.siren.as_ref())
                .map(|s| s.get_ref().clone()),
        );
        v.insert(
            "org.kbo",
            org.and_then(|o| o.kbo.as_ref())
                .map(|s| s.get_ref().clone()),
        );
        v.insert(
            "org.address",
            org.and_then(|o| o.address.as_ref())
                .map(|s| s.get_ref().clone()),
        );
        v.insert(
            "dpo.contact",
            breach.dpo.is_reachable().then(|| breach.dpo.one_line()),
        );
        v.insert("notification.phase", Some(phase_label(phase, lang).into()));
        v.insert(
            "notification.regime",
            Some(match breach.obligations.authority {
                Some(regime) => regime.label(lang).to_string(),
                None => lang
                    .pick(
                        "sous-traitant : les responsables de traitement notifient (art. 33(2))",
                        "processor: the controllers notify (Art. 33(2))",
                    )
                    .to_string(),
            }),
        );
        v.insert("notification.previous", previous(breach, phase, lang));
        v.insert(
            "notification.delay_reason",
            delay_reason(breach, cfg, phase, lang, now),
        );
        v.insert(
            "breach.certainty",
            Some(breach.certainty.label(lang).into()),
        );
        v.insert("breach.detected_at", Some(when(breach.detected_at)));
        v.insert("breach.aware_at", Some(when(breach.aware_at)));
        v.insert("breach.start", breach.window.start.map(when));
        v.insert(
            "breach.end",
            match (breach.window.end, breach.window.ongoing) {
                (Some(end), _) => Some(when(end)),
                (None, true) => Some(lang.pick("en cours", "ongoing").into()),
                (None, false) => None,
            },
        );
        v.insert(
            "breach.reported_by_processor_at",
            match breach.reported_by_processor_at {
                Some(at) => Some(when(at)),
                None if breach.processors_involved.is_empty() => {
                    Some(lang.pick("sans objet", "not applicable").into())
                }
                None => None,
            },
        );
        v.insert(
            "breach.discovery",
            breach.discovery.as_ref().map(|t| t.get(lang).to_string()),
        );
        v.insert(
            "breach.description",
            Some(breach.description.get(lang).trim().to_string()).filter(|s| !s.is_empty()),
        );
        v.insert(
            "breach.nature",
            non_empty(
                breach
                    .natures
                    .iter()
                    .map(|n| n.label(lang).to_string())
                    .collect(),
            ),
        );
        v.insert("breach.origin", breach.origin.map(|o| o.label(lang).into()));
        v.insert(
            "breach.processors",
            Some(
                non_empty(
                    breach
                        .processors_involved
                        .iter()
                        .map(|r| decls.recipient_label(r, lang))
                        .collect(),
                )
                .unwrap_or_else(|| lang.pick("aucun", "none").into()),
            ),
        );
        v.insert(
            "breach.services",
            non_empty(
                breach
                    .services
                    .iter()
                    .map(|s| service_label(decls, s, lang))
                    .collect(),
            ),
        );
        v.insert("breach.systems", non_empty(breach.systems.clone()));
        v.insert(
            "subjects.categories",
            non_empty(
                breach
                    .subject_categories
                    .iter()
                    .map(|s| decls.subject_label(s, lang))
                    .collect(),
            ),
        );
        v.insert(
            "subjects.approx",
            breach.impact.as_ref().map(|i| number(i.subjects, lang)),
        );
        v.insert(
            "records.approx",
            breach.impact.as_ref().map(|i| number(i.records, lang)),
        );
        v.insert(
            "impact.method",
            breach.impact.as_ref().map(|i| {
                let how = match &i.method {
                    EstimateMethod::Vault { query } => format!(
                        "{} {query}",
                        lang.pick("dénombrement dans le coffre :", "counted in the vault:")
                    ),
                    EstimateMethod::Staff { basis, .. } => format!(
                        "{} {basis}",
                        lang.pick("estimation motivée :", "reasoned estimate:")
                    ),
                };
                format!("{how} ({})", when(i.computed_at))
            }),
        );
        v.insert(
            "data.categories",
            non_empty(
                breach
                    .data_categories
                    .iter()
                    .map(|c| decls.category_label(c, lang))
                    .collect(),
            ),
        );
        v.insert("data.sensitive", Some(sensitive(breach, decls, lang)));
        v.insert("consequences", texts(&breach.consequences, lang));
        v.insert("measures.taken", texts(&breach.measures_taken, lang));
        v.insert("measures.planned", texts(&breach.measures_planned, lang));
        v.insert("subjects.decision", decision(breach, lang));
        v.insert("subjects.communication", communication(breach, lang));
        Content { values: v }
    }

    pub(super) fn field(&self, key: &str, lang: Lang) -> ExportField {
        ExportField {
            key: key.to_string(),
            label: label(key, lang).to_string(),
            value: self.values.get(key).cloned().flatten(),
            article: article(key).map(str::to_string),
        }
    }

    /// Mandatory fields of the form without a value. Art. 33(3)(d) asks for
    /// measures taken *or* proposed: one of the two suffices.
    pub(super) fn missing(&self, form: Form, lang: Lang) -> Vec<MissingField> {
        let empty = |key: &str| self.values.get(key).is_none_or(Option::is_none);
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for key in layout(form).iter().flat_map(|s| s.fields.iter().copied()) {
            let key = if key.starts_with("measures.") {
                if !(empty("measures.taken") && empty("measures.planned")) {
                    continue;
                }
                "measures"
            } else {
                key
            };
            let Some(article) = article(key) else {
                continue;
            };
            if (key == "measures" || empty(key)) && seen.insert(key) {
                out.push(MissingField {
                    key: key.to_string(),
                    label: label(key, lang).to_string(),
                    article: article.to_string(),
                    fix: fix(key, lang).to_string(),
                });
            }
        }
        out
    }
}

fn phase_label(phase: Phase, lang: Lang) -> &'static str {
    match phase {
        Phase::Initial => lang.pick(
            "notification initiale (art. 33(4) RGPD)",
            "initial notification (GDPR Art. 33(4))",
        ),
        Phase::Complementary => lang.pick(
            "notification complémentaire (art. 33(4) RGPD)",
            "complementary notification (GDPR Art. 33(4))",
        ),
    }
}

fn previous(breach: &Breach, phase: Phase, lang: Lang) -> Option<String> {
    if phase == Phase::Initial {
        return Some(lang.pick("sans objet", "not applicable").into());
    }
    let initial = breach
        .notifications
        .iter()
        .find(|n| n.phase == Phase::Initial)?;
    Some(match &initial.reference {
        Some(r) => format!(
            "{} {}, {} {r}",
            lang.pick("envoyée le", "sent on"),
            when(initial.at),
            lang.pick("référence", "reference")
        ),
        None => format!(
            "{} {}",
            lang.pick("envoyée le", "sent on"),
            when(initial.at)
        ),
    })
}

/// The reasons for a late notice: the recorded ones; `None` (missing) when
/// the phase is late without them; "not applicable" when on time.
fn delay_reason(
    breach: &Breach,
    cfg: &BreachClockConfig,
    phase: Phase,
    lang: Lang,
    now: DateTime<Utc>,
) -> Option<String> {
    let on_time = || {
        Some(
            lang.pick("sans objet : dans les délais", "not applicable: on time")
                .into(),
        )
    };
    let Some(clock) = breach.clock() else {
        return on_time();
    };
    let sent = breach.notifications.iter().find(|n| n.phase == phase);
    if let Some(reason) = sent.and_then(|n| n.delay_reason.clone()) {
        return Some(reason);
    }
    let due = match phase {
        Phase::Initial => Some(clock.initial_due(cfg)),
        Phase::Complementary => breach
            .notifications
            .iter()
            .find(|n| n.phase == Phase::Initial)
            .and_then(|n| clock.complement_due(cfg, n.at)),
    };
    let at = sent.map_or(now, |n| n.at);
    match due {
        Some(due) if at > due => None,
        _ => on_time(),
    }
}

fn sensitive(breach: &Breach, decls: &Declarations, lang: Lang) -> String {
    non_empty(
        breach
            .data_categories
            .iter()
            .filter(|c| decls.category(c).is_some_and(|c| c.is_sensitive()))
            .map(|c| decls.category_label(c, lang))
            .collect(),
    )
    .unwrap_or_else(|| lang.pick("aucune", "none").into())
}

pub(crate) fn risk_label(risk: RiskLevel, lang: Lang) -> &'static str {
    match risk {
        RiskLevel::Unlikely => lang.pick(
            "risque peu probable pour les droits et libertés",
            "unlikely to result in a risk to rights and freedoms",
        ),
        RiskLevel::Risk => lang.pick(
            "risque pour les droits et libertés",
            "risk to rights and freedoms",
        ),
        RiskLevel::High => lang.pick(
            "risque élevé pour les droits et libertés",
            "high risk to rights and freedoms",
        ),
    }
}

fn decision(breach: &Breach, lang: Lang) -> Option<String> {
    let d = breach.decision()?;
    let sep = lang.pick(" : ", ": ");
    let mut out = format!("{}{sep}{}", risk_label(d.risk, lang), d.reasoning.trim());
    if let Some(ex) = d.exemption {
        out.push_str(&format!(
            " — {} {} ({}){}",
            lang.pick("exemption art.", "exemption Art."),
            ex.article(),
            ex.label(lang),
            d.exemption_reasoning
                .as_deref()
                .map(|r| format!("{sep}{}", r.trim()))
                .unwrap_or_default()
        ));
    }
    Some(out)
}

fn communication(breach: &Breach, lang: Lang) -> Option<String> {
    Some(match breach.subject_communication()? {
        SubjectCommunication::Individual => format!(
            "{} ({} {})",
            lang.pick(
                "information individuelle de chaque personne (art. 34(1))",
                "each person is told individually (Art. 34(1))"
            ),
            number(breach.listed_subjects, lang),
            lang.pick("personnes listées", "persons listed")
        ),
        SubjectCommunication::Public => match &breach.public_communication {
            Some(p) => format!(
                "{} {} ({})",
                lang.pick(
                    "communication publique (art. 34(3)(c)) publiée le",
                    "public communication (Art. 34(3)(c)) published on"
                ),
                when(p.published_at),
                p.channel
            ),
            None => lang
                .pick(
                    "communication publique (art. 34(3)(c)), en préparation",
                    "public communication (Art. 34(3)(c)), being prepared",
                )
                .to_string(),
        },
        SubjectCommunication::NotRequired => lang
            .pick(
                "non requise (art. 34(1) et 34(3))",
                "not required (Art. 34(1) and 34(3))",
            )
            .to_string(),
    })
}
