//! RELIABILITY.md §2 T09 (storage part): after a shred and deletions, no byte of a wrapped key
//! or sealed payload survives in any file of the SQLite directories (db, -wal, -shm).

use std::path::Path;

use habeas_store::conformance::{day, record, subject, timed};
use habeas_store::sqlite::{SqliteKeyStore, SqliteStore};
use habeas_store::{BlindIndexEntry, KeyStore, Store, SubjectStatus, WrappedKey};

const MARKER: &[u8] = b"HABEAS-REMNANT-CANARY-7f3a9c41";
/// A blind-index digest's marker: 16 bytes, as many as the SQLite store keeps of a digest.
const DIGEST_MARKER: &[u8] = b"HABEAS-DIGEST-16";

/// Every file under `dir` containing `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            hits.extend(files_containing(&path, needle));
        } else {
            let bytes = std::fs::read(&path).expect("read file");
            if bytes.windows(needle.len()).any(|w| w == needle) {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

fn marked(tag: &str) -> Vec<u8> {
    let mut v = MARKER.to_vec();
    v.extend_from_slice(tag.as_bytes());
    v.extend(std::iter::repeat_n(0xA5, 160));
    v
}

#[test]
fn shredded_keys_and_deleted_payloads_leave_no_remnant_in_any_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("data/habeas.db")).expect("data store");
    let keys = SqliteKeyStore::open(dir.path().join("keys/keys.db")).expect("key store");

    // The victim's rows carry the marker; a neighbour's rows share the same pages.
    for id in ["victim", "neighbour"] {
        store
            .create_subject(&subject(id, SubjectStatus::Active))
            .expect("subject");
    }
    let mut recs = Vec::new();
    for n in 0..50 {
        let mut r = record(&format!("v{n}"), "victim", "contact", n, None);
        r.sealed = marked(&format!("rec{n}"));
        recs.push(r);
        recs.push(record(&format!("n{n}"), "neighbour", "contact", n, None));
    }
    store.insert_records(recs).expect("records");
    let mut logs = Vec::new();
    for n in 0..20 {
        let mut t = timed(&format!("vt{n}"), "victim", "connection_logs", day(n));
        t.sealed = marked(&format!("log{n}"));
        logs.push(t);
        logs.push(timed(
            &format!("nt{n}"),
            "neighbour",
            "connection_logs",
            day(n),
        ));
    }
    store.insert_timed(logs).expect("timed");
    store
        .put_blind_indexes(&[BlindIndexEntry {
            kind: "email".into(),
            digest: [DIGEST_MARKER, &[0xA5; 16]].concat(),
            subject_id: "victim".into(),
        }])
        .expect("index");
    let key = |s: &str, c: &str, w: Vec<u8>| WrappedKey {
        subject_id: s.into(),
        category: c.into(),
        kek_id: "kek1".into(),
        wrapped: w,
    };
    keys.put_keys(&[
        key("victim", "contact", marked("key-contact")),
        key("victim", "connection_logs", marked("key-logs")),
        key("neighbour", "contact", b"neighbour-key".to_vec()),
    ])
    .expect("keys");

    // Positive control: the scanner sees the marker while the data is there.
    let before = files_containing(dir.path(), MARKER);
    assert!(
        before.iter().any(|f| f.contains("keys")),
        "control: marker visible in the key store: {before:?}"
    );
    assert!(
        before.iter().any(|f| f.contains("data")),
        "control: marker visible in the data store: {before:?}"
    );
    let digest_before = files_containing(dir.path(), DIGEST_MARKER);
    assert!(
        digest_before.iter().any(|f| f.contains("data")),
        "control: the blind-index digest visible in the data store: {digest_before:?}"
    );

    // Erase the victim: shred keys (checkpointed by the key store), delete everything else.
    assert_eq!(keys.shred("victim", None).expect("shred"), 2);
    assert_eq!(
        store
            .delete_subject_records("victim", None)
            .expect("records"),
        50
    );
    assert_eq!(store.delete_subject_timed("victim").expect("timed"), 20);
    assert_eq!(store.remove_subject_indexes("victim").expect("index"), 1);
    store.purge_remnants().expect("purge");

    let after = files_containing(dir.path(), MARKER);
    assert!(after.is_empty(), "marker bytes survive in {after:?}");
    let digest_after = files_containing(dir.path(), DIGEST_MARKER);
    assert!(
        digest_after.is_empty(),
        "blind-index digest bytes survive in {digest_after:?}"
    );
    // The neighbour is intact.
    assert_eq!(
        store
            .subject_records("neighbour", None)
            .expect("read")
            .len(),
        50
    );
    assert_eq!(
        store.subject_timed("neighbour", &[]).expect("read").len(),
        20
    );
    assert!(keys.get_key("neighbour", "contact").expect("key").is_some());
}

#[test]
fn dropped_partitions_leave_no_remnant() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("data/habeas.db")).expect("data store");
    let rows: Vec<_> = (0..200)
        .map(|n| {
            let mut t = timed(&format!("t{n}"), "s1", "security_logs", day(n % 28));
            t.sealed = marked(&format!("p{n}"));
            t
        })
        .collect();
    store.insert_timed(rows).expect("insert");
    store
        .insert_timed(vec![timed("keep", "s1", "security_logs", day(40))])
        .expect("insert");
    assert!(!files_containing(dir.path(), MARKER).is_empty(), "control");
    let dropped = store.drop_timed_before(None, day(31)).expect("drop");
    assert_eq!(dropped.iter().map(|d| d.rows).sum::<u64>(), 200);
    store.purge_remnants().expect("purge");
    let after = files_containing(dir.path(), MARKER);
    assert!(
        after.is_empty(),
        "dropped partition bytes survive in {after:?}"
    );
    assert_eq!(store.subject_timed("s1", &[]).expect("read").len(), 1);
}

/// Sensitivity check: the same scan does find remnants when `secure_delete` is off, so a
/// passing test above means the pragma and checkpoint did the work (RELIABILITY.md §0.1).
#[test]
fn the_scan_detects_remnants_when_secure_delete_is_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let c = rusqlite::Connection::open(dir.path().join("plain.db")).expect("open");
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA secure_delete=OFF; CREATE TABLE k (id INTEGER PRIMARY KEY, w BLOB)")
        .expect("setup");
    for n in 0..20 {
        c.execute("INSERT INTO k (w) VALUES (?1)", [marked(&format!("k{n}"))])
            .expect("insert");
    }
    c.execute("DELETE FROM k", []).expect("delete");
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    assert!(
        !files_containing(dir.path(), MARKER).is_empty(),
        "without secure_delete the deleted bytes remain"
    );
}

/// RELIABILITY.md T21 (storage part): a `VACUUM INTO` backup taken after an erasure carries no
/// remnant of the erased subject, and it opens as a working store with the neighbour's data.
#[test]
fn backups_taken_after_erasure_carry_no_remnant() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("data/habeas.db")).expect("data store");
    let keys = SqliteKeyStore::open(dir.path().join("keys/keys.db")).expect("key store");
    let mut recs = Vec::new();
    for n in 0..30 {
        let mut r = record(&format!("v{n}"), "victim", "contact", n, None);
        r.sealed = marked(&format!("rec{n}"));
        recs.push(r);
        recs.push(record(&format!("n{n}"), "neighbour", "contact", n, None));
    }
    store.insert_records(recs).expect("records");
    let key = |s: &str, w: Vec<u8>| WrappedKey {
        subject_id: s.into(),
        category: "contact".into(),
        kek_id: "k".into(),
        wrapped: w,
    };
    keys.put_keys(&[
        key("victim", marked("key")),
        key("neighbour", b"n".to_vec()),
    ])
    .expect("keys");

    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).expect("mkdir");
    store
        .backup_into(backups.join("before.db"))
        .expect("backup before");
    assert!(
        !files_containing(&backups, MARKER).is_empty(),
        "control: a backup before erasure holds the data"
    );

    keys.shred("victim", None).expect("shred");
    store
        .delete_subject_records("victim", None)
        .expect("delete");
    std::fs::remove_file(backups.join("before.db")).expect("expire the old backup");
    store
        .backup_into(backups.join("data.db"))
        .expect("backup data");
    keys.backup_into(backups.join("keys.db"))
        .expect("backup keys");
    let hits = files_containing(&backups, MARKER);
    assert!(hits.is_empty(), "erased bytes carried into {hits:?}");

    let restored = SqliteStore::open(backups.join("data.db")).expect("restore");
    assert_eq!(
        restored
            .subject_records("neighbour", None)
            .expect("read")
            .len(),
        30
    );
    assert!(
        restored
            .subject_records("victim", None)
            .expect("read")
            .is_empty()
    );
    assert!(
        matches!(
            store.backup_into(backups.join("data.db")),
            Err(habeas_store::StoreError::Invalid(_))
        ),
        "never overwrites"
    );
}

/// Rows under destroyed partition keys (key version 2, issue 7): a partition holding only
/// such rows is dropped without zeroing when the caller says those keys are destroyed, and
/// any partition that ever held an older row is still zeroed. Both halves are observable in
/// the files: the first leaves its (now keyless) bytes in free pages, the second none.
#[test]
fn a_drop_skips_zeroing_only_for_partitions_whose_rows_are_all_shredded() {
    use habeas_store::conformance_commit::TestSealer;
    use habeas_store::{OpOutput, WriteOp, WriteUnit};

    const V2: &[u8] = b"HABEAS-KEYLESS-V2-ROW-51c0e2";
    let with = |tag: &str, marker: &[u8]| {
        let mut v = marker.to_vec();
        v.extend_from_slice(tag.as_bytes());
        v.extend(std::iter::repeat_n(0x5A, 160));
        v
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("data/habeas.db")).expect("data store");
    // January: version-2 rows only. February: a version-1 row, then version-2 rows.
    let jan: Vec<_> = (0..100)
        .map(|n| {
            let mut t = timed(&format!("j{n}"), "s1", "connection_logs", day(n % 28));
            t.sealed = with(&format!("j{n}"), V2);
            t.key_version = 2;
            t
        })
        .collect();
    store.insert_timed(jan).expect("january");
    let mut old = timed("f-old", "s1", "connection_logs", day(32));
    old.sealed = marked("f-old");
    store.insert_timed(vec![old]).expect("february, version 1");
    let feb: Vec<_> = (0..100)
        .map(|n| {
            let mut t = timed(&format!("f{n}"), "s1", "connection_logs", day(33 + n % 20));
            t.sealed = marked(&format!("f{n}"));
            t.key_version = 2;
            t
        })
        .collect();
    store.insert_timed(feb).expect("february, version 2");
    store.purge_remnants().expect("checkpoint");
    assert!(!files_containing(dir.path(), V2).is_empty(), "control");

    let out = store
        .commit(
            vec![WriteUnit {
                ops: vec![WriteOp::DropTimedBefore {
                    category: Some("connection_logs".into()),
                    before: day(59),
                    shredded_from_version: Some(2),
                }],
                journal: Vec::new(),
            }],
            std::sync::Arc::new(TestSealer { every: 1_000_000 }),
        )
        .expect("commit")
        .pop()
        .expect("one unit")
        .expect("the drop commits");
    match out.outputs.first() {
        Some(OpOutput::Dropped(parts)) => {
            assert_eq!(parts.iter().map(|p| p.rows).collect::<Vec<_>>(), [100, 101]);
        }
        other => panic!("expected dropped partitions, got {other:?}"),
    }
    store.purge_remnants().expect("purge");
    assert!(
        files_containing(dir.path(), MARKER).is_empty(),
        "the partition that held a version-1 row was not zeroed"
    );
    assert!(
        !files_containing(dir.path(), V2).is_empty(),
        "the all-version-2 partition was zeroed anyway (the drop paid for nothing)"
    );
    assert!(store.subject_timed("s1", &[]).expect("read").is_empty());
    // The connection zeroes again afterwards: an ordinary delete leaves nothing.
    let mut later = timed("later", "s2", "connection_logs", day(70));
    later.sealed = marked("later");
    store.insert_timed(vec![later]).expect("insert");
    store
        .commit(
            vec![WriteUnit {
                ops: vec![WriteOp::DeleteSubjectTimed {
                    subject_id: "s2".into(),
                }],
                journal: Vec::new(),
            }],
            std::sync::Arc::new(TestSealer { every: 1_000_000 }),
        )
        .expect("commit");
    store.purge_remnants().expect("purge");
    assert!(
        files_containing(dir.path(), MARKER).is_empty(),
        "secure_delete stayed off after the drop"
    );
}
