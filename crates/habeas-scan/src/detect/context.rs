//! Context-bound types: dates of birth, person names and postal addresses. None of them has a
//! checksum, so they are reported only where the text says what they are: a birth keyword
//! before a date, a salutation / field label / signature closing / mail display name before
//! a name, a street type with a house number and a postcode line for an address. One pass
//! over word starts finds every cue (`cues`); the small parsers then run on that line only.

use std::sync::LazyLock;

use regex::Regex;

use super::address;
use super::cues::{self, Cue};
use super::numbers::DateSpan;
use crate::finding::Finding;
use crate::kind::PiiType;

static TEXT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    let fr = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre";
    let en = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec";
    Regex::new(&format!(
        r"(?i)(?-u:\b)(?:\d{{1,2}}(?:er)?\s+(?:{fr}|{en})\.?\s+\d{{4}}|(?:{en})\.?\s+\d{{1,2}},?\s+\d{{4}})(?-u:\b)"
    ))
    .unwrap_or_else(|e| panic!("date regex: {e}"))
});

pub(super) fn line_bounds(text: &str, pos: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let s = memchr::memrchr(b'\n', &b[..pos]).map_or(0, |i| i + 1);
    let e = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
    (s, e)
}

/// Scan for context-bound types. `dates` are the numeric dates the digit tokenizer saw.
pub(crate) fn scan(text: &str, dates: &[DateSpan], out: &mut Vec<Finding>) {
    let mut street_line_done = usize::MAX;
    for (kw, cue, s, e) in cues::find(text) {
        let after = text[e..].chars().next();
        let kw_ends_word =
            kw.ends_with([':', '.', ',', ' ']) || after.is_none_or(|c| !c.is_alphanumeric());
        match cue {
            Cue::Birth => birth(text, e, dates, out),
            Cue::Title if kw_ends_word => title(text, e, out),
            // "Upstream-Name:", "file_name:" are not name fields.
            Cue::Label if kw_ends_word && !text[..s].ends_with(['-', '_', '.']) => {
                label(text, e, out, 1)
            }
            Cue::Intro if kw_ends_word => label(text, e, out, 2),
            Cue::Closing => closing(text, e, out),
            Cue::Header if kw_ends_word => header(text, s, e, out),
            Cue::Street => {
                let (ls, _) = line_bounds(text, s);
                if ls != street_line_done {
                    street_line_done = ls;
                    address::street(text, s, e, out);
                }
            }
            _ => {}
        }
    }
}

fn birth(text: &str, e: usize, dates: &[DateSpan], out: &mut Vec<Finding>) {
    let (_, le) = line_bounds(text, e);
    let win_end = (e + 60).min(le);
    // A numeric date seen by the tokenizer inside the window?
    let i = dates.partition_point(|d| d.start < e);
    if let Some(d) = dates.get(i).filter(|d| d.end <= win_end) {
        out.push(Finding::new(d.start, d.end, PiiType::DateOfBirth, 0.9));
        return;
    }
    let mut we = win_end;
    while !text.is_char_boundary(we) {
        we -= 1;
    }
    if let Some(m) = TEXT_DATE.find(&text[e..we]) {
        out.push(Finding::new(
            e + m.start(),
            e + m.end(),
            PiiType::DateOfBirth,
            0.85,
        ));
    }
}

const NOT_NAMES: &[&str] = &[
    "Le",
    "La",
    "Les",
    "Un",
    "Une",
    "Votre",
    "Vos",
    "Nous",
    "Je",
    "Vous",
    "Madame",
    "Monsieur",
    "Objet",
    "Merci",
    "The",
    "A",
    "An",
    "Your",
    "We",
    "I",
    "Dear",
    "Sir",
    "Madam",
    "Client",
    "Customer",
    "Service",
    "Support",
    "Direction",
    "Cher",
    "Chère",
    "Bonjour",
    "Hello",
    "Team",
    "Équipe",
    "Equipe",
    "Mr",
    "Mrs",
    "Ms",
    "Re",
    "Fwd",
];

const PARTICLES: &[&str] = &[
    "de", "du", "des", "van", "von", "der", "den", "le", "la", "di", "da", "d'", "l'", "ten",
    "ter", "het",
];

/// Parse a person name starting at `i` (leading blanks skipped): 1–4 capitalised words,
/// particles allowed between them. Returns (start, end).
pub(crate) fn name_at(text: &str, i: usize, min_words: usize) -> Option<(usize, usize)> {
    let rest = &text[i..];
    let lead = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let start = i + lead;
    let mut pos = start;
    let mut words = 0;
    let mut end = start;
    loop {
        let r = &text[pos..];
        // particle?
        if words > 0
            && let Some(p) = PARTICLES
                .iter()
                .find(|p| r.starts_with(**p) && r[p.len()..].starts_with([' ', '\'']))
        {
            let after = pos + p.len();
            let skip = if text[after..].starts_with(' ') { 1 } else { 0 };
            if text[after + skip..]
                .chars()
                .next()
                .is_some_and(char::is_uppercase)
            {
                pos = after + skip;
                continue;
            }
        }
        let mut chars = r.char_indices();
        let Some((_, c0)) = chars.next() else { break };
        if !c0.is_uppercase() {
            break;
        }
        let mut wend = r.len();
        for (k, c) in chars {
            if !(c.is_alphabetic() || c == '-' || c == '\'' || c == '’') {
                wend = k;
                break;
            }
        }
        let word = &r[..wend];
        if word.chars().count() < 2
            || (words == 0 && NOT_NAMES.contains(&word))
            || word.ends_with('-')
        {
            break;
        }
        words += 1;
        end = pos + wend;
        pos = end;
        if words == 4 || !text[pos..].starts_with(' ') {
            break;
        }
        pos += 1;
    }
    (words >= min_words).then_some((start, end))
}

fn title(text: &str, e: usize, out: &mut Vec<Finding>) {
    if let Some((s, end)) = name_at(text, e, 1) {
        // "Madame, Monsieur," or a title before a common noun: nothing.
        if s > e && s - e <= 2 {
            out.push(Finding::new(s, end, PiiType::Person, 0.8));
        }
    }
}

fn label(text: &str, e: usize, out: &mut Vec<Finding>, min_words: usize) {
    let r = &text[e..];
    let skip = r.len() - r.trim_start_matches([' ', ':', '\t']).len();
    if let Some((s, end)) = name_at(text, e + skip, min_words) {
        out.push(Finding::new(s, end, PiiType::Person, 0.8));
    }
}

fn closing(text: &str, e: usize, out: &mut Vec<Finding>) {
    let (_, le) = line_bounds(text, e);
    // The closing ends its line (possibly with punctuation).
    if !text[e..le]
        .trim_matches([',', '.', ' ', '!', '\r'])
        .is_empty()
    {
        return;
    }
    let mut p = le;
    for _ in 0..2 {
        if p >= text.len() {
            return;
        }
        let (ns, ne) = line_bounds(text, p + 1);
        let line = text[ns..ne].trim_end_matches('\r');
        if line.trim_matches(['>', ' ', '\t']).is_empty() {
            p = ne;
            continue;
        }
        // Quoted replies keep their "> " prefix on the signature too.
        let quote = line.len() - line.trim_start_matches(['>', ' ']).len();
        if let Some((s, end)) = name_at(text, ns + quote, 2)
            && text[end..ns + line.len()].trim().is_empty()
        {
            out.push(Finding::new(s, end, PiiType::Person, 0.75));
        }
        return;
    }
}

/// `From: "Jean Dupont" <jean@…>, Marie Curie <marie@…>`: display names at line start only.
fn header(text: &str, s: usize, e: usize, out: &mut Vec<Finding>) {
    let (ls, le) = line_bounds(text, s);
    if ls != s {
        return;
    }
    let line = &text[e..le];
    for part in split_addresses(line) {
        let (ps, pe) = part;
        let seg = &line[ps..pe];
        let Some(lt) = seg.find('<') else { continue };
        let name = seg[..lt].trim();
        let name = name.trim_matches('"').trim();
        if name.is_empty() || name.contains('@') {
            continue;
        }
        let off = e + ps + seg.find(name).unwrap_or(0);
        if let Some((ns, nend)) = name_at(text, off, 1)
            && nend <= off + name.len()
        {
            out.push(Finding::new(ns, nend, PiiType::Person, 0.85));
        }
    }
}

/// Split a header value at commas outside quotes.
fn split_addresses(v: &str) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in v.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push((start, v.len()));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::numbers::{self, NumberScratch};

    fn found(t: &str) -> Vec<(PiiType, &str)> {
        let mut s = NumberScratch::default();
        let mut ids = Vec::new();
        numbers::scan(t.as_bytes(), &mut s, &mut ids);
        let mut out = Vec::new();
        scan(t, &s.dates, &mut out);
        out.iter().map(|f| (f.kind, &t[f.start..f.end])).collect()
    }

    #[test]
    fn date_of_birth_needs_a_birth_context() {
        assert_eq!(
            found("Né le 12/05/1980 à Lyon"),
            vec![(PiiType::DateOfBirth, "12/05/1980")]
        );
        assert_eq!(
            found("Date of birth: March 5, 1985"),
            vec![(PiiType::DateOfBirth, "March 5, 1985")]
        );
        assert!(found("Facture du 12/05/2024").is_empty());
    }

    #[test]
    fn names_after_salutations_labels_closings_and_headers() {
        assert_eq!(
            found("Madame Claire Dubois,"),
            vec![(PiiType::Person, "Claire Dubois")]
        );
        assert_eq!(
            found("Nom : Jean-Pierre de La Fontaine\n"),
            vec![(PiiType::Person, "Jean-Pierre de La Fontaine")]
        );
        assert_eq!(
            found("Cordialement,\nLucie Martin\n"),
            vec![(PiiType::Person, "Lucie Martin")]
        );
        assert_eq!(
            found("From: \"Marc Peeters\" <marc@example.be>\n"),
            vec![(PiiType::Person, "Marc Peeters")]
        );
        assert!(found("Madame, Monsieur,\n").is_empty());
    }
}
