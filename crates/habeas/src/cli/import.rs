//! `habeas import FILE`: bulk-load records from JSON Lines (one API record
//! object per line, with `subject` or `subject_ref`) or CSV (one category,
//! columns mapped to declared fields), with a progress bar.
//!
//! Two passes, so bad input changes nothing: the first reads the whole file
//! and checks every line (declared category and fields, types, purposes,
//! existing subjects) and stops on the first errors with their line
//! numbers — with `--match-existing` it also gathers each reference's
//! identifiers, then looks them up once the file is read
//! ([`habeas_engine::match_existing`]); only a clean file is written, in
//! batches of [`BATCH`] records, [`BATCHES_PER_TRANSACTION`] batches per
//! store transaction. A batch is all
//! or nothing. If a batch fails in the store (a subject erased meanwhile, a
//! full disk) the import stops with its error: a batch that ran in the same
//! transaction is not stored either, earlier transactions are, and a batch
//! queued after the failed one may be.
//!
//! The file is read in chunks of lines, each chunk parsed (and, in the first
//! pass, checked) on every core, then taken in line order: errors are
//! reported, and records written, exactly as a line-by-line pass would. Both
//! passes were serial on one core: the first was ~30 % of a 1M-line import
//! (docs/benchmarks-vault.md, session 15).

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use habeas_core::declarations::Declarations;
use habeas_engine::import_csv::{self, CsvLayout};
use habeas_engine::match_existing::{ExistingMatch, Matched, ReferenceProbe};
use habeas_engine::{BulkLine, Caller, RecordInput, project};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

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
/// Lines the first pass reads, then parses and checks on every core, at a time.
const CHECK_CHUNK: usize = 4_096;

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
    /// CSV: column=name pairs (comma-separated); unmapped columns keep their
    /// name. A name is a declared field, `subject` or `subject_ref` (whose
    /// record a row is), `contract_end`, `last_interaction`,
    /// `account_closure`, `incident_linked`, `events.NAME` (the dates
    /// retention runs from), `collected_at`, `purposes`, `source`, or `-`
    /// to leave the column out (docs/api.md, "Import").
    #[arg(long, value_delimiter = ',')]
    pub map: Vec<String>,
    /// CSV: the column separator (`,` `;` `tab` `|`); default: read from the
    /// header row (Excel in French writes `;`).
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// CSV: the file's character encoding (`utf-8`, `windows-1252`,
    /// `iso-8859-15` …). Excel's plain "CSV" on Windows is windows-1252.
    #[arg(long, default_value = "utf-8")]
    pub encoding: String,
    /// Source channel recorded on each record.
    #[arg(long, default_value = "import")]
    pub source: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// A `subject_ref` whose records carry an identifier (e-mail, phone, a
    /// declared identifier field) that finds one subject already in the
    /// vault adds to that subject instead of creating one: the same file,
    /// or a periodic export, can be loaded again without duplicating people.
    /// Identifiers that find several subjects stop the import before
    /// anything is written.
    #[arg(long)]
    pub match_existing: bool,
}

pub fn run(global: &Global, mut args: Args) -> anyhow::Result<ExitCode> {
    // `-C DIR` means "as if started in DIR": relative paths start there.
    if args.file.is_relative() {
        args.file = global.dir.join(&args.file);
    }
    anyhow::ensure!(
        !args.file.is_dir(),
        "{}: est un répertoire ; donnez un fichier JSON Lines ou CSV / is a directory; give a JSON Lines or CSV file",
        args.file.display()
    );
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

    // Pass 1: check everything, write nothing (and, to match existing
    // subjects, gather each reference's identifiers).
    let mut errors = Vec::new();
    let mut total = 0u64;
    let mut probes = ExistingMatch::new();
    reader.for_each_chunk(&args.file, CHECK_CHUNK, |chunk, _last| {
        total += chunk.len() as u64;
        let checked: Vec<(u64, Result<Option<ReferenceProbe>, String>)> = chunk
            .into_par_iter()
            .map(|(line, parsed)| {
                let result = parsed.and_then(|input| {
                    vault
                        .check_input(&caller, &input)
                        .map_err(|e| e.to_string())?;
                    Ok(args
                        .match_existing
                        .then(|| ReferenceProbe::of(vault.declarations(), &input))
                        .flatten())
                });
                (line, result)
            })
            .collect();
        for (line, result) in checked {
            match result {
                Ok(probe) => probes.add(line, probe)?,
                Err(e) if errors.len() < MAX_ERRORS => {
                    errors.push(format!("{}:{line}: {e}", args.file.display()));
                }
                Err(_) => {}
            }
        }
        Ok(errors.len() < MAX_ERRORS)
    })?;
    let matched = if errors.is_empty() {
        let matched = probes.resolve(&vault, &caller, MAX_ERRORS)?;
        errors.extend(
            matched
                .refused
                .iter()
                .map(|(line, e)| format!("{}:{line}: {e}", args.file.display())),
        );
        matched
    } else {
        Matched::default()
    };
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
    let mut refs = habeas_engine::SubjectRefs::new();
    let mut written = 0u64;
    // Pipelined: the next batch is prepared (validated, sealed, indexed)
    // while the previous one is written; consecutive batches may share a
    // transaction, and a receipt counts only once its transaction committed.
    let mut chain = habeas_engine::BulkChain::new(BATCHES_PER_TRANSACTION);
    // Records left waiting for their rule's event, by category (the vault
    // counts them as it writes).
    let mut waiting: BTreeMap<String, u64> = BTreeMap::new();
    let mut settle = |receipts: Vec<habeas_engine::BulkReceipt>| {
        for r in receipts {
            written += r.written;
            bar.inc(r.written);
            for (category, n) in r.waiting_for_event {
                *waiting.entry(category).or_insert(0) += n;
            }
        }
    };
    reader.for_each_chunk(&args.file, BATCH, |chunk, last| {
        let mut batch = Vec::with_capacity(chunk.len());
        for (line, parsed) in chunk {
            let mut input =
                parsed.map_err(|e| anyhow::anyhow!("{}:{line}: {e}", args.file.display()))?;
            matched.apply(&mut input);
            batch.push(BulkLine { line, input });
        }
        // The last batch is known to be the last: its transaction then
        // waits for no other.
        settle(chain.submit(&vault, &caller, batch, &mut refs, last)?);
        Ok(true)
    })?;
    settle(chain.finish()?);
    bar.finish_and_clear();
    if written > 0 {
        vault.refresh_statistics()?;
    }
    let (created, found) = (refs.len(), matched.len());
    if args.match_existing {
        println!(
            "{written} enregistrements importés, {created} personnes créées, {found} personnes existantes complétées / {written} records imported, {created} subjects created, {found} existing subjects added to"
        );
    } else {
        println!(
            "{written} enregistrements importés, {created} personnes créées / {written} records imported, {created} subjects created"
        );
    }
    for (category, n) in &waiting {
        println!("{}", waiting_note(vault.declarations(), category, *n));
    }
    Ok(ExitCode::SUCCESS)
}

/// Records imported without the date their category's retention runs from
/// (a contract end, an account closure …): they get no retention date until
/// that event is recorded (`POST /api/subjects/{id}/events`, `habeas
/// subject event`), so the operator is told how many, and how to date them.
fn waiting_note(decls: &Declarations, category: &str, n: u64) -> String {
    let event = decls
        .category(category)
        .and_then(|c| c.retention_anchor())
        .map(|a| a.key().to_string())
        .unwrap_or_default();
    let column = match event.as_str() {
        "last_interaction" | "contract_end" | "account_closure" => event.clone(),
        _ => format!("events.{event}"),
    };
    format!(
        "{category} : {n} enregistrement(s) sans date de conservation tant que « {event} » n'est pas daté (colonne CSV {column}, « events » en JSON Lines, ou plus tard habeas subject event) / \
         {category}: {n} record(s) without a retention date until `{event}` is dated (CSV column {column}, `events` in JSON Lines, or later habeas subject event)"
    )
}

struct LineReader {
    /// CSV: the category, the column mapping, the separator (`None`: from
    /// the header row) and the encoding.
    csv: Option<CsvOptions>,
    source: String,
}

struct CsvOptions {
    category: String,
    declared: habeas_core::declarations::DataCategory,
    mapping: BTreeMap<String, String>,
    delimiter: Option<u8>,
    encoding: &'static encoding_rs::Encoding,
}

impl LineReader {
    fn new(args: &Args, format: ImportFormat, decls: &Declarations) -> anyhow::Result<Self> {
        let csv = match format {
            ImportFormat::Jsonl => None,
            ImportFormat::Csv => {
                let Some(category) = &args.category else {
                    anyhow::bail!("CSV : --category est requis / CSV: --category is required");
                };
                let Some(declared) = decls.category(category) else {
                    anyhow::bail!(
                        "catégorie « {category} » non déclarée / category `{category}` is not declared"
                    );
                };
                let mut mapping = BTreeMap::new();
                for pair in &args.map {
                    let (col, name) = pair.split_once('=').with_context(|| {
                        format!("--map {pair}: attendu colonne=nom / expected column=name")
                    })?;
                    mapping.insert(col.trim().to_string(), name.trim().to_string());
                }
                Some(CsvOptions {
                    category: category.clone(),
                    declared: declared.clone(),
                    mapping,
                    delimiter: args.delimiter,
                    encoding: import_csv::encoding_for_label(&args.encoding)?,
                })
            }
        };
        Ok(LineReader {
            csv,
            source: args.source.clone(),
        })
    }

    /// Call `f(chunk, last)` for each chunk of up to `size` records, in
    /// file order, each record with its line number and parsed on every
    /// core; `last`: no record follows. Stop when `f` returns `Ok(false)`.
    fn for_each_chunk(
        &self,
        path: &Path,
        size: usize,
        mut f: impl FnMut(Vec<(u64, Result<RecordInput, String>)>, bool) -> anyhow::Result<bool>,
    ) -> anyhow::Result<()> {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut raw = RawLines::new(self, path, file)?;
        // One chunk read ahead, to know whether the current one is the last.
        let mut next = raw.chunk(path, size)?;
        while !next.is_empty() {
            let current = std::mem::replace(&mut next, raw.chunk(path, size)?);
            let parsed = current
                .into_par_iter()
                .map(|(line, text)| (line, self.parse(raw.layout.as_ref(), text)))
                .collect();
            if !f(parsed, next.is_empty())? {
                break;
            }
        }
        Ok(())
    }

    /// One record of the file, read but not yet parsed.
    fn parse(&self, layout: Option<&CsvLayout>, raw: Raw) -> Result<RecordInput, String> {
        match raw {
            Raw::Json(text) => serde_json::from_str::<RecordInput>(&text)
                .map(|mut r| {
                    r.source.get_or_insert_with(|| self.source.clone());
                    r
                })
                .map_err(json_error),
            Raw::Csv(row) => {
                let (Some(layout), Some(csv)) = (layout, &self.csv) else {
                    return Err("CSV sans en-tête / CSV without a header".into());
                };
                let row = row?;
                let cells = row
                    .iter()
                    .map(|cell| import_csv::decode_cell(cell, csv.encoding))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                let cells: Vec<&str> = cells.iter().map(|c| c.as_ref()).collect();
                layout
                    .record(&cells, &self.source)
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// A record as read from the file: a JSON line, or a CSV row (or why it
/// could not be read as one).
enum Raw {
    Json(String),
    Csv(Result<csv::ByteRecord, String>),
}

/// The records of a file, read in order, with their line numbers.
struct RawLines {
    lines: RawSource,
    /// What the CSV header row's columns mean (`None` for JSON Lines).
    layout: Option<CsvLayout>,
    /// JSON Lines: the line number of the last line read; CSV: the line
    /// where the next row starts.
    line_no: u64,
}

enum RawSource {
    Json(std::io::Lines<std::io::BufReader<std::fs::File>>),
    Csv(csv::ByteRecordsIntoIter<std::io::BufReader<std::fs::File>>),
}

impl RawLines {
    fn new(reader: &LineReader, path: &Path, file: std::fs::File) -> anyhow::Result<Self> {
        let Some(options) = &reader.csv else {
            return Ok(RawLines {
                lines: RawSource::Json(std::io::BufReader::new(file).lines()),
                layout: None,
                line_no: 0,
            });
        };
        let at_header =
            |e: habeas_engine::EngineError| anyhow::anyhow!("{}:1: {e}", path.display());
        let mut file = std::io::BufReader::with_capacity(1 << 16, file);
        let start = file
            .fill_buf()
            .with_context(|| format!("cannot read {}", path.display()))?;
        anyhow::ensure!(
            !import_csv::utf16_bom(start),
            "{}: fichier UTF-16 (« Texte Unicode » d'Excel) ; enregistrez-le en « CSV UTF-8 » / UTF-16 file (Excel's \"Unicode text\"); save it as \"CSV UTF-8\"",
            path.display()
        );
        let delimiter = options
            .delimiter
            .unwrap_or_else(|| import_csv::sniff_delimiter(start));
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(false)
            .delimiter(delimiter)
            .from_reader(file);
        let headers = rdr
            .byte_headers()
            .map_err(|e| anyhow::anyhow!("{}:1: {}", path.display(), csv_error(e)))?
            .iter()
            .map(|h| import_csv::decode_cell(h, options.encoding).map(|h| h.into_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(at_header)?;
        anyhow::ensure!(
            !headers.iter().all(|h| h.trim().is_empty()),
            "{}: fichier vide : la première ligne doit nommer les colonnes / empty file: the first line must name the columns",
            path.display()
        );
        let layout = CsvLayout::new(
            &options.category,
            &options.declared,
            &headers,
            &options.mapping,
        )
        .map_err(at_header)?;
        anyhow::ensure!(
            layout.names_subject(),
            "{}:1: aucune colonne ne dit à qui est chaque ligne : ajoutez subject_ref (votre n° client : une personne par valeur) ou subject (sub_…), ou --map COLONNE=subject_ref / \
             no column says whose each row is: add subject_ref (your customer number: one person per value) or subject (sub_…), or --map COLUMN=subject_ref",
            path.display()
        );
        let first_row = 2 + rdr.byte_headers().map_or(0, newlines);
        Ok(RawLines {
            lines: RawSource::Csv(rdr.into_byte_records()),
            layout: Some(layout),
            line_no: first_row,
        })
    }

    /// The next `size` records (fewer at the end of the file; none after
    /// it). Blank JSON lines are skipped, but counted.
    fn chunk(&mut self, path: &Path, size: usize) -> anyhow::Result<Vec<(u64, Raw)>> {
        let mut out = Vec::with_capacity(size.min(1 << 16));
        while out.len() < size {
            match &mut self.lines {
                RawSource::Json(lines) => {
                    let Some(line) = lines.next() else { break };
                    self.line_no += 1;
                    let line_no = self.line_no;
                    let mut text = line.with_context(|| {
                        format!(
                            "{}:{line_no}: ligne illisible (pas du texte UTF-8 ?) / unreadable line (not UTF-8 text?)",
                            path.display()
                        )
                    })?;
                    if line_no == 1 {
                        strip_bom(&mut text);
                    }
                    if !text.trim().is_empty() {
                        out.push((line_no, Raw::Json(text)));
                    }
                }
                RawSource::Csv(rows) => {
                    let Some(row) = rows.next() else { break };
                    // `line_no` is where the next row starts: a quoted cell may
                    // span lines (an address), which the csv crate does not count.
                    let line = self.line_no;
                    self.line_no += 1 + row.as_ref().map_or(0, newlines);
                    out.push((line, Raw::Csv(row.map_err(csv_error))));
                }
            }
        }
        Ok(out)
    }
}

/// Line breaks inside a CSV row's quoted cells.
fn newlines(row: &csv::ByteRecord) -> u64 {
    row.iter()
        .map(|cell| cell.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum()
}

/// `--delimiter`: one character, or `tab`.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        t if t.len() == 1 && t.is_ascii() && t != "\"" => Ok(t.as_bytes()[0]),
        _ => Err("un caractère : , ; | ou tab / one character: , ; | or tab".into()),
    }
}

/// Drop a UTF-8 byte-order mark from the start of a file's first line: editors and
/// spreadsheets on Windows write one, and JSON does not allow it. (The csv crate drops it
/// from a header row itself.)
fn strip_bom(first_line: &mut String) {
    if first_line.starts_with('\u{feff}') {
        first_line.drain(..'\u{feff}'.len_utf8());
    }
}

/// Why a CSV row could not be read, without any of its content.
fn csv_error(e: csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "ligne tronquée ou en trop : {len} colonnes au lieu de {expected_len} / truncated or overlong row: {len} columns instead of {expected_len}"
        ),
        _ => "ligne CSV illisible / unreadable CSV row".to_string(),
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
