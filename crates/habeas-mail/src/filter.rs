//! The stdin→stdout filter: one RFC 5322 message in, the same bytes out with
//! `X-Habeas-Class` inserted (and the Subject tagged if the user opted in).
//!
//! Byte exactness is the point: DKIM signs the body and most headers, so the
//! filter never re-encodes anything. mail-parser only *reads* the headers
//! (addresses, decoded Subject); the edits are done here on the raw bytes:
//! * new fields go on top of the header, like trace fields, with the
//!   message's own line ending (CRLF or LF, taken from its first line);
//! * the Subject is tagged by inserting the tag right after `Subject:` —
//!   folding, encoded words and 8-bit bytes of the old value are kept as is;
//!   a message with no Subject gets one;
//! * incoming `X-Habeas-Class`/`X-Habeas-Warning` fields are removed, so a
//!   sender cannot pre-classify their own message;
//! * a message whose header cannot be split into fields is passed through
//!   unchanged with `X-Habeas-Warning` on top: mail is never dropped for
//!   being malformed.

use memchr::memchr;

use crate::classify::{Class, MessageAddresses};
use crate::lists::{DenyAction, UserLists};

/// Warning text for messages that could not be classified.
pub const MALFORMED_WARNING: &str =
    "malformed header block, not classified (en-tête mal formé, message non classé)";

/// One header field in the raw message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// First byte of the field name.
    pub start: usize,
    /// Index of the `:`.
    pub colon: usize,
    /// One past the last byte of the field (after its final line ending).
    pub end: usize,
}

impl Field {
    pub fn name<'a>(&self, raw: &'a [u8]) -> &'a [u8] {
        trim_end_wsp(&raw[self.start..self.colon])
    }
}

/// The header block of a raw message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderBlock {
    pub fields: Vec<Field>,
    /// End of the last field (start of the blank line, or end of input).
    pub end: usize,
    /// Start of the body (after the blank line), or end of input.
    pub body_start: usize,
    /// The first line ends with CRLF.
    pub crlf: bool,
}

impl HeaderBlock {
    pub fn eol(&self) -> &'static [u8] {
        if self.crlf { b"\r\n" } else { b"\n" }
    }
}

fn trim_end_wsp(bytes: &[u8]) -> &[u8] {
    let mut end = bytes.len();
    while end > 0 && matches!(bytes[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    &bytes[..end]
}

fn strip_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Splits the header block into fields; `None` when it is not a header block
/// (empty input, a first line that is not a field, a line without a colon, a
/// field name with spaces or control bytes).
pub fn scan_headers(raw: &[u8]) -> Option<HeaderBlock> {
    let mut fields: Vec<Field> = Vec::new();
    let mut pos = 0;
    let mut crlf = false;
    while pos < raw.len() {
        let line_end = memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..line_end];
        if pos == 0 {
            crlf = line.ends_with(b"\r\n");
        }
        let content = strip_eol(line);
        if content.is_empty() {
            if fields.is_empty() {
                return None;
            }
            return Some(HeaderBlock {
                fields,
                end: pos,
                body_start: line_end,
                crlf,
            });
        }
        if matches!(content[0], b' ' | b'\t') {
            let last = fields.last_mut()?;
            last.end = line_end;
        } else {
            let colon = memchr(b':', content)?;
            let name = trim_end_wsp(&content[..colon]);
            if name.is_empty() || !name.iter().all(|&b| (33..=126).contains(&b)) {
                return None;
            }
            fields.push(Field {
                start: pos,
                colon: pos + colon,
                end: line_end,
            });
        }
        pos = line_end;
    }
    if fields.is_empty() {
        return None;
    }
    Some(HeaderBlock {
        fields,
        end: raw.len(),
        body_start: raw.len(),
        crlf,
    })
}

/// Reads the header of a raw message and classifies it; `None` if malformed.
pub fn classify_raw(
    lists: &UserLists,
    raw: &[u8],
) -> Option<(Class, HeaderBlock, MessageAddresses)> {
    let block = scan_headers(raw)?;
    let header = &raw[..block.body_start];
    let addresses = if header.ends_with(b"\n") {
        MessageAddresses::parse(header)?
    } else {
        // A header-only message whose last line has no line ending: mail-parser
        // would not see that last field.
        let terminated = [header, block.eol(), block.eol()].concat();
        MessageAddresses::parse(&terminated)?
    };
    Some((lists.classify(&addresses), block, addresses))
}

/// Filter options.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterOptions {
    /// Deliver denied mail tagged `deny` instead of discarding/rejecting it.
    pub keep_denied: bool,
}

/// What the caller must do with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterAction {
    /// Write `output` (exit 0).
    Deliver,
    /// Write nothing and succeed (exit 0): the message is dropped on purpose.
    Discard,
    /// Write nothing, print `message` and fail with EX_NOPERM (77).
    Reject { message: String },
}

/// The result of filtering one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterOutcome {
    pub class: Class,
    pub action: FilterAction,
    /// The message to deliver (empty unless `action` is `Deliver`).
    pub output: Vec<u8>,
    /// Set when the message was malformed and passed through unchanged.
    pub malformed: bool,
}

/// Substring test with Sieve's default comparator, `i;ascii-casemap`
/// (RFC 4790): the filter and the script agree on "already tagged".
pub fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

fn is_habeas_field(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"x-habeas-class") || name.eq_ignore_ascii_case(b"x-habeas-warning")
}

/// Filters one raw message for this user.
pub fn filter_message(lists: &UserLists, raw: &[u8], opts: FilterOptions) -> FilterOutcome {
    let Some((class, block, addresses)) = classify_raw(lists, raw) else {
        return passthrough_malformed(raw);
    };
    if class == Class::Deny && !opts.keep_denied {
        let action = match &lists.settings.deny {
            DenyAction::Discard => FilterAction::Discard,
            DenyAction::Reject { message } => FilterAction::Reject {
                message: message.clone(),
            },
        };
        return FilterOutcome {
            class,
            action,
            output: Vec::new(),
            malformed: false,
        };
    }
    let eol = block.eol();
    let subject_tag = match (&lists.settings.tag.subject, class) {
        (Some(tag), Class::Perso) => {
            // The decoded Subject (an RFC 2047 encoded tag counts), or the raw
            // field itself: mail-parser may lose a Subject after a malformed
            // field, and a tag unseen would be added again on each filtering.
            let raw_subject = block
                .fields
                .iter()
                .find(|f| f.name(raw).eq_ignore_ascii_case(b"subject"))
                .map(|f| String::from_utf8_lossy(&raw[f.colon + 1..f.end]));
            let already = addresses
                .subject
                .as_deref()
                .is_some_and(|s| contains_ignore_ascii_case(s, tag))
                || raw_subject.is_some_and(|s| contains_ignore_ascii_case(&s, tag));
            (!already).then_some(tag.as_bytes())
        }
        _ => None,
    };
    let mut out = Vec::with_capacity(raw.len() + 64);
    out.extend_from_slice(b"X-Habeas-Class: ");
    out.extend_from_slice(class.as_str().as_bytes());
    out.extend_from_slice(eol);
    let has_subject = block
        .fields
        .iter()
        .any(|f| f.name(raw).eq_ignore_ascii_case(b"subject"));
    if let (Some(tag), false) = (subject_tag, has_subject) {
        out.extend_from_slice(b"Subject: ");
        out.extend_from_slice(tag);
        out.extend_from_slice(eol);
    }
    let mut subject_done = false;
    for field in &block.fields {
        let name = field.name(raw);
        if is_habeas_field(name) {
            continue;
        }
        match subject_tag {
            Some(tag) if !subject_done && name.eq_ignore_ascii_case(b"subject") => {
                subject_done = true;
                let rest = &raw[field.colon + 1..field.end];
                out.extend_from_slice(&raw[field.start..=field.colon]);
                out.push(b' ');
                out.extend_from_slice(tag);
                if !matches!(rest.first(), Some(b' ' | b'\t' | b'\r' | b'\n') | None) {
                    out.push(b' ');
                }
                out.extend_from_slice(rest);
            }
            _ => out.extend_from_slice(&raw[field.start..field.end]),
        }
    }
    out.extend_from_slice(&raw[block.end..]);
    FilterOutcome {
        class,
        action: FilterAction::Deliver,
        output: out,
        malformed: false,
    }
}

fn passthrough_malformed(raw: &[u8]) -> FilterOutcome {
    let first_line_crlf = memchr(b'\n', raw).is_some_and(|i| i > 0 && raw[i - 1] == b'\r');
    let eol: &[u8] = if first_line_crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::with_capacity(raw.len() + 128);
    out.extend_from_slice(b"X-Habeas-Warning: ");
    out.extend_from_slice(MALFORMED_WARNING.as_bytes());
    out.extend_from_slice(eol);
    out.extend_from_slice(b"X-Habeas-Class: none");
    out.extend_from_slice(eol);
    out.extend_from_slice(raw);
    FilterOutcome {
        class: Class::None,
        action: FilterAction::Deliver,
        output: out,
        malformed: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lists::{ListKind, Settings, TagStyle};

    fn lists(subject: bool) -> UserLists {
        let mut l = UserLists::new("me@corp.example");
        l.add(ListKind::Perso, "mum@family.example").unwrap();
        l.add(ListKind::Deny, "@spam.example").unwrap();
        if subject {
            l.set_settings(Settings {
                tag: TagStyle {
                    keyword: true,
                    folder: None,
                    subject: Some("[PERSO]".into()),
                },
                ..Settings::default()
            })
            .unwrap();
        }
        l
    }

    fn run(l: &UserLists, raw: &[u8]) -> FilterOutcome {
        filter_message(l, raw, FilterOptions::default())
    }

    #[test]
    fn header_only_message_is_valid() {
        let block = scan_headers(b"From: a@b.example\nSubject: x").unwrap();
        assert_eq!(block.fields.len(), 2);
        assert_eq!(block.body_start, 28);
    }

    #[test]
    fn malformed_inputs_are_detected() {
        assert!(scan_headers(b"").is_none());
        assert!(scan_headers(b"\nbody").is_none());
        assert!(scan_headers(b" continuation first\n\n").is_none());
        assert!(scan_headers(b"From a@b Mon Jan 1\nX: y\n\n").is_none());
        assert!(scan_headers(b"Bad Name: x\n\n").is_none());
    }

    #[test]
    fn folded_subject_is_tagged_without_touching_the_rest() {
        let raw = b"From: mum@family.example\r\nSubject: =?UTF-8?Q?f=C3=AAte?=\r\n =?UTF-8?Q?_de_famille?=\r\n\r\nbody\r\n";
        let out = run(&lists(true), raw);
        assert_eq!(out.class, Class::Perso);
        let expected = b"X-Habeas-Class: perso\r\nFrom: mum@family.example\r\nSubject: [PERSO] =?UTF-8?Q?f=C3=AAte?=\r\n =?UTF-8?Q?_de_famille?=\r\n\r\nbody\r\n";
        assert_eq!(out.output, expected.to_vec());
    }

    #[test]
    fn missing_or_empty_subject() {
        let out = run(&lists(true), b"From: mum@family.example\n\nhi\n");
        assert_eq!(
            out.output,
            b"X-Habeas-Class: perso\nSubject: [PERSO]\nFrom: mum@family.example\n\nhi\n".to_vec()
        );
        let out = run(&lists(true), b"Subject:\nFrom: mum@family.example\n\nhi\n");
        assert_eq!(
            out.output,
            b"X-Habeas-Class: perso\nSubject: [PERSO]\nFrom: mum@family.example\n\nhi\n".to_vec()
        );
        let out = run(&lists(true), b"Subject:x\nFrom: mum@family.example\n\nhi\n");
        assert!(out.output.windows(17).any(|w| w == b"Subject: [PERSO] "));
    }

    #[test]
    fn already_tagged_subject_is_left_alone() {
        let raw = b"From: mum@family.example\nSubject: [PERSO] hi\n\n";
        let out = run(&lists(true), raw);
        assert_eq!(
            out.output,
            [b"X-Habeas-Class: perso\n".as_slice(), raw].concat()
        );
        // Sieve's i;ascii-casemap: "[perso]" counts as already tagged.
        let raw = b"From: mum@family.example\nSubject: Re: [perso] hi\n\n";
        let out = run(&lists(true), raw);
        assert_eq!(
            out.output,
            [b"X-Habeas-Class: perso\n".as_slice(), raw].concat()
        );
    }

    /// Found by the `mail_filter` fuzz target: a malformed Date field made
    /// mail-parser lose the Subject after it, so the tag already there went
    /// unseen and filtering the delivered message again tagged it twice.
    #[test]
    fn a_tag_in_a_subject_the_parser_loses_is_still_seen() {
        let raw = b"From: Mum <mum@family.example>\nTo: me@corp.exame@corp.example\nDate: Thu, 03 Dec 2027 10:00*00 +0mp\nSubject: x\n\nbody\n";
        let first = run(&lists(true), raw);
        assert!(first.output.windows(17).any(|w| w == b"Subject: [PERSO] "));
        let again = run(&lists(true), &first.output);
        assert_eq!(
            again.output, first.output,
            "filtering twice changed the message"
        );
    }

    #[test]
    fn spoofed_class_headers_are_removed() {
        let raw = b"X-Habeas-Class: perso\nFrom: x@other.example\nX-HABEAS-WARNING: folded\n  line\nSubject: s\n\nb";
        let out = run(&lists(false), raw);
        assert_eq!(
            out.output,
            b"X-Habeas-Class: none\nFrom: x@other.example\nSubject: s\n\nb".to_vec()
        );
    }

    #[test]
    fn denied_mail_is_discarded_or_kept_on_request() {
        let raw = b"From: x@spam.example\n\nb";
        let out = run(&lists(false), raw);
        assert_eq!(out.action, FilterAction::Discard);
        assert!(out.output.is_empty());
        let kept = filter_message(&lists(false), raw, FilterOptions { keep_denied: true });
        assert_eq!(kept.action, FilterAction::Deliver);
        assert!(kept.output.starts_with(b"X-Habeas-Class: deny\n"));
    }

    #[test]
    fn malformed_message_passes_through_with_a_warning() {
        let raw = b"this is not a header\nat all\n";
        let out = run(&lists(false), raw);
        assert!(out.malformed);
        assert_eq!(out.action, FilterAction::Deliver);
        assert!(out.output.ends_with(raw));
        assert!(out.output.starts_with(b"X-Habeas-Warning: "));
    }

    #[test]
    fn eight_bit_headers_are_copied_verbatim() {
        let raw = "From: Zoë <mum@family.example>\nSubject: été\n\ncorps\n".as_bytes();
        let out = run(&lists(true), raw);
        assert_eq!(out.class, Class::Perso);
        assert_eq!(
            out.output,
            "X-Habeas-Class: perso\nFrom: Zoë <mum@family.example>\nSubject: [PERSO] été\n\ncorps\n"
                .as_bytes()
                .to_vec()
        );
        let latin1 = b"From: Zo\xeb <a@x.example>\nSubject: \xe9t\xe9\n\n\xff\xfe";
        let out = run(&lists(true), latin1);
        assert_eq!(
            out.output,
            [b"X-Habeas-Class: none\n".as_slice(), latin1].concat()
        );
    }
}
