//! Encrypted backups of the vault's data store, and restores that never
//! bring erased data back (SPEC C5; GDPR Art. 32(1)(c) availability,
//! Art. 17 erasure).
//!
//! **What is copied.** Only the data store: records (sealed), blind
//! indexes, journal, tokens, documents. Never the key store, never the
//! tombstone ledger ([`crate::ledger`]), never a key file: a backup opens
//! only with the project's KEK, and what was erased (keys destroyed) stays
//! unreadable in every older backup.
//!
//! **Consistency while the server runs.** SQLite: `VACUUM INTO` a temporary
//! file next to the backup (one read transaction: a consistent snapshot of
//! live pages only, no free pages, no WAL). PostgreSQL: `pg_dump` of the
//! data schema (one REPEATABLE READ snapshot of every table).
//!
//! **Format.** `habeas_crypto::backup` (version 2: no compression by
//! default, DEFLATE on request; 1 MiB chunks sealed with AES-256-GCM under
//! a fresh backup key wrapped by the KEK; version-1 files still restore).
//! The snapshot is copied in and out with 1 MiB reads and writes, and a
//! SQLite restore authenticates while it copies (one pass, not two). The content
//! starts with one line naming the backend (`habeas-backup/1 sqlite`), then
//! the SQLite file or the SQL dump. The backup time in the header is taken
//! *before* the snapshot starts, so a restore replays every tombstone from
//! that instant on (re-applying one the backup already holds is harmless).
//!
//! **Restore.** Read the whole tombstone ledger first (it lives apart), put
//! the backup in place of the data store (the server must be stopped), then
//! re-apply erasures and identifier rectifications recorded at or after the
//! backup time. Consent withdrawals are returned to the caller, which owns
//! the consent ledger (habeas-rights).
//!
//! **Restore refused while a server runs (SQLite).** `habeas serve` holds
//! a shared OS lock ([`ServeLock`]) on `<data db>.serve-lock` for its
//! whole life; a restore takes it exclusively without waiting and stops with
//! a precise message, before touching anything, when a server holds it.
//! The OS drops the lock when the process ends, even on SIGKILL, so a
//! crashed server never blocks a restore. PostgreSQL: not covered (the
//! operator stops every instance; see docs/retention.md).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, TimeZone, Utc};
use habeas_core::clock::Clock;
use habeas_core::declarations::Declarations;
pub use habeas_crypto::backup::BackupCompression;
use habeas_crypto::backup::{self as format, BackupMeta, BackupReader, BackupWriter};
use habeas_crypto::{KekRing, KeysConfig};
use habeas_retention::gfs::{GfsPolicy, backup_file_name, parse_backup_file_name, rotate_files};
use habeas_retention::tombstone::{Tombstone, TombstoneEvent, replay_after};
use serde::Serialize;
use serde_json::Value;

use crate::access::Caller;
use crate::error::{EngineError, Result};
use crate::keys::KekSource;
use crate::ledger::LedgerDocs;
use crate::validate::RecordInput;
use crate::vault::{KeySource, Vault, VaultPaths};

const SQLITE_LINE: &str = "habeas-backup/1 sqlite\n";
const POSTGRES_LINE: &str = "habeas-backup/1 postgres\n";

/// A backup written by [`create_backup`].
#[derive(Debug, Clone, Serialize)]
pub struct BackupInfo {
    pub file: PathBuf,
    pub taken_at: DateTime<Utc>,
    /// Size of the encrypted file.
    pub bytes: u64,
    pub backend: &'static str,
}

/// One backup file found in the backup directory (header only, no key).
#[derive(Debug, Clone, Serialize)]
pub struct BackupListing {
    pub file: PathBuf,
    pub taken_at: DateTime<Utc>,
    pub bytes: u64,
    /// The KEK the backup needs to open.
    pub kek: String,
    pub schema_version: u32,
}

/// What [`verify_backup`] found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyOutcome {
    pub taken_at: DateTime<Utc>,
    pub chunks: u32,
    pub content_bytes: u64,
}

/// What a restore did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RestoreReport {
    pub taken_at: Option<DateTime<Utc>>,
    /// Tombstones at or after the backup time.
    pub replayed: usize,
    pub erasures: usize,
    pub rectifications: usize,
    /// Events the vault could not apply itself (consent withdrawals, for
    /// the consent ledger's owner), in ledger order.
    #[serde(skip)]
    pub consent_withdrawals: Vec<Tombstone>,
    /// Rectifications whose record is not in the backup (nothing to redo).
    pub rectifications_without_record: usize,
}

fn io_err(what: &str, path: &Path, e: impl std::fmt::Display) -> EngineError {
    EngineError::Storage(format!("{what} {}: {e}", path.display()))
}

fn backup_err(e: format::BackupError) -> EngineError {
    EngineError::Storage(e.to_string())
}

/// The KEK ring of a vault's [`KeySource`] (to wrap and unwrap backup keys).
pub fn kek_ring(paths: &VaultPaths) -> Result<KekRing> {
    match &paths.keys {
        KeySource::Dir => Ok(habeas_crypto::KeyDir::open(&paths.key_dir)?.load_kek_ring()?),
        KeySource::Env { variable } => {
            KekSource::env(KeysConfig::for_env(variable), variable).load_ring()
        }
        KeySource::Pkcs11 {
            token,
            retired_labels,
        } => KekSource::pkcs11(&paths.key_dir, token, retired_labels).load_ring(),
    }
}

/// How backups are compressed unless told otherwise: zstd at level 1. A data
/// store is mostly ciphertexts, digests and B-tree structure; DEFLATE halved
/// the file but cost most of the backup's CPU and made restores decompress
/// slowly; zstd gets about the same ratio for a fraction of the time
/// (docs/benchmarks-retention.md, "Backup and restore at scale").
pub const DEFAULT_COMPRESSION: BackupCompression = BackupCompression::Zstd;

/// Write a consistent, encrypted backup of the vault's data store into
/// `dir` (created 0700 if missing), named after the backup time. Works
/// while the server runs.
pub fn create_backup(vault: &Vault, dir: &Path) -> Result<BackupInfo> {
    create_backup_with(vault, dir, DEFAULT_COMPRESSION)
}

/// [`create_backup`] with a chosen compression (none: the least CPU, a file
/// about 1.8× larger; DEFLATE: the slowest).
pub fn create_backup_with(
    vault: &Vault,
    dir: &Path,
    compression: BackupCompression,
) -> Result<BackupInfo> {
    create_dir_private(dir)?;
    // Whole seconds, floored: the header keeps seconds, and a restore
    // replays from this instant, so flooring never misses an event.
    let now = vault.now();
    let taken_at = Utc
        .timestamp_opt(now.timestamp(), 0)
        .single()
        .ok_or_else(|| EngineError::Storage("the clock is out of range".into()))?;
    let file = dir.join(backup_file_name(taken_at));
    let partial = dir.join(format!(
        ".{}.partial",
        file.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("backup")
    ));
    if file.exists() {
        return Err(EngineError::Conflict(crate::error::Refusal::new(
            "backup_exists",
            format!(
                "une sauvegarde de cet instant existe déjà : {}",
                file.display()
            ),
            format!(
                "a backup of this instant already exists: {}",
                file.display()
            ),
        )));
    }
    let ring = kek_ring(&vault.paths)?;
    let schema = vault.store.schema_version()?;
    let meta = BackupMeta {
        compression,
        ..BackupMeta::new(taken_at.timestamp(), schema)
    };
    let out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| io_err("cannot create", &partial, e))?;
    let result = (|| -> Result<&'static str> {
        let mut writer = BackupWriter::new(BufWriter::new(out), &ring, meta).map_err(backup_err)?;
        let backend = match &vault.paths.postgres {
            None => {
                writer
                    .write_all(SQLITE_LINE.as_bytes())
                    .map_err(|e| io_err("cannot write", &partial, e))?;
                let snapshot = dir.join(format!(".snapshot-{}.db", taken_at.timestamp()));
                let _ = fs::remove_file(&snapshot);
                habeas_store::sqlite::snapshot_into(&vault.paths.data_db, &snapshot)?;
                let copied = File::open(&snapshot)
                    .and_then(|mut f| copy_large(&mut f, &mut writer))
                    .map_err(|e| io_err("cannot copy the snapshot", &snapshot, e));
                let _ = fs::remove_file(&snapshot);
                copied?;
                "sqlite"
            }
            Some(pg) => {
                writer
                    .write_all(POSTGRES_LINE.as_bytes())
                    .map_err(|e| io_err("cannot write", &partial, e))?;
                pg_dump_into(&pg.data, &mut writer)?;
                "postgres"
            }
        };
        let mut out = writer.finish().map_err(backup_err)?;
        out.flush()
            .map_err(|e| io_err("cannot write", &partial, e))?;
        out.into_inner()
            .map_err(|e| io_err("cannot write", &partial, e.error()))?
            .sync_all()
            .map_err(|e| io_err("cannot sync", &partial, e))?;
        Ok(backend)
    })();
    let backend = match result {
        Ok(b) => b,
        Err(e) => {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    };
    fs::rename(&partial, &file).map_err(|e| io_err("cannot rename", &partial, e))?;
    let bytes = fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    vault.journal_admin(
        &Caller::operator("backup", "administration"),
        "backup.create",
        format!(
            "backend={backend} taken_at={} bytes={bytes}",
            taken_at.to_rfc3339()
        ),
    )?;
    Ok(BackupInfo {
        file,
        taken_at,
        bytes,
        backend,
    })
}

fn create_dir_private(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| io_err("cannot create", dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// Every Habeas backup file of `dir`, oldest first (headers only: no key needed).
pub fn list_backups(dir: &Path) -> Result<Vec<BackupListing>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err("cannot read", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_err("cannot read", dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if parse_backup_file_name(&name).is_none() {
            continue;
        }
        let path = entry.path();
        let mut f = File::open(&path).map_err(|e| io_err("cannot open", &path, e))?;
        let header = format::read_header(&mut f)
            .map_err(|e| EngineError::Storage(format!("{}: {e}", path.display())))?;
        let taken_at = Utc
            .timestamp_opt(header.meta.created_at, 0)
            .single()
            .ok_or_else(|| EngineError::Storage(format!("{}: bad time", path.display())))?;
        out.push(BackupListing {
            bytes: entry.metadata().map(|m| m.len()).unwrap_or(0),
            file: path,
            taken_at,
            kek: header.kek_id().to_string(),
            schema_version: header.meta.source_schema_version,
        });
    }
    out.sort_by_key(|b| b.taken_at);
    Ok(out)
}

/// Authenticate every chunk of `file` with the vault's KEK, writing nothing.
pub fn verify_backup(paths: &VaultPaths, file: &Path) -> Result<VerifyOutcome> {
    let ring = kek_ring(paths)?;
    let f = File::open(file).map_err(|e| io_err("cannot open", file, e))?;
    let report = format::verify(BufReader::new(f), &ring)
        .map_err(|e| EngineError::Storage(format!("{}: {e}", file.display())))?;
    Ok(VerifyOutcome {
        taken_at: Utc
            .timestamp_opt(report.header.meta.created_at, 0)
            .single()
            .unwrap_or_default(),
        chunks: report.chunks,
        content_bytes: report.content_bytes,
    })
}

/// Apply a grandfather-father-son policy to the backups of `dir`: returns
/// (kept, deleted) file names. Files not named by Habeas are never touched.
pub fn rotate_backups(dir: &Path, policy: &GfsPolicy) -> Result<(Vec<String>, Vec<String>)> {
    // Names only: rotation decides by the time in each name, so a damaged
    // file still rotates out, and a foreign file is never a candidate.
    let mut names: Vec<String> = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_err("cannot read", dir, e))? {
        let entry = entry.map_err(|e| io_err("cannot read", dir, e))?;
        names.push(entry.file_name().to_string_lossy().to_string());
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (keep, delete) = rotate_files(policy, &refs)
        .map_err(|e| EngineError::invalid("bad_rotation_policy", e.to_string(), e.to_string()))?;
    for name in &delete {
        let path = dir.join(name);
        fs::remove_file(&path).map_err(|e| io_err("cannot delete", &path, e))?;
    }
    Ok((
        keep.into_iter().map(str::to_string).collect(),
        delete.into_iter().map(str::to_string).collect(),
    ))
}

/// Restore `file` in place of the vault's data store, then re-apply every
/// tombstone recorded at or after the backup time. The server must be
/// stopped. The ledger is read before anything is replaced.
/// The exclusive lock a running server (or a restore) holds on a SQLite
/// project's data store; released when dropped or when the process ends.
#[derive(Debug)]
pub struct ServeLock {
    _file: Option<File>,
}

impl ServeLock {
    /// Take the lock for `habeas serve` over `vault`'s data store (nothing
    /// to take on PostgreSQL); refused while a restore runs.
    pub fn take(vault: &Vault) -> Result<ServeLock> {
        Self::take_paths(&vault.paths, "serve")
    }

    fn take_paths(paths: &VaultPaths, by: &str) -> Result<ServeLock> {
        if paths.postgres.is_some() {
            return Ok(ServeLock { _file: None });
        }
        let mut name = paths.data_db.clone().into_os_string();
        name.push(".serve-lock");
        let path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err("cannot open the lock file", &path, e))?;
        // Servers share the lock (several may serve one file); a restore
        // takes it alone.
        let taken = if by == "restore" {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match taken {
            Ok(()) => Ok(ServeLock { _file: Some(file) }),
            Err(fs::TryLockError::WouldBlock) => Err(EngineError::Config(if by == "restore" {
                format!(
                    "un serveur `habeas serve` utilise ce projet ({}) : arrêtez-le, puis relancez la restauration ; rien n'a été modifié / a `habeas serve` is running on this project ({}): stop it, then run the restore again; nothing was changed",
                    paths.data_db.display(),
                    paths.data_db.display()
                )
            } else {
                format!(
                    "ce projet ({}) est en cours de restauration : attendez la fin, puis relancez / this project ({}) is being restored: wait for the restore to end, then start again",
                    paths.data_db.display(),
                    paths.data_db.display()
                )
            })),
            Err(fs::TryLockError::Error(e)) => Err(io_err("cannot lock", &path, e)),
        }
    }
}

pub fn restore_backup(
    paths: &VaultPaths,
    decls: &Declarations,
    clock: std::sync::Arc<dyn Clock>,
    file: &Path,
) -> Result<RestoreReport> {
    // Held until the restore ends: no server starts on a half-restored file.
    let _lock = ServeLock::take_paths(paths, "restore")?;
    let ring = kek_ring(paths)?;
    // PostgreSQL: check the whole file before touching the live schema
    // (psql would commit a dump cut short by a damaged chunk). SQLite needs
    // no separate pass: the content is authenticated while it is copied to
    // a staged file, which replaces the store only once the whole backup,
    // final chunk included, has been checked.
    if paths.postgres.is_some() {
        verify_backup(paths, file)?;
    }
    let ledger: Vec<Tombstone> = {
        let vault = Vault::open(paths.clone(), decls.clone(), clock.clone())?;
        LedgerDocs::open(&vault)?.all()?
    };
    let f = File::open(file).map_err(|e| io_err("cannot open", file, e))?;
    let mut reader = BackupReader::open(f, &ring)
        .map_err(|e| EngineError::Storage(format!("{}: {e}", file.display())))?;
    let taken_at = Utc
        .timestamp_opt(reader.header().meta.created_at, 0)
        .single()
        .ok_or_else(|| EngineError::Storage("the backup time is out of range".into()))?;
    let line = read_first_line(&mut reader)
        .map_err(|e| EngineError::Storage(format!("{}: {e}", file.display())))?;
    match (line.as_str(), &paths.postgres) {
        (SQLITE_LINE, None) => restore_sqlite(&paths.data_db, reader, file)?,
        (POSTGRES_LINE, Some(pg)) => restore_postgres(&pg.data, &mut reader)?,
        (SQLITE_LINE, Some(_)) | (POSTGRES_LINE, None) => {
            return Err(EngineError::Config(
                "this backup was made on another storage backend than the project's [storage] url; restore it into a project of the same backend".into(),
            ));
        }
        _ => {
            return Err(EngineError::Storage(format!(
                "{}: the content is not a Habeas data backup",
                file.display()
            )));
        }
    }
    let vault = Vault::open(paths.clone(), decls.clone(), clock)?;
    // A restored PostgreSQL schema is freshly loaded: plan the replay and
    // what follows with statistics.
    vault.refresh_statistics()?;
    let mut report = replay(&vault, &ledger, taken_at)?;
    report.taken_at = Some(taken_at);
    vault.store.purge_remnants()?;
    vault.journal_admin(
        &Caller::operator("backup", "administration"),
        "backup.restore",
        format!(
            "taken_at={} replayed={} erasures={} rectifications={}",
            taken_at.to_rfc3339(),
            report.replayed,
            report.erasures,
            report.rectifications
        ),
    )?;
    Ok(report)
}

/// Re-apply the ledger's events at or after `taken_at` to a restored vault.
pub fn replay(
    vault: &Vault,
    ledger: &[Tombstone],
    taken_at: DateTime<Utc>,
) -> Result<RestoreReport> {
    let caller = Caller::operator("restore", "administration");
    let mut report = RestoreReport::default();
    for t in replay_after(ledger, taken_at) {
        report.replayed += 1;
        match &t.event {
            TombstoneEvent::Erasure {
                subject,
                categories,
            } => {
                report.erasures += 1;
                if vault.store.get_subject(subject)?.is_none() {
                    continue; // created after the backup: not in it
                }
                if categories.is_empty() {
                    vault.shred(&caller, subject)?;
                } else {
                    // The erased categories' keys are destroyed: their
                    // records cannot be opened, so they go as rows, with
                    // their index entries and high-volume rows.
                    for c in categories {
                        vault.erase_category_rows(&caller, subject, c)?;
                    }
                }
            }
            TombstoneEvent::IdentifierRectification {
                subject,
                category,
                record,
                field,
                new_value,
            } => {
                report.rectifications += 1;
                if !rectify_again(vault, &caller, subject, category, record, field, new_value)? {
                    report.rectifications_without_record += 1;
                }
            }
            TombstoneEvent::ConsentWithdrawal { .. } => {
                report.consent_withdrawals.push(t.clone());
            }
        }
    }
    Ok(report)
}

/// Write `new_value` into `field` of the restored record again; false when
/// the backup does not hold the record.
fn rectify_again(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
    category: &str,
    record: &str,
    field: &str,
    new_value: &str,
) -> Result<bool> {
    if vault.store.get_subject(subject)?.is_none() {
        return Ok(false);
    }
    let view = match vault.read(caller, subject, Some(category)) {
        Ok(v) => v,
        Err(EngineError::NotFound(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    let Some(current) = view.records.into_iter().find(|r| r.id == record) else {
        return Ok(false);
    };
    let mut fields: serde_json::Map<String, Value> = current.fields.into_iter().collect();
    fields.insert(field.to_string(), Value::String(new_value.to_string()));
    let input = RecordInput {
        subject: None,
        subject_ref: None,
        category: category.to_string(),
        fields,
        source: Some(current.source),
        purposes: current.purposes,
        collected_at: Some(current.collected_at),
        events: Default::default(),
    };
    vault.replace_record(caller, subject, record, input)?;
    Ok(true)
}

/// Bytes moved per read/write when copying a snapshot in or out: a few
/// thousand system calls for a multi-gigabyte store instead of a million.
const COPY_BUFFER: usize = 1024 * 1024;

/// `io::copy` with a large buffer (zeroed when done: it held vault bytes).
fn copy_large(from: &mut impl Read, to: &mut impl Write) -> io::Result<u64> {
    let mut buf = zeroize::Zeroizing::new(vec![0u8; COPY_BUFFER]);
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// The content's first line (the backend), read byte by byte so that
/// nothing after it is consumed; at most 64 bytes.
fn read_first_line(reader: &mut impl Read) -> std::result::Result<String, format::BackupError> {
    let mut line = Vec::with_capacity(32);
    let mut byte = [0u8; 1];
    while line.len() < 64 {
        if reader.read(&mut byte)? == 0 {
            break;
        }
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Copy the backup's SQLite file into `<data db>.restoring`, authenticating
/// every chunk on the way, and replace the data store with it only when
/// the whole backup proved sound (a damaged backup leaves the store as it
/// was) and the staged file opens as a Habeas store.
fn restore_sqlite<R: Read>(
    data_db: &Path,
    mut content: BackupReader<R>,
    file: &Path,
) -> Result<()> {
    let damaged = |e: format::BackupError| EngineError::Storage(format!("{}: {e}", file.display()));
    let dir = data_db.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io_err("cannot create", dir, e))?;
    let staged = data_db.with_extension("db.restoring");
    let _ = fs::remove_file(&staged);
    {
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged)
            .map_err(|e| io_err("cannot create", &staged, e))?;
        let copied = copy_large(&mut content, &mut out)
            .map_err(|e| damaged(format::BackupError::from(e)))
            .and_then(|_| content.finish().map_err(damaged))
            .and_then(|_| {
                out.sync_all()
                    .map_err(|e| io_err("cannot sync", &staged, e))
            });
        if let Err(e) = copied {
            drop(out);
            let _ = fs::remove_file(&staged);
            return Err(e);
        }
    }
    // The staged file must open as a Habeas data store before it replaces anything.
    if let Err(e) = habeas_store::sqlite::SqliteStore::open(&staged) {
        let _ = fs::remove_file(&staged);
        return Err(e.into());
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", staged.display()));
        let _ = fs::remove_file(side);
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", data_db.display()));
        match fs::remove_file(&side) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("cannot remove", &side, e)),
        }
    }
    fs::rename(&staged, data_db).map_err(|e| io_err("cannot replace", data_db, e))?;
    Ok(())
}

/// A libpq connection string (our `schema=` parameter removed) and the schema.
fn libpq_url(url: &str) -> (String, String) {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut schema = "habeas".to_string();
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("schema", name)) => schema = name.to_string(),
            _ => kept.push(pair),
        }
    }
    if kept.is_empty() {
        (base.to_string(), schema)
    } else {
        (format!("{base}?{}", kept.join("&")), schema)
    }
}

/// Whether `pg_dump` and `psql` can be run (PostgreSQL backups need them).
pub fn pg_tools_available() -> bool {
    ["pg_dump", "psql"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn tool_missing(tool: &str, e: io::Error) -> EngineError {
    EngineError::Config(format!(
        "cannot run `{tool}` ({e}): PostgreSQL backups need the PostgreSQL client tools (Debian: apt-get install postgresql-client)"
    ))
}

fn pg_dump_into(url: &str, out: &mut impl Write) -> Result<()> {
    let (conn, schema) = libpq_url(url);
    let mut child = Command::new("pg_dump")
        .args([
            "--no-owner",
            "--no-privileges",
            "--format=plain",
            "--schema",
        ])
        .arg(&schema)
        .arg("--dbname")
        .arg(&conn)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_missing("pg_dump", e))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| EngineError::Storage("pg_dump gave no output".into()))?;
    let copied = io::copy(&mut stdout, out);
    let output = child
        .wait_with_output()
        .map_err(|e| tool_missing("pg_dump", e))?;
    if !output.status.success() {
        return Err(EngineError::Storage(format!(
            "pg_dump failed ({}): {}",
            output.status,
            first_line(&output.stderr)
        )));
    }
    copied.map_err(|e| EngineError::Storage(format!("cannot write the dump: {e}")))?;
    Ok(())
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

fn restore_postgres(url: &str, content: &mut impl Read) -> Result<()> {
    let (conn, schema) = libpq_url(url);
    let quoted = habeas_store::postgres::quote_ident(&schema);
    let mut child = Command::new("psql")
        .args([
            "--quiet",
            "--no-psqlrc",
            "-v",
            "ON_ERROR_STOP=1",
            "--single-transaction",
        ])
        .arg("--dbname")
        .arg(&conn)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_missing("psql", e))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| EngineError::Storage("psql took no input".into()))?;
    // One transaction: the old schema goes only if the whole dump loads.
    // The dump's indexes are built after its rows are copied; with the
    // default 64 MB of sort memory the blind index of millions of entries
    // spills to disk (this session only).
    let fed = stdin
        .write_all(
            format!(
                "SET maintenance_work_mem = '512MB';\nDROP SCHEMA IF EXISTS {quoted} CASCADE;\n"
            )
            .as_bytes(),
        )
        .and_then(|_| io::copy(content, &mut stdin).map(|_| ()));
    drop(stdin);
    let output = child
        .wait_with_output()
        .map_err(|e| tool_missing("psql", e))?;
    if let Err(e) = fed {
        return Err(EngineError::Storage(format!(
            "cannot feed the dump to psql: {}",
            format::BackupError::from(e)
        )));
    }
    if !output.status.success() {
        return Err(EngineError::Storage(format!(
            "psql failed to load the backup ({}): {}",
            output.status,
            first_line(&output.stderr)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_schema_parameter_never_reaches_libpq() {
        assert_eq!(
            libpq_url("postgres://u@h:5432/db?schema=acme&sslmode=disable"),
            (
                "postgres://u@h:5432/db?sslmode=disable".to_string(),
                "acme".to_string()
            )
        );
        assert_eq!(
            libpq_url("postgres://u@h/db"),
            ("postgres://u@h/db".to_string(), "habeas".to_string())
        );
    }
}
