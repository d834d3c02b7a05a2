//! The parallel walk: `ignore`'s parallel walker with its code-search filters off (hidden and
//! git-ignored files hold personal data too), each thread owning a read buffer and a
//! `Detector`, results handed to a caller-supplied sink as soon as a file is done.
//!
//! Symlink policy: by default a symlinked file is scanned only if its target lies inside the
//! scanned root; symlinked directories are not entered. `follow_symlinks` follows every link
//! (the walker detects loops).

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState, overrides::OverrideBuilder};

use crate::detect::Detector;
use crate::kind::PiiType;
use crate::source::{self, ExtractError, Offsets, SourceKind};

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub roots: Vec<PathBuf>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Globs (gitignore syntax) of paths to leave out.
    pub excludes: Vec<String>,
    /// Honour .gitignore / .ignore files and skip hidden entries' ignore rules (opt-in).
    pub respect_ignore: bool,
    pub follow_symlinks: bool,
    /// Keep each finding's text (needed for previews and `--show-values`).
    pub keep_values: bool,
}

/// One finding as reported.
#[derive(Debug, Clone)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub kind: PiiType,
    pub confidence: f32,
    /// The decoded part the offsets refer to (None: offsets are file offsets).
    pub part: Option<String>,
    pub value: Option<String>,
}

/// A scanned file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// Path relative to its root, `/`-separated (the root's own name when the root is a file).
    pub path: String,
    pub root: usize,
    pub kind: SourceKind,
    pub bytes: u64,
    pub hits: Vec<Hit>,
    /// Problems inside the file that did not stop it.
    pub problems: Vec<String>,
}

/// What the walk reports, file by file.
#[derive(Debug)]
pub enum Event {
    File(FileReport),
    /// Not scanned on purpose (binary, symlink out of the tree): not an error.
    Skipped {
        path: String,
        reason: String,
    },
    /// Could not be read, or damaged beyond reading.
    Error {
        path: String,
        message: String,
    },
}

/// Configuration problems found before any file is read.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("motif --exclude invalide / invalid --exclude glob {glob:?}: {message}")]
    BadGlob { glob: String, message: String },
    #[error("chemin introuvable / path not found: {0}")]
    MissingRoot(PathBuf),
}

fn relative(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    let rel = if rel.as_os_str().is_empty() {
        Path::new(p.file_name().unwrap_or(p.as_os_str()))
    } else {
        rel
    };
    let s = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// Walk every root and call `sink` once per entry of interest, from the worker threads.
pub fn scan(opts: &ScanOptions, sink: &(dyn Fn(Event) + Sync)) -> Result<(), ScanError> {
    for r in &opts.roots {
        if std::fs::symlink_metadata(r).is_err() {
            return Err(ScanError::MissingRoot(r.clone()));
        }
    }
    for (ri, root) in opts.roots.iter().enumerate() {
        let mut b = WalkBuilder::new(root);
        b.standard_filters(false)
            .follow_links(opts.follow_symlinks)
            .threads(opts.threads);
        if opts.respect_ignore {
            b.git_ignore(true)
                .git_exclude(true)
                .git_global(true)
                .ignore(true)
                .parents(true)
                .require_git(false);
        }
        if !opts.excludes.is_empty() {
            let mut ob = OverrideBuilder::new(root);
            for g in &opts.excludes {
                ob.add(&format!("!{g}")).map_err(|e| ScanError::BadGlob {
                    glob: g.clone(),
                    message: e.to_string(),
                })?;
            }
            let ov = ob.build().map_err(|e| ScanError::BadGlob {
                glob: opts.excludes.join(" "),
                message: e.to_string(),
            })?;
            b.overrides(ov);
        }
        let canon_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
        let canon_root = if canon_root.is_file() {
            canon_root
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or(canon_root)
        } else {
            canon_root
        };
        b.build_parallel().run(|| {
            let mut det = Detector::new();
            let mut buf: Vec<u8> = Vec::new();
            let root = root.clone();
            let canon_root = canon_root.clone();
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(e) => e,
                    Err(err) => {
                        let path = err_path(&err).map_or_else(|| root.display().to_string(), |p| relative(&root, p));
                        sink(Event::Error { path, message: format!("illisible / unreadable: {}", err_message(&err)) });
                        return WalkState::Continue;
                    }
                };
                let Some(ft) = entry.file_type() else { return WalkState::Continue };
                let path = entry.path();
                if ft.is_symlink() && !opts.follow_symlinks {
                    let rel = relative(&root, path);
                    match std::fs::canonicalize(path) {
                        Ok(t) if t.starts_with(&canon_root) && t.is_file() => {}
                        Ok(t) if t.is_dir() => {
                            sink(Event::Skipped { path: rel, reason: "lien symbolique vers un dossier non suivi / directory symlink not followed".into() });
                            return WalkState::Continue;
                        }
                        _ => {
                            sink(Event::Skipped { path: rel, reason: "lien symbolique hors de l'arborescence / symlink out of the tree".into() });
                            return WalkState::Continue;
                        }
                    }
                } else if !ft.is_file() {
                    return WalkState::Continue;
                }
                let rel = relative(&root, path);
                buf.clear();
                let read = std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut buf));
                if let Err(e) = read {
                    sink(Event::Error { path: rel, message: format!("lecture impossible / cannot read: {e}") });
                    return WalkState::Continue;
                }
                // A detector bug must cost one file, not the scan: report it and go on.
                let ev = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scan_bytes(&mut det, rel.clone(), ri, &buf, opts.keep_values)));
                match ev {
                    Ok(ev) => sink(ev),
                    Err(_) => {
                        det = Detector::new();
                        sink(Event::Error { path: rel, message: "erreur interne du scanner / internal scanner error (please report)".into() });
                    }
                }
                WalkState::Continue
            })
        });
    }
    Ok(())
}

fn err_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            err_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

fn err_message(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => err_message(err),
        other => other.to_string(),
    }
}

/// Decode and scan one file's bytes (also the entry point for fuzzing and tests).
pub fn scan_bytes(
    det: &mut Detector,
    path: String,
    root: usize,
    bytes: &[u8],
    keep_values: bool,
) -> Event {
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    let ex = match source::extract(&name, bytes) {
        Ok(ex) => ex,
        Err(ExtractError::Binary(why)) => {
            return Event::Skipped {
                path,
                reason: why.to_string(),
            };
        }
        Err(ExtractError::Corrupt(msg)) => return Event::Error { path, message: msg },
    };
    let mut hits = Vec::new();
    for part in &ex.parts {
        let label = match part.offsets {
            Offsets::Decoded => part.label.clone(),
            _ => None,
        };
        let found = det.scan(&part.text);
        hits.reserve(found.len());
        for f in found {
            let (start, end) = part.map(f.start, f.end);
            let value =
                keep_values.then(|| part.text.get(f.start..f.end).unwrap_or("").to_string());
            hits.push(Hit {
                start,
                end,
                kind: f.kind,
                confidence: f.confidence,
                part: label.clone(),
                value,
            });
        }
    }
    Event::File(FileReport {
        path,
        root,
        kind: ex.kind,
        bytes: bytes.len() as u64,
        hits,
        problems: ex.problems,
    })
}
