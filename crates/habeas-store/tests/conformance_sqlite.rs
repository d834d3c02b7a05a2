//! The conformance suite on SQLite, each check in fresh temp directories (data and keys apart).

use habeas_store::conformance::{Fixture, run_all};
use habeas_store::sqlite::{SqliteKeyStore, SqliteStore};

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("data/habeas.db")).expect("open data store");
    let keys = SqliteKeyStore::open(dir.path().join("keys/keys.db")).expect("open key store");
    Fixture {
        store: Box::new(store),
        keys: Box::new(keys),
        cleanup: Some(Box::new(move || drop(dir))),
    }
}

#[test]
fn sqlite_backend_passes_the_conformance_suite() {
    run_all(&mut fixture);
}

#[test]
fn open_by_url_forms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let abs = format!("sqlite://{}", dir.path().join("a.db").display());
    assert_eq!(
        habeas_store::open_store(&abs)
            .expect("sqlite:// URL")
            .schema_version()
            .expect("version"),
        habeas_store::migrations::latest(habeas_store::migrations::SQLITE_DATA)
    );
    let plain = dir.path().join("b.db").display().to_string();
    assert_eq!(
        habeas_store::open_store(&plain)
            .expect("plain path")
            .schema_version()
            .expect("version"),
        habeas_store::migrations::latest(habeas_store::migrations::SQLITE_DATA)
    );
    let err = habeas_store::open_store("sqlite::memory:")
        .err()
        .expect(":memory: refused");
    assert!(err.to_string().contains(":memory:"), "{err}");
}

#[test]
fn key_store_directory_and_file_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys/keys.db");
    let _keys = SqliteKeyStore::open(&path).expect("open");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("keys")), 0o700);
    assert_eq!(mode(&path), 0o600);
}

/// Two store instances (two writer threads) on one SQLite file race for a lease:
/// `BEGIN IMMEDIATE` + `busy_timeout` serialise them and exactly one wins per round.
#[test]
fn two_instances_on_one_file_race_for_a_lease_and_one_wins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h.db");
    let a = SqliteStore::open(&path).expect("instance a");
    let b = SqliteStore::open(&path).expect("instance b");
    let base = habeas_store::conformance::day(0);
    for round in 0..5i64 {
        let now = base + chrono::Duration::seconds(round * 120);
        let wins = habeas_store::conformance::lease_race(&a, &b, now);
        assert_eq!(wins, 1, "round {round}");
    }
}
