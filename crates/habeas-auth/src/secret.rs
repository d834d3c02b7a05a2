//! One-time secrets handed to a person (initial passwords, recovery codes) and
//! the random source behind every secret of this crate.
//!
//! Why a type: a secret must never end up in a log line by accident, so it has
//! no `Display`, its `Debug` is redacted, and its bytes are wiped on drop.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::AuthError;

/// A secret string shown once to its owner (never stored in clear).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub(crate) fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    /// The secret itself, to show to its owner once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Fills `buf` from the operating system's CSPRNG (ASVS V11.5.1).
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), AuthError> {
    getrandom::fill(buf).map_err(|e| AuthError::Random(e.to_string()))
}

/// Crockford's base-32 alphabet (no i, l, o, u): easy to read aloud and type.
pub(crate) const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// `groups` groups of `len` random characters of [`ALPHABET`], joined by '-'
/// (5 bits of entropy per character; 256 is a multiple of 32, so no bias).
pub(crate) fn random_code(groups: usize, len: usize) -> Result<Secret, AuthError> {
    let mut bytes = Zeroizing::new(vec![0u8; groups * len]);
    random_bytes(&mut bytes)?;
    let mut out = String::with_capacity(groups * (len + 1));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % len == 0 {
            out.push('-');
        }
        out.push(ALPHABET[(*b % 32) as usize] as char);
    }
    Ok(Secret::new(out))
}

/// Lower-cases a typed code and maps look-alikes the way Crockford's base 32
/// does (o → 0, i/l → 1); drops '-' and spaces.
pub(crate) fn normalise_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_asked_shape_and_differ() {
        let a = random_code(4, 4).unwrap();
        let b = random_code(4, 4).unwrap();
        assert_eq!(a.expose().len(), 19);
        assert_eq!(a.expose().matches('-').count(), 3);
        assert!(
            a.expose()
                .bytes()
                .all(|c| c == b'-' || ALPHABET.contains(&c))
        );
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalise_code("AB0O-1IL "), "ab00111");
    }
}
