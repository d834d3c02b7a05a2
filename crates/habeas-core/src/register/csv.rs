//! The register as CSV, one row per activity, in the columns of the CNIL
//! model register ("fiche de registre" of the registre de base 2018 and of
//! the simplified ODS of 2019, STANDARDS §1.4): header, purpose, data
//! subjects, the data-category rows (description + retention for each
//! family, plus the NIR row), sensitive data, the three recipient lists,
//! transfers outside the EU (recipient, country, type of safeguard, link to
//! documentation) and the security-measure checklist. Habeas adds the legal
//! basis (STANDARDS §1.7) after the purpose; the processor view adds the
//! controllers (Art. 30(2)(a)) as a last column.

use std::collections::BTreeMap;

use super::fiche::{legal_basis, recipients_by_kind};
use super::{NONE, View, t};
use crate::declarations::{Activity, CnilFamily, Declarations, MeasureFamily, Sensitivity};
use crate::lang::Lang;

/// The CNIL model columns, in French (the model's own labels).
pub const CNIL_COLUMNS_FR: &[&str] = &[
    "N° / Réf",
    "Nom du traitement",
    "Date de création",
    "Date de mise à jour",
    "Responsable conjoint",
    "Logiciel",
    "Finalité principale",
    "Base légale",
    "Catégories de personnes concernées",
    "État civil, identité, données d'identification, images — description",
    "État civil, identité, données d'identification, images — durée de conservation",
    "Vie personnelle — description",
    "Vie personnelle — durée de conservation",
    "Vie professionnelle — description",
    "Vie professionnelle — durée de conservation",
    "Informations d'ordre économique et financier — description",
    "Informations d'ordre économique et financier — durée de conservation",
    "Données de connexion — description",
    "Données de connexion — durée de conservation",
    "Données de localisation — description",
    "Données de localisation — durée de conservation",
    "Internet — description",
    "Internet — durée de conservation",
    "Autres — description",
    "Autres — durée de conservation",
    "NIR — description",
    "NIR — durée de conservation",
    "Données sensibles",
    "Données sensibles — détail",
    "Destinataires internes",
    "Organismes externes",
    "Sous-traitants",
    "Transferts hors UE",
    "Transferts hors UE — destinataire",
    "Transferts hors UE — pays",
    "Transferts hors UE — type de garanties",
    "Transferts hors UE — lien vers la documentation",
    "Contrôle d'accès des utilisateurs",
    "Mesures de traçabilité",
    "Mesures de protection des logiciels",
    "Sauvegarde des données",
    "Chiffrement des données",
    "Contrôle des sous-traitants",
    "Autres mesures",
];

/// The same columns in English, in the same order.
pub const CNIL_COLUMNS_EN: &[&str] = &[
    "No. / Ref",
    "Processing name",
    "Creation date",
    "Update date",
    "Joint controller",
    "Software",
    "Main purpose",
    "Legal basis",
    "Categories of data subjects",
    "Civil status, identity, identification data, images — description",
    "Civil status, identity, identification data, images — retention",
    "Personal life — description",
    "Personal life — retention",
    "Professional life — description",
    "Professional life — retention",
    "Economic and financial information — description",
    "Economic and financial information — retention",
    "Connection data — description",
    "Connection data — retention",
    "Location data — description",
    "Location data — retention",
    "Internet — description",
    "Internet — retention",
    "Other — description",
    "Other — retention",
    "NIR — description",
    "NIR — retention",
    "Sensitive data",
    "Sensitive data — detail",
    "Internal recipients",
    "External bodies",
    "Processors",
    "Transfers outside the EU",
    "Transfers outside the EU — recipient",
    "Transfers outside the EU — country",
    "Transfers outside the EU — type of safeguard",
    "Transfers outside the EU — link to documentation",
    "User access control",
    "Traceability",
    "Software protection",
    "Data backup",
    "Data encryption",
    "Processor control",
    "Other measures",
];

/// The header for a language and view.
pub fn cnil_columns(lang: Lang, view: View) -> Vec<&'static str> {
    let mut columns = match lang {
        Lang::Fr => CNIL_COLUMNS_FR.to_vec(),
        Lang::En => CNIL_COLUMNS_EN.to_vec(),
    };
    if view == View::Processor {
        columns.push(lang.pick(
            "Responsables de traitement (art. 30(2)(a))",
            "Controllers (Art. 30(2)(a))",
        ));
    }
    columns
}

const MEASURE_BOXES: [MeasureFamily; 7] = [
    MeasureFamily::AccessControl,
    MeasureFamily::Traceability,
    MeasureFamily::SoftwareProtection,
    MeasureFamily::Backup,
    MeasureFamily::Encryption,
    MeasureFamily::ProcessorControl,
    MeasureFamily::Other,
];

pub(crate) fn render(d: &Declarations, view: View, lang: Lang) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let _ = writer.write_record(cnil_columns(lang, view));
    for (id, a) in d.activities_with_role(view.role()) {
        let _ = writer.write_record(row(d, view, id, a, lang));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn row(d: &Declarations, view: View, id: &str, a: &Activity, lang: Lang) -> Vec<String> {
    let text = |v: Option<&str>| v.unwrap_or("").to_string();
    let mut r = vec![
        id.to_string(),
        a.name.get(lang).to_string(),
        text(a.created.as_ref().map(|x| x.get_ref().as_str())),
        text(a.updated.as_ref().map(|x| x.get_ref().as_str())),
        text(a.joint_controller.as_ref().map(|x| x.get_ref().as_str())),
        text(a.software.as_deref()),
        a.purpose
            .as_ref()
            .map_or(String::new(), |p| p.get(lang).to_string()),
        if view == View::Controller {
            legal_basis(a, lang)
        } else {
            String::new()
        },
        d.subject_labels(&a.subjects, lang).join(", "),
    ];
    // Family rows: description and retention of each category in the family.
    let mut families: BTreeMap<CnilFamily, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut nir = (Vec::new(), Vec::new());
    let mut sensitive = Vec::new();
    for c in a.categories.iter().filter_map(|c| d.category(c.get_ref())) {
        let description = match &c.description {
            Some(desc) => format!(
                "{}{sep}{}",
                c.name.get(lang),
                desc.get(lang),
                sep = super::colon(lang)
            ),
            None => c.name.get(lang).to_string(),
        };
        let retention = format!(
            "{}{sep}{}",
            c.name.get(lang),
            c.retention_rule()
                .map_or(NONE.to_string(), |x| x.describe(lang)),
            sep = super::colon(lang)
        );
        match c.sensitivity {
            Sensitivity::Nir => {
                nir.0.push(description);
                nir.1.push(retention);
            }
            Sensitivity::Special | Sensitivity::Criminal => {
                sensitive.push(format!(
                    "{} ({})",
                    c.name.get(lang),
                    c.sensitivity.label(lang)
                ));
                let entry = families.entry(c.family).or_default();
                entry.0.push(description);
                entry.1.push(retention);
            }
            Sensitivity::Normal => {
                let entry = families.entry(c.family).or_default();
                entry.0.push(description);
                entry.1.push(retention);
            }
        }
    }
    for family in CnilFamily::ALL {
        let (desc, ret) = families.remove(&family).unwrap_or_default();
        r.push(desc.join(" | "));
        r.push(ret.join(" | "));
    }
    r.push(nir.0.join(" | "));
    r.push(nir.1.join(" | "));
    r.push(if sensitive.is_empty() {
        t(lang, "Non", "No")
    } else {
        t(lang, "Oui", "Yes")
    });
    r.push(sensitive.join(", "));
    let [internal, external, processors] = recipients_by_kind(d, a, lang);
    r.push(internal.join(", "));
    r.push(external.join(", "));
    r.push(processors.join(", "));
    let transfers = d.transfers_of(a);
    r.push(if transfers.is_empty() {
        t(lang, "Non", "No")
    } else {
        t(lang, "Oui", "Yes")
    });
    r.push(
        transfers
            .iter()
            .map(|x| d.recipient_label(x.recipient, lang))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    r.push(
        transfers
            .iter()
            .map(|x| x.country.to_string())
            .collect::<Vec<_>>()
            .join(" | "),
    );
    r.push(
        transfers
            .iter()
            .map(|x| {
                x.safeguard.map_or_else(
                    || {
                        t(
                            lang,
                            "Décision d'adéquation (art. 45)",
                            "Adequacy decision (Art. 45)",
                        )
                    },
                    |s| s.label(lang).to_string(),
                )
            })
            .collect::<Vec<_>>()
            .join(" | "),
    );
    r.push(
        transfers
            .iter()
            .map(|x| x.safeguard_ref.unwrap_or("").to_string())
            .collect::<Vec<_>>()
            .join(" | "),
    );
    for family in MEASURE_BOXES {
        let names: Vec<String> = a
            .measures
            .iter()
            .filter_map(|m| d.measure(m.get_ref()))
            .filter(|m| m.family.cnil_box() == family)
            .map(|m| match &m.description {
                Some(desc) => format!(
                    "{}{sep}{}",
                    m.name.get(lang),
                    desc.get(lang),
                    sep = super::colon(lang)
                ),
                None => m.name.get(lang).to_string(),
            })
            .collect();
        r.push(names.join(" | "));
    }
    if view == View::Processor {
        r.push(d.controllers_of(a, lang).join(" | "));
    }
    r
}
