//! `habeas token create|list|revoke`: application tokens scoped to declared
//! purposes (activities) and optionally categories (SPEC C6).

use std::process::ExitCode;

use habeas_engine::{Caller, project};

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Create a token; its secret is printed once.
    Create {
        /// A name for the application using it.
        #[arg(long)]
        name: String,
        /// Declared activities the token may act for (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        purposes: Vec<String>,
        /// Restrict to these categories (comma-separated; default: all the purposes process).
        #[arg(long, value_delimiter = ',')]
        categories: Vec<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token id (the 16 hex characters after `hbs_`).
        id: String,
    },
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let vault = project::open_project(&global.dir)?;
    let operator = Caller::operator("cli", "administration");
    match args.command {
        TokenCommand::Create {
            name,
            purposes,
            categories,
        } => {
            let (token, secret) = vault.create_token(&operator, &name, &purposes, &categories)?;
            eprintln!(
                "jeton « {} » créé (id {}) ; conservez-le, il ne sera plus affiché / token `{}` created (id {}); keep it, it will not be shown again",
                token.name, token.id, token.name, token.id
            );
            println!("{secret}");
        }
        TokenCommand::List => {
            for t in vault.list_tokens()? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let categories = if t.categories.is_empty() {
                    "*".to_string()
                } else {
                    t.categories.join(",")
                };
                println!(
                    "{}\t{}\t{}\tpurposes={}\tcategories={}",
                    t.id,
                    t.name,
                    state,
                    t.purposes.join(","),
                    categories
                );
            }
        }
        TokenCommand::Revoke { id } => {
            if vault.revoke_token(&operator, &id)? {
                eprintln!("jeton {id} révoqué / token {id} revoked");
            } else {
                eprintln!("aucun jeton actif {id} / no active token {id}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
