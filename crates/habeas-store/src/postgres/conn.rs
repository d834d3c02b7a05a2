//! A pooled connection with its own prepared-statement cache.
//!
//! Why: the synchronous client turns `query(&str, …)` into three round trips (Parse/Describe,
//! Bind/Execute, Close of the statement). A statement prepared once per connection and kept
//! costs one round trip per call afterwards, which is most of a find's or an audited read's
//! time on a network database (docs/benchmarks-vault.md, "PostgreSQL: prepared statements").
//!
//! The cache lives in [`PgConn`] next to its `Client` and dies with it: a reconnect starts
//! empty and prepares again. Statements are planned against the pool's fixed `search_path`.
//! PostgreSQL re-plans a prepared statement itself after DDL on the tables it reads; when the
//! re-plan changes the result's row type it refuses with "cached plan must not change result
//! type" (SQLSTATE 0A000), and a pooler or `DISCARD ALL` can make a statement unknown (26000).
//! On either error the statement is evicted; outside a transaction the call is prepared
//! again and retried once, inside one the error is returned (the transaction is aborted
//! anyway) and the next call prepares afresh.
//!
//! Plans are not what is kept: the pool sets `plan_cache_mode = force_custom_plan` (pool.rs),
//! so each execution is planned with its values, as before the cache.
//!
//! Only fixed texts should go through the cached calls. Texts built at run time must come in
//! a bounded number of shapes (table names from the catalogue, fixed chunk sizes); one-off
//! statements (DDL, counts of a partition about to be dropped) use [`Db::client`] directly.
//! [`CACHE_LIMIT`] bounds the cache anyway: when full it is emptied and refilled.

use std::collections::HashMap;

use ::postgres::error::SqlState;
use ::postgres::types::ToSql;
use ::postgres::{Client, Error, GenericClient, Row, Statement, Transaction};

/// Distinct statement texts kept per connection before the cache is emptied.
pub const CACHE_LIMIT: usize = 256;

/// Parameters of a statement, as the client takes them.
pub type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// Statements prepared on one connection, by text.
#[derive(Default)]
pub struct StmtCache {
    map: HashMap<String, Statement>,
}

impl StmtCache {
    fn get(&mut self, c: &mut impl GenericClient, sql: &str) -> Result<Statement, Error> {
        if let Some(s) = self.map.get(sql) {
            return Ok(s.clone());
        }
        let s = c.prepare(sql)?;
        if self.map.len() >= CACHE_LIMIT {
            self.map.clear();
        }
        self.map.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    /// Statements kept (tests).
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

/// The errors after which a cached statement must be prepared again.
fn stale(e: &Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::FEATURE_NOT_SUPPORTED || *c == SqlState::INVALID_SQL_STATEMENT_NAME
    )
}

/// A connection of the pool: the client and the statements prepared on it.
pub struct PgConn {
    // Dropped first: a statement's drop only queues its Close on the client.
    cache: StmtCache,
    client: Client,
}

impl PgConn {
    pub fn new(client: Client) -> Self {
        Self {
            cache: StmtCache::default(),
            client,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Statements prepared on this connection (tests).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}

/// A transaction (or savepoint) on a [`PgConn`], sharing its statement cache.
pub struct Tx<'a> {
    tx: Transaction<'a>,
    cache: &'a mut StmtCache,
}

impl Tx<'_> {
    pub fn commit(self) -> Result<(), Error> {
        self.tx.commit()
    }

    #[cfg(test)]
    pub fn rollback(self) -> Result<(), Error> {
        self.tx.rollback()
    }
}

/// What the store's functions run statements on: a connection or a transaction of it.
/// `execute`/`query*` take fixed SQL texts and use the connection's cache.
pub trait Db {
    type C: GenericClient;

    /// The client and the cache, borrowed together.
    fn parts(&mut self) -> (&mut Self::C, &mut StmtCache);

    /// Inside a transaction a failed statement aborts it: no retry.
    fn in_transaction(&self) -> bool;

    /// Begin a transaction (a savepoint when already in one).
    fn transaction(&mut self) -> Result<Tx<'_>, Error>;

    /// The client itself, for uncached one-off statements, `COPY` and simple queries.
    fn client(&mut self) -> &mut Self::C {
        self.parts().0
    }

    fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, Error> {
        run(self, sql, |c, s| c.execute(s, params))
    }

    fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, Error> {
        run(self, sql, |c, s| c.query(s, params))
    }

    fn query_opt(&mut self, sql: &str, params: Params<'_>) -> Result<Option<Row>, Error> {
        run(self, sql, |c, s| c.query_opt(s, params))
    }

    fn query_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row, Error> {
        run(self, sql, |c, s| c.query_one(s, params))
    }

    /// Simple-query protocol, uncached (no parameters; several statements allowed).
    fn batch_execute(&mut self, sql: &str) -> Result<(), Error> {
        self.client().batch_execute(sql)
    }
}

fn run<D: Db + ?Sized, T>(
    db: &mut D,
    sql: &str,
    f: impl Fn(&mut D::C, &Statement) -> Result<T, Error>,
) -> Result<T, Error> {
    let retry = !db.in_transaction();
    let (c, cache) = db.parts();
    let stmt = cache.get(c, sql)?;
    match f(c, &stmt) {
        Err(e) if stale(&e) => {
            cache.map.remove(sql);
            if !retry {
                return Err(e);
            }
            let stmt = cache.get(c, sql)?;
            f(c, &stmt)
        }
        other => other,
    }
}

impl Db for PgConn {
    type C = Client;

    fn parts(&mut self) -> (&mut Client, &mut StmtCache) {
        (&mut self.client, &mut self.cache)
    }

    fn in_transaction(&self) -> bool {
        false
    }

    fn transaction(&mut self) -> Result<Tx<'_>, Error> {
        Ok(Tx {
            tx: self.client.transaction()?,
            cache: &mut self.cache,
        })
    }
}

impl<'a> Db for Tx<'a> {
    type C = Transaction<'a>;

    fn parts(&mut self) -> (&mut Transaction<'a>, &mut StmtCache) {
        (&mut self.tx, self.cache)
    }

    fn in_transaction(&self) -> bool {
        true
    }

    fn transaction(&mut self) -> Result<Tx<'_>, Error> {
        Ok(Tx {
            tx: self.tx.transaction()?,
            cache: &mut *self.cache,
        })
    }
}
