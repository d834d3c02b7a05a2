//! Time partitions on SQLite: one table `timed_<part_no>` per (category, month), listed in the
//! `timed_partitions` catalogue. Expiry drops whole tables (cheap, no row-by-row delete);
//! with `secure_delete=ON` the freed pages are zeroed. Table names are catalogue numbers, never
//! caller text, so no identifier is ever spliced from input.

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
fn partition(c: &Connection, category: &str, month: i64) -> Result<i64> {
    if let Some(n) = c
        .prepare_cached("SELECT part_no FROM timed_partitions WHERE category = ?1 AND month = ?2")?
        .query_row(params![category, month], |r| r.get(0))
        .optional()?
    {
        return Ok(n);
    }
    c.prepare_cached("INSERT INTO timed_partitions (category, month) VALUES (?1, ?2)")?
        .execute(params![category, month])?;
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
    let mut parts: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for r in rows {
        let key = (r.category.clone(), month_index(r.collected_at));
        let n = match parts.get(&key) {
            Some(n) => *n,
            None => {
                let n = partition(c, &key.0, key.1)?;
                parts.insert(key, n);
                n
            }
        };
        c.prepare_cached(&format!(
            "INSERT INTO {} (id, subject_id, collected_at, sealed, key_version) VALUES (?1, ?2, ?3, ?4, ?5)",
            table(n)
        ))?
        .execute(params![r.id, r.subject_id, to_micros(r.collected_at), r.sealed, r.key_version])?;
    }
    Ok(())
}

/// Catalogue entries `(part_no, category, month)`, optionally restricted to categories.
fn catalogue(c: &Connection, categories: &[String]) -> Result<Vec<(i64, String, i64)>> {
    let mut stmt = c.prepare_cached(
        "SELECT part_no, category, month FROM timed_partitions ORDER BY month, part_no",
    )?;
    let all = collect(&mut stmt, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(all
        .into_iter()
        .filter(|(_, cat, _)| categories.is_empty() || categories.contains(cat))
        .collect())
}

pub fn subject_rows(
    c: &Connection,
    subject_id: &str,
    categories: &[String],
) -> Result<Vec<TimedRecord>> {
    let mut out = Vec::new();
    for (n, category, _) in catalogue(c, categories)? {
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

/// Drop partitions whose whole month ends at or before `before`.
pub fn drop_before(
    c: &Connection,
    category: Option<&str>,
    before_month: i64,
    before: DateTime<Utc>,
) -> Result<Vec<DroppedPartition>> {
    let filter: Vec<String> = category.map(|s| vec![s.to_string()]).unwrap_or_default();
    let mut dropped = Vec::new();
    for (n, cat, month) in catalogue(c, &filter)? {
        // Month `m` ends at the start of month m+1.
        let ends = month_start(month + 1)?;
        if month >= before_month || ends > before {
            continue;
        }
        let t = table(n);
        let rows: i64 = c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))?;
        c.execute_batch(&format!("DROP TABLE {t}"))?;
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
        .filter(|(_, _, m)| *m >= from_m && *m <= to_m)
        .map(|(n, _, _)| n)
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
    for (part, _, _) in catalogue(c, &[category.to_string()])? {
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
    for (part, _, _) in catalogue(c, &[])? {
        n += c
            .prepare_cached(&format!(
                "DELETE FROM {} WHERE subject_id = ?1",
                table(part)
            ))?
            .execute([subject_id])? as u64;
    }
    Ok(n)
}
