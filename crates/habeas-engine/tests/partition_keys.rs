//! High-volume rows under partition keys (issue 7): expiring a month
//! destroys its partition key, so the month's rows are unreadable in every
//! copy — a backup taken before the expiry included — and a row sealed under
//! an earlier key of its month is recognised as expired, not as damage.

use chrono::{DateTime, TimeZone, Utc};
use habeas_engine::{RecordInput, Vault, VaultPaths};
use serde_json::json;

mod common;
use common::{op, open, restore};

const LOGS: &str = "connection_logs";

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
        .expect("date")
}

fn log(ip: &str, collected: DateTime<Utc>) -> RecordInput {
    serde_json::from_value(json!({
        "category": LOGS,
        "fields": { "ip": ip },
        "collected_at": collected,
    }))
    .expect("input")
}

/// The IPs of a subject's connection logs the vault can read.
fn readable(vault: &Vault, s: &str) -> Vec<String> {
    let mut ips: Vec<String> = vault
        .read(&op(), s, Some(LOGS))
        .expect("read")
        .records
        .into_iter()
        .map(|r| r.fields["ip"].as_str().unwrap_or_default().to_string())
        .collect();
    ips.sort();
    ips
}

fn stored_rows(paths: &VaultPaths, s: &str) -> usize {
    let store = habeas_store::open_store(&paths.data_db.display().to_string()).expect("store");
    store
        .subject_timed(s, &[LOGS.to_string()])
        .expect("rows")
        .len()
}

#[test]
fn an_expired_month_is_unreadable_in_a_backup_taken_before_the_expiry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = VaultPaths::in_project(dir.path());
    let vault = open(paths.clone());
    let s = vault.create_subject(&op(), None).expect("subject");
    for (ip, when) in [
        ("198.51.100.1", at(2024, 3, 10)),
        ("198.51.100.2", at(2024, 3, 20)),
        ("198.51.100.3", at(2024, 4, 2)),
    ] {
        vault.write(&op(), &s, log(ip, when)).expect("write");
    }
    let backup =
        habeas_engine::backup::create_backup(&vault, &dir.path().join("backups")).expect("backup");
    let dropped = vault
        .drop_partitions_before(&op(), LOGS, at(2024, 4, 1))
        .expect("expire March");
    assert_eq!(dropped, vec![format!("{LOGS}/2024-03")]);
    assert_eq!(readable(&vault, &s), vec!["198.51.100.3"]);
    drop(vault);

    restore(&paths, &backup.file);
    // The restored copy holds March's rows again, but nothing opens them:
    // their partition key is gone from the key store, which no backup holds.
    assert_eq!(stored_rows(&paths, &s), 3, "the backup's rows are back");
    let vault = open(paths);
    assert_eq!(readable(&vault, &s), vec!["198.51.100.3"]);
    // The next expiry drops them.
    vault
        .drop_partitions_before(&op(), LOGS, at(2024, 4, 1))
        .expect("expire March again");
    assert_eq!(readable(&vault, &s), vec!["198.51.100.3"]);
}

#[test]
fn a_row_sealed_under_an_earlier_key_of_its_month_reads_as_expired() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = VaultPaths::in_project(dir.path());
    let vault = open(paths.clone());
    let s = vault.create_subject(&op(), None).expect("subject");
    vault
        .write(&op(), &s, log("203.0.113.1", at(2024, 3, 10)))
        .expect("write");
    let store = habeas_store::open_store(&paths.data_db.display().to_string()).expect("store");
    let earlier = store.subject_timed(&s, &[LOGS.to_string()]).expect("rows");
    assert_eq!(earlier.len(), 1);
    assert_eq!(earlier[0].key_version, 2, "sealed under a partition key");
    vault
        .drop_partitions_before(&op(), LOGS, at(2024, 4, 1))
        .expect("expire March");
    // A late row of March gets a new key for the month; the earlier row,
    // put back as a write racing the expiry would have left it, does not
    // open under it and is not the subject's data any more.
    vault
        .write(&op(), &s, log("203.0.113.2", at(2024, 3, 11)))
        .expect("late write");
    store.insert_timed(earlier).expect("the racing row");
    assert_eq!(readable(&vault, &s), vec!["203.0.113.2"]);
    // Rotation rewraps the partition keys with the data keys.
    let rewrapped = vault.rotate_keys(&op()).expect("rotate");
    assert!(
        rewrapped >= 2,
        "the subject's key and March's partition key: {rewrapped}"
    );
    drop(vault);
    let vault = open(paths);
    assert_eq!(readable(&vault, &s), vec!["203.0.113.2"]);
    assert_eq!(
        vault.data_key_count().expect("count"),
        1,
        "partition keys are not data keys"
    );
}

#[test]
fn erasing_a_subject_closes_its_rows_while_the_month_key_lives_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = VaultPaths::in_project(dir.path());
    let vault = open(paths.clone());
    let a = vault.create_subject(&op(), None).expect("subject");
    let b = vault.create_subject(&op(), None).expect("subject");
    let now = Utc::now();
    vault
        .write(&op(), &a, log("192.0.2.1", now))
        .expect("write");
    vault
        .write(&op(), &b, log("192.0.2.2", now))
        .expect("write");
    let store = habeas_store::open_store(&paths.data_db.display().to_string()).expect("store");
    let copy = store.subject_timed(&a, &[LOGS.to_string()]).expect("rows");
    vault
        .erase_batch(
            &op(),
            &[habeas_engine::Erasure {
                subject: a.clone(),
                categories: vec![LOGS.into()],
            }],
        )
        .expect("erase");
    // A copy of the erased rows (as an earlier backup holds them), put back:
    // the month's partition key still opens the other subject's rows, but
    // the row key needs the erased subject's key too.
    store.insert_timed(copy).expect("the copy");
    assert_eq!(stored_rows(&paths, &a), 1);
    assert!(readable(&vault, &a).is_empty());
    assert_eq!(readable(&vault, &b), vec!["192.0.2.2"]);
}

/// A bulk batch derives one row key per (subject, category, month) and
/// indexes each distinct set of identifiers once: every row must still open
/// under its own subject's and month's key, and every identifier must find
/// its subject. 600 rows, so the batch is sealed on several threads.
#[test]
fn a_bulk_batch_shares_row_keys_only_within_a_subject_and_month() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = VaultPaths::in_project(dir.path());
    let vault = open(paths);
    let subjects: Vec<String> = (0..3)
        .map(|_| vault.create_subject(&op(), None).expect("subject"))
        .collect();
    let months = [at(2024, 3, 10), at(2024, 4, 10)];
    let mut lines = Vec::new();
    for n in 0..600u32 {
        let s = n as usize % 3;
        let mut input: RecordInput = serde_json::from_value(json!({
            "category": LOGS,
            "fields": {
                "ip": format!("198.51.{}.{}", n / 250, n % 250),
                // Two account ids per subject, alternating.
                "account_id": format!("ACC-{s}-{}", (n / 3) % 2),
            },
            "collected_at": months[(n as usize / 3) % 2],
        }))
        .expect("input");
        input.subject = Some(subjects[s].clone());
        lines.push(habeas_engine::BulkLine {
            line: u64::from(n) + 1,
            input,
        });
    }
    vault.write_bulk(&op(), lines).expect("bulk write");
    for (s, subject) in subjects.iter().enumerate() {
        let ips = readable(&vault, subject);
        assert_eq!(ips.len(), 200, "every row of subject {s} opens");
        let mut expected: Vec<String> = (0..600u32)
            .filter(|n| *n as usize % 3 == s)
            .map(|n| format!("198.51.{}.{}", n / 250, n % 250))
            .collect();
        expected.sort();
        assert_eq!(ips, expected, "each row holds its own value");
        for alt in 0..2 {
            let found = vault
                .find(&op(), "account_id", &format!("ACC-{s}-{alt}"))
                .expect("find");
            assert_eq!(found, vec![subject.clone()], "account {s}-{alt}");
        }
    }
    // Expiring March leaves April's rows readable: a row key is per month.
    vault
        .drop_partitions_before(&op(), LOGS, at(2024, 4, 1))
        .expect("expire March");
    for subject in &subjects {
        assert_eq!(readable(&vault, subject).len(), 100, "April's rows");
    }
}
