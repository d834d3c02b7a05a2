//! Associated data: the identity a ciphertext is bound to.
//!
//! An AEAD authenticates its associated data without storing it. We put the
//! record's identity there (subject, category, record, field), so a ciphertext
//! copied into another record's row, another subject or another field fails to
//! open (the "move" test of Vault's barrier, RELIABILITY.md §1.1; the
//! `gdpr-officer` package passes no AAD and lets values be swapped, §1.8).
//!
//! The encoding is canonical and unambiguous: a domain label, then every part
//! as a 4-byte big-endian length followed by its bytes. Without the lengths,
//! `("ab", "c")` and `("a", "bc")` would bind to the same bytes.

/// Canonical associated data: a domain label and length-prefixed parts.
#[derive(Clone, PartialEq, Eq)]
pub struct Aad {
    bytes: Vec<u8>,
}

/// The domain of a data key's wrapping AAD (see [`Aad::data_key`]).
pub const DOMAIN_DATA_KEY: &str = "habeas/data-key/v1";
/// The domain of a record field's AAD (see [`Aad::record_field`]).
pub const DOMAIN_RECORD_FIELD: &str = "habeas/record-field/v1";

impl Aad {
    /// Start associated data for `domain` (a fixed label naming what is
    /// bound, e.g. `habeas/record-field/v1`; part of the bytes, so two uses
    /// with the same parts never collide).
    pub fn new(domain: &str) -> Self {
        let mut aad = Aad {
            bytes: Vec::with_capacity(64),
        };
        aad.push(domain.as_bytes());
        aad
    }

    /// Append one part (a subject id, a category name …).
    #[must_use]
    pub fn with(mut self, part: impl AsRef<[u8]>) -> Self {
        self.push(part.as_ref());
        self
    }

    /// Append one part in place.
    pub fn push(&mut self, part: &[u8]) {
        // Parts are ids and names; a part over 4 GiB is a programming error that
        // must not alias a shorter one, so saturate and keep the full bytes.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(&len.to_be_bytes());
        self.bytes.extend_from_slice(part);
    }

    /// The AAD of one encrypted field of one record:
    /// `subject ‖ category ‖ record ‖ field`.
    pub fn record_field(subject: &str, category: &str, record: &str, field: &str) -> Self {
        // Sized once: a read opens thousands of these (ids alone overflow `new`'s 64 bytes).
        let parts = [DOMAIN_RECORD_FIELD, subject, category, record, field];
        let mut aad = Aad {
            bytes: Vec::with_capacity(parts.iter().map(|p| 4 + p.len()).sum()),
        };
        for part in parts {
            aad.push(part.as_bytes());
        }
        aad
    }

    /// The AAD a (subject, category) data key is wrapped with, so a wrapped
    /// key copied to another subject's or category's row does not unwrap.
    pub fn data_key(subject: &str, category: &str) -> Self {
        Aad::new(DOMAIN_DATA_KEY).with(subject).with(category)
    }

    /// The canonical bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for Aad {
    /// Only the length: parts are identifiers of personal-data records.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Aad({} bytes)", self.bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_length_prefixed_so_boundaries_cannot_shift() {
        let a = Aad::new("d").with("ab").with("c");
        let b = Aad::new("d").with("a").with("bc");
        assert_ne!(a, b);
        assert_eq!(
            a.as_bytes(),
            b"\0\0\0\x01d\0\0\0\x02ab\0\0\0\x01c".as_slice()
        );
    }

    #[test]
    fn domains_separate_equal_parts() {
        assert_ne!(
            Aad::data_key("s", "c").as_bytes(),
            Aad::new(DOMAIN_RECORD_FIELD).with("s").with("c").as_bytes()
        );
    }

    #[test]
    fn debug_does_not_show_the_identity() {
        let aad = Aad::record_field("subject-42", "billing", "r1", "iban");
        let shown = format!("{aad:?}");
        assert!(!shown.contains("subject-42"), "{shown}");
        assert_eq!(shown, format!("Aad({} bytes)", aad.as_bytes().len()));
    }
}
