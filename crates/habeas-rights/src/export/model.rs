//! The typed documents behind every export format. Field names are the JSON
//! keys of schemas `habeas.access-export/1` and `habeas.portability-export/1`
//! (docs/rights.md); renaming one is a breaking change.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use habeas_core::consent::ConsentState;
use habeas_core::declarations::{LegalBasis, RecipientRole, Role, Safeguard};
use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};

use crate::held::{SourceChannel, SubjectStatus};

/// Schema id of the access export.
pub const ACCESS_EXPORT_SCHEMA: &str = "habeas.access-export/1";
/// Schema id of the portability export.
pub const PORTABILITY_EXPORT_SCHEMA: &str = "habeas.portability-export/1";

/// The answer to an access request (Art. 15(1)–(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessExport {
    pub schema: String,
    pub generated_at: DateTime<Utc>,
    pub lang: Lang,
    /// Declarations version the information comes from.
    pub declarations_version: String,
    pub controller: ControllerInfo,
    pub subject: ExportSubject,
    /// Art. 15(1): confirmation that personal data are processed.
    pub processed: bool,
    /// The copy of the data (Art. 15(3)) grouped by category, with the
    /// information on each category (Art. 15(1)(b), (d)).
    pub categories: Vec<CategoryExport>,
    /// Art. 15(1)(a): the purposes, with their legal basis.
    pub purposes: Vec<PurposeInfo>,
    /// Art. 15(1)(c): the recipients.
    pub recipients: Vec<RecipientInfo>,
    /// Art. 15(2): transfers outside the EEA and their safeguards.
    pub transfers: Vec<TransferInfo>,
    /// Art. 15(1)(g): where data not collected from the subject came from.
    pub sources: Vec<SourceInfo>,
    /// Art. 15(1)(h): automated decision-making, including profiling.
    pub automated_decisions: AutomatedDecisions,
    /// Art. 15(1)(e): the rights the subject may exercise.
    pub rights: Vec<RightInfo>,
    /// Art. 15(1)(f): the right to lodge a complaint.
    pub complaint: ComplaintInfo,
    /// Art. 7: the consent state of every consent purpose.
    pub consents: Vec<ConsentInfo>,
    /// CJEU C-579/21: dates and purposes of consultations, without staff names.
    pub access_log: Vec<AccessLogEntry>,
}

/// Who answers (Art. 13(1)(a)–(b) details, repeated for the subject).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerInfo {
    pub name: String,
    pub address: Option<String>,
    pub email: Option<String>,
    pub dpo_email: Option<String>,
    /// Where to send rights requests.
    pub rights_contact: Option<String>,
    pub portal_url: Option<String>,
}

/// The subject the export is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSubject {
    pub id: String,
    pub kind: String,
    pub kind_label: String,
    pub status: SubjectStatus,
    pub status_label: String,
}

impl ExportSubject {
    /// Set the status and its label; a closing or closed account says
    /// since when (the day, UTC).
    pub fn set_status(&mut self, status: SubjectStatus, lang: Lang) {
        let day = |at: DateTime<Utc>| at.format("%Y-%m-%d").to_string();
        self.status_label = match status {
            SubjectStatus::Active => status.label(lang).to_string(),
            SubjectStatus::Closing { since } | SubjectStatus::Closed { since } => format!(
                "{} {} {}",
                status.label(lang),
                lang.pick("depuis le", "since"),
                day(since)
            ),
        };
        self.status = status;
    }
}

/// One category of data held, with its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryExport {
    pub key: String,
    pub label: String,
    pub description: Option<String>,
    /// As declared (`provided_by_subject`): collected from the subject (Art. 13) or not (Art. 14).
    pub provided_by_subject: bool,
    pub sensitive: bool,
    /// Art. 15(1)(d).
    pub retention: Option<RetentionInfo>,
    /// Activity ids processing this category for the subject.
    pub purposes: Vec<String>,
    /// Declared field names, in declaration order, then any other field found.
    pub fields: Vec<String>,
    pub records: Vec<RecordExport>,
}

/// How long a category is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionInfo {
    /// The rule as declared (canonical grammar, e.g. `10 years after collection`).
    pub rule: String,
    /// The rule in words, in the export's language.
    pub description: String,
    /// The statute when the period is a legal obligation.
    pub legal_obligation: Option<String>,
}

/// One record in the copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordExport {
    pub id: String,
    pub recorded_at: DateTime<Utc>,
    pub source_channel: SourceChannel,
    pub source_label: String,
    pub purposes: Vec<String>,
    pub fields: BTreeMap<String, String>,
}

/// One purpose (processing activity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeInfo {
    pub id: String,
    pub name: String,
    pub purpose: Option<String>,
    /// `controller`, or `processor` when the provider acts for its customers.
    pub role: Role,
    /// For processor activities: the controllers to address for their processing.
    pub controllers: Vec<String>,
    pub legal_basis: Option<LegalBasisInfo>,
    /// Art. 13(1)(d): the legitimate interest pursued.
    pub legitimate_interest: Option<String>,
    pub categories: Vec<String>,
    pub recipients: Vec<String>,
    pub automated_decisions: bool,
}

/// A legal basis of Art. 6(1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalBasisInfo {
    pub key: LegalBasis,
    pub article: String,
    pub label: String,
    /// The statute, for a legal obligation.
    pub reference: Option<String>,
}

/// A recipient of the subject's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientInfo {
    pub key: String,
    pub name: String,
    pub role: RecipientRole,
    pub role_label: String,
    pub country: Option<String>,
    /// Held categories this recipient receives.
    pub categories: Vec<String>,
}

/// A transfer outside the EEA (Art. 15(2), 46).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferInfo {
    pub recipient: String,
    pub recipient_name: String,
    pub country: String,
    pub safeguard: Option<Safeguard>,
    pub safeguard_label: Option<String>,
    pub safeguard_ref: Option<String>,
}

/// Where a category came from, when not from the subject (Art. 15(1)(g)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub category: String,
    pub category_label: String,
    pub source: String,
}

/// Art. 15(1)(h) and Art. 22.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomatedDecisions {
    /// Whether any activity processing the subject's data decides solely by automated means.
    pub any: bool,
    pub activities: Vec<String>,
    pub statement: String,
}

/// A right and how to exercise it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightInfo {
    /// `access`, `rectification`, …, `consent_withdrawal`.
    pub right: String,
    pub article: String,
    pub label: String,
    pub how: String,
}

/// Art. 15(1)(f), 77.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintInfo {
    pub authority: String,
    pub address: String,
    pub website: String,
    pub statement: String,
}

/// The consent state of one consent purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentInfo {
    pub purpose: String,
    pub state: ConsentState,
}

/// One consultation of the subject's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogEntry {
    pub at: DateTime<Utc>,
    pub purpose: String,
    pub purpose_label: String,
    pub categories: Vec<String>,
}

/// The answer to a portability request (Art. 20).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortabilityExport {
    pub schema: String,
    pub generated_at: DateTime<Utc>,
    pub subject: String,
    pub categories: Vec<PortableCategory>,
    /// What was left out and why, so the subject can use Art. 15 for it.
    pub excluded: Vec<Exclusion>,
}

/// One category in a portability export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortableCategory {
    pub key: String,
    pub fields: Vec<String>,
    pub records: Vec<PortableRecord>,
}

/// One record in a portability export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortableRecord {
    pub id: String,
    pub recorded_at: DateTime<Utc>,
    pub fields: BTreeMap<String, String>,
}

/// Why records were left out of a portability export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// The category is declared as not provided by the subject, or the
    /// record's source channel is not the subject (Art. 20(1)).
    NotProvidedBySubject,
    /// No purpose of the record rests on consent or contract (Art. 20(1)(a)).
    NotConsentOrContract,
    /// The category is not declared.
    UndeclaredCategory,
}

/// Records left out of a portability export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    pub category: String,
    pub reason: ExclusionReason,
    pub records: usize,
}
