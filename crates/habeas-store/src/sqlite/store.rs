//! [`SqliteStore`]: the [`Store`] trait on one SQLite file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::rows::{
    self, JOURNAL_COLS, RECORD_COLS, SUBJECT_COLS, TOKEN_COLS, collect, conflict, seq_i64, to_json,
};
use super::writer::{Readers, Writer};
use super::{batch, blind, open_files, schema_version, timed};
use crate::error::{Result, StoreError};
use crate::migrations::SQLITE_DATA;
use crate::model::*;
use crate::time::{from_micros, to_micros};
use crate::{JournalSealer, Store, StoredDoc, UnitOutcome, WriteUnit, time};
use std::sync::Arc;

/// The SQLite data store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Readers,
}

impl SqliteStore {
    /// Open (creating if needed) and migrate the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let (writer, readers) = open_files(&path, SQLITE_DATA, false)?;
        // Checkpoints on their own thread: a caller never waits for one (checkpointer.rs).
        let checkpoints = super::open_conn(&path, true)?;
        Ok(Self {
            writer: Writer::start_with_checkpointer(writer, checkpoints, "data")?,
            readers: Readers::new(readers),
            path,
        })
    }

    /// Write a compact, remnant-free copy to `dest` (which must not exist) with `VACUUM INTO`.
    /// Readers and the writer keep working meanwhile.
    pub fn backup_into(&self, dest: impl AsRef<Path>) -> Result<()> {
        super::vacuum_into(&self.path, dest.as_ref())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A commit's answer per unit: a lone unit runs without a savepoint, so its own error comes
/// back as the whole job's; it is that unit's result, not a failed transaction.
fn per_unit(
    single: bool,
    answer: Result<Vec<Result<UnitOutcome>>>,
) -> Result<Vec<Result<UnitOutcome>>> {
    match answer {
        Err(e)
            if single && !matches!(e, StoreError::CommitFailed(_) | StoreError::WriterGone(_)) =>
        {
            Ok(vec![Err(e)])
        }
        other => other,
    }
}

/// A page of subjects in id order: status `?1`, grace due by `?2`, after id `?3`, at most
/// `?4`. Closed, erased and restricted subjects have an index (`subjects_inactive`, partial:
/// its condition is spelled out so that SQLite may use it); the others are most of the table,
/// walked in id order. The resume point is spelled `id > ?3` only when there is one: written
/// `(?3 IS NULL OR id > ?3)`, SQLite walked the table from its first id on every page, so
/// paging through a million subjects read ~500 million rows (51 s for `habeas stats`; the
/// breach sizing pages the same way).
pub(crate) fn list_subjects_sql(status: Option<SubjectStatus>, resume: bool) -> String {
    let status = match status {
        Some(SubjectStatus::Active) | None => "(?1 IS NULL OR status = ?1)",
        Some(_) => "status = ?1 AND status <> 'active'",
    };
    let after = if resume { "id > ?3" } else { "?3 IS NULL" };
    format!(
        "SELECT {SUBJECT_COLS} FROM subjects WHERE {status} \
         AND (?2 IS NULL OR grace_until <= ?2) AND {after} ORDER BY id LIMIT ?4"
    )
}

/// A page of documents of kind `?1` after id `?2`, at most `?3`. The resume point is spelled
/// only when there is one (as in [`list_subjects_sql`]): `(?2 IS NULL OR id > ?2)` walked every
/// document of the kind from its first id on every page.
pub(crate) fn list_docs_sql(resume: bool) -> &'static str {
    if resume {
        "SELECT kind, id, version, body, updated_at, owner, state FROM documents \
         WHERE kind = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
    } else {
        "SELECT kind, id, version, body, updated_at, owner, state FROM documents \
         WHERE kind = ?1 AND ?2 IS NULL ORDER BY id LIMIT ?3"
    }
}

/// How documents are filed ([`Store::list_docs_of`], [`Store::list_docs_in`]): by owner or by
/// state, each column with its index `documents_by_<column>`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Filing {
    Owner,
    State,
}

/// A kind's documents filed under `?2` and the unfiled ones: two range scans of the filing's
/// index. Named: planning without statistics, SQLite rates `kind = ?` on the primary key as good
/// as `kind = ? AND owner = ?` on this index (which then needs a lookup) and walks every
/// document of the kind. Sorted by the caller, for the same reason.
pub(crate) fn list_filed_sql(filing: Filing) -> &'static str {
    match filing {
        Filing::Owner => {
            "SELECT kind, id, version, body, updated_at, owner, state \
             FROM documents INDEXED BY documents_by_owner WHERE kind = ?1 AND owner = ?2 \
             UNION ALL SELECT kind, id, version, body, updated_at, owner, state \
             FROM documents INDEXED BY documents_by_owner WHERE kind = ?1 AND owner IS NULL"
        }
        Filing::State => {
            "SELECT kind, id, version, body, updated_at, owner, state \
             FROM documents INDEXED BY documents_by_state WHERE kind = ?1 AND state = ?2 \
             UNION ALL SELECT kind, id, version, body, updated_at, owner, state \
             FROM documents INDEXED BY documents_by_state WHERE kind = ?1 AND state IS NULL"
        }
    }
}

impl SqliteStore {
    fn list_filed(&self, filing: Filing, kind: &str, value: &str) -> Result<Vec<StoredDoc>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(list_filed_sql(filing))?;
            let mut docs = collect(&mut stmt, params![kind, value], batch::doc)?;
            docs.sort_unstable_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
            Ok(docs)
        })
    }
}

fn opt_us(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_micros)
}

impl Store for SqliteStore {
    fn schema_version(&self) -> Result<u32> {
        self.readers.read(schema_version)
    }

    fn create_subject(&self, s: &Subject) -> Result<()> {
        let s = s.clone();
        self.writer.write(move |c| batch::create_subject(c, &s))
    }

    fn get_subject(&self, id: &str) -> Result<Option<Subject>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {SUBJECT_COLS} FROM subjects WHERE id = ?1"
            ))?;
            Ok(collect(&mut stmt, [id], rows::subject)?.into_iter().next())
        })
    }

    fn update_subject(&self, s: &Subject) -> Result<()> {
        let s = s.clone();
        self.writer.write(move |c| batch::update_subject(c, &s))
    }

    fn count_subjects(&self) -> Result<u64> {
        self.readers.read(|c| {
            Ok(c.prepare_cached("SELECT COUNT(*) FROM subjects")?
                .query_row([], |r| r.get::<_, i64>(0))?
                .unsigned_abs())
        })
    }

    fn list_subjects(&self, f: &SubjectFilter) -> Result<Vec<Subject>> {
        let limit = i64::try_from(f.limit).unwrap_or(i64::MAX);
        let sql = list_subjects_sql(f.status, f.after_id.is_some());
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            collect(
                &mut stmt,
                params![
                    f.status.map(SubjectStatus::as_str),
                    opt_us(f.grace_due_by),
                    f.after_id,
                    limit
                ],
                rows::subject,
            )
        })
    }

    fn insert_records(&self, records: Vec<NewRecord>) -> Result<()> {
        self.writer
            .write(move |c| batch::insert_records(c, &records))
    }

    fn subject_records(&self, subject_id: &str, category: Option<&str>) -> Result<Vec<Record>> {
        // One statement per shape, so a category narrows the `records_subject` index range
        // (`?2 IS NULL OR category = ?2` only filters the subject's rows). No ORDER BY: SQLite
        // would copy every row, sealed payload included, into a sorter; the rows come in
        // index order and are put in (collected_at, id) order here (docs/benchmarks-vault.md,
        // session 9).
        let rows = self.readers.read(|c| match category {
            Some(category) => {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {RECORD_COLS} FROM records WHERE subject_id = ?1 AND category = ?2"
                ))?;
                collect(&mut stmt, params![subject_id, category], rows::record)
            }
            None => {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {RECORD_COLS} FROM records WHERE subject_id = ?1"
                ))?;
                collect(&mut stmt, [subject_id], rows::record)
            }
        })?;
        Ok(in_record_order(rows))
    }

    fn get_record(&self, id: &str) -> Result<Option<Record>> {
        self.readers.read(|c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {RECORD_COLS} FROM records WHERE id = ?1"))?;
            Ok(collect(&mut stmt, [id], rows::record)?.into_iter().next())
        })
    }

    fn records_of_subjects(&self, subject_ids: &[String], category: &str) -> Result<Vec<Record>> {
        // The ids as one JSON array: one cached statement whatever their number, each id a
        // seek of `records_subject` (subject_id, category).
        let ids = to_json(&subject_ids)?;
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {RECORD_COLS} FROM records \
                 WHERE subject_id IN (SELECT value FROM json_each(?1)) AND category = ?2"
            ))?;
            collect(&mut stmt, params![ids, category], rows::record)
        })
    }

    fn replace_sealed(&self, id: &str, sealed: &[u8], key_version: u32) -> Result<()> {
        let (id, sealed) = (id.to_string(), sealed.to_vec());
        self.writer.write(move |c| {
            let n = c
                .prepare_cached("UPDATE records SET sealed = ?2, key_version = ?3 WHERE id = ?1")?
                .execute(params![id, sealed, key_version])?;
            if n == 0 {
                return Err(StoreError::NotFound { kind: "record", id });
            }
            Ok(())
        })
    }

    fn delete_subject_records(&self, subject_id: &str, category: Option<&str>) -> Result<u64> {
        let (subject_id, category) = (subject_id.to_string(), category.map(str::to_string));
        self.writer.write(move |c| {
            let n = c
                .prepare_cached(
                    "DELETE FROM records WHERE subject_id = ?1 AND (?2 IS NULL OR category = ?2)",
                )?
                .execute(params![subject_id, category])?;
            Ok(n as u64)
        })
    }

    fn due_records(&self, q: &DueQuery) -> Result<Vec<DueRecord>> {
        let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
        let (after_due, after_id) = match &q.after {
            Some((t, id)) => (Some(to_micros(*t)), Some(id.clone())),
            None => (None, None),
        };
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, subject_id, category, retention_due, incident_linked FROM records \
                 WHERE retention_due IS NOT NULL AND retention_due <= ?1 AND (?2 IS NULL OR category = ?2) \
                 AND (?3 IS NULL OR (retention_due, id) > (?3, ?4)) ORDER BY retention_due, id LIMIT ?5",
            )?;
            collect(&mut stmt, params![to_micros(q.due_by), q.category, after_due, after_id, limit], |r| {
                Ok(DueRecord {
                    id: r.get(0)?,
                    subject_id: r.get(1)?,
                    category: r.get(2)?,
                    retention_due: from_micros(r.get(3)?, "records")?,
                    incident_linked: r.get(4)?,
                })
            })
        })
    }

    fn delete_records(&self, ids: &[String]) -> Result<u64> {
        let ids = ids.to_vec();
        self.writer.write(move |c| {
            let mut stmt = c.prepare_cached("DELETE FROM records WHERE id = ?1")?;
            let mut n = 0u64;
            for id in &ids {
                n += stmt.execute([id])? as u64;
            }
            Ok(n)
        })
    }

    fn count_by_category(&self) -> Result<BTreeMap<String, u64>> {
        self.readers.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT category, COUNT(*) FROM records GROUP BY category")?;
            let pairs = collect(&mut stmt, [], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            Ok(pairs
                .into_iter()
                .map(|(k, v)| (k, v.unsigned_abs()))
                .collect())
        })
    }

    fn count_subject_categories(&self, pairs: &[(String, String)]) -> Result<Vec<u64>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT COUNT(*) FROM records WHERE subject_id = ?1 AND category = ?2",
            )?;
            pairs
                .iter()
                .map(|(subject, category)| {
                    Ok(stmt
                        .query_row(params![subject, category], |r| r.get::<_, i64>(0))?
                        .unsigned_abs())
                })
                .collect()
        })
    }

    fn insert_timed(&self, rows: Vec<TimedRecord>) -> Result<()> {
        self.writer.write(move |c| timed::insert(c, &rows))
    }

    fn subject_timed(&self, subject_id: &str, categories: &[String]) -> Result<Vec<TimedRecord>> {
        self.readers
            .read(|c| timed::subject_rows(c, subject_id, categories))
    }

    fn drop_timed_before(
        &self,
        category: Option<&str>,
        before: DateTime<Utc>,
    ) -> Result<Vec<DroppedPartition>> {
        let category = category.map(str::to_string);
        self.writer.write(move |c| {
            timed::drop_before(
                c,
                category.as_deref(),
                time::month_index(before),
                before,
                None,
            )
        })
    }

    fn timed_impact(
        &self,
        categories: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ImpactCount> {
        self.readers
            .read(|c| timed::impact(c, categories, from, to))
    }

    fn delete_subject_timed(&self, subject_id: &str) -> Result<u64> {
        let subject_id = subject_id.to_string();
        self.writer
            .write(move |c| timed::delete_subject(c, &subject_id))
    }

    fn put_blind_indexes(&self, entries: &[BlindIndexEntry]) -> Result<()> {
        let mut entries = entries.to_vec();
        self.writer.write(move |c| blind::put(c, &mut entries))
    }

    fn find_subjects(&self, kind: &str, digest: &[u8]) -> Result<Vec<String>> {
        self.readers.read(|c| blind::find(c, kind, digest))
    }

    fn remove_subject_indexes(&self, subject_id: &str) -> Result<u64> {
        let subject_id = subject_id.to_string();
        self.writer
            .write(move |c| blind::remove_subject(c, &subject_id, None))
    }

    fn journal_append(&self, journal: &[JournalRow]) -> Result<()> {
        let journal = journal.to_vec();
        self.writer.write(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "INSERT INTO journal ({JOURNAL_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))?;
            for j in &journal {
                stmt.execute(params![
                    seq_i64(j.seq)?,
                    to_micros(j.ts),
                    j.actor,
                    j.action,
                    j.subject_id,
                    j.category,
                    j.purpose,
                    j.details,
                    j.prev_hash,
                    j.hash
                ])
                .map_err(|e| conflict(e, "journal entry", &j.seq.to_string()))?;
            }
            Ok(())
        })
    }

    fn journal_range(&self, from: u64, limit: usize) -> Result<Vec<JournalRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {JOURNAL_COLS} FROM journal WHERE seq >= ?1 ORDER BY seq LIMIT ?2"
            ))?;
            collect(&mut stmt, params![seq_i64(from)?, limit], rows::journal)
        })
    }

    fn journal_for_subject(
        &self,
        subject_id: &str,
        except_actors: &[&str],
        limit: usize,
    ) -> Result<Vec<JournalRow>> {
        use rusqlite::types::Value;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // `actor NOT IN (?3, ?4…)`: one placeholder per actor left out (two for the access log).
        let except = if except_actors.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (3..3 + except_actors.len())
                .map(|n| format!("?{n}"))
                .collect();
            format!(" AND actor NOT IN ({})", marks.join(", "))
        };
        let sql = format!(
            "SELECT {JOURNAL_COLS} FROM journal WHERE subject_id = ?1{except} ORDER BY seq DESC LIMIT ?2"
        );
        let mut values = vec![Value::Text(subject_id.to_string()), Value::Integer(limit)];
        values.extend(except_actors.iter().map(|a| Value::Text((*a).to_string())));
        self.readers.read(move |c| {
            let mut stmt = c.prepare_cached(&sql)?;
            collect(
                &mut stmt,
                rusqlite::params_from_iter(values.iter()),
                rows::journal,
            )
        })
    }

    fn journal_head(&self) -> Result<Option<JournalRow>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {JOURNAL_COLS} FROM journal ORDER BY seq DESC LIMIT 1"
            ))?;
            Ok(collect(&mut stmt, [], rows::journal)?.into_iter().next())
        })
    }

    fn put_checkpoint(&self, cp: &Checkpoint) -> Result<()> {
        let cp = cp.clone();
        self.writer.write(move |c| {
            c.prepare_cached(
                "INSERT INTO journal_checkpoints (seq, hash, signature) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![seq_i64(cp.seq)?, cp.hash, cp.signature])
            .map_err(|e| conflict(e, "checkpoint", &cp.seq.to_string()))?;
            Ok(())
        })
    }

    fn list_checkpoints(&self) -> Result<Vec<Checkpoint>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, hash, signature FROM journal_checkpoints ORDER BY seq",
            )?;
            collect(&mut stmt, [], |r| {
                Ok(Checkpoint {
                    seq: r.get::<_, i64>(0)?.unsigned_abs(),
                    hash: r.get(1)?,
                    signature: r.get(2)?,
                })
            })
        })
    }

    fn journal_drop_before(&self, before: u64) -> Result<u64> {
        let before = seq_i64(before)?;
        self.writer
            .write(move |c| batch::journal_drop_before(c, before))
    }

    fn journal_anchor(&self) -> Result<Option<JournalAnchor>> {
        self.readers.read(|c| {
            Ok(c.query_row(
                "SELECT seq, hash FROM journal_anchor WHERE singleton = 1",
                [],
                |r| {
                    Ok(JournalAnchor {
                        seq: r.get::<_, i64>(0)?.unsigned_abs(),
                        hash: r.get(1)?,
                    })
                },
            )
            .optional()?)
        })
    }

    fn put_token(&self, t: &AppToken) -> Result<()> {
        let t = t.clone();
        self.writer.write(move |c| {
            c.prepare_cached(&format!(
                "INSERT INTO app_tokens ({TOKEN_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))?
            .execute(params![
                t.digest,
                t.name,
                to_json(&t.purposes)?,
                to_json(&t.categories)?,
                to_micros(t.created_at),
                opt_us(t.revoked_at)
            ])
            .map_err(|e| conflict(e, "token", &t.name))?;
            Ok(())
        })
    }

    fn get_token(&self, digest: &[u8]) -> Result<Option<AppToken>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {TOKEN_COLS} FROM app_tokens WHERE digest = ?1"
            ))?;
            Ok(collect(&mut stmt, [digest], rows::token)?
                .into_iter()
                .next())
        })
    }

    fn list_tokens(&self) -> Result<Vec<AppToken>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {TOKEN_COLS} FROM app_tokens ORDER BY created_at, name"
            ))?;
            collect(&mut stmt, [], rows::token)
        })
    }

    fn revoke_token(&self, digest: &[u8], at: DateTime<Utc>) -> Result<bool> {
        let digest = digest.to_vec();
        self.writer.write(move |c| {
            let n = c
                .prepare_cached("UPDATE app_tokens SET revoked_at = ?2 WHERE digest = ?1 AND revoked_at IS NULL")?
                .execute(params![digest, to_micros(at)])?;
            Ok(n == 1)
        })
    }

    fn try_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let (job, holder) = (job.to_string(), holder.to_string());
        let (now_us, until) = (to_micros(now), to_micros(now + ttl));
        // The writer thread serialises this; across processes BEGIN IMMEDIATE does.
        self.writer.write(move |c| {
            let n = c
                .prepare_cached(
                    "INSERT INTO job_leases (job, holder, expires_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                     WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= ?4",
                )?
                .execute(params![job, holder, until, now_us])?;
            Ok(n == 1)
        })
    }

    fn commit(
        &self,
        units: Vec<WriteUnit>,
        sealer: Arc<dyn JournalSealer>,
    ) -> Result<Vec<Result<UnitOutcome>>> {
        let single = units.len() == 1;
        let undo = batch::undo(&units);
        let answer = self
            .writer
            .write_with(undo, move |c| batch::commit(c, units, &sealer));
        per_unit(single, answer)
    }

    fn commit_then(
        &self,
        units: Vec<WriteUnit>,
        sealer: Arc<dyn JournalSealer>,
        done: crate::CommitDone,
    ) {
        let single = units.len() == 1;
        self.writer.write_then_with(
            batch::undo(&units),
            move |c| batch::commit(c, units, &sealer),
            Box::new(move |answer| done(per_unit(single, answer))),
        );
    }

    fn commit_linked(
        &self,
        unit: WriteUnit,
        sealer: Arc<dyn JournalSealer>,
        link: crate::Link,
        done: crate::CommitDone,
    ) {
        self.writer.write_linked(
            move |c| batch::commit(c, vec![unit], &sealer),
            link,
            Box::new(move |answer| done(per_unit(true, answer))),
        );
    }

    fn commit_steps(
        &self,
        units: Vec<WriteUnit>,
        sealer: Arc<dyn JournalSealer>,
    ) -> Result<Vec<Result<UnitOutcome>>> {
        self.writer
            .write_steps(units, move |c, unit| batch::commit_one(c, unit, &sealer))
    }

    fn get_doc(&self, kind: &str, id: &str) -> Result<Option<StoredDoc>> {
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT kind, id, version, body, updated_at, owner, state FROM documents WHERE kind = ?1 AND id = ?2",
            )?;
            Ok(collect(&mut stmt, [kind, id], batch::doc)?.into_iter().next())
        })
    }

    fn list_docs(
        &self,
        kind: &str,
        after_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredDoc>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = list_docs_sql(after_id.is_some());
        self.readers.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            collect(&mut stmt, params![kind, after_id, limit], batch::doc)
        })
    }

    fn list_docs_of(&self, kind: &str, owner: &str) -> Result<Vec<StoredDoc>> {
        self.list_filed(Filing::Owner, kind, owner)
    }

    fn list_docs_in(&self, kind: &str, state: &str) -> Result<Vec<StoredDoc>> {
        self.list_filed(Filing::State, kind, state)
    }

    fn purge_remnants(&self) -> Result<()> {
        self.writer.write_and_checkpoint(|_| Ok(()))
    }

    fn refresh_statistics(&self) -> Result<()> {
        // See the trait: SQLite plans without statistics, as measured.
        Ok(())
    }
}

/// `rows` ordered by (collected_at, id), the order [`Store::subject_records`] promises: the
/// small keys are sorted, then each record moved once (sorting the records themselves moved
/// every one of them many times). BINARY collation, SQLite's for `id`, is byte order, as
/// `str`'s. Rows already in order — the usual case, records being stored as they are
/// collected — cost one pass and are returned as they are.
fn in_record_order(rows: Vec<Record>) -> Vec<Record> {
    let mut keys: Vec<(DateTime<Utc>, &str, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.collected_at, r.id.as_str(), i))
        .collect();
    keys.sort_unstable();
    if keys.iter().enumerate().all(|(at, k)| k.2 == at) {
        return rows;
    }
    let order: Vec<usize> = keys.into_iter().map(|k| k.2).collect();
    let mut slots: Vec<Option<Record>> = rows.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of `sql` with `params`, on a freshly migrated database.
    fn plan_of(sql: &str, params: impl rusqlite::Params) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data.db");
        drop(SqliteStore::open(&path).expect("migrated"));
        let c = rusqlite::Connection::open(&path).expect("open");
        let mut stmt = c
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("prepare");
        let rows = stmt
            .query_map(params, |r| r.get::<_, String>(3))
            .expect("plan")
            .collect::<std::result::Result<Vec<_>, _>>()
            .expect("rows");
        rows.join("; ")
    }

    /// The plan of each page of `list_subjects`.
    fn plan(status: Option<SubjectStatus>, resume: bool) -> String {
        plan_of(
            &list_subjects_sql(status, resume),
            params![status.map(SubjectStatus::as_str), None::<i64>, "sub_1", 10],
        )
    }

    #[test]
    fn a_page_of_documents_starts_at_its_resume_point() {
        let next = plan_of(list_docs_sql(true), params!["limits", "sub_1", 10]);
        assert!(next.contains("id>?"), "{next}");
        let first = plan_of(list_docs_sql(false), params!["limits", None::<String>, 10]);
        assert!(first.contains("kind=?"), "{first}");
    }

    #[test]
    fn filed_documents_are_found_through_their_index() {
        for (filing, seek) in [
            (
                Filing::Owner,
                "SEARCH documents USING INDEX documents_by_owner (kind=? AND owner=?)",
            ),
            (
                Filing::State,
                "SEARCH documents USING INDEX documents_by_state (kind=? AND state=?)",
            ),
        ] {
            let plan = plan_of(list_filed_sql(filing), params!["request", "sub_1"]);
            // Both branches seek the index (SQLite prints `IS NULL` as `=?`); nothing walks
            // the kind.
            assert_eq!(plan.matches(seek).count(), 2, "{plan}");
            assert!(
                !plan.contains("PRIMARY KEY") && !plan.contains("SCAN"),
                "{plan}"
            );
        }
    }

    #[test]
    fn a_page_of_subjects_starts_at_its_resume_point() {
        // Resuming seeks the id; it does not walk every id before it.
        assert!(plan(None, true).contains("(id>?)"), "{}", plan(None, true));
        assert!(!plan(None, true).contains("SCAN"), "{}", plan(None, true));
        let closed = plan(Some(SubjectStatus::Closed), true);
        assert!(closed.contains("subjects_inactive"), "{closed}");
        // The first page has no resume point to seek.
        assert!(!plan(None, false).contains("id>?"), "{}", plan(None, false));
    }
}
