//! Identifiers that start with letters, so the digit tokenizer cannot see them whole: IBANs,
//! EU VAT numbers, NIRs of people born in Corsica (department 2A/2B), and IPv6 addresses.
//!
//! No regex runs over the whole text: the digit tokenizer already visits every digit run and
//! calls [`at_digit`] on those right after an upper-case letter, the only places an IBAN or a
//! VAT number can start (an IBAN found there is skipped whole, so its digit groups are never
//! read as cards or phones); Corsican NIRs are looked for around each `2A`/`2B`. Anchored
//! regexes then read the candidate, and checksums decide. Each regex is ASCII-only so the
//! regex crate keeps its DFA.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::finding::Finding;
use crate::kind::PiiType;
use crate::validate::{iban, nir, vat};

static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Z]{2}[0-9]{2}(?:[ ]?[0-9A-Z]){11,30}")
        .unwrap_or_else(|e| panic!("IBAN regex: {e}"))
});
static VAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:FR ?[0-9]{2} ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}",
        r"|BE ?[01]?[0-9]{3}[. ]?[0-9]{3}[. ]?[0-9]{3}",
        r"|(?:DE|LU|IT|DK|FI|PL|PT|SE) ?[0-9]{8,12}",
        r"|ATU ?[0-9]{8}|NL ?[0-9]{9}B[0-9]{2})(?-u:\b)"
    ))
    .unwrap_or_else(|e| panic!("VAT regex: {e}"))
});
static NIR_CORSICA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[12378] ?[0-9]{2} ?[0-9]{2} ?2[ABab] ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}(?-u:\b)")
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

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// ASCII word boundary before `i` (what `(?-u:\b)` checks at a match start).
fn boundary_before(text: &[u8], i: usize) -> bool {
    i == 0 || !is_word(text[i - 1])
}

/// An IBAN or a VAT number whose first digit is at `d`, right after upper-case letters (or
/// letters and a space): reported, and its end returned so the digit tokenizer skips it.
pub(crate) fn at_digit(
    text: &[u8],
    d: usize,
    buf: &mut Vec<u8>,
    out: &mut Vec<Finding>,
) -> Option<usize> {
    // The letters before the digit: two (country code) or three (`ATU`), at a word start.
    let letters_end = if text[d - 1] == b' ' { d - 1 } else { d };
    let mut ls = letters_end;
    while ls > 0 && letters_end - ls < 4 && text[ls - 1].is_ascii_uppercase() {
        ls -= 1;
    }
    let n_letters = letters_end - ls;
    if !(2..=3).contains(&n_letters) || !boundary_before(text, ls) {
        return None;
    }
    if n_letters == 2
        && letters_end == d
        && let Some((end, valid)) = iban_at(text, ls, buf)
    {
        // An IBAN-shaped number failing its check is a mistyped account number: reported
        // as nothing, and its digit groups are not read as cards or phones either.
        if valid {
            out.push(Finding::new(ls, end, PiiType::Iban, 0.99));
        }
        return Some(end);
    }
    let m = VAT.find(&text[ls..])?;
    compact_into(m.as_bytes(), buf);
    // Belgian numbers issued before 2007 have 9 digits: a leading 0 completes them.
    if buf.starts_with(b"BE") && buf.len() == 11 {
        buf.insert(2, b'0');
    }
    if !vat::is_valid(buf) {
        return None;
    }
    out.push(Finding::new(ls, ls + m.end(), PiiType::VatEu, 0.97));
    Some(ls + m.end())
}

/// The identifiers no digit-run start reveals: Corsican NIRs and IPv6 addresses.
pub(crate) fn scan(text: &[u8], buf: &mut Vec<u8>, out: &mut Vec<Finding>) {
    corsican_nir(text, buf, out);
    ipv6(text, out);
}

/// An IBAN-shaped string starting at `s`: as many characters as its country's length (single
/// spaces allowed between them), not glued to a following word. Returns its end and whether
/// its mod-97 check holds.
fn iban_at(text: &[u8], s: usize, buf: &mut Vec<u8>) -> Option<(usize, bool)> {
    let len = iban::country_length(&text[s..s + 2])?;
    let m = IBAN.find(&text[s..])?;
    let raw = m.as_bytes();
    // Walk the raw match until `len` alphanumerics: a greedy match may run into the next word.
    let mut seen = 0;
    let mut end = s;
    for (k, &c) in raw.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            seen += 1;
            if seen == len {
                end = s + k + 1;
                break;
            }
        }
    }
    if seen < len || text.get(end).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    compact_into(&text[s..end], buf);
    Some((end, iban::is_valid(buf)))
}

/// NIRs of people born in Corsica: department `2A`/`2B` after the status digit, year and
/// month (5 digits and up to 3 spaces before it).
fn corsican_nir(text: &[u8], buf: &mut Vec<u8>, out: &mut Vec<Finding>) {
    for dept in [&b"2A"[..], b"2B", b"2a", b"2b"] {
        let mut done = 0;
        for q in memchr::memmem::find_iter(text, dept) {
            if q < 5 || q < done {
                continue;
            }
            for s in q.saturating_sub(8)..=q - 5 {
                if !matches!(text[s], b'1' | b'2' | b'3' | b'7' | b'8') || !boundary_before(text, s)
                {
                    continue;
                }
                let Some(m) = NIR_CORSICA.find(&text[s..]) else {
                    continue;
                };
                compact_into(m.as_bytes(), buf);
                if nir::is_valid(buf) {
                    out.push(Finding::new(s, s + m.end(), PiiType::FrNir, 0.97));
                    done = s + m.end();
                    break;
                }
            }
        }
    }
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
        let colons = memchr::memchr_iter(b':', w).count();
        if w.len() < 6 || colons < 2 {
            continue;
        }
        // Without `::`, RFC 4291 text has eight groups, or six before a dotted IPv4 tail:
        // times ("10:30:00", "12:34:56.789") stop here rather than in the parser.
        if colons != 7
            && !(colons == 6 && memchr::memchr(b'.', w).is_some())
            && memchr::memmem::find(w, b"::").is_none()
        {
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
        let mut s = crate::detect::numbers::NumberScratch::default();
        let mut out = Vec::new();
        crate::detect::numbers::scan(t.as_bytes(), &mut s, &mut out);
        out.retain(|f| matches!(f.kind, PiiType::Iban | PiiType::VatEu));
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
        // The full form and the IPv4-embedded form, without `::`.
        assert_eq!(
            found("from 2001:db8:85a3:8d3:1319:8a2e:370:7348, ok"),
            vec![(PiiType::IpAddress, "2001:db8:85a3:8d3:1319:8a2e:370:7348")]
        );
        assert_eq!(
            found("via 64:ff9b:1:2:3:4:192.0.2.33 ok"),
            vec![(PiiType::IpAddress, "64:ff9b:1:2:3:4:192.0.2.33")]
        );
    }

    #[test]
    fn decoys_refused() {
        assert!(found("IBAN FR14 2004 1010 0505 0001 3M02 607").is_empty());
        assert!(found("at 10:30:00 mac 00:1a:2b:3c:4d:5e ::1").is_empty());
        assert!(found("12:34:56.789 a:b:c:d:e:f:1 1:2:3:4:5:6:7:8:9").is_empty());
        assert!(found("TVA FR41303265045").is_empty());
    }
}
