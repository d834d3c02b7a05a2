//! The authorisation matrix for staff: may this staff member, with these
//! roles, do this operation on this category for this purpose? And the event
//! a refusal produces, for the journal and the alert hook (SPEC C6: access
//! outside a role is refused, journaled and alerted).
//!
//! Why over core's policy: the answer and its reason must be the ones the
//! vault gives on every other path (`habeas_core::rights::policy::decide`);
//! this module only combines several roles and adds the account's status.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use habeas_core::lang::Lang;
use habeas_core::rights::policy::{
    Decision, Operation, PurposeFacts, RefusalCause, SubjectState, decide,
};
use serde::{Deserialize, Serialize};

use crate::account::StaffStatus;
use crate::account::StaffSummary;
use crate::roles::RoleCatalog;

/// Why a staff member was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DenyReason {
    /// The account is disabled.
    AccountDisabled,
    /// The account has no role (or none still declared).
    NoRole,
    /// Core's policy refused (role scope or the subject's choices).
    Policy { cause: RefusalCause },
}

impl DenyReason {
    pub fn key(&self) -> &'static str {
        match self {
            DenyReason::AccountDisabled => "account_disabled",
            DenyReason::NoRole => "no_role",
            DenyReason::Policy { cause } => cause.key(),
        }
    }

    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (DenyReason::AccountDisabled, Lang::Fr) => "le compte est désactivé".into(),
            (DenyReason::AccountDisabled, Lang::En) => "the account is disabled".into(),
            (DenyReason::NoRole, Lang::Fr) => "le compte n'a aucun rôle déclaré".into(),
            (DenyReason::NoRole, Lang::En) => "the account has no declared role".into(),
            (DenyReason::Policy { cause }, lang) => cause.describe(lang),
        }
    }
}

/// The answer for one access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum StaffAccess {
    /// Allowed through this role (recorded in the journal's access entry).
    Allow {
        role: String,
    },
    Deny {
        reason: DenyReason,
    },
}

impl StaffAccess {
    pub fn is_allowed(&self) -> bool {
        matches!(self, StaffAccess::Allow { .. })
    }
}

/// Decides one access for a staff member. Roles are tried in name order;
/// the first that allows wins. When none does, the reason given is the most
/// telling one: a subject's choice (restriction, objection, consent — which
/// no role overrides) before a category outside the role, before a purpose
/// outside the role.
pub fn authorise(
    catalog: &RoleCatalog,
    status: StaffStatus,
    roles: &BTreeSet<String>,
    subject: &SubjectState,
    purpose: &PurposeFacts,
    category: &str,
    operation: Operation,
) -> StaffAccess {
    if status == StaffStatus::Disabled {
        return StaffAccess::Deny {
            reason: DenyReason::AccountDisabled,
        };
    }
    let mut best: Option<RefusalCause> = None;
    fn rank(c: &RefusalCause) -> u8 {
        match c {
            RefusalCause::PurposeOutsideRole { .. } => 0,
            RefusalCause::CategoryOutsideRole { .. } => 1,
            _ => 2,
        }
    }
    for (name, scope) in roles.iter().filter_map(|r| catalog.get(r).map(|s| (r, s))) {
        match decide(scope, subject, purpose, category, operation) {
            Decision::Allow => return StaffAccess::Allow { role: name.clone() },
            Decision::Refuse { reason } => {
                if best.as_ref().is_none_or(|b| rank(&reason) > rank(b)) {
                    best = Some(reason);
                }
            }
        }
    }
    StaffAccess::Deny {
        reason: best.map_or(DenyReason::NoRole, |cause| DenyReason::Policy { cause }),
    }
}

/// The role check alone (no subject choices, purpose not consent-based): what
/// the console uses to decide which pages and columns a staff member sees.
pub fn role_allows(
    catalog: &RoleCatalog,
    staff: &StaffSummary,
    purpose: &str,
    category: &str,
) -> StaffAccess {
    let facts = PurposeFacts {
        name: purpose.to_string(),
        direct_marketing: false,
        consent_based: false,
    };
    authorise(
        catalog,
        staff.status,
        &staff.roles,
        &SubjectState::default(),
        &facts,
        category,
        Operation::Read,
    )
}

/// A refused access, for the audit journal (ASVS V16.3.2) and the alert
/// hook. It names the staff account and, if any, the subject's pseudonymous
/// id — no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessDenied {
    pub at: DateTime<Utc>,
    pub staff_id: String,
    pub roles: BTreeSet<String>,
    pub purpose: String,
    pub category: String,
    pub operation: Operation,
    pub subject_id: Option<String>,
    pub reason: DenyReason,
    /// The GDPR article of the refusal, if the policy gave one.
    pub article: Option<String>,
    pub message_fr: String,
    pub message_en: String,
}

impl AccessDenied {
    /// The journal's action name for this event.
    pub const ACTION: &'static str = "access_refused";

    /// The event for a refused query.
    pub fn new(query: &AccessQuery<'_>, reason: DenyReason, at: DateTime<Utc>) -> Self {
        let article = match &reason {
            DenyReason::Policy { cause } => Some(cause.article().to_string()),
            _ => None,
        };
        AccessDenied {
            at,
            staff_id: query.staff.id.clone(),
            roles: query.staff.roles.clone(),
            purpose: query.purpose.name.clone(),
            category: query.category.to_string(),
            operation: query.operation,
            subject_id: query.subject_id.map(str::to_string),
            message_fr: reason.describe(Lang::Fr),
            message_en: reason.describe(Lang::En),
            article,
            reason,
        }
    }
}

/// Where refusals go: the journal writer and the alerting of the instance
/// (implemented by the layer that owns them).
pub trait DenyHook: Send + Sync {
    fn access_denied(&self, event: &AccessDenied);
}

/// One staff access to check, with everything the journal needs.
#[derive(Debug, Clone, Copy)]
pub struct AccessQuery<'x> {
    pub staff: &'x StaffSummary,
    pub subject: &'x SubjectState,
    pub subject_id: Option<&'x str>,
    pub purpose: &'x PurposeFacts,
    pub category: &'x str,
    pub operation: Operation,
}

/// Decides, and hands every refusal to the hook before answering.
pub fn authorise_and_report(
    catalog: &RoleCatalog,
    query: &AccessQuery<'_>,
    now: DateTime<Utc>,
    hook: &dyn DenyHook,
) -> StaffAccess {
    let answer = authorise(
        catalog,
        query.staff.status,
        &query.staff.roles,
        query.subject,
        query.purpose,
        query.category,
        query.operation,
    );
    if let StaffAccess::Deny { reason } = &answer {
        hook.access_denied(&AccessDenied::new(query, reason.clone(), now));
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use habeas_core::rights::policy::ActorScope;

    fn scope(role: &str, purposes: &[&str], categories: &[&str]) -> ActorScope {
        ActorScope {
            role: role.into(),
            purposes: purposes.iter().map(|p| p.to_string()).collect(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn purpose(name: &str) -> PurposeFacts {
        PurposeFacts {
            name: name.into(),
            direct_marketing: false,
            consent_based: false,
        }
    }

    fn ask(
        catalog: &RoleCatalog,
        roles: &[&str],
        subject: &SubjectState,
        purpose_name: &str,
        category: &str,
    ) -> StaffAccess {
        let roles: BTreeSet<String> = roles.iter().map(|r| r.to_string()).collect();
        authorise(
            catalog,
            StaffStatus::Active,
            &roles,
            subject,
            &purpose(purpose_name),
            category,
            Operation::Read,
        )
    }

    fn cause(access: StaffAccess) -> RefusalCause {
        match access {
            StaffAccess::Deny {
                reason: DenyReason::Policy { cause },
            } => cause,
            other => panic!("expected a policy refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_catalog_given_scopes_answers_with_each_of_them() {
        let catalog = RoleCatalog::from_scopes([scope("support", &["PA-1"], &["contact"])]);
        assert_eq!(
            catalog.get("support").map(|s| &s.categories),
            Some(&BTreeSet::from(["contact".to_string()]))
        );
        let allowed = ask(
            &catalog,
            &["support"],
            &SubjectState::default(),
            "PA-1",
            "contact",
        );
        assert!(allowed.is_allowed());
        assert_eq!(
            allowed,
            StaffAccess::Allow {
                role: "support".into()
            }
        );
        let refused = ask(
            &catalog,
            &["support"],
            &SubjectState::default(),
            "PA-1",
            "billing",
        );
        assert!(!refused.is_allowed());
    }

    /// The reason shown is the most telling whatever the roles' name order:
    /// a subject's choice (which no role overrides) before a category outside
    /// a role, before a purpose outside a role.
    #[test]
    fn the_most_telling_refusal_is_given_whatever_the_order_of_the_roles() {
        let restricted = SubjectState {
            restricted_purposes: BTreeSet::from(["PA-1".to_string()]),
            ..Default::default()
        };
        // `a-billing` (first by name) refuses by category, `b-support` by the
        // subject's restriction: the restriction is what the staff must hear.
        let catalog = RoleCatalog::from_scopes([
            scope("a-billing", &["PA-1"], &["billing"]),
            scope("b-support", &["PA-1"], &["contact"]),
        ]);
        assert!(matches!(
            cause(ask(
                &catalog,
                &["a-billing", "b-support"],
                &restricted,
                "PA-1",
                "contact"
            )),
            RefusalCause::Restricted { .. }
        ));
        // A category outside a role says more than a purpose outside another.
        let catalog = RoleCatalog::from_scopes([
            scope("a-marketing", &["PA-9"], &["contact"]),
            scope("b-support", &["PA-1"], &["billing"]),
        ]);
        let none = SubjectState::default();
        assert!(matches!(
            cause(ask(
                &catalog,
                &["a-marketing", "b-support"],
                &none,
                "PA-1",
                "contact"
            )),
            RefusalCause::CategoryOutsideRole { .. }
        ));
        // Equally telling refusals: the first role by name is the one named.
        let catalog = RoleCatalog::from_scopes([
            scope("a-support", &["PA-1"], &["billing"]),
            scope("b-support", &["PA-1"], &["tickets"]),
        ]);
        assert_eq!(
            cause(ask(
                &catalog,
                &["a-support", "b-support"],
                &none,
                "PA-1",
                "contact"
            )),
            RefusalCause::CategoryOutsideRole {
                role: "a-support".into(),
                category: "contact".into()
            }
        );
    }

    #[test]
    fn an_account_without_a_declared_role_is_refused_as_such() {
        let catalog = RoleCatalog::from_scopes([scope("support", &["PA-1"], &["contact"])]);
        assert_eq!(
            ask(
                &catalog,
                &["retired"],
                &SubjectState::default(),
                "PA-1",
                "contact"
            ),
            StaffAccess::Deny {
                reason: DenyReason::NoRole
            }
        );
    }
}
