//! The statement cache against a live PostgreSQL (`HABEAS_TEST_POSTGRES_URL`; skipped when
//! unset, like the conformance suite): a cached statement outlives DDL on its table and a
//! lost connection, and every connection keeps its own statements.

use std::sync::Barrier;

use super::conn::{Db, PgConn};
use super::parse_url;
use super::pool::Pool;

/// The test server's URL, or `None` (skipped loudly) when unset.
pub(super) fn url() -> Option<String> {
    match std::env::var("HABEAS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "HABEAS_REQUIRE_TOOLS=1 but HABEAS_TEST_POSTGRES_URL is unset"
            );
            eprintln!("SKIPPED: HABEAS_TEST_POSTGRES_URL is unset");
            None
        }
    }
}

/// A pool on a throw-away schema; the schema is dropped when the guard goes.
struct Scratch {
    pool: Option<Pool>,
    url: String,
    schema: String,
}

impl Scratch {
    fn new(url: &str, name: &str, size: usize) -> Self {
        let schema = format!("habeas_conn_{}_{name}", std::process::id());
        let (config, _) = parse_url(url, &schema).expect("url");
        Self {
            pool: Some(Pool::new(config, schema.clone(), size)),
            url: url.to_string(),
            schema,
        }
    }

    fn pool(&self) -> &Pool {
        self.pool.as_ref().expect("pool")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        drop(self.pool.take());
        if let Ok(mut c) = ::postgres::Client::connect(&self.url, ::postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

fn columns(c: &mut PgConn) -> usize {
    let rows = c.query("SELECT * FROM t", &[]).expect("select after DDL");
    rows.first().map_or(0, |r| r.len())
}

#[test]
fn a_cached_statement_survives_a_change_of_its_result_type() {
    let Some(url) = url() else { return };
    let s = Scratch::new(&url, "ddl", 1);
    s.pool()
        .with(|c| {
            c.batch_execute("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)")?;
            assert_eq!(columns(c), 1);
            assert_eq!(c.cached(), 1, "the select is kept");
            // Kept for the round trips, planned with each call's values (pool.rs).
            let mode: String = c
                .query_one("SELECT current_setting('plan_cache_mode')", &[])?
                .get(0);
            assert_eq!(mode, "force_custom_plan");
            // `SELECT *` now returns two columns: PostgreSQL refuses the old plan (0A000),
            // the cache prepares it again and retries once.
            c.batch_execute("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 2")?;
            assert_eq!(columns(c), 2);
            // Dropped and recreated with another type: same.
            c.batch_execute("DROP TABLE t; CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('x')")?;
            let a: String = c.query_one("SELECT * FROM t", &[])?.get(0);
            assert_eq!(a, "x");
            Ok(())
        })
        .expect("statements follow the table");
}

#[test]
fn inside_a_transaction_the_stale_statement_fails_once_then_is_prepared_again() {
    let Some(url) = url() else { return };
    let s = Scratch::new(&url, "tx", 1);
    s.pool()
        .with(|c| {
            c.batch_execute("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)")?;
            assert_eq!(columns(c), 1);
            c.batch_execute("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 2")?;
            let mut tx = c.transaction()?;
            // A failed statement aborts the transaction: no retry in there.
            assert!(tx.query("SELECT * FROM t", &[]).is_err());
            tx.rollback()?;
            assert_eq!(columns(c), 2, "evicted, so prepared again");
            Ok(())
        })
        .expect("the next call prepares afresh");
}

#[test]
fn a_lost_connection_is_replaced_with_an_empty_cache() {
    let Some(url) = url() else { return };
    let s = Scratch::new(&url, "lost", 1);
    let pid: i32 = s
        .pool()
        .with(|c| Ok(c.query_one("SELECT pg_backend_pid()", &[])?.get(0)))
        .expect("pid");
    let mut admin = ::postgres::Client::connect(&url, ::postgres::NoTls).expect("admin");
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&pid])
        .expect("terminate");
    // pg_terminate_backend only signals: wait until the backend is gone.
    for _ in 0..500 {
        let alive: i64 = admin
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1",
                &[&pid],
            )
            .expect("activity")
            .get(0);
        if alive == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // The first call may learn of the loss by failing; the pool then drops the connection.
    let _ = s
        .pool()
        .with(|c| Ok(c.query_one("SELECT pg_backend_pid()", &[])?));
    let (new_pid, cached) = s
        .pool()
        .with(|c| {
            let p: i32 = c.query_one("SELECT pg_backend_pid()", &[])?.get(0);
            Ok((p, c.cached()))
        })
        .expect("a new connection");
    assert_ne!(new_pid, pid);
    assert_eq!(cached, 1, "a new connection prepares its own statements");
}

#[test]
fn every_connection_keeps_its_own_statements() {
    let Some(url) = url() else { return };
    let s = Scratch::new(&url, "per", 2);
    let both = Barrier::new(2);
    let seen: Vec<(i32, usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    s.pool().with(|c| {
                        // Both connections are out of the pool at once.
                        both.wait();
                        let before = c.cached();
                        let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[])?.get(0);
                        Ok((pid, before, c.cached()))
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread").expect("query"))
            .collect()
    });
    assert_ne!(seen[0].0, seen[1].0, "two connections");
    for (_, before, after) in &seen {
        assert_eq!((*before, *after), (0, 1), "prepared on each connection");
    }
}
