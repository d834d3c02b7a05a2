//! `habeas check`: read the project's declarations (and `habeas.toml`),
//! validate them, print every finding, exit non-zero on errors.
//! The rules live in `habeas_core::declarations::check`; this file only
//! reads files and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use habeas_core::declarations::{self, Checked, Diagnostic, diagnostic};

use super::Global;

/// Output format of the findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// rustc-like text with file:line:col and a help line.
    Human,
    /// One JSON document for tools and CI.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
    /// Fail on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let checked = load_project(&global.dir)?;
    let d = &checked.declarations;
    let counts = format!(
        "checked {} files: {} activities, {} data categories, {} recipients, {} staff roles",
        d.sources.len(),
        d.activities.len(),
        d.categories.len(),
        d.recipients.len(),
        d.roles.len()
    );
    let mut diagnostics = checked.diagnostics;
    diagnostics.extend(check_settings(&global.dir)?);
    match args.format {
        CheckFormat::Human => {
            eprintln!("{counts}");
            eprint!("{}", diagnostic::render_human(&diagnostics));
        }
        CheckFormat::Json => println!("{}", diagnostic::render_json(&diagnostics)),
    }
    let failed = diagnostics
        .iter()
        .any(|d| d.is_error() || args.deny_warnings);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The declaration files of a project: `DIR/declarations/*.toml`, sorted,
/// with paths shown relative to DIR.
pub(crate) fn read_declarations(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let folder = dir.join("declarations");
    let entries = std::fs::read_dir(&folder).with_context(|| {
        format!(
            "no declarations folder at {} (create a project with `habeas init DIR`, or pass `-C DIR`)",
            folder.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        anyhow::bail!("{} holds no .toml file", folder.display());
    }
    paths
        .into_iter()
        .map(|p| {
            let contents = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            let shown = p.strip_prefix(dir).unwrap_or(&p).display().to_string();
            Ok((shown, contents))
        })
        .collect()
}

/// Load and check a project's declarations.
pub(crate) fn load_project(dir: &Path) -> anyhow::Result<Checked> {
    Ok(declarations::load_and_check(&read_declarations(dir)?))
}

/// Check `habeas.toml` if the project has one.
fn check_settings(dir: &Path) -> anyhow::Result<Vec<Diagnostic>> {
    let path = dir.join("habeas.toml");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let contents = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(habeas_core::settings::parse("habeas.toml", &contents, dir)
        .err()
        .unwrap_or_default())
}
