//! [`PgKeyStore`]: wrapped data keys in their own schema (default `habeas_keys`), ideally
//! reached with their own URL and credentials so that the data role cannot read them.
//!
//! A shred deletes the rows and then runs `VACUUM FULL` of the hash partitions that held them
//! (`data_keys_<n>`, [`KEY_PARTITIONS`] by subject, migration 2), which rewrites each into a new
//! file and removes the old one, so no dead tuple keeps the wrapped key in the table files —
//! and a shred rewrites a sixty-fourth of the keys, not all of them. PostgreSQL cannot erase what already left the table: WAL segments (until
//! recycled), WAL archives, replicas' WAL and base backups keep the old bytes — see
//! docs/storage.md for the epoch-KEK answer (RELIABILITY.md §1.8 (a), (c)).

use super::conn::Db;
use super::pool::Pool;
use super::{POOL_SIZE, conflict, migrate, parse_url, schema_version};
use crate::KeyStore;
use crate::error::Result;
use crate::migrations::POSTGRES_KEYS;
use crate::model::WrappedKey;

/// The PostgreSQL key store.
pub struct PgKeyStore {
    pool: Pool,
}

impl PgKeyStore {
    /// Connect, create the schema if needed and migrate.
    pub fn open(url: &str) -> Result<Self> {
        let (config, schema) = parse_url(url, "habeas_keys")?;
        let pool = Pool::new(config, schema, POOL_SIZE);
        pool.with(|c| migrate(c, pool.schema(), POSTGRES_KEYS, "keys"))?;
        Ok(Self { pool })
    }

    /// Schema version of the key store.
    pub fn schema_version(&self) -> Result<u32> {
        self.pool.with(schema_version)
    }

    /// Drop the whole schema (tests).
    pub fn drop_schema(self) -> Result<()> {
        let q = format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            super::quote_ident(self.pool.schema())
        );
        self.pool.with(|c| Ok(c.batch_execute(&q)?))
    }
}

fn key(r: &::postgres::Row) -> Result<WrappedKey> {
    Ok(WrappedKey {
        subject_id: r.try_get(0)?,
        category: r.try_get(1)?,
        kek_id: r.try_get(2)?,
        wrapped: r.try_get(3)?,
    })
}

impl KeyStore for PgKeyStore {
    fn put_keys(&self, keys: &[WrappedKey]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        // One statement for the batch (all or nothing, one round trip).
        let subjects: Vec<&str> = keys.iter().map(|k| k.subject_id.as_str()).collect();
        let categories: Vec<&str> = keys.iter().map(|k| k.category.as_str()).collect();
        let keks: Vec<&str> = keys.iter().map(|k| k.kek_id.as_str()).collect();
        let wrapped: Vec<&[u8]> = keys.iter().map(|k| k.wrapped.as_slice()).collect();
        let id = match keys {
            [k] => format!("{}/{}", k.subject_id, k.category),
            _ => "(one key of the batch)".to_string(),
        };
        self.pool.with(|c| {
            c.execute(
                "INSERT INTO data_keys (subject_id, category, kek_id, wrapped) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[])",
                &[&subjects, &categories, &keks, &wrapped],
            )
            .map_err(|e| conflict(e, "data key", &id))?;
            Ok(())
        })
    }

    fn get_key(&self, subject_id: &str, category: &str) -> Result<Option<WrappedKey>> {
        self.pool.with(|c| {
            c.query_opt(
                "SELECT subject_id, category, kek_id, wrapped FROM data_keys WHERE subject_id = $1 AND category = $2",
                &[&subject_id, &category],
            )?
            .as_ref()
            .map(key)
            .transpose()
        })
    }

    fn subject_keys(&self, subject_id: &str) -> Result<Vec<WrappedKey>> {
        self.pool.with(|c| {
            c.query(
                "SELECT subject_id, category, kek_id, wrapped FROM data_keys WHERE subject_id = $1 \
                 ORDER BY category COLLATE \"C\"",
                &[&subject_id],
            )?
            .iter()
            .map(key)
            .collect()
        })
    }

    fn keys_of_subjects(&self, subject_ids: &[String], category: &str) -> Result<Vec<WrappedKey>> {
        self.pool.with(|c| {
            c.query(
                "SELECT subject_id, category, kek_id, wrapped FROM data_keys \
                 WHERE subject_id = ANY($1) AND category = $2",
                &[&subject_ids, &category],
            )?
            .iter()
            .map(key)
            .collect()
        })
    }

    fn list_keys(&self, after: Option<(&str, &str)>, limit: usize) -> Result<Vec<WrappedKey>> {
        let (s, cat) = after.map_or((None, None), |(s, c)| (Some(s), Some(c)));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // The resume point only when there is one: a cached statement may run on a generic
        // plan, which cannot drop `$1 IS NULL OR …` and would scan every key for each page.
        let sql = if after.is_some() {
            "SELECT subject_id, category, kek_id, wrapped FROM data_keys \
             WHERE (subject_id COLLATE \"C\", category COLLATE \"C\") > ($1::text COLLATE \"C\", $2::text COLLATE \"C\") \
             ORDER BY subject_id COLLATE \"C\", category COLLATE \"C\" LIMIT $3"
        } else {
            "SELECT subject_id, category, kek_id, wrapped FROM data_keys \
             WHERE $1::text IS NULL AND $2::text IS NULL \
             ORDER BY subject_id COLLATE \"C\", category COLLATE \"C\" LIMIT $3"
        };
        self.pool
            .with(|c| c.query(sql, &[&s, &cat, &limit])?.iter().map(key).collect())
    }

    fn replace_wrapped(&self, keys: &[WrappedKey]) -> Result<u64> {
        let subjects: Vec<&str> = keys.iter().map(|k| k.subject_id.as_str()).collect();
        let categories: Vec<&str> = keys.iter().map(|k| k.category.as_str()).collect();
        let keks: Vec<&str> = keys.iter().map(|k| k.kek_id.as_str()).collect();
        let wrapped: Vec<&[u8]> = keys.iter().map(|k| k.wrapped.as_slice()).collect();
        self.pool.with(|c| {
            Ok(c.execute(
                "UPDATE data_keys d SET kek_id = t.kek_id, wrapped = t.wrapped \
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) \
                 AS t(subject_id, category, kek_id, wrapped) \
                 WHERE d.subject_id = t.subject_id AND d.category = t.category",
                &[&subjects, &categories, &keks, &wrapped],
            )?)
        })
    }

    fn shred(&self, subject_id: &str, category: Option<&str>) -> Result<u64> {
        self.pool.with(|c| {
            let n = c.execute(
                "DELETE FROM data_keys WHERE subject_id = $1 AND ($2::text IS NULL OR category = $2)",
                &[&subject_id, &category],
            )?;
            // Also when nothing was deleted: a shred retried after a failed rewrite.
            rewrite_partitions(c, &[subject_id])?;
            Ok(n)
        })
    }

    fn shred_many(&self, targets: &[(String, Option<String>)]) -> Result<Vec<u64>> {
        self.pool.with(|c| {
            let mut tx = c.transaction()?;
            let mut out = Vec::with_capacity(targets.len());
            for (subject_id, category) in targets {
                out.push(tx.execute(
                    "DELETE FROM data_keys WHERE subject_id = $1 AND ($2::text IS NULL OR category = $2)",
                    &[subject_id, category],
                )?);
            }
            tx.commit()?;
            // VACUUM cannot run inside a transaction: once per partition, after the commit.
            let subjects: Vec<&str> = targets.iter().map(|(s, _)| s.as_str()).collect();
            rewrite_partitions(c, &subjects)?;
            Ok(out)
        })
    }
}

/// Hash partitions of `data_keys` (migration 2).
pub const KEY_PARTITIONS: i32 = 64;

/// `VACUUM FULL` of the partitions that hold (or would hold) `subjects`' keys, found by
/// PostgreSQL's own partition routing (`satisfies_hash_partition`).
fn rewrite_partitions(c: &mut impl Db, subjects: &[&str]) -> Result<()> {
    let remainders: Vec<i32> = c
        .query(
            "SELECT DISTINCT r FROM unnest($1::text[]) AS s(id), generate_series(0, $2 - 1) AS r \
             WHERE satisfies_hash_partition('data_keys'::regclass, $2, r, s.id) ORDER BY r",
            &[&subjects, &KEY_PARTITIONS],
        )?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
    for r in remainders {
        // One statement per call: VACUUM is refused inside a transaction block.
        c.batch_execute(&format!("VACUUM FULL data_keys_{r}"))?;
    }
    Ok(())
}
