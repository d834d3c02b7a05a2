//! Every parameter of sign-in and sessions, with production defaults taken
//! from OWASP ASVS (password hashing App. C, sessions V7.3, brute force V6.3)
//! and Vault's lock-out floor (5 failures → 15 minutes).
//!
//! Why one struct: the web layer, the CLI and the tests build the same
//! services; only the tests lower the argon2id cost, and they do it here.

use std::collections::BTreeSet;

use chrono::Duration;

use crate::error::AuthError;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashParams {
    /// ASVS 5.0 App. C / OWASP minimum: m = 19 MiB, t = 2, p = 1 (about 20 ms a hash).
    pub const OWASP: HashParams = HashParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// The cheapest argon2id allows: for tests only, never for real accounts.
    pub const TEST_ONLY: HashParams = HashParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    /// Whether the parameters reach ASVS App. C (t = 1 → m ≥ 46 MiB,
    /// t = 2 → m ≥ 19 MiB, t ≥ 3 → m ≥ 12 MiB).
    pub fn meets_owasp_minimum(&self) -> bool {
        let min_kib = match self.iterations {
            0 => return false,
            1 => 46 * 1024,
            2 => 19 * 1024,
            _ => 12 * 1024,
        };
        self.memory_kib >= min_kib && self.parallelism >= 1
    }
}

/// Exponential back-off after repeated failures for one key (a login or a
/// source address): `threshold` failures lock the key for `base_lock`; each
/// further failure doubles the lock, up to `max_lock`. Failures are forgotten
/// after `forget_after` without any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    pub threshold: u32,
    pub base_lock: Duration,
    pub max_lock: Duration,
    pub forget_after: Duration,
}

/// Lock-out per account (by login, known or not) and per source address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub per_account: ThrottleRule,
    pub per_source: ThrottleRule,
    /// How many logins and sources are tracked at most (memory bound under a
    /// flood of made-up logins); idle entries are dropped first.
    pub max_tracked: usize,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            // Vault's floor: 5 failures → 15 min; at most ~5 guesses an hour,
            // far below ASVS 4.0.3 V2.2.1's 100 an hour.
            per_account: ThrottleRule {
                threshold: 5,
                base_lock: Duration::minutes(15),
                max_lock: Duration::hours(4),
                forget_after: Duration::hours(24),
            },
            // A source may fail more (an office behind one NAT) before it is slowed.
            per_source: ThrottleRule {
                threshold: 20,
                base_lock: Duration::minutes(15),
                max_lock: Duration::hours(24),
                forget_after: Duration::hours(24),
            },
            max_tracked: 100_000,
        }
    }
}

/// Session lifetimes (ASVS 4.0.3 V3.3.2 L2: 30 min idle, 12 h absolute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
    /// A session's last activity is written at most this often (one store
    /// write a minute per session rather than one per request).
    pub touch_every: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
            touch_every: Duration::minutes(1),
        }
    }
}

/// Which staff must sign in with a second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaPolicy {
    /// Every staff member, whatever their roles.
    pub all_roles: bool,
    /// Declared role names that require it (default `admin` and `dpo`).
    pub roles: BTreeSet<String>,
}

impl Default for MfaPolicy {
    fn default() -> Self {
        MfaPolicy {
            all_roles: false,
            roles: ["admin", "dpo"].into_iter().map(String::from).collect(),
        }
    }
}

impl MfaPolicy {
    /// Whether a staff member with these roles must use TOTP (SPEC C6).
    pub fn required_for<'a>(&self, mut roles: impl Iterator<Item = &'a String>) -> bool {
        self.all_roles || roles.any(|r| self.roles.contains(r))
    }
}

/// Everything the staff and session services need to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub hashing: HashParams,
    pub lockout: LockoutPolicy,
    pub sessions: SessionPolicy,
    pub mfa: MfaPolicy,
    /// Hashing threads (at most this many argon2id runs at once).
    pub pool_workers: usize,
    /// Hash requests that may wait for a thread; beyond, "busy, retry".
    pub pool_queue: usize,
    /// The issuer shown in authenticator apps.
    pub issuer: String,
    /// Minimum password length in characters (ASVS V6.2.1 asks 8, recommends 15).
    pub password_min_chars: usize,
    /// Which roles may take which console workflow action.
    pub console: crate::console::ConsolePolicy,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            hashing: HashParams::OWASP,
            lockout: LockoutPolicy::default(),
            sessions: SessionPolicy::default(),
            mfa: MfaPolicy::default(),
            // One core of the two for hashing: the rest keeps serving reads.
            pool_workers: 1,
            pool_queue: 8,
            issuer: "Habeas".into(),
            password_min_chars: 12,
            console: crate::console::ConsolePolicy::default(),
        }
    }
}

impl AuthConfig {
    /// Checks the parameters hold together; says which one is wrong.
    pub fn validate(&self) -> Result<(), AuthError> {
        let bad = |what: &str| Err(AuthError::Config(what.to_string()));
        if self.pool_workers == 0 {
            return bad("pool_workers must be at least 1");
        }
        if self.password_min_chars < 8 {
            return bad("password_min_chars must be at least 8 (ASVS V6.2.1)");
        }
        for (name, rule) in [
            ("per_account", &self.lockout.per_account),
            ("per_source", &self.lockout.per_source),
        ] {
            if rule.threshold == 0
                || rule.base_lock <= Duration::zero()
                || rule.max_lock < rule.base_lock
            {
                return bad(&format!(
                    "lockout.{name}: threshold ≥ 1 and 0 < base_lock ≤ max_lock are required"
                ));
            }
        }
        let s = &self.sessions;
        if s.idle <= Duration::zero() || s.absolute < s.idle || s.touch_every >= s.idle {
            return bad("sessions: 0 < touch_every < idle ≤ absolute is required");
        }
        if self.issuer.is_empty() || self.issuer.contains(':') {
            return bad("issuer must be non-empty and without ':' (otpauth URI label)");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_asvs_grade_and_valid() {
        let c = AuthConfig::default();
        c.validate().unwrap();
        assert!(c.hashing.meets_owasp_minimum());
        assert!(!HashParams::TEST_ONLY.meets_owasp_minimum());
        assert!(
            HashParams {
                memory_kib: 46 * 1024,
                iterations: 1,
                parallelism: 1
            }
            .meets_owasp_minimum()
        );
        assert!(
            !HashParams {
                memory_kib: 19 * 1024,
                iterations: 1,
                parallelism: 1
            }
            .meets_owasp_minimum()
        );
    }

    #[test]
    fn inconsistent_settings_are_named() {
        let mut c = AuthConfig::default();
        c.sessions.absolute = Duration::minutes(5);
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("sessions"), "{e}");
        let c = AuthConfig {
            pool_workers: 0,
            ..AuthConfig::default()
        };
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("pool_workers")
        );
    }

    #[test]
    fn mfa_is_required_for_admin_and_dpo_by_default() {
        let m = MfaPolicy::default();
        let roles = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(m.required_for(roles(&["support", "dpo"]).iter()));
        assert!(!m.required_for(roles(&["support"]).iter()));
        let all = MfaPolicy {
            all_roles: true,
            ..MfaPolicy::default()
        };
        assert!(all.required_for(roles(&["support"]).iter()));
    }
}
