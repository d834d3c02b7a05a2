//! The notification to the supervisory authority, laid out in the fields of
//! the CNIL online form and of the Belgian APD/GBA form, in French or English,
//! for one phase (initial, then complementary: Art. 33(4)).
//!
//! The export is data first ([`AuthorityExport`], JSON with a stable schema
//! id) and a readable document second ([`render`]). It lists precisely the
//! mandatory fields still missing (Art. 33(3)(a)–(d), and the reasons for a
//! late notice, Art. 33(1)) so staff know what to complete; an initial notice
//! may be sent incomplete, the rest follows in the complementary one.
//!
//! The form layouts follow STANDARDS §3.4 (a third-party copy of the CNIL
//! questionnaire) and the APD's published list of items; check them against
//! the live teleservices before relying on the exact order.

mod content;
mod forms;
pub mod render;

use chrono::{DateTime, Utc};
use habeas_core::breach::{BreachClockConfig, Phase};
use habeas_core::declarations::Declarations;
use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::Breach;

/// Schema id of the JSON export; bumped on any incompatible change.
pub const EXPORT_SCHEMA: &str = "habeas.breach.authority-notification/1";

/// Which authority's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// CNIL teleservice (notifications.cnil.fr), France.
    Cnil,
    /// Autorité de protection des données / Gegevensbeschermingsautoriteit, Belgium.
    Apd,
}

impl Form {
    /// The form of the lead authority named in the declarations.
    pub fn for_declarations(decls: &Declarations) -> Form {
        match decls.organisation().map(|o| o.country.get_ref().as_str()) {
            Some("BE") => Form::Apd,
            _ => Form::Cnil,
        }
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Form::Cnil => lang.pick(
                "Notification d'une violation de données personnelles à la CNIL",
                "Personal data breach notification to the CNIL",
            ),
            Form::Apd => lang.pick(
                "Notification d'une fuite de données à l'Autorité de protection des données",
                "Data breach notification to the Belgian Data Protection Authority",
            ),
        }
    }

    pub fn authority(self, lang: Lang) -> &'static str {
        match self {
            Form::Cnil => "Commission nationale de l'informatique et des libertés (CNIL)",
            Form::Apd => lang.pick(
                "Autorité de protection des données (APD/GBA)",
                "Data Protection Authority (APD/GBA)",
            ),
        }
    }
}

/// One field of the form with its value (`None`: not known yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportField {
    pub key: String,
    pub label: String,
    pub value: Option<String>,
    /// The provision making the field mandatory, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
}

/// A section of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSection {
    pub key: String,
    pub title: String,
    pub fields: Vec<ExportField>,
}

/// A mandatory field still to complete, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingField {
    pub key: String,
    pub label: String,
    pub article: String,
    pub fix: String,
}

/// The notification, ready to copy into the authority's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityExport {
    pub schema: String,
    pub form: Form,
    pub title: String,
    pub authority: String,
    pub lang: Lang,
    pub phase: Phase,
    pub breach: String,
    pub generated_at: DateTime<Utc>,
    pub sections: Vec<ExportSection>,
    pub missing: Vec<MissingField>,
    /// No mandatory field is missing.
    pub complete: bool,
}

impl AuthorityExport {
    /// SHA-256 of the JSON export, to record with the notice sent
    /// ([`crate::BreachRegister::record_notification`]).
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&json)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The value of a field by key, in any section.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.sections
            .iter()
            .flat_map(|s| &s.fields)
            .find(|f| f.key == key)
            .and_then(|f| f.value.as_deref())
    }
}

/// Build the export of `breach` for `form`, `phase` and `lang` at `now`.
pub fn notification(
    breach: &Breach,
    decls: &Declarations,
    cfg: &BreachClockConfig,
    form: Form,
    phase: Phase,
    lang: Lang,
    now: DateTime<Utc>,
) -> AuthorityExport {
    let content = content::Content::build(breach, decls, cfg, phase, lang, now);
    let sections: Vec<ExportSection> = forms::layout(form)
        .iter()
        .map(|section| ExportSection {
            key: section.key.to_string(),
            title: lang.pick(section.fr, section.en).to_string(),
            fields: section
                .fields
                .iter()
                .map(|key| content.field(key, lang))
                .collect(),
        })
        .collect();
    let missing = content.missing(form, lang);
    AuthorityExport {
        schema: EXPORT_SCHEMA.to_string(),
        form,
        title: form.title(lang).to_string(),
        authority: form.authority(lang).to_string(),
        lang,
        phase,
        breach: breach.id.clone(),
        generated_at: now,
        complete: missing.is_empty(),
        sections,
        missing,
    }
}
