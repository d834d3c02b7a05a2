//! Bulk-ingest benchmark (not a test): 1,000,000 records of ~200 sealed bytes through the
//! `Store` API versus a same-run plain-driver baseline of the same rows into the same schema,
//! on SQLite and PostgreSQL; plus 32 threads writing single records (group commit vs. one
//! transaction per write). Medians of 3 runs; peak RSS per run (VmHWM, reset between runs).
//!
//! `cargo bench -p habeas-store --bench ingest`
//! Env: HABEAS_BENCH_N (records, default 1000000), HABEAS_BENCH_RUNS (default 3),
//! HABEAS_TEST_POSTGRES_URL (PostgreSQL part skipped when unset).

use std::time::{Duration, Instant};

use habeas_store::conformance::day;
use habeas_store::postgres::PgStore;
use habeas_store::sqlite::SqliteStore;
use habeas_store::{EventDates, Record, Store};

const BATCH: usize = 10_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Deterministic pseudo-random sealed bytes (incompressible-looking, like AEAD output).
fn sealed(n: u64) -> Vec<u8> {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..200)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn make_batch(start: usize, len: usize) -> Vec<Record> {
    const CATS: [&str; 4] = ["contact", "billing", "support", "usage"];
    (start..start + len)
        .map(|n| {
            let d = i64::try_from(n % 365).unwrap_or(0);
            Record {
                id: format!("r{n:010}"),
                subject_id: format!("s{:08}", n / 10),
                category: CATS[n % 4].into(),
                collected_at: day(d),
                source_channel: "import".into(),
                purposes: vec!["billing".into()],
                events: EventDates {
                    last_interaction: Some(day(d)),
                    ..EventDates::default()
                },
                incident_linked: false,
                retention_due: Some(day(d + 365)),
                sealed: sealed(n as u64),
                key_version: 1,
            }
        })
        .collect()
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Feed `n` records in batches to `insert`; time only the inserts.
fn drive(n: usize, mut insert: impl FnMut(Vec<Record>)) -> Duration {
    let mut spent = Duration::ZERO;
    let mut start = 0;
    while start < n {
        let batch = make_batch(start, BATCH.min(n - start));
        start += batch.len();
        let t = Instant::now();
        insert(batch);
        spent += t.elapsed();
    }
    spent
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(label: &str, n: usize, runs: Vec<(Duration, f64)>) -> f64 {
    let rates: Vec<f64> = runs
        .iter()
        .map(|(d, _)| n as f64 / d.as_secs_f64())
        .collect();
    let rss: Vec<f64> = runs.iter().map(|(_, r)| *r).collect();
    let med = median(rates.clone());
    println!(
        "{label:<44} median {med:>10.0} rec/s  runs {:?}  peak RSS max {:.0} MiB",
        rates.iter().map(|r| r.round()).collect::<Vec<_>>(),
        rss.iter().copied().fold(0.0, f64::max)
    );
    med
}

fn sqlite_api(n: usize) -> (Duration, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    reset_peak_rss();
    let store = SqliteStore::open(dir.path().join("h.db")).expect("open");
    let d = drive(n, |b| store.insert_records(b).expect("insert"));
    (d, peak_rss_mib())
}

const INSERT: &str = "INSERT INTO records (id, subject_id, category, collected_at, source_channel, purposes, \
    last_interaction, contract_end, account_closure, custom_events, incident_linked, retention_due, sealed, key_version) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

fn sqlite_plain(n: usize) -> (Duration, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h.db");
    drop(SqliteStore::open(&path).expect("create schema"));
    reset_peak_rss();
    let mut c = rusqlite::Connection::open(&path).expect("open");
    c.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA cache_size=-32768; \
         PRAGMA wal_autocheckpoint=8192",
    )
    .expect("pragmas");
    let d = drive(n, |batch| {
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("begin");
        {
            let mut stmt = tx.prepare_cached(INSERT).expect("prepare");
            for r in &batch {
                stmt.execute(rusqlite::params![
                    r.id,
                    r.subject_id,
                    r.category,
                    r.collected_at.timestamp_micros(),
                    r.source_channel,
                    serde_json::to_string(&r.purposes).expect("json"),
                    r.events.last_interaction.map(|t| t.timestamp_micros()),
                    None::<i64>,
                    None::<i64>,
                    "{}",
                    r.incident_linked,
                    r.retention_due.map(|t| t.timestamp_micros()),
                    r.sealed,
                    r.key_version
                ])
                .expect("insert");
            }
        }
        tx.commit().expect("commit");
    });
    (d, peak_rss_mib())
}

fn pg_schema(url: &str, tag: &str) -> String {
    let schema = format!("habeas_bench_{tag}_{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}schema={schema}")
}

fn pg_drop(url: &str, tag: &str) {
    if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
        let _ = c.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS habeas_bench_{tag}_{} CASCADE",
            std::process::id()
        ));
    }
}

fn pg_api(url: &str, n: usize) -> (Duration, f64) {
    pg_drop(url, "api");
    reset_peak_rss();
    let store = PgStore::open(&pg_schema(url, "api")).expect("open");
    let d = drive(n, |b| store.insert_records(b).expect("insert"));
    let rss = peak_rss_mib();
    drop(store);
    pg_drop(url, "api");
    (d, rss)
}

fn pg_plain_copy(url: &str, n: usize) -> (Duration, f64) {
    use postgres::binary_copy::BinaryCopyInWriter;
    use postgres::types::Type;
    pg_drop(url, "plain");
    drop(PgStore::open(&pg_schema(url, "plain")).expect("create schema"));
    reset_peak_rss();
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    c.batch_execute(&format!(
        "SET search_path TO habeas_bench_plain_{}",
        std::process::id()
    ))
    .expect("path");
    let types = [
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::BOOL,
        Type::INT8,
        Type::BYTEA,
        Type::INT8,
    ];
    let d = drive(n, |batch| {
        let mut tx = c.transaction().expect("begin");
        let sink = tx
            .copy_in(
                "COPY records (id, subject_id, category, collected_at, source_channel, purposes, last_interaction, \
                 contract_end, account_closure, custom_events, incident_linked, retention_due, sealed, key_version) \
                 FROM STDIN BINARY",
            )
            .expect("copy");
        let mut w = BinaryCopyInWriter::new(sink, &types);
        for r in &batch {
            w.write(&[
                &r.id,
                &r.subject_id,
                &r.category,
                &r.collected_at.timestamp_micros(),
                &r.source_channel,
                &serde_json::to_string(&r.purposes).expect("json"),
                &r.events.last_interaction.map(|t| t.timestamp_micros()),
                &None::<i64>,
                &None::<i64>,
                &"{}",
                &r.incident_linked,
                &r.retention_due.map(|t| t.timestamp_micros()),
                &r.sealed,
                &i64::from(r.key_version),
            ])
            .expect("row");
        }
        w.finish().expect("finish");
        tx.commit().expect("commit");
    });
    let rss = peak_rss_mib();
    pg_drop(url, "plain");
    (d, rss)
}

/// 32 threads each writing single records: group commit vs. one transaction per write.
fn sqlite_concurrent(per_thread: usize, group: bool) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("h.db");
    let store = SqliteStore::open(&path).expect("open");
    let plain = std::sync::Mutex::new({
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch("PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000")
            .expect("pragmas");
        c
    });
    let t = Instant::now();
    std::thread::scope(|s| {
        for th in 0..32 {
            let (store, plain) = (&store, &plain);
            s.spawn(move || {
                for r in make_batch(th * per_thread, per_thread) {
                    if group {
                        store.insert_records(vec![r]).expect("insert");
                    } else {
                        let c = plain.lock().expect("lock");
                        c.execute(
                            "INSERT INTO records (id, subject_id, category, collected_at, source_channel, purposes, \
                             custom_events, incident_linked, sealed, key_version) VALUES (?1, ?2, ?3, ?4, ?5, '[]', '{}', 0, ?6, 1)",
                            rusqlite::params![r.id, r.subject_id, r.category, r.collected_at.timestamp_micros(), r.source_channel, r.sealed],
                        )
                        .expect("insert");
                    }
                }
            });
        }
    });
    (32 * per_thread) as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too: run only under bench.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let n = env_usize("HABEAS_BENCH_N", 1_000_000);
    let runs = env_usize("HABEAS_BENCH_RUNS", 3);
    println!(
        "bulk ingest of {n} records (~200-byte sealed payload), batches of {BATCH}, {runs} runs"
    );
    let mut api = Vec::new();
    let mut plain = Vec::new();
    for _ in 0..runs {
        plain.push(sqlite_plain(n));
        api.push(sqlite_api(n));
    }
    let p = report("SQLite plain rusqlite (baseline)", n, plain);
    let a = report("SQLite Store::insert_records", n, api);
    println!("SQLite API / baseline ratio: {:.2}", a / p);

    let g: Vec<f64> = (0..runs).map(|_| sqlite_concurrent(300, true)).collect();
    let s: Vec<f64> = (0..runs).map(|_| sqlite_concurrent(300, false)).collect();
    println!(
        "SQLite 32 threads single-record writes, group commit:      median {:.0} writes/s",
        median(g)
    );
    println!(
        "SQLite 32 threads single-record writes, 1 tx/write (mutex): median {:.0} writes/s",
        median(s)
    );

    match std::env::var("HABEAS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let mut api = Vec::new();
            let mut plain = Vec::new();
            for _ in 0..runs {
                plain.push(pg_plain_copy(&url, n));
                api.push(pg_api(&url, n));
            }
            let p = report("PostgreSQL plain binary COPY (baseline)", n, plain);
            let a = report("PostgreSQL Store::insert_records (COPY)", n, api);
            println!("PostgreSQL API / baseline ratio: {:.2}", a / p);
        }
        _ => eprintln!("SKIPPED: HABEAS_TEST_POSTGRES_URL is unset; PostgreSQL benchmark not run"),
    }
}
