//! `habeas subject`: find a subject by an identifier, show what the vault
//! holds of them and when it goes (categories, records, next deletion, the
//! event still awaited — metadata only, nothing decrypted), and date the
//! retention events its records wait for (a contract's end, an account
//! closure, a last contact, a provider event a rule names). Dating an event
//! recomputes the records' retention due dates from the declared rules (GDPR
//! Art. 5(1)(e)); the next purge erases what became due. All are journaled.

use std::process::ExitCode;

use habeas_core::declarations::Declarations;
use habeas_engine::HeldCategory;
use habeas_engine::import_csv;
use habeas_engine::{Caller, project};

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SubjectCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SubjectCommand {
    /// Trouver une personne par identifiant / find a subject by an identifier.
    Find {
        /// `email`, `phone`, or a declared identifier field (`account_id` …).
        kind: String,
        /// The identifier's value.
        value: String,
        /// The declared activity this lookup serves (journaled).
        #[arg(long, default_value = "administration")]
        purpose: String,
    },
    /// Ce que le coffre détient d'une personne et quand cela part / what the vault holds of a subject and when it goes.
    Show {
        /// The subject id (`sub_…`).
        subject: String,
        /// The declared activity this query serves (journaled).
        #[arg(long, default_value = "administration")]
        purpose: String,
    },
    /// Dater un événement de conservation (fin de contrat…) / date a retention event (contract end…).
    Event {
        /// The subject id (`sub_…`).
        subject: String,
        /// `contract_end`, `account_closure`, `last_interaction`, or the event a
        /// declared retention rule runs from (`domain_cancelled` …).
        event: String,
        /// When it happened: 2026-01-31 or 31/01/2026 (midnight, Paris time),
        /// or an RFC 3339 date-time; default: now.
        #[arg(long, value_parser = parse_at)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        /// Who records it (journaled).
        #[arg(long, default_value = "cli")]
        by: String,
    },
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let vault = project::open_project(&global.dir)?;
    match args.command {
        SubjectCommand::Find {
            kind,
            value,
            purpose,
        } => {
            let found = vault.find(&Caller::operator("cli", &purpose), &kind, &value)?;
            if found.is_empty() {
                eprintln!("aucune personne trouvée / no subject found");
                return Ok(ExitCode::from(1));
            }
            for s in found {
                println!("{s}");
            }
        }
        SubjectCommand::Show { subject, purpose } => {
            let held = vault.held_categories(&Caller::operator("cli", &purpose), &subject)?;
            println!(
                "{subject} : {} catégorie(s), {} enregistrement(s) / {} categories, {} records",
                held.len(),
                held.iter().map(|h| h.records).sum::<u64>(),
                held.len(),
                held.iter().map(|h| h.records).sum::<u64>()
            );
            for h in &held {
                println!(
                    "  {:<20} {:>7}  {}  {}",
                    h.category,
                    h.records,
                    day(h.last_collected),
                    goes(vault.declarations(), h)
                );
            }
        }
        SubjectCommand::Event {
            subject,
            event,
            at,
            by,
        } => {
            let done =
                vault.date_event(&Caller::operator(&by, "retention"), &subject, &event, at)?;
            let total: u64 = done.updated.values().sum();
            let by_category = done
                .updated
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "{event} daté : {total} enregistrement(s) ({by_category}), {} à supprimer dès la prochaine purge / \
                 {event} dated: {total} record(s) ({by_category}), {} due at the next purge",
                done.due_now, done.due_now
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// When a category's records go: the next due date, and how many wait for
/// the event their rule runs from (or are kept without a date).
fn goes(decls: &Declarations, h: &HeldCategory) -> String {
    let category = decls.category(&h.category);
    if category.is_some_and(|c| c.high_volume) {
        return "avec leur partition mensuelle / with their month's partition".into();
    }
    let mut parts = Vec::new();
    if let Some(due) = h.next_due {
        let due = day(due);
        parts.push(format!(
            "suppression à partir du {due} / deleted from {due}"
        ));
    }
    if h.undated > 0 {
        let n = h.undated;
        parts.push(
            match category
                .and_then(|c| c.retention_anchor())
                .filter(|a| *a != habeas_core::retention::Anchor::Collection)
            {
                Some(anchor) => format!(
                    "{n} en attente de « {event} » (habeas subject event) / {n} waiting for `{event}` (habeas subject event)",
                    event = anchor.key()
                ),
                None => format!("{n} sans date de suppression / {n} with no deletion date"),
            },
        );
    }
    parts.join(" ; ")
}

/// The day of an instant in France and Belgium (Paris time), as the dates
/// given to `--at` and in CSV cells are read.
fn day(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    habeas_core::calendar::to_local(at).date()
}

fn parse_at(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    import_csv::instant(text).ok_or_else(|| {
        "une date : 2026-01-31, 31/01/2026 (minuit, heure de Paris) ou 2026-01-31T12:00:00Z / \
         a date: 2026-01-31, 31/01/2026 (midnight, Paris time) or 2026-01-31T12:00:00Z"
            .to_string()
    })
}
