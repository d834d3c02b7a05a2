//! Native time partitions on PostgreSQL: per high-volume category a parent table
//! `timed_c<n>` `PARTITION BY RANGE (collected_at)`, with one partition per month
//! `timed_c<n>_<yyyymm>` created on demand under an advisory lock (several instances may
//! ingest at once). Expiry is `DROP TABLE` of whole partitions. Table names come from the
//! catalogue numbers, never from caller text.

use std::collections::BTreeSet;

use ::postgres::GenericClient;

use super::conn::Db;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::model::{DroppedPartition, ImpactCount, TimedRecord};
use crate::time::{from_micros, month_index, month_start, month_suffix, to_micros};

pub(super) fn parent(cat_no: i32) -> String {
    format!("timed_c{cat_no}")
}

fn part(cat_no: i32, month: i64) -> String {
    format!("timed_c{cat_no}_{}", month_suffix(month))
}

/// Category numbers for names, optionally restricted (empty = all).
fn categories(c: &mut impl Db, only: &[String]) -> Result<Vec<(i32, String)>> {
    let rows = c.query(
        "SELECT cat_no, category FROM timed_categories ORDER BY cat_no",
        &[],
    )?;
    let all = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<Vec<(i32, String)>>>()?;
    Ok(all
        .into_iter()
        .filter(|(_, name)| only.is_empty() || only.contains(name))
        .collect())
}

/// Make sure every (category, month) partition exists; returns the category numbers.
fn ensure_partitions(
    c: &mut impl Db,
    needed: &BTreeSet<(String, i64)>,
) -> Result<Vec<(String, i32)>> {
    let known: BTreeSet<(String, i64)> = c
        .query(
            "SELECT k.category, p.month FROM timed_partitions p JOIN timed_categories k USING (cat_no)",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, i64::from(r.try_get::<_, i32>(1)?))))
        .collect::<Result<_>>()?;
    if needed.iter().any(|n| !known.contains(n)) {
        let mut tx = c.transaction()?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('habeas-timed:' || current_schema()))",
            &[],
        )?;
        for (category, month) in needed {
            tx.execute(
                "INSERT INTO timed_categories (category) VALUES ($1) ON CONFLICT (category) DO NOTHING",
                &[category],
            )?;
            let cat_no: i32 = tx
                .query_one(
                    "SELECT cat_no FROM timed_categories WHERE category = $1",
                    &[category],
                )?
                .try_get(0)?;
            let p = parent(cat_no);
            let (from, to) = (
                to_micros(month_start(*month)?),
                to_micros(month_start(*month + 1)?),
            );
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {p} (id TEXT NOT NULL, subject_id TEXT NOT NULL, \
                 collected_at BIGINT NOT NULL, sealed BYTEA NOT NULL, key_version BIGINT NOT NULL) \
                 PARTITION BY RANGE (collected_at); \
                 CREATE INDEX IF NOT EXISTS {p}_subject ON {p} (subject_id); \
                 CREATE TABLE IF NOT EXISTS {} PARTITION OF {p} FOR VALUES FROM ({from}) TO ({to});",
                part(cat_no, *month)
            ))?;
            let month32 = i32::try_from(*month).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO timed_partitions (cat_no, month) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&cat_no, &month32],
            )?;
        }
        tx.commit()?;
    }
    let names: BTreeSet<String> = needed.iter().map(|(c, _)| c.clone()).collect();
    let all = categories(c, &names.into_iter().collect::<Vec<_>>())?;
    Ok(all.into_iter().map(|(n, name)| (name, n)).collect())
}

pub fn insert(c: &mut impl Db, rows: &[TimedRecord]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let needed: BTreeSet<(String, i64)> = rows
        .iter()
        .map(|r| (r.category.clone(), month_index(r.collected_at)))
        .collect();
    let cats = ensure_partitions(c, &needed)?;
    let mut tx = c.transaction()?;
    for (category, cat_no) in cats {
        let mine: Vec<&TimedRecord> = rows.iter().filter(|r| r.category == category).collect();
        let ids: Vec<&str> = mine.iter().map(|r| r.id.as_str()).collect();
        let subjects: Vec<&str> = mine.iter().map(|r| r.subject_id.as_str()).collect();
        let ts: Vec<i64> = mine.iter().map(|r| to_micros(r.collected_at)).collect();
        let sealed: Vec<&[u8]> = mine.iter().map(|r| r.sealed.as_slice()).collect();
        let kv: Vec<i64> = mine.iter().map(|r| i64::from(r.key_version)).collect();
        tx.execute(
            &format!(
                "INSERT INTO {} (id, subject_id, collected_at, sealed, key_version) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::bigint[])",
                parent(cat_no)
            ),
            &[&ids, &subjects, &ts, &sealed, &kv],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub fn subject_rows(
    c: &mut impl Db,
    subject_id: &str,
    only: &[String],
) -> Result<Vec<TimedRecord>> {
    let mut out = Vec::new();
    for (cat_no, category) in categories(c, only)? {
        let rows = c.query(
            &format!("SELECT id, subject_id, collected_at, sealed, key_version FROM {} WHERE subject_id = $1", parent(cat_no)),
            &[&subject_id],
        )?;
        for r in rows {
            let kv: i64 = r.try_get(4)?;
            out.push(TimedRecord {
                id: r.try_get(0)?,
                subject_id: r.try_get(1)?,
                category: category.clone(),
                collected_at: from_micros(r.try_get(2)?, "timed")?,
                sealed: r.try_get(3)?,
                key_version: u32::try_from(kv).unwrap_or(u32::MAX),
            });
        }
    }
    out.sort_by(|a, b| (a.collected_at, &a.id).cmp(&(b.collected_at, &b.id)));
    Ok(out)
}

pub fn drop_before(
    c: &mut impl Db,
    _schema: &str,
    category: Option<&str>,
    before: DateTime<Utc>,
) -> Result<Vec<DroppedPartition>> {
    let only: Vec<String> = category.map(|s| vec![s.to_string()]).unwrap_or_default();
    let cats = categories(c, &only)?;
    let mut tx = c.transaction()?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('habeas-timed:' || current_schema()))",
        &[],
    )?;
    let mut dropped = Vec::new();
    for (cat_no, name) in cats {
        let months: Vec<i32> = tx
            .query(
                "SELECT month FROM timed_partitions WHERE cat_no = $1 ORDER BY month",
                &[&cat_no],
            )?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        for m in months {
            let month = i64::from(m);
            if month_start(month + 1)? > before {
                continue;
            }
            let t = part(cat_no, month);
            // One-off texts (the partition is about to go): not cached.
            let rows: i64 = tx
                .client()
                .query_one(&format!("SELECT COUNT(*) FROM {t}"), &[])?
                .try_get(0)?;
            tx.batch_execute(&format!("DROP TABLE {t}"))?;
            tx.execute(
                "DELETE FROM timed_partitions WHERE cat_no = $1 AND month = $2",
                &[&cat_no, &m],
            )?;
            dropped.push(DroppedPartition {
                category: name.clone(),
                month_start: month_start(month)?,
                rows: rows.unsigned_abs(),
            });
        }
    }
    tx.commit()?;
    Ok(dropped)
}

pub fn impact(
    c: &mut impl Db,
    only: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ImpactCount> {
    let cats = categories(c, only)?;
    if cats.is_empty() {
        return Ok(ImpactCount::default());
    }
    let union = cats
        .iter()
        .map(|(n, _)| {
            format!(
                "SELECT subject_id FROM {} WHERE collected_at >= $1 AND collected_at < $2",
                parent(*n)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    // The text depends on the set of categories asked: not cached (rare, breach triage).
    let row = c.client().query_one(
        &format!("SELECT COUNT(DISTINCT subject_id), COUNT(*) FROM ({union}) AS t"),
        &[&to_micros(from), &to_micros(to)],
    )?;
    Ok(ImpactCount {
        subjects: row.try_get::<_, i64>(0)?.unsigned_abs(),
        rows: row.try_get::<_, i64>(1)?.unsigned_abs(),
    })
}

/// A subject's rows of `category` (the category's partitioned parent table).
pub fn delete_subject_category(c: &mut impl Db, subject_id: &str, category: &str) -> Result<u64> {
    let mut n = 0;
    for (cat_no, _) in categories(c, &[category.to_string()])? {
        n += c.execute(
            &format!("DELETE FROM {} WHERE subject_id = $1", parent(cat_no)),
            &[&subject_id],
        )?;
    }
    Ok(n)
}

pub fn delete_subject(c: &mut impl Db, subject_id: &str) -> Result<u64> {
    let mut n = 0;
    for (cat_no, _) in categories(c, &[])? {
        n += c.execute(
            &format!("DELETE FROM {} WHERE subject_id = $1", parent(cat_no)),
            &[&subject_id],
        )?;
    }
    Ok(n)
}
