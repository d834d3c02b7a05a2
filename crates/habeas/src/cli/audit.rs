//! `habeas audit verify`: prove the journal intact, or name its first broken
//! entry. `habeas audit retention`: the declared journal retention (`[audit]`
//! in habeas.toml), which the scheduler also applies daily. `habeas audit
//! drop-through N`: drop entries up to a signed checkpoint by hand. Either
//! way verification of the rest still holds.

use std::process::ExitCode;

use chrono::SecondsFormat;
use habeas_engine::{Caller, Verdict, project};

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain and the signed checkpoints; exit 1 if broken.
    Verify {
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Apply the declared journal retention ([audit] in habeas.toml): drop
    /// entries older than the cut-off, up to a signed checkpoint.
    Retention {
        /// Say what would go, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Judge as of this instant instead of the system clock (RFC 3339).
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
        /// Who runs it, as written in the journal.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Drop entries up to and including the signed checkpoint N.
    DropThrough {
        /// Entry number of a signed checkpoint (see `habeas audit checkpoints`).
        n: u64,
    },
    /// List the signed checkpoints: entries covered, and the time of the last.
    Checkpoints,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Verify { json } => {
            let verdict = project::verify_project(&global.dir)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&verdict)?);
            }
            match verdict {
                Verdict::Intact {
                    first,
                    last,
                    checkpoints,
                    unsigned_tail,
                } => {
                    if !json {
                        let text = if last == 0 {
                            "journal intact : aucune entrée\njournal intact: no entries".to_string()
                        } else if last < first {
                            // Every entry up to `last` was dropped by the journal's retention.
                            format!(
                                "journal intact : aucune entrée après #{last} (les précédentes ont été supprimées par la rétention du journal)\n\
                                 journal intact: no entries after #{last} (the earlier ones were dropped by the journal's retention)"
                            )
                        } else {
                            format!(
                                "journal intact : entrées #{first} à #{last}, {checkpoints} points de contrôle signés, {unsigned_tail} entrées après le dernier\n\
                                 journal intact: entries #{first} to #{last}, {checkpoints} signed checkpoints, {unsigned_tail} entries after the last one"
                            )
                        };
                        println!("{text}");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Verdict::Broken { entry, reason } => {
                    if !json {
                        println!(
                            "journal ALTÉRÉ : première entrée en défaut #{entry}\njournal BROKEN: first broken entry #{entry}: {reason}"
                        );
                    }
                    Ok(ExitCode::from(1))
                }
            }
        }
        AuditCommand::DropThrough { n } => {
            let vault = project::open_project(&global.dir)?;
            let dropped =
                vault.drop_journal_through(&Caller::operator("cli", "journal_retention"), n)?;
            println!("{dropped} entrées supprimées / entries dropped (through #{n})");
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Retention { dry_run, now, by } => {
            let clock = super::purge::clock_for(now.as_deref())?;
            let (vault, settings) = project::open_project_and_settings(&global.dir)?;
            match super::journal_retention::run(&vault, &settings, clock.as_ref(), &by, dry_run)? {
                Some(run) => {
                    println!("{}", super::journal_retention::report(&run));
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("error: {}", super::journal_retention::NOT_DECLARED);
                    Ok(ExitCode::from(2))
                }
            }
        }
        AuditCommand::Checkpoints => {
            let vault = project::open_project(&global.dir)?;
            for n in vault.checkpoints()? {
                match vault.journal_entry_time(n)? {
                    Some(at) => println!("{n}\t{}", at.to_rfc3339_opts(SecondsFormat::Secs, true)),
                    // The checkpoint a retention stopped at: its entry is gone.
                    None => println!("{n}\t(entrée supprimée / entry dropped)"),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
