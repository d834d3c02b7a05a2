//! Key-encryption keys (KEKs): the envelope around data keys.
//!
//! A KEK never leaves its provider and never sits in the database. It wraps
//! each [`DataKey`] into a [`WrappedKey`], the only form in which a data key is
//! stored (in the key store, apart from the data). Three providers:
//!
//! | provider | where the KEK lives | wrapping |
//! |---|---|---|
//! | [`SoftwareKek::from_file`] | a `0600` key file outside the data directory | XChaCha20-Poly1305 |
//! | [`SoftwareKek::from_env`] | base64 in a named environment variable | XChaCha20-Poly1305 |
//! | [`Pkcs11Kek`] | an AES-256 key object on a PKCS#11 token (HSM) | CKM_AES_GCM on the token |
//!
//! Software wrapping uses XChaCha20-Poly1305: its 192-bit random nonces stay
//! safe however many data keys one KEK wraps (RELIABILITY.md §4, nonce
//! strategy), so no invocation counter is needed.
//!
//! Wrapped layout, version 1 (all of the header is authenticated):
//!
//! ```text
//! 0x01 ‖ algorithm ‖ id length (1 byte) ‖ KEK id (UTF-8) ‖ nonce ‖ encrypted key (32) ‖ tag (16)
//! ```
//!
//! `algorithm` is 1 for XChaCha20-Poly1305 (24-byte nonce) and 2 for
//! AES-256-GCM on a PKCS#11 token (12-byte nonce). The AEAD's associated data
//! is the header followed by the caller's [`Aad`] (normally
//! [`Aad::data_key`]`(subject, category)`), so a wrapped key copied onto another
//! subject's row, or relabelled with another KEK id, does not unwrap.
//!
//! Rotation (`habeas keys rotate`): the recorded KEK id tells which KEK opens a
//! wrapped key; [`rewrap`] unwraps under the old KEK and wraps under the new
//! one without touching any sealed data. A [`KekRing`] holds the current KEK
//! and retired ones so reads keep working while rotation runs.

mod pkcs11;
mod software;

pub use pkcs11::{DEFAULT_PIN_ENV, Pkcs11Kek, Pkcs11Settings};
pub use software::SoftwareKek;
pub(crate) use software::read_env_secret;

use std::fmt;

use crate::aad::Aad;
use crate::data_key::DataKey;
use crate::error::{CryptoError, Result};

/// Version byte of the wrapped-key layout.
pub const WRAPPED_V1: u8 = 1;
/// Longest KEK id, in bytes.
pub const MAX_KEK_ID_LEN: usize = 200;

/// The algorithm a data key was wrapped with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrapAlgorithm {
    /// XChaCha20-Poly1305 in software (file and environment KEKs).
    XChaCha20Poly1305,
    /// AES-256-GCM performed by a PKCS#11 token.
    Pkcs11AesGcm,
}

impl WrapAlgorithm {
    fn code(self) -> u8 {
        match self {
            WrapAlgorithm::XChaCha20Poly1305 => 1,
            WrapAlgorithm::Pkcs11AesGcm => 2,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(WrapAlgorithm::XChaCha20Poly1305),
            2 => Some(WrapAlgorithm::Pkcs11AesGcm),
            _ => None,
        }
    }

    /// Nonce length of this algorithm.
    pub fn nonce_len(self) -> usize {
        match self {
            WrapAlgorithm::XChaCha20Poly1305 => 24,
            WrapAlgorithm::Pkcs11AesGcm => 12,
        }
    }
}

/// The identity of a KEK, recorded in every key it wraps. Not secret.
///
/// Software KEKs are named `kek-` + 16 hex digits of a keyed fingerprint of
/// the key (so the id reveals nothing about the key); PKCS#11 KEKs are named
/// `pkcs11:<token label>/<key label>`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KekId(String);

impl KekId {
    /// Validate an id: 1 to 200 bytes, no control characters.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if id.is_empty() || id.len() > MAX_KEK_ID_LEN {
            return Err(CryptoError::Config(format!(
                "a key-encryption key id must be 1 to {MAX_KEK_ID_LEN} bytes, got {}",
                id.len()
            )));
        }
        if id.chars().any(char::is_control) {
            return Err(CryptoError::Config(
                "a key-encryption key id must not contain control characters".into(),
            ));
        }
        Ok(KekId(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KekId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KekId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KekId({})", self.0)
    }
}

/// A data key wrapped by a KEK: opaque bytes for the key store, plus the
/// parsed header (KEK id, algorithm) so the engine can find keys to rewrap.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey {
    bytes: Vec<u8>,
    algorithm: WrapAlgorithm,
    kek_id: KekId,
    header_len: usize,
}

impl WrappedKey {
    /// Parse bytes read from the key store. Checks the layout only; whether
    /// they unwrap is decided by [`KeyEncryptionKey::unwrap`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        const WHAT: &str = "wrapped data key";
        if bytes.len() < 3 {
            return Err(CryptoError::malformed(WHAT, "shorter than its header"));
        }
        if bytes[0] != WRAPPED_V1 {
            return Err(CryptoError::malformed(
                WHAT,
                format!(
                    "unknown format version {} (this build reads version {WRAPPED_V1})",
                    bytes[0]
                ),
            ));
        }
        let algorithm = WrapAlgorithm::from_code(bytes[1]).ok_or_else(|| {
            CryptoError::malformed(WHAT, format!("unknown wrapping algorithm {}", bytes[1]))
        })?;
        let id_len = usize::from(bytes[2]);
        let header_len = 3 + id_len;
        let expected = header_len + algorithm.nonce_len() + crate::data_key::DATA_KEY_LEN + 16;
        if bytes.len() != expected {
            return Err(CryptoError::malformed(
                WHAT,
                format!("{} bytes where {expected} were expected", bytes.len()),
            ));
        }
        let id = std::str::from_utf8(&bytes[3..header_len])
            .map_err(|_| CryptoError::malformed(WHAT, "the KEK id is not UTF-8"))?;
        let kek_id = KekId::new(id)?;
        Ok(WrappedKey {
            bytes,
            algorithm,
            kek_id,
            header_len,
        })
    }

    /// Assemble a wrapped key from a provider's output.
    pub(crate) fn assemble(
        algorithm: WrapAlgorithm,
        kek_id: &KekId,
        nonce: &[u8],
        sealed_key_and_tag: &[u8],
    ) -> Result<Self> {
        let mut bytes = header(algorithm, kek_id)?;
        bytes.extend_from_slice(nonce);
        bytes.extend_from_slice(sealed_key_and_tag);
        Self::from_bytes(bytes)
    }

    /// The bytes to store.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Consume into the bytes to store.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The KEK this key is wrapped under.
    pub fn kek_id(&self) -> &KekId {
        &self.kek_id
    }

    /// The wrapping algorithm.
    pub fn algorithm(&self) -> WrapAlgorithm {
        self.algorithm
    }

    pub(crate) fn header(&self) -> &[u8] {
        &self.bytes[..self.header_len]
    }

    pub(crate) fn nonce(&self) -> &[u8] {
        &self.bytes[self.header_len..self.header_len + self.algorithm.nonce_len()]
    }

    /// Encrypted key followed by the 16-byte tag.
    pub(crate) fn sealed_key_and_tag(&self) -> &[u8] {
        &self.bytes[self.header_len + self.algorithm.nonce_len()..]
    }

    /// Refuse early, with a useful message, a key wrapped under another KEK.
    pub(crate) fn expect_kek(&self, expected: &KekId) -> Result<()> {
        if &self.kek_id == expected {
            Ok(())
        } else {
            Err(CryptoError::WrongKek {
                found: self.kek_id.to_string(),
                expected: expected.to_string(),
            })
        }
    }
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WrappedKey({:?}, kek {}, {} bytes)",
            self.algorithm,
            self.kek_id,
            self.bytes.len()
        )
    }
}

/// The header of a wrapped key, which is also the start of its wrapping AAD.
pub(crate) fn header(algorithm: WrapAlgorithm, kek_id: &KekId) -> Result<Vec<u8>> {
    let id = kek_id.as_str().as_bytes();
    let id_len = u8::try_from(id.len())
        .map_err(|_| CryptoError::Config("a key-encryption key id longer than 255 bytes".into()))?;
    let mut out = Vec::with_capacity(3 + id.len() + 24 + 48);
    out.extend_from_slice(&[WRAPPED_V1, algorithm.code(), id_len]);
    out.extend_from_slice(id);
    Ok(out)
}

/// `header ‖ caller aad`: what the wrapping AEAD authenticates.
pub(crate) fn wrapping_aad(header: &[u8], aad: &Aad) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len() + aad.as_bytes().len());
    out.extend_from_slice(header);
    out.extend_from_slice(aad.as_bytes());
    out
}

/// A key-encryption key, whatever holds it. Implementations are thread-safe so
/// one KEK serves every request of the server.
pub trait KeyEncryptionKey: Send + Sync {
    /// The id recorded in every key this KEK wraps.
    fn id(&self) -> &KekId;

    /// Where the KEK lives, for operators (`key file /etc/habeas/keys/kek.key`,
    /// `environment variable HABEAS_KEK` …). Never key bytes.
    fn describe(&self) -> String;

    /// Wrap `key`, binding `aad` (normally [`Aad::data_key`]).
    fn wrap(&self, key: &DataKey, aad: &Aad) -> Result<WrappedKey>;

    /// Unwrap a key wrapped by this KEK with the same `aad`. A key wrapped by
    /// another KEK gives [`CryptoError::WrongKek`]; a tampered key, another
    /// subject's `aad` or a different key with a reused id give
    /// [`CryptoError::Refused`].
    fn unwrap(&self, wrapped: &WrappedKey, aad: &Aad) -> Result<DataKey>;
}

/// Move a wrapped key from `old` to `new` without touching the data it
/// encrypts: unwrap under `old`, wrap under `new`, same `aad`.
pub fn rewrap(
    old: &dyn KeyEncryptionKey,
    new: &dyn KeyEncryptionKey,
    wrapped: &WrappedKey,
    aad: &Aad,
) -> Result<WrappedKey> {
    let key = old.unwrap(wrapped, aad)?;
    new.wrap(&key, aad)
}

/// The current KEK plus retired ones still needed to read keys not yet
/// rewrapped. Wraps with the current KEK; unwraps with whichever KEK the
/// wrapped key names. This is what lets rotation run without downtime.
pub struct KekRing {
    current: Box<dyn KeyEncryptionKey>,
    retired: Vec<Box<dyn KeyEncryptionKey>>,
}

impl KekRing {
    /// A ring with one KEK.
    pub fn new(current: Box<dyn KeyEncryptionKey>) -> Self {
        KekRing {
            current,
            retired: Vec::new(),
        }
    }

    /// Add a retired KEK that can still unwrap (never wrap).
    #[must_use]
    pub fn with_retired(mut self, kek: Box<dyn KeyEncryptionKey>) -> Self {
        self.retired.push(kek);
        self
    }

    /// The KEK new keys are wrapped under.
    pub fn current(&self) -> &dyn KeyEncryptionKey {
        self.current.as_ref()
    }

    /// Whether `wrapped` still needs rewrapping under the current KEK.
    pub fn needs_rewrap(&self, wrapped: &WrappedKey) -> bool {
        wrapped.kek_id() != self.current.id()
    }

    /// Rewrap under the current KEK; a key already there is returned unchanged.
    pub fn rewrap_to_current(&self, wrapped: &WrappedKey, aad: &Aad) -> Result<WrappedKey> {
        if !self.needs_rewrap(wrapped) {
            return Ok(wrapped.clone());
        }
        let old = self.find(wrapped.kek_id())?;
        rewrap(old, self.current.as_ref(), wrapped, aad)
    }

    fn find(&self, id: &KekId) -> Result<&dyn KeyEncryptionKey> {
        std::iter::once(&self.current)
            .chain(self.retired.iter())
            .find(|k| k.id() == id)
            .map(|k| k.as_ref())
            .ok_or_else(|| CryptoError::WrongKek {
                found: id.to_string(),
                expected: self.current.id().to_string(),
            })
    }
}

impl KeyEncryptionKey for KekRing {
    fn id(&self) -> &KekId {
        self.current.id()
    }

    fn describe(&self) -> String {
        let mut text = self.current.describe();
        for k in &self.retired {
            text.push_str(&format!("; retired {} ({})", k.id(), k.describe()));
        }
        text
    }

    fn wrap(&self, key: &DataKey, aad: &Aad) -> Result<WrappedKey> {
        self.current.wrap(key, aad)
    }

    fn unwrap(&self, wrapped: &WrappedKey, aad: &Aad) -> Result<DataKey> {
        self.find(wrapped.kek_id())?.unwrap(wrapped, aad)
    }
}
