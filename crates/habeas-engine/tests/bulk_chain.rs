//! An import's batches sharing store transactions ([`BulkChain`]): every
//! batch stored and its receipt given once durable, and a batch failing in
//! the transaction it shares takes the batch before it down with it, so
//! nothing of either is stored.

mod common;

use std::path::Path;

use habeas_engine::{BulkChain, BulkLine, Caller, SubjectRefs, Vault, VaultPaths, synthetic};

fn vault(dir: &Path) -> Vault {
    common::open(VaultPaths::in_project(dir))
}

/// `n` subjects' records, every category, references prefixed by `prefix`.
fn batch(vault: &Vault, prefix: &str, from: u64, n: u64) -> Vec<BulkLine> {
    let mut lines = synthetic::subjects(vault.declarations(), from, from + n);
    for l in &mut lines {
        l.input.subject_ref = l.input.subject_ref.take().map(|r| format!("{prefix}{r}"));
    }
    lines
}

fn records(vault: &Vault) -> i64 {
    vault.counts().expect("counts")["records"]
}

#[test]
fn batches_sharing_transactions_are_all_stored_and_settled_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault(dir.path());
    let op = Caller::operator("test", "administration");
    let mut chain = BulkChain::new(2);
    let mut known = SubjectRefs::new();
    let mut receipts = Vec::new();
    let mut sent = Vec::new();
    for (i, last) in [(0, false), (1, false), (2, false), (3, false), (4, true)] {
        let lines = batch(&vault, "c", i * 3, 3);
        sent.push(lines.len() as u64);
        receipts.extend(
            chain
                .submit(&vault, &op, lines, &mut known, last)
                .expect("submit"),
        );
        // Batches are answered only once their transaction closed: never the newest
        // one that still holds it open for the next.
        assert!(receipts.len() <= i as usize, "batch {i} answered early");
    }
    receipts.extend(chain.finish().expect("finish"));
    let written: Vec<u64> = receipts.iter().map(|r| r.written).collect();
    assert_eq!(written, sent, "one receipt per batch, in order");
    assert_eq!(known.len(), 15);
    assert_eq!(records(&vault), sent.iter().sum::<u64>() as i64);
}

#[test]
fn a_batch_failing_in_a_shared_transaction_fails_the_batch_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault(dir.path());
    let op = Caller::operator("test", "administration");
    let mut chain = BulkChain::new(2);
    let mut known = SubjectRefs::new();
    let first = batch(&vault, "f", 0, 3);
    assert!(
        chain
            .submit(&vault, &op, first, &mut known, false)
            .expect("queued")
            .is_empty(),
        "the first batch's transaction waits for the second"
    );
    // A subject unknown to the store: found out inside the shared transaction.
    let mut second = batch(&vault, "f", 3, 1);
    for l in &mut second {
        l.input.subject_ref = None;
        l.input.subject = Some("sub_000000000000aabbccddeeff".into());
    }
    let queued = chain.submit(&vault, &op, second, &mut known, true);
    let failed = queued.and_then(|_| chain.finish());
    assert!(failed.is_err(), "the import must stop");
    assert_eq!(records(&vault), 0, "neither batch is stored");
    // The vault goes on: a later import is stored.
    let mut chain = BulkChain::new(2);
    let lines = batch(&vault, "g", 10, 2);
    let n = lines.len() as i64;
    let mut receipts = chain
        .submit(&vault, &op, lines, &mut SubjectRefs::new(), true)
        .expect("submit");
    receipts.extend(chain.finish().expect("finish"));
    assert_eq!(receipts.len(), 1);
    assert_eq!(records(&vault), n);
}
