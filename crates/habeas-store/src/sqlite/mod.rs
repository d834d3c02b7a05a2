//! The embedded SQLite backend (the default).
//!
//! Every connection: WAL (writer: `wal_autocheckpoint=8192`, fewer checkpoint fsyncs in bulk
//! loads; the data store's checkpoints run on their own thread instead, `checkpointer.rs`, so
//! that no commit waits for one), `synchronous=FULL` (an acknowledged write survives power
//! loss; group commit makes the fsync per batch affordable — see docs/storage.md), `secure_delete=ON`
//! (deleted bytes are zeroed, RELIABILITY.md §0.1), `busy_timeout=5000`, `temp_store=MEMORY`.
//! Writes go through one writer thread ([`writer`]); reads use a small connection pool.
//! Use a local disk: SQLite on a network file system corrupts or locks (STYLE.md (d) 7).

mod batch;
mod blind;
mod checkpointer;
mod incident;
mod keys;
mod multi;
mod rows;
mod steps;
mod store;
mod subject_event;
mod timed;
mod walbuf;
pub mod writer;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use keys::SqliteKeyStore;
pub(crate) use rows::json_list;
pub use store::SqliteStore;

use crate::error::{Result, StoreError};
use crate::migrations::{self, Migration};

/// Reader connections per store.
pub const READERS: usize = 4;

/// Turn `sqlite:///abs/path`, `sqlite://rel/path`, `sqlite:path` or a plain path into a path.
pub fn path_from_url(url: &str) -> Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if rest.is_empty() || rest.contains('?') || rest == ":memory:" {
        return Err(StoreError::BadUrl(format!(
            "`{url}`: expected sqlite:///absolute/path.db or a file path (no query string, no :memory: — \
             each pooled connection would get its own database)"
        )));
    }
    Ok(PathBuf::from(rest))
}

fn configure(conn: &Connection, writer: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_millis(5000))?;
    // One plan per statement whatever its bindings. Without it, SQLite (3.5x) marks a
    // statement whose `col = ?` terms it weighed by their bound values "to re-prepare if a
    // binding changes", and rusqlite's statement cache clears the bindings of every
    // statement handed back to it: each use of a cached statement parsed and planned it
    // again — 14 % of an import matching existing subjects, on every blind-index lookup
    // (docs/benchmarks-vault.md, session 24). Our statements do not rely on bound values
    // for their plans: partial indexes are matched by literal terms (`status <> 'active'`,
    // `retention_due IS NOT NULL`), there is no LIKE, and no ANALYZE statistics exist.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    if writer {
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Invalid(format!(
                "could not switch to WAL (journal_mode={mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        // 8 MiB. At the end of every write transaction in which a B-tree split renumbered its
        // pages, SQLite's page cache walks all its pages (benchmarks-vault.md, "Why every
        // COMMIT walks the writer's page cache"): with 32 MiB that walk was 5 % of the
        // samples of an HTTP read load, 1.6 % with 8 MiB. Bulk ingest and purge measured no
        // slower with 8 MiB or even 2 MiB (their working sets exceed any of these caches and
        // the OS page cache serves the misses), and peak memory is lower (session 10).
        conn.pragma_update(None, "cache_size", -8_192)?;
        conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
        // The writer runs every kind of write, the bulk ones with a one-row and a multi-row
        // statement each (multi.rs): more than rusqlite's default 16 cached statements.
        conn.set_prepared_statement_cache_capacity(64);
    } else {
        conn.pragma_update(None, "query_only", "ON")?;
        conn.pragma_update(None, "cache_size", -8_192)?;
    }
    Ok(())
}

fn open_conn(path: &Path, writer: bool) -> Result<Connection> {
    let flags = if writer {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    // A writing connection gathers its WAL frames and writes them at the commit's sync
    // (`walbuf`; writers run with `synchronous=FULL`, `configure`).
    let conn = match writer.then(walbuf::register) {
        Some(Ok(())) => Connection::open_with_flags_and_vfs(path, flags, walbuf::NAME)?,
        Some(Err(why)) => {
            tracing::warn!(%why, "SQLite WAL write gathering unavailable; opening with the default VFS");
            Connection::open_with_flags(path, flags)?
        }
        None => Connection::open_with_flags(path, flags)?,
    };
    configure(&conn, writer)?;
    Ok(conn)
}

fn ensure_parent(path: &Path, private: bool) -> Result<()> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(
            |source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            },
        )?;
    }
    Ok(())
}

/// Open the writer connection, apply migrations, open readers.
fn open_files(
    path: &Path,
    list: &[Migration],
    private: bool,
) -> Result<(Connection, Vec<Connection>)> {
    ensure_parent(path, private)?;
    let mut writer = open_conn(path, true)?;
    if private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| StoreError::Io {
                path: path.display().to_string(),
                source,
            },
        )?;
    }
    migrate(&mut writer, list)?;
    let readers = (0..READERS)
        .map(|_| open_conn(path, false))
        .collect::<Result<Vec<_>>>()?;
    Ok((writer, readers))
}

/// Apply pending migrations, each in its own IMMEDIATE transaction.
pub fn migrate(conn: &mut Connection, list: &[Migration]) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let applied = {
        let mut stmt = tx.prepare("SELECT version, sha256 FROM schema_version")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let pending = migrations::plan(list, &applied)?;
    for m in pending {
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, sha256, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![m.version, m.sha256(), chrono::Utc::now().timestamp_micros()],
        )?;
        tracing::info!(version = m.version, "applied SQLite migration");
    }
    tx.commit()?;
    Ok(())
}

/// Copy the live pages of the database at `source` into a new file `dest` with `VACUUM INTO`:
/// a consistent snapshot without free pages or WAL frames, so deleted bytes are not carried
/// into backups (RELIABILITY.md §0.1: the online backup API copies them). `dest` must not exist.
pub fn vacuum_into(source: &Path, dest: &Path) -> Result<()> {
    vacuum(source, dest, true)
}

/// [`vacuum_into`] for a temporary snapshot that is read once and deleted (the encrypted
/// backup's source): `dest` is written without fsync, since forcing it to disk would only add
/// its whole size to the disk's work, and a crash leaves no backup, never a bad one.
pub fn snapshot_into(source: &Path, dest: &Path) -> Result<()> {
    vacuum(source, dest, false)
}

fn vacuum(source: &Path, dest: &Path, durable: bool) -> Result<()> {
    if dest.exists() {
        return Err(StoreError::Invalid(format!(
            "backup target {} already exists: choose a new file name",
            dest.display()
        )));
    }
    let dest_text = dest.to_str().ok_or_else(|| {
        StoreError::Invalid(format!(
            "backup target {} is not valid UTF-8",
            dest.display()
        ))
    })?;
    let conn = open_conn(source, false)?;
    conn.pragma_update(None, "query_only", "OFF")?;
    // VACUUM INTO writes `dest` with this connection's synchronous level.
    if !durable {
        conn.pragma_update(None, "synchronous", "OFF")?;
    }
    conn.execute("VACUUM INTO ?1", [dest_text])?;
    Ok(())
}

fn schema_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use rusqlite::{OptionalExtension, StatementStatus};

    use super::*;

    /// A cached statement is planned once, not at every use: the blind-index lookup (run for
    /// every find and every reference an import matches) and a subject's read, each run
    /// again and again with new values on a reader connection as the store configures it.
    #[test]
    fn cached_statements_are_not_prepared_again_at_each_use() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("habeas.db");
        let (_writer, readers) = open_files(&path, crate::migrations::SQLITE_DATA, false)
            .expect("open the store's files");
        let reader = &readers[0];
        for i in 0..5u8 {
            blind::find(reader, "email", &[i; 32]).expect("lookup");
            let mut stmt = reader
                .prepare_cached("SELECT status FROM subjects WHERE id = ?1")
                .expect("prepare");
            let _: Option<String> = stmt
                .query_row([format!("sub_{i}")], |r| r.get(0))
                .optional()
                .expect("read");
        }
        let lookup = reader
            .prepare_cached(blind::FIND_SQL)
            .expect("the cached lookup");
        assert_eq!(lookup.get_status(StatementStatus::RePrepare), 0);
        assert_eq!(lookup.get_status(StatementStatus::Run), 5);
        let read = reader
            .prepare_cached("SELECT status FROM subjects WHERE id = ?1")
            .expect("the cached read");
        assert_eq!(read.get_status(StatementStatus::RePrepare), 0);
    }
}
