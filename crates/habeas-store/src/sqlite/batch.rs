//! [`crate::Store::commit`] on SQLite: runs inside one writer-thread job, hence inside the
//! `BEGIN IMMEDIATE` transaction that holds the database's only write lock — so the journal
//! head read here is the committed head, and no other process can append meanwhile.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use super::multi::{Insert, bind};
use super::rows::{SUBJECT_COLS, TOKEN_COLS, conflict, seq_i64, to_json};
use super::{blind, timed};
use crate::batch::{
    DueDeletion, JournalDraft, JournalSealer, OpOutput, RecordSeen, StoredDoc, UnitOutcome,
    WriteOp, WriteUnit, head_of,
};
use crate::error::{Result, StoreError};
use crate::model::{JournalAnchor, NewRecord, Record, Subject, SubjectStatus};
use crate::time::{from_micros, month_index, to_micros};

fn opt_us(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<i64> {
    t.map(to_micros)
}

/// Run every unit; one savepoint per unit when there are several and the unit needs one
/// ([`needs_savepoint`]; a lone unit's failure fails the writer job, whose own savepoint or
/// transaction is rolled back).
///
/// A unit that needs none — journal entries only (an audited read, a find, a refusal), or
/// read-only checks followed by writes that conflict with nothing (a single-record write) —
/// either fails in its checks, before it wrote anything (its error is its own; the others
/// go on), or fails because the database itself did (disk full, I/O error), and then the
/// whole batch fails and is rolled back by the writer, every caller hearing so. Under 32
/// concurrent clients most units are of these kinds, and a savepoint per unit was a
/// measurable share of the single writer thread's time: the pair of statements, and the
/// statement journal's copy of every page each unit touched — 7 % of its samples under
/// single-record writes (docs/benchmarks-vault.md, sessions 8 and 14).
pub fn commit(
    c: &Connection,
    units: Vec<WriteUnit>,
    sealer: &Arc<dyn JournalSealer>,
) -> Result<Vec<Result<UnitOutcome>>> {
    let mut head = read_head(c)?;
    let several = units.len() > 1;
    let mut results = Vec::with_capacity(units.len());
    for unit in units {
        let isolate = several && needs_savepoint(&unit);
        if isolate {
            c.prepare_cached("SAVEPOINT unit")?.execute([])?;
        }
        let before = head.clone();
        let result = run_unit(c, unit, &mut head, sealer);
        let result = match (result, isolate) {
            (Ok(outcome), true) => {
                c.prepare_cached("RELEASE unit")?.execute([])?;
                Ok(outcome)
            }
            (Err(failed), true) => {
                c.execute_batch("ROLLBACK TO unit; RELEASE unit")?;
                head = before;
                Err(failed.error)
            }
            // A check refused it before it wrote anything: nothing to undo.
            (Err(failed), false) if several && !failed.wrote => Err(failed.error),
            (Err(failed), false) => {
                // Alone, or failed after writing: hand the error to the writer, which
                // undoes the whole job and reports the failure to every unit of it.
                return Err(failed.error);
            }
            (Ok(outcome), false) => Ok(outcome),
        };
        results.push(result);
    }
    sign(c, &head, sealer)?;
    Ok(results)
}

/// How the writer undoes a job committing `units` if it fails among other jobs
/// ([`super::writer::Undo`]). A lone unit runs here without a savepoint of its own, so one
/// that may fail after writing needs the writer's. Several units fail the job only if the
/// database fails: each that may fail after writing has its own savepoint here, and the
/// others fail before writing (their error is theirs, the job goes on).
pub fn undo(units: &[WriteUnit]) -> super::writer::Undo {
    match units {
        [unit] if needs_savepoint(unit) => super::writer::Undo::Job,
        _ => super::writer::Undo::Batch,
    }
}

/// Whether `unit`, run among others, needs its own savepoint: unless its ops are read-only
/// checks first, then only writes that can fail by nothing but a database failure — records
/// (ids the engine drew at random) and blind-index entries (an identical entry is kept).
/// A check after a write, or any other op, may fail with the unit's own error after it
/// wrote: that unit gets a savepoint.
fn needs_savepoint(unit: &WriteUnit) -> bool {
    let mut writing = false;
    for op in &unit.ops {
        match op {
            op if is_check(op) && !writing => {}
            WriteOp::InsertRecords(_) | WriteOp::PutBlindIndexes(_) => writing = true,
            _ => return true,
        }
    }
    false
}

/// Whether `op` only reads: a check that refuses the unit or lets it through.
fn is_check(op: &WriteOp) -> bool {
    matches!(
        op,
        WriteOp::RequireSubject { .. } | WriteOp::RequireRecordsAsRead { .. }
    )
}

/// One unit alone, from the head as it is in the open transaction (a step of
/// [`crate::Store::commit_steps`]: the writer may have committed other jobs since the last).
pub fn commit_one(
    c: &Connection,
    unit: WriteUnit,
    sealer: &Arc<dyn JournalSealer>,
) -> Result<UnitOutcome> {
    let mut head = read_head(c)?;
    let outcome = run_unit(c, unit, &mut head, sealer).map_err(|f| f.error)?;
    sign(c, &head, sealer)?;
    Ok(outcome)
}

/// Store the signed checkpoint the sealer wants at `head`, if it wants one.
fn sign(c: &Connection, head: &JournalAnchor, sealer: &Arc<dyn JournalSealer>) -> Result<()> {
    let last_signed: i64 = c
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM journal_checkpoints")?
        .query_row([], |r| r.get(0))?;
    if let Some(cp) = sealer.checkpoint(head, last_signed.unsigned_abs()) {
        c.prepare_cached(
            "INSERT OR REPLACE INTO journal_checkpoints (seq, hash, signature) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![seq_i64(cp.seq)?, cp.hash, cp.signature])?;
    }
    Ok(())
}

fn read_head(c: &Connection) -> Result<JournalAnchor> {
    let newest: Option<(i64, Vec<u8>)> = c
        .prepare_cached("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let anchor: Option<(i64, Vec<u8>)> = c
        .prepare_cached("SELECT seq, hash FROM journal_anchor WHERE singleton = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let unsigned = |(s, h): (i64, Vec<u8>)| (s.unsigned_abs(), h);
    Ok(head_of(newest.map(unsigned), anchor.map(unsigned)))
}

/// Why a unit failed, and whether it had written anything by then (a read-only check that
/// refused it first had not).
struct UnitFailed {
    error: StoreError,
    wrote: bool,
}

fn run_unit(
    c: &Connection,
    unit: WriteUnit,
    head: &mut JournalAnchor,
    sealer: &Arc<dyn JournalSealer>,
) -> std::result::Result<UnitOutcome, UnitFailed> {
    let mut wrote = false;
    run_unit_ops(c, unit, head, sealer, &mut wrote).map_err(|error| UnitFailed { error, wrote })
}

fn run_unit_ops(
    c: &Connection,
    unit: WriteUnit,
    head: &mut JournalAnchor,
    sealer: &Arc<dyn JournalSealer>,
    wrote: &mut bool,
) -> Result<UnitOutcome> {
    let mut outputs = Vec::with_capacity(unit.ops.len());
    let mut ops = unit.ops.into_iter().peekable();
    while let Some(op) = ops.next() {
        *wrote |= !is_check(&op);
        // A bulk unit creates its new subjects as consecutive ops: one multi-row insert.
        if let WriteOp::CreateSubject(first) = op {
            let mut run = vec![first];
            while let Some(WriteOp::CreateSubject(s)) =
                ops.next_if(|op| matches!(op, WriteOp::CreateSubject(_)))
            {
                run.push(s);
            }
            create_subjects(c, &run)?;
            outputs.extend(run.iter().map(|_| OpOutput::Done));
            continue;
        }
        outputs.push(apply(c, op)?);
    }
    *wrote = true;
    let seqs = append(c, head, &unit.journal, sealer.as_ref())?;
    Ok(UnitOutcome { seqs, outputs })
}

static JOURNAL: Insert = Insert::new(
    "INSERT INTO journal (seq, ts, actor, action, subject_id, category, purpose, details, prev_hash, hash)",
    10,
);

/// Append `drafts` after `head`, chaining each to the one before; their sequence numbers.
fn append(
    c: &Connection,
    head: &mut JournalAnchor,
    drafts: &[JournalDraft],
    sealer: &dyn JournalSealer,
) -> Result<Vec<u64>> {
    // chain[i] is the hash before entry i, chain[i + 1] its own.
    let mut chain = Vec::with_capacity(drafts.len() + 1);
    chain.push(std::mem::take(&mut head.hash));
    let mut rows = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.iter().enumerate() {
        let seq = head.seq + 1 + i as u64;
        chain.push(sealer.link(seq, &chain[i], d));
        rows.push((seq_i64(seq)?, d));
    }
    let seqs: Vec<u64> = rows.iter().map(|(seq, _)| seq.unsigned_abs()).collect();
    let rows: Vec<_> = rows.into_iter().zip(chain.windows(2)).collect();
    JOURNAL.run(
        c,
        &rows,
        |s, at, ((seq, d), link)| {
            bind(
                s,
                at,
                params![
                    seq,
                    to_micros(d.ts),
                    d.actor,
                    d.action,
                    d.subject_id,
                    d.category,
                    d.purpose,
                    d.details,
                    link[0],
                    link[1]
                ],
            )
        },
        |e, ((seq, _), _)| conflict(e, "journal entry", &seq.to_string()),
    )?;
    drop(rows);
    head.seq += seqs.len() as u64;
    head.hash = chain.pop().unwrap_or_default();
    Ok(seqs)
}

fn apply(c: &Connection, op: WriteOp) -> Result<OpOutput> {
    Ok(match op {
        WriteOp::CreateSubject(s) => {
            create_subject(c, &s)?;
            OpOutput::Done
        }
        WriteOp::UpdateSubject(s) => {
            update_subject(c, &s)?;
            OpOutput::Done
        }
        WriteOp::RequireSubject { id, statuses } => {
            let status: Option<String> = c
                .prepare_cached("SELECT status FROM subjects WHERE id = ?1")?
                .query_row([&id], |r| r.get(0))
                .optional()?;
            let Some(status) = status else {
                return Err(StoreError::NotFound {
                    kind: "subject",
                    id,
                });
            };
            let status = SubjectStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
                table: "subjects",
                detail: format!("status `{status}`"),
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
        WriteOp::PutBlindIndexes(mut entries) => {
            blind::put(c, &mut entries)?;
            OpOutput::Done
        }
        WriteOp::RemoveBlindIndexes(entries) => OpOutput::Count(blind::remove(c, &entries)?),
        WriteOp::RemoveSubjectIndexes { subject_id, kinds } => OpOutput::Count(match kinds {
            None => blind::remove_subject(c, &subject_id, None)?,
            Some(kinds) => {
                let mut n = 0;
                for k in &kinds {
                    n += blind::remove_subject(c, &subject_id, Some(k))?;
                }
                n
            }
        }),
        WriteOp::ReplaceRecord(r) => {
            replace_record(c, &r)?;
            OpOutput::Done
        }
        WriteOp::DeleteRecord { subject_id, id } => {
            let n = c
                .prepare_cached("DELETE FROM records WHERE id = ?1 AND subject_id = ?2")?
                .execute(params![id, subject_id])?;
            if n == 0 {
                return Err(StoreError::NotFound { kind: "record", id });
            }
            OpOutput::Count(n as u64)
        }
        WriteOp::DeleteRecords(items) => OpOutput::Count(delete_records(c, &items)?),
        WriteOp::RequireRecordsAsRead {
            subject_id,
            category,
            records,
        } => {
            require_records_as_read(c, &subject_id, &category, &records)?;
            OpOutput::Done
        }
        WriteOp::RemoveCategoryIndexes(pairs) => {
            OpOutput::Count(remove_category_indexes(c, &pairs)?)
        }
        WriteOp::DeleteSubjectRecords { subject_id } => OpOutput::Count(
            c.prepare_cached("DELETE FROM records WHERE subject_id = ?1")?
                .execute([subject_id])? as u64,
        ),
        WriteOp::DeleteSubjectCategory {
            subject_id,
            category,
        } => OpOutput::Count(
            c.prepare_cached("DELETE FROM records WHERE subject_id = ?1 AND category = ?2")?
                .execute([subject_id, category])? as u64,
        ),
        WriteOp::DeleteSubjectTimed { subject_id } => {
            OpOutput::Count(timed::delete_subject(c, &subject_id)?)
        }
        WriteOp::DeleteSubjectTimedCategory {
            subject_id,
            category,
        } => OpOutput::Count(timed::delete_subject_category(c, &subject_id, &category)?),
        WriteOp::DropTimedBefore {
            category,
            before,
            shredded_from_version,
        } => OpOutput::Dropped(timed::drop_before(
            c,
            category.as_deref(),
            month_index(before),
            before,
            shredded_from_version,
        )?),
        WriteOp::PutToken(t) => {
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
            OpOutput::Done
        }
        WriteOp::RevokeToken { digest, at } => {
            let n = c
                .prepare_cached(
                    "UPDATE app_tokens SET revoked_at = ?2 WHERE digest = ?1 AND revoked_at IS NULL",
                )?
                .execute(params![digest, to_micros(at)])?;
            OpOutput::Flag(n == 1)
        }
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
        WriteOp::DeleteDocs { kind, ids } => {
            let mut stmt = c.prepare_cached("DELETE FROM documents WHERE kind = ?1 AND id = ?2")?;
            let mut deleted = 0u64;
            for id in &ids {
                deleted += stmt.execute([&kind, id])? as u64;
            }
            OpOutput::Count(deleted)
        }
        WriteOp::RequireDocCount { kind, count } => {
            let found: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM documents WHERE kind = ?1")?
                .query_row([&kind], |r| r.get(0))?;
            crate::batch::check_doc_count(kind, count, found.unsigned_abs())?;
            OpOutput::Done
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
        WriteOp::JournalDropBefore { before } => {
            OpOutput::Count(journal_drop_before(c, seq_i64(before)?)?)
        }
    })
}

/// [`WriteOp::DeleteRecords`] as ONE statement over a JSON array of `[subject, id]` pairs:
/// a statement per record cost a statement journal each, a measurable share of a purge
/// page (docs/benchmarks-retention.md).
fn delete_records(c: &Connection, items: &[DueDeletion]) -> Result<u64> {
    if items.is_empty() {
        return Ok(0);
    }
    let triples: Vec<(&str, &str, i64)> = items
        .iter()
        .map(|d| (d.subject_id.as_str(), d.id.as_str(), to_micros(d.due)))
        .collect();
    let mut stmt = c.prepare_cached(
        "DELETE FROM records WHERE rid IN (SELECT r.rid FROM json_each(?1) AS j \
         JOIN records AS r ON r.id = json_extract(j.value, '$[1]') \
         AND r.subject_id = json_extract(j.value, '$[0]') \
         AND r.retention_due = json_extract(j.value, '$[2]')) RETURNING id",
    )?;
    let gone = stmt
        .query_map([to_json(&triples)?], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<std::collections::HashSet<String>, _>>()?;
    if let Some(missed) = items.iter().find(|d| !gone.contains(&d.id)) {
        // Rolled back with the unit: say whether it went or changed.
        let still_there = c
            .prepare_cached("SELECT 1 FROM records WHERE id = ?1 AND subject_id = ?2")?
            .query_row([&missed.id, &missed.subject_id], |_| Ok(()))
            .optional()?
            .is_some();
        return Err(crate::batch::undeleted(missed, still_there));
    }
    Ok(gone.len() as u64)
}

/// [`WriteOp::RequireRecordsAsRead`]: the subject's records of the category as they are now.
fn require_records_as_read(
    c: &Connection,
    subject_id: &str,
    category: &str,
    expected: &[RecordSeen],
) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT id, retention_due, sealed FROM records WHERE subject_id = ?1 AND category = ?2",
    )?;
    let found = stmt
        .query_map([subject_id, category], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?
        .map(|row| {
            let (id, due, sealed) = row?;
            Ok(RecordSeen {
                id,
                retention_due: crate::time::opt_from_micros(due, "records")?,
                sealed,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    crate::batch::check_records_as_read(expected, found)
}

/// [`WriteOp::RemoveCategoryIndexes`]: refuse while a record of a pair remains, then drop
/// the subjects' entries whose kind starts with `category/`; two statements for all pairs.
fn remove_category_indexes(c: &Connection, pairs: &[(String, String)]) -> Result<u64> {
    if pairs.is_empty() {
        return Ok(0);
    }
    let pairs = to_json(&pairs)?;
    let left: Option<(String, String)> = c
        .prepare_cached(
            "SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM json_each(?1) AS j \
             WHERE EXISTS (SELECT 1 FROM records AS r WHERE r.subject_id = json_extract(j.value, '$[0]') \
             AND r.category = json_extract(j.value, '$[1]')) LIMIT 1",
        )?
        .query_row([&pairs], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((subject, category)) = left {
        return Err(StoreError::Remaining { subject, category });
    }
    blind::remove_categories(c, &pairs)
}

/// `INSERT INTO subjects ({SUBJECT_COLS})` as a constant: a bulk batch creates thousands of
/// subjects, and formatting the statement for each one cost an allocation and a longer
/// statement-cache lookup per row.
static SUBJECTS: Insert = Insert::new(
    "INSERT INTO subjects (id, kind, status, created_at, closed_at, grace_until, erased_at)",
    7,
);

fn bind_subject(stmt: &mut rusqlite::Statement<'_>, at: usize, s: &Subject) -> Result<()> {
    bind(
        stmt,
        at,
        params![
            s.id,
            s.kind,
            s.status.as_str(),
            to_micros(s.created_at),
            opt_us(s.closed_at),
            opt_us(s.grace_until),
            opt_us(s.erased_at)
        ],
    )
}

pub fn create_subject(c: &Connection, s: &Subject) -> Result<()> {
    create_subjects(c, std::slice::from_ref(s))
}

/// Insert subjects; `Conflict` naming the first whose id exists.
pub fn create_subjects(c: &Connection, subjects: &[Subject]) -> Result<()> {
    debug_assert!(SUBJECTS.one_row().contains(SUBJECT_COLS));
    SUBJECTS.run(c, subjects, bind_subject, |e, s| {
        conflict(e, "subject", &s.id)
    })
}

pub fn update_subject(c: &Connection, s: &Subject) -> Result<()> {
    let n = c
        .prepare_cached(
            "UPDATE subjects SET kind = ?2, status = ?3, created_at = ?4, closed_at = ?5, grace_until = ?6, \
             erased_at = ?7 WHERE id = ?1",
        )?
        .execute(params![
            s.id,
            s.kind,
            s.status.as_str(),
            to_micros(s.created_at),
            opt_us(s.closed_at),
            opt_us(s.grace_until),
            opt_us(s.erased_at)
        ])?;
    if n == 0 {
        return Err(StoreError::NotFound {
            kind: "subject",
            id: s.id.clone(),
        });
    }
    Ok(())
}

static RECORDS: Insert = Insert::new(
    "INSERT INTO records (id, subject_id, category, collected_at, source_channel, purposes, \
     last_interaction, contract_end, account_closure, custom_events, incident_linked, retention_due, \
     sealed, key_version)",
    14,
);

/// A record's 14 column values, in `RECORD_COLS` order, as statement parameters: the
/// multi-row insert and the rectification bind the same list.
macro_rules! record_params {
    ($r:expr) => {
        params![
            $r.id,
            $r.subject_id,
            $r.category,
            to_micros($r.collected_at),
            $r.source_channel,
            to_json(&$r.purposes)?,
            opt_us($r.events.last_interaction),
            opt_us($r.events.contract_end),
            opt_us($r.events.account_closure),
            to_json(&$r.events.custom)?,
            $r.incident_linked,
            opt_us($r.retention_due),
            $r.sealed,
            $r.key_version
        ]
    };
}

pub fn insert_records(c: &Connection, records: &[NewRecord]) -> Result<()> {
    RECORDS.run(
        c,
        records,
        |s, at, r| bind(s, at, record_params!(r)),
        |e, r| conflict(e, "record", &r.id),
    )
}

fn replace_record(c: &Connection, r: &Record) -> Result<()> {
    let n = c
        .prepare_cached(
            "UPDATE records SET collected_at = ?4, source_channel = ?5, purposes = ?6, last_interaction = ?7, \
             contract_end = ?8, account_closure = ?9, custom_events = ?10, incident_linked = ?11, \
             retention_due = ?12, sealed = ?13, key_version = ?14 \
             WHERE id = ?1 AND subject_id = ?2 AND category = ?3",
        )?
        .execute(record_params!(r))?;
    if n == 0 {
        return Err(StoreError::NotFound {
            kind: "record",
            id: r.id.clone(),
        });
    }
    Ok(())
}

fn put_doc(
    c: &Connection,
    kind: &str,
    id: &str,
    expected: Option<u64>,
    [owner, state]: [Option<&str>; 2],
    body: &[u8],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<u64> {
    crate::batch::check_doc_key(kind, id)?;
    let found: Option<i64> = c
        .prepare_cached("SELECT version FROM documents WHERE kind = ?1 AND id = ?2")?
        .query_row([kind, id], |r| r.get(0))
        .optional()?;
    let found = found.map(i64::unsigned_abs);
    if found != expected {
        return Err(StoreError::VersionConflict {
            kind: kind.to_string(),
            id: id.to_string(),
            expected,
            found,
        });
    }
    let version = found.unwrap_or(0) + 1;
    c.prepare_cached(
        "INSERT INTO documents (kind, id, version, body, updated_at, owner, state) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, body = excluded.body, \
         updated_at = excluded.updated_at, owner = excluded.owner, state = excluded.state",
    )?
    .execute(params![
        kind,
        id,
        seq_i64(version)?,
        body,
        to_micros(at),
        owner,
        state
    ])?;
    Ok(version)
}

pub fn journal_drop_before(c: &Connection, before: i64) -> Result<u64> {
    let last: Option<(i64, Vec<u8>)> = c
        .query_row(
            "SELECT seq, hash FROM journal WHERE seq < ?1 ORDER BY seq DESC LIMIT 1",
            [before],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((seq, hash)) = last else {
        return Ok(0);
    };
    c.execute(
        "INSERT INTO journal_anchor (singleton, seq, hash) VALUES (1, ?1, ?2) \
         ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![seq, hash],
    )?;
    c.execute("DELETE FROM journal_checkpoints WHERE seq < ?1", [seq])?;
    Ok(c.execute("DELETE FROM journal WHERE seq <= ?1", [seq])? as u64)
}

pub fn doc(r: &rusqlite::Row<'_>) -> Result<StoredDoc> {
    Ok(StoredDoc {
        kind: r.get(0)?,
        id: r.get(1)?,
        version: r.get::<_, i64>(2)?.unsigned_abs(),
        body: r.get(3)?,
        updated_at: from_micros(r.get(4)?, "documents")?,
        owner: r.get(5)?,
        state: r.get(6)?,
    })
}
