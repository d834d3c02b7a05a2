//! The closed vocabularies of the declarations: legal bases, Art. 9(2)
//! conditions, roles, sensitivities, field types, safeguards… Each value
//! knows its label in French and English and, where one exists, its W3C DPV
//! term (STANDARDS §6.1), so every renderer speaks the same words.

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// The lawful basis of a processing activity, GDPR Art. 6(1)(a)–(f).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Art. 6(1)(a).
    Consent,
    /// Art. 6(1)(b).
    Contract,
    /// Art. 6(1)(c).
    LegalObligation,
    /// Art. 6(1)(d).
    VitalInterests,
    /// Art. 6(1)(e).
    PublicTask,
    /// Art. 6(1)(f).
    LegitimateInterests,
}

impl LegalBasis {
    pub fn article(self) -> &'static str {
        match self {
            LegalBasis::Consent => "6(1)(a)",
            LegalBasis::Contract => "6(1)(b)",
            LegalBasis::LegalObligation => "6(1)(c)",
            LegalBasis::VitalInterests => "6(1)(d)",
            LegalBasis::PublicTask => "6(1)(e)",
            LegalBasis::LegitimateInterests => "6(1)(f)",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            LegalBasis::Consent => lang.pick("Consentement", "Consent"),
            LegalBasis::Contract => {
                lang.pick("Exécution d'un contrat", "Performance of a contract")
            }
            LegalBasis::LegalObligation => lang.pick("Obligation légale", "Legal obligation"),
            LegalBasis::VitalInterests => lang.pick("Intérêts vitaux", "Vital interests"),
            LegalBasis::PublicTask => lang.pick("Mission d'intérêt public", "Public task"),
            LegalBasis::LegitimateInterests => {
                lang.pick("Intérêt légitime", "Legitimate interests")
            }
        }
    }

    /// "Consentement (art. 6(1)(a) RGPD)".
    pub fn label_with_article(self, lang: Lang) -> String {
        match lang {
            Lang::Fr => format!("{} (art. {} RGPD)", self.label(lang), self.article()),
            Lang::En => format!("{} (GDPR Art. {})", self.label(lang), self.article()),
        }
    }

    /// DPV term in the `eu-gdpr:` namespace.
    pub fn dpv(self) -> &'static str {
        match self {
            LegalBasis::Consent => "eu-gdpr:A6-1-a",
            LegalBasis::Contract => "eu-gdpr:A6-1-b",
            LegalBasis::LegalObligation => "eu-gdpr:A6-1-c",
            LegalBasis::VitalInterests => "eu-gdpr:A6-1-d",
            LegalBasis::PublicTask => "eu-gdpr:A6-1-e",
            LegalBasis::LegitimateInterests => "eu-gdpr:A6-1-f",
        }
    }
}

/// The condition lifting the ban on special categories, GDPR Art. 9(2)(a)–(j).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Art9Condition {
    ExplicitConsent,
    EmploymentSocialSecurity,
    VitalInterests,
    NotForProfitBody,
    MadePublic,
    LegalClaims,
    SubstantialPublicInterest,
    HealthOrSocialCare,
    PublicHealth,
    ArchivingResearchStatistics,
}

impl Art9Condition {
    pub fn letter(self) -> char {
        match self {
            Art9Condition::ExplicitConsent => 'a',
            Art9Condition::EmploymentSocialSecurity => 'b',
            Art9Condition::VitalInterests => 'c',
            Art9Condition::NotForProfitBody => 'd',
            Art9Condition::MadePublic => 'e',
            Art9Condition::LegalClaims => 'f',
            Art9Condition::SubstantialPublicInterest => 'g',
            Art9Condition::HealthOrSocialCare => 'h',
            Art9Condition::PublicHealth => 'i',
            Art9Condition::ArchivingResearchStatistics => 'j',
        }
    }

    pub fn label(self, lang: Lang) -> String {
        let words = match self {
            Art9Condition::ExplicitConsent => {
                lang.pick("consentement explicite", "explicit consent")
            }
            Art9Condition::EmploymentSocialSecurity => lang.pick(
                "obligations en matière de droit du travail et de la sécurité sociale",
                "employment and social security obligations",
            ),
            Art9Condition::VitalInterests => lang.pick("intérêts vitaux", "vital interests"),
            Art9Condition::NotForProfitBody => {
                lang.pick("organisme à but non lucratif", "not-for-profit body")
            }
            Art9Condition::MadePublic => lang.pick(
                "données rendues publiques par la personne",
                "data made public by the data subject",
            ),
            Art9Condition::LegalClaims => lang.pick("droits en justice", "legal claims"),
            Art9Condition::SubstantialPublicInterest => {
                lang.pick("intérêt public important", "substantial public interest")
            }
            Art9Condition::HealthOrSocialCare => {
                lang.pick("médecine, santé, action sociale", "health or social care")
            }
            Art9Condition::PublicHealth => lang.pick("santé publique", "public health"),
            Art9Condition::ArchivingResearchStatistics => lang.pick(
                "archives, recherche, statistiques",
                "archiving, research, statistics",
            ),
        };
        match lang {
            Lang::Fr => format!("{words} (art. 9(2)({}) RGPD)", self.letter()),
            Lang::En => format!("{words} (GDPR Art. 9(2)({}))", self.letter()),
        }
    }

    pub fn dpv(self) -> String {
        format!("eu-gdpr:A9-2-{}", self.letter())
    }
}

/// The provider's role for a service or an activity (GDPR Art. 4(7), 4(8)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Controller,
    Processor,
}

impl Role {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Controller => lang.pick("Responsable de traitement", "Controller"),
            Role::Processor => lang.pick("Sous-traitant", "Processor"),
        }
    }
}

/// How fast a personal-data breach of a service must reach the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreachRegime {
    /// GDPR Art. 33(1): 72 hours after becoming aware.
    #[default]
    Gdpr,
    /// Regulation (EU) 611/2013 art. 2 for publicly available electronic
    /// communications services: 24 hours after detection.
    Eprivacy,
}

impl BreachRegime {
    pub fn hours(self) -> u32 {
        match self {
            BreachRegime::Gdpr => 72,
            BreachRegime::Eprivacy => 24,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            BreachRegime::Gdpr => lang.pick("RGPD art. 33 (72 h)", "GDPR Art. 33 (72 h)"),
            BreachRegime::Eprivacy => lang.pick(
                "Règlement (UE) 611/2013 (24 h)",
                "Regulation (EU) 611/2013 (24 h)",
            ),
        }
    }
}

/// How sensitive a data category is in law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    #[default]
    Normal,
    /// GDPR Art. 9(1): special categories.
    Special,
    /// GDPR Art. 10: criminal convictions and offences.
    Criminal,
    /// French social-security number (NIR): loi Informatique et Libertés
    /// art. 30 and décret-cadre n° 2019-341.
    Nir,
}

impl Sensitivity {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Sensitivity::Normal => lang.pick("courante", "ordinary"),
            Sensitivity::Special => {
                lang.pick("sensible (art. 9 RGPD)", "special category (GDPR Art. 9)")
            }
            Sensitivity::Criminal => lang.pick(
                "infractions et condamnations (art. 10 RGPD)",
                "criminal offences (GDPR Art. 10)",
            ),
            Sensitivity::Nir => lang.pick(
                "NIR (numéro de sécurité sociale)",
                "NIR (French social-security number)",
            ),
        }
    }
}

/// The type of a field of a data category; the vault validates values against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    String,
    Text,
    Email,
    Phone,
    Date,
    Datetime,
    Integer,
    Decimal,
    Boolean,
    Ip,
    Url,
    /// ISO 3166-1 alpha-2 code.
    Country,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Text => "text",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Integer => "integer",
            FieldType::Decimal => "decimal",
            FieldType::Boolean => "boolean",
            FieldType::Ip => "ip",
            FieldType::Url => "url",
            FieldType::Country => "country",
        }
    }
}

/// What happens to a record when its retention period ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnExpiry {
    #[default]
    Delete,
    /// Keep only the fields listed in `keep_generalised`, coarsened
    /// (dates to the month, IPs to the /24, …).
    Anonymise,
}

impl OnExpiry {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            OnExpiry::Delete => lang.pick("suppression", "deletion"),
            OnExpiry::Anonymise => lang.pick("anonymisation", "anonymisation"),
        }
    }
}

/// Time partitioning of high-volume categories (logs, navigation), so a
/// purge drops whole partitions instead of deleting row by row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Partition {
    Day,
    Month,
}

/// The families of the CNIL model register's data-category rows (registre
/// de base 2018 and simplified ODS 2019, STANDARDS §1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CnilFamily {
    /// État civil, identité, données d'identification, images.
    Identity,
    PersonalLife,
    ProfessionalLife,
    /// Informations d'ordre économique et financier.
    Economic,
    /// Données de connexion (IP, logs, identifiants).
    Connection,
    Location,
    /// Cookies, traceurs, navigation, mesure d'audience.
    Internet,
    /// Anything else (message contents, lists…).
    Other,
}

impl CnilFamily {
    pub const ALL: [CnilFamily; 8] = [
        CnilFamily::Identity,
        CnilFamily::PersonalLife,
        CnilFamily::ProfessionalLife,
        CnilFamily::Economic,
        CnilFamily::Connection,
        CnilFamily::Location,
        CnilFamily::Internet,
        CnilFamily::Other,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            CnilFamily::Identity => lang.pick(
                "État civil, identité, données d'identification, images",
                "Civil status, identity, identification data, images",
            ),
            CnilFamily::PersonalLife => lang.pick("Vie personnelle", "Personal life"),
            CnilFamily::ProfessionalLife => lang.pick("Vie professionnelle", "Professional life"),
            CnilFamily::Economic => lang.pick(
                "Informations d'ordre économique et financier",
                "Economic and financial information",
            ),
            CnilFamily::Connection => lang.pick("Données de connexion", "Connection data"),
            CnilFamily::Location => lang.pick("Données de localisation", "Location data"),
            CnilFamily::Internet => lang.pick("Internet", "Internet"),
            CnilFamily::Other => lang.pick("Autres", "Other"),
        }
    }

    /// The DPV personal-data concept used when a category names none.
    pub fn default_dpv(self) -> &'static str {
        match self {
            CnilFamily::Identity => "pd:Identifying",
            CnilFamily::PersonalLife => "pd:Social",
            CnilFamily::ProfessionalLife => "pd:Professional",
            CnilFamily::Economic => "pd:Financial",
            CnilFamily::Connection => "pd:Tracking",
            CnilFamily::Location => "pd:Location",
            CnilFamily::Internet => "pd:BrowsingBehaviour",
            CnilFamily::Other => "dpv:PersonalData",
        }
    }
}

/// What a recipient is to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientRole {
    /// A department of the provider itself.
    Internal,
    /// Processes data on the provider's behalf where the provider is controller (Art. 28).
    Processor,
    /// Processes data on the provider's behalf where the provider is itself a processor (Art. 28(2), 28(4)).
    SubProcessor,
    /// An independent controller (partner, bank…).
    ThirdParty,
    /// A public authority receiving data under a legal obligation.
    Authority,
}

impl RecipientRole {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RecipientRole::Internal => lang.pick("Service interne", "Internal department"),
            RecipientRole::Processor => lang.pick("Sous-traitant", "Processor"),
            RecipientRole::SubProcessor => lang.pick("Sous-traitant ultérieur", "Sub-processor"),
            RecipientRole::ThirdParty => lang.pick(
                "Tiers (responsable distinct)",
                "Third party (independent controller)",
            ),
            RecipientRole::Authority => lang.pick("Autorité publique", "Public authority"),
        }
    }

    /// Whether it acts on the provider's instructions (and so belongs in the
    /// sub-processor list of the assurance summary).
    pub fn is_processor(self) -> bool {
        matches!(self, RecipientRole::Processor | RecipientRole::SubProcessor)
    }

    pub fn dpv(self) -> &'static str {
        match self {
            RecipientRole::Internal => "dpv:Recipient",
            RecipientRole::Processor => "dpv:DataProcessor",
            RecipientRole::SubProcessor => "dpv:DataSubProcessor",
            RecipientRole::ThirdParty => "dpv:ThirdParty",
            RecipientRole::Authority => "dpv:Authority",
        }
    }
}

/// The Chapter V mechanism that makes a transfer outside the EEA lawful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Safeguard {
    /// Art. 45: the country has an adequacy decision (checked against [`super::adequacy`]).
    Adequacy,
    /// Art. 46(2)(c): Commission SCCs, Decision (EU) 2021/914.
    Scc,
    /// Art. 46(2)(b), 47: binding corporate rules.
    Bcr,
    /// Art. 46(2)(e): approved code of conduct with binding commitments.
    CodeOfConduct,
    /// Art. 46(2)(f): approved certification with binding commitments.
    Certification,
    /// Art. 49: a derogation for specific situations (occasional transfers only).
    Derogation,
}

impl Safeguard {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Safeguard::Adequacy => lang.pick(
                "Décision d'adéquation (art. 45)",
                "Adequacy decision (Art. 45)",
            ),
            Safeguard::Scc => lang.pick(
                "Clauses contractuelles types (art. 46(2)(c), décision 2021/914)",
                "Standard contractual clauses (Art. 46(2)(c), Decision 2021/914)",
            ),
            Safeguard::Bcr => lang.pick(
                "Règles d'entreprise contraignantes (art. 47)",
                "Binding corporate rules (Art. 47)",
            ),
            Safeguard::CodeOfConduct => lang.pick(
                "Code de conduite (art. 46(2)(e))",
                "Code of conduct (Art. 46(2)(e))",
            ),
            Safeguard::Certification => lang.pick(
                "Certification (art. 46(2)(f))",
                "Certification (Art. 46(2)(f))",
            ),
            Safeguard::Derogation => lang.pick("Dérogation (art. 49)", "Derogation (Art. 49)"),
        }
    }

    pub fn dpv(self) -> &'static str {
        match self {
            Safeguard::Adequacy => "eu-gdpr:A45-3",
            Safeguard::Scc => "eu-gdpr:A46-2-c",
            Safeguard::Bcr => "eu-gdpr:A46-2-b",
            Safeguard::CodeOfConduct => "eu-gdpr:A46-2-e",
            Safeguard::Certification => "eu-gdpr:A46-2-f",
            Safeguard::Derogation => "eu-gdpr:A49-1",
        }
    }
}

/// Families of security measures, after the CNIL register fiche's checklist
/// (STANDARDS §1.4) extended with the CNIL security guide's chapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureFamily {
    AccessControl,
    Traceability,
    SoftwareProtection,
    Backup,
    Encryption,
    ProcessorControl,
    PhysicalSecurity,
    NetworkSecurity,
    Pseudonymisation,
    StaffAwareness,
    IncidentResponse,
    Other,
}

impl MeasureFamily {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            MeasureFamily::AccessControl => {
                lang.pick("Contrôle d'accès des utilisateurs", "User access control")
            }
            MeasureFamily::Traceability => lang.pick("Mesures de traçabilité", "Traceability"),
            MeasureFamily::SoftwareProtection => {
                lang.pick("Protection des logiciels", "Software protection")
            }
            MeasureFamily::Backup => lang.pick("Sauvegarde des données", "Data backup"),
            MeasureFamily::Encryption => lang.pick("Chiffrement des données", "Data encryption"),
            MeasureFamily::ProcessorControl => {
                lang.pick("Contrôle des sous-traitants", "Processor control")
            }
            MeasureFamily::PhysicalSecurity => lang.pick("Sécurité physique", "Physical security"),
            MeasureFamily::NetworkSecurity => lang.pick("Sécurité des réseaux", "Network security"),
            MeasureFamily::Pseudonymisation => lang.pick("Pseudonymisation", "Pseudonymisation"),
            MeasureFamily::StaffAwareness => {
                lang.pick("Sensibilisation du personnel", "Staff awareness")
            }
            MeasureFamily::IncidentResponse => {
                lang.pick("Gestion des incidents", "Incident response")
            }
            MeasureFamily::Other => lang.pick("Autres mesures", "Other measures"),
        }
    }

    /// The CNIL fiche's seven boxes; families it lacks go under "Autres mesures".
    pub fn cnil_box(self) -> MeasureFamily {
        match self {
            MeasureFamily::AccessControl
            | MeasureFamily::Traceability
            | MeasureFamily::SoftwareProtection
            | MeasureFamily::Backup
            | MeasureFamily::Encryption
            | MeasureFamily::ProcessorControl => self,
            _ => MeasureFamily::Other,
        }
    }

    pub fn dpv(self) -> &'static str {
        match self {
            MeasureFamily::AccessControl => "dpv:AccessControlMethod",
            MeasureFamily::Traceability => "dpv:ActivityMonitoring",
            MeasureFamily::SoftwareProtection => "dpv:VulnerabilityTestingMethods",
            MeasureFamily::Backup => "dpv:DataBackupProtocols",
            MeasureFamily::Encryption => "dpv:Encryption",
            MeasureFamily::ProcessorControl => "dpv:Contract",
            MeasureFamily::PhysicalSecurity => "dpv:PhysicalMeasure",
            MeasureFamily::NetworkSecurity => "dpv:NetworkSecurityProtocols",
            MeasureFamily::Pseudonymisation => "dpv:Pseudonymisation",
            MeasureFamily::StaffAwareness => "dpv:StaffTraining",
            MeasureFamily::IncidentResponse => "dpv:IncidentManagementProcedures",
            MeasureFamily::Other => "dpv:TechnicalOrganisationalMeasure",
        }
    }
}

/// The kind of purpose, mapped to a DPV purpose concept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurposeKind {
    ServiceProvision,
    CustomerManagement,
    Billing,
    DirectMarketing,
    Security,
    FraudPrevention,
    LegalCompliance,
    Analytics,
    CustomerSupport,
    HumanResources,
    Other,
}

impl PurposeKind {
    pub fn dpv(self) -> &'static str {
        match self {
            PurposeKind::ServiceProvision => "dpv:ServiceProvision",
            PurposeKind::CustomerManagement => "dpv:CustomerManagement",
            PurposeKind::Billing => "dpv:BillingAndPayment",
            PurposeKind::DirectMarketing => "dpv:DirectMarketing",
            PurposeKind::Security => "dpv:EnforceSecurity",
            PurposeKind::FraudPrevention => "dpv:FraudPreventionAndDetection",
            PurposeKind::LegalCompliance => "dpv:LegalCompliance",
            PurposeKind::Analytics => "dpv:ServiceOptimisation",
            PurposeKind::CustomerSupport => "dpv:CustomerCare",
            PurposeKind::HumanResources => "dpv:HumanResourceManagement",
            PurposeKind::Other => "dpv:Purpose",
        }
    }
}

/// The public-holiday calendar used to count working hours and days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum HolidayCalendar {
    #[default]
    #[serde(rename = "fr")]
    Fr,
    /// France plus Good Friday and 26 December (Alsace-Moselle local law).
    #[serde(rename = "fr-alsace-moselle")]
    FrAlsaceMoselle,
    #[serde(rename = "be")]
    Be,
}

impl HolidayCalendar {
    pub fn tag(self) -> &'static str {
        match self {
            HolidayCalendar::Fr => "fr",
            HolidayCalendar::FrAlsaceMoselle => "fr-alsace-moselle",
            HolidayCalendar::Be => "be",
        }
    }
}

/// The data-subject rights a provider promises a delay for (GDPR Art. 15–21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    Access,
    Rectification,
    Erasure,
    Restriction,
    Portability,
    Objection,
}

impl Right {
    pub const ALL: [Right; 6] = [
        Right::Access,
        Right::Rectification,
        Right::Erasure,
        Right::Restriction,
        Right::Portability,
        Right::Objection,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Right::Access => "access",
            Right::Rectification => "rectification",
            Right::Erasure => "erasure",
            Right::Restriction => "restriction",
            Right::Portability => "portability",
            Right::Objection => "objection",
        }
    }

    pub fn article(self) -> &'static str {
        match self {
            Right::Access => "15",
            Right::Rectification => "16",
            Right::Erasure => "17",
            Right::Restriction => "18",
            Right::Portability => "20",
            Right::Objection => "21",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Right::Access => lang.pick("Droit d'accès", "Right of access"),
            Right::Rectification => lang.pick("Droit de rectification", "Right to rectification"),
            Right::Erasure => lang.pick("Droit à l'effacement", "Right to erasure"),
            Right::Restriction => lang.pick("Droit à la limitation", "Right to restriction"),
            Right::Portability => lang.pick("Droit à la portabilité", "Right to data portability"),
            Right::Objection => lang.pick("Droit d'opposition", "Right to object"),
        }
    }
}
