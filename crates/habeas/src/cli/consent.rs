//! `habeas consent give|withdraw|show|proof`: the consent ledger (GDPR
//! Art. 7) of one subject, kept in the vault. Giving and withdrawing are the
//! same one command (Art. 7(3): withdrawal as easy as giving); each event
//! records the channel and the exact notice text shown: the published
//! privacy-notice version in force (`habeas notice publish`; label + SHA-256
//! of its text), or before any is published the declarations version +
//! SHA-256 of the declared `[consents.<purpose>] text`.

use std::path::PathBuf;
use std::process::ExitCode;

use habeas_core::clock::SystemClock;
use habeas_core::consent::ConsentState;
use habeas_core::lang::Lang;
use habeas_engine::project;
use habeas_rights::consent_store::ConsentStore;
use habeas_rights::vault_bridge;

use super::Global;
use super::register::LangArg;
use super::requests::write_out;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Language of the output, and of the consent text shown (its hash is recorded).
    #[arg(long, value_enum, default_value_t = LangArg::Fr, global = true)]
    pub lang: LangArg,
    #[command(subcommand)]
    pub command: ConsentCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConsentCommand {
    /// The subject gives consent for a declared consent purpose.
    Give {
        subject: String,
        /// A `[consents.<purpose>]` key, e.g. newsletter.
        purpose: String,
        /// Where it was given: web_form, email, phone, paper…
        #[arg(long, default_value = "web_form")]
        channel: String,
    },
    /// The subject withdraws consent (effective at once).
    Withdraw {
        subject: String,
        purpose: String,
        #[arg(long, default_value = "web_form")]
        channel: String,
    },
    /// Current state per purpose.
    Show { subject: String },
    /// The proof of consent (Art. 7(1)) as JSON (`habeas.consent-proof/1`).
    Proof {
        subject: String,
        /// Write to FILE instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

fn state_label(s: &ConsentState, lang: Lang) -> String {
    match s {
        ConsentState::Unknown => lang.pick("inconnu", "unknown").into(),
        ConsentState::Given { since } => {
            format!(
                "{} {}",
                lang.pick("donné le", "given on"),
                since.to_rfc3339()
            )
        }
        ConsentState::Refused { since } => {
            format!(
                "{} {}",
                lang.pick("refusé le", "refused on"),
                since.to_rfc3339()
            )
        }
        ConsentState::Withdrawn { since } => {
            format!(
                "{} {}",
                lang.pick("retiré le", "withdrawn on"),
                since.to_rfc3339()
            )
        }
    }
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let lang: Lang = args.lang.into();
    let vault = project::open_project(&global.dir)?;
    let clock = SystemClock;
    let decls = vault.declarations();
    let docs = vault.docs(habeas_rights::vault_bridge::rights_caller("cli"));
    let store = ConsentStore::new(&docs, &clock, decls);
    // The notice version in force (published history), else the declarations'.
    let notice = |purpose: &str| store.shown(purpose, lang);
    // Only about a subject the vault knows; a consent is given only by one
    // that may still receive data (`Vault::check_subject`).
    let (subject, giving) = match &args.command {
        ConsentCommand::Give { subject, .. } => (subject, true),
        ConsentCommand::Withdraw { subject, .. }
        | ConsentCommand::Show { subject }
        | ConsentCommand::Proof { subject, .. } => (subject, false),
    };
    vault.check_subject(subject, giving)?;
    match args.command {
        ConsentCommand::Give {
            subject,
            purpose,
            channel,
        } => {
            let shown = notice(&purpose)?;
            store.give(&subject, &purpose, &channel, shown)?;
            println!(
                "{}",
                lang.pick("consentement enregistré", "consent recorded")
            );
        }
        ConsentCommand::Withdraw {
            subject,
            purpose,
            channel,
        } => {
            let shown = notice(&purpose)?;
            vault_bridge::withdraw_consent(
                &vault,
                &vault_bridge::rights_caller("cli"),
                &store,
                &subject,
                &purpose,
                &channel,
                shown,
            )?;
            println!("{}", lang.pick("consentement retiré", "consent withdrawn"));
        }
        ConsentCommand::Show { subject } => {
            let states = store.states(&subject)?;
            if states.is_empty() {
                println!(
                    "{}",
                    lang.pick("aucun consentement enregistré", "no consent recorded")
                );
            }
            for (purpose, state) in states {
                println!("{purpose}\t{}", state_label(&state, lang));
            }
        }
        ConsentCommand::Proof { subject, output } => {
            let bytes = store.consent_proof_json(&subject)?;
            write_out(output.as_deref(), &bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
