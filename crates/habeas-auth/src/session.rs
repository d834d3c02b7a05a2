//! Web sessions of staff members (document kind `session`).
//!
//! Why these rules (ASVS V7): the id is 32 random bytes (256 bits) shown only
//! to the browser; the store keeps its SHA-256, so a copy of the database
//! cannot be replayed as a cookie. A session ends after 30 minutes idle, 12
//! hours in all, at logout, or when its account changes (roles, status,
//! password, second factor: the account's security epoch moves on). A new id
//! is issued at sign-in and at every privilege change (rotation).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use habeas_core::docs::DocError;
use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::AuthError;
use crate::login::Stage;
use crate::secret::random_bytes;
use crate::service::AuthService;

/// Document kind of sessions.
pub const KIND: &str = "session";
const TOKEN_BYTES: usize = 32;
/// Length of a token in base64url without padding.
const TOKEN_CHARS: usize = 43;

/// The opaque session id the browser holds. No `Display`; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(Zeroizing<String>);

impl SessionToken {
    fn generate() -> Result<Self, AuthError> {
        let mut bytes = Zeroizing::new([0u8; TOKEN_BYTES]);
        random_bytes(bytes.as_mut())?;
        Ok(SessionToken(Zeroizing::new(
            URL_SAFE_NO_PAD.encode(bytes.as_ref()),
        )))
    }

    /// The token for the cookie.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The store id: hex SHA-256 of the token.
    pub(crate) fn doc_id(token: &str) -> String {
        hex::encode(Sha256::digest(token.as_bytes()))
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// Whether a presented value can be a token at all (checked before any
/// store access).
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SessionDoc {
    staff_id: String,
    stage: Stage,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    /// The account's security epoch when the session was opened.
    epoch: u64,
    revoked_at: Option<DateTime<Utc>>,
}

impl SessionDoc {
    /// Not revoked, not past its lifetime, not idle for `idle` or more —
    /// the checks every session passes before anything else.
    fn within_lifetimes(&self, now: DateTime<Utc>, idle: chrono::Duration) -> bool {
        self.revoked_at.is_none() && now < self.expires_at && now - self.last_seen_at < idle
    }
}

/// A valid session, as the HTTP layer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub staff_id: String,
    pub stage: Stage,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// When it ends if unused.
    pub idle_expires_at: DateTime<Utc>,
    /// When it ends whatever happens.
    pub expires_at: DateTime<Utc>,
}

/// Why a presented session is not valid. Every case means "sign in again".
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no such session; sign in")]
    Unknown,
    #[error("the session ended after {0} minutes without activity; sign in again")]
    IdleTimeout(i64),
    #[error("the session reached its maximum lifetime; sign in again")]
    Expired,
    #[error("the session was closed; sign in again")]
    Revoked,
    #[error("the account changed (roles, status, password or second factor); sign in again")]
    AccountChanged,
    #[error(transparent)]
    Failed(#[from] AuthError),
}

impl SessionError {
    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (SessionError::Unknown, Lang::Fr) => "session inconnue ; connectez-vous".into(),
            (SessionError::IdleTimeout(m), Lang::Fr) => format!(
                "la session a pris fin après {m} minutes d'inactivité ; reconnectez-vous"
            ),
            (SessionError::Expired, Lang::Fr) => {
                "la session a atteint sa durée maximale ; reconnectez-vous".into()
            }
            (SessionError::Revoked, Lang::Fr) => "la session a été fermée ; reconnectez-vous".into(),
            (SessionError::AccountChanged, Lang::Fr) => {
                "le compte a changé (rôles, statut, mot de passe ou second facteur) ; reconnectez-vous".into()
            }
            (SessionError::Failed(e), lang) => e.describe(lang),
            (other, Lang::En) => other.to_string(),
        }
    }
}

impl From<DocError> for SessionError {
    fn from(e: DocError) -> Self {
        SessionError::Failed(e.into())
    }
}

fn decode(id: &str, body: &[u8]) -> Result<SessionDoc, AuthError> {
    serde_json::from_slice(body).map_err(|e| AuthError::Corrupt {
        kind: KIND,
        id: id.to_string(),
        detail: e.to_string(),
    })
}

fn encode(doc: &SessionDoc) -> Result<Vec<u8>, AuthError> {
    serde_json::to_vec(doc).map_err(|e| AuthError::Corrupt {
        kind: KIND,
        id: "(new)".into(),
        detail: format!("cannot serialise: {e}"),
    })
}

impl AuthService<'_> {
    fn view(&self, doc: &SessionDoc) -> Session {
        Session {
            staff_id: doc.staff_id.clone(),
            stage: doc.stage,
            created_at: doc.created_at,
            last_seen_at: doc.last_seen_at,
            idle_expires_at: (doc.last_seen_at + self.auth.config.sessions.idle)
                .min(doc.expires_at),
            expires_at: doc.expires_at,
        }
    }

    /// Opens a new session for an account, at the account's current epoch.
    pub fn open_session(
        &self,
        staff_id: &str,
        stage: Stage,
    ) -> Result<(SessionToken, Session), AuthError> {
        let (account, _) = self.load(staff_id)?;
        if !account.is_active() {
            return Err(AuthError::Disabled);
        }
        let now = self.clock.now();
        let token = SessionToken::generate()?;
        let doc = SessionDoc {
            staff_id: account.id.clone(),
            stage,
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.auth.config.sessions.absolute,
            epoch: account.security_epoch,
            revoked_at: None,
        };
        self.docs.put_doc(
            KIND,
            &SessionToken::doc_id(token.expose()),
            None,
            &encode(&doc)?,
        )?;
        Ok((token, self.view(&doc)))
    }

    /// Checks a presented token and notes the activity (at most once per
    /// `touch_every`). Every failure means: no session, sign in again.
    pub fn check_session(&self, token: &str) -> Result<Session, SessionError> {
        if !well_formed(token) {
            return Err(SessionError::Unknown);
        }
        let id = SessionToken::doc_id(token);
        let Some(stored) = self.docs.get_doc(KIND, &id)? else {
            return Err(SessionError::Unknown);
        };
        let mut doc = decode(&id, &stored.body)?;
        let now = self.clock.now();
        let policy = self.auth.config.sessions;
        if doc.revoked_at.is_some() {
            return Err(SessionError::Revoked);
        }
        if now >= doc.expires_at {
            return Err(SessionError::Expired);
        }
        if now - doc.last_seen_at >= policy.idle {
            return Err(SessionError::IdleTimeout(policy.idle.num_minutes()));
        }
        let account = match self.load(&doc.staff_id) {
            Ok((a, _)) => a,
            Err(AuthError::UnknownStaff(_)) => return Err(SessionError::AccountChanged),
            Err(e) => return Err(e.into()),
        };
        if !account.is_active() || account.security_epoch != doc.epoch {
            return Err(SessionError::AccountChanged);
        }
        if now - doc.last_seen_at >= policy.touch_every {
            doc.last_seen_at = now;
            match self
                .docs
                .put_doc(KIND, &id, Some(stored.version), &encode(&doc)?)
            {
                // Another request touched it first: its time is as good. On
                // a full disk the touch is skipped: the idle clock runs from
                // the last one written, which can only end the session sooner
                // (signing everyone out because a note could not be written
                // would be worse).
                Ok(_) | Err(DocError::Conflict { .. } | DocError::Full) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self.view(&doc))
    }

    /// Issues a new id for a valid session (privilege change), closing the old one.
    pub fn rotate_session(
        &self,
        token: &str,
        stage: Stage,
    ) -> Result<(SessionToken, Session), SessionError> {
        let session = self.check_session(token)?;
        self.close_session(token)?;
        Ok(self.open_session(&session.staff_id, stage)?)
    }

    /// Logout: the session is closed for good. Closing an unknown or already
    /// closed session is not an error.
    pub fn close_session(&self, token: &str) -> Result<(), AuthError> {
        if !well_formed(token) {
            return Ok(());
        }
        let id = SessionToken::doc_id(token);
        for _ in 0..5 {
            let Some(stored) = self.docs.get_doc(KIND, &id)? else {
                return Ok(());
            };
            let mut doc = decode(&id, &stored.body)?;
            if doc.revoked_at.is_some() {
                return Ok(());
            }
            doc.revoked_at = Some(self.clock.now());
            match self
                .docs
                .put_doc(KIND, &id, Some(stored.version), &encode(&doc)?)
            {
                Ok(_) => return Ok(()),
                Err(DocError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AuthError::Contended)
    }

    /// The ids of the session documents that can no longer be used —
    /// closed, past their lifetime or idle too long — to be deleted: a
    /// session's record is kept no longer than the session (GDPR
    /// Art. 5(1)(e)); the journal keeps its entries. A document that cannot
    /// be read is left alone.
    pub fn ended_session_ids(&self) -> Result<Vec<String>, AuthError> {
        let now = self.clock.now();
        let idle = self.auth.config.sessions.idle;
        let mut out = Vec::new();
        for stored in self.docs.list_docs(KIND)? {
            let Ok(doc) = decode(&stored.id, &stored.body) else {
                continue;
            };
            if !doc.within_lifetimes(now, idle) {
                out.push(stored.id);
            }
        }
        Ok(out)
    }

    /// Open sessions of an account that are still within their lifetimes
    /// (for the console's "active sessions" view).
    pub fn open_sessions_of(&self, staff_id: &str) -> Result<Vec<Session>, AuthError> {
        let now = self.clock.now();
        let idle = self.auth.config.sessions.idle;
        let (account, _) = self.load(staff_id)?;
        let mut out = Vec::new();
        for stored in self.docs.list_docs(KIND)? {
            let doc = decode(&stored.id, &stored.body)?;
            if doc.staff_id == staff_id
                && doc.epoch == account.security_epoch
                && doc.within_lifetimes(now, idle)
            {
                out.push(self.view(&doc));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_chars_and_stored_only_hashed() {
        let t = SessionToken::generate().unwrap();
        assert!(well_formed(t.expose()));
        let id = SessionToken::doc_id(t.expose());
        assert_eq!(id.len(), 64);
        assert!(!id.contains(t.expose()));
        assert_ne!(t, SessionToken::generate().unwrap());
        assert_eq!(format!("{t:?}"), "SessionToken(<redacted>)");
        assert!(!well_formed("short"));
        assert!(!well_formed(&"/".repeat(43)));
    }
}
