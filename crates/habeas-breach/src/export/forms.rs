//! The layouts of the two authority forms: sections in the order of each
//! form, field labels in French and English, and which fields Art. 33(3)
//! makes mandatory. Layouts are data so a change of the live form is a
//! change of this table only.

use habeas_core::lang::Lang;

use super::Form;

/// A section of a form: its key, titles and field keys in order.
pub(super) struct SectionDef {
    pub key: &'static str,
    pub fr: &'static str,
    pub en: &'static str,
    pub fields: &'static [&'static str],
}

const CNIL: &[SectionDef] = &[
    SectionDef {
        key: "organisation",
        fr: "Organisme déclarant",
        en: "Notifying organisation",
        fields: &["org.name", "org.siren", "org.address", "dpo.contact"],
    },
    SectionDef {
        key: "notification",
        fr: "Notification",
        en: "Notification",
        fields: &[
            "notification.phase",
            "notification.regime",
            "notification.previous",
            "notification.delay_reason",
        ],
    },
    SectionDef {
        key: "nature",
        fr: "Nature de la violation",
        en: "Nature of the breach",
        fields: &[
            "breach.certainty",
            "breach.detected_at",
            "breach.aware_at",
            "breach.start",
            "breach.end",
            "breach.reported_by_processor_at",
            "breach.discovery",
            "breach.description",
            "breach.nature",
            "breach.origin",
            "breach.processors",
        ],
    },
    SectionDef {
        key: "persons",
        fr: "Personnes concernées",
        en: "Persons concerned",
        fields: &["subjects.categories", "subjects.approx", "impact.method"],
    },
    SectionDef {
        key: "data",
        fr: "Données concernées",
        en: "Data concerned",
        fields: &[
            "data.categories",
            "data.sensitive",
            "records.approx",
            "breach.services",
            "breach.systems",
        ],
    },
    SectionDef {
        key: "consequences",
        fr: "Conséquences probables",
        en: "Likely consequences",
        fields: &["consequences"],
    },
    SectionDef {
        key: "measures",
        fr: "Mesures prises",
        en: "Measures taken",
        fields: &["measures.taken", "measures.planned"],
    },
    SectionDef {
        key: "information",
        fr: "Information des personnes",
        en: "Information of the persons",
        fields: &["subjects.decision", "subjects.communication"],
    },
];

const APD: &[SectionDef] = &[
    SectionDef {
        key: "controller",
        fr: "Identification du responsable du traitement",
        en: "Identification of the controller",
        fields: &["org.name", "org.kbo", "org.address"],
    },
    SectionDef {
        key: "contact",
        fr: "Personne de contact",
        en: "Contact person",
        fields: &["dpo.contact"],
    },
    SectionDef {
        key: "notification",
        fr: "Type de notification",
        en: "Type of notification",
        fields: &[
            "notification.phase",
            "notification.regime",
            "notification.previous",
            "notification.delay_reason",
        ],
    },
    SectionDef {
        key: "description",
        fr: "Description de la fuite de données",
        en: "Description of the data breach",
        fields: &[
            "breach.description",
            "breach.certainty",
            "breach.start",
            "breach.end",
            "breach.detected_at",
            "breach.aware_at",
            "breach.reported_by_processor_at",
            "breach.discovery",
            "breach.nature",
            "breach.origin",
            "breach.processors",
            "breach.services",
            "breach.systems",
        ],
    },
    SectionDef {
        key: "concerned",
        fr: "Données et personnes concernées",
        en: "Data and persons concerned",
        fields: &[
            "subjects.categories",
            "subjects.approx",
            "data.categories",
            "data.sensitive",
            "records.approx",
            "impact.method",
        ],
    },
    SectionDef {
        key: "consequences",
        fr: "Conséquences possibles",
        en: "Possible consequences",
        fields: &["consequences"],
    },
    SectionDef {
        key: "measures",
        fr: "Mesures prises ou envisagées",
        en: "Measures taken or proposed",
        fields: &["measures.taken", "measures.planned"],
    },
    SectionDef {
        key: "communication",
        fr: "Communication aux personnes concernées",
        en: "Communication to the persons concerned",
        fields: &["subjects.decision", "subjects.communication"],
    },
];

pub(super) fn layout(form: Form) -> &'static [SectionDef] {
    match form {
        Form::Cnil => CNIL,
        Form::Apd => APD,
    }
}

/// The label of a field.
pub(super) fn label(key: &str, lang: Lang) -> &'static str {
    let (fr, en) = match key {
        "org.name" => ("Dénomination", "Name"),
        "org.siren" => ("Numéro SIREN", "SIREN number"),
        "org.kbo" => ("Numéro d'entreprise (BCE)", "Enterprise number (KBO)"),
        "org.address" => ("Adresse", "Address"),
        "dpo.contact" => (
            "Délégué à la protection des données ou point de contact",
            "Data protection officer or contact point",
        ),
        "notification.phase" => ("Type de notification", "Type of notification"),
        "notification.regime" => ("Régime applicable", "Applicable regime"),
        "notification.previous" => ("Notification initiale", "Initial notification"),
        "notification.delay_reason" => (
            "Motifs du retard de notification",
            "Reasons for the late notification",
        ),
        "breach.certainty" => (
            "Caractère établi ou supposé de la violation",
            "Established or suspected breach",
        ),
        "breach.detected_at" => ("Date de découverte", "Date of discovery"),
        "breach.aware_at" => (
            "Date de prise de connaissance de la violation",
            "Date of awareness of the breach",
        ),
        "breach.start" => ("Début de la violation", "Start of the breach"),
        "breach.end" => ("Fin de la violation", "End of the breach"),
        "breach.reported_by_processor_at" => (
            "Date d'information par le sous-traitant",
            "Date the processor informed us",
        ),
        "breach.discovery" => (
            "Circonstances de la découverte",
            "How the breach was discovered",
        ),
        "breach.description" => ("Description des faits", "Description of the facts"),
        "breach.nature" => ("Type de violation", "Type of breach"),
        "breach.origin" => ("Origine", "Origin"),
        "breach.processors" => ("Sous-traitants impliqués", "Processors involved"),
        "breach.services" => ("Services concernés", "Services concerned"),
        "breach.systems" => (
            "Systèmes et supports concernés",
            "Systems and media concerned",
        ),
        "subjects.categories" => (
            "Catégories de personnes concernées",
            "Categories of data subjects",
        ),
        "subjects.approx" => (
            "Nombre approximatif de personnes concernées",
            "Approximate number of data subjects",
        ),
        "impact.method" => ("Méthode de dénombrement", "How the numbers were obtained"),
        "data.categories" => (
            "Catégories de données concernées",
            "Categories of personal data",
        ),
        "data.sensitive" => (
            "Données sensibles (art. 9 et 10 RGPD, NIR)",
            "Sensitive data (GDPR Art. 9 and 10, national ids)",
        ),
        "records.approx" => (
            "Nombre approximatif d'enregistrements concernés",
            "Approximate number of records concerned",
        ),
        "consequences" => (
            "Conséquences probables pour les personnes",
            "Likely consequences for the persons",
        ),
        "measures.taken" => ("Mesures prises", "Measures taken"),
        "measures.planned" => ("Mesures envisagées", "Measures proposed"),
        "measures" => ("Mesures prises ou envisagées", "Measures taken or proposed"),
        "subjects.decision" => (
            "Évaluation du risque et décision (art. 34)",
            "Risk assessment and decision (Art. 34)",
        ),
        "subjects.communication" => (
            "Information des personnes concernées",
            "Information of the data subjects",
        ),
        _ => ("", ""),
    };
    lang.pick(fr, en)
}

/// The provision that makes a field mandatory in the notification.
pub(super) fn article(key: &str) -> Option<&'static str> {
    match key {
        "breach.description"
        | "breach.nature"
        | "subjects.categories"
        | "subjects.approx"
        | "data.categories"
        | "records.approx" => Some("GDPR Art. 33(3)(a)"),
        "dpo.contact" => Some("GDPR Art. 33(3)(b)"),
        "consequences" => Some("GDPR Art. 33(3)(c)"),
        "measures.taken" | "measures.planned" | "measures" => Some("GDPR Art. 33(3)(d)"),
        "notification.delay_reason" => Some("GDPR Art. 33(1)"),
        _ => None,
    }
}

/// How staff complete a missing field (the register field to fill).
pub(super) fn fix(key: &str, lang: Lang) -> &'static str {
    match key {
        "breach.description" => lang.pick(
            "décrire les faits en français et en anglais (champ `description`)",
            "describe the facts in French and English (field `description`)",
        ),
        "breach.nature" => lang.pick(
            "indiquer confidentialité, intégrité et/ou disponibilité (champ `natures`)",
            "give confidentiality, integrity and/or availability (field `natures`)",
        ),
        "subjects.categories" => lang.pick(
            "indiquer les catégories de personnes déclarées (champ `subject_categories`)",
            "give the declared subject categories (field `subject_categories`)",
        ),
        "subjects.approx" | "records.approx" => lang.pick(
            "calculer l'estimation dans le coffre ou saisir une estimation motivée (champ `impact`)",
            "compute the estimate from the vault or enter a reasoned staff estimate (field `impact`)",
        ),
        "data.categories" => lang.pick(
            "indiquer les catégories de données déclarées (champ `data_categories`)",
            "give the declared data categories (field `data_categories`)",
        ),
        "dpo.contact" => lang.pick(
            "déclarer un DPO joignable ([dpo] dans les déclarations) ou renseigner le champ `dpo`",
            "declare a reachable DPO ([dpo] in the declarations) or fill the field `dpo`",
        ),
        "consequences" => lang.pick(
            "décrire les conséquences probables (champ `consequences`)",
            "describe the likely consequences (field `consequences`)",
        ),
        "measures" => lang.pick(
            "décrire les mesures prises ou envisagées (champs `measures_taken`, `measures_planned`)",
            "describe the measures taken or proposed (fields `measures_taken`, `measures_planned`)",
        ),
        "notification.delay_reason" => lang.pick(
            "la notification est hors délai : en donner les motifs (`delay_reason` de la notification)",
            "the notification is late: give the reasons (`delay_reason` of the notification)",
        ),
        _ => lang.pick("compléter ce champ", "complete this field"),
    }
}
