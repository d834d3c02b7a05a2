//! Jobs the writer thread may commit in several transactions: a long change made of units
//! that each stand alone (a purge page split by subject), so that callers arriving while it
//! runs wait for one unit, not for all of it.
//!
//! Why: on SQLite every write, an audited read's journal entry included, goes through the one
//! writer thread ([`super::writer`]). A purge page of 1,000 deletions holds that thread for
//! tens of milliseconds at 10M records; a read arriving as the page starts waited for all of
//! it (p99 146 ms, docs/benchmarks-retention.md). Here, after each step the writer looks for
//! waiting jobs: if there are some, they run in the open transaction and it commits — the
//! steps done so far with them, so the fsync is shared — and the next steps go on in a new
//! transaction. With no one waiting, every step runs in one transaction, as before.
//!
//! Steps run without savepoints (a savepoint makes SQLite keep a statement journal of every
//! page touched). Since waiting jobs are committed as soon as they have run, the open
//! transaction holds only this job's steps when one fails: it is rolled back, the steps since
//! the last commit fail with it, and the job stops (its later steps are not run). Each step's
//! result says whether it is durable.

use std::sync::mpsc::SyncSender;

use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// A job run step by step.
pub(super) trait StepJob: Send {
    /// Whether a step is left to run (false once one failed).
    fn pending(&self) -> bool;
    /// Run the next step inside the open transaction; false when it failed.
    fn step(&mut self, conn: &Connection) -> bool;
    /// The steps run since the last call are durable (`None`), or are not (`Some(why)`: the
    /// transaction was rolled back or its commit failed; the job then stops).
    fn settle(&mut self, lost: Option<&str>);
    /// Answer the caller: one result per step, in order.
    fn finish(self: Box<Self>);
}

pub(super) struct TypedSteps<U, R, F> {
    steps: std::vec::IntoIter<U>,
    total: usize,
    run: F,
    results: Vec<Result<R>>,
    /// `results[..settled]` are final.
    settled: usize,
    stopped: bool,
    reply: SyncSender<Vec<Result<R>>>,
}

impl<U, R, F> TypedSteps<U, R, F> {
    pub(super) fn new(steps: Vec<U>, run: F, reply: SyncSender<Vec<Result<R>>>) -> Self {
        let total = steps.len();
        TypedSteps {
            steps: steps.into_iter(),
            total,
            run,
            results: Vec::with_capacity(total),
            settled: 0,
            stopped: false,
            reply,
        }
    }
}

impl<U, R, F> StepJob for TypedSteps<U, R, F>
where
    U: Send,
    R: Send,
    F: FnMut(&Connection, U) -> Result<R> + Send,
{
    fn pending(&self) -> bool {
        !self.stopped && self.steps.len() > 0
    }

    fn step(&mut self, conn: &Connection) -> bool {
        let Some(unit) = self.steps.next() else {
            return false;
        };
        let result = (self.run)(conn, unit);
        let ok = result.is_ok();
        self.results.push(result);
        self.stopped |= !ok;
        ok
    }

    fn settle(&mut self, lost: Option<&str>) {
        if let Some(why) = lost {
            for r in &mut self.results[self.settled..] {
                if r.is_ok() {
                    *r = Err(StoreError::CommitFailed(why.to_string()));
                }
            }
            self.stopped = true;
        }
        self.settled = self.results.len();
    }

    fn finish(self: Box<Self>) {
        let mut results = self.results;
        while results.len() < self.total {
            results.push(Err(StoreError::CommitFailed(
                "not run: an earlier step of the same change failed".into(),
            )));
        }
        // The caller may have given up waiting; nothing to do then.
        let _ = self.reply.send(results);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    use rusqlite::Connection;

    use super::super::writer::Writer;
    use crate::error::{Result, StoreError};

    fn db(dir: &std::path::Path) -> (Arc<Writer>, Connection) {
        let path = dir.join("steps.db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch("PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER NOT NULL);")
            .expect("schema");
        let writer = Writer::start(conn, "test").expect("writer");
        let reader = Connection::open(&path).expect("reader");
        (Arc::new(writer), reader)
    }

    fn rows(reader: &Connection) -> Vec<i64> {
        let mut stmt = reader
            .prepare("SELECT x FROM t ORDER BY x")
            .expect("select");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    }

    fn insert(c: &Connection, x: i64) -> Result<()> {
        c.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
        Ok(())
    }

    #[test]
    fn a_write_arriving_during_a_stepped_change_commits_after_one_step_with_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (writer, reader) = db(dir.path());
        let (started_tx, started) = channel();
        let (answered, answered_rx) = channel::<()>();
        let stepped = {
            let writer = Arc::clone(&writer);
            std::thread::spawn(move || {
                writer.write_steps(vec![1, 2, 3], move |c, x: i64| {
                    insert(c, x)?;
                    if x == 1 {
                        let _ = started_tx.send(());
                        // Long enough for the other write to be queued meanwhile.
                        std::thread::sleep(Duration::from_millis(300));
                    }
                    if x == 2 {
                        // Goes on only once the other write was answered: with
                        // every step in one transaction, it never would be.
                        answered_rx
                            .recv_timeout(Duration::from_secs(10))
                            .map_err(|_| {
                                StoreError::CommitFailed("the other write waited".into())
                            })?;
                    }
                    Ok(x)
                })
            })
        };
        started.recv().expect("step 1 started");
        writer.write(|c| insert(c, 100)).expect("the other write");
        // Committed with the first step, before the second.
        assert_eq!(rows(&reader), vec![1, 100]);
        answered.send(()).expect("signal");
        let results = stepped.join().expect("thread").expect("steps");
        let results: Vec<i64> = results.into_iter().map(|r| r.expect("step")).collect();
        assert_eq!(results, vec![1, 2, 3]);
        assert_eq!(rows(&reader), vec![1, 2, 3, 100]);
    }

    #[test]
    fn a_failing_step_fails_the_steps_since_the_last_commit_and_stops_the_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (writer, reader) = db(dir.path());
        let results = writer
            .write_steps(vec![1, 2, 3], |c, x: i64| {
                insert(c, x)?;
                if x == 2 {
                    return Err(StoreError::CommitFailed("refused".into()));
                }
                Ok(x)
            })
            .expect("steps");
        let outcome: Vec<String> = results
            .into_iter()
            .map(|r| match r {
                Ok(x) => x.to_string(),
                Err(e) => e.to_string(),
            })
            .collect();
        assert!(outcome[0].contains("rolled back"), "{outcome:?}");
        assert!(outcome[1].contains("refused"), "{outcome:?}");
        assert!(outcome[2].contains("not run"), "{outcome:?}");
        assert!(rows(&reader).is_empty(), "nothing of the change is stored");
        // The writer goes on.
        writer.write(|c| insert(c, 7)).expect("next write");
        assert_eq!(rows(&reader), vec![7]);
    }
}
