//! `habeas.toml`: the server's settings (listen address, data directory,
//! storage, key provider, SMTP, scheduler).
//!
//! Parsing and validation are pure, with spans, so a bad setting gets the
//! same `file:line:col` diagnostic as a bad declaration. The key provider is
//! a typed enum here; loading keys belongs to the crypto crate. Secrets are
//! never written in this file: the SMTP password and the env key provider
//! name an environment variable instead.
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:8080"
//! [storage]
//! data_dir = "data"
//! url = "sqlite://data/habeas.db"
//! [keys]
//! provider = "file"
//! dir = "keys"
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::declarations::diagnostic::{Diagnostic, Severity, SourceFile};

/// All settings, with defaults for what `habeas.toml` leaves out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub storage: StorageSettings,
    #[serde(default = "default_keys")]
    pub keys: Spanned<KeyProvider>,
    pub smtp: Option<SmtpSettings>,
    #[serde(default)]
    pub scheduler: SchedulerSettings,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Default `127.0.0.1:8080`: loopback until the operator decides otherwise.
    #[serde(default = "default_listen")]
    pub listen: Spanned<String>,
    /// The URL subjects reach the portal at (used in e-mailed links).
    pub public_url: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            public_url: None,
        }
    }
}

fn default_listen() -> Spanned<String> {
    Spanned::new(0..0, "127.0.0.1:8080".to_string())
}

/// `[storage]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// Default `data`, relative to the project directory.
    #[serde(default = "default_data_dir")]
    pub data_dir: Spanned<String>,
    /// `sqlite://PATH` (default `sqlite://data/habeas.db`) or `postgres://…`.
    #[serde(default = "default_url")]
    pub url: Spanned<String>,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            data_dir: default_data_dir(),
            url: default_url(),
        }
    }
}

fn default_data_dir() -> Spanned<String> {
    Spanned::new(0..0, "data".to_string())
}

fn default_url() -> Spanned<String> {
    Spanned::new(0..0, "sqlite://data/habeas.db".to_string())
}

/// Where the key-encryption keys come from. The crypto crate loads them.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase", deny_unknown_fields)]
pub enum KeyProvider {
    /// Key files in a directory outside the data directory (so a copy of
    /// the data alone does not carry its keys).
    File { dir: String },
    /// A base64 key in an environment variable (containers, CI).
    Env {
        #[serde(default = "default_key_var")]
        var: String,
    },
    /// A PKCS#11 token (HSM, SoftHSM): module path, token label, key label,
    /// and the environment variable holding the PIN.
    Pkcs11 {
        module: String,
        token_label: String,
        key_label: String,
        #[serde(default = "default_pin_var")]
        pin_env: String,
    },
}

fn default_key_var() -> String {
    "HABEAS_MASTER_KEY".into()
}

fn default_pin_var() -> String {
    "HABEAS_PKCS11_PIN".into()
}

impl Default for KeyProvider {
    fn default() -> Self {
        KeyProvider::File {
            dir: "keys".to_string(),
        }
    }
}

impl fmt::Debug for KeyProvider {
    /// Shows the provider and locations; holds no secret, but keeps the
    /// shape short in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProvider::File { dir } => write!(f, "File {{ dir: {dir:?} }}"),
            KeyProvider::Env { var } => write!(f, "Env {{ var: {var:?} }}"),
            KeyProvider::Pkcs11 {
                module,
                token_label,
                key_label,
                ..
            } => {
                write!(
                    f,
                    "Pkcs11 {{ module: {module:?}, token: {token_label:?}, key: {key_label:?} }}"
                )
            }
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a local relay or a test sink.
    None,
}

/// `[smtp]`: outgoing mail (sign-in links, request acknowledgements).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: Spanned<String>,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    pub from: Spanned<String>,
    #[serde(default)]
    pub tls: SmtpTls,
    pub username: Option<String>,
    /// The environment variable holding the password (never the password itself).
    pub password_env: Option<String>,
}

fn default_smtp_port() -> u16 {
    587
}

/// `[scheduler]`: background jobs (purges, deadline reminders, backups).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Seconds between two scheduler ticks.
    #[serde(default = "default_tick")]
    pub tick_seconds: u64,
    /// Daily time (UTC, `HH:MM`) of the retention purge.
    #[serde(default = "default_purge_at")]
    pub purge_at: Spanned<String>,
    /// Records purged per batch, so a purge never holds the writer long.
    #[serde(default = "default_batch")]
    pub purge_batch: u32,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            tick_seconds: default_tick(),
            purge_at: default_purge_at(),
            purge_batch: default_batch(),
        }
    }
}

fn yes() -> bool {
    true
}
fn default_tick() -> u64 {
    60
}
fn default_purge_at() -> Spanned<String> {
    Spanned::new(0..0, "03:00".to_string())
}
fn default_batch() -> u32 {
    1000
}

/// The storage backend named by `storage.url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Settings {
    /// The built-in defaults (what an empty `habeas.toml` gives).
    pub fn defaults() -> Self {
        toml::from_str("").unwrap_or_else(|_| unreachable_defaults())
    }

    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.server.listen.get_ref().parse().ok()
    }

    pub fn storage_url(&self) -> Option<StorageUrl> {
        parse_storage_url(self.storage.url.get_ref())
    }

    /// The data directory, resolved against the project directory.
    pub fn data_dir(&self, project: &Path) -> PathBuf {
        normalise(&project.join(self.storage.data_dir.get_ref()))
    }

    /// The key directory of the file provider, resolved against the project directory.
    pub fn key_dir(&self, project: &Path) -> Option<PathBuf> {
        match self.keys.get_ref() {
            KeyProvider::File { dir } => Some(normalise(&project.join(dir))),
            _ => None,
        }
    }
}

fn default_keys() -> Spanned<KeyProvider> {
    Spanned::new(0..0, KeyProvider::default())
}

fn unreachable_defaults() -> Settings {
    Settings {
        server: ServerSettings::default(),
        storage: StorageSettings::default(),
        keys: Spanned::new(0..0, KeyProvider::default()),
        smtp: None,
        scheduler: SchedulerSettings::default(),
    }
}

fn parse_storage_url(url: &str) -> Option<StorageUrl> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        return (!path.is_empty()).then(|| StorageUrl::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Some(StorageUrl::Postgres(url.to_string()));
    }
    None
}

/// Lexical normalisation (`a/./b/../c` → `a/c`), without touching the disk.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Parse and validate `habeas.toml`. `project` is the project directory,
/// used (lexically, no IO) to compare the key and data directories.
pub fn parse(path: &str, contents: &str, project: &Path) -> Result<Settings, Vec<Diagnostic>> {
    let source = SourceFile::new(path, contents);
    let settings: Settings = toml::from_str(contents).map_err(|e| {
        vec![Diagnostic {
            severity: Severity::Error,
            code: "H001",
            message: format!("invalid setting: {}", e.message().trim()),
            help: "check the key against the commented habeas.toml written by `habeas init`".into(),
            location: Some(source.locate(e.span().map_or(0, |s| s.start))),
        }]
    })?;
    let problems = validate(&settings, &source, project);
    if problems.iter().any(Diagnostic::is_error) {
        Err(problems)
    } else {
        Ok(settings)
    }
}

fn validate(s: &Settings, source: &SourceFile, project: &Path) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut error =
        |code: &'static str, span: std::ops::Range<usize>, message: String, help: &str| {
            out.push(Diagnostic {
                severity: Severity::Error,
                code,
                message,
                help: help.into(),
                location: Some(source.locate(span.start)),
            });
        };
    if s.listen_addr().is_none() {
        error(
            "H071",
            s.server.listen.span(),
            format!("`{}` is not a listen address", s.server.listen.get_ref()),
            "write an IP address and a port, e.g. `127.0.0.1:8080` or `[::1]:8080`",
        );
    }
    if s.storage_url().is_none() {
        error(
            "H072",
            s.storage.url.span(),
            "the storage URL is neither `sqlite://PATH` nor `postgres://…`".into(),
            "use `sqlite://data/habeas.db` (default) or `postgres://user@host/db`",
        );
    }
    if let KeyProvider::File { dir } = s.keys.get_ref() {
        let data = s.data_dir(project);
        let keys = normalise(&project.join(dir));
        if keys.starts_with(&data) || keys == data {
            error(
                "H070",
                s.keys.span(),
                "the key directory is inside the data directory".into(),
                "keep keys apart from the data (e.g. `dir = \"keys\"` next to `data/`), so a copy of the data never carries its keys",
            );
        }
    }
    if let Some(smtp) = &s.smtp
        && !smtp.from.get_ref().contains('@')
    {
        error(
            "H054",
            smtp.from.span(),
            format!("`{}` is not an e-mail address", smtp.from.get_ref()),
            "write e.g. `from = \"Hébergix <privacy@example.fr>\"`",
        );
    }
    let at = s.scheduler.purge_at.get_ref();
    if chrono::NaiveTime::parse_from_str(at, "%H:%M").is_err() {
        error(
            "H053",
            s.scheduler.purge_at.span(),
            format!("`{at}` is not a time of day"),
            "write `HH:MM` in UTC, e.g. `03:00`",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let s = parse("habeas.toml", "", Path::new("/p")).unwrap();
        assert_eq!(s.listen_addr(), Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(
            s.storage_url(),
            Some(StorageUrl::Sqlite("data/habeas.db".into()))
        );
        assert_eq!(s.key_dir(Path::new("/p")), Some(PathBuf::from("/p/keys")));
        assert!(s.scheduler.enabled);
        let _ = Settings::defaults();
    }

    #[test]
    fn refuses_keys_inside_data() {
        let text = "[storage]\ndata_dir = \"var\"\n[keys]\nprovider = \"file\"\ndir = \"./var/../var/keys\"\n";
        let errs = parse("habeas.toml", text, Path::new("/p")).unwrap_err();
        assert_eq!(errs[0].code, "H070");
        assert_eq!(errs[0].location.as_ref().map(|l| l.line), Some(3));
    }

    #[test]
    fn typed_key_providers_and_errors() {
        let s = parse(
            "h",
            "[keys]\nprovider = \"pkcs11\"\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken_label = \"habeas\"\nkey_label = \"kek\"\n",
            Path::new("."),
        )
        .unwrap();
        assert!(
            matches!(s.keys.get_ref(), KeyProvider::Pkcs11 { pin_env, .. } if pin_env == "HABEAS_PKCS11_PIN")
        );
        let errs = parse("h", "[server]\nlisten = \"localhost\"\n", Path::new(".")).unwrap_err();
        assert_eq!(errs[0].code, "H071");
        let errs = parse("h", "[storage]\nurl = \"mysql://x\"\n", Path::new(".")).unwrap_err();
        assert_eq!(errs[0].code, "H072");
        let errs = parse("h", "[serveur]\n", Path::new(".")).unwrap_err();
        assert_eq!(errs[0].code, "H001");
        assert!(parse("h", "[keys]\nprovider = \"vault\"\n", Path::new(".")).is_err());
    }
}
