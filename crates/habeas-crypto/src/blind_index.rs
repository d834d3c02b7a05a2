//! Blind indexes and pseudonyms: lookup by identifier without plaintext.
//!
//! A blind index is HMAC-SHA-256 of a normalised identifier under a secret key
//! kept outside the database (RELIABILITY.md §4: blind indexes, not
//! deterministic encryption). The store keeps only the 32-byte digest, so
//! "find the subject with this e-mail" works by equality while the database
//! files contain no e-mail address. Without the key, an attacker holding the
//! database cannot test guesses (a plain hash of an e-mail can be reversed by
//! trying candidate addresses).
//!
//! Domain separation: the MAC input is the length-prefixed triple
//! `("habeas/blind-index/v1", kind, value)`, so equal values of different
//! kinds (a customer number `0612345678` and a phone number written the same)
//! give unrelated digests and never match each other.
//!
//! Subkeys: the key file's secret is not used directly; HKDF-SHA-256 derives
//! one key for indexes and one for pseudonyms, so the two outputs cannot be
//! related even for equal inputs.
//!
//! Normalisation is done before indexing so that `Alice@Example.org ` and
//! `alice@example.org` find the same subject:
//! - e-mail: see [`normalize_email`];
//! - phone: the caller normalises to E.164 (with the declared default
//!   country); [`BlindIndexer::index_phone`] only checks the E.164 shape;
//! - other kinds (customer number …): indexed as given, after trimming.
//!
//! Pseudonyms ([`BlindIndexer::pseudonym`]) are keyed, truncated HMACs used
//! when anonymising records (statistics kept after erasure). While the key
//! exists they are *pseudonymous* data, still personal data (GDPR Art. 4(5),
//! recital 26); they become anonymous only for someone who can never obtain
//! the key.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::keyfile::Secret32;
use crate::random;

type HmacSha256 = Hmac<Sha256>;

/// The kind of an identifier (part of the MAC input). Lowercase ASCII
/// letters, digits, `-`, `_` and `.`, 1 to 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdentifierKind(std::borrow::Cow<'static, str>);

impl IdentifierKind {
    /// E-mail addresses (normalised by [`normalize_email`]).
    pub const EMAIL: IdentifierKind = IdentifierKind(std::borrow::Cow::Borrowed("email"));
    /// Phone numbers in E.164 (`+33612345678`).
    pub const PHONE: IdentifierKind = IdentifierKind(std::borrow::Cow::Borrowed("phone"));
    /// The provider's customer number.
    pub const CUSTOMER_NUMBER: IdentifierKind =
        IdentifierKind(std::borrow::Cow::Borrowed("customer_number"));

    /// A declared identifier kind.
    pub fn new(kind: &str) -> Result<Self> {
        let ok = !kind.is_empty()
            && kind.len() <= 64
            && kind.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
            });
        if ok {
            Ok(IdentifierKind(std::borrow::Cow::Owned(kind.to_string())))
        } else {
            Err(CryptoError::Config(format!(
                "identifier kind `{kind}`: use 1 to 64 lowercase letters, digits, `-`, `_` or `.`"
            )))
        }
    }

    /// The kind's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A 32-byte blind-index digest, stored and compared by the store.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlindIndex(pub [u8; 32]);

impl BlindIndex {
    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex of the digest.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for BlindIndex {
    /// A prefix only: enough to tell digests apart in a test failure.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BlindIndex({}…)", hex::encode(&self.0[..4]))
    }
}

/// Computes blind indexes and pseudonyms under the blind-index key.
#[derive(Clone)]
pub struct BlindIndexer {
    index_mac: HmacSha256,
    pseudonym_mac: HmacSha256,
}

const INDEX_DOMAIN: &[u8] = b"habeas/blind-index/v1";
const PSEUDONYM_DOMAIN: &[u8] = b"habeas/pseudonym/v1";

impl BlindIndexer {
    pub(crate) fn from_secret(secret: &Secret32) -> Result<Self> {
        let hk = Hkdf::<Sha256>::new(None, secret.as_ref());
        let derive = |info: &[u8]| -> Result<HmacSha256> {
            let mut sub = Zeroizing::new([0u8; 32]);
            hk.expand(info, sub.as_mut())
                .map_err(|_| CryptoError::Config("HKDF expansion failed".into()))?;
            <HmacSha256 as KeyInit>::new_from_slice(sub.as_ref())
                .map_err(|_| CryptoError::Config("HMAC key rejected".into()))
        };
        Ok(BlindIndexer {
            index_mac: derive(b"habeas/subkey/blind-index/v1")?,
            pseudonym_mac: derive(b"habeas/subkey/pseudonym/v1")?,
        })
    }

    /// A fresh random indexer and its secret to store.
    pub(crate) fn generate() -> Result<(Self, Secret32)> {
        let mut secret = Zeroizing::new([0u8; 32]);
        random::fill(secret.as_mut())?;
        Ok((Self::from_secret(&secret)?, secret))
    }

    /// Index an already-normalised value of `kind`. Trims surrounding
    /// whitespace; refuses an empty value.
    pub fn index(&self, kind: &IdentifierKind, normalized: &str) -> Result<BlindIndex> {
        let value = normalized.trim();
        if value.is_empty() {
            return Err(CryptoError::Identifier {
                kind: kind.as_str().to_string(),
                reason: "the value is empty".into(),
            });
        }
        Ok(BlindIndex(keyed_digest(
            &self.index_mac,
            INDEX_DOMAIN,
            kind.as_str().as_bytes(),
            value.as_bytes(),
        )))
    }

    /// Normalise an e-mail address ([`normalize_email`]) and index it.
    pub fn index_email(&self, raw: &str) -> Result<BlindIndex> {
        let normalized = Zeroizing::new(normalize_email(raw)?);
        self.index(&IdentifierKind::EMAIL, &normalized)
    }

    /// Index a phone number the caller already normalised to E.164.
    pub fn index_phone(&self, e164: &str) -> Result<BlindIndex> {
        check_e164(e164)?;
        self.index(&IdentifierKind::PHONE, e164)
    }

    /// A stable pseudonym for `value` in `context` (e.g. `customer` or a
    /// statistics table): HMAC-SHA-256 truncated to 128 bits, lowercase base32
    /// without padding (26 characters). Different contexts give unrelated
    /// pseudonyms for one value.
    pub fn pseudonym(&self, context: &str, value: &[u8]) -> String {
        let digest = keyed_digest(
            &self.pseudonym_mac,
            PSEUDONYM_DOMAIN,
            context.as_bytes(),
            value,
        );
        base32_lower(&digest[..16])
    }
}

impl std::fmt::Debug for BlindIndexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndexer(…)")
    }
}

/// HMAC over `domain ‖ kind ‖ value`, each with a 4-byte big-endian length.
fn keyed_digest(mac: &HmacSha256, domain: &[u8], kind: &[u8], value: &[u8]) -> [u8; 32] {
    let mut mac = mac.clone();
    for part in [domain, kind, value] {
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        mac.update(&len.to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Normalise an e-mail address for indexing: trim, lowercase, and convert the
/// domain to its ASCII (IDNA/punycode) form.
///
/// - The whole address is lowercased (Unicode lowercase). RFC 5321 §2.4 lets a
///   server treat the local part as case-sensitive, but no mainstream provider
///   does, and people type their address with varying case; treating
///   `Alice@` and `alice@` as one person is the safer choice for finding a
///   data subject's records (GDPR Art. 15 asks for *all* of them).
/// - The domain goes through UTS #46 processing with the STD3 rules and the
///   DNS length checks (`idna::domain_to_ascii_strict`, as the mail lists do):
///   `müller@bücher.example` and `müller@xn--bcher-kva.example` index the same,
///   and what comes out is a host name (letters, digits, `-`, dots). The
///   lenient mapping let through domains that map to spaces or quotes (`'˚`
///   becomes `' ̊`), whose normal form was then refused as an address: a
///   stored address that could never be found again (found by the fuzz target
///   `crypto_envelope`).
///   The local part is kept as typed apart from lowercasing (no NFC
///   normalisation, no removal of dots or `+tags`: those are provider-specific).
/// - The address must contain exactly one `@` with text on both sides.
pub fn normalize_email(raw: &str) -> Result<String> {
    let refuse = |reason: &str| CryptoError::Identifier {
        kind: "email".into(),
        reason: reason.into(),
    };
    let trimmed = raw.trim();
    let Some((local, domain)) = trimmed.rsplit_once('@') else {
        return Err(refuse("an e-mail address needs an `@`"));
    };
    if local.is_empty() || domain.is_empty() {
        return Err(refuse("text is missing before or after the `@`"));
    }
    if local.contains('@') {
        return Err(refuse("more than one `@` outside a quoted local part"));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(refuse("spaces or control characters inside the address"));
    }
    let domain = idna::domain_to_ascii_strict(domain)
        .map_err(|_| refuse("the domain is not a valid (internationalised) domain name"))?;
    if domain.is_empty() {
        return Err(refuse("the domain is empty after normalisation"));
    }
    Ok(format!("{}@{}", local.to_lowercase(), domain))
}

/// Check the E.164 shape: `+`, a non-zero digit, then 6 to 14 more digits
/// (ITU-T E.164 allows at most 15 digits).
pub fn check_e164(value: &str) -> Result<()> {
    let refuse = |reason: &str| CryptoError::Identifier {
        kind: "phone".into(),
        reason: reason.into(),
    };
    let Some(digits) = value.strip_prefix('+') else {
        return Err(refuse(
            "not in E.164 form: it must start with `+` and the country code (e.g. +33…); \
             normalise it before indexing",
        ));
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse("E.164 allows only digits after the `+`"));
    }
    if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(refuse(
            "E.164 numbers have 7 to 15 digits and a country code not starting with 0",
        ));
    }
    Ok(())
}

/// RFC 4648 base32, lowercase, no padding.
fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexer(byte: u8) -> BlindIndexer {
        BlindIndexer::from_secret(&Zeroizing::new([byte; 32])).expect("indexer")
    }

    #[test]
    fn equal_normalised_emails_share_an_index() {
        let ix = indexer(1);
        let a = ix.index_email("  Alice.Martin@Example.ORG ").expect("a");
        let b = ix.index_email("alice.martin@example.org").expect("b");
        assert_eq!(a, b);
        assert_ne!(a, ix.index_email("alice.martin@example.com").expect("c"));
    }

    #[test]
    fn idn_domains_index_like_their_punycode() {
        let ix = indexer(1);
        assert_eq!(
            normalize_email("Müller@Bücher.example").expect("idn"),
            "müller@xn--bcher-kva.example"
        );
        assert_eq!(
            ix.index_email("müller@bücher.example").expect("u"),
            ix.index_email("müller@xn--bcher-kva.example").expect("a")
        );
    }

    #[test]
    fn a_domain_that_maps_to_no_host_name_is_refused() {
        // UTS #46 maps U+02DA to a space and a combining ring: the lenient
        // mapping gave `+@xn--' rg-6wc86s`, refused when normalised again.
        for raw in [
            "+@'\u{2da}\u{470}RG",
            "a@exa mple.org",
            "a@under_score.example",
            "a@[192.0.2.1]",
        ] {
            assert!(normalize_email(raw).is_err(), "{raw:?} was accepted");
        }
        for raw in [
            "Alice@Example.ORG",
            "müller@bücher.example",
            "x+tag@sub.example.co.uk",
        ] {
            let once = normalize_email(raw).expect("valid");
            assert_eq!(normalize_email(&once).expect("again"), once, "{raw:?}");
        }
    }

    #[test]
    fn kinds_are_domain_separated() {
        let ix = indexer(1);
        let customer = IdentifierKind::new("customer_number").expect("kind");
        assert_ne!(
            ix.index(&customer, "+33612345678").expect("c"),
            ix.index_phone("+33612345678").expect("p")
        );
    }

    #[test]
    fn another_key_gives_other_indexes() {
        assert_ne!(
            indexer(1).index_phone("+32470123456").expect("a"),
            indexer(2).index_phone("+32470123456").expect("b")
        );
    }

    #[test]
    fn index_is_stable_across_releases() {
        // A changed digest would orphan every stored index: pin one value,
        // computed independently with Python's hmac/hashlib from the
        // documented construction (HKDF-SHA-256 subkey, length-prefixed parts).
        let ix = indexer(0x42);
        let alice = ix.index_email("alice@example.org").expect("i");
        assert_eq!(alice.to_hex(), STABLE_ALICE);
        // The bytes the store keeps are those digits.
        assert_eq!(hex::encode(alice.as_bytes()), STABLE_ALICE);
        // Printed: a digest's first four bytes, an indexer nothing of its keys.
        assert_eq!(
            format!("{alice:?}"),
            format!("BlindIndex({}…)", &STABLE_ALICE[..8])
        );
        assert_eq!(format!("{ix:?}"), "BlindIndexer(…)");
    }
    const STABLE_ALICE: &str = "2c921792389a217bd405e5591ff32acb404743090cf1f3d5ea8206bb71d25c54";

    #[test]
    fn bad_identifiers_are_refused_without_echoing_the_value() {
        let ix = indexer(1);
        for bad in ["", "alice", "@example.org", "alice@", "al ice@example.org"] {
            let err = ix.index_email(bad).expect_err(bad);
            if !bad.is_empty() {
                assert!(!err.to_string().contains(bad), "{err}");
            }
        }
        for bad in [
            "0612345678",
            "+0612345678",
            "+33 6 12",
            "+336",
            "+3361234567890123",
        ] {
            let err = ix.index_phone(bad).expect_err(bad);
            assert!(!err.to_string().contains(bad), "{err}");
        }
        assert!(IdentifierKind::new("E-mail").is_err());
    }

    #[test]
    fn pseudonyms_are_stable_short_and_context_separated() {
        let ix = indexer(1);
        let p = ix.pseudonym("customer", b"C-001");
        assert_eq!(p.len(), 26);
        assert!(
            p.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        );
        assert_eq!(p, ix.pseudonym("customer", b"C-001"));
        assert_ne!(p, ix.pseudonym("stats", b"C-001"));
        assert_ne!(p, indexer(2).pseudonym("customer", b"C-001"));
    }

    #[test]
    fn base32_matches_rfc4648_vectors() {
        assert_eq!(base32_lower(b"f"), "my");
        assert_eq!(base32_lower(b"fo"), "mzxq");
        assert_eq!(
            base32_lower(b"fooba"),
            "mzxw6ytb",
            "no extra digit on a 5-byte edge"
        );
        assert_eq!(base32_lower(b"foobar"), "mzxw6ytboi");
        assert_eq!(base32_lower(b""), "");
    }
}
