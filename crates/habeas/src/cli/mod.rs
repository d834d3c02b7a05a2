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
pub mod stats;
pub mod token;
// staff accounts for the console and portal pages
pub mod staff;
pub mod subject;
// rights: data-subject requests and the consent ledger
pub mod consent;
pub mod requests;
// breaches: the register, notifications, sub-processor notices
pub mod breach;
pub mod subprocessors;
// retention: purge, legal holds, backups
pub mod backup;
pub mod hold;
pub mod journal_retention;
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
/// Colours only on a terminal: a log file or journald gets plain text.
pub fn init_logging() {
    use std::io::IsTerminal as _;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("HABEAS_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    // axum traces each accepted connection with the client's address — an
    // IP address is personal data (CJEU C-582/14, Breyer): never below debug.
    let filter = match "axum::serve=debug".parse() {
        Ok(cap) => filter.add_directive(cap),
        Err(_) => filter,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
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

/// An error and its causes on one line, each said once. anyhow's `{:#}` writes every cause
/// after its parent, but many of our errors already quote their source in their own message
/// (`"request {id}: {source}"`), which then came twice: "request R: an extension is of 1 or
/// 2 further months …: an extension is of 1 or 2 further months …".
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::error_line;

    /// Like our thiserror types: `#[error("request {id}: {source}")]`.
    #[derive(Debug)]
    struct Quoting {
        id: &'static str,
        source: std::io::Error,
    }

    impl std::fmt::Display for Quoting {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "request {}: {}", self.id, self.source)
        }
    }

    impl std::error::Error for Quoting {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn a_cause_already_quoted_by_its_parent_is_not_repeated() {
        let inner = || std::io::Error::other("an extension is of 1 or 2 further months, not 3");
        let err = anyhow::Error::new(Quoting {
            id: "R-1",
            source: inner(),
        });
        assert_eq!(
            error_line(&err),
            "request R-1: an extension is of 1 or 2 further months, not 3"
        );
        // Context that does not quote its cause keeps it, once.
        let err = anyhow::Error::new(inner()).context("cannot extend R-1");
        assert_eq!(
            error_line(&err),
            "cannot extend R-1: an extension is of 1 or 2 further months, not 3"
        );
    }
}
