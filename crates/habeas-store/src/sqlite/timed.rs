//! Time partitions on SQLite: one table `timed_<part_no>` per (category, month), listed in the
//! `timed_partitions` catalogue. Expiry drops whole tables (cheap, no row-by-row delete);
//! with `secure_delete=ON` the freed pages are zeroed — unless the caller says the rows' keys
//! are destroyed already (`shredded_from_version`) and every row of the table is of such a key
//! version (the catalogue keeps each partition's lowest): zeroing a large month held all its
//! pages dirty in memory until the commit and was most of the expiry's time. Table names are
//! catalogue numbers, never caller text, so no identifier is ever spliced from input.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::collect;
use crate::error::Result;
use crate::model::{DroppedPartition, ImpactCount, TimedRecord};
use crate::time::{from_micros, month_index, month_start, to_micros};

fn table(part_no: i64) -> String {
    format!("timed_{part_no}")
}

/// Partition number for (category, month), creating the table when missing.
/// `key_version` is the lowest of the rows about to be inserted: the catalogue keeps the lowest
/// a partition ever held.
fn partition(c: &Connection, category: &str, month: i64, key_version: u32) -> Result<i64> {
    if let Some(n) = c
        .prepare_cached("SELECT part_no FROM timed_partitions WHERE category = ?1 AND month = ?2")?
        .query_row(params![category, month], |r| r.get(0))
        .optional()?
    {
        c.prepare_cached(
            "UPDATE timed_partitions SET min_key_version = ?2 \
             WHERE part_no = ?1 AND min_key_version > ?2",
        )?
        .execute(params![n, key_version])?;
        return Ok(n);
    }
    c.prepare_cached(
        "INSERT INTO timed_partitions (category, month, min_key_version) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![category, month, key_version])?;
    let n = c.last_insert_rowid();
    let t = table(n);
    c.execute_batch(&format!(
        "CREATE TABLE {t} (id TEXT NOT NULL, subject_id TEXT NOT NULL, collected_at INTEGER NOT NULL, \
         sealed BLOB NOT NULL, key_version INTEGER NOT NULL); \
         CREATE INDEX {t}_subject ON {t} (subject_id);"
    ))?;
    Ok(n)
}

pub fn insert(c: &Connection, rows: &[TimedRecord]) -> Result<()> {
    let mut lowest: BTreeMap<(String, i64), u32> = BTreeMap::new();
    for r in rows {
        let v = lowest
            .entry((r.category.clone(), month_index(r.collected_at)))
            .or_insert(r.key_version);
        *v = (*v).min(r.key_version);
    }
    let mut parts: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for ((category, month), version) in lowest {
        let n = partition(c, &category, month, version)?;
        parts.insert((category, month), n);
    }
    for r in rows {
        let n = parts[&(r.category.clone(), month_index(r.collected_at))];
        c.prepare_cached(&format!(
            "INSERT INTO {} (id, subject_id, collected_at, sealed, key_version) VALUES (?1, ?2, ?3, ?4, ?5)",
            table(n)
        ))?
        .execute(params![r.id, r.subject_id, to_micros(r.collected_at), r.sealed, r.key_version])?;
    }
    Ok(())
}

/// One catalogue entry.
struct Part {
    no: i64,
    category: String,
    month: i64,
    min_key_version: u32,
}

/// Catalogue entries, optionally restricted to categories.
fn catalogue(c: &Connection, categories: &[String]) -> Result<Vec<Part>> {
    let mut stmt = c.prepare_cached(
        "SELECT part_no, category, month, min_key_version FROM timed_partitions \
         ORDER BY month, part_no",
    )?;
    let all = collect(&mut stmt, [], |r| {
        Ok(Part {
            no: r.get(0)?,
            category: r.get(1)?,
            month: r.get(2)?,
            min_key_version: r.get(3)?,
        })
    })?;
    Ok(all
        .into_iter()
        .filter(|p| categories.is_empty() || categories.contains(&p.category))
        .collect())
}

pub fn subject_rows(
    c: &Connection,
    subject_id: &str,
    categories: &[String],
) -> Result<Vec<TimedRecord>> {
    let mut out = Vec::new();
    for Part {
        no: n, category, ..
    } in catalogue(c, categories)?
    {
        let mut stmt = c.prepare_cached(&format!(
            "SELECT id, subject_id, collected_at, sealed, key_version FROM {} WHERE subject_id = ?1",
            table(n)
        ))?;
        let mut rows = stmt.query([subject_id])?;
        while let Some(r) = rows.next()? {
            out.push(TimedRecord {
                id: r.get(0)?,
                subject_id: r.get(1)?,
                category: category.clone(),
                collected_at: from_micros(r.get(2)?, "timed")?,
                sealed: r.get(3)?,
                key_version: r.get(4)?,
            });
        }
    }
    out.sort_by(|a, b| (a.collected_at, &a.id).cmp(&(b.collected_at, &b.id)));
    Ok(out)
}

/// Drop partitions whose whole month ends at or before `before`. Those whose rows are all of
/// key version `shredded_from_version` or above are dropped without zeroing their pages.
pub fn drop_before(
    c: &Connection,
    category: Option<&str>,
    before_month: i64,
    before: DateTime<Utc>,
    shredded_from_version: Option<u32>,
) -> Result<Vec<DroppedPartition>> {
    let filter: Vec<String> = category.map(|s| vec![s.to_string()]).unwrap_or_default();
    let mut dropped = Vec::new();
    for part in catalogue(c, &filter)? {
        let (n, cat, month) = (part.no, part.category, part.month);
        // Month `m` ends at the start of month m+1.
        let ends = month_start(month + 1)?;
        if month >= before_month || ends > before {
            continue;
        }
        let t = table(n);
        let rows: i64 = c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))?;
        if shredded_from_version.is_some_and(|v| part.min_key_version >= v) {
            // Crypto-shredded already: freeing the pages is enough. The
            // pragma applies to this connection until set back, right after.
            c.execute_batch("PRAGMA secure_delete = OFF")?;
            let result = c.execute_batch(&format!("DROP TABLE {t}"));
            c.execute_batch("PRAGMA secure_delete = ON")?;
            result?;
        } else {
            c.execute_batch(&format!("DROP TABLE {t}"))?;
        }
        c.prepare_cached("DELETE FROM timed_partitions WHERE part_no = ?1")?
            .execute([n])?;
        dropped.push(DroppedPartition {
            category: cat,
            month_start: month_start(month)?,
            rows: rows.unsigned_abs(),
        });
    }
    Ok(dropped)
}

pub fn impact(
    c: &Connection,
    categories: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ImpactCount> {
    let (from_m, to_m) = (month_index(from), month_index(to));
    let parts: Vec<i64> = catalogue(c, categories)?
        .into_iter()
        .filter(|p| p.month >= from_m && p.month <= to_m)
        .map(|p| p.no)
        .collect();
    if parts.is_empty() {
        return Ok(ImpactCount::default());
    }
    let union = parts
        .iter()
        .map(|n| {
            format!(
                "SELECT subject_id FROM {} WHERE collected_at >= ?1 AND collected_at < ?2",
                table(*n)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let (subjects, rows): (i64, i64) = c.query_row(
        &format!("SELECT COUNT(DISTINCT subject_id), COUNT(*) FROM ({union})"),
        params![to_micros(from), to_micros(to)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(ImpactCount {
        subjects: subjects.unsigned_abs(),
        rows: rows.unsigned_abs(),
    })
}

/// A subject's rows of `category` in each of that category's partitions.
pub fn delete_subject_category(c: &Connection, subject_id: &str, category: &str) -> Result<u64> {
    let mut n = 0u64;
    for Part { no: part, .. } in catalogue(c, &[category.to_string()])? {
        n += c
            .prepare_cached(&format!(
                "DELETE FROM {} WHERE subject_id = ?1",
                table(part)
            ))?
            .execute([subject_id])? as u64;
    }
    Ok(n)
}

pub fn delete_subject(c: &Connection, subject_id: &str) -> Result<u64> {
    let mut n = 0u64;
    for Part { no: part, .. } in catalogue(c, &[])? {
        n += c
            .prepare_cached(&format!(
                "DELETE FROM {} WHERE subject_id = ?1",
                table(part)
            ))?
            .execute([subject_id])? as u64;
    }
    Ok(n)
}
