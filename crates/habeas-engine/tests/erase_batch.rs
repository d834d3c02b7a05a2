//! Batched erasure (issue 4): a batch leaves nothing of its subjects
//! readable — not in the vault, not in a copy of the data taken before it,
//! opened with the key store as it is after — records the same tombstones
//! as the single paths, and a refused batch changes nothing.

use std::path::Path;

use habeas_engine::ledger::LedgerDocs;
use habeas_engine::{EngineError, Erasure, Vault, VaultPaths};
use habeas_retention::tombstone::TombstoneEvent;
use serde_json::json;

mod common;
use common::{input, op, open, restore};

/// A subject with two contact records, an identity and a high-volume row.
fn subject(vault: &Vault, tag: &str) -> String {
    let s = vault.create_subject(&op(), None).expect("subject");
    for (category, fields) in [
        (
            "contact",
            json!({ "email": format!("one.{tag}@example.org") }),
        ),
        (
            "contact",
            json!({ "email": format!("two.{tag}@example.org") }),
        ),
        ("identity", json!({ "last_name": format!("Nom{tag}") })),
        ("connection_logs", json!({ "ip": "198.51.100.7" })),
    ] {
        vault
            .write(&op(), &s, input(category, fields))
            .expect("write");
    }
    s
}

fn categories(vault: &Vault, s: &str) -> Vec<String> {
    let mut c: Vec<String> = vault
        .read(&op(), s, None)
        .expect("read")
        .records
        .into_iter()
        .map(|r| r.category)
        .collect();
    c.sort();
    c
}

fn code(e: &EngineError) -> &'static str {
    e.refusal().map_or("none", |r| r.code)
}

/// The data files of a vault as they are now (the database, its WAL).
fn copy_data(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("data")).expect("mkdir");
    for name in ["habeas.db", "habeas.db-wal", "habeas.db-shm"] {
        let f = from.join("data").join(name);
        if f.exists() {
            std::fs::copy(&f, to.join("data").join(name)).expect("copy");
        }
    }
}

#[test]
fn a_batch_erasure_leaves_nothing_readable_even_in_an_earlier_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = VaultPaths::in_project(dir.path());
    let vault = open(paths.clone());
    let whole = subject(&vault, "whole");
    let partly = subject(&vault, "partly");
    let untouched = subject(&vault, "untouched");
    let earlier = tempfile::tempdir().expect("tempdir");
    copy_data(dir.path(), earlier.path());

    let erased = vault
        .erase_batch(
            &op(),
            &[
                Erasure::subject(&whole),
                Erasure {
                    subject: partly.clone(),
                    categories: vec!["contact".into()],
                },
            ],
        )
        .expect("batch");
    assert_eq!(erased[0].data_keys_destroyed, 3);
    assert_eq!(erased[0].records, 4);
    assert_eq!(erased[1].data_keys_destroyed, 1);
    assert_eq!(erased[1].records, 2);

    let view = vault.read(&op(), &whole, None).expect("read erased");
    assert_eq!((view.status.as_str(), view.records.len()), ("erased", 0));
    assert_eq!(
        categories(&vault, &partly),
        vec!["connection_logs", "identity"]
    );
    assert_eq!(
        categories(&vault, &untouched),
        vec!["connection_logs", "contact", "contact", "identity"]
    );
    assert!(
        vault
            .find(&op(), "email", "one.whole@example.org")
            .expect("find")
            .is_empty()
    );
    assert!(
        vault
            .find(&op(), "email", "two.partly@example.org")
            .expect("find")
            .is_empty()
    );
    assert_eq!(
        vault
            .find(&op(), "email", "one.untouched@example.org")
            .expect("find"),
        vec![untouched.clone()]
    );

    // The tombstones are those of the single paths, in batch order.
    let events: Vec<TombstoneEvent> = LedgerDocs::open(&vault)
        .expect("ledger")
        .all()
        .expect("tombstones")
        .into_iter()
        .map(|t| t.event)
        .collect();
    let erasure = |s: &str, c: &[&str]| TombstoneEvent::Erasure {
        subject: s.to_string(),
        categories: c.iter().map(|c| c.to_string()).collect(),
    };
    assert_eq!(
        events,
        vec![erasure(&whole, &[]), erasure(&partly, &["contact"]),]
    );
    drop(vault);

    // The copy taken before still holds the ciphertexts; the keys are gone.
    let copy = open(VaultPaths {
        data_db: earlier.path().join("data").join("habeas.db"),
        ..paths
    });
    let refused = copy.read(&op(), &whole, None).expect_err("whole subject");
    assert_eq!(code(&refused), "shredded");
    let refused = copy
        .read(&op(), &partly, Some("contact"))
        .expect_err("erased category");
    assert_eq!(code(&refused), "shredded");
    assert_eq!(
        copy.read(&op(), &partly, Some("identity"))
            .expect("kept category")
            .records
            .len(),
        1
    );
    assert_eq!(categories(&copy, &untouched).len(), 4);
}

#[test]
fn a_refused_batch_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = open(VaultPaths::in_project(dir.path()));
    let a = subject(&vault, "a");
    let b = subject(&vault, "b");
    let all = vec!["connection_logs", "contact", "contact", "identity"];

    let bad_category = vault
        .erase_batch(
            &op(),
            &[
                Erasure::subject(&a),
                Erasure {
                    subject: b.clone(),
                    categories: vec!["contact".into(), "no_such_category".into()],
                },
            ],
        )
        .expect_err("undeclared category");
    assert_eq!(code(&bad_category), "unknown_category");
    let unknown = vault
        .erase_batch(
            &op(),
            &[Erasure::subject(&a), Erasure::subject("sub_nobody")],
        )
        .expect_err("unknown subject");
    assert_eq!(code(&unknown), "unknown_subject");
    let twice = vault
        .erase_batch(&op(), &[Erasure::subject(&a), Erasure::subject(&a)])
        .expect_err("same subject twice");
    assert_eq!(code(&twice), "duplicate_subject");

    assert_eq!(categories(&vault, &a), all);
    assert_eq!(categories(&vault, &b), all);
    assert!(
        LedgerDocs::open(&vault)
            .expect("ledger")
            .all()
            .expect("tombstones")
            .is_empty()
    );
}

#[test]
fn a_high_volume_category_erased_alone_leaves_the_rest_of_the_subject_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = VaultPaths::in_project(dir.path());
    let vault = open(paths.clone());
    let s = subject(&vault, "logs");
    let other = subject(&vault, "other");
    let erased = vault
        .erase_batch(
            &op(),
            &[Erasure {
                subject: s.clone(),
                categories: vec!["connection_logs".into()],
            }],
        )
        .expect("erase the logs");
    assert_eq!(erased[0].records, 1, "the log row is counted as erased");
    // The subject's other categories are still read whole.
    assert_eq!(
        categories(&vault, &s),
        vec!["contact", "contact", "identity"]
    );
    // The log row left its time partition at once (not at the partition's
    // expiry); another subject's row of the same month stays.
    let store = habeas_store::open_store(&paths.data_db.display().to_string()).expect("store");
    let logs = |subject: &str| {
        store
            .subject_timed(subject, &["connection_logs".to_string()])
            .expect("partition rows")
            .len()
    };
    assert_eq!(logs(&s), 0, "the erased subject's rows are gone");
    assert_eq!(logs(&other), 1, "another subject's row stays");
}

/// Backs a new subject up, erases `category` of it, restores the backup;
/// returns the restored vault's paths and the subject (the vault is closed).
fn restore_after_erasing(dir: &std::path::Path, tag: &str, category: &str) -> (VaultPaths, String) {
    let paths = VaultPaths::in_project(dir);
    let vault = open(paths.clone());
    let s = subject(&vault, tag);
    let backup =
        habeas_engine::backup::create_backup(&vault, &dir.join("backups")).expect("backup");
    vault
        .erase_batch(
            &op(),
            &[Erasure {
                subject: s.clone(),
                categories: vec![category.into()],
            }],
        )
        .expect("erase the category");
    drop(vault);
    restore(&paths, &backup.file);
    (paths, s)
}

/// A backup taken before a high-volume category's erasure, restored: the
/// replay deletes that subject's rows of the category from the restored
/// partitions again, while its other categories come back.
#[test]
fn a_restore_erases_again_the_rows_of_an_erased_high_volume_category() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (paths, s) = restore_after_erasing(dir.path(), "restored", "connection_logs");
    let store = habeas_store::open_store(&paths.data_db.display().to_string()).expect("store");
    assert!(
        store
            .subject_timed(&s, &["connection_logs".to_string()])
            .expect("partition rows")
            .is_empty(),
        "the erased rows came back with the backup"
    );
    drop(store);
    let vault = open(paths);
    assert_eq!(
        categories(&vault, &s),
        vec!["contact", "contact", "identity"]
    );
}

/// Art. 17: an ordinary category erased after a backup does not come back
/// with it — its records are deleted again by the restore's replay, not
/// merely left unreadable behind a destroyed key.
#[test]
fn a_restore_deletes_again_the_records_of_an_erased_ordinary_category() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (paths, s) = restore_after_erasing(dir.path(), "ordinary", "contact");
    let store = habeas_store::open_store(&paths.data_db.display().to_string()).expect("store");
    assert!(
        store
            .subject_records(&s, Some("contact"))
            .expect("records")
            .is_empty(),
        "the erased contact records came back with the backup"
    );
    drop(store);
    let vault = open(paths);
    assert_eq!(categories(&vault, &s), vec!["connection_logs", "identity"]);
}
