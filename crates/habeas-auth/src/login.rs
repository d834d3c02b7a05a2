//! Signing in: lock-out first, then the password on the bounded pool, then the
//! second factor.
//!
//! Why this order: the lock-out table is checked before any hashing so a
//! guessing flood costs no argon2id (RELIABILITY §0.4, T14); an unknown login
//! is hashed against a dummy hash and answered exactly like a wrong password,
//! so neither the answer nor the time tells which accounts exist (ASVS
//! V6.3.8); a TOTP code, once accepted, never passes again (ASVS V6.5.1).

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};

use crate::account::StaffAccount;
use crate::error::AuthError;
use crate::limiter::retry_after_secs;
use crate::password::{self, MAX_PASSWORD_CHARS};
use crate::recovery;
use crate::service::AuthService;
use crate::totp;

/// One sign-in attempt. `source` is the peer address, or the client address
/// given by a configured trusted proxy — never a header from anyone else.
#[derive(Clone, Copy)]
pub struct LoginAttempt<'x> {
    pub login: &'x str,
    pub password: &'x str,
    /// A 6-digit TOTP code or a recovery code, when the account has a second factor.
    pub second_factor: Option<&'x str>,
    pub source: IpAddr,
}

impl fmt::Debug for LoginAttempt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginAttempt")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// What a signed-in session may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Everything the roles allow.
    Full,
    /// Only change the one-time password.
    MustChangePassword,
    /// Only enrol the second factor the roles require.
    MustEnrolTotp,
}

/// A successful sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginSuccess {
    pub staff_id: String,
    pub stage: Stage,
    /// A recovery code was used: the console should urge new codes.
    pub used_recovery_code: bool,
    pub recovery_codes_left: usize,
}

/// Why a sign-in did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown login, wrong password, disabled account or wrong second factor:
    /// one answer for all.
    #[error("unknown login or wrong password or code")]
    InvalidCredentials,
    /// The password is right; the account needs its TOTP or a recovery code.
    #[error("enter the code of your authenticator app or a recovery code")]
    SecondFactorRequired,
    /// Too many failures for this login or from this address.
    #[error("too many failed attempts; retry after {until}")]
    Locked { until: DateTime<Utc> },
    /// The hashing pool is full: retry shortly (HTTP 503 with Retry-After).
    #[error("sign-in is busy; retry in a moment")]
    Busy,
    #[error(transparent)]
    Failed(AuthError),
}

impl LoginError {
    /// The message in French or English.
    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (LoginError::InvalidCredentials, Lang::Fr) => {
                "identifiant inconnu, ou mot de passe ou code erroné".into()
            }
            (LoginError::SecondFactorRequired, Lang::Fr) => {
                "saisissez le code de votre application d'authentification ou un code de secours"
                    .into()
            }
            (LoginError::Locked { until }, Lang::Fr) => format!(
                "trop de tentatives échouées ; réessayez après {}",
                until.format("%Y-%m-%d %H:%M UTC")
            ),
            (LoginError::Locked { until }, Lang::En) => format!(
                "too many failed attempts; retry after {}",
                until.format("%Y-%m-%d %H:%M UTC")
            ),
            (LoginError::Busy, Lang::Fr) => "connexion saturée ; réessayez dans un instant".into(),
            (LoginError::Failed(e), lang) => e.describe(lang),
            (other, Lang::En) => other.to_string(),
        }
    }

    /// Seconds to put in `Retry-After`, for a lock or a busy pool.
    pub fn retry_after_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        match self {
            LoginError::Locked { until } => Some(retry_after_secs(*until, now)),
            LoginError::Busy => Some(1),
            _ => None,
        }
    }
}

impl From<AuthError> for LoginError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Busy => LoginError::Busy,
            other => LoginError::Failed(other),
        }
    }
}

/// What the second-factor step decided.
enum Factor {
    Totp,
    Recovery,
}

impl AuthService<'_> {
    /// Signs a staff member in. On success the caller opens a new session
    /// with [`AuthService::open_session`] (never reuses an old one).
    pub fn authenticate(&self, attempt: &LoginAttempt<'_>) -> Result<LoginSuccess, LoginError> {
        let now = self.clock.now();
        let limiter = &self.auth.limiter;
        // 1. Lock-out, before anything costs.
        limiter
            .check(attempt.login, attempt.source, now)
            .map_err(|(_, until)| LoginError::Locked { until })?;
        // An over-long password is refused before hashing, like a wrong one.
        if attempt.password.chars().count() > MAX_PASSWORD_CHARS || attempt.login.len() > 256 {
            limiter.record_failure(attempt.login, attempt.source, now);
            return Err(LoginError::InvalidCredentials);
        }
        // 2. The password, on the bounded pool; a dummy hash for unknown logins.
        let found = self.find_login(attempt.login)?;
        let phc = found
            .as_ref()
            .map_or(self.auth.dummy_hash.as_str(), |(a, _)| {
                a.password_hash.as_str()
            });
        let matches = match self.auth.verify_on_pool(phc, attempt.password) {
            // No room on the pool: "busy", and the source is charged (not
            // the login), so a flooding source locks itself out.
            Err(AuthError::Busy) => {
                limiter.record_source_failure(attempt.source, now);
                return Err(LoginError::Busy);
            }
            other => other?,
        };
        let fail = || {
            limiter.record_failure(attempt.login, attempt.source, now);
            LoginError::InvalidCredentials
        };
        let Some((account, _)) = found else {
            return Err(fail());
        };
        if !matches || !account.is_active() {
            return Err(fail());
        }
        // 3. The second factor, when the account has one.
        let factor = match (&account.totp, attempt.second_factor) {
            (None, _) => None,
            (Some(_), None) => return Err(LoginError::SecondFactorRequired),
            (Some(_), Some(code)) => match self.check_second_factor(&account.id, code)? {
                Some(f) => Some(f),
                None => return Err(fail()),
            },
        };
        // 4. Success: forget the login's failures, note the time, re-hash if
        // the parameters were raised since the hash was made.
        limiter.record_success(attempt.login);
        let rehash = if password::needs_rehash(&account.password_hash, &self.auth.config.hashing) {
            self.auth.hash_on_pool(attempt.password).ok()
        } else {
            None
        };
        let old_hash = account.password_hash.clone();
        let (account, ()) = self
            .update(&account.id, |a| {
                a.last_login_at = Some(now);
                // Only if the password did not change meanwhile.
                if let Some(h) = rehash.as_ref().filter(|_| a.password_hash == old_hash) {
                    a.password_hash = h.clone();
                }
                Ok(())
            })
            .map_err(LoginError::from)?;
        Ok(LoginSuccess {
            stage: self.stage_of(&account),
            staff_id: account.id.clone(),
            used_recovery_code: matches!(factor, Some(Factor::Recovery)),
            recovery_codes_left: recovery::remaining(&account.recovery_codes),
        })
    }

    /// The stage a new session of this account gets now (after a password
    /// change or a TOTP enrolment, the caller opens a session at this stage).
    pub fn stage_for(&self, staff_id: &str) -> Result<Stage, AuthError> {
        Ok(self.stage_of(&self.load(staff_id)?.0))
    }

    /// What a session of this account may do now.
    pub fn stage_of(&self, account: &StaffAccount) -> Stage {
        if account.must_change_password {
            Stage::MustChangePassword
        } else if account.totp.is_none() && self.auth.config.mfa.required_for(account.roles.iter())
        {
            Stage::MustEnrolTotp
        } else {
            Stage::Full
        }
    }

    /// Checks a TOTP or recovery code and records its use in the same write
    /// (under optimistic concurrency, two sign-ins racing with one code cannot
    /// both win: the loser reloads and sees the step or the code used).
    fn check_second_factor(&self, id: &str, code: &str) -> Result<Option<Factor>, LoginError> {
        let now = self.clock.now();
        let outcome = self.update(id, |a| {
            let Some(state) = a.totp.as_mut() else {
                return Err(AuthError::InvalidCode);
            };
            if recovery::looks_like_recovery_code(code) {
                let i =
                    recovery::find_unused(&a.recovery_codes, code).ok_or(AuthError::InvalidCode)?;
                a.recovery_codes[i].used_at = Some(now);
                return Ok(Factor::Recovery);
            }
            let secret = state.secret_bytes(id)?;
            let step = totp::verify(&secret, code, now, state.last_used_step)?
                .ok_or(AuthError::InvalidCode)?;
            state.last_used_step = Some(step);
            Ok(Factor::Totp)
        });
        match outcome {
            Ok((_, f)) => Ok(Some(f)),
            Err(AuthError::InvalidCode) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_attempt_shows_no_login_password_or_code() {
        let attempt = LoginAttempt {
            login: "alice-login",
            password: "correct horse battery",
            second_factor: Some("123456"),
            source: "192.0.2.7".parse().expect("address"),
        };
        let printed = format!("{attempt:?}");
        assert!(printed.contains("192.0.2.7"), "{printed}");
        for secret in ["alice-login", "correct horse", "123456"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }

    #[test]
    fn refusals_are_said_in_both_languages_with_the_time_of_a_lock() {
        let until = DateTime::parse_from_rfc3339("2026-03-01T09:15:00Z")
            .expect("date")
            .to_utc();
        let locked = LoginError::Locked { until };
        assert_eq!(
            locked.describe(Lang::Fr),
            "trop de tentatives échouées ; réessayez après 2026-03-01 09:15 UTC"
        );
        assert_eq!(
            locked.describe(Lang::En),
            "too many failed attempts; retry after 2026-03-01 09:15 UTC"
        );
        assert_eq!(
            LoginError::InvalidCredentials.describe(Lang::Fr),
            "identifiant inconnu, ou mot de passe ou code erroné"
        );
        assert_eq!(
            LoginError::Busy.describe(Lang::En),
            LoginError::Busy.to_string()
        );
    }
}
