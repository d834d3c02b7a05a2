//! `habeas bench purge`: retention's speed figures (issue 7, "Speed") in a
//! temporary project holding the demo provider's declarations; build with
//! `--release`. SQLite by default; `--storage postgres://…` runs the same
//! in a fresh schema `habeas_bench_purge_<pid>` (key store `…_keys`,
//! tombstone ledger `…_ledger`), dropped at the end.
//!
//! Built: `--due` prospect contacts (rule "3 years after last
//! interaction", e-mail blind-indexed) and `--kept` billing records (10
//! years after collection) that must survive, one subject each, plus
//! `--month-rows` connection-log rows in one month's partition. Then, with
//! the clock four years ahead: the purge of the due records (one commit
//! per page) while a reader thread reads kept subjects (latency p50/p99),
//! the expiry of the month, a backup and its restore. Peak memory is the
//! process's VmHWM. The temporary project is deleted at the end.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, TimeZone, Utc};
use habeas_core::clock::{Clock, ManualClock};
use habeas_engine::backup::{create_backup, restore_backup};
use habeas_engine::retention::{VaultPurge, expire_partitions};
use habeas_engine::{BulkLine, Caller, Vault, project, synthetic};

use super::bench::cpu_seconds;
use habeas_retention::plan::expiry_by_category;
use habeas_retention::purge::run_purge;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Records due at the purge (prospect contacts).
    #[arg(long, default_value_t = 1_000_000)]
    pub due: u64,
    /// Records not due (billing), which must all remain.
    #[arg(long, default_value_t = 1_000_000)]
    pub kept: u64,
    /// Connection-log rows in the one month that expires.
    #[arg(long, default_value_t = 200_000)]
    pub month_rows: u64,
    /// Due records per purge commit.
    #[arg(long, default_value_t = super::purge::PAGE as u64)]
    pub page: u64,
    /// Milliseconds the purge waits before queueing each page (leaves the
    /// writer to the reads waiting behind the previous page).
    #[arg(long, default_value_t = super::purge::PAUSE_MS)]
    pub pause_ms: u64,
    /// Benchmark on this PostgreSQL server (`postgres://user@host/db`)
    /// instead of the embedded SQLite files.
    #[arg(long)]
    pub storage: Option<String>,
}

const BATCH: u64 = 5_000;

fn at(y: i32, m: u32, d: u32) -> anyhow::Result<DateTime<Utc>> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .context("bad bench date")
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!(
        "habeas-bench-purge-{}-{}",
        std::process::id(),
        Utc::now().timestamp_millis()
    ));
    std::fs::create_dir_all(dir.join("declarations"))?;
    let result = bench(&dir, &args);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn bench(dir: &std::path::Path, args: &Args) -> anyhow::Result<ExitCode> {
    for (name, text) in super::demo::DEMO_FILES {
        std::fs::write(dir.join(name), text)?;
    }
    let _pg = match &args.storage {
        Some(url) => Some(super::bench::PgBench::create(
            dir,
            url,
            "habeas_bench_purge_",
        )?),
        None => None,
    };
    let t0 = at(2026, 2, 15)?;
    let clock = Arc::new(ManualClock::new(t0));
    let vault = Arc::new(project::open_project_with_clock(dir, clock.clone())?);
    let op = Caller::operator("bench", "administration");
    println!(
        "# habeas bench purge — {} due, {} kept, {} rows in one month, page {}, pause {} ms, on {}",
        args.due,
        args.kept,
        args.month_rows,
        args.page,
        args.pause_ms,
        if args.storage.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    let started = Instant::now();
    ingest(&vault, &op, "prospect_contact", args.due, "p", |input| {
        input.events.last_interaction = Some(t0);
    })?;
    let mut kept_subjects = Vec::new();
    kept_subjects.extend(ingest(&vault, &op, "billing", args.kept, "b", |_| {})?);
    let month = at(2026, 1, 1)?;
    let mut n = 0u64;
    ingest(
        &vault,
        &op,
        "connection_logs",
        args.month_rows,
        "c",
        |input| {
            n += 1;
            input.collected_at =
                Some(month + chrono::Duration::seconds((n % (27 * 86_400)) as i64));
        },
    )?;
    println!("built in {:.1} s", started.elapsed().as_secs_f64());

    // Four years later: the prospects are due, billing is not, January 2026's logs are.
    clock.set(at(2030, 3, 1)?);
    let now = clock.now();

    // 1. The purge, with a reader of kept subjects beside it.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let vault = Arc::clone(&vault);
        let stop = Arc::clone(&stop);
        let subjects = kept_subjects.clone();
        std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
            let caller = Caller::operator("bench", "PA-0002");
            let mut lat = Vec::new();
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) && !subjects.is_empty() {
                let s = &subjects[i % subjects.len()];
                i = i.wrapping_add(7919);
                let t = Instant::now();
                vault.read(&caller, s, Some("billing"))?;
                lat.push(t.elapsed());
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(lat)
        })
    };
    let holds = super::purge::all_holds(&vault, &*clock)?;
    let expiry = expiry_by_category(vault.declarations());
    let target = VaultPurge::new(&vault, super::purge::purge_caller())
        .with_pause(Duration::from_millis(args.pause_ms));
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let summary = run_purge(&target, now, &expiry, &holds, args.page as usize)?;
    let purge = t.elapsed();
    let purge_cpu = cpu_seconds() - cpu0;
    stop.store(true, Ordering::Relaxed);
    let mut lat = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))??;
    anyhow::ensure!(
        summary.removed() == args.due,
        "the purge removed {} records, {} were due",
        summary.removed(),
        args.due
    );
    println!(
        "purge of {} due records: {:.2} s wall, {:.2} s CPU (process), {:.0} records/s",
        args.due,
        purge.as_secs_f64(),
        purge_cpu,
        args.due as f64 / purge.as_secs_f64()
    );
    println!(
        "reads of kept subjects during the purge: {}",
        super::bench::summary(&mut lat)
    );

    // 2. One month's partition.
    let t = Instant::now();
    let expired = expire_partitions(&vault, &super::purge::purge_caller(), &holds, now)?;
    let expiry_time = t.elapsed();
    let rows: u64 = expired
        .values()
        .flat_map(|p| p.dropped.values())
        .copied()
        .sum();
    anyhow::ensure!(
        rows == args.month_rows,
        "expired {rows} rows, {} expected",
        args.month_rows
    );
    println!(
        "expiry of one month ({rows} rows): {:.3} s",
        expiry_time.as_secs_f64()
    );
    let t = Instant::now();
    habeas_engine::retention::flush_remnants(&vault)?;
    println!(
        "remnant flush after the purge (SQLite: WAL checkpoint + truncate; PostgreSQL: VACUUM): {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // 3. Backup and restore of what remains (the kept records).
    let backups = dir.join("backups");
    let t = Instant::now();
    let info = create_backup(&vault, &backups)?;
    let backup = t.elapsed();
    let size = info.bytes;
    println!(
        "backup of {} records: {:.2} s ({} MiB)",
        args.kept,
        backup.as_secs_f64(),
        size / (1024 * 1024)
    );
    let settings = project::load_settings(dir)?;
    let paths = project::vault_paths(dir, &settings)?;
    let decls = vault.declarations().clone();
    drop(target);
    let vault = Arc::try_unwrap(vault).map_err(|_| anyhow::anyhow!("the vault is still shared"))?;
    drop(vault);
    let t = Instant::now();
    restore_backup(&paths, &decls, clock.clone(), &info.file)?;
    println!("restore: {:.2} s", t.elapsed().as_secs_f64());
    println!("peak RSS: {} MiB", super::bench::peak_rss_mib());
    Ok(ExitCode::SUCCESS)
}

/// Bulk-write `count` synthetic records of `category`, one subject each;
/// returns up to 1,000 of the subjects created.
fn ingest(
    vault: &Vault,
    op: &Caller,
    category: &str,
    count: u64,
    prefix: &str,
    mut edit: impl FnMut(&mut habeas_engine::RecordInput),
) -> anyhow::Result<Vec<String>> {
    let mut sample = Vec::new();
    let mut n = 0u64;
    let mut in_flight: Option<habeas_engine::PendingBulk> = None;
    let mut settle = |pending: habeas_engine::PendingBulk| -> anyhow::Result<()> {
        let receipt = pending.wait()?;
        if sample.len() < 1000 {
            let room = 1000 - sample.len();
            sample.extend(receipt.created_subjects.into_values().take(room));
        }
        Ok(())
    };
    while n < count {
        let end = (n + BATCH).min(count);
        let mut lines = Vec::with_capacity((end - n) as usize);
        for i in n..end {
            let mut input = synthetic::record(vault.declarations(), category, i)
                .with_context(|| format!("the demo declarations lack {category}"))?;
            input.subject_ref = Some(format!("{prefix}{i}"));
            edit(&mut input);
            lines.push(BulkLine { line: i + 1, input });
        }
        let next = vault.write_bulk_begin(op, lines, &mut std::collections::BTreeMap::new())?;
        if let Some(previous) = in_flight.replace(next) {
            settle(previous)?;
        }
        n = end;
    }
    if let Some(last) = in_flight.take() {
        settle(last)?;
    }
    Ok(sample)
}
