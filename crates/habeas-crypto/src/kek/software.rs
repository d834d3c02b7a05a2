//! Software KEKs: a 256-bit key from a key file or an environment variable,
//! wrapping with XChaCha20-Poly1305 (random 192-bit nonces, safe at any
//! number of wrapped keys).

use std::path::Path;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use super::{KekId, KeyEncryptionKey, WrapAlgorithm, WrappedKey, header, wrapping_aad};
use crate::aad::Aad;
use crate::data_key::{DATA_KEY_LEN, DataKey};
use crate::error::{CryptoError, Result};
use crate::keyfile::{self, KeyKind, Secret32};
use crate::random;

/// A KEK held in this process's memory (zeroized on drop).
pub struct SoftwareKek {
    id: KekId,
    cipher: XChaCha20Poly1305,
    origin: String,
}

impl SoftwareKek {
    /// Build from a 256-bit secret; `origin` says where it came from (for operators).
    pub(crate) fn from_secret(secret: &Secret32, origin: String) -> Result<Self> {
        Ok(SoftwareKek {
            id: fingerprint_id(secret)?,
            cipher: XChaCha20Poly1305::new(<&chacha20poly1305::Key>::from(&**secret)),
            origin,
        })
    }

    /// A fresh random KEK, and its secret to store (used by [`crate::KeyDir`]).
    pub(crate) fn generate(origin: String) -> Result<(Self, Secret32)> {
        let mut secret = Zeroizing::new([0u8; 32]);
        random::fill(secret.as_mut())?;
        Ok((Self::from_secret(&secret, origin)?, secret))
    }

    /// Load the KEK from a key file (mode `0600` or stricter; see [`crate::keyfile`]).
    pub fn from_file(path: &Path) -> Result<Self> {
        let secret = keyfile::read_key_file(path, KeyKind::Kek)?;
        Self::from_secret(&secret, format!("key file {}", path.display()))
    }

    /// Load the KEK from the environment variable `variable` (standard base64
    /// of 32 bytes).
    ///
    /// The variable stays in the process environment (removing it is `unsafe`
    /// in Rust 2024); start the server from a service manager that injects it
    /// (systemd `LoadCredential=`, a secrets manager) rather than a shell profile.
    pub fn from_env(variable: &str) -> Result<Self> {
        Self::from_env_with(variable, &|name| std::env::var(name).ok())
    }

    /// Same as [`SoftwareKek::from_env`] with an injected lookup (tests, or a
    /// caller that already read the environment).
    pub fn from_env_with(variable: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let secret = read_env_secret(variable, lookup)?;
        Self::from_secret(&secret, format!("environment variable {variable}"))
    }
}

/// Read and decode a base64 secret from an environment variable.
pub(crate) fn read_env_secret(
    variable: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret32> {
    let Some(value) = lookup(variable) else {
        return Err(CryptoError::Config(format!(
            "the environment variable {variable} is not set; set it to the base64 of 32 random \
             bytes (`head -c 32 /dev/urandom | base64`)"
        )));
    };
    let value = Zeroizing::new(value);
    keyfile::decode_secret(&value)
        .map_err(|reason| CryptoError::Config(format!("environment variable {variable}: {reason}")))
}

/// `kek-` + 16 hex digits of HMAC-SHA-256(secret, "habeas/kek-id/v1").
fn fingerprint_id(secret: &Secret32) -> Result<KekId> {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(secret.as_ref())
        .map_err(|_| CryptoError::Config("HMAC key rejected".into()))?;
    mac.update(b"habeas/kek-id/v1");
    let digest = mac.finalize().into_bytes();
    KekId::new(format!("kek-{}", hex::encode(&digest[..8])))
}

impl KeyEncryptionKey for SoftwareKek {
    fn id(&self) -> &KekId {
        &self.id
    }

    fn describe(&self) -> String {
        format!("{} ({})", self.id, self.origin)
    }

    fn wrap(&self, key: &DataKey, aad: &Aad) -> Result<WrappedKey> {
        let nonce: [u8; 24] = random::array()?;
        let header = header(WrapAlgorithm::XChaCha20Poly1305, &self.id)?;
        let mut body = Vec::with_capacity(DATA_KEY_LEN + 16);
        body.extend_from_slice(key.expose());
        let tag = self
            .cipher
            .encrypt_inout_detached(
                &XNonce::from(nonce),
                &wrapping_aad(&header, aad),
                body.as_mut_slice().into(),
            )
            .map_err(|_| CryptoError::malformed("data key", "wrapping failed"))?;
        body.extend_from_slice(&tag);
        WrappedKey::assemble(WrapAlgorithm::XChaCha20Poly1305, &self.id, &nonce, &body)
    }

    fn unwrap(&self, wrapped: &WrappedKey, aad: &Aad) -> Result<DataKey> {
        wrapped.expect_kek(&self.id)?;
        if wrapped.algorithm() != WrapAlgorithm::XChaCha20Poly1305 {
            return Err(CryptoError::malformed(
                "wrapped data key",
                "wrapped by a PKCS#11 token, not by a software key",
            ));
        }
        let nonce = XNonce::try_from(wrapped.nonce())
            .map_err(|_| CryptoError::malformed("wrapped data key", "bad nonce length"))?;
        let sealed = wrapped.sealed_key_and_tag();
        let (body, tag) = sealed.split_at(sealed.len() - 16);
        let tag = Tag::try_from(tag)
            .map_err(|_| CryptoError::malformed("wrapped data key", "bad tag length"))?;
        let mut plain = body.to_vec();
        match self.cipher.decrypt_inout_detached(
            &nonce,
            &wrapping_aad(wrapped.header(), aad),
            plain.as_mut_slice().into(),
            &tag,
        ) {
            Ok(()) => DataKey::from_unwrapped(plain),
            Err(_) => {
                plain.zeroize();
                Err(CryptoError::Refused {
                    what: "wrapped data key",
                })
            }
        }
    }
}

impl std::fmt::Debug for SoftwareKek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SoftwareKek({})", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8) -> SoftwareKek {
        SoftwareKek::from_secret(&Zeroizing::new([byte; 32]), "test".into()).expect("kek")
    }

    #[test]
    fn wrap_unwrap_round_trip_and_id_is_stable() {
        let k = kek(1);
        assert_eq!(k.id(), kek(1).id());
        assert_ne!(k.id(), kek(2).id());
        assert!(k.id().as_str().starts_with("kek-"));
        let dek = DataKey::generate().expect("dek");
        let aad = Aad::data_key("s1", "billing");
        let wrapped = k.wrap(&dek, &aad).expect("wrap");
        assert_eq!(wrapped.kek_id(), k.id());
        let back = k.unwrap(&wrapped, &aad).expect("unwrap");
        assert_eq!(back.expose(), dek.expose());
    }

    #[test]
    fn wrapped_key_moved_to_another_subject_is_refused() {
        let k = kek(1);
        let dek = DataKey::generate().expect("dek");
        let wrapped = k.wrap(&dek, &Aad::data_key("s1", "billing")).expect("wrap");
        assert!(matches!(
            k.unwrap(&wrapped, &Aad::data_key("s2", "billing")),
            Err(CryptoError::Refused { .. })
        ));
    }

    #[test]
    fn env_secret_errors_name_the_variable_not_the_value() {
        let err = SoftwareKek::from_env_with("HABEAS_KEK", &|_| None).expect_err("unset");
        assert!(err.to_string().contains("HABEAS_KEK is not set"), "{err}");
        let err = SoftwareKek::from_env_with("HABEAS_KEK", &|_| Some("c2VjcmV0LXZhbHVl".into()))
            .expect_err("short");
        let text = err.to_string();
        assert!(
            text.contains("HABEAS_KEK") && text.contains("12 bytes"),
            "{text}"
        );
        assert!(!text.contains("c2VjcmV0LXZhbHVl"), "{text}");
    }
}
