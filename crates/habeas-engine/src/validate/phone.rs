//! The fast path of phone normalisation for input already in E.164 form
//! (`+`, then digits): the same answer as the full path
//! (`phonenumber::parse` + `is_valid` + E.164 formatting), checked by a
//! property test against it, for a fraction of the cost.
//!
//! Why: the full path cost ~39k instructions per number in the bulk ingest
//! (docs/benchmarks-vault.md), most of it in the `phonenumber` crate's regex
//! cache — every match locks one process-wide mutex and hashes the pattern's
//! source text (hundreds of bytes) to find the compiled regex — so the
//! ingest's parallel preparation also serialised on that lock. Numbers sent
//! by programs are usually E.164 already; for them only the validity check
//! remains, and it is done here with the library's own metadata patterns,
//! compiled once per country calling code and used without a lock.
//!
//! Exactness: [`is_valid_e164`] says `true` only when the full path would
//! return the input itself. It mirrors the full path's steps for this form:
//! the country calling code is the first 1–3 digits known to the metadata
//! (ITU codes are prefix-free); the region is resolved as the library does
//! (one region, or the first whose leading digits match or whose patterns
//! accept the number); valid means the general pattern and one type's pattern
//! accept the national number (the library's `number_type != Unknown`).
//! Anything it does not mirror goes to the full path: a national number
//! starting with 0 (the full path strips a French trunk prefix there),
//! lengths outside E.164, and every number it finds invalid.

use std::sync::OnceLock;

use phonenumber::country::Id;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex::{Regex, RegexBuilder};

/// `true` when `raw` is `+` then digits and the full path would accept it
/// unchanged as its E.164 form; `false` means "ask the full path".
pub fn is_valid_e164(raw: &str) -> bool {
    let Some(digits) = raw.strip_prefix('+') else {
        return false;
    };
    // E.164: at most 15 digits; 7 is below any valid number with its code.
    if !(7..=15).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0')
    {
        return false;
    }
    for len in 1..=3 {
        let code = digits[..len]
            .bytes()
            .fold(0usize, |n, b| n * 10 + usize::from(b - b'0'));
        match calling_code(code) {
            Slot::Unknown => {}
            Slot::FullPath => return false,
            Slot::Known(known) => {
                let national = &digits[len..];
                return !national.starts_with('0') && known.is_valid(national);
            }
        }
    }
    false
}

/// One descriptor's check, as `phonenumber`'s `Descriptor::is_match`: a
/// declared length, then a match of the pattern starting at the first digit.
struct Pattern {
    lengths: Vec<u16>,
    re: Regex,
}

impl Pattern {
    fn new(d: &Descriptor) -> Option<Pattern> {
        Some(Pattern {
            lengths: d.possible_length().to_vec(),
            re: compile(d.national_number().as_str())?,
        })
    }

    fn is_match(&self, national: &str) -> bool {
        let len = u16::try_from(national.len()).unwrap_or(u16::MAX);
        (self.lengths.is_empty() || self.lengths.contains(&len))
            && self.re.find(national).is_some_and(|m| m.start() == 0)
    }
}

/// The metadata's patterns are written in extended syntax (the library builds
/// them with `ignore_whitespace`).
fn compile(source: &str) -> Option<Regex> {
    RegexBuilder::new(source)
        .ignore_whitespace(true)
        .build()
        .ok()
}

/// One region's validity patterns.
struct Region {
    leading_digits: Option<Regex>,
    general: Pattern,
    types: Vec<Pattern>,
}

impl Region {
    fn new(meta: &Metadata) -> Option<Region> {
        let d = meta.descriptors();
        let types = [
            d.premium_rate(),
            d.toll_free(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.fixed_line(),
            d.mobile(),
        ];
        let mut patterns = Vec::new();
        for t in types.into_iter().flatten() {
            patterns.push(Pattern::new(t)?);
        }
        let leading_digits = match meta.leading_digits() {
            Some(re) => Some(compile(re.as_str())?),
            None => None,
        };
        Some(Region {
            leading_digits,
            general: Pattern::new(d.general())?,
            types: patterns,
        })
    }

    /// The library's `number_type(meta, national) != Type::Unknown`.
    fn accepts(&self, national: &str) -> bool {
        self.general.is_match(national) && self.types.iter().any(|t| t.is_match(national))
    }
}

/// A country calling code known to the metadata, with how its region is
/// resolved (the library's `source_for`).
enum CallingCode {
    /// One region (or a non-geographic "001" code): its patterns, or `None`
    /// when the library would find no metadata (every number invalid).
    One(Option<Region>),
    /// Several regions sharing the code (+1, +7, +44 …), in the library's order.
    Shared(Vec<Region>),
}

impl CallingCode {
    /// `None` when a pattern does not compile here (never seen; the code's
    /// numbers then go to the full path).
    fn load(code: u16) -> Option<CallingCode> {
        let Some(regions) = DATABASE.region(&code) else {
            return Some(CallingCode::One(None));
        };
        if let [only] = regions.as_slice() {
            let meta = if *only == "001" {
                DATABASE.by_code(&code).and_then(|m| m.into_iter().next())
            } else {
                only.parse::<Id>()
                    .ok()
                    .and_then(|id| DATABASE.by_id(id.as_ref()))
            };
            return Some(CallingCode::One(match meta {
                Some(meta) => Some(Region::new(meta)?),
                None => None,
            }));
        }
        let mut shared = Vec::with_capacity(regions.len());
        for region in regions {
            shared.push(Region::new(DATABASE.by_id(region)?)?);
        }
        Some(CallingCode::Shared(shared))
    }

    fn is_valid(&self, national: &str) -> bool {
        match self {
            CallingCode::One(region) => region.as_ref().is_some_and(|r| r.accepts(national)),
            CallingCode::Shared(regions) => {
                for region in regions {
                    match &region.leading_digits {
                        Some(re) => {
                            if re.find(national).is_some_and(|m| m.start() == 0) {
                                return region.accepts(national);
                            }
                        }
                        None => {
                            if region.accepts(national) {
                                return true;
                            }
                        }
                    }
                }
                false
            }
        }
    }
}

/// What the fast path knows of a calling code.
enum Slot {
    /// Not a calling code of the metadata: try a longer prefix.
    Unknown,
    /// Known, but left to the full path.
    FullPath,
    Known(CallingCode),
}

/// Calling codes are below 1000: one slot each, filled on first use and read
/// without a lock afterwards.
fn calling_code(code: usize) -> &'static Slot {
    static CODES: [OnceLock<Slot>; 1000] = [const { OnceLock::new() }; 1000];
    static NONE: Slot = Slot::Unknown;
    let Some(slot) = CODES.get(code) else {
        return &NONE;
    };
    slot.get_or_init(|| {
        let Ok(code) = u16::try_from(code) else {
            return Slot::Unknown;
        };
        if DATABASE.by_code(&code).is_none() {
            return Slot::Unknown;
        }
        CallingCode::load(code).map_or(Slot::FullPath, Slot::Known)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::is_valid_e164;
    use crate::validate::normalise_full;

    /// What the property demands of one input: the fast path never says
    /// "valid" unless the full path returns the input itself, and on the
    /// form it handles (`+`, code, national number not starting with 0,
    /// 7–15 digits) it says so exactly when the full path does.
    fn agrees(raw: &str) -> std::result::Result<(), TestCaseError> {
        let fast = is_valid_e164(raw);
        let full = normalise_full(raw);
        if fast {
            prop_assert_eq!(full.as_deref(), Some(raw), "fast path accepted {}", raw);
        }
        let digits = raw.strip_prefix('+').unwrap_or("");
        let handled = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
            && !(1..=3).any(|n| {
                // national part starting with 0 after a known code
                matches!(
                    super::calling_code(digits[..n].parse().unwrap_or(0)),
                    super::Slot::Known(_)
                ) && digits[n..].starts_with('0')
            });
        if handled {
            prop_assert_eq!(
                fast,
                full.as_deref() == Some(raw),
                "disagreement on {}",
                raw
            );
        }
        Ok(())
    }

    /// Calling codes of every kind: single-region, shared (+1, +7, +44,
    /// +47, +61, +262, +590), non-geographic (+800, +882, +979), and the
    /// providers' own (+33, +32, +352, +41).
    const CODES: &[&str] = &[
        "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "41", "44", "47", "49",
        "52", "54", "55", "61", "64", "81", "86", "91", "212", "213", "216", "221", "225", "262",
        "352", "377", "590", "594", "596", "687", "689", "800", "808", "870", "882", "883", "888",
        "979",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn same_answer_as_libphonenumber_for_known_codes(
            code in proptest::sample::select(CODES),
            national in "[0-9]{3,13}",
        ) {
            agrees(&format!("+{code}{national}"))?;
        }

        #[test]
        fn same_answer_as_libphonenumber_for_likely_numbers(
            prefix in proptest::sample::select(&["+336", "+337", "+331", "+339", "+3247", "+3242",
                "+1650", "+1212", "+447", "+4420", "+4915", "+3934", "+3906", "+352621", "+4179",
                "+79", "+7727", "+26269", "+590690", "+8001", "+9791"][..]),
            rest in "[0-9]{5,10}",
        ) {
            agrees(&format!("{prefix}{rest}"))?;
        }

        #[test]
        fn same_answer_as_libphonenumber_for_any_input(raw in "\\+?[0-9 ]{0,18}") {
            agrees(&raw)?;
        }
    }

    #[test]
    fn the_fast_path_takes_common_numbers() {
        // French mobile and fixed (incl. the fiction range the benchmarks
        // use), Belgian mobile, a NANP number, a UK mobile.
        for raw in [
            "+33612345678",
            "+33199001234",
            "+32470123456",
            "+16502530000",
            "+447912345678",
        ] {
            assert!(is_valid_e164(raw), "{raw}");
            assert_eq!(normalise_full(raw).as_deref(), Some(raw));
        }
        // Not E.164 as given, or invalid: left to the full path.
        for raw in [
            "+330612345678",
            "+33 6 12 34 56 78",
            "0612345678",
            "+33123",
            "+999123456789",
        ] {
            assert!(!is_valid_e164(raw), "{raw}");
        }
    }
}
