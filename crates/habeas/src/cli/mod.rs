//! One module per command group. Each exposes clap `Args` and a `run`
//! function returning the process exit code.

pub mod check;
pub mod demo;
pub mod init;
pub mod mail;
pub mod notice;
pub mod register;
pub mod scan;
// vault: server, tokens, import, journal, keys, benchmarks
pub mod audit;
pub mod bench;
pub mod bench_backup;
pub mod bench_login;
pub mod bench_purge;
pub mod bench_rights;
pub mod import;
pub mod keys;
pub mod limits;
pub mod serve;
pub mod token;
// staff accounts for the console and portal pages
pub mod staff;
// rights: data-subject requests and the consent ledger
pub mod consent;
pub mod requests;
// breaches: the register, notifications, sub-processor notices
pub mod breach;
pub mod subprocessors;
// retention: purge, legal holds, backups
pub mod backup;
pub mod hold;
pub mod purge;
pub mod scheduler;

use std::path::PathBuf;

/// Options shared by every command.
#[derive(Debug, Clone)]
pub struct Global {
    /// The project directory (`-C DIR`).
    pub dir: PathBuf,
}

/// Structured logs on stderr; `HABEAS_LOG` (or `RUST_LOG`) sets the filter.
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HABEAS_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Refuse `subject` unless the vault holds it: a mistyped id must not read as
/// "no hold, no limit" (the commands that show or add to a subject's state).
pub fn require_subject(vault: &habeas_engine::Vault, subject: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        habeas_engine::retention::subject_exists(vault, subject)?,
        "personne concernée inconnue : {subject} (donnez l'identifiant sub_… du coffre) / unknown data subject: {subject} (give the vault's sub_… id)"
    );
    Ok(())
}
