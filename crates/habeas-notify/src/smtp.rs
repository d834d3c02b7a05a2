//! Sending through an SMTP relay (RFC 5321) with lettre's synchronous
//! client, one connection per message.
//!
//! The dialogue is driven step by step (connect, STARTTLS, AUTH, MAIL, RCPT,
//! DATA) rather than through lettre's one-call transport so that an error
//! names the step that failed: "recipient refused with 550" and "message
//! refused with 554" call for different fixes. TLS is required by default
//! (STARTTLS, or implicit TLS for `smtps://`); plain SMTP is only possible to
//! a loopback relay (a local Postfix), and only when configured explicitly.

use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailParameter};

use crate::config::ConfigError;
use crate::error::{SendError, SmtpStage};
use crate::mail::{Mailer, MessageId, OutgoingMail};
use crate::message::Sender;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (RFC 3207); a relay that does
    /// not offer it is refused. Default for `smtp://`, port 587.
    StartTls,
    /// TLS from the first byte (RFC 8314). `smtps://`, port 465.
    ImplicitTls,
    /// No TLS at all: only to a loopback address (`localhost`, 127.0.0.0/8,
    /// `::1`), never across a network.
    PlaintextLoopback,
}

/// Where and how to reach the relay.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Username and password for AUTH PLAIN / LOGIN.
    pub credentials: Option<(String, String)>,
    /// Limit for connecting and for each reply of the relay.
    pub timeout: Duration,
    /// Extra trusted root certificates (PEM), for a relay whose certificate
    /// comes from a private CA; the system's roots stay trusted.
    pub extra_roots_pem: Option<Vec<u8>>,
}

/// The password never reaches a log through Debug.
impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field(
                "username",
                &self.credentials.as_ref().map(|(user, _)| user.as_str()),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Whether `host` names this machine's loopback interface.
pub(crate) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A [`Mailer`] that hands each message to an SMTP relay.
pub struct SmtpMailer {
    settings: SmtpSettings,
    sender: Sender,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("settings", &self.settings)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// Checks the settings (plain SMTP only to loopback, a non-zero
    /// timeout) and loads the system's trusted certificates for TLS.
    pub fn new(settings: SmtpSettings, sender: Sender) -> Result<SmtpMailer, ConfigError> {
        if settings.host.is_empty() {
            return Err(ConfigError::MissingHost);
        }
        if settings.security == SmtpSecurity::PlaintextLoopback && !is_loopback(&settings.host) {
            return Err(ConfigError::PlaintextNotLoopback {
                host: settings.host.clone(),
            });
        }
        if settings.timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        let tls = match settings.security {
            SmtpSecurity::PlaintextLoopback => None,
            SmtpSecurity::StartTls | SmtpSecurity::ImplicitTls => {
                let mut builder =
                    TlsParameters::builder(settings.host.trim_matches(['[', ']']).to_string());
                if let Some(pem) = &settings.extra_roots_pem {
                    let no_certificate = || {
                        ConfigError::Tls {
                        detail: "the `ca_file` holds no valid PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
                    }
                    };
                    let has_one = pem
                        .windows(b"-----BEGIN CERTIFICATE-----".len())
                        .any(|w| w == b"-----BEGIN CERTIFICATE-----");
                    if !has_one {
                        return Err(no_certificate());
                    }
                    let roots = Certificate::from_pem(pem).map_err(|_| no_certificate())?;
                    builder = builder.add_root_certificate(roots);
                }
                Some(builder.build_rustls().map_err(|e| ConfigError::Tls {
                    detail: e.to_string(),
                })?)
            }
        };
        let credentials = settings
            .credentials
            .as_ref()
            .map(|(user, password)| Credentials::new(user.clone(), password.clone()));
        Ok(SmtpMailer {
            settings,
            sender,
            tls,
            credentials,
            hello: ClientId::default(),
        })
    }

    fn server(&self) -> String {
        format!("{}:{}", self.settings.host, self.settings.port)
    }

    /// Turns a lettre error into a [`SendError`] that holds no reply text
    /// (a relay's reply often repeats the recipient address).
    fn classify(&self, stage: SmtpStage, e: &lettre::transport::smtp::Error) -> SendError {
        // A read timeout is `TimedOut` on some platforms and `WouldBlock`
        // on Linux; lettre only recognises the first.
        if e.is_timeout()
            || io_source(e).is_some_and(|io| io.kind() == std::io::ErrorKind::WouldBlock)
        {
            return SendError::Timeout { stage };
        }
        if e.is_tls() {
            return SendError::Tls {
                server: self.server(),
                detail: source_chain(e),
            };
        }
        if let Some(code) = e.status() {
            return SendError::Refused {
                stage,
                code: u16::from(code),
                permanent: e.is_permanent(),
            };
        }
        // A failed handshake (untrusted or mismatched certificate) comes
        // back from rustls as an I/O error of kind InvalidData.
        if matches!(stage, SmtpStage::Connect | SmtpStage::StartTls)
            && self.tls.is_some()
            && let Some(io) = io_source(e)
            && io.kind() == std::io::ErrorKind::InvalidData
        {
            return SendError::Tls {
                server: self.server(),
                detail: io.to_string(),
            };
        }
        if stage == SmtpStage::Connect
            && let Some(io) = io_source(e)
        {
            return SendError::Connect {
                server: self.server(),
                reason: io.kind().to_string(),
            };
        }
        SendError::Closed { stage }
    }

    fn deliver(
        &self,
        conn: &mut SmtpConnection,
        mail: &OutgoingMail,
        message: &[u8],
    ) -> Result<(), SendError> {
        if self.settings.security == SmtpSecurity::StartTls {
            if !conn.can_starttls() {
                return Err(SendError::StartTlsNotOffered {
                    server: self.server(),
                });
            }
            let tls = self.tls.as_ref().ok_or_else(|| SendError::Tls {
                server: self.server(),
                detail: "no TLS parameters".into(),
            })?;
            conn.starttls(tls, &self.hello)
                .map_err(|e| self.classify(SmtpStage::StartTls, &e))?;
        }
        if let Some(credentials) = &self.credentials {
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            if !mechanisms
                .iter()
                .any(|m| conn.server_info().supports_auth_mechanism(*m))
            {
                return Err(SendError::AuthNotOffered {
                    server: self.server(),
                });
            }
            conn.auth(&mechanisms, credentials)
                .map_err(|e| self.classify(SmtpStage::Auth, &e))?;
        }
        let from = self.sender.envelope_from();
        let mut parameters = Vec::new();
        if !mail.to.is_ascii() || !AsRef::<str>::as_ref(from).is_ascii() {
            // RFC 6531: a non-ASCII address needs SMTPUTF8.
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(SendError::NeedsSmtpUtf8);
            }
            parameters.push(MailParameter::SmtpUtfEight);
        }
        conn.command(Mail::new(Some(from.clone()), parameters))
            .map_err(|e| self.classify(SmtpStage::Sender, &e))?;
        conn.command(Rcpt::new(mail.to.lettre().clone(), Vec::new()))
            .map_err(|e| self.classify(SmtpStage::Recipient, &e))?;
        conn.command(Data)
            .map_err(|e| self.classify(SmtpStage::Data, &e))?;
        conn.message(message)
            .map_err(|e| self.classify(SmtpStage::Message, &e))?;
        Ok(())
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: &OutgoingMail) -> Result<MessageId, SendError> {
        let id = self.sender.new_message_id()?;
        let message = self.sender.render(mail, &id, SystemTime::now())?;
        let wrapper = match self.settings.security {
            SmtpSecurity::ImplicitTls => self.tls.as_ref(),
            SmtpSecurity::StartTls | SmtpSecurity::PlaintextLoopback => None,
        };
        let host = self.settings.host.trim_matches(['[', ']']);
        let mut conn = SmtpConnection::connect(
            (host, self.settings.port),
            Some(self.settings.timeout),
            &self.hello,
            wrapper,
            None,
        )
        .map_err(|e| self.classify(SmtpStage::Connect, &e))?;
        match self.deliver(&mut conn, mail, &message) {
            Ok(()) => {
                // The message is accepted once DATA is answered 250; a
                // failing QUIT changes nothing.
                let _ = conn.quit();
                Ok(id)
            }
            Err(e) => {
                conn.abort();
                Err(e)
            }
        }
    }
}

fn io_source(e: &lettre::transport::smtp::Error) -> Option<&std::io::Error> {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = err.source();
    }
    None
}

/// The TLS failure's causes (certificate, handshake), which hold no
/// personal data.
fn source_chain(e: &lettre::transport::smtp::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        parts.push(err.to_string());
        source = err.source();
    }
    if parts.is_empty() {
        "handshake failed".into()
    } else {
        parts.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        for host in ["localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "mail.example.org",
            "10.0.0.1",
            "localhost.example.org",
            "::2",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn plaintext_to_a_remote_relay_is_refused() {
        let settings = SmtpSettings {
            host: "mail.example.org".into(),
            port: 25,
            security: SmtpSecurity::PlaintextLoopback,
            credentials: None,
            timeout: Duration::from_secs(5),
            extra_roots_pem: None,
        };
        let sender = Sender::new("privacy@acme.example", None).unwrap();
        let err = SmtpMailer::new(settings, sender).unwrap_err();
        assert!(err.to_string().contains("mail.example.org"), "{err}");
    }

    #[test]
    fn debug_hides_the_password() {
        let settings = SmtpSettings {
            host: "mail.example.org".into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            credentials: Some(("habeas".into(), "s3cret-pw".into())),
            timeout: Duration::from_secs(5),
            extra_roots_pem: None,
        };
        let shown = format!("{settings:?}");
        assert!(
            shown.contains("habeas") && !shown.contains("s3cret-pw"),
            "{shown}"
        );
    }
}
