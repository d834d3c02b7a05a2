//! CSRF protection: a synchronizer token per session, HMAC-SHA-256 of the
//! session id under a server key, checked in constant time.
//!
//! Why an HMAC and not a stored random token: nothing more to store or look
//! up, the token changes with every session (so with every rotation), and it
//! cannot be forged without the key. Every form and every state-changing
//! request carries it; the HTTP layer compares it here.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::AuthError;
use crate::secret::random_bytes;

type HmacSha256 = Hmac<Sha256>;

/// The server's CSRF key (32 bytes), wiped on drop. Keep it stable across
/// restarts (else open forms fail once) and out of logs.
#[derive(Clone)]
pub struct CsrfKey(Zeroizing<[u8; 32]>);

impl CsrfKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        CsrfKey(Zeroizing::new(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, AuthError> {
        let mut k = Zeroizing::new([0u8; 32]);
        random_bytes(k.as_mut())?;
        Ok(CsrfKey(k))
    }

    fn tag(&self, session_token: &str) -> [u8; 32] {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.0.as_ref())
            .expect("HMAC takes keys of any length");
        mac.update(b"habeas-csrf-v1\0");
        mac.update(session_token.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The token to put in the session's forms.
    pub fn token_for(&self, session_token: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.tag(session_token))
    }

    /// Whether `presented` is this session's token (constant-time).
    pub fn verify(&self, session_token: &str, presented: &str) -> Result<(), CsrfMismatch> {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(presented.trim()) else {
            return Err(CsrfMismatch);
        };
        let expected = self.tag(session_token);
        if bool::from(bytes.as_slice().ct_eq(&expected)) {
            Ok(())
        } else {
            Err(CsrfMismatch)
        }
    }
}

impl fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfKey(<redacted>)")
    }
}

/// The form's token is missing, malformed or from another session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the form is out of date or came from another site; reload the page and try again")]
pub struct CsrfMismatch;

impl CsrfMismatch {
    pub fn describe_fr(&self) -> &'static str {
        "le formulaire est périmé ou vient d'un autre site ; rechargez la page et recommencez"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_passes_only_for_its_session_and_key() {
        let key = CsrfKey::generate().unwrap();
        let t = key.token_for("session-a");
        assert_eq!(key.verify("session-a", &t), Ok(()));
        assert_eq!(key.verify("session-b", &t), Err(CsrfMismatch));
        assert_eq!(
            CsrfKey::generate().unwrap().verify("session-a", &t),
            Err(CsrfMismatch)
        );
        for bad in ["", "!!!", &t[..t.len() - 1]] {
            assert_eq!(key.verify("session-a", bad), Err(CsrfMismatch));
        }
        assert_eq!(format!("{key:?}"), "CsrfKey(<redacted>)");
        assert_eq!(
            CsrfMismatch.describe_fr(),
            "le formulaire est périmé ou vient d'un autre site ; rechargez la page et recommencez"
        );
    }
}
