//! `habeas bench rights`: the data-subject rights figures of issue 4
//! ("Speed") on a vault at scale. Build with `--release`.
//!
//! Why a separate vault and the real calls: the goals are for one subject
//! holding 10,000 records across 10 categories *among 1,000,000 subjects*,
//! so the index and table sizes matter; and the timed steps are the ones
//! `habeas requests export` / `habeas requests erase` run — the rights
//! service (identity verified, request loaded), `vault_bridge::holdings`
//! (vault read, journaled; consents; access log) and the export renderers;
//! for erasures `vault_bridge::held_categories` (metadata, nothing
//! decrypted), `erasure_plan_of` and `vault_bridge::execute_erasure` — or,
//! for the batch, one `vault_bridge::execute_erasures` over every plan
//! (crypto-shredding, high-volume partitions included).
//!
//! The population (`--subjects`, one `support` record each) is built with
//! the engine's pipelined bulk path and kept when `--vault-dir` is given, so a
//! second run reuses it; the subjects that erasures consume are created
//! afresh on every run (an erasure cannot be repeated on the same subject).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use habeas_core::clock::{Clock, SystemClock};
use habeas_core::lang::Lang;
use habeas_core::rights::{IdentityProof, RequestKind, VerificationMethod};
use habeas_engine::{BulkLine, Caller, Vault, project, synthetic};
use habeas_rights::erasure::{ErasurePlan, ErasureRequest};
use habeas_rights::export::json::access_json;
use habeas_rights::export::{access_csv_zip, access_html};
use habeas_rights::service::{NewRequest, RequestChannel, RequestService, ServiceConfig};
use habeas_rights::vault_bridge;
use serde::{Deserialize, Serialize};

use super::Global;

/// The heavy subject's categories (the demo provider's): four are kept on
/// erasure under a legal obligation (identity, contact, billing,
/// connection_logs: Art. 17(3)(b)), six are shredded, two of them
/// high-volume (security_logs, navigation) and one kept high-volume.
const CATEGORIES: [&str; 10] = [
    "identity",
    "contact",
    "billing",
    "support",
    "security_logs",
    "connection_logs",
    "marketing",
    "mail_lists",
    "shared_files",
    "navigation",
];

/// Categories of each subject of the erasure batch: nothing under a legal
/// obligation, so the whole subject is shredded; one high-volume category.
const BATCH_CATEGORIES: [&str; 3] = ["support", "marketing", "navigation"];

/// The file in `--vault-dir` that says what the population holds.
const STATE_FILE: &str = "bench-rights.json";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Subjects in the vault (one `support` record each), besides the heavy ones.
    #[arg(long, default_value_t = 1_000_000)]
    pub subjects: u64,
    /// Records of the heavy subject, spread over 10 categories.
    #[arg(long, default_value_t = 10_000)]
    pub records: u64,
    /// Timed runs of each export format.
    #[arg(long, default_value_t = 7)]
    pub runs: usize,
    /// Heavy subjects erased one by one (each a timed run).
    #[arg(long, default_value_t = 5)]
    pub erasures: usize,
    /// Subjects erased in the batch (0 skips it).
    #[arg(long, default_value_t = 1000)]
    pub batch: u64,
    /// Build the vault here and keep it; reuse it when it already holds one.
    #[arg(long = "vault-dir", value_name = "DIR")]
    pub vault_dir: Option<PathBuf>,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What a kept `--vault-dir` holds.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    subjects: u64,
    records: u64,
    heavy: String,
}

/// One timed operation.
#[derive(Debug, Serialize)]
struct Timing {
    name: String,
    runs: usize,
    median_ms: f64,
    p95_ms: f64,
    min_ms: f64,
    max_ms: f64,
    /// Of which: `vault_bridge::holdings` (exports: read, journal, consents,
    /// access log) or `vault_bridge::held_categories` (erasures: metadata).
    holdings_median_ms: Option<f64>,
    goal_ms: Option<f64>,
    detail: String,
}

#[derive(Debug, Serialize)]
struct Report {
    subjects: u64,
    heavy_records: u64,
    build_seconds: Option<f64>,
    timings: Vec<Timing>,
}

pub fn run(_global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    ensure!(args.runs > 0, "--runs must be at least 1");
    ensure!(
        args.records >= CATEGORIES.len() as u64,
        "--records must be at least {} (one per category)",
        CATEGORIES.len()
    );
    let report = match &args.vault_dir {
        Some(dir) => bench(dir, &args)?,
        None => bench(super::bench::temp_project("rights")?.path(), &args)?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn bench(dir: &Path, args: &Args) -> anyhow::Result<Report> {
    let state_path = dir.join(STATE_FILE);
    let state: Option<State> = match std::fs::read(&state_path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a benchmark state file; give an empty --vault-dir",
                state_path.display()
            )
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).context(format!("reading {}", state_path.display())),
    };
    if state.is_none() {
        // Never write demo declarations over someone's project.
        let occupied = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
        if occupied {
            bail!(
                "{} is not empty and holds no {STATE_FILE}: give a new or empty --vault-dir",
                dir.display()
            );
        }
        std::fs::create_dir_all(dir.join("declarations"))?;
        for (name, text) in super::demo::DEMO_FILES {
            std::fs::write(dir.join(name), text)?;
        }
    }
    let vault = Arc::new(project::open_project(dir)?);
    let op = Caller::operator("bench", "administration");
    let (state, build_seconds) = match state {
        Some(s) => {
            ensure!(
                s.subjects == args.subjects && s.records == args.records,
                "{} holds {} subjects and a heavy subject of {} records; run with those sizes or give an empty --vault-dir",
                dir.display(),
                s.subjects,
                s.records
            );
            eprintln!("reusing {} ({} subjects)", dir.display(), s.subjects);
            (s, None)
        }
        None => {
            let t = Instant::now();
            populate(&vault, &op, args.subjects)?;
            let heavy = heavy_subject(&vault, &op, args.records)?;
            let s = State {
                subjects: args.subjects,
                records: args.records,
                heavy,
            };
            std::fs::write(&state_path, serde_json::to_vec(&s)?)?;
            (s, Some(t.elapsed().as_secs_f64()))
        }
    };

    let clock = SystemClock;
    let caller = vault_bridge::rights_caller("bench");
    let config = ServiceConfig::new(vault_bridge::code_key(&vault, &caller)?);
    let service = RequestService::new(&*vault, &clock, vault.declarations(), config);
    let mut timings = Vec::new();

    // 1. Access exports of the heavy subject, as `habeas requests export`.
    let id = verified_request(&service, RequestKind::Access, &state.heavy)?;
    type Render = fn(&habeas_rights::export::AccessExport) -> anyhow::Result<Vec<u8>>;
    let formats: [(&str, Render, Option<f64>); 3] = [
        ("access export JSON", |e| Ok(access_json(e)?), Some(200.0)),
        (
            "access export CSV zip",
            |e| Ok(access_csv_zip(e)?),
            Some(300.0),
        ),
        (
            "access export HTML",
            |e| Ok(access_html(e).into_bytes()),
            None,
        ),
    ];
    for (name, render, goal) in formats {
        let mut total = Vec::new();
        let mut held_t = Vec::new();
        let mut size = 0;
        for _ in 0..args.runs {
            let t = Instant::now();
            let held = vault_bridge::holdings(&vault, &caller, &*vault, &clock, &state.heavy)?;
            held_t.push(t.elapsed());
            let export = service.access_export(&id, &held, Lang::Fr)?;
            let bytes = render(&export)?;
            total.push(t.elapsed());
            ensure!(
                held.records.len() as u64 == args.records,
                "the export read {} records, expected {}",
                held.records.len(),
                args.records
            );
            size = bytes.len();
        }
        timings.push(timing(
            name,
            &mut total,
            Some(&mut held_t),
            goal,
            format!("{} KiB", size / 1024),
        ));
    }

    // 2. Erasure of heavy subjects, one at a time, as `habeas requests erase`.
    if args.erasures > 0 {
        let mut total = Vec::new();
        let mut phases = Phases::default();
        let mut detail = String::new();
        for _ in 0..args.erasures {
            let subject = heavy_subject(&vault, &op, args.records)?;
            let id = verified_request(&service, RequestKind::Erasure, &subject)?;
            let t = Instant::now();
            let outcome = erase(
                &vault,
                &service,
                &caller,
                &clock,
                &id,
                &subject,
                &mut phases,
            )?;
            total.push(t.elapsed());
            ensure!(
                outcome.erased.len() == 6 && outcome.kept.len() == 4,
                "the erasure erased {:?} and kept {:?}; the demo declarations changed",
                outcome.erased,
                outcome.kept
            );
            for category in &outcome.erased {
                ensure!(
                    vault
                        .read(&caller, &subject, Some(category))
                        .map_or(true, |v| v.records.is_empty()),
                    "a record of the erased category `{category}` is still readable"
                );
            }
            detail = format!(
                "{} records; erased {} categories ({} keys destroyed), kept {} under Art. 17(3)(b)",
                args.records,
                outcome.erased.len(),
                outcome.data_keys_destroyed,
                outcome.kept.len()
            );
        }
        timings.push(timing(
            "erasure of the heavy subject (held categories + plan + crypto-shred)",
            &mut total,
            Some(&mut phases.holdings.clone()),
            Some(100.0),
            format!("{detail}; {}", phases.describe()),
        ));
    }

    // 3. A batch of erasures: subjects whose account-closure grace ended.
    if args.batch > 0 {
        let subjects = batch_subjects(&vault, &op, args.batch)?;
        let mut ids = Vec::with_capacity(subjects.len());
        for s in &subjects {
            ids.push(verified_request(&service, RequestKind::Erasure, s)?);
        }
        let mut phases = Phases::default();
        let mut each = Vec::with_capacity(subjects.len());
        let t = Instant::now();
        let mut plans = Vec::with_capacity(subjects.len());
        for (id, subject) in ids.iter().zip(&subjects) {
            let one = Instant::now();
            plans.push(plan(&vault, &service, &caller, id, subject, &mut phases)?);
            each.push(one.elapsed());
        }
        // One batch: one key-store transaction, one vault unit, one ledger
        // transaction for all of them (`vault_bridge::execute_erasures`).
        let one = Instant::now();
        let outcomes = vault_bridge::execute_erasures(&vault, &caller, &plans, clock.now())?;
        phases.execute.push(one.elapsed());
        for outcome in &outcomes {
            ensure!(
                outcome.kept.is_empty() && outcome.erased.len() == BATCH_CATEGORIES.len(),
                "a batch erasure kept {:?}",
                outcome.kept
            );
        }
        let mut whole = vec![t.elapsed()];
        for s in subjects.iter().step_by(97) {
            ensure!(
                vault
                    .read(&caller, s, None)
                    .map_or(true, |v| v.records.is_empty()),
                "an erased subject is still readable"
            );
        }
        let per = summary(&mut each);
        timings.push(timing(
            &format!("{} erasures in a batch", args.batch),
            &mut whole,
            None,
            Some(10_000.0),
            format!(
                "{} records each (1 high-volume); planning per subject median {:.2} ms, p95 {:.2} ms; one batched execute; {}",
                BATCH_CATEGORIES.len(),
                per.0,
                per.1,
                phases.describe()
            ),
        ));
    }
    drop(service);
    drop(vault);
    Ok(Report {
        subjects: state.subjects,
        heavy_records: state.records,
        build_seconds,
        timings,
    })
}

/// What `habeas requests erase` does once the request is verified.
fn erase(
    vault: &Vault,
    service: &RequestService<'_>,
    caller: &Caller,
    clock: &SystemClock,
    id: &str,
    subject: &str,
    phases: &mut Phases,
) -> anyhow::Result<vault_bridge::ErasureOutcome> {
    let plan = plan(vault, service, caller, id, subject, phases)?;
    let t = Instant::now();
    let outcome = vault_bridge::execute_erasure(vault, caller, &plan, clock.now())?;
    phases.execute.push(t.elapsed());
    Ok(outcome)
}

/// The plan `habeas requests erase` makes: the categories held (metadata,
/// nothing decrypted), then the Art. 17(3) grounds.
fn plan(
    vault: &Vault,
    service: &RequestService<'_>,
    caller: &Caller,
    id: &str,
    subject: &str,
    phases: &mut Phases,
) -> anyhow::Result<ErasurePlan> {
    let t = Instant::now();
    let held = vault_bridge::held_categories(vault, caller, subject)?;
    phases.holdings.push(t.elapsed());
    let t = Instant::now();
    let v = service.get(id)?;
    let plan = service.erasure_plan_of(
        id,
        subject,
        &held,
        &ErasureRequest {
            requested_at: v.received_at,
            account_closure: false,
            dates: Default::default(),
            legal_holds: Vec::new(),
        },
    )?;
    phases.plan.push(t.elapsed());
    Ok(plan)
}

/// Where an erasure's time goes.
#[derive(Default)]
struct Phases {
    /// `vault_bridge::held_categories`: the journaled metadata query.
    holdings: Vec<Duration>,
    /// Loading the request and planning (Art. 17(3) grounds).
    plan: Vec<Duration>,
    /// `vault_bridge::execute_erasure`: keys destroyed, rows deleted, tombstones.
    execute: Vec<Duration>,
}

impl Phases {
    fn describe(&mut self) -> String {
        format!(
            "medians: holdings {:.2} ms, plan {:.2} ms, execute {:.2} ms",
            summary(&mut self.holdings).0,
            summary(&mut self.plan).0,
            summary(&mut self.execute).0
        )
    }
}

/// A request of `kind` for `subject`, received, acknowledged and with the
/// identity verified (the subject was signed in), ready to be answered.
pub(crate) fn verified_request(
    service: &RequestService<'_>,
    kind: RequestKind,
    subject: &str,
) -> anyhow::Result<String> {
    let v = service.create(NewRequest {
        kind,
        channel: RequestChannel::Portal,
        subject: Some(subject.to_string()),
        contact_ref: "vault:contact.email".into(),
    })?;
    let v = service.acknowledge(&v.id, v.version)?;
    let proof = IdentityProof {
        method: VerificationMethod::Session,
        verified_by: "bench".into(),
        reason: None,
    };
    let v = service.record_identity_proof(&v.id, v.version, proof, SystemClock.now())?;
    Ok(v.id)
}

/// `n` subjects with one `support` record each, through the pipelined bulk
/// path (batch N+1 sealed while batch N commits).
fn populate(vault: &Vault, op: &Caller, n: u64) -> anyhow::Result<()> {
    let t = Instant::now();
    super::bench::write_pipelined(
        vault,
        op,
        n,
        super::bench::synthetic_records(vault, "support", "p", 1),
        |_| Ok(()),
        |i| {
            if i.is_multiple_of(100_000) {
                eprintln!(
                    "  {i} subjects ({:.0}/s)",
                    i as f64 / t.elapsed().as_secs_f64()
                );
            }
        },
    )
}

/// A subject holding `records` records spread evenly over [`CATEGORIES`].
fn heavy_subject(vault: &Vault, op: &Caller, records: u64) -> anyhow::Result<String> {
    let subject = vault.create_subject(op, None)?;
    let mut i = 0u64;
    while i < records {
        let end = (i + 5_000).min(records);
        let mut lines = Vec::with_capacity((end - i) as usize);
        for k in i..end {
            let category = CATEGORIES[(k % CATEGORIES.len() as u64) as usize];
            let mut input = synthetic::record(vault.declarations(), category, k)
                .with_context(|| format!("the demo declarations lack `{category}`"))?;
            input.subject = Some(subject.clone());
            lines.push(BulkLine { line: k + 1, input });
        }
        vault.write_bulk(op, lines)?;
        i = end;
    }
    Ok(subject)
}

/// `n` subjects with one record in each of [`BATCH_CATEGORIES`].
fn batch_subjects(vault: &Vault, op: &Caller, n: u64) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::with_capacity(n as usize);
    let mut i = 0u64;
    while i < n {
        let end = (i + 1_000).min(n);
        let mut lines = Vec::new();
        for k in i..end {
            for category in BATCH_CATEGORIES {
                let mut input = synthetic::record(vault.declarations(), category, k)
                    .with_context(|| format!("the demo declarations lack `{category}`"))?;
                input.subject_ref = Some(format!("b{k}"));
                lines.push(BulkLine {
                    line: lines.len() as u64 + 1,
                    input,
                });
            }
        }
        let receipt = vault.write_bulk(op, lines)?;
        for k in i..end {
            out.push(
                receipt
                    .created_subjects
                    .get(&format!("b{k}"))
                    .cloned()
                    .context("a batch subject was not created")?,
            );
        }
        i = end;
    }
    Ok(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median and p95 (nearest rank) in milliseconds.
/// Median and p95 in milliseconds (nearest rank, [`super::bench::quantile`]).
fn summary(lat: &mut [Duration]) -> (f64, f64) {
    lat.sort();
    (
        ms(super::bench::quantile(lat, 0.5)),
        ms(super::bench::quantile(lat, 0.95)),
    )
}

fn timing(
    name: &str,
    total: &mut [Duration],
    held: Option<&mut Vec<Duration>>,
    goal_ms: Option<f64>,
    detail: String,
) -> Timing {
    let (median_ms, p95_ms) = summary(total);
    Timing {
        name: name.to_string(),
        runs: total.len(),
        median_ms,
        p95_ms,
        min_ms: ms(total[0]),
        max_ms: ms(total[total.len() - 1]),
        holdings_median_ms: held.map(|h| summary(h).0),
        goal_ms,
        detail,
    }
}

fn print_table(r: &Report) {
    println!(
        "# habeas bench rights — {} subjects, heavy subject of {} records in {} categories",
        r.subjects,
        r.heavy_records,
        CATEGORIES.len()
    );
    if let Some(s) = r.build_seconds {
        println!("vault built in {s:.1} s");
    }
    println!(
        "| operation | runs | median ms | p95 ms | of which holdings ms | goal ms | met | detail |"
    );
    println!("|---|---:|---:|---:|---:|---:|:---:|---|");
    for t in &r.timings {
        let goal = t.goal_ms.map_or("—".into(), |g| format!("{g:.0}"));
        let met = match t.goal_ms {
            Some(g) if t.median_ms <= g => "yes",
            Some(_) => "no",
            None => "—",
        };
        let held = t
            .holdings_median_ms
            .map_or("—".into(), |h| format!("{h:.1}"));
        println!(
            "| {} | {} | {:.1} | {:.1} | {held} | {goal} | {met} | {} |",
            t.name, t.runs, t.median_ms, t.p95_ms, t.detail
        );
    }
}
