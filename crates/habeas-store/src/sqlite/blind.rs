//! The blind index on SQLite, in two levels (migration 6).
//!
//! Why: a blind-index digest is an HMAC, so new entries are uniformly random keys. In one large
//! B-tree every bulk transaction touched most of its pages, and each touched page was written
//! to the WAL and again to the database file: at 1M subjects that was two thirds of an
//! ingest's bytes and ~40 % of its time (docs/benchmarks-vault.md, session 12). Like the first
//! level of a log-structured merge tree, new entries go to `blind_recent`, a B-tree kept small
//! enough that a transaction's random inserts land on few pages; once it holds
//! [`MERGE_AT`] entries, the writer moves them into `blind_index` in key order, which writes
//! each page of the large B-tree once per merge instead of once per transaction.
//!
//! `blind_by_subject` lists every entry of either level by subject, for erasure (GDPR
//! Art. 17) and category removal; its rows are inserted in subject order, so for new subjects
//! (time-ordered ids) they append. A lookup reads both levels (two primary-key searches).
//! Removal deletes from all three tables, so no level keeps an entry of an erased subject
//! (`secure_delete` zeroes the bytes, as everywhere in the store).
//!
//! Only the first [`STORED_DIGEST`] bytes of a digest are kept (of HMAC-SHA-256's 32): the
//! entries are ~20 % smaller, so fewer pages per level (1M ingest +5 %, −11 % bytes written,
//! session 12). 128 bits leave an accidental match between two identifiers at ~2^-128 per
//! pair, ~2^-88 over a trillion pairs; the digest is as one-way as before.

use rusqlite::{Connection, params};

use super::multi::{Insert, bind};
use crate::error::{Result, StoreError};
use crate::model::BlindIndexEntry;

/// Entries `blind_recent` may hold before they are merged into `blind_index` (~18 MiB of
/// pages). Larger, a transaction's random inserts spread over more pages of the first level;
/// smaller, the large B-tree is rewritten more often. At 1M records, 2^17 to 2^19 did about
/// as well, 2^16 and "never" clearly worse (docs/benchmarks-vault.md, session 12).
pub const MERGE_AT: i64 = 1 << 18;

/// Bytes of a digest the SQLite store keeps and compares (a truncated HMAC; PostgreSQL keeps
/// all 32).
pub const STORED_DIGEST: usize = 16;

/// The part of `digest` that is stored and compared.
fn stored(digest: &[u8]) -> &[u8] {
    &digest[..digest.len().min(STORED_DIGEST)]
}

static RECENT: Insert = Insert::new(
    "INSERT OR IGNORE INTO blind_recent (kind, digest, subject_id)",
    3,
);
static BY_SUBJECT: Insert = Insert::new(
    "INSERT OR IGNORE INTO blind_by_subject (subject_id, kind, digest)",
    3,
);

/// Add `entries` (re-adding an existing entry is a no-op), then merge the first level into
/// the second if it has grown to [`MERGE_AT`]. Each table's rows go in its key order: one
/// pass over the pages a unit touches, instead of jumps across the tree.
pub fn put(c: &Connection, entries: &mut [BlindIndexEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    // Sorted by the whole digest, the entries are also in the order of their stored part.
    entries.sort_unstable_by(|a, b| {
        (&a.kind, &a.digest, &a.subject_id).cmp(&(&b.kind, &b.digest, &b.subject_id))
    });
    RECENT.run(
        c,
        entries,
        |s, at, e| bind(s, at, params![e.kind, stored(&e.digest), e.subject_id]),
        |e, _| StoreError::Sqlite(e),
    )?;
    entries.sort_unstable_by(|a, b| {
        (&a.subject_id, &a.kind, &a.digest).cmp(&(&b.subject_id, &b.kind, &b.digest))
    });
    BY_SUBJECT.run(
        c,
        entries,
        |s, at, e| bind(s, at, params![e.subject_id, e.kind, stored(&e.digest)]),
        |e, _| StoreError::Sqlite(e),
    )?;
    // An upper bound of the first level's size (an entry already present counts again, a
    // removal does not subtract): it only decides when the next merge comes.
    let size: i64 = c
        .prepare_cached(
            "UPDATE blind_recent_size SET entries = entries + ?1 WHERE singleton = 1 RETURNING entries",
        )?
        .query_row([entries.len() as i64], |r| r.get(0))?;
    if size >= MERGE_AT {
        merge(c)?;
    }
    Ok(())
}

/// Move every entry of `blind_recent` into `blind_index`, in key order (the scan of a
/// WITHOUT ROWID table is in key order: no sorter).
pub fn merge(c: &Connection) -> Result<()> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO blind_index (kind, digest, subject_id) \
         SELECT kind, digest, subject_id FROM blind_recent",
    )?
    .execute([])?;
    c.prepare_cached("DELETE FROM blind_recent")?.execute([])?;
    c.prepare_cached("UPDATE blind_recent_size SET entries = 0 WHERE singleton = 1")?
        .execute([])?;
    Ok(())
}

/// The subjects an identifier's digest points to, in id order.
pub fn find(c: &Connection, kind: &str, digest: &[u8]) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT subject_id FROM blind_index WHERE kind = ?1 AND digest = ?2 \
         UNION SELECT subject_id FROM blind_recent WHERE kind = ?1 AND digest = ?2 \
         ORDER BY subject_id",
    )?;
    let rows = stmt.query_map(params![kind, stored(digest)], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Remove these entries from both levels; how many existed.
pub fn remove(c: &Connection, entries: &[BlindIndexEntry]) -> Result<u64> {
    let mut n = 0u64;
    for table in ["blind_index", "blind_recent"] {
        let mut stmt = c.prepare_cached(&format!(
            "DELETE FROM {table} WHERE kind = ?1 AND digest = ?2 AND subject_id = ?3"
        ))?;
        for e in entries {
            stmt.execute(params![e.kind, stored(&e.digest), e.subject_id])?;
        }
    }
    let mut stmt = c.prepare_cached(
        "DELETE FROM blind_by_subject WHERE subject_id = ?1 AND kind = ?2 AND digest = ?3",
    )?;
    for e in entries {
        n += stmt.execute(params![e.subject_id, e.kind, stored(&e.digest)])? as u64;
    }
    Ok(n)
}

/// Remove a subject's entries (of one kind, or all when `kind` is `None`); how many existed.
pub fn remove_subject(c: &Connection, subject_id: &str, kind: Option<&str>) -> Result<u64> {
    const OF_SUBJECT: &str = "SELECT kind, digest, subject_id FROM blind_by_subject \
                              WHERE subject_id = ?1 AND (?2 IS NULL OR kind = ?2)";
    for table in ["blind_index", "blind_recent"] {
        c.prepare_cached(&format!(
            "DELETE FROM {table} WHERE (kind, digest, subject_id) IN ({OF_SUBJECT})"
        ))?
        .execute(params![subject_id, kind])?;
    }
    let n = c
        .prepare_cached(
            "DELETE FROM blind_by_subject WHERE subject_id = ?1 AND (?2 IS NULL OR kind = ?2)",
        )?
        .execute(params![subject_id, kind])?;
    Ok(n as u64)
}

/// Remove, for each (subject, category) pair of `pairs` (a JSON array of two-string arrays),
/// the subject's entries whose kind is `category/…`; how many existed.
pub fn remove_categories(c: &Connection, pairs: &str) -> Result<u64> {
    let entries = c
        .prepare_cached(
            "SELECT b.kind, b.digest, b.subject_id FROM json_each(?1) AS j JOIN blind_by_subject AS b \
             ON b.subject_id = json_extract(j.value, '$[0]') \
             AND substr(b.kind, 1, length(json_extract(j.value, '$[1]')) + 1) \
             = json_extract(j.value, '$[1]') || '/'",
        )?
        .query_map([pairs], |r| {
            Ok(BlindIndexEntry {
                kind: r.get(0)?,
                digest: r.get(1)?,
                subject_id: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    remove(c, &entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().expect("open");
        super::super::migrate(&mut c, crate::migrations::SQLITE_DATA).expect("migrate");
        c
    }

    fn e(kind: &str, digest: u8, subject: &str) -> BlindIndexEntry {
        BlindIndexEntry {
            kind: kind.into(),
            digest: vec![digest; 32],
            subject_id: subject.into(),
        }
    }

    fn count(c: &Connection, table: &str) -> i64 {
        c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .expect("count")
    }

    #[test]
    fn entries_are_found_in_either_level_once() {
        let c = db();
        put(&c, &mut [e("email", 1, "s2"), e("email", 1, "s1")]).expect("put");
        assert_eq!(count(&c, "blind_recent"), 2);
        assert_eq!(count(&c, "blind_index"), 0);
        merge(&c).expect("merge");
        assert_eq!(
            (count(&c, "blind_recent"), count(&c, "blind_index")),
            (0, 2)
        );
        // The same entry again lands in the first level: one answer, not two.
        put(&c, &mut [e("email", 1, "s1"), e("email", 1, "s3")]).expect("put");
        assert_eq!(
            find(&c, "email", &[1; 32]).expect("find"),
            ["s1", "s2", "s3"]
        );
        assert!(find(&c, "phone", &[1; 32]).expect("find").is_empty());
        assert_eq!(count(&c, "blind_by_subject"), 3);
    }

    #[test]
    fn only_the_first_bytes_of_a_digest_are_stored_and_compared() {
        let c = db();
        let mut long = e("email", 7, "s1");
        long.digest.extend_from_slice(&[9; 8]);
        put(&c, &mut [long.clone()]).expect("put");
        let stored: Vec<u8> = c
            .query_row("SELECT digest FROM blind_recent", [], |r| r.get(0))
            .expect("stored");
        assert_eq!(stored, vec![7; STORED_DIGEST]);
        assert_eq!(find(&c, "email", &long.digest).expect("find"), ["s1"]);
        let mut other = vec![7; STORED_DIGEST];
        other.push(1);
        assert_eq!(find(&c, "email", &other).expect("find"), ["s1"]);
        assert!(find(&c, "email", &[7; 15]).expect("find").is_empty());
        assert_eq!(remove(&c, &[long]).expect("remove"), 1);
        assert_eq!(count(&c, "blind_recent") + count(&c, "blind_by_subject"), 0);
    }

    #[test]
    fn the_first_level_is_merged_once_it_holds_merge_at_entries() {
        let c = db();
        c.execute("UPDATE blind_recent_size SET entries = ?1", [MERGE_AT - 2])
            .expect("size");
        put(&c, &mut [e("email", 1, "s1")]).expect("put");
        assert_eq!(
            (count(&c, "blind_recent"), count(&c, "blind_index")),
            (1, 0)
        );
        put(&c, &mut [e("email", 2, "s2")]).expect("put");
        assert_eq!(
            (count(&c, "blind_recent"), count(&c, "blind_index")),
            (0, 2)
        );
        let size: i64 = c
            .query_row("SELECT entries FROM blind_recent_size", [], |r| r.get(0))
            .expect("size");
        assert_eq!(size, 0);
        assert_eq!(find(&c, "email", &[2; 32]).expect("find"), ["s2"]);
    }

    #[test]
    fn removal_leaves_no_entry_of_the_subject_in_any_table() {
        let c = db();
        put(
            &c,
            &mut [
                e("email", 1, "s1"),
                e("phone", 2, "s1"),
                e("email", 3, "s2"),
            ],
        )
        .expect("put");
        merge(&c).expect("merge");
        put(&c, &mut [e("contact/customer", 4, "s1")]).expect("put");
        assert_eq!(remove_subject(&c, "s1", Some("phone")).expect("kind"), 1);
        assert!(find(&c, "phone", &[2; 32]).expect("find").is_empty());
        assert_eq!(remove_subject(&c, "s1", None).expect("subject"), 2);
        for (table, left) in [
            ("blind_index", 1),
            ("blind_recent", 0),
            ("blind_by_subject", 1),
        ] {
            let s1: i64 = c
                .query_row(
                    &format!("SELECT COUNT(*) FROM {table} WHERE subject_id = 's1'"),
                    [],
                    |r| r.get(0),
                )
                .expect("count");
            assert_eq!((table, s1, count(&c, table)), (table, 0, left));
        }
        assert_eq!(
            remove(&c, &[e("email", 3, "s2"), e("email", 9, "s2")]).expect("remove"),
            1
        );
        assert_eq!(count(&c, "blind_index") + count(&c, "blind_by_subject"), 0);
    }

    #[test]
    fn a_category_removal_takes_only_that_categorys_kinds_of_that_subject() {
        let c = db();
        put(
            &c,
            &mut [
                e("contact/customer", 1, "s1"),
                e("billing/customer", 2, "s1"),
                e("contact/customer", 3, "s2"),
            ],
        )
        .expect("put");
        merge(&c).expect("merge");
        put(&c, &mut [e("contact/phone", 4, "s1")]).expect("put");
        assert_eq!(
            remove_categories(&c, r#"[["s1","contact"]]"#).expect("remove"),
            2
        );
        assert!(
            find(&c, "contact/customer", &[1; 32])
                .expect("find")
                .is_empty()
        );
        assert!(
            find(&c, "contact/phone", &[4; 32])
                .expect("find")
                .is_empty()
        );
        assert_eq!(
            find(&c, "billing/customer", &[2; 32]).expect("find"),
            ["s1"]
        );
        assert_eq!(
            find(&c, "contact/customer", &[3; 32]).expect("find"),
            ["s2"]
        );
    }
}
