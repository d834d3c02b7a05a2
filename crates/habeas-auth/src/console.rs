//! Which roles may take which workflow action in the DPO console: the
//! action axis of the console's authorisation matrix (the page axis is
//! [`crate::gate`], the data axis [`crate::authz`]).
//!
//! Why a table apart from the data matrix: acknowledging, extending or
//! refusing a rights request reads no category of personal data, yet it is a
//! decision made on the controller's behalf (Art. 12(3)–(4)) that must be
//! taken by the people entrusted with it. The default gives the request
//! workflow to the DPO role and the breach register's updates to the DPO and
//! the administrators (who run incident response, Art. 33(1)); a provider
//! changes the table through [`crate::AuthConfig::console`].

use std::collections::{BTreeMap, BTreeSet};

use habeas_core::lang::Lang;

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
}

impl ConsoleAction {
    pub const ALL: [ConsoleAction; 8] = [
        ConsoleAction::Acknowledge,
        ConsoleAction::RecordIdentityProof,
        ConsoleAction::Start,
        ConsoleAction::Extend,
        ConsoleAction::Refuse,
        ConsoleAction::Complete,
        ConsoleAction::BreachUpdate,
        ConsoleAction::BreachClose,
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
        }
    }

    /// The action named by a form value.
    pub fn from_key(key: &str) -> Option<ConsoleAction> {
        ConsoleAction::ALL.into_iter().find(|a| a.key() == key)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ConsoleAction::Acknowledge => lang.pick("Accuser réception", "Acknowledge"),
            ConsoleAction::RecordIdentityProof => {
                lang.pick("Enregistrer la preuve d'identité", "Record identity proof")
            }
            ConsoleAction::Start => lang.pick("Commencer le traitement", "Start work"),
            ConsoleAction::Extend => lang.pick("Prolonger le délai", "Extend the deadline"),
            ConsoleAction::Refuse => lang.pick("Refuser", "Refuse"),
            ConsoleAction::Complete => lang.pick("Marquer comme répondue", "Mark as answered"),
            ConsoleAction::BreachUpdate => lang.pick("Mettre à jour", "Update"),
            ConsoleAction::BreachClose => lang.pick("Clore la violation", "Close the breach"),
        }
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
                ConsoleAction::BreachUpdate | ConsoleAction::BreachClose => {
                    (a, set(&["admin", "dpo"]))
                }
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
    fn default_table_gives_requests_to_the_dpo_and_breaches_to_dpo_and_admin() {
        let p = ConsolePolicy::default();
        for action in ConsoleAction::ALL {
            let breach = matches!(
                action,
                ConsoleAction::BreachUpdate | ConsoleAction::BreachClose
            );
            assert!(p.allows(&roles(&["dpo"]), action), "{action:?} dpo");
            assert_eq!(p.allows(&roles(&["admin"]), action), breach, "{action:?}");
            assert!(!p.allows(&roles(&["support"]), action), "{action:?}");
            assert!(!p.allows(&roles(&["billing"]), action), "{action:?}");
            assert!(!p.allows(&roles(&[]), action), "{action:?}");
            assert!(p.allows(&roles(&["support", "dpo"]), action));
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
