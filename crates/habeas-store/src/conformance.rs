//! The behaviour suite every backend must pass (atuin/garage "contract suite" idea).
//!
//! Each check takes a fresh, empty [`Fixture`] and panics with a message naming the broken
//! behaviour. Backend tests call [`run_all`] with a factory: temp directories for SQLite, a
//! throw-away schema for PostgreSQL.
#![allow(clippy::missing_panics_doc)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::model::*;
use crate::{KeyStore, Store, StoreError};

/// A fresh store pair; `cleanup` runs when the fixture is dropped.
pub struct Fixture {
    pub store: Box<dyn Store>,
    pub keys: Box<dyn KeyStore>,
    pub cleanup: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(f) = self.cleanup.take() {
            f();
        }
    }
}

/// A check of the suite.
pub type Check = fn(&Fixture);

/// Every check, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("subjects", subjects),
    ("records", records),
    ("records_all_or_nothing", records_all_or_nothing),
    ("due_records", due_records),
    ("timed_partitions", timed_partitions),
    ("blind_indexes", blind_indexes),
    ("journal", journal),
    ("tokens", tokens),
    ("leases", leases),
    ("keys", keys),
    ("concurrent_writers", concurrent_writers),
    ("link_incident", crate::conformance_incident::link_incident),
    (
        "date_subject_event",
        crate::conformance_commit::date_subject_event,
    ),
    ("commit_atomic", crate::conformance_commit::commit_atomic),
    (
        "record_operations",
        crate::conformance_commit::record_operations,
    ),
    (
        "purge_operations",
        crate::conformance_commit::purge_operations,
    ),
    (
        "records_as_read_guard",
        crate::conformance_commit::records_as_read_guard,
    ),
    (
        "doc_count_guard",
        crate::conformance_commit::doc_count_guard,
    ),
    (
        "timed_category_erasure",
        crate::conformance_commit::timed_category_erasure,
    ),
    ("documents", crate::conformance_commit::documents),
    (
        "document_filing",
        crate::conformance_commit::document_filing,
    ),
    (
        "document_deletion",
        crate::conformance_commit::document_deletion,
    ),
    (
        "concurrent_commits",
        crate::conformance_commit::concurrent_commits,
    ),
];

/// Run every check, each on a fresh fixture from `make`.
pub fn run_all(make: &mut dyn FnMut() -> Fixture) {
    for (name, check) in CHECKS {
        eprintln!("conformance: {name}");
        let fixture = make();
        check(&fixture);
    }
}

/// A fixed instant plus `days`.
pub fn day(days: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::days(days)
}

/// A subject fixture.
pub fn subject(id: &str, status: SubjectStatus) -> Subject {
    Subject {
        id: id.into(),
        kind: "customer".into(),
        status,
        created_at: day(0),
        closed_at: None,
        grace_until: None,
        erased_at: None,
    }
}

/// A record fixture.
pub fn record(
    id: &str,
    subject_id: &str,
    category: &str,
    collected_day: i64,
    due_day: Option<i64>,
) -> Record {
    let mut custom = BTreeMap::new();
    custom.insert("trial_end".to_string(), day(collected_day + 30));
    Record {
        id: id.into(),
        subject_id: subject_id.into(),
        category: category.into(),
        collected_at: day(collected_day),
        source_channel: "api".into(),
        purposes: vec!["billing".into(), "support".into()],
        events: EventDates {
            last_interaction: Some(day(collected_day + 1)),
            contract_end: None,
            account_closure: Some(day(collected_day + 2)),
            custom,
        },
        incident_linked: collected_day.rem_euclid(2) == 0,
        retention_due: due_day.map(day),
        sealed: format!("sealed:{id}").into_bytes(),
        key_version: 1,
    }
}

/// Ids of the records of `category` due by `due_by`, as the purge lists them.
pub fn due_ids(s: &dyn crate::Store, category: &str, due_by: DateTime<Utc>) -> Vec<String> {
    s.due_records(&DueQuery {
        due_by,
        category: Some(category.into()),
        after: None,
        limit: 100,
    })
    .expect("due records")
    .into_iter()
    .map(|r| r.id)
    .collect()
}

/// A time-partitioned row fixture.
pub fn timed(id: &str, subject_id: &str, category: &str, at: DateTime<Utc>) -> TimedRecord {
    TimedRecord {
        id: id.into(),
        subject_id: subject_id.into(),
        category: category.into(),
        collected_at: at,
        sealed: format!("log:{id}").into_bytes(),
        key_version: 1,
    }
}

fn ok<T>(r: crate::Result<T>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected error: {e}"),
    }
}

/// Subjects: create, conflict, get, update, list by status and grace date, paging.
pub fn subjects(f: &Fixture) {
    let s = &*f.store;
    ok(
        s.create_subject(&subject("s1", SubjectStatus::Active)),
        "create s1",
    );
    assert!(matches!(
        s.create_subject(&subject("s1", SubjectStatus::Active)),
        Err(StoreError::Conflict { .. })
    ));
    let mut closed = subject("s2", SubjectStatus::Closed);
    closed.closed_at = Some(day(10));
    closed.grace_until = Some(day(40));
    ok(s.create_subject(&closed), "create s2");
    ok(
        s.create_subject(&subject("s3", SubjectStatus::Active)),
        "create s3",
    );
    assert_eq!(ok(s.get_subject("s2"), "get"), Some(closed.clone()));
    assert_eq!(ok(s.get_subject("nope"), "get missing"), None);

    let mut erased = closed.clone();
    erased.status = SubjectStatus::Erased;
    erased.erased_at = Some(day(41));
    ok(s.update_subject(&erased), "update");
    assert_eq!(ok(s.get_subject("s2"), "get"), Some(erased));
    assert!(matches!(
        s.update_subject(&subject("zz", SubjectStatus::Active)),
        Err(StoreError::NotFound { .. })
    ));

    let active = ok(
        s.list_subjects(&SubjectFilter {
            status: Some(SubjectStatus::Active),
            limit: 10,
            ..Default::default()
        }),
        "list",
    );
    assert_eq!(
        active.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        ["s1", "s3"]
    );
    let due = ok(
        s.list_subjects(&SubjectFilter {
            grace_due_by: Some(day(40)),
            limit: 10,
            ..Default::default()
        }),
        "due",
    );
    assert_eq!(due.len(), 1, "grace_until <= t is inclusive");
    assert!(
        ok(
            s.list_subjects(&SubjectFilter {
                grace_due_by: Some(day(39)),
                limit: 10,
                ..Default::default()
            }),
            "d"
        )
        .is_empty()
    );
    let page2 = ok(
        s.list_subjects(&SubjectFilter {
            after_id: Some("s1".into()),
            limit: 1,
            ..Default::default()
        }),
        "page",
    );
    assert_eq!(
        page2.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        ["s2"]
    );
}

/// Records: bulk insert, read by subject (and category), read one, rectify, delete.
pub fn records(f: &Fixture) {
    let s = &*f.store;
    let batch = vec![
        record("r3", "s1", "contact", 3, Some(100)),
        record("r1", "s1", "contact", 1, None),
        record("r2", "s1", "billing", 2, Some(50)),
        record("r4", "s2", "contact", 1, None),
    ];
    ok(s.insert_records(batch.clone()), "insert");
    let all = ok(s.subject_records("s1", None), "read");
    assert_eq!(
        all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r1", "r2", "r3"],
        "ordered by collected_at"
    );
    assert_eq!(all[0], batch[1], "every field round-trips");
    let contact = ok(s.subject_records("s1", Some("contact")), "read category");
    assert_eq!(contact.len(), 2);
    assert_eq!(ok(s.get_record("r2"), "get"), Some(batch[2].clone()));
    assert_eq!(ok(s.get_record("missing"), "get"), None);

    ok(s.replace_sealed("r2", b"rectified", 2), "rectify");
    let r2 = ok(s.get_record("r2"), "get").unwrap_or_else(|| panic!("r2 vanished"));
    assert_eq!(
        (r2.sealed.as_slice(), r2.key_version),
        (&b"rectified"[..], 2)
    );
    assert!(matches!(
        s.replace_sealed("missing", b"x", 1),
        Err(StoreError::NotFound { .. })
    ));

    let counts = ok(s.count_by_category(), "count");
    assert_eq!(counts.get("contact"), Some(&3));
    assert_eq!(counts.get("billing"), Some(&1));
    assert_eq!(
        ok(
            s.delete_subject_records("s1", Some("contact")),
            "delete cat"
        ),
        2
    );
    assert_eq!(ok(s.delete_subject_records("s1", None), "delete all"), 1);
    assert!(ok(s.subject_records("s1", None), "read").is_empty());
    assert_eq!(
        ok(s.subject_records("s2", None), "other subject kept").len(),
        1
    );

    // Same collection time: the id decides, whatever the insertion order; a
    // category's read keeps that order and leaves the other category out.
    ok(
        s.insert_records(vec![
            record("r9", "s3", "contact", 5, None),
            record("r7", "s3", "billing", 6, None),
            record("r8", "s3", "contact", 5, None),
            record("r6", "s3", "contact", 7, None),
        ]),
        "insert ties",
    );
    // A page of subjects read at once: their records of one category, nothing else.
    let mut page = ok(
        s.records_of_subjects(&["s2".into(), "s3".into(), "s9".into()], "contact"),
        "records of subjects",
    );
    page.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        page.iter()
            .map(|r| (r.id.as_str(), r.subject_id.as_str()))
            .collect::<Vec<_>>(),
        [("r4", "s2"), ("r6", "s3"), ("r8", "s3"), ("r9", "s3")]
    );
    assert_eq!(page[0], batch[3], "every field round-trips");
    assert!(ok(s.records_of_subjects(&[], "contact"), "no subjects").is_empty());
    let ids = |rows: Vec<Record>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(ok(s.subject_records("s3", None), "read ties")),
        ["r8", "r9", "r7", "r6"]
    );
    assert_eq!(
        ids(ok(s.subject_records("s3", Some("contact")), "read ties")),
        ["r8", "r9", "r6"]
    );
}

/// A batch with a duplicate id writes nothing.
pub fn records_all_or_nothing(f: &Fixture) {
    let s = &*f.store;
    ok(
        s.insert_records(vec![record("a", "s1", "contact", 1, None)]),
        "insert",
    );
    let err = s.insert_records(vec![
        record("b", "s1", "contact", 1, None),
        record("a", "s1", "contact", 2, None),
    ]);
    assert!(
        matches!(err, Err(StoreError::Conflict { .. })),
        "duplicate id refused: {err:?}"
    );
    assert_eq!(
        ok(s.get_record("b"), "get"),
        None,
        "nothing of a refused batch is stored"
    );
}

/// Due records: inclusive bound, category filter, keyset paging, delete by ids.
pub fn due_records(f: &Fixture) {
    let s = &*f.store;
    let recs: Vec<Record> = (0..10)
        .map(|i| {
            record(
                &format!("d{i}"),
                "s1",
                if i % 2 == 0 { "even" } else { "odd" },
                i,
                Some(i / 2),
            )
        })
        .collect();
    ok(s.insert_records(recs), "insert");
    ok(
        s.insert_records(vec![record("never", "s1", "even", 0, None)]),
        "insert",
    );
    let q = DueQuery {
        due_by: day(2),
        category: None,
        after: None,
        limit: 100,
    };
    let due = ok(s.due_records(&q), "due");
    assert_eq!(
        due.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        ["d0", "d1", "d2", "d3", "d4", "d5"]
    );
    // The incident flag is listed as stored (fixtures: even collection days are linked).
    assert_eq!(
        due.iter().map(|d| d.incident_linked).collect::<Vec<_>>(),
        [true, false, true, false, true, false],
        "due listing carries incident_linked"
    );
    let even = ok(
        s.due_records(&DueQuery {
            category: Some("even".into()),
            ..q.clone()
        }),
        "even",
    );
    assert_eq!(even.len(), 3);
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = ok(
            s.due_records(&DueQuery {
                after: after.clone(),
                limit: 4,
                ..q.clone()
            }),
            "page",
        );
        let Some(last) = page.last() else { break };
        after = Some((last.retention_due, last.id.clone()));
        paged.extend(page);
    }
    assert_eq!(paged, due, "keyset paging visits each due record once");
    let ids: Vec<String> = due.iter().map(|d| d.id.clone()).collect();
    assert_eq!(ok(s.delete_records(&ids), "delete"), 6);
    assert_eq!(ok(s.delete_records(&ids), "delete again"), 0);
    assert!(ok(s.due_records(&q), "due").is_empty());
}

/// Time partitions: bulk insert, read across partitions, impact counts, drop whole months.
pub fn timed_partitions(f: &Fixture) {
    let s = &*f.store;
    let jan = Utc.with_ymd_and_hms(2025, 1, 15, 12, 0, 0).unwrap();
    let feb = Utc.with_ymd_and_hms(2025, 2, 3, 8, 0, 0).unwrap();
    let mar = Utc.with_ymd_and_hms(2025, 3, 20, 12, 0, 0).unwrap();
    let mut rows = Vec::new();
    for (i, at) in [jan, feb, mar].into_iter().enumerate() {
        for n in 0..5 {
            rows.push(timed(
                &format!("c{i}{n}"),
                &format!("s{}", n % 3),
                "connection_logs",
                at + Duration::seconds(n),
            ));
        }
        rows.push(timed(&format!("sec{i}"), "s0", "security_logs", at));
    }
    ok(s.insert_timed(rows), "insert timed");
    ok(
        s.insert_timed(vec![timed("late", "s1", "connection_logs", feb)]),
        "second batch reuses partitions",
    );
    let s0 = ok(s.subject_timed("s0", &[]), "subject rows");
    assert_eq!(
        s0.len(),
        3 * 2 + 3,
        "s0: 2 connection rows and 1 security row per month"
    );
    assert!(
        s0.windows(2)
            .all(|w| w[0].collected_at <= w[1].collected_at),
        "ordered by time"
    );
    let only_sec = ok(s.subject_timed("s0", &["security_logs".into()]), "filter");
    assert_eq!(only_sec.len(), 3);
    assert_eq!(only_sec[0].sealed, b"log:sec0");

    let cats = vec!["connection_logs".to_string()];
    let impact = ok(
        s.timed_impact(
            &cats,
            Utc.with_ymd_and_hms(2025, 2, 1, 0, 0, 0).unwrap(),
            mar + Duration::seconds(2),
        ),
        "impact",
    );
    assert_eq!(
        impact,
        ImpactCount {
            subjects: 3,
            rows: 6 + 2
        },
        "all of February (6 rows) + 2 March rows; `to` excluded"
    );

    // Dropping before 1 March removes the January and February partitions only.
    let dropped = ok(
        s.drop_timed_before(
            Some("connection_logs"),
            Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap(),
        ),
        "drop",
    );
    let mut summary: Vec<(String, u64)> = dropped
        .iter()
        .map(|d| (d.month_start.format("%Y-%m").to_string(), d.rows))
        .collect();
    summary.sort();
    assert_eq!(
        summary,
        [("2025-01".to_string(), 5), ("2025-02".to_string(), 6)]
    );
    assert_eq!(
        ok(s.subject_timed("s0", &cats), "after drop").len(),
        2,
        "March rows remain"
    );
    assert_eq!(
        ok(
            s.subject_timed("s0", &["security_logs".into()]),
            "other category"
        )
        .len(),
        3,
        "untouched"
    );
    assert!(
        ok(
            s.drop_timed_before(None, Utc.with_ymd_and_hms(2025, 3, 31, 0, 0, 0).unwrap()),
            "partial month"
        )
        .iter()
        .all(|d| d.month_start < Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap()),
        "a month not yet over is kept"
    );
    assert_eq!(
        ok(s.delete_subject_timed("s0"), "erase"),
        3,
        "2 March connection rows + 1 March security row"
    );
    assert!(ok(s.subject_timed("s0", &[]), "gone").is_empty());
}

/// Blind indexes: put (idempotent), find, remove a subject's.
pub fn blind_indexes(f: &Fixture) {
    let s = &*f.store;
    let e = |kind: &str, d: u8, sub: &str| BlindIndexEntry {
        kind: kind.into(),
        digest: vec![d; 32],
        subject_id: sub.into(),
    };
    ok(
        s.put_blind_indexes(&[
            e("email", 1, "s1"),
            e("phone", 2, "s1"),
            e("email", 3, "s2"),
            e("email", 1, "s3"),
        ]),
        "put",
    );
    ok(
        s.put_blind_indexes(&[e("email", 1, "s1")]),
        "put again is harmless",
    );
    assert_eq!(ok(s.find_subjects("email", &[1; 32]), "find"), ["s1", "s3"]);
    assert!(ok(s.find_subjects("phone", &[1; 32]), "kind matters").is_empty());
    let kinds = ["phone".to_string(), "email".to_string(), "fax".to_string()];
    assert_eq!(
        ok(
            s.find_subjects_any(&kinds, &[1; 32]),
            "find in several kinds"
        ),
        [
            ("email".to_string(), "s1".to_string()),
            ("email".to_string(), "s3".to_string())
        ]
    );
    assert_eq!(
        ok(
            s.find_subjects_any(&kinds, &[2; 32]),
            "find in several kinds"
        ),
        [("phone".to_string(), "s1".to_string())]
    );
    assert_eq!(ok(s.remove_subject_indexes("s1"), "remove"), 2);
    assert_eq!(ok(s.find_subjects("email", &[1; 32]), "find"), ["s3"]);
}

fn jrow(seq: u64) -> JournalRow {
    JournalRow {
        seq,
        ts: day(i64::try_from(seq).unwrap_or(0)),
        actor: "token:app".into(),
        action: "record.read".into(),
        subject_id: seq.is_multiple_of(2).then(|| "s1".into()),
        category: Some("contact".into()),
        purpose: Some("support".into()),
        details: format!("{{\"n\":{seq}}}"),
        prev_hash: vec![u8::try_from(seq % 256).unwrap_or(0); 32],
        hash: vec![u8::try_from((seq + 1) % 256).unwrap_or(0); 32],
    }
}

/// Journal: append, range, head, checkpoints, retention with an anchor.
pub fn journal(f: &Fixture) {
    let s = &*f.store;
    assert_eq!(ok(s.journal_head(), "empty head"), None);
    let mut rows: Vec<JournalRow> = (1..=10).map(jrow).collect();
    // The subject's own portal visits, left out of the access log.
    rows[9].actor = "portal".into();
    rows[7].actor = "portal:s1".into();
    ok(s.journal_append(&rows[..6]), "append");
    ok(s.journal_append(&rows[6..]), "append");
    assert!(
        matches!(
            s.journal_append(&[jrow(5)]),
            Err(StoreError::Conflict { .. })
        ),
        "seq is unique"
    );
    assert_eq!(ok(s.journal_range(4, 3), "range"), rows[3..6].to_vec());
    assert_eq!(ok(s.journal_head(), "head"), Some(rows[9].clone()));
    // By subject, newest first (even seqs name s1).
    let seqs = |except: &[&str]| -> Vec<u64> {
        ok(s.journal_for_subject("s1", except, 3), "by subject")
            .iter()
            .map(|r| r.seq)
            .collect()
    };
    assert_eq!(seqs(&[]), [10, 8, 6]);
    // Filtered in the query: the limit counts the rows kept.
    assert_eq!(seqs(&["portal", "portal:s1"]), [6, 4, 2]);
    assert_eq!(seqs(&["portal:s2"]), [10, 8, 6]);
    assert!(ok(s.journal_for_subject("nobody", &[], 10), "unknown").is_empty());
    for seq in [3, 6, 9] {
        ok(
            s.put_checkpoint(&Checkpoint {
                seq,
                hash: vec![9; 32],
                signature: vec![7; 64],
            }),
            "checkpoint",
        );
    }
    assert_eq!(ok(s.list_checkpoints(), "list").len(), 3);
    assert_eq!(ok(s.journal_drop_before(7), "drop"), 6);
    assert_eq!(
        ok(s.journal_anchor(), "anchor"),
        Some(JournalAnchor {
            seq: 6,
            hash: rows[5].hash.clone()
        })
    );
    assert_eq!(ok(s.journal_range(0, 100), "rest"), rows[6..].to_vec());
    assert_eq!(
        ok(s.list_checkpoints(), "list")
            .iter()
            .map(|c| c.seq)
            .collect::<Vec<_>>(),
        [6, 9],
        "anchor checkpoint kept"
    );
    assert_eq!(ok(s.journal_drop_before(2), "nothing older"), 0);
    assert_eq!(
        ok(s.journal_anchor(), "anchor unchanged").map(|a| a.seq),
        Some(6)
    );
}

/// Application tokens: put, get by digest, list, revoke once.
pub fn tokens(f: &Fixture) {
    let s = &*f.store;
    let t = AppToken {
        digest: vec![5; 32],
        name: "crm".into(),
        purposes: vec!["support".into()],
        categories: vec!["contact".into()],
        created_at: day(1),
        revoked_at: None,
    };
    ok(s.put_token(&t), "put");
    assert!(matches!(s.put_token(&t), Err(StoreError::Conflict { .. })));
    assert_eq!(ok(s.get_token(&[5; 32]), "get"), Some(t.clone()));
    assert_eq!(ok(s.get_token(&[6; 32]), "get other"), None);
    assert_eq!(ok(s.list_tokens(), "list"), vec![t]);
    assert!(ok(s.revoke_token(&[5; 32], day(2)), "revoke"));
    assert!(!ok(s.revoke_token(&[5; 32], day(3)), "revoke twice"));
    assert_eq!(
        ok(s.get_token(&[5; 32]), "get").and_then(|t| t.revoked_at),
        Some(day(2))
    );
}

/// Job leases: one holder at a time, renewal, takeover after expiry.
pub fn leases(f: &Fixture) {
    let s = &*f.store;
    let ttl = Duration::seconds(60);
    assert!(ok(s.try_lease("purge", "a", ttl, day(0)), "a takes"));
    assert!(!ok(
        s.try_lease("purge", "b", ttl, day(0) + Duration::seconds(30)),
        "b refused while live"
    ));
    assert!(ok(
        s.try_lease("purge", "a", ttl, day(0) + Duration::seconds(50)),
        "a renews"
    ));
    assert!(!ok(
        s.try_lease("purge", "b", ttl, day(0) + Duration::seconds(100)),
        "renewal extended it"
    ));
    assert!(ok(
        s.try_lease("purge", "b", ttl, day(0) + Duration::seconds(111)),
        "b takes after expiry"
    ));
    assert!(ok(
        s.try_lease("other", "a", ttl, day(0)),
        "jobs are independent"
    ));
}

/// Key store: put, conflict, get, paging, rewrap, shred one category then the subject.
pub fn keys(f: &Fixture) {
    let k = &*f.keys;
    let key = |s: &str, c: &str| WrappedKey {
        subject_id: s.into(),
        category: c.into(),
        kek_id: "kek1".into(),
        wrapped: format!("w:{s}:{c}").into_bytes(),
    };
    ok(
        k.put_keys(&[
            key("s1", "contact"),
            key("s1", "billing"),
            key("s2", "contact"),
        ]),
        "put",
    );
    assert!(matches!(
        k.put_keys(&[key("s2", "contact")]),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(
        ok(k.get_key("s1", "billing"), "get"),
        Some(key("s1", "billing"))
    );
    assert_eq!(ok(k.subject_keys("s1"), "subject").len(), 2);
    let mut some = ok(
        k.keys_of_subjects(&["s2".into(), "s1".into(), "s9".into()], "contact"),
        "keys of subjects",
    );
    some.sort_by(|a, b| a.subject_id.cmp(&b.subject_id));
    assert_eq!(some, vec![key("s1", "contact"), key("s2", "contact")]);
    assert!(ok(k.keys_of_subjects(&[], "contact"), "no subjects").is_empty());
    let first = ok(k.list_keys(None, 2), "page 1");
    assert_eq!(first, vec![key("s1", "billing"), key("s1", "contact")]);
    let second = ok(k.list_keys(Some(("s1", "contact")), 2), "page 2");
    assert_eq!(second, vec![key("s2", "contact")]);
    let rewrapped = WrappedKey {
        kek_id: "kek2".into(),
        wrapped: b"new".to_vec(),
        ..key("s1", "contact")
    };
    assert_eq!(
        ok(
            k.replace_wrapped(&[rewrapped.clone(), key("zz", "none")]),
            "rewrap"
        ),
        1
    );
    assert_eq!(ok(k.get_key("s1", "contact"), "get"), Some(rewrapped));
    assert_eq!(ok(k.shred("s1", Some("billing")), "shred cat"), 1);
    assert_eq!(ok(k.get_key("s1", "billing"), "gone"), None);
    assert_eq!(ok(k.shred("s1", None), "shred subject"), 1);
    ok(
        k.put_keys(&[key("s3", "a"), key("s3", "b"), key("s4", "a")]),
        "put more",
    );
    assert_eq!(
        ok(
            k.shred_many(&[
                ("s3".into(), Some("a".into())),
                ("s4".into(), None),
                ("nobody".into(), None),
            ]),
            "shred many"
        ),
        vec![1, 1, 0]
    );
    assert_eq!(ok(k.get_key("s3", "a"), "s3/a gone"), None);
    assert_eq!(ok(k.get_key("s3", "b"), "s3/b kept"), Some(key("s3", "b")));
    assert!(ok(k.subject_keys("s4"), "s4 gone").is_empty());
    assert!(ok(k.subject_keys("s1"), "none").is_empty());
    assert_eq!(
        ok(k.get_key("s2", "contact"), "other subject kept"),
        Some(key("s2", "contact"))
    );
}

/// Many threads writing single records at once: every acknowledged write is readable.
pub fn concurrent_writers(f: &Fixture) {
    let s = &*f.store;
    std::thread::scope(|scope| {
        for t in 0..8 {
            scope.spawn(move || {
                for n in 0..40 {
                    ok(
                        s.insert_records(vec![record(
                            &format!("t{t}n{n}"),
                            &format!("s{t}"),
                            "contact",
                            n,
                            None,
                        )]),
                        "insert",
                    );
                }
            });
        }
    });
    for t in 0..8 {
        assert_eq!(
            ok(s.subject_records(&format!("s{t}"), None), "read").len(),
            40,
            "writer {t}"
        );
    }
}

/// Two instances `a` and `b` (on one database) race for the same `purge` lease at `now`:
/// 16 threads, alternating between the instances, each try to take it for 60 s. Returns how
/// many won; a backend that serialises leases correctly (STYLE.md (d) 10) answers exactly 1
/// when no live lease exists at `now`.
pub fn lease_race(a: &dyn Store, b: &dyn Store, now: DateTime<Utc>) -> usize {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|t| {
                let store = if t % 2 == 0 { a } else { b };
                s.spawn(move || {
                    store.try_lease("purge", &format!("holder{t}"), Duration::seconds(60), now)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| usize::from(h.join().expect("thread").expect("lease")))
            .sum()
    })
}
