//! The PostgreSQL backend (scale-out).
//!
//! Runtime SQL with the synchronous `postgres` client (no compile-time query macros, STYLE.md
//! (d) 1); a small pool whose connections use one schema (`?schema=NAME` in the URL, default
//! `habeas` for data and `habeas_keys` for keys), so tests isolate themselves in a throw-away
//! schema. Migrations run under a transaction-scoped advisory lock, so several instances
//! starting together apply them once (STYLE.md (d) 10). Commits use the server's
//! `synchronous_commit` (keep it `on`: RELIABILITY.md §1.6).

mod batch;
mod conn;
#[cfg(test)]
mod conn_tests;
mod incident;
mod keys;
#[cfg(test)]
mod plan_tests;
mod pool;
mod store;
mod subject_event;
mod timed;

use conn::{Db, PgConn};

pub use keys::PgKeyStore;
pub use pool::quote_ident;
pub use store::PgStore;

use crate::error::{Result, StoreError};
use crate::migrations::{self, Migration};

/// Connections per store (data and key stores each have their own pool):
/// enough for the HTTP workers to overlap their reads while commits queue
/// behind the journal lock.
pub const POOL_SIZE: usize = 8;

/// Split `postgres://…?schema=NAME&…` into a client config and the schema.
pub fn parse_url(url: &str, default_schema: &str) -> Result<(::postgres::Config, String)> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut schema = default_schema.to_string();
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("schema", name)) => schema = name.to_string(),
            _ => kept.push(pair),
        }
    }
    if schema.is_empty()
        || schema.len() > 63
        || !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(StoreError::BadUrl(format!(
            "schema `{schema}`: use 1 to 63 ASCII letters, digits or underscores"
        )));
    }
    let rebuilt = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let config = rebuilt
        .parse::<::postgres::Config>()
        .map_err(|e| StoreError::BadUrl(format!("PostgreSQL URL (password hidden): {e}")))?;
    Ok((config, schema))
}

/// Apply pending migrations under an advisory lock, in one transaction.
pub fn migrate(
    client: &mut PgConn,
    schema: &str,
    list: &[Migration],
    lock_name: &str,
) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        &[&format!("habeas-migrate:{schema}:{lock_name}")],
    )?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )?;
    let applied: Vec<(u32, String)> = tx
        .query("SELECT version, sha256 FROM schema_version", &[])?
        .iter()
        .map(|r| (r.get::<_, i32>(0).unsigned_abs(), r.get(1)))
        .collect();
    for m in migrations::plan(list, &applied)? {
        tx.batch_execute(m.sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, sha256, applied_at) VALUES ($1, $2, $3)",
            &[
                &i32::try_from(m.version).unwrap_or(i32::MAX),
                &m.sha256(),
                &chrono::Utc::now().timestamp_micros(),
            ],
        )?;
        tracing::info!(version = m.version, "applied PostgreSQL migration");
    }
    tx.commit()?;
    Ok(())
}

fn schema_version(client: &mut PgConn) -> Result<u32> {
    let v: i32 = client
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])?
        .get(0);
    Ok(v.unsigned_abs())
}

/// Map a unique violation to `Conflict`.
pub(crate) fn conflict(e: ::postgres::Error, kind: &'static str, id: &str) -> StoreError {
    if e.code() == Some(&::postgres::error::SqlState::UNIQUE_VIOLATION) {
        StoreError::Conflict {
            kind,
            id: id.to_string(),
        }
    } else {
        StoreError::Postgres(e)
    }
}
