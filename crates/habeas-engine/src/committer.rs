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
//! too and is made durable a few units at a time, so that an audited read
//! arriving meanwhile waits for one short transaction rather than for the
//! whole page (docs/benchmarks-retention.md): on SQLite by the store's
//! writer ([`Store::commit_steps`]), which also takes the jobs waiting on
//! it; on PostgreSQL by this thread, each transaction carrying a few steps
//! and every unit waiting here.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::task::{Context, Poll};
use std::thread::JoinHandle;

use futures_channel::oneshot;

use habeas_store::{Store, StoreError, UnitOutcome, WriteUnit};

use crate::error::{EngineError, Result};
use crate::journal::ChainSealer;

/// Most units committed in one transaction.
const MAX_BATCH: usize = 1024;
/// [`Mode::Grouped`]: a stepped job's units per transaction (a purge step is
/// at most 100 records). Measured at 200k records on PostgreSQL: four per
/// commit left the reads beside the purge at p50 11–15 ms, p99 124–144 ms;
/// one per commit, p50 4 ms, p99 22 ms, and the purge no slower.
const STEPS_PER_COMMIT: usize = 1;

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
            .spawn(move || run(&*store, &sealer, &rx, mode))
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

    /// [`Committer::submit_nowait`] for a unit of a bulk import that may share
    /// its transaction with the previous and next units of the same import
    /// ([`habeas_store::Link`], [`Store::commit_linked`]). On SQLite the unit
    /// goes straight to the store's writer, not through this thread: this
    /// thread would otherwise wait on a unit whose transaction waits for the
    /// next unit, queued behind it. Elsewhere it is queued as
    /// [`Committer::submit_nowait`] does and commits alone.
    pub fn submit_linked(&self, unit: WriteUnit, link: habeas_store::Link) -> Result<Pending> {
        let Some((store, sealer)) = &self.direct else {
            return self.submit_nowait(unit);
        };
        let (reply, answer) = sync_channel(1);
        store.commit_linked(
            unit,
            Arc::clone(sealer),
            link,
            Box::new(move |results| {
                let _ = reply.send(lone_result(results));
            }),
        );
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
            Err(crate::error::commit_failed(&err))
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

fn run(store: &dyn Store, sealer: &Arc<ChainSealer>, rx: &Receiver<Job>, mode: Mode) {
    let dyn_sealer: Arc<dyn habeas_store::JournalSealer> = sealer.clone();
    // Jobs received and not yet run, in arrival order.
    let mut queue: VecDeque<Job> = VecDeque::new();
    loop {
        if queue.is_empty() {
            match rx.recv() {
                Ok(job) => queue.push_back(job),
                Err(_) => break,
            }
        }
        while queue.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => queue.push_back(job),
                Err(_) => break,
            }
        }
        // The units up to the first stepped job together, then it.
        let (units, replies) = take_units(&mut queue, None, MAX_BATCH);
        commit_grouped(store, &dyn_sealer, units, replies);
        if let Some(Job::Steps {
            units: steps,
            reply,
        }) = queue.pop_front()
        {
            let result = match mode {
                Mode::Direct => store
                    .commit_steps(steps, Arc::clone(&dyn_sealer))
                    .map(|results| {
                        results
                            .into_iter()
                            .map(|r| r.map_err(EngineError::from))
                            .collect()
                    })
                    .map_err(|err| {
                        tracing::error!(error = %err, "stepped commit failed; none of its units is stored");
                        crate::error::commit_failed(&err)
                    }),
                Mode::Grouped => Ok(commit_interleaved(
                    store,
                    &dyn_sealer,
                    steps,
                    rx,
                    &mut queue,
                )),
            };
            let _ = reply.send(result);
        }
    }
    // Clean shutdown: sign what is left so the tail is covered too.
    sealer.force_next();
    if let Err(err) = store.commit(Vec::new(), dyn_sealer) {
        tracing::warn!(error = %err, "could not sign the journal tail at shutdown");
    }
}

/// The plain units at the front of `queue` (stopping at a stepped job), then — only when
/// nothing else is queued, so arrival order holds — the units waiting on `rx`; at most
/// `most` in all.
fn take_units(
    queue: &mut VecDeque<Job>,
    rx: Option<&Receiver<Job>>,
    most: usize,
) -> (Vec<WriteUnit>, Vec<Reply>) {
    let (mut units, mut replies) = (Vec::new(), Vec::new());
    while units.len() < most {
        let job = match queue.pop_front() {
            Some(job) => job,
            None => match rx.map(Receiver::try_recv) {
                Some(Ok(job)) => job,
                _ => break,
            },
        };
        match job {
            Job::Unit { unit, reply } => {
                units.push(unit);
                replies.push(reply);
            }
            steps @ Job::Steps { .. } => {
                queue.push_front(steps);
                break;
            }
        }
    }
    (units, replies)
}

/// [`Mode::Grouped`] (PostgreSQL): a stepped job's units committed
/// [`STEPS_PER_COMMIT`] at a time, each commit carrying every unit waiting at
/// that moment — so an audited read arriving during a purge page waits for
/// one short transaction, not for the page (before: p99 150–190 ms beside a
/// purge at 200k records, docs/benchmarks-retention.md). The steps stand
/// alone (the caller built them so); a commit that fails fails its steps and
/// every later one, which are not run.
fn commit_interleaved(
    store: &dyn Store,
    sealer: &Arc<dyn habeas_store::JournalSealer>,
    steps: Vec<WriteUnit>,
    rx: &Receiver<Job>,
    queue: &mut VecDeque<Job>,
) -> Vec<Result<UnitOutcome>> {
    let total = steps.len();
    let mut results = Vec::with_capacity(total);
    let mut steps = steps.into_iter();
    while results.len() < total {
        let mut units: Vec<WriteUnit> = steps.by_ref().take(STEPS_PER_COMMIT).collect();
        let own = units.len();
        let (waiting, replies) = take_units(queue, Some(rx), MAX_BATCH);
        units.extend(waiting);
        match store.commit(units, Arc::clone(sealer)) {
            Ok(mut outcomes) => {
                let theirs = outcomes.split_off(own.min(outcomes.len()));
                answer(replies, Ok(theirs));
                let before = results.len();
                results.extend(outcomes.into_iter().map(|r| r.map_err(EngineError::from)));
                while results.len() < before + own {
                    results.push(Err(EngineError::Storage(
                        "the store answered no result for a step".into(),
                    )));
                }
            }
            Err(err) => {
                tracing::error!(error = %err, "a stepped commit failed; its steps and the later ones are not stored");
                answer(replies, Err(&err));
                // A full disk stays "retry later" for every step, as for a unit.
                while results.len() < total {
                    results.push(Err(if err.is_disk_full() {
                        crate::error::storage_full()
                    } else {
                        EngineError::Storage(format!("not stored: a step's commit failed ({err})"))
                    }));
                }
            }
        }
    }
    results
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
        Ok(results) => answer(replies, Ok(results)),
        Err(err) => {
            tracing::error!(error = %err, "group commit failed; every unit of the batch is refused");
            answer(replies, Err(&err));
        }
    }
}

/// Answer the callers waiting on a commit: each with its own unit's result,
/// or all of them with the commit's failure.
fn answer(
    replies: Vec<Reply>,
    committed: std::result::Result<Vec<habeas_store::Result<UnitOutcome>>, &StoreError>,
) {
    match committed {
        Ok(results) => {
            for (reply, result) in replies.into_iter().zip(results) {
                reply.send(result.map_err(EngineError::from));
            }
        }
        Err(err) => {
            for reply in replies {
                reply.send(Err(crate::error::commit_failed(err)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use habeas_crypto::{SecretSource, open_journal_signer_with_env};
    use habeas_store::JournalDraft;
    use habeas_store::sqlite::SqliteStore;

    fn sealer() -> Arc<dyn habeas_store::JournalSealer> {
        let source = SecretSource::Env {
            variable: "TEST_JOURNAL_KEY".into(),
        };
        let secret = |_: &str| Some("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=".to_string());
        let signer = open_journal_signer_with_env(&source, &secret).expect("signer");
        Arc::new(ChainSealer::new(signer))
    }

    fn unit(action: &str) -> WriteUnit {
        WriteUnit {
            ops: Vec::new(),
            journal: vec![JournalDraft {
                ts: chrono::Utc::now(),
                actor: "test".into(),
                action: action.into(),
                subject_id: None,
                category: None,
                purpose: None,
                details: String::new(),
            }],
        }
    }

    fn seq(outcome: &Result<UnitOutcome>) -> u64 {
        match outcome {
            Ok(o) => o.seqs[0],
            Err(e) => panic!("unit failed: {e}"),
        }
    }

    #[test]
    fn a_unit_waiting_during_stepped_units_commits_with_the_next_few_steps() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(dir.path().join("data.db")).expect("store");
        let (_tx, rx) = sync_channel::<Job>(8);
        let (reply, answer) = sync_channel(1);
        let mut queue = VecDeque::from([Job::Unit {
            unit: unit("read"),
            reply: Reply::Wait(reply),
        }]);
        let steps: Vec<WriteUnit> = (0..10).map(|_| unit("step")).collect();
        let results = commit_interleaved(&store, &sealer(), steps, &rx, &mut queue);
        assert_eq!(results.len(), 10);
        let steps: Vec<u64> = results.iter().map(seq).collect();
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
        let read = seq(&answer.recv().expect("answered"));
        // The first transaction: STEPS_PER_COMMIT steps, then the waiting unit.
        assert!(
            steps[STEPS_PER_COMMIT - 1] < read && read < steps[STEPS_PER_COMMIT],
            "read {read}, steps {steps:?}"
        );
        assert!(queue.is_empty());
    }

    #[test]
    fn a_stepped_job_queued_behind_keeps_its_place() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(dir.path().join("data.db")).expect("store");
        let (tx, rx) = sync_channel::<Job>(8);
        let (later_reply, _later) = sync_channel(1);
        let (unit_reply, unit_answer) = sync_channel(1);
        // Queued: another stepped job, then a unit that arrived after it.
        let mut queue = VecDeque::from([
            Job::Steps {
                units: vec![unit("later")],
                reply: later_reply,
            },
            Job::Unit {
                unit: unit("after"),
                reply: Reply::Wait(unit_reply),
            },
        ]);
        let (fresh_reply, _fresh) = sync_channel(1);
        tx.send(Job::Unit {
            unit: unit("fresh"),
            reply: Reply::Wait(fresh_reply),
        })
        .expect("send");
        let results = commit_interleaved(&store, &sealer(), vec![unit("step")], &rx, &mut queue);
        assert_eq!(results.len(), 1);
        // Nothing overtook the queued stepped job: it and what followed it wait.
        assert_eq!(queue.len(), 2);
        assert!(matches!(queue.front(), Some(Job::Steps { .. })));
        assert!(unit_answer.try_recv().is_err());
        assert!(
            rx.try_recv().is_ok(),
            "the channel was not read past the queue"
        );
    }
}
