//! Why a message was not sent. Each error names the step of the SMTP
//! dialogue (or the outbox write) that failed, the server's reply code and
//! what to check. None carries a recipient address, a subject or a body, nor
//! the server's reply text, which often repeats the address: errors end up
//! in logs, and logs must hold no personal data.

use std::fmt;
use std::path::PathBuf;

/// The step of the SMTP dialogue (RFC 5321) a failure happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmtpStage {
    /// TCP connection, greeting and EHLO.
    Connect,
    StartTls,
    Auth,
    /// `MAIL FROM`.
    Sender,
    /// `RCPT TO`.
    Recipient,
    /// The `DATA` command.
    Data,
    /// The message content and the server's final reply.
    Message,
}

impl SmtpStage {
    fn describe(self) -> &'static str {
        match self {
            SmtpStage::Connect => "connection and greeting (EHLO)",
            SmtpStage::StartTls => "STARTTLS",
            SmtpStage::Auth => "authentication (AUTH)",
            SmtpStage::Sender => "sender (MAIL FROM)",
            SmtpStage::Recipient => "recipient (RCPT TO)",
            SmtpStage::Data => "DATA command",
            SmtpStage::Message => "message content (after DATA)",
        }
    }

    fn hint(self, permanent: bool) -> &'static str {
        match (self, permanent) {
            (_, false) => "a temporary refusal: send again later",
            (SmtpStage::Auth, true) => {
                "check the SMTP username and password in the mailer configuration"
            }
            (SmtpStage::Sender, true) => {
                "check that the relay lets this account send as the configured `from` address"
            }
            (SmtpStage::Recipient, true) => {
                "the relay does not accept this recipient: check the address on file or the relay's recipient rules"
            }
            (SmtpStage::Message, true) => {
                "the relay rejected the message content (size, policy or spam filter): see the relay's logs"
            }
            (_, true) => "see the relay's logs for this Message-ID",
        }
    }
}

impl fmt::Display for SmtpStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error(
        "cannot connect to the SMTP relay {server}: {reason}; check the mailer `url` (host and port) and that the relay is running"
    )]
    Connect { server: String, reason: String },

    #[error(
        "the SMTP relay {server} offers no authentication mechanism Habeas supports (PLAIN, LOGIN): check the relay's AUTH settings, or remove `username` if the relay needs no login"
    )]
    AuthNotOffered { server: String },

    #[error(
        "the SMTP relay {server} does not offer STARTTLS, and this mailer requires TLS: use a relay that offers STARTTLS, or `smtps://` for a relay with implicit TLS"
    )]
    StartTlsNotOffered { server: String },

    #[error(
        "TLS with the SMTP relay {server} failed: {detail}; check the relay's certificate (it must be valid for this host name and trusted by the system)"
    )]
    Tls { server: String, detail: String },

    #[error("the SMTP relay refused the {stage} with code {code}: {}", stage.hint(*permanent))]
    Refused {
        stage: SmtpStage,
        code: u16,
        permanent: bool,
    },

    #[error(
        "the SMTP relay closed the connection or sent an unreadable reply during the {stage}: nothing was delivered; send again, and see the relay's logs if it repeats"
    )]
    Closed { stage: SmtpStage },

    #[error(
        "the SMTP relay did not answer in time during the {stage}: send again, or raise the mailer's `timeout_secs`"
    )]
    Timeout { stage: SmtpStage },

    #[error(
        "the recipient address has non-ASCII characters and the SMTP relay does not offer SMTPUTF8: use a relay that supports SMTPUTF8 (RFC 6531)"
    )]
    NeedsSmtpUtf8,

    #[error("cannot build the message: {what}")]
    InvalidMessage { what: String },

    #[error(
        "cannot write the message into the outbox {dir}: {reason}; check that the directory exists and is writable"
    )]
    Outbox { dir: PathBuf, reason: String },
}

impl SendError {
    /// Whether sending the same message again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            SendError::Refused { permanent, .. } => !permanent,
            SendError::Connect { .. }
            | SendError::Closed { .. }
            | SendError::Timeout { .. }
            | SendError::Outbox { .. } => true,
            SendError::StartTlsNotOffered { .. }
            | SendError::AuthNotOffered { .. }
            | SendError::Tls { .. }
            | SendError::NeedsSmtpUtf8
            | SendError::InvalidMessage { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_recipient_says_which_step_and_how_to_fix() {
        let e = SendError::Refused {
            stage: SmtpStage::Recipient,
            code: 550,
            permanent: true,
        };
        let text = e.to_string();
        assert!(text.contains("recipient (RCPT TO)"), "{text}");
        assert!(text.contains("550"), "{text}");
        assert!(text.contains("check the address on file"), "{text}");
        assert!(!e.is_transient());
        let later = SendError::Refused {
            stage: SmtpStage::Recipient,
            code: 451,
            permanent: false,
        };
        assert!(later.is_transient());
        assert!(later.to_string().contains("send again later"));
    }
}
