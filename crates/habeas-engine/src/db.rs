//! The vault's SQLite files, opened by the engine itself.
//!
//! **Stop-gap, to reconcile with `habeas-store`:** the shared storage crate
//! was not available when the engine was written, so this module holds the
//! minimal schema the engine needs (subjects, sealed records with an indexed
//! retention due date, blind indexes, time partitions for high-volume
//! categories, the journal, tokens) and the separate key store. Once
//! `habeas-store` offers the same operations, the engine's calls move there
//! and this file goes.
//!
//! Settings shipped (RELIABILITY.md §0.1, §0.2, §0.8): WAL, `synchronous =
//! FULL` (an acknowledged write survives power loss, not only a process
//! kill — a kill test cannot tell FULL from NORMAL, so FULL is the safe
//! default and group commit pays for it), `secure_delete = ON` (a deleted
//! wrapped key or digest leaves no bytes in free pages), bundled SQLite
//! 3.54.1 through rusqlite 0.43.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::Connection;

use crate::error::Result;

const DATA_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS subjects (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, category TEXT NOT NULL,
    collected_at INTEGER NOT NULL, source TEXT NOT NULL, purposes TEXT NOT NULL,
    events TEXT NOT NULL, due_at INTEGER, payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_subject ON records (subject_id, category);
CREATE INDEX IF NOT EXISTS records_due ON records (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS blind_index (
    digest BLOB NOT NULL, subject_id TEXT NOT NULL, category TEXT NOT NULL, record_id TEXT NOT NULL,
    PRIMARY KEY (digest, subject_id, category, record_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blind_index_subject ON blind_index (subject_id);
CREATE TABLE IF NOT EXISTS partitions (
    name TEXT PRIMARY KEY, category TEXT NOT NULL, starts INTEGER NOT NULL, ends INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT, category TEXT, purpose TEXT, outcome TEXT NOT NULL, hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_checkpoints (
    entries INTEGER PRIMARY KEY, body BLOB NOT NULL, signature BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1), entries INTEGER NOT NULL, head BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, digest BLOB NOT NULL, purposes TEXT NOT NULL,
    categories TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER
);
";

const KEY_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS data_keys (
    subject_id TEXT NOT NULL, category TEXT NOT NULL, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL,
    PRIMARY KEY (subject_id, category)
) WITHOUT ROWID;
";

fn pragmas(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 64 MiB of page cache: B-tree inserts of random ids stop re-reading pages.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// Open (creating if needed) the data database.
pub fn open_data(path: &Path) -> Result<Connection> {
    create_parent(path)?;
    let conn = Connection::open(path)?;
    pragmas(&conn)?;
    conn.execute_batch(DATA_SCHEMA)?;
    Ok(conn)
}

/// Open the key store: a separate file in its own directory, never part of
/// a data backup (issue 3 point 3).
pub fn open_keys(path: &Path) -> Result<Connection> {
    create_parent(path)?;
    let conn = Connection::open(path)?;
    pragmas(&conn)?;
    conn.execute_batch(KEY_SCHEMA)?;
    Ok(conn)
}

fn create_parent(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            crate::error::EngineError::Storage(format!("cannot create {}: {e}", parent.display()))
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700));
        }
    }
    Ok(())
}

/// Read-only connections on WAL snapshots, reused across calls.
pub struct ReaderPool {
    path: std::path::PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    pub fn new(path: &Path) -> Self {
        ReaderPool {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Run `f` on a reader connection.
    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.path)?;
                c.busy_timeout(std::time::Duration::from_secs(10))?;
                c.pragma_update(None, "query_only", "ON")?;
                c
            }
        };
        let out = f(&conn);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < 16
        {
            idle.push(conn);
        }
        out
    }
}

/// Table name of a time partition of a high-volume category.
pub fn partition_table(category: &str, bucket: &str) -> Option<String> {
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    (safe(category) && safe(bucket)).then(|| format!("hv_{category}__{bucket}"))
}

/// Create a partition table shaped like `records` if it does not exist.
pub fn ensure_partition(
    conn: &Connection,
    table: &str,
    category: &str,
    starts: i64,
    ends: i64,
) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (
            id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, category TEXT NOT NULL,
            collected_at INTEGER NOT NULL, source TEXT NOT NULL, purposes TEXT NOT NULL,
            events TEXT NOT NULL, due_at INTEGER, payload BLOB NOT NULL);
         CREATE INDEX IF NOT EXISTS {table}_subject ON {table} (subject_id);"
    ))?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO partitions (name, category, starts, ends) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(rusqlite::params![table, category, starts, ends])?;
    Ok(())
}
