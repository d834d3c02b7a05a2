//! The awaited forms of a write, a read and a find ([`habeas_engine::Journaled`],
//! used by the HTTP handlers) keep the synchronous calls' guarantees: the
//! answer comes once the journal entries are durable, a refusal is journaled
//! before it is answered, a unit failing in its transaction answers an error
//! rather than hanging, and a caller who goes away does not stall anyone.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use common::{input, op};
use habeas_engine::{Caller, EngineError, Vault, VaultPaths};
use serde_json::json;

/// Drive `f` to completion on this thread (the engine needs no runtime).
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park_timeout(std::time::Duration::from_millis(100));
    }
}

fn vault(dir: &std::path::Path) -> Vault {
    common::open(VaultPaths::in_project(dir))
}

/// The newest entries of `actions` about `subject`, as (action, details).
fn journaled(vault: &Vault, actions: &[&str], subject: &str) -> Vec<(String, String)> {
    let audit = Caller::operator("audit", "PA-0006");
    vault
        .journal_tail(&audit, actions, 1000)
        .expect("journal")
        .events
        .into_iter()
        .filter(|e| e.subject.as_deref() == Some(subject))
        .map(|e| (e.action, e.details))
        .collect()
}

#[test]
fn an_awaited_write_is_answered_once_its_record_and_entry_are_durable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault(dir.path());
    let s = vault.create_subject(&op(), None).expect("subject");
    let pending = vault
        .write_begin(
            &op(),
            &s,
            input("contact", json!({"email": "awaited@example.org"})),
        )
        .expect("planned");
    let receipt = block_on(pending.answer()).expect("written");
    assert_eq!(receipt.subject, s);
    // Read back through the store's reader connections, not the writer's.
    let records = vault
        .read(&op(), &s, Some("contact"))
        .expect("read")
        .records;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].id, receipt.record);
    assert!(
        journaled(&vault, &["write"], &s).contains(&("write".into(), "records=1".into())),
        "the write's entry is durable"
    );
}

#[test]
fn awaited_reads_and_finds_answer_after_their_entries_are_durable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault(dir.path());
    let s = vault.create_subject(&op(), None).expect("subject");
    vault
        .write(
            &op(),
            &s,
            input("contact", json!({"email": "found@example.org"})),
        )
        .expect("write");
    let view = block_on(
        vault
            .read_begin(&op(), &s, Some("contact"))
            .expect("planned")
            .answer(),
    )
    .expect("read");
    assert_eq!(view.records.len(), 1);
    assert!(journaled(&vault, &["read"], &s).contains(&("read".into(), "records=1".into())));
    let found = block_on(
        vault
            .find_begin(&op(), "email", "Found@Example.org")
            .expect("planned")
            .answer(),
    )
    .expect("find");
    assert_eq!(found, vec![s.clone()]);
    assert!(journaled(&vault, &["find"], &s).contains(&("find".into(), "by=email match".into())));
}

#[test]
fn an_awaited_refusal_is_journaled_before_it_is_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault(dir.path());
    let s = vault.create_subject(&op(), None).expect("subject");
    // A token for the newsletter purpose (PA-0008), which processes no contact data.
    let (token, _) = vault
        .create_token(&op(), "newsletter", &["PA-0008".to_string()], &[])
        .expect("token");
    let stranger = Caller::token(token, Some("PA-0008".into()));
    let pending = vault
        .write_begin(
            &stranger,
            &s,
            input("contact", json!({"email": "no@example.org"})),
        )
        .expect("a refusal to journal, not an early error");
    let err = block_on(pending.answer()).expect_err("refused");
    assert!(matches!(err, EngineError::Forbidden(_)), "{err:?}");
    let refusals = journaled(&vault, &["refused"], &s);
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(refusals[0].1.starts_with("write denied"), "{refusals:?}");
    // Same for a read.
    let err = block_on(
        vault
            .read_begin(&stranger, &s, Some("contact"))
            .expect("planned")
            .answer(),
    )
    .expect_err("refused");
    assert!(matches!(err, EngineError::Forbidden(_)), "{err:?}");
    assert_eq!(journaled(&vault, &["refused"], &s).len(), 2);
}

#[test]
fn a_unit_failing_in_its_transaction_answers_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault(dir.path());
    // Nothing checks the subject before the transaction, which refuses it.
    let pending = vault
        .write_begin(
            &op(),
            "sub_0000000000000000",
            input("contact", json!({"email": "ghost@example.org"})),
        )
        .expect("planned");
    let err = block_on(pending.answer()).expect_err("no such subject");
    assert!(matches!(err, EngineError::NotFound(_)), "{err:?}");
    assert!(journaled(&vault, &["write"], "sub_0000000000000000").is_empty());
}

#[test]
fn a_caller_that_goes_away_leaves_its_write_committed_and_the_writer_free() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = vault(dir.path());
    let s = vault.create_subject(&op(), None).expect("subject");
    for n in 0..20 {
        let pending = vault
            .write_begin(
                &op(),
                &s,
                input("contact", json!({"email": format!("gone{n}@example.org")})),
            )
            .expect("planned");
        // The client hung up: nobody awaits the answer.
        drop(pending);
    }
    // The next caller is answered, and every abandoned write was committed.
    vault
        .write(
            &op(),
            &s,
            input("contact", json!({"email": "last@example.org"})),
        )
        .expect("the writer still answers");
    let records = vault
        .read(&op(), &s, Some("contact"))
        .expect("read")
        .records;
    assert_eq!(records.len(), 21);
    assert!(matches!(
        vault.verify_journal().expect("verify"),
        habeas_engine::Verdict::Intact { .. }
    ));
}
