//! The access policy the vault applies to every read and write of personal
//! data: the actor's role must cover the purpose and the category, and the
//! subject's own choices — restriction (Art. 18), objection (Art. 21),
//! consent (Art. 7) — must not forbid the purpose.
//!
//! Why one function: every path (API, console, CLI, jobs) must give the same
//! answer with the same reason, which the journal records. The reason is
//! precise enough to show staff and to count in alerts, and names no
//! personal data.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::consent::ConsentState;
use crate::declarations::model::{Activity, ConsentPurpose, Name, StaffRole};
use crate::declarations::vocab::LegalBasis;
use crate::lang::Lang;

/// What the actor may do: a staff role or an API token scope, from the
/// declarations' `[roles.<name>]` (purposes and categories).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActorScope {
    /// Role or token name, for the refusal reason.
    pub role: String,
    pub purposes: BTreeSet<String>,
    pub categories: BTreeSet<String>,
}

impl ActorScope {
    /// The scope of a declared staff role (`[roles.<name>]`).
    pub fn from_role(name: &str, role: &StaffRole) -> Self {
        ActorScope {
            role: name.to_string(),
            purposes: role.purposes.iter().map(|p| p.get_ref().clone()).collect(),
            categories: role
                .categories
                .iter()
                .map(|c| c.get_ref().clone())
                .collect(),
        }
    }
}

/// What the law says about the purpose asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeFacts {
    pub name: String,
    /// Direct marketing: an objection is absolute (Art. 21(2)–(3)).
    pub direct_marketing: bool,
    /// The purpose rests on consent (Art. 6(1)(a)): processing needs a
    /// consent given and not withdrawn.
    pub consent_based: bool,
}

impl PurposeFacts {
    /// The facts of a declared activity (`[activities.<id>]`): direct
    /// marketing by flag or kind, consent-based when its Art. 6(1) basis is (a).
    pub fn from_activity(id: &str, activity: &Activity) -> Self {
        PurposeFacts {
            name: id.to_string(),
            direct_marketing: activity.is_direct_marketing(),
            consent_based: activity.legal_basis() == Some(LegalBasis::Consent),
        }
    }
}

/// The consent ledger is keyed by consent name (`[consents.<name>]`), the
/// policy by activity id: map one onto the other. An activity several
/// consents point to may be processed only if every one is given; otherwise
/// a withdrawal is reported first, then a refusal, then "never asked".
pub fn consents_by_activity(
    ledger_states: &BTreeMap<String, ConsentState>,
    consents: &BTreeMap<Name, ConsentPurpose>,
) -> BTreeMap<String, ConsentState> {
    fn rank(s: &ConsentState) -> u8 {
        match s {
            ConsentState::Withdrawn { .. } => 0,
            ConsentState::Refused { .. } => 1,
            ConsentState::Unknown => 2,
            ConsentState::Given { .. } => 3,
        }
    }
    let mut out: BTreeMap<String, ConsentState> = BTreeMap::new();
    for (name, consent) in consents {
        let state = ledger_states
            .get(name.get_ref())
            .copied()
            .unwrap_or(ConsentState::Unknown);
        let activity = consent.activity.get_ref().clone();
        match out.get(&activity) {
            Some(existing) if rank(existing) <= rank(&state) => {}
            _ => {
                out.insert(activity, state);
            }
        }
    }
    out
}

/// What to do when a consent-based activity (Art. 6(1)(a)) is processed for
/// a subject the consent ledger knows nothing about (`[consent] missing` in
/// `habeas.toml`).
///
/// Why refuse by default: processing on consent is lawful only with a
/// consent the controller can prove (Art. 7(1)); no entry in the ledger
/// means no proof. `allow` exists for migrations only, while records that
/// predate the ledger are being matched with the consents collected
/// elsewhere: it should be switched back once the ledger is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingConsent {
    /// Refused like a withdrawn consent (Art. 6(1)(a), 7(1)).
    #[default]
    Refuse,
    /// Allowed, as if the activity did not rest on consent (migration only).
    Allow,
}

impl MissingConsent {
    /// The consent state the decision uses when the ledger has no entry:
    /// `Some(Unknown)` (refused by [`decide`]) or `None` (not checked).
    pub fn state_when_missing(self) -> Option<ConsentState> {
        match self {
            MissingConsent::Refuse => Some(ConsentState::Unknown),
            MissingConsent::Allow => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            MissingConsent::Refuse => "refuse",
            MissingConsent::Allow => "allow",
        }
    }
}

/// The consent fact of a consent-based purpose for one subject: the state
/// the ledger records (anything but `Unknown`), else what `missing` says.
/// `None`: the purpose is not checked for consent (migration opt-out).
pub fn consent_state_for(
    recorded: Option<ConsentState>,
    missing: MissingConsent,
) -> Option<ConsentState> {
    recorded
        .filter(|s| *s != ConsentState::Unknown)
        .or_else(|| missing.state_when_missing())
}

/// Whether an objection still stops the purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ObjectionStatus {
    /// Processing for the purpose stops (Art. 21(1), 21(3)).
    Active,
    /// The controller demonstrated compelling legitimate grounds that
    /// override the objection (Art. 21(1)); recorded with a reference. Has
    /// no effect on a direct-marketing purpose (Art. 21(3)).
    Overridden { grounds: String },
}

/// What the subject has asked, as far as access is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SubjectState {
    /// Purposes under restriction (Art. 18).
    pub restricted_purposes: BTreeSet<String>,
    /// Objections per purpose (Art. 21).
    pub objections: BTreeMap<String, ObjectionStatus>,
    /// Consent state per consent-based purpose (Art. 7).
    pub consents: BTreeMap<String, ConsentState>,
}

/// What is being done with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Read,
    Write,
    /// Keeping the data as they are (storage, backup, legal hold): allowed
    /// under a restriction (Art. 18(2)) and after an objection.
    Store,
}

/// Why access was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum RefusalCause {
    /// The role does not work for this purpose (Art. 5(1)(b), 32(4)).
    PurposeOutsideRole { role: String, purpose: String },
    /// The role may not see this category (Art. 5(1)(c), 25(2)).
    CategoryOutsideRole { role: String, category: String },
    /// Art. 18(2): restricted; only storage continues.
    Restricted { purpose: String },
    /// Art. 21: the subject objected.
    Objected {
        purpose: String,
        direct_marketing: bool,
    },
    /// Art. 7(3): consent withdrawn.
    ConsentWithdrawn { purpose: String },
    /// Art. 6(1)(a): no consent given (never asked, or refused).
    NoConsent { purpose: String },
}

impl RefusalCause {
    pub fn article(&self) -> &'static str {
        match self {
            RefusalCause::PurposeOutsideRole { .. } => "5(1)(b)",
            RefusalCause::CategoryOutsideRole { .. } => "5(1)(c)",
            RefusalCause::Restricted { .. } => "18(2)",
            RefusalCause::Objected {
                direct_marketing: true,
                ..
            } => "21(3)",
            RefusalCause::Objected {
                direct_marketing: false,
                ..
            } => "21(1)",
            RefusalCause::ConsentWithdrawn { .. } => "7(3)",
            RefusalCause::NoConsent { .. } => "6(1)(a)",
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            RefusalCause::PurposeOutsideRole { .. } => "purpose_outside_role",
            RefusalCause::CategoryOutsideRole { .. } => "category_outside_role",
            RefusalCause::Restricted { .. } => "restricted",
            RefusalCause::Objected { .. } => "objected",
            RefusalCause::ConsentWithdrawn { .. } => "consent_withdrawn",
            RefusalCause::NoConsent { .. } => "no_consent",
        }
    }
}

impl RefusalCause {
    /// The reason in plain words, French or English, with the article (the
    /// English text is also the [`fmt::Display`] form, for logs and errors).
    pub fn describe(&self, lang: Lang) -> String {
        let text = match (self, lang) {
            (_, Lang::En) => return self.to_string(),
            (RefusalCause::PurposeOutsideRole { role, purpose }, Lang::Fr) => {
                format!("le rôle `{role}` ne travaille pas pour la finalité `{purpose}`")
            }
            (RefusalCause::CategoryOutsideRole { role, category }, Lang::Fr) => {
                format!("le rôle `{role}` n'a pas accès à la catégorie `{category}`")
            }
            (RefusalCause::Restricted { purpose }, Lang::Fr) => format!(
                "le traitement pour `{purpose}` est limité à la demande de la personne ; seule la conservation continue"
            ),
            (
                RefusalCause::Objected {
                    purpose,
                    direct_marketing: true,
                },
                Lang::Fr,
            ) => {
                format!(
                    "la personne s'est opposée à la prospection (`{purpose}`) ; l'opposition est absolue"
                )
            }
            (
                RefusalCause::Objected {
                    purpose,
                    direct_marketing: false,
                },
                Lang::Fr,
            ) => format!(
                "la personne s'est opposée à `{purpose}` et aucun motif légitime impérieux n'a été enregistré"
            ),
            (RefusalCause::ConsentWithdrawn { purpose }, Lang::Fr) => {
                format!("la personne a retiré son consentement pour `{purpose}`")
            }
            (RefusalCause::NoConsent { purpose }, Lang::Fr) => {
                format!("`{purpose}` requiert le consentement de la personne, qui n'est pas donné")
            }
        };
        format!("{text} (RGPD art. {})", self.article())
    }
}

impl fmt::Display for RefusalCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefusalCause::PurposeOutsideRole { role, purpose } => {
                write!(f, "role `{role}` does not work for purpose `{purpose}`")
            }
            RefusalCause::CategoryOutsideRole { role, category } => {
                write!(f, "role `{role}` may not access category `{category}`")
            }
            RefusalCause::Restricted { purpose } => {
                write!(
                    f,
                    "processing for `{purpose}` is restricted at the subject's request; only storage continues"
                )
            }
            RefusalCause::Objected {
                purpose,
                direct_marketing: true,
            } => {
                write!(
                    f,
                    "the subject objected to direct marketing (`{purpose}`); the objection is absolute"
                )
            }
            RefusalCause::Objected {
                purpose,
                direct_marketing: false,
            } => {
                write!(
                    f,
                    "the subject objected to `{purpose}` and no compelling grounds were recorded"
                )
            }
            RefusalCause::ConsentWithdrawn { purpose } => {
                write!(f, "the subject withdrew consent for `{purpose}`")
            }
            RefusalCause::NoConsent { purpose } => write!(
                f,
                "`{purpose}` needs the subject's consent, which is not given"
            ),
        }?;
        write!(f, " (GDPR Art. {})", self.article())
    }
}

/// The vault's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Refuse { reason: RefusalCause },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Decide one access. Checks, in order: the role's purposes, the role's
/// categories, then — except for [`Operation::Store`] — restriction,
/// objection and consent for the purpose. The first failing check is the
/// reason.
pub fn decide(
    actor: &ActorScope,
    subject: &SubjectState,
    purpose: &PurposeFacts,
    category: &str,
    operation: Operation,
) -> Decision {
    let refuse = |reason| Decision::Refuse { reason };
    let p = || purpose.name.clone();
    if !actor.purposes.contains(&purpose.name) {
        return refuse(RefusalCause::PurposeOutsideRole {
            role: actor.role.clone(),
            purpose: p(),
        });
    }
    if !actor.categories.contains(category) {
        return refuse(RefusalCause::CategoryOutsideRole {
            role: actor.role.clone(),
            category: category.to_string(),
        });
    }
    if operation == Operation::Store {
        return Decision::Allow;
    }
    if subject.restricted_purposes.contains(&purpose.name) {
        return refuse(RefusalCause::Restricted { purpose: p() });
    }
    match subject.objections.get(&purpose.name) {
        // Art. 21(3): no balancing for direct marketing.
        Some(_) if purpose.direct_marketing => {
            return refuse(RefusalCause::Objected {
                purpose: p(),
                direct_marketing: true,
            });
        }
        Some(ObjectionStatus::Active) => {
            return refuse(RefusalCause::Objected {
                purpose: p(),
                direct_marketing: false,
            });
        }
        Some(ObjectionStatus::Overridden { .. }) | None => {}
    }
    if purpose.consent_based {
        match subject
            .consents
            .get(&purpose.name)
            .copied()
            .unwrap_or(ConsentState::Unknown)
        {
            ConsentState::Given { .. } => {}
            ConsentState::Withdrawn { .. } => {
                return refuse(RefusalCause::ConsentWithdrawn { purpose: p() });
            }
            ConsentState::Unknown | ConsentState::Refused { .. } => {
                return refuse(RefusalCause::NoConsent { purpose: p() });
            }
        }
    }
    Decision::Allow
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn support() -> ActorScope {
        ActorScope {
            role: "support".into(),
            purposes: set(&["customer_support", "newsletter", "fraud"]),
            categories: set(&["identity", "contact"]),
        }
    }

    fn purpose(name: &str, direct_marketing: bool, consent_based: bool) -> PurposeFacts {
        PurposeFacts {
            name: name.into(),
            direct_marketing,
            consent_based,
        }
    }

    fn cause(d: Decision) -> RefusalCause {
        match d {
            Decision::Refuse { reason } => reason,
            Decision::Allow => panic!("expected a refusal"),
        }
    }

    #[test]
    fn role_outside_purpose_or_category_is_refused() {
        let s = SubjectState::default();
        let support_purpose = purpose("customer_support", false, false);
        assert_eq!(
            decide(&support(), &s, &support_purpose, "contact", Operation::Read),
            Decision::Allow
        );
        let billing = cause(decide(
            &support(),
            &s,
            &purpose("billing", false, false),
            "billing",
            Operation::Read,
        ));
        assert_eq!(billing.key(), "purpose_outside_role");
        let r = cause(decide(
            &support(),
            &s,
            &support_purpose,
            "billing",
            Operation::Read,
        ));
        assert_eq!(
            r,
            RefusalCause::CategoryOutsideRole {
                role: "support".into(),
                category: "billing".into()
            }
        );
        assert!(r.to_string().contains("Art. 5(1)(c)"));
        assert_eq!(
            r.describe(Lang::Fr),
            "le rôle `support` n'a pas accès à la catégorie `billing` (RGPD art. 5(1)(c))"
        );
    }

    #[test]
    fn art18_2_restriction_refuses_reads_and_writes_but_storage_continues() {
        let s = SubjectState {
            restricted_purposes: set(&["customer_support"]),
            ..Default::default()
        };
        let p = purpose("customer_support", false, false);
        for op in [Operation::Read, Operation::Write] {
            let refused = decide(&support(), &s, &p, "contact", op);
            assert!(!refused.is_allowed(), "{op:?}");
            assert_eq!(cause(refused).article(), "18(2)");
        }
        assert_eq!(
            decide(&support(), &s, &p, "contact", Operation::Store),
            Decision::Allow
        );
        // Other purposes are not frozen.
        assert!(
            decide(
                &support(),
                &s,
                &purpose("fraud", false, false),
                "contact",
                Operation::Read
            )
            .is_allowed()
        );
    }

    #[test]
    fn art21_3_direct_marketing_objection_is_absolute() {
        let overridden = ObjectionStatus::Overridden {
            grounds: "ticket 42".into(),
        };
        let s = SubjectState {
            objections: [
                ("newsletter".to_string(), overridden.clone()),
                ("fraud".to_string(), overridden),
            ]
            .into_iter()
            .collect(),
            ..Default::default()
        };
        let r = cause(decide(
            &support(),
            &s,
            &purpose("newsletter", true, false),
            "contact",
            Operation::Read,
        ));
        assert_eq!(
            r,
            RefusalCause::Objected {
                purpose: "newsletter".into(),
                direct_marketing: true
            }
        );
        assert_eq!(r.article(), "21(3)");
        // Art. 21(1): compelling grounds can override an objection to other purposes.
        assert!(
            decide(
                &support(),
                &s,
                &purpose("fraud", false, false),
                "contact",
                Operation::Read
            )
            .is_allowed()
        );
    }

    #[test]
    fn art21_1_active_objection_stops_the_purpose() {
        let s = SubjectState {
            objections: [("fraud".to_string(), ObjectionStatus::Active)]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        let r = cause(decide(
            &support(),
            &s,
            &purpose("fraud", false, false),
            "contact",
            Operation::Write,
        ));
        assert_eq!(r.article(), "21(1)");
    }

    #[test]
    fn art7_3_withdrawn_consent_refuses_new_processing() {
        let newsletter = purpose("newsletter", true, true);
        let mut s = SubjectState::default();
        assert_eq!(
            cause(decide(
                &support(),
                &s,
                &newsletter,
                "contact",
                Operation::Read
            ))
            .article(),
            "6(1)(a)"
        );
        s.consents.insert(
            "newsletter".into(),
            ConsentState::Given {
                since: at("2026-01-01T00:00:00Z"),
            },
        );
        assert!(decide(&support(), &s, &newsletter, "contact", Operation::Read).is_allowed());
        s.consents.insert(
            "newsletter".into(),
            ConsentState::Withdrawn {
                since: at("2026-02-01T00:00:00Z"),
            },
        );
        let r = cause(decide(
            &support(),
            &s,
            &newsletter,
            "contact",
            Operation::Read,
        ));
        assert_eq!(
            r,
            RefusalCause::ConsentWithdrawn {
                purpose: "newsletter".into()
            }
        );
        // A purpose not based on consent ignores the consent ledger.
        assert!(
            decide(
                &support(),
                &s,
                &purpose("newsletter", true, false),
                "contact",
                Operation::Read
            )
            .is_allowed()
        );
    }

    #[test]
    fn scopes_and_facts_come_from_the_declarations() {
        let role: StaffRole = toml::from_str(
            r#"
            name = "Support"
            purposes = ["PA-0002"]
            categories = ["contact", "tickets"]
            "#,
        )
        .unwrap();
        let scope = ActorScope::from_role("support", &role);
        assert_eq!(scope.categories, set(&["contact", "tickets"]));
        let activity: Activity = toml::from_str(
            r#"
            name = "Lettre d'information"
            kind = "direct_marketing"
            role = "controller"
            legal_basis = "consent"
            "#,
        )
        .unwrap();
        let facts = PurposeFacts::from_activity("PA-0002", &activity);
        assert!(facts.direct_marketing && facts.consent_based);
        let consents: BTreeMap<Name, ConsentPurpose> = toml::from_str(
            r#"
            [newsletter]
            activity = "PA-0002"
            text = "J'accepte de recevoir la lettre d'information."
            [partners]
            activity = "PA-0002"
            text = "J'accepte les offres des partenaires."
            "#,
        )
        .unwrap();
        let given = ConsentState::Given {
            since: at("2026-01-01T00:00:00Z"),
        };
        let mut states = BTreeMap::from([("newsletter".to_string(), given)]);
        // Only one of the two consents given: the activity is not covered.
        assert_eq!(
            consents_by_activity(&states, &consents)["PA-0002"],
            ConsentState::Unknown
        );
        states.insert("partners".into(), given);
        assert_eq!(consents_by_activity(&states, &consents)["PA-0002"], given);
        let withdrawn = ConsentState::Withdrawn {
            since: at("2026-02-01T00:00:00Z"),
        };
        states.insert("partners".into(), withdrawn);
        let subject = SubjectState {
            consents: consents_by_activity(&states, &consents),
            ..Default::default()
        };
        let r = cause(decide(&scope, &subject, &facts, "contact", Operation::Read));
        assert_eq!(
            r,
            RefusalCause::ConsentWithdrawn {
                purpose: "PA-0002".into()
            }
        );
        // Whichever consent comes first: a withdrawal is not hidden by a
        // consent given afterwards in name order.
        let states = BTreeMap::from([
            ("newsletter".to_string(), withdrawn),
            ("partners".to_string(), given),
        ]);
        assert_eq!(
            consents_by_activity(&states, &consents)["PA-0002"],
            withdrawn
        );
    }

    #[test]
    fn decisions_serialise_with_their_cause() {
        let d = Decision::Refuse {
            reason: RefusalCause::Restricted {
                purpose: "x".into(),
            },
        };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(
            json,
            r#"{"decision":"refuse","reason":{"cause":"restricted","purpose":"x"}}"#
        );
        assert_eq!(serde_json::from_str::<Decision>(&json).unwrap(), d);
    }

    #[test]
    fn art6_1_a_no_consent_in_the_ledger_is_refused_unless_the_migration_opt_out_is_set() {
        let scope = support();
        assert_eq!(MissingConsent::default(), MissingConsent::Refuse);
        let run = |recorded: Option<ConsentState>, missing: MissingConsent| {
            let mut facts = purpose("newsletter", true, true);
            let mut subject = SubjectState::default();
            match consent_state_for(recorded, missing) {
                Some(state) => {
                    subject.consents.insert("newsletter".into(), state);
                }
                None => facts.consent_based = false,
            }
            decide(&scope, &subject, &facts, "contact", Operation::Read)
        };
        assert_eq!(
            cause(run(None, MissingConsent::Refuse)),
            RefusalCause::NoConsent {
                purpose: "newsletter".into()
            }
        );
        assert_eq!(
            cause(run(Some(ConsentState::Unknown), MissingConsent::Refuse)).key(),
            "no_consent"
        );
        assert!(run(None, MissingConsent::Allow).is_allowed());
        // The opt-out never overrides what the ledger records.
        let withdrawn = ConsentState::Withdrawn {
            since: at("2026-02-01T00:00:00Z"),
        };
        assert_eq!(
            cause(run(Some(withdrawn), MissingConsent::Allow)).key(),
            "consent_withdrawn"
        );
        let given = ConsentState::Given {
            since: at("2026-01-01T00:00:00Z"),
        };
        assert!(run(Some(given), MissingConsent::Refuse).is_allowed());
        let parsed: MissingConsent = serde_json::from_str(r#""allow""#).unwrap();
        assert_eq!(parsed.key(), "allow");
    }
}
