//! Multi-row `INSERT`s for the bulk paths of a commit (subjects, records, blind-index entries,
//! journal rows).
//!
//! Why: a bulk unit inserts thousands of rows per table, and one statement execution per row
//! paid, for every row, the statement's own work (reset, binding, the transaction and schema
//! checks, opening a cursor on each of the table's B-trees) and a seek from each B-tree's root.
//! One execution of `INSERT … VALUES (…), (…), …` pays that once per [`CHUNK`] rows and keeps
//! its cursors open between rows, so a key that lands on the last page of a B-tree (the
//! time-ordered ids) is placed without walking down from the root again (SQLite's
//! `sqlite3BtreeIndexMoveto` shortcut). Measured in docs/benchmarks-vault.md.
//!
//! A row that violates a constraint fails its chunk; SQLite's default `ABORT` backs the whole
//! statement out, and the chunk's rows are then inserted one by one so the error names the row
//! at fault, exactly as before. (The unit fails either way and is rolled back by the caller.)

use std::sync::OnceLock;

use rusqlite::{Connection, Statement, ToSql};

use crate::error::{Result, StoreError};

/// Rows per multi-row statement execution, keeping a statement's parameters (rows × columns)
/// far below SQLite's limit. Only 1 and 32 were measured (docs/benchmarks-vault.md); other
/// sizes may do better.
pub const CHUNK: usize = 32;

/// One table's insert: the `INSERT … (columns)` head and its column count; the statement
/// texts for one row and for [`CHUNK`] rows are built once per process.
pub struct Insert {
    head: &'static str,
    cols: usize,
    one: OnceLock<String>,
    many: OnceLock<String>,
}

impl Insert {
    pub const fn new(head: &'static str, cols: usize) -> Self {
        Self {
            head,
            cols,
            one: OnceLock::new(),
            many: OnceLock::new(),
        }
    }

    fn sql(&self, rows: usize) -> &str {
        let cell = if rows == 1 { &self.one } else { &self.many };
        cell.get_or_init(|| {
            let row = format!("({})", vec!["?"; self.cols].join(", "));
            format!("{} VALUES {}", self.head, vec![row; rows].join(", "))
        })
    }

    /// The single-row statement's text (for callers that insert one row).
    pub fn one_row(&self) -> &str {
        self.sql(1)
    }

    /// Insert `items`, [`CHUNK`] rows per statement execution. `bind` binds one item's values
    /// from parameter `at + 1` on; `fault` maps a single row's error (a constraint
    /// violation to [`StoreError::Conflict`]).
    pub fn run<T>(
        &self,
        c: &Connection,
        items: &[T],
        bind: impl Fn(&mut Statement<'_>, usize, &T) -> Result<()>,
        fault: impl Fn(rusqlite::Error, &T) -> StoreError,
    ) -> Result<()> {
        let mut chunks = items.chunks_exact(CHUNK);
        if items.len() >= CHUNK {
            let mut stmt = c.prepare_cached(self.sql(CHUNK))?;
            for chunk in &mut chunks {
                for (i, item) in chunk.iter().enumerate() {
                    bind(&mut stmt, i * self.cols, item)?;
                }
                if let Err(e) = stmt.raw_execute() {
                    // Backed out whole (ABORT): find the row at fault alone.
                    self.rows_alone(c, chunk, &bind, &fault)?;
                    return Err(e.into());
                }
            }
        }
        self.rows_alone(c, chunks.remainder(), &bind, &fault)
    }

    fn rows_alone<T>(
        &self,
        c: &Connection,
        items: &[T],
        bind: &impl Fn(&mut Statement<'_>, usize, &T) -> Result<()>,
        fault: &impl Fn(rusqlite::Error, &T) -> StoreError,
    ) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut stmt = c.prepare_cached(self.sql(1))?;
        for item in items {
            bind(&mut stmt, 0, item)?;
            stmt.raw_execute().map_err(|e| fault(e, item))?;
        }
        Ok(())
    }
}

/// Bind `values` from parameter `at + 1` on.
pub fn bind(stmt: &mut Statement<'_>, at: usize, values: &[&dyn ToSql]) -> Result<()> {
    for (i, v) in values.iter().enumerate() {
        stmt.raw_bind_parameter(at + i + 1, v)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    static PAIRS: Insert = Insert::new("INSERT INTO t (k, v)", 2);

    fn table() -> Connection {
        let c = Connection::open_in_memory().expect("open");
        c.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            .expect("create");
        c
    }

    fn insert(c: &Connection, rows: &[(i64, &str)]) -> Result<()> {
        PAIRS.run(
            c,
            rows,
            |s, at, (k, v)| bind(s, at, rusqlite::params![k, v]),
            |e, (k, _)| super::super::rows::conflict(e, "row", &k.to_string()),
        )
    }

    #[test]
    fn every_row_lands_whatever_the_count() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
            let c = table();
            let rows: Vec<(i64, String)> = (0..n as i64).map(|k| (k, format!("v{k}"))).collect();
            let refs: Vec<(i64, &str)> = rows.iter().map(|(k, v)| (*k, v.as_str())).collect();
            insert(&c, &refs).expect("insert");
            let got: Vec<(i64, String)> = c
                .prepare("SELECT k, v FROM t ORDER BY k")
                .expect("select")
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("rows")
                .collect::<rusqlite::Result<_>>()
                .expect("collect");
            assert_eq!(got, rows, "{n} rows");
        }
    }

    #[test]
    fn a_conflict_in_a_chunk_names_its_row() {
        let c = table();
        insert(&c, &[(40, "old")]).expect("first");
        let rows: Vec<(i64, String)> = (0..CHUNK as i64 * 2)
            .map(|k| (k + 10, format!("v{k}")))
            .collect();
        let refs: Vec<(i64, &str)> = rows.iter().map(|(k, v)| (*k, v.as_str())).collect();
        match insert(&c, &refs) {
            Err(StoreError::Conflict { kind: "row", id }) => assert_eq!(id, "40"),
            other => panic!("expected a conflict on 40: {other:?}"),
        }
    }
}
