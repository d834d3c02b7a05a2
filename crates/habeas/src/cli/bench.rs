//! `habeas bench vault`: the vault's speed figures (issue 3, "Speed"),
//! each next to a same-run baseline. Runs in a temporary project holding
//! the demo provider's declarations; build with `--release`.
//!
//! Measured: bulk ingest (sealed, blind-indexed, journaled) against plain
//! unencrypted inserts of the same rows into the same kind of database with
//! the same driver and settings; find-by-identifier in process (each
//! lookup journaled durably); reading a subject holding 10,000 records;
//! and, with `wrk` installed, HTTP single-record writes and audited reads
//! with 32 connections, and (for the default `contact` records) journaled
//! finds by e-mail with one, then 32; last the mixed profile of
//! RELIABILITY.md T19 (70 % audited reads, 20 % writes, 5 % access exports,
//! 5 % token checks) with 32. `--category connection_logs
//! --per-subject 100` ingests the bulk kind of records the vault partitions
//! by time instead.
//!
//! `--storage postgres://…` runs the same on PostgreSQL: the vault in a
//! fresh schema `habeas_bench_<pid>` (key store `habeas_bench_<pid>_keys`),
//! the baseline in a table of that schema through the same `postgres`
//! driver (one multi-row `INSERT … SELECT unnest(…)` per batch of 5,000 in
//! one transaction, as the store writes records); the schemas are dropped
//! at the end.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use habeas_engine::{BulkLine, Caller, Vault, project, synthetic};

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Benchmark the vault.
    Vault(VaultArgs),
    /// Benchmark data-subject rights at scale (exports, erasures).
    Rights(super::bench_rights::Args),
    /// A staff sign-in flood on loopback while a legitimate user signs in.
    Login(super::bench_login::Args),
    /// Benchmark retention: paged purge, partition expiry, backup, restore.
    Purge(super::bench_purge::Args),
    /// Benchmark backup, verify and restore of a large SQLite vault.
    Backup(super::bench_backup::Args),
}

#[derive(Debug, clap::Args)]
pub struct VaultArgs {
    /// Records to bulk-ingest.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,
    /// Records per subject in the bulk ingest (one data key per subject).
    #[arg(long, default_value_t = 1)]
    pub per_subject: u64,
    /// Declared category of the ingested records (the demo provider's).
    #[arg(long, default_value = "contact")]
    pub category: String,
    /// Find-by-identifier lookups to time.
    #[arg(long, default_value_t = 10_000)]
    pub finds: u64,
    /// Seconds per HTTP run (0 skips the HTTP runs).
    #[arg(long, default_value_t = 10)]
    pub http_seconds: u64,
    /// Earlier rights requests the provider holds before the HTTP runs (access
    /// requests of other subjects of the sample): what a subject's list of
    /// requests, read by each access export, must not grow with.
    #[arg(long, default_value_t = 0)]
    pub history: usize,
    /// Keep the temporary project here instead of deleting it.
    #[arg(long)]
    pub keep: Option<std::path::PathBuf>,
    /// Benchmark on this PostgreSQL server (`postgres://user@host/db`)
    /// instead of the embedded SQLite files.
    #[arg(long)]
    pub storage: Option<String>,
}

pub fn run(_global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let args = match args.command {
        BenchCommand::Vault(args) => args,
        BenchCommand::Rights(args) => return super::bench_rights::run(_global, args),
        BenchCommand::Login(args) => return super::bench_login::run(args),
        BenchCommand::Purge(args) => return super::bench_purge::run(args),
        BenchCommand::Backup(args) => return super::bench_backup::run(args),
    };
    anyhow::ensure!(args.records > 0, "--records must be at least 1");
    // Subjects are referenced within one batch only (`per_subject` divides
    // the batch), so each batch gets a fresh reference map: memory stays flat.
    anyhow::ensure!(
        args.per_subject > 0 && BATCH.is_multiple_of(args.per_subject),
        "--per-subject {} must divide {BATCH}, the records of one import batch (1, 10, 100…)",
        args.per_subject
    );
    match &args.keep {
        Some(dir) => vault(dir, &args),
        None => vault(temp_project("vault")?.path(), &args),
    }
}

/// `habeas bench vault` in the project directory `dir`.
fn vault(dir: &Path, args: &VaultArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir.join("declarations"))?;
    for (name, text) in super::demo::DEMO_FILES {
        std::fs::write(dir.join(name), text)?;
    }
    let pg = match &args.storage {
        Some(url) => {
            let mut pg = PgBench::create(dir, url, "habeas_bench_")?;
            // A kept project is opened again later: its data must still be there.
            pg.keep = args.keep.is_some();
            Some(pg)
        }
        None => None,
    };
    let (vault, settings) = project::open_project_and_settings(dir)?;
    let vault = Arc::new(vault);
    let category = args.category.as_str();
    let decls = vault.declarations();
    anyhow::ensure!(
        decls.category(category).is_some(),
        "--category {category}: the demo provider, which the bench writes into, declares no \
         such category; declared: {}",
        decls
            .categories
            .keys()
            .map(|k| k.get_ref().as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let op = Caller::operator("bench", "administration");
    println!(
        "# habeas bench vault — {} records of {category}, {} per subject, on {}",
        args.records,
        args.per_subject,
        if pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );

    // 1. Bulk ingest.
    let started = Instant::now();
    let mut sample: Vec<String> = Vec::new();
    let mut subjects = 0u64;
    let mut plain_bytes = 0u64;
    let mut record = synthetic_records(&vault, category, "s", args.per_subject);
    write_pipelined(
        &vault,
        &op,
        args.records,
        |i| {
            let input = record(i)?;
            plain_bytes += serde_json::to_vec(&input.fields)?.len() as u64;
            Ok(input)
        },
        |receipt| {
            subjects += receipt.created_subjects.len() as u64;
            if sample.len() < 1000 {
                sample.extend(
                    receipt
                        .created_subjects
                        .into_values()
                        .take(1000 - sample.len()),
                );
            }
            Ok(())
        },
        |_| {},
    )?;
    drop(record);
    let ingest = started.elapsed();
    let rate = args.records as f64 / ingest.as_secs_f64();
    let peak = peak_rss_mib();
    let baseline = match &pg {
        Some(pg) => pg.plain_inserts(vault.declarations(), category, args.records)?,
        None => plain_inserts(
            &dir.join("baseline.db"),
            vault.declarations(),
            category,
            args.records,
        )?,
    };
    let base_rate = args.records as f64 / baseline.as_secs_f64();
    println!(
        "bulk ingest: {:.0} records/s ({:.1} s, avg {} B plaintext/record); plain-insert baseline {:.0} rows/s ({:.1} s); ratio {:.2}; peak RSS {peak} MiB",
        rate,
        ingest.as_secs_f64(),
        plain_bytes / args.records.max(1),
        base_rate,
        baseline.as_secs_f64(),
        rate / base_rate
    );

    // 2. Find by identifier, in process, each lookup journaled durably (the
    // synthetic contacts' e-mail addresses: other categories have none).
    let finds = if category == "contact" { args.finds } else { 0 };
    let purpose = "PA-0001";
    let finder = Caller::operator("bench", purpose);
    let mut lat = Vec::with_capacity(finds as usize);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..finds {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let i = seed % subjects.max(1);
        let t = Instant::now();
        let found = vault.find(&finder, "email", &format!("demo.{i}@example.org"))?;
        lat.push(t.elapsed());
        anyhow::ensure!(found.len() == 1, "find returned {} subjects", found.len());
    }
    if finds > 0 {
        println!(
            "find by e-mail ({subjects} subjects): {}",
            summary(&mut lat)
        );
    }

    // 3. Read all records of a subject holding 10,000 records.
    let heavy = vault.create_subject(&op, None)?;
    let mut lines = Vec::new();
    for i in 0..10_000u64 {
        let mut input =
            synthetic::record(vault.declarations(), "support", i).context("no support category")?;
        input.subject = Some(heavy.clone());
        lines.push(BulkLine { line: i + 1, input });
    }
    vault.write_bulk(&op, lines)?;
    let reader = Caller::operator("bench", "PA-0006");
    let (mut lat, mut with_body) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let t = Instant::now();
        let view = vault.read(&reader, &heavy, Some("support"))?;
        lat.push(t.elapsed());
        // What an HTTP answer adds: the records written out as JSON.
        let body = serde_json::to_vec(&view)?;
        with_body.push(t.elapsed());
        anyhow::ensure!(
            view.records.len() == 10_000 && body.len() > 10_000,
            "read {} records",
            view.records.len()
        );
    }
    println!("read a subject's 10,000 records: {}", summary(&mut lat));
    println!(
        "read a subject's 10,000 records and write them as JSON: {}",
        summary(&mut with_body)
    );

    // 4. HTTP with wrk.
    if args.http_seconds > 0 {
        let emails = (category == "contact").then_some(subjects);
        http_runs(dir, &settings, &vault, &sample, emails, args)?;
    }
    drop(vault);
    drop(pg);
    Ok(ExitCode::SUCCESS)
}

/// Records per batch of the benchmarks' bulk writes: `habeas import`'s, so
/// that the benchmarks measure the import path as shipped.
pub(crate) const BATCH: u64 = super::import::BATCH as u64;

/// Bulk-write `count` records through the vault's pipelined path (the
/// `habeas import` path: validated, sealed, blind-indexed, journaled):
/// batch N+1 is prepared while batch N is written, one batch in flight, so
/// one core seals while the store's writer inserts; consecutive batches
/// share a transaction as in `habeas import`
/// ([`super::import::BATCHES_PER_TRANSACTION`]).
///
/// `record(i)` makes the `i`-th record (0-based). `subject_ref`s resolve
/// within their batch only (a fresh reference map per batch keeps memory
/// flat at any size), so a subject's records must sit in one batch of
/// [`BATCH`]. `settled` receives each batch's receipt once it is durable, in
/// order; `submitted(n)` is called once the batch ending at record `n` is
/// queued (progress reports).
pub(crate) fn write_pipelined(
    vault: &Vault,
    op: &Caller,
    count: u64,
    mut record: impl FnMut(u64) -> anyhow::Result<habeas_engine::RecordInput>,
    mut settled: impl FnMut(habeas_engine::BulkReceipt) -> anyhow::Result<()>,
    mut submitted: impl FnMut(u64),
) -> anyhow::Result<()> {
    let mut chain = habeas_engine::BulkChain::new(super::import::BATCHES_PER_TRANSACTION);
    let mut n = 0u64;
    while n < count {
        let end = (n + BATCH).min(count);
        let mut lines = Vec::with_capacity((end - n) as usize);
        for i in n..end {
            lines.push(BulkLine {
                line: i + 1,
                input: record(i)?,
            });
        }
        let done = chain.submit(
            vault,
            op,
            lines,
            &mut habeas_engine::SubjectRefs::new(),
            end == count,
        )?;
        for receipt in done {
            settled(receipt)?;
        }
        n = end;
        submitted(n);
    }
    for receipt in chain.finish()? {
        settled(receipt)?;
    }
    Ok(())
}

/// Synthetic records of `category` for [`write_pipelined`]: the `i`-th one
/// belongs to the subject `prefix` + `i / per_subject` (so `per_subject`
/// must divide [`BATCH`]). A subject's records share its identifiers (its
/// connection logs carry its one account id), the other fields vary.
pub(crate) fn synthetic_records<'a>(
    vault: &'a Vault,
    category: &'a str,
    prefix: &'a str,
    per_subject: u64,
) -> impl FnMut(u64) -> anyhow::Result<habeas_engine::RecordInput> + 'a {
    let decls = vault.declarations();
    let identifiers: Vec<(String, habeas_core::declarations::FieldType)> = decls
        .category(category)
        .map(|c| {
            c.identifiers
                .iter()
                .filter_map(|name| Some((name.get_ref().clone(), c.field(name.get_ref())?)))
                .collect()
        })
        .unwrap_or_default();
    move |i| {
        let mut input = synthetic::record(decls, category, i)
            .with_context(|| format!("the demo declarations lack the {category} category"))?;
        let subject = i / per_subject;
        for (name, kind) in &identifiers {
            input
                .fields
                .insert(name.clone(), synthetic::value(*kind, name, subject));
        }
        input.subject_ref = Some(format!("{prefix}{subject}"));
        Ok(input)
    }
}

/// The PostgreSQL side of a bench run (`--storage`): the schemas it made
/// and the server; the schemas are dropped when it is, unless kept.
pub(crate) struct PgBench {
    config: postgres::Config,
    schema: String,
    /// `--keep`: the kept project points at these schemas, so they stay.
    keep: bool,
}

impl PgBench {
    /// Point the bench project in `dir` at `url`, in a fresh schema named
    /// `prefix` + this process's id.
    pub(crate) fn create(dir: &Path, url: &str, prefix: &str) -> anyhow::Result<PgBench> {
        anyhow::ensure!(
            url.starts_with("postgres://") || url.starts_with("postgresql://"),
            "--storage expects postgres://user@host/db (SQLite is the default without it)"
        );
        let schema = format!("{prefix}{}", std::process::id());
        let sep = if url.contains('?') { '&' } else { '?' };
        let with_schema = format!("{url}{sep}schema={schema}");
        anyhow::ensure!(
            !url.contains("schema="),
            "--storage: leave `schema=` out, the bench makes its own schema"
        );
        let config: postgres::Config = url
            .parse()
            .map_err(|e| anyhow::anyhow!("--storage: not a PostgreSQL URL: {e}"))?;
        std::fs::write(
            dir.join("habeas.toml"),
            format!("[storage]\nurl = \"{with_schema}\"\n"),
        )?;
        let bench = PgBench {
            config,
            schema,
            keep: false,
        };
        // A leftover of a killed run with the same pid would skew the figures.
        bench.drop_schemas();
        Ok(bench)
    }

    fn connect(&self) -> anyhow::Result<postgres::Client> {
        self.config
            .connect(postgres::NoTls)
            .context("cannot connect to the --storage PostgreSQL server")
    }

    /// The same rows as the vault's records, unencrypted, into a plain
    /// table of the bench schema: one multi-row insert per batch of 5,000,
    /// one transaction per batch (the store's way of writing records).
    fn plain_inserts(
        &self,
        decls: &habeas_core::declarations::Declarations,
        category: &str,
        records: u64,
    ) -> anyhow::Result<Duration> {
        let mut c = self.connect()?;
        let table = format!("{}.plain", self.schema);
        c.batch_execute(&format!(
            "CREATE TABLE {table} (id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, category TEXT NOT NULL, \
             collected_at BIGINT NOT NULL, payload BYTEA NOT NULL); \
             CREATE INDEX ON {table} (subject_id, category);"
        ))?;
        let insert = format!(
            "INSERT INTO {table} (id, subject_id, category, collected_at, payload) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[])"
        );
        let started = Instant::now();
        let mut n = 0u64;
        while n < records {
            let end = (n + BATCH).min(records);
            let (mut ids, mut subjects, mut cats, mut at, mut payloads) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for i in n..end {
                let input = synthetic::record(decls, category, i).context("no category")?;
                ids.push(format!("rec_{i:024x}"));
                subjects.push(format!("sub_{i:024x}"));
                cats.push(category.to_string());
                at.push(1_700_000_000i64);
                payloads.push(serde_json::to_vec(&input.fields)?);
            }
            let mut tx = c.transaction()?;
            tx.execute(&insert, &[&ids, &subjects, &cats, &at, &payloads])?;
            tx.commit()?;
            n = end;
        }
        Ok(started.elapsed())
    }

    /// Drop the bench schemas (data, key store, ledger); a failure is reported, not fatal.
    fn drop_schemas(&self) {
        let result = self.connect().and_then(|mut c| {
            c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {0} CASCADE; DROP SCHEMA IF EXISTS {0}_keys CASCADE; \
                 DROP SCHEMA IF EXISTS {0}_ledger CASCADE",
                self.schema
            ))
            .context("dropping the bench schemas")
        });
        if let Err(e) = result {
            eprintln!("could not drop the bench schemas {}: {e:#}", self.schema);
        }
    }
}

impl Drop for PgBench {
    fn drop(&mut self) {
        if self.keep {
            eprintln!(
                "PostgreSQL schemas kept for the kept project: {0}, {0}_keys, {0}_ledger (DROP SCHEMA … CASCADE when done)",
                self.schema
            );
        } else {
            self.drop_schemas();
        }
    }
}

/// A bench's temporary project directory (empty), deleted when dropped — however the run
/// ends, error or panic: a run failing after a 1M ingest (wrk missing, say) would otherwise
/// leave gigabytes behind.
pub(crate) fn temp_project(bench: &str) -> anyhow::Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new()
        .prefix(&format!("habeas-bench-{bench}-"))
        .tempdir()?)
}

fn plain_inserts(
    path: &Path,
    decls: &habeas_core::declarations::Declarations,
    category: &str,
    records: u64,
) -> anyhow::Result<Duration> {
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE plain (id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, category TEXT NOT NULL,
         collected_at INTEGER NOT NULL, payload BLOB NOT NULL);
         CREATE INDEX plain_subject ON plain (subject_id, category);",
    )?;
    let started = Instant::now();
    let mut n = 0u64;
    while n < records {
        let end = (n + BATCH).min(records);
        let tx = conn.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO plain (id, subject_id, category, collected_at, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for i in n..end {
                let input = synthetic::record(decls, category, i).context("no category")?;
                let payload = serde_json::to_vec(&input.fields)?;
                stmt.execute(rusqlite::params![
                    format!("rec_{i:024x}"),
                    format!("sub_{i:024x}"),
                    category,
                    1_700_000_000i64,
                    payload
                ])?;
            }
        }
        tx.commit()?;
        n = end;
    }
    Ok(started.elapsed())
}

/// User + system CPU seconds of this process so far.
pub(crate) fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which ends with ')'): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The `q` quantile (0 < q ≤ 1) of sorted latencies by the nearest-rank
/// method: the smallest sample with at least `q` of the samples at or below
/// it (so p99 of 100 runs is the 99th, and the median of an even count is the
/// lower middle). Every `habeas bench` figure uses this one definition.
pub(crate) fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub(crate) fn summary(lat: &mut [Duration]) -> String {
    lat.sort();
    let ms = |q: f64| quantile(lat, q).as_secs_f64() * 1e3;
    format!(
        "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} runs)",
        ms(0.5),
        ms(0.99),
        ms(1.0),
        lat.len()
    )
}

pub(crate) fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|k| k.parse::<u64>().ok())
            })
        })
        .map_or(0, |kib| kib / 1024)
}

/// The HTTP runs: single-record writes and audited reads over the `subjects`
/// sample, then, when `emails` subjects carry the synthetic e-mail addresses
/// `demo.0@…` to `demo.{emails - 1}@…`, finds by a random one of them; last
/// the mixed profile of RELIABILITY.md T19 (see [`mixed_script`]).
fn http_runs(
    dir: &Path,
    settings: &habeas_core::settings::Settings,
    vault: &Arc<Vault>,
    subjects: &[String],
    emails: Option<u64>,
    args: &VaultArgs,
) -> anyhow::Result<()> {
    let seconds = args.http_seconds;
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("HTTP: SKIPPED (wrk not installed: apt-get install wrk)");
        return Ok(());
    }
    let op = Caller::operator("bench", "administration");
    let purposes: Vec<String> = vault
        .declarations()
        .activities
        .keys()
        .map(|k| k.get_ref().clone())
        .collect();
    let (_, token) = vault.create_token(&op, "bench", &purposes, &[])?;
    // The mixed profile's access exports: verified access requests for the
    // first subjects of the sample, answered through the rights API.
    super::requests::install_rights_api(dir, settings, vault)?;
    let requests = {
        let caller = habeas_rights::vault_bridge::rights_caller("bench");
        let config = habeas_rights::service::ServiceConfig::new(
            habeas_rights::vault_bridge::code_key(vault, &caller)?,
        );
        let clock = habeas_core::clock::SystemClock;
        let service = habeas_rights::service::RequestService::new(
            &**vault,
            &clock,
            vault.declarations(),
            config,
        );
        let requests = subjects
            .iter()
            .take(MIXED_EXPORTS)
            .map(|subject| {
                super::bench_rights::verified_request(
                    &service,
                    habeas_core::rights::RequestKind::Access,
                    subject,
                )
            })
            .collect::<anyhow::Result<Vec<String>>>()?;
        let others = subjects.get(MIXED_EXPORTS..).unwrap_or_default();
        if args.history > 0 && !others.is_empty() {
            let t = std::time::Instant::now();
            for subject in others.iter().cycle().take(args.history) {
                service.create(habeas_rights::service::NewRequest {
                    kind: habeas_core::rights::RequestKind::Access,
                    channel: habeas_rights::service::RequestChannel::Portal,
                    subject: Some(subject.clone()),
                    contact_ref: "vault:contact.email".into(),
                })?;
            }
            println!(
                "history: {} earlier requests of {} other subjects stored in {:.1} s",
                args.history,
                others.len().min(args.history),
                t.elapsed().as_secs_f64()
            );
        }
        requests
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(habeas_web::serve(listener, Arc::clone(vault), async {
        let _ = stop_rx.await;
    }));
    let ids = subjects
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(",");
    let write_script = format!(
        "local ids = {{{ids}}}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  local id = ids[(n % #ids) + 1]\n  \
         return wrk.format('POST', '/api/subjects/' .. id .. '/records', {{['Authorization']='Bearer {token}', ['X-Habeas-Purpose']='PA-0006', ['Content-Type']='application/json'}}, \
         '{{\"category\":\"support\",\"fields\":{{\"ticket_id\":\"T-' .. n .. '\",\"subject\":\"Ticket fictif\",\"channel\":\"web\",\"body\":\"Message fictif de test de charge.\"}}}}')\nend\n"
    );
    let read_script = format!(
        "local ids = {{{ids}}}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  local id = ids[(n % #ids) + 1]\n  \
         return wrk.format('GET', '/api/subjects/' .. id .. '/records?category=contact', {{['Authorization']='Bearer {token}', ['X-Habeas-Purpose']='PA-0001'}})\nend\n"
    );
    // (name, script, wrk threads, connections)
    let mut runs = vec![
        ("HTTP POST single record", write_script, 2, 32),
        ("HTTP audited read", read_script, 2, 32),
    ];
    if let Some(count) = emails.filter(|n| *n > 0) {
        let find_script = format!(
            "request = function()\n  local n = math.random(0, {last})\n  \
                 return wrk.format('POST', '/api/subjects/find', {{['Authorization']='Bearer {token}', ['X-Habeas-Purpose']='PA-0001', ['Content-Type']='application/json'}}, \
                 '{{\"kind\":\"email\",\"value\":\"demo.' .. n .. '@example.org\"}}')\nend\n",
            last = count - 1
        );
        // One client, as the in-process figure (the goal's latency), then 32.
        runs.push(("HTTP find by e-mail, journaled", find_script.clone(), 1, 1));
        runs.push(("HTTP find by e-mail, journaled", find_script, 2, 32));
    }
    runs.push((
        "HTTP mixed 70/20/5/5",
        mixed_script(&ids, &requests, &token, [70, 20, 5]),
        2,
        32,
    ));
    for (name, script, threads, connections) in runs {
        let path = std::env::temp_dir().join(format!("habeas-bench-{}.lua", std::process::id()));
        std::fs::write(&path, script)?;
        let out = std::process::Command::new("wrk")
            .args([
                &format!("-t{threads}"),
                &format!("-c{connections}"),
                &format!("-d{seconds}s"),
                "--latency",
                "-s",
            ])
            .arg(&path)
            .arg(format!("http://{addr}"))
            .output()?;
        let _ = std::fs::remove_file(&path);
        let text = String::from_utf8_lossy(&out.stdout);
        let rps = text
            .lines()
            .find(|l| l.starts_with("Requests/sec:"))
            .unwrap_or("Requests/sec: ?")
            .to_string();
        let p50 = text
            .lines()
            .find(|l| l.trim_start().starts_with("50%"))
            .unwrap_or("50% ?")
            .trim()
            .to_string();
        let p99 = text
            .lines()
            .find(|l| l.trim_start().starts_with("99%"))
            .unwrap_or("99% ?")
            .trim()
            .to_string();
        let non2xx = text
            .lines()
            .find(|l| l.contains("Non-2xx"))
            .unwrap_or("Non-2xx: 0")
            .trim()
            .to_string();
        println!(
            "{name} (wrk -t{threads} -c{connections} -d{seconds}s): {rps}; latency {p50}, {p99}; {non2xx}"
        );
    }
    let _ = stop_tx.send(());
    let _ = runtime.block_on(server);
    Ok(())
}

/// Access requests the mixed profile exports from.
const MIXED_EXPORTS: usize = 100;

/// The mixed load profile of RELIABILITY.md T19, one request drawn at a time:
/// 70 % audited reads of a subject's contact records, 20 % single-record
/// writes, 5 % access exports (`GET /api/requests/{id}/export`: the
/// subject's holdings read, journaled and rendered as JSON) and 5 % token
/// checks (`GET /api/requests/{id}`: the bearer token authenticated, the
/// request's state read, no personal data). `ids` is the subjects' Lua list
/// (`"sub_…","sub_…"`), `requests` the verified access requests.
fn mixed_script(ids: &str, requests: &[String], token: &str, mix: [u32; 3]) -> String {
    let [reads, writes, exports] = mix;
    let (writes, exports) = (reads + writes, reads + writes + exports);
    let requests = requests
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "local ids = {{{ids}}}\nlocal rids = {{{requests}}}\nlocal n = 0\n\
         local read = {{['Authorization']='Bearer {token}', ['X-Habeas-Purpose']='PA-0001'}}\n\
         local support = {{['Authorization']='Bearer {token}', ['X-Habeas-Purpose']='PA-0006'}}\n\
         local write = {{['Authorization']='Bearer {token}', ['X-Habeas-Purpose']='PA-0006', ['Content-Type']='application/json'}}\n\
         request = function()\n  n = n + 1\n  local id = ids[(n % #ids) + 1]\n  local r = math.random(1, 100)\n  \
         if r <= {reads} then\n    return wrk.format('GET', '/api/subjects/' .. id .. '/records?category=contact', read)\n  \
         elseif r <= {writes} then\n    return wrk.format('POST', '/api/subjects/' .. id .. '/records', write, \
         '{{\"category\":\"support\",\"fields\":{{\"ticket_id\":\"T-' .. n .. '\",\"subject\":\"Ticket fictif\",\"channel\":\"web\",\"body\":\"Message fictif de test de charge.\"}}}}')\n  \
         elseif r <= {exports} then\n    return wrk.format('GET', '/api/requests/' .. rids[(n % #rids) + 1] .. '/export', support)\n  \
         else\n    return wrk.format('GET', '/api/requests/' .. rids[(n % #rids) + 1], support)\n  end\nend\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mixed_profile_draws_each_kind_of_request_in_its_share() {
        let script = mixed_script(
            "\"sub_a\",\"sub_b\"",
            &["req_1".to_string(), "req_2".to_string()],
            "tok",
            [70, 20, 5],
        );
        // Cumulative thresholds of one draw in 1..=100: 70 reads, 20 writes,
        // 5 exports, the 5 left token checks.
        let read = script.find("if r <= 70 then").expect("reads up to 70");
        let write = script.find("elseif r <= 90 then").expect("writes up to 90");
        let export = script
            .find("elseif r <= 95 then")
            .expect("exports up to 95");
        assert!(read < write && write < export, "{script}");
        assert!(
            script.contains("local rids = {\"req_1\",\"req_2\"}"),
            "{script}"
        );
        assert!(script.contains("'/export'"), "{script}");
        assert_eq!(script.matches("Bearer tok").count(), 3, "{script}");
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&v, 1.0), Duration::from_millis(100));
        assert_eq!(quantile(&v[..3], 0.5), Duration::from_millis(2));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    }

    /// Two batches (a full one and a partial one): every record made is
    /// written, every batch settles once and in order, progress counts
    /// what was queued.
    #[test]
    fn write_pipelined_writes_and_settles_every_batch() {
        let dir = std::env::temp_dir().join(format!(
            "habeas-bench-pipelined-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        std::fs::create_dir_all(dir.join("declarations")).unwrap();
        for (name, text) in super::super::demo::DEMO_FILES {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let vault = project::open_project(&dir).unwrap();
        let op = Caller::operator("bench", "administration");
        let count = BATCH + 3;
        let (mut made, mut settled, mut queued) = (Vec::new(), Vec::new(), Vec::new());
        write_pipelined(
            &vault,
            &op,
            count,
            |i| {
                made.push(i);
                let mut input = synthetic::record(vault.declarations(), "billing", i).unwrap();
                // Two records per subject: references resolve within a batch.
                input.subject_ref = Some(format!("b{}", i / 2));
                Ok(input)
            },
            |receipt| {
                settled.push((receipt.written, receipt.created_subjects.len()));
                Ok(())
            },
            |n| queued.push(n),
        )
        .unwrap();
        let records = vault.counts().unwrap()["records"];
        drop(vault);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(made, (0..count).collect::<Vec<_>>());
        assert_eq!(settled, vec![(BATCH, (BATCH / 2) as usize), (3, 2)]);
        assert_eq!(queued, vec![BATCH, count]);
        assert_eq!(records, count as i64);
    }
}
