//! `habeas purge [--dry-run]`: retention enforced now (GDPR Art. 5(1)(e),
//! storage limitation; SPEC C5).
//!
//! The dry run lists, by category and record, what is due up to a horizon
//! and the date each item goes (holds checked at that date). The real purge
//! deletes or anonymises every record due now, one atomic vault commit per
//! page of [`PAGE`] due records, skips what a legal hold covers (and names the holds), expires
//! whole months of high-volume categories, and journals its counts per
//! category — never a value.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration};
use habeas_core::clock::{Clock, ManualClock, SystemClock};
use habeas_core::lang::Lang;
use habeas_engine::retention::{PartitionExpiry, VaultPurge, expire_partitions};
use habeas_engine::{Caller, Vault, project};
use habeas_retention::hold::{Hold, HoldFilter, HoldService};
use habeas_retention::plan::{PurgeSummary, dry_run, expiry_by_category};
use habeas_retention::purge::run_purge;
use habeas_retention::report::render;

use super::Global;
use super::register::LangArg;

/// Due records per page: the page is listed, judged and prepared while the
/// previous one commits, in steps of at most 100 records (data, index
/// clean-up, journal counts; `habeas_engine::retention`).
pub const PAGE: usize = 1_000;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// List what would go and when, by category, without changing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: also list what becomes due up to this many days ahead.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub days: u32,
    /// Judge as of this instant instead of the system clock (RFC 3339,
    /// e.g. 2027-06-01T00:00:00Z): "what goes on that date".
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Language of the report.
    #[arg(long, value_enum, default_value_t = LangArg::Fr)]
    pub lang: LangArg,
    /// Print the summary as JSON instead of the report.
    #[arg(long)]
    pub json: bool,
    /// Due records per commit (tests and benchmarks; the default suits production).
    #[arg(long, default_value_t = PAGE as u32, hide = true, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub page: u32,
}

/// The clock for `--now` (or the system clock).
pub fn clock_for(now: Option<&str>) -> anyhow::Result<Arc<dyn Clock>> {
    Ok(match now {
        None => Arc::new(SystemClock),
        Some(text) => {
            let at = DateTime::parse_from_rfc3339(text)
                .with_context(|| {
                    format!(
                        "--now `{text}` : date RFC 3339 attendue / an RFC 3339 date is expected, e.g. 2027-06-01T00:00:00Z"
                    )
                })?
                .to_utc();
            Arc::new(ManualClock::new(at))
        }
    })
}

/// The retention job's caller, as journaled.
pub fn purge_caller() -> Caller {
    Caller::operator("retention", "retention")
}

/// Every hold, active or not (the planner checks each at the date that matters).
/// A hold that cannot be read stops the purge: it fails closed.
pub fn all_holds(vault: &Vault, clock: &dyn Clock) -> anyhow::Result<Vec<Hold>> {
    let docs = vault.docs(purge_caller());
    HoldService::new(&docs, clock)
        .list(HoldFilter::All)
        .context("les gels ne se lisent pas : la purge ne s'exécute pas / legal holds cannot be read: the purge does not run")
}

/// What one purge run did: records by category, then partitions.
pub struct PurgeRun {
    pub summary: PurgeSummary,
    pub partitions: BTreeMap<String, PartitionExpiry>,
}

/// Purge everything due at the clock's time, expire partitions, journal the counts.
pub fn purge_now(vault: &Vault, clock: &dyn Clock) -> anyhow::Result<PurgeRun> {
    purge_paged(vault, clock, PAGE)
}

/// [`purge_now`] with `page` due records per commit.
pub fn purge_paged(vault: &Vault, clock: &dyn Clock, page: usize) -> anyhow::Result<PurgeRun> {
    let now = clock.now();
    let holds = all_holds(vault, clock)?;
    let expiry = expiry_by_category(vault.declarations());
    let target = VaultPurge::new(vault, purge_caller());
    let summary = run_purge(&target, now, &expiry, &holds, page)?;
    let partitions = expire_partitions(vault, &purge_caller(), &holds, now)?;
    habeas_engine::retention::flush_remnants(vault)?;
    let counts = habeas_retention::runner::purge_counts(&summary);
    vault.journal_admin(
        &purge_caller(),
        "retention.purge",
        format!(
            "removed={} counts={}",
            summary.removed(),
            serde_json::to_string(&counts)?
        ),
    )?;
    Ok(PurgeRun {
        summary,
        partitions,
    })
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let lang: Lang = args.lang.into();
    let clock = clock_for(args.now.as_deref())?;
    let vault = project::open_project_with_clock(&global.dir, clock.clone())?;
    let now = clock.now();
    if args.dry_run {
        let holds = all_holds(&vault, &*clock)?;
        let expiry = expiry_by_category(vault.declarations());
        let horizon = now + Duration::days(i64::from(args.days));
        let items = VaultPurge::new(&vault, purge_caller()).due_by(horizon, PAGE)?;
        let (decisions, summary) = dry_run(now, &expiry, &holds, &items);
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "summary": summary,
                    "decisions": decisions,
                }))?
            );
        } else {
            print!("{}", render(&summary, &decisions, lang));
            println!(
                "{}",
                lang.pick(
                    &format!(
                        "(simulation : rien n'a été modifié ; horizon {} jours)",
                        args.days
                    ),
                    &format!("(dry run: nothing was changed; horizon {} days)", args.days),
                )
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let run = purge_paged(&vault, &*clock, args.page as usize)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "summary": run.summary,
                "partitions": run.partitions,
            }))?
        );
    } else {
        print!("{}", render(&run.summary, &[], lang));
        for (category, p) in &run.partitions {
            for (month, rows) in &p.dropped {
                println!(
                    "{}",
                    lang.pick(
                        &format!("partition {category}/{month} expirée : {rows} lignes"),
                        &format!("partition {category}/{month} expired: {rows} rows"),
                    )
                );
            }
            if let Some(why) = &p.skipped {
                println!(
                    "{}",
                    lang.pick(
                        &format!("partitions {category} non expirées : {why}"),
                        &format!("partitions of {category} not expired: {why}"),
                    )
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
