//! The writer's callback answers ([`Writer::write_then`]): given after the commit, an error
//! when the commit fails, and a caller gone does not stall the writer; linked units of a bulk
//! import ([`Writer::write_linked`]) share a transaction without holding anyone else back; a
//! failing job among others is undone alone in its savepoint ([`Undo::Job`]), or, run without
//! one ([`Undo::Batch`]), leaves the others be when it wrote nothing and takes the whole
//! batch down when it did.

use std::sync::mpsc::channel;
use std::time::Duration;

use rusqlite::Connection;

use super::{Undo, Writer};
use crate::error::{Result, StoreError};

/// Long enough for a loaded machine; a hang fails instead of blocking the suite.
const PATIENCE: Duration = Duration::from_secs(30);

fn db(dir: &std::path::Path) -> (Writer, std::path::PathBuf) {
    let path = dir.join("writer.db");
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;
         CREATE TABLE t (x INTEGER NOT NULL);
         CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);",
    )
    .expect("schema");
    (Writer::start(conn, "test").expect("writer"), path)
}

fn count(path: &std::path::Path, x: i64) -> i64 {
    let reader = Connection::open(path).expect("reader");
    reader
        .query_row("SELECT count(*) FROM t WHERE x = ?1", [x], |r| r.get(0))
        .expect("count")
}

fn insert(c: &Connection, x: i64) -> Result<()> {
    c.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
    Ok(())
}

#[test]
fn a_callback_is_answered_only_once_its_row_is_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = db(dir.path());
    let (tx, rx) = channel();
    let seen_by = path.clone();
    writer.write_then(
        |c| insert(c, 7),
        Box::new(move |answer| {
            // Still on the writer thread: another connection sees the row only if the
            // transaction committed before this answer.
            let _ = tx.send((answer, count(&seen_by, 7)));
        }),
    );
    let (answer, visible) = rx.recv_timeout(PATIENCE).expect("answered");
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(visible, 1, "the answer came before the commit");
}

#[test]
fn a_commit_that_fails_answers_its_error_through_the_callback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = db(dir.path());
    let (tx, rx) = channel();
    // The job itself succeeds; the deferred foreign key fails the COMMIT.
    writer.write_then(
        |c| {
            insert(c, 1)?;
            c.execute("INSERT INTO child (pid) VALUES (42)", [])?;
            Ok(())
        },
        Box::new(move |answer: Result<()>| {
            let _ = tx.send(answer);
        }),
    );
    let answer = rx.recv_timeout(PATIENCE).expect("answered, not hung");
    assert!(
        matches!(answer, Err(StoreError::CommitFailed(_))),
        "{answer:?}"
    );
    assert_eq!(count(&path, 1), 0, "a failed commit stored nothing");
    // A job's own error is its answer too.
    let (tx, rx) = channel();
    writer.write_then(
        |c| {
            c.execute_batch("INSERT INTO missing VALUES (1)")
                .map_err(StoreError::from)
        },
        Box::new(move |answer: Result<()>| {
            let _ = tx.send(answer);
        }),
    );
    assert!(rx.recv_timeout(PATIENCE).expect("answered").is_err());
}

#[test]
fn a_caller_gone_does_not_stall_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = db(dir.path());
    for x in 0..50 {
        let (tx, rx) = channel::<Result<()>>();
        // The caller gives up before the answer: its send fails, silently.
        drop(rx);
        writer.write_then(
            move |c| insert(c, x),
            Box::new(move |answer| {
                let _ = tx.send(answer);
            }),
        );
    }
    // A callback dropped uncalled would do no harm either; the next caller is served.
    writer
        .write(|c| insert(c, 100))
        .expect("the writer still answers");
    for x in [0, 49, 100] {
        assert_eq!(count(&path, x), 1, "row {x} committed");
    }
}

/// Queue a unit of chain `chain` inserting `x` (then failing if `fail`); its answer and
/// whether another connection saw `x` when it came, on the returned channel.
fn linked(
    writer: &Writer,
    path: &std::path::Path,
    x: i64,
    link: crate::Link,
    fail: bool,
) -> std::sync::mpsc::Receiver<(Result<()>, i64)> {
    let (tx, rx) = channel();
    let seen_by = path.to_path_buf();
    writer.write_linked(
        move |c| {
            insert(c, x)?;
            if fail {
                c.execute_batch("INSERT INTO missing VALUES (1)")?;
            }
            Ok(())
        },
        link,
        Box::new(move |answer| {
            let _ = tx.send((answer, count(&seen_by, x)));
        }),
    );
    rx
}

const HOLDS: crate::Link = crate::Link {
    chain: 1,
    joins: false,
    holds: true,
};
const JOINS: crate::Link = crate::Link {
    chain: 1,
    joins: true,
    holds: false,
};

#[test]
fn linked_units_share_one_transaction_and_are_answered_after_its_commit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = db(dir.path());
    let first = linked(&writer, &path, 1, HOLDS, false);
    // The first unit's transaction waits for the next unit: no answer, nothing visible.
    assert!(first.recv_timeout(Duration::from_millis(300)).is_err());
    assert_eq!(
        count(&path, 1),
        0,
        "the held transaction is not committed yet"
    );
    let second = linked(&writer, &path, 2, JOINS, false);
    let (answer, visible) = first.recv_timeout(PATIENCE).expect("answered");
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(visible, 1, "the answer came before the commit");
    let (answer, visible) = second.recv_timeout(PATIENCE).expect("answered");
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(visible, 1);
}

#[test]
fn a_failing_joined_unit_rolls_back_the_unit_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = db(dir.path());
    let first = linked(&writer, &path, 3, HOLDS, false);
    let second = linked(&writer, &path, 4, JOINS, true);
    let (answer, _) = second.recv_timeout(PATIENCE).expect("answered");
    assert!(
        matches!(answer, Err(StoreError::Sqlite(_))),
        "its own error: {answer:?}"
    );
    let (answer, _) = first.recv_timeout(PATIENCE).expect("answered");
    assert!(
        matches!(&answer, Err(StoreError::CommitFailed(m)) if m.contains("next unit")),
        "{answer:?}"
    );
    assert_eq!(
        count(&path, 3),
        0,
        "all or nothing: the first unit is not stored"
    );
    assert_eq!(count(&path, 4), 0);
    // The writer goes on.
    writer.write(|c| insert(c, 5)).expect("next job");
    assert_eq!(count(&path, 5), 1);
}

#[test]
fn another_job_commits_the_open_transaction_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = db(dir.path());
    let first = linked(&writer, &path, 6, HOLDS, false);
    assert!(first.recv_timeout(Duration::from_millis(100)).is_err());
    let started = std::time::Instant::now();
    writer.write(|c| insert(c, 7)).expect("plain job");
    assert!(
        started.elapsed() < super::HOLD_OPEN / 2,
        "the plain job waited {:?} for the import's next unit",
        started.elapsed()
    );
    let (answer, visible) = first.recv_timeout(PATIENCE).expect("answered");
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(visible, 1);
    // The next unit of the chain finds no open transaction and commits alone.
    let second = linked(&writer, &path, 8, JOINS, false);
    let (answer, visible) = second.recv_timeout(PATIENCE).expect("answered");
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(visible, 1);
    assert_eq!(count(&path, 7), 1);
}

#[test]
fn another_chains_unit_does_not_join_and_a_late_next_unit_is_not_awaited() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = db(dir.path());
    let started = std::time::Instant::now();
    let first = linked(&writer, &path, 9, HOLDS, false);
    // A unit of another import that would join: it runs apart, its failure is its own.
    let other = crate::Link { chain: 2, ..JOINS };
    let (answer, _) = linked(&writer, &path, 10, other, true)
        .recv_timeout(PATIENCE)
        .expect("answered");
    assert!(answer.is_err());
    let (answer, visible) = first.recv_timeout(PATIENCE).expect("answered");
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(visible, 1);
    assert!(started.elapsed() < super::HOLD_OPEN / 2);
    // A holding unit whose next unit never comes commits after HOLD_OPEN.
    let started = std::time::Instant::now();
    let lone = linked(&writer, &path, 11, HOLDS, false);
    let (answer, visible) = lone.recv_timeout(PATIENCE).expect("answered");
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(visible, 1);
    assert!(started.elapsed() >= super::HOLD_OPEN);
}

/// How a job of [`one_batch`] behaves.
#[derive(Clone, Copy)]
enum Does {
    /// Inserts its row.
    Write,
    /// Fails before writing anything.
    FailFirst,
    /// Inserts its row, then fails.
    FailAfter,
}

/// Run `jobs` (`x`, how it is undone, what it does) in one batch: the writer is held inside
/// a first job while they are queued, so they all wait when it takes its next batch. Returns
/// each job's answer, in order.
fn one_batch(writer: &Writer, jobs: &[(i64, Undo, Does)]) -> Vec<Result<()>> {
    let (running_tx, running) = channel();
    let (open_tx, open) = channel::<()>();
    writer.write_then(
        move |_| {
            let _ = running_tx.send(());
            let _ = open.recv_timeout(PATIENCE);
            Ok(())
        },
        Box::new(|_: Result<()>| {}),
    );
    running.recv_timeout(PATIENCE).expect("the gate job runs");
    let answers: Vec<_> = jobs
        .iter()
        .map(|&(x, undo, does)| {
            let (tx, rx) = channel();
            writer.write_then_with(
                undo,
                move |c| match does {
                    Does::Write => insert(c, x),
                    Does::FailFirst => Err(StoreError::Invalid(format!("check {x}"))),
                    Does::FailAfter => {
                        insert(c, x)?;
                        Err(StoreError::Invalid(format!("late check {x}")))
                    }
                },
                Box::new(move |answer| {
                    let _ = tx.send(answer);
                }),
            );
            rx
        })
        .collect();
    open_tx.send(()).expect("gate open");
    answers
        .into_iter()
        .map(|rx| rx.recv_timeout(PATIENCE).expect("answered"))
        .collect()
}

/// Whether `answer` is the error a [`one_batch`] job failed with.
fn own_error(answer: &Result<()>, message: &str) -> bool {
    matches!(answer, Err(StoreError::Invalid(m)) if m == message)
}

#[test]
fn a_job_without_savepoint_failing_before_it_writes_leaves_its_batch_be() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = db(dir.path());
    let answers = one_batch(
        &writer,
        &[
            (1, Undo::Batch, Does::Write),
            (2, Undo::Batch, Does::FailFirst),
            (3, Undo::Batch, Does::Write),
            (4, Undo::Job, Does::FailAfter),
            (5, Undo::Batch, Does::Write),
        ],
    );
    assert!(
        answers[0].is_ok() && answers[2].is_ok() && answers[4].is_ok(),
        "{answers:?}"
    );
    assert!(
        own_error(&answers[1], "check 2"),
        "its own error: {:?}",
        answers[1]
    );
    assert!(own_error(&answers[3], "late check 4"), "{:?}", answers[3]);
    for (x, kept) in [(1, 1), (2, 0), (3, 1), (4, 0), (5, 1)] {
        assert_eq!(count(&path, x), kept, "row {x}");
    }
}

#[test]
fn a_job_without_savepoint_failing_after_it_wrote_rolls_its_whole_batch_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (writer, path) = db(dir.path());
    let answers = one_batch(
        &writer,
        &[
            (1, Undo::Batch, Does::Write),
            (2, Undo::Job, Does::Write),
            (3, Undo::Batch, Does::FailAfter),
            (4, Undo::Batch, Does::Write),
        ],
    );
    assert!(
        own_error(&answers[2], "late check 3"),
        "its own error: {:?}",
        answers[2]
    );
    for i in [0, 1, 3] {
        assert!(
            matches!(&answers[i], Err(StoreError::CommitFailed(m)) if m.contains("rolled back")),
            "job {i}: {:?}",
            answers[i]
        );
    }
    for x in 1..=4 {
        assert_eq!(count(&path, x), 0, "row {x} was not committed half-done");
    }
    // The writer goes on.
    writer.write(|c| insert(c, 9)).expect("next write");
    assert_eq!(count(&path, 9), 1);
}
