//! Open the vault of a Habeas project directory: `habeas.toml` (storage,
//! keys), `declarations/*.toml` (categories, purposes), and the default
//! layout `data/habeas.db`, `keystore/keys.db`, `keys/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use habeas_core::clock::{Clock, SystemClock};
use habeas_core::declarations::{self, Declarations, diagnostic};
use habeas_core::settings::{KeyProvider, Settings, StorageUrl};
use habeas_crypto::{KeysConfig, Pkcs11Settings};

use crate::error::{EngineError, Result};
use crate::vault::{KeySource, PgUrls, Vault, VaultPaths};

/// The project's settings (defaults when `habeas.toml` is absent).
pub fn load_settings(dir: &Path) -> Result<Settings> {
    let mut settings = load_settings_file(dir)?;
    let unknown = habeas_core::settings::apply_env(&mut settings, std::env::vars())
        .map_err(|e| EngineError::Config(format!("environment override: {e}")))?;
    for name in unknown {
        // Once per process and name: a command that opens the project
        // twice (a restore, a test) would otherwise say it again.
        if first_warning(&name) {
            // The name only: a value could be a secret.
            tracing::warn!(
                variable = %name,
                "unknown HABEAS_SECTION__KEY override ignored (see docs/declarations.md)"
            );
        }
    }
    Ok(settings)
}

/// Whether `name` is warned about for the first time in this process.
fn first_warning(name: &str) -> bool {
    static WARNED: std::sync::Mutex<std::collections::BTreeSet<String>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    WARNED
        .lock()
        .map(|mut warned| warned.insert(name.to_string()))
        .unwrap_or(true)
}

/// `habeas.toml` alone (defaults when there is none).
fn load_settings_file(dir: &Path) -> Result<Settings> {
    let path = dir.join("habeas.toml");
    if !path.exists() {
        return Ok(Settings::defaults());
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| EngineError::Config(format!("cannot read {}: {e}", path.display())))?;
    habeas_core::settings::parse("habeas.toml", &text, dir).map_err(|diags| {
        EngineError::Config(format!(
            "habeas.toml is invalid (run `habeas check`):\n{}",
            diagnostic::render_human(&diags)
        ))
    })
}

/// The project's declarations; refuses declarations with errors.
pub fn load_declarations(dir: &Path) -> Result<Declarations> {
    let folder = dir.join("declarations");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|e| {
            EngineError::Config(format!(
                "no declarations folder at {} ({e}); create a project with `habeas init DIR` or pass `-C DIR`",
                folder.display()
            ))
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p)
            .map_err(|e| EngineError::Config(format!("cannot read {}: {e}", p.display())))?;
        files.push((
            p.strip_prefix(dir).unwrap_or(&p).display().to_string(),
            text,
        ));
    }
    let checked = declarations::load_and_check(&files);
    if checked.has_errors() {
        return Err(EngineError::Config(format!(
            "the declarations have errors (run `habeas check`):\n{}",
            diagnostic::render_human(&checked.diagnostics)
        )));
    }
    Ok(checked.declarations)
}

/// Where the vault's files go for this project. With `[storage] url =
/// "postgres://…"` the data lives in that database (schema `habeas`, or the
/// URL's `schema=`), and the wrapped data keys in [`key_store_url`]: the
/// environment variable `HABEAS_KEYSTORE_URL` (its own credentials, ideally
/// its own database), else the same server with the schema suffixed `_keys`.
pub fn vault_paths(dir: &Path, settings: &Settings) -> Result<VaultPaths> {
    let default_db = dir.join("data").join("habeas.db");
    let (data_db, postgres) = match settings.storage_url() {
        Some(StorageUrl::Sqlite(path)) => {
            let path = if path.is_absolute() {
                path
            } else {
                dir.join(path)
            };
            (path, None)
        }
        Some(StorageUrl::Postgres(url)) => {
            let keys = std::env::var(KEYSTORE_URL_VAR)
                .ok()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| key_store_url(&url));
            (default_db, Some(PgUrls { data: url, keys }))
        }
        None => {
            return Err(EngineError::Config(
                "[storage] url must be sqlite://PATH or postgres://…".into(),
            ));
        }
    };
    // The key directory: `[keys] dir` for the file provider; `keys/` of the
    // project for PKCS#11 (blind-index and journal keys); unused for env.
    let key_dir = settings.key_dir(dir).unwrap_or_else(|| dir.join("keys"));
    let keys = match settings.keys.get_ref() {
        KeyProvider::File { .. } => KeySource::Dir,
        KeyProvider::Env { var } => KeySource::Env {
            variable: var.clone(),
        },
        KeyProvider::Pkcs11 {
            module,
            token_label,
            key_label,
            pin_env,
            retired_key_labels,
        } => KeySource::Pkcs11 {
            token: Pkcs11Settings {
                module: PathBuf::from(module),
                token_label: token_label.clone(),
                key_label: key_label.clone(),
                pin_env: Some(pin_env.clone()),
                pin_file: None,
            },
            retired_labels: retired_key_labels.clone(),
        },
    };
    Ok(VaultPaths {
        data_db,
        key_db: dir.join("keystore").join("keys.db"),
        key_dir,
        keys,
        postgres,
    })
}

/// The environment variable naming the PostgreSQL key-store URL.
pub const KEYSTORE_URL_VAR: &str = "HABEAS_KEYSTORE_URL";

/// The default key-store URL for a PostgreSQL data URL: same server, the
/// data schema's name (default `habeas`) suffixed `_keys`.
pub fn key_store_url(data_url: &str) -> String {
    let (base, query) = data_url.split_once('?').unwrap_or((data_url, ""));
    let mut schema = "habeas".to_string();
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("schema", name)) => schema = name.to_string(),
            _ => kept.push(pair),
        }
    }
    kept.push("");
    let schema_pair = format!("schema={schema}_keys");
    let last = kept.len() - 1;
    kept[last] = &schema_pair;
    format!("{base}?{}", kept.join("&"))
}

/// Open the project's vault with the system clock.
pub fn open_project(dir: &Path) -> Result<Vault> {
    open_project_with_clock(dir, Arc::new(SystemClock))
}

/// Open the project's vault with an injected clock (tests, demos).
pub fn open_project_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Vault> {
    open_project_with(dir, &load_settings(dir)?, clock)
}

/// The project's settings, read once, and its vault opened with them on the
/// system clock: for a command that needs the settings for other parts too
/// (the mailer, the breach clocks, journal retention).
pub fn open_project_and_settings(dir: &Path) -> Result<(Vault, Settings)> {
    let settings = load_settings(dir)?;
    let vault = open_project_with(dir, &settings, Arc::new(SystemClock))?;
    Ok((vault, settings))
}

/// Open the project's vault with settings already read: a command that
/// needs them for other parts too (`habeas serve`) reads `habeas.toml` and
/// the environment once, so every part sees the same settings.
pub fn open_project_with(dir: &Path, settings: &Settings, clock: Arc<dyn Clock>) -> Result<Vault> {
    let decls = load_declarations(dir)?;
    let paths = vault_paths(dir, settings)?;
    let mut vault = Vault::open(paths, decls, clock)?;
    vault.set_missing_consent(settings.consent.missing);
    vault.set_key_cache_ttl(std::time::Duration::from_secs(
        *settings.server.key_cache_seconds.get_ref(),
    ))?;
    Ok(vault)
}

/// Verify the journal of a project without opening the vault for writing:
/// opens the data store (which applies pending schema migrations, nothing
/// else) and the journal public key only, so a verification never signs or
/// changes the journal (and works on a copy).
/// With `provider = "env"` the public key is derived from the signing seed
/// in `<VAR>_JOURNAL_SIGNING`, which must then be set.
pub fn verify_project(dir: &Path) -> Result<crate::journal::Verdict> {
    let settings = load_settings(dir)?;
    let paths = vault_paths(dir, &settings)?;
    if paths.postgres.is_none() && !paths.data_db.exists() {
        return Err(EngineError::Config(format!(
            "no vault database at {} (start the server or import records first)",
            paths.data_db.display()
        )));
    }
    let public = match &paths.keys {
        // No key file to read the public key from: derive it from the seed.
        KeySource::Env { variable } => KeysConfig::for_env(variable)
            .open_journal_signer()?
            .public_key(),
        KeySource::Dir | KeySource::Pkcs11 { .. } => {
            habeas_crypto::KeyDir::open(&paths.key_dir)?.journal_public_key()?
        }
    };
    let store: Box<dyn habeas_store::Store> = match &paths.postgres {
        Some(pg) => Box::new(habeas_store::postgres::PgStore::open(&pg.data)?),
        None => Box::new(habeas_store::sqlite::SqliteStore::open(&paths.data_db)?),
    };
    crate::journal::verify(&*store, &public)
}

#[cfg(test)]
mod tests {
    use super::{first_warning, key_store_url};

    #[test]
    fn an_unknown_override_is_warned_about_once_per_name() {
        assert!(first_warning("HABEAS_TEST_ONLY__A"));
        assert!(!first_warning("HABEAS_TEST_ONLY__A"));
        assert!(first_warning("HABEAS_TEST_ONLY__B"));
    }

    #[test]
    fn the_key_store_gets_the_data_schema_suffixed_keys() {
        assert_eq!(
            key_store_url("postgres://u@h/db"),
            "postgres://u@h/db?schema=habeas_keys"
        );
        assert_eq!(
            key_store_url("postgres://u@h/db?schema=acme&sslmode=disable"),
            "postgres://u@h/db?sslmode=disable&schema=acme_keys"
        );
        assert_ne!(
            key_store_url("postgres://u@h/db?schema=x"),
            "postgres://u@h/db?schema=x"
        );
    }
}
