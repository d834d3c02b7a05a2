//! The second factor: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps,
//! ±1 step of clock skew) with replay refused.
//!
//! Why our own layer over `totp-rs`: the library compares in constant time but
//! keeps no state, and ASVS V6.5.1 requires single use — so every check takes
//! the last accepted step and only a later step passes. Time is passed in.

use chrono::{DateTime, Utc};
use totp_rs::{Algorithm, Builder, Secret as TotpSecret, Totp};
use zeroize::Zeroizing;

use crate::error::AuthError;
use crate::secret::random_bytes;

/// Seconds per step (ASVS V6.5.5: a code lives at most 30 s).
pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: usize = 6;
/// Secret length: 160 bits, RFC 4226's recommendation (RELIABILITY T15).
pub const SECRET_BYTES: usize = 20;

/// A fresh random TOTP secret.
pub fn new_secret() -> Result<Zeroizing<Vec<u8>>, AuthError> {
    let mut secret = Zeroizing::new(vec![0u8; SECRET_BYTES]);
    random_bytes(&mut secret)?;
    Ok(secret)
}

fn totp(secret: &[u8]) -> Result<Totp, AuthError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .build()
        .map_err(|e| AuthError::Config(format!("TOTP secret: {e}")))
}

/// The step a code typed at `now` matches, if any, and only if it is later
/// than `last_used` (a code, once accepted, never passes again). Codes of the
/// previous, current and next step are accepted.
pub fn verify(
    secret: &[u8],
    code: &str,
    now: DateTime<Utc>,
    last_used: Option<u64>,
) -> Result<Option<u64>, AuthError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let Ok(time) = u64::try_from(now.timestamp()) else {
        return Ok(None);
    };
    let step = totp(secret)?.check(&code, time);
    Ok(step.filter(|s| last_used.is_none_or(|last| *s > last)))
}

/// The code for `at` (for tests and for the enrolment page's self-check).
pub fn code_at(secret: &[u8], at: DateTime<Utc>) -> Result<String, AuthError> {
    let time =
        u64::try_from(at.timestamp()).map_err(|_| AuthError::Config("time before 1970".into()))?;
    Ok(totp(secret)?.generate(time).to_string())
}

/// The secret in base 32 without padding, as authenticator apps take it.
pub fn secret_base32(secret: &[u8]) -> String {
    TotpSecret::from(secret.to_vec())
        .to_base32()
        .trim_end_matches('=')
        .to_string()
}

/// `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`
/// (the Key URI format read by authenticator apps).
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret_base32(secret),
    )
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    /// RFC 6238 Appendix B, SHA-1 seed "12345678901234567890" (8-digit values;
    /// with 6 digits the last six are expected).
    #[test]
    fn rfc6238_appendix_b_vectors() {
        let seed = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(seed, at(time)).unwrap(), expected[2..], "t={time}");
        }
    }

    #[test]
    fn one_step_of_skew_either_way_and_no_more() {
        let secret = new_secret().unwrap();
        let now = at(1_800_000_000);
        for offset in [-30, 0, 30] {
            let code = code_at(&secret, at(1_800_000_000 + offset)).unwrap();
            assert!(
                verify(&secret, &code, now, None).unwrap().is_some(),
                "{offset}"
            );
        }
        for offset in [-90, 90] {
            let code = code_at(&secret, at(1_800_000_000 + offset)).unwrap();
            assert_eq!(verify(&secret, &code, now, None).unwrap(), None, "{offset}");
        }
    }

    #[test]
    fn a_used_step_and_earlier_ones_never_pass_again() {
        let secret = new_secret().unwrap();
        let now = at(1_800_000_000);
        let code = code_at(&secret, now).unwrap();
        let step = verify(&secret, &code, now, None).unwrap().unwrap();
        assert_eq!(step, 1_800_000_000 / 30);
        assert_eq!(verify(&secret, &code, now, Some(step)).unwrap(), None);
        let previous = code_at(&secret, at(1_800_000_000 - 30)).unwrap();
        assert_eq!(verify(&secret, &previous, now, Some(step)).unwrap(), None);
        let next = at(1_800_000_000 + 30);
        let code = code_at(&secret, next).unwrap();
        assert_eq!(
            verify(&secret, &code, next, Some(step)).unwrap(),
            Some(step + 1)
        );
    }

    #[test]
    fn malformed_codes_are_simply_wrong() {
        let secret = new_secret().unwrap();
        for bad in ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"] {
            assert_eq!(verify(&secret, bad, at(1_800_000_000), None).unwrap(), None);
        }
    }

    #[test]
    fn the_uri_carries_issuer_account_and_base32_secret() {
        let uri = otpauth_uri(b"12345678901234567890", "Hébergix Habeas", "alice");
        assert_eq!(
            uri,
            "otpauth://totp/H%C3%A9bergix%20Habeas:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=H%C3%A9bergix%20Habeas&algorithm=SHA1&digits=6&period=30"
        );
    }
}
