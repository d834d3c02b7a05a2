//! `habeas import FILE`: bulk-load records from JSON Lines (one API record
//! object per line, with `subject` or `subject_ref`) or CSV (one category,
//! columns mapped to declared fields), with a progress bar.
//!
//! Two passes, so bad input changes nothing: the first reads the whole file
//! and checks every line (declared category and fields, types, purposes,
//! existing subjects) and stops on the first errors with their line
//! numbers; only a clean file is written, in batches of [`BATCH`] records,
//! [`BATCHES_PER_TRANSACTION`] batches per store transaction. A batch is all
//! or nothing. If a batch fails in the store (a subject erased meanwhile, a
//! full disk) the import stops with its error: a batch that ran in the same
//! transaction is not stored either, earlier transactions are, and a batch
//! queued after the failed one may be.

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use habeas_core::declarations::{Declarations, FieldType};
use habeas_engine::{BulkLine, Caller, RecordInput, project};
use indicatif::{ProgressBar, ProgressStyle};

use super::Global;

/// Records per batch: validated, sealed and queued together, all or
/// nothing. About 4 KiB of memory per record is in flight (one batch being
/// prepared, one being written), so this bounds the import's memory.
pub const BATCH: usize = 10_000;
/// Consecutive batches committed in one store transaction (SQLite; each
/// batch commits alone on PostgreSQL). At a million subjects most pages of
/// the blind index are out of the writer's cache and its keys are random:
/// each new entry dirties a page, and a page dirtied twice in one
/// transaction is written (to the WAL, then by the checkpoint) once, so
/// bigger transactions write fewer bytes; sharing a transaction between
/// batches gets that without holding more records in memory
/// ([`habeas_engine::BulkChain`], docs/benchmarks-vault.md, session 10).
/// Four rather than two (session 11, alternated, 1M records): 11.4 → 7.7 GB
/// written, 28.5k → 32.9k records/s, peak memory 203–206 → 223–233 MiB. The
/// price: a failing batch undoes up to three others of its transaction (the
/// import stops either way), and a job arriving mid-import commits a larger
/// open transaction before it runs.
pub const BATCHES_PER_TRANSACTION: usize = 4;
/// Most errors printed before giving up on the first pass.
const MAX_ERRORS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to import.
    pub file: PathBuf,
    /// Format (default: from the extension: .jsonl/.ndjson or .csv).
    #[arg(long, value_enum)]
    pub format: Option<ImportFormat>,
    /// CSV: the declared category of every row.
    #[arg(long)]
    pub category: Option<String>,
    /// CSV: column=field pairs (comma-separated); unmapped columns keep their name.
    /// Columns `subject` and `subject_ref` name the subject.
    #[arg(long, value_delimiter = ',')]
    pub map: Vec<String>,
    /// Source channel recorded on each record.
    #[arg(long, default_value = "import")]
    pub source: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(global: &Global, mut args: Args) -> anyhow::Result<ExitCode> {
    // `-C DIR` means "as if started in DIR": relative paths start there.
    if args.file.is_relative() {
        args.file = global.dir.join(&args.file);
    }
    let format = match args.format {
        Some(f) => f,
        None => match args.file.extension().and_then(|e| e.to_str()) {
            Some("csv") => ImportFormat::Csv,
            Some("jsonl") | Some("ndjson") => ImportFormat::Jsonl,
            _ => anyhow::bail!(
                "{}: format inconnu ; précisez --format jsonl|csv / unknown format; pass --format jsonl|csv",
                args.file.display()
            ),
        },
    };
    let vault = project::open_project(&global.dir)?;
    let caller = Caller::operator("cli:import", "import");
    let reader = LineReader::new(&args, format, vault.declarations())?;

    // Pass 1: check everything, write nothing.
    let mut errors = Vec::new();
    let mut total = 0u64;
    reader.for_each(&args.file, |line, parsed| {
        total += 1;
        let result = parsed.and_then(|input| {
            vault
                .check_input(&caller, &input)
                .map_err(|e| e.to_string())
        });
        if let Err(e) = result {
            errors.push(format!("{}:{line}: {e}", args.file.display()));
        }
        Ok(errors.len() < MAX_ERRORS)
    })?;
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!(
            "rien n'a été importé : corrigez le fichier puis relancez / nothing was imported: fix the file and run again"
        );
        return Ok(ExitCode::from(1));
    }

    // Pass 2: write in batches.
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} enregistrements / records ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut refs = BTreeMap::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut written = 0u64;
    // Pipelined: the next batch is prepared (validated, sealed, indexed)
    // while the previous one is written; consecutive batches may share a
    // transaction, and a receipt counts only once its transaction committed.
    let mut chain = habeas_engine::BulkChain::new(BATCHES_PER_TRANSACTION);
    let mut settle = |receipts: Vec<habeas_engine::BulkReceipt>| {
        for r in receipts {
            written += r.written;
            bar.inc(r.written);
        }
    };
    reader.for_each(&args.file, |line, parsed| {
        let input = parsed.map_err(|e| anyhow::anyhow!("{}:{line}: {e}", args.file.display()))?;
        // A full batch is queued once the next line is known to exist, so
        // that the last batch is known to be the last (its transaction
        // then waits for no other).
        if batch.len() >= BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            settle(chain.submit(&vault, &caller, full, &mut refs, false)?);
        }
        batch.push(BulkLine { line, input });
        Ok(true)
    })?;
    if !batch.is_empty() {
        settle(chain.submit(&vault, &caller, batch, &mut refs, true)?);
    }
    settle(chain.finish()?);
    bar.finish_and_clear();
    if written > 0 {
        vault.refresh_statistics()?;
    }
    println!(
        "{written} enregistrements importés, {} personnes créées / records imported, subjects created",
        refs.len()
    );
    Ok(ExitCode::SUCCESS)
}

struct LineReader {
    format: ImportFormat,
    category: Option<String>,
    mapping: BTreeMap<String, String>,
    types: BTreeMap<String, FieldType>,
    source: String,
}

impl LineReader {
    fn new(args: &Args, format: ImportFormat, decls: &Declarations) -> anyhow::Result<Self> {
        let mut mapping = BTreeMap::new();
        for pair in &args.map {
            let (col, field) = pair.split_once('=').with_context(|| {
                format!("--map {pair}: attendu colonne=champ / expected column=field")
            })?;
            mapping.insert(col.trim().to_string(), field.trim().to_string());
        }
        let mut types = BTreeMap::new();
        if format == ImportFormat::Csv {
            let Some(category) = &args.category else {
                anyhow::bail!("CSV : --category est requis / CSV: --category is required");
            };
            let Some(c) = decls.category(category) else {
                anyhow::bail!(
                    "catégorie « {category} » non déclarée / category `{category}` is not declared"
                );
            };
            for name in c.field_names() {
                if let Some(t) = c.field(name) {
                    types.insert(name.to_string(), t);
                }
            }
        }
        Ok(LineReader {
            format,
            category: args.category.clone(),
            mapping,
            types,
            source: args.source.clone(),
        })
    }

    /// Call `f(line, parsed)` for each record; stop when it returns `Ok(false)`.
    fn for_each(
        &self,
        path: &Path,
        mut f: impl FnMut(u64, Result<RecordInput, String>) -> anyhow::Result<bool>,
    ) -> anyhow::Result<()> {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        match self.format {
            ImportFormat::Jsonl => {
                for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
                    let line_no = i as u64 + 1;
                    let text = line.with_context(|| {
                        format!("{}:{line_no}: unreadable line", path.display())
                    })?;
                    if text.trim().is_empty() {
                        continue;
                    }
                    let parsed = serde_json::from_str::<RecordInput>(&text)
                        .map(|mut r| {
                            r.source.get_or_insert_with(|| self.source.clone());
                            r
                        })
                        .map_err(json_error);
                    if !f(line_no, parsed)? {
                        break;
                    }
                }
            }
            ImportFormat::Csv => {
                let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(file);
                let headers = rdr.headers().context("CSV: no header row")?.clone();
                for (i, row) in rdr.records().enumerate() {
                    let line_no = i as u64 + 2;
                    let parsed = match row {
                        Ok(row) => Ok(self.csv_record(&headers, &row)),
                        Err(e) => Err(match e.kind() {
                            csv::ErrorKind::UnequalLengths {
                                expected_len, len, ..
                            } => format!(
                                "ligne tronquée ou en trop : {len} colonnes au lieu de {expected_len} / truncated or overlong row: {len} columns instead of {expected_len}"
                            ),
                            _ => "ligne CSV illisible / unreadable CSV row".to_string(),
                        }),
                    };
                    if !f(line_no, parsed)? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    fn csv_record(&self, headers: &csv::StringRecord, row: &csv::StringRecord) -> RecordInput {
        let mut fields = serde_json::Map::new();
        let (mut subject, mut subject_ref) = (None, None);
        for (col, cell) in headers.iter().zip(row.iter()) {
            if cell.is_empty() {
                continue;
            }
            match col {
                "subject" => subject = Some(cell.to_string()),
                "subject_ref" => subject_ref = Some(cell.to_string()),
                _ => {
                    let field = self
                        .mapping
                        .get(col)
                        .cloned()
                        .unwrap_or_else(|| col.to_string());
                    let value = match self.types.get(&field) {
                        Some(FieldType::Integer) => cell
                            .parse::<i64>()
                            .map(serde_json::Value::from)
                            .unwrap_or_else(|_| serde_json::Value::from(cell)),
                        Some(FieldType::Boolean) => match cell {
                            "true" | "1" | "oui" | "yes" => serde_json::Value::Bool(true),
                            "false" | "0" | "non" | "no" => serde_json::Value::Bool(false),
                            other => serde_json::Value::from(other),
                        },
                        _ => serde_json::Value::from(cell),
                    };
                    fields.insert(field, value);
                }
            }
        }
        RecordInput {
            subject,
            subject_ref,
            category: self.category.clone().unwrap_or_default(),
            fields,
            source: Some(self.source.clone()),
            purposes: Vec::new(),
            collected_at: None,
            events: Default::default(),
        }
    }
}

/// A JSON error without any quoted input.
fn json_error(e: serde_json::Error) -> String {
    let text = e.to_string();
    if text.starts_with("unknown field") || text.starts_with("missing field") {
        format!(
            "JSON : {} / JSON: {}",
            text.split(" at line").next().unwrap_or(""),
            text.split(" at line").next().unwrap_or("")
        )
    } else {
        format!(
            "JSON invalide (colonne {}) / invalid JSON (column {})",
            e.column(),
            e.column()
        )
    }
}
