//! Belgian national register number (rijksregisternummer / numéro de registre national):
//! YYMMDD + 3-digit serial + 2-digit check = 97 − (first 9 digits mod 97); for people born
//! from 2000 the check is computed over "2" followed by the 9 digits (Arrêté royal du
//! 25 mars 2003; same rule as python-stdnum `be.nn`). Bis numbers add 20 or 40 to the month.

use super::digits_mod;

/// `compact` is 11 ASCII digits.
pub fn is_valid(compact: &[u8]) -> bool {
    if compact.len() != 11 || !compact.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mm = u32::from(compact[2] - b'0') * 10 + u32::from(compact[3] - b'0');
    let dd = u32::from(compact[4] - b'0') * 10 + u32::from(compact[5] - b'0');
    // Month 0 / day 0 are used when the date is unknown; +20 / +40 mark bis numbers.
    if mm % 20 > 12 || mm > 52 || dd > 31 {
        return false;
    }
    let check = u64::from(compact[9] - b'0') * 10 + u64::from(compact[10] - b'0');
    let Some(r19) = digits_mod(&compact[..9], 97) else {
        return false;
    };
    let r20 = (2_000_000_000u64 % 97 + r19) % 97;
    check == 97 - r19 || check == 97 - r20
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_examples() {
        // python-stdnum be.nn documentation: 85.07.30-033 28.
        assert!(is_valid(b"85073003328"));
        // Born in 2000s: checksum over 2 + first nine digits (stdnum test data).
        assert!(is_valid(b"17073003384"));
    }

    #[test]
    fn rejects_bad_check_and_date() {
        assert!(!is_valid(b"85073003329"));
        assert!(!is_valid(b"85133003328"));
        assert!(!is_valid(b"8507300332"));
    }
}
