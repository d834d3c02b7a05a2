//! One writer thread with group commit, and a small pool of reader connections.
//!
//! SQLite allows one writer at a time, and a deferred transaction that upgrades to a write can
//! fail with `SQLITE_BUSY` without the busy handler running (STYLE.md (d) 5). So every write
//! goes through one thread that owns the only writing connection. Callers send jobs over a
//! channel; the thread takes every job waiting (up to [`MAX_BATCH`]), runs them in one
//! `BEGIN IMMEDIATE` transaction — each that may fail after writing inside its own savepoint,
//! so one caller's error does not undo another's work ([`Undo`]) — commits once (one fsync
//! with `synchronous=FULL`), and only then answers each caller (RELIABILITY.md §0.3: ~5.6×
//! the throughput of one fsync per request).
//!
//! A caller either waits for its answer on a channel ([`Writer::write`]) or hands the writer a
//! callback that receives it ([`Writer::write_then`]): an async caller (the HTTP handlers)
//! then needs no thread parked on the channel, and the answer reaches it with one wake-up
//! (the callback completes a future) instead of two (blocking thread, then async task).
//!
//! A long change made of independent units ([`Writer::write_steps`], a purge page) runs step
//! by step instead, after the jobs batched with it have committed: callers arriving meanwhile
//! get their jobs committed at the next step boundary ([`super::steps`]).
//!
//! The units of one bulk import may share a transaction ([`Writer::write_linked`]): a unit
//! that holds ([`Link::holds`]) and ran alone leaves its transaction open, and the next unit of
//! the same chain that joins runs in it, without a savepoint, before the one COMMIT. Why: at a
//! million subjects the blind index takes random inserts all over a B-tree larger than the
//! page cache, so the pages a transaction dirties grow slower than its records — two units of
//! 10,000 records in one transaction write about a third fewer bytes than two transactions —
//! while the Rust memory in flight stays that of one unit (each unit is freed once inserted;
//! SQLite spills dirty pages to the WAL when its cache is full). Nothing is answered before
//! the COMMIT; a joining unit that fails rolls back the units before it too (they report it);
//! any other job arriving while the transaction waits for the next unit commits it at once,
//! so nobody waits for an import between two of its units.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::checkpointer::{CheckpointLink, Checkpointer};
use super::steps::{StepJob, TypedSteps};
use crate::Link;
use crate::error::{Result, StoreError};

/// Most jobs committed together.
pub const MAX_BATCH: usize = 512;

/// How long a transaction left open by a unit that holds ([`Link::holds`]) waits for the next
/// unit of its chain before committing alone. An import prepares its next unit in well under a
/// second; past this, it is stuck or gone, and its last unit should not wait for it. Jobs of
/// this process never wait for this: they commit the open transaction as soon as they arrive.
/// Another process's writer does wait for the lock meanwhile, within its own 5 s busy timeout:
/// hence well under 5 s.
const HOLD_OPEN: Duration = Duration::from_secs(2);

/// What the unit rolled back with a later unit of its chain answers.
const ROLLED_BACK_WITH_NEXT: &str =
    "rolled back with the next unit of the same import, which failed in the same transaction";

/// How a job's failure is undone when it shares its transaction with other jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// The job may fail with its own error after it wrote: it runs inside its own savepoint,
    /// which is rolled back alone.
    Job,
    /// The job fails with its own error only before it writes (its checks come first), and
    /// after writing only because the database itself failed (disk full, I/O error). It runs
    /// without a savepoint, whose statement journal copies every page the job touches — 13 %
    /// of the writer's samples under single-record HTTP writes, each its own job
    /// (docs/benchmarks-vault.md, session 16). Should it fail having changed rows anyway, or
    /// having lost the transaction, the whole batch is rolled back and every job of it told
    /// so: nothing half-done is ever committed.
    Batch,
}

/// What happened to a batch.
enum Outcome {
    Committed,
    CommitFailed(String),
    /// As `CommitFailed`, because the disk is full ([`StoreError::Full`]).
    DiskFull(String),
    /// Never run: the writer thread had ended.
    Gone(String),
    /// Committed, but the requested WAL truncation could not complete.
    CheckpointBusy(String),
    /// The job failed and the transaction was rolled back: its own error is its answer.
    OwnError,
}

trait WriteJob: Send {
    /// Run inside the open transaction; true when the job succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answer the caller once the batch committed (or failed to).
    fn finish(self: Box<Self>, outcome: &Outcome);
    fn wants_checkpoint(&self) -> bool;
    /// Set for the units of a bulk import that may share a transaction.
    fn link(&self) -> Option<Link>;
    /// How its failure is undone among other jobs.
    fn undo(&self) -> Undo;
}

/// Where a job's answer goes.
enum Reply<R> {
    /// A caller blocked on the other end ([`Writer::write`]).
    Wait(SyncSender<Result<R>>),
    /// A callback run on the writer thread ([`Writer::write_then`]).
    Call(Box<dyn FnOnce(Result<R>) + Send>),
}

impl<R> Reply<R> {
    fn send(self, answer: Result<R>) {
        match self {
            // The caller may have given up waiting; nothing to do then.
            Reply::Wait(tx) => {
                let _ = tx.send(answer);
            }
            Reply::Call(done) => done(answer),
        }
    }
}

struct TypedJob<R, F> {
    work: Option<F>,
    result: Option<Result<R>>,
    reply: Reply<R>,
    checkpoint: bool,
    link: Option<Link>,
    undo: Undo,
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
            (Outcome::Gone(e), _) => Err(StoreError::WriterGone(e.clone())),
            (Outcome::CommitFailed(e), _) => Err(StoreError::CommitFailed(e.clone())),
            (Outcome::DiskFull(e), _) => Err(StoreError::Full(e.clone())),
            (Outcome::CheckpointBusy(e), Some(Ok(_))) => {
                Err(StoreError::RemnantsPending(e.clone()))
            }
            (Outcome::CheckpointBusy(_), Some(r)) => r,
            (Outcome::Committed | Outcome::OwnError, Some(r)) => r,
            (_, None) => Err(StoreError::CommitFailed("job did not run".into())),
        };
        self.reply.send(answer);
    }

    fn wants_checkpoint(&self) -> bool {
        self.checkpoint
    }

    fn link(&self) -> Option<Link> {
        self.link
    }

    fn undo(&self) -> Undo {
        self.undo
    }
}

/// What the writer thread receives.
enum Job {
    /// Run inside the next group-committed transaction.
    Plain(Box<dyn WriteJob>),
    /// Run step by step ([`Writer::write_steps`]).
    Steps(Box<dyn StepJob>),
}

/// Handle to the writer thread.
pub struct Writer {
    jobs: Mutex<Option<SyncSender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Dropped after the writer thread ended (fields drop after [`Drop::drop`]).
    _checkpointer: Option<Checkpointer>,
}

impl Writer {
    /// Start the writer thread on `conn` (already configured and migrated).
    pub fn start(conn: Connection, name: &str) -> Result<Self> {
        Self::spawn(conn, name, None)
    }

    /// Like [`Writer::start`], with the WAL checkpoints on another thread over `checkpoints`
    /// (a second read-write connection): `conn`'s automatic checkpoint becomes a safety net
    /// ([`super::checkpointer`]).
    pub fn start_with_checkpointer(
        conn: Connection,
        checkpoints: Connection,
        name: &str,
    ) -> Result<Self> {
        Self::start_with_catch_up(
            conn,
            checkpoints,
            name,
            super::checkpointer::CATCH_UP_FRAMES,
        )
    }

    /// [`Writer::start_with_checkpointer`] with the WAL length at which the checkpoint thread
    /// has it start over ([`super::checkpointer::CATCH_UP_FRAMES`] but in tests).
    pub(crate) fn start_with_catch_up(
        conn: Connection,
        checkpoints: Connection,
        name: &str,
        catch_up_frames: i64,
    ) -> Result<Self> {
        conn.pragma_update(
            None,
            "wal_autocheckpoint",
            super::checkpointer::SAFETY_NET_FRAMES,
        )?;
        let checkpointer = Checkpointer::start(checkpoints, name, catch_up_frames)?;
        Self::spawn(conn, name, Some(checkpointer))
    }

    fn spawn(conn: Connection, name: &str, checkpointer: Option<Checkpointer>) -> Result<Self> {
        let (tx, rx) = sync_channel::<Job>(4 * MAX_BATCH);
        let nudge = checkpointer.as_ref().and_then(Checkpointer::link);
        let thread = std::thread::Builder::new()
            .name(format!("habeas-writer-{name}"))
            .spawn(move || writer_loop(&conn, &rx, nudge.as_ref()))
            .map_err(|e| StoreError::WriterGone(e.to_string()))?;
        Ok(Self {
            jobs: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            _checkpointer: checkpointer,
        })
    }

    /// Run `work` in the next group-committed transaction and wait for the commit.
    pub fn write<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        self.submit(work, false, Undo::Job)
    }

    /// [`Writer::write`] for a job whose failure is undone as `undo` says.
    pub fn write_with<R, F>(&self, undo: Undo, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        self.submit(work, false, undo)
    }

    /// Like [`Writer::write`], then `wal_checkpoint(TRUNCATE)` before answering, so deleted
    /// bytes leave the WAL (crypto-shredding, RELIABILITY.md §0.1).
    pub fn write_and_checkpoint<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        self.submit(work, true, Undo::Job)
    }

    /// Like [`Writer::write`] without waiting: `done` receives the answer on the writer
    /// thread once the batch committed or failed (keep it short: the batch's other callers are
    /// answered after it). Called exactly once, here when the writer is gone; dropped uncalled
    /// only if the writer thread panics. May block while [`MAX_BATCH`] × 4 jobs are queued.
    pub fn write_then<R, F>(&self, work: F, done: Box<dyn FnOnce(Result<R>) + Send>)
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        self.send_then(work, None, Undo::Job, done);
    }

    /// [`Writer::write_then`] for a job whose failure is undone as `undo` says.
    pub fn write_then_with<R, F>(
        &self,
        undo: Undo,
        work: F,
        done: Box<dyn FnOnce(Result<R>) + Send>,
    ) where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        self.send_then(work, None, undo, done);
    }

    /// Like [`Writer::write_then`], for a unit of a bulk import that may share its transaction
    /// with the previous and the next unit of the same chain ([`Link`]; the module's docs).
    /// `done` still runs only after the transaction holding the unit committed or failed.
    pub fn write_linked<R, F>(&self, work: F, link: Link, done: Box<dyn FnOnce(Result<R>) + Send>)
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        // Alone in its transaction or joined to its own chain: never in a savepoint.
        self.send_then(work, Some(link), Undo::Job, done);
    }

    /// Queue `work` with `done` as its answer ([`Writer::write_then`], [`Writer::write_linked`]).
    fn send_then<R, F>(
        &self,
        work: F,
        link: Option<Link>,
        undo: Undo,
        done: Box<dyn FnOnce(Result<R>) + Send>,
    ) where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        let job = Box::new(TypedJob {
            work: Some(work),
            result: None,
            reply: Reply::Call(done),
            checkpoint: false,
            link,
            undo,
        });
        if let Err(Job::Plain(job)) = self.send(Job::Plain(job)) {
            job.finish(&Outcome::Gone("writer thread ended".into()));
        }
    }

    fn submit<R, F>(&self, work: F, checkpoint: bool, undo: Undo) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        let (reply, answer) = sync_channel(1);
        let job = Box::new(TypedJob {
            work: Some(work),
            result: None,
            reply: Reply::Wait(reply),
            checkpoint,
            link: None,
            undo,
        });
        self.send(Job::Plain(job)).map_err(gone)?;
        answer
            .recv()
            .map_err(|_| StoreError::WriterGone("writer thread ended".into()))?
    }

    /// Run `run` on each of `steps`, in order, and wait until each is durable or failed: one
    /// result per step. The steps share a transaction unless other jobs wait at a step
    /// boundary; those then commit with the steps done so far ([`super::steps`]). A failing
    /// step fails the steps since the last commit with it, and the later steps are not run.
    pub fn write_steps<U, R, F>(&self, steps: Vec<U>, run: F) -> Result<Vec<Result<R>>>
    where
        U: Send + 'static,
        R: Send + 'static,
        F: FnMut(&Connection, U) -> Result<R> + Send + 'static,
    {
        let (reply, answer) = sync_channel(1);
        self.send(Job::Steps(Box::new(TypedSteps::new(steps, run, reply))))
            .map_err(gone)?;
        answer
            .recv()
            .map_err(|_| StoreError::WriterGone("writer thread ended".into()))
    }

    /// Queue `job`; the job back when the writer is gone.
    fn send(&self, job: Job) -> std::result::Result<(), Job> {
        let sender = match self.jobs.lock() {
            Ok(jobs) => jobs.clone(),
            Err(_) => None,
        };
        match sender {
            Some(sender) => sender.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }
}

fn gone(_: Job) -> StoreError {
    StoreError::WriterGone("writer thread ended".into())
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

/// The checkpoint thread, if any, to tell that a transaction committed.
type Nudge<'a> = Option<&'a CheckpointLink>;

/// Right after a batch's commit, outside any transaction.
fn nudge(conn: &Connection, nudge: Nudge<'_>) {
    if let Some(link) = nudge {
        link.committed(conn);
    }
}

/// Right after a chain's or a stepped job's commit.
fn nudge_long(nudge: Nudge<'_>) {
    if let Some(link) = nudge {
        link.committed_long();
    }
}

fn writer_loop(conn: &Connection, rx: &Receiver<Job>, checkpoints: Nudge<'_>) {
    // Stepped jobs received and not yet run, in order.
    let mut held: VecDeque<Box<dyn StepJob>> = VecDeque::new();
    // Plain jobs that arrived while a chain's transaction was open, not yet run.
    let mut carried: Vec<Box<dyn WriteJob>> = Vec::new();
    loop {
        let mut batch = std::mem::take(&mut carried);
        if batch.is_empty() && held.is_empty() {
            match rx.recv() {
                Ok(job) => sort(job, &mut batch, &mut held),
                Err(_) => break,
            }
        }
        // A unit of a bulk import runs alone: among other jobs it would need a savepoint,
        // whose statement journal of every touched page halves its speed.
        let mut alone = batch.first().is_some_and(|job| job.link().is_some());
        while !alone && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Job::Plain(job)) if job.link().is_some() => {
                    if batch.is_empty() {
                        batch.push(job);
                        alone = true;
                    } else {
                        carried.push(job);
                        break;
                    }
                }
                Ok(job) => sort(job, &mut batch, &mut held),
                Err(_) => break,
            }
        }
        // A unit that may leave its transaction open for the next one of its import starts a
        // chain, unless a purge waits to run (another caller: the unit then commits alone).
        let chain_start = match batch.as_slice() {
            [job] => held.is_empty() && job.link().is_some_and(|l| l.holds),
            _ => false,
        };
        if chain_start && let Some(first) = batch.pop() {
            carried.extend(run_chain(conn, rx, first, &mut held, checkpoints));
        } else if !batch.is_empty() {
            // The plain jobs first, in their own transaction: they do not wait for a long job.
            let (outcome, failed) = match run_batch(conn, &mut batch) {
                Err(e) => (Outcome::failed(e.why, e.full), e.job),
                Ok(()) => (after_commit(conn, &batch), None),
            };
            finish_all(batch, &outcome, failed);
            // After the answers: the checkpoint thread may have asked the writer to copy the
            // frames of its last few commits, a sync of the database file that took 8–65 ms
            // at 1M subjects (docs/benchmarks-vault.md, session 17). The batch's callers,
            // their commit durable, need not wait for it.
            if !matches!(outcome, Outcome::CommitFailed(_) | Outcome::DiskFull(_)) {
                nudge(conn, checkpoints);
            }
        }
        if carried.is_empty()
            && let Some(job) = held.pop_front()
        {
            run_steps(conn, rx, job, &mut held, checkpoints);
        }
    }
}

/// Run `first` (a unit that holds) and the units of its chain that join it, one after the
/// other, in one transaction, each without a savepoint; commit when a unit does not hold,
/// when any other job arrives, when the next unit is late ([`HOLD_OPEN`]) or the channel
/// closes. Answers every unit run once the transaction ended. Returns the plain jobs that
/// arrived meanwhile (stepped ones go to `held`), to run next.
fn run_chain(
    conn: &Connection,
    rx: &Receiver<Job>,
    first: Box<dyn WriteJob>,
    held: &mut VecDeque<Box<dyn StepJob>>,
    checkpoints: Nudge<'_>,
) -> Vec<Box<dyn WriteJob>> {
    let mut others = Vec::new();
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let e = BatchFailed::from(e);
        first.finish(&Outcome::failed(e.why, e.full));
        return others;
    }
    // Units run in the open transaction, in order.
    let mut ran: Vec<Box<dyn WriteJob>> = Vec::new();
    let mut next = Some(first);
    while let Some(mut job) = next.take() {
        let link = job.link();
        if !job.run(conn) {
            // Without savepoints, the failed unit's partial work cannot be undone alone:
            // the whole transaction goes, the earlier units of the chain with it.
            let _ = conn.execute_batch("ROLLBACK");
            job.finish(&Outcome::OwnError);
            let why = Outcome::CommitFailed(ROLLED_BACK_WITH_NEXT.into());
            for job in ran {
                job.finish(&why);
            }
            return others;
        }
        ran.push(job);
        let Some(link) = link.filter(|l| l.holds) else {
            break;
        };
        match rx.recv_timeout(HOLD_OPEN) {
            Ok(Job::Plain(job)) if job.link().is_some_and(|l| l.joins && l.chain == link.chain) => {
                next = Some(job);
            }
            // Someone else's job: it must not wait for the rest of the import.
            Ok(other) => sort(other, &mut others, held),
            Err(_) => {}
        }
    }
    let outcome = match conn.execute_batch("COMMIT") {
        Ok(()) => {
            nudge_long(checkpoints);
            after_commit(conn, &ran)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            let e = BatchFailed::from(e);
            Outcome::failed(e.why, e.full)
        }
    };
    for job in ran {
        job.finish(&outcome);
    }
    others
}

fn sort(job: Job, batch: &mut Vec<Box<dyn WriteJob>>, held: &mut VecDeque<Box<dyn StepJob>>) {
    match job {
        Job::Plain(job) => batch.push(job),
        Job::Steps(job) => held.push_back(job),
    }
}

/// Answer every job of a batch with `outcome`, but the one whose failure took the batch down
/// (`failed`), which gets its own error.
fn finish_all(jobs: Vec<Box<dyn WriteJob>>, outcome: &Outcome, failed: Option<usize>) {
    for (i, job) in jobs.into_iter().enumerate() {
        job.finish(if failed == Some(i) {
            &Outcome::OwnError
        } else {
            outcome
        });
    }
}

/// The outcome of committed `jobs`: the WAL truncated first if one of them asked.
fn after_commit(conn: &Connection, jobs: &[Box<dyn WriteJob>]) -> Outcome {
    if !jobs.iter().any(|j| j.wants_checkpoint()) {
        return Outcome::Committed;
    }
    match checkpoint_truncate(conn) {
        Ok(()) => Outcome::Committed,
        Err(e) => Outcome::CheckpointBusy(e),
    }
}

/// Run a stepped job's steps in one transaction, committing early whenever other jobs wait
/// at a step boundary: they run in the open transaction, which then commits (the steps done
/// so far with them), and the job goes on in a new one. Stepped jobs arriving meanwhile are
/// `held` for later.
fn run_steps(
    conn: &Connection,
    rx: &Receiver<Job>,
    mut job: Box<dyn StepJob>,
    held: &mut VecDeque<Box<dyn StepJob>>,
    checkpoints: Nudge<'_>,
) {
    let mut open = false;
    while job.pending() {
        if !open {
            if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
                job.settle(Some(&e.to_string()));
                break;
            }
            open = true;
        }
        if !job.step(conn) {
            // Only this job's steps since the last commit are in the transaction.
            let _ = conn.execute_batch("ROLLBACK");
            job.settle(Some(
                "rolled back with a later step of the same change, which failed",
            ));
            open = false;
            break;
        }
        let mut waiting = Vec::new();
        while waiting.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => sort(next, &mut waiting, held),
                Err(_) => break,
            }
        }
        if waiting.is_empty() && job.pending() {
            continue;
        }
        let committed = run_jobs(conn, &mut waiting)
            .and_then(|()| conn.execute_batch("COMMIT").map_err(BatchFailed::from));
        open = false;
        let (outcome, failed) = match committed {
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                job.settle(Some(&e.why));
                (Outcome::failed(e.why, e.full), e.job)
            }
            Ok(()) => {
                job.settle(None);
                nudge_long(checkpoints);
                (after_commit(conn, &waiting), None)
            }
        };
        finish_all(waiting, &outcome, failed);
    }
    // Every path above closed the transaction before leaving the loop.
    debug_assert!(!open, "a stepped job left its transaction open");
    job.finish();
}

fn run_batch(
    conn: &Connection,
    batch: &mut [Box<dyn WriteJob>],
) -> std::result::Result<(), BatchFailed> {
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(BatchFailed::from)?;
    // A lone job needs no savepoint: its failure rolls the whole transaction back (and a
    // savepoint makes SQLite keep a statement journal of every touched page, which halves
    // bulk-ingest speed).
    if let [job] = batch {
        if job.run(conn) {
            if let Err(e) = conn.execute_batch("COMMIT") {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(BatchFailed::from(e));
            }
        } else {
            conn.execute_batch("ROLLBACK").map_err(BatchFailed::from)?;
        }
        return Ok(());
    }
    if let Err(e) = run_jobs(conn, batch) {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e);
    }
    if let Err(e) = conn.execute_batch("COMMIT") {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(BatchFailed::from(e));
    }
    Ok(())
}

/// Why a batch sharing a transaction was rolled back.
struct BatchFailed {
    /// What every job of the batch is told.
    why: String,
    /// The job whose failure took the batch down: its own error is its answer.
    job: Option<usize>,
    /// The disk is full: the jobs hear [`StoreError::Full`], which callers can tell apart
    /// (an HTTP 503, not a 500) — the text alone would not say it.
    full: bool,
}

impl From<rusqlite::Error> for BatchFailed {
    fn from(e: rusqlite::Error) -> Self {
        BatchFailed {
            full: crate::error::sqlite_disk_full(&e),
            why: e.to_string(),
            job: None,
        }
    }
}

impl Outcome {
    fn failed(why: String, full: bool) -> Outcome {
        if full {
            Outcome::DiskFull(why)
        } else {
            Outcome::CommitFailed(why)
        }
    }
}

/// What the other jobs of a batch hear when one failed after writing without a savepoint.
const ROLLED_BACK_WITH_OTHER: &str = "rolled back with another write of the same transaction, \
     which failed after it wrote (the database failed; try again)";

/// Run each job inside the open transaction so that one job's error does not undo another's
/// work: in its own savepoint ([`Undo::Job`]), or without one ([`Undo::Batch`]), in which case
/// a failure that changed rows or lost the transaction fails the whole batch. `Err`: the
/// caller rolls back.
fn run_jobs(
    conn: &Connection,
    batch: &mut [Box<dyn WriteJob>],
) -> std::result::Result<(), BatchFailed> {
    // Prepared once per connection: with many small jobs per batch (32 audited reads
    // committing together), parsing the savepoint statements each time showed up in the
    // writer thread's profile.
    let exec = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]).map(drop))
    };
    for (i, job) in batch.iter_mut().enumerate() {
        if job.undo() == Undo::Batch {
            // Rows changed by its completed statements (a failed statement undoes itself, or
            // SQLite rolls the whole transaction back: the autocommit check).
            let before = conn.total_changes();
            if !job.run(conn) && (conn.total_changes() != before || conn.is_autocommit()) {
                return Err(BatchFailed {
                    why: ROLLED_BACK_WITH_OTHER.into(),
                    job: Some(i),
                    full: false,
                });
            }
            continue;
        }
        let step = exec("SAVEPOINT job").and_then(|()| {
            if job.run(conn) {
                exec("RELEASE job")
            } else {
                conn.execute_batch("ROLLBACK TO job; RELEASE job")
            }
        });
        step.map_err(BatchFailed::from)?;
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

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
