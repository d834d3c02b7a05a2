//! The words that give personal data its context (a birth keyword, a salutation, a field
//! label, a closing, a mail header, a street type), found in one pass over the text.
//!
//! Cues are looked up only at word starts: a byte loop finds each ASCII letter (or `-`) that
//! follows a non-alphanumeric character, and a table indexed by its first two bytes (ASCII
//! case folded) names the few cues to compare there, longest first. This replaced an
//! Aho-Corasick automaton over all ~100 cues, whose every-byte state walk was a tenth of a
//! bulk scan; the results are the same (leftmost, longest, non-overlapping, ASCII case
//! insensitive, a word boundary before).

use std::sync::LazyLock;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Cue {
    Birth,
    /// Salutation or title directly followed by the name.
    Title,
    /// A field label ("Nom :", "Name:") followed by the name.
    Label,
    /// A closing ("Cordialement,") whose next non-empty line is the signer's name.
    Closing,
    /// "je suis", "I am": a full name (two words at least) follows.
    Intro,
    /// A mail header carrying display names.
    Header,
    /// A street type.
    Street,
}

const CUES: &[(&str, Cue)] = &[
    ("né le", Cue::Birth),
    ("née le", Cue::Birth),
    ("né(e) le", Cue::Birth),
    ("naissance", Cue::Birth),
    ("date of birth", Cue::Birth),
    ("birth date", Cue::Birth),
    ("birthdate", Cue::Birth),
    ("born on", Cue::Birth),
    ("born", Cue::Birth),
    ("dob", Cue::Birth),
    ("d.o.b", Cue::Birth),
    ("geboren", Cue::Birth),
    ("geboortedatum", Cue::Birth),
    ("birthday", Cue::Birth),
    ("madame", Cue::Title),
    ("monsieur", Cue::Title),
    ("mme", Cue::Title),
    ("mlle", Cue::Title),
    ("m.", Cue::Title),
    ("mr.", Cue::Title),
    ("mr", Cue::Title),
    ("mrs.", Cue::Title),
    ("mrs", Cue::Title),
    ("ms.", Cue::Title),
    ("ms", Cue::Title),
    ("miss", Cue::Title),
    ("dr.", Cue::Title),
    ("docteur", Cue::Title),
    ("maître", Cue::Title),
    ("dear", Cue::Title),
    ("mevrouw", Cue::Title),
    ("meneer", Cue::Title),
    ("de heer", Cue::Title),
    ("nom :", Cue::Label),
    ("nom:", Cue::Label),
    ("prénom :", Cue::Label),
    ("prénom:", Cue::Label),
    ("name:", Cue::Label),
    ("name :", Cue::Label),
    ("nom et prénom", Cue::Label),
    ("titulaire :", Cue::Label),
    ("titulaire:", Cue::Label),
    ("my name is", Cue::Label),
    ("signé", Cue::Label),
    ("signed by", Cue::Label),
    ("naam:", Cue::Label),
    ("cordialement", Cue::Closing),
    ("-- ", Cue::Closing),
    ("je suis", Cue::Intro),
    ("je m'appelle", Cue::Intro),
    ("i am", Cue::Intro),
    ("bien à vous", Cue::Closing),
    ("salutations", Cue::Closing),
    ("regards", Cue::Closing),
    ("sincerely", Cue::Closing),
    ("groeten", Cue::Closing),
    ("bien amicalement", Cue::Closing),
    ("best,", Cue::Closing),
    ("from:", Cue::Header),
    ("to:", Cue::Header),
    ("cc:", Cue::Header),
    ("reply-to:", Cue::Header),
    ("de :", Cue::Header),
    ("rue", Cue::Street),
    ("avenue", Cue::Street),
    ("boulevard", Cue::Street),
    ("bd", Cue::Street),
    ("place", Cue::Street),
    ("chemin", Cue::Street),
    ("allée", Cue::Street),
    ("impasse", Cue::Street),
    ("route", Cue::Street),
    ("quai", Cue::Street),
    ("cours", Cue::Street),
    ("square", Cue::Street),
    ("chaussée", Cue::Street),
    ("faubourg", Cue::Street),
    ("drève", Cue::Street),
    ("passage", Cue::Street),
    ("clos", Cue::Street),
    ("straat", Cue::Street),
    ("laan", Cue::Street),
    ("steenweg", Cue::Street),
    ("plein", Cue::Street),
    ("dreef", Cue::Street),
    ("street", Cue::Street),
    ("st.", Cue::Street),
    ("road", Cue::Street),
    ("drive", Cue::Street),
    ("lane", Cue::Street),
    ("ave", Cue::Street),
    ("court", Cue::Street),
    ("way", Cue::Street),
    ("blvd", Cue::Street),
    ("terrace", Cue::Street),
    ("parkway", Cue::Street),
    ("circle", Cue::Street),
    ("trail", Cue::Street),
    ("rd", Cue::Street),
    ("heights", Cue::Street),
    ("gardens", Cue::Street),
    ("crescent", Cue::Street),
    ("highway", Cue::Street),
    ("via", Cue::Street),
    ("viale", Cue::Street),
    ("piazza", Cue::Street),
    ("corso", Cue::Street),
    ("calle", Cue::Street),
    ("avenida", Cue::Street),
    ("rua", Cue::Street),
    ("ulica", Cue::Street),
    ("ul.", Cue::Street),
    ("allee", Cue::Street),
    ("alley", Cue::Street),
    ("crossing", Cue::Street),
    ("estates", Cue::Street),
    ("junction", Cue::Street),
    ("expressway", Cue::Street),
    ("freeway", Cue::Street),
    ("turnpike", Cue::Street),
    ("ridge", Cue::Street),
    ("mews", Cue::Street),
    ("plaza", Cue::Street),
];

/// Cue indices grouped by their first two bytes (ASCII lower-cased): `index[row * 256 + b1]`
/// is 0 or 1 + the bucket number, where row is the first byte's letter (0–25) or 26 for `-`.
/// Each bucket entry carries the cue's first eight bytes with every byte `| 0x20` (`key`, and
/// `mask` over the cue's length): a text whose eight bytes, treated the same way, differ
/// cannot match, since ASCII case folding only ever changes bit 5 of a letter.
struct Table {
    index: Vec<u8>,
    buckets: Vec<Vec<Entry>>,
}

struct Entry {
    cue: usize,
    key: u64,
    mask: u64,
}

const FOLD: u64 = 0x2020_2020_2020_2020;

fn row(b0: u8) -> Option<usize> {
    match b0.to_ascii_lowercase() {
        c @ b'a'..=b'z' => Some(usize::from(c - b'a')),
        b'-' => Some(26),
        _ => None,
    }
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut t = Table {
        index: vec![0; 27 * 256],
        buckets: Vec::new(),
    };
    for (k, (kw, _)) in CUES.iter().enumerate() {
        let kb = kw.as_bytes();
        let Some(r) = row(kb[0]) else {
            panic!("cue {kw:?} must start with a letter or '-'")
        };
        let slot = r * 256 + usize::from(kb[1].to_ascii_lowercase());
        if t.index[slot] == 0 {
            t.buckets.push(Vec::new());
            t.index[slot] =
                u8::try_from(t.buckets.len()).unwrap_or_else(|_| panic!("too many cue buckets"));
        }
        let n = kb.len().min(8);
        let mask = if n == 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        let key = (super::swar::load(kb, 0) | FOLD) & mask;
        t.buckets[usize::from(t.index[slot]) - 1].push(Entry { cue: k, key, mask });
    }
    for b in &mut t.buckets {
        b.sort_by_key(|e| std::cmp::Reverse(CUES[e.cue].0.len()));
    }
    t
});

/// The longest cue starting at `i`, if any: (cue index, end).
fn cue_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let table = &*TABLE;
    let r = row(b[i])?;
    let b1 = b.get(i + 1)?.to_ascii_lowercase();
    let bucket = usize::from(table.index[r * 256 + usize::from(b1)]);
    if bucket == 0 {
        return None;
    }
    let x = super::swar::load(b, i) | FOLD;
    table.buckets[bucket - 1].iter().find_map(|e| {
        if x & e.mask != e.key {
            return None;
        }
        let kw = CUES[e.cue].0.as_bytes();
        b.get(i..i + kw.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(kw))
            .then_some((e.cue, i + kw.len()))
    })
}

/// True when a word may start at `i`: the previous character is not alphanumeric, or is the
/// `n`/`t` of a JSON-escaped line break or tab ("…\\nName: …" in logs).
pub(crate) fn word_boundary_before(text: &str, i: usize) -> bool {
    let before = &text[..i];
    before.ends_with("\\n")
        || before.ends_with("\\t")
        || before
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
}

/// Every cue in `text`: (keyword, kind, start, end), in order, non-overlapping.
pub(crate) fn find(text: &str) -> impl Iterator<Item = (&'static str, Cue, usize, usize)> + '_ {
    let b = text.as_bytes();
    // Word starts of the current 64-byte block not yet looked at.
    let mut base = 0;
    let mut mask = word_starts(b, 0);
    let mut resume = 0;
    std::iter::from_fn(move || {
        loop {
            if mask == 0 {
                base += 64;
                if base >= b.len() {
                    return None;
                }
                mask = word_starts(b, base);
                continue;
            }
            let i = base + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            // After a non-ASCII character the block test could not tell: ask Unicode.
            if i < resume || (i > 0 && b[i - 1] >= 0x80 && !word_boundary_before(text, i)) {
                continue;
            }
            if let Some((k, e)) = cue_at(b, i) {
                resume = e;
                return Some((CUES[k].0, CUES[k].1, i, e));
            }
        }
    })
}

/// Bit k set when `b[base + k]` may start a cue: an ASCII letter or `-` after a character
/// that is not an ASCII letter or digit (a non-ASCII one is checked by the caller), or after
/// the `n`/`t` of an escaped `\\n`/`\\t`. 64 bytes at a time, eight in each `u64` (`swar`):
/// the byte loop it replaced mispredicted at every word, and its vectorised successor over
/// 16-byte blocks still cost ~14 instructions a byte.
pub(crate) fn word_starts(b: &[u8], base: usize) -> u64 {
    use super::swar;
    let mut words = [0u64; 8];
    let (mut starts, mut alnum, mut backslash) = (0u64, 0u64, 0u64);
    for (j, slot) in words.iter_mut().enumerate() {
        let w = swar::load(b, base + 8 * j);
        *slot = w;
        let a = swar::alpha(w);
        starts |= swar::compress(a | swar::eq(w, b'-')) << (8 * j);
        alnum |= swar::compress(a | swar::range(w, b'0', b'9')) << (8 * j);
        backslash |= swar::compress(swar::eq(w, b'\\')) << (8 * j);
    }
    let p1 = base.checked_sub(1).map(|p| b[p]);
    let p2 = base.checked_sub(2).map(|p| b[p]);
    // Escapes are rare: the `n`/`t` classes only where a backslash is.
    let mut escaped = 0u64;
    if backslash != 0 || p1 == Some(b'\\') {
        let mut nt = 0u64;
        for (j, &w) in words.iter().enumerate() {
            nt |= swar::compress(swar::eq(w, b'n') | swar::eq(w, b't')) << (8 * j);
        }
        escaped = nt & ((backslash << 1) | u64::from(p1 == Some(b'\\')));
    }
    let p1_word = p1.is_some_and(|p| {
        p.is_ascii_alphanumeric() && !(matches!(p, b'n' | b't') && p2 == Some(b'\\'))
    });
    let prev_word = ((alnum & !escaped) << 1) | u64::from(p1_word);
    starts & !prev_word
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 16-byte scalar version `word_starts` replaced, kept as its reference.
    fn word_starts_ref(b: &[u8], base: usize) -> u32 {
        let mut block = [0u8; 16];
        let n = b.len().saturating_sub(base).min(16);
        block[..n].copy_from_slice(&b[base..base + n]);
        let (mut starts, mut alnum, mut backslash, mut nt) = (0u32, 0u32, 0u32, 0u32);
        for (k, &c) in block.iter().enumerate() {
            let alpha = (c | 0x20).wrapping_sub(b'a') < 26;
            let digit = c.wrapping_sub(b'0') < 10;
            starts |= u32::from(alpha | (c == b'-')) << k;
            alnum |= u32::from(alpha | digit) << k;
            backslash |= u32::from(c == b'\\') << k;
            nt |= u32::from((c == b'n') | (c == b't')) << k;
        }
        let p1 = base.checked_sub(1).map(|p| b[p]);
        let p2 = base.checked_sub(2).map(|p| b[p]);
        let escaped = nt & ((backslash << 1) | u32::from(p1 == Some(b'\\')));
        let p1_word = p1.is_some_and(|p| {
            p.is_ascii_alphanumeric() && !(matches!(p, b'n' | b't') && p2 == Some(b'\\'))
        });
        let prev_word = ((alnum & !escaped) << 1) | u32::from(p1_word);
        starts & !prev_word & 0xFFFF
    }

    #[test]
    fn word_starts_agree_with_the_scalar_reference() {
        for seed in 1..400u64 {
            let t = super::super::swar::random_text(seed, (seed as usize * 7) % 300);
            let want = super::super::swar::marked(&t, 16, |t, b| u64::from(word_starts_ref(t, b)));
            let got = super::super::swar::marked(&t, 64, word_starts);
            assert_eq!(got, want, "seed {seed}: {:?}", String::from_utf8_lossy(&t));
        }
    }

    fn cues(t: &str) -> Vec<(&'static str, usize)> {
        find(t).map(|(kw, _, s, _)| (kw, s)).collect()
    }

    #[test]
    fn cues_at_word_starts_longest_first_case_insensitive() {
        assert_eq!(
            cues("Née le 3 mai, MADAME Dupont, 12 Rue X"),
            vec![("née le", 0), ("madame", 15), ("rue", 33)]
        );
        assert_eq!(cues("Date of birth: x"), vec![("date of birth", 0)]);
        // Inside a word: no cue ("prue", "adobe"); a cue as a word prefix is still found.
        assert_eq!(cues("prue adobe Ruelle"), vec![("rue", 11)]);
        // JSON-escaped line breaks separate words; accented letters do not.
        assert_eq!(cues("{\"m\":\"a\\nName: Jo\"}"), vec![("name:", 9)]);
        assert_eq!(cues("éminent àrue"), vec![]);
        assert_eq!(cues("\n-- \nJo"), vec![("-- ", 1)]);
    }

    #[test]
    fn cues_across_block_edges_and_escapes() {
        // Every position of a cue relative to the 16-byte blocks, and after an escape.
        for pad in 0..40 {
            let t = format!("{}madame X", " ".repeat(pad));
            assert_eq!(cues(&t), vec![("madame", pad)], "pad {pad}");
            let t = format!("{}\\nmadame X", "x".repeat(pad));
            assert_eq!(cues(&t), vec![("madame", pad + 2)], "escaped, pad {pad}");
            let t = format!("{}xmadame X", " ".repeat(pad));
            assert_eq!(cues(&t), vec![], "glued, pad {pad}");
        }
    }

    #[test]
    fn every_cue_is_found_alone() {
        for (kw, _) in CUES {
            // In its own case, upper-cased (ASCII), and at the very end of the text.
            let up = kw.to_ascii_uppercase();
            for t in [format!("x {kw} y"), format!("x {up} y"), format!("x {kw}")] {
                let got: Vec<&str> = find(&t).map(|(k, ..)| k).collect();
                assert!(got.first() == Some(kw), "{t:?}: {got:?}");
            }
            // One byte short at the end of the text, or one letter off: not this cue.
            if kw.len() >= 3 && kw.is_char_boundary(kw.len() - 1) {
                let t = format!("x {}", &kw[..kw.len() - 1]);
                assert!(find(&t).all(|(k, ..)| k != *kw), "{t:?}");
            }
        }
        assert!(cues("madamE maDaMX").len() == 1);
    }
}
