//! One writer thread with group commit, and a small pool of reader connections.
//!
//! SQLite allows one writer at a time, and a deferred transaction that upgrades to a write can
//! fail with `SQLITE_BUSY` without the busy handler running (STYLE.md (d) 5). So every write
//! goes through one thread that owns the only writing connection. Callers send jobs over a
//! channel; the thread takes every job waiting (up to [`MAX_BATCH`]), runs them in one
//! `BEGIN IMMEDIATE` transaction — each inside its own savepoint, so one caller's error does
//! not undo another's work — commits once (one fsync with `synchronous=FULL`), and only then
//! answers each caller (RELIABILITY.md §0.3: ~5.6× the throughput of one fsync per request).

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Condvar, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// Most jobs committed together.
pub const MAX_BATCH: usize = 512;

/// What happened to a batch.
enum Outcome {
    Committed,
    CommitFailed(String),
    /// Committed, but the requested WAL truncation could not complete.
    CheckpointBusy(String),
}

trait WriteJob: Send {
    /// Run inside the open transaction; true when the job succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answer the caller once the batch committed (or failed to).
    fn finish(self: Box<Self>, outcome: &Outcome);
    fn wants_checkpoint(&self) -> bool;
}

struct TypedJob<R, F> {
    work: Option<F>,
    result: Option<Result<R>>,
    reply: SyncSender<Result<R>>,
    checkpoint: bool,
}

impl<R: Send, F: FnOnce(&Connection) -> Result<R> + Send> WriteJob for TypedJob<R, F> {
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        let result = work(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, outcome: &Outcome) {
        let outcome = match outcome {
            Outcome::CheckpointBusy(_) if !self.checkpoint => &Outcome::Committed,
            other => other,
        };
        let answer = match (outcome, self.result) {
            (Outcome::CommitFailed(e), _) => Err(StoreError::CommitFailed(e.clone())),
            (Outcome::CheckpointBusy(e), Some(Ok(_))) => {
                Err(StoreError::RemnantsPending(e.clone()))
            }
            (Outcome::CheckpointBusy(_), Some(r)) => r,
            (Outcome::Committed, Some(r)) => r,
            (_, None) => Err(StoreError::CommitFailed("job did not run".into())),
        };
        // The caller may have given up waiting; nothing to do then.
        let _ = self.reply.send(answer);
    }

    fn wants_checkpoint(&self) -> bool {
        self.checkpoint
    }
}

/// Handle to the writer thread.
pub struct Writer {
    jobs: Mutex<Option<SyncSender<Box<dyn WriteJob>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Start the writer thread on `conn` (already configured and migrated).
    pub fn start(conn: Connection, name: &str) -> Result<Self> {
        let (tx, rx) = sync_channel::<Box<dyn WriteJob>>(4 * MAX_BATCH);
        let thread = std::thread::Builder::new()
            .name(format!("habeas-writer-{name}"))
            .spawn(move || writer_loop(&conn, &rx))
            .map_err(|e| StoreError::WriterGone(e.to_string()))?;
        Ok(Self {
            jobs: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Run `work` in the next group-committed transaction and wait for the commit.
    pub fn write<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        self.submit(work, false)
    }

    /// Like [`Writer::write`], then `wal_checkpoint(TRUNCATE)` before answering, so deleted
    /// bytes leave the WAL (crypto-shredding, RELIABILITY.md §0.1).
    pub fn write_and_checkpoint<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        self.submit(work, true)
    }

    fn submit<R, F>(&self, work: F, checkpoint: bool) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        let (reply, answer) = sync_channel(1);
        let job = Box::new(TypedJob {
            work: Some(work),
            result: None,
            reply,
            checkpoint,
        });
        let sender = self
            .jobs
            .lock()
            .map_err(|_| StoreError::WriterGone("lock poisoned".into()))?
            .clone()
            .ok_or_else(|| StoreError::WriterGone("store closed".into()))?;
        sender
            .send(job)
            .map_err(|_| StoreError::WriterGone("writer thread ended".into()))?;
        answer
            .recv()
            .map_err(|_| StoreError::WriterGone("writer thread ended".into()))?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        if let Ok(mut thread) = self.thread.lock()
            && let Some(handle) = thread.take()
        {
            let _ = handle.join();
        }
    }
}

fn writer_loop(conn: &Connection, rx: &Receiver<Box<dyn WriteJob>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = match run_batch(conn, &mut batch) {
            Err(e) => Outcome::CommitFailed(e),
            Ok(()) if batch.iter().any(|j| j.wants_checkpoint()) => match checkpoint_truncate(conn)
            {
                Ok(()) => Outcome::Committed,
                Err(e) => Outcome::CheckpointBusy(e),
            },
            Ok(()) => Outcome::Committed,
        };
        for job in batch {
            job.finish(&outcome);
        }
    }
}

fn run_batch(
    conn: &Connection,
    batch: &mut [Box<dyn WriteJob>],
) -> std::result::Result<(), String> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| e.to_string())?;
    // A lone job needs no savepoint: its failure rolls the whole transaction back (and a
    // savepoint makes SQLite keep a statement journal of every touched page, which halves
    // bulk-ingest speed).
    if let [job] = batch {
        if job.run(conn) {
            if let Err(e) = conn.execute_batch("COMMIT") {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.to_string());
            }
        } else {
            conn.execute_batch("ROLLBACK").map_err(|e| e.to_string())?;
        }
        return Ok(());
    }
    // Prepared once per connection: with many small jobs per batch (32 audited reads
    // committing together), parsing the savepoint statements each time showed up in the
    // writer thread's profile.
    let exec = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]).map(drop))
    };
    for job in batch.iter_mut() {
        let step = exec("SAVEPOINT job").and_then(|()| {
            if job.run(conn) {
                exec("RELEASE job")
            } else {
                conn.execute_batch("ROLLBACK TO job; RELEASE job")
            }
        });
        if let Err(e) = step {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.to_string());
        }
    }
    if let Err(e) = conn.execute_batch("COMMIT") {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e.to_string());
    }
    Ok(())
}

/// `PRAGMA wal_checkpoint(TRUNCATE)`, retried while readers hold old snapshots.
pub fn checkpoint_truncate(conn: &Connection) -> std::result::Result<(), String> {
    for _ in 0..50 {
        let busy: i64 = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(|e| e.to_string())?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Err("WAL checkpoint stayed busy: a reader holds an old snapshot".into())
}

/// A small pool of read-only connections (WAL readers never block the writer).
pub struct Readers {
    idle: Mutex<Vec<Connection>>,
    available: Condvar,
}

impl Readers {
    pub fn new(conns: Vec<Connection>) -> Self {
        Self {
            idle: Mutex::new(conns),
            available: Condvar::new(),
        }
    }

    /// Borrow a connection for `f`.
    pub fn read<R>(&self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        let conn = {
            let mut idle = self
                .idle
                .lock()
                .map_err(|_| StoreError::WriterGone("reader pool poisoned".into()))?;
            loop {
                if let Some(c) = idle.pop() {
                    break c;
                }
                idle = self
                    .available
                    .wait(idle)
                    .map_err(|_| StoreError::WriterGone("reader pool poisoned".into()))?;
            }
        };
        let result = f(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
        self.available.notify_one();
        result
    }
}
