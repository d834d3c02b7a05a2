//! The security assurance summary: what a customer's security team or an
//! auditor asks a provider first — the Art. 32 measures, where data is
//! stored, which staff roles can read what, the sub-processors (Art. 28(2):
//! customers must be able to know them), residency rules and breach regimes.

use super::doc::Doc;
use super::fiche::header_lines;
use super::{NONE, View, join_or_none, or_none, t};
use crate::declarations::{Declarations, MeasureFamily, Role, adequacy};
use crate::lang::Lang;

pub(crate) fn assurance_doc(d: &Declarations, lang: Lang) -> Doc {
    let org_name = d
        .organisation()
        .map_or(NONE.to_string(), |o| o.name.get_ref().clone());
    let mut header = header_lines(d, View::Controller, lang);
    header.remove(0);
    let mut doc = Doc {
        lang,
        title: format!(
            "{} — {org_name}",
            t(lang, "Synthèse sécurité", "Security assurance summary")
        ),
        header,
        blocks: Vec::new(),
    };

    doc.h2(t(
        lang,
        "Mesures de sécurité (art. 32)",
        "Security measures (Art. 32)",
    ));
    let mut measures: Vec<(MeasureFamily, String, String, usize)> = d
        .measures
        .iter()
        .map(|(name, m)| {
            let uses = d
                .activities
                .values()
                .filter(|a| a.measures.iter().any(|x| x.get_ref() == name.get_ref()))
                .count();
            (
                m.family,
                m.name.get(lang).to_string(),
                m.description
                    .as_ref()
                    .map_or(NONE.to_string(), |x| x.get(lang).to_string()),
                uses,
            )
        })
        .collect();
    measures.sort();
    doc.table(
        vec![
            t(lang, "Famille", "Family"),
            t(lang, "Mesure", "Measure"),
            t(lang, "Description", "Description"),
            t(lang, "Activités couvertes", "Activities covered"),
        ],
        measures
            .into_iter()
            .map(|(family, name, description, uses)| {
                vec![
                    family.label(lang).to_string(),
                    name,
                    description,
                    uses.to_string(),
                ]
            })
            .collect(),
    );

    doc.h2(t(lang, "Localisation des données", "Data locations"));
    doc.table(
        vec![
            t(lang, "Lieu", "Location"),
            t(lang, "Pays", "Country"),
            t(lang, "Opéré par", "Operated by"),
            t(lang, "Données", "Data"),
        ],
        d.locations
            .values()
            .map(|l| {
                vec![
                    l.name.get(lang).to_string(),
                    l.country.get_ref().clone(),
                    l.operator.as_ref().map_or_else(
                        || {
                            d.organisation()
                                .map_or(NONE.to_string(), |o| o.name.get_ref().clone())
                        },
                        |op| d.recipient_label(op.get_ref(), lang),
                    ),
                    if l.categories.is_empty() {
                        t(lang, "toutes", "all")
                    } else {
                        d.category_labels(&l.categories, lang).join(", ")
                    },
                ]
            })
            .collect(),
    );
    if !d.residency.is_empty() {
        doc.h3(t(lang, "Règles de résidence", "Residency rules"), None);
        doc.list(
            d.residency
                .iter()
                .map(|(name, r)| {
                    let places = r
                        .allowed
                        .iter()
                        .map(|a| a.get_ref().as_str())
                        .collect::<Vec<_>>()
                        .join(", ");
                    let scope = if r.categories.is_empty() {
                        t(lang, "toutes les données", "all data")
                    } else {
                        d.category_labels(&r.categories, lang).join(", ")
                    };
                    format!(
                        "{}{sep}{places} — {scope}",
                        name.get_ref(),
                        sep = super::colon(lang)
                    )
                })
                .collect(),
        );
    }

    doc.h2(t(lang, "Rôles du personnel", "Staff roles"));
    doc.para(t(
        lang,
        "Chaque rôle ne lit que les catégories nécessaires à ses finalités ; chaque accès est journalisé.",
        "Each role reads only the categories its purposes need; every access is journaled.",
    ));
    doc.table(
        vec![
            t(lang, "Rôle", "Role"),
            t(lang, "Finalités", "Purposes"),
            t(lang, "Données accessibles", "Data it may read"),
        ],
        d.roles
            .values()
            .map(|r| {
                vec![
                    r.name.get(lang).to_string(),
                    join_or_none(
                        r.purposes
                            .iter()
                            .map(|p| {
                                d.activity(p.get_ref()).map_or(p.get_ref().clone(), |a| {
                                    format!("{} ({})", a.name.get(lang), p.get_ref())
                                })
                            })
                            .collect(),
                    ),
                    join_or_none(d.category_labels(&r.categories, lang)),
                ]
            })
            .collect(),
    );

    doc.h2(t(lang, "Sous-traitants", "Sub-processors"));
    doc.table(
        vec![
            t(lang, "Nom", "Name"),
            t(lang, "Rôle", "Role"),
            t(lang, "Pays", "Country"),
            t(lang, "Données reçues", "Data received"),
            t(lang, "Garantie", "Safeguard"),
            t(lang, "Contrat", "Contract"),
            t(lang, "Certifications", "Certifications"),
        ],
        d.recipients
            .iter()
            .filter(|(_, r)| r.role.is_processor())
            .map(|(name, r)| {
                let countries: Vec<String> =
                    r.countries().iter().map(|c| c.get_ref().clone()).collect();
                let received: Vec<String> = d
                    .received_by(name.get_ref())
                    .into_iter()
                    .map(|c| d.category_label(c, lang))
                    .collect();
                let outside_eea = countries.iter().any(|c| !adequacy::is_eea(c));
                let safeguard = match (&r.safeguard, outside_eea) {
                    (_, false) => t(lang, "EEE, non requise", "EEA, not needed"),
                    (Some(s), true) => s.get_ref().label(lang).to_string(),
                    (None, true) => t(
                        lang,
                        "Décision d'adéquation (art. 45)",
                        "Adequacy decision (Art. 45)",
                    ),
                };
                vec![
                    r.name.get(lang).to_string(),
                    r.role.label(lang).to_string(),
                    join_or_none(countries),
                    join_or_none(received),
                    safeguard,
                    or_none(r.contract.as_deref()),
                    join_or_none(r.certifications.clone()),
                ]
            })
            .collect(),
    );

    doc.h2(t(
        lang,
        "Notification des violations",
        "Breach notification",
    ));
    doc.table(
        vec![
            t(lang, "Service", "Service"),
            t(lang, "Rôle", "Role"),
            t(lang, "Délai de notification", "Notification deadline"),
        ],
        d.services
            .values()
            .map(|s| {
                let deadline = match s.role {
                    Role::Controller => s.breach_regime.label(lang).to_string(),
                    Role::Processor => format!(
                        "{} ({})",
                        t(
                            lang,
                            "au client sans délai injustifié, art. 33(2)",
                            "to the customer without undue delay, Art. 33(2)"
                        ),
                        s.breach_regime.label(lang)
                    ),
                };
                vec![
                    s.name.get(lang).to_string(),
                    s.role.label(lang).to_string(),
                    deadline,
                ]
            })
            .collect(),
    );
    doc
}
