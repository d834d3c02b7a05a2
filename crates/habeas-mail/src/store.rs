//! Where a user's lists are kept.
//!
//! The lists are personal data (third parties' addresses) and belong in the
//! encrypted vault (category `mail_lists`, journaled access): the vault
//! implements the small [`MailListStore`] trait defined here
//! (`vault_store`). [`FileStore`], a durable file store, is what earlier
//! versions used; the CLI still reads it to move old lists into the vault:
//! `<project>/data/mail-lists/<sha256-hex of the user address>.json`,
//! written to a temporary file, fsynced, renamed, and the directory fsynced —
//! so a crash leaves either the old or the new lists, never a torn file. The
//! address never appears in a file name. The file itself is **not
//! encrypted**, which is why lists now live in the vault.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::lists::{ListError, UserLists};

/// Storage errors. Messages name files by hash, never by address.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("erreur d'entrée-sortie sur {path} / I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("fichier de listes illisible {path} / unreadable lists file {path}: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{0}")]
    Lists(#[from] ListError),
    /// The vault refused or failed (feature `vault`); the message names no address.
    #[error("coffre / vault: {0}")]
    Vault(String),
    /// The disk under the vault is full: nothing was changed; retry once
    /// space is freed (told apart so that callers answer "retry later").
    #[error(
        "le disque du coffre est plein ; rien n'a été modifié / the vault's disk is full; nothing was changed"
    )]
    Full,
}

impl StoreError {
    /// Whether nothing could be stored because a disk is full (the vault's,
    /// or the files' of [`FileStore`]): retrying later, once space is
    /// freed, is the remedy.
    pub fn is_full(&self) -> bool {
        match self {
            StoreError::Full => true,
            StoreError::Io { source, .. } => source.kind() == io::ErrorKind::StorageFull,
            _ => false,
        }
    }
}

/// Load and save one user's lists atomically. Implemented by [`FileStore`]
/// now and by the vault later.
pub trait MailListStore {
    /// The user's lists, or `None` if they have none.
    fn load(&self, user: &str) -> Result<Option<UserLists>, StoreError>;
    /// Replaces the user's lists as a whole (all or nothing).
    fn save(&self, lists: &UserLists) -> Result<(), StoreError>;
    /// Deletes the user's lists (right to erasure, GDPR Art. 17); `true` if
    /// there was something to delete.
    fn erase(&self, user: &str) -> Result<bool, StoreError>;
    /// Every stored user's lists (for `sieve --all`).
    fn all(&self) -> Result<Vec<UserLists>, StoreError>;
}

/// Hex SHA-256 of the normalised user address: the storage key and the Sieve
/// file name (Dovecot computes the same with `%{sha256:user}`).
pub fn user_key(user: &str) -> String {
    hex::encode(Sha256::digest(user.as_bytes()))
}

/// Durable JSON files under one directory.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// The store of a project: `<project>/data/mail-lists`.
    pub fn for_project(project: &Path) -> FileStore {
        FileStore {
            dir: project.join("data").join("mail-lists"),
        }
    }

    pub fn new(dir: impl Into<PathBuf>) -> FileStore {
        FileStore { dir: dir.into() }
    }

    pub fn path_for(&self, user: &str) -> PathBuf {
        self.dir.join(format!("{}.json", user_key(user)))
    }

    /// Load, change, save under an exclusive lock, so two concurrent commands
    /// cannot lose each other's change. `change` returning an error saves nothing.
    pub fn update<T, E: From<StoreError>>(
        &self,
        user: &str,
        change: impl FnOnce(&mut UserLists) -> Result<T, E>,
    ) -> Result<T, E> {
        let _lock = self.lock()?;
        let mut lists = self
            .load(user)?
            .unwrap_or_else(|| UserLists::new(user.to_string()));
        let result = change(&mut lists)?;
        self.save(&lists)?;
        Ok(result)
    }

    fn lock(&self) -> Result<File, StoreError> {
        fs::create_dir_all(&self.dir).map_err(|e| io_err(&self.dir, e))?;
        let path = self.dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        file.lock().map_err(|e| io_err(&path, e))?;
        Ok(file)
    }

    fn read(&self, path: &Path) -> Result<UserLists, StoreError> {
        let bytes = fs::read(path).map_err(|e| io_err(path, e))?;
        let lists: UserLists = serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("JSON line {} column {}", e.line(), e.column()),
        })?;
        lists.validate()?;
        Ok(lists)
    }
}

fn io_err(path: &Path, source: io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync dir.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// fsync a directory so a rename or unlink in it is durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl MailListStore for FileStore {
    fn load(&self, user: &str) -> Result<Option<UserLists>, StoreError> {
        let path = self.path_for(user);
        if !path.exists() {
            return Ok(None);
        }
        let lists = self.read(&path)?;
        if lists.user != user {
            return Err(StoreError::Corrupt {
                path,
                detail: "user does not match the file name".into(),
            });
        }
        Ok(Some(lists))
    }

    fn save(&self, lists: &UserLists) -> Result<(), StoreError> {
        lists.validate()?;
        let path = self.path_for(&lists.user);
        let mut json = serde_json::to_vec_pretty(lists).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        json.push(b'\n');
        write_atomically(&path, &json).map_err(|e| io_err(&path, e))
    }

    fn erase(&self, user: &str) -> Result<bool, StoreError> {
        let path = self.path_for(user);
        if !path.exists() {
            return Ok(false);
        }
        let _lock = self.lock()?;
        match fs::remove_file(&path) {
            Ok(()) => {
                sync_dir(&self.dir).map_err(|e| io_err(&self.dir, e))?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(&path, e)),
        }
    }

    fn all(&self) -> Result<Vec<UserLists>, StoreError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&self.dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_err(&self.dir, e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_lists = name.len() == 69
                && name.ends_with(".json")
                && name.as_bytes()[..64].iter().all(u8::is_ascii_hexdigit);
            if is_lists {
                out.push(self.read(&path)?);
            }
        }
        out.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lists::ListKind;

    #[test]
    fn a_full_disk_is_told_apart_from_other_failures() {
        let io = |kind| StoreError::Io {
            path: PathBuf::from("x.json"),
            source: io::Error::from(kind),
        };
        assert!(StoreError::Full.is_full());
        assert!(io(io::ErrorKind::StorageFull).is_full());
        assert!(!io(io::ErrorKind::PermissionDenied).is_full());
        assert!(!StoreError::Vault("refused".into()).is_full());
    }

    #[test]
    fn save_load_erase_round_trip_without_address_in_file_name() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileStore::for_project(tmp.path());
        assert!(store.load("me@corp.example").unwrap().is_none());
        store
            .update("me@corp.example", |l| -> Result<(), StoreError> {
                l.add(ListKind::Perso, "mum@family.example")?;
                Ok(())
            })
            .unwrap();
        let names: Vec<String> = fs::read_dir(tmp.path().join("data/mail-lists"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains("corp")), "{names:?}");
        assert!(names.contains(&format!("{}.json", user_key("me@corp.example"))));
        let loaded = store.load("me@corp.example").unwrap().unwrap();
        assert_eq!(loaded.perso.len(), 1);
        assert_eq!(store.all().unwrap().len(), 1);
        assert!(store.erase("me@corp.example").unwrap());
        assert!(!store.erase("me@corp.example").unwrap());
        assert!(store.load("me@corp.example").unwrap().is_none());
    }

    #[test]
    fn failed_change_saves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileStore::for_project(tmp.path());
        store
            .update("me@corp.example", |l| -> Result<(), StoreError> {
                l.add(ListKind::Allow, "a@x.example")?;
                Ok(())
            })
            .unwrap();
        let err = store.update("me@corp.example", |l| -> Result<(), StoreError> {
            l.add(ListKind::Allow, "b@x.example")?;
            l.add(ListKind::Deny, "a@x.example")?;
            Ok(())
        });
        assert!(err.is_err());
        let loaded = store.load("me@corp.example").unwrap().unwrap();
        assert_eq!(loaded.allow.len(), 1);
    }

    #[test]
    fn user_key_matches_dovecot_sha256_user() {
        // Same value as `printf %s root | sha256sum` and Dovecot's %{sha256:user}.
        assert_eq!(
            user_key("root"),
            "4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2"
        );
    }
}
