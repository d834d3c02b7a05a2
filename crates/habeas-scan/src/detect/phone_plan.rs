//! The French, Belgian and North American numbering plans, as tables of prefixes. They decide
//! whether a national number can exist without calling libphonenumber: its metadata takes
//! ~0.2 CPU-second to load (hundreds of regexes), which is a fifth of a 64 MB scan, and a
//! French or Belgian tree rarely holds any other country's number. Other countries' numbers
//! still go to the `phonenumber` crate.
//!
//! Sources: ARCEP "plan de numérotation" (France), BIPT numbering plan (Belgium), NANPA
//! (NANP), cross-checked against libphonenumber's metadata 9.0.33 (`PhoneNumberMetadata.xml`,
//! territories FR and BE), which the unit tests below compare with.

/// A French national significant number (9 digits, the trunk `0` removed): 01–05 geographic
/// incl. overseas departments, 06 and 073–079 mobile, 09 non-geographic, and the 08 special
/// ranges (toll-free 080x, shared cost 081x/082x/084[024]/0884, premium 081x–089x; 087x is not
/// allocated).
pub(crate) fn fr(n: &[u8]) -> bool {
    if n.len() != 9 || !n.iter().all(u8::is_ascii_digit) {
        return false;
    }
    match n[0] {
        b'1'..=b'6' | b'9' => true,
        b'7' => n[1] >= b'3',
        b'8' => match n[1] {
            b'0' | b'1' | b'2' | b'5' | b'6' | b'8' | b'9' => true,
            // 0836 premium numbers: 08 36 0[0-36-9] or 08 36 [1-9].
            b'3' => n[2] != b'6' || n[3] != b'0' || !matches!(n[4], b'4' | b'5'),
            b'4' => matches!(n[2], b'0' | b'2' | b'4'),
            _ => false,
        },
        _ => false,
    }
}

/// A Belgian national significant number (the trunk `0` removed): 8 digits for a one- or
/// two-digit zone and its subscriber (04 being Liège), or the service ranges 070x premium,
/// 078x national rate, 0800 toll-free, 090x premium; 9 digits for mobiles 045x–049x.
pub(crate) fn be(n: &[u8]) -> bool {
    if !n.iter().all(u8::is_ascii_digit) {
        return false;
    }
    match n.len() {
        8 => match (n[0], n[1]) {
            (b'0', _) => false,
            // 070: premium rate, only some blocks are allocated.
            (b'7', b'0') => match n[2] {
                b'2' => matches!(n[3], b'0'..=b'5' | b'7'),
                b'3' => matches!(n[3], b'0' | b'4'..=b'7'),
                b'4' => n[3] == b'4',
                b'6' => matches!(n[3], b'0' | b'4'..=b'6' | b'9'),
                b'7' => matches!(n[3], b'0' | b'5' | b'7' | b'9'),
                _ => false,
            },
            (b'7', b'7') => false,
            // 078: national-rate numbers.
            (b'7', b'8') => match n[2] {
                b'0' => matches!(n[3], b'5' | b'7' | b'8'),
                b'1' => matches!(n[3], b'0' | b'1' | b'4'..=b'8'),
                b'2' => matches!(n[3], b'2' | b'5'),
                b'3' => matches!(n[3], b'1' | b'5'..=b'8'),
                b'4' => n[3] == b'8',
                b'5' => matches!(n[3], b'0' | b'5'),
                b'6' => n[3] == b'0',
                b'7' => matches!(n[3], b'0' | b'6'..=b'9'),
                b'9' => true,
                _ => false,
            },
            // 0800 toll-free; 080[2-8] are fixed lines (Mons, Charleroi…).
            (b'8', b'0') => match n[2] {
                b'0' => n[3] != b'0',
                b'2'..=b'8' => true,
                _ => false,
            },
            _ => true,
        },
        9 => n[0] == b'4' && (b'5'..=b'9').contains(&n[1]),
        _ => false,
    }
}

/// A North American number in E.164 form `+1NXXNXXXXXX`: NXX area code and exchange (N =
/// 2–9), no N11 service code in either.
pub(crate) fn nanp(e164: &[u8]) -> bool {
    e164.len() == 12
        && e164.starts_with(b"+1")
        && e164[2..].iter().all(u8::is_ascii_digit)
        && e164[2] >= b'2'
        && e164[5] >= b'2'
        && !(e164[3] == b'1' && e164[4] == b'1')
        && !(e164[6] == b'1' && e164[7] == b'1')
}

/// Every assigned country calling code with the shortest and longest national significant
/// number its territories use (generated from libphonenumber 9.0.33's `possibleLengths`,
/// Apache-2.0). Sorted by code.
const COUNTRY_CODES: &[(u16, u8, u8)] = &[
    (1, 7, 10),
    (7, 10, 14),
    (20, 8, 10),
    (27, 5, 10),
    (30, 10, 12),
    (31, 5, 11),
    (32, 8, 9),
    (33, 9, 9),
    (34, 9, 9),
    (36, 8, 9),
    (39, 6, 12),
    (40, 6, 9),
    (41, 9, 12),
    (43, 4, 13),
    (44, 7, 10),
    (45, 8, 8),
    (46, 6, 12),
    (47, 5, 8),
    (48, 6, 10),
    (49, 4, 15),
    (51, 8, 9),
    (52, 10, 10),
    (53, 6, 10),
    (54, 10, 11),
    (55, 8, 11),
    (56, 9, 11),
    (57, 8, 11),
    (58, 10, 10),
    (60, 8, 10),
    (61, 5, 12),
    (62, 7, 17),
    (63, 6, 13),
    (64, 5, 10),
    (65, 8, 11),
    (66, 8, 13),
    (81, 8, 17),
    (82, 5, 14),
    (84, 7, 10),
    (86, 7, 12),
    (90, 7, 13),
    (91, 8, 13),
    (92, 8, 12),
    (93, 9, 9),
    (94, 9, 9),
    (95, 6, 10),
    (98, 4, 10),
    (211, 9, 9),
    (212, 9, 9),
    (213, 8, 9),
    (216, 8, 8),
    (218, 9, 9),
    (220, 7, 7),
    (221, 9, 9),
    (222, 8, 8),
    (223, 8, 8),
    (224, 8, 9),
    (225, 10, 10),
    (226, 8, 8),
    (227, 8, 8),
    (228, 8, 8),
    (229, 8, 10),
    (230, 7, 10),
    (231, 7, 9),
    (232, 8, 8),
    (233, 8, 9),
    (234, 10, 14),
    (235, 8, 8),
    (236, 8, 8),
    (237, 8, 9),
    (238, 7, 7),
    (239, 7, 7),
    (240, 9, 9),
    (241, 7, 8),
    (242, 9, 9),
    (243, 7, 10),
    (244, 9, 9),
    (245, 7, 9),
    (246, 7, 7),
    (247, 5, 6),
    (248, 7, 7),
    (249, 9, 9),
    (250, 8, 9),
    (251, 9, 9),
    (252, 6, 9),
    (253, 8, 8),
    (254, 7, 10),
    (255, 9, 9),
    (256, 9, 9),
    (257, 8, 8),
    (258, 8, 9),
    (260, 9, 9),
    (261, 9, 9),
    (262, 9, 9),
    (263, 5, 10),
    (264, 8, 9),
    (265, 7, 9),
    (266, 8, 8),
    (267, 7, 10),
    (268, 8, 9),
    (269, 7, 7),
    (290, 4, 5),
    (291, 7, 7),
    (297, 7, 7),
    (298, 6, 6),
    (299, 6, 6),
    (350, 8, 8),
    (351, 9, 9),
    (352, 4, 11),
    (353, 7, 10),
    (354, 7, 9),
    (355, 6, 9),
    (356, 8, 8),
    (357, 8, 8),
    (358, 5, 12),
    (359, 6, 12),
    (370, 8, 8),
    (371, 8, 8),
    (372, 7, 10),
    (373, 8, 8),
    (374, 8, 8),
    (375, 6, 11),
    (376, 6, 9),
    (377, 8, 9),
    (378, 8, 10),
    (380, 9, 10),
    (381, 6, 12),
    (382, 8, 9),
    (383, 8, 12),
    (385, 7, 9),
    (386, 5, 8),
    (387, 8, 9),
    (389, 8, 8),
    (420, 9, 12),
    (421, 6, 9),
    (423, 7, 9),
    (500, 5, 5),
    (501, 7, 11),
    (502, 8, 11),
    (503, 7, 11),
    (504, 8, 11),
    (505, 8, 8),
    (506, 8, 10),
    (507, 7, 11),
    (508, 6, 9),
    (509, 8, 8),
    (590, 9, 9),
    (591, 8, 9),
    (592, 7, 7),
    (593, 8, 11),
    (594, 9, 9),
    (595, 6, 11),
    (596, 9, 9),
    (597, 6, 7),
    (598, 4, 13),
    (599, 7, 8),
    (670, 7, 8),
    (672, 6, 6),
    (673, 7, 7),
    (674, 7, 7),
    (675, 7, 8),
    (676, 5, 7),
    (677, 5, 7),
    (678, 5, 7),
    (679, 7, 11),
    (680, 7, 7),
    (681, 6, 9),
    (682, 5, 5),
    (683, 4, 7),
    (685, 5, 10),
    (686, 5, 8),
    (687, 6, 6),
    (688, 5, 7),
    (689, 6, 9),
    (690, 4, 7),
    (691, 7, 7),
    (692, 7, 7),
    (800, 8, 8),
    (808, 8, 8),
    (850, 8, 10),
    (852, 5, 11),
    (853, 7, 8),
    (855, 8, 10),
    (856, 8, 10),
    (870, 9, 12),
    (878, 12, 12),
    (880, 6, 10),
    (881, 9, 10),
    (882, 7, 12),
    (883, 8, 12),
    (886, 7, 11),
    (888, 11, 11),
    (960, 7, 10),
    (961, 7, 8),
    (962, 8, 9),
    (963, 8, 9),
    (964, 8, 10),
    (965, 7, 8),
    (966, 9, 10),
    (967, 7, 9),
    (968, 7, 9),
    (970, 8, 10),
    (971, 5, 12),
    (972, 7, 12),
    (973, 8, 8),
    (974, 7, 11),
    (975, 7, 8),
    (976, 8, 10),
    (977, 8, 11),
    (979, 9, 9),
    (992, 9, 9),
    (993, 8, 8),
    (994, 9, 9),
    (995, 9, 9),
    (996, 9, 10),
    (998, 9, 9),
];

/// `digits`: an international number after its `+` (country code and national number). True
/// when it starts with an assigned country code and has a length that country uses: numbers
/// failing this are refused without loading libphonenumber.
pub(crate) fn international_possible(digits: &[u8]) -> bool {
    if digits.first().is_none_or(|&c| c == b'0') || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    (1..=3).filter(|&k| k < digits.len()).any(|k| {
        let cc = digits[..k]
            .iter()
            .fold(0u16, |a, &c| a * 10 + u16::from(c - b'0'));
        let nsn = digits.len() - k;
        COUNTRY_CODES
            .binary_search_by_key(&cc, |&(c, _, _)| c)
            .is_ok_and(|i| {
                let (_, min, max) = COUNTRY_CODES[i];
                (usize::from(min)..=usize::from(max)).contains(&nsn)
            })
    })
}

/// A phone number as written (a `PHONE` finding's value) in E.164 form: `+` and digits,
/// without the `(0)` trunk prefix of international numbers or the national trunk `0`.
/// National numbers are French when the ARCEP plan accepts them and they are not written in
/// the Belgian layout (first group of 3–4 digits), else Belgian; 10-digit
/// numbers without a trunk `0` (or 11 starting with 1) are North American.
pub fn e164(written: &str) -> Option<String> {
    let w = written.replace("(0)", "");
    let digits: String = w.chars().filter(char::is_ascii_digit).collect();
    let d = digits.as_bytes();
    let out = if w.trim_start().starts_with('+') {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else if d.first() == Some(&b'0') {
        // French numbers are written in pairs ("04 70 …"); a first group of 3–4 digits
        // ("0470/12.34.56", "02 502 …") is the Belgian layout.
        let first_group = w
            .trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .map_or(0, str::len);
        let belgian_layout = (3..=4).contains(&first_group) && be(&d[1..]);
        if d.len() == 10 && fr(&d[1..]) && !belgian_layout {
            format!("+33{}", &digits[1..])
        } else {
            format!("+32{}", &digits[1..])
        }
    } else if d.len() == 10 {
        format!("+1{digits}")
    } else if d.len() == 11 && d[0] == b'1' {
        format!("+{digits}")
    } else {
        return None;
    };
    (out.len() >= 9 && out.len() <= 16).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our tables agree with libphonenumber on every FR prefix of four digits and every BE
    /// prefix of four digits, where libphonenumber's metadata is precise (the 08 and the BE
    /// service ranges); elsewhere they are at least as permissive as the plans say.
    #[test]
    fn agrees_with_libphonenumber_on_special_ranges() {
        use phonenumber::country::Id;
        let valid = |r: Id, s: &str| {
            phonenumber::parse(Some(r), s)
                .map(|p| p.is_valid())
                .unwrap_or(false)
        };
        for p in 8000..9000u32 {
            let n = format!("{p}12345");
            assert_eq!(fr(n.as_bytes()), valid(Id::FR, &format!("0{n}")), "FR 0{n}");
        }
        for p in (7000..7100u32)
            .chain(7700..7900)
            .chain(8000..8100)
            .chain(9000..9100)
        {
            let n = format!("{p}1234");
            assert_eq!(be(n.as_bytes()), valid(Id::BE, &format!("0{n}")), "BE 0{n}");
        }
        for n in ["470123456", "495123456"] {
            assert!(be(n.as_bytes()) && valid(Id::BE, &format!("0{n}")));
        }
    }

    #[test]
    fn international_numbers_need_an_assigned_code_and_a_possible_length() {
        // London, a German mobile, Zürich, Hong Kong: possible (and valid for libphonenumber).
        for n in [
            "442079460958",
            "4915123456789",
            "41446681800",
            "85221234567",
        ] {
            assert!(international_possible(n.as_bytes()), "+{n}");
            let p = phonenumber::parse(None, format!("+{n}"));
            assert!(p.is_ok_and(|p| p.is_valid()), "+{n}");
        }
        // Unassigned codes (+0, +28, +699, +805), Mexico with 12 digits, Pakistan with 6.
        for n in [
            "0797813350178",
            "28966239",
            "6995443776",
            "80514593763305",
            "52257023970106",
        ] {
            assert!(!international_possible(n.as_bytes()), "+{n}");
        }
        assert!(!international_possible(b"92258089"));
        assert!(COUNTRY_CODES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn e164_forms() {
        assert_eq!(e164("01 42 92 81 00").as_deref(), Some("+33142928100"));
        assert_eq!(
            e164("+33 (0)1 42 92 81 00").as_deref(),
            Some("+33142928100")
        );
        assert_eq!(e164("0470/12.34.56").as_deref(), Some("+32470123456"));
        assert_eq!(e164("02 502 11 11").as_deref(), Some("+3225021111"));
        assert_eq!(e164("0044 20 7946 0958").as_deref(), Some("+442079460958"));
        assert_eq!(e164("(202) 555-0143").as_deref(), Some("+12025550143"));
        assert_eq!(e164("1-202-555-0143").as_deref(), Some("+12025550143"));
        assert_eq!(e164("04 70 12 34 56").as_deref(), Some("+33470123456"));
        assert_eq!(e164("12"), None);
    }

    #[test]
    fn published_numbers() {
        // Élysée switchboard, a Paris mobile range, toll-free 0800; Brussels, Liège, a mobile.
        assert!(fr(b"142928100"));
        assert!(fr(b"612345678"));
        assert!(fr(b"800123456"));
        assert!(!fr(b"712345678"));
        assert!(!fr(b"870123456"));
        assert!(be(b"25021111"));
        assert!(be(b"42212111"));
        assert!(be(b"475123456"));
        assert!(!be(b"77123456"));
        assert!(!be(b"435123456"));
        assert!(nanp(b"+12025550143"));
        assert!(!nanp(b"+19115550143"));
        assert!(!nanp(b"+12021110143"));
    }
}
