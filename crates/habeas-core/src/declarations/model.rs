//! The declarations model: what a provider declares about its processing.
//!
//! These types are what the rest of Habeas reads — the vault validates
//! records against [`DataCategory`] fields, the access policy reads
//! [`StaffRole`]s, the rights workflow reads [`RightsPolicy`]. Names given by
//! the provider (category, recipient, activity ids…) are the keys of the maps
//! and keep their source position ([`Spanned`]) so every diagnostic can
//! point at `file:line:col`. Keys are stable and documented in
//! `docs/declarations.md`; renaming one is a breaking change for users.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_spanned::Spanned;

use super::text::Text;
use super::vocab::*;

/// A provider-chosen name with its position in the source.
pub type Name = Spanned<String>;

/// Which declaration file an item came from (index into [`super::Declarations::sources`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FileId(pub usize);

/// `[declarations]`: the version of the declarations, shown on every render.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Free version label, e.g. `2026.11` or `1.4.0`.
    pub version: Name,
    /// Date of the last change, `YYYY-MM-DD`.
    pub updated: Name,
    #[serde(skip)]
    pub file: FileId,
}

/// `[organisation]`: the controller's identity (GDPR Art. 30(1)(a), 13(1)(a)).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: Name,
    pub legal_form: Option<String>,
    /// French company number (9 digits, Luhn key).
    pub siren: Option<Name>,
    /// Belgian enterprise number (BCE/KBO, 10 digits, mod-97 key).
    pub kbo: Option<Name>,
    pub vat: Option<String>,
    pub address: Option<Name>,
    /// ISO 3166-1 alpha-2 country of the main establishment (`FR`, `BE`): it
    /// decides the lead supervisory authority named in the notice.
    pub country: Name,
    pub email: Option<Name>,
    pub phone: Option<String>,
    pub website: Option<String>,
    /// The Art. 27 representative, for a controller established outside the EU.
    pub representative: Option<Party>,
    /// Joint controllers (Art. 26).
    #[serde(default)]
    pub joint_controllers: Vec<Party>,
    #[serde(skip)]
    pub file: FileId,
}

/// Another organisation: a representative or a joint controller.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub name: Name,
    pub address: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// For a joint controller: what the arrangement covers (Art. 26(2)).
    pub arrangement: Option<Text>,
}

/// `[dpo]`: the data protection officer and how to reach them (Art. 37(7), 13(1)(b)).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dpo {
    pub name: Option<String>,
    pub email: Option<Name>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// A contact form, if the DPO takes requests there.
    pub contact_url: Option<String>,
    #[serde(skip)]
    pub file: FileId,
}

/// `[rights]`: how subjects exercise their rights and the promised delays.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RightsPolicy {
    /// Where requests are received (Art. 12(2) asks to facilitate them).
    pub contact_email: Option<Name>,
    /// The self-service portal.
    pub portal_url: Option<String>,
    /// Public holidays used to count working hours and days.
    #[serde(default)]
    pub calendar: HolidayCalendar,
    /// Delay between an account-closure request and erasure, during which the
    /// subject may change their mind (delay grammar, e.g. `30 days`).
    pub account_closure_grace: Option<Name>,
    /// How long before a substantial notice change applies subjects are told
    /// (delay grammar; default `30 days`).
    pub notice_change_period: Option<Name>,
    /// The provider's promised delay per right, at most the statutory month of Art. 12(3).
    #[serde(default)]
    pub delays: PromisedDelays,
    #[serde(skip)]
    pub file: FileId,
}

/// `[rights.delays]`: one delay string per right.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromisedDelays {
    pub access: Option<Name>,
    pub rectification: Option<Name>,
    pub erasure: Option<Name>,
    pub restriction: Option<Name>,
    pub portability: Option<Name>,
    pub objection: Option<Name>,
}

impl PromisedDelays {
    pub fn get(&self, right: Right) -> Option<&Name> {
        match right {
            Right::Access => self.access.as_ref(),
            Right::Rectification => self.rectification.as_ref(),
            Right::Erasure => self.erasure.as_ref(),
            Right::Restriction => self.restriction.as_ref(),
            Right::Portability => self.portability.as_ref(),
            Right::Objection => self.objection.as_ref(),
        }
    }
}

/// `[services.<name>]`: a product the provider sells, with its role for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: Text,
    pub description: Option<Text>,
    /// Controller for its own processing, processor for the customers' data
    /// it hosts (the CNIL asks for two registers then, STANDARDS §1.2).
    pub role: Role,
    /// For a processor service: who the controllers are (Art. 30(2)(a)),
    /// e.g. "the customers subscribed to the offer, listed in the customer base".
    pub controllers: Option<Text>,
    /// Breach-notification regime: `gdpr` (72 h) or `eprivacy` (24 h, public
    /// electronic communications services).
    #[serde(default)]
    pub breach_regime: BreachRegime,
    #[serde(skip)]
    pub file: FileId,
}

/// `[activities.<PA-0001>]`: one processing activity, one row of the register.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub name: Text,
    /// Art. 30(1)(b): the purpose, in words a subject understands.
    pub purpose: Option<Text>,
    /// The kind of purpose (DPV purpose concept).
    #[serde(default = "default_kind")]
    pub kind: PurposeKind,
    pub role: Spanned<Role>,
    #[serde(default)]
    pub services: Vec<Name>,
    /// Art. 6(1) basis; required for controller activities.
    pub legal_basis: Option<Spanned<LegalBasis>>,
    /// The statute, for a legal-obligation basis (APD model, STANDARDS §1.5).
    pub legal_basis_ref: Option<String>,
    /// Art. 9(2) condition, required when a category is special (Art. 9(1)).
    pub art9_condition: Option<Spanned<Art9Condition>>,
    /// The law authorising criminal-offence data (Art. 10).
    pub art10_authorisation: Option<String>,
    /// Art. 13(1)(d): the legitimate interest pursued, for basis (f).
    pub legitimate_interest: Option<Text>,
    /// Whether subjects can object at any time, free of charge (Art. 21).
    #[serde(default)]
    pub objection: bool,
    /// Whether the activity is direct marketing (Art. 21(2), L34-5 CPCE).
    #[serde(default)]
    pub direct_marketing: bool,
    #[serde(default)]
    pub subjects: Vec<Name>,
    #[serde(default)]
    pub categories: Vec<Name>,
    #[serde(default)]
    pub recipients: Vec<Name>,
    #[serde(default)]
    pub measures: Vec<Name>,
    /// Art. 14(2)(f): where the data comes from when not from the subject.
    pub source: Option<Text>,
    /// Name of a joint controller declared in `[organisation]`.
    pub joint_controller: Option<Name>,
    /// Software or application used (CNIL fiche header).
    pub software: Option<String>,
    /// Whether decisions are made solely by automated means (Art. 22).
    #[serde(default)]
    pub automated_decisions: bool,
    /// `YYYY-MM-DD` the fiche was created / last updated.
    pub created: Option<Name>,
    pub updated: Option<Name>,
    #[serde(skip)]
    pub file: FileId,
}

fn default_kind() -> PurposeKind {
    PurposeKind::Other
}

impl Activity {
    /// Direct marketing, by flag or by kind.
    pub fn is_direct_marketing(&self) -> bool {
        self.direct_marketing || self.kind == PurposeKind::DirectMarketing
    }

    /// Whether a subject may object to this processing (Art. 21): by right
    /// when it rests on a public task or legitimate interests (Art. 21(1),
    /// Art. 6(1)(e)/(f)) or is direct marketing (Art. 21(2)), or because the
    /// provider grants it (`objection = true`). Processing for a contract,
    /// a legal obligation or on consent is not open to objection: the
    /// subject ends the contract, asks for erasure or withdraws consent.
    pub fn open_to_objection(&self) -> bool {
        self.objection
            || self.is_direct_marketing()
            || matches!(
                self.legal_basis(),
                Some(LegalBasis::PublicTask | LegalBasis::LegitimateInterests)
            )
    }

    pub fn role(&self) -> Role {
        *self.role.get_ref()
    }

    pub fn legal_basis(&self) -> Option<LegalBasis> {
        self.legal_basis.as_ref().map(|b| *b.get_ref())
    }
}

/// `[categories.<name>]`: a category of personal data and the fields it may hold.
///
/// The vault validates every record against this: a record of category `c`
/// may only carry the fields of `c.fields`, with their types; fields listed in
/// `identifiers` get a blind index (lookup key), fields in `critical` need a
/// verified request to change.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataCategory {
    pub name: Text,
    pub description: Option<Text>,
    /// Row of the CNIL model register this category belongs to.
    #[serde(default = "default_family")]
    pub family: CnilFamily,
    /// DPV personal-data concept (e.g. `pd:EmailAddress`); default from the family.
    pub dpv: Option<String>,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    /// Whether the subject provides the data (Art. 13) or it is obtained otherwise (Art. 14).
    #[serde(default = "yes")]
    pub provided_by_subject: bool,
    /// Retention rule (see [`crate::retention`]); required.
    pub retention: Option<Name>,
    #[serde(default)]
    pub on_expiry: OnExpiry,
    /// With `on_expiry = "anonymise"`: the fields kept, generalised.
    #[serde(default)]
    pub keep_generalised: Vec<Name>,
    /// Logs and navigation: stored in time partitions, purged by partition.
    #[serde(default)]
    pub high_volume: bool,
    pub partition: Option<Partition>,
    /// Allowed fields and their types.
    #[serde(default)]
    pub fields: BTreeMap<Name, Spanned<FieldType>>,
    /// Fields used as lookup keys (blind-indexed).
    #[serde(default)]
    pub identifiers: Vec<Name>,
    /// Fields whose change needs verification (e.g. the e-mail used to sign in).
    #[serde(default)]
    pub critical: Vec<Name>,
    #[serde(skip)]
    pub file: FileId,
    /// `retention` parsed on first use: every record written computes its
    /// due date from it, and parsing the text each time was ~2 % of a bulk
    /// ingest's CPU (docs/benchmarks-vault.md, session 15).
    #[serde(skip)]
    parsed_retention: std::sync::OnceLock<Option<crate::retention::RetentionRule>>,
}

fn default_family() -> CnilFamily {
    CnilFamily::Other
}

fn yes() -> bool {
    true
}

impl DataCategory {
    /// The parsed retention rule, if present and valid (`habeas check` reports the rest).
    pub fn retention_rule(&self) -> Option<&crate::retention::RetentionRule> {
        self.parsed_retention
            .get_or_init(|| {
                self.retention
                    .as_ref()
                    .and_then(|r| r.get_ref().parse().ok())
            })
            .as_ref()
    }

    /// The event its retention runs from (or waits for), from the parsed rule.
    pub fn retention_anchor(&self) -> Option<crate::retention::Anchor> {
        self.retention_rule().map(|r| r.anchor())
    }

    /// The type of field `name`, if the category allows it.
    pub fn field(&self, name: &str) -> Option<FieldType> {
        self.fields.get(name).map(|t| *t.get_ref())
    }

    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(|k| k.get_ref().as_str())
    }

    pub fn is_identifier(&self, field: &str) -> bool {
        self.identifiers.iter().any(|f| f.get_ref() == field)
    }

    pub fn is_critical(&self, field: &str) -> bool {
        self.critical.iter().any(|f| f.get_ref() == field)
    }

    pub fn dpv_term(&self) -> &str {
        self.dpv.as_deref().unwrap_or(self.family.default_dpv())
    }

    pub fn is_sensitive(&self) -> bool {
        self.sensitivity != Sensitivity::Normal
    }
}

/// `[subjects.<name>]`: a category of data subjects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectCategory {
    pub name: Text,
    pub description: Option<Text>,
    /// DPV data-subject concept (e.g. `dpv:Customer`).
    pub dpv: Option<String>,
    #[serde(skip)]
    pub file: FileId,
}

/// `[recipients.<name>]`: a department, processor, sub-processor, third party or authority.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub name: Text,
    pub role: RecipientRole,
    /// What they do with the data.
    pub description: Option<Text>,
    /// ISO 3166-1 alpha-2 country of establishment (not needed for `internal`).
    pub country: Option<Name>,
    /// Countries where they process or can access the data (remote support
    /// counts, STANDARDS §5.4); default: the country of establishment.
    #[serde(default)]
    pub processing_countries: Vec<Name>,
    /// Chapter V mechanism for a country outside the EEA.
    pub safeguard: Option<Spanned<Safeguard>>,
    /// Where the safeguard is documented (contract annex, BCR link…).
    pub safeguard_ref: Option<String>,
    /// For US importers: certified under the EU-US Data Privacy Framework.
    #[serde(default)]
    pub dpf_certified: bool,
    /// The Art. 28 contract or data-processing agreement.
    pub contract: Option<String>,
    /// Data categories they receive.
    #[serde(default)]
    pub receives: Vec<Name>,
    /// ISO 27001, HDS, SecNumCloud…
    #[serde(default)]
    pub certifications: Vec<String>,
    #[serde(skip)]
    pub file: FileId,
}

impl Recipient {
    /// The countries the data reaches through this recipient.
    pub fn countries(&self) -> Vec<&Name> {
        if self.processing_countries.is_empty() {
            self.country.iter().collect()
        } else {
            self.processing_countries.iter().collect()
        }
    }
}

/// `[locations.<name>]`: where data is stored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageLocation {
    pub name: Text,
    pub country: Name,
    /// The recipient operating it (a hosting sub-processor), if not the provider.
    pub operator: Option<Name>,
    /// Categories stored there; empty means all.
    #[serde(default)]
    pub categories: Vec<Name>,
    pub description: Option<Text>,
    #[serde(skip)]
    pub file: FileId,
}

/// `[residency.<name>]`: where data must stay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidencyRule {
    /// Allowed countries (ISO codes), or `EEA` / `EU` for the whole area.
    pub allowed: Vec<Name>,
    /// Categories the rule covers; empty means all.
    #[serde(default)]
    pub categories: Vec<Name>,
    pub description: Option<Text>,
    #[serde(skip)]
    pub file: FileId,
}

/// `[measures.<name>]`: a technical or organisational security measure (Art. 32).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityMeasure {
    pub name: Text,
    pub family: MeasureFamily,
    pub description: Option<Text>,
    #[serde(skip)]
    pub file: FileId,
}

/// `[roles.<name>]`: a staff role, allowed to read categories for purposes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffRole {
    pub name: Text,
    pub description: Option<Text>,
    /// Activity ids the role works for.
    #[serde(default)]
    pub purposes: Vec<Name>,
    /// Categories the role may read.
    #[serde(default)]
    pub categories: Vec<Name>,
    #[serde(skip)]
    pub file: FileId,
}

/// `[consents.<name>]`: a consent purpose offered to subjects (Art. 7).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentPurpose {
    /// The activity this consent is the legal basis of.
    pub activity: Name,
    /// The request shown to the subject, specific and unambiguous (Art. 4(11)).
    pub text: Text,
    /// Anchor or section of the notice describing it, e.g. `notice#newsletter`.
    pub notice_ref: Option<String>,
    #[serde(skip)]
    pub file: FileId,
}

/// One declaration file as written. Any section may appear in any file;
/// names must be unique across files.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclarationFile {
    pub declarations: Option<Spanned<Meta>>,
    pub organisation: Option<Spanned<Organisation>>,
    pub dpo: Option<Spanned<Dpo>>,
    pub rights: Option<Spanned<RightsPolicy>>,
    #[serde(default)]
    pub services: BTreeMap<Name, Service>,
    #[serde(default)]
    pub activities: BTreeMap<Name, Activity>,
    #[serde(default)]
    pub categories: BTreeMap<Name, DataCategory>,
    #[serde(default)]
    pub subjects: BTreeMap<Name, SubjectCategory>,
    #[serde(default)]
    pub recipients: BTreeMap<Name, Recipient>,
    #[serde(default)]
    pub locations: BTreeMap<Name, StorageLocation>,
    #[serde(default)]
    pub residency: BTreeMap<Name, ResidencyRule>,
    #[serde(default)]
    pub measures: BTreeMap<Name, SecurityMeasure>,
    #[serde(default)]
    pub roles: BTreeMap<Name, StaffRole>,
    #[serde(default)]
    pub consents: BTreeMap<Name, ConsentPurpose>,
}
