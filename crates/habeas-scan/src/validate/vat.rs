//! EU VAT identification numbers: the per-country check-digit rules of the Member States'
//! numbering schemes (as implemented by the European Commission's VIES format checks and
//! python-stdnum). Covered: FR, BE, DE, NL, LU, IT, AT, DK, FI, PL, PT, SE. Other countries'
//! numbers are not reported (no format-only guesses).

use super::{digits_mod, digits_value, luhn};

/// `compact`: country prefix + number, upper-case, no separators.
pub fn is_valid(compact: &[u8]) -> bool {
    if compact.len() < 4 {
        return false;
    }
    let (cc, n) = compact.split_at(2);
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    match cc {
        b"FR" => fr(n),
        b"BE" => all_digits(n) && n.len() == 10 && matches!(n[0], b'0' | b'1') && mod97_tail(n, 8),
        b"DE" => all_digits(n) && n.len() == 9 && n[0] != b'0' && de(n),
        b"NL" => nl(n),
        b"LU" => all_digits(n) && n.len() == 8 && mod_tail(&n[..6], 89) == digits_value(&n[6..]),
        b"IT" => all_digits(n) && n.len() == 11 && luhn(n),
        b"AT" => n.len() == 9 && n[0] == b'U' && all_digits(&n[1..]) && at(&n[1..]),
        b"DK" => all_digits(n) && n.len() == 8 && weighted(n, &[2, 7, 6, 5, 4, 3, 2, 1]) % 11 == 0,
        b"FI" => all_digits(n) && n.len() == 8 && weighted(n, &[7, 9, 10, 5, 8, 4, 2, 1]) % 11 == 0,
        b"PL" => {
            all_digits(n)
                && n.len() == 10
                && weighted(&n[..9], &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11 == i64::from(n[9] - b'0')
        }
        b"PT" => all_digits(n) && n.len() == 9 && pt(n),
        b"SE" => all_digits(n) && n.len() == 12 && &n[10..] == b"01" && luhn(&n[..10]),
        _ => false,
    }
}

fn weighted(n: &[u8], w: &[i64]) -> i64 {
    n.iter()
        .zip(w)
        .map(|(&c, &w)| i64::from(c - b'0') * w)
        .sum()
}

fn mod_tail(n: &[u8], m: u64) -> Option<u64> {
    digits_mod(n, m)
}

/// Last two digits = 97 − (first `k` digits mod 97).
fn mod97_tail(n: &[u8], k: usize) -> bool {
    match (digits_mod(&n[..k], 97), digits_value(&n[k..])) {
        (Some(r), Some(c)) => c == 97 - r,
        _ => false,
    }
}

/// France: 2-digit key = (12 + 3 × (SIREN mod 97)) mod 97, SIREN Luhn-valid.
/// (Keys with letters, issued to some non-resident companies, are not checked and not reported.)
fn fr(n: &[u8]) -> bool {
    if n.len() != 11 || !n.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let siren = &n[2..];
    let (Some(key), Some(s)) = (digits_value(&n[..2]), digits_mod(siren, 97)) else {
        return false;
    };
    luhn(siren) && key == (12 + 3 * s) % 97
}

/// Germany: ISO 7064 MOD 11,10.
fn de(n: &[u8]) -> bool {
    let mut p = 10u32;
    for &c in &n[..8] {
        let mut s = (u32::from(c - b'0') + p) % 10;
        if s == 0 {
            s = 10;
        }
        p = (2 * s) % 11;
    }
    (11 - p) % 10 == u32::from(n[8] - b'0')
}

/// Netherlands: 9 digits + "B" + 2 digits; mod 11 (weights 9..2, −1) or, for numbers issued
/// since 2020 to sole traders, ISO 7064 MOD 97-10 over "NL" + number.
fn nl(n: &[u8]) -> bool {
    if n.len() != 12 || n[9] != b'B' {
        return false;
    }
    let digits = &n[..9];
    if !digits.iter().all(u8::is_ascii_digit) || !n[10..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let s = weighted(digits, &[9, 8, 7, 6, 5, 4, 3, 2, -1]);
    if s.rem_euclid(11) == 0 {
        return true;
    }
    let mut r = 0u32;
    for &c in b"NL".iter().chain(n) {
        r = match c {
            b'0'..=b'9' => (r * 10 + u32::from(c - b'0')) % 97,
            _ => (r * 100 + u32::from(c - b'A' + 10)) % 97,
        };
    }
    r == 1
}

/// Austria: "U" + 7 digits + check = (6 − Luhn checksum of the 7 digits) mod 10
/// (python-stdnum `at.uid`).
fn at(n: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &c) in n[..7].iter().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    let check = (10 + 6 - sum % 10) % 10;
    check == u32::from(n[7] - b'0')
}

/// Portugal: weights 9..2, check = 11 − (sum mod 11), 10 and 11 written as 0 and 1's last digit.
fn pt(n: &[u8]) -> bool {
    let s = weighted(&n[..8], &[9, 8, 7, 6, 5, 4, 3, 2]);
    let c = (11 - s % 11) % 10;
    c == i64::from(n[8] - b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_examples_each_country() {
        // python-stdnum documentation examples (checked with stdnum 2.2).
        for v in [
            "FR40303265045",
            "FR23334175221",
            "BE0403019261",
            "DE136695976",
            "NL004495445B01",
            "LU15027442",
            "IT00743110157",
            "ATU13585627",
            "DK13585628",
            "FI20774740",
            "PL8567346215",
            "PT501964843",
            "SE123456789701",
        ] {
            assert!(is_valid(v.as_bytes()), "{v} should be valid");
        }
    }

    #[test]
    fn rejects_one_digit_off() {
        for v in [
            "FR41303265045",
            "BE0403019262",
            "DE136695977",
            "NL004495446B01",
            "LU15027443",
            "IT00743110158",
            "ATU13585628",
            "DK13585629",
            "FI20774741",
            "PL8567346216",
            "PT501964844",
            "SE123456789801",
            "ES12345678Z",
        ] {
            assert!(!is_valid(v.as_bytes()), "{v} should be invalid");
        }
    }
}
