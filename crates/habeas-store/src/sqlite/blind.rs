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
//! The merge goes by steps (migration 7): in one statement it held the single writer for
//! 0.3–0.6 s at 1M subjects (longer as the index grows), and every write and audited read
//! committing meanwhile waited — the p99 of single-record POSTs went from 11 ms to 0.3–0.7 s
//! in a run with a merge (docs/benchmarks-vault.md, session 13). Once the first level holds
//! [`MERGE_AT`] entries, each [`put`] moves [`STEP_FACTOR`] times as many entries as it adds
//! (plus [`STEP_MIN`]), in key order from where the previous step stopped, until the first
//! level has been walked to its end: each page of the large B-tree is still written once per
//! merge, and no commit carries more than a few times its own entries. Entries added behind
//! the walk wait for the next merge; a lookup finds an entry in whichever level it is.
//! Where the walk stands is a kind and a bucket of the digests' first two bytes, never a
//! digest: the position outlives the entries around it, and must not keep an erased
//! subject's digest.
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

use rusqlite::{Connection, OptionalExtension, params};

use super::multi::{Insert, bind};
use crate::error::{Result, StoreError};
use crate::model::BlindIndexEntry;

/// Entries `blind_recent` may hold before a merge into `blind_index` starts (~18 MiB of
/// pages). Larger, a transaction's random inserts spread over more pages of the first level;
/// smaller, the large B-tree is rewritten more often. At 1M records, 2^17 to 2^19 did about
/// as well, 2^16 and "never" clearly worse (docs/benchmarks-vault.md, session 12).
pub const MERGE_AT: i64 = 1 << 18;

/// During a merge, each [`put`] of `n` entries moves `STEP_FACTOR × n + STEP_MIN` entries (to
/// the end of the last one's bucket). Four times what comes in: a merge of 2^18 entries ends
/// within ~2^16 added ones, so few new entries land behind the walk and wait for the next.
pub const STEP_FACTOR: i64 = 4;
/// See [`STEP_FACTOR`]: single-entry writes still move the merge along.
pub const STEP_MIN: i64 = 16;

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

/// Add `entries` (re-adding an existing entry is a no-op), then take the merge of the first
/// level into the second one step further, starting one if the first level has grown to
/// [`MERGE_AT`]. Each table's rows go in its key order: one
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
    // removal does not subtract, a merge step subtracts what it moved): it only decides when
    // the next merge starts.
    let added = entries.len() as i64;
    let (size, walk): (i64, Option<Walk>) = c
        .prepare_cached(
            "UPDATE blind_recent_size SET entries = entries + ?1, \
             merge_kind = CASE WHEN merge_kind IS NULL AND entries + ?1 >= ?2 THEN '' ELSE merge_kind END, \
             merge_bucket = CASE WHEN merge_kind IS NULL AND entries + ?1 >= ?2 THEN 0 ELSE merge_bucket END \
             WHERE singleton = 1 RETURNING entries, merge_kind, merge_bucket",
        )?
        .query_row([added, MERGE_AT], |r| {
            let kind: Option<String> = r.get(1)?;
            let bucket: Option<i64> = r.get(2)?;
            Ok((r.get(0)?, kind.zip(bucket)))
        })?;
    if let Some(walk) = walk {
        merge_step(c, walk, STEP_FACTOR * added + STEP_MIN, size)?;
    }
    Ok(())
}

/// Where a merge under way stands: the kind and digest bucket its next step starts at.
type Walk = (String, i64);

/// The smallest stored digest of `bucket` (a digest's bucket is its first two bytes,
/// big-endian: 0 to 65535), or, for 65536 ("after the last bucket"), a blob greater than any
/// stored digest (which are at most [`STORED_DIGEST`] bytes).
fn bucket_start(bucket: i64) -> Vec<u8> {
    match u16::try_from(bucket) {
        Ok(b) => b.to_be_bytes().to_vec(),
        Err(_) => vec![0xff; STORED_DIGEST + 1],
    }
}

/// A digest's bucket.
fn bucket_of(digest: &[u8]) -> i64 {
    match digest {
        [a, b, ..] => i64::from(u16::from_be_bytes([*a, *b])),
        [a] => i64::from(*a) << 8,
        [] => 0,
    }
}

/// One step of the merge under way, from `walk`: move the next `want` entries of
/// `blind_recent` (to the end of the last one's bucket) into `blind_index`, in key order, and
/// record where the next step starts — or that the merge is over, when the walk reached the
/// end of the first level. `size` is the first level's recorded size (an upper bound), lowered
/// by what moved.
fn merge_step(c: &Connection, (kind, bucket): Walk, want: i64, size: i64) -> Result<()> {
    let from = bucket_start(bucket);
    let last: Option<(String, Vec<u8>)> = c
        .prepare_cached(
            "SELECT kind, digest FROM blind_recent WHERE (kind, digest) >= (?1, ?2) \
             ORDER BY kind, digest LIMIT 1 OFFSET ?3",
        )?
        .query_row(params![kind, from, want.max(1) - 1], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let next = last.map(|(last_kind, digest)| (last_kind, bucket_of(&digest) + 1));
    let to = next
        .as_ref()
        .map(|(last_kind, to)| (last_kind.as_str(), bucket_start(*to)));
    let moved = move_range(
        c,
        (&kind, &from),
        to.as_ref().map(|(k, d)| (*k, d.as_slice())),
    )?;
    let size = if next.is_some() {
        (size - moved as i64).max(0)
    } else {
        // The merge is over: count what was written behind the walk (a few times fewer
        // entries than the merge moved), which also drops what the upper bound had gathered
        // from re-added and removed entries.
        c.prepare_cached("SELECT COUNT(*) FROM blind_recent")?
            .query_row([], |r| r.get(0))?
    };
    let (next_kind, next_bucket) = next.unzip();
    c.prepare_cached(
        "UPDATE blind_recent_size SET entries = ?1, merge_kind = ?2, merge_bucket = ?3 \
         WHERE singleton = 1",
    )?
    .execute(params![size, next_kind, next_bucket])?;
    Ok(())
}

/// Move the entries of `blind_recent` whose (kind, digest) is at least `from` and below `to`
/// (to the end when `to` is `None`) into `blind_index`; how many left the first level. Each
/// bound is a primary-key range condition (an `IS NULL OR` would not be: the scan would run
/// to the table's end at every step), and the scan is in key order: no sorter.
fn move_range(c: &Connection, from: (&str, &[u8]), to: Option<(&str, &[u8])>) -> Result<usize> {
    // The texts are constants (one `format!` per step was two allocations on every write
    // during a merge, and a longer key for the statement cache to compare).
    macro_rules! texts {
        ($range:literal) => {
            [
                concat!(
                    "INSERT OR IGNORE INTO blind_index (kind, digest, subject_id) ",
                    "SELECT kind, digest, subject_id FROM blind_recent WHERE ",
                    $range
                ),
                concat!("DELETE FROM blind_recent WHERE ", $range),
            ]
        };
    }
    let texts = match to {
        Some(_) => texts!("(kind, digest) >= (?1, ?2) AND (kind, digest) < (?3, ?4)"),
        None => texts!("(kind, digest) >= (?1, ?2)"),
    };
    let mut moved = 0;
    for sql in texts {
        let mut stmt = c.prepare_cached(sql)?;
        moved = match to {
            Some(to) => stmt.execute(params![from.0, from.1, to.0, to.1])?,
            None => stmt.execute(params![from.0, from.1])?,
        };
    }
    // What the DELETE removed: the entries that left the first level.
    Ok(moved)
}

/// Move every entry of `blind_recent` into `blind_index` at once, ending any merge under way.
/// Tests use it to put entries in the second level.
#[cfg(test)]
pub fn merge(c: &Connection) -> Result<()> {
    move_range(c, ("", &[]), None)?;
    c.prepare_cached(
        "UPDATE blind_recent_size SET entries = 0, merge_kind = NULL, merge_bucket = NULL \
         WHERE singleton = 1",
    )?
    .execute([])?;
    Ok(())
}

/// [`find`]'s statement: both levels, one answer in id order.
pub(crate) const FIND_SQL: &str = "SELECT subject_id FROM blind_index WHERE kind = ?1 AND digest = ?2 \
     UNION SELECT subject_id FROM blind_recent WHERE kind = ?1 AND digest = ?2 \
     ORDER BY subject_id";

/// The subjects an identifier's digest points to, in id order.
pub fn find(c: &Connection, kind: &str, digest: &[u8]) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(FIND_SQL)?;
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

    /// The recorded size of the first level and where a merge under way stands.
    fn merge_state(c: &Connection) -> (i64, Option<String>, Option<i64>) {
        c.query_row(
            "SELECT entries, merge_kind, merge_bucket FROM blind_recent_size",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("state")
    }

    #[test]
    fn a_merge_starts_once_the_first_level_holds_merge_at_entries() {
        let c = db();
        c.execute("UPDATE blind_recent_size SET entries = ?1", [MERGE_AT - 2])
            .expect("size");
        put(&c, &mut [e("email", 1, "s1")]).expect("put");
        assert_eq!(
            (count(&c, "blind_recent"), count(&c, "blind_index")),
            (1, 0)
        );
        assert_eq!(merge_state(&c), (MERGE_AT - 1, None, None));
        // The size reaches MERGE_AT: a merge starts, and its first step moves up to 20
        // entries (4 × 1 + 16) — here all two, which ends it.
        put(&c, &mut [e("email", 2, "s2")]).expect("put");
        assert_eq!(
            (count(&c, "blind_recent"), count(&c, "blind_index")),
            (0, 2)
        );
        assert_eq!(merge_state(&c), (0, None, None));
        assert_eq!(find(&c, "email", &[2; 32]).expect("find"), ["s2"]);
    }

    #[test]
    fn a_merge_moves_a_few_times_what_each_write_adds_until_it_walked_the_first_level() {
        let c = db();
        // 200 entries in as many buckets (a test digest is one byte repeated).
        let mut first: Vec<_> = (0..200u8)
            .map(|d| e("email", d, &format!("s{d:03}")))
            .collect();
        put(&c, &mut first).expect("put");
        c.execute("UPDATE blind_recent_size SET entries = ?1", [MERGE_AT - 1])
            .expect("size");
        let mut written = first.clone();
        let mut steps = 0;
        let mut merged = 0;
        for d in 200..=255u8 {
            // One entry per write, alternately behind the walk (a kind sorting before
            // `email`) and ahead of it.
            let kind = if d % 2 == 0 { "a/phone" } else { "email" };
            let one = e(kind, d, &format!("t{d:03}"));
            put(&c, &mut [one.clone()]).expect("put");
            written.push(one);
            let now = count(&c, "blind_index");
            assert!(
                now - merged <= STEP_FACTOR + STEP_MIN,
                "a one-entry write moved {} entries",
                now - merged
            );
            merged = now;
            // Every entry is found, in whichever level it is.
            for w in &written {
                assert_eq!(
                    find(&c, &w.kind, &w.digest).expect("find"),
                    std::slice::from_ref(&w.subject_id),
                    "{} lost mid-merge",
                    w.subject_id
                );
            }
            steps += 1;
            let (_, kind, bucket) = merge_state(&c);
            if kind.is_none() {
                assert_eq!(bucket, None);
                break;
            }
            // The walk's position: a kind and a two-byte bucket, never a digest.
            assert!(bucket.is_some_and(|b| (0..=65_536).contains(&b)));
        }
        assert!(steps > 5, "the merge took {steps} writes, not a few steps");
        assert_eq!(merge_state(&c).1, None, "the merge never ended");
        // What was written behind the walk waits in the first level for the next merge.
        let behind: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM blind_recent WHERE kind = 'a/phone'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(count(&c, "blind_recent"), behind);
        assert!(behind > 0);
        // The recorded size is exact again once a merge ends (the start was forced above).
        assert_eq!(merge_state(&c).0, behind);
        assert_eq!(count(&c, "blind_by_subject"), written.len() as i64);
    }

    #[test]
    fn a_removal_during_a_merge_leaves_nothing_of_the_subject() {
        let c = db();
        let mut first: Vec<_> = (0..100u8)
            .map(|d| e("email", d, &format!("s{}", d % 2)))
            .collect();
        put(&c, &mut first).expect("put");
        c.execute("UPDATE blind_recent_size SET entries = ?1", [MERGE_AT])
            .expect("size");
        put(&c, &mut [e("email", 150, "s0")]).expect("put");
        let (_, kind, _) = merge_state(&c);
        assert_eq!(kind.as_deref(), Some("email"), "a merge is under way");
        assert!(count(&c, "blind_index") > 0 && count(&c, "blind_recent") > 0);
        assert_eq!(remove_subject(&c, "s0", None).expect("remove"), 51);
        for table in ["blind_index", "blind_recent", "blind_by_subject"] {
            let s0: i64 = c
                .query_row(
                    &format!("SELECT COUNT(*) FROM {table} WHERE subject_id = 's0'"),
                    [],
                    |r| r.get(0),
                )
                .expect("count");
            assert_eq!((table, s0), (table, 0));
        }
        // The merge goes on over what is left.
        put(&c, &mut [e("email", 200, "s1")]).expect("put");
        assert_eq!(find(&c, "email", &[99; 32]).expect("find"), ["s1"]);
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
