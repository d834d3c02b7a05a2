//! The batches of one import written so that consecutive batches share a
//! store transaction, while no more batches are held in memory than before.
//!
//! Why: at a million subjects the blind index (keyed by HMAC digests) takes
//! random inserts all over a B-tree larger than SQLite's page cache, so each
//! transaction writes (to the WAL, then by the checkpoint) about one page per
//! new index entry; a page touched twice in one transaction is written once.
//! Bigger transactions therefore write fewer bytes per record, but a bigger
//! batch costs memory in flight (about 4 KiB per record, one batch being
//! prepared while one commits). Here the transaction is decoupled from the
//! batch: a batch that holds ([`habeas_store::Link`]) leaves the store's
//! transaction open for the next batch of the same chain, which joins it;
//! each batch is freed once inserted (docs/benchmarks-vault.md, session 10).
//!
//! What the caller can count on: a batch's receipt is returned only once the
//! transaction holding it committed; a batch is still all or nothing; but a
//! batch may fail because the next batch of its transaction failed (nothing
//! of either is stored). The chain waits for a batch's receipt only once the
//! transaction holding it no longer waits for this chain's next batch, so it
//! never waits on itself, and it waits for earlier transactions only after
//! queueing the next batch, so preparing a batch still overlaps the writing
//! of the previous one. On PostgreSQL each batch commits alone, as before.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use habeas_store::Link;

use crate::access::Caller;
use crate::error::Result;
use crate::vault::{BulkLine, BulkReceipt, PendingBulk, Vault};

/// Chain numbers, unique within the process.
static NEXT_CHAIN: AtomicU64 = AtomicU64::new(1);

/// The batches of one import ([`BulkChain::submit`] each, then
/// [`BulkChain::finish`]).
pub struct BulkChain {
    chain: u64,
    per_transaction: usize,
    /// Batches already queued in the current transaction group.
    position: usize,
    /// The current transaction group's number.
    group: u64,
    /// Queued batches not yet answered, oldest first, with their group.
    pending: VecDeque<(u64, PendingBulk)>,
}

impl BulkChain {
    /// A chain whose transactions each hold up to `per_transaction`
    /// consecutive batches (1: every batch commits alone).
    pub fn new(per_transaction: usize) -> BulkChain {
        BulkChain {
            chain: NEXT_CHAIN.fetch_add(1, Ordering::Relaxed),
            per_transaction: per_transaction.max(1),
            position: 0,
            group: 0,
            pending: VecDeque::new(),
        }
    }

    /// Validate, seal and queue `lines` as the next batch ([`Vault::write_bulk_begin`];
    /// `last`: no batch follows, so its transaction does not wait for one), then
    /// wait for the batches of the earlier transactions: their receipts, in order,
    /// each returned once durable. `Err`: a batch failed (the import must stop;
    /// batches of earlier transactions are stored, later ones may be).
    pub fn submit(
        &mut self,
        vault: &Vault,
        caller: &Caller,
        lines: Vec<BulkLine>,
        known: &mut crate::SubjectRefs,
        last: bool,
    ) -> Result<Vec<BulkReceipt>> {
        let holds = !last && self.position + 1 < self.per_transaction;
        let link = Link {
            chain: self.chain,
            joins: self.position > 0,
            holds,
        };
        let pending = vault.write_bulk_queued(caller, lines, known, Some(link))?;
        self.pending.push_back((self.group, pending));
        let current = self.group;
        if holds {
            self.position += 1;
        } else {
            self.position = 0;
            self.group += 1;
        }
        self.settle(|group| group < current)
    }

    /// Wait for every batch queued: their receipts, in order.
    pub fn finish(mut self) -> Result<Vec<BulkReceipt>> {
        self.settle(|_| true)
    }

    /// Receipts of the oldest batches whose group passes `due`. The whole
    /// group is waited for before an error is returned: the batch that
    /// failed is the last of its group to fail (the ones before it were
    /// rolled back with it), so its error is the one reported.
    fn settle(&mut self, due: impl Fn(u64) -> bool) -> Result<Vec<BulkReceipt>> {
        let mut receipts = Vec::new();
        let mut failed = None;
        while let Some((group, _)) = self.pending.front() {
            let group = *group;
            if !due(group) {
                break;
            }
            while self.pending.front().is_some_and(|(g, _)| *g == group) {
                let Some((_, pending)) = self.pending.pop_front() else {
                    break;
                };
                match pending.wait() {
                    Ok(receipt) => receipts.push(receipt),
                    Err(e) => failed = Some(e),
                }
            }
            if let Some(e) = failed.take() {
                return Err(e);
            }
        }
        Ok(receipts)
    }
}
