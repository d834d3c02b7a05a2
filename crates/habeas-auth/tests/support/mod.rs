//! Shared set-up for the flow tests: the demo provider's roles, cheap argon2
//! parameters (tests only), an in-memory store and a clock that moves only
//! when told.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use habeas_auth::{
    Auth, AuthConfig, CsrfKey, HashParams, LoginAttempt, NewStaff, RoleCatalog, Secret,
};
use habeas_core::clock::ManualClock;
use habeas_core::declarations::load;
use habeas_core::docs::MemoryDocs;

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T08:59:45Z")
        .unwrap()
        .to_utc()
}

/// The roles of the demo provider (`examples/hosting-provider`): admin, dpo,
/// support, billing.
pub fn demo_roles() -> RoleCatalog {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hosting-provider/declarations/roles.toml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let (declarations, diagnostics) = load(&[("roles.toml".to_string(), text)]);
    assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
    RoleCatalog::from_declarations(&declarations)
}

pub fn test_config() -> AuthConfig {
    AuthConfig {
        hashing: HashParams::TEST_ONLY,
        pool_workers: 2,
        pool_queue: 4,
        ..AuthConfig::default()
    }
}

pub struct World {
    pub auth: Auth,
    pub docs: MemoryDocs,
    pub clock: ManualClock,
}

impl World {
    pub fn new() -> Self {
        Self::with_config(test_config())
    }

    pub fn with_config(config: AuthConfig) -> Self {
        World {
            auth: Auth::new(config, demo_roles(), CsrfKey::generate().unwrap()).unwrap(),
            docs: MemoryDocs::new(),
            clock: ManualClock::new(t0()),
        }
    }

    pub fn svc(&self) -> habeas_auth::AuthService<'_> {
        self.auth.service(&self.docs, &self.clock)
    }

    /// Adds an account and returns its id and one-time password.
    pub fn add(&self, login: &str, roles: &[&str]) -> (String, Secret) {
        let created = self
            .svc()
            .add_staff(&NewStaff {
                login: login.into(),
                display_name: format!("Staff {login}"),
                roles: roles_of(roles),
            })
            .unwrap();
        (created.summary.id, created.initial_password)
    }

    /// Adds an account whose own password is already set (first sign-in done).
    pub fn add_ready(&self, login: &str, roles: &[&str], password: &str) -> String {
        let (id, initial) = self.add(login, roles);
        self.svc()
            .change_password(&id, initial.expose(), password)
            .unwrap();
        id
    }
}

pub fn roles_of(roles: &[&str]) -> BTreeSet<String> {
    roles.iter().map(|r| r.to_string()).collect()
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn attempt<'x>(login: &'x str, password: &'x str, code: Option<&'x str>) -> LoginAttempt<'x> {
    LoginAttempt {
        login,
        password,
        second_factor: code,
        source: ip("198.51.100.7"),
    }
}

pub const GOOD: &str = "sept chevaux bleus dansent";
