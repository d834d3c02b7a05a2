//! Postal addresses (FR, BE, and US-style town lines), found from a street-type cue ("rue",
//! "avenue", "straat", "road"…) seen by the context pass: the street segment around the cue
//! must hold a house number (before the type in FR/EN, after it in BE/NL) or be followed by a
//! postcode and a town, on the same line after a comma or on the next line.
//!
//! The segment and town-line rules are read by hand rather than by Unicode regexes: those
//! ran on every street cue of a CSV export, and on short non-ASCII haystacks the regex crate
//! falls back from its DFA to a backtracker whose per-search set-up cost a third of the scan.

use super::context::line_bounds;
use crate::finding::Finding;
use crate::kind::PiiType;

/// `s..e` is the street-type cue found in `text`.
pub(crate) fn street(text: &str, s: usize, e: usize, out: &mut Vec<Finding>) {
    let (ls, le) = line_bounds(text, s);
    // Street segment: the comma-free stretch of the line around the street type, plus a
    // house number written before a comma ("12, rue …").
    const DELIMS: [char; 8] = [',', ';', '|', '\t', ':', '"', '\'', '('];
    let mut seg_s = text[ls..s].rfind(DELIMS).map_or(ls, |i| ls + i + 1);
    if seg_s > ls && text.as_bytes()[seg_s - 1] == b',' {
        let ns = text[ls..seg_s - 1].rfind(DELIMS).map_or(ls, |i| ls + i + 1);
        let num = text[ns..seg_s - 1].trim();
        if !num.is_empty()
            && num.len() <= 9
            && num.starts_with(|c: char| c.is_ascii_digit())
            && num.split_whitespace().count() <= 2
        {
            seg_s = ns;
        }
    }
    let seg_e = text[e..le].find(DELIMS).map_or(le, |i| e + i);
    let seg = &text[seg_s..seg_e];
    let trimmed_s = seg_s + (seg.len() - seg.trim_start().len());
    let seg = seg.trim();
    if seg.is_empty() || seg.len() > 80 {
        return;
    }
    // Cheap gate: an address has a digit in its street segment or a postcode right after it
    // (same line after a comma, or the next line). Prose hits of "place", "route", "court"
    // stop here.
    let seg_has_digit = seg.bytes().any(|b| b.is_ascii_digit());
    if !seg_has_digit {
        let after = &text.as_bytes()[seg_e.min(text.len())..];
        let next = after
            .iter()
            .position(|b| !matches!(b, b',' | b' ' | b'\t' | b'\r' | b'\n'))
            .map(|k| after[k]);
        if !next.is_some_and(|b| b.is_ascii_digit() || b == b'B' || b == b'F') {
            return;
        }
    }
    // A house number in the segment, or else a postcode line right after; a street type
    // alone in prose is not an address.
    let numbered = seg_has_digit && has_house_number(seg);
    // Without a number the street type must open the segment ("chemin Tessier").
    if !numbered && !text[trimmed_s..s].trim().is_empty() {
        return;
    }
    let start = trimmed_s;
    let mut end = trimmed_s + seg.len();
    // Postcode + town: after a comma on the same line, or on the next line.
    let rest_same = &text[end..le];
    let rest_same_t = rest_same.trim_start_matches([',', ' ']);
    let mut postcode = false;
    if let Some(len) = town_line(rest_same_t) {
        end = end + (rest_same.len() - rest_same_t.len()) + len;
        postcode = true;
    } else if le < text.len() {
        let (ns, ne) = line_bounds(text, le + 1);
        if let Some(len) = town_line(&text[ns..ne]) {
            end = ns + len;
            postcode = true;
        }
    }
    let end = text[start..end].trim_end().len() + start;
    if postcode {
        out.push(Finding::new(
            start,
            end,
            PiiType::PostalAddress,
            if numbered { 0.85 } else { 0.75 },
        ));
    } else if numbered && seg.len() >= 8 {
        out.push(Finding::new(start, end, PiiType::PostalAddress, 0.6));
    }
}

/// Endings of compound street names in German, Dutch, Nordic, Finnish and Central European
/// languages ("Pfarrgasse", "Kerkstraat", "Norrbyvägen", "Rautatienkatu"), ASCII-folded where
/// the language writes them so. Only words of at least `stem + ending` letters count.
pub(crate) const STREET_SUFFIXES: &[&str] = &[
    "gasse", "straße", "strasse", "weg", "allee", "platz", "vej", "gade", "vägen", "gatan", "väg",
    "gata", "veien", "vegen", "katu", "tie", "kuja", "laan", "straat", "gracht", "plein", "dreef",
    "steeg", "singel", "kade", "utca", "ulica", "iela",
];

/// True when `word` (capitalised) is a compound street name by its ending.
pub(crate) fn street_suffix(word: &str) -> bool {
    STREET_SUFFIXES
        .iter()
        .any(|s| word.len() >= s.len() + 4 && word.ends_with(s))
}

/// US military and diplomatic addresses (USPS Publication 28): "PSC 5313, Box 4026 APO AA
/// 98008", "Unit 2437 Box 6545 DPO AE 24379", "CMR 410 Box 12 APO AE 09096". Returns the end.
pub(crate) fn military(text: &str, i: usize) -> Option<usize> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^(?:PSC|CMR|Unit) \d{1,4},? Box \d{1,5},? (?:APO|FPO|DPO) A[AEP] \d{5}\b",
        )
        .unwrap_or_else(|e| panic!("military address regex: {e}"))
    });
    let mut e = (i + 64).min(text.len());
    while !text.is_char_boundary(e) {
        e -= 1;
    }
    RE.find(&text[i..e]).map(|m| i + m.end())
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A house number in a street segment: a number of up to 5 digits opening a word and followed
/// by blank space (`12 rue…`, `12bis, rue…`, `4 B avenue…`), or a number of up to 4 digits
/// after a word, ending the word (`Rue de la Loi 16`, `Kerkstraat 12 bus 3`).
fn has_house_number(seg: &str) -> bool {
    let b = seg.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if s > 0 && is_word(b[s - 1]) {
            continue;
        }
        let len = i - s;
        // Number first: [suffix] [,] then a blank ("12 rue", "12bis, rue", "4 B rue").
        if len <= 5
            && (blank_after(seg, i) || suffix_end(b, i).is_some_and(|j| blank_after(seg, j)))
        {
            return true;
        }
        // Word first: a letter, blanks, the number, then the end of the word (or a box).
        if len <= 4 && word_then_blank_before(seg, s) && number_ends(b, i) {
            return true;
        }
    }
    false
}

/// After a house number: an optional comma, then blank space.
fn blank_after(seg: &str, i: usize) -> bool {
    let j = i + usize::from(seg.as_bytes().get(i) == Some(&b','));
    seg[j..].starts_with(char::is_whitespace)
}

/// The end of a `bis`, `ter` or `A`–`D` suffix after the house number ending at `i`.
fn suffix_end(b: &[u8], i: usize) -> Option<usize> {
    let k = i + usize::from(b.get(i) == Some(&b' '));
    if b[k..].starts_with(b"bis") || b[k..].starts_with(b"ter") {
        Some(k + 3)
    } else if b.get(k).is_some_and(|c| (b'A'..=b'D').contains(c)) {
        Some(k + 1)
    } else {
        None
    }
}

/// `seg[..s]` ends with a word character (letter, apostrophe, dot, hyphen) and blank space.
fn word_then_blank_before(seg: &str, s: usize) -> bool {
    let before = &seg[..s];
    let trimmed = before.trim_end();
    trimmed.len() < before.len()
        && trimmed
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '.' | '-'))
}

/// The house number ending at `i` ends its word, or goes on with a box number ("16 bte 3",
/// "16b2", "16 boîte 4").
fn number_ends(b: &[u8], i: usize) -> bool {
    if b.get(i).is_none_or(|&c| !is_word(c)) {
        return true;
    }
    let mut j = i + usize::from(b.get(i) == Some(&b' '));
    let rest = &b[j..];
    let word = [&b"bte"[..], b"bus", "boîte".as_bytes(), b"b"]
        .into_iter()
        .find(|w| rest.starts_with(w));
    let Some(word) = word else {
        return false;
    };
    j += word.len();
    j += usize::from(b.get(j) == Some(&b' '));
    let ds = j;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    (1..=3).contains(&(j - ds)) && b.get(j).is_none_or(|&c| !is_word(c))
}

/// A town line at the start of `line` (after blanks): postcode and town (`75002 Paris`,
/// `1000 Bruxelles`, `B-1000 Bruxelles`, `F-75002 Paris`) or a US town, state and ZIP
/// (`Springfield, IL 62704`). Returns the length of the town line in bytes.
fn town_line(line: &str) -> Option<usize> {
    let lead = line.len() - line.trim_start_matches([' ', '\t']).len();
    let rest = &line[lead..];
    postcode_town(rest)
        .or_else(|| us_town(rest))
        .map(|n| lead + n)
}

fn digits_at(b: &[u8], i: usize, n: usize) -> bool {
    b.get(i..i + n)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

fn postcode_town(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let nz = |i: usize| b.get(i).is_some_and(|c| (b'1'..=b'9').contains(c));
    // FR 5 digits, BE 4 digits (no leading 0), with the B-/F- country prefixes.
    let code = if digits_at(b, 0, 5) {
        5
    } else if nz(0) && digits_at(b, 1, 3) {
        4
    } else if b.starts_with(b"B-") && nz(2) && digits_at(b, 3, 3) {
        6
    } else if b.starts_with(b"F-") && digits_at(b, 2, 5) {
        7
    } else {
        return None;
    };
    let after = &s[code..];
    let town = after.trim_start_matches(char::is_whitespace);
    if town.len() == after.len() {
        return None;
    }
    let mut chars = town.char_indices();
    let (_, first) = chars.next()?;
    if !first.is_uppercase() {
        return None;
    }
    let mut end = first.len_utf8();
    let mut n = 0;
    for (k, c) in chars {
        if n == 40 || !(c.is_alphabetic() || matches!(c, '\'' | '’' | ' ' | '-')) {
            break;
        }
        n += 1;
        end = k + c.len_utf8();
    }
    (n >= 1).then(|| s.len() - town.len() + end)
}

fn us_town(s: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    let (_, first) = chars.next()?;
    if !first.is_uppercase() {
        return None;
    }
    let mut n = 0;
    let mut comma = None;
    for (k, c) in chars {
        if c == ',' {
            comma = Some(k);
            break;
        }
        if n == 30 || !(c.is_alphabetic() || matches!(c, ' ' | '.' | '\'' | '-')) {
            return None;
        }
        n += 1;
    }
    let comma = comma.filter(|_| n >= 1)?;
    let after = &s[comma + 1..];
    let state = after.trim_start_matches(char::is_whitespace);
    let sb = state.as_bytes();
    if state.len() == after.len() || !sb.get(..2)?.iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let zip = state[2..].trim_start_matches(char::is_whitespace);
    let zb = zip.as_bytes();
    if zip.len() == state.len() - 2 || !digits_at(zb, 0, 5) {
        return None;
    }
    let mut len = 5;
    if zb.get(5) == Some(&b'-') && digits_at(zb, 6, 4) {
        len = 10;
    }
    Some(s.len() - zip.len() + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(t: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for kw in ["rue", "Rue", "avenue", "straat", "Street", "chemin"] {
            let mut from = 0;
            while let Some(k) = t[from..].find(kw) {
                street(t, from + k, from + k + kw.len(), &mut out);
                from += k + kw.len();
            }
        }
        out.iter().map(|f| &t[f.start..f.end]).collect()
    }

    #[test]
    fn postal_addresses() {
        assert_eq!(
            found("12 rue de la Paix\n75002 Paris\n"),
            vec!["12 rue de la Paix\n75002 Paris"]
        );
        assert_eq!(
            found("Rue de la Loi 16, 1000 Bruxelles"),
            vec!["Rue de la Loi 16, 1000 Bruxelles"]
        );
        assert_eq!(
            found("42bis, avenue Foch, F-75016 Paris\n"),
            vec!["42bis, avenue Foch, F-75016 Paris"]
        );
        assert_eq!(
            found("Kerkstraat 12 bus 3\nB-2000 Antwerpen"),
            vec!["Kerkstraat 12 bus 3\nB-2000 Antwerpen"]
        );
        assert_eq!(
            found("742 Evergreen Street\nSpringfield, OR 97403-1234\n"),
            vec!["742 Evergreen Street\nSpringfield, OR 97403-1234"]
        );
        assert_eq!(
            found("chemin Tessier\n33000 Bordeaux"),
            vec!["chemin Tessier\n33000 Bordeaux"]
        );
    }

    #[test]
    fn street_words_in_prose_are_not_addresses() {
        assert!(found("Il habite rue de la Paix depuis longtemps.").is_empty());
        assert!(found("une rue, une avenue et un chemin").is_empty());
    }

    #[test]
    fn house_numbers() {
        assert!(has_house_number("12 rue de la Paix"));
        assert!(has_house_number("12bis rue de la Paix"));
        assert!(has_house_number("4 B, rue Haute"));
        assert!(has_house_number("Rue de la Loi 16"));
        assert!(has_house_number("Kerkstraat 12b3"));
        assert!(has_house_number("Rue Neuve 3 boîte 12"));
        assert!(has_house_number("87574 Catherine Terrace"));
        assert!(has_house_number("12 Bd Carnot"));
        assert!(!has_house_number("rue de la Paix"));
        assert!(!has_house_number("Rue A4B"));
        assert!(!has_house_number("Rue de la Loi 123456"));
    }

    #[test]
    fn town_lines() {
        assert_eq!(town_line("75002 Paris"), Some(11));
        assert_eq!(town_line("  1000 Bruxelles\r"), Some(16));
        assert_eq!(town_line("Springfield, IL 62704"), Some(21));
        assert_eq!(town_line("0100 Nowhere"), None);
        assert_eq!(town_line("75002 paris"), None);
        assert_eq!(town_line("Paris"), None);
    }
}
