//! French NIR ("numéro de sécurité sociale", INSEE registration number): 13 characters and a
//! 2-digit key = 97 − (N mod 97), where Corsican departments 2A and 2B count as 19 and 18
//! (INSEE, "Le numéro d'inscription au répertoire"; the same rule as python-stdnum `fr.nir`).
//! Its processing is restricted by Décret n° 2019-341 (NIR "cadre"), hence its high weight.

/// `compact` is 15 chars: sex, YY, MM, department (2 digits or 2A/2B), commune, order, key.
pub fn is_valid(compact: &[u8]) -> bool {
    if compact.len() != 15 {
        return false;
    }
    // Sex / status digit: 1–2 (registered), 3–4 and 7–8 (provisional numbers).
    if !matches!(compact[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    let dept = &compact[5..7];
    let corsica = match dept {
        b"2A" | b"2a" => Some(19u64),
        b"2B" | b"2b" => Some(18u64),
        _ => None,
    };
    let digits_ok = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    if !digits_ok(&compact[..5])
        || !digits_ok(&compact[7..])
        || (corsica.is_none() && !digits_ok(dept))
    {
        return false;
    }
    // Month: 01–12, 20–42 or 50–99 for unknown months (INSEE special codes).
    let mm = u32::from(compact[3] - b'0') * 10 + u32::from(compact[4] - b'0');
    if !((1..=12).contains(&mm) || (20..=42).contains(&mm) || (50..=99).contains(&mm)) {
        return false;
    }
    let mut n: u64 = 0;
    for (i, &c) in compact[..13].iter().enumerate() {
        if i == 5
            && let Some(v) = corsica
        {
            n = n * 100 + v;
            continue;
        }
        if i == 6 && corsica.is_some() {
            continue;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    let key = u64::from(compact[13] - b'0') * 10 + u64::from(compact[14] - b'0');
    let expected = 97 - n % 97;
    key == expected || (expected == 97 && key == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_examples() {
        // python-stdnum fr.nir documentation examples.
        assert!(is_valid(b"295109912611193"));
        assert!(is_valid(b"253072B07300470"));
        assert!(is_valid(b"253072A07300443"));
    }

    #[test]
    fn rejects_bad_key_month_and_sex() {
        assert!(!is_valid(b"295109912611199"));
        assert!(!is_valid(b"253072C07300443"));
        assert!(!is_valid(b"595109912611193"));
        assert!(!is_valid(b"29510991261119"));
    }
}
