//! The server's page keys: one 32-byte secret drawn on first start and kept
//! as a sealed vault document, from which the CSRF key and the portal-code
//! MAC key are derived.
//!
//! Why in the vault: the keys must survive restarts (a restart must not
//! void every open form) and be shared by every instance, and the vault
//! already seals documents at rest and journals their writes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle_free::eq;

use habeas_engine::{EngineError, Vault};

const KIND: &str = "web-secret";
const ID: &str = "page-keys";

type HmacSha256 = Hmac<Sha256>;

/// The derived keys (never printed).
pub struct WebKeys {
    secret: [u8; 32],
}

impl std::fmt::Debug for WebKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebKeys(..)")
    }
}

impl WebKeys {
    /// Reads the secret, or draws and stores it on first use (a concurrent
    /// first start reads the other's).
    pub fn load(vault: &Vault) -> Result<WebKeys, EngineError> {
        let caller = super::UiState::caller("web", "security");
        for _ in 0..2 {
            if let Some(doc) = vault.get_doc(KIND, ID)? {
                let secret: [u8; 32] = doc.body.as_slice().try_into().map_err(|_| {
                    EngineError::Storage(format!(
                        "the stored page keys ({KIND}/{ID}) are not 32 bytes; restore them from a backup"
                    ))
                })?;
                return Ok(WebKeys { secret });
            }
            let secret: [u8; 32] = rand::random();
            match vault.put_doc_as(&caller, KIND, ID, None, &secret) {
                Ok(_) => return Ok(WebKeys { secret }),
                Err(EngineError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(EngineError::Storage(
            "the page keys could not be created".into(),
        ))
    }

    /// A key made from fixed bytes (tests).
    #[cfg(test)]
    pub fn from_secret(secret: [u8; 32]) -> WebKeys {
        WebKeys { secret }
    }

    fn derive(&self, label: &str, parts: &[&str]) -> [u8; 32] {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.secret)
            .expect("HMAC takes a key of any length");
        mac.update(label.as_bytes());
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// The staff CSRF key handed to habeas-auth.
    pub fn csrf_bytes(&self) -> [u8; 32] {
        self.derive("csrf-key", &[])
    }

    /// The MAC of a portal sign-in code, bound to its challenge.
    pub fn code_mac(&self, challenge: &str, code: &str) -> String {
        hex::encode(self.derive("portal-code", &[challenge, code]))
    }

    /// The CSRF token of a form shown before any session (sign-in forms),
    /// bound to the random value of the `__Host-habeas_pre` cookie.
    pub fn pre_token(&self, cookie_value: &str) -> String {
        hex::encode(self.derive("pre-session-form", &[cookie_value]))
    }

    /// The CSRF token of a portal form, bound to the portal session.
    pub fn portal_token(&self, session_token: &str) -> String {
        hex::encode(self.derive("portal-form", &[session_token]))
    }

    /// Constant-time comparison of two tokens.
    pub fn same(a: &str, b: &str) -> bool {
        eq(a.as_bytes(), b.as_bytes())
    }
}

/// Constant-time equality without another dependency.
mod subtle_free {
    pub fn eq(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_their_context() {
        let k = WebKeys::from_secret([7; 32]);
        assert_ne!(k.code_mac("c1", "12345678"), k.code_mac("c2", "12345678"));
        assert_ne!(k.code_mac("c1", "12345678"), k.code_mac("c1", "12345679"));
        // Length prefixes: ("ab","c") and ("a","bc") differ.
        assert_ne!(k.code_mac("ab", "c"), k.code_mac("a", "bc"));
        assert_ne!(k.pre_token("x"), k.portal_token("x"));
        assert_ne!(
            WebKeys::from_secret([8; 32]).pre_token("x"),
            k.pre_token("x")
        );
        assert!(WebKeys::same(&k.pre_token("x"), &k.pre_token("x")));
        assert!(!WebKeys::same(&k.pre_token("x"), &k.pre_token("y")));
        assert!(!WebKeys::same("abc", "ab"));
    }
}
