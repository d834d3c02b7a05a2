//! Recovery codes: ten single-use codes for a staff member who lost their
//! authenticator, shown once and stored only as hashes.
//!
//! Why SHA-256 and not argon2id: each code carries 80 random bits, so a fast
//! hash is not brute-forceable, and a login can check all ten in microseconds
//! without touching the hashing pool. Comparison is constant-time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::AuthError;
use crate::secret::{Secret, normalise_code, random_code};

/// How many codes a staff member receives.
pub const COUNT: usize = 10;

/// One stored code: its hash and when it was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCode {
    pub hash: String,
    pub used_at: Option<DateTime<Utc>>,
}

fn digest(normalised: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"habeas-recovery-code-v1:");
    h.update(normalised.as_bytes());
    h.finalize().into()
}

/// Ten fresh codes (`xxxx-xxxx-xxxx-xxxx`, 80 bits each) and what to store.
pub fn generate() -> Result<(Vec<Secret>, Vec<RecoveryCode>), AuthError> {
    let mut shown = Vec::with_capacity(COUNT);
    let mut stored = Vec::with_capacity(COUNT);
    for _ in 0..COUNT {
        let code = random_code(4, 4)?;
        stored.push(RecoveryCode {
            hash: hex::encode(digest(&normalise_code(code.expose()))),
            used_at: None,
        });
        shown.push(code);
    }
    Ok((shown, stored))
}

/// Whether the input has the shape of a recovery code (16 code characters),
/// as opposed to a 6-digit TOTP code.
pub fn looks_like_recovery_code(input: &str) -> bool {
    normalise_code(input).chars().count() == 16
}

/// Index of the unused code matching `input`. Every stored code is compared,
/// in constant time, whatever matches first.
pub fn find_unused(codes: &[RecoveryCode], input: &str) -> Option<usize> {
    let wanted = digest(&normalise_code(input));
    let mut found = None;
    for (i, code) in codes.iter().enumerate() {
        let Ok(stored) = hex::decode(&code.hash) else {
            continue;
        };
        let same: bool = stored.ct_eq(&wanted).into();
        if same && code.used_at.is_none() && found.is_none() {
            found = Some(i);
        }
    }
    found
}

/// Codes still usable.
pub fn remaining(codes: &[RecoveryCode]) -> usize {
    codes.iter().filter(|c| c.used_at.is_none()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_stored_only_as_hashes() {
        let (shown, stored) = generate().unwrap();
        assert_eq!((shown.len(), stored.len()), (10, 10));
        let json = serde_json::to_string(&stored).unwrap();
        for code in &shown {
            assert!(!json.contains(code.expose()));
            assert!(looks_like_recovery_code(code.expose()));
        }
        let mut uniq: Vec<_> = shown.iter().map(|c| c.expose().to_string()).collect();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), 10);
    }

    #[test]
    fn a_code_matches_once_typed_loosely_and_not_after_use() {
        let (shown, mut stored) = generate().unwrap();
        let typed = shown[3].expose().to_uppercase().replace('-', " ");
        let i = find_unused(&stored, &typed).unwrap();
        assert_eq!(i, 3);
        stored[i].used_at = Some(Utc::now());
        assert_eq!(find_unused(&stored, shown[3].expose()), None);
        assert_eq!(remaining(&stored), 9);
        assert_eq!(find_unused(&stored, "0000-0000-0000-0000"), None);
        assert!(!looks_like_recovery_code("123456"));
    }
}
