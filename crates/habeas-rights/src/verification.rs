//! Single-use, expiring verification codes (Art. 12(6) GDPR; EDPB Guidelines
//! 01/2022 §3.3: prefer a code sent to a contact already on file).
//!
//! Why this shape: a code is a secret the subject proves they received. Only
//! an HMAC-SHA-256 of it is stored (keyed with the provider's secret and
//! bound to what it verifies), so a copy of the store reveals no code and a
//! code issued for one request cannot be replayed on another. Codes are
//! compared in constant time, expire (default 30 minutes), are used once, and
//! lock after a number of wrong tries (default 5) so eight digits cannot be
//! guessed. A code is 8 digits to type, or a 128-bit token for a link. Pure: time and the code itself are passed in.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Number of digits of a typed code.
pub const CODE_DIGITS: usize = 8;
/// Number of hex characters of a link token (128 bits).
pub const TOKEN_HEX: usize = 32;

/// What the subject receives: a code to type, or a token to put in a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeFormat {
    /// 8 decimal digits, typed by the subject.
    #[default]
    Digits,
    /// 32 lowercase hex characters (128 bits), put in a link by the caller.
    LinkToken,
}

impl CodeFormat {
    /// Whether `s` has this format.
    pub fn accepts(self, s: &str) -> bool {
        match self {
            CodeFormat::Digits => s.len() == CODE_DIGITS && s.bytes().all(|b| b.is_ascii_digit()),
            CodeFormat::LinkToken => {
                s.len() == TOKEN_HEX && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            }
        }
    }

    /// A fresh code of this format from the thread's CSPRNG (ChaCha12
    /// seeded from the operating system).
    pub fn generate(self) -> String {
        match self {
            CodeFormat::Digits => {
                let n: u32 = rand::random_range(0..100_000_000);
                format!("{n:08}")
            }
            CodeFormat::LinkToken => hex::encode(rand::random::<[u8; TOKEN_HEX / 2]>()),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            CodeFormat::Digits => "8 digits",
            CodeFormat::LinkToken => "32 hexadecimal characters",
        }
    }
}

/// How codes behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodePolicy {
    /// How long a code stays valid.
    pub ttl: Duration,
    /// Wrong tries before the challenge locks.
    pub max_attempts: u32,
    pub format: CodeFormat,
}

impl Default for CodePolicy {
    fn default() -> Self {
        CodePolicy {
            ttl: Duration::minutes(30),
            max_attempts: 5,
            format: CodeFormat::Digits,
        }
    }
}

/// The provider's secret that keys the code MACs (at least 32 bytes).
#[derive(Clone)]
pub struct CodeKey(HmacSha256);

impl CodeKey {
    /// A key from secret bytes; refuses fewer than 32.
    pub fn new(secret: &[u8]) -> Result<Self, CodeError> {
        if secret.len() < 32 {
            return Err(CodeError::WeakKey { len: secret.len() });
        }
        <HmacSha256 as KeyInit>::new_from_slice(secret)
            .map(CodeKey)
            .map_err(|_| CodeError::WeakKey { len: secret.len() })
    }

    /// HMAC-SHA-256 of `context` then `value`, length-prefixed so that
    /// ("ab", "c") and ("a", "bc") differ.
    pub(crate) fn mac(&self, context: &str, value: &str) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(&(context.len() as u64).to_be_bytes());
        mac.update(context.as_bytes());
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeKey(..)")
    }
}

/// Why a code was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("the code key is {len} bytes; use a random secret of at least 32 bytes")]
    WeakKey { len: usize },
    #[error("no verification code was issued for this; issue one first")]
    NoChallenge,
    #[error("a verification code here is {expected}; the one given is not")]
    Malformed { expected: &'static str },
    #[error("wrong verification code; {remaining} tries left before the code locks")]
    Wrong { remaining: u32 },
    #[error(
        "the verification code is locked after {attempts} wrong tries; issue a new code to the contact on file"
    )]
    Locked { attempts: u32 },
    #[error("the verification code expired at {expired_at}; issue a new code")]
    Expired { expired_at: DateTime<Utc> },
    #[error("the verification code was already used at {used_at}; a code works once")]
    AlreadyUsed { used_at: DateTime<Utc> },
}

/// Where a challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ChallengeState {
    Pending,
    Used { at: DateTime<Utc> },
    Locked { at: DateTime<Utc> },
}

/// A code waiting to be presented. Holds the MAC, never the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeChallenge {
    /// What the code verifies (`identity:R-…`, `new-value:R-…:contact.email`).
    pub context: String,
    /// Hex HMAC-SHA-256 of the code under `context`.
    pub mac: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub failed_attempts: u32,
    pub max_attempts: u32,
    #[serde(default)]
    pub format: CodeFormat,
    pub state: ChallengeState,
}

impl CodeChallenge {
    /// A challenge for `code`, issued at `now`.
    pub fn issue(
        key: &CodeKey,
        context: &str,
        code: &str,
        now: DateTime<Utc>,
        policy: CodePolicy,
    ) -> Self {
        CodeChallenge {
            context: context.to_string(),
            mac: hex::encode(key.mac(context, code)),
            issued_at: now,
            expires_at: now + policy.ttl,
            failed_attempts: 0,
            max_attempts: policy.max_attempts.max(1),
            format: policy.format,
            state: ChallengeState::Pending,
        }
    }

    /// Check a presented code at `now`. A wrong code counts as a try (and
    /// the caller must persist the challenge even on error); a malformed,
    /// expired, used or locked one changes nothing.
    pub fn check(
        &mut self,
        key: &CodeKey,
        presented: &str,
        now: DateTime<Utc>,
    ) -> Result<(), CodeError> {
        match self.state {
            ChallengeState::Used { at } => return Err(CodeError::AlreadyUsed { used_at: at }),
            ChallengeState::Locked { .. } => {
                return Err(CodeError::Locked {
                    attempts: self.failed_attempts,
                });
            }
            ChallengeState::Pending => {}
        }
        if now >= self.expires_at {
            return Err(CodeError::Expired {
                expired_at: self.expires_at,
            });
        }
        let presented = presented.trim();
        if !self.format.accepts(presented) {
            return Err(CodeError::Malformed {
                expected: self.format.describe(),
            });
        }
        let expected = hex::decode(&self.mac).unwrap_or_default();
        let actual = key.mac(&self.context, presented);
        if bool::from(actual.as_slice().ct_eq(expected.as_slice())) {
            self.state = ChallengeState::Used { at: now };
            return Ok(());
        }
        self.failed_attempts += 1;
        if self.failed_attempts >= self.max_attempts {
            self.state = ChallengeState::Locked { at: now };
            return Err(CodeError::Locked {
                attempts: self.failed_attempts,
            });
        }
        Err(CodeError::Wrong {
            remaining: self.max_attempts - self.failed_attempts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CodeKey {
        CodeKey::new(&[7u8; 32]).unwrap()
    }

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::minutes(min)
    }

    fn challenge() -> CodeChallenge {
        CodeChallenge::issue(
            &key(),
            "identity:R-1",
            "12345678",
            t(0),
            CodePolicy::default(),
        )
    }

    #[test]
    fn the_stored_challenge_never_holds_the_code() {
        let c = challenge();
        let json = serde_json::to_string(&c).unwrap();
        assert!(!json.contains("12345678"), "{json}");
        assert_eq!(c.mac.len(), 64);
    }

    #[test]
    fn the_right_code_works_once() {
        let mut c = challenge();
        c.check(&key(), "12345678", t(1)).unwrap();
        assert_eq!(
            c.check(&key(), "12345678", t(2)),
            Err(CodeError::AlreadyUsed { used_at: t(1) })
        );
    }

    #[test]
    fn wrong_codes_lock_after_the_limit_and_the_right_one_then_fails() {
        let mut c = challenge();
        for remaining in (1..5).rev() {
            assert_eq!(
                c.check(&key(), "00000000", t(1)),
                Err(CodeError::Wrong { remaining })
            );
        }
        assert_eq!(
            c.check(&key(), "00000000", t(1)),
            Err(CodeError::Locked { attempts: 5 })
        );
        assert_eq!(
            c.check(&key(), "12345678", t(2)),
            Err(CodeError::Locked { attempts: 5 })
        );
    }

    #[test]
    fn an_expired_code_is_refused_even_when_right() {
        let mut c = challenge();
        assert_eq!(
            c.check(&key(), "12345678", t(30)),
            Err(CodeError::Expired { expired_at: t(30) })
        );
        assert_eq!(c.state, ChallengeState::Pending);
    }

    #[test]
    fn a_code_is_bound_to_its_context_and_key() {
        let mut other = CodeChallenge::issue(
            &key(),
            "identity:R-2",
            "87654321",
            t(0),
            CodePolicy::default(),
        );
        // Same code, other context: different MAC.
        assert_ne!(challenge().mac, {
            let c = CodeChallenge::issue(
                &key(),
                "identity:R-2",
                "12345678",
                t(0),
                CodePolicy::default(),
            );
            c.mac
        });
        let other_key = CodeKey::new(&[8u8; 32]).unwrap();
        assert!(matches!(
            other.check(&other_key, "87654321", t(1)),
            Err(CodeError::Wrong { .. })
        ));
    }

    #[test]
    fn malformed_codes_and_weak_keys_are_refused_without_counting() {
        let mut c = challenge();
        assert_eq!(
            c.check(&key(), "1234", t(1)),
            Err(CodeError::Malformed {
                expected: "8 digits"
            })
        );
        assert_eq!(c.failed_attempts, 0);
        assert!(matches!(
            CodeKey::new(b"short"),
            Err(CodeError::WeakKey { len: 5 })
        ));
    }

    #[test]
    fn random_codes_have_their_format() {
        for _ in 0..50 {
            let code = CodeFormat::Digits.generate();
            assert_eq!(code.len(), CODE_DIGITS);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
            let token = CodeFormat::LinkToken.generate();
            assert!(CodeFormat::LinkToken.accepts(&token), "{token}");
            assert!(!CodeFormat::Digits.accepts(&token));
        }
        assert_ne!(
            CodeFormat::LinkToken.generate(),
            CodeFormat::LinkToken.generate()
        );
    }

    #[test]
    fn a_link_token_verifies_like_a_code() {
        let policy = CodePolicy {
            format: CodeFormat::LinkToken,
            ..CodePolicy::default()
        };
        let token = CodeFormat::LinkToken.generate();
        let mut c = CodeChallenge::issue(&key(), "identity:R-9", &token, t(0), policy);
        assert!(matches!(
            c.check(&key(), "12345678", t(1)),
            Err(CodeError::Malformed { .. })
        ));
        assert!(matches!(
            c.check(&key(), &"0".repeat(TOKEN_HEX), t(1)),
            Err(CodeError::Wrong { remaining: 4 })
        ));
        c.check(&key(), &token, t(2)).unwrap();
    }
}
