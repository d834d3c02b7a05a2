//! Mail: single RFC 5322 messages (Maildir files, `.eml`) and mbox files. The raw text is
//! scanned as it is (headers and 8-bit bodies keep file offsets); in addition every part whose
//! content is encoded (quoted-printable, base64), every nested message and every office
//! attachment is decoded with `mail-parser` and scanned as its own labelled part.

use std::borrow::Cow;

use mail_parser::{Encoding, Message, MessageParser, MimeHeaders, PartType};

use super::{Extracted, Offsets, Part, SourceKind, office};

const HEADER_STARTS: &[&str] = &[
    "return-path:",
    "received:",
    "from:",
    "delivered-to:",
    "message-id:",
    "date:",
    "mime-version:",
    "subject:",
    "to:",
    "x-",
    "dkim-signature:",
    "arc-",
    "authentication-results:",
    "reply-to:",
    "content-type:",
];

/// A message: starts with a known header field and has a header/body separator.
pub fn looks_like_mail(text: &str) -> bool {
    let head = &text.as_bytes()[..text.len().min(64)];
    let lower = head.to_ascii_lowercase();
    HEADER_STARTS
        .iter()
        .any(|h| lower.starts_with(h.as_bytes()))
        && (text.contains("\n\n") || text.contains("\r\n\r\n"))
        && (text.contains("\nFrom:") || text.starts_with("From:") || text.contains("\nfrom:"))
}

/// An mbox starts with a "From " separator line (RFC 4155).
pub(super) fn is_mbox(text: &str) -> Option<bool> {
    text.starts_with("From ").then_some(true)
}

/// True when a message holds transfer-encoded parts (`Content-Transfer-Encoding: base64` or
/// `quoted-printable`, RFC 2045 §6) or nested messages (`message/rfc822`). Found with memchr's
/// substring search on the fixed-case stems `ncoding`/`NCODING` and `rfc822`/`RFC822`, then
/// compared case-insensitively: an automaton over the whole message cost more than the rest
/// of the mail handling.
fn needs_decoding(msg: &[u8]) -> bool {
    let transfer_encoded = |stem: &[u8]| {
        memchr::memmem::find_iter(msg, stem).any(|i| {
            let name_start = i.saturating_sub(18);
            let name_ok = msg[name_start..i].eq_ignore_ascii_case(b"content-transfer-e");
            let value = msg[i + stem.len()..].strip_prefix(b":").unwrap_or(&[]);
            let skip = value
                .iter()
                .take_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            let value = &value[skip..];
            let starts = |w: &[u8]| {
                value
                    .get(..w.len())
                    .is_some_and(|v| v.eq_ignore_ascii_case(w))
            };
            name_ok && (starts(b"base64") || starts(b"quoted-printable"))
        })
    };
    let nested = |stem: &[u8]| {
        memchr::memmem::find_iter(msg, stem)
            .any(|i| i >= 8 && msg[i - 8..i].eq_ignore_ascii_case(b"message/"))
    };
    transfer_encoded(b"ncoding")
        || transfer_encoded(b"NCODING")
        || nested(b"rfc822")
        || nested(b"RFC822")
}

/// Byte ranges of the messages of an mbox.
fn mbox_messages(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut starts = vec![0usize];
    for i in memchr::memmem::find_iter(b, b"\nFrom ") {
        starts.push(i + 1);
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(b.len());
        // Skip the separator line itself.
        let body = memchr::memchr(b'\n', &b[s..e]).map_or(e, |i| s + i + 1);
        out.push((body, e));
    }
    out
}

pub(super) fn extract(raw: Part<'_>, mbox: Option<bool>) -> Extracted<'_> {
    let mut decoded: Vec<Part<'static>> = Vec::new();
    let mut problems = Vec::new();
    let is_mbox = mbox == Some(true);
    {
        let text: &str = &raw.text;
        let messages = if is_mbox {
            mbox_messages(text)
        } else {
            vec![(0, text.len())]
        };
        let parser = MessageParser::default();
        for (n, &(s, e)) in messages.iter().enumerate() {
            // Parsing only pays when something is encoded: 7/8-bit parts are already in the raw
            // text, which is scanned with file offsets.
            if !needs_decoding(&text.as_bytes()[s..e]) {
                continue;
            }
            let label = if is_mbox {
                format!("message {}", n + 1)
            } else {
                "message".to_string()
            };
            match parser.parse(&text.as_bytes()[s..e]) {
                Some(msg) => decoded_parts(&msg, &label, 0, false, &mut decoded, &mut problems),
                None => problems.push(format!("{label} : MIME illisible / unparsable MIME")),
            }
        }
    }
    let mut parts = Vec::with_capacity(decoded.len() + 1);
    parts.push(raw);
    parts.extend(decoded);
    Extracted {
        kind: if is_mbox {
            SourceKind::Mbox
        } else {
            SourceKind::Mail
        },
        parts,
        problems,
    }
}

fn decoded_parts(
    msg: &Message<'_>,
    label: &str,
    depth: usize,
    parent_encoded: bool,
    out: &mut Vec<Part<'static>>,
    problems: &mut Vec<String>,
) {
    for (i, part) in msg.parts.iter().enumerate() {
        let name = part
            .attachment_name()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let plabel = format!("{label}, part {}{name}", i + 1);
        if part.is_encoding_problem {
            problems.push(format!(
                "{plabel} : encodage invalide / bad transfer encoding"
            ));
        }
        // The raw text already covers parts that are not transfer-encoded.
        let encoded = part.encoding != Encoding::None || parent_encoded;
        match &part.body {
            PartType::Text(t) | PartType::Html(t) if encoded => out.push(Part {
                label: Some(plabel),
                text: Cow::Owned(t.to_string()),
                offsets: Offsets::Decoded,
            }),
            PartType::Binary(b) | PartType::InlineBinary(b) if b.starts_with(b"PK\x03\x04") => {
                match office::extract(b) {
                    Ok(ex) => {
                        for p in ex.parts {
                            let l = p.label.map_or(plabel.clone(), |l| format!("{plabel}, {l}"));
                            out.push(Part {
                                label: Some(l),
                                text: Cow::Owned(p.text.into_owned()),
                                offsets: Offsets::Decoded,
                            });
                        }
                    }
                    Err(e) => problems.push(format!("{plabel} : {e}")),
                }
            }
            PartType::Message(m) if depth < 4 => {
                decoded_parts(m, &plabel, depth + 1, encoded, out, problems)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_decoding_reads_the_headers() {
        assert!(needs_decoding(
            b"Content-Transfer-Encoding: base64\r\n\r\nSGk="
        ));
        assert!(needs_decoding(
            b"content-transfer-encoding:\n QUOTED-PRINTABLE\n\nx=3D1"
        ));
        assert!(needs_decoding(b"CONTENT-TRANSFER-ENCODING: Base64\n"));
        assert!(needs_decoding(b"Content-Type: message/rfc822\n"));
        assert!(!needs_decoding(
            b"Content-Transfer-Encoding: 8bit\n\nbase64 is an encoding"
        ));
        assert!(!needs_decoding(b"Subject: rfc822 and encoding: base64\n"));
    }
}
