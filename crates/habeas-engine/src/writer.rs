//! The single writer with group commit (RELIABILITY.md §0.3, STYLE.md (d)5).
//!
//! SQLite allows one writer; instead of each request paying its own fsync,
//! requests queue jobs here. The writer thread takes every job waiting,
//! runs them in one `BEGIN IMMEDIATE` transaction (each inside its own
//! savepoint, so one bad job does not sink the others), appends their
//! journal entries to the hash chain, signs a checkpoint when due, commits
//! once, and only then answers each job. A caller therefore never sees
//! "done" before its data and its audit entry are durable.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::error::{EngineError, Result};
use crate::journal::{self, ChainHead, Entry};

/// Work run inside the batch transaction.
pub type Work = Box<dyn FnOnce(&Connection) -> Result<()> + Send>;

struct Job {
    work: Option<Work>,
    entries: Vec<Entry>,
    reply: SyncSender<Result<Vec<u64>>>,
}

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 1024;

/// Handle to the writer thread.
pub struct Writer {
    tx: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Start the writer on `conn`.
    pub fn start(conn: Connection, signer: habeas_crypto::JournalSigner) -> Result<Writer> {
        let head = journal::load_head(&conn)?;
        let (tx, rx) = sync_channel::<Job>(4096);
        let thread = std::thread::Builder::new()
            .name("habeas-writer".into())
            .spawn(move || run(conn, signer, head, rx))
            .map_err(|e| EngineError::Storage(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Run `work` and append `entries`, durably; returns the entries' sequence numbers.
    pub fn submit(&self, work: Option<Work>, entries: Vec<Entry>) -> Result<Vec<u64>> {
        self.submit_nowait(work, entries)?.wait()
    }

    /// Queue a job and return at once; [`Pending::wait`] gives its outcome.
    pub fn submit_nowait(&self, work: Option<Work>, entries: Vec<Entry>) -> Result<Pending> {
        let (reply, answer) = sync_channel(1);
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| EngineError::Storage("the writer is stopped".into()))?;
        tx.send(Job {
            work,
            entries,
            reply,
        })
        .map_err(|_| EngineError::Storage("the writer thread stopped".into()))?;
        Ok(Pending { answer })
    }
}

/// A queued job's answer.
pub struct Pending {
    answer: Receiver<Result<Vec<u64>>>,
}

impl Pending {
    /// Block until the job's batch committed (or failed).
    pub fn wait(self) -> Result<Vec<u64>> {
        self.answer.recv().map_err(|_| {
            EngineError::Storage("the writer thread stopped before answering".into())
        })?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn unix_now() -> (i64, i64) {
    let now = chrono::Utc::now();
    (now.timestamp(), now.timestamp_millis())
}

fn run(
    conn: Connection,
    signer: habeas_crypto::JournalSigner,
    mut head: ChainHead,
    rx: Receiver<Job>,
) {
    let mut last_checkpoint_at = unix_now().0;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let saved = head;
        let mut results: Vec<Result<Vec<u64>>> = Vec::with_capacity(batch.len());
        let outcome = (|| -> Result<()> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            // Another process (a CLI command next to the server) may have
            // appended since: continue the chain from what is committed.
            head = journal::load_head(&conn)?;
            // A batch of one job needs no savepoint: its failure rolls back
            // the whole transaction (and savepoints copy every touched page
            // to a statement journal, which halves bulk-ingest speed).
            let isolate = batch.len() > 1;
            for job in batch.iter_mut() {
                results.push(run_job(&conn, &mut head, job, isolate));
            }
            if !isolate && results.iter().any(|r| r.is_err()) {
                // The lone job failed part-way: undo it, answer its own error.
                conn.execute_batch("ROLLBACK")?;
                head = journal::load_head(&conn)?;
                return Ok(());
            }
            let (now, _) = unix_now();
            if head.seq >= head.last_checkpoint + journal::CHECKPOINT_EVERY
                || (head.seq > head.last_checkpoint
                    && now - last_checkpoint_at >= journal::CHECKPOINT_MAX_AGE_SECS)
            {
                journal::checkpoint(&conn, &mut head, &signer, now)?;
                last_checkpoint_at = now;
            }
            conn.execute_batch("COMMIT")?;
            Ok(())
        })();
        if let Err(err) = outcome {
            let _ = conn.execute_batch("ROLLBACK");
            head = journal::load_head(&conn).unwrap_or(saved);
            tracing::error!(error = %err, "group commit failed; every job of the batch is refused");
            for job in batch {
                let _ = job
                    .reply
                    .send(Err(EngineError::Storage(format!("commit failed: {err}"))));
            }
            continue;
        }
        for (job, result) in batch.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
    }
    // Clean shutdown: sign what is left so the tail is covered too.
    let (now, _) = unix_now();
    if head.seq > head.last_checkpoint && conn.execute_batch("BEGIN IMMEDIATE").is_ok() {
        head = journal::load_head(&conn).unwrap_or(head);
        if journal::checkpoint(&conn, &mut head, &signer, now).is_ok() {
            let _ = conn.execute_batch("COMMIT");
        } else {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
}

fn run_job(
    conn: &Connection,
    head: &mut ChainHead,
    job: &mut Job,
    isolate: bool,
) -> Result<Vec<u64>> {
    let before = *head;
    if isolate {
        conn.execute_batch("SAVEPOINT job")?;
    }
    let result = (|| -> Result<Vec<u64>> {
        if let Some(work) = job.work.take() {
            work(conn)?;
        }
        let mut seqs = Vec::with_capacity(job.entries.len());
        for entry in &job.entries {
            seqs.push(journal::append(conn, head, entry)?);
        }
        Ok(seqs)
    })();
    match result {
        Ok(seqs) => {
            if isolate {
                conn.execute_batch("RELEASE job")?;
            }
            Ok(seqs)
        }
        Err(err) if isolate => {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
            *head = before;
            Err(err)
        }
        // Alone in its batch: fail the transaction, which the caller rolls back.
        Err(err) => {
            *head = before;
            Err(err)
        }
    }
}
