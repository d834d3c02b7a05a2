//! `habeas scan PATH…`: find personal data in file trees (SPEC C11). The walking, decoding and
//! detection live in `habeas-scan`; this module parses flags, streams or collects results,
//! shows progress on a terminal and maps the exit code (0 nothing found, 1 found, 2 errors).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use habeas_scan::report::{self, FileOut, Totals};
use habeas_scan::walk::{self, Event, ScanOptions};

use super::Global;

/// `--report`: found types against the project's declared categories.
mod coverage {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fmt::Write as _;
    use std::path::Path;

    use habeas_scan::PiiType;
    use habeas_scan::report::FileOut;

    pub struct Coverage {
        by_type: BTreeMap<PiiType, Vec<String>>,
    }

    impl Coverage {
        pub fn load(dir: &Path) -> anyhow::Result<Coverage> {
            let checked = super::super::check::load_project(dir)?;
            if checked.has_errors() {
                anyhow::bail!(
                    "les déclarations de {} contiennent des erreurs : lancez `habeas check` / the declarations have errors: run `habeas check`",
                    dir.display()
                );
            }
            Ok(Coverage {
                by_type: habeas_scan::coverage::covering(&checked.declarations),
            })
        }

        fn uncovered(&self, f: &FileOut) -> Vec<PiiType> {
            f.counts
                .keys()
                .copied()
                .filter(|t| self.by_type.get(t).is_none_or(Vec::is_empty))
                .collect()
        }

        fn found(files: &[FileOut]) -> BTreeSet<PiiType> {
            files
                .iter()
                .flat_map(|f| f.counts.keys().copied())
                .collect()
        }

        pub fn report_json(&self, files: &[FileOut]) -> serde_json::Value {
            let types: Vec<_> = Self::found(files)
                .into_iter()
                .map(|t| serde_json::json!({"type": t, "categories": self.by_type.get(&t).cloned().unwrap_or_default()}))
                .collect();
            let flagged: Vec<_> = files
                .iter()
                .filter_map(|f| {
                    let u = self.uncovered(f);
                    (!u.is_empty()).then(|| serde_json::json!({"path": f.path, "undeclared": u}))
                })
                .collect();
            serde_json::json!({"types": types, "files_with_undeclared_types": flagged})
        }

        pub fn report_text(&self, files: &[FileOut]) -> String {
            let mut out =
                String::from("\nCouverture par les déclarations / coverage by the declarations:\n");
            for t in Self::found(files) {
                let cats = self.by_type.get(&t).cloned().unwrap_or_default();
                if cats.is_empty() {
                    let _ = writeln!(out, "  {:<16} NON DÉCLARÉ / NOT DECLARED", t.name());
                } else {
                    let _ = writeln!(out, "  {:<16} {}", t.name(), cats.join(", "));
                }
            }
            let flagged: Vec<_> = files
                .iter()
                .filter(|f| !self.uncovered(f).is_empty())
                .collect();
            if !flagged.is_empty() {
                let _ = writeln!(
                    out,
                    "Fichiers avec des types non déclarés / files holding undeclared types:"
                );
                for f in flagged {
                    let u: Vec<&str> = self.uncovered(f).iter().map(|t| t.name()).collect();
                    let _ = writeln!(out, "  {}: {}", f.path, u.join(" "));
                }
            }
            out
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Résumé par fichier / per-file summary table.
    Table,
    /// Un objet JSON, résumés par fichier / one JSON document with per-file summaries.
    Json,
    /// Une ligne par trouvaille (format d'échange du banc) / one finding per line (harness format).
    Jsonl,
}

/// Chercher des données personnelles / find personal data in files, mailboxes and documents.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fichiers ou dossiers à analyser / files or folders to scan.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Format de sortie / output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Exclure les chemins correspondant au motif (syntaxe gitignore) / leave out matching paths.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Respecter .gitignore et .ignore (désactivé par défaut) / honour ignore files (off by default).
    #[arg(long)]
    pub respect_ignore: bool,
    /// Suivre tous les liens symboliques / follow every symlink, even out of the tree.
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Afficher les valeurs trouvées en clair / print found values unmasked.
    #[arg(long)]
    pub show_values: bool,
    /// Nombre de fils (0 : un par cœur) / worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Comparer aux catégories déclarées du projet (-C DIR) / compare with the project's declared categories.
    #[arg(long)]
    pub report: bool,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let coverage = if args.report {
        Some(coverage::Coverage::load(&global.dir)?)
    } else {
        None
    };
    let opts = ScanOptions {
        roots: args.paths.clone(),
        threads: args.threads,
        excludes: args.exclude.clone(),
        respect_ignore: args.respect_ignore,
        follow_symlinks: args.follow_symlinks,
        keep_values: args.show_values || args.format == Format::Json,
    };
    let progress = std::io::stderr().is_terminal().then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    });

    struct State {
        totals: Totals,
        files: Vec<FileOut>,
        skipped: Vec<(String, String)>,
        errors: Vec<(String, String)>,
    }
    let state = Mutex::new(State {
        totals: Totals::default(),
        files: Vec::new(),
        skipped: Vec::new(),
        errors: Vec::new(),
    });
    let stdout = Mutex::new(std::io::BufWriter::with_capacity(
        1 << 16,
        std::io::stdout(),
    ));
    let write_failed = Mutex::new(None::<std::io::Error>);
    let keep_files = args.format != Format::Jsonl || coverage.is_some();
    let sink = |ev: Event| {
        match ev {
            Event::File(f) => {
                if args.format == Format::Jsonl && !f.hits.is_empty() {
                    // One line buffer per worker thread, reused from file to file.
                    thread_local! {
                        static LINES: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
                    }
                    LINES.with_borrow_mut(|buf| {
                        buf.clear();
                        report::jsonl_lines(&f, args.show_values, buf);
                        let mut out = stdout.lock().unwrap_or_else(|p| p.into_inner());
                        if let Err(e) = out.write_all(buf) {
                            *write_failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        }
                    });
                }
                let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                st.totals.add(&f);
                for p in &f.problems {
                    eprintln!("habeas scan: {}: {p}", f.path);
                    st.errors.push((f.path.clone(), p.clone()));
                }
                if keep_files && (!f.hits.is_empty() || !f.problems.is_empty()) {
                    st.files.push(FileOut::from_report(&f, args.show_values));
                }
                if let Some(pb) = &progress {
                    pb.set_message(format!(
                        "{} fichiers / files, {:.1} MB, {} avec données / with data",
                        st.totals.files_scanned,
                        st.totals.bytes_scanned as f64 / 1e6,
                        st.totals.files_with_findings
                    ));
                }
            }
            Event::Skipped { path, reason } => {
                let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                st.totals.files_skipped += 1;
                st.skipped.push((path, reason));
            }
            Event::Error { path, message } => {
                let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
                st.totals.errors += 1;
                // Errors go to stderr as they happen in every format; they carry no values.
                eprintln!("habeas scan: {path}: {message}");
                st.errors.push((path, message));
            }
        }
    };
    walk::scan(&opts, &sink)?;
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut st = state.into_inner().unwrap_or_else(|p| p.into_inner());
    st.files.sort_by(|a, b| a.path.cmp(&b.path));
    st.skipped.sort();
    st.errors.sort();
    let mut out = stdout.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = write_failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e).context("écriture sur la sortie standard / writing to stdout");
    }
    match args.format {
        Format::Jsonl => {}
        Format::Table => {
            out.write_all(
                report::table(&st.files, &st.totals, &st.skipped, &st.errors, seconds).as_bytes(),
            )?;
        }
        Format::Json => {
            let doc = serde_json::json!({
                "roots": args.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "files": st.files,
                "totals": st.totals,
                "skipped": st.skipped.iter().map(|(p, r)| serde_json::json!({"path": p, "reason": r})).collect::<Vec<_>>(),
                "errors": st.errors.iter().map(|(p, e)| serde_json::json!({"path": p, "error": e})).collect::<Vec<_>>(),
                "seconds": seconds,
                "coverage": coverage.as_ref().map(|c| c.report_json(&st.files)),
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            out.write_all(b"\n")?;
        }
    }
    if let (Some(c), Format::Table | Format::Jsonl) = (&coverage, args.format) {
        let text = c.report_text(&st.files);
        if args.format == Format::Table {
            out.write_all(text.as_bytes())?;
        } else {
            eprint!("{text}");
        }
    }
    out.flush()
        .context("écriture sur la sortie standard / writing to stdout")?;
    let code = if st.totals.errors > 0 || !st.errors.is_empty() {
        2
    } else if st.totals.any_finding() {
        1
    } else {
        0
    };
    Ok(ExitCode::from(code))
}
