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
use crate::journal_retention::JournalRetention;
use crate::retention::{Period, PeriodUnit};

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
    /// `[mail]`: where rights notices go (acknowledgments, codes); default:
    /// an outbox directory under the data directory, so nothing leaves the
    /// machine until the operator names a relay.
    pub mail: Option<MailSettings>,
    /// `[breach]`: the breach clocks and the due-soon alert.
    #[serde(default)]
    pub breach: BreachSettings,
    #[serde(default)]
    pub scheduler: SchedulerSettings,
    /// `[consent]`: how the vault treats a consent-based activity with no
    /// ledger entry for the subject.
    #[serde(default)]
    pub consent: ConsentSettings,
    /// `[audit]`: how long the audit journal is kept.
    #[serde(default)]
    pub audit: AuditSettings,
}

/// `[audit]`: the journal's own retention (SPEC C6; see
/// [`crate::journal_retention`]). Without `retention` the journal is kept
/// whole: nothing is dropped automatically.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// How long an entry is kept, e.g. `"12 months"` (CNIL: 6 months to 1 year).
    pub retention: Option<Spanned<String>>,
    /// How long entries from a breach's window on are kept after awareness;
    /// default `"36 months"`.
    pub incident_retention: Option<Spanned<String>>,
}

/// The incident period when `[audit] incident_retention` is not given.
pub const DEFAULT_INCIDENT_RETENTION: Period = Period::new(36, PeriodUnit::Months);

impl AuditSettings {
    /// The declared journal retention; `None` when `retention` is not set
    /// (or does not parse: [`parse`] refuses such a file).
    pub fn journal_retention(&self) -> Option<JournalRetention> {
        let keep = self.retention.as_ref()?.get_ref().parse().ok()?;
        let incident_keep = match &self.incident_retention {
            Some(text) => text.get_ref().parse().ok()?,
            None => DEFAULT_INCIDENT_RETENTION,
        };
        Some(JournalRetention {
            keep,
            incident_keep,
        })
    }

    /// Unreadable or inconsistent periods: (span, message, help).
    fn problems(&self) -> Vec<(std::ops::Range<usize>, String, String)> {
        let mut out = Vec::new();
        let mut read = |key: &str, value: &Option<Spanned<String>>| {
            let value = value.as_ref()?;
            match value.get_ref().parse::<Period>() {
                Ok(p) => Some(p),
                Err(e) => {
                    out.push((
                        value.span(),
                        format!("[audit] {key} = {:?}: {}", value.get_ref(), e.message),
                        "write a period such as `12 months` (days, weeks, months or years)".into(),
                    ));
                    None
                }
            }
        };
        let keep = read("retention", &self.retention);
        let incident = read("incident_retention", &self.incident_retention);
        if let (Some(keep), Some(value)) = (keep, &self.retention) {
            let incident = incident.unwrap_or(DEFAULT_INCIDENT_RETENTION);
            if incident.bounds_days().1 < keep.bounds_days().0 {
                out.push((
                    value.span(),
                    format!(
                        "[audit] retention = {:?} is longer than incident_retention ({incident})",
                        value.get_ref()
                    ),
                    "an incident keeps the journal longer, not shorter: raise `incident_retention`"
                        .into(),
                ));
            }
        }
        out
    }
}

/// `[consent]`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentSettings {
    /// `"refuse"` (default): reads and writes for a consent-based activity
    /// (Art. 6(1)(a)) are refused for a subject who never gave consent, like
    /// a withdrawn one. `"allow"`: migration opt-out while records that
    /// predate the ledger are matched with their consents.
    #[serde(default)]
    pub missing: crate::rights::policy::MissingConsent,
}

/// `[breach]`: the thresholds of the breach clocks (issue 9: configuration,
/// not constants). Each key is optional; the defaults are the law's.
/// Shorter internal targets are allowed, longer ones are refused: they
/// would let a notice be late.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreachSettings {
    /// Hours from awareness to the authority notice; at most 72 (Art. 33(1) GDPR).
    pub gdpr_hours: Option<Spanned<u32>>,
    /// Hours from detection to the initial notice of a public
    /// electronic-communications service; at most 24 (Reg. 611/2013 art. 2(2)).
    pub eprivacy_initial_hours: Option<Spanned<u32>>,
    /// Days from the initial to the complementary notice; at most 3
    /// (Reg. 611/2013 art. 2(3)).
    pub eprivacy_complement_days: Option<Spanned<u32>>,
    /// Hours before a deadline from which a breach is flagged due soon.
    pub due_soon_hours: Option<Spanned<u32>>,
}

impl BreachSettings {
    /// The clocks these settings give (defaults for the keys left out).
    pub fn clocks(&self) -> crate::breach::BreachClockConfig {
        let d = crate::breach::BreachClockConfig::default();
        let v =
            |s: &Option<Spanned<u32>>, default: u32| s.as_ref().map_or(default, |s| *s.get_ref());
        crate::breach::BreachClockConfig {
            gdpr_hours: v(&self.gdpr_hours, d.gdpr_hours),
            eprivacy_initial_hours: v(&self.eprivacy_initial_hours, d.eprivacy_initial_hours),
            eprivacy_complete_days: v(&self.eprivacy_complement_days, d.eprivacy_complete_days),
            due_soon_hours: v(&self.due_soon_hours, d.due_soon_hours),
        }
    }

    /// Out-of-range values: (span, message, help).
    fn problems(&self) -> Vec<(std::ops::Range<usize>, String, String)> {
        let mut out = Vec::new();
        let limits = [
            (
                &self.gdpr_hours,
                "gdpr_hours",
                72,
                "hours",
                "Art. 33(1) GDPR: 72 hours at most",
            ),
            (
                &self.eprivacy_initial_hours,
                "eprivacy_initial_hours",
                24,
                "hours",
                "Reg. 611/2013 art. 2(2): 24 hours at most",
            ),
            (
                &self.eprivacy_complement_days,
                "eprivacy_complement_days",
                3,
                "days",
                "Reg. 611/2013 art. 2(3): 3 days at most",
            ),
        ];
        for (value, key, max, unit, law) in limits {
            if let Some(v) = value
                && !(1..=max).contains(v.get_ref())
            {
                out.push((
                    v.span(),
                    format!("[breach] {key} = {} is outside 1–{max} {unit}", v.get_ref()),
                    format!("{law}; a shorter internal target is fine, e.g. `{key} = {max}`"),
                ));
            }
        }
        let clocks = self.clocks();
        if let Some(v) = &self.due_soon_hours {
            let shortest = clocks.gdpr_hours.min(clocks.eprivacy_initial_hours);
            if *v.get_ref() == 0 || *v.get_ref() >= shortest {
                out.push((
                    v.span(),
                    format!(
                        "[breach] due_soon_hours = {} must be at least 1 and shorter than the shortest deadline ({shortest} hours)",
                        v.get_ref()
                    ),
                    "otherwise every breach is due soon from the start; e.g. `due_soon_hours = 12`".into(),
                ));
            }
        }
        out
    }
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
    /// How long an unwrapped data key stays in memory from its unwrap
    /// (seconds; 0: not kept). A key shredded by another process (a second
    /// instance, `habeas purge`) leaves this one's memory within about that
    /// time (RELIABILITY.md T24).
    #[serde(default = "default_key_cache_seconds")]
    pub key_cache_seconds: Spanned<u64>,
    /// The reverse proxies (addresses or CIDR networks) whose
    /// `X-Forwarded-For` names the client. Empty by default: the header is
    /// then never believed, since anyone can send it.
    #[serde(default)]
    pub trusted_proxies: Vec<Spanned<String>>,
}

impl ServerSettings {
    /// `trusted_proxies` as networks (an address alone is a /32 or /128);
    /// entries that do not parse are left out (the validation refuses them
    /// with H077 before a command runs).
    pub fn trusted_proxies(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies
            .iter()
            .filter_map(|p| parse_network(p.get_ref()))
            .collect()
    }
}

/// `10.0.0.0/8`, `::1/128` or a bare address.
fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>().ok().or_else(|| {
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(ipnet::IpNet::from)
    })
}

/// Longest `[server] key_cache_seconds` accepted: one hour.
pub const MAX_KEY_CACHE_SECONDS: u64 = 3600;

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            public_url: None,
            key_cache_seconds: default_key_cache_seconds(),
            trusted_proxies: Vec::new(),
        }
    }
}

fn default_key_cache_seconds() -> Spanned<u64> {
    Spanned::new(0..0, 60)
}

fn default_listen() -> Spanned<String> {
    Spanned::new(0..0, "127.0.0.1:8080".to_string())
}

/// `[storage]`.
#[derive(Clone, Deserialize)]
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
    /// and the environment variable holding the PIN. `retired_key_labels`
    /// names earlier KEKs on the same token that still unwrap data keys
    /// until `habeas keys rotate` has rewrapped them under `key_label`.
    Pkcs11 {
        module: String,
        token_label: String,
        key_label: String,
        #[serde(default = "default_pin_var")]
        pin_env: String,
        #[serde(default)]
        retired_key_labels: Vec<String>,
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
                retired_key_labels,
                ..
            } => {
                write!(
                    f,
                    "Pkcs11 {{ module: {module:?}, token: {token_label:?}, key: {key_label:?}, \
                     retired: {retired_key_labels:?} }}"
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

/// `[mail]`: the mailer of the rights notices (`habeas-notify`).
///
/// ```toml
/// [mail]
/// url = "smtp://mail.example.org:587"   # or smtps://host, or outbox:DIR
/// from = "Acme — Données personnelles <privacy@acme.example>"
/// reply_to = "dpo@acme.example"
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://host[:port]` (STARTTLS), `smtps://host[:port]`, or
    /// `outbox:DIR` (a relative DIR is resolved against the project).
    pub url: Spanned<String>,
    pub from: Spanned<String>,
    pub reply_to: Option<String>,
    pub username: Option<String>,
    /// The environment variable holding the SMTP password.
    pub password_env: Option<String>,
    /// A file holding the SMTP password.
    pub password_file: Option<String>,
    pub timeout_secs: Option<u64>,
    /// Plain SMTP to a relay on this machine only.
    #[serde(default)]
    pub insecure_plaintext: bool,
}

/// The outbox used when `habeas.toml` has no `[mail]`: `<data dir>/outbox`.
pub const DEFAULT_OUTBOX: &str = "outbox";

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
    /// Daily time (UTC, `HH:MM`) of the encrypted backup, followed by
    /// grandfather-father-son rotation (7 daily, 4 weekly, 6 monthly);
    /// unset: no scheduled backup.
    #[serde(default)]
    pub backup_at: Option<Spanned<String>>,
    /// Where scheduled backups go (relative to the project directory); default `backups`.
    #[serde(default)]
    pub backup_dir: Option<String>,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            tick_seconds: default_tick(),
            purge_at: default_purge_at(),
            purge_batch: default_batch(),
            backup_at: None,
            backup_dir: None,
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
        mail: None,
        breach: BreachSettings::default(),
        scheduler: SchedulerSettings::default(),
        consent: ConsentSettings::default(),
        audit: AuditSettings::default(),
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
    if *s.server.key_cache_seconds.get_ref() > MAX_KEY_CACHE_SECONDS {
        error(
            "H076",
            s.server.key_cache_seconds.span(),
            format!(
                "`key_cache_seconds = {}` keeps unwrapped data keys in memory longer than an hour",
                s.server.key_cache_seconds.get_ref()
            ),
            "write at most 3600 (the default, 60, re-reads a busy subject's key once a minute; 0 keeps none)",
        );
    }
    for proxy in &s.server.trusted_proxies {
        if parse_network(proxy.get_ref()).is_none() {
            error(
                "H077",
                proxy.span(),
                format!("`{}` is not an IP address or network", proxy.get_ref()),
                "write the proxy's address (`127.0.0.1`, `::1`) or its network (`10.0.0.0/8`)",
            );
        }
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
    if let KeyProvider::Pkcs11 {
        key_label,
        retired_key_labels,
        ..
    } = s.keys.get_ref()
    {
        let mut seen = std::collections::BTreeSet::new();
        for label in retired_key_labels {
            if label == key_label || !seen.insert(label) {
                error(
                    "H074",
                    s.keys.span(),
                    format!(
                        "the token key `{label}` is listed twice (as the current key_label or twice in retired_key_labels)"
                    ),
                    "list in retired_key_labels only the earlier keys, each once; the current KEK is key_label",
                );
            }
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
    if let Some(mail) = &s.mail {
        if !mail.from.get_ref().contains('@') {
            error(
                "H054",
                mail.from.span(),
                format!("`{}` is not an e-mail address", mail.from.get_ref()),
                "write e.g. `from = \"Hébergix — Vos données <donnees@example.fr>\"`",
            );
        }
        let url = mail.url.get_ref();
        if !(url.starts_with("smtp://")
            || url.starts_with("smtps://")
            || url.starts_with("outbox:"))
        {
            error(
                "H057",
                mail.url.span(),
                "the mail url is neither smtp://, smtps:// nor outbox:".into(),
                "write `url = \"smtp://relay.example.fr:587\"` or `url = \"outbox:data/outbox\"`",
            );
        }
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
    if let Some(backup_at) = &s.scheduler.backup_at {
        let at = backup_at.get_ref();
        if chrono::NaiveTime::parse_from_str(at, "%H:%M").is_err() {
            error(
                "H053",
                backup_at.span(),
                format!("`{at}` is not a time of day"),
                "write `HH:MM` in UTC, e.g. `02:30`",
            );
        }
    }
    for (span, message, help) in s.breach.problems() {
        error("H073", span, message, &help);
    }
    for (span, message, help) in s.audit.problems() {
        error("H075", span, message, &help);
    }
    out
}

impl fmt::Debug for StorageSettings {
    /// The URL may carry a database password: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StorageSettings")
            .field("data_dir", self.data_dir.get_ref())
            .field("url", &redact_url(self.url.get_ref()))
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// Environment overrides, applied after `habeas.toml` (defaults → file →
/// environment → command-line flags). Names are `HABEAS_<SECTION>__<KEY>`;
/// the caller passes the process environment (this module reads none).
/// Returns the `HABEAS_` variables that match no setting, so the binary can
/// warn about typos; values are never echoed.
pub fn apply_env<I, K, V>(settings: &mut Settings, vars: I) -> Result<Vec<String>, String>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut unknown = Vec::new();
    for (key, value) in vars {
        let (key, value) = (key.as_ref(), value.as_ref());
        let Some(name) = key.strip_prefix("HABEAS_") else {
            continue;
        };
        let text = || Spanned::new(0..0, value.to_string());
        match name {
            "SERVER__LISTEN" => settings.server.listen = text(),
            "SERVER__PUBLIC_URL" => settings.server.public_url = Some(value.to_string()),
            "SERVER__KEY_CACHE_SECONDS" => {
                let seconds = value
                    .parse()
                    .ok()
                    .filter(|s| *s <= MAX_KEY_CACHE_SECONDS)
                    .ok_or_else(|| format!("{key} must be a number of seconds from 0 to 3600"))?;
                settings.server.key_cache_seconds = Spanned::new(0..0, seconds);
            }
            "SERVER__TRUSTED_PROXIES" => {
                let proxies: Vec<&str> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect();
                if proxies.iter().any(|p| parse_network(p).is_none()) {
                    return Err(format!(
                        "{key} must list IP addresses or networks separated by commas, e.g. `127.0.0.1,10.0.0.0/8`"
                    ));
                }
                settings.server.trusted_proxies = proxies
                    .into_iter()
                    .map(|p| Spanned::new(0..0, p.to_string()))
                    .collect();
            }
            "STORAGE__DATA_DIR" => settings.storage.data_dir = text(),
            "STORAGE__URL" => settings.storage.url = text(),
            "SCHEDULER__ENABLED" => {
                settings.scheduler.enabled = match value {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(format!("{key} must be `true` or `false`")),
                }
            }
            "SMTP__HOST" | "SMTP__PORT" | "SMTP__FROM" => {
                let Some(smtp) = settings.smtp.as_mut() else {
                    return Err(format!("{key} needs an `[smtp]` section in habeas.toml"));
                };
                match name {
                    "SMTP__HOST" => smtp.host = text(),
                    "SMTP__FROM" => smtp.from = text(),
                    _ => {
                        smtp.port = value
                            .parse()
                            .map_err(|_| format!("{key} must be a port number"))?
                    }
                }
            }
            // `SECTION__KEY` names are overrides: an unknown one is a typo.
            // Other names are read elsewhere (logging, the key providers'
            // variables, whose names the operator chooses, passwords, tests).
            _ if name.contains("__") => unknown.push(key.to_string()),
            _ => {}
        }
    }
    Ok(unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_and_redaction() {
        let mut s = parse(
            "h",
            "[storage]\nurl = \"postgres://habeas:s3cret@db/habeas\"\n",
            Path::new("."),
        )
        .unwrap();
        assert!(!format!("{:?}", s.storage).contains("s3cret"));
        assert!(format!("{:?}", s.storage).contains("habeas:***@db"));
        let unknown = apply_env(
            &mut s,
            [
                ("HABEAS_SERVER__LISTEN", "0.0.0.0:9000"),
                ("HABEAS_SERVR__LISTEN", "x"),
                ("HABEAS_KEK", "a key provider's variable, read elsewhere"),
                ("PATH", "/bin"),
            ],
        )
        .unwrap();
        assert_eq!(s.listen_addr(), Some("0.0.0.0:9000".parse().unwrap()));
        assert_eq!(unknown, ["HABEAS_SERVR__LISTEN"]);
        assert!(apply_env(&mut s, [("HABEAS_SMTP__PORT", "25")]).is_err());
        assert!(apply_env(&mut s, [("HABEAS_SCHEDULER__ENABLED", "maybe")]).is_err());
        assert_eq!(*s.server.key_cache_seconds.get_ref(), 60, "the default");
        apply_env(&mut s, [("HABEAS_SERVER__KEY_CACHE_SECONDS", "0")]).unwrap();
        assert_eq!(*s.server.key_cache_seconds.get_ref(), 0);
        for bad in ["3601", "-1", "a minute"] {
            let err = apply_env(&mut s, [("HABEAS_SERVER__KEY_CACHE_SECONDS", bad)]).unwrap_err();
            assert!(err.contains("from 0 to 3600"), "{err}");
        }
        assert_eq!(
            *s.server.key_cache_seconds.get_ref(),
            0,
            "a refused value changes nothing"
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks_and_a_bad_one_is_refused_with_its_line() {
        let s = parse("h", "", Path::new("/p")).unwrap();
        assert!(s.server.trusted_proxies().is_empty(), "none by default");
        let s = parse(
            "h",
            "[server]\ntrusted_proxies = [\"127.0.0.1\", \"::1\", \"10.0.0.0/8\"]\n",
            Path::new("/p"),
        )
        .unwrap();
        let nets: Vec<String> = s
            .server
            .trusted_proxies()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(nets, ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]);
        let errs = parse(
            "h",
            "[server]\nlisten = \"127.0.0.1:8080\"\ntrusted_proxies = [\"127.0.0.1\", \"proxy.lan\"]\n",
            Path::new("/p"),
        )
        .unwrap_err();
        assert_eq!(errs[0].code, "H077");
        assert_eq!(errs[0].location.as_ref().map(|l| l.line), Some(3));
        assert!(errs[0].message.contains("proxy.lan"), "{}", errs[0].message);

        let mut s = parse("h", "", Path::new("/p")).unwrap();
        apply_env(
            &mut s,
            [(
                "HABEAS_SERVER__TRUSTED_PROXIES",
                "127.0.0.1, 192.168.0.0/16",
            )],
        )
        .unwrap();
        assert_eq!(s.server.trusted_proxies().len(), 2);
        let err = apply_env(
            &mut s,
            [("HABEAS_SERVER__TRUSTED_PROXIES", "127.0.0.1,nope")],
        )
        .unwrap_err();
        assert!(err.contains("IP addresses or networks"), "{err}");
        assert_eq!(
            s.server.trusted_proxies().len(),
            2,
            "a refused value changes nothing"
        );
    }

    #[test]
    fn a_key_cache_longer_than_an_hour_is_refused_with_its_line() {
        let s = parse("h", "[server]\nkey_cache_seconds = 3600\n", Path::new("/p")).unwrap();
        assert_eq!(*s.server.key_cache_seconds.get_ref(), 3600);
        let errs = parse(
            "h",
            "[server]\nlisten = \"127.0.0.1:8080\"\nkey_cache_seconds = 3601\n",
            Path::new("/p"),
        )
        .unwrap_err();
        assert_eq!(errs[0].code, "H076");
        assert_eq!(errs[0].location.as_ref().map(|l| l.line), Some(3));
        assert!(errs[0].message.contains("3601"), "{}", errs[0].message);
    }

    #[test]
    fn the_journal_retention_is_read_and_a_bad_period_is_refused_with_its_line() {
        use crate::retention::{Period, PeriodUnit};
        let s = parse("h", "", Path::new("/p")).unwrap();
        assert_eq!(s.audit.journal_retention(), None, "kept whole by default");
        let s = parse("h", "[audit]\nretention = \"12 months\"\n", Path::new("/p")).unwrap();
        let r = s.audit.journal_retention().unwrap();
        assert_eq!(r.keep, Period::new(12, PeriodUnit::Months));
        assert_eq!(r.incident_keep, Period::new(36, PeriodUnit::Months));
        let s = parse(
            "h",
            "[audit]\nretention = \"6 months\"\nincident_retention = \"5 years\"\n",
            Path::new("/p"),
        )
        .unwrap();
        assert_eq!(
            s.audit.journal_retention().unwrap().incident_keep,
            Period::new(5, PeriodUnit::Years)
        );
        let errs = parse(
            "h",
            "[server]\nlisten = \"127.0.0.1:8080\"\n[audit]\nretention = \"a year\"\n",
            Path::new("/p"),
        )
        .unwrap_err();
        assert_eq!(errs[0].code, "H075");
        assert_eq!(errs[0].location.as_ref().map(|l| l.line), Some(4));
        let errs = parse("h", "[audit]\nretention = \"48 months\"\n", Path::new("/p")).unwrap_err();
        assert!(
            errs[0].message.contains("longer than incident_retention"),
            "{}",
            errs[0].message
        );
    }

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
    fn art33_1_breach_clocks_are_read_and_a_longer_deadline_is_refused_with_its_line() {
        let s = parse("habeas.toml", "", Path::new("/p")).unwrap();
        assert_eq!(
            s.breach.clocks(),
            crate::breach::BreachClockConfig::default()
        );
        let s = parse(
            "habeas.toml",
            "[breach]\ngdpr_hours = 48\ndue_soon_hours = 18\n",
            Path::new("/p"),
        )
        .unwrap();
        let c = s.breach.clocks();
        assert_eq!((c.gdpr_hours, c.due_soon_hours), (48, 18));
        assert_eq!(c.eprivacy_initial_hours, 24, "left out: the default");
        let errs = parse(
            "habeas.toml",
            "[server]\nlisten = \"127.0.0.1:8080\"\n[breach]\ngdpr_hours = 96\n",
            Path::new("/p"),
        )
        .unwrap_err();
        assert_eq!(errs[0].code, "H073");
        assert!(
            errs[0].message.contains("gdpr_hours = 96"),
            "{}",
            errs[0].message
        );
        assert!(errs[0].help.contains("Art. 33(1)"), "{}", errs[0].help);
        let at = errs[0].location.as_ref().expect("location");
        assert_eq!(at.line, 4, "{at:?}");
        let errs = parse(
            "habeas.toml",
            "[breach]\neprivacy_initial_hours = 12\ndue_soon_hours = 12\n",
            Path::new("/p"),
        )
        .unwrap_err();
        assert!(
            errs[0].message.contains("shortest deadline (12 hours)"),
            "{}",
            errs[0].message
        );
        assert!(
            parse("h", "[breach]\ngdpr = 72\n", Path::new("/p")).is_err(),
            "unknown key"
        );
    }

    #[test]
    fn mail_section_is_optional_and_checked() {
        let s = parse("habeas.toml", "", Path::new("/p")).unwrap();
        assert!(s.mail.is_none(), "no [mail]: the outbox under the data dir");
        let s = parse(
            "habeas.toml",
            "[mail]\nurl = \"smtp://relay.example.fr:587\"\nfrom = \"Acme <privacy@acme.example>\"\nreply_to = \"dpo@acme.example\"\n",
            Path::new("/p"),
        )
        .unwrap();
        let mail = s.mail.expect("mail");
        assert_eq!(mail.url.get_ref(), "smtp://relay.example.fr:587");
        assert_eq!(mail.reply_to.as_deref(), Some("dpo@acme.example"));
        let errs = parse(
            "habeas.toml",
            "[mail]\nurl = \"ftp://relay\"\nfrom = \"nobody\"\n",
            Path::new("/p"),
        )
        .unwrap_err();
        let codes: Vec<&str> = errs.iter().map(|e| e.code).collect();
        assert!(
            codes.contains(&"H054") && codes.contains(&"H057"),
            "{codes:?}"
        );
        assert!(
            parse(
                "h",
                "[mail]\nurl = \"outbox:x\"\nfrom = \"a@b.c\"\nsmtp_pass = \"x\"\n",
                Path::new("/p")
            )
            .is_err()
        );
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
            matches!(s.keys.get_ref(), KeyProvider::Pkcs11 { pin_env, retired_key_labels, .. }
                if pin_env == "HABEAS_PKCS11_PIN" && retired_key_labels.is_empty())
        );
        let s = parse(
            "h",
            "[keys]\nprovider = \"pkcs11\"\nmodule = \"/m.so\"\ntoken_label = \"habeas\"\nkey_label = \"kek-2027\"\nretired_key_labels = [\"kek-2026\"]\n",
            Path::new("."),
        )
        .unwrap();
        assert!(
            matches!(s.keys.get_ref(), KeyProvider::Pkcs11 { retired_key_labels, .. }
                if retired_key_labels == &["kek-2026".to_string()])
        );
        let errs = parse(
            "h",
            "[keys]\nprovider = \"pkcs11\"\nmodule = \"/m.so\"\ntoken_label = \"t\"\nkey_label = \"k\"\nretired_key_labels = [\"k\"]\n",
            Path::new("."),
        )
        .unwrap_err();
        assert_eq!(errs[0].code, "H074");
        let errs = parse("h", "[server]\nlisten = \"localhost\"\n", Path::new(".")).unwrap_err();
        assert_eq!(errs[0].code, "H071");
        let errs = parse("h", "[storage]\nurl = \"mysql://x\"\n", Path::new(".")).unwrap_err();
        assert_eq!(errs[0].code, "H072");
        let errs = parse("h", "[serveur]\n", Path::new(".")).unwrap_err();
        assert_eq!(errs[0].code, "H001");
        assert!(parse("h", "[keys]\nprovider = \"vault\"\n", Path::new(".")).is_err());
    }

    #[test]
    fn consent_missing_defaults_to_refuse_and_accepts_the_migration_opt_out() {
        use crate::rights::policy::MissingConsent;
        let s = parse("habeas.toml", "", Path::new("/p")).unwrap();
        assert_eq!(s.consent.missing, MissingConsent::Refuse);
        let s = parse(
            "habeas.toml",
            "[consent]\nmissing = \"allow\"\n",
            Path::new("/p"),
        )
        .unwrap();
        assert_eq!(s.consent.missing, MissingConsent::Allow);
        assert!(
            parse(
                "habeas.toml",
                "[consent]\nmissing = \"maybe\"\n",
                Path::new("/p")
            )
            .is_err()
        );
    }
}
