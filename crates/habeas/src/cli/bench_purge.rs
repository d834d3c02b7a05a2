//! `habeas bench purge`: retention's speed figures (issue 7, "Speed") in a
//! temporary project holding the demo provider's declarations; build with
//! `--release`. SQLite by default; `--storage postgres://…` runs the same
//! in a fresh schema `habeas_bench_purge_<pid>` (key store `…_keys`,
//! tombstone ledger `…_ledger`), dropped at the end.
//!
//! Built: `--due` prospect contacts (rule "3 years after last
//! interaction", e-mail blind-indexed) and `--kept` billing records (10
//! years after collection) that must survive, one subject each, then
//! connection logs (high-volume, month partitions, "1 year after
//! collection"): `--timed-rows` spread evenly over the twelve months before
//! the purge (50 rows per subject, each subject's rows across the months)
//! and `--month-rows` more in the oldest of them, one subject each. Every
//! build goes through the pipelined bulk path ([`super::bench::write_pipelined`]).
//! `--due 1000000 --kept 4000000 --timed-rows 5000000 --month-rows 0` is
//! issue 7's set-up: 10,000,000 records, half in high-volume partitions.
//!
//! Then, with the clock four years ahead: the purge of the due records (one
//! commit per page) while a reader thread reads kept subjects (latency
//! p50/p99), the expiry of the oldest month, a backup of what remains, its
//! verification and its restore (with `--backup-built`, also a backup and
//! verification of the whole built vault before the purge). Checked on the way: the vault holds every
//! record written; the purge removes exactly the due records and a second
//! pass finds nothing due; the expiry drops exactly the oldest month's
//! rows; every kept record and the other months' rows remain. Peak memory
//! is the process's VmHWM. The temporary project is deleted at the end.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, TimeZone, Utc};
use habeas_core::clock::{Clock, ManualClock};
use habeas_engine::backup::{create_backup, restore_backup, verify_backup};
use habeas_engine::retention::{VaultPurge, expire_partitions};
use habeas_engine::{Caller, Vault, project};

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
    /// Connection-log rows in the month that expires, one subject each,
    /// besides that month's share of `--timed-rows`.
    #[arg(long, default_value_t = 200_000)]
    pub month_rows: u64,
    /// Connection-log rows (high-volume, stored in month partitions) spread
    /// evenly over the twelve months before the purge, 50 per subject: the
    /// oldest month expires, the other eleven stay. `--due 1000000 --kept
    /// 4000000 --timed-rows 5000000 --month-rows 0` is issue 7's set-up of
    /// 10,000,000 records, half of them in high-volume partitions.
    #[arg(long, default_value_t = 0)]
    pub timed_rows: u64,
    /// Due records per purge commit.
    #[arg(long, default_value_t = super::purge::PAGE as u64)]
    pub page: u64,
    /// Milliseconds the purge waits before queueing each page (leaves the
    /// writer to the reads waiting behind the previous page); default none
    /// (`retention::DEFAULT_PAUSE`: reads are committed between a page's steps).
    #[arg(long)]
    pub pause_ms: Option<u64>,
    /// Also back up and verify the whole built vault before the purge
    /// (issue 7 times the backup of the 10M-record database); the file is
    /// deleted at once.
    #[arg(long)]
    pub backup_built: bool,
    /// Benchmark on this PostgreSQL server (`postgres://user@host/db`)
    /// instead of the embedded SQLite files.
    #[arg(long)]
    pub storage: Option<String>,
}

/// Rows of `--timed-rows` per subject (a subject's rows share one batch).
const TIMED_PER_SUBJECT: u64 = 50;
const _: () = assert!(super::bench::BATCH.is_multiple_of(TIMED_PER_SUBJECT));

/// Months the `--timed-rows` spread over; the first is the one that expires.
const TIMED_MONTHS: u64 = 12;

fn at(y: i32, m: u32, d: u32) -> anyhow::Result<DateTime<Utc>> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .context("bad bench date")
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = super::bench::temp_project("purge")?;
    std::fs::create_dir_all(dir.path().join("declarations"))?;
    bench(dir.path(), &args)
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
    // Four years later: the prospects are due (3 years after their last
    // interaction), billing is not (10 years after collection).
    let purge_at = at(2030, 3, 1)?;
    // The twelve months of connection logs before the purge: February 2029
    // is past its year (Décret 2021-1362 art. 3) and expires, the rest stays.
    let first_month = at(2029, 2, 1)?;
    let clock = Arc::new(ManualClock::new(t0));
    let vault = Arc::new(project::open_project_with_clock(dir, clock.clone())?);
    let op = Caller::operator("bench", "administration");
    let pause = args.pause_ms.map_or(
        habeas_engine::retention::DEFAULT_PAUSE,
        Duration::from_millis,
    );
    println!(
        "# habeas bench purge — {} due, {} kept, {} rows in one month, {} timed rows over {TIMED_MONTHS} months, page {}, pause {} ms, on {}",
        args.due,
        args.kept,
        args.month_rows,
        args.timed_rows,
        args.page,
        pause.as_millis(),
        if args.storage.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    let started = Instant::now();
    ingest(
        &vault,
        &op,
        "prospect_contact",
        args.due,
        "p",
        1,
        |_, input| {
            input.events.last_interaction = Some(t0);
        },
    )?;
    let due_built = started.elapsed();
    let kept_subjects = ingest(&vault, &op, "billing", args.kept, "b", 1, |_, _| {})?;
    let kept_built = started.elapsed() - due_built;
    // The logs are written at the purge's date: they are the past year's.
    clock.set(purge_at);
    let t = Instant::now();
    ingest(
        &vault,
        &op,
        "connection_logs",
        args.month_rows,
        "c",
        1,
        |i, input| {
            input.collected_at =
                Some(first_month + chrono::Duration::seconds(((i + 1) % MONTH_SECONDS) as i64));
        },
    )?;
    ingest(
        &vault,
        &op,
        "connection_logs",
        args.timed_rows,
        "t",
        TIMED_PER_SUBJECT,
        |i, input| input.collected_at = timed_collected_at(first_month, i),
    )?;
    let timed_built = t.elapsed();
    // As `habeas import` does at its end.
    let t = Instant::now();
    vault.refresh_statistics()?;
    let analyzed = t.elapsed();
    println!(
        "built in {:.1} s (due {:.1} s, kept {:.1} s, connection logs {:.1} s, statistics {:.1} s)",
        started.elapsed().as_secs_f64(),
        due_built.as_secs_f64(),
        kept_built.as_secs_f64(),
        timed_built.as_secs_f64(),
        analyzed.as_secs_f64()
    );
    peak_so_far();
    let built = args.due + args.kept + args.month_rows + args.timed_rows;
    let held = record_count(&vault)?;
    anyhow::ensure!(
        held == built,
        "the vault holds {held} records, {built} were written"
    );
    let settings = project::load_settings(dir)?;
    let paths = project::vault_paths(dir, &settings)?;
    if args.storage.is_none() {
        let bytes = std::fs::metadata(&paths.data_db).map_or(0, |m| m.len());
        println!("data store: {} MiB", bytes / (1024 * 1024));
    }
    let now = clock.now();
    if args.backup_built {
        let what = format!("the built vault ({built} records)");
        let info = backup_and_verify(&vault, &paths, &dir.join("backups-built"), &what)?;
        std::fs::remove_file(&info.file)?;
    }

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
    let target = VaultPurge::new(&vault, super::purge::purge_caller()).with_pause(pause);
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
    // Every prospect was due: a second pass finding nothing means none is left.
    let again = run_purge(&target, now, &expiry, &holds, args.page as usize)?;
    anyhow::ensure!(
        again.removed() == 0,
        "a second purge removed {} more records",
        again.removed()
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
    peak_so_far();

    // 2. One month's partition.
    let t = Instant::now();
    let expired = expire_partitions(&vault, &super::purge::purge_caller(), &holds, now)?;
    let expiry_time = t.elapsed();
    let months: Vec<&String> = expired.values().flat_map(|p| p.dropped.keys()).collect();
    let rows: u64 = expired
        .values()
        .flat_map(|p| p.dropped.values())
        .copied()
        .sum();
    let expected = expired_rows(args.month_rows, args.timed_rows);
    anyhow::ensure!(
        rows == expected && months.iter().all(|m| *m == "2029-02"),
        "expired {rows} rows of {months:?}, {expected} of 2029-02 expected"
    );
    println!(
        "expiry of one month ({rows} rows): {:.3} s",
        expiry_time.as_secs_f64()
    );
    peak_so_far();
    // What remains: every kept record, and the logs of the eleven months that stay.
    let remaining = args.kept + args.month_rows + args.timed_rows - rows;
    let held = record_count(&vault)?;
    anyhow::ensure!(
        held == remaining,
        "the vault holds {held} records after the purge and the expiry, {remaining} expected"
    );
    let t = Instant::now();
    habeas_engine::retention::flush_remnants(&vault)?;
    println!(
        "remnant flush after the purge (SQLite: WAL checkpoint + truncate; PostgreSQL: VACUUM): {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // 3. Backup, verify and restore of what remains.
    let what = format!(
        "what remains ({remaining} records: {} kept, {} log rows)",
        args.kept,
        remaining - args.kept
    );
    let info = backup_and_verify(&vault, &paths, &dir.join("backups"), &what)?;
    let decls = vault.declarations().clone();
    drop(target);
    let vault = Arc::try_unwrap(vault).map_err(|_| anyhow::anyhow!("the vault is still shared"))?;
    drop(vault);
    let t = Instant::now();
    restore_backup(&paths, &decls, clock.clone(), &info.file)?;
    println!("restore: {:.2} s", t.elapsed().as_secs_f64());
    peak_so_far();
    println!("peak RSS: {} MiB", super::bench::peak_rss_mib());
    Ok(ExitCode::SUCCESS)
}

/// Back up the vault into `backups` and verify the file, timing both;
/// `what` names the content in the output.
/// The process's peak memory so far, after each step: says which step set
/// the final peak.
fn peak_so_far() {
    println!("  (peak RSS so far: {} MiB)", super::bench::peak_rss_mib());
}

fn backup_and_verify(
    vault: &Vault,
    paths: &habeas_engine::VaultPaths,
    backups: &std::path::Path,
    what: &str,
) -> anyhow::Result<habeas_engine::backup::BackupInfo> {
    let t = Instant::now();
    let info = create_backup(vault, backups)?;
    println!(
        "backup of {what}: {:.2} s ({} MiB)",
        t.elapsed().as_secs_f64(),
        info.bytes / (1024 * 1024)
    );
    peak_so_far();
    let t = Instant::now();
    let report = verify_backup(paths, &info.file)?;
    println!(
        "verify: {:.2} s ({} MiB of content)",
        t.elapsed().as_secs_f64(),
        report.content_bytes / (1024 * 1024)
    );
    peak_so_far();
    Ok(info)
}

/// Seconds of a month the logs are spread over (27 days: inside February).
const MONTH_SECONDS: u64 = 27 * 86_400;

/// When the `i`-th of the `--timed-rows` was collected: rows go round the
/// [`TIMED_MONTHS`] months from `first_month` (so each subject's 50 rows
/// span them all), then through each month's first 27 days.
fn timed_collected_at(first_month: DateTime<Utc>, i: u64) -> Option<DateTime<Utc>> {
    let month = first_month.checked_add_months(chrono::Months::new((i % TIMED_MONTHS) as u32))?;
    Some(month + chrono::Duration::seconds(((i / TIMED_MONTHS) % MONTH_SECONDS) as i64))
}

/// Rows the expiry drops: the month's own rows and the first month's share
/// of the timed rows (rows 0, 12, 24, …).
fn expired_rows(month_rows: u64, timed_rows: u64) -> u64 {
    month_rows + timed_rows.div_ceil(TIMED_MONTHS)
}

/// Records in the vault, high-volume rows included.
fn record_count(vault: &Vault) -> anyhow::Result<u64> {
    let counts = vault.counts()?;
    let n = counts.get("records").copied().unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Bulk-write `count` synthetic records of `category` through the
/// pipelined bulk path, `per_subject` consecutive records per subject
/// (it divides the batch); returns up to 1,000 of the subjects created.
fn ingest(
    vault: &Vault,
    op: &Caller,
    category: &str,
    count: u64,
    prefix: &str,
    per_subject: u64,
    mut edit: impl FnMut(u64, &mut habeas_engine::RecordInput),
) -> anyhow::Result<Vec<String>> {
    let mut sample = Vec::new();
    let mut record = super::bench::synthetic_records(vault, category, prefix, per_subject);
    super::bench::write_pipelined(
        vault,
        op,
        count,
        |i| {
            let mut input = record(i)?;
            edit(i, &mut input);
            Ok(input)
        },
        |receipt| {
            if sample.len() < 1000 {
                let room = 1000 - sample.len();
                sample.extend(receipt.created_subjects.into_values().take(room));
            }
            Ok(())
        },
        |n| {
            if n.is_multiple_of(1_000_000) {
                eprintln!("  {category}: {n} records");
            }
        },
    )?;
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn timed_rows_span_twelve_months_and_the_first_one_expires() {
        let first = at(2029, 2, 1).unwrap();
        for n in [0u64, 1, 11, 12, 13, 130, 1_000] {
            let mut per_month = [0u64; TIMED_MONTHS as usize];
            for i in 0..n {
                let t = timed_collected_at(first, i).unwrap();
                let months = (t.year() - 2029) * 12 + t.month() as i32 - 2;
                assert!((0..12).contains(&months), "row {i} at {t}");
                assert!(
                    t.day() <= 28,
                    "row {i} at {t} leaves the month's first 28 days"
                );
                per_month[months as usize] += 1;
            }
            assert_eq!(per_month[0], expired_rows(0, n), "{n} rows");
            assert_eq!(expired_rows(5, n), 5 + per_month[0]);
            // Even spread: months differ by one row at most.
            let (lo, hi) = (per_month.iter().min(), per_month.iter().max());
            assert!(hi.unwrap() - lo.unwrap() <= 1, "{per_month:?}");
        }
    }

    /// The whole bench at a tiny size: its own checks (every due record
    /// gone, every kept one left, exactly the expiring month dropped, the
    /// backup verified and restored) pass.
    #[test]
    fn a_tiny_purge_bench_passes_its_checks() {
        let dir = std::env::temp_dir().join(format!(
            "habeas-bench-purge-test-{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::create_dir_all(dir.join("declarations")).unwrap();
        let args = Args {
            due: 30,
            kept: 20,
            month_rows: 7,
            timed_rows: 130,
            page: 10,
            pause_ms: Some(0),
            backup_built: true,
            storage: None,
        };
        let result = bench(&dir, &args);
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = result {
            panic!("the bench failed: {e:#}");
        }
    }
}
