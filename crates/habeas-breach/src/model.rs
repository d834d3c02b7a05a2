//! The breach record as the register shows it (Art. 33(5) GDPR): the facts,
//! their effects and the remedial action, plus the decisions and notices.
//!
//! A [`Breach`] is never stored as such: it is the fold of its events
//! ([`crate::event`]), so every value here can be traced to who set it and when.
//! Free texts written by staff are [`Text`] (French and English) because they
//! flow into the bilingual authority forms and subject letters.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use habeas_core::breach::{
    Art34Decision, AuthorityNotification, BreachClock, BreachRegime, SubjectCommunication,
};
use habeas_core::declarations::Text;
use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};

/// The three kinds of breach (Art. 4(12); WP29 Opinion 03/2014, CNIL form "type de perte").
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    /// Unauthorised or accidental disclosure of, or access to, personal data.
    Confidentiality,
    /// Unauthorised or accidental alteration of personal data.
    Integrity,
    /// Accidental or unauthorised loss of access to, or destruction of, personal data.
    Availability,
}

impl Nature {
    pub const ALL: [Nature; 3] = [
        Nature::Confidentiality,
        Nature::Integrity,
        Nature::Availability,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Nature::Confidentiality => "confidentiality",
            Nature::Integrity => "integrity",
            Nature::Availability => "availability",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Nature::Confidentiality => lang.pick(
                "perte de confidentialité (accès ou divulgation non autorisés)",
                "loss of confidentiality (unauthorised access or disclosure)",
            ),
            Nature::Integrity => lang.pick(
                "perte d'intégrité (modification non autorisée)",
                "loss of integrity (unauthorised alteration)",
            ),
            Nature::Availability => lang.pick(
                "perte de disponibilité (perte d'accès ou destruction)",
                "loss of availability (loss of access or destruction)",
            ),
        }
    }

    /// The words a subject understands, for the Art. 34(2) letter.
    pub fn plain(self, lang: Lang) -> &'static str {
        match self {
            Nature::Confidentiality => lang.pick(
                "des personnes non autorisées ont pu accéder à ces données",
                "unauthorised people may have accessed this data",
            ),
            Nature::Integrity => lang.pick(
                "ces données ont pu être modifiées sans autorisation",
                "this data may have been altered without authorisation",
            ),
            Nature::Availability => lang.pick(
                "ces données ont été perdues ou sont restées inaccessibles un temps",
                "this data was lost or unavailable for a time",
            ),
        }
    }
}

impl FromStr for Nature {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase();
        Nature::ALL
            .into_iter()
            .find(|n| n.key() == key)
            .ok_or_else(|| {
                format!(
                    "unknown breach nature `{s}`: use confidentiality, integrity or availability"
                )
            })
    }
}

/// Whether the breach is established or only suspected (CNIL form, first question).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    #[default]
    Suspected,
    Established,
}

impl Certainty {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Certainty::Suspected => lang.pick("supposée", "suspected"),
            Certainty::Established => lang.pick("établie", "established"),
        }
    }
}

/// Where the breach came from (CNIL form "origine").
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    InternalMalicious,
    InternalAccidental,
    ExternalMalicious,
    ExternalAccidental,
    Unknown,
}

impl Origin {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Origin::InternalMalicious => {
                lang.pick("acte interne malveillant", "internal, malicious")
            }
            Origin::InternalAccidental => {
                lang.pick("acte interne accidentel", "internal, accidental")
            }
            Origin::ExternalMalicious => {
                lang.pick("acte externe malveillant", "external, malicious")
            }
            Origin::ExternalAccidental => {
                lang.pick("acte externe accidentel", "external, accidental")
            }
            Origin::Unknown => lang.pick("inconnue à ce jour", "not known yet"),
        }
    }
}

/// When the breach happened. Each end may still be unknown (CNIL: "je ne sais pas encore").
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TimeWindow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<DateTime<Utc>>,
    /// The breach is still going on.
    #[serde(default)]
    pub ongoing: bool,
}

/// How an impact estimate was obtained: Art. 33(3)(a) asks for approximate
/// numbers, so the register says where they come from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EstimateMethod {
    /// Counted by the engine in the vault and the journal, e.g. "subjects with
    /// connection_logs records in partition 2026-11".
    Vault { query: String },
    /// Estimated by a staff member, with the basis of the estimate.
    Staff { by: String, basis: String },
}

/// Approximate numbers of subjects and records concerned (Art. 33(3)(a)).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactEstimate {
    pub subjects: u64,
    pub records: u64,
    pub method: EstimateMethod,
    pub computed_at: DateTime<Utc>,
}

/// The contact point given to the authority and the subjects (Art. 33(3)(b)),
/// copied from the declarations when the breach is opened.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DpoContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl DpoContact {
    /// Whether someone can actually be reached: an e-mail, a phone or an address.
    pub fn is_reachable(&self) -> bool {
        [&self.email, &self.phone, &self.address]
            .into_iter()
            .any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
    }

    /// One line: name, e-mail, phone, address (the parts known).
    pub fn one_line(&self) -> String {
        [&self.name, &self.email, &self.phone, &self.address]
            .into_iter()
            .filter_map(|v| v.as_deref())
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What the provider owes for this breach, derived from the declarations
/// (services, activities and their roles) each time the scope changes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Obligations {
    /// The provider notifies the authority itself: as controller (Art. 33(1))
    /// or as provider of a public e-communications service (Reg. 611/2013).
    /// `None`: processor only, the controllers notify (Art. 33(2)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<BreachRegime>,
    /// Services where the provider is processor: their controller customers
    /// are told without undue delay (Art. 33(2)).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controller_services: Vec<String>,
}

/// Open or closed. A closed breach stays in the register (Art. 33(5)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BreachStatus {
    Open,
    Closed {
        at: DateTime<Utc>,
        by: String,
        reason: String,
    },
}

/// Who is told about a breach, one delivery book each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Data subjects (Art. 34(1)).
    Subjects,
    /// Controller customers, when the provider is processor (Art. 33(2)).
    Controllers,
}

impl Audience {
    pub fn key(self) -> &'static str {
        match self {
            Audience::Subjects => "subjects",
            Audience::Controllers => "controllers",
        }
    }
}

/// One breach as the register shows it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    pub id: String,
    pub status: BreachStatus,
    pub certainty: Certainty,
    /// When the incident was detected.
    pub detected_at: DateTime<Utc>,
    /// When the provider became aware that personal data was compromised:
    /// the clocks start here (Art. 33(1); Reg. 611/2013 art. 2(2)).
    pub aware_at: DateTime<Utc>,
    /// When a processor told us, if one did (CNIL form).
    pub reported_by_processor_at: Option<DateTime<Utc>>,
    pub natures: BTreeSet<Nature>,
    pub origin: Option<Origin>,
    /// The facts, in words the authority and subjects understand.
    pub description: Text,
    /// How the breach was discovered.
    pub discovery: Option<Text>,
    /// Declared service ids.
    pub services: Vec<String>,
    /// Systems involved (host names, clusters…), free identifiers.
    pub systems: Vec<String>,
    /// Declared data category ids.
    pub data_categories: Vec<String>,
    /// Declared subject category ids.
    pub subject_categories: Vec<String>,
    /// Declared recipients (processors) involved in the breach.
    pub processors_involved: Vec<String>,
    pub window: TimeWindow,
    pub impact: Option<ImpactEstimate>,
    pub consequences: Vec<Text>,
    pub measures_taken: Vec<Text>,
    pub measures_planned: Vec<Text>,
    /// What subjects can do to protect themselves (Art. 34(2) letter).
    pub subject_advice: Vec<Text>,
    pub dpo: DpoContact,
    pub obligations: Obligations,
    /// Every Art. 34 decision, in order; the last one applies.
    pub decisions: Vec<Art34Decision>,
    /// Notices sent to the authority, in order (Art. 33(4) phases).
    pub notifications: Vec<AuthorityNotification>,
    /// How many recipients were listed per audience (the lists live in the delivery books).
    pub listed_subjects: u64,
    pub listed_controllers: u64,
    /// The Art. 34(3)(c) public communication, once published.
    pub public_communication: Option<PublicCommunication>,
}

/// Where and when the public communication was published (Art. 34(3)(c)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicCommunication {
    pub published_at: DateTime<Utc>,
    pub channel: String,
}

impl Breach {
    pub fn is_open(&self) -> bool {
        self.status == BreachStatus::Open
    }

    /// The decision in force (the last one recorded).
    pub fn decision(&self) -> Option<&Art34Decision> {
        self.decisions.last()
    }

    /// What the decision in force requires of subjects; `None` before any decision.
    pub fn subject_communication(&self) -> Option<SubjectCommunication> {
        self.decision().and_then(|d| d.validate().ok())
    }

    /// The authority clock, when the provider notifies the authority itself.
    pub fn clock(&self) -> Option<BreachClock> {
        self.obligations.authority.map(|regime| BreachClock {
            regime,
            aware_at: self.aware_at,
        })
    }

    /// Whether the authority must be notified: the provider notifies it
    /// itself, and the decision in force does not say the breach is unlikely
    /// to result in a risk (Art. 33(1)). Before any decision the clock runs.
    pub fn authority_notice_owed(&self) -> bool {
        self.obligations.authority.is_some()
            && self
                .decision()
                .is_none_or(|d| d.risk.authority_notification_required())
    }
}
