//! The staff roles a provider declared (`[roles.<name>]`: purposes and
//! categories), as access scopes.
//!
//! Why a catalogue: an account may only carry declared roles, and the access
//! decision must use the declared scope of each — one lookup table for both.

use std::collections::BTreeMap;

use habeas_core::declarations::Declarations;
use habeas_core::rights::policy::ActorScope;

use crate::error::AuthError;

/// Declared roles by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleCatalog {
    scopes: BTreeMap<String, ActorScope>,
}

impl RoleCatalog {
    /// The roles of loaded declarations.
    pub fn from_declarations(declarations: &Declarations) -> Self {
        RoleCatalog {
            scopes: declarations
                .roles
                .iter()
                .map(|(name, role)| {
                    let name = name.get_ref().clone();
                    let scope = ActorScope::from_role(&name, role);
                    (name, scope)
                })
                .collect(),
        }
    }

    /// Roles given directly (tests, tools).
    pub fn from_scopes(scopes: impl IntoIterator<Item = ActorScope>) -> Self {
        RoleCatalog {
            scopes: scopes.into_iter().map(|s| (s.role.clone(), s)).collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&ActorScope> {
        self.scopes.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.scopes.keys().map(String::as_str)
    }

    /// Checks that every role is declared and that there is at least one.
    pub fn validate<'a>(
        &self,
        roles: impl IntoIterator<Item = &'a String>,
    ) -> Result<(), AuthError> {
        let mut any = false;
        for role in roles {
            any = true;
            if !self.scopes.contains_key(role) {
                return Err(AuthError::UnknownRole {
                    role: role.clone(),
                    known: self.names().collect::<Vec<_>>().join(", "),
                });
            }
        }
        if any { Ok(()) } else { Err(AuthError::NoRole) }
    }
}
