//! Turning an [`OutgoingMail`] into RFC 5322 bytes, shared by every mailer
//! so that what the outbox stores is exactly what SMTP would deliver.
//!
//! Headers beyond the usual: `Auto-Submitted: auto-generated` (RFC 3834) and
//! `X-Auto-Response-Suppress: All` so out-of-office replies do not answer
//! notices; `Content-Language`; `X-Habeas-Kind` and `X-Habeas-Reference`
//! to find a message without reading it. Bodies are UTF-8 quoted-printable,
//! so the message is 7-bit clean and needs no 8BITMIME from the relay.

use std::time::SystemTime;

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use crate::address::InvalidAddress;
use crate::error::SendError;
use crate::mail::{MessageId, OutgoingMail};

/// Who messages come from: the `From` mailbox (display name allowed, e.g.
/// `Acme — Protection des données <privacy@acme.example>`) and an optional
/// `Reply-To`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl Sender {
    pub fn new(from: &str, reply_to: Option<&str>) -> Result<Sender, InvalidAddress> {
        let from = from.trim().parse::<Mailbox>().map_err(|_| InvalidAddress)?;
        let reply_to = match reply_to {
            Some(r) => Some(r.trim().parse::<Mailbox>().map_err(|_| InvalidAddress)?),
            None => None,
        };
        Ok(Sender { from, reply_to })
    }

    /// The envelope sender (`MAIL FROM`).
    pub(crate) fn envelope_from(&self) -> &lettre::Address {
        &self.from.email
    }

    /// A fresh `Message-ID`: 128 random bits at the sender's domain. It
    /// holds nothing about the recipient.
    pub(crate) fn new_message_id(&self) -> Result<MessageId, SendError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| SendError::InvalidMessage {
            what: format!("no randomness for the Message-ID: {e}"),
        })?;
        Ok(MessageId(format!(
            "<{}@{}>",
            hex::encode(bytes),
            self.from.email.domain()
        )))
    }

    /// The whole message, CRLF line endings, ready for SMTP DATA or a
    /// `.eml` file.
    pub(crate) fn render(
        &self,
        mail: &OutgoingMail,
        id: &MessageId,
        date: SystemTime,
    ) -> Result<Vec<u8>, SendError> {
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, mail.to.lettre().clone()))
            .subject(one_line(&mail.subject))
            .date(date)
            .message_id(Some(id.0.clone()));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let text = text_part(&mail.text, ContentType::TEXT_PLAIN);
        let built = match &mail.html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(text)
                    .singlepart(text_part(html, ContentType::TEXT_HTML)),
            ),
            None => builder.singlepart(text),
        };
        let mut message = built.map_err(|e| SendError::InvalidMessage {
            what: e.to_string(),
        })?;
        let headers = message.headers_mut();
        let mut raw = |name: &'static str, value: &str| {
            headers.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str(name),
                value.to_string(),
            ));
        };
        // RFC 3834 §5: automatic messages say so, and autoresponders must
        // not answer them.
        raw("Auto-Submitted", "auto-generated");
        raw("X-Auto-Response-Suppress", "All");
        raw("Content-Language", mail.content_language());
        raw("X-Habeas-Kind", mail.kind.key());
        if let Some(reference) = &mail.reference {
            if !is_header_token(reference) {
                return Err(SendError::InvalidMessage {
                    what: "the reference must be 1 to 64 printable ASCII characters without spaces (e.g. DSR-2026-0042)".into(),
                });
            }
            raw("X-Habeas-Reference", reference);
        }
        Ok(message.formatted())
    }
}

/// A text part in UTF-8 quoted-printable, whatever its content.
fn text_part(content: &str, content_type: ContentType) -> SinglePart {
    let body = Body::new_with_encoding(
        content.to_string(),
        ContentTransferEncoding::QuotedPrintable,
    )
    .unwrap_or_else(Body::new);
    SinglePart::builder().header(content_type).body(body)
}

/// A subject on one line: control characters (CR, LF, tab) become spaces,
/// so a value pasted into a subject cannot add a header.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn is_header_token(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::MailKind;

    fn mail() -> OutgoingMail {
        OutgoingMail {
            to: "alice@example.org".parse().unwrap(),
            subject: "Votre demande d'accès\r\nBcc: evil@example.net".into(),
            text: "Bonjour Élodie,\nvoici la réponse.".into(),
            html: None,
            lang: None,
            kind: MailKind::RequestDone,
            reference: Some("DSR-2026-0042".into()),
        }
    }

    #[test]
    fn a_subject_cannot_inject_a_header() {
        let sender = Sender::new("Acme <privacy@acme.example>", None).unwrap();
        let id = sender.new_message_id().unwrap();
        let bytes = sender.render(&mail(), &id, SystemTime::UNIX_EPOCH).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert!(
            text.contains("X-Habeas-Reference: DSR-2026-0042\r\n"),
            "{text}"
        );
        assert!(text.contains("Content-Language: fr, en\r\n"), "{text}");
        assert!(id.as_str().ends_with("@acme.example>"));
    }

    #[test]
    fn a_reference_with_spaces_or_newlines_is_refused() {
        let sender = Sender::new("privacy@acme.example", None).unwrap();
        let id = sender.new_message_id().unwrap();
        let mut m = mail();
        m.reference = Some("DSR 1\r\nX: y".into());
        let err = sender.render(&m, &id, SystemTime::UNIX_EPOCH).unwrap_err();
        assert!(err.to_string().contains("reference"), "{err}");
    }

    #[test]
    fn message_ids_are_unique() {
        let sender = Sender::new("privacy@acme.example", None).unwrap();
        let a = sender.new_message_id().unwrap();
        let b = sender.new_message_id().unwrap();
        assert_ne!(a, b);
    }
}
