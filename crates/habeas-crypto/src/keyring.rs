//! The project's key directory, created by `habeas init`:
//!
//! ```text
//! keys/                       0700, outside the data directory
//!   kek.key                   0600  key-encryption key (wraps every data key)
//!   blind-index.key           0600  HMAC key of blind indexes and pseudonyms
//!   journal-signing.key       0600  Ed25519 seed signing journal checkpoints
//!   journal-signing.pub       0644  its public key, hex (publish it elsewhere too)
//!   kek.next.key              0600  during `habeas keys rotate` only: the new KEK
//!   retired/                  0700
//!     kek-<id>.key            0600  previous KEKs, kept while backups need them
//! ```
//!
//! The directory must not be inside the data directory, so that a backup of
//! the data never carries the KEK (a backup holding both the wrapped keys and
//! the KEK would defeat crypto-shredding). [`KeyDir::create`] refuses that.
//!
//! Rotation, with no downtime and no re-encryption of data:
//! 1. [`KeyDir::stage_new_kek`] writes `kek.next.key`;
//! 2. [`KeyDir::load_kek_ring`] now wraps with the new KEK and still unwraps
//!    with the old one; the engine rewraps every stored data key
//!    ([`crate::KekRing::rewrap_to_current`]) while serving requests;
//! 3. [`KeyDir::promote_staged_kek`] moves `kek.key` to `retired/` and the new
//!    KEK into `kek.key`;
//! 4. when the last backup made under the retired KEK has expired,
//!    [`KeyDir::destroy_retired_kek`] deletes it: from then on those backups'
//!    wrapped keys can never be opened (the "epoch KEK" of RELIABILITY.md §1.8 (c)).

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Component, Path, PathBuf};

use crate::blind_index::BlindIndexer;
use crate::config::KeysConfig;
use crate::error::{CryptoError, Result};
use crate::journal::{JournalPublicKey, JournalSigner};
use crate::kek::{KekId, KekRing, KeyEncryptionKey, SoftwareKek};
use crate::keyfile::{self, KeyKind};

/// File name of the current KEK.
pub const KEK_FILE: &str = "kek.key";
/// File name of a KEK staged for rotation.
pub const STAGED_KEK_FILE: &str = "kek.next.key";
/// File name of the blind-index key.
pub const BLIND_INDEX_FILE: &str = "blind-index.key";
/// File name of the journal signing key.
pub const JOURNAL_SIGNING_FILE: &str = "journal-signing.key";
/// File name of the journal public key.
pub const JOURNAL_PUBLIC_FILE: &str = "journal-signing.pub";
/// Directory of retired KEKs.
pub const RETIRED_DIR: &str = "retired";

/// A project's key directory (see the module docs for the layout).
#[derive(Debug, Clone)]
pub struct KeyDir {
    root: PathBuf,
}

impl KeyDir {
    /// Create `root` (mode `0700`) with a new KEK, blind-index key and journal
    /// signing key. Refuses if `root` is inside `data_dir` or already holds
    /// keys; never overwrites a key.
    pub fn create(root: &Path, data_dir: Option<&Path>) -> Result<Self> {
        if let Some(data) = data_dir {
            ensure_outside(root, data)?;
        }
        let existing = [
            KEK_FILE,
            STAGED_KEK_FILE,
            BLIND_INDEX_FILE,
            JOURNAL_SIGNING_FILE,
            JOURNAL_PUBLIC_FILE,
        ]
        .iter()
        .any(|name| root.join(name).exists());
        if existing {
            return Err(CryptoError::Refusal(format!(
                "{} already holds Habeas keys; refusing to replace them \
                 (replacing a KEK would make every stored data key unreadable)",
                root.display()
            )));
        }
        make_private_dir(root)?;
        keyfile::check_key_dir(root)?;
        let dir = KeyDir {
            root: root.to_path_buf(),
        };
        let (_, kek) = SoftwareKek::generate(String::new())?;
        keyfile::write_key_file(&dir.kek_path(), KeyKind::Kek, &kek)?;
        let (_, index) = BlindIndexer::generate()?;
        keyfile::write_key_file(&dir.blind_index_path(), KeyKind::BlindIndex, &index)?;
        let (signer, seed) = JournalSigner::generate()?;
        keyfile::write_key_file(&dir.journal_signing_path(), KeyKind::JournalSigning, &seed)?;
        let public = format!("{}\n", signer.public_key().to_hex());
        keyfile::write_private(
            &dir.journal_public_path(),
            public.as_bytes(),
            0o644,
            "write journal public key",
        )?;
        Ok(dir)
    }

    /// Open an existing key directory (checks that others cannot write into it).
    pub fn open(root: &Path) -> Result<Self> {
        keyfile::check_key_dir(root)?;
        Ok(KeyDir {
            root: root.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `keys/kek.key`.
    pub fn kek_path(&self) -> PathBuf {
        self.root.join(KEK_FILE)
    }

    /// `keys/kek.next.key`.
    pub fn staged_kek_path(&self) -> PathBuf {
        self.root.join(STAGED_KEK_FILE)
    }

    /// `keys/blind-index.key`.
    pub fn blind_index_path(&self) -> PathBuf {
        self.root.join(BLIND_INDEX_FILE)
    }

    /// `keys/journal-signing.key`.
    pub fn journal_signing_path(&self) -> PathBuf {
        self.root.join(JOURNAL_SIGNING_FILE)
    }

    /// `keys/journal-signing.pub`.
    pub fn journal_public_path(&self) -> PathBuf {
        self.root.join(JOURNAL_PUBLIC_FILE)
    }

    /// `keys/retired/`.
    pub fn retired_dir(&self) -> PathBuf {
        self.root.join(RETIRED_DIR)
    }

    /// The `[keys]` configuration pointing at these files (for `habeas.toml`).
    pub fn config(&self) -> KeysConfig {
        KeysConfig::for_key_dir(&self.root)
    }

    /// Load the current KEK.
    pub fn load_kek(&self) -> Result<SoftwareKek> {
        SoftwareKek::from_file(&self.kek_path())
    }

    /// The staged KEK of an unfinished rotation, if any.
    pub fn load_staged_kek(&self) -> Result<Option<SoftwareKek>> {
        let path = self.staged_kek_path();
        if path.exists() {
            SoftwareKek::from_file(&path).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Every KEK of this directory as a ring: the staged KEK (if a rotation is
    /// running) or `kek.key` wraps; all others, retired ones included, unwrap.
    pub fn load_kek_ring(&self) -> Result<KekRing> {
        let current = self.kek_path();
        let staged = self.staged_kek_path();
        let mut ring = match (self.load_staged_kek()?, current.exists()) {
            (Some(next), true) => {
                KekRing::new(Box::new(next)).with_retired(Box::new(self.load_kek()?))
            }
            (Some(next), false) => KekRing::new(Box::new(next)),
            (None, true) => KekRing::new(Box::new(self.load_kek()?)),
            (None, false) => {
                return Err(CryptoError::Refusal(format!(
                    "no key-encryption key in {} (neither {KEK_FILE} nor {}); \
                     restore kek.key from its safe copy",
                    self.root.display(),
                    staged.display()
                )));
            }
        };
        for path in self.retired_files()? {
            ring = ring.with_retired(Box::new(SoftwareKek::from_file(&path)?));
        }
        Ok(ring)
    }

    /// Load the blind indexer.
    pub fn load_blind_indexer(&self) -> Result<BlindIndexer> {
        BlindIndexer::from_secret(&keyfile::read_key_file(
            &self.blind_index_path(),
            KeyKind::BlindIndex,
        )?)
    }

    /// Load the journal signer.
    pub fn load_journal_signer(&self) -> Result<JournalSigner> {
        Ok(JournalSigner::from_secret(&keyfile::read_key_file(
            &self.journal_signing_path(),
            KeyKind::JournalSigning,
        )?))
    }

    /// Read the exported journal public key.
    pub fn journal_public_key(&self) -> Result<JournalPublicKey> {
        let path = self.journal_public_path();
        let text = fs::read_to_string(&path)
            .map_err(|e| CryptoError::io(&path, "read journal public key", e))?;
        JournalPublicKey::from_hex(&text)
    }

    /// Step 1 of rotation: create `kek.next.key`. Refuses if one is staged.
    pub fn stage_new_kek(&self) -> Result<SoftwareKek> {
        let path = self.staged_kek_path();
        if path.exists() {
            return Err(CryptoError::Refusal(format!(
                "a rotation is already in progress ({} exists): finish it with \
                 `habeas keys rotate` before starting another",
                path.display()
            )));
        }
        let (_, secret) = SoftwareKek::generate(String::new())?;
        keyfile::write_key_file(&path, KeyKind::Kek, &secret)?;
        SoftwareKek::from_file(&path)
    }

    /// Step 3 of rotation, once every data key is rewrapped: retire `kek.key`
    /// to `retired/<id>.key` and make the staged KEK current. Returns the
    /// retired KEK's id. Safe to run again after a crash half-way.
    pub fn promote_staged_kek(&self) -> Result<Option<KekId>> {
        let staged = self.staged_kek_path();
        if !staged.exists() {
            return Err(CryptoError::Refusal(
                "no staged key-encryption key to promote (run the rotation first)".into(),
            ));
        }
        let current = self.kek_path();
        let retired_id = if current.exists() {
            let old = self.load_kek()?;
            let id = old.id().clone();
            make_private_dir(&self.retired_dir())?;
            let target = self.retired_dir().join(format!("{id}.key"));
            fs::rename(&current, &target)
                .map_err(|e| CryptoError::io(&current, "retire key-encryption key", e))?;
            keyfile::sync_parent(&target)?;
            Some(id)
        } else {
            None
        };
        fs::rename(&staged, &current)
            .map_err(|e| CryptoError::io(&staged, "promote staged key-encryption key", e))?;
        keyfile::sync_parent(&current)?;
        Ok(retired_id)
    }

    /// Ids of the retired KEKs still present.
    pub fn retired_keks(&self) -> Result<Vec<KekId>> {
        self.retired_files()?
            .iter()
            .map(|p| SoftwareKek::from_file(p).map(|k| k.id().clone()))
            .collect()
    }

    fn retired_files(&self) -> Result<Vec<PathBuf>> {
        let dir = self.retired_dir();
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut files = Vec::new();
        for entry in
            fs::read_dir(&dir).map_err(|e| CryptoError::io(&dir, "list retired keys", e))?
        {
            let entry = entry.map_err(|e| CryptoError::io(&dir, "list retired keys", e))?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "key") {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }

    /// Destroy a retired KEK: overwrite the file with zeros, `fsync`, delete.
    /// Every data key still wrapped only under it (in old backups) becomes
    /// unreadable for good. On journaling or copy-on-write filesystems and on
    /// SSDs the old blocks may survive the overwrite; an HSM-held KEK
    /// (`provider = "pkcs11"`) gives a stronger destruction guarantee.
    pub fn destroy_retired_kek(&self, id: &KekId) -> Result<()> {
        let path = self.retired_dir().join(format!("{id}.key"));
        let kek = SoftwareKek::from_file(&path)?;
        if kek.id() != id {
            return Err(CryptoError::Refusal(format!(
                "{} holds key-encryption key {}, not {id}; not destroying it",
                path.display(),
                kek.id()
            )));
        }
        let len = fs::metadata(&path)
            .map_err(|e| CryptoError::io(&path, "inspect retired key", e))?
            .len();
        let mut file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| CryptoError::io(&path, "overwrite retired key", e))?;
        let zeros = vec![0u8; usize::try_from(len).unwrap_or(0)];
        file.write_all(&zeros)
            .and_then(|()| file.sync_all())
            .map_err(|e| CryptoError::io(&path, "overwrite retired key", e))?;
        drop(file);
        fs::remove_file(&path).map_err(|e| CryptoError::io(&path, "delete retired key", e))?;
        keyfile::sync_parent(&path)
    }
}

fn make_private_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        return keyfile::check_key_dir(dir);
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| CryptoError::io(dir, "create key directory", e))?;
    // `recursive` applies the mode to the last component only; set it exactly
    // in case the umask removed bits we want (it cannot add any).
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| CryptoError::io(dir, "set key directory mode", e))?;
    keyfile::sync_parent(dir)
}

/// Refuse a key location inside the data directory (after resolving `..`,
/// symbolic links of existing parts and relative paths).
pub fn ensure_outside(keys: &Path, data_dir: &Path) -> Result<()> {
    let keys_abs = resolve(keys)?;
    let data_abs = resolve(data_dir)?;
    if keys_abs.starts_with(&data_abs) {
        return Err(CryptoError::Refusal(format!(
            "the key directory {} is inside the data directory {}: a backup of the data \
             would carry the keys and defeat crypto-shredding; put the keys elsewhere \
             (e.g. /etc/habeas/keys)",
            keys.display(),
            data_dir.display()
        )));
    }
    Ok(())
}

/// Absolute, `..`-free form of `path` (lexically), then with symlinks of the
/// longest existing prefix resolved.
fn resolve(path: &Path) -> Result<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| CryptoError::io(path, "read current directory", e))?
            .join(path)
    };
    let mut lexical = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other.as_os_str()),
        }
    }
    let mut existing = lexical.clone();
    let mut missing = Vec::new();
    while !existing.exists() {
        let Some(name) = existing.file_name().map(|n| n.to_os_string()) else {
            break;
        };
        missing.push(name);
        existing.pop();
    }
    let mut out = existing
        .canonicalize()
        .map_err(|e| CryptoError::io(&existing, "resolve path", e))?;
    for name in missing.into_iter().rev() {
        out.push(name);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_handles_missing_parts_and_dotdot() {
        let d = tempfile::tempdir().expect("tempdir");
        let data = d.path().join("data");
        fs::create_dir(&data).expect("mkdir");
        assert!(ensure_outside(&data.join("keys"), &data).is_err());
        assert!(ensure_outside(&data.join("x/../keys"), &data).is_err());
        assert!(ensure_outside(&d.path().join("keys"), &data).is_ok());
        assert!(ensure_outside(&data.join("../keys"), &data).is_ok());
        assert!(ensure_outside(&d.path().join("data-keys"), &data).is_ok());
    }
}
