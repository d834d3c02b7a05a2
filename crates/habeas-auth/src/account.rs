//! A staff account as stored (document kind `staff`) and as listed.
//!
//! Why two types: the stored account holds the password hash, the TOTP secret
//! and the recovery-code hashes; the summary is what a console or `staff list`
//! may show, with none of them. The document is sealed at rest by the store;
//! the TOTP secret lives in it and nowhere else.

use std::collections::BTreeSet;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::AuthError;
use crate::recovery::{self, RecoveryCode};

/// Document kind of staff accounts.
pub const KIND: &str = "staff";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffStatus {
    Active,
    Disabled,
}

/// A confirmed (or pending) TOTP secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpState {
    /// The secret, base64 (only in this sealed document).
    pub secret: String,
    pub since: DateTime<Utc>,
    /// The last accepted time step: codes of this step or earlier never pass again.
    pub last_used_step: Option<u64>,
}

impl TotpState {
    pub(crate) fn new(secret: &[u8], since: DateTime<Utc>) -> Self {
        TotpState {
            secret: STANDARD.encode(secret),
            since,
            last_used_step: None,
        }
    }

    pub(crate) fn secret_bytes(&self, id: &str) -> Result<Zeroizing<Vec<u8>>, AuthError> {
        STANDARD
            .decode(&self.secret)
            .map(Zeroizing::new)
            .map_err(|e| AuthError::Corrupt {
                kind: KIND,
                id: id.to_string(),
                detail: format!("TOTP secret: {e}"),
            })
    }
}

impl fmt::Debug for TotpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpState")
            .field("since", &self.since)
            .field("last_used_step", &self.last_used_step)
            .finish_non_exhaustive()
    }
}

/// The stored account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccount {
    pub id: String,
    /// Lower-case sign-in name, unique.
    pub login: String,
    pub display_name: String,
    /// Declared role names.
    pub roles: BTreeSet<String>,
    pub status: StaffStatus,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Set for an initial or reset password: the next sign-in must change it.
    pub must_change_password: bool,
    pub totp: Option<TotpState>,
    /// A secret offered for enrolment, not yet confirmed with a code.
    pub pending_totp: Option<TotpState>,
    pub recovery_codes: Vec<RecoveryCode>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Bumped by every change of roles, status, password or second factor:
    /// sessions opened before it are no longer valid.
    pub security_epoch: u64,
}

impl fmt::Debug for StaffAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaffAccount")
            .field("id", &self.id)
            .field("roles", &self.roles)
            .field("status", &self.status)
            .field("totp", &self.totp)
            .field("security_epoch", &self.security_epoch)
            .finish_non_exhaustive()
    }
}

impl StaffAccount {
    pub(crate) fn decode(id: &str, body: &[u8]) -> Result<Self, AuthError> {
        serde_json::from_slice(body).map_err(|e| AuthError::Corrupt {
            kind: KIND,
            id: id.to_string(),
            detail: e.to_string(),
        })
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>, AuthError> {
        serde_json::to_vec(self).map_err(|e| AuthError::Corrupt {
            kind: KIND,
            id: self.id.clone(),
            detail: format!("cannot serialise: {e}"),
        })
    }

    pub fn is_active(&self) -> bool {
        self.status == StaffStatus::Active
    }

    pub fn summary(&self) -> StaffSummary {
        StaffSummary {
            id: self.id.clone(),
            login: self.login.clone(),
            display_name: self.display_name.clone(),
            roles: self.roles.clone(),
            status: self.status,
            totp_enrolled: self.totp.is_some(),
            recovery_codes_left: recovery::remaining(&self.recovery_codes),
            must_change_password: self.must_change_password,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_login_at: self.last_login_at,
        }
    }
}

/// What may be shown about an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSummary {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub roles: BTreeSet<String>,
    pub status: StaffStatus,
    pub totp_enrolled: bool,
    pub recovery_codes_left: usize,
    pub must_change_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

/// Checks and normalises a login: 2–64 characters among a–z, 0–9, '.', '_',
/// '-', starting with a letter or digit; stored lower-case.
pub fn normalise_login(login: &str) -> Result<String, AuthError> {
    let l = login.trim().to_lowercase();
    let n = l.chars().count();
    if !(2..=64).contains(&n) {
        return Err(AuthError::InvalidLogin("use 2 to 64 characters"));
    }
    if !l
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AuthError::InvalidLogin(
            "use only letters a–z, digits, '.', '_' and '-'",
        ));
    }
    if !l.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(AuthError::InvalidLogin("start with a letter or a digit"));
    }
    Ok(l)
}

/// Checks a display name: 1–128 characters, no control characters.
pub fn check_display_name(name: &str) -> Result<String, AuthError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 128 || name.chars().any(char::is_control) {
        return Err(AuthError::InvalidDisplayName);
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_normalised_or_refused_with_the_reason() {
        assert_eq!(normalise_login(" Alice.Martin ").unwrap(), "alice.martin");
        for (bad, why) in [
            ("a", "2 to 64"),
            ("alice martin", "only letters"),
            ("-alice", "start with"),
            ("élodie", "only letters"),
        ] {
            let e = normalise_login(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(check_display_name("Alice\u{7}").is_err());
        assert_eq!(
            check_display_name(" Élodie Durand ").unwrap(),
            "Élodie Durand"
        );
    }

    #[test]
    fn debug_output_hides_hashes_and_secrets() {
        let t = Utc::now();
        let a = StaffAccount {
            id: "st-1".into(),
            login: "alice".into(),
            display_name: "Alice".into(),
            roles: BTreeSet::new(),
            status: StaffStatus::Active,
            password_hash: "$argon2id$v=19$secret-hash".into(),
            must_change_password: false,
            totp: Some(TotpState::new(b"12345678901234567890", t)),
            pending_totp: None,
            recovery_codes: vec![],
            created_at: t,
            updated_at: t,
            last_login_at: None,
            security_epoch: 0,
        };
        let d = format!("{a:?}");
        assert!(
            !d.contains("argon2id") && !d.contains("MTIz") && !d.contains("alice"),
            "{d}"
        );
    }
}
