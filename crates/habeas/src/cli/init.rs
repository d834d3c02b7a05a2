//! `habeas init DIR`: create a ready-to-edit project — a commented
//! `habeas.toml` and `declarations/*.toml` that pass `habeas check` with no
//! warning. A non-empty target is refused unless `--force`, so an existing
//! project is never overwritten by accident.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use habeas_core::declarations::starter;

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to create the project in (default: the `-C` directory).
    #[arg(value_name = "DIR")]
    pub target: Option<PathBuf>,
    /// Write into a non-empty directory, overwriting files of the same name.
    #[arg(long)]
    pub force: bool,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let target = args.target.unwrap_or_else(|| global.dir.clone());
    refuse_non_empty(&target, args.force)?;
    let written = create_project(&target)?;
    println!("created a Habeas project in {}:", target.display());
    for path in &written {
        println!("  {}", path.strip_prefix(&target).unwrap_or(path).display());
    }
    println!(
        "next: edit declarations/*.toml, then run `habeas -C {} check`",
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn refuse_non_empty(target: &Path, force: bool) -> anyhow::Result<()> {
    if force || !target.exists() {
        return Ok(());
    }
    if !target.is_dir() {
        anyhow::bail!("{} exists and is not a directory", target.display());
    }
    let mut entries =
        std::fs::read_dir(target).with_context(|| format!("cannot read {}", target.display()))?;
    if entries.next().is_some() {
        anyhow::bail!(
            "{} is not empty: choose an empty or new directory, or pass --force to overwrite files of the same name",
            target.display()
        );
    }
    Ok(())
}

/// Write every file of a new project into `target`, then create its key
/// directory (key-encryption key, blind-index key, journal signing key; 0700
/// directory, 0600 files, outside the data directory); returns the paths
/// written. This is the one place a project is created.
pub(crate) fn create_project(target: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = write_files(target, starter::FILES)?;
    written.extend(create_keys(target)?);
    Ok(written)
}

/// Write `(relative path, contents)` pairs under `dir`, creating folders;
/// returns the paths written.
pub(crate) fn write_files(dir: &Path, files: &[(&str, &str)]) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (relative, contents) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Create the project's key directory where habeas.toml says it lives,
/// unless it already holds keys (`init --force` never replaces a key: that
/// would make every record sealed under it unreadable).
fn create_keys(target: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let settings = habeas_engine::project::load_settings(target)?;
    let paths = habeas_engine::project::vault_paths(target, &settings)?;
    if paths.key_dir.join("kek.key").exists() {
        return Ok(Vec::new());
    }
    let data_dir = paths.data_db.parent().map(Path::to_path_buf);
    habeas_crypto::KeyDir::create(&paths.key_dir, data_dir.as_deref()).with_context(|| {
        format!(
            "cannot create the key directory {}",
            paths.key_dir.display()
        )
    })?;
    Ok(vec![paths.key_dir])
}
