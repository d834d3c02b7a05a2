//! Why a request may be refused, with the article each reason rests on and
//! the words the subject reads (Art. 12(4): the reasons, the right to
//! complain and to a judicial remedy).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keyword::{UnknownKeyword, parse_keyword};
use super::kind::RequestKind;
use crate::lang::Lang;

/// The exemptions of Art. 17(3) that let a controller keep data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Art17Exemption {
    /// 17(3)(a).
    FreedomOfExpression,
    /// 17(3)(b): a legal obligation (e.g. invoices, Code de commerce L123-22).
    LegalObligation,
    /// 17(3)(c).
    PublicHealth,
    /// 17(3)(d).
    ArchivingOrResearch,
    /// 17(3)(e).
    LegalClaims,
}

impl Art17Exemption {
    pub fn article(self) -> &'static str {
        match self {
            Art17Exemption::FreedomOfExpression => "17(3)(a)",
            Art17Exemption::LegalObligation => "17(3)(b)",
            Art17Exemption::PublicHealth => "17(3)(c)",
            Art17Exemption::ArchivingOrResearch => "17(3)(d)",
            Art17Exemption::LegalClaims => "17(3)(e)",
        }
    }
}

impl FromStr for Art17Exemption {
    type Err = UnknownKeyword;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword(
            s,
            &[
                ("freedom_of_expression", Art17Exemption::FreedomOfExpression),
                ("legal_obligation", Art17Exemption::LegalObligation),
                ("public_health", Art17Exemption::PublicHealth),
                ("archiving_or_research", Art17Exemption::ArchivingOrResearch),
                ("legal_claims", Art17Exemption::LegalClaims),
            ],
            "Art. 17(3) exemption",
            "freedom_of_expression, legal_obligation, public_health, archiving_or_research or legal_claims",
        )
    }
}

/// Why a request is refused. Extensible: the Digital Omnibus proposal would
/// add "abusive" access requests (STANDARDS §2.1); until a ground has its own
/// variant, `Other` names the legal ground.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefusalReason {
    /// Art. 12(5)(b); the controller bears the burden of proof.
    ManifestlyUnfounded,
    /// Art. 12(5)(b), repetitive requests in particular.
    Excessive,
    /// Art. 11(2) and 12(2): the controller shows it cannot identify the subject.
    CannotIdentify,
    /// Art. 17(3): erasure only.
    ErasureExemption { exemption: Art17Exemption },
    /// Art. 21(1): compelling legitimate grounds override the objection.
    /// Never for direct marketing (Art. 21(3)); objection only.
    CompellingLegitimateGrounds,
    /// Art. 20(1): the processing is not based on consent or contract, or
    /// not automated; portability only.
    NotPortable,
    /// Art. 15(4): the copy would adversely affect the rights of others;
    /// access and portability only (Art. 20(4)).
    AdverselyAffectsOthers,
    /// Another legal ground, named.
    Other { legal_ground: String },
}

impl RefusalReason {
    pub fn key(&self) -> &'static str {
        match self {
            RefusalReason::ManifestlyUnfounded => "manifestly_unfounded",
            RefusalReason::Excessive => "excessive",
            RefusalReason::CannotIdentify => "cannot_identify",
            RefusalReason::ErasureExemption { .. } => "erasure_exemption",
            RefusalReason::CompellingLegitimateGrounds => "compelling_legitimate_grounds",
            RefusalReason::NotPortable => "not_portable",
            RefusalReason::AdverselyAffectsOthers => "adversely_affects_others",
            RefusalReason::Other { .. } => "other",
        }
    }

    /// The article the refusal rests on.
    pub fn article(&self) -> String {
        match self {
            RefusalReason::ManifestlyUnfounded | RefusalReason::Excessive => "12(5)".into(),
            RefusalReason::CannotIdentify => "11(2)".into(),
            RefusalReason::ErasureExemption { exemption } => exemption.article().into(),
            RefusalReason::CompellingLegitimateGrounds => "21(1)".into(),
            RefusalReason::NotPortable => "20(1)".into(),
            RefusalReason::AdverselyAffectsOthers => "15(4)".into(),
            RefusalReason::Other { legal_ground } => legal_ground.clone(),
        }
    }

    /// The request kinds this reason can refuse.
    pub fn applies_to(&self, kind: RequestKind) -> bool {
        match self {
            RefusalReason::ErasureExemption { .. } => kind == RequestKind::Erasure,
            RefusalReason::CompellingLegitimateGrounds => kind == RequestKind::Objection,
            RefusalReason::NotPortable => kind == RequestKind::Portability,
            RefusalReason::AdverselyAffectsOthers => {
                matches!(kind, RequestKind::Access | RequestKind::Portability)
            }
            // Withdrawal must be as easy as giving consent (Art. 7(3)): it is
            // never refused as unfounded or excessive.
            RefusalReason::ManifestlyUnfounded | RefusalReason::Excessive => {
                kind != RequestKind::ConsentWithdrawal
            }
            RefusalReason::CannotIdentify | RefusalReason::Other { .. } => true,
        }
    }
}

impl RefusalReason {
    /// Plain words for the answer to the subject, with the article.
    pub fn label(&self, lang: Lang) -> String {
        let text = match self {
            RefusalReason::ManifestlyUnfounded => {
                lang.pick("demande manifestement infondée", "manifestly unfounded request")
            }
            RefusalReason::Excessive => {
                lang.pick("demande excessive, notamment par son caractère répétitif", "excessive request, in particular repetitive")
            }
            RefusalReason::CannotIdentify => {
                lang.pick("nous ne sommes pas en mesure de vous identifier", "we are not in a position to identify you")
            }
            RefusalReason::ErasureExemption { exemption } => match exemption {
                Art17Exemption::FreedomOfExpression => lang.pick(
                    "exercice du droit à la liberté d'expression et d'information",
                    "exercise of the right of freedom of expression and information",
                ),
                Art17Exemption::LegalObligation => {
                    lang.pick("respect d'une obligation légale de conservation", "compliance with a legal obligation to keep the data")
                }
                Art17Exemption::PublicHealth => lang.pick("motifs d'intérêt public dans le domaine de la santé publique", "reasons of public interest in the area of public health"),
                Art17Exemption::ArchivingOrResearch => lang.pick(
                    "archivage dans l'intérêt public, recherche scientifique ou historique, statistiques",
                    "archiving in the public interest, scientific or historical research, statistics",
                ),
                Art17Exemption::LegalClaims => lang.pick(
                    "constatation, exercice ou défense de droits en justice",
                    "establishment, exercise or defence of legal claims",
                ),
            },
            RefusalReason::CompellingLegitimateGrounds => lang.pick(
                "motifs légitimes et impérieux qui prévalent sur vos intérêts",
                "compelling legitimate grounds that override your interests",
            ),
            RefusalReason::NotPortable => lang.pick(
                "le droit à la portabilité ne s'applique pas à ce traitement (ni consentement ni contrat)",
                "the right to data portability does not apply to this processing (neither consent nor contract)",
            ),
            RefusalReason::AdverselyAffectsOthers => {
                lang.pick("la copie porterait atteinte aux droits d'autrui", "the copy would adversely affect the rights of others")
            }
            RefusalReason::Other { legal_ground } => return legal_ground.clone(),
        };
        let art = lang.pick("RGPD art.", "GDPR Art.");
        format!("{text} ({art} {})", self.article())
    }
}

impl FromStr for RefusalReason {
    type Err = UnknownKeyword;
    /// `manifestly_unfounded`, `excessive`, `cannot_identify`,
    /// `erasure_exemption:<exemption>`, `compelling_legitimate_grounds`,
    /// `not_portable`, `adversely_affects_others`, `other:<legal ground>`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str = "manifestly_unfounded, excessive, cannot_identify, erasure_exemption:<exemption>, \
             compelling_legitimate_grounds, not_portable, adversely_affects_others or other:<legal ground>";
        let (head, tail) = match s.split_once(':') {
            Some((h, t)) => (h, Some(t.trim())),
            None => (s, None),
        };
        let key = head.trim().to_ascii_lowercase().replace('-', "_");
        let unknown = |expected| UnknownKeyword {
            what: "refusal reason",
            given: s.trim().to_string(),
            expected,
        };
        let needs_value = "a value after the colon, e.g. erasure_exemption:legal_obligation or other:<legal ground>";
        match (key.as_str(), tail) {
            ("erasure_exemption", Some(ex)) => Ok(RefusalReason::ErasureExemption {
                exemption: ex.parse()?,
            }),
            ("other", Some(ground)) if !ground.is_empty() => Ok(RefusalReason::Other {
                legal_ground: ground.to_string(),
            }),
            ("erasure_exemption" | "other", _) => Err(unknown(needs_value)),
            ("manifestly_unfounded", None) => Ok(RefusalReason::ManifestlyUnfounded),
            ("excessive", None) => Ok(RefusalReason::Excessive),
            ("cannot_identify", None) => Ok(RefusalReason::CannotIdentify),
            ("compelling_legitimate_grounds", None) => {
                Ok(RefusalReason::CompellingLegitimateGrounds)
            }
            ("not_portable", None) => Ok(RefusalReason::NotPortable),
            ("adversely_affects_others", None) => Ok(RefusalReason::AdverselyAffectsOthers),
            _ => Err(unknown(EXPECTED)),
        }
    }
}

/// A refusal as recorded: the reason and what the subject is told (Art.
/// 12(4): the reasons, the right to complain to a supervisory authority and
/// to seek a judicial remedy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub reason: RefusalReason,
    pub explanation: String,
    pub at: DateTime<Utc>,
}
