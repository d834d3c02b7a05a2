//! What a caller hands to a mailer: one finished message and the trait that
//! sends it. Synchronous on purpose: the callers are the CLI and the web
//! server's blocking threads.

use std::fmt;

use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};

use crate::address::MailAddress;
use crate::error::SendError;

/// Which notice a message is. Written in the `X-Habeas-Kind` header so an
/// operator (or a test) can tell messages apart without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// Art. 12(3): the request is received, with its deadlines.
    RequestAcknowledgment,
    /// Art. 12(6): a one-time code sent to a known address.
    VerificationCode,
    /// Art. 12(3): the deadline is extended, with the reasons.
    DeadlineExtension,
    /// The request has been carried out.
    RequestDone,
    /// Art. 12(4): the request is refused, with reasons and remedies.
    RequestRefused,
    /// Sign-in link or code for the self-service portal.
    PortalSignIn,
    /// Art. 34: communication of a personal-data breach to a subject.
    BreachCommunication,
    /// Art. 28(2): notice of a sub-processor change to a controller customer.
    SubprocessorChange,
    /// Art. 12–14: a substantial privacy-notice change, announced in advance.
    NoticeChange,
    /// Art. 18(3): the subject is told before a restriction is lifted.
    RestrictionLifted,
}

impl MailKind {
    pub fn key(self) -> &'static str {
        match self {
            MailKind::RequestAcknowledgment => "request_acknowledgment",
            MailKind::VerificationCode => "verification_code",
            MailKind::DeadlineExtension => "deadline_extension",
            MailKind::RequestDone => "request_done",
            MailKind::RequestRefused => "request_refused",
            MailKind::PortalSignIn => "portal_sign_in",
            MailKind::BreachCommunication => "breach_communication",
            MailKind::SubprocessorChange => "subprocessor_change",
            MailKind::NoticeChange => "notice_change",
            MailKind::RestrictionLifted => "restriction_lifted",
        }
    }
}

impl fmt::Display for MailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// One message ready to send. Usually built by a function of
/// [`crate::templates`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: MailAddress,
    pub subject: String,
    /// The plain-text body, always present.
    pub text: String,
    /// An HTML alternative of the same content.
    pub html: Option<String>,
    /// The language the message is written in; `None` when the recipient's
    /// language is unknown and the message holds French then English.
    pub lang: Option<Lang>,
    pub kind: MailKind,
    /// The request, breach or notice this message is about (no personal
    /// data: an identifier such as `DSR-2026-0042`).
    pub reference: Option<String>,
}

impl OutgoingMail {
    /// The `Content-Language` value: `fr`, `en` or `fr, en`.
    pub fn content_language(&self) -> &'static str {
        match self.lang {
            Some(lang) => lang.tag(),
            None => "fr, en",
        }
    }
}

/// The `Message-ID` a mailer gave a message, with its angle brackets
/// (`<…@domain>`): the handle to find the message again in a relay's logs or
/// in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageId(pub String);

impl MessageId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Sends one message. Implementations: [`crate::SmtpMailer`],
/// [`crate::OutboxMailer`].
pub trait Mailer: Send + Sync + fmt::Debug {
    fn send(&self, mail: &OutgoingMail) -> Result<MessageId, SendError>;
}

impl<M: Mailer + ?Sized> Mailer for std::sync::Arc<M> {
    fn send(&self, mail: &OutgoingMail) -> Result<MessageId, SendError> {
        (**self).send(mail)
    }
}

impl<M: Mailer + ?Sized> Mailer for Box<M> {
    fn send(&self, mail: &OutgoingMail) -> Result<MessageId, SendError> {
        (**self).send(mail)
    }
}
