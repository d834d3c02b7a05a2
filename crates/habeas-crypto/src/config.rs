//! Where the keys come from, as written in the `[keys]` table of `habeas.toml`.
//!
//! ```toml
//! [keys.kek]                      # key-encryption key: file, env or pkcs11
//! provider = "file"
//! path = "keys/kek.key"
//!
//! [keys.blind_index]              # blind-index / pseudonym key: file or env
//! provider = "env"
//! variable = "HABEAS_BLIND_INDEX_KEY"
//!
//! [keys.journal_signing]          # Ed25519 seed for journal checkpoints: file or env
//! provider = "file"
//! path = "keys/journal-signing.key"
//!
//! [[keys.retired_kek]]            # older KEKs still needed during a rotation
//! provider = "file"
//! path = "keys/retired/kek-0123456789abcdef.key"
//! ```
//!
//! Relative paths are relative to the project directory; the caller resolves
//! them with [`KeysConfig::resolve_paths`]. Environment values are standard
//! base64 of 32 bytes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::blind_index::BlindIndexer;
use crate::error::Result;
use crate::journal::JournalSigner;
use crate::kek::read_env_secret;
use crate::kek::{KekRing, KeyEncryptionKey, Pkcs11Kek, Pkcs11Settings, SoftwareKek};
use crate::keyfile::{self, KeyKind, Secret32};

/// Where the key-encryption key lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase", deny_unknown_fields)]
pub enum KeyProvider {
    /// A `0600` key file outside the data directory.
    File {
        /// Path of the key file.
        path: PathBuf,
    },
    /// Base64 of 32 bytes in an environment variable.
    Env {
        /// Name of the variable.
        variable: String,
    },
    /// An AES key object on a PKCS#11 token.
    Pkcs11(Pkcs11Settings),
}

/// Where a software-only secret (blind-index key, journal signing seed) lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase", deny_unknown_fields)]
pub enum SecretSource {
    /// A `0600` key file.
    File {
        /// Path of the key file.
        path: PathBuf,
    },
    /// Base64 of 32 bytes in an environment variable.
    Env {
        /// Name of the variable.
        variable: String,
    },
}

/// The `[keys]` table of `habeas.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysConfig {
    /// The current key-encryption key.
    pub kek: KeyProvider,
    /// Retired KEKs that can still unwrap keys not yet rewrapped.
    #[serde(default, rename = "retired_kek", skip_serializing_if = "Vec::is_empty")]
    pub retired_keks: Vec<KeyProvider>,
    /// The blind-index and pseudonym key.
    pub blind_index: SecretSource,
    /// The journal checkpoint signing key.
    pub journal_signing: SecretSource,
}

type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Suffix of the blind-index key's variable in [`KeysConfig::for_env`].
pub const ENV_BLIND_INDEX_SUFFIX: &str = "_BLIND_INDEX";
/// Suffix of the journal signing key's variable in [`KeysConfig::for_env`].
pub const ENV_JOURNAL_SIGNING_SUFFIX: &str = "_JOURNAL_SIGNING";

impl KeysConfig {
    /// Every key in a key directory (the layout of [`crate::KeyDir`]); the
    /// directory need not exist yet.
    pub fn for_key_dir(dir: &Path) -> Self {
        KeysConfig {
            kek: KeyProvider::File {
                path: dir.join(crate::KEK_FILE),
            },
            retired_keks: Vec::new(),
            blind_index: SecretSource::File {
                path: dir.join(crate::BLIND_INDEX_FILE),
            },
            journal_signing: SecretSource::File {
                path: dir.join(crate::JOURNAL_SIGNING_FILE),
            },
        }
    }

    /// Every key from the environment: the KEK in `variable`, the blind-index
    /// key in `<variable>_BLIND_INDEX` and the journal signing seed in
    /// `<variable>_JOURNAL_SIGNING` (three independent secrets, so rotating the
    /// KEK does not invalidate blind indexes or checkpoint signatures).
    pub fn for_env(variable: &str) -> Self {
        KeysConfig {
            kek: KeyProvider::Env {
                variable: variable.to_string(),
            },
            retired_keks: Vec::new(),
            blind_index: SecretSource::Env {
                variable: format!("{variable}{ENV_BLIND_INDEX_SUFFIX}"),
            },
            journal_signing: SecretSource::Env {
                variable: format!("{variable}{ENV_JOURNAL_SIGNING_SUFFIX}"),
            },
        }
    }

    /// The KEK on a PKCS#11 token; the blind-index and journal keys (which a
    /// token-held AES key cannot replace: they are used for HMAC and Ed25519
    /// in process) in the key directory `dir`.
    pub fn for_pkcs11(settings: Pkcs11Settings, dir: &Path) -> Self {
        KeysConfig {
            kek: KeyProvider::Pkcs11(settings),
            ..Self::for_key_dir(dir)
        }
    }

    /// Join relative file paths to `base` (the project directory).
    #[must_use]
    pub fn resolve_paths(mut self, base: &Path) -> Self {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        for provider in std::iter::once(&mut self.kek).chain(self.retired_keks.iter_mut()) {
            match provider {
                KeyProvider::File { path } => fix(path),
                KeyProvider::Pkcs11(s) => {
                    if let Some(p) = s.pin_file.as_mut() {
                        fix(p);
                    }
                }
                KeyProvider::Env { .. } => {}
            }
        }
        for source in [&mut self.blind_index, &mut self.journal_signing] {
            if let SecretSource::File { path } = source {
                fix(path);
            }
        }
        self
    }

    /// Open the current KEK and the retired ones as a ring.
    pub fn open_kek_ring(&self) -> Result<KekRing> {
        self.open_kek_ring_with_env(&process_env)
    }

    /// [`KeysConfig::open_kek_ring`] with an injected environment lookup.
    pub fn open_kek_ring_with_env(&self, lookup: EnvLookup<'_>) -> Result<KekRing> {
        let mut ring = KekRing::new(open_kek_with_env(&self.kek, lookup)?);
        for retired in &self.retired_keks {
            ring = ring.with_retired(open_kek_with_env(retired, lookup)?);
        }
        Ok(ring)
    }

    /// Open the blind indexer.
    pub fn open_blind_indexer(&self) -> Result<BlindIndexer> {
        open_blind_indexer(&self.blind_index)
    }

    /// Open the journal signer.
    pub fn open_journal_signer(&self) -> Result<JournalSigner> {
        open_journal_signer(&self.journal_signing)
    }
}

/// A new random 256-bit secret, base64-encoded, for an operator to place in
/// an environment variable (`habeas keys generate-env`). This is the one
/// function that hands key material to the caller, by design: an environment
/// secret must be provisioned from somewhere. Print it once; never log it.
pub fn new_env_secret() -> Result<zeroize::Zeroizing<String>> {
    use base64::Engine;
    let secret: Secret32 = zeroize::Zeroizing::new(crate::random::array()?);
    Ok(zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD.encode(secret.as_ref()),
    ))
}

/// Open the KEK a provider describes.
pub fn open_kek(provider: &KeyProvider) -> Result<Box<dyn KeyEncryptionKey>> {
    open_kek_with_env(provider, &process_env)
}

/// [`open_kek`] with an injected environment lookup (for `env` and `pin_env`).
pub fn open_kek_with_env(
    provider: &KeyProvider,
    lookup: EnvLookup<'_>,
) -> Result<Box<dyn KeyEncryptionKey>> {
    Ok(match provider {
        KeyProvider::File { path } => Box::new(SoftwareKek::from_file(path)?),
        KeyProvider::Env { variable } => Box::new(SoftwareKek::from_env_with(variable, lookup)?),
        KeyProvider::Pkcs11(settings) => Box::new(Pkcs11Kek::open_with_env(settings, lookup)?),
    })
}

fn read_secret(source: &SecretSource, kind: KeyKind, lookup: EnvLookup<'_>) -> Result<Secret32> {
    match source {
        SecretSource::File { path } => keyfile::read_key_file(path, kind),
        SecretSource::Env { variable } => read_env_secret(variable, lookup),
    }
}

/// Open the blind indexer from its key source.
pub fn open_blind_indexer(source: &SecretSource) -> Result<BlindIndexer> {
    open_blind_indexer_with_env(source, &process_env)
}

/// [`open_blind_indexer`] with an injected environment lookup.
pub fn open_blind_indexer_with_env(
    source: &SecretSource,
    lookup: EnvLookup<'_>,
) -> Result<BlindIndexer> {
    BlindIndexer::from_secret(&read_secret(source, KeyKind::BlindIndex, lookup)?)
}

/// Open the journal signer from its key source.
pub fn open_journal_signer(source: &SecretSource) -> Result<JournalSigner> {
    open_journal_signer_with_env(source, &process_env)
}

/// [`open_journal_signer`] with an injected environment lookup.
pub fn open_journal_signer_with_env(
    source: &SecretSource,
    lookup: EnvLookup<'_>,
) -> Result<JournalSigner> {
    Ok(JournalSigner::from_secret(&read_secret(
        source,
        KeyKind::JournalSigning,
        lookup,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_toml_parses() {
        let text = r#"
            [kek]
            provider = "pkcs11"
            module = "/usr/lib/softhsm/libsofthsm2.so"
            token_label = "habeas"
            key_label = "habeas-kek-2026"
            pin_env = "HABEAS_PKCS11_PIN"

            [[retired_kek]]
            provider = "file"
            path = "keys/retired/kek-0123456789abcdef.key"

            [blind_index]
            provider = "env"
            variable = "HABEAS_BLIND_INDEX_KEY"

            [journal_signing]
            provider = "file"
            path = "keys/journal-signing.key"
        "#;
        let config: KeysConfig = toml::from_str(text).expect("parse");
        assert!(matches!(&config.kek, KeyProvider::Pkcs11(s) if s.key_label == "habeas-kek-2026"));
        let config = config.resolve_paths(Path::new("/srv/habeas"));
        assert_eq!(
            config.journal_signing,
            SecretSource::File {
                path: "/srv/habeas/keys/journal-signing.key".into()
            }
        );
        assert_eq!(
            config.retired_keks,
            vec![KeyProvider::File {
                path: "/srv/habeas/keys/retired/kek-0123456789abcdef.key".into()
            }]
        );
    }

    #[test]
    fn unknown_provider_and_stray_pkcs11_fields_are_refused() {
        let err = toml::from_str::<KeyProvider>("provider = \"vault\"\npath = \"x\"")
            .expect_err("unknown provider");
        assert!(err.to_string().contains("vault"), "{err}");
        let err = toml::from_str::<KeyProvider>(
            "provider = \"pkcs11\"\nmodule = \"m\"\ntoken_label = \"t\"\nkey_label = \"k\"\npin = \"1234\"",
        )
        .expect_err("pin in clear is not a field");
        assert!(err.to_string().contains("pin"), "{err}");
    }

    #[test]
    fn stray_fields_of_file_and_env_providers_are_refused() {
        let err = toml::from_str::<KeyProvider>("provider = \"file\"\npath = \"k\"\nmode = 1")
            .expect_err("stray field");
        assert!(err.to_string().contains("mode"), "{err}");
        let err =
            toml::from_str::<SecretSource>("provider = \"env\"\nvariable = \"V\"\nvalue = \"x\"")
                .expect_err("stray field");
        assert!(err.to_string().contains("value"), "{err}");
    }

    #[test]
    fn env_layout_uses_three_variables_and_generated_secrets_open() {
        let config = KeysConfig::for_env("HABEAS_MASTER_KEY");
        let kek_secret = new_env_secret().expect("secret");
        let ix_secret = new_env_secret().expect("secret");
        let journal_secret = new_env_secret().expect("secret");
        assert_ne!(*kek_secret, *ix_secret);
        let lookup = |name: &str| match name {
            "HABEAS_MASTER_KEY" => Some(kek_secret.to_string()),
            "HABEAS_MASTER_KEY_BLIND_INDEX" => Some(ix_secret.to_string()),
            "HABEAS_MASTER_KEY_JOURNAL_SIGNING" => Some(journal_secret.to_string()),
            _ => None,
        };
        config.open_kek_ring_with_env(&lookup).expect("kek");
        open_blind_indexer_with_env(&config.blind_index, &lookup).expect("indexer");
        open_journal_signer_with_env(&config.journal_signing, &lookup).expect("signer");
        let err = open_blind_indexer_with_env(&config.blind_index, &|_| None).expect_err("unset");
        assert!(
            err.to_string().contains("HABEAS_MASTER_KEY_BLIND_INDEX"),
            "{err}"
        );
    }

    #[test]
    fn env_provider_reads_the_named_variable() {
        let lookup = |name: &str| {
            (name == "MY_KEK").then(|| "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string())
        };
        let kek = open_kek_with_env(
            &KeyProvider::Env {
                variable: "MY_KEK".into(),
            },
            &lookup,
        )
        .expect("open");
        assert!(kek.describe().contains("environment variable MY_KEK"));
        let err = open_kek_with_env(
            &KeyProvider::Env {
                variable: "OTHER".into(),
            },
            &lookup,
        )
        .err()
        .expect("unset");
        assert!(err.to_string().contains("OTHER is not set"), "{err}");
    }
}
