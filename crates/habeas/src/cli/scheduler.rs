//! The scheduler inside `habeas serve` (SPEC C5; GDPR Art. 5(1)(e)): a tokio
//! interval task that, every `[scheduler] tick_seconds`, asks the
//! `JobRunner` which jobs are due and runs them on a blocking thread:
//!
//! - `retention-purge` (`daily <purge_at>`): the purge `habeas purge` runs —
//!   due records deleted or anonymised, holds honoured, high-volume months
//!   expired;
//! - `journal-retention` (`daily <purge_at>`, only when `[audit] retention`
//!   is set): the audit journal dropped up to the newest signed checkpoint
//!   before its cut-off (`habeas audit retention`);
//! - `backup` (`daily <backup_at>`, only when set): an encrypted backup into
//!   `backup_dir`, then grandfather-father-son rotation (7 daily, 4 weekly,
//!   6 monthly).
//!
//! Each occurrence is leased in the store (`try_lease`), so with several
//! instances on one database it runs once. Each run is journaled (job,
//! outcome, counts per category and action — never a value).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use habeas_core::clock::{Clock, SystemClock};
use habeas_core::settings::Settings;
use habeas_engine::{Caller, Vault};
use habeas_retention::gfs::GfsPolicy;
use habeas_retention::runner::{Counts, Job, JobRunner, Outcome, RunReport, purge_counts};

/// What the scheduler runs, where backups go, and the settings its jobs read.
pub struct Plan {
    pub jobs: Vec<Job>,
    pub tick: Duration,
    pub backup_dir: PathBuf,
    pub settings: Settings,
}

/// The plan of `[scheduler]`, or `None` when it is disabled.
pub fn plan(project: &Path, settings: &Settings) -> anyhow::Result<Option<Plan>> {
    let s = &settings.scheduler;
    if !s.enabled {
        return Ok(None);
    }
    let mut jobs = vec![Job {
        name: "retention-purge".into(),
        schedule: format!("daily {}", s.purge_at.get_ref())
            .parse()
            .map_err(|e| anyhow::anyhow!("[scheduler] purge_at: {e}"))?,
    }];
    if settings.audit.journal_retention().is_some() {
        jobs.push(Job {
            name: "journal-retention".into(),
            schedule: format!("daily {}", s.purge_at.get_ref())
                .parse()
                .map_err(|e| anyhow::anyhow!("[scheduler] purge_at: {e}"))?,
        });
    }
    if let Some(at) = &s.backup_at {
        jobs.push(Job {
            name: "backup".into(),
            schedule: format!("daily {}", at.get_ref())
                .parse()
                .map_err(|e| anyhow::anyhow!("[scheduler] backup_at: {e}"))?,
        });
    }
    let backup_dir = super::backup::backup_dir(
        project,
        Some(Path::new(s.backup_dir.as_deref().unwrap_or("backups"))),
    );
    Ok(Some(Plan {
        jobs,
        tick: Duration::from_secs(s.tick_seconds.max(1)),
        backup_dir,
        settings: settings.clone(),
    }))
}

/// Run one job now; its counts per category and action.
pub fn run_job(
    vault: &Vault,
    clock: &dyn Clock,
    job: &str,
    backup_dir: &Path,
    settings: &Settings,
) -> Result<Counts, String> {
    match job {
        "journal-retention" => {
            let run = super::journal_retention::run(vault, settings, clock, "scheduler", false)
                .map_err(|e| super::error_line(&e))?
                .ok_or_else(|| super::journal_retention::NOT_DECLARED.to_string())?;
            let dropped = run.dropped.map_or(0, |d| d.entries);
            Ok(Counts::from([(
                "journal".to_string(),
                std::collections::BTreeMap::from([("entries_dropped".to_string(), dropped)]),
            )]))
        }
        "retention-purge" => {
            let run = super::purge::purge_now(vault, clock).map_err(|e| super::error_line(&e))?;
            let mut counts = purge_counts(&run.summary);
            for (category, p) in run.partitions {
                let rows: u64 = p.dropped.values().sum();
                if rows > 0 || !p.dropped.is_empty() {
                    let c = counts.entry(category).or_default();
                    c.insert("partitions_expired".into(), p.dropped.len() as u64);
                    c.insert("partition_rows_expired".into(), rows);
                }
            }
            Ok(counts)
        }
        "backup" => {
            habeas_engine::backup::create_backup(vault, backup_dir).map_err(|e| e.to_string())?;
            let (kept, deleted) =
                habeas_engine::backup::rotate_backups(backup_dir, &GfsPolicy::default())
                    .map_err(|e| e.to_string())?;
            let mut c = std::collections::BTreeMap::new();
            c.insert("created".to_string(), 1);
            c.insert("kept".to_string(), kept.len() as u64);
            c.insert("deleted".to_string(), deleted.len() as u64);
            Ok(Counts::from([("backups".to_string(), c)]))
        }
        other => Err(format!("unknown job `{other}`")),
    }
}

/// Journal one run: job, outcome, counts (never values); and expose it in
/// `/metrics` (runs by outcome, last run, last duration, items by kind).
fn journal(vault: &Vault, report: &RunReport) {
    let mut items = std::collections::BTreeMap::new();
    for per_category in report.counts.values() {
        for (item, n) in per_category {
            *items.entry(item.clone()).or_insert(0u64) += n;
        }
    }
    let took = (report.finished - report.started)
        .to_std()
        .unwrap_or_default()
        .as_secs_f64();
    habeas_web::metrics::record_job(
        &report.job,
        matches!(report.outcome, Outcome::Succeeded),
        report.finished.timestamp_millis() as f64 / 1000.0,
        took,
        &items,
    );
    let outcome = match &report.outcome {
        Outcome::Succeeded => "succeeded".to_string(),
        Outcome::Failed { error } => format!("failed: {error}"),
    };
    let counts = serde_json::to_string(&report.counts).unwrap_or_default();
    let text = format!(
        "job={} scheduled_for={} outcome={outcome} counts={counts}",
        report.job,
        report.scheduled_for.to_rfc3339()
    );
    if let Err(e) =
        vault.journal_admin(&Caller::operator("scheduler", "retention"), "job.run", text)
    {
        tracing::error!(job = %report.job, "cannot journal a scheduled run: {e}");
    }
    match &report.outcome {
        Outcome::Succeeded => tracing::info!(job = %report.job, "scheduled job done"),
        Outcome::Failed { error } => {
            tracing::error!(job = %report.job, "scheduled job failed: {error}")
        }
    }
}

/// Start the scheduler on the current tokio runtime; it runs until the
/// runtime stops.
pub fn spawn(vault: Arc<Vault>, plan: Plan) -> anyhow::Result<()> {
    let holder = format!(
        "{}:{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "habeas".into()),
        std::process::id()
    );
    let runner = JobRunner::new(&holder, plan.jobs, SystemClock.now())
        .map_err(|e| anyhow::anyhow!("scheduler: {e}"))?;
    let runner = Arc::new(Mutex::new(runner));
    let context = Arc::new((plan.backup_dir, plan.settings));
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(plan.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let vault = Arc::clone(&vault);
            let runner = Arc::clone(&runner);
            let context = Arc::clone(&context);
            let tick = tokio::task::spawn_blocking(move || {
                let _wipe = habeas_engine::WipeStackOnReturn;
                let clock = SystemClock;
                let Ok(mut runner) = runner.lock() else {
                    return;
                };
                let lease_vault = Arc::clone(&vault);
                let mut lease = |job: &str, holder: &str, ttl| {
                    habeas_engine::retention::try_lease(&lease_vault, job, holder, ttl, clock.now())
                        .unwrap_or_else(|e| {
                            tracing::error!(job, "cannot take the job lease: {e}");
                            false
                        })
                };
                let reports = runner.run_due(&clock, &mut lease, &mut |job| {
                    run_job(&vault, &clock, job, &context.0, &context.1)
                });
                for report in &reports {
                    journal(&vault, report);
                }
            });
            if let Err(e) = tick.await {
                tracing::error!("a scheduler tick panicked: {e}");
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use habeas_engine::project;

    /// A temporary copy of the demo provider with `extra` appended to habeas.toml.
    fn demo_project(extra: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hosting-provider");
        std::fs::create_dir_all(dir.path().join("declarations")).expect("mkdir");
        for entry in std::fs::read_dir(src.join("declarations")).expect("declarations") {
            let p = entry.expect("entry").path();
            let name = p.file_name().expect("name").to_owned();
            std::fs::copy(&p, dir.path().join("declarations").join(name)).expect("copy");
        }
        let toml = std::fs::read_to_string(src.join("habeas.toml")).expect("toml");
        let toml = toml.replace(
            "purge_at = \"03:00\"",
            &format!("purge_at = \"03:00\"\n{extra}"),
        );
        std::fs::write(dir.path().join("habeas.toml"), toml).expect("write toml");
        dir
    }

    #[test]
    fn the_plan_follows_the_scheduler_settings() {
        let dir = demo_project("backup_at = \"02:30\"\nbackup_dir = \"nightly\"");
        let settings = project::load_settings(dir.path()).expect("settings");
        let jobs = plan(dir.path(), &settings).expect("plan").expect("enabled");
        let names: Vec<&str> = jobs.jobs.iter().map(|j| j.name.as_str()).collect();
        // The demo declares a journal retention: it runs daily with the purge.
        assert_eq!(names, ["retention-purge", "journal-retention", "backup"]);
        assert_eq!(jobs.backup_dir, dir.path().join("nightly"));
        assert_eq!(jobs.tick, Duration::from_secs(60));
        // Without `[audit] retention`, no journal retention job.
        let toml = dir.path().join("habeas.toml");
        let text = std::fs::read_to_string(&toml).expect("toml");
        let without = text.split("[audit]").next().expect("before [audit]");
        std::fs::write(&toml, without).expect("write");
        let settings = project::load_settings(dir.path()).expect("settings");
        let jobs = plan(dir.path(), &settings).expect("plan").expect("enabled");
        let names: Vec<&str> = jobs.jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["retention-purge", "backup"]);
        let dir = demo_project("");
        let toml = dir.path().join("habeas.toml");
        let text = std::fs::read_to_string(&toml).expect("toml");
        std::fs::write(&toml, text.replace("enabled = true", "enabled = false")).expect("write");
        let settings = project::load_settings(dir.path()).expect("settings");
        assert!(plan(dir.path(), &settings).expect("plan").is_none());
    }

    #[test]
    fn scheduled_jobs_purge_and_back_up_with_counts_only() {
        let dir = demo_project("");
        let vault = project::open_project(dir.path()).expect("vault");
        let caller = Caller::operator("test", "administration");
        let subject = vault.create_subject(&caller, None).expect("subject");
        let input: habeas_engine::RecordInput = serde_json::from_value(serde_json::json!({
            "category": "prospect_contact",
            "fields": {"name": "Fictif", "email": "fictif.sched@example.org"},
            "collected_at": "2020-01-10T09:00:00Z",
            "events": {"last_interaction": "2020-01-10T09:00:00Z"}
        }))
        .expect("input");
        vault.write(&caller, &subject, input).expect("write");
        let counts = run_job(
            &vault,
            &SystemClock,
            "retention-purge",
            dir.path(),
            &Settings::defaults(),
        )
        .expect("purge");
        assert_eq!(counts["prospect_contact"]["delete"], 1, "{counts:?}");
        let text = serde_json::to_string(&counts).expect("json");
        assert!(
            !text.contains("fictif") && !text.contains(&subject),
            "{text}"
        );
        let backups = dir.path().join("backups");
        let counts = run_job(
            &vault,
            &SystemClock,
            "backup",
            &backups,
            &Settings::defaults(),
        )
        .expect("backup");
        assert_eq!(counts["backups"]["created"], 1);
        assert_eq!(counts["backups"]["kept"], 1);
        assert_eq!(std::fs::read_dir(&backups).expect("dir").count(), 1);
        assert!(
            run_job(
                &vault,
                &SystemClock,
                "reminders",
                &backups,
                &Settings::defaults()
            )
            .is_err()
        );
    }

    /// The daily journal retention drops what is older than declared, up to
    /// a signed checkpoint, and the rest still verifies; undeclared, the job
    /// refuses rather than guess a period.
    #[test]
    fn the_journal_retention_job_drops_old_entries_and_the_rest_verifies() {
        let dir = demo_project("");
        {
            let vault = project::open_project(dir.path()).expect("vault");
            let caller = Caller::operator("test", "administration");
            for _ in 0..3 {
                vault.create_subject(&caller, None).expect("subject");
            }
        } // closed: the last entries are signed
        let vault = project::open_project(dir.path()).expect("vault");
        let later =
            habeas_core::clock::ManualClock::new(SystemClock.now() + chrono::Duration::days(800));
        let none = Settings::defaults();
        assert!(run_job(&vault, &later, "journal-retention", dir.path(), &none).is_err());
        // The demo's: 12 months.
        let settings = project::load_settings(dir.path()).expect("settings");
        let counts =
            run_job(&vault, &later, "journal-retention", dir.path(), &settings).expect("job");
        assert_eq!(counts["journal"]["entries_dropped"], 3, "{counts:?}");
        match vault.verify_journal().expect("verify") {
            habeas_engine::Verdict::Intact { first, .. } => assert!(first > 1),
            broken => panic!("{broken:?}"),
        }
        // Today's clock: nothing that young goes.
        let counts = run_job(
            &vault,
            &SystemClock,
            "journal-retention",
            dir.path(),
            &settings,
        )
        .expect("job");
        assert_eq!(counts["journal"]["entries_dropped"], 0);
    }

    /// A scheduled run as the scheduler records it, then scraped from the
    /// server's `/metrics`: runs by outcome, last run, duration, items.
    #[test]
    fn a_scheduled_run_shows_in_the_metrics() {
        let dir = demo_project("");
        let vault = Arc::new(project::open_project(dir.path()).expect("vault"));
        let caller = Caller::operator("test", "administration");
        for i in 0..3 {
            let subject = vault.create_subject(&caller, None).expect("subject");
            let input: habeas_engine::RecordInput = serde_json::from_value(serde_json::json!({
                "category": "prospect_contact",
                "fields": {"name": "Fictif", "email": format!("fictif.metrics{i}@example.org")},
                "collected_at": "2020-01-10T09:00:00Z",
                "events": {"last_interaction": "2020-01-10T09:00:00Z"}
            }))
            .expect("input");
            vault.write(&caller, &subject, input).expect("write");
        }
        let started = SystemClock.now();
        let result = run_job(
            &vault,
            &SystemClock,
            "retention-purge",
            dir.path(),
            &Settings::defaults(),
        );
        let counts = result.expect("purge");
        journal(
            &vault,
            &RunReport {
                job: "retention-purge".into(),
                holder: "test".into(),
                scheduled_for: started,
                started,
                finished: SystemClock.now(),
                outcome: Outcome::Succeeded,
                counts,
            },
        );
        journal(
            &vault,
            &RunReport {
                job: "backup".into(),
                holder: "test".into(),
                scheduled_for: started,
                started,
                finished: SystemClock.now(),
                outcome: Outcome::Failed {
                    error: "disk full".into(),
                },
                counts: Counts::new(),
            },
        );

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let body = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(habeas_web::serve(listener, Arc::clone(&vault), async {
                let _ = stopped.await;
            }));
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream
                .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await
                .expect("send");
            let mut body = String::new();
            stream.read_to_string(&mut body).await.expect("read");
            let _ = stop.send(());
            let _ = server.await;
            body
        });
        assert!(body.starts_with("HTTP/1.1 200"), "{body}");
        for line in [
            "habeas_job_runs_total{job=\"retention-purge\",outcome=\"succeeded\"} 1",
            "habeas_job_runs_total{job=\"backup\",outcome=\"failed\"} 1",
            "habeas_job_items_total{job=\"retention-purge\",item=\"delete\"} 3",
        ] {
            assert!(
                body.lines().any(|l| l == line),
                "missing `{line}` in:\n{body}"
            );
        }
        let last = body
            .lines()
            .find_map(|l| {
                l.strip_prefix("habeas_job_last_run_timestamp_seconds{job=\"retention-purge\"} ")
            })
            .and_then(|v| v.parse::<f64>().ok())
            .expect("last run timestamp");
        assert!((last - started.timestamp() as f64).abs() < 600.0, "{last}");
        assert!(body.contains("habeas_job_last_duration_seconds{job=\"retention-purge\"} "));
        assert!(!body.contains("fictif"), "no personal data in metrics");
    }
}
