//! E-mail addresses, found from each `@` (memchr) outwards rather than by a regex over the
//! whole text. Message-IDs and References look like addresses but identify messages, not
//! people (RFC 5322 §3.6.4): addresses on those header lines are not reported.

use crate::finding::Finding;
use crate::kind::PiiType;

fn local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"._%+-!#$&'*/=?^`{|}~".contains(&c)
}

fn domain_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'.'
}

pub(crate) fn scan(text: &[u8], out: &mut Vec<Finding>) {
    let mut last_end = 0;
    for at in memchr::memchr_iter(b'@', text) {
        if at < last_end {
            continue;
        }
        let mut s = at;
        while s > last_end && local_char(text[s - 1]) {
            s -= 1;
        }
        // A local part never starts or ends with a dot (RFC 5322 dot-atom).
        while s < at && text[s] == b'.' {
            s += 1;
        }
        let mut e = at + 1;
        while e < text.len() && domain_char(text[e]) {
            e += 1;
        }
        while e > at + 1 && matches!(text[e - 1], b'.' | b'-') {
            e -= 1;
        }
        if s == at || text[at - 1] == b'.' || e <= at + 3 {
            continue;
        }
        let domain = &text[at + 1..e];
        let Some(dot) = memchr::memrchr(b'.', domain) else {
            continue;
        };
        let tld = &domain[dot + 1..];
        if tld.len() < 2
            || !tld.iter().all(u8::is_ascii_alphabetic)
            || domain.starts_with(b".")
            || memchr::memmem::find(domain, b"..").is_some()
        {
            continue;
        }
        if in_message_id_header(text, s) {
            continue;
        }
        out.push(Finding::new(s, e, PiiType::Email, 0.97));
        last_end = e;
    }
}

/// True when `pos` sits on a Message-ID, In-Reply-To, References or Content-ID header
/// (including its folded continuation lines).
fn in_message_id_header(text: &[u8], pos: usize) -> bool {
    let mut line_start = memchr::memrchr(b'\n', &text[..pos]).map_or(0, |i| i + 1);
    // Walk back over folded continuation lines (RFC 5322 §2.2.3).
    while line_start > 0 && matches!(text.get(line_start), Some(b' ' | b'\t')) {
        line_start = memchr::memrchr(b'\n', &text[..line_start - 1]).map_or(0, |i| i + 1);
    }
    let head = &text[line_start..];
    [
        &b"message-id:"[..],
        b"in-reply-to:",
        b"references:",
        b"content-id:",
        b"x-message-id:",
    ]
    .iter()
    .any(|h| {
        head.get(..h.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(h))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(t: &str) -> Vec<&str> {
        let mut out = Vec::new();
        scan(t.as_bytes(), &mut out);
        out.iter().map(|f| &t[f.start..f.end]).collect()
    }

    #[test]
    fn addresses_in_text_and_headers() {
        assert_eq!(
            found("From: \"Jean\" <jean.dupont@exemple.fr>\n"),
            vec!["jean.dupont@exemple.fr"]
        );
        assert_eq!(
            found("écrire à contact+rgpd@mail.example.be."),
            vec!["contact+rgpd@mail.example.be"]
        );
    }

    #[test]
    fn message_ids_and_non_addresses_are_refused() {
        assert!(found("Message-ID: <1725625578.653956@mx3.example.fr>\n").is_empty());
        assert!(found("x\nMESSAGE-ID: <a1@mx3.example.fr>\n").is_empty());
        assert_eq!(
            found("Message: jo@mx3.example.fr"),
            vec!["jo@mx3.example.fr"]
        );
        assert!(found("References: <a@b.example>\n <c1@mx.example.org>\n").is_empty());
        assert!(found("git@github or user@localhost or a@b.c1").is_empty());
    }
}
