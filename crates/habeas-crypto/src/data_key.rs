//! Data keys and sealing: AES-256-GCM under one key per (subject, category).
//!
//! A [`DataKey`] is 256 random bits from the OS generator. It encrypts the
//! field values of one data subject's records in one category and nothing
//! else, so destroying its wrapped form erases exactly that data everywhere
//! (crypto-shredding, GDPR Art. 17; see the crate docs).
//!
//! Sealed layout, version 1:
//!
//! ```text
//! 0x01 ‖ nonce (12 bytes, random) ‖ ciphertext ‖ tag (16 bytes)
//! ```
//!
//! The AEAD's associated data is `0x01 ‖ aad`, where `aad` is the canonical
//! [`Aad`] of the record field, so the version byte and the record identity are
//! both authenticated. Random 96-bit nonces are safe while one key encrypts far
//! fewer than 2^32 messages (NIST SP 800-38D §8.3); a data key serves a single
//! subject's category, which stays many orders of magnitude below that.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use zeroize::{Zeroize, Zeroizing};

use crate::aad::Aad;
use crate::error::{CryptoError, Result};
use crate::random;

/// Version byte of the sealed layout.
pub const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext (header + nonce + tag).
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
/// Length in bytes of a data key.
pub const DATA_KEY_LEN: usize = 32;

/// A 256-bit data-encryption key. Zeroized on drop; it cannot be printed,
/// serialized or read outside this crate — it leaves the process only wrapped
/// by a key-encryption key ([`crate::KeyEncryptionKey::wrap`]).
pub struct DataKey {
    // Boxed so moves do not leave copies of the key or its schedule on the stack.
    inner: Box<Inner>,
}

struct Inner {
    bytes: Zeroizing<[u8; DATA_KEY_LEN]>,
    cipher: Aes256Gcm,
}

impl DataKey {
    /// A fresh key from the OS random generator.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; DATA_KEY_LEN]);
        random::fill(bytes.as_mut())?;
        Ok(Self::from_bytes(bytes))
    }

    pub(crate) fn from_bytes(bytes: Zeroizing<[u8; DATA_KEY_LEN]>) -> Self {
        crate::stack::touched();
        // By reference: no extra copy of the key on the stack.
        let cipher = Aes256Gcm::new(<&aes_gcm::Key<Aes256Gcm>>::from(&*bytes));
        DataKey {
            inner: Box::new(Inner { bytes, cipher }),
        }
    }

    /// Rebuild a key from unwrapped bytes (exactly 32), wiping `plain` either way.
    pub(crate) fn from_unwrapped(mut plain: Vec<u8>) -> Result<Self> {
        let result = <[u8; DATA_KEY_LEN]>::try_from(plain.as_slice())
            .map(|arr| Self::from_bytes(Zeroizing::new(arr)))
            .map_err(|_| {
                CryptoError::malformed("wrapped data key", "the unwrapped key is not 32 bytes")
            });
        plain.zeroize();
        result
    }

    pub(crate) fn expose(&self) -> &[u8; DATA_KEY_LEN] {
        crate::stack::touched();
        &self.inner.bytes
    }

    /// Encrypt `plaintext` bound to `aad` (see the module docs for the layout).
    pub fn seal(&self, plaintext: &[u8], aad: &Aad) -> Result<Vec<u8>> {
        crate::stack::touched();
        let nonce: [u8; NONCE_LEN] = random::array()?;
        let mut out = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let tag = self
            .inner
            .cipher
            .encrypt_inout_detached(
                &Nonce::from(nonce),
                &versioned_aad(SEALED_V1, aad),
                (&mut out[1 + NONCE_LEN..]).into(),
            )
            .map_err(|_| {
                CryptoError::malformed("plaintext", "too long for AES-GCM (over 64 GiB)")
            })?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Decrypt a value sealed by [`DataKey::seal`] under this key and the same
    /// `aad`. Any change to the bytes, another record's `aad` or another key is
    /// refused with [`CryptoError::Refused`].
    pub fn open(&self, sealed: &[u8], aad: &Aad) -> Result<Vec<u8>> {
        crate::stack::touched();
        let (nonce, tag) = sealed_parts(sealed)?;
        let body = &sealed[1 + NONCE_LEN..sealed.len() - TAG_LEN];
        let mut plain = body.to_vec();
        match self.inner.cipher.decrypt_inout_detached(
            &nonce,
            &versioned_aad(SEALED_V1, aad),
            plain.as_mut_slice().into(),
            &tag,
        ) {
            Ok(()) => Ok(plain),
            Err(_) => {
                plain.zeroize();
                Err(CryptoError::Refused { what: "ciphertext" })
            }
        }
    }

    /// [`DataKey::open`] of a sealed value the caller owns and no longer
    /// needs: decrypted in place, so a read of many records allocates and
    /// copies no second buffer for each. The bytes past the plaintext
    /// (nonce, tag, the plaintext's old tail) are zeroed before they are
    /// cut off; on refusal the whole buffer is.
    pub fn open_owned(&self, mut sealed: Vec<u8>, aad: &Aad) -> Result<Vec<u8>> {
        crate::stack::touched();
        let (nonce, tag) = sealed_parts(&sealed)?;
        let (start, end) = (1 + NONCE_LEN, sealed.len() - TAG_LEN);
        match self.inner.cipher.decrypt_inout_detached(
            &nonce,
            &versioned_aad(SEALED_V1, aad),
            (&mut sealed[start..end]).into(),
            &tag,
        ) {
            Ok(()) => {
                sealed.copy_within(start..end, 0);
                let len = end - start;
                sealed[len..].zeroize();
                sealed.truncate(len);
                Ok(sealed)
            }
            Err(_) => {
                sealed.zeroize();
                Err(CryptoError::Refused { what: "ciphertext" })
            }
        }
    }
}

/// The nonce and tag of a sealed value, after its length and version are checked.
fn sealed_parts(sealed: &[u8]) -> Result<(Nonce<U12>, Tag)> {
    if sealed.len() < SEAL_OVERHEAD {
        return Err(CryptoError::malformed(
            "ciphertext",
            format!(
                "{} bytes, shorter than the {SEAL_OVERHEAD}-byte minimum",
                sealed.len()
            ),
        ));
    }
    if sealed[0] != SEALED_V1 {
        return Err(CryptoError::malformed(
            "ciphertext",
            format!(
                "unknown format version {} (this build reads version {SEALED_V1})",
                sealed[0]
            ),
        ));
    }
    let (nonce, rest) = sealed[1..].split_at(NONCE_LEN);
    let tag = &rest[rest.len() - TAG_LEN..];
    let nonce = Nonce::try_from(nonce)
        .map_err(|_| CryptoError::malformed("ciphertext", "bad nonce length"))?;
    let tag =
        Tag::try_from(tag).map_err(|_| CryptoError::malformed("ciphertext", "bad tag length"))?;
    Ok((nonce, tag))
}

/// `version ‖ aad`: binds the layout version into the authentication.
pub(crate) fn versioned_aad(version: u8, aad: &Aad) -> Vec<u8> {
    let mut bound = Vec::with_capacity(1 + aad.as_bytes().len());
    bound.push(version);
    bound.extend_from_slice(aad.as_bytes());
    bound
}

/// Seal `plaintext` under `key`, bound to `aad` (same as [`DataKey::seal`]).
pub fn seal(key: &DataKey, plaintext: &[u8], aad: &Aad) -> Result<Vec<u8>> {
    key.seal(plaintext, aad)
}

/// Open a sealed value (same as [`DataKey::open`]).
pub fn open(key: &DataKey, sealed: &[u8], aad: &Aad) -> Result<Vec<u8>> {
    key.open(sealed, aad)
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aad() -> Aad {
        Aad::record_field("subj-1", "billing", "rec-1", "iban")
    }

    #[test]
    fn round_trip_and_layout() {
        let key = DataKey::generate().expect("rng");
        let sealed = key
            .seal(b"FR76 3000 6000 0112 3456 7890 189", &aad())
            .expect("seal");
        assert_eq!(sealed[0], SEALED_V1);
        assert_eq!(sealed.len(), 33 + SEAL_OVERHEAD);
        assert_eq!(
            key.open(&sealed, &aad()).expect("open"),
            b"FR76 3000 6000 0112 3456 7890 189"
        );
        // The free functions other crates call are the same operations.
        let again = seal(&key, b"BE71 0961 2345 6769", &aad()).expect("seal");
        assert_eq!(
            open(&key, &again, &aad()).expect("open"),
            b"BE71 0961 2345 6769"
        );
    }

    #[test]
    fn two_seals_of_one_value_differ() {
        let key = DataKey::generate().expect("rng");
        assert_ne!(
            key.seal(b"same", &aad()).expect("seal"),
            key.seal(b"same", &aad()).expect("seal")
        );
    }

    #[test]
    fn opening_in_place_gives_the_same_plaintext_and_the_same_refusals() {
        let key = DataKey::generate().expect("rng");
        for plain in [
            &b""[..],
            b"x",
            b"{\"subject\":\"printer\",\"body\":\"jammed\"}",
        ] {
            let sealed = key.seal(plain, &aad()).expect("seal");
            assert_eq!(key.open_owned(sealed.clone(), &aad()).expect("open"), plain);
            let other = Aad::record_field("subj-2", "billing", "rec-1", "iban");
            assert!(matches!(
                key.open_owned(sealed.clone(), &other),
                Err(CryptoError::Refused { .. })
            ));
            for i in 0..sealed.len() {
                let mut bad = sealed.clone();
                bad[i] ^= 0x01;
                assert!(key.open_owned(bad, &aad()).is_err(), "byte {i}");
            }
        }
        assert!(key.open_owned(vec![SEALED_V1; 5], &aad()).is_err());
    }

    #[test]
    fn every_flipped_byte_is_refused() {
        let key = DataKey::generate().expect("rng");
        let sealed = key.seal(b"alice@example.org", &aad()).expect("seal");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(
                key.open(&bad, &aad()).is_err(),
                "byte {i} flipped was accepted"
            );
        }
    }

    #[test]
    fn moved_ciphertext_is_refused() {
        let key = DataKey::generate().expect("rng");
        let sealed = key.seal(b"alice@example.org", &aad()).expect("seal");
        for other in [
            Aad::record_field("subj-2", "billing", "rec-1", "iban"),
            Aad::record_field("subj-1", "contact", "rec-1", "iban"),
            Aad::record_field("subj-1", "billing", "rec-2", "iban"),
            Aad::record_field("subj-1", "billing", "rec-1", "email"),
        ] {
            assert!(matches!(
                key.open(&sealed, &other),
                Err(CryptoError::Refused { .. })
            ));
        }
    }

    #[test]
    fn another_key_is_refused() {
        let sealed = DataKey::generate()
            .expect("rng")
            .seal(b"x", &aad())
            .expect("seal");
        let other = DataKey::generate().expect("rng");
        assert!(matches!(
            other.open(&sealed, &aad()),
            Err(CryptoError::Refused { .. })
        ));
    }

    #[test]
    fn truncated_and_unknown_version_are_malformed() {
        let key = DataKey::generate().expect("rng");
        let mut sealed = key.seal(b"x", &aad()).expect("seal");
        assert!(matches!(
            key.open(&sealed[..10], &aad()),
            Err(CryptoError::Malformed { .. })
        ));
        sealed[0] = 9;
        let err = key.open(&sealed, &aad()).expect_err("version 9");
        assert!(err.to_string().contains("version 9"), "{err}");
    }

    #[test]
    fn debug_hides_the_key() {
        let key = DataKey::generate().expect("rng");
        let shown = format!("{key:?}");
        assert_eq!(shown, "DataKey(…)");
        assert!(!shown.contains(&hex::encode(key.expose())));
    }
}
