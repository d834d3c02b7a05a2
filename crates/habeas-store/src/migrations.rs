//! Versioned migrations, one list per backend and per store (data, keys).
//!
//! Rules (STYLE.md (d) 2 and 4): an applied migration is never edited — a test pins the
//! SHA-256 of every shipped file, and at open a database whose recorded hash differs is
//! refused; an older binary refuses a newer database ([`crate::StoreError::SchemaTooNew`]).

use sha2::{Digest, Sha256};

/// One migration: its version and SQL text.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub sql: &'static str,
}

impl Migration {
    /// Hex SHA-256 of the SQL text, as recorded in the database.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

/// SQLite data store.
pub const SQLITE_DATA: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/sqlite/0001_data.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/sqlite/0002_documents.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/sqlite/0003_journal_subject.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/sqlite/0004_without_rowid.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/sqlite/0005_partition_key_versions.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("../migrations/sqlite/0006_blind_index_levels.sql"),
    },
    Migration {
        version: 7,
        sql: include_str!("../migrations/sqlite/0007_blind_merge_steps.sql"),
    },
    Migration {
        version: 8,
        sql: include_str!("../migrations/sqlite/0008_document_filing.sql"),
    },
];
/// SQLite key store.
pub const SQLITE_KEYS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/sqlite/0001_keys.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/sqlite/0002_keys_without_rowid.sql"),
    },
];
/// PostgreSQL data store.
pub const POSTGRES_DATA: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/postgres/0001_data.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/postgres/0002_documents.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/postgres/0003_journal_subject.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/postgres/0004_due_index_c.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/postgres/0005_subjects_id_c.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("../migrations/postgres/0006_document_filing.sql"),
    },
];
/// PostgreSQL key store.
pub const POSTGRES_KEYS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/postgres/0001_keys.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/postgres/0002_keys_by_subject_hash.sql"),
    },
];

/// Highest version in a list.
pub fn latest(list: &[Migration]) -> u32 {
    list.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Check applied `(version, hash)` pairs against the shipped list; returns the versions to apply.
pub fn plan(list: &[Migration], applied: &[(u32, String)]) -> crate::Result<Vec<Migration>> {
    let supported = latest(list);
    if let Some(found) = applied.iter().map(|(v, _)| *v).max()
        && found > supported
    {
        return Err(crate::StoreError::SchemaTooNew { found, supported });
    }
    for (version, hash) in applied {
        if let Some(m) = list.iter().find(|m| m.version == *version)
            && m.sha256() != *hash
        {
            return Err(crate::StoreError::MigrationEdited {
                version: *version,
                applied: hash.clone(),
                shipped: m.sha256(),
            });
        }
    }
    Ok(list
        .iter()
        .filter(|m| !applied.iter().any(|(v, _)| *v == m.version))
        .copied()
        .collect())
}
