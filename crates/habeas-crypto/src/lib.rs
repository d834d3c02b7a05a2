//! # habeas-crypto — the vault's keys and ciphers
//!
//! This is the only crate that touches key bytes. The store keeps opaque bytes
//! (ciphertexts, wrapped keys, digests, journal rows); the engine calls this
//! crate to produce and open them. No key type here implements `Debug` with
//! its bytes, `Serialize`, or `Clone` into a plain array; all are zeroized on
//! drop.
//!
//! ## The scheme: what encrypts what
//!
//! ```text
//!  KEK (key file 0600 / env secret / PKCS#11 token)        never in any database
//!   └─ wraps ─> data key per (subject, category)           wrapped form in the KEY STORE
//!                └─ seals ─> each field value of the        ciphertext in the DATA STORE
//!                            subject's records in that category
//!   └─ wraps ─> partition key per (category, month)         wrapped form in the KEY STORE
//!                └─ HKDF with the subject's data key ─> row key ─ seals ─> each high-volume row
//!  blind-index key ─ HMAC ─> digest of each identifier     digest in the DATA STORE
//!  journal key (Ed25519) ─ signs ─> journal checkpoints    signatures in the DATA STORE
//! ```
//!
//! 1. **Data keys** ([`DataKey`]): 256 random bits per (data subject,
//!    category). AES-256-GCM, random 96-bit nonce, versioned layout
//!    (`0x01 ‖ nonce ‖ ciphertext ‖ tag`).
//!    High-volume rows (connection logs …) are sealed under a key derived
//!    from the subject's data key *and* the partition key of their
//!    (category, month) ([`DataKey::combine`], HKDF-SHA-256): expiring a
//!    month destroys its partition key, erasing a subject destroys the
//!    subject's key; either makes the row unreadable everywhere.
//! 2. **Associated data** ([`Aad`]): every sealed field is bound to
//!    `subject ‖ category ‖ record ‖ field` ([`Aad::record_field`]), length-
//!    prefixed under a domain label. A ciphertext copied into another record,
//!    subject, category or field fails to open. Every wrapped data key is
//!    bound to `subject ‖ category` ([`Aad::data_key`]) and to its own header
//!    (KEK id, algorithm), so a wrapped key copied onto another subject fails
//!    to unwrap.
//! 3. **Key-encryption keys** ([`KeyEncryptionKey`]): wrap data keys.
//!    Software KEKs (file, environment) use XChaCha20-Poly1305 with random
//!    192-bit nonces; a PKCS#11 KEK is an AES-256 key on the token, used with
//!    `CKM_AES_GCM` inside the token. The wrapped form records the KEK id, so
//!    `habeas keys rotate` rewraps each data key under a new KEK ([`rewrap`],
//!    [`KekRing`]) without re-encrypting any data.
//! 4. **Blind indexes** ([`BlindIndexer`]): HMAC-SHA-256 of the normalised
//!    identifier, domain-separated per identifier kind, under a key kept
//!    outside the database. Lookup by e-mail / phone / customer number without
//!    plaintext in the database.
//! 5. **Journal** ([`chain_hash`], [`JournalSigner`]): SHA-256 hash chain
//!    over entries; Ed25519 signatures over checkpoints of the chain head.
//!
//! ## Where each key lives
//!
//! | key | where | never |
//! |---|---|---|
//! | KEK | `keys/kek.key` (0600, directory 0700, outside the data directory), or an environment variable, or a PKCS#11 token | in the data store, the key store, or their backups |
//! | data keys | wrapped, in the key store (a separate SQLite file or PostgreSQL schema) | in plaintext anywhere on disk; in the data store |
//! | partition keys (one per high-volume category and month) | wrapped, in the key store beside the data keys (owner `~partitions`), destroyed when their month expires | as for data keys |
//! | blind-index key | `keys/blind-index.key` or an environment variable | in a database |
//! | journal signing key | `keys/journal-signing.key` or an environment variable; public key in `keys/journal-signing.pub` | in the database holding the journal |
//!
//! [`KeyDir`] creates and loads the `keys/` directory; [`KeysConfig`] is the
//! `[keys]` table of `habeas.toml` for operators who use environment secrets
//! or an HSM instead.
//!
//! ## Crypto-shredding: what erasure destroys, and why old copies die too
//!
//! To erase a data subject's data in a category (GDPR Art. 17; also at the
//! end of a retention period, Art. 5(1)(e)), the engine deletes that (subject,
//! category)'s **wrapped data key** from the key store, removes its remnants
//! (SQLite `secure_delete` and a `TRUNCATE` checkpoint; RELIABILITY.md §0.1),
//! and deletes the subject's blind-index digests. It does not need to find
//! every copy of the ciphertexts.
//!
//! A copy of the data store taken *before* erasure (a backup, a replica, a
//! stolen disk) holds only ciphertexts sealed under that data key. The data
//! key existed in exactly two forms: wrapped in the key store (now deleted)
//! and in memory while in use. Since the key store is not part of data
//! backups, the old copy has ciphertexts but no key to open them, and
//! AES-256-GCM offers no way around a missing key. The copy is unreadable.
//!
//! Limits, stated so they are designed for rather than discovered:
//! - A backup *of the key store* taken before erasure still holds the wrapped
//!   key. It becomes unreadable only when the KEK that wrapped it is
//!   destroyed: KEKs are rotated per backup epoch and retired KEKs destroyed
//!   when that epoch's last backup expires ([`KeyDir::destroy_retired_kek`];
//!   RELIABILITY.md §1.8 (c)).
//! - Encrypted personal data is still personal data (breach rules apply);
//!   pseudonyms are personal data while their key exists (Art. 4(5)).
//! - Plaintext that left the vault (exports, derived values) is out of reach.
//! - "In memory while in use": a [`DataKey`] (its bytes and the cipher's
//!   round keys) is zeroized when dropped, and the engine's cache of
//!   unwrapped keys drops a key at once when its process shreds it, and
//!   otherwise `[server] key_cache_seconds` (default 60 s) after its unwrap,
//!   used or not — so a key shredded by *another* process (a second
//!   instance, `habeas purge`) leaves a server's memory within that time
//!   (`habeas_engine::key_cache`). The test `vault_memory` reads a running
//!   server's whole memory and finds no copy of a shredded key (it finds the
//!   key while in use, so the scan is not blind).
//!
//! ## Using it (what the engine does)
//!
//! ```
//! use habeas_crypto::{Aad, DataKey, KeyDir, KeyEncryptionKey, WrappedKey};
//! # fn main() -> Result<(), habeas_crypto::CryptoError> {
//! # let tmp = tempfile::tempdir().expect("tempdir");
//! # let (keys_path, data_path) = (tmp.path().join("keys"), tmp.path().join("data"));
//! // `habeas init`: keys/ (0700) with kek.key, blind-index.key, journal-signing.key (0600).
//! let keys = KeyDir::create(&keys_path, Some(&data_path))?;
//! let kek = keys.load_kek_ring()?; // current KEK + retired ones (rotation)
//! let index = keys.load_blind_indexer()?;
//!
//! // First record of subject "s-42" in category "contact": a new data key,
//! // stored wrapped in the key store; the e-mail's blind index in the data store.
//! let dek = DataKey::generate()?;
//! let stored_key: Vec<u8> = kek.wrap(&dek, &Aad::data_key("s-42", "contact"))?.into_bytes();
//! let field = Aad::record_field("s-42", "contact", "rec-1", "email");
//! let stored_value: Vec<u8> = dek.seal(b"alice@example.org", &field)?;
//! let stored_digest: [u8; 32] = index.index_email("Alice@Example.org")?.0;
//!
//! // Reading it back.
//! let wrapped = WrappedKey::from_bytes(stored_key)?;
//! let dek = kek.unwrap(&wrapped, &Aad::data_key("s-42", "contact"))?;
//! assert_eq!(dek.open(&stored_value, &field)?, b"alice@example.org");
//! assert_eq!(index.index_email("alice@example.org")?.0, stored_digest);
//! # Ok(())
//! # }
//! ```
//!
//! ## Randomness, nonces, limits
//!
//! All randomness comes from the OS (`getrandom`). AES-GCM's random 96-bit
//! nonces are used only under per-(subject, category) data keys, far below
//! the 2^32-messages bound of NIST SP 800-38D. KEK wrapping in software uses
//! XChaCha20-Poly1305, whose 192-bit nonces need no counter; PKCS#11 wrapping
//! uses the token's AES-GCM with random 96-bit nonces (see [`Pkcs11Kek`]).

mod aad;
pub mod backup;
mod blind_index;
mod combined_key;
mod config;
mod data_key;
mod error;
mod journal;
mod kek;
mod keyfile;
mod keyring;
mod random;
pub mod stack;

pub use aad::{Aad, DOMAIN_DATA_KEY, DOMAIN_RECORD_FIELD};
pub use blind_index::{BlindIndex, BlindIndexer, IdentifierKind, check_e164, normalize_email};
pub use combined_key::{DOMAIN_COMBINED_KEY, FINGERPRINT_LEN, combined_context};
pub use config::{
    KeyProvider, KeysConfig, SecretSource, new_env_secret, open_blind_indexer,
    open_blind_indexer_with_env, open_journal_signer, open_journal_signer_with_env, open_kek,
    open_kek_with_env,
};
pub use data_key::{DATA_KEY_LEN, DataKey, SEAL_OVERHEAD, SEALED_V1, open, seal};
pub use error::{CryptoError, Result};
pub use journal::{
    CHECKPOINT_LEN, Checkpoint, CheckpointSignature, GENESIS, JournalPublicKey, JournalSigner,
    chain_hash,
};
pub use kek::{
    DEFAULT_PIN_ENV, KekId, KekRing, KeyEncryptionKey, Pkcs11Kek, Pkcs11Settings, SoftwareKek,
    WRAPPED_V1, WrapAlgorithm, WrappedKey, rewrap,
};
pub use keyring::{
    BLIND_INDEX_FILE, JOURNAL_PUBLIC_FILE, JOURNAL_SIGNING_FILE, KEK_FILE, KeyDir, RETIRED_DIR,
    STAGED_KEK_FILE, ensure_outside,
};
pub use stack::{WipeStackOnReturn, wipe_stack_if_keys_touched};
