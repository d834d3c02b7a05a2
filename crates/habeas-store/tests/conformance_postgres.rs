//! The conformance suite on PostgreSQL (`HABEAS_TEST_POSTGRES_URL`), each check in its own
//! throw-away schemas, dropped afterwards. Skips loudly when the variable is unset, unless
//! `HABEAS_REQUIRE_TOOLS=1`.

use std::sync::atomic::{AtomicU32, Ordering};

use habeas_store::conformance::{Fixture, run_all};
use habeas_store::postgres::{PgKeyStore, PgStore};

pub fn postgres_url() -> Option<String> {
    match std::env::var("HABEAS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "HABEAS_REQUIRE_TOOLS=1 but HABEAS_TEST_POSTGRES_URL is unset"
            );
            eprintln!("SKIPPED: HABEAS_TEST_POSTGRES_URL is unset; PostgreSQL conformance not run");
            None
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn with_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}schema={schema}")
}

fn fixture(url: &str) -> Fixture {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let data = format!("habeas_t{}_{n}", std::process::id());
    let keys = format!("{data}_keys");
    let store = PgStore::open(&with_schema(url, &data)).expect("open PostgreSQL data store");
    let key_store = PgKeyStore::open(&with_schema(url, &keys)).expect("open PostgreSQL key store");
    let url = url.to_string();
    Fixture {
        store: Box::new(store),
        keys: Box::new(key_store),
        cleanup: Some(Box::new(move || {
            if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
                let _ = c.batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {data} CASCADE; DROP SCHEMA IF EXISTS {keys} CASCADE"
                ));
            }
        })),
    }
}

#[test]
fn postgres_backend_passes_the_conformance_suite() {
    let Some(url) = postgres_url() else { return };
    run_all(&mut || fixture(&url));
}

#[test]
fn two_instances_migrate_the_same_schema_once() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("habeas_t{}_race", std::process::id());
    let target = with_schema(&url, &schema);
    let opened: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| s.spawn(|| PgStore::open(&target).map(|st| st.schema().to_string())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
    for o in opened {
        o.expect("every instance opens while another migrates");
    }
}

#[test]
fn postgres_refuses_a_newer_schema() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("habeas_t{}_newer", std::process::id());
    let target = with_schema(&url, &schema);
    let store = PgStore::open(&target).expect("create");
    drop(store);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    c.batch_execute(&format!(
        "INSERT INTO {schema}.schema_version VALUES (99, 'future', 0)"
    ))
    .expect("bump");
    let err = PgStore::open(&target).err().map(|e| e.to_string());
    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    let err = err.expect("newer schema refused");
    assert!(
        err.contains(&format!(
            "database schema version 99 is newer than this habeas ({}): upgrade habeas",
            habeas_store::migrations::latest(habeas_store::migrations::POSTGRES_DATA)
        )),
        "{err}"
    );
}

/// STYLE.md (d) 10: two Habeas instances on one database run a job once. Two stores on the
/// same schema, 8 threads each, race for the same expired lease: exactly one wins per round.
#[test]
fn two_instances_race_for_a_lease_and_one_wins() {
    let Some(url) = postgres_url() else { return };
    let schema = format!("habeas_t{}_lease", std::process::id());
    let target = with_schema(&url, &schema);
    let a = PgStore::open(&target).expect("instance a");
    let b = PgStore::open(&target).expect("instance b");
    let base = habeas_store::conformance::day(0);
    let mut winners_per_round = Vec::new();
    for round in 0..5i64 {
        // Each round starts after the previous lease (60 s) expired.
        let now = base + chrono::Duration::seconds(round * 120);
        let wins = habeas_store::conformance::lease_race(&a, &b, now);
        winners_per_round.push(wins);
    }
    if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
        let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
    assert_eq!(winners_per_round, [1; 5]);
}

fn wrapped(subject: &str) -> habeas_store::WrappedKey {
    habeas_store::WrappedKey {
        subject_id: subject.into(),
        category: "contact".into(),
        kek_id: "k1".into(),
        wrapped: vec![7; 40],
    }
}

/// Each `data_keys_<n>` partition of `schema` with its current file node.
fn key_files(c: &mut postgres::Client, schema: &str) -> std::collections::BTreeMap<String, u32> {
    c.query(
        "SELECT c.relname::text, c.relfilenode FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname LIKE 'data\\_keys\\_%'",
        &[&schema],
    )
    .expect("partitions")
    .iter()
    .map(|r| (r.get(0), r.get::<_, u32>(1)))
    .collect()
}

/// A shred rewrites the partition that held the key (so no dead tuple keeps it in a table
/// file) and only that one: with one table, expiring a month at 10M records rewrote every
/// key of the provider (7 s, docs/benchmarks-retention.md).
#[test]
fn a_shred_rewrites_only_the_partition_that_held_the_key() {
    use habeas_store::KeyStore;
    let Some(url) = postgres_url() else { return };
    let schema = format!("habeas_t{}_shredpart", std::process::id());
    let keys = PgKeyStore::open(&with_schema(&url, &schema)).expect("key store");
    let subjects: Vec<String> = (0..200).map(|i| format!("sub_{i:03}")).collect();
    keys.put_keys(&subjects.iter().map(|s| wrapped(s)).collect::<Vec<_>>())
        .expect("put");
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let before = key_files(&mut c, &schema);
    let holder: String = c
        .query_one(
            &format!("SELECT tableoid::regclass::text FROM {schema}.data_keys WHERE subject_id = 'sub_042'"),
            &[],
        )
        .expect("partition of sub_042")
        .get(0);
    let holder = holder.rsplit('.').next().unwrap_or_default().to_string();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_eq!(before.len(), 64, "{before:?}");
        assert_eq!(keys.shred("sub_042", None).expect("shred"), 1);
        assert_eq!(keys.get_key("sub_042", "contact").expect("get"), None);
        let after = key_files(&mut c, &schema);
        let changed: Vec<&String> = before
            .iter()
            .filter(|(name, node)| after.get(*name) != Some(node))
            .map(|(name, _)| name)
            .collect();
        assert_eq!(changed, [&holder], "only the holder is rewritten");
        // The other keys are all there, and rotation still pages them in byte order.
        let listed = keys.list_keys(None, 1000).expect("list");
        assert_eq!(listed.len(), 199);
        assert!(listed.windows(2).all(|w| w[0].subject_id < w[1].subject_id));
    }));
    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A key store of version 1 (one table) keeps every key when a newer binary partitions it.
#[test]
fn a_version_1_key_store_keeps_its_keys_once_partitioned() {
    use habeas_store::KeyStore;
    use habeas_store::migrations::POSTGRES_KEYS;
    let Some(url) = postgres_url() else { return };
    let schema = format!("habeas_t{}_keys_v1", std::process::id());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    c.batch_execute(&format!(
        "CREATE SCHEMA {schema}; SET search_path TO {schema}; {} \
         CREATE TABLE schema_version (version INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, applied_at BIGINT NOT NULL); \
         INSERT INTO schema_version VALUES (1, '{}', 0); \
         INSERT INTO data_keys VALUES ('sub_b', 'contact', 'k1', '\\x0a0b'), ('sub_a', 'billing', 'k1', '\\x0c');",
        POSTGRES_KEYS[0].sql,
        POSTGRES_KEYS[0].sha256()
    ))
    .expect("version-1 key store");
    let outcome = std::panic::catch_unwind(|| {
        let keys = PgKeyStore::open(&with_schema(&url, &schema)).expect("upgrade");
        assert_eq!(keys.schema_version().expect("version"), 2);
        let b = keys
            .get_key("sub_b", "contact")
            .expect("get")
            .expect("kept");
        assert_eq!(b.wrapped, [0x0a, 0x0b]);
        let listed: Vec<String> = keys
            .list_keys(None, 10)
            .expect("list")
            .into_iter()
            .map(|k| k.subject_id)
            .collect();
        assert_eq!(listed, ["sub_a", "sub_b"]);
    });
    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A data store of version 4 keeps its subjects, and pages them in byte order, once a newer
/// binary adds the byte-order index on subject ids (version 5).
#[test]
fn a_version_4_data_store_pages_its_subjects_once_indexed() {
    use habeas_store::migrations::POSTGRES_DATA;
    use habeas_store::{Store, SubjectFilter};
    let Some(url) = postgres_url() else { return };
    let schema = format!("habeas_t{}_data_v4", std::process::id());
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let mut sql = format!(
        "CREATE SCHEMA {schema}; SET search_path TO {schema}; \
         CREATE TABLE schema_version (version INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, applied_at BIGINT NOT NULL); "
    );
    for m in POSTGRES_DATA.iter().filter(|m| m.version <= 4) {
        sql.push_str(m.sql);
        sql.push_str(&format!(
            "; INSERT INTO schema_version VALUES ({}, '{}', 0); ",
            m.version,
            m.sha256()
        ));
    }
    sql.push_str(
        "INSERT INTO subjects (id, kind, status, created_at) VALUES \
         ('sub_b', 'customers', 'active', 0), ('sub_a', 'customers', 'active', 0), ('sub_C', 'customers', 'closed', 0); \
         INSERT INTO documents (kind, id, version, body, updated_at) VALUES ('request', 'r-old', 2, '\\x01', 0);",
    );
    c.batch_execute(&sql).expect("version-4 data store");
    let outcome = std::panic::catch_unwind(|| {
        let store = PgStore::open(&with_schema(&url, &schema)).expect("upgrade");
        assert_eq!(
            store.schema_version().expect("version"),
            habeas_store::migrations::latest(POSTGRES_DATA)
        );
        let page = |after: Option<&str>| -> Vec<String> {
            store
                .list_subjects(&SubjectFilter {
                    after_id: after.map(str::to_string),
                    limit: 2,
                    ..Default::default()
                })
                .expect("list")
                .into_iter()
                .map(|s| s.id)
                .collect()
        };
        // Documents from before owners were kept are candidates for every owner.
        let old = store.list_docs_of("request", "sub_a").expect("documents");
        assert_eq!(
            old.iter()
                .map(|d| (d.id.as_str(), d.version, d.owner.clone()))
                .collect::<Vec<_>>(),
            [("r-old", 2, None)]
        );
        // Byte order: upper case before lower case.
        assert_eq!(page(None), ["sub_C", "sub_a"]);
        assert_eq!(page(Some("sub_a")), ["sub_b"]);
    });
    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
