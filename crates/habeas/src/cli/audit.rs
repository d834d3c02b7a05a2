//! `habeas audit verify`: prove the journal intact, or name its first broken
//! entry. `habeas audit drop-through N`: journal retention — drop entries up
//! to a signed checkpoint without breaking verification of the rest.

use std::process::ExitCode;

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
    /// Drop entries up to and including the signed checkpoint N.
    DropThrough {
        /// Entry number of a signed checkpoint (see `habeas audit checkpoints`).
        n: u64,
    },
    /// List the signed checkpoints (entries covered).
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
        AuditCommand::Checkpoints => {
            let vault = project::open_project(&global.dir)?;
            for n in vault.checkpoints()? {
                println!("{n}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
