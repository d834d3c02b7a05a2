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
