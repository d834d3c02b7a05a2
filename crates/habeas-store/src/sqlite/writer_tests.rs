//! The writer's callback answers ([`Writer::write_then`]): given after the commit, an error
//! when the commit fails, and a caller gone does not stall the writer.

use std::sync::mpsc::channel;
use std::time::Duration;

use rusqlite::Connection;

use super::Writer;
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
