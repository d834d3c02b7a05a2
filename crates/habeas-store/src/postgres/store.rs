//! [`PgStore`]: the [`Store`] trait on PostgreSQL.

use std::collections::BTreeMap;

use ::postgres::Row;
use chrono::{DateTime, Utc};

use super::conn::Db;
use super::pool::Pool;
use super::{POOL_SIZE, batch, conflict, migrate, parse_url, schema_version, timed};
use crate::error::{Result, StoreError};
use crate::migrations::POSTGRES_DATA;
use crate::model::*;
use crate::time::{from_micros, opt_from_micros, to_micros};
use crate::{JournalSealer, StoredDoc, UnitOutcome, WriteUnit};
use crate::{Store, sqlite};
use std::sync::Arc;

/// The PostgreSQL data store.
pub struct PgStore {
    pub(super) pool: Pool,
}

const SUBJECT_COLS: &str = "id, kind, status, created_at, closed_at, grace_until, erased_at";
const RECORD_COLS: &str = "id, subject_id, category, collected_at, source_channel, purposes, \
    last_interaction, contract_end, account_closure, custom_events, incident_linked, retention_due, sealed, key_version";
const JOURNAL_COLS: &str =
    "seq, ts, actor, action, subject_id, category, purpose, details, prev_hash, hash";
const TOKEN_COLS: &str = "digest, name, purposes, categories, created_at, revoked_at";

impl PgStore {
    /// Connect, create the schema if needed and migrate.
    pub fn open(url: &str) -> Result<Self> {
        let (config, schema) = parse_url(url, "habeas")?;
        let pool = Pool::new(config, schema, POOL_SIZE);
        pool.with(|c| migrate(c, pool.schema(), POSTGRES_DATA, "data"))?;
        Ok(Self { pool })
    }

    /// The schema this store lives in.
    pub fn schema(&self) -> &str {
        self.pool.schema()
    }

    /// Drop the whole schema (tests use it to clean up after themselves).
    pub fn drop_schema(self) -> Result<()> {
        let q = format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            super::quote_ident(self.pool.schema())
        );
        self.pool.with(|c| Ok(c.batch_execute(&q)?))
    }
}

/// From this many records, `insert_records` streams them with binary `COPY` (one transaction,
/// all or nothing like the `unnest` insert used for smaller batches).
const COPY_THRESHOLD: usize = 256;

pub(super) fn copy_records(c: &mut impl Db, records: &[NewRecord]) -> Result<()> {
    use ::postgres::binary_copy::BinaryCopyInWriter;
    use ::postgres::types::Type;
    const TYPES: [Type; 14] = [
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::BOOL,
        Type::INT8,
        Type::BYTEA,
        Type::INT8,
    ];
    let batch_conflict = |e| conflict(e, "record", "(one id of the batch)");
    let mut tx = c.transaction()?;
    let sink = tx
        .client()
        .copy_in(&format!("COPY records ({RECORD_COLS}) FROM STDIN BINARY"))?;
    let mut writer = BinaryCopyInWriter::new(sink, &TYPES);
    for r in records {
        writer
            .write(&[
                &r.id,
                &r.subject_id,
                &r.category,
                &to_micros(r.collected_at),
                &r.source_channel,
                &to_json(&r.purposes)?,
                &opt_us(r.events.last_interaction),
                &opt_us(r.events.contract_end),
                &opt_us(r.events.account_closure),
                &to_json(&r.events.custom)?,
                &r.incident_linked,
                &opt_us(r.retention_due),
                &r.sealed,
                &i64::from(r.key_version),
            ])
            .map_err(batch_conflict)?;
    }
    writer.finish().map_err(batch_conflict)?;
    tx.commit()?;
    Ok(())
}

/// Insert records, all or nothing: binary `COPY` from [`COPY_THRESHOLD`] rows, else one
/// `INSERT … SELECT FROM unnest(…)`.
pub(super) fn insert_records(c: &mut impl Db, records: &[NewRecord]) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    if records.len() >= COPY_THRESHOLD {
        return copy_records(c, records);
    }
    let n = records.len();
    let (mut ids, mut subjects, mut categories, mut collected, mut channels) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut purposes = Vec::with_capacity(n);
    let mut custom = Vec::with_capacity(n);
    let (mut li, mut ce, mut ac, mut inc, mut due, mut sealed, mut kv) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for r in records {
        ids.push(r.id.as_str());
        subjects.push(r.subject_id.as_str());
        categories.push(r.category.as_str());
        collected.push(to_micros(r.collected_at));
        channels.push(r.source_channel.as_str());
        purposes.push(to_json(&r.purposes)?);
        custom.push(to_json(&r.events.custom)?);
        li.push(opt_us(r.events.last_interaction));
        ce.push(opt_us(r.events.contract_end));
        ac.push(opt_us(r.events.account_closure));
        inc.push(r.incident_linked);
        due.push(opt_us(r.retention_due));
        sealed.push(r.sealed.as_slice());
        kv.push(i64::from(r.key_version));
    }
    {
        c.execute(
            &format!(
                "INSERT INTO records ({RECORD_COLS}) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], \
                 $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], \
                 $11::bool[], $12::bigint[], $13::bytea[], $14::bigint[])"
            ),
            &[&ids, &subjects, &categories, &collected, &channels, &purposes, &li, &ce, &ac, &custom, &inc, &due, &sealed, &kv],
        )
        .map_err(|e| conflict(e, "record", "(one id of the batch)"))?;
        Ok(())
    }
}

pub(super) fn opt_us(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_micros)
}

pub(super) fn seq_i64(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| StoreError::Invalid(format!("journal seq {seq} exceeds 2^63-1")))
}

fn key_version(v: i64, table: &'static str) -> Result<u32> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        table,
        detail: format!("key_version {v}"),
    })
}

fn subject(r: &Row) -> Result<Subject> {
    let status: String = r.try_get(2)?;
    Ok(Subject {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        status: SubjectStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
            table: "subjects",
            detail: format!("status `{status}`"),
        })?,
        created_at: from_micros(r.try_get(3)?, "subjects")?,
        closed_at: opt_from_micros(r.try_get(4)?, "subjects")?,
        grace_until: opt_from_micros(r.try_get(5)?, "subjects")?,
        erased_at: opt_from_micros(r.try_get(6)?, "subjects")?,
    })
}

fn record(r: &Row) -> Result<Record> {
    let purposes: String = r.try_get(5)?;
    let custom: String = r.try_get(9)?;
    Ok(Record {
        id: r.try_get(0)?,
        subject_id: r.try_get(1)?,
        category: r.try_get(2)?,
        collected_at: from_micros(r.try_get(3)?, "records")?,
        source_channel: r.try_get(4)?,
        purposes: sqlite_json_list(&purposes, "records")?,
        events: EventDates::from_columns(r.try_get(6)?, r.try_get(7)?, r.try_get(8)?, &custom)?,
        incident_linked: r.try_get(10)?,
        retention_due: opt_from_micros(r.try_get(11)?, "records")?,
        sealed: r.try_get(12)?,
        key_version: key_version(r.try_get(13)?, "records")?,
    })
}

fn journal(r: &Row) -> Result<JournalRow> {
    let seq: i64 = r.try_get(0)?;
    Ok(JournalRow {
        seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt {
            table: "journal",
            detail: format!("seq {seq}"),
        })?,
        ts: from_micros(r.try_get(1)?, "journal")?,
        actor: r.try_get(2)?,
        action: r.try_get(3)?,
        subject_id: r.try_get(4)?,
        category: r.try_get(5)?,
        purpose: r.try_get(6)?,
        details: r.try_get(7)?,
        prev_hash: r.try_get(8)?,
        hash: r.try_get(9)?,
    })
}

fn token(r: &Row) -> Result<AppToken> {
    let purposes: String = r.try_get(2)?;
    let categories: String = r.try_get(3)?;
    Ok(AppToken {
        digest: r.try_get(0)?,
        name: r.try_get(1)?,
        purposes: sqlite_json_list(&purposes, "app_tokens")?,
        categories: sqlite_json_list(&categories, "app_tokens")?,
        created_at: from_micros(r.try_get(4)?, "app_tokens")?,
        revoked_at: opt_from_micros(r.try_get(5)?, "app_tokens")?,
    })
}

fn sqlite_json_list(text: &str, table: &'static str) -> Result<Vec<String>> {
    sqlite::json_list(text, table)
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn map_rows<T>(rows: Vec<Row>, f: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A page of subjects in id byte order: status `$1`, grace due by `$2`, after id `$3`, at
/// most `$4`. The resume point is spelled only when there is one, so that the plan is a range
/// of `subjects_id_c` (migration 5) rather than a sort of every subject on each page.
pub(super) fn list_subjects_sql(resume: bool) -> String {
    let after = if resume {
        "id COLLATE \"C\" > $3::text COLLATE \"C\""
    } else {
        "$3::text IS NULL"
    };
    format!(
        "SELECT {SUBJECT_COLS} FROM subjects WHERE ($1::text IS NULL OR status = $1) \
         AND ($2::bigint IS NULL OR grace_until <= $2) AND {after} \
         ORDER BY id COLLATE \"C\" LIMIT $4"
    )
}

/// One page of the retention listing, in the byte order both backends share. Served by
/// the index `records_due_c` (migration 4) in that order — no sort of every due record.
/// The resume point `($3, $4)` is spelled only when there is one ([`DUE_RECORDS_NEXT`]):
/// written `($3 IS NULL OR (…) > (…))`, a cached statement's generic plan kept it as a filter
/// and walked the index from the first due record on every page (149,000 rows skipped for a
/// page at 150,000, measured).
pub(super) const DUE_RECORDS: &str = "SELECT id, subject_id, category, retention_due, incident_linked \
     FROM records \
     WHERE retention_due IS NOT NULL AND retention_due <= $1 AND ($2::text IS NULL OR category = $2) \
     AND $3::bigint IS NULL AND $4::text IS NULL \
     ORDER BY retention_due, id COLLATE \"C\" LIMIT $5";

/// The pages of the retention listing after the first: from `($3, $4)` on.
pub(super) const DUE_RECORDS_NEXT: &str = "SELECT id, subject_id, category, retention_due, incident_linked \
     FROM records \
     WHERE retention_due IS NOT NULL AND retention_due <= $1 AND ($2::text IS NULL OR category = $2) \
     AND (retention_due, id COLLATE \"C\") > ($3, $4::text COLLATE \"C\") \
     ORDER BY retention_due, id COLLATE \"C\" LIMIT $5";

/// A kind's documents filed under `$2` by owner or by state, and the unfiled ones: two range
/// scans of `documents_by_owner` or `documents_by_state`, sorted by the caller (as on SQLite).
fn list_filed_sql(column: &str) -> String {
    let cols = "kind, id, version, body, updated_at, owner, state";
    format!(
        "SELECT {cols} FROM documents WHERE kind = $1 AND {column} = $2 \
         UNION ALL SELECT {cols} FROM documents WHERE kind = $1 AND {column} IS NULL"
    )
}

impl PgStore {
    fn list_filed(&self, column: &str, kind: &str, value: &str) -> Result<Vec<StoredDoc>> {
        self.pool.with(|c| {
            let rows = c.query(&list_filed_sql(column), &[&kind, &value])?;
            let mut docs = map_rows(rows, batch::doc)?;
            docs.sort_unstable_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
            Ok(docs)
        })
    }
}

impl Store for PgStore {
    fn schema_version(&self) -> Result<u32> {
        self.pool.with(schema_version)
    }

    fn create_subject(&self, s: &Subject) -> Result<()> {
        self.pool.with(|c| {
            c.execute(
                &format!(
                    "INSERT INTO subjects ({SUBJECT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ),
                &[
                    &s.id,
                    &s.kind,
                    &s.status.as_str(),
                    &to_micros(s.created_at),
                    &opt_us(s.closed_at),
                    &opt_us(s.grace_until),
                    &opt_us(s.erased_at),
                ],
            )
            .map_err(|e| conflict(e, "subject", &s.id))?;
            Ok(())
        })
    }

    fn get_subject(&self, id: &str) -> Result<Option<Subject>> {
        self.pool.with(|c| {
            c.query_opt(
                &format!("SELECT {SUBJECT_COLS} FROM subjects WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(subject)
            .transpose()
        })
    }

    fn update_subject(&self, s: &Subject) -> Result<()> {
        self.pool.with(|c| {
            let n = c.execute(
                "UPDATE subjects SET kind = $2, status = $3, created_at = $4, closed_at = $5, grace_until = $6, \
                 erased_at = $7 WHERE id = $1",
                &[
                    &s.id,
                    &s.kind,
                    &s.status.as_str(),
                    &to_micros(s.created_at),
                    &opt_us(s.closed_at),
                    &opt_us(s.grace_until),
                    &opt_us(s.erased_at),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound { kind: "subject", id: s.id.clone() });
            }
            Ok(())
        })
    }

    fn count_subjects(&self) -> Result<u64> {
        self.pool.with(|c| {
            Ok(c.query_one("SELECT COUNT(*) FROM subjects", &[])?
                .try_get::<_, i64>(0)?
                .unsigned_abs())
        })
    }

    fn list_subjects(&self, f: &SubjectFilter) -> Result<Vec<Subject>> {
        self.pool.with(|c| {
            let rows = c.query(
                &list_subjects_sql(f.after_id.is_some()),
                &[
                    &f.status.map(SubjectStatus::as_str),
                    &opt_us(f.grace_due_by),
                    &f.after_id,
                    &limit(f.limit),
                ],
            )?;
            map_rows(rows, subject)
        })
    }

    fn insert_records(&self, records: Vec<NewRecord>) -> Result<()> {
        self.pool.with(|c| insert_records(c, &records))
    }

    fn records_of_subjects(&self, subject_ids: &[String], category: &str) -> Result<Vec<Record>> {
        self.pool.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {RECORD_COLS} FROM records WHERE subject_id = ANY($1) AND category = $2"
                ),
                &[&subject_ids, &category],
            )?;
            map_rows(rows, record)
        })
    }

    fn subject_records(&self, subject_id: &str, category: Option<&str>) -> Result<Vec<Record>> {
        self.pool.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {RECORD_COLS} FROM records WHERE subject_id = $1 AND ($2::text IS NULL OR category = $2) \
                     ORDER BY collected_at, id COLLATE \"C\""
                ),
                &[&subject_id, &category],
            )?;
            map_rows(rows, record)
        })
    }

    fn get_record(&self, id: &str) -> Result<Option<Record>> {
        self.pool.with(|c| {
            c.query_opt(
                &format!("SELECT {RECORD_COLS} FROM records WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(record)
            .transpose()
        })
    }

    fn replace_sealed(&self, id: &str, sealed: &[u8], key_version: u32) -> Result<()> {
        self.pool.with(|c| {
            let n = c.execute(
                "UPDATE records SET sealed = $2, key_version = $3 WHERE id = $1",
                &[&id, &sealed, &i64::from(key_version)],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound {
                    kind: "record",
                    id: id.to_string(),
                });
            }
            Ok(())
        })
    }

    fn delete_subject_records(&self, subject_id: &str, category: Option<&str>) -> Result<u64> {
        self.pool.with(|c| {
            Ok(c.execute(
                "DELETE FROM records WHERE subject_id = $1 AND ($2::text IS NULL OR category = $2)",
                &[&subject_id, &category],
            )?)
        })
    }

    fn due_records(&self, q: &DueQuery) -> Result<Vec<DueRecord>> {
        let (after_due, after_id) = match &q.after {
            Some((t, id)) => (Some(to_micros(*t)), Some(id.as_str())),
            None => (None, None),
        };
        let sql = if q.after.is_some() {
            DUE_RECORDS_NEXT
        } else {
            DUE_RECORDS
        };
        self.pool.with(|c| {
            let rows = c.query(
                sql,
                &[
                    &to_micros(q.due_by),
                    &q.category,
                    &after_due,
                    &after_id,
                    &limit(q.limit),
                ],
            )?;
            map_rows(rows, |r| {
                Ok(DueRecord {
                    id: r.try_get(0)?,
                    subject_id: r.try_get(1)?,
                    category: r.try_get(2)?,
                    retention_due: from_micros(r.try_get(3)?, "records")?,
                    incident_linked: r.try_get(4)?,
                })
            })
        })
    }

    fn delete_records(&self, ids: &[String]) -> Result<u64> {
        self.pool
            .with(|c| Ok(c.execute("DELETE FROM records WHERE id = ANY($1)", &[&ids])?))
    }

    fn count_by_category(&self) -> Result<BTreeMap<String, u64>> {
        self.pool.with(|c| {
            let rows = c.query(
                "SELECT category, COUNT(*) FROM records GROUP BY category",
                &[],
            )?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get::<_, i64>(1)?.unsigned_abs())))
                .collect()
        })
    }

    fn count_subject_categories(&self, pairs: &[(String, String)]) -> Result<Vec<u64>> {
        let (subjects, categories): (Vec<&str>, Vec<&str>) =
            pairs.iter().map(|(s, c)| (s.as_str(), c.as_str())).unzip();
        self.pool.with(|c| {
            let rows = c.query(
                "SELECT (SELECT COUNT(*) FROM records r \
                         WHERE r.subject_id = t.subject_id AND r.category = t.category) \
                 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(subject_id, category, n) \
                 ORDER BY t.n",
                &[&subjects, &categories],
            )?;
            rows.iter()
                .map(|r| Ok(r.try_get::<_, i64>(0)?.unsigned_abs()))
                .collect()
        })
    }

    fn insert_timed(&self, rows: Vec<TimedRecord>) -> Result<()> {
        self.pool.with(|c| timed::insert(c, &rows))
    }

    fn subject_timed(&self, subject_id: &str, categories: &[String]) -> Result<Vec<TimedRecord>> {
        self.pool
            .with(|c| timed::subject_rows(c, subject_id, categories))
    }

    fn drop_timed_before(
        &self,
        category: Option<&str>,
        before: DateTime<Utc>,
    ) -> Result<Vec<DroppedPartition>> {
        self.pool
            .with(|c| timed::drop_before(c, self.pool.schema(), category, before))
    }

    fn timed_impact(
        &self,
        categories: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ImpactCount> {
        self.pool.with(|c| timed::impact(c, categories, from, to))
    }

    fn delete_subject_timed(&self, subject_id: &str) -> Result<u64> {
        self.pool.with(|c| timed::delete_subject(c, subject_id))
    }

    fn put_blind_indexes(&self, entries: &[BlindIndexEntry]) -> Result<()> {
        let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
        let digests: Vec<&[u8]> = entries.iter().map(|e| e.digest.as_slice()).collect();
        let subjects: Vec<&str> = entries.iter().map(|e| e.subject_id.as_str()).collect();
        self.pool.with(|c| {
            c.execute(
                "INSERT INTO blind_index (kind, digest, subject_id) \
                 SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[]) ON CONFLICT DO NOTHING",
                &[&kinds, &digests, &subjects],
            )?;
            Ok(())
        })
    }

    fn find_subjects(&self, kind: &str, digest: &[u8]) -> Result<Vec<String>> {
        self.pool.with(|c| {
            let rows = c.query(
                "SELECT subject_id FROM blind_index WHERE kind = $1 AND digest = $2 ORDER BY subject_id COLLATE \"C\"",
                &[&kind, &digest],
            )?;
            rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
        })
    }

    fn find_subjects_any(&self, kinds: &[String], digest: &[u8]) -> Result<Vec<(String, String)>> {
        self.pool.with(|c| {
            let rows = c.query(
                "SELECT kind, subject_id FROM blind_index WHERE kind = ANY($1) AND digest = $2 \
                 ORDER BY kind COLLATE \"C\", subject_id COLLATE \"C\"",
                &[&kinds, &digest],
            )?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }

    fn remove_subject_indexes(&self, subject_id: &str) -> Result<u64> {
        self.pool.with(|c| {
            Ok(c.execute(
                "DELETE FROM blind_index WHERE subject_id = $1",
                &[&subject_id],
            )?)
        })
    }

    fn journal_append(&self, rows: &[JournalRow]) -> Result<()> {
        self.pool.with(|c| {
            let mut tx = c.transaction()?;
            let sql = format!(
                "INSERT INTO journal ({JOURNAL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            );
            for j in rows {
                tx.execute(
                    &sql,
                    &[
                        &seq_i64(j.seq)?,
                        &to_micros(j.ts),
                        &j.actor,
                        &j.action,
                        &j.subject_id,
                        &j.category,
                        &j.purpose,
                        &j.details,
                        &j.prev_hash,
                        &j.hash,
                    ],
                )
                .map_err(|e| conflict(e, "journal entry", &j.seq.to_string()))?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn journal_range(&self, from: u64, lim: usize) -> Result<Vec<JournalRow>> {
        self.pool.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {JOURNAL_COLS} FROM journal WHERE seq >= $1 ORDER BY seq LIMIT $2"
                ),
                &[&seq_i64(from)?, &limit(lim)],
            )?;
            map_rows(rows, journal)
        })
    }

    fn journal_for_subject(
        &self,
        subject_id: &str,
        except_actors: &[&str],
        lim: usize,
    ) -> Result<Vec<JournalRow>> {
        self.pool.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {JOURNAL_COLS} FROM journal WHERE subject_id = $1 AND actor <> ALL($2) \
                     ORDER BY seq DESC LIMIT $3"
                ),
                &[&subject_id, &except_actors, &limit(lim)],
            )?;
            map_rows(rows, journal)
        })
    }

    fn journal_head(&self) -> Result<Option<JournalRow>> {
        self.pool.with(|c| {
            c.query_opt(
                &format!("SELECT {JOURNAL_COLS} FROM journal ORDER BY seq DESC LIMIT 1"),
                &[],
            )?
            .as_ref()
            .map(journal)
            .transpose()
        })
    }

    fn put_checkpoint(&self, cp: &Checkpoint) -> Result<()> {
        self.pool.with(|c| {
            c.execute(
                "INSERT INTO journal_checkpoints (seq, hash, signature) VALUES ($1, $2, $3)",
                &[&seq_i64(cp.seq)?, &cp.hash, &cp.signature],
            )
            .map_err(|e| conflict(e, "checkpoint", &cp.seq.to_string()))?;
            Ok(())
        })
    }

    fn list_checkpoints(&self) -> Result<Vec<Checkpoint>> {
        self.pool.with(|c| {
            let rows = c.query(
                "SELECT seq, hash, signature FROM journal_checkpoints ORDER BY seq",
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(Checkpoint {
                        seq: r.try_get::<_, i64>(0)?.unsigned_abs(),
                        hash: r.try_get(1)?,
                        signature: r.try_get(2)?,
                    })
                })
                .collect()
        })
    }

    fn journal_drop_before(&self, before: u64) -> Result<u64> {
        let before = seq_i64(before)?;
        self.pool.with(|c| {
            let mut tx = c.transaction()?;
            let n = batch::journal_drop_before(&mut tx, before)?;
            tx.commit()?;
            Ok(n)
        })
    }

    fn journal_anchor(&self) -> Result<Option<JournalAnchor>> {
        self.pool.with(|c| {
            c.query_opt(
                "SELECT seq, hash FROM journal_anchor WHERE singleton = 1",
                &[],
            )?
            .map(|r| {
                Ok(JournalAnchor {
                    seq: r.try_get::<_, i64>(0)?.unsigned_abs(),
                    hash: r.try_get(1)?,
                })
            })
            .transpose()
        })
    }

    fn put_token(&self, t: &AppToken) -> Result<()> {
        self.pool.with(|c| {
            c.execute(
                &format!("INSERT INTO app_tokens ({TOKEN_COLS}) VALUES ($1, $2, $3, $4, $5, $6)"),
                &[
                    &t.digest,
                    &t.name,
                    &to_json(&t.purposes)?,
                    &to_json(&t.categories)?,
                    &to_micros(t.created_at),
                    &opt_us(t.revoked_at),
                ],
            )
            .map_err(|e| conflict(e, "token", &t.name))?;
            Ok(())
        })
    }

    fn get_token(&self, digest: &[u8]) -> Result<Option<AppToken>> {
        self.pool.with(|c| {
            c.query_opt(
                &format!("SELECT {TOKEN_COLS} FROM app_tokens WHERE digest = $1"),
                &[&digest],
            )?
            .as_ref()
            .map(token)
            .transpose()
        })
    }

    fn list_tokens(&self) -> Result<Vec<AppToken>> {
        self.pool.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {TOKEN_COLS} FROM app_tokens ORDER BY created_at, name COLLATE \"C\""
                ),
                &[],
            )?;
            map_rows(rows, token)
        })
    }

    fn revoke_token(&self, digest: &[u8], at: DateTime<Utc>) -> Result<bool> {
        self.pool.with(|c| {
            Ok(c.execute(
                "UPDATE app_tokens SET revoked_at = $2 WHERE digest = $1 AND revoked_at IS NULL",
                &[&digest, &to_micros(at)],
            )? == 1)
        })
    }

    fn try_lease(
        &self,
        job: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        // INSERT … ON CONFLICT DO UPDATE locks the lease row and re-checks the WHERE under the
        // lock, so two instances racing for an expired lease cannot both win.
        self.pool.with(|c| {
            Ok(c.execute(
                "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (job) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
                 WHERE job_leases.holder = EXCLUDED.holder OR job_leases.expires_at <= $4",
                &[&job, &holder, &to_micros(now + ttl), &to_micros(now)],
            )? == 1)
        })
    }

    fn commit(
        &self,
        units: Vec<WriteUnit>,
        sealer: Arc<dyn JournalSealer>,
    ) -> Result<Vec<Result<UnitOutcome>>> {
        self.pool.with(|c| batch::commit(c, units, &sealer))
    }

    fn get_doc(&self, kind: &str, id: &str) -> Result<Option<StoredDoc>> {
        self.pool.with(|c| {
            c.query_opt(
                "SELECT kind, id, version, body, updated_at, owner, state FROM documents WHERE kind = $1 AND id = $2",
                &[&kind, &id],
            )?
            .as_ref()
            .map(batch::doc)
            .transpose()
        })
    }

    fn list_docs(&self, kind: &str, after_id: Option<&str>, lim: usize) -> Result<Vec<StoredDoc>> {
        // The resume point only when there is one (a generic plan keeps `$2 IS NULL OR`).
        let sql = if after_id.is_some() {
            "SELECT kind, id, version, body, updated_at, owner, state FROM documents \
             WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3"
        } else {
            "SELECT kind, id, version, body, updated_at, owner, state FROM documents \
             WHERE kind = $1 AND $2::text IS NULL ORDER BY id LIMIT $3"
        };
        self.pool.with(|c| {
            let rows = c.query(sql, &[&kind, &after_id, &limit(lim)])?;
            map_rows(rows, batch::doc)
        })
    }

    fn list_docs_of(&self, kind: &str, owner: &str) -> Result<Vec<StoredDoc>> {
        self.list_filed("owner", kind, owner)
    }

    fn list_docs_in(&self, kind: &str, state: &str) -> Result<Vec<StoredDoc>> {
        self.list_filed("state", kind, state)
    }

    fn purge_remnants(&self) -> Result<()> {
        // Plain VACUUM removes dead tuples from the heap and indexes; it cannot reach WAL
        // segments, archives or base backups (docs/storage.md). Data rows are sealed; the
        // wrapped keys, which matter for shredding, get VACUUM FULL in the key store.
        // One statement per call: several statements in one simple query form an implicit
        // transaction block, where VACUUM is refused.
        self.pool.with(|c| {
            c.batch_execute("VACUUM records")?;
            Ok(c.batch_execute("VACUUM blind_index")?)
        })
    }

    fn refresh_statistics(&self) -> Result<()> {
        // ANALYZE samples (30,000 rows a table by default): about a second at 10M records.
        // A partitioned parent is analyzed with its partitions.
        self.pool.with(|c| {
            let timed: Vec<String> = c
                .query("SELECT cat_no FROM timed_categories ORDER BY cat_no", &[])?
                .iter()
                .map(|r| {
                    r.try_get::<_, i32>(0)
                        .map(|n| format!(", {}", timed::parent(n)))
                })
                .collect::<std::result::Result<_, _>>()?;
            Ok(c.batch_execute(&format!(
                "ANALYZE subjects, records, blind_index, journal{}",
                timed.concat()
            ))?)
        })
    }
}
