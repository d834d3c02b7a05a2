//! The audit journal's cryptography: a SHA-256 hash chain over entries and
//! Ed25519-signed checkpoints of the chain head.
//!
//! Chain: `h(0) = GENESIS` (32 zero bytes) and
//! `h(n) = SHA-256("habeas/journal-chain/v1" ‖ h(n-1) ‖ len(entry) ‖ entry)`
//! with `len` a 8-byte big-endian length. Editing, deleting or reordering any
//! entry changes every later hash, so verification names the first entry whose
//! recomputed hash differs from the stored one (issue 3, point 7).
//!
//! A hash chain alone only detects tampering if its head is anchored where an
//! attacker with database access cannot rewrite it (RELIABILITY.md §0.5). The
//! engine therefore signs a [`Checkpoint`] (entry count and head hash) every so
//! often with an Ed25519 key kept outside the database; rewriting history then
//! requires the signing key too. Publishing the public key (or checkpoints) to
//! a second place strengthens this further.
//!
//! Retention of old segments: to drop entries `1..=k`, the engine keeps `h(k)`
//! (and the signed checkpoint covering it) as the new starting point; entries
//! after `k` still verify from there.
//!
//! Signatures cover `"habeas/journal-checkpoint/v1" ‖ checkpoint bytes`, so a
//! checkpoint signature can never be replayed as a signature of anything else
//! made with the same key. Verification uses `verify_strict` (rejects weak
//! public keys and malleable signatures).

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{CryptoError, Result};
use crate::keyfile::Secret32;
use crate::random;

/// The hash that precedes the first entry.
pub const GENESIS: [u8; 32] = [0u8; 32];
const CHAIN_DOMAIN: &[u8] = b"habeas/journal-chain/v1";
const CHECKPOINT_DOMAIN: &[u8] = b"habeas/journal-checkpoint/v1";

/// The chain hash of `entry` following `prev` (see the module docs).
pub fn chain_hash(prev: &[u8; 32], entry: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(CHAIN_DOMAIN);
    hasher.update(prev);
    hasher.update((entry.len() as u64).to_be_bytes());
    hasher.update(entry);
    hasher.finalize().into()
}

/// What a checkpoint asserts: after `entries` entries (counting from the
/// journal's first entry ever, segments dropped included), the chain head
/// is `head`, as of `unix_time` (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Number of entries covered.
    pub entries: u64,
    /// Chain hash after the last covered entry.
    pub head: [u8; 32],
    /// When the checkpoint was made, Unix seconds.
    pub unix_time: i64,
}

/// Length of [`Checkpoint::to_bytes`].
pub const CHECKPOINT_LEN: usize = 1 + 8 + 32 + 8;

impl Checkpoint {
    /// Canonical bytes: `0x01 ‖ entries (u64 BE) ‖ head ‖ unix_time (i64 BE)`.
    pub fn to_bytes(&self) -> [u8; CHECKPOINT_LEN] {
        let mut out = [0u8; CHECKPOINT_LEN];
        out[0] = 1;
        out[1..9].copy_from_slice(&self.entries.to_be_bytes());
        out[9..41].copy_from_slice(&self.head);
        out[41..49].copy_from_slice(&self.unix_time.to_be_bytes());
        out
    }

    /// Parse canonical bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != CHECKPOINT_LEN || bytes[0] != 1 {
            return Err(CryptoError::malformed(
                "journal checkpoint",
                format!("expected {CHECKPOINT_LEN} bytes starting with version 1"),
            ));
        }
        let mut entries = [0u8; 8];
        entries.copy_from_slice(&bytes[1..9]);
        let mut head = [0u8; 32];
        head.copy_from_slice(&bytes[9..41]);
        let mut time = [0u8; 8];
        time.copy_from_slice(&bytes[41..49]);
        Ok(Checkpoint {
            entries: u64::from_be_bytes(entries),
            head,
            unix_time: i64::from_be_bytes(time),
        })
    }
}

/// A 64-byte Ed25519 signature of a checkpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CheckpointSignature(pub [u8; 64]);

impl CheckpointSignature {
    /// Parse 64 bytes read from the store.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        <[u8; 64]>::try_from(bytes)
            .map(CheckpointSignature)
            .map_err(|_| {
                CryptoError::malformed(
                    "checkpoint signature",
                    format!("{} bytes, 64 expected", bytes.len()),
                )
            })
    }

    /// The bytes to store.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }
}

impl std::fmt::Debug for CheckpointSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckpointSignature({}…)", hex::encode(&self.0[..6]))
    }
}

fn signed_message(checkpoint: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + checkpoint.len());
    msg.extend_from_slice(CHECKPOINT_DOMAIN);
    msg.extend_from_slice(checkpoint);
    msg
}

/// Signs journal checkpoints. Zeroizes its key on drop; cannot be printed.
pub struct JournalSigner {
    key: SigningKey,
}

impl JournalSigner {
    pub(crate) fn from_secret(seed: &Secret32) -> Self {
        JournalSigner {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// A fresh key and its 32-byte seed to store.
    pub(crate) fn generate() -> Result<(Self, Secret32)> {
        let mut seed = Zeroizing::new([0u8; 32]);
        random::fill(seed.as_mut())?;
        Ok((Self::from_secret(&seed), seed))
    }

    /// Sign canonical checkpoint bytes (normally [`Checkpoint::to_bytes`]).
    pub fn sign(&self, checkpoint: &[u8]) -> CheckpointSignature {
        CheckpointSignature(self.key.sign(&signed_message(checkpoint)).to_bytes())
    }

    /// Sign a checkpoint.
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> CheckpointSignature {
        self.sign(&checkpoint.to_bytes())
    }

    /// The public key that verifies this signer's checkpoints.
    pub fn public_key(&self) -> JournalPublicKey {
        JournalPublicKey(self.key.verifying_key())
    }
}

impl std::fmt::Debug for JournalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JournalSigner(public {})", self.public_key().to_hex())
    }
}

/// An Ed25519 public key that verifies checkpoints; safe to publish.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JournalPublicKey(VerifyingKey);

impl JournalPublicKey {
    /// Parse 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr = <[u8; 32]>::try_from(bytes).map_err(|_| {
            CryptoError::malformed(
                "journal public key",
                format!("{} bytes, 32 expected", bytes.len()),
            )
        })?;
        VerifyingKey::from_bytes(&arr)
            .map(JournalPublicKey)
            .map_err(|_| CryptoError::malformed("journal public key", "not a valid Ed25519 point"))
    }

    /// Parse 64 hex digits (as written in `journal-signing.pub`).
    pub fn from_hex(text: &str) -> Result<Self> {
        let bytes = hex::decode(text.trim())
            .map_err(|_| CryptoError::malformed("journal public key", "not hexadecimal"))?;
        Self::from_bytes(&bytes)
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// Check a checkpoint signature.
    pub fn verify(&self, checkpoint: &[u8], signature: &CheckpointSignature) -> Result<()> {
        let sig = Signature::from_bytes(&signature.0);
        self.0
            .verify_strict(&signed_message(checkpoint), &sig)
            .map_err(|_| CryptoError::BadSignature {
                public_key: self.to_hex(),
            })
    }

    /// Check the signature of a checkpoint.
    pub fn verify_checkpoint(
        &self,
        checkpoint: &Checkpoint,
        signature: &CheckpointSignature,
    ) -> Result<()> {
        self.verify(&checkpoint.to_bytes(), signature)
    }
}

impl std::fmt::Debug for JournalPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JournalPublicKey({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> JournalSigner {
        JournalSigner::from_secret(&Zeroizing::new([5u8; 32]))
    }

    fn chain(entries: &[&[u8]]) -> Vec<[u8; 32]> {
        let mut prev = GENESIS;
        entries
            .iter()
            .map(|e| {
                prev = chain_hash(&prev, e);
                prev
            })
            .collect()
    }

    #[test]
    fn chain_detects_edit_delete_and_reorder() {
        let original = chain(&[b"a", b"b", b"c"]);
        assert_ne!(chain(&[b"a", b"B", b"c"])[2], original[2], "edit");
        assert_ne!(chain(&[b"a", b"c"])[1], original[2], "delete");
        assert_ne!(chain(&[b"b", b"a", b"c"])[2], original[2], "reorder");
        assert_eq!(chain(&[b"a", b"b", b"c"]), original, "deterministic");
    }

    #[test]
    fn entry_boundaries_are_bound() {
        // ("ab","c") vs ("a","bc") must differ: lengths are hashed.
        assert_ne!(chain(&[b"ab", b"c"])[1], chain(&[b"a", b"bc"])[1]);
    }

    #[test]
    fn checkpoint_sign_verify_and_tamper() {
        let s = signer();
        let cp = Checkpoint {
            entries: 1000,
            head: chain(&[b"x"])[0],
            unix_time: 1_796_000_000,
        };
        let sig = s.sign_checkpoint(&cp);
        let public = JournalPublicKey::from_hex(&s.public_key().to_hex()).expect("hex");
        public.verify_checkpoint(&cp, &sig).expect("valid");

        let mut later = cp;
        later.entries = 999;
        assert!(matches!(
            public.verify_checkpoint(&later, &sig),
            Err(CryptoError::BadSignature { .. })
        ));
        let mut bad_sig = sig;
        bad_sig.0[10] ^= 1;
        assert!(public.verify_checkpoint(&cp, &bad_sig).is_err());
        let other = JournalSigner::from_secret(&Zeroizing::new([6u8; 32]));
        assert!(other.public_key().verify_checkpoint(&cp, &sig).is_err());
    }

    #[test]
    fn checkpoint_bytes_round_trip() {
        let cp = Checkpoint {
            entries: 7,
            head: [9u8; 32],
            unix_time: -5,
        };
        assert_eq!(Checkpoint::from_bytes(&cp.to_bytes()).expect("parse"), cp);
        assert!(Checkpoint::from_bytes(&[1u8; 10]).is_err());
    }

    /// Stored journals verify across releases only if the chain and the
    /// checkpoint bytes keep the layout the module docs give (the hash is
    /// computed independently: Python's hashlib over the documented input).
    #[test]
    fn the_chain_and_checkpoint_bytes_keep_their_documented_layout() {
        assert_eq!(
            hex::encode(chain_hash(&GENESIS, b"a")),
            "1c3187095ad69ae715c9b7038bf89fc61c8d3bd9eaf44c71332a98bbe47f5d25"
        );
        let cp = Checkpoint {
            entries: 0x0102,
            head: [0xAB; 32],
            unix_time: 0x0304,
        };
        let bytes = cp.to_bytes();
        assert_eq!(bytes.len(), 49);
        assert_eq!(
            hex::encode(bytes),
            format!("01{:016x}{}{:016x}", 0x0102, "ab".repeat(32), 0x0304)
        );
        assert!(Checkpoint::from_bytes(&bytes[..48]).is_err(), "cut");
        let mut v2 = bytes;
        v2[0] = 2;
        assert!(Checkpoint::from_bytes(&v2).is_err(), "unknown version");
    }

    #[test]
    fn a_stored_signature_reads_back_and_still_verifies() {
        let s = signer();
        let cp = Checkpoint {
            entries: 3,
            head: [1; 32],
            unix_time: 1_796_000_000,
        };
        let stored = s.sign_checkpoint(&cp).to_bytes();
        let read = CheckpointSignature::from_bytes(&stored).expect("64 bytes");
        s.public_key().verify_checkpoint(&cp, &read).expect("valid");
        assert!(CheckpointSignature::from_bytes(&stored[..63]).is_err());
        // The public key as stored and published reads back to itself.
        let public = s.public_key();
        assert_eq!(
            JournalPublicKey::from_bytes(&public.to_bytes()).expect("32 bytes"),
            public
        );
        assert_eq!(hex::encode(public.to_bytes()), public.to_hex());
        // Printed, the signer shows its public key only, never its seed.
        assert_eq!(
            format!("{s:?}"),
            format!("JournalSigner(public {})", public.to_hex())
        );
        assert_eq!(
            format!("{public:?}"),
            format!("JournalPublicKey({})", public.to_hex())
        );
        // Printed, a signature shows its first six bytes only.
        assert_eq!(
            format!("{read:?}"),
            format!("CheckpointSignature({}…)", hex::encode(&stored[..6]))
        );
    }

    #[test]
    fn signature_is_domain_separated() {
        // A plain Ed25519 signature of the same bytes must not verify as a checkpoint.
        let s = signer();
        let bytes = b"checkpoint";
        let raw = CheckpointSignature(s.key.sign(bytes).to_bytes());
        assert!(s.public_key().verify(bytes, &raw).is_err());
        assert!(s.public_key().verify(bytes, &s.sign(bytes)).is_ok());
    }
}
