//! The register as a document: the organisation block, the list of
//! activities, then one fiche per activity, after the CNIL model register
//! (STANDARDS §1.4) with the legal basis added (§1.7).

use super::doc::Doc;
use super::{NONE, View, join_or_none, or_none, t};
use crate::declarations::{Activity, Declarations, RecipientRole, Role, Sensitivity};
use crate::lang::Lang;

pub(crate) fn register_doc(d: &Declarations, view: View, lang: Lang) -> Doc {
    let org_name = d
        .organisation()
        .map_or(NONE.to_string(), |o| o.name.get_ref().clone());
    let mut doc = Doc {
        lang,
        title: match view {
            View::Controller => format!(
                "{} — {org_name}",
                t(
                    lang,
                    "Registre des activités de traitement (responsable de traitement)",
                    "Record of processing activities (controller)"
                )
            ),
            View::Processor => format!(
                "{} — {org_name}",
                t(
                    lang,
                    "Registre des catégories d'activités de traitement (sous-traitant)",
                    "Record of categories of processing activities (processor)"
                )
            ),
        },
        header: header_lines(d, view, lang),
        blocks: Vec::new(),
    };
    organisation_block(&mut doc, d, view, lang);
    let activities: Vec<(&str, &Activity)> = d.activities_with_role(view.role()).collect();
    doc.h2(t(lang, "Liste des activités", "List of activities"));
    if activities.is_empty() {
        doc.para(t(
            lang,
            "Aucune activité déclarée pour ce rôle.",
            "No activity declared for this role.",
        ));
    } else {
        doc.table(
            vec![
                t(lang, "Réf.", "Ref."),
                t(lang, "Activité", "Activity"),
                t(lang, "Finalité principale", "Main purpose"),
                t(lang, "Données sensibles", "Sensitive data"),
                t(lang, "Mise à jour", "Updated"),
            ],
            activities
                .iter()
                .map(|(id, a)| {
                    vec![
                        id.to_string(),
                        a.name.get(lang).to_string(),
                        a.purpose
                            .as_ref()
                            .map_or(NONE.to_string(), |p| p.get(lang).to_string()),
                        yes_no(has_sensitive(d, a), lang),
                        or_none(a.updated.as_ref().map(|u| u.get_ref().as_str())),
                    ]
                })
                .collect(),
        );
    }
    for (id, a) in activities {
        fiche(&mut doc, d, view, id, a, lang);
    }
    doc
}

pub(crate) fn header_lines(d: &Declarations, view: View, lang: Lang) -> Vec<String> {
    let (version, updated) = d.version_line();
    let article = match view {
        View::Controller => t(lang, "Article 30(1) du RGPD", "GDPR Article 30(1)"),
        View::Processor => t(lang, "Article 30(2) du RGPD", "GDPR Article 30(2)"),
    };
    vec![
        article,
        format!(
            "{}{sep}{version} — {}{sep}{updated}",
            t(lang, "Version", "Version"),
            t(lang, "mise à jour", "updated"),
            sep = super::colon(lang)
        ),
    ]
}

fn organisation_block(doc: &mut Doc, d: &Declarations, view: View, lang: Lang) {
    doc.h2(match view {
        View::Controller => t(lang, "Responsable de traitement", "Controller"),
        View::Processor => t(lang, "Sous-traitant", "Processor"),
    });
    let mut fields = Vec::new();
    if let Some(o) = d.organisation() {
        fields.push((t(lang, "Nom", "Name"), o.name.get_ref().clone()));
        if let Some(form) = &o.legal_form {
            fields.push((t(lang, "Forme juridique", "Legal form"), form.clone()));
        }
        if let Some(siren) = &o.siren {
            fields.push(("SIREN".into(), siren.get_ref().clone()));
        }
        if let Some(kbo) = &o.kbo {
            fields.push((
                t(lang, "Numéro d'entreprise (BCE)", "Enterprise number (KBO)"),
                kbo.get_ref().clone(),
            ));
        }
        fields.push((
            t(lang, "Adresse", "Address"),
            or_none(o.address.as_ref().map(|a| a.get_ref().as_str())),
        ));
        fields.push((
            t(lang, "Courriel", "E-mail"),
            or_none(o.email.as_ref().map(|a| a.get_ref().as_str())),
        ));
        if let Some(phone) = &o.phone {
            fields.push((t(lang, "Téléphone", "Phone"), phone.clone()));
        }
        if let Some(r) = &o.representative {
            fields.push((
                t(lang, "Représentant (art. 27)", "Representative (Art. 27)"),
                party(r),
            ));
        }
        if view == View::Controller && !o.joint_controllers.is_empty() {
            fields.push((
                t(lang, "Responsables conjoints", "Joint controllers"),
                o.joint_controllers
                    .iter()
                    .map(party)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
        }
    }
    if let Some(dpo) = d.dpo() {
        let parts: Vec<String> = [
            dpo.name.clone(),
            dpo.email.as_ref().map(|e| e.get_ref().clone()),
            dpo.phone.clone(),
            dpo.address.clone(),
            dpo.contact_url.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        fields.push((
            t(
                lang,
                "Délégué à la protection des données",
                "Data protection officer",
            ),
            join_or_none(parts),
        ));
    }
    doc.fields(fields);
    if view == View::Processor {
        doc.h3(
            t(
                lang,
                "Services et responsables de traitement",
                "Services and controllers",
            ),
            None,
        );
        let rows = d
            .services
            .iter()
            .filter(|(_, s)| s.role == Role::Processor)
            .map(|(_, s)| {
                vec![
                    s.name.get(lang).to_string(),
                    s.controllers
                        .as_ref()
                        .map_or(NONE.to_string(), |c| c.get(lang).to_string()),
                    s.breach_regime.label(lang).to_string(),
                ]
            })
            .collect();
        doc.table(
            vec![
                t(lang, "Service", "Service"),
                t(
                    lang,
                    "Responsables de traitement (art. 30(2)(a))",
                    "Controllers (Art. 30(2)(a))",
                ),
                t(lang, "Notification des violations", "Breach notification"),
            ],
            rows,
        );
    }
}

fn party(p: &crate::declarations::Party) -> String {
    [
        Some(p.name.get_ref().clone()),
        p.address.clone(),
        p.email.clone(),
        p.phone.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

fn fiche(doc: &mut Doc, d: &Declarations, view: View, id: &str, a: &Activity, lang: Lang) {
    doc.h2(format!("{id} — {}", a.name.get(lang)));
    let mut f = vec![(
        t(lang, "Finalité", "Purpose"),
        a.purpose
            .as_ref()
            .map_or(NONE.to_string(), |p| p.get(lang).to_string()),
    )];
    let services: Vec<String> = a
        .services
        .iter()
        .map(|s| {
            d.service(s.get_ref())
                .map_or(s.get_ref().clone(), |x| x.name.get(lang).to_string())
        })
        .collect();
    f.push((t(lang, "Services", "Services"), join_or_none(services)));
    if view == View::Processor {
        f.push((
            t(lang, "Pour le compte de", "On behalf of"),
            join_or_none(d.controllers_of(a, lang)),
        ));
    } else {
        f.push((t(lang, "Base légale", "Legal basis"), legal_basis(a, lang)));
        if let Some(li) = &a.legitimate_interest {
            f.push((
                t(
                    lang,
                    "Intérêt légitime poursuivi",
                    "Legitimate interest pursued",
                ),
                li.get(lang).to_string(),
            ));
        }
        if let Some(j) = &a.joint_controller {
            f.push((
                t(lang, "Responsable conjoint", "Joint controller"),
                j.get_ref().clone(),
            ));
        }
    }
    f.push((
        t(lang, "Personnes concernées", "Data subjects"),
        join_or_none(d.subject_labels(&a.subjects, lang)),
    ));
    f.push((
        t(lang, "Données sensibles", "Sensitive data"),
        sensitive_detail(d, a, lang),
    ));
    if let Some(source) = &a.source {
        f.push((
            t(lang, "Source des données", "Source of the data"),
            source.get(lang).to_string(),
        ));
    }
    f.push((
        t(lang, "Destinataires", "Recipients"),
        recipients_summary(d, a, lang),
    ));
    f.push((
        t(
            lang,
            "Transferts hors UE/EEE",
            "Transfers outside the EU/EEA",
        ),
        transfers_summary(d, a, lang),
    ));
    f.push((
        t(lang, "Mesures de sécurité", "Security measures"),
        join_or_none(
            a.measures
                .iter()
                .map(|m| d.measure_label(m.get_ref(), lang))
                .collect(),
        ),
    ));
    if a.automated_decisions {
        f.push((
            t(
                lang,
                "Décision automatisée (art. 22)",
                "Automated decision (Art. 22)",
            ),
            yes_no(true, lang),
        ));
    }
    if let Some(sw) = &a.software {
        f.push((t(lang, "Logiciel", "Software"), sw.clone()));
    }
    f.push((
        t(lang, "Création / mise à jour", "Created / updated"),
        format!(
            "{} / {}",
            or_none(a.created.as_ref().map(|c| c.get_ref().as_str())),
            or_none(a.updated.as_ref().map(|c| c.get_ref().as_str()))
        ),
    ));
    doc.fields(f);
    doc.table(
        vec![
            t(lang, "Catégorie de données", "Data category"),
            t(lang, "Famille (modèle CNIL)", "Family (CNIL model)"),
            t(lang, "Durée de conservation", "Retention"),
            t(lang, "À l'échéance", "On expiry"),
        ],
        a.categories
            .iter()
            .filter_map(|c| d.category(c.get_ref()))
            .map(|c| {
                vec![
                    c.name.get(lang).to_string(),
                    c.family.label(lang).to_string(),
                    c.retention_rule()
                        .map_or(NONE.to_string(), |r| r.describe(lang)),
                    c.on_expiry.label(lang).to_string(),
                ]
            })
            .collect(),
    );
}

pub(crate) fn legal_basis(a: &Activity, lang: Lang) -> String {
    let Some(basis) = a.legal_basis() else {
        return NONE.to_string();
    };
    let mut text = basis.label_with_article(lang);
    if let Some(r) = &a.legal_basis_ref {
        text.push_str(&format!(" — {r}"));
    }
    if let Some(c) = &a.art9_condition {
        text.push_str(&format!(" ; {}", c.get_ref().label(lang)));
    }
    text
}

pub(crate) fn has_sensitive(d: &Declarations, a: &Activity) -> bool {
    a.categories
        .iter()
        .filter_map(|c| d.category(c.get_ref()))
        .any(|c| c.is_sensitive())
}

pub(crate) fn sensitive_detail(d: &Declarations, a: &Activity, lang: Lang) -> String {
    let items: Vec<String> = a
        .categories
        .iter()
        .filter_map(|c| d.category(c.get_ref()))
        .filter(|c| c.sensitivity != Sensitivity::Normal)
        .map(|c| format!("{} ({})", c.name.get(lang), c.sensitivity.label(lang)))
        .collect();
    if items.is_empty() {
        t(lang, "Non", "No")
    } else {
        items.join(", ")
    }
}

/// Recipients of an activity grouped as in the CNIL fiche.
pub(crate) fn recipients_by_kind(d: &Declarations, a: &Activity, lang: Lang) -> [Vec<String>; 3] {
    let mut internal = Vec::new();
    let mut external = Vec::new();
    let mut processors = Vec::new();
    for r in &a.recipients {
        let Some(rec) = d.recipient(r.get_ref()) else {
            continue;
        };
        let label = match &rec.country {
            Some(c) => format!("{} ({})", rec.name.get(lang), c.get_ref()),
            None => rec.name.get(lang).to_string(),
        };
        match rec.role {
            RecipientRole::Internal => internal.push(label),
            RecipientRole::ThirdParty | RecipientRole::Authority => external.push(label),
            RecipientRole::Processor | RecipientRole::SubProcessor => processors.push(label),
        }
    }
    [internal, external, processors]
}

fn recipients_summary(d: &Declarations, a: &Activity, lang: Lang) -> String {
    let [internal, external, processors] = recipients_by_kind(d, a, lang);
    let sep = super::colon(lang);
    let parts: Vec<String> = [
        (t(lang, "internes", "internal"), internal),
        (t(lang, "organismes externes", "external bodies"), external),
        (t(lang, "sous-traitants", "processors"), processors),
    ]
    .into_iter()
    .filter(|(_, names)| !names.is_empty())
    .map(|(kind, names)| format!("{kind}{sep}{}", names.join(", ")))
    .collect();
    if parts.is_empty() {
        NONE.to_string()
    } else {
        parts.join("\n")
    }
}

pub(crate) fn transfers_summary(d: &Declarations, a: &Activity, lang: Lang) -> String {
    let transfers = d.transfers_of(a);
    if transfers.is_empty() {
        return t(lang, "Aucun", "None");
    }
    transfers
        .iter()
        .map(|tr| {
            let safeguard = tr.safeguard.map_or_else(
                || {
                    crate::declarations::adequacy::adequacy(tr.country)
                        .map_or(NONE.to_string(), |dec| {
                            format!("{} ({})", t(lang, "adéquation", "adequacy"), dec.decision)
                        })
                },
                |s| s.label(lang).to_string(),
            );
            format!(
                "{} → {}{sep}{safeguard}",
                d.recipient_label(tr.recipient, lang),
                tr.country,
                sep = super::colon(lang)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn yes_no(value: bool, lang: Lang) -> String {
    if value {
        t(lang, "Oui", "Yes")
    } else {
        t(lang, "Non", "No")
    }
}
