//! Identifiers that start with letters, so the digit tokenizer cannot see them whole: IBANs,
//! EU VAT numbers, NIRs of people born in Corsica (department 2A/2B), and IPv6 addresses.
//! Each regex is ASCII-only (`(?-u:\b)`) so the regex crate keeps its fast DFA.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::finding::Finding;
use crate::kind::PiiType;
use crate::validate::{iban, nir, vat};

static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]{2}[0-9]{2}(?:[ ]?[0-9A-Z]){11,30}")
        .unwrap_or_else(|e| panic!("IBAN regex: {e}"))
});
static VAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?-u:\b)(?:FR ?[0-9]{2} ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}",
        r"|BE ?[01]?[0-9]{3}[. ]?[0-9]{3}[. ]?[0-9]{3}",
        r"|(?:DE|LU|IT|DK|FI|PL|PT|SE) ?[0-9]{8,12}",
        r"|ATU ?[0-9]{8}|NL ?[0-9]{9}B[0-9]{2})(?-u:\b)"
    ))
    .unwrap_or_else(|e| panic!("VAT regex: {e}"))
});
static NIR_CORSICA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)[12378] ?[0-9]{2} ?[0-9]{2} ?2[ABab] ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}(?-u:\b)",
    )
    .unwrap_or_else(|e| panic!("NIR regex: {e}"))
});

fn compact_into(src: &[u8], buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend(
        src.iter()
            .copied()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase()),
    );
}

pub(crate) fn scan(text: &[u8], buf: &mut Vec<u8>, out: &mut Vec<Finding>) {
    // Every prefixed identifier needs an upper-case letter pair or a Corsican department.
    for m in IBAN.find_iter(text) {
        let raw = m.as_bytes();
        let Some(len) = iban::country_length(&raw[..2]) else {
            continue;
        };
        // Walk the raw match until `len` alphanumerics: a greedy match may run into the next word.
        let mut seen = 0;
        let mut end = m.start();
        for (k, &c) in raw.iter().enumerate() {
            if c.is_ascii_alphanumeric() {
                seen += 1;
                if seen == len {
                    end = m.start() + k + 1;
                    break;
                }
            }
        }
        if seen < len || text.get(end).is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        compact_into(&text[m.start()..end], buf);
        if iban::is_valid(buf) {
            out.push(Finding::new(m.start(), end, PiiType::Iban, 0.99));
        }
    }
    for m in VAT.find_iter(text) {
        compact_into(m.as_bytes(), buf);
        // Belgian numbers issued before 2007 have 9 digits: a leading 0 completes them.
        if buf.starts_with(b"BE") && buf.len() == 11 {
            buf.insert(2, b'0');
        }
        if vat::is_valid(buf) {
            out.push(Finding::new(m.start(), m.end(), PiiType::VatEu, 0.97));
        }
    }
    if memchr::memmem::find(text, b"2A").is_some() || memchr::memmem::find(text, b"2B").is_some() {
        for m in NIR_CORSICA.find_iter(text) {
            compact_into(m.as_bytes(), buf);
            if nir::is_valid(buf) {
                out.push(Finding::new(m.start(), m.end(), PiiType::FrNir, 0.97));
            }
        }
    }
    ipv6(text, out);
}

fn hex_or_colon(c: u8) -> bool {
    c.is_ascii_hexdigit() || c == b':' || c == b'.'
}

/// IPv6: from each `::` or hex group followed by `:`, expand over hex digits and colons, then
/// let the standard library parser decide (RFC 4291 text forms). Times (`10:30:00`) and MAC
/// addresses have too few groups and fail to parse.
fn ipv6(text: &[u8], out: &mut Vec<Finding>) {
    let mut next = 0;
    for c in memchr::memchr_iter(b':', text) {
        if c < next {
            continue;
        }
        let mut s = c;
        while s > 0 && hex_or_colon(text[s - 1]) {
            s -= 1;
        }
        let mut e = c + 1;
        while e < text.len() && hex_or_colon(text[e]) {
            e += 1;
        }
        next = e;
        // Trailing dots / colons belong to the sentence, not the address.
        while e > s && matches!(text[e - 1], b'.' | b':') && !text[s..e].ends_with(b"::") {
            e -= 1;
        }
        while s < e && text[s] == b'.' {
            s += 1;
        }
        let w = &text[s..e];
        if w.len() < 6 || memchr::memchr_iter(b':', w).count() < 2 {
            continue;
        }
        if s > 0 && (text[s - 1].is_ascii_alphanumeric() || text[s - 1] == b'_') {
            continue;
        }
        if text
            .get(e)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            continue;
        }
        let Ok(w) = std::str::from_utf8(w) else {
            continue;
        };
        let Ok(addr) = w.parse::<std::net::Ipv6Addr>() else {
            continue;
        };
        if addr.is_loopback() || addr.is_unspecified() {
            continue;
        }
        // At least two non-empty groups: "a::" or "::1"-like fragments are not addresses.
        if w.split(':').filter(|g| !g.is_empty()).count() < 2 {
            continue;
        }
        out.push(Finding::new(s, e, PiiType::IpAddress, 0.9));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(t: &str) -> Vec<(PiiType, &str)> {
        let mut out = Vec::new();
        scan(t.as_bytes(), &mut Vec::new(), &mut out);
        out.iter().map(|f| (f.kind, &t[f.start..f.end])).collect()
    }

    #[test]
    fn iban_vat_corsican_nir_ipv6() {
        assert_eq!(
            found("IBAN FR14 2004 1010 0505 0001 3M02 606 BIC PSSTFRPPXXX"),
            vec![(PiiType::Iban, "FR14 2004 1010 0505 0001 3M02 606")]
        );
        assert_eq!(
            found("TVA FR40303265045."),
            vec![(PiiType::VatEu, "FR40303265045")]
        );
        assert_eq!(
            found("BTW BE 0403.019.261"),
            vec![(PiiType::VatEu, "BE 0403.019.261")]
        );
        assert_eq!(
            found("NIR 2 53 07 2B 073 004 70"),
            vec![(PiiType::FrNir, "2 53 07 2B 073 004 70")]
        );
        assert_eq!(
            found("client 2001:41d0:302:2200::1a3 connected"),
            vec![(PiiType::IpAddress, "2001:41d0:302:2200::1a3")]
        );
    }

    #[test]
    fn decoys_refused() {
        assert!(found("IBAN FR14 2004 1010 0505 0001 3M02 607").is_empty());
        assert!(found("at 10:30:00 mac 00:1a:2b:3c:4d:5e ::1").is_empty());
        assert!(found("TVA FR41303265045").is_empty());
    }
}
