//! Person names without a cue word ("Will my account stay active? It's under Brodie Walker"),
//! from a compact gazetteer of common given names and surnames plus surname morphology.
//!
//! The context pass (`context.rs`) finds names only after a salutation, a field label, a
//! closing or in a mail header; free text, chat logs and support tickets name people without
//! any of those. Here a capitalised word is looked up in three lists written for this crate
//! (`data/given_names.txt`, `data/surnames.txt`, `data/ambiguous.txt`; see their headers for
//! provenance): about 2 900 given names and 2 000 surnames of the people a European hosting
//! operator serves, and ~580 name parts that are also everyday words, months or places.
//! Surnames also match by their published morphology (Nordic `-sson`/`-sen`/`-dóttir`,
//! Slavic `-ski`/`-ová`/`-ović`/`-ov`/`-enko`, Georgian `-shvili`/`-dze`, Greek `-poulos`,
//! Romanian `-escu`, Armenian `-yan`, Flemish `-ckx`).
//!
//! Precision rules, all about real text rather than any corpus:
//! * an ambiguous part ("May", "Rose", "Will", "Florence") is a name only beside another name
//!   part; a word at a sentence start is therefore never enough on its own unless it is an
//!   unambiguous given name or surname;
//! * not after a street type, `Saint`, a house number or postcode (street and town names
//!   borrow people's names: "rue Victor Hugo", "75012 Dupont");
//! * not before a company form (`SA`, `SARL`, `GmbH`, `Ltd`…) or a street type ("Meadow
//!   Drive");
//! * not glued to `@`, `/`, `_`, `.`+letter or digits (e-mail local parts, paths, identifiers);
//! * not in tables whose header the column pass understood, nor in SQL dumps: there the
//!   column names say which cells are people (`columns.rs`, `sql.rs`), and the other columns
//!   hold towns and company names built from surnames.
//!
//! Speed: candidates are capitalised word starts found 16 bytes at a time (like the cue
//! pass); only those reach the hash lookup, and only a hit parses its neighbours.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use super::{address, columns};
use crate::finding::Finding;
use crate::kind::PiiType;

const GIVEN: u8 = 1;
const SURNAME: u8 = 2;
const AMBIGUOUS: u8 = 4;

/// FNV-1a: the keys are short words, where SipHash's set-up dominates.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Gazetteer = HashMap<&'static str, u8, BuildHasherDefault<Fnv>>;

const IS_STOP: u8 = 1;
const IS_COMPANY: u8 = 2;
const IS_PLACE_BEFORE: u8 = 4;

/// The stop, company and place word lists as one hash lookup: they are asked several times
/// per gazetteer hit, and a linear scan of ~300 words showed as a fifth of this pass.
static WORD_CLASS: LazyLock<Gazetteer> = LazyLock::new(|| {
    let mut m = Gazetteer::default();
    for (list, flag) in [
        (STOP, IS_STOP),
        (COMPANY, IS_COMPANY),
        (PLACE_BEFORE, IS_PLACE_BEFORE),
    ] {
        for w in list {
            *m.entry(*w).or_insert(0) |= flag;
        }
    }
    m
});

fn class(w: &str, flag: u8) -> bool {
    WORD_CLASS.get(w).is_some_and(|f| f & flag != 0)
}

static GAZETTEER: LazyLock<Gazetteer> = LazyLock::new(|| {
    let mut m = Gazetteer::default();
    for (list, flag) in [
        (include_str!("../../data/given_names.txt"), GIVEN),
        (include_str!("../../data/surnames.txt"), SURNAME),
        (include_str!("../../data/ambiguous.txt"), AMBIGUOUS),
    ] {
        for line in list.lines().filter(|l| !l.starts_with('#')) {
            // Lower-case particles of multi-word surnames ("Van den Broeck") are not entries.
            for w in line.split_whitespace().filter(|w| capitalised(w)) {
                *m.entry(w).or_insert(0) |= flag;
            }
        }
    }
    m
});

/// Surname endings (published naming conventions), with the minimum word length in chars.
const SUFFIXES: &[(&str, usize)] = &[
    ("sson", 6),
    ("sen", 6),
    ("dóttir", 7),
    ("dottir", 7),
    ("ová", 5),
    ("ski", 6),
    ("ska", 6),
    ("wicz", 6),
    ("czyk", 6),
    ("ović", 5),
    ("ević", 5),
    ("ić", 5),
    ("shvili", 7),
    ("dze", 6),
    ("poulos", 7),
    ("escu", 6),
    ("enko", 6),
    ("chuk", 6),
    ("yan", 7),
    ("ov", 6),
    ("ova", 6),
    ("ev", 6),
    ("eva", 6),
    ("ckx", 6),
];

/// Words that end a name to their left or right and are never part of one.
const STOP: &[&str] = &[
    "The", "This", "That", "These", "Those", "Please", "Could", "Would", "Should", "Will", "Can",
    "My", "His", "Her", "Our", "Your", "Their", "Its", "It", "Is", "Are", "Was", "Were", "What",
    "Who", "How", "When", "Where", "Why", "If", "In", "On", "At", "For", "From", "To", "By",
    "With", "And", "But", "Or", "Not", "No", "Yes", "Hi", "Hello", "Thanks", "Thank", "Dear", "Mr",
    "Mrs", "Ms", "Dr", "Le", "La", "Les", "Un", "Une", "Je", "Vous", "Nous", "Il", "Elle",
    "Bonjour", "Merci", "Cher", "Chère", "Madame", "Monsieur", "Street", "Road", "Avenue",
];

/// Company forms: a "name" right before one of these is a firm ("Martin SARL").
const COMPANY: &[&str] = &[
    "SA",
    "S.A.",
    "SARL",
    "S.A.R.L.",
    "SAS",
    "S.A.S.",
    "SASU",
    "EURL",
    "SCI",
    "SPRL",
    "SRL",
    "SC",
    "BV",
    "B.V.",
    "NV",
    "N.V.",
    "GmbH",
    "AG",
    "KG",
    "Inc",
    "Inc.",
    "Ltd",
    "Ltd.",
    "LLC",
    "LLP",
    "PLC",
    "plc",
    "Corp",
    "Corp.",
    "Co.",
    "Cie",
    "Group",
    "Groupe",
    "Holding",
    "Holdings",
    "Bank",
    "Banque",
    "Partners",
    "Associates",
    "Associés",
    "Consulting",
    "Services",
    "University",
    "Université",
    "College",
    "School",
    "Hospital",
    "Hôpital",
    "Foundation",
    "Fondation",
    "Institute",
    "Institut",
    "Hotel",
    "Hôtel",
    "Street",
    "St",
    "St.",
    "Road",
    "Rd",
    "Avenue",
    "Ave",
    "Drive",
    "Lane",
    "Boulevard",
    "Blvd",
    "Way",
    "Court",
    "Place",
    "Square",
    "Terrace",
    "Parkway",
    "Circle",
    "Trail",
    "Row",
    "Highway",
    "Park",
    "Bridge",
    "Station",
    "Airport",
    "Straat",
    "Laan",
    "Weg",
    "Strasse",
    "Straße",
    "Gasse",
    "Platz",
    "Via",
    "Rua",
    "Calle",
    "FPO",
    "APO",
    "DPO",
    "Fund",
    "Trust",
    "Limited",
    "Incorporated",
    "Corporation",
    "Company",
    "Industries",
    "Pharma",
    "Capital",
    "Alley",
    "Bypass",
    "Causeway",
    "Crescent",
    "Crossing",
    "Divide",
    "Estates",
    "Estate",
    "Expressway",
    "Freeway",
    "Gardens",
    "Heights",
    "Junction",
    "Loop",
    "Mews",
    "Pass",
    "Pike",
    "Plaza",
    "Ridge",
    "Run",
    "Summit",
    "Turnpike",
    "Union",
    "Unions",
    "Valley",
    "Vista",
    "Walk",
];

/// Words after which a capitalised word names a place, not a person.
const PLACE_BEFORE: &[&str] = &[
    "North",
    "South",
    "East",
    "West",
    "New",
    "Nord",
    "Sud",
    "Est",
    "Ouest",
    "Sint",
    "à",
    "société",
    "Société",
    "entreprise",
    "company",
    "Company",
    "firm",
    "cabinet",
    "Cabinet",
    "agence",
    "Agence",
    "groupe",
    "Groupe",
    "magasin",
    "boutique",
    "restaurant",
    "Restaurant",
    "hotel",
    "hôtel",
    "Hôtel",
    "rue",
    "Rue",
    "avenue",
    "Avenue",
    "boulevard",
    "Boulevard",
    "bd",
    "place",
    "Place",
    "chemin",
    "Chemin",
    "allée",
    "Allée",
    "impasse",
    "Impasse",
    "route",
    "Route",
    "quai",
    "Quai",
    "cours",
    "Cours",
    "square",
    "Square",
    "chaussée",
    "Chaussée",
    "faubourg",
    "Faubourg",
    "passage",
    "Passage",
    "Saint",
    "Sainte",
    "St",
    "St.",
    "Ste",
    "San",
    "Santa",
    "São",
    "Sankt",
    "Mount",
    "Mont",
    "Lake",
    "Lac",
    "Fort",
    "Port",
    "Cape",
    "Cap",
    "Via",
    "Rua",
    "Calle",
    "Avenida",
    "Straat",
    "via",
    "rua",
    "calle",
    "lycée",
    "Lycée",
    "collège",
    "Collège",
    "école",
    "École",
    "Hôpital",
    "hôpital",
    "Université",
    "université",
    "stade",
    "Stade",
    "gare",
    "Gare",
    "pont",
    "Pont",
    "parc",
    "Parc",
];

/// "Dupont et Fils", "Smith & Sons": a firm.
const FIRM_TAILS: &[&str] = &[
    "et Fils", "et fils", "et Cie", "& Fils", "& Cie", "and Sons", "& Sons", "& Co",
];

/// Day and month names and abbreviations (English): with only ambiguous parts, a date.
const DATE_WORDS: &[&str] = &[
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "April", "June", "July", "August",
];

/// After the name, the rest of a place line: a French letter's "Lyon, le 3 mai" or a US
/// town line "Springfield, IL 62704".
fn place_line_after(rest: &str) -> bool {
    if let Some(r) = rest.strip_prefix(", le ") {
        return r.starts_with(|c: char| c.is_ascii_digit());
    }
    if let Some(r) = rest.strip_prefix(", ") {
        let b = r.as_bytes();
        return b.len() >= 4
            && b[0].is_ascii_uppercase()
            && b[1].is_ascii_uppercase()
            && b[2] == b' '
            && b[3].is_ascii_digit();
    }
    false
}

const PARTICLES: &[&str] = &[
    "de", "du", "des", "van", "von", "der", "den", "le", "la", "di", "da", "del", "della", "dos",
    "das", "ten", "ter", "het", "af", "zu", "bin", "ibn", "al", "el", "y",
];

const GENERATIONS: &[&str] = &["Jr", "Jr.", "Sr", "Sr.", "II", "III", "IV"];

/// The name-part token at `i`: letters, with inner hyphens and apostrophes only before a
/// capital ("Jean-Pierre", "O'Brien"; "Cecilie's" stops at the apostrophe). Returns its end.
fn token_end(text: &str, i: usize) -> usize {
    let b = text.as_bytes();
    // ASCII letters first: most words end before any other byte.
    let mut end = i;
    while end < b.len() && b[end].is_ascii_alphabetic() {
        end += 1;
    }
    if end < b.len() && (b[end] >= 0x80 || matches!(b[end], b'-' | b'\'')) {
        end = token_end_unicode(text, end);
    }
    end
}

fn token_end_unicode(text: &str, from: usize) -> usize {
    let mut end = from;
    let mut it = text[from..].char_indices().peekable();
    while let Some((k, c)) = it.next() {
        if c.is_alphabetic() {
            end = from + k + c.len_utf8();
        } else if matches!(c, '-' | '\'' | '’') && end == from + k {
            if it.peek().is_some_and(|&(_, n)| n.is_uppercase()) {
                continue;
            }
            break;
        } else {
            break;
        }
    }
    end
}

fn capitalised(tok: &str) -> bool {
    let mut cs = tok.chars();
    cs.next().is_some_and(char::is_uppercase) && cs.next().is_some()
}

fn has_lower(tok: &str) -> bool {
    tok.chars().any(char::is_lowercase)
}

/// A 64-Kbit filter over (first two bytes, last byte, length) of every gazetteer word: most
/// capitalised words of logs and headers ("Received", "Mozilla") fail it without hashing.
static BLOOM: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let mut t = vec![0u64; 1024];
    for w in GAZETTEER.keys() {
        let k = bloom_key(w.as_bytes());
        t[k >> 6] |= 1 << (k & 63);
    }
    t
});

fn bloom_key(w: &[u8]) -> usize {
    let n = w.len();
    let k = (usize::from(w[0]) * 131 + usize::from(w[1])) * 131 + usize::from(w[n - 1]);
    (k * 31 + n) & 0xFFFF
}

/// Last two bytes of the surname and street endings.
static SUFFIX_PAIRS: LazyLock<Vec<bool>> = LazyLock::new(|| {
    let mut t = vec![false; 1 << 16];
    for s in SUFFIXES
        .iter()
        .map(|(s, _)| *s)
        .chain(address::STREET_SUFFIXES.iter().copied())
    {
        let b = s.as_bytes();
        t[pair(b)] = true;
    }
    t
});

fn pair(b: &[u8]) -> usize {
    usize::from(b[b.len() - 2]) << 8 | usize::from(b[b.len() - 1])
}

/// True when `tok` may end with a surname or street ending (a table look-up).
fn suffix_possible(tok: &str) -> bool {
    tok.len() >= 2 && SUFFIX_PAIRS[pair(tok.as_bytes())]
}

/// Gazetteer flags of a capitalised token (0: unknown).
fn flags(tok: &str) -> u8 {
    let k = bloom_key(tok.as_bytes());
    if BLOOM[k >> 6] & (1 << (k & 63)) != 0
        && let Some(&f) = GAZETTEER.get(tok)
    {
        return f;
    }
    if let Some((first, _)) = tok.split_once('-') {
        // "Jean-Pierre", "Anne-Sophie": a hyphenated given name whose first part is known.
        return GAZETTEER.get(first).map_or(0, |f| f & (GIVEN | AMBIGUOUS));
    }
    if !suffix_possible(tok) {
        return 0;
    }
    let n = tok.chars().count();
    if SUFFIXES
        .iter()
        .any(|&(s, min)| n >= min && tok.ends_with(s))
    {
        return SURNAME;
    }
    0
}

/// The word before `pos` (skipping one run of spaces): (start, word).
fn word_before(text: &str, pos: usize) -> Option<(usize, &str)> {
    let before = text[..pos].trim_end_matches(' ');
    if before.is_empty() {
        return None;
    }
    let s = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '.' || c == '-' || c == '\''))
        .map_or(0, |(k, c)| k + c.len_utf8());
    (s < before.len()).then(|| (s, &before[s..]))
}

/// True when `pos` opens a sentence or a line: a capitalised word there says nothing.
fn sentence_start(text: &str, pos: usize) -> bool {
    let before = text[..pos].trim_end_matches([' ', '\t']);
    before.is_empty() || before.ends_with(['.', '!', '?', '\n', '\r']) || before.ends_with("\\n")
}

/// Bit k set when `b[base + k]` may start a capitalised word: an ASCII capital or the lead
/// byte of a Latin-1/Latin Extended-A letter (checked by the caller), after a byte that is
/// not a letter, digit or UTF-8 byte, or after the `n`/`t` of an escaped `\\n`/`\\t`. 64
/// bytes at a time, eight in each `u64` (`swar`).
fn capital_starts(b: &[u8], base: usize) -> u64 {
    use super::swar;
    let mut words = [0u64; 8];
    let mut starts = 0u64;
    for (j, slot) in words.iter_mut().enumerate() {
        let w = swar::load(b, base + 8 * j);
        *slot = w;
        starts |=
            swar::compress(swar::range(w, b'A', b'Z') | swar::range_high(w, 0xC3, 0xC5)) << (8 * j);
    }
    // Most blocks of lower-case text, digits and punctuation stop here.
    if starts == 0 {
        return 0;
    }
    let (mut word, mut backslash) = (0u64, 0u64);
    for (j, &w) in words.iter().enumerate() {
        let c = swar::alpha(w) | swar::range(w, b'0', b'9') | swar::high(w);
        word |= swar::compress(c) << (8 * j);
        backslash |= swar::compress(swar::eq(w, b'\\')) << (8 * j);
    }
    let p1 = base.checked_sub(1).map(|p| b[p]);
    let p2 = base.checked_sub(2).map(|p| b[p]);
    let mut escaped = 0u64;
    if backslash != 0 || p1 == Some(b'\\') {
        let mut nt = 0u64;
        for (j, &w) in words.iter().enumerate() {
            nt |= swar::compress(swar::eq(w, b'n') | swar::eq(w, b't')) << (8 * j);
        }
        escaped = nt & ((backslash << 1) | u64::from(p1 == Some(b'\\')));
    }
    let p1_word = p1.is_some_and(|p| {
        (p.is_ascii_alphanumeric() || p >= 0x80) && !(matches!(p, b'n' | b't') && p2 == Some(b'\\'))
    });
    let prev_word = ((word & !escaped) << 1) | u64::from(p1_word);
    starts & !prev_word
}

/// Person names found by the gazetteer in `text`. `sql`: the text holds `INSERT INTO`
/// statements (the caller looked once for this pass and the SQL pass).
pub(crate) fn scan(text: &str, sql: bool, out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    if b.is_empty() || sql || columns::is_table(text) {
        return;
    }
    let mut base = 0;
    let mut resume = 0;
    while base < b.len() {
        let mut mask = capital_starts(b, base);
        while mask != 0 {
            let i = base + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if i < resume || !text.is_char_boundary(i) {
                continue;
            }
            // A capital not followed by a letter (or a `-`/`'` that may join another part) is
            // a one-letter token: "I", "A", initials. Every test below would refuse it.
            let next = b.get(i + 1).copied().unwrap_or(b' ');
            if !(next.is_ascii_alphabetic() || next >= 0x80 || matches!(next, b'-' | b'\'')) {
                continue;
            }
            let e = token_end(text, i);
            let tok = &text[i..e];
            if matches!(tok, "PSC" | "CMR" | "Unit") {
                if let Some(end) = address::military(text, i) {
                    out.push(Finding::new(i, end, PiiType::PostalAddress, 0.85));
                    resume = end;
                }
                continue;
            }
            if tok.len() < 2 || !capitalised(tok) || !has_lower(tok) {
                continue;
            }
            let f = flags(tok);
            if f == 0 {
                // Not a name: a compound street name ("Kerkstraat 12", "Pfarrgasse 83")?
                let numbered = (b.get(e) == Some(&b' ')
                    && b.get(e + 1).is_some_and(u8::is_ascii_digit))
                    || (i >= 2 && b[i - 1] == b' ' && b[i - 2].is_ascii_digit());
                if numbered && suffix_possible(tok) && address::street_suffix(tok) {
                    address::street(text, i, e, out);
                    resume = e;
                }
                continue;
            }
            match name_around(text, i, e, f) {
                Ok((s, end)) => {
                    out.push(Finding::new(s, end, PiiType::Person, 0.6));
                    resume = end;
                }
                // A rejected span is rejected whole ("rue Victor Hugo": not "Hugo" either).
                Err(end) => resume = end,
            }
        }
        base += 64;
    }
}

/// Grow a gazetteer hit `i..e` (flags `f`) into a full name and decide whether it is one:
/// `Ok(span)`, or `Err(end)` with the end of the words looked at.
fn name_around(text: &str, i: usize, e: usize, f: u8) -> Result<(usize, usize), usize> {
    let b = text.as_bytes();
    // Glued to an address, a path or an identifier.
    if i > 0
        && matches!(
            b[i - 1],
            b'@' | b'/' | b'_' | b'.' | b'#' | b'=' | b'&' | b'-'
        )
    {
        return Err(e);
    }
    let mut start = i;
    let mut end = e;
    let mut parts = 1;
    let mut known = 1;
    let mut firm = f & AMBIGUOUS == 0;
    // A surname hit may follow an unknown given name ("Hyuuma Maida") or an initial.
    if f & GIVEN == 0
        && let Some((ws, w)) = word_before(text, i)
        && ws + w.len() + 1 == i
        && !sentence_start(text, ws)
        && (capitalised(w) && has_lower(w) && !w.contains(['.', '\'']) && !class(w, IS_STOP)
            || is_initial(w))
        && !class(w, IS_PLACE_BEFORE)
    {
        start = ws;
        parts += 1;
    }
    // Right: up to three more parts (particles, initials, capitalised words, a generation).
    let mut pos = end;
    while parts < 4 && b.get(pos) == Some(&b' ') {
        let n = pos + 1;
        let ne = next_word_end(text, n);
        let w = &text[n..ne];
        if w.is_empty() {
            break;
        }
        if PARTICLES.contains(&w) && b.get(ne) == Some(&b' ') {
            let ce = token_end(text, ne + 1);
            let cw = &text[ne + 1..ce];
            if capitalised(cw) && !class(cw, IS_COMPANY) {
                end = ce;
                pos = ce;
                parts += 1;
                known += usize::from(flags(cw) != 0);
                firm |= flags(cw) & (GIVEN | SURNAME) != 0 && flags(cw) & AMBIGUOUS == 0;
                continue;
            }
            break;
        }
        if GENERATIONS.contains(&w) {
            end = ne;
            break;
        }
        if class(w, IS_COMPANY) || w == "&" {
            return Err(ne);
        }
        if is_initial(w) {
            // An initial is part of the name only before another part.
            let ce = token_end(text, ne + 1);
            if b.get(ne) == Some(&b' ') && capitalised(&text[ne + 1..ce]) {
                end = ne;
                pos = ne;
                continue;
            }
            break;
        }
        let te = token_end(text, n);
        let t = &text[n..te];
        let tail_ok = matches!(&text[te..ne], "" | "." | "'s" | "’s");
        if !tail_ok
            || !capitalised(t)
            || class(t, IS_STOP | IS_COMPANY)
            || (!has_lower(t) && t.len() < 3)
        {
            break;
        }
        let tf = flags(t);
        end = te;
        pos = te;
        parts += 1;
        known += usize::from(tf != 0);
        firm |= tf & (GIVEN | SURNAME) != 0 && tf & AMBIGUOUS == 0;
    }
    let accepted = if parts == 1 { firm } else { firm || known >= 2 };
    if !accepted {
        return Err(end);
    }
    // Context that makes it a place or a firm.
    if let Some((_, w)) = word_before(text, start)
        && (class(w, IS_PLACE_BEFORE) || w.bytes().all(|c| c.is_ascii_digit()))
    {
        return Err(end);
    }
    let after = text[end..].trim_start_matches([' ', ',']);
    let next = &after[..next_word_end(after, 0)];
    if class(next, IS_COMPANY)
        || class(next.trim_end_matches('.'), IS_COMPANY)
        || after.starts_with('&')
        || FIRM_TAILS.iter().any(|t| after.starts_with(t))
        || place_line_after(&text[end..])
    {
        return Err(end);
    }
    // Mbox "From " lines and dates: "Sun May 14", "Mon Jan 6".
    if !firm && DATE_WORDS.iter().any(|w| text[start..end].contains(w)) {
        return Err(end);
    }
    // Glued on the right to an address, a path, an identifier.
    match b.get(end) {
        Some(b'@' | b'/' | b'_' | b'-' | b'0'..=b'9') => return Err(end),
        Some(b'.') if b.get(end + 1).is_some_and(u8::is_ascii_alphanumeric) => return Err(end),
        _ => {}
    }
    // After a postcode or a number on the same line ("75012 Dupont", "42,Jean,Dupont").
    let lead = text[..start].trim_end_matches([' ', ',', ';', '\t']);
    if lead.len() < start && lead.ends_with(|c: char| c.is_ascii_digit() || c == '&') {
        return Err(end);
    }
    Ok((start, end))
}

/// End of the whitespace-delimited word starting at `n`.
fn next_word_end(text: &str, n: usize) -> usize {
    text[n..]
        .find([
            ' ', '\n', '\r', '\t', ',', ';', ':', '!', '?', '(', ')', '"', '\\', '<', '>', '[',
            ']', '{', '}', '/', '|',
        ])
        .map_or(text.len(), |k| n + k)
}

/// "J", "J.": a single capital, with or without its dot.
fn is_initial(w: &str) -> bool {
    let w = w.strip_suffix('.').unwrap_or(w);
    w.len() == 1 && w.as_bytes()[0].is_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 16-byte version `capital_starts` replaced, kept as its reference.
    fn capital_starts_ref(b: &[u8], base: usize) -> u32 {
        let mut block = [0u8; 16];
        let n = b.len().saturating_sub(base).min(16);
        block[..n].copy_from_slice(&b[base..base + n]);
        let mut starts = 0u32;
        for (k, &c) in block.iter().enumerate() {
            let upper = c.wrapping_sub(b'A') < 26;
            let lead = c.wrapping_sub(0xC3) < 3;
            starts |= u32::from(upper | lead) << k;
        }
        // Most blocks of lower-case text, digits and punctuation stop here.
        if starts == 0 {
            return 0;
        }
        let (mut word, mut backslash, mut nt) = (0u32, 0u32, 0u32);
        for (k, &c) in block.iter().enumerate() {
            let alpha = (c | 0x20).wrapping_sub(b'a') < 26;
            let digit = c.wrapping_sub(b'0') < 10;
            word |= u32::from(alpha | digit | (c >= 0x80)) << k;
            backslash |= u32::from(c == b'\\') << k;
            nt |= u32::from((c == b'n') | (c == b't')) << k;
        }
        let p1 = base.checked_sub(1).map(|p| b[p]);
        let p2 = base.checked_sub(2).map(|p| b[p]);
        let escaped = nt & ((backslash << 1) | u32::from(p1 == Some(b'\\')));
        let p1_word = p1.is_some_and(|p| {
            (p.is_ascii_alphanumeric() || p >= 0x80)
                && !(matches!(p, b'n' | b't') && p2 == Some(b'\\'))
        });
        let prev_word = ((word & !escaped) << 1) | u32::from(p1_word);
        starts & !prev_word & 0xFFFF
    }

    #[test]
    fn capital_starts_agree_with_the_scalar_reference() {
        for seed in 1..400u64 {
            let t = crate::detect::swar::random_text(seed, (seed as usize * 7) % 300);
            let want =
                crate::detect::swar::marked(&t, 16, |t, b| u64::from(capital_starts_ref(t, b)));
            let got = crate::detect::swar::marked(&t, 64, capital_starts);
            assert_eq!(got, want, "seed {seed}: {:?}", String::from_utf8_lossy(&t));
        }
    }

    fn names(t: &str) -> Vec<&str> {
        let mut out = Vec::new();
        scan(t, crate::detect::sql::is_dump(t), &mut out);
        out.iter().map(|f| &t[f.start..f.end]).collect()
    }

    #[test]
    fn names_in_free_text_without_a_cue() {
        assert_eq!(
            names("It's under my partner's name Brodie Walker"),
            vec!["Brodie Walker"]
        );
        assert_eq!(
            names("You can tell Cecilie was a huge fan."),
            vec!["Cecilie"]
        );
        assert_eq!(names("Anna L Magnusson called"), vec!["Anna L Magnusson"]);
        assert_eq!(names("I spoke to Laura Martin."), vec!["Laura Martin"]);
        assert_eq!(
            names("Ask Jean-Pierre de La Fontaine"),
            vec!["Jean-Pierre de La Fontaine"]
        );
        // An unknown given name before a known surname, and surname morphology.
        assert_eq!(names("Contact: Hyuuma Nakamura."), vec!["Hyuuma Nakamura"]);
        assert_eq!(names("Then Adamkiewicz left"), vec!["Adamkiewicz"]);
        assert_eq!(
            names("signed Guðrún Einarsdóttir"),
            vec!["Guðrún Einarsdóttir"]
        );
    }

    #[test]
    fn ambiguous_words_need_another_name_part() {
        assert!(names("Will my account stay active?").is_empty());
        assert!(names("In May 2024 we moved. Florence is lovely.").is_empty());
        assert_eq!(names("April Ross will call"), vec!["April Ross"]);
        assert_eq!(names("Rose Brown will call"), vec!["Rose Brown"]);
        assert!(names("Mark the box. Grace period ends.").is_empty());
    }

    #[test]
    fn places_firms_and_identifiers_are_not_people() {
        assert!(names("12 rue Victor Hugo").is_empty());
        assert!(names("75012 Dupont").is_empty());
        assert!(names("Saint Martin").is_empty());
        assert!(names("Martin SARL a livré").is_empty());
        assert!(names("Peeters & Janssens").is_empty());
        assert!(names("3240 Meadow Drive").is_empty());
        assert!(names("Thomas Street").is_empty());
        assert!(names("/home/Marie/x Jean.Dupont@x.fr").is_empty());
        assert!(names("nom,prenom,ville\nMartin,Paul,Dupont\n").is_empty());
        assert!(names("INSERT INTO t VALUES ('Martin');").is_empty());
    }

    #[test]
    fn compound_street_names_and_military_addresses() {
        let mut out = Vec::new();
        let t = "The restaurant is at Pfarrgasse 83. Return to PSC 5313, Box 4026 APO AA 98008.";
        scan(t, false, &mut out);
        let got: Vec<(PiiType, &str)> = out.iter().map(|f| (f.kind, &t[f.start..f.end])).collect();
        assert!(got.contains(&(PiiType::PostalAddress, "PSC 5313, Box 4026 APO AA 98008")));
        assert!(
            got.iter()
                .any(|(k, v)| *k == PiiType::PostalAddress && v.contains("Pfarrgasse 83"))
        );
        // A street-like word without a house number is not an address.
        out.clear();
        scan("We walked down Kerkstraat yesterday.", false, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn escaped_line_breaks_separate_words() {
        assert_eq!(names("x\\nLaura Martin\\n"), vec!["Laura Martin"]);
    }

    #[test]
    fn every_list_entry_is_a_capitalised_word() {
        for (w, _) in GAZETTEER.iter() {
            assert!(capitalised(w), "{w:?}");
            assert!(
                w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'')),
                "{w:?}"
            );
        }
        assert!(GAZETTEER.len() > 4000, "{}", GAZETTEER.len());
    }
}
