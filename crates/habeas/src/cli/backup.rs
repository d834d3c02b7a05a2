//! `habeas backup create|list|verify|restore|rotate`: encrypted backups of
//! the vault's data store (SPEC C5; GDPR Art. 32(1)(c)) and restores that
//! re-apply every erasure made since (Art. 17), so nothing erased comes back.
//!
//! `create` works while the server runs (SQLite `VACUUM INTO`, PostgreSQL
//! `pg_dump`); the key store and the tombstone ledger are never in a backup.
//! `restore` needs the server stopped. Backups go to `<project>/backups` unless
//! `--backup-dir` says otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use habeas_core::clock::{Clock, SystemClock};
use habeas_core::consent::{NoticeShown, Sha256Digest};
use habeas_core::declarations::Declarations;
use habeas_core::lang::Lang;
use habeas_engine::backup::{
    create_backup, list_backups, restore_backup, rotate_backups, verify_backup,
};
use habeas_engine::{Caller, Vault, project};
use habeas_retention::gfs::GfsPolicy;
use habeas_retention::tombstone::{Tombstone, TombstoneEvent};
use habeas_rights::consent_store::ConsentStore;

use super::Global;
use super::register::LangArg;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The backup directory (default: <project>/backups).
    #[arg(long = "backup-dir", global = true, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Language of the output.
    #[arg(long, value_enum, default_value_t = LangArg::Fr, global = true)]
    pub lang: LangArg,
    #[command(subcommand)]
    pub command: BackupCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum BackupCommand {
    /// Make a consistent, encrypted backup now (the server may be running).
    Create,
    /// List the backups of the directory (no key needed).
    List,
    /// Authenticate every chunk of a backup without restoring it.
    Verify { file: PathBuf },
    /// Restore a backup (stop the server first), then re-apply every
    /// erasure, identifier rectification and consent withdrawal recorded
    /// since it was taken, and purge what is due again.
    Restore { file: PathBuf },
    /// Delete the backups a grandfather-father-son policy no longer keeps.
    Rotate {
        #[arg(long, default_value_t = 7)]
        daily: u32,
        #[arg(long, default_value_t = 4)]
        weekly: u32,
        #[arg(long, default_value_t = 6)]
        monthly: u32,
    },
}

/// The backup directory of a project.
pub fn backup_dir(project: &Path, dir: Option<&Path>) -> PathBuf {
    match dir {
        Some(d) if d.is_absolute() => d.to_path_buf(),
        Some(d) => project.join(d),
        None => project.join("backups"),
    }
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let lang: Lang = args.lang.into();
    let dir = backup_dir(&global.dir, args.backup_dir.as_deref());
    match args.command {
        BackupCommand::Create => {
            let vault = project::open_project(&global.dir)?;
            let info = create_backup(&vault, &dir)?;
            println!(
                "{} {} ({} {}, {})",
                lang.pick("sauvegarde écrite :", "backup written:"),
                info.file.display(),
                info.bytes,
                lang.pick("octets", "bytes"),
                info.backend
            );
        }
        BackupCommand::List => {
            let list = list_backups(&dir)?;
            if list.is_empty() {
                println!("{}", lang.pick("aucune sauvegarde", "no backup"));
            }
            for b in list {
                println!(
                    "{}\t{}\t{} {}\tKEK {}",
                    b.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    b.file
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default(),
                    b.bytes,
                    lang.pick("octets", "bytes"),
                    b.kek
                );
            }
        }
        BackupCommand::Verify { file } => {
            let settings = project::load_settings(&global.dir)?;
            let paths = project::vault_paths(&global.dir, &settings)?;
            let file = resolve(&dir, &file);
            // A missing file is a mistyped name, not a damaged backup.
            anyhow::ensure!(
                file.is_file(),
                "{} : aucun fichier de sauvegarde de ce nom (`habeas backup list` les liste) / \
                 no backup file of that name (`habeas backup list` lists them)",
                file.display()
            );
            match verify_backup(&paths, &file) {
                Ok(v) => println!(
                    "{} {} ({} chunks, {} {})",
                    lang.pick("sauvegarde intègre, prise le", "backup sound, taken at"),
                    v.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    v.chunks,
                    v.content_bytes,
                    lang.pick("octets de contenu", "content bytes")
                ),
                Err(e) => {
                    eprintln!(
                        "{} {e}",
                        lang.pick("sauvegarde NON intègre :", "backup NOT sound:")
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        BackupCommand::Restore { file } => {
            let file = resolve(&dir, &file);
            let settings = project::load_settings(&global.dir)?;
            let paths = project::vault_paths(&global.dir, &settings)?;
            let decls = project::load_declarations(&global.dir)?;
            let clock: Arc<dyn Clock> = Arc::new(SystemClock);
            let report = restore_backup(&paths, &decls, clock.clone(), &file)?;
            let withdrawals = report.consent_withdrawals.len();
            let vault = project::open_project_with(&global.dir, &settings, clock.clone())?;
            if withdrawals > 0 {
                withdraw_again(&vault, &decls, &*clock, &report.consent_withdrawals)?;
            }
            // Records purged since the backup came back with it: they are
            // due, so the purge removes them again at once (Art. 5(1)(e)).
            let purged = super::purge::purge_now(&vault, &*clock)?;
            println!(
                "{} {}",
                lang.pick(
                    "sauvegarde restaurée, prise le",
                    "backup restored, taken at"
                ),
                report
                    .taken_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_default()
            );
            println!(
                "{}: {} ({} {}, {} {}, {} {})",
                lang.pick("événements ré-appliqués", "events re-applied"),
                report.replayed,
                report.erasures,
                lang.pick("effacements", "erasures"),
                report.rectifications,
                lang.pick("rectifications", "rectifications"),
                withdrawals,
                lang.pick("retraits de consentement", "consent withdrawals"),
            );
            println!(
                "{}: {}",
                lang.pick(
                    "enregistrements échus purgés à nouveau",
                    "due records purged again"
                ),
                purged.summary.removed()
            );
        }
        BackupCommand::Rotate {
            daily,
            weekly,
            monthly,
        } => {
            let policy = GfsPolicy {
                daily,
                weekly,
                monthly,
            };
            let (kept, deleted) = rotate_backups(&dir, &policy)?;
            for name in &deleted {
                println!("{} {name}", lang.pick("supprimée :", "deleted:"));
            }
            println!(
                "{} {}, {} {}",
                kept.len(),
                lang.pick("gardées", "kept"),
                deleted.len(),
                lang.pick("supprimées", "deleted")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A bare file name is looked up in the backup directory.
fn resolve(dir: &Path, file: &Path) -> PathBuf {
    if file.components().count() == 1 && !file.exists() {
        dir.join(file)
    } else {
        file.to_path_buf()
    }
}

/// Consent withdrawals recorded after the backup: withdrawn again in the
/// restored consent ledger (Art. 7(3)).
fn withdraw_again(
    vault: &Vault,
    decls: &Declarations,
    clock: &dyn Clock,
    events: &[Tombstone],
) -> anyhow::Result<()> {
    let docs = vault.docs(Caller::operator("restore", "administration"));
    let store = ConsentStore::new(&docs, clock, decls);
    let version = decls
        .meta()
        .map(|m| m.version.get_ref().clone())
        .unwrap_or_else(|| "unversioned".into());
    for t in events {
        if let TombstoneEvent::ConsentWithdrawal { subject, purpose } = &t.event {
            let Some((_, declared)) = decls.consents.iter().find(|(k, _)| k.get_ref() == purpose)
            else {
                continue; // the purpose is no longer declared: nothing to withdraw
            };
            let shown = NoticeShown {
                version: version.clone(),
                sha256: Sha256Digest::of(declared.text.get(Lang::Fr).as_bytes()),
            };
            store
                .withdraw(subject, purpose, "restore", shown)
                .with_context(|| format!("re-applying consent withdrawal #{}", t.seq))?;
        }
    }
    Ok(())
}
