//! `habeas bench backup`: backup, verify and restore of a SQLite vault at
//! scale (issue 7, "backup of the 10M-record database ≤ 60 s, restore ≤
//! 120 s, peak memory ≤ 500 MiB"); build with `--release`.
//!
//! Built: `--records` billing records (the demo provider's declarations),
//! one subject each, written through the vault's pipelined bulk API — the
//! same sealed, blind-indexed, journaled path as `habeas import`. Then, `--runs`
//! times over: `create_backup` (wall and process CPU), `verify_backup`,
//! `restore_backup` (tombstone replay included), the backup file deleted
//! after each run. `--compression none|deflate|zstd` picks the backups' compression. Peak memory is the process's VmHWM.
//!
//! `--project DIR` keeps the project: a DIR already holding a project is
//! reused as it is (no build), so several builds of `habeas` can be timed,
//! alternately, on the same database. Without it a temporary project is
//! made and deleted at the end.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{TimeZone, Utc};
use habeas_core::clock::{Clock, ManualClock};
use habeas_engine::backup::{
    BackupCompression, DEFAULT_COMPRESSION, create_backup_with, restore_backup, verify_backup,
};
use habeas_engine::{Caller, Vault, project};

use super::bench::{cpu_seconds, synthetic_records, write_pipelined};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Records to build (billing, one subject each); ignored when `--project` exists.
    #[arg(long, default_value_t = 200_000)]
    pub records: u64,
    /// Backup + verify + restore rounds to time.
    #[arg(long, default_value_t = 3)]
    pub runs: u32,
    /// Keep (or reuse, if it already holds a project) the project here.
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Build the project, time nothing.
    #[arg(long)]
    pub build_only: bool,
    /// Compression of the backups (default: the engine's default, zstd).
    #[arg(long, value_enum)]
    pub compression: Option<Compression>,
}

/// The backup compressions to compare.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Compression {
    None,
    Deflate,
    Zstd,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match &args.project {
        Some(dir) => bench(dir, &args),
        None => bench(super::bench::temp_project("backup")?.path(), &args),
    }
}

fn bench(dir: &Path, args: &Args) -> anyhow::Result<ExitCode> {
    let t0 = Utc
        .with_ymd_and_hms(2026, 2, 15, 0, 0, 0)
        .single()
        .context("bad bench date")?;
    let clock = Arc::new(ManualClock::new(t0));
    if dir.join("habeas.toml").exists() || dir.join("declarations").exists() {
        println!("# habeas bench backup — reusing {}", dir.display());
    } else {
        std::fs::create_dir_all(dir.join("declarations"))?;
        for (name, text) in super::demo::DEMO_FILES {
            std::fs::write(dir.join(name), text)?;
        }
        let vault = project::open_project_with_clock(dir, clock.clone())?;
        let started = Instant::now();
        ingest(&vault, args.records)?;
        habeas_engine::retention::flush_remnants(&vault)?;
        println!(
            "# habeas bench backup — built {} records in {:.1} s",
            args.records,
            started.elapsed().as_secs_f64()
        );
    }
    let settings = project::load_settings(dir)?;
    let paths = project::vault_paths(dir, &settings)?;
    let decls = project::load_declarations(dir)?;
    let db_bytes = std::fs::metadata(&paths.data_db).map_or(0, |m| m.len());
    println!("data store: {} MiB", db_bytes / (1024 * 1024));
    if args.build_only {
        return Ok(ExitCode::SUCCESS);
    }
    let backups = dir.join("bench-backups");
    for run in 1..=args.runs {
        // One second per run: backups are named after their second.
        clock.set(t0 + chrono::Duration::days(1) + chrono::Duration::seconds(i64::from(run)));
        let vault = project::open_project_with_clock(dir, clock.clone())?;
        let compression = match args.compression {
            None => DEFAULT_COMPRESSION,
            Some(Compression::None) => BackupCompression::None,
            Some(Compression::Deflate) => BackupCompression::Deflate,
            Some(Compression::Zstd) => BackupCompression::Zstd,
        };
        let (info, backup_wall, backup_cpu) =
            timed(|| Ok(create_backup_with(&vault, &backups, compression)?))?;
        drop(vault);
        let (report, verify_wall, verify_cpu) = timed(|| Ok(verify_backup(&paths, &info.file)?))?;
        let (_, restore_wall, restore_cpu) = timed(|| {
            Ok(restore_backup(
                &paths,
                &decls,
                clock.clone() as Arc<dyn Clock>,
                &info.file,
            )?)
        })?;
        println!(
            "run {run}: backup {backup_wall:.2} s wall {backup_cpu:.2} s CPU ({} MiB file, {} MiB content, {:.0} MB/s of content); \
             verify {verify_wall:.2} s wall {verify_cpu:.2} s CPU; restore {restore_wall:.2} s wall {restore_cpu:.2} s CPU",
            info.bytes / (1024 * 1024),
            report.content_bytes / (1024 * 1024),
            report.content_bytes as f64 / 1e6 / backup_wall,
        );
        std::fs::remove_file(&info.file)
            .with_context(|| format!("cannot delete {}", info.file.display()))?;
    }
    let _ = std::fs::remove_dir(&backups);
    println!("peak RSS: {} MiB", super::bench::peak_rss_mib());
    Ok(ExitCode::SUCCESS)
}

/// Run `f`, returning its value, wall seconds and process CPU seconds.
fn timed<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, f64, f64)> {
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let value = f()?;
    Ok((value, t.elapsed().as_secs_f64(), cpu_seconds() - cpu0))
}

/// Bulk-write `count` synthetic billing records, one subject each, keeping
/// one batch in flight while the next is prepared.
fn ingest(vault: &Vault, count: u64) -> anyhow::Result<()> {
    let op = Caller::operator("bench", "administration");
    write_pipelined(
        vault,
        &op,
        count,
        synthetic_records(vault, "billing", "b", 1),
        |_| Ok(()),
        |n| {
            if n.is_multiple_of(500_000) {
                eprintln!("  {n} records");
            }
        },
    )
}
