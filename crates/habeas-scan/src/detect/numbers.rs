//! Digit-run identifiers in one pass: a hand-written tokenizer finds runs of digit groups
//! joined by one or two separators (space, `.`, `-`, `/`, parentheses, no-break space), then
//! tries windows of consecutive groups, longest first, against each identifier's shape and
//! checksum. This replaces a dozen regexes with one scan of the bytes, and validators run only
//! on the few windows with the right digit count.
//!
//! Decoys are refused by construction: runs glued to letters (hashes, UUIDs, `v1.2.3.4`,
//! `Chrome/120.0.6099.109`) are skipped whole; numbers failing their checksum or issuer range
//! are not reported; a Luhn-valid 14-digit number is a SIRET only if its SIREN is valid too.

use super::{phone_plan, prefixed};
use crate::finding::Finding;
use crate::kind::PiiType;
use crate::validate::{card, nir, nrn, siren};

/// One group of digits inside a run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Group {
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    /// Range in the compact digit buffer.
    pub cstart: usize,
    pub cend: usize,
    /// The separator before this group (0 for the first group; b'(' / b')' for parentheses).
    pub sep_before: u8,
    /// True when this group is `(0)`, the trunk prefix written in international numbers.
    pub trunk_zero: bool,
}

/// A date-shaped window, kept for the date-of-birth detector.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DateSpan {
    pub start: usize,
    pub end: usize,
}

/// Per-thread buffers, reused across files.
#[derive(Default)]
pub(crate) struct NumberScratch {
    compact: Vec<u8>,
    groups: Vec<Group>,
    phone_buf: String,
    pub dates: Vec<DateSpan>,
}

const MAX_GROUPS: usize = 24;

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Scan `text` for digit-run identifiers (and, through `prefixed::at_digit`, the IBANs and VAT
/// numbers that start with letters), appending findings, and collect date-shaped windows.
pub(crate) fn scan(text: &[u8], s: &mut NumberScratch, out: &mut Vec<Finding>) {
    s.dates.clear();
    let n = text.len();
    let mut i = 0;
    while i < n {
        let Some(next) = next_digit(text, i) else {
            break;
        };
        i = next;
        // A run glued to a word (hash, UUID, version, URL path, identifier) is skipped whole.
        if i > 0 {
            let p = text[i - 1];
            let before = if i > 1 { text[i - 2] } else { b' ' };
            // After upper-case letters: an IBAN or VAT number (`FR76…`, `ATU1…`, `BE 0403…`)?
            if (p.is_ascii_uppercase() || (p == b' ' && before.is_ascii_uppercase()))
                && let Some(end) = prefixed::at_digit(text, i, &mut s.compact, out)
            {
                i = end;
                continue;
            }
            let glued = is_word(p)
                || (matches!(p, b'-' | b'.' | b'/' | b'#') && is_word(before))
                || (p == b'.' && before.is_ascii_digit());
            if glued {
                i = skip_word(text, i);
                continue;
            }
        }
        i = tokenize(text, i, s);
        if !s.groups.is_empty() {
            classify_run(text, s, out);
        }
    }
}

/// The first ASCII digit at or after `i`, eight bytes at a time (`swar`): prose costs a
/// fraction of a byte loop.
fn next_digit(text: &[u8], mut i: usize) -> Option<usize> {
    while i < text.len() {
        let m = super::swar::range(super::swar::load(text, i), b'0', b'9');
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    None
}

fn skip_word(text: &[u8], mut i: usize) -> usize {
    while i < text.len()
        && (is_word(text[i])
            || (matches!(text[i], b'.' | b'-') && i + 1 < text.len() && is_word(text[i + 1])))
    {
        i += 1;
    }
    i
}

/// Collect the groups of the run starting at `i`; returns the index to resume from.
fn tokenize(text: &[u8], mut i: usize, s: &mut NumberScratch) -> usize {
    s.groups.clear();
    s.compact.clear();
    let n = text.len();
    let mut sep_before = 0u8;
    let mut trunk_zero_open = false;
    loop {
        let gs = i;
        let cs = s.compact.len();
        while i < n && text[i].is_ascii_digit() {
            s.compact.push(text[i]);
            i += 1;
        }
        // A group followed by a letter is part of a word (hash, `12h30`, `3f9a…`): drop it and
        // end the run. `x` followed by digits is a phone extension and ends the run cleanly.
        // `x` + digits right after a group is a phone extension: keep the group, end the run.
        let extension = i + 1 < n && text[i] == b'x' && text[i + 1].is_ascii_digit() && i > gs;
        if i < n && is_word(text[i]) && !extension {
            s.compact.truncate(cs);
            return skip_word(text, i);
        }
        let trunk_zero = trunk_zero_open && i < n && text[i] == b')' && &text[gs..i] == b"0";
        s.groups.push(Group {
            start: gs,
            end: i,
            cstart: cs,
            cend: s.compact.len(),
            sep_before,
            trunk_zero,
        });
        if s.groups.len() >= MAX_GROUPS {
            return i;
        }
        if extension {
            return skip_word(text, i);
        }
        // Separator: one or two of space . - / ( ) or a no-break space, then a digit.
        let mut j = i;
        let mut seps = 0;
        let mut sep = 0u8;
        trunk_zero_open = false;
        while j < n && seps < 2 {
            match text[j] {
                b' ' | b'.' | b'-' | b'/' | b')' => {
                    if sep == 0 || sep == b')' {
                        sep = text[j];
                    }
                    j += 1;
                }
                b'(' => {
                    trunk_zero_open = true;
                    sep = b'(';
                    j += 1;
                }
                0xC2 if j + 1 < n && text[j + 1] == 0xA0 => {
                    sep = b' ';
                    j += 2;
                }
                _ => break,
            }
            seps += 1;
        }
        if seps == 0 || j >= n || !text[j].is_ascii_digit() {
            return i;
        }
        sep_before = sep;
        i = j;
    }
}

fn classify_run(text: &[u8], s: &mut NumberScratch, out: &mut Vec<Finding>) {
    let g = s.groups.len();
    let mut a = 0;
    while a < g {
        let mut matched = None;
        let mut b = g;
        while b > a {
            let digits = s.groups[b - 1].cend - s.groups[a].cstart;
            if digits <= 19
                && let Some(f) = classify_window(text, s, a, b)
            {
                matched = Some((b, f));
                break;
            }
            b -= 1;
        }
        match matched {
            Some((b, f)) => {
                if let Some(f) = f {
                    out.push(f);
                }
                a = b;
            }
            None => a += 1,
        }
    }
}

/// Some(Some(finding)) for an identifier, Some(None) for a date (recorded in `s.dates`),
/// None when the window is nothing.
fn classify_window(
    text: &[u8],
    s: &mut NumberScratch,
    a: usize,
    b: usize,
) -> Option<Option<Finding>> {
    let groups = &s.groups[a..b];
    let first = groups[0];
    let last = groups[groups.len() - 1];
    let digits = &s.compact[first.cstart..last.cend];
    let nd = digits.len();
    let start = first.start;
    let end = last.end;
    let plus = start > 0 && text[start - 1] == b'+';
    let ng = groups.len();
    let inner_seps = || groups[1..].iter().map(|g| g.sep_before);
    let same_sep = |c: u8| inner_seps().all(|x| x == c);
    let glen = |k: usize| groups[k].end - groups[k].start;

    // IPv4: four dotted groups, the whole dotted chain.
    if ng == 4 && same_sep(b'.') && !plus {
        let before_dot = a > 0 && s.groups[a].sep_before == b'.';
        let after_dot = b < s.groups.len() && s.groups[b].sep_before == b'.';
        if !before_dot && !after_dot && groups.iter().all(|g| octet(&text[g.start..g.end])) {
            if looks_like_version(text, start) {
                return None;
            }
            return Some(Some(Finding::new(start, end, PiiType::IpAddress, 0.9)));
        }
    }
    // Dates: d/m/Y, m/d/Y, Y-m-d with one separator kind.
    if ng == 3 && !plus {
        let sep = groups[1].sep_before;
        if matches!(sep, b'/' | b'.' | b'-')
            && same_sep(sep)
            && is_date(&text[start..end], [glen(0), glen(1), glen(2)])
        {
            s.dates.push(DateSpan { start, end });
            return Some(None);
        }
    }
    if !plus {
        match nd {
            11 if layout(groups, &[&[2, 2, 2, 3, 2], &[6, 3, 2], &[6, 5]])
                && nrn::is_valid(digits) =>
            {
                let conf = if ng > 1 { 0.97 } else { 0.9 };
                return Some(Some(Finding::new(start, end, PiiType::BeNrn, conf)));
            }
            15 if layout(
                groups,
                &[&[1, 2, 2, 2, 3, 3, 2], &[13, 2], &[1, 2, 2, 2, 6, 2]],
            ) && nir::is_valid(digits)
                // A bare number that is also a valid card (NIRs with status digit 3 share
                // the Amex and Diners ranges 34/36–39) is a NIR only when introduced as one.
                && (ng > 1 || card::network(digits).is_none() || nir_context(text, start)) =>
            {
                return Some(Some(Finding::new(start, end, PiiType::FrNir, 0.97)));
            }
            14 if layout(groups, &[&[3, 3, 3, 5], &[9, 5]]) && siren::siret_is_valid(digits) => {
                return Some(Some(Finding::new(start, end, PiiType::FrSiret, 0.95)));
            }
            _ => {}
        }
        if (12..=19).contains(&nd) && card_grouping(groups) && card::network(digits).is_some() {
            return Some(Some(Finding::new(start, end, PiiType::CreditCard, 0.95)));
        }
        if nd == 9
            && (ng == 1 || (ng == 3 && glen(0) == 3 && glen(1) == 3))
            && siren::siren_is_valid(digits)
            && siren_context(text, start)
        {
            return Some(Some(Finding::new(start, end, PiiType::FrSiren, 0.9)));
        }
    }
    phone(text, s, a, b, plus).map(Some)
}

fn octet(g: &[u8]) -> bool {
    match g.len() {
        1 => true,
        2 => g[0] != b'0',
        3 => {
            g[0] != b'0'
                && (u32::from(g[0] - b'0') * 100
                    + u32::from(g[1] - b'0') * 10
                    + u32::from(g[2] - b'0'))
                    <= 255
        }
        _ => false,
    }
}

/// "version 1.2.3.4", "ver. 1.2.3.4", "v 1.2.3.4", "build 10.0.19041.1", "firmware 2.1.0.7": an
/// IPv4-shaped version string.
fn looks_like_version(text: &[u8], start: usize) -> bool {
    let from = start.saturating_sub(12);
    let mut buf = [0u8; 12];
    let w = lower_into(&text[from..start], &mut buf);
    w.ends_with(b"v ")
        || memchr::memmem::find(w, b"version").is_some()
        || memchr::memmem::find(w, b"ver.").is_some()
        || [&b"build "[..], b"release ", b"firmware ", b"rev. ", b"rev "]
            .iter()
            .any(|k| w.ends_with(k))
}

/// `src` lower-cased (ASCII) into `buf`, without allocating: these context checks run on
/// every IPv4-shaped and every checksum-valid run.
fn lower_into<'a>(src: &[u8], buf: &'a mut [u8]) -> &'a [u8] {
    let w = &mut buf[..src.len()];
    w.copy_from_slice(src);
    w.make_ascii_lowercase();
    w
}

fn num(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |a, &c| {
        a.saturating_mul(10)
            .saturating_add(u32::from(c.wrapping_sub(b'0')))
    })
}

fn is_date(w: &[u8], lens: [usize; 3]) -> bool {
    let mut parts = w
        .split(|c| matches!(c, b'/' | b'.' | b'-' | b' '))
        .filter(|p| !p.is_empty());
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (x, y, z) = (num(a), num(b), num(c));
    let year_ok = |y: u32| (1900..=2099).contains(&y);
    let dm = |d: u32, m: u32| (1..=31).contains(&d) && (1..=12).contains(&m);
    match lens {
        [4, 2, 2] => year_ok(x) && dm(z, y),
        [1 | 2, 1 | 2, 4] => year_ok(z) && (dm(x, y) || dm(y, x)),
        _ => false,
    }
}

/// Identifiers are written bare or in their conventional groups. Accepting any grouping would
/// let columns of small numbers (tables, PostScript, dumps) pass a checksum by chance.
fn layout(groups: &[Group], allowed: &[&[usize]]) -> bool {
    groups.len() == 1
        || allowed.iter().any(|pat| {
            pat.len() == groups.len() && pat.iter().zip(groups).all(|(&l, g)| g.end - g.start == l)
        })
}

/// Cards are written bare, in groups of four (the last may be shorter), or 4-6-5 (Amex).
fn card_grouping(groups: &[Group]) -> bool {
    let n = groups.len();
    if n == 1 {
        return true;
    }
    let len = |g: &Group| g.end - g.start;
    if n == 3 && len(&groups[0]) == 4 && len(&groups[1]) == 6 && len(&groups[2]) == 5 {
        return true;
    }
    let sep = groups[1].sep_before;
    matches!(sep, b' ' | b'-')
        && groups[1..].iter().all(|g| g.sep_before == sep)
        && groups[..n - 1].iter().all(|g| len(g) == 4)
        && len(&groups[n - 1]) <= 4
}

/// A bare 9-digit Luhn number is a SIREN only when introduced as one: one random number in
/// ten passes Luhn, so without context precision would collapse.
fn siren_context(text: &[u8], start: usize) -> bool {
    let from = start.saturating_sub(48);
    let mut buf = [0u8; 48];
    let w = lower_into(&text[from..start], &mut buf);
    [
        "siren",
        "rcs",
        "r.c.s",
        "n° entreprise",
        "numéro d'entreprise",
    ]
    .iter()
    .any(|k| memchr::memmem::find(w, k.as_bytes()).is_some())
}

/// The words that introduce a NIR on its line, in the 48 bytes before it.
fn nir_context(text: &[u8], start: usize) -> bool {
    let from = start.saturating_sub(48);
    let line = memchr::memrchr(b'\n', &text[from..start]).map_or(from, |i| from + i + 1);
    let mut buf = [0u8; 48];
    let w = lower_into(&text[line..start], &mut buf);
    [
        "nir",
        "sécurité sociale",
        "securite sociale",
        "sécu",
        "insee",
        "n° ss",
        "no ss",
        "social security",
    ]
    .iter()
    .any(|k| memchr::memmem::find(w, k.as_bytes()).is_some())
}

fn phone(text: &[u8], s: &mut NumberScratch, a: usize, b: usize, plus: bool) -> Option<Finding> {
    planned_phone(text, s, a, b, plus).or_else(|| labelled_phone(text, s, a, b, plus))
}

/// A number that no numbering plan we hold can vouch for (a national number of another
/// country, written without its country code, or a plan we do not check) is still a phone
/// where the text labels it as one: "Phone: 99 479271", "call me at (021) 0706-939",
/// "0380 7558505 office", "+41 47 421 23 09 fax". 6–13 digits (15 with `+`), confidence 0.6.
fn labelled_phone(
    text: &[u8],
    s: &NumberScratch,
    a: usize,
    b: usize,
    plus: bool,
) -> Option<Finding> {
    let groups = &s.groups[a..b];
    let (first, last) = (groups[0], groups[groups.len() - 1]);
    let nd = last.cend - first.cstart;
    if nd < 6 || nd > if plus { 15 } else { 13 } {
        return None;
    }
    // The whole run, not a piece of a longer number.
    if b < s.groups.len() || a > 0 {
        return None;
    }
    let mut start = first.start;
    if start > 0 && matches!(text[start - 1], b'+' | b'(') {
        start -= 1;
    }
    let end = last.end;
    (phone_label_before(text, start) || phone_label_after(text, end))
        .then(|| Finding::new(start, end, PiiType::Phone, 0.6))
}

/// Phone words (EN, FR, NL) just before `start` on the same line, with only punctuation,
/// blanks and a few filler words between ("Tél. :", "Phone number:", "call me at"). Walks
/// back word by word (at most four), without allocating: this runs on every digit run that
/// no plan accepted.
fn phone_label_before(text: &[u8], start: usize) -> bool {
    const LABELS: &[&[u8]] = &[
        b"phone",
        b"telephone",
        b"tel",
        "tél".as_bytes(),
        "téléphone".as_bytes(),
        b"mobile",
        b"gsm",
        b"fax",
        b"cell",
        b"portable",
        b"call",
        b"desk",
        b"whatsapp",
        b"appeler",
        b"appelez",
        b"bellen",
        b"telefoon",
    ];
    const FILLERS: &[&[u8]] = &[
        b"me", b"at", b"on", b"us", b"number", b"no", b"nr", b"num", b"n", b"de", b"du", b"the",
    ];
    let floor = start.saturating_sub(32);
    let mut p = start;
    for _ in 0..4 {
        // Punctuation and blanks (not a line break, nor signs of a URL or a key=value).
        while p > floor
            && matches!(
                text[p - 1],
                b' ' | b'\t' | b':' | b'.' | b'-' | b'(' | 0xC2 | 0xB0
            )
        {
            p -= 1;
        }
        let e = p;
        while p > floor && (text[p - 1].is_ascii_alphabetic() || text[p - 1] >= 0x80) {
            p -= 1;
        }
        let word = &text[p..e];
        if word.is_empty() || (p > 0 && text[p - 1].is_ascii_alphanumeric()) {
            return false;
        }
        let label = |w: &[u8]| LABELS.iter().any(|l| w.eq_ignore_ascii_case(l));
        if label(word) || word.strip_suffix(b"s").is_some_and(label) {
            return true;
        }
        if !FILLERS.iter().any(|f| word.eq_ignore_ascii_case(f)) {
            return false;
        }
    }
    false
}

/// "… office", "…-Fax", "… (mobile)" right after the number.
fn phone_label_after(text: &[u8], end: usize) -> bool {
    let rest = &text[end..(end + 12).min(text.len())];
    let skip = rest
        .iter()
        .position(|c| !matches!(c, b' ' | b'-' | b'(' | b','))
        .unwrap_or(rest.len());
    let w = &rest[skip..];
    [&b"office"[..], b"mobile", b"fax", b"home", b"work", b"cell"]
        .iter()
        .any(|l| {
            w.get(..l.len()).is_some_and(|p| p.eq_ignore_ascii_case(l))
                && w.get(l.len()).is_none_or(|c| !c.is_ascii_alphanumeric())
        })
}

fn planned_phone(
    text: &[u8],
    s: &mut NumberScratch,
    a: usize,
    b: usize,
    plus: bool,
) -> Option<Finding> {
    use phonenumber::country::Id;
    let groups = &s.groups[a..b];
    let first = groups[0];
    let last = groups[groups.len() - 1];
    let digits = &s.compact[first.cstart..last.cend];
    let nd = digits.len();
    let mut start = first.start;
    let end = last.end;
    // Extension digits after a phone (`x123`) are left out of the span.
    let buf = &mut s.phone_buf;
    buf.clear();
    let region;
    if plus {
        if !(8..=15).contains(&nd) {
            return None;
        }
        buf.push('+');
        for g in groups {
            if !g.trunk_zero {
                buf.extend(text[g.start..g.end].iter().map(|&c| c as char));
            }
        }
        start -= 1;
        region = None;
    } else if digits.starts_with(b"00")
        && (10..=17).contains(&nd)
        // Written bare, a 16- or 17-digit run is a reference, not an international number,
        // and a 10- or 11-digit one is a zero-padded counter or queue ID (Postfix's
        // "with ESMTPS id 0082361159"): `00` + a country code + the 8 digits or more of
        // nearly every national number makes 12 digits at least.
        && (groups.len() > 1 || (12..=15).contains(&nd))
    {
        buf.push('+');
        buf.extend(digits[2..].iter().map(|&c| c as char));
        region = None;
    } else if digits[0] == b'0'
        && (9..=10).contains(&nd)
        // National layouts: "0X XX XX XX XX", "0470 12 34 56", "02 123 45 67", bare. A 4-digit
        // group after the first is a year or a time-zone offset ("04 2022 -0700"), not a phone.
        && (groups.len() == 1
            || (groups[0].end - groups[0].start <= 4
                && groups[1..].iter().all(|g| (2..=3).contains(&(g.end - g.start)))))
        && groups.iter().skip(1).all(|g| g.sep_before != b'(')
    {
        buf.extend(digits.iter().map(|&c| c as char));
        region = Some(Id::FR);
    } else if nanp_shape(text, groups, nd) {
        let d = if nd == 11 { &digits[1..] } else { digits };
        buf.push_str("+1");
        buf.extend(d.iter().map(|&c| c as char));
        if start > 0 && text[start - 1] == b'(' {
            start -= 1;
        }
        region = None;
    } else {
        return None;
    }
    // French and Belgian numbers, national or international, are decided by their numbering
    // plans without a parse (`phone_plan`): this is the hot path on French and Belgian data,
    // and it never loads libphonenumber's metadata.
    let fr_national: Option<&[u8]> = if region == Some(Id::FR) && nd == 10 {
        Some(&digits[1..])
    } else if region.is_none() && buf.starts_with("+33") {
        Some(&buf.as_bytes()[3..])
    } else {
        None
    };
    if fr_national.is_some_and(phone_plan::fr) {
        return Some(Finding::new(start, end, PiiType::Phone, 0.9));
    }
    let be_national: Option<&[u8]> = if region == Some(Id::FR) && (nd == 9 || nd == 10) {
        Some(&digits[1..])
    } else if region.is_none() && buf.starts_with("+32") {
        Some(&buf.as_bytes()[3..])
    } else {
        None
    };
    if be_national.is_some_and(phone_plan::be) {
        return Some(Finding::new(start, end, PiiType::Phone, 0.9));
    }
    if region.is_some() || buf.starts_with("+33") || buf.starts_with("+32") {
        return None;
    }
    // North American numbers: the NANP plan decides (confidence 0.8: the plan also admits
    // area codes not yet assigned).
    if buf.starts_with("+1") && buf.len() == 12 {
        return phone_plan::nanp(buf.as_bytes())
            .then(|| Finding::new(start, end, PiiType::Phone, 0.8));
    }
    if !phone_plan::international_possible(&buf.as_bytes()[1..]) {
        return None;
    }
    let ok = phonenumber::parse(None, buf.as_str())
        .map(|p| p.is_valid())
        .unwrap_or(false);
    ok.then(|| Finding::new(start, end, PiiType::Phone, 0.9))
}

/// North American numbers: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, 1-NXX-NXX-XXXX.
fn nanp_shape(text: &[u8], groups: &[Group], nd: usize) -> bool {
    let len = |g: &Group| g.end - g.start;
    let paren = groups[0].start > 0 && text[groups[0].start - 1] == b'(';
    match (nd, groups.len()) {
        (10, 3) => {
            len(&groups[0]) == 3
                && len(&groups[1]) == 3
                && (paren || groups[1].sep_before == groups[2].sep_before)
        }
        (11, 4) => {
            &text[groups[0].start..groups[0].end] == b"1"
                && len(&groups[1]) == 3
                && len(&groups[2]) == 3
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(t: &str) -> Vec<(PiiType, String)> {
        let mut s = NumberScratch::default();
        let mut out = Vec::new();
        scan(t.as_bytes(), &mut s, &mut out);
        out.into_iter()
            .map(|f| (f.kind, t[f.start..f.end].to_string()))
            .collect()
    }

    #[test]
    fn next_digit_finds_the_first_digit_anywhere() {
        for len in 0..40 {
            for at in 0..=len {
                let mut t = "é".repeat(len).into_bytes();
                t.truncate(len);
                if at < len {
                    t[at] = b'7';
                }
                let want = (at < len).then_some(at);
                for from in 0..=len {
                    let w = want.filter(|&a| a >= from);
                    assert_eq!(next_digit(&t, from), w, "len {len} at {at} from {from}");
                }
            }
        }
    }

    #[test]
    fn finds_identifiers_in_their_usual_layouts() {
        assert_eq!(
            kinds("NIR : 2 95 10 99 126 111 93."),
            vec![(PiiType::FrNir, "2 95 10 99 126 111 93".into())]
        );
        assert_eq!(
            kinds("RRN 85.07.30-033.28"),
            vec![(PiiType::BeNrn, "85.07.30-033.28".into())]
        );
        assert_eq!(
            kinds("SIRET 732 829 320 00074"),
            vec![(PiiType::FrSiret, "732 829 320 00074".into())]
        );
        assert_eq!(
            kinds("SIREN : 552 008 443"),
            vec![(PiiType::FrSiren, "552 008 443".into())]
        );
        assert_eq!(
            kinds("carte 4242 4242 4242 4242 exp"),
            vec![(PiiType::CreditCard, "4242 4242 4242 4242".into())]
        );
        assert_eq!(
            kinds("from 81.2.69.160 port"),
            vec![(PiiType::IpAddress, "81.2.69.160".into())]
        );
        assert_eq!(
            kinds("Tél. 01 42 68 53 00"),
            vec![(PiiType::Phone, "01 42 68 53 00".into())]
        );
        assert_eq!(
            kinds("tel +33 (0)1 42 68 53 00"),
            vec![(PiiType::Phone, "+33 (0)1 42 68 53 00".into())]
        );
        assert_eq!(
            kinds("gsm 0470/12.34.56"),
            vec![(PiiType::Phone, "0470/12.34.56".into())]
        );
    }

    #[test]
    fn numbers_of_unchecked_plans_are_phones_only_where_labelled() {
        for t in [
            "Phone: 99 479271",
            "Please call me at (021) 0706-939 today",
            "0380 7558505 office",
            "+41 47 421 23 09 fax",
            "Tél. : 0033 9 12 34",
        ] {
            let got = kinds(t);
            assert!(
                got.iter().any(|(k, _)| *k == PiiType::Phone),
                "{t:?}: {got:?}"
            );
        }
        for t in [
            "They're not answering at 476 1626",
            "[sms] req=313386583250 otp sent",
            "user@telenet.be HTTP/1.1\" 301 161004",
            "hotel 123 4567",
        ] {
            let got = kinds(t);
            assert!(
                !got.iter().any(|(k, _)| *k == PiiType::Phone),
                "{t:?}: {got:?}"
            );
        }
    }

    #[test]
    fn iban_groups_are_not_read_as_phones_or_cards() {
        assert_eq!(
            kinds("virement FR69 0041 2401 0431 0728 0666 840."),
            vec![(PiiType::Iban, "FR69 0041 2401 0431 0728 0666 840".into())]
        );
        // The same with a wrong check: nothing at all.
        assert!(kinds("ancien compte FR60 2022 5920 0007 9781 3350 178.").is_empty());
    }

    #[test]
    fn refuses_decoys() {
        // Luhn failure, version strings, UUID, hash, bare 9-digit number without context.
        assert!(kinds("ref 4242 4242 4242 4241").is_empty());
        assert!(kinds("nginx/1.24.0.1 and version 10.2.3.4").is_empty());
        assert!(kinds("id 550e8400-e29b-41d4-a716-446655440000").is_empty());
        assert!(
            kinds("sha 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b")
                .is_empty()
        );
        assert!(kinds("commande 552008443").is_empty());
        assert!(kinds("NIR 2 95 10 99 126 111 99").is_empty());
        assert!(kinds("deploy: build 2.10.54.157 pushed").is_empty());
        // Zero-padded counters and queue IDs are not international numbers ("00" + 82…).
        assert!(kinds("by mx4 (Postfix) with ESMTPS id 0082361159").is_empty());
        // libphonenumber would accept +49 8912345, but written bare it is a padded counter.
        assert!(kinds("seq=00498912345 ok").is_empty());
    }

    #[test]
    fn international_numbers_after_00_bare_or_grouped() {
        assert_eq!(
            kinds("appelez le 0033612345678"),
            vec![(PiiType::Phone, "0033612345678".into())]
        );
        assert_eq!(
            kinds("appelez le 0032 470 12 34 56"),
            vec![(PiiType::Phone, "0032 470 12 34 56".into())]
        );
    }

    #[test]
    fn a_bare_number_valid_as_amex_and_as_nir_is_a_nir_only_in_context() {
        // 346619382500122 passes both Luhn (Amex range 34) and the NIR key (status digit 3).
        assert_eq!(
            kinds("carte;346619382500122;04/28"),
            vec![(PiiType::CreditCard, "346619382500122".into())]
        );
        assert_eq!(
            kinds("N° de sécurité sociale : 346619382500122"),
            vec![(PiiType::FrNir, "346619382500122".into())]
        );
    }
}
