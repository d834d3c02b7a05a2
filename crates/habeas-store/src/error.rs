//! Store errors. Messages name the object kind and the opaque id only — never a value,
//! since ids are engine-generated pseudonyms and values are sealed bytes we never read.

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage URL could not be understood.
    #[error("URL de stockage invalide / invalid storage URL: {0}")]
    BadUrl(String),
    /// The database was written by a newer habeas.
    #[error(
        "la version de schéma {found} de la base est plus récente que ce habeas ({supported}) : mettez habeas à jour / \
         database schema version {found} is newer than this habeas ({supported}): upgrade habeas"
    )]
    SchemaTooNew { found: u32, supported: u32 },
    /// An applied migration no longer matches the SQL shipped in this binary.
    #[error(
        "migration {version} was applied with a different SQL text (hash {applied} vs {shipped}): never edit an applied migration"
    )]
    MigrationEdited {
        version: u32,
        applied: String,
        shipped: String,
    },
    /// A row with this id already exists.
    #[error("{kind} `{id}` already exists")]
    Conflict { kind: &'static str, id: String },
    /// A subject is in a state that refuses the operation (e.g. new data for an erased subject).
    #[error("subject `{id}` is {}", status.as_str())]
    SubjectState {
        id: String,
        status: crate::model::SubjectStatus,
    },
    /// A document changed since the caller read it (optimistic concurrency).
    #[error("document {kind}/{id}: expected version {expected:?}, found {found:?}")]
    VersionConflict {
        kind: String,
        id: String,
        expected: Option<u64>,
        found: Option<u64>,
    },
    /// Records of a subject's category remain where the operation needs none
    /// ([`crate::WriteOp::RemoveCategoryIndexes`]).
    #[error("subject `{subject}` still has records of category `{category}`")]
    Remaining { subject: String, category: String },
    /// A row changed since the caller read it ([`crate::WriteOp::DeleteRecords`]'s due date,
    /// [`crate::WriteOp::RequireRecordsAsRead`]); the unit changed nothing: read again.
    #[error("{kind} `{id}` changed since it was read")]
    Changed { kind: &'static str, id: String },
    /// The row does not exist.
    #[error("{kind} `{id}` not found")]
    NotFound { kind: &'static str, id: String },
    /// Invalid argument from the caller (a bug in the engine or bad input it passed through).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// SQLite failure.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failure.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    /// File-system failure (creating the data or key directory).
    #[error("I/O on {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The writer thread is gone (the store is shutting down or crashed).
    #[error("the storage writer stopped: {0}")]
    WriterGone(String),
    /// The commit of a group of writes failed; none of them is stored.
    #[error("commit failed, nothing from this batch was stored: {0}")]
    CommitFailed(String),
    /// The disk is full (SQLite `SQLITE_FULL`): the commit of a group of writes failed and
    /// none of them is stored. The store goes on once space is freed, without a restart.
    #[error("disk full, nothing from this batch was stored: {0}")]
    Full(String),
    /// The deletion committed, but deleted bytes could not yet be purged from every file
    /// (a reader held an old snapshot). Call `purge_remnants` again.
    #[error("deleted, but remnants are still in {0}: retry purge_remnants")]
    RemnantsPending(String),
    /// A stored row could not be decoded (corruption or a manual edit).
    #[error("corrupt stored row in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
}

impl StoreError {
    /// Whether the disk being full is why this failed (SQLite `SQLITE_FULL`, PostgreSQL
    /// `disk_full`): nothing was stored, and freeing space is the remedy, not a restart.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Full(_) => true,
            StoreError::Sqlite(e) => sqlite_disk_full(e),
            StoreError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::DISK_FULL),
            _ => false,
        }
    }
}

/// Whether SQLite failed because the disk is full (`SQLITE_FULL`).
pub(crate) fn sqlite_disk_full(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
}

/// Result alias for store operations.
pub type Result<T> = std::result::Result<T, StoreError>;
