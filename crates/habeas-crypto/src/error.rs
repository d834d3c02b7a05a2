//! One error type for the crate. Messages say what failed, where (a path, a
//! variable name, a key id) and how to fix it, and never contain key bytes or
//! personal data: a failed `open` says "refused", not what the plaintext or the
//! associated data were.

use std::path::PathBuf;

/// Everything that can go wrong in `habeas-crypto`.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The operating system's random generator failed (should never happen on Linux).
    #[error("the operating system's random generator failed: {0}")]
    Random(String),

    /// A ciphertext or wrapped key was tampered with, moved to another record,
    /// opened with the wrong associated data or under the wrong key.
    #[error(
        "decryption refused: the {what} was altered, belongs to another record, or the key is wrong"
    )]
    Refused {
        /// `ciphertext` or `wrapped data key`.
        what: &'static str,
    },

    /// Bytes that do not have the expected layout (too short, unknown version …).
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// Why it is malformed (no secret in it).
        reason: String,
    },

    /// A wrapped key names a key-encryption key other than the one asked to open it.
    #[error(
        "the data key is wrapped by key-encryption key `{found}`, not by `{expected}`: \
         load `{found}` (e.g. from keys/retired/) to open or rewrap it"
    )]
    WrongKek {
        /// The KEK id recorded in the wrapped key.
        found: String,
        /// The KEK id that was asked to unwrap it.
        expected: String,
    },

    /// A key file or directory is readable or writable by other users.
    #[error(
        "{path}: permissions {mode:04o} let other users {access} it; \
         fix with `chmod {fix:o} {path}` (key material must be private to the service account)",
        path = path.display()
    )]
    Permissions {
        /// The offending file or directory.
        path: PathBuf,
        /// Its current mode bits (0o777 part).
        mode: u32,
        /// `read` or `modify`.
        access: &'static str,
        /// The mode that fixes it.
        fix: u32,
    },

    /// A key file or directory could not be read or written.
    #[error("{path}: {action} failed: {source}", path = path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What we were doing (`read key file`, `create key directory` …).
        action: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A key file exists but is not a valid Habeas key file.
    #[error("{path}, line {line}: {reason}", path = path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// 1-based line number (0 when the problem is the file as a whole).
        line: usize,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// A refusal to create or use keys in an unsafe place or state.
    #[error("{0}")]
    Refusal(String),

    /// Configuration that cannot work (missing variable, bad value …).
    #[error("key configuration: {0}")]
    Config(String),

    /// An identifier that cannot be indexed (empty e-mail, phone not in E.164 …).
    #[error("identifier of kind `{kind}` refused: {reason}")]
    Identifier {
        /// The identifier kind (`email`, `phone` …), never the value.
        kind: String,
        /// Why, without repeating the value.
        reason: String,
    },

    /// A journal checkpoint signature did not verify.
    #[error("journal checkpoint signature does not verify under public key {public_key}")]
    BadSignature {
        /// Hex of the Ed25519 public key used.
        public_key: String,
    },

    /// The PKCS#11 module or token failed.
    #[error("PKCS#11 {action}: {detail}")]
    Pkcs11 {
        /// What we were doing (`load module`, `log in`, `find key` …).
        action: &'static str,
        /// The token's error or our diagnosis.
        detail: String,
    },
}

impl CryptoError {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
        CryptoError::Io {
            path: path.into(),
            action,
            source,
        }
    }

    pub(crate) fn malformed(what: &'static str, reason: impl Into<String>) -> Self {
        CryptoError::Malformed {
            what,
            reason: reason.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = CryptoError> = std::result::Result<T, E>;
