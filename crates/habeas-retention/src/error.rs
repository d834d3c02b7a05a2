//! One error type for the retention services: what was wrong, where, how to
//! fix it. Messages name ids (hold ids, job names, categories), never
//! personal data.

use habeas_core::docs::DocError;

/// What can go wrong in a retention service.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// The document store failed or refused the write.
    #[error(transparent)]
    Docs(#[from] DocError),
    /// A stored document that does not parse (written by another version?).
    #[error("stored {kind} document {id} is unreadable: {reason}")]
    Corrupt {
        kind: &'static str,
        id: String,
        reason: String,
    },
    /// A document that could not be serialised; nothing was written.
    #[error("{kind} document could not be serialised: {reason}")]
    Encode { kind: &'static str, reason: String },
    /// Bad input from the caller; nothing was changed.
    #[error("{what}: {why}; {fix}")]
    Invalid {
        what: String,
        why: String,
        fix: String,
    },
    /// The named item does not exist.
    #[error("{kind} {id} does not exist; list them with `habeas {kind} list`")]
    NotFound { kind: &'static str, id: String },
}

/// Serialise a document body, or say why not (never an empty write).
pub(crate) fn encode<T: serde::Serialize>(kind: &'static str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| RetentionError::Encode {
        kind,
        reason: e.to_string(),
    })
}

impl RetentionError {
    pub(crate) fn invalid(
        what: impl Into<String>,
        why: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        RetentionError::Invalid {
            what: what.into(),
            why: why.into(),
            fix: fix.into(),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = RetentionError> = std::result::Result<T, E>;
