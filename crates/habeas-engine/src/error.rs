//! The engine's error model. Every refusal a caller can cause carries a
//! stable machine `code`, the field and category it concerns, and a message
//! in French and English; none carries a personal-data value (only names of
//! fields and categories, which come from the declarations).

use std::fmt;

/// What went wrong, sorted by who can fix it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The caller's input breaks a declared rule; nothing was written.
    #[error("{0}")]
    Invalid(Refusal),
    /// The caller is authenticated but its scope does not allow this.
    #[error("{0}")]
    Forbidden(Refusal),
    /// The caller did not present a valid token.
    #[error("{0}")]
    Unauthenticated(Refusal),
    /// The subject or record does not exist.
    #[error("{0}")]
    NotFound(Refusal),
    /// Another writer changed the same state first (optimistic concurrency); reload, retry.
    #[error("{0}")]
    Conflict(Refusal),
    /// The operator's configuration is wrong (keys, settings, declarations).
    #[error("configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(String),
    /// The store cannot take writes for now (its disk is full); nothing was
    /// stored, and it goes on once the operator frees space.
    #[error("{0}")]
    Unavailable(Refusal),
    /// A key operation failed (missing key, tampered ciphertext, …).
    #[error("crypto: {0}")]
    Crypto(#[from] habeas_crypto::CryptoError),
}

/// A precise, bilingual, value-free description of a refusal. Text is
/// boxed to keep `Result`s small on the hot path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    /// Stable code, e.g. `unknown_field`, `wrong_type`, `purpose_not_allowed`.
    pub code: &'static str,
    /// French text, shown first.
    pub message_fr: Box<str>,
    /// English text.
    pub message_en: Box<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Box<str>>,
    /// 1-based line of a bulk body, when the refusal concerns one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl Refusal {
    pub fn new(code: &'static str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        Refusal {
            code,
            message_fr: fr.into().into_boxed_str(),
            message_en: en.into().into_boxed_str(),
            category: None,
            field: None,
            line: None,
        }
    }

    pub fn category(mut self, category: &str) -> Self {
        self.category = Some(category.into());
        self
    }

    pub fn field(mut self, field: &str) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        write!(f, "{} / {}", self.message_fr, self.message_en)
    }
}

impl EngineError {
    pub fn invalid(code: &'static str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        EngineError::Invalid(Refusal::new(code, fr, en))
    }

    /// The refusal, when this error is one the caller caused.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            EngineError::Invalid(r)
            | EngineError::Forbidden(r)
            | EngineError::Unauthenticated(r)
            | EngineError::NotFound(r)
            | EngineError::Conflict(r) => Some(r),
            _ => None,
        }
    }

    /// Attach a bulk line number to a caller refusal.
    pub fn at_line(self, line: u64) -> Self {
        match self {
            EngineError::Invalid(r) => EngineError::Invalid(r.line(line)),
            other => other,
        }
    }
}

/// Decrypted bytes that are not a record's fields: stored data the vault
/// cannot have written (no value is quoted).
impl From<crate::fields::NotFields> for EngineError {
    fn from(e: crate::fields::NotFields) -> Self {
        EngineError::Storage(e.to_string())
    }
}

impl From<habeas_store::StoreError> for EngineError {
    fn from(err: habeas_store::StoreError) -> Self {
        use habeas_store::StoreError as S;
        // Store errors name tables and opaque ids, never values.
        match err {
            S::NotFound {
                kind: "subject", ..
            } => EngineError::NotFound(Refusal::new(
                "unknown_subject",
                "personne concernée inconnue (créez-la d'abord : POST /api/subjects)",
                "unknown data subject (create it first: POST /api/subjects)",
            )),
            S::NotFound { kind: "record", .. } => EngineError::NotFound(Refusal::new(
                "unknown_record",
                "enregistrement inconnu pour cette personne concernée",
                "unknown record for this data subject",
            )),
            S::SubjectState { status, .. } => EngineError::Invalid(Refusal::new(
                "subject_not_active",
                format!(
                    "la personne concernée est « {} » : aucune donnée ne peut lui être ajoutée",
                    status.as_str()
                ),
                format!(
                    "the data subject is `{}`: no data can be added",
                    status.as_str()
                ),
            )),
            S::VersionConflict {
                kind,
                id,
                expected,
                found,
            } => EngineError::Conflict(Refusal::new(
                "version_conflict",
                format!(
                    "le document {kind}/{id} a changé entre-temps (version attendue {expected:?}, trouvée {found:?}) : relisez-le puis réessayez"
                ),
                format!(
                    "document {kind}/{id} changed meanwhile (expected version {expected:?}, found {found:?}): reload it and try again"
                ),
            )),
            S::Changed { kind, id } => EngineError::Conflict(Refusal::new(
                "changed_meanwhile",
                format!("{kind} `{id}` a changé entre-temps : relisez-le puis réessayez"),
                format!("{kind} `{id}` changed meanwhile: read it again and retry"),
            )),
            S::SchemaTooNew { .. } | S::MigrationEdited { .. } | S::BadUrl(_) => {
                EngineError::Config(err.to_string())
            }
            other if other.is_disk_full() => storage_full(),
            other => EngineError::Storage(other.to_string()),
        }
    }
}

/// The disk under the store is full: nothing was stored (the whole batch
/// was rolled back), and freeing space is the remedy.
pub fn storage_full() -> EngineError {
    EngineError::Unavailable(Refusal::new(
        "storage_full",
        "le disque du coffre est plein : rien n'a été enregistré ; réessayez quand de la place aura été libérée",
        "the vault's disk is full: nothing was stored; retry once space has been freed",
    ))
}

/// A failed commit as each of its callers hears it.
pub(crate) fn commit_failed(err: &habeas_store::StoreError) -> EngineError {
    if err.is_disk_full() {
        storage_full()
    } else {
        EngineError::Storage(format!("commit failed: {err}"))
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
