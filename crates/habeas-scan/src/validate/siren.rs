//! SIREN (9 digits) and SIRET (SIREN + 5-digit establishment number): Luhn over the whole
//! number (INSEE, "Répertoire Sirene"). La Poste's establishments (SIREN 356 000 000) use
//! a digit sum multiple of 5 instead, because there are too many of them for the Luhn key.

use super::luhn;

pub fn siren_is_valid(compact: &[u8]) -> bool {
    compact.len() == 9 && luhn(compact) && compact != b"000000000"
}

pub fn siret_is_valid(compact: &[u8]) -> bool {
    if compact.len() != 14 || !compact.iter().all(u8::is_ascii_digit) {
        return false;
    }
    // La Poste's establishments other than its head office use the digit-sum rule.
    if &compact[..9] == b"356000000" && compact != b"35600000000048" {
        let sum: u32 = compact.iter().map(|&c| u32::from(c - b'0')).sum();
        return sum.is_multiple_of(5);
    }
    siren_is_valid(&compact[..9]) && luhn(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_examples() {
        // python-stdnum fr.siren / fr.siret documentation examples.
        assert!(siren_is_valid(b"552008443"));
        assert!(siren_is_valid(b"404833048"));
        assert!(siret_is_valid(b"73282932000074"));
        // La Poste head office (Luhn) and one of its establishments (digit sum).
        assert!(siret_is_valid(b"35600000000048"));
        assert!(siret_is_valid(b"35600000000001"));
    }

    #[test]
    fn rejects_bad_checksums() {
        assert!(!siren_is_valid(b"404833047"));
        assert!(!siret_is_valid(b"73282932000075"));
        assert!(!siret_is_valid(b"35600000000002"));
        assert!(!siren_is_valid(b"000000000"));
    }
}
