//! Calls answered once their journal entries are durable, for callers that
//! await the commit instead of blocking on it (the HTTP handlers, issue 3).
//!
//! Why: a single-record write or an audited read is a few tens of
//! microseconds of CPU and a commit that takes a group's fsync. Blocking a
//! thread on that commit cost two thread hand-offs per request on top of the
//! writer's own (caller → writer → caller, then the blocking pool → the
//! async task) and, measured on two cores, the wake-ups were the bulk of the
//! time (docs/benchmarks-vault.md, session 8). Here the call does its work
//! on the calling thread — authorisation, validation, sealing, the store
//! reads it needs — queues its unit ([`crate::committer::CommitWait`]) and
//! hands back a [`Journaled`] to await: the thread that commits completes it.
//!
//! The guarantees are the synchronous calls': the answer (a receipt, the
//! records read, or a refusal) is given only after the entries describing it
//! are durable, and a failed commit answers its error. A refusal found while
//! planning (authorisation, Art. 18/21/7(3) limits) is not committed on the
//! spot, which would block the caller: it travels as a [`Stop::Refused`] and
//! is committed like any other unit, then answered.

use habeas_store::{StoreError, WriteUnit};

use crate::Caller;
use crate::committer::CommitWait;
use crate::error::{EngineError, Result};
use crate::journal::Entry;
use crate::validate::RecordInput;
use crate::vault::{Receipt, SubjectView, Vault};
use habeas_crypto::CryptoError;

/// A refusal whose journal entries must be durable before it is answered.
pub(crate) struct Refused {
    pub(crate) entries: Vec<Entry>,
    pub(crate) error: EngineError,
}

/// Why a planned call stops before its own unit.
pub(crate) enum Stop {
    /// An error to answer as it is (nothing to journal).
    Failed(EngineError),
    /// A refusal to journal, then answer.
    Refused(Box<Refused>),
}

impl Stop {
    pub(crate) fn refused(entries: Vec<Entry>, error: EngineError) -> Stop {
        Stop::Refused(Box::new(Refused { entries, error }))
    }

    /// `error`, with the refusals already found journaled before it is
    /// answered (a read that withheld a limited category, then failed).
    pub(crate) fn after(refusals: Vec<Entry>, error: Stop) -> Stop {
        match error {
            Stop::Failed(error) if !refusals.is_empty() => Stop::refused(refusals, error),
            Stop::Refused(mut later) if !refusals.is_empty() => {
                let mut entries = refusals;
                entries.append(&mut later.entries);
                later.entries = entries;
                Stop::Refused(later)
            }
            other => other,
        }
    }
}

/// An audited call planned: the journal entries to commit before its answer,
/// and the answer — or where it stopped.
pub(crate) type Planned<T> = std::result::Result<(Vec<Entry>, T), Stop>;

impl From<EngineError> for Stop {
    fn from(e: EngineError) -> Self {
        Stop::Failed(e)
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Failed(e.into())
    }
}

impl From<CryptoError> for Stop {
    fn from(e: CryptoError) -> Self {
        Stop::Failed(e.into())
    }
}

/// A call's answer, given once its journal entries are durable
/// ([`Journaled::answer`]). Dropping it (a client gone) does not undo the
/// call: its unit is committed all the same, and nobody waits for it.
#[must_use = "the call is answered only once its journal entries are durable"]
pub struct Journaled<T> {
    commit: CommitWait,
    answer: Result<T>,
}

impl<T> Journaled<T> {
    /// Wait for the commit, then answer: the call's result, or the commit's
    /// error if its entries could not be made durable.
    pub async fn answer(self) -> Result<T> {
        self.commit.await?;
        self.answer
    }
}

impl Vault {
    /// Commit `entries` (and `ops`) without waiting; `answer` once durable.
    fn journaled<T>(
        &self,
        ops: Vec<habeas_store::WriteOp>,
        entries: &[Entry],
        answer: Result<T>,
    ) -> Journaled<T> {
        let commit = self.committer.submit_async(WriteUnit {
            ops,
            journal: entries.iter().map(Entry::draft).collect(),
        });
        Journaled { commit, answer }
    }

    /// A planned call's stop, answered the synchronous way: a refusal is
    /// committed here, then returned.
    pub(crate) fn settle_now(&self, stop: Stop) -> EngineError {
        match stop {
            Stop::Failed(e) => e,
            Stop::Refused(r) => match self.commit_unit(Vec::new(), &r.entries) {
                Ok(_) => r.error,
                Err(e) => e,
            },
        }
    }

    /// A planned audited call answered the synchronous way: its journal
    /// entries committed (a stop settled), then its answer.
    pub(crate) fn answer_now<T>(&self, planned: Planned<T>) -> Result<T> {
        let (entries, answer) = planned.map_err(|stop| self.settle_now(stop))?;
        self.commit_unit(Vec::new(), &entries)?;
        Ok(answer)
    }

    /// A planned audited call answered the awaited way.
    fn answer_later<T>(&self, planned: Planned<T>) -> Result<Journaled<T>> {
        match planned {
            Ok((entries, answer)) => Ok(self.journaled(Vec::new(), &entries, Ok(answer))),
            Err(stop) => self.settle_later(stop),
        }
    }

    /// A planned call's stop, answered the awaited way.
    fn settle_later<T>(&self, stop: Stop) -> Result<Journaled<T>> {
        match stop {
            Stop::Failed(e) => Err(e),
            Stop::Refused(r) => Ok(self.journaled(Vec::new(), &r.entries, Err(r.error))),
        }
    }

    /// Whether the store's reads are local lookups (SQLite, in its page
    /// cache), cheap enough to run on an async worker; PostgreSQL's are
    /// network round trips.
    pub fn reads_are_local(&self) -> bool {
        self.paths.postgres.is_none()
    }

    /// Whether a call on `subject`'s `category` finds its data key in
    /// memory, so that it needs no key-store access: creating a key commits
    /// to the key store (an fsync), unwrapping one reads it and may ask a
    /// PKCS#11 token. An async caller runs the call on its own thread only
    /// then. High-volume categories also need their month's key: `false`.
    pub fn data_key_in_memory(&self, subject: &str, category: &str) -> bool {
        self.decls
            .category(category)
            .is_some_and(|c| !c.high_volume)
            && self.keys.in_memory(subject, category)
    }

    /// How long an unwrapped data key stays in this process's memory from
    /// its unwrap (`[server] key_cache_seconds`; see [`crate::key_cache`]).
    pub fn set_key_cache_ttl(&self, ttl: std::time::Duration) -> Result<()> {
        self.keys.set_cache_ttl(ttl)
    }

    /// The time an unwrapped data key stays in memory.
    pub fn key_cache_ttl(&self) -> Result<std::time::Duration> {
        self.keys.cache_ttl()
    }

    /// Drop (zeroizing them) the kept data keys past their time; how many
    /// went. The server runs this every [`crate::key_cache::sweep_period`].
    pub fn expire_cached_keys(&self) -> Result<usize> {
        self.keys.expire_cached()
    }

    /// [`Vault::write`] to await: the record is validated, authorised,
    /// sealed and queued here; [`Journaled::answer`] gives the receipt once
    /// it is durable. `Err` here: refused without a journal entry (bad input,
    /// unknown category), exactly where [`Vault::write`] answers it.
    pub fn write_begin(
        &self,
        caller: &Caller,
        subject: &str,
        input: RecordInput,
    ) -> Result<Journaled<Receipt>> {
        match self.plan_write(caller, subject, input) {
            Ok((unit, receipt)) => Ok(Journaled {
                commit: self.committer.submit_async(unit),
                answer: Ok(receipt),
            }),
            Err(stop) => self.settle_later(stop),
        }
    }

    /// [`Vault::read`] to await: the records are read and opened here;
    /// [`Journaled::answer`] gives them once the read is journaled.
    pub fn read_begin(
        &self,
        caller: &Caller,
        subject: &str,
        category: Option<&str>,
    ) -> Result<Journaled<SubjectView>> {
        self.answer_later(self.plan_read(caller, subject, category))
    }

    /// [`Vault::find`] to await: the blind index is searched here;
    /// [`Journaled::answer`] gives the subjects once the lookup is journaled.
    pub fn find_begin(
        &self,
        caller: &Caller,
        kind: &str,
        value: &str,
    ) -> Result<Journaled<Vec<String>>> {
        self.answer_later(self.plan_find(caller, kind, value))
    }
}
