//! `habeas keys`: key operations of the vault (issue 3 point 3).
//!
//! `rotate` rewraps every data key under a new key-encryption key, without
//! re-encrypting any data. Resumable: a rotation interrupted half-way
//! continues with the staged KEK. With `provider = "env"` the new KEK is the
//! secret in `<VAR>_NEXT` (the vault cannot change the environment): every
//! data key is rewrapped under it, then the operator moves it into `VAR`.
//! With `provider = "pkcs11"` the new KEK is a new token key: name it in
//! `key_label`, move the old label into `retired_key_labels`, create it
//! (`create-pkcs11`), restart, then rotate; the old token key is destroyed
//! by the operator once a rotation reports nothing left to rewrap.
//!
//! `create-pkcs11` generates the AES-256 KEK on the token `habeas.toml`
//! names (`[keys] provider = "pkcs11"`), non-extractable, so a new project
//! can open its vault; it refuses a label already taken.

use std::process::ExitCode;

use anyhow::bail;
use habeas_engine::vault::KeySource;
use habeas_engine::{Caller, project};

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Rewrap every data key under a new KEK; the old KEK moves to keys/retired/
    /// (provider = "env": the new KEK is the secret in <VAR>_NEXT; provider =
    /// "pkcs11": the token key `key_label`, the old ones in retired_key_labels).
    Rotate,
    /// Create the KEK on the PKCS#11 token named in habeas.toml ([keys] provider = "pkcs11").
    #[command(name = "create-pkcs11")]
    CreatePkcs11,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        KeysCommand::Rotate => {
            let vault = project::open_project(&global.dir)?;
            let n = vault.rotate_keys(&Caller::operator("cli", "key_management"))?;
            println!(
                "{n} clés de données re-chiffrées sous la nouvelle KEK / data keys rewrapped under the new KEK"
            );
            if let KeySource::Pkcs11 { retired_labels, .. } = &vault.paths().keys {
                println!(
                    "Étape suivante : quand chaque processus tourne avec ce habeas.toml et qu'une \
                     rotation rapporte 0 clé, retirez {labels} de retired_key_labels puis détruisez \
                     ces clés sur le jeton / Next: once every process runs with this habeas.toml \
                     and a rotation reports 0 keys, remove {labels} from retired_key_labels, then \
                     destroy those keys on the token",
                    labels = retired_labels.join(", ")
                );
            }
            if let KeySource::Env { variable } = &vault.paths().keys {
                let next = format!("{variable}{}", habeas_engine::keys::ENV_NEXT_SUFFIX);
                println!(
                    "Étape suivante : donnez à {variable} la valeur de {next}, supprimez {next}, \
                     puis redémarrez chaque processus / Next: set {variable} to the value of \
                     {next}, unset {next}, then restart every process"
                );
            }
        }
        KeysCommand::CreatePkcs11 => {
            let settings = project::load_settings(&global.dir)?;
            let paths = project::vault_paths(&global.dir, &settings)?;
            let KeySource::Pkcs11 { token, .. } = &paths.keys else {
                bail!(
                    "habeas.toml ne choisit pas un jeton PKCS#11 / habeas.toml does not use a \
                     PKCS#11 token: set [keys] provider = \"pkcs11\" with module, token_label \
                     and key_label first"
                );
            };
            let kek = habeas_crypto::Pkcs11Kek::create_key(token)?;
            println!(
                "KEK créée sur le jeton / KEK created on the token: {}",
                habeas_crypto::KeyEncryptionKey::id(&kek)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
