//! Payment card numbers: Luhn (ISO/IEC 7812-1) plus the issuer identification ranges and
//! lengths published by the networks (Visa, Mastercard incl. the 2221–2720 range, American
//! Express, Discover, JCB, Diners Club, Maestro, UnionPay). A Luhn-valid number outside every
//! issuer range is not reported: SIRETs and random references pass Luhn one time in ten.

use super::luhn;

/// The card network of a valid card number, or None.
pub fn network(digits: &[u8]) -> Option<&'static str> {
    let n = digits.len();
    if !(12..=19).contains(&n) || !luhn(digits) {
        return None;
    }
    let p = |k: usize| -> u32 {
        digits[..k]
            .iter()
            .fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'))
    };
    let (p1, p2, p3, p4, p6) = (p(1), p(2), p(3), p(4), p(6));
    if p1 == 4 && matches!(n, 13 | 16 | 19) {
        return Some("visa");
    }
    if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16 {
        return Some("mastercard");
    }
    if (p2 == 34 || p2 == 37) && n == 15 {
        return Some("amex");
    }
    if (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6))
        && (16..=19).contains(&n)
    {
        return Some("discover");
    }
    if (3528..=3589).contains(&p4) && (16..=19).contains(&n) {
        return Some("jcb");
    }
    if ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&n) {
        return Some("diners");
    }
    if p2 == 62 && (16..=19).contains(&n) {
        return Some("unionpay");
    }
    if (p2 == 50 || (56..=69).contains(&p2)) && (12..=19).contains(&n) {
        return Some("maestro");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_test_numbers() {
        // Stripe / PayPal published test card numbers.
        assert_eq!(network(b"4242424242424242"), Some("visa"));
        assert_eq!(network(b"4111111111111111"), Some("visa"));
        assert_eq!(network(b"5555555555554444"), Some("mastercard"));
        assert_eq!(network(b"2223003122003222"), Some("mastercard"));
        assert_eq!(network(b"378282246310005"), Some("amex"));
        assert_eq!(network(b"6011111111111117"), Some("discover"));
        assert_eq!(network(b"3530111333300000"), Some("jcb"));
        assert_eq!(network(b"30569309025904"), Some("diners"));
    }

    #[test]
    fn rejects_bad_checksum_and_unknown_ranges() {
        assert_eq!(network(b"4242424242424241"), None);
        // Luhn-valid but no issuer starts with 9.
        assert_eq!(network(b"9999999999999995"), None);
        // A SIRET (La Poste head office) is Luhn-shaped but 14 digits outside card ranges.
        assert_eq!(network(b"73282932000074"), None);
    }
}
