//! Keys that need two keys: a high-volume row's key exists only while both
//! its subject's data key and its (category, month) partition key do.
//!
//! Why: connection logs, navigation history and security logs expire by the
//! month (issue 7; GDPR Art. 5(1)(e) storage limitation). Dropping a month's
//! table leaves its ciphertext in free pages; zeroing them (SQLite
//! `secure_delete`) made the expiry of a large month slow and held the whole
//! month in memory until the commit (docs/benchmarks-retention.md). Sealed
//! under [`DataKey::combine`] of the subject's key and a partition key kept
//! in the key store, a month's rows are crypto-shredded by destroying that
//! one partition key — every copy, backups included — and the table can go
//! without zeroing. Erasing a subject still destroys the subject's own key,
//! which the combined key needs as much.
//!
//! Derivation: HKDF-SHA-256 (RFC 5869) with the partition key as salt, the
//! subject's data key as input keying material and the canonical [`Aad`] of
//! the context (subject, category, month) as info; so two subjects, two
//! categories or two months never share a key.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::aad::Aad;
use crate::data_key::{DATA_KEY_LEN, DataKey};
use crate::error::{CryptoError, Result};

/// Domain label of the context a combined key is derived for.
pub const DOMAIN_COMBINED_KEY: &str = "habeas/combined-key/v1";
/// Domain label of a key fingerprint.
const FINGERPRINT_DOMAIN: &[u8] = b"habeas/key-fingerprint/v1";
/// Length of a [`DataKey::fingerprint`].
pub const FINGERPRINT_LEN: usize = 4;

impl DataKey {
    /// The key derived from `self` (input keying material) and `salt_key`
    /// for `context` (see the module docs). Without either key it cannot be
    /// computed again.
    pub fn combine(&self, salt_key: &DataKey, context: &Aad) -> Result<DataKey> {
        let hk = Hkdf::<Sha256>::new(Some(salt_key.expose()), self.expose());
        let mut bytes = Zeroizing::new([0u8; DATA_KEY_LEN]);
        hk.expand(context.as_bytes(), bytes.as_mut())
            .map_err(|_| CryptoError::Config("HKDF expansion failed".into()))?;
        Ok(DataKey::from_bytes(bytes))
    }

    /// A short name of this key (truncated HMAC-SHA-256 under the key of a
    /// fixed label). A row stores it to say which generation of a partition
    /// key sealed it; it reveals nothing useful about the key.
    pub fn fingerprint(&self) -> Result<[u8; FINGERPRINT_LEN]> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.expose())
            .map_err(|_| CryptoError::Config("HMAC key rejected".into()))?;
        mac.update(FINGERPRINT_DOMAIN);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; FINGERPRINT_LEN];
        out.copy_from_slice(&full[..FINGERPRINT_LEN]);
        Ok(out)
    }
}

/// The context of a high-volume row's key: `subject ‖ category ‖ month`.
pub fn combined_context(subject: &str, category: &str, month: i64) -> Aad {
    Aad::new(DOMAIN_COMBINED_KEY)
        .with(subject)
        .with(category)
        .with(month.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field() -> Aad {
        Aad::record_field("s1", "connection_logs", "r1", "timed")
    }

    /// A subject key, a partition key, their context and a row sealed under
    /// the combined key.
    fn sealed_row() -> (DataKey, DataKey, Aad, Vec<u8>) {
        let (subject, part) = (
            DataKey::generate().expect("rng"),
            DataKey::generate().expect("rng"),
        );
        let ctx = combined_context("s1", "connection_logs", 700);
        let sealed = subject
            .combine(&part, &ctx)
            .expect("derive")
            .seal(b"203.0.113.7", &field())
            .expect("seal");
        (subject, part, ctx, sealed)
    }

    #[test]
    fn the_same_two_keys_and_context_give_the_same_key() {
        let (subject, part, ctx, sealed) = sealed_row();
        let again = subject.combine(&part, &ctx).expect("derive");
        assert_eq!(again.open(&sealed, &field()).expect("open"), b"203.0.113.7");
    }

    #[test]
    fn without_either_key_or_with_another_context_it_does_not_open() {
        let (subject, part, ctx, sealed) = sealed_row();
        let other = DataKey::generate().expect("rng");
        let attempts = [
            other.combine(&part, &ctx),
            subject.combine(&other, &ctx),
            part.combine(&subject, &ctx),
            subject.combine(&part, &combined_context("s2", "connection_logs", 700)),
            subject.combine(&part, &combined_context("s1", "navigation", 700)),
            subject.combine(&part, &combined_context("s1", "connection_logs", 701)),
        ];
        for (i, k) in attempts.into_iter().enumerate() {
            let k = k.expect("derive");
            assert!(
                matches!(k.open(&sealed, &field()), Err(CryptoError::Refused { .. })),
                "attempt {i} opened the row"
            );
            assert!(
                subject.open(&sealed, &field()).is_err(),
                "the subject key alone"
            );
            assert!(
                part.open(&sealed, &field()).is_err(),
                "the partition key alone"
            );
        }
    }

    #[test]
    fn fingerprints_are_stable_and_tell_keys_apart() {
        let a = DataKey::generate().expect("rng");
        let b = DataKey::generate().expect("rng");
        assert_eq!(a.fingerprint().expect("fp"), a.fingerprint().expect("fp"));
        assert_ne!(a.fingerprint().expect("fp"), b.fingerprint().expect("fp"));
        assert!(!hex::encode(a.expose()).contains(&hex::encode(a.fingerprint().expect("fp"))));
    }
}
