//! Which roles may take which workflow action in the DPO console: the
//! action axis of the console's authorisation matrix (the page axis is
//! [`crate::gate`], the data axis [`crate::authz`]).
//!
//! Why a table apart from the data matrix: acknowledging, extending or
//! refusing a rights request reads no category of personal data, yet it is a
//! decision made on the controller's behalf (Art. 12(3)–(4)) that must be
//! taken by the people entrusted with it. The default gives the request
//! workflow to the DPO role; the breach register's updates, legal holds
//! (Art. 17(3)(e): data kept for legal claims) and the announcement of a
//! privacy-notice version (Art. 13(3), 14(4)) to the DPO and the
//! administrators (who run incident response, Art. 33(1)); and the staff
//! accounts and application tokens — who can reach personal data at all
//! (Art. 32(1)(b), (4)) — to the administrators alone. A provider changes
//! the table through [`crate::AuthConfig::console`]. The actions' labels
//! live in the pages' message files (habeas-web `locales/*/console.ftl`).

use std::collections::{BTreeMap, BTreeSet};

/// One action a console page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConsoleAction {
    /// The acknowledgment of receipt was given.
    Acknowledge,
    /// Record a proof of identity checked by the staff member (Art. 12(6)).
    RecordIdentityProof,
    /// Work on the request starts.
    Start,
    /// Extend by one or two further months (Art. 12(3)).
    Extend,
    /// Refuse with a reason (Art. 12(4)).
    Refuse,
    /// The answer was given (and, for a restriction or objection, the limits recorded).
    Complete,
    /// Update a breach's facts in the register (Art. 33(5)).
    BreachUpdate,
    /// Close a breach.
    BreachClose,
    /// Place a legal hold on a subject or a category (Art. 17(3)(e)).
    HoldPlace,
    /// Release a legal hold, with the reason.
    HoldRelease,
    /// Announce a published notice version to the subjects (Art. 13(3), 14(4)).
    NoticeAnnounce,
    /// Disable a staff account (it can no longer sign in).
    StaffDisable,
    /// Reset a staff account's TOTP enrolment (it enrols again at next sign-in).
    StaffResetTotp,
    /// Revoke an application token.
    TokenRevoke,
}

impl ConsoleAction {
    pub const ALL: [ConsoleAction; 14] = [
        ConsoleAction::Acknowledge,
        ConsoleAction::RecordIdentityProof,
        ConsoleAction::Start,
        ConsoleAction::Extend,
        ConsoleAction::Refuse,
        ConsoleAction::Complete,
        ConsoleAction::BreachUpdate,
        ConsoleAction::BreachClose,
        ConsoleAction::HoldPlace,
        ConsoleAction::HoldRelease,
        ConsoleAction::NoticeAnnounce,
        ConsoleAction::StaffDisable,
        ConsoleAction::StaffResetTotp,
        ConsoleAction::TokenRevoke,
    ];

    /// The form value and journal word for the action.
    pub fn key(self) -> &'static str {
        match self {
            ConsoleAction::Acknowledge => "acknowledge",
            ConsoleAction::RecordIdentityProof => "proof",
            ConsoleAction::Start => "start",
            ConsoleAction::Extend => "extend",
            ConsoleAction::Refuse => "refuse",
            ConsoleAction::Complete => "done",
            ConsoleAction::BreachUpdate => "breach_update",
            ConsoleAction::BreachClose => "breach_close",
            ConsoleAction::HoldPlace => "hold_place",
            ConsoleAction::HoldRelease => "hold_release",
            ConsoleAction::NoticeAnnounce => "notice_announce",
            ConsoleAction::StaffDisable => "staff_disable",
            ConsoleAction::StaffResetTotp => "staff_reset_totp",
            ConsoleAction::TokenRevoke => "token_revoke",
        }
    }

    /// The action named by a form value.
    pub fn from_key(key: &str) -> Option<ConsoleAction> {
        ConsoleAction::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// Roles allowed per action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsolePolicy {
    allowed: BTreeMap<ConsoleAction, BTreeSet<String>>,
}

impl Default for ConsolePolicy {
    fn default() -> Self {
        let set = |roles: &[&str]| roles.iter().map(|r| r.to_string()).collect();
        let allowed = ConsoleAction::ALL
            .into_iter()
            .map(|a| match a {
                ConsoleAction::BreachUpdate
                | ConsoleAction::BreachClose
                | ConsoleAction::HoldPlace
                | ConsoleAction::HoldRelease
                | ConsoleAction::NoticeAnnounce => (a, set(&["admin", "dpo"])),
                ConsoleAction::StaffDisable
                | ConsoleAction::StaffResetTotp
                | ConsoleAction::TokenRevoke => (a, set(&["admin"])),
                _ => (a, set(&["dpo"])),
            })
            .collect();
        ConsolePolicy { allowed }
    }
}

impl ConsolePolicy {
    /// Replaces the roles allowed for `action`.
    pub fn set(&mut self, action: ConsoleAction, roles: impl IntoIterator<Item = String>) {
        self.allowed.insert(action, roles.into_iter().collect());
    }

    /// Whether any of `roles` may take `action` (none when the table is silent).
    pub fn allows(&self, roles: &BTreeSet<String>, action: ConsoleAction) -> bool {
        self.allowed
            .get(&action)
            .is_some_and(|allowed| roles.iter().any(|r| allowed.contains(r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(r: &[&str]) -> BTreeSet<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    /// The whole default table: every action × every demo role.
    #[test]
    fn default_table_gives_requests_to_the_dpo_shared_duties_to_both_and_accounts_to_admin() {
        let p = ConsolePolicy::default();
        for action in ConsoleAction::ALL {
            use ConsoleAction as A;
            let (dpo, admin) = match action {
                A::Acknowledge
                | A::RecordIdentityProof
                | A::Start
                | A::Extend
                | A::Refuse
                | A::Complete => (true, false),
                A::BreachUpdate
                | A::BreachClose
                | A::HoldPlace
                | A::HoldRelease
                | A::NoticeAnnounce => (true, true),
                A::StaffDisable | A::StaffResetTotp | A::TokenRevoke => (false, true),
            };
            assert_eq!(p.allows(&roles(&["dpo"]), action), dpo, "{action:?} dpo");
            assert_eq!(p.allows(&roles(&["admin"]), action), admin, "{action:?}");
            assert!(!p.allows(&roles(&["support"]), action), "{action:?}");
            assert!(!p.allows(&roles(&["billing"]), action), "{action:?}");
            assert!(!p.allows(&roles(&[]), action), "{action:?}");
            assert!(p.allows(&roles(&["support", "dpo", "admin"]), action));
            assert_eq!(ConsoleAction::from_key(action.key()), Some(action));
        }
        assert_eq!(ConsoleAction::from_key("delete_everything"), None);
    }

    #[test]
    fn a_provider_can_hand_an_action_to_another_role() {
        let mut p = ConsolePolicy::default();
        p.set(ConsoleAction::Acknowledge, ["support".to_string()]);
        assert!(p.allows(&roles(&["support"]), ConsoleAction::Acknowledge));
        assert!(!p.allows(&roles(&["dpo"]), ConsoleAction::Acknowledge));
        assert!(!p.allows(&roles(&["support"]), ConsoleAction::Refuse));
    }
}
