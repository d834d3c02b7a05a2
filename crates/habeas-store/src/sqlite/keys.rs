//! [`SqliteKeyStore`]: wrapped data keys in their own SQLite file, in their own directory
//! (mode 0700, file 0600), never inside the data directory or its backups.
//!
//! A shred deletes the rows with `secure_delete=ON` (the page bytes are zeroed) and then runs
//! `wal_checkpoint(TRUNCATE)` before answering, so the wrapped key survives neither in the
//! database file nor in the WAL (RELIABILITY.md §0.1, measured: without both, the 41-byte
//! wrapped key stayed readable and the online backup API copied it).

use std::path::{Path, PathBuf};

use rusqlite::params;

use super::rows::{collect, conflict};
use super::writer::{Readers, Writer};
use super::{open_files, schema_version};
use crate::KeyStore;
use crate::error::Result;
use crate::migrations::SQLITE_KEYS;
use crate::model::WrappedKey;

/// The SQLite key store.
pub struct SqliteKeyStore {
    path: PathBuf,
    writer: Writer,
    readers: Readers,
}

impl SqliteKeyStore {
    /// Open (creating if needed) the key store at `path`; its directory is made private.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let (writer, readers) = open_files(&path, SQLITE_KEYS, true)?;
        Ok(Self {
            writer: Writer::start(writer, "keys")?,
            readers: Readers::new(readers),
            path,
        })
    }

    /// Write a compact, remnant-free copy to `dest` (which must not exist) with `VACUUM INTO`.
    /// Readers and the writer keep working meanwhile.
    pub fn backup_into(&self, dest: impl AsRef<Path>) -> Result<()> {
        super::vacuum_into(&self.path, dest.as_ref())
    }

    /// The key-store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Schema version of the key store.
    pub fn schema_version(&self) -> Result<u32> {
        self.readers.read(schema_version)
    }
}

/// A page of keys in (subject, category) order after `(?1, ?2)`, at most `?3`. The resume point
/// is spelled only when there is one: `?1 IS NULL OR (…) > (…)` scanned the whole key store for
/// every page of a rotation (quadratic in the keys).
fn list_keys_sql(resume: bool) -> &'static str {
    if resume {
        "SELECT subject_id, category, kek_id, wrapped FROM data_keys \
         WHERE (subject_id, category) > (?1, ?2) ORDER BY subject_id, category LIMIT ?3"
    } else {
        "SELECT subject_id, category, kek_id, wrapped FROM data_keys \
         WHERE ?1 IS NULL AND ?2 IS NULL ORDER BY subject_id, category LIMIT ?3"
    }
}

fn key(r: &rusqlite::Row<'_>) -> Result<WrappedKey> {
    Ok(WrappedKey {
        subject_id: r.get(0)?,
        category: r.get(1)?,
        kek_id: r.get(2)?,
        wrapped: r.get(3)?,
    })
}

impl KeyStore for SqliteKeyStore {
    fn put_keys(&self, keys: &[WrappedKey]) -> Result<()> {
        let keys = keys.to_vec();
        self.writer.write(move |c| {
            let mut stmt = c.prepare_cached(
                "INSERT INTO data_keys (subject_id, category, kek_id, wrapped) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for k in &keys {
                stmt.execute(params![k.subject_id, k.category, k.kek_id, k.wrapped])
                    .map_err(|e| conflict(e, "data key", &format!("{}/{}", k.subject_id, k.category)))?;
            }
            Ok(())
        })
    }

    fn get_key(&self, subject_id: &str, category: &str) -> Result<Option<WrappedKey>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT subject_id, category, kek_id, wrapped FROM data_keys WHERE subject_id = ?1 AND category = ?2",
            )?;
            Ok(collect(&mut stmt, params![subject_id, category], key)?.into_iter().next())
        })
    }

    fn subject_keys(&self, subject_id: &str) -> Result<Vec<WrappedKey>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT subject_id, category, kek_id, wrapped FROM data_keys WHERE subject_id = ?1 ORDER BY category",
            )?;
            collect(&mut stmt, [subject_id], key)
        })
    }

    fn keys_of_subjects(&self, subject_ids: &[String], category: &str) -> Result<Vec<WrappedKey>> {
        let ids = super::rows::to_json(&subject_ids)?;
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT subject_id, category, kek_id, wrapped FROM data_keys \
                 WHERE subject_id IN (SELECT value FROM json_each(?1)) AND category = ?2",
            )?;
            collect(&mut stmt, params![ids, category], key)
        })
    }

    fn list_keys(&self, after: Option<(&str, &str)>, limit: usize) -> Result<Vec<WrappedKey>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (s, c2) = after.map_or((None, None), |(s, c)| (Some(s), Some(c)));
        let sql = list_keys_sql(after.is_some());
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            collect(&mut stmt, params![s, c2, limit], key)
        })
    }

    fn replace_wrapped(&self, keys: &[WrappedKey]) -> Result<u64> {
        let keys = keys.to_vec();
        self.writer.write(move |c| {
            let mut stmt = c.prepare_cached(
                "UPDATE data_keys SET kek_id = ?3, wrapped = ?4 WHERE subject_id = ?1 AND category = ?2",
            )?;
            let mut n = 0u64;
            for k in &keys {
                n += stmt.execute(params![k.subject_id, k.category, k.kek_id, k.wrapped])? as u64;
            }
            Ok(n)
        })
    }

    fn shred(&self, subject_id: &str, category: Option<&str>) -> Result<u64> {
        let (subject_id, category) = (subject_id.to_string(), category.map(str::to_string));
        self.writer.write_and_checkpoint(move |c| {
            Ok(c.prepare_cached(
                "DELETE FROM data_keys WHERE subject_id = ?1 AND (?2 IS NULL OR category = ?2)",
            )?
            .execute(params![subject_id, category])? as u64)
        })
    }

    fn shred_many(&self, targets: &[(String, Option<String>)]) -> Result<Vec<u64>> {
        let targets = targets.to_vec();
        // One writer job is one transaction; the checkpoint follows its commit.
        self.writer.write_and_checkpoint(move |c| {
            let mut stmt = c.prepare_cached(
                "DELETE FROM data_keys WHERE subject_id = ?1 AND (?2 IS NULL OR category = ?2)",
            )?;
            let mut out = Vec::with_capacity(targets.len());
            for (subject_id, category) in &targets {
                out.push(stmt.execute(params![subject_id, category])? as u64);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_keys_starts_at_its_resume_point() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.db");
        drop(SqliteKeyStore::open(&path).expect("migrated"));
        let c = rusqlite::Connection::open(&path).expect("open");
        let plan = |sql: &str, s: Option<&str>| -> String {
            let mut stmt = c
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("prepare");
            stmt.query_map(params![s, s, 10], |r| r.get::<_, String>(3))
                .expect("plan")
                .collect::<std::result::Result<Vec<_>, _>>()
                .expect("rows")
                .join("; ")
        };
        let next = plan(list_keys_sql(true), Some("sub_1"));
        assert!(
            !next.contains("SCAN"),
            "a rotation's page scans every key: {next}"
        );
        assert!(next.contains("(subject_id,category)>(?,?)"), "{next}");
    }
}
