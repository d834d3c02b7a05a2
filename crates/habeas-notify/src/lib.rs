//! Habeas's outgoing mail. Data-subject rights, breaches and sub-processor
//! changes all end in a message to a person or a customer; this crate is the
//! one place those messages are worded (French first, then English) and sent.
//!
//! - [`OutgoingMail`] is a finished message (text, optional HTML, language,
//!   kind, reference) and [`Mailer`] sends it: [`SmtpMailer`] to an SMTP
//!   relay (TLS required unless a loopback relay is explicitly configured),
//!   [`OutboxMailer`] into a directory of `.eml` files. [`MailerConfig`]
//!   picks one from a small serde struct.
//! - [`templates`] are typed functions, one per notice, that return an
//!   [`OutgoingMail`]: every value is HTML-escaped, every legal notice cites
//!   its article.
//! - `testing::SmtpSink` (cargo feature `testing`) is a real SMTP server on
//!   127.0.0.1 that keeps what it receives, so tests anywhere in the
//!   workspace can assert on delivered mail.
//!
//! Errors never carry a recipient address or message content: they name the
//! step that failed, the server's reply code and how to fix it.

mod address;
mod config;
mod error;
mod mail;
mod message;
mod outbox;
mod smtp;
pub mod templates;
#[cfg(feature = "testing")]
pub mod testing;

pub use address::{InvalidAddress, MailAddress};
pub use config::{ConfigError, MailerConfig};
pub use error::{SendError, SmtpStage};
pub use mail::{MailKind, Mailer, MessageId, OutgoingMail};
pub use message::Sender;
pub use outbox::OutboxMailer;
pub use smtp::{SmtpMailer, SmtpSecurity, SmtpSettings};
