//! A small blocking connection pool (no extra dependency): at most `size` connections, each
//! with `search_path` set to the store's schema and its own prepared-statement cache
//! ([`PgConn`]). A connection found closed is replaced, with an empty cache.

use std::sync::{Condvar, Mutex};

use ::postgres::NoTls;

use super::conn::PgConn;

use crate::error::{Result, StoreError};

pub struct Pool {
    config: ::postgres::Config,
    schema: String,
    size: usize,
    state: Mutex<(Vec<PgConn>, usize)>,
    available: Condvar,
}

/// Quote an identifier for SQL (`"` doubled).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Pool {
    pub fn new(config: ::postgres::Config, schema: String, size: usize) -> Self {
        Self {
            config,
            schema,
            size,
            state: Mutex::new((Vec::new(), 0)),
            available: Condvar::new(),
        }
    }

    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn connect(&self) -> Result<PgConn> {
        let mut client = self.config.connect(NoTls)?;
        let schema = quote_ident(&self.schema);
        // Two instances creating the schema at once can both pass IF NOT EXISTS; the loser
        // gets a unique violation on pg_namespace, which means the schema now exists.
        if let Err(e) = client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")) {
            use ::postgres::error::SqlState;
            if e.code() != Some(&SqlState::UNIQUE_VIOLATION)
                && e.code() != Some(&SqlState::DUPLICATE_SCHEMA)
            {
                return Err(e.into());
            }
        }
        // Prepared statements are kept per connection (conn.rs) for their round trips, not
        // for their plans: a generic plan of `($3 IS NULL OR id > $3) ORDER BY id LIMIT $4`
        // cannot use the keyset bound and would scan from the start on every page. Custom
        // plans, as every statement got before the cache (PostgreSQL 12+). No JIT: Habeas runs
        // short statements, and a statement whose estimate crossed `jit_above_cost` (a purge's
        // batch delete over a large table) spent longer compiling than running.
        client.batch_execute(&format!(
            "SET search_path TO {schema}; SET plan_cache_mode = force_custom_plan; SET jit = off"
        ))?;
        Ok(PgConn::new(client))
    }

    /// Borrow a connection for `f`.
    pub fn with<R>(&self, f: impl FnOnce(&mut PgConn) -> Result<R>) -> Result<R> {
        let poisoned = || StoreError::WriterGone("PostgreSQL pool poisoned".into());
        let existing = {
            let mut state = self.state.lock().map_err(|_| poisoned())?;
            loop {
                if let Some(c) = state.0.pop() {
                    break Some(c);
                }
                if state.1 < self.size {
                    state.1 += 1;
                    break None;
                }
                state = self.available.wait(state).map_err(|_| poisoned())?;
            }
        };
        let client = match existing {
            Some(c) if !c.is_closed() => Ok(c),
            _ => self.connect(),
        };
        let mut client = match client {
            Ok(c) => c,
            Err(e) => {
                if let Ok(mut state) = self.state.lock() {
                    state.1 -= 1;
                }
                self.available.notify_one();
                return Err(e);
            }
        };
        let result = f(&mut client);
        if let Ok(mut state) = self.state.lock() {
            if client.is_closed() {
                state.1 -= 1;
            } else {
                state.0.push(client);
            }
        }
        self.available.notify_one();
        result
    }
}

impl Drop for Pool {
    /// The synchronous client blocks on its own runtime when it closes, which panics inside
    /// an async runtime (an HTTP server dropping its vault at shutdown): close the
    /// connections on a plain thread.
    fn drop(&mut self) {
        let clients = match self.state.lock() {
            Ok(mut state) => std::mem::take(&mut state.0),
            Err(poisoned) => std::mem::take(&mut poisoned.into_inner().0),
        };
        if clients.is_empty() {
            return;
        }
        let closer = std::thread::Builder::new()
            .name("habeas-pg-close".into())
            .spawn(move || drop(clients));
        if let Ok(handle) = closer {
            let _ = handle.join();
        }
    }
}
