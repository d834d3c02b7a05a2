//! `habeas keys rotate`: rewrap every data key under a new key-encryption
//! key, without re-encrypting any data (issue 3 point 3). Resumable: a
//! rotation interrupted half-way continues with the staged KEK.

use std::process::ExitCode;

use habeas_engine::{Caller, project};

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Rewrap every data key under a new KEK; the old KEK moves to keys/retired/.
    Rotate,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let vault = project::open_project(&global.dir)?;
    match args.command {
        KeysCommand::Rotate => {
            let n = vault.rotate_keys(&Caller::operator("cli", "key_management"))?;
            println!(
                "{n} clés de données re-chiffrées sous la nouvelle KEK / data keys rewrapped under the new KEK"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
