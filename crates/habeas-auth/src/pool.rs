//! A bounded pool of threads for password hashing.
//!
//! Why: argon2id costs ~20 ms of one core and 19 MiB per hash. Unbounded, a
//! login flood would take both cores and the memory of the box; here at most
//! `workers` hashes run at once, at most `queue` wait, and anything beyond is
//! answered "busy, retry" at once — the caller never queues without bound.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::error::AuthError;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Why a job was not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoolBusy {
    /// Every thread is hashing and the queue is full: retry later.
    #[error("the hashing pool is full; retry in a moment")]
    Full,
    /// The job panicked or the pool is shutting down.
    #[error("the hashing job did not complete")]
    Lost,
}

impl From<PoolBusy> for AuthError {
    fn from(e: PoolBusy) -> Self {
        match e {
            PoolBusy::Full => AuthError::Busy,
            PoolBusy::Lost => AuthError::Hashing("the hashing job did not complete".into()),
        }
    }
}

/// N worker threads fed by a bounded queue.
pub struct HashPool {
    sender: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    started: Arc<AtomicU64>,
    refused: AtomicU64,
}

impl std::fmt::Debug for HashPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashPool")
            .field("workers", &self.workers.len())
            .field("started", &self.jobs_started())
            .field("refused", &self.jobs_refused())
            .finish()
    }
}

impl HashPool {
    /// `workers` threads (at least 1) and room for `queue` waiting jobs (0:
    /// a job is taken only if a thread is idle).
    pub fn new(workers: usize, queue: usize) -> Result<Self, AuthError> {
        if workers == 0 {
            return Err(AuthError::Config(
                "the hashing pool needs at least one worker".into(),
            ));
        }
        let (sender, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let started = Arc::new(AtomicU64::new(0));
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let receiver = Arc::clone(&receiver);
            let handle = std::thread::Builder::new()
                .name(format!("habeas-hash-{i}"))
                .spawn(move || worker(&receiver))
                .map_err(|e| AuthError::Config(format!("cannot start a hashing thread: {e}")))?;
            handles.push(handle);
        }
        Ok(HashPool {
            sender: Some(sender),
            workers: handles,
            started,
            refused: AtomicU64::new(0),
        })
    }

    /// Runs `job` on a pool thread and waits for its result, or answers
    /// [`PoolBusy::Full`] at once when no thread and no queue slot is free.
    pub fn try_run<T, F>(&self, job: F) -> Result<T, PoolBusy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let sender = self.sender.as_ref().ok_or(PoolBusy::Lost)?;
        let (reply, answer) = sync_channel::<T>(1);
        let started = Arc::clone(&self.started);
        let wrapped: Job = Box::new(move || {
            started.fetch_add(1, Ordering::Relaxed);
            let _ = reply.send(job());
        });
        match sender.try_send(wrapped) {
            Ok(()) => answer.recv().map_err(|_| PoolBusy::Lost),
            Err(TrySendError::Full(_)) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                Err(PoolBusy::Full)
            }
            Err(TrySendError::Disconnected(_)) => Err(PoolBusy::Lost),
        }
    }

    /// Jobs that started running since the pool was made (for metrics, and
    /// for tests proving that refused sign-ins did not hash).
    pub fn jobs_started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// Jobs answered "busy".
    pub fn jobs_refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

fn worker(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let Ok(guard) = receiver.lock() else { return };
            match guard.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        // A panicking job loses its answer (the caller sees `Lost`), not the thread.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

impl Drop for HashPool {
    fn drop(&mut self) {
        self.sender.take();
        for handle in self.workers.drain(..) {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    #[test]
    fn runs_jobs_and_returns_their_result() {
        let pool = HashPool::new(2, 2).unwrap();
        assert_eq!(pool.try_run(|| 40 + 2), Ok(42));
        assert_eq!(pool.jobs_started(), 1);
    }

    #[test]
    fn a_full_pool_answers_busy_at_once_then_recovers() {
        // One thread, no queue: while it hashes, any other job is refused.
        let pool = Arc::new(HashPool::new(1, 0).unwrap());
        let (release_tx, release_rx) = channel::<()>();
        let (running_tx, running_rx) = channel::<()>();
        let p = Arc::clone(&pool);
        let release_rx = Arc::new(Mutex::new(release_rx));
        let first = std::thread::spawn(move || {
            retry_until_idle(&p, move || {
                let _ = running_tx.send(());
                release_rx.lock().unwrap().recv().unwrap();
            })
        });
        running_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let refused = pool.jobs_refused();
        let t0 = std::time::Instant::now();
        assert_eq!(pool.try_run(|| ()), Err(PoolBusy::Full));
        assert!(t0.elapsed() < Duration::from_secs(1), "busy must not wait");
        assert_eq!(pool.jobs_refused(), refused + 1);
        release_tx.send(()).unwrap();
        first.join().unwrap().unwrap();
        assert_eq!(retry_until_idle(&pool, || 7), Ok(7));
        assert_eq!(pool.jobs_started(), 2);
    }

    fn retry_until_idle<T: Send + 'static>(
        pool: &HashPool,
        job: impl Fn() -> T + Send + Sync + Clone + 'static,
    ) -> Result<T, PoolBusy> {
        let mut answer = pool.try_run(job.clone());
        for _ in 0..1000 {
            if !matches!(answer, Err(PoolBusy::Full)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
            answer = pool.try_run(job.clone());
        }
        answer
    }

    #[test]
    fn a_panicking_job_is_reported_and_the_thread_survives() {
        let pool = HashPool::new(1, 0).unwrap();
        assert_eq!(
            retry_until_idle(&pool, || -> u8 { panic!("boom") }),
            Err(PoolBusy::Lost)
        );
        let answer = retry_until_idle(&pool, || 1);
        assert_eq!(answer, Ok(1));
    }
}
