//! Group commit of vault changes and their journal entries (RELIABILITY.md §0.3).
//!
//! Every change and every audited read becomes a [`WriteUnit`] (data
//! operations + journal entries). Callers queue units here; one thread takes
//! every unit waiting (up to [`MAX_BATCH`]) and hands them to
//! [`Store::commit`] as ONE transaction, in which the store continues the
//! hash chain from the committed head. Only then is each caller answered, so
//! nobody sees "done" before its data and its audit entry are durable, and a
//! burst of reads costs one fsync instead of one each. The same design serves
//! SQLite and PostgreSQL: the store serialises journal appends inside the
//! transaction (write lock, advisory lock), this thread makes them few.
//!
//! On SQLite the store's own writer thread already groups every job waiting
//! into one transaction, so a waiting caller ([`Committer::submit`]) hands
//! its unit to the store directly ([`Mode::Direct`]): one thread hop per
//! commit instead of two (caller → committer → writer and back). Measured
//! with 32 concurrent audited reads on a loaded 2-core machine, each extra
//! wake-up of a thread costs scheduling latency that the whole batch waits
//! for (docs/benchmarks-vault.md). Queued units ([`Committer::submit_nowait`],
//! the pipelined bulk import) still go through this thread.
//!
//! An async caller ([`Committer::submit_async`], the HTTP handlers) gets a
//! [`CommitWait`] future instead: the unit goes to the store the same way
//! (straight to SQLite's writer, or through this thread), and the answer
//! comes back over a oneshot completed by the thread that committed it, so
//! no thread is parked waiting and the caller is woken once. PostgreSQL's
//! store commits synchronously behind the same entry point
//! ([`Store::commit_then`]'s default), which in [`Mode::Grouped`] is this
//! thread: an awaiting caller does not block either.
//!
//! A long change made of units that each stand alone (a purge page split
//! by subject, [`Committer::submit_steps_nowait`]) goes through this thread
//! too, to [`Store::commit_steps`]: the store may make its units durable a
//! few at a time, so that an audited read arriving meanwhile waits for one
//! unit rather than for the whole page (docs/benchmarks-retention.md).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::task::{Context, Poll};
use std::thread::JoinHandle;

use futures_channel::oneshot;

use habeas_store::{Store, UnitOutcome, WriteUnit};

use crate::error::{EngineError, Result};
use crate::journal::ChainSealer;

/// Most units committed in one transaction.
const MAX_BATCH: usize = 1024;

enum Job {
    /// Grouped with the other units waiting into one [`Store::commit`].
    Unit { unit: WriteUnit, reply: Reply },
    /// Handed alone to [`Store::commit_steps`].
    Steps {
        units: Vec<WriteUnit>,
        reply: SyncSender<Result<Vec<Result<UnitOutcome>>>>,
    },
}

/// Where a unit's answer goes.
enum Reply {
    /// A caller blocked on the other end.
    Wait(SyncSender<Result<UnitOutcome>>),
    /// A caller awaiting a [`CommitWait`].
    Async(oneshot::Sender<Result<UnitOutcome>>),
}

impl Reply {
    fn send(self, answer: Result<UnitOutcome>) {
        // The caller may have given up (a client gone): nothing to do then.
        match self {
            Reply::Wait(tx) => {
                let _ = tx.send(answer);
            }
            Reply::Async(tx) => {
                let _ = tx.send(answer);
            }
        }
    }
}

/// How a waiting caller's unit reaches the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Through the committer thread, which groups units into one
    /// [`Store::commit`] (PostgreSQL: each `commit` is its own transaction).
    Grouped,
    /// Straight to [`Store::commit`] from the caller's thread: the store
    /// groups concurrent commits itself (SQLite's single writer thread).
    Direct,
}

/// Handle to the committer thread.
pub struct Committer {
    tx: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// Set in [`Mode::Direct`].
    direct: Option<(Arc<dyn Store>, Arc<dyn habeas_store::JournalSealer>)>,
}

impl Committer {
    /// Start the thread committing into `store`.
    pub fn start(store: Arc<dyn Store>, sealer: Arc<ChainSealer>, mode: Mode) -> Result<Committer> {
        let direct = (mode == Mode::Direct).then(|| {
            let sealer: Arc<dyn habeas_store::JournalSealer> = sealer.clone();
            (Arc::clone(&store), sealer)
        });
        let (tx, rx) = sync_channel::<Job>(4096);
        let thread = std::thread::Builder::new()
            .name("habeas-committer".into())
            .spawn(move || run(&*store, &sealer, &rx))
            .map_err(|e| EngineError::Storage(format!("cannot start the commit thread: {e}")))?;
        Ok(Committer {
            tx: Some(tx),
            thread: Some(thread),
            direct,
        })
    }

    /// Commit `unit` durably; returns its outcome (journal sequence numbers, op outputs).
    pub fn submit(&self, unit: WriteUnit) -> Result<UnitOutcome> {
        let Some((store, sealer)) = &self.direct else {
            return self.submit_nowait(unit)?.wait();
        };
        lone_result(store.commit(vec![unit], Arc::clone(sealer)))
    }

    /// Commit `unit` durably without blocking: the returned future resolves
    /// with its outcome once the unit's transaction committed (or failed).
    /// Dropping the future does not cancel the commit; the unit is committed
    /// and its answer discarded, the writer does not wait for anyone.
    pub fn submit_async(&self, unit: WriteUnit) -> CommitWait {
        let (tx, answer) = oneshot::channel();
        match &self.direct {
            Some((store, sealer)) => store.commit_then(
                vec![unit],
                Arc::clone(sealer),
                Box::new(move |results| {
                    let _ = tx.send(lone_result(results));
                }),
            ),
            None => {
                // A refused send drops `tx`: the future then reports the thread stopped.
                let _ = self.send(Job::Unit {
                    unit,
                    reply: Reply::Async(tx),
                });
            }
        }
        CommitWait { answer }
    }

    /// Queue a unit and return at once; [`Pending::wait`] gives its outcome.
    pub fn submit_nowait(&self, unit: WriteUnit) -> Result<Pending> {
        let (reply, answer) = sync_channel(1);
        self.send(Job::Unit {
            unit,
            reply: Reply::Wait(reply),
        })?;
        Ok(Pending { answer })
    }

    /// Queue `units`, each standing alone, to be made durable in order,
    /// possibly a few at a time ([`Store::commit_steps`]); returns at once.
    pub fn submit_steps_nowait(&self, units: Vec<WriteUnit>) -> Result<PendingSteps> {
        let (reply, answer) = sync_channel(1);
        self.send(Job::Steps { units, reply })?;
        Ok(PendingSteps { answer })
    }

    fn send(&self, job: Job) -> Result<()> {
        let tx = self
            .tx
            .as_ref()
            .ok_or_else(|| EngineError::Storage("the committer is stopped".into()))?;
        tx.send(job)
            .map_err(|_| EngineError::Storage("the commit thread stopped".into()))
    }
}

/// The outcome of a [`Store::commit`] of one unit.
fn lone_result(
    results: habeas_store::Result<Vec<habeas_store::Result<UnitOutcome>>>,
) -> Result<UnitOutcome> {
    match results {
        Ok(mut results) => results
            .pop()
            .unwrap_or_else(|| {
                Err(habeas_store::StoreError::CommitFailed(
                    "the store answered no unit".into(),
                ))
            })
            .map_err(EngineError::from),
        Err(err) => {
            tracing::error!(error = %err, "commit failed; the unit is refused");
            Err(EngineError::Storage(format!("commit failed: {err}")))
        }
    }
}

/// An awaited unit's answer ([`Committer::submit_async`]): resolves once
/// the unit is durable, or with the error that kept it from being so.
#[must_use = "the unit is durable only once this resolves"]
pub struct CommitWait {
    answer: oneshot::Receiver<Result<UnitOutcome>>,
}

impl Future for CommitWait {
    type Output = Result<UnitOutcome>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.answer).poll(cx).map(|answer| {
            answer.unwrap_or_else(|_| {
                Err(EngineError::Storage(
                    "the commit thread stopped before answering".into(),
                ))
            })
        })
    }
}

/// Queued steps' answer.
pub struct PendingSteps {
    answer: Receiver<Result<Vec<Result<UnitOutcome>>>>,
}

impl PendingSteps {
    /// Block until every unit is durable or failed: one result per unit,
    /// in order (`Err` as a whole: none of them is stored).
    pub fn wait(self) -> Result<Vec<Result<UnitOutcome>>> {
        self.answer.recv().map_err(|_| {
            EngineError::Storage("the commit thread stopped before answering".into())
        })?
    }
}

/// A queued unit's answer.
pub struct Pending {
    answer: Receiver<Result<UnitOutcome>>,
}

impl Pending {
    /// Block until the unit's batch committed (or failed).
    pub fn wait(self) -> Result<UnitOutcome> {
        self.answer.recv().map_err(|_| {
            EngineError::Storage("the commit thread stopped before answering".into())
        })?
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(store: &dyn Store, sealer: &Arc<ChainSealer>, rx: &Receiver<Job>) {
    let dyn_sealer: Arc<dyn habeas_store::JournalSealer> = sealer.clone();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // In arrival order: the units up to a stepped job together, then it.
        let mut units = Vec::new();
        let mut replies = Vec::new();
        for job in batch {
            match job {
                Job::Unit { unit, reply } => {
                    units.push(unit);
                    replies.push(reply);
                }
                Job::Steps {
                    units: steps,
                    reply,
                } => {
                    let grouped = std::mem::take(&mut units);
                    commit_grouped(store, &dyn_sealer, grouped, std::mem::take(&mut replies));
                    let result = store
                        .commit_steps(steps, Arc::clone(&dyn_sealer))
                        .map(|results| {
                            results
                                .into_iter()
                                .map(|r| r.map_err(EngineError::from))
                                .collect()
                        })
                        .map_err(|err| {
                            tracing::error!(error = %err, "stepped commit failed; none of its units is stored");
                            EngineError::Storage(format!("commit failed: {err}"))
                        });
                    let _ = reply.send(result);
                }
            }
        }
        commit_grouped(store, &dyn_sealer, units, replies);
    }
    // Clean shutdown: sign what is left so the tail is covered too.
    sealer.force_next();
    if let Err(err) = store.commit(Vec::new(), dyn_sealer) {
        tracing::warn!(error = %err, "could not sign the journal tail at shutdown");
    }
}

/// One [`Store::commit`] of `units`, each caller answered with its own result.
fn commit_grouped(
    store: &dyn Store,
    sealer: &Arc<dyn habeas_store::JournalSealer>,
    units: Vec<WriteUnit>,
    replies: Vec<Reply>,
) {
    if units.is_empty() {
        return;
    }
    match store.commit(units, Arc::clone(sealer)) {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                reply.send(result.map_err(EngineError::from));
            }
        }
        Err(err) => {
            tracing::error!(error = %err, "group commit failed; every unit of the batch is refused");
            for reply in replies {
                reply.send(Err(EngineError::Storage(format!("commit failed: {err}"))));
            }
        }
    }
}
