//! The mailer configuration an operator writes (in `habeas.toml` or
//! anywhere serde reads), and the one function that turns it into a
//! [`Mailer`].
//!
//! ```toml
//! url = "smtp://mail.example.org:587"   # or smtps://host:465, or outbox:/var/spool/habeas
//! from = "Acme — Données personnelles <privacy@acme.example>"
//! reply_to = "dpo@acme.example"
//! username = "habeas"
//! password_env = "HABEAS_SMTP_PASSWORD"  # or password_file = "/run/secrets/smtp"
//! timeout_secs = 30
//! # ca_file = "/etc/habeas/relay-ca.pem"  # a relay with a private CA
//! ```
//!
//! Credentials never sit in the url (urls end up in logs) nor in the file
//! itself: the password comes from an environment variable or a file.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::address::InvalidAddress;
use crate::mail::Mailer;
use crate::message::Sender;
use crate::outbox::OutboxMailer;
use crate::smtp::{SmtpMailer, SmtpSecurity, SmtpSettings, is_loopback};

const DEFAULT_TIMEOUT_SECS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailerConfig {
    /// `smtp://host[:port]` (STARTTLS required, port 587 by default),
    /// `smtps://host[:port]` (implicit TLS, port 465), or `outbox:DIR`.
    pub url: String,
    /// The `From` mailbox, display name allowed.
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The environment variable holding the SMTP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// A file holding the SMTP password (trailing newline ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Extra trusted CA certificates (PEM) for a relay with a private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Plain SMTP without TLS, for a relay on this machine only
    /// (`smtp://localhost:25`). Refused for any other host.
    #[serde(default)]
    pub insecure_plaintext: bool,
}

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "mailer url `{url}`: unknown scheme; use `smtp://host:port` (STARTTLS), `smtps://host:port` (implicit TLS) or `outbox:DIR`"
    )]
    UnknownScheme { url: String },
    #[error("mailer url has no host: write it as `smtp://mail.example.org:587`")]
    MissingHost,
    #[error("mailer url `{url}`: invalid port `{port}`; use a number from 1 to 65535")]
    BadPort { url: String, port: String },
    #[error(
        "mailer url `{url}`: only `scheme://host:port` is accepted, without path, query or fragment"
    )]
    UnexpectedUrlPart { url: String },
    #[error(
        "the mailer url holds credentials: remove `user:password@` from it and set `username` and `password_env` (or `password_file`) instead"
    )]
    CredentialsInUrl,
    #[error(
        "`insecure_plaintext` sends mail without TLS and is only allowed to a relay on this machine (localhost, 127.0.0.1, ::1), not to `{host}`: remove it and use STARTTLS or smtps://"
    )]
    PlaintextNotLoopback { host: String },
    #[error("`insecure_plaintext` only applies to an `smtp://` url: remove it")]
    PlaintextNeedsSmtp,
    #[error("mailer `{field}`: {source}")]
    Address {
        field: &'static str,
        source: InvalidAddress,
    },
    #[error(
        "mailer `username` is set but no password source: add `password_env` or `password_file`"
    )]
    MissingPassword,
    #[error("mailer has a password source but no `username`: add `username`")]
    MissingUsername,
    #[error("mailer: set `password_env` or `password_file`, not both")]
    TwoPasswordSources,
    #[error(
        "mailer `password_env`: the environment variable `{var}` is not set or not UTF-8; export it before starting Habeas"
    )]
    PasswordEnvMissing { var: String },
    #[error("mailer `password_file` {path}: {reason}; check the path and its permissions", path = path.display())]
    PasswordFile { path: PathBuf, reason: String },
    #[error("mailer `password_file` {path} is empty", path = path.display())]
    EmptyPassword { path: PathBuf },
    #[error("mailer: SMTP credentials are not used by an outbox: remove them")]
    CredentialsForOutbox,
    #[error("mailer `timeout_secs` must be from 1 to 600")]
    ZeroTimeout,
    #[error("mailer `ca_file` {path}: {reason}; check the path and its permissions", path = path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error(
        "mailer `ca_file` only applies to a TLS relay (smtp:// with STARTTLS or smtps://): remove it"
    )]
    CaFileUnused,
    #[error("mailer: cannot prepare TLS: {detail}")]
    Tls { detail: String },
    #[error(
        "mailer outbox {dir} is not an existing directory: create it (e.g. `mkdir -p {dir}`) or fix the path",
        dir = dir.display()
    )]
    OutboxMissing { dir: PathBuf },
}

/// What a url names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Smtp {
        host: String,
        port: u16,
        security: SmtpSecurity,
    },
    Outbox(PathBuf),
}

fn parse_url(url: &str, insecure_plaintext: bool) -> Result<Target, ConfigError> {
    let url = url.trim();
    if let Some(dir) = url.strip_prefix("outbox:") {
        if insecure_plaintext {
            return Err(ConfigError::PlaintextNeedsSmtp);
        }
        if dir.is_empty() {
            return Err(ConfigError::UnknownScheme { url: url.into() });
        }
        return Ok(Target::Outbox(PathBuf::from(dir)));
    }
    let (rest, security, default_port) = if let Some(rest) = url.strip_prefix("smtps://") {
        if insecure_plaintext {
            return Err(ConfigError::PlaintextNeedsSmtp);
        }
        (rest, SmtpSecurity::ImplicitTls, 465)
    } else if let Some(rest) = url.strip_prefix("smtp://") {
        if insecure_plaintext {
            (rest, SmtpSecurity::PlaintextLoopback, 25)
        } else {
            (rest, SmtpSecurity::StartTls, 587)
        }
    } else {
        return Err(ConfigError::UnknownScheme { url: url.into() });
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('@') {
        return Err(ConfigError::CredentialsInUrl);
    }
    if rest.contains(['/', '?', '#']) {
        return Err(ConfigError::UnexpectedUrlPart { url: url.into() });
    }
    // `[v6]:port`, `[v6]`, `host:port` or `host`.
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, "")) => (format!("[{addr}]"), None),
            Some((addr, tail)) => match tail.strip_prefix(':') {
                Some(port) => (format!("[{addr}]"), Some(port)),
                None => return Err(ConfigError::UnexpectedUrlPart { url: url.into() }),
            },
            None => return Err(ConfigError::UnexpectedUrlPart { url: url.into() }),
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (rest.to_string(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(ConfigError::MissingHost);
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(ConfigError::BadPort {
                    url: url.into(),
                    port: p.into(),
                });
            }
        },
    };
    if security == SmtpSecurity::PlaintextLoopback && !is_loopback(&host) {
        return Err(ConfigError::PlaintextNotLoopback { host });
    }
    Ok(Target::Smtp {
        host,
        port,
        security,
    })
}

impl MailerConfig {
    /// A configuration for `url` and `from`, everything else by default.
    pub fn new(url: impl Into<String>, from: impl Into<String>) -> MailerConfig {
        MailerConfig {
            url: url.into(),
            from: from.into(),
            reply_to: None,
            username: None,
            password_env: None,
            password_file: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            ca_file: None,
            insecure_plaintext: false,
        }
    }

    /// The mailer this configuration names, reading the password from the
    /// process environment or its file.
    pub fn build(&self) -> Result<Box<dyn Mailer>, ConfigError> {
        self.build_with_env(|var| std::env::var(var).ok())
    }

    /// [`MailerConfig::build`] with the environment given as a function, so
    /// that callers and tests need not touch the process environment.
    pub fn build_with_env(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Box<dyn Mailer>, ConfigError> {
        let target = parse_url(&self.url, self.insecure_plaintext)?;
        let sender = Sender::new(&self.from, self.reply_to.as_deref()).map_err(|source| {
            let field = match Sender::new(&self.from, None) {
                Ok(_) => "reply_to",
                Err(_) => "from",
            };
            ConfigError::Address { field, source }
        })?;
        let has_credentials =
            self.username.is_some() || self.password_env.is_some() || self.password_file.is_some();
        match target {
            Target::Outbox(dir) => {
                if has_credentials {
                    return Err(ConfigError::CredentialsForOutbox);
                }
                if self.ca_file.is_some() {
                    return Err(ConfigError::CaFileUnused);
                }
                Ok(Box::new(OutboxMailer::new(dir, sender)?))
            }
            Target::Smtp {
                host,
                port,
                security,
            } => {
                if self.timeout_secs == 0 || self.timeout_secs > 600 {
                    return Err(ConfigError::ZeroTimeout);
                }
                let extra_roots_pem = match &self.ca_file {
                    None => None,
                    Some(_) if security == SmtpSecurity::PlaintextLoopback => {
                        return Err(ConfigError::CaFileUnused);
                    }
                    Some(path) => Some(std::fs::read(path).map_err(|e| ConfigError::CaFile {
                        path: path.clone(),
                        reason: e.kind().to_string(),
                    })?),
                };
                let settings = SmtpSettings {
                    host,
                    port,
                    security,
                    credentials: self.credentials(env)?,
                    timeout: Duration::from_secs(self.timeout_secs),
                    extra_roots_pem,
                };
                Ok(Box::new(SmtpMailer::new(settings, sender)?))
            }
        }
    }

    fn credentials(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<(String, String)>, ConfigError> {
        let password = match (&self.password_env, &self.password_file) {
            (Some(_), Some(_)) => return Err(ConfigError::TwoPasswordSources),
            (Some(var), None) => {
                Some(env(var).ok_or_else(|| ConfigError::PasswordEnvMissing { var: var.clone() })?)
            }
            (None, Some(path)) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| ConfigError::PasswordFile {
                        path: path.clone(),
                        reason: e.kind().to_string(),
                    })?;
                let password = text.trim_end_matches(['\r', '\n']).to_string();
                if password.is_empty() {
                    return Err(ConfigError::EmptyPassword { path: path.clone() });
                }
                Some(password)
            }
            (None, None) => None,
        };
        match (&self.username, password) {
            (Some(user), Some(password)) => Ok(Some((user.clone(), password))),
            (Some(_), None) => Err(ConfigError::MissingPassword),
            (None, Some(_)) => Err(ConfigError::MissingUsername),
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(host: &str, port: u16, security: SmtpSecurity) -> Target {
        Target::Smtp {
            host: host.into(),
            port,
            security,
        }
    }

    #[test]
    fn urls_name_a_relay_with_tls_by_default() {
        assert_eq!(
            parse_url("smtp://mail.example.org", false),
            Ok(smtp("mail.example.org", 587, SmtpSecurity::StartTls))
        );
        assert_eq!(
            parse_url("smtps://mail.example.org:2465/", false),
            Ok(smtp("mail.example.org", 2465, SmtpSecurity::ImplicitTls))
        );
        assert_eq!(
            parse_url("smtp://[::1]:2525", true),
            Ok(smtp("[::1]", 2525, SmtpSecurity::PlaintextLoopback))
        );
        assert_eq!(
            parse_url("smtp://localhost", true),
            Ok(smtp("localhost", 25, SmtpSecurity::PlaintextLoopback))
        );
        assert_eq!(
            parse_url("outbox:/var/spool/habeas", false),
            Ok(Target::Outbox("/var/spool/habeas".into()))
        );
    }

    #[test]
    fn bad_urls_say_what_to_write() {
        let err = |url, plain| parse_url(url, plain).unwrap_err();
        assert!(matches!(
            err("http://mail.example.org", false),
            ConfigError::UnknownScheme { .. }
        ));
        assert_eq!(
            err("smtp://u:pw@mail.example.org", false),
            ConfigError::CredentialsInUrl
        );
        assert!(matches!(
            err("smtp://mail.example.org:99999", false),
            ConfigError::BadPort { .. }
        ));
        assert!(matches!(
            err("smtp://mail.example.org/x", false),
            ConfigError::UnexpectedUrlPart { .. }
        ));
        assert_eq!(err("smtp://:25", false), ConfigError::MissingHost);
        assert_eq!(
            err("smtp://mail.example.org", true),
            ConfigError::PlaintextNotLoopback {
                host: "mail.example.org".into()
            }
        );
        assert_eq!(
            err("smtps://localhost", true),
            ConfigError::PlaintextNeedsSmtp
        );
        // The credentials-in-url message must not repeat the password.
        assert!(!err("smtp://u:pw@h", false).to_string().contains("pw@"));
    }

    #[test]
    fn reads_toml_and_refuses_unknown_keys() {
        let cfg: MailerConfig = toml::from_str(
            "url = \"smtp://mail.example.org\"\nfrom = \"privacy@acme.example\"\nusername = \"habeas\"\npassword_env = \"SMTP_PW\"\n",
        )
        .unwrap();
        assert_eq!(cfg.timeout_secs, 30);
        assert!(!cfg.insecure_plaintext);
        let err = toml::from_str::<MailerConfig>(
            "url = \"smtp://h\"\nfrom = \"a@b.example\"\npassword = \"x\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("password"), "{err}");
    }

    #[test]
    fn credentials_come_from_the_environment_or_a_file() {
        let mut cfg = MailerConfig::new("smtp://mail.example.org", "privacy@acme.example");
        cfg.username = Some("habeas".into());
        assert_eq!(
            cfg.build_with_env(|_| None).unwrap_err(),
            ConfigError::MissingPassword
        );
        cfg.password_env = Some("SMTP_PW".into());
        assert_eq!(
            cfg.build_with_env(|_| None).unwrap_err(),
            ConfigError::PasswordEnvMissing {
                var: "SMTP_PW".into()
            }
        );
        assert_eq!(
            cfg.credentials(|v| (v == "SMTP_PW").then(|| "pw".to_string())),
            Ok(Some(("habeas".into(), "pw".into())))
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\n").unwrap();
        cfg.password_file = Some(file.clone());
        assert_eq!(
            cfg.credentials(|_| None).unwrap_err(),
            ConfigError::TwoPasswordSources
        );
        cfg.password_env = None;
        assert_eq!(
            cfg.credentials(|_| None),
            Ok(Some(("habeas".into(), "from-file".into())))
        );
        cfg.username = None;
        assert_eq!(
            cfg.credentials(|_| None).unwrap_err(),
            ConfigError::MissingUsername
        );
    }

    #[test]
    fn a_ca_file_must_exist_and_serve_a_tls_relay() {
        let mut cfg = MailerConfig::new("smtp://mail.example.org", "privacy@acme.example");
        cfg.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(matches!(
            cfg.build().unwrap_err(),
            ConfigError::CaFile { .. }
        ));
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        cfg.ca_file = Some(junk);
        assert!(matches!(cfg.build().unwrap_err(), ConfigError::Tls { .. }));
        cfg.url = "smtp://127.0.0.1:2525".into();
        cfg.insecure_plaintext = true;
        assert_eq!(cfg.build().unwrap_err(), ConfigError::CaFileUnused);
    }

    #[test]
    fn a_bad_from_or_missing_outbox_is_reported_before_any_send() {
        let cfg = MailerConfig::new("outbox:/nonexistent/habeas-outbox", "privacy@acme.example");
        assert!(matches!(
            cfg.build().unwrap_err(),
            ConfigError::OutboxMissing { .. }
        ));
        let mut cfg = MailerConfig::new("outbox:/tmp", "not an address");
        assert!(matches!(
            cfg.build().unwrap_err(),
            ConfigError::Address { field: "from", .. }
        ));
        cfg.from = "privacy@acme.example".into();
        cfg.reply_to = Some("nope".into());
        assert!(matches!(
            cfg.build().unwrap_err(),
            ConfigError::Address {
                field: "reply_to",
                ..
            }
        ));
    }
}
