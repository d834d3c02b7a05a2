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

/// True when a message holds transfer-encoded parts, nested messages or encoded words.
fn needs_decoding(msg: &[u8]) -> bool {
    static FINDER: std::sync::LazyLock<aho_corasick::AhoCorasick> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(["base64", "quoted-printable", "message/rfc822"])
                .unwrap_or_else(|e| panic!("mail prefilter: {e}"))
        });
    FINDER.is_match(msg)
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
