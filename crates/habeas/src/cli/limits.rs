//! `habeas limits`: a subject's restrictions (GDPR Art. 18) and objections
//! (Art. 21), as recorded when their request is handled. The vault enforces
//! them on every read and write for the purpose (storage continues); each
//! change is journaled. Consent withdrawals go through `habeas consent`.

use std::process::ExitCode;

use habeas_core::lang::Lang;
use habeas_core::rights::policy::ObjectionStatus;
use habeas_engine::{Caller, project};
use habeas_rights::vault_bridge;

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: LimitsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum LimitsCommand {
    /// Afficher / show a subject's restrictions and objections.
    Show { subject: String },
    /// Limiter un traitement (art. 18) / restrict a purpose (Art. 18).
    Restrict(Target),
    /// Lever la limitation (informer la personne, art. 18(3)) / lift a restriction (tell the subject, Art. 18(3)).
    Lift(Target),
    /// Enregistrer une opposition (art. 21) / record an objection (Art. 21).
    Object(Target),
    /// Motifs impérieux l'emportant sur l'opposition (sans effet sur la prospection) /
    /// compelling grounds overriding an objection (no effect on direct marketing).
    Override {
        #[command(flatten)]
        target: Target,
        /// The grounds and their reference (kept with the objection).
        #[arg(long)]
        grounds: String,
    },
    /// Retirer une opposition (à la demande de la personne) / withdraw an objection (at the subject's request).
    Withdraw(Target),
}

#[derive(Debug, clap::Args)]
struct Target {
    /// The subject id (`sub_…`).
    subject: String,
    /// The declared activity concerned (e.g. PA-0008).
    #[arg(long)]
    purpose: String,
    /// Who records it (journaled).
    #[arg(long, default_value = "cli")]
    by: String,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let vault = project::open_project(&global.dir)?;
    let caller = |by: &str| Caller::operator(by, "rights-requests");
    let limits = match args.command {
        LimitsCommand::Show { subject } => {
            super::require_subject(&vault, &subject)?;
            vault.processing_limits(&subject)?.0
        }
        LimitsCommand::Restrict(t) => {
            vault.set_restriction(&caller(&t.by), &t.subject, &t.purpose, true)?
        }
        LimitsCommand::Lift(t) => {
            // Art. 18(3): the subject is told before the restriction is
            // lifted; a mail that cannot be sent stops the lift.
            tell_restriction_lifted(global, &vault, &caller(&t.by), &t)?;
            vault.set_restriction(&caller(&t.by), &t.subject, &t.purpose, false)?
        }
        LimitsCommand::Object(t) => vault.set_objection(
            &caller(&t.by),
            &t.subject,
            &t.purpose,
            Some(ObjectionStatus::Active),
        )?,
        LimitsCommand::Override { target: t, grounds } => {
            if grounds.trim().is_empty() {
                anyhow::bail!(
                    "--grounds ne peut pas être vide (art. 21(1) : motifs impérieux démontrés) / --grounds cannot be empty (Art. 21(1): demonstrated compelling grounds)"
                );
            }
            vault.set_objection(
                &caller(&t.by),
                &t.subject,
                &t.purpose,
                Some(ObjectionStatus::Overridden { grounds }),
            )?
        }
        LimitsCommand::Withdraw(t) => {
            vault.set_objection(&caller(&t.by), &t.subject, &t.purpose, None)?
        }
    };
    println!("{}", serde_json::to_string_pretty(&limits)?);
    Ok(ExitCode::SUCCESS)
}

/// Mails the subject (address on file) that processing for the purpose
/// resumes today, in French and English.
fn tell_restriction_lifted(
    global: &Global,
    vault: &habeas_engine::Vault,
    caller: &Caller,
    t: &Target,
) -> anyhow::Result<()> {
    let decls = vault.declarations();
    let Some(activity) = decls.activity(&t.purpose) else {
        anyhow::bail!(
            "--purpose {}: aucune activité déclarée sous ce nom / no declared activity has that id",
            t.purpose
        );
    };
    let purpose = format!("{} — {}", t.purpose, activity.name.get(Lang::Fr));
    let contact = vault_bridge::default_contact_ref(vault, caller, &t.subject)?;
    let to = vault_bridge::resolve_contact(vault, caller, &t.subject, &contact)?;
    let settings = project::load_settings(&global.dir)?;
    let mailer = super::requests::mailer_for(&global.dir, &settings, vault)?;
    let today = decls.holiday_calendar().local_date(chrono::Utc::now());
    vault_bridge::Notifier::new(mailer.as_ref(), decls).restriction_lifted(to, purpose, today)?;
    eprintln!("personne informée par courriel (art. 18(3)) / subject told by mail (Art. 18(3))");
    Ok(())
}
