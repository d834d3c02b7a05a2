//! [`crate::Store::commit`] on PostgreSQL: one transaction that first takes a
//! transaction-scoped advisory lock on the schema's journal, so that two connections (or two
//! Habeas instances) never continue the hash chain from the same head; the head is read after
//! the lock, inside the transaction. Each unit with data operations runs in its own savepoint.
//!
//! Round trips are the cost on PostgreSQL: the journal rows of the whole batch go in one
//! multi-row insert at the end (their hashes are chained here, in order), consecutive
//! subject creations in one insert, and a unit of journal entries only (an audited read)
//! gets no savepoint — it cannot fail short of the database failing, which fails the batch.
//! Every fixed statement is prepared once per connection (`conn.rs`); an audited read's
//! commit is five round trips: BEGIN, the lock, the head, the journal insert, COMMIT.

use std::sync::Arc;

use super::conn::{Db, PgConn};
use chrono::{DateTime, Utc};

use super::store::{insert_records, opt_us, seq_i64, to_json};
use super::{conflict, timed};
use crate::batch::{
    JournalDraft, JournalSealer, OpOutput, RecordSeen, StoredDoc, UnitOutcome, WriteOp, WriteUnit,
    head_of,
};
use crate::error::{Result, StoreError};
use crate::model::{JournalAnchor, Record, SubjectStatus};
use crate::time::{from_micros, to_micros};

pub fn commit(
    c: &mut PgConn,
    units: Vec<WriteUnit>,
    sealer: &Arc<dyn JournalSealer>,
) -> Result<Vec<Result<UnitOutcome>>> {
    let mut tx = c.transaction()?;
    // The lock must be its own statement: under READ COMMITTED a statement's snapshot is
    // taken when it starts, so a head read in the same statement could predate the commit
    // of the transaction we waited for, and two batches would continue the same head.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('habeas-journal:' || current_schema()))",
        &[],
    )?;
    let (mut head, mut last_signed) = read_head(&mut tx)?;
    let mut results = Vec::with_capacity(units.len());
    let mut rows = JournalRows::default();
    // A savepoint per unit with data operations, managed by hand so that releasing the last
    // one and opening the next travel together (one round trip per unit, not two). COMMIT
    // keeps the work of a savepoint never released.
    let mut open_savepoint = false;
    let mut dropped_journal = false;
    for unit in units {
        if unit.ops.is_empty() {
            let seqs = unit
                .journal
                .iter()
                .map(|d| rows.push(&mut head, d, sealer.as_ref()))
                .collect::<Result<Vec<u64>>>()?;
            results.push(Ok(UnitOutcome {
                seqs,
                outputs: Vec::new(),
            }));
            continue;
        }
        if unit
            .ops
            .iter()
            .any(|op| matches!(op, WriteOp::JournalDropBefore { .. }))
        {
            // Dropping old entries must see every row chained so far.
            std::mem::take(&mut rows).insert(&mut tx)?;
            dropped_journal = true;
        }
        tx.batch_execute(if open_savepoint {
            "RELEASE SAVEPOINT unit; SAVEPOINT unit"
        } else {
            "SAVEPOINT unit"
        })?;
        open_savepoint = true;
        match run_ops(&mut tx, unit.ops) {
            Ok(outputs) => {
                let seqs = unit
                    .journal
                    .iter()
                    .map(|d| rows.push(&mut head, d, sealer.as_ref()))
                    .collect::<Result<Vec<u64>>>()?;
                results.push(Ok(UnitOutcome { seqs, outputs }));
            }
            Err(e) => {
                // ROLLBACK TO keeps the savepoint: the next unit releases it as usual.
                tx.batch_execute("ROLLBACK TO SAVEPOINT unit")?;
                results.push(Err(e));
            }
        }
    }
    rows.insert(&mut tx)?;
    if dropped_journal {
        // Dropping old entries also drops the checkpoints below the new anchor.
        last_signed = last_checkpoint(&mut tx)?;
    }
    if let Some(cp) = sealer.checkpoint(&head, last_signed) {
        tx.execute(
            "INSERT INTO journal_checkpoints (seq, hash, signature) VALUES ($1, $2, $3) \
             ON CONFLICT (seq) DO UPDATE SET hash = EXCLUDED.hash, signature = EXCLUDED.signature",
            &[&seq_i64(cp.seq)?, &cp.hash, &cp.signature],
        )?;
    }
    tx.commit()?;
    Ok(results)
}

/// The journal's head (newest row, else the anchor left by a drop) and the newest signed
/// checkpoint, in one statement (one round trip), read under the journal lock.
fn read_head(c: &mut impl Db) -> Result<(JournalAnchor, u64)> {
    let r = c.query_one(
        "SELECT j.seq, j.hash, a.seq, a.hash, \
         (SELECT COALESCE(MAX(seq), 0)::bigint FROM journal_checkpoints) \
         FROM (SELECT 1) AS one \
         LEFT JOIN LATERAL (SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1) AS j ON TRUE \
         LEFT JOIN journal_anchor AS a ON a.singleton = 1",
        &[],
    )?;
    let pair = |i: usize| -> Result<Option<(u64, Vec<u8>)>> {
        let seq: Option<i64> = r.try_get(i)?;
        let hash: Option<Vec<u8>> = r.try_get(i + 1)?;
        Ok(seq.zip(hash).map(|(s, h)| (s.unsigned_abs(), h)))
    };
    let last_signed: i64 = r.try_get(4)?;
    Ok((head_of(pair(0)?, pair(2)?), last_signed.unsigned_abs()))
}

fn last_checkpoint(c: &mut impl Db) -> Result<u64> {
    let n: i64 = c
        .query_one(
            "SELECT COALESCE(MAX(seq), 0)::bigint FROM journal_checkpoints",
            &[],
        )?
        .try_get(0)?;
    Ok(n.unsigned_abs())
}

/// Run a unit's data operations; consecutive subject creations go in one insert.
fn run_ops(c: &mut impl Db, ops: Vec<WriteOp>) -> Result<Vec<OpOutput>> {
    let mut outputs = Vec::with_capacity(ops.len());
    let mut subjects = Vec::new();
    for op in ops {
        match op {
            WriteOp::CreateSubject(s) => subjects.push(s),
            other => {
                outputs.extend(create_subjects(c, std::mem::take(&mut subjects))?);
                outputs.push(apply(c, other)?);
            }
        }
    }
    outputs.extend(create_subjects(c, subjects)?);
    Ok(outputs)
}

/// Insert subjects in one statement; one [`OpOutput::Done`] each.
fn create_subjects(c: &mut impl Db, subjects: Vec<crate::model::Subject>) -> Result<Vec<OpOutput>> {
    match subjects.len() {
        0 => return Ok(Vec::new()),
        1 => {
            let s = subjects.into_iter().next().map(WriteOp::CreateSubject);
            return s.map_or(Ok(Vec::new()), |op| Ok(vec![apply(c, op)?]));
        }
        _ => {}
    }
    let ids: Vec<&str> = subjects.iter().map(|s| s.id.as_str()).collect();
    let kinds: Vec<&str> = subjects.iter().map(|s| s.kind.as_str()).collect();
    let statuses: Vec<&str> = subjects.iter().map(|s| s.status.as_str()).collect();
    let created: Vec<i64> = subjects.iter().map(|s| to_micros(s.created_at)).collect();
    let closed: Vec<Option<i64>> = subjects.iter().map(|s| opt_us(s.closed_at)).collect();
    let grace: Vec<Option<i64>> = subjects.iter().map(|s| opt_us(s.grace_until)).collect();
    let erased: Vec<Option<i64>> = subjects.iter().map(|s| opt_us(s.erased_at)).collect();
    c.execute(
        &format!(
            "INSERT INTO subjects ({SUBJECT_COLS}) SELECT * FROM unnest($1::text[], $2::text[], \
             $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])"
        ),
        &[&ids, &kinds, &statuses, &created, &closed, &grace, &erased],
    )
    .map_err(|e| conflict(e, "subject", "(one subject of the batch)"))?;
    Ok(subjects.iter().map(|_| OpOutput::Done).collect())
}

/// The journal rows of a batch, chained in order, inserted together at the end.
#[derive(Default)]
struct JournalRows {
    seq: Vec<i64>,
    ts: Vec<i64>,
    actor: Vec<String>,
    action: Vec<String>,
    subject: Vec<Option<String>>,
    category: Vec<Option<String>>,
    purpose: Vec<Option<String>>,
    details: Vec<String>,
    prev: Vec<Vec<u8>>,
    hash: Vec<Vec<u8>>,
}

impl JournalRows {
    /// Chain `d` after `head` and keep the row; returns its sequence number.
    fn push(
        &mut self,
        head: &mut JournalAnchor,
        d: &JournalDraft,
        sealer: &dyn JournalSealer,
    ) -> Result<u64> {
        let seq = head.seq + 1;
        let hash = sealer.link(seq, &head.hash, d);
        self.seq.push(seq_i64(seq)?);
        self.ts.push(to_micros(d.ts));
        self.actor.push(d.actor.clone());
        self.action.push(d.action.clone());
        self.subject.push(d.subject_id.clone());
        self.category.push(d.category.clone());
        self.purpose.push(d.purpose.clone());
        self.details.push(d.details.clone());
        self.prev
            .push(std::mem::replace(&mut head.hash, hash.clone()));
        self.hash.push(hash);
        head.seq = seq;
        Ok(seq)
    }

    fn insert(self, c: &mut impl Db) -> Result<()> {
        if self.seq.is_empty() {
            return Ok(());
        }
        c.execute(
            "INSERT INTO journal (seq, ts, actor, action, subject_id, category, purpose, details, prev_hash, hash) \
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], \
             $7::text[], $8::text[], $9::bytea[], $10::bytea[])",
            &[
                &self.seq,
                &self.ts,
                &self.actor,
                &self.action,
                &self.subject,
                &self.category,
                &self.purpose,
                &self.details,
                &self.prev,
                &self.hash,
            ],
        )
        .map_err(|e| conflict(e, "journal entry", "(one entry of the batch)"))?;
        Ok(())
    }
}

const SUBJECT_COLS: &str = "id, kind, status, created_at, closed_at, grace_until, erased_at";
const TOKEN_COLS: &str = "digest, name, purposes, categories, created_at, revoked_at";

fn apply(c: &mut impl Db, op: WriteOp) -> Result<OpOutput> {
    Ok(match op {
        WriteOp::CreateSubject(s) => {
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
            OpOutput::Done
        }
        WriteOp::UpdateSubject(s) => {
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
                return Err(StoreError::NotFound {
                    kind: "subject",
                    id: s.id,
                });
            }
            OpOutput::Done
        }
        WriteOp::RequireSubject { id, statuses } => {
            // FOR SHARE: an erasure committing meanwhile waits for us, or we see it.
            let row = c.query_opt(
                "SELECT status FROM subjects WHERE id = $1 FOR SHARE",
                &[&id],
            )?;
            let Some(row) = row else {
                return Err(StoreError::NotFound {
                    kind: "subject",
                    id,
                });
            };
            let text: String = row.try_get(0)?;
            let status = SubjectStatus::parse(&text).ok_or_else(|| StoreError::Corrupt {
                table: "subjects",
                detail: format!("status `{text}`"),
            })?;
            if !statuses.contains(&status) {
                return Err(StoreError::SubjectState { id, status });
            }
            OpOutput::Done
        }
        WriteOp::InsertRecords(records) => {
            insert_records(c, &records)?;
            OpOutput::Done
        }
        WriteOp::InsertTimed(rows) => {
            timed::insert(c, &rows)?;
            OpOutput::Done
        }
        WriteOp::PutBlindIndexes(entries) => {
            let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
            let digests: Vec<&[u8]> = entries.iter().map(|e| e.digest.as_slice()).collect();
            let subjects: Vec<&str> = entries.iter().map(|e| e.subject_id.as_str()).collect();
            c.execute(
                "INSERT INTO blind_index (kind, digest, subject_id) \
                 SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[]) ON CONFLICT DO NOTHING",
                &[&kinds, &digests, &subjects],
            )?;
            OpOutput::Done
        }
        WriteOp::RemoveBlindIndexes(entries) => {
            let mut n = 0;
            for e in &entries {
                n += c.execute(
                    "DELETE FROM blind_index WHERE kind = $1 AND digest = $2 AND subject_id = $3",
                    &[&e.kind, &e.digest, &e.subject_id],
                )?;
            }
            OpOutput::Count(n)
        }
        WriteOp::RemoveSubjectIndexes { subject_id, kinds } => OpOutput::Count(c.execute(
            "DELETE FROM blind_index WHERE subject_id = $1 AND ($2::text[] IS NULL OR kind = ANY($2))",
            &[&subject_id, &kinds],
        )?),
        WriteOp::ReplaceRecord(r) => {
            replace_record(c, &r)?;
            OpOutput::Done
        }
        WriteOp::DeleteRecord { subject_id, id } => {
            let n = c.execute(
                "DELETE FROM records WHERE id = $1 AND subject_id = $2",
                &[&id, &subject_id],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound { kind: "record", id });
            }
            OpOutput::Count(n)
        }
        WriteOp::DeleteRecords(items) => {
            let subjects: Vec<&str> = items.iter().map(|d| d.subject_id.as_str()).collect();
            let ids: Vec<&str> = items.iter().map(|d| d.id.as_str()).collect();
            let dues: Vec<i64> = items.iter().map(|d| to_micros(d.due)).collect();
            let gone = c.query(
                "DELETE FROM records r USING unnest($1::text[], $2::text[], $3::int8[]) AS t(subject_id, id, due) \
                 WHERE r.id = t.id AND r.subject_id = t.subject_id AND r.retention_due = t.due RETURNING r.id",
                &[&subjects, &ids, &dues],
            )?;
            if gone.len() != items.len() {
                let gone: std::collections::HashSet<String> = gone
                    .iter()
                    .map(|r| r.try_get::<_, String>(0))
                    .collect::<std::result::Result<_, _>>()?;
                let Some(missed) = items.iter().find(|d| !gone.contains(&d.id)) else {
                    return Err(StoreError::Invalid(
                        "a purge page names the same record twice".into(),
                    ));
                };
                // Rolled back with the unit: say whether it went or changed.
                let still_there = c
                    .query_opt(
                        "SELECT 1 FROM records WHERE id = $1 AND subject_id = $2",
                        &[&missed.id, &missed.subject_id],
                    )?
                    .is_some();
                return Err(crate::batch::undeleted(missed, still_there));
            }
            OpOutput::Count(items.len() as u64)
        }
        WriteOp::RequireRecordsAsRead {
            subject_id,
            category,
            records,
        } => {
            let found = c
                .query(
                    "SELECT id, retention_due, sealed FROM records WHERE subject_id = $1 AND category = $2",
                    &[&subject_id, &category],
                )?
                .iter()
                .map(|r| {
                    Ok(RecordSeen {
                        id: r.try_get(0)?,
                        retention_due: r
                            .try_get::<_, Option<i64>>(1)?
                            .map(|us| from_micros(us, "records"))
                            .transpose()?,
                        sealed: r.try_get(2)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            crate::batch::check_records_as_read(&records, found)?;
            OpOutput::Done
        }
        WriteOp::RemoveCategoryIndexes(pairs) => {
            let (subjects, categories): (Vec<&str>, Vec<&str>) = pairs
                .iter()
                .map(|(s, c)| (s.as_str(), c.as_str()))
                .unzip();
            let left = c.query_opt(
                "SELECT t.subject_id, t.category FROM unnest($1::text[], $2::text[]) AS t(subject_id, category) \
                 WHERE EXISTS (SELECT 1 FROM records r WHERE r.subject_id = t.subject_id AND r.category = t.category) \
                 LIMIT 1",
                &[&subjects, &categories],
            )?;
            if let Some(row) = left {
                return Err(StoreError::Remaining {
                    subject: row.try_get(0)?,
                    category: row.try_get(1)?,
                });
            }
            // `subject_id = ANY($1)` first, so that the subject index is used: joined with
            // `unnest` alone, the planner hashed the whole table (0.6 s per purge page at 10M
            // records, docs/benchmarks-retention.md, session 7).
            OpOutput::Count(c.execute(
                "DELETE FROM blind_index b WHERE b.subject_id = ANY($1::text[]) \
                 AND EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[]) AS t(subject_id, category) \
                 WHERE t.subject_id = b.subject_id AND starts_with(b.kind, t.category || '/'))",
                &[&subjects, &categories],
            )?)
        }
        WriteOp::DeleteSubjectRecords { subject_id } => OpOutput::Count(c.execute(
            "DELETE FROM records WHERE subject_id = $1",
            &[&subject_id],
        )?),
        WriteOp::DeleteSubjectCategory {
            subject_id,
            category,
        } => OpOutput::Count(c.execute(
            "DELETE FROM records WHERE subject_id = $1 AND category = $2",
            &[&subject_id, &category],
        )?),
        WriteOp::DeleteSubjectTimed { subject_id } => {
            OpOutput::Count(timed::delete_subject(c, &subject_id)?)
        }
        WriteOp::DeleteSubjectTimedCategory {
            subject_id,
            category,
        } => OpOutput::Count(timed::delete_subject_category(c, &subject_id, &category)?),
        // PostgreSQL has no page zeroing to skip: a dropped partition's files are unlinked.
        WriteOp::DropTimedBefore {
            category,
            before,
            shredded_from_version: _,
        } => OpOutput::Dropped(timed::drop_before(
            c,
            "",
            category.as_deref(),
            before,
        )?),
        WriteOp::PutToken(t) => {
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
            OpOutput::Done
        }
        WriteOp::RevokeToken { digest, at } => OpOutput::Flag(
            c.execute(
                "UPDATE app_tokens SET revoked_at = $2 WHERE digest = $1 AND revoked_at IS NULL",
                &[&digest, &to_micros(at)],
            )? == 1,
        ),
        WriteOp::PutDoc {
            kind,
            id,
            expected_version,
            owner,
            state,
            body,
            at,
        } => OpOutput::Version(put_doc(
            c,
            &kind,
            &id,
            expected_version,
            [owner.as_deref(), state.as_deref()],
            &body,
            at,
        )?),
        WriteOp::DeleteDocs { kind, ids } => OpOutput::Count(c.execute(
            "DELETE FROM documents WHERE kind = $1 AND id = ANY($2)",
            &[&kind, &ids],
        )?),
        WriteOp::RequireDocCount { kind, count } => {
            let found: i64 = c
                .query_one("SELECT COUNT(*) FROM documents WHERE kind = $1", &[&kind])?
                .try_get(0)?;
            crate::batch::check_doc_count(kind, count, found.unsigned_abs())?;
            OpOutput::Done
        }
        WriteOp::JournalDropBefore { before } => {
            OpOutput::Count(journal_drop_before(c, seq_i64(before)?)?)
        }
        WriteOp::DateSubjectEvent {
            subject_id,
            categories,
            update,
            due_by,
        } => {
            let (updated, due) =
                super::subject_event::date(c, &subject_id, &categories, &update.0, due_by)?;
            OpOutput::Dated { updated, due }
        }
        WriteOp::LinkIncident { window, due } => {
            OpOutput::Linked(super::incident::link(c, &window, &due.0)?)
        }
    })
}

fn replace_record(c: &mut impl Db, r: &Record) -> Result<()> {
    let n = c.execute(
        "UPDATE records SET collected_at = $4, source_channel = $5, purposes = $6, last_interaction = $7, \
         contract_end = $8, account_closure = $9, custom_events = $10, incident_linked = $11, \
         retention_due = $12, sealed = $13, key_version = $14 \
         WHERE id = $1 AND subject_id = $2 AND category = $3",
        &[
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
        ],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound {
            kind: "record",
            id: r.id.clone(),
        });
    }
    Ok(())
}

fn put_doc(
    c: &mut impl Db,
    kind: &str,
    id: &str,
    expected: Option<u64>,
    [owner, state]: [Option<&str>; 2],
    body: &[u8],
    at: DateTime<Utc>,
) -> Result<u64> {
    crate::batch::check_doc_key(kind, id)?;
    let found = c
        .query_opt(
            "SELECT version FROM documents WHERE kind = $1 AND id = $2 FOR UPDATE",
            &[&kind, &id],
        )?
        .map(|r| r.try_get::<_, i64>(0).map(i64::unsigned_abs))
        .transpose()?;
    if found != expected {
        return Err(StoreError::VersionConflict {
            kind: kind.to_string(),
            id: id.to_string(),
            expected,
            found,
        });
    }
    let version = found.unwrap_or(0) + 1;
    c.execute(
        "INSERT INTO documents (kind, id, version, body, updated_at, owner, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (kind, id) DO UPDATE SET version = EXCLUDED.version, body = EXCLUDED.body, \
         updated_at = EXCLUDED.updated_at, owner = EXCLUDED.owner, state = EXCLUDED.state",
        &[
            &kind,
            &id,
            &seq_i64(version)?,
            &body,
            &to_micros(at),
            &owner,
            &state,
        ],
    )
    .map_err(|e| {
        // Two creators raced past the SELECT (no row to lock yet): the loser conflicts.
        match conflict(e, "document", id) {
            StoreError::Conflict { .. } => StoreError::VersionConflict {
                kind: kind.to_string(),
                id: id.to_string(),
                expected,
                found: Some(1),
            },
            other => other,
        }
    })?;
    Ok(version)
}

pub fn journal_drop_before(c: &mut impl Db, before: i64) -> Result<u64> {
    let Some(last) = c.query_opt(
        "SELECT seq, hash FROM journal WHERE seq < $1 ORDER BY seq DESC LIMIT 1",
        &[&before],
    )?
    else {
        return Ok(0);
    };
    let (seq, hash): (i64, Vec<u8>) = (last.try_get(0)?, last.try_get(1)?);
    c.execute(
        "INSERT INTO journal_anchor (singleton, seq, hash) VALUES (1, $1, $2) \
         ON CONFLICT (singleton) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash",
        &[&seq, &hash],
    )?;
    c.execute("DELETE FROM journal_checkpoints WHERE seq < $1", &[&seq])?;
    Ok(c.execute("DELETE FROM journal WHERE seq <= $1", &[&seq])?)
}

pub fn doc(r: &::postgres::Row) -> Result<StoredDoc> {
    Ok(StoredDoc {
        kind: r.try_get(0)?,
        id: r.try_get(1)?,
        version: r.try_get::<_, i64>(2)?.unsigned_abs(),
        body: r.try_get(3)?,
        updated_at: from_micros(r.try_get(4)?, "documents")?,
        owner: r.try_get(5)?,
        state: r.try_get(6)?,
    })
}
