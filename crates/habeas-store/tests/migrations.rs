//! Migrations: shipped SQL never changes once released, an older binary refuses a newer
//! database, and a database whose applied migration differs from the shipped one is refused.

use habeas_store::migrations::{POSTGRES_DATA, POSTGRES_KEYS, SQLITE_DATA, SQLITE_KEYS, latest};
use habeas_store::sqlite::{SqliteKeyStore, SqliteStore};
use habeas_store::{Store, StoreError};

/// SHA-256 of every released migration. Never update a line here: add a migration instead.
const PINNED: &[(&str, u32, &str)] = &[
    (
        "sqlite data",
        1,
        "79ac40942374b39d20e7f3963bf1c2e8fea1d768d1698eadddf987b72efc5a58",
    ),
    (
        "sqlite keys",
        1,
        "b527b79a423119b3e88cc4ad0dbc046d435220f1d7518b65c7acb66e6987d978",
    ),
    (
        "postgres data",
        1,
        "3a9e456425306b6e2d7639c339cde1dc12271cdb0bcde475844348a7d63179ec",
    ),
    (
        "sqlite data",
        2,
        "bcf3712efa4caac7ee731e267dae407b6651ab8bae047b6de63e4a05211df818",
    ),
    (
        "postgres data",
        2,
        "894ed7b7ba540b7069cd9003aba38cc693954ba17750f17e1996c942288310af",
    ),
    (
        "sqlite data",
        3,
        "361818f11d9dbcb94b2d0ba6317bbbbcea029aefa8a2ad062c55f9dd10a51cec",
    ),
    (
        "postgres data",
        3,
        "6754aec3aa41386cd766f534ba00387073e0dbd50ca60ac85b1197f05c52bade",
    ),
    (
        "sqlite data",
        4,
        "c2f7df112f192edd90ef464246e23a8d900d59f420553f6e4d748ef859ec6924",
    ),
    (
        "sqlite data",
        5,
        "d4e3a28daff7064f3814517cbb7f3a4cf3bc41e3006026e4bd67735d0c6ab5db",
    ),
    (
        "sqlite data",
        6,
        "e3b409299fc90bd0375b9ee1afec63c8b45fede3c6a61e2bb87b5593a67577ab",
    ),
    (
        "sqlite data",
        7,
        "df84ac12be3a115cc5e987436fbcde447d1d52fd5b13575aa9a49c541806d647",
    ),
    (
        "postgres data",
        4,
        "edd7044251bec644a36dba3113fd07e30bc41dc5531290f4b1fa0361971f2395",
    ),
    (
        "postgres data",
        5,
        "ec9d7433858df2ea1d707ec6c99c23ce31315859e07f3f12968e34c6127d01c4",
    ),
    (
        "sqlite data",
        8,
        "7a52ed8ff7cf0400cdaf703adeb27c4f68a992d8d68a9991e591dee88d6863b8",
    ),
    (
        "postgres data",
        6,
        "a0eba177f48eaaf20609b3d8850445e2f0c565aac010ffa70e37ef2b9064a4e7",
    ),
    (
        "sqlite keys",
        2,
        "e8e390bff7f3c180e65dbf6984f8887f396919093c75f64377e09015790c09d5",
    ),
    (
        "postgres keys",
        1,
        "79c530bf070fc348e9ae2eabdc3ee3fb18bca51094e25eae69f257c0902865f5",
    ),
    (
        "postgres keys",
        2,
        "178f76939e59cf5dec0b9f7edda75d4690dd8f8f19cf7ca8b536d82396a0a8a2",
    ),
];

#[test]
fn released_migrations_never_change() {
    let lists = [
        ("sqlite data", SQLITE_DATA),
        ("sqlite keys", SQLITE_KEYS),
        ("postgres data", POSTGRES_DATA),
        ("postgres keys", POSTGRES_KEYS),
    ];
    for (name, version, hash) in PINNED {
        let list = lists
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| *l)
            .expect("list");
        let m = list
            .iter()
            .find(|m| m.version == *version)
            .expect("pinned migration still shipped");
        assert_eq!(
            &m.sha256(),
            hash,
            "{name} migration {version} was edited: add a new migration instead"
        );
    }
    for (name, list) in lists {
        assert_eq!(
            PINNED.iter().filter(|(n, _, _)| *n == name).count(),
            list.len(),
            "{name}: pin the hash of every new migration in PINNED"
        );
    }
}

fn bump_version(path: &std::path::Path, version: u32) {
    let c = rusqlite::Connection::open(path).expect("raw open");
    c.execute(
        "INSERT INTO schema_version (version, sha256, applied_at) VALUES (?1, 'future', 0)",
        [version],
    )
    .expect("insert future version");
}

#[test]
fn an_older_binary_refuses_a_newer_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("habeas.db");
    drop(SqliteStore::open(&path).expect("create"));
    let next = latest(SQLITE_DATA) + 1;
    bump_version(&path, next);
    let err = SqliteStore::open(&path)
        .err()
        .expect("newer database refused");
    assert!(matches!(err, StoreError::SchemaTooNew { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "database schema version {next} is newer than this habeas ({}): upgrade habeas",
            next - 1
        )),
        "{text}"
    );

    let keys = dir.path().join("keys/keys.db");
    drop(SqliteKeyStore::open(&keys).expect("create keys"));
    bump_version(&keys, latest(SQLITE_KEYS) + 1);
    assert!(matches!(
        SqliteKeyStore::open(&keys).err(),
        Some(StoreError::SchemaTooNew { .. })
    ));
}

#[test]
fn an_edited_applied_migration_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("habeas.db");
    drop(SqliteStore::open(&path).expect("create"));
    let c = rusqlite::Connection::open(&path).expect("raw open");
    c.execute(
        "UPDATE schema_version SET sha256 = 'edited' WHERE version = 1",
        [],
    )
    .expect("edit");
    drop(c);
    let err = SqliteStore::open(&path).err().expect("refused");
    assert!(
        matches!(err, StoreError::MigrationEdited { version: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn reopening_keeps_data_and_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("habeas.db");
    {
        let s = SqliteStore::open(&path).expect("create");
        s.insert_records(vec![habeas_store::conformance::record(
            "r1", "s1", "contact", 1, None,
        )])
        .expect("insert");
    }
    let s = SqliteStore::open(&path).expect("reopen");
    assert_eq!(s.schema_version().expect("version"), latest(SQLITE_DATA));
    assert!(s.get_record("r1").expect("read").is_some());
}

/// A data store at schema `version` (migrations 1 to `version` only) holding the rows `seed`
/// inserts: what an older binary left behind. The directory and the database's path.
fn data_store_at(version: usize, seed: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("habeas.db");
    let mut c = rusqlite::Connection::open(&path).expect("raw open");
    habeas_store::sqlite::migrate(&mut c, &SQLITE_DATA[..version]).expect("older version");
    c.execute_batch(seed).expect("rows of the older version");
    (dir, path)
}

#[test]
fn a_newer_binary_upgrades_a_version_1_database_and_keeps_its_rows() {
    let (_dir, path) = data_store_at(
        1,
        "INSERT INTO subjects (id, kind, status, created_at) VALUES ('s1', 'customer', 'active', 0)",
    );
    let s = SqliteStore::open(&path).expect("upgrade");
    assert_eq!(s.schema_version().expect("version"), latest(SQLITE_DATA));
    assert!(s.get_subject("s1").expect("read").is_some());
    assert_eq!(
        s.list_docs("request", None, 10).expect("documents table"),
        vec![]
    );
}

/// Version 8 files documents under an owner: a version-7 database's documents are kept, unfiled
/// (a candidate for every owner, until their writer files them).
#[test]
fn version_8_keeps_the_documents_unfiled() {
    let (_dir, path) = data_store_at(
        7,
        "INSERT INTO documents (kind, id, version, body, updated_at) VALUES
             ('request', 'r-old', 3, x'01', 0), ('hold', 'h-old', 1, x'02', 0);",
    );
    let s = SqliteStore::open(&path).expect("upgrade");
    assert_eq!(s.schema_version().expect("version"), latest(SQLITE_DATA));
    let of_a = s.list_docs_of("request", "sub_a").expect("list");
    assert_eq!(
        of_a.iter()
            .map(|d| (d.id.as_str(), d.version, d.owner.clone()))
            .collect::<Vec<_>>(),
        [("r-old", 3, None)]
    );
}

/// Version 4 rebuilds `subjects` (version 2 of the key store, `data_keys`) as a WITHOUT ROWID
/// table: a version-3 database keeps every row, its indexes and its behaviour.
#[test]
fn version_4_rebuilds_subjects_without_losing_rows() {
    use habeas_store::{DueQuery, SubjectFilter, SubjectStatus};
    let (_dir, path) = data_store_at(
        3,
        "INSERT INTO subjects (id, kind, status, created_at, grace_until) VALUES
             ('s1', 'customer', 'active', 0, NULL), ('s2', 'customer', 'closed', 0, 5);
             INSERT INTO records (id, subject_id, category, collected_at, source_channel, purposes,
             custom_events, incident_linked, retention_due, sealed, key_version) VALUES
             ('r1', 's1', 'contact', 1, 'api', '[]', '{}', 0, 10, x'01', 1),
             ('r2', 's1', 'billing', 2, 'api', '[]', '{}', 0, NULL, x'02', 1),
             ('r3', 's2', 'contact', 3, 'api', '[]', '{}', 0, 20, x'03', 1);",
    );
    let s = SqliteStore::open(&path).expect("upgrade");
    assert_eq!(s.schema_version().expect("version"), latest(SQLITE_DATA));
    let closed = s
        .list_subjects(&SubjectFilter {
            status: Some(SubjectStatus::Closed),
            grace_due_by: None,
            after_id: None,
            limit: 10,
        })
        .expect("by status");
    assert_eq!(
        closed.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        ["s2"]
    );
    let s1 = s.subject_records("s1", None).expect("records");
    assert_eq!(
        s1.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r1", "r2"]
    );
    assert_eq!(s1[1].sealed, vec![2]);
    let due = s
        .due_records(&DueQuery {
            due_by: chrono::DateTime::from_timestamp_micros(15).expect("time"),
            category: None,
            after: None,
            limit: 10,
        })
        .expect("due");
    assert_eq!(
        due.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r1"]
    );
    // A duplicate record id is still refused.
    let dup = s.insert_records(vec![habeas_store::conformance::record(
        "r3", "s2", "contact", 1, None,
    )]);
    assert!(dup.is_err(), "duplicate record id accepted");
    drop(s);
    let c = rusqlite::Connection::open(&path).expect("raw open");
    for (table, without_rowid) in [("subjects", true), ("records", false)] {
        let sql: String = c
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .expect("table");
        assert_eq!(
            sql.contains("WITHOUT ROWID"),
            without_rowid,
            "{table}: {sql}"
        );
    }
    let indexes: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("indexes")
        .query_map([], |r| r.get(0))
        .expect("indexes")
        .collect::<Result<_, _>>()
        .expect("indexes");
    assert_eq!(
        indexes,
        [
            "documents_by_owner",
            "documents_by_state",
            "journal_subject",
            "records_due",
            "records_subject",
            "subjects_grace",
            "subjects_inactive"
        ]
    );
    let integrity: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(integrity, "ok");
}

/// Version 6 splits the blind index into two levels and a by-subject table: a version-5
/// database's entries are still found, listed by subject, and removed with their subject.
#[test]
fn version_6_keeps_finding_and_removing_the_blind_index_entries() {
    use habeas_store::{BlindIndexEntry, SubjectFilter, SubjectStatus};
    let (_dir, path) = data_store_at(
        5,
        "INSERT INTO subjects (id, kind, status, created_at) VALUES
             ('s1', 'customer', 'active', 0), ('s2', 'customer', 'erased', 0);
             INSERT INTO blind_index (kind, digest, subject_id) VALUES
             ('email', x'01', 's1'), ('phone', x'02', 's1'), ('email', x'01', 's2'),
             ('customer', x'0303030303030303030303030303030303030303030303030303030303030303', 's1');",
    );
    let s = SqliteStore::open(&path).expect("upgrade");
    assert_eq!(s.schema_version().expect("version"), latest(SQLITE_DATA));
    assert_eq!(s.find_subjects("email", &[1]).expect("find"), ["s1", "s2"]);
    // A full HMAC digest written by version 5 is found by the same digest (stored shortened).
    assert_eq!(s.find_subjects("customer", &[3; 32]).expect("find"), ["s1"]);
    s.put_blind_indexes(&[BlindIndexEntry {
        kind: "email".into(),
        digest: vec![3],
        subject_id: "s1".into(),
    }])
    .expect("new entry");
    assert_eq!(s.find_subjects("email", &[3]).expect("find"), ["s1"]);
    assert_eq!(s.remove_subject_indexes("s1").expect("remove"), 4);
    assert!(
        s.find_subjects("customer", &[3; 32])
            .expect("find")
            .is_empty()
    );
    assert_eq!(s.find_subjects("email", &[1]).expect("find"), ["s2"]);
    assert!(s.find_subjects("phone", &[2]).expect("find").is_empty());
    let erased = s
        .list_subjects(&SubjectFilter {
            status: Some(SubjectStatus::Erased),
            limit: 10,
            ..Default::default()
        })
        .expect("by status");
    assert_eq!(
        erased.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        ["s2"]
    );
    drop(s);
    let c = rusqlite::Connection::open(&path).expect("raw open");
    let by_subject: Vec<String> = c
        .prepare("SELECT subject_id FROM blind_by_subject")
        .expect("table")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(by_subject, ["s2"]);
}

#[test]
fn key_store_version_2_keeps_its_keys() {
    use habeas_store::KeyStore;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keys/keys.db");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
    {
        let mut c = rusqlite::Connection::open(&path).expect("raw open");
        habeas_store::sqlite::migrate(&mut c, &SQLITE_KEYS[..1]).expect("version 1");
        c.execute(
            "INSERT INTO data_keys (subject_id, category, kek_id, wrapped) VALUES ('s1', 'contact', 'k1', x'0a0b')",
            [],
        )
        .expect("version-1 key");
    }
    let k = SqliteKeyStore::open(&path).expect("upgrade");
    assert_eq!(k.schema_version().expect("version"), latest(SQLITE_KEYS));
    let key = k.get_key("s1", "contact").expect("read").expect("kept");
    assert_eq!((key.kek_id.as_str(), key.wrapped), ("k1", vec![0x0a, 0x0b]));
}
