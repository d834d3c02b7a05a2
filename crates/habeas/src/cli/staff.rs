//! `habeas staff add|list|disable|enable|reset|roles`: the staff accounts
//! that sign in to the console (SPEC C6), over habeas-auth with the vault as
//! document store (every change journaled as the operator).

use std::collections::BTreeSet;
use std::process::ExitCode;

use habeas_core::clock::SystemClock;
use habeas_engine::{Caller, project};
use habeas_web::ui::auth::{Auth, AuthConfig, CsrfKey, NewStaff, ResetScope, RoleCatalog};

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: StaffCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum StaffCommand {
    /// Create an account; its one-time password is printed once.
    Add {
        /// Login: 2–64 characters a–z 0–9 . _ -
        login: String,
        /// Name shown in the console.
        #[arg(long)]
        name: String,
        /// Declared roles (`[roles.<name>]`), comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
    },
    /// List accounts (never a hash, secret or code).
    List,
    /// Disable an account (its sessions end).
    Disable { id: String },
    /// Enable a disabled account.
    Enable { id: String },
    /// New one-time password and/or removal of the second factor.
    Reset {
        id: String,
        /// Issue a new one-time password.
        #[arg(long)]
        password: bool,
        /// Remove TOTP and recovery codes (enrol again at next sign-in).
        #[arg(long)]
        totp: bool,
    },
    /// Replace an account's roles.
    Roles {
        id: String,
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
    },
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let vault = project::open_project(&global.dir)?;
    let auth = Auth::new(
        AuthConfig::default(),
        RoleCatalog::from_declarations(vault.declarations()),
        // The CLI opens no web session: a throw-away CSRF key is enough.
        CsrfKey::generate()?,
    )?;
    let docs = vault.docs(Caller::operator("cli", "staff-administration"));
    let svc = auth.service(&docs, &SystemClock);
    let show = |s: &habeas_web::ui::auth::StaffSummary| {
        println!(
            "{}\t{}\t{}\t{}\t{:?}\ttotp={}",
            s.id,
            s.login,
            s.display_name,
            s.roles.iter().cloned().collect::<Vec<_>>().join(","),
            s.status,
            s.totp_enrolled
        );
    };
    match args.command {
        StaffCommand::Add { login, name, roles } => {
            let created = svc.add_staff(&NewStaff {
                login,
                display_name: name,
                roles: roles.into_iter().collect::<BTreeSet<_>>(),
            })?;
            show(&created.summary);
            eprintln!(
                "mot de passe à usage unique (à changer à la première connexion) / one-time password (to change at first sign-in):"
            );
            println!("{}", created.initial_password.expose());
        }
        StaffCommand::List => {
            for s in svc.list_staff()? {
                show(&s);
            }
        }
        StaffCommand::Disable { id } => show(&svc.disable_staff(&id)?),
        StaffCommand::Enable { id } => show(&svc.enable_staff(&id)?),
        StaffCommand::Reset { id, password, totp } => {
            if !password && !totp {
                anyhow::bail!(
                    "rien à réinitialiser : ajoutez --password et/ou --totp / nothing to reset: add --password and/or --totp"
                );
            }
            let outcome = svc.reset_staff(&id, ResetScope { password, totp })?;
            show(&outcome.summary);
            if let Some(p) = outcome.temporary_password {
                eprintln!("nouveau mot de passe à usage unique / new one-time password:");
                println!("{}", p.expose());
            }
        }
        StaffCommand::Roles { id, roles } => {
            show(&svc.set_staff_roles(&id, &roles.into_iter().collect())?)
        }
    }
    Ok(ExitCode::SUCCESS)
}
