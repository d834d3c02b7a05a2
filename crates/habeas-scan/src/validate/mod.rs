//! Checksum validators. Each works on the compact form (separators removed) and is only
//! called on candidates the detectors already shaped, so they stay simple and allocation-free.
//!
//! Sources of the rules are cited in each module; tests use published example numbers.

pub mod card;
pub mod iban;
pub mod nir;
pub mod nrn;
pub mod siren;
pub mod vat;

/// Luhn (ISO/IEC 7812-1 annex B) over ASCII digits. False on any non-digit or empty input.
pub fn luhn(digits: &[u8]) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum = 0u32;
    for (i, &c) in digits.iter().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// Value of a run of ASCII digits modulo `m` (no overflow for any length).
pub fn digits_mod(digits: &[u8], m: u64) -> Option<u64> {
    let mut r = 0u64;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        r = (r * 10 + u64::from(c - b'0')) % m;
    }
    Some(r)
}

/// Parse up to 18 ASCII digits.
pub fn digits_value(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v = 0u64;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_published_examples() {
        // Wikipedia "Luhn algorithm" example account number.
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b"79927398710"));
        assert!(!luhn(b""));
        assert!(!luhn(b"7992739871a"));
    }
}
