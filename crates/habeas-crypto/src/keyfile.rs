//! Key files: one 256-bit secret per file, private to the service account.
//!
//! Layout (text, so an operator can see what a file is without a tool):
//!
//! ```text
//! habeas-key v1
//! # (French and English comments saying what the key is and where not to copy it)
//! kind: kek | blind-index | journal-signing
//! secret: <standard base64 of 32 bytes>
//! ```
//!
//! Files are created with `create_new` and mode `0600` (never overwritten) and
//! flushed with `fsync` on the file and its directory. Loading refuses a file
//! that the group or other users can read or write, the way OpenSSH refuses an
//! unprotected private key: a KEK readable by another account defeats the
//! envelope. Permissions are checked on the opened file (`fstat`), not on the
//! path, so the file checked is the file read.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{CryptoError, Result};

/// First line of every key file.
pub const MAGIC: &str = "habeas-key v1";

/// A 256-bit secret that wipes itself.
pub(crate) type Secret32 = Zeroizing<[u8; 32]>;

/// What a key file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A key-encryption key (wraps data keys).
    Kek,
    /// The blind-index and pseudonym key (HMAC-SHA-256).
    BlindIndex,
    /// The Ed25519 seed that signs journal checkpoints.
    JournalSigning,
}

impl KeyKind {
    /// The `kind:` value in the file.
    pub fn label(self) -> &'static str {
        match self {
            KeyKind::Kek => "kek",
            KeyKind::BlindIndex => "blind-index",
            KeyKind::JournalSigning => "journal-signing",
        }
    }

    fn comment(self) -> &'static str {
        match self {
            KeyKind::Kek => {
                "# Clé de chiffrement des clés (KEK) : elle protège toutes les clés de données.\n\
                 # Ne la copiez jamais dans une sauvegarde des données ; sa perte rend les données illisibles.\n\
                 # Key-encryption key (KEK): it protects every data key.\n\
                 # Never copy it into a backup of the data; losing it makes the data unreadable.\n"
            }
            KeyKind::BlindIndex => {
                "# Clé des index aveugles (HMAC) : recherche par identifiant sans texte en clair.\n\
                 # Blind-index key (HMAC): lookup by identifier without plaintext.\n"
            }
            KeyKind::JournalSigning => {
                "# Clé de signature du journal d'audit (Ed25519) : gardez-la hors de la base.\n\
                 # Audit-journal signing key (Ed25519): keep it outside the database.\n"
            }
        }
    }
}

/// Refuse a key file or secret the group or others can access.
fn check_private(path: &Path, mode: u32, is_dir: bool) -> Result<()> {
    let mode = mode & 0o777;
    if is_dir {
        if mode & 0o022 != 0 {
            return Err(CryptoError::Permissions {
                path: path.to_path_buf(),
                mode,
                access: "modify",
                fix: 0o700,
            });
        }
    } else if mode & 0o077 != 0 {
        let access = if mode & 0o022 != 0 { "modify" } else { "read" };
        return Err(CryptoError::Permissions {
            path: path.to_path_buf(),
            mode,
            access,
            fix: 0o600,
        });
    }
    Ok(())
}

/// Refuse a directory holding keys that other users can write into (they
/// could replace a key file). Group/other *read* on the directory only lets
/// them list names; the files themselves are checked separately.
pub(crate) fn check_key_dir(dir: &Path) -> Result<()> {
    let meta = fs::metadata(dir).map_err(|e| CryptoError::io(dir, "inspect key directory", e))?;
    if !meta.is_dir() {
        return Err(CryptoError::Refusal(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    check_private(dir, meta.permissions().mode(), true)
}

/// Read a small private file (a key file or a PIN file) after checking it is
/// a regular file with mode `0600` or stricter.
pub(crate) fn read_private(path: &Path, action: &'static str) -> Result<Zeroizing<String>> {
    let mut file = File::open(path).map_err(|e| CryptoError::io(path, action, e))?;
    let meta = file
        .metadata()
        .map_err(|e| CryptoError::io(path, action, e))?;
    if !meta.is_file() {
        return Err(CryptoError::Refusal(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    check_private(path, meta.permissions().mode(), false)?;
    if meta.len() > 64 * 1024 {
        return Err(CryptoError::KeyFile {
            path: path.to_path_buf(),
            line: 0,
            reason: "larger than 64 KiB: not a key file".into(),
        });
    }
    let mut text = Zeroizing::new(String::new());
    file.read_to_string(&mut text)
        .map_err(|e| CryptoError::io(path, action, e))?;
    Ok(text)
}

/// Load the secret of a key file of the given kind.
pub fn read_key_file(path: &Path, kind: KeyKind) -> Result<Secret32> {
    let text = read_private(path, "read key file")?;
    parse(path, &text, kind)
}

fn parse(path: &Path, text: &str, kind: KeyKind) -> Result<Secret32> {
    let bad = |line: usize, reason: String| CryptoError::KeyFile {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.trim() == MAGIC => {}
        _ => {
            return Err(bad(
                1,
                format!("not a Habeas key file (the first line must be `{MAGIC}`)"),
            ));
        }
    }
    let mut found_kind = None;
    let mut secret = None;
    for (index, line) in lines {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad(number, "expected `name: value`".into()));
        };
        match name.trim() {
            "kind" => found_kind = Some((number, value.trim().to_string())),
            "secret" => secret = Some((number, value.trim())),
            other => {
                return Err(bad(
                    number,
                    format!("unknown entry `{other}` (expected `kind` or `secret`)"),
                ));
            }
        }
    }
    let Some((kind_line, found)) = found_kind else {
        return Err(bad(0, "no `kind:` line".into()));
    };
    if found != kind.label() {
        return Err(bad(
            kind_line,
            format!(
                "this file holds a `{found}` key, but a `{}` key was expected: check the path",
                kind.label()
            ),
        ));
    }
    let Some((secret_line, encoded)) = secret else {
        return Err(bad(0, "no `secret:` line".into()));
    };
    decode_secret(encoded).map_err(|reason| bad(secret_line, reason))
}

/// Decode standard base64 of exactly 32 bytes, wiping the intermediate buffer.
pub(crate) fn decode_secret(encoded: &str) -> std::result::Result<Secret32, String> {
    let mut raw = STANDARD
        .decode(encoded.trim())
        .map_err(|_| "the secret is not valid standard base64".to_string())?;
    let result = <[u8; 32]>::try_from(raw.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| {
            format!(
                "the secret decodes to {} bytes; 32 are required \
                 (generate one with `head -c 32 /dev/urandom | base64`)",
                raw.len()
            )
        });
    raw.zeroize();
    result
}

/// Create a new key file (mode `0600`, refusing to overwrite) holding `secret`.
pub fn write_key_file(path: &Path, kind: KeyKind, secret: &[u8; 32]) -> Result<()> {
    let encoded = Zeroizing::new(STANDARD.encode(secret));
    let body = Zeroizing::new(format!(
        "{MAGIC}\n{}kind: {}\nsecret: {}\n",
        kind.comment(),
        kind.label(),
        encoded.as_str()
    ));
    write_private(path, body.as_bytes(), 0o600, "create key file")
}

/// Create `path` with `mode` and `contents`, `fsync` it and its directory.
pub(crate) fn write_private(
    path: &Path,
    contents: &[u8],
    mode: u32,
    action: &'static str,
) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| CryptoError::io(path, action, e))?;
    // The umask can only remove bits; set the exact mode anyway.
    file.set_permissions(fs::Permissions::from_mode(mode))
        .and_then(|()| file.write_all(contents))
        .and_then(|()| file.sync_all())
        .map_err(|e| CryptoError::io(path, action, e))?;
    sync_parent(path)
}

/// `fsync` the directory holding `path`, so a new or renamed entry survives a crash.
pub(crate) fn sync_parent(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    File::open(&parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| CryptoError::io(parent, "sync directory", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("tempdir")
    }

    #[test]
    fn written_file_is_0600_and_reads_back() {
        let d = dir();
        let path = d.path().join("k.key");
        write_key_file(&path, KeyKind::Kek, &[7u8; 32]).expect("write");
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            *read_key_file(&path, KeyKind::Kek).expect("read"),
            [7u8; 32]
        );
    }

    #[test]
    fn existing_file_is_never_overwritten() {
        let d = dir();
        let path = d.path().join("k.key");
        write_key_file(&path, KeyKind::Kek, &[7u8; 32]).expect("write");
        assert!(write_key_file(&path, KeyKind::Kek, &[8u8; 32]).is_err());
        assert_eq!(
            *read_key_file(&path, KeyKind::Kek).expect("read"),
            [7u8; 32]
        );
    }

    #[test]
    fn group_or_world_readable_file_is_refused_with_the_fix() {
        let d = dir();
        let path = d.path().join("k.key");
        write_key_file(&path, KeyKind::Kek, &[7u8; 32]).expect("write");
        for mode in [0o640, 0o604, 0o644, 0o660] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
            let err = read_key_file(&path, KeyKind::Kek).expect_err("must refuse");
            let text = err.to_string();
            assert!(text.contains("chmod 600"), "{text}");
            assert!(text.contains(&format!("{mode:04o}")), "{text}");
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).expect("chmod");
        assert!(
            read_key_file(&path, KeyKind::Kek).is_ok(),
            "0400 is private"
        );
    }

    #[test]
    fn wrong_kind_and_garbage_name_the_line() {
        let d = dir();
        let path = d.path().join("k.key");
        write_key_file(&path, KeyKind::BlindIndex, &[1u8; 32]).expect("write");
        let err = read_key_file(&path, KeyKind::Kek).expect_err("kind");
        assert!(err.to_string().contains("`blind-index` key"), "{err}");

        let short = d.path().join("short.key");
        write_private(
            &short,
            b"habeas-key v1\nkind: kek\nsecret: AAAA\n",
            0o600,
            "t",
        )
        .expect("write");
        let err = read_key_file(&short, KeyKind::Kek).expect_err("short");
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(err.to_string().contains("3 bytes"), "{err}");

        let other = d.path().join("other.key");
        write_private(&other, b"-----BEGIN PRIVATE KEY-----\n", 0o600, "t").expect("write");
        let err = read_key_file(&other, KeyKind::Kek).expect_err("magic");
        assert!(err.to_string().contains("not a Habeas key file"), "{err}");
    }

    #[test]
    fn errors_never_contain_the_secret() {
        let d = dir();
        let path = d.path().join("k.key");
        write_key_file(&path, KeyKind::Kek, &[9u8; 32]).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = read_key_file(&path, KeyKind::JournalSigning).expect_err("perm");
        assert!(!err.to_string().contains(&STANDARD.encode([9u8; 32])));
    }
}
