//! What the vault holds on one subject, as a plain model.
//!
//! Why a model of its own: the exports (Art. 15, Art. 20) and the erasure
//! plan must not depend on how the vault stores records. The engine reads
//! the subject's records, consent states and access journal, fills a
//! [`SubjectHoldings`], and hands it here. Everything in it is about the one
//! subject; the access journal carries dates and purposes only, never staff
//! names (CJEU C-579/21 Pankki S).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use habeas_core::consent::ConsentState;
use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};

/// How a record reached the vault. Decides whether the subject "provided"
/// it (Art. 20(1); WP29 WP242 rev.01 counts data observed from the
/// subject's use of the service as provided, not data inferred or obtained
/// from others).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceChannel {
    /// Typed by the subject in a form: sign-up, account settings, portal.
    Form,
    /// Sent by the subject through the API or their own console.
    SubjectApi,
    /// Written by the subject: an e-mail, a support message.
    SubjectMessage,
    /// A file the subject uploaded.
    SubjectUpload,
    /// Observed from the subject's use of the service (logs, history).
    Observed,
    /// Entered by staff (from a phone call, a paper letter, another system).
    Staff,
    /// Obtained from a third party (directories, partners, public sources).
    ThirdParty,
    /// Computed or inferred by the provider (scores, segments).
    Derived,
    /// A bulk import whose origin is not recorded per record.
    Import,
}

impl SourceChannel {
    pub const ALL: [SourceChannel; 9] = [
        SourceChannel::Form,
        SourceChannel::SubjectApi,
        SourceChannel::SubjectMessage,
        SourceChannel::SubjectUpload,
        SourceChannel::Observed,
        SourceChannel::Staff,
        SourceChannel::ThirdParty,
        SourceChannel::Derived,
        SourceChannel::Import,
    ];

    pub fn key(self) -> &'static str {
        match self {
            SourceChannel::Form => "form",
            SourceChannel::SubjectApi => "subject_api",
            SourceChannel::SubjectMessage => "subject_message",
            SourceChannel::SubjectUpload => "subject_upload",
            SourceChannel::Observed => "observed",
            SourceChannel::Staff => "staff",
            SourceChannel::ThirdParty => "third_party",
            SourceChannel::Derived => "derived",
            SourceChannel::Import => "import",
        }
    }

    /// Art. 20(1): data "provided by" the subject — actively given, or
    /// observed from their use of the service (WP242). Staff entries,
    /// third-party data, inferences and imports of unknown origin are not.
    pub fn provided_by_subject(self) -> bool {
        matches!(
            self,
            SourceChannel::Form
                | SourceChannel::SubjectApi
                | SourceChannel::SubjectMessage
                | SourceChannel::SubjectUpload
                | SourceChannel::Observed
        )
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            SourceChannel::Form => {
                lang.pick("saisie par vous (formulaire)", "entered by you (form)")
            }
            SourceChannel::SubjectApi => lang.pick("envoyée par vous (API)", "sent by you (API)"),
            SourceChannel::SubjectMessage => lang.pick("vos messages", "your messages"),
            SourceChannel::SubjectUpload => {
                lang.pick("vos fichiers déposés", "your uploaded files")
            }
            SourceChannel::Observed => lang.pick(
                "observée lors de votre utilisation du service",
                "observed from your use of the service",
            ),
            SourceChannel::Staff => lang.pick("saisie par notre personnel", "entered by our staff"),
            SourceChannel::ThirdParty => {
                lang.pick("obtenue d'un tiers", "obtained from a third party")
            }
            SourceChannel::Derived => lang.pick("calculée par nos soins", "computed by us"),
            SourceChannel::Import => lang.pick("importée", "imported"),
        }
    }
}

impl fmt::Display for SourceChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A source channel that is not one of [`SourceChannel::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown source channel `{0}`: use form, subject_api, subject_message, subject_upload, observed, staff, third_party, derived or import"
)]
pub struct UnknownSourceChannel(pub String);

impl FromStr for SourceChannel {
    type Err = UnknownSourceChannel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('-', "_");
        SourceChannel::ALL
            .into_iter()
            .find(|c| c.key() == key)
            .ok_or_else(|| UnknownSourceChannel(s.trim().chars().take(40).collect()))
    }
}

/// One record held on the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRecord {
    pub id: String,
    /// A category declared in `[categories.<name>]`.
    pub category: String,
    /// Field name → value as text (the vault's typed values, rendered).
    pub fields: BTreeMap<String, String>,
    pub recorded_at: DateTime<Utc>,
    pub source_channel: SourceChannel,
    /// Activity ids (`PA-0001`) the record is processed for; empty means
    /// "every declared activity processing its category".
    #[serde(default)]
    pub purposes: Vec<String>,
}

/// Where the subject's relationship stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SubjectStatus {
    Active,
    /// Account closure requested; erasure after the grace period.
    Closing {
        since: DateTime<Utc>,
    },
    Closed {
        since: DateTime<Utc>,
    },
}

impl SubjectStatus {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            SubjectStatus::Active => lang.pick("actif", "active"),
            SubjectStatus::Closing { .. } => lang.pick("fermeture en cours", "closing"),
            SubjectStatus::Closed { .. } => lang.pick("fermé", "closed"),
        }
    }
}

/// The subject the holdings are about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectInfo {
    /// The vault's subject id (never an e-mail address).
    pub id: String,
    /// A subject category declared in `[subjects.<name>]` (`customers`).
    pub kind: String,
    pub status: SubjectStatus,
}

/// One consultation of the subject's data, as the journal records it:
/// when and for which purpose, without the staff member's name (CJEU
/// C-579/21: dates and purposes must be given, identities in principle not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessJournalEntry {
    pub at: DateTime<Utc>,
    /// Activity id the access was made for.
    pub purpose: String,
    /// Categories consulted.
    #[serde(default)]
    pub categories: Vec<String>,
}

/// Everything the vault holds on one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectHoldings {
    pub subject: SubjectInfo,
    pub records: Vec<HeldRecord>,
    /// Consent purpose (`[consents.<name>]`) → current state.
    #[serde(default)]
    pub consents: BTreeMap<String, ConsentState>,
    #[serde(default)]
    pub access_journal: Vec<AccessJournalEntry>,
}

impl SubjectHoldings {
    /// The categories that hold at least one record, sorted, deduplicated.
    pub fn categories(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.records.iter().map(|r| r.category.as_str()).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The records of one category, oldest first.
    pub fn records_of<'a>(&'a self, category: &str) -> Vec<&'a HeldRecord> {
        let mut out: Vec<&HeldRecord> = self
            .records
            .iter()
            .filter(|r| r.category == category)
            .collect();
        out.sort_by(|a, b| a.recorded_at.cmp(&b.recorded_at).then(a.id.cmp(&b.id)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_channels_parse_and_say_whether_the_subject_provided_them() {
        assert_eq!("third-party".parse(), Ok(SourceChannel::ThirdParty));
        assert_eq!(" Form ".parse(), Ok(SourceChannel::Form));
        let e = "brokered".parse::<SourceChannel>().unwrap_err();
        assert!(e.to_string().contains("third_party"), "{e}");
        assert!(SourceChannel::Observed.provided_by_subject());
        assert!(!SourceChannel::ThirdParty.provided_by_subject());
        assert!(!SourceChannel::Derived.provided_by_subject());
        assert!(!SourceChannel::Staff.provided_by_subject());
    }
}
