//! Conformance checks of the atomic commit ([`crate::Store::commit`]), the record-level
//! operations and the document table. Part of [`crate::conformance`].
#![allow(clippy::missing_panics_doc)]

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::batch::{
    DueDeletion, JournalDraft, JournalSealer, OpOutput, RecordSeen, UnitOutcome, WriteOp, WriteUnit,
};
use crate::conformance::{Fixture, day, due_ids, record, subject, timed};
use crate::model::*;
use crate::{EventUpdate, EventUpdateFn, Store, StoreError};

/// A test sealer: hash = SHA-256(prev ‖ seq ‖ action); a checkpoint every `every` entries.
pub struct TestSealer {
    pub every: u64,
}

impl JournalSealer for TestSealer {
    fn link(&self, seq: u64, prev_hash: &[u8], d: &JournalDraft) -> Vec<u8> {
        let mut h = Sha256::new();
        h.update(prev_hash);
        h.update(seq.to_be_bytes());
        h.update(d.action.as_bytes());
        h.finalize().to_vec()
    }

    fn checkpoint(&self, head: &JournalAnchor, last_signed: u64) -> Option<Checkpoint> {
        (head.seq >= last_signed + self.every).then(|| Checkpoint {
            seq: head.seq,
            hash: head.hash.clone(),
            signature: b"signed".to_vec(),
        })
    }
}

fn sealer() -> Arc<dyn JournalSealer> {
    Arc::new(TestSealer { every: 1_000_000 })
}

/// A journal draft with `action`.
pub fn draft(action: &str) -> JournalDraft {
    JournalDraft {
        ts: day(0),
        actor: "conformance".into(),
        action: action.into(),
        subject_id: Some("s1".into()),
        category: None,
        purpose: Some("billing".into()),
        details: "{}".into(),
    }
}

pub(crate) fn unit(ops: Vec<WriteOp>, actions: &[&str]) -> WriteUnit {
    WriteUnit {
        ops,
        journal: actions.iter().map(|a| draft(a)).collect(),
    }
}

fn commit_ok(s: &dyn Store, units: Vec<WriteUnit>) -> Vec<crate::Result<UnitOutcome>> {
    match s.commit(units, sealer()) {
        Ok(r) => r,
        Err(e) => panic!("commit: the transaction failed: {e}"),
    }
}

/// `op` with its journal entry, then a check that fails (a subject that does not exist):
/// the unit must leave nothing of `op` behind.
pub(crate) fn failing_after(op: WriteOp, action: &str) -> WriteUnit {
    unit(
        vec![
            op,
            WriteOp::RequireSubject {
                id: "nobody".into(),
                statuses: vec![SubjectStatus::Active],
            },
        ],
        &[action],
    )
}

pub(crate) fn one(s: &dyn Store, u: WriteUnit) -> crate::Result<UnitOutcome> {
    commit_ok(s, vec![u]).pop().expect("one result per unit")
}

/// Every journal row chains to the previous one; returns the rows.
pub(crate) fn assert_chain(s: &dyn Store) -> Vec<JournalRow> {
    let rows = s.journal_range(0, 100_000).expect("journal");
    let sealer = TestSealer { every: 0 };
    let mut prev = s
        .journal_anchor()
        .expect("anchor")
        .map_or((0, Vec::new()), |a| (a.seq, a.hash));
    for r in &rows {
        assert_eq!(r.seq, prev.0 + 1, "journal seqs are contiguous");
        assert_eq!(
            r.prev_hash, prev.1,
            "entry {} continues from the committed head",
            r.seq
        );
        let d = JournalDraft {
            ts: r.ts,
            actor: r.actor.clone(),
            action: r.action.clone(),
            subject_id: r.subject_id.clone(),
            category: r.category.clone(),
            purpose: r.purpose.clone(),
            details: r.details.clone(),
        };
        assert_eq!(
            r.hash,
            sealer.link(r.seq, &r.prev_hash, &d),
            "entry {} hash",
            r.seq
        );
        prev = (r.seq, r.hash.clone());
    }
    rows
}

/// Data and journal rows commit together; a failing unit is rolled back alone; the chain
/// continues across commits and across a journal drop (anchor).
pub fn commit_atomic(f: &Fixture) {
    let s = &*f.store;
    let good = unit(
        vec![
            WriteOp::CreateSubject(subject("s1", SubjectStatus::Active)),
            WriteOp::InsertRecords(vec![record("r1", "s1", "contact", 1, Some(400))]),
            WriteOp::PutBlindIndexes(vec![BlindIndexEntry {
                kind: "contact/email".into(),
                digest: vec![7; 32],
                subject_id: "s1".into(),
            }]),
        ],
        &["subject.create", "write"],
    );
    let bad = unit(
        vec![
            WriteOp::InsertRecords(vec![record("r2", "ghost", "contact", 1, None)]),
            WriteOp::RequireSubject {
                id: "ghost".into(),
                statuses: vec![SubjectStatus::Active],
            },
        ],
        &["write"],
    );
    let read = unit(vec![], &["read"]);
    let results = commit_ok(s, vec![good, bad, read]);
    let first = results[0].as_ref().expect("the good unit commits");
    assert_eq!(first.seqs, vec![1, 2]);
    assert!(
        matches!(
            results[1],
            Err(StoreError::NotFound {
                kind: "subject",
                ..
            })
        ),
        "a unit naming an unknown subject fails alone: {:?}",
        results[1]
    );
    assert_eq!(results[2].as_ref().expect("read journaled").seqs, vec![3]);
    assert!(
        s.get_record("r2").expect("read").is_none(),
        "the failed unit's record is rolled back"
    );
    assert!(s.get_record("r1").expect("read").is_some());
    assert_eq!(
        s.find_subjects("contact/email", &[7; 32]).expect("find"),
        vec!["s1".to_string()]
    );
    assert_eq!(assert_chain(s).len(), 3);

    // Units whose checks come first (a single-record write): one refused by its check
    // fails alone, before it wrote anything; the other commits.
    let write_for = |subject: &str, id: &str| {
        unit(
            vec![
                WriteOp::RequireSubject {
                    id: subject.into(),
                    statuses: vec![SubjectStatus::Active],
                },
                WriteOp::InsertRecords(vec![record(id, subject, "contact", 1, None)]),
                WriteOp::PutBlindIndexes(vec![BlindIndexEntry {
                    kind: "contact/email".into(),
                    digest: id.as_bytes().to_vec(),
                    subject_id: subject.into(),
                }]),
            ],
            &["write"],
        )
    };
    let results = commit_ok(s, vec![write_for("ghost", "r3"), write_for("s1", "r4")]);
    assert!(
        matches!(
            results[0],
            Err(StoreError::NotFound {
                kind: "subject",
                ..
            })
        ),
        "{:?}",
        results[0]
    );
    assert_eq!(results[1].as_ref().expect("the other unit").seqs, vec![4]);
    assert!(s.get_record("r3").expect("read").is_none());
    assert!(s.get_record("r4").expect("read").is_some());
    assert!(
        s.find_subjects("contact/email", b"r3")
            .expect("find")
            .is_empty()
    );
    assert_eq!(assert_chain(s).len(), 4);

    // A lone failing unit: nothing of it is stored, the error is its own.
    let mut erased = subject("s9", SubjectStatus::Erased);
    erased.erased_at = Some(day(3));
    one(
        s,
        unit(vec![WriteOp::CreateSubject(erased)], &["subject.create"]),
    )
    .expect("erased subject");
    let refused = one(
        s,
        unit(
            vec![
                WriteOp::RequireSubject {
                    id: "s9".into(),
                    statuses: vec![SubjectStatus::Active, SubjectStatus::Restricted],
                },
                WriteOp::InsertRecords(vec![record("r9", "s9", "contact", 1, None)]),
            ],
            &["write"],
        ),
    );
    assert!(
        matches!(
            refused,
            Err(StoreError::SubjectState {
                status: SubjectStatus::Erased,
                ..
            })
        ),
        "{refused:?}"
    );
    assert!(s.get_record("r9").expect("read").is_none());

    // Retention drops the first rows; the next commit continues from the newest row.
    let dropped = one(
        s,
        unit(
            vec![WriteOp::JournalDropBefore { before: 3 }],
            &["journal.drop"],
        ),
    )
    .expect("drop");
    assert_eq!(dropped.outputs, vec![OpOutput::Count(2)]);
    one(s, unit(vec![], &["read"])).expect("read after drop");
    let rows = assert_chain(s);
    assert_eq!(rows.first().map(|r| r.seq), Some(3));
    assert_eq!(rows.last().map(|r| r.seq), Some(7));

    // Checkpoints are asked for with the head and stored in the same transaction.
    let signing: Arc<dyn JournalSealer> = Arc::new(TestSealer { every: 1 });
    let out = s
        .commit(vec![unit(vec![], &["read"])], signing)
        .expect("commit");
    assert!(out[0].is_ok());
    let cps = s.list_checkpoints().expect("checkpoints");
    let head = s.journal_head().expect("head").expect("a head");
    assert_eq!(
        cps.last().map(|c| (c.seq, c.hash.clone())),
        Some((head.seq, head.hash))
    );
}

/// Record-level operations: replace (rectification), delete one, exact index removal.
pub fn record_operations(f: &Fixture) {
    let s = &*f.store;
    one(
        s,
        unit(
            vec![
                WriteOp::CreateSubject(subject("s1", SubjectStatus::Active)),
                WriteOp::CreateSubject(subject("s2", SubjectStatus::Active)),
                WriteOp::InsertRecords(vec![
                    record("r1", "s1", "contact", 1, Some(100)),
                    record("r2", "s1", "billing", 2, None),
                    record("r3", "s2", "contact", 3, None),
                ]),
            ],
            &["write"],
        ),
    )
    .expect("setup");
    let mut changed = record("r1", "s1", "contact", 5, Some(200));
    changed.sealed = b"rectified".to_vec();
    changed.purposes = vec!["support".into()];
    one(
        s,
        unit(
            vec![WriteOp::ReplaceRecord(changed.clone())],
            &["record.rectify"],
        ),
    )
    .expect("replace");
    assert_eq!(s.get_record("r1").expect("read"), Some(changed));
    let due = s
        .due_records(&DueQuery {
            due_by: day(150),
            category: None,
            after: None,
            limit: 10,
        })
        .expect("due");
    assert!(
        due.is_empty(),
        "the retention due date moved with the rectification"
    );

    let mut wrong = record("r1", "s2", "contact", 5, None);
    wrong.sealed = b"hijack".to_vec();
    let hijack = one(
        s,
        unit(vec![WriteOp::ReplaceRecord(wrong)], &["record.rectify"]),
    );
    assert!(
        matches!(hijack, Err(StoreError::NotFound { kind: "record", .. })),
        "{hijack:?}"
    );
    let cross = one(
        s,
        unit(
            vec![WriteOp::DeleteRecord {
                subject_id: "s2".into(),
                id: "r1".into(),
            }],
            &["d"],
        ),
    );
    assert!(
        matches!(cross, Err(StoreError::NotFound { kind: "record", .. })),
        "{cross:?}"
    );
    assert!(
        s.get_record("r1").expect("read").is_some(),
        "another subject's delete changes nothing"
    );

    let del = one(
        s,
        unit(
            vec![WriteOp::DeleteRecord {
                subject_id: "s1".into(),
                id: "r1".into(),
            }],
            &["d"],
        ),
    )
    .expect("delete");
    assert_eq!(del.outputs, vec![OpOutput::Count(1)]);
    let left: Vec<String> = s
        .subject_records("s1", None)
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, vec!["r2".to_string()]);
    assert_eq!(
        s.subject_records("s1", Some("billing"))
            .expect("by category")
            .len(),
        1
    );
    assert!(
        s.subject_records("s1", Some("contact"))
            .expect("by category")
            .is_empty()
    );
    // A category's erasure: that category's records of that subject only.
    let by_category = one(
        s,
        unit(
            vec![
                WriteOp::DeleteSubjectCategory {
                    subject_id: "s2".into(),
                    category: "billing".into(),
                },
                WriteOp::DeleteSubjectCategory {
                    subject_id: "s1".into(),
                    category: "billing".into(),
                },
            ],
            &["category.shred"],
        ),
    )
    .expect("delete a category");
    assert_eq!(
        by_category.outputs,
        vec![OpOutput::Count(0), OpOutput::Count(1)]
    );
    assert!(s.subject_records("s1", None).expect("list").is_empty());

    let entry = |kind: &str, d: u8, sub: &str| BlindIndexEntry {
        kind: kind.into(),
        digest: vec![d; 32],
        subject_id: sub.into(),
    };
    one(
        s,
        unit(
            vec![WriteOp::PutBlindIndexes(vec![
                entry("contact/email", 1, "s1"),
                entry("contact/email", 2, "s1"),
                entry("contact/email", 1, "s2"),
            ])],
            &["w"],
        ),
    )
    .expect("index");
    let removed = one(
        s,
        unit(
            vec![WriteOp::RemoveBlindIndexes(vec![entry(
                "contact/email",
                1,
                "s1",
            )])],
            &["r"],
        ),
    )
    .expect("remove");
    assert_eq!(removed.outputs, vec![OpOutput::Count(1)]);
    assert_eq!(
        s.find_subjects("contact/email", &[1; 32]).expect("find"),
        vec!["s2".to_string()]
    );
    assert_eq!(
        s.find_subjects("contact/email", &[2; 32]).expect("find"),
        vec!["s1".to_string()]
    );
    let by_kind = one(
        s,
        unit(
            vec![WriteOp::RemoveSubjectIndexes {
                subject_id: "s1".into(),
                kinds: Some(vec!["contact/email".into()]),
            }],
            &["r"],
        ),
    )
    .expect("remove by kind");
    assert_eq!(by_kind.outputs, vec![OpOutput::Count(1)]);
    assert!(
        s.find_subjects("contact/email", &[2; 32])
            .expect("find")
            .is_empty()
    );
}

/// The retention purge's operations: counts per (subject, category), many deletions in one
/// op, and a subject's index entries of a category removed once none of its records of that
/// category remains — never another category's, even one whose name starts the same way.
pub fn purge_operations(f: &Fixture) {
    let s = &*f.store;
    let entry = |kind: &str, d: u8, sub: &str| BlindIndexEntry {
        kind: kind.into(),
        digest: vec![d; 32],
        subject_id: sub.into(),
    };
    one(
        s,
        unit(
            vec![
                WriteOp::CreateSubject(subject("s1", SubjectStatus::Active)),
                WriteOp::CreateSubject(subject("s2", SubjectStatus::Active)),
                WriteOp::InsertRecords(vec![
                    record("a1", "s1", "contact", 1, Some(10)),
                    record("a2", "s1", "contact", 2, Some(10)),
                    record("a3", "s1", "billing", 3, None),
                    record("b1", "s2", "contact", 4, Some(10)),
                ]),
                WriteOp::PutBlindIndexes(vec![
                    entry("contact/email", 1, "s1"),
                    entry("contact/phone", 2, "s1"),
                    entry("contacts/email", 3, "s1"),
                    entry("billing/iban", 4, "s1"),
                    entry("contact/email", 1, "s2"),
                ]),
            ],
            &["write"],
        ),
    )
    .expect("setup");
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        s.count_subject_categories(&pairs(&[
            ("s1", "contact"),
            ("s1", "billing"),
            ("s2", "contact"),
            ("nobody", "contact"),
            ("s2", "billing"),
        ]))
        .expect("counts"),
        vec![2, 1, 1, 0, 0]
    );
    assert!(s.count_subject_categories(&[]).expect("no pair").is_empty());
    // Every fixture record of the page is due on day 10.
    let due = |v: &[(&str, &str)]| -> Vec<DueDeletion> {
        v.iter()
            .map(|(subject, id)| DueDeletion {
                subject_id: subject.to_string(),
                id: id.to_string(),
                due: day(10),
            })
            .collect()
    };

    // Listed as due on another date (its events changed since, Art. 16): nothing goes.
    let mut stale = due(&[("s1", "a1"), ("s1", "a2")]);
    stale[1].due = day(11);
    let changed = one(s, unit(vec![WriteOp::DeleteRecords(stale)], &["d"]));
    assert!(
        matches!(&changed, Err(StoreError::Changed { kind: "record", id }) if id == "a2"),
        "{changed:?}"
    );
    assert!(s.get_record("a1").expect("read").is_some(), "rolled back");

    // A record of the category remains: the unit fails whole, the deletion with it.
    let early = one(
        s,
        unit(
            vec![
                WriteOp::DeleteRecords(due(&[("s1", "a1")])),
                WriteOp::RemoveCategoryIndexes(pairs(&[("s1", "contact")])),
            ],
            &["retention.purge_page"],
        ),
    );
    assert!(
        matches!(&early, Err(StoreError::Remaining { subject, category })
            if subject == "s1" && category == "contact"),
        "{early:?}"
    );
    assert!(s.get_record("a1").expect("read").is_some(), "rolled back");
    assert_eq!(
        s.find_subjects("contact/email", &[1; 32]).expect("find"),
        vec!["s1".to_string(), "s2".to_string()]
    );
    // Another subject's record in the list: nothing is deleted.
    let cross = one(
        s,
        unit(
            vec![WriteOp::DeleteRecords(due(&[("s1", "a1"), ("s2", "a2")]))],
            &["d"],
        ),
    );
    assert!(
        matches!(&cross, Err(StoreError::NotFound { kind: "record", id }) if id == "a2"),
        "{cross:?}"
    );
    assert!(s.get_record("a1").expect("read").is_some(), "rolled back");

    let page = one(
        s,
        unit(
            vec![
                WriteOp::DeleteRecords(due(&[("s1", "a1"), ("s1", "a2"), ("s2", "b1")])),
                WriteOp::RemoveCategoryIndexes(pairs(&[("s1", "contact"), ("s2", "contact")])),
            ],
            &["retention.purge_page"],
        ),
    )
    .expect("a purge page");
    assert_eq!(page.outputs, vec![OpOutput::Count(3), OpOutput::Count(3)]);
    let left: Vec<String> = s
        .subject_records("s1", None)
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, vec!["a3".to_string()]);
    assert!(s.subject_records("s2", None).expect("list").is_empty());
    for (kind, d) in [("contact/email", 1u8), ("contact/phone", 2)] {
        assert!(
            s.find_subjects(kind, &[d; 32]).expect("find").is_empty(),
            "{kind} entries removed"
        );
    }
    assert_eq!(
        s.find_subjects("contacts/email", &[3; 32]).expect("find"),
        vec!["s1".to_string()],
        "another category whose name starts the same stays"
    );
    assert_eq!(
        s.find_subjects("billing/iban", &[4; 32]).expect("find"),
        vec!["s1".to_string()]
    );
}

/// The purge's guard on what it read: a subject's records of a category exactly as read
/// pass; a record added, rectified (new sealed bytes), re-dated or removed since fails the
/// unit with `Changed`, and the unit's other ops are rolled back with it.
pub fn records_as_read_guard(f: &Fixture) {
    let s = &*f.store;
    one(
        s,
        unit(
            vec![
                WriteOp::CreateSubject(subject("s1", SubjectStatus::Active)),
                WriteOp::InsertRecords(vec![
                    record("a1", "s1", "contact", 1, Some(10)),
                    record("a2", "s1", "contact", 2, Some(20)),
                    record("z1", "s1", "billing", 3, None),
                ]),
            ],
            &["write"],
        ),
    )
    .expect("setup");
    let seen = || -> Vec<RecordSeen> {
        s.subject_records("s1", Some("contact"))
            .expect("read")
            .iter()
            .map(RecordSeen::of)
            .collect()
    };
    let guard = |records: Vec<RecordSeen>| WriteOp::RequireRecordsAsRead {
        subject_id: "s1".into(),
        category: "contact".into(),
        records,
    };
    let attempt = |records: Vec<RecordSeen>| {
        one(
            s,
            unit(
                vec![
                    guard(records),
                    WriteOp::DeleteRecord {
                        subject_id: "s1".into(),
                        id: "a1".into(),
                    },
                ],
                &["retention.purge_page"],
            ),
        )
    };
    let changed = |r: &crate::Result<UnitOutcome>, want: &str| {
        assert!(
            matches!(r, Err(StoreError::Changed { kind: "record", id }) if id == want),
            "{r:?}"
        );
        assert!(s.get_record("a1").expect("read").is_some(), "rolled back");
    };

    // Rectified since read: new sealed bytes.
    let mut read = seen();
    let mut rectified = s.get_record("a2").expect("read").expect("a2");
    rectified.sealed = b"sealed:a2-rectified".to_vec();
    one(
        s,
        unit(
            vec![WriteOp::ReplaceRecord(rectified.clone())],
            &["rectify"],
        ),
    )
    .expect("rectify");
    changed(&attempt(read.clone()), "a2");
    // Re-dated since read (an event moved its due date), same sealed bytes.
    read = seen();
    rectified.retention_due = Some(day(400));
    one(
        s,
        unit(vec![WriteOp::ReplaceRecord(rectified)], &["rectify"]),
    )
    .expect("re-date");
    changed(&attempt(read.clone()), "a2");
    // A record written since read.
    read = seen();
    one(
        s,
        unit(
            vec![WriteOp::InsertRecords(vec![record(
                "a3",
                "s1",
                "contact",
                4,
                Some(30),
            )])],
            &["write"],
        ),
    )
    .expect("write a3");
    changed(&attempt(read.clone()), "a3");
    // A record deleted since read.
    read = seen();
    one(
        s,
        unit(
            vec![WriteOp::DeleteRecord {
                subject_id: "s1".into(),
                id: "a3".into(),
            }],
            &["d"],
        ),
    )
    .expect("delete a3");
    changed(&attempt(read), "a3");

    // As read (another category's record does not count): the unit commits.
    let ok = attempt(seen()).expect("unchanged since read");
    assert_eq!(ok.outputs, vec![OpOutput::Done, OpOutput::Count(1)]);
    assert!(s.get_record("a1").expect("read").is_none());
    // A subject with nothing of the category, read as nothing, passes too.
    one(
        s,
        unit(
            vec![WriteOp::RequireRecordsAsRead {
                subject_id: "s1".into(),
                category: "prospect".into(),
                records: Vec::new(),
            }],
            &["d"],
        ),
    )
    .expect("nothing read, nothing there");
}

/// Erasing one high-volume category of a subject deletes that subject's rows of that
/// category from every month's partition, and nothing else: other subjects' rows, the
/// subject's other high-volume categories and an unknown category are untouched.
pub fn timed_category_erasure(f: &Fixture) {
    let s = &*f.store;
    let jan = day(14);
    let feb = day(40);
    s.insert_timed(vec![
        timed("c1", "s1", "connection_logs", jan),
        timed("c2", "s1", "connection_logs", feb),
        timed("c3", "s2", "connection_logs", feb),
        timed("x1", "s1", "security_logs", jan),
    ])
    .expect("insert timed");
    let erase = |category: &str| {
        one(
            s,
            unit(
                vec![WriteOp::DeleteSubjectTimedCategory {
                    subject_id: "s1".into(),
                    category: category.into(),
                }],
                &["erase.batch"],
            ),
        )
        .expect("erase a high-volume category")
    };
    assert_eq!(erase("connection_logs").outputs, vec![OpOutput::Count(2)]);
    let ids = |subject: &str| -> Vec<String> {
        s.subject_timed(subject, &[])
            .expect("rows")
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(
        ids("s1"),
        vec!["x1".to_string()],
        "the other category stays"
    );
    assert_eq!(
        ids("s2"),
        vec!["c3".to_string()],
        "another subject's row stays"
    );
    assert_eq!(erase("connection_logs").outputs, vec![OpOutput::Count(0)]);
    assert_eq!(erase("no_such_category").outputs, vec![OpOutput::Count(0)]);
    assert_eq!(ids("s1"), vec!["x1".to_string()]);
}

fn put(
    s: &dyn Store,
    kind: &str,
    id: &str,
    expected: Option<u64>,
    body: &[u8],
) -> crate::Result<u64> {
    put_filed(s, kind, id, expected, [None, None], body)
}

/// A document put filed under `[owner, state]`.
fn put_filed(
    s: &dyn Store,
    kind: &str,
    id: &str,
    expected: Option<u64>,
    [owner, state]: [Option<&str>; 2],
    body: &[u8],
) -> crate::Result<u64> {
    let op = WriteOp::PutDoc {
        kind: kind.into(),
        id: id.into(),
        expected_version: expected,
        owner: owner.map(str::to_string),
        state: state.map(str::to_string),
        body: body.to_vec(),
        at: day(1),
    };
    let out = one(s, unit(vec![op], &["doc.put"]))?;
    match out.outputs.as_slice() {
        [OpOutput::Version(v)] => Ok(*v),
        other => panic!("put_doc output: {other:?}"),
    }
}

/// Documents deleted by id within their kind: the count says how many
/// existed; other kinds and other ids stay.
pub fn document_deletion(f: &Fixture) {
    let s = &*f.store;
    for id in ["s-1", "s-2", "s-3"] {
        put(s, "portal-session", id, None, b"x").expect("create");
    }
    put(s, "hold", "s-1", None, b"h").expect("other kind");
    let op = WriteOp::DeleteDocs {
        kind: "portal-session".into(),
        ids: vec!["s-1".into(), "s-3".into(), "s-9".into()],
    };
    let out = one(s, unit(vec![op], &["doc.delete"])).expect("delete");
    assert!(
        matches!(out.outputs.as_slice(), [OpOutput::Count(2)]),
        "{:?}",
        out.outputs
    );
    assert!(s.get_doc("portal-session", "s-1").expect("get").is_none());
    assert!(s.get_doc("portal-session", "s-3").expect("get").is_none());
    assert!(s.get_doc("portal-session", "s-2").expect("get").is_some());
    assert!(
        s.get_doc("hold", "s-1").expect("get").is_some(),
        "kinds are separate"
    );
    // A deleted id may be created again, from version 1.
    assert_eq!(
        put(s, "portal-session", "s-1", None, b"y").expect("create"),
        1
    );
}

/// Documents: create, optimistic concurrency, get, list by kind with paging.
pub fn documents(f: &Fixture) {
    let s = &*f.store;
    assert_eq!(put(s, "request", "req-b", None, b"v1").expect("create"), 1);
    let again = put(s, "request", "req-b", None, b"other");
    assert!(
        matches!(
            again,
            Err(StoreError::VersionConflict {
                expected: None,
                found: Some(1),
                ..
            })
        ),
        "creating an existing document conflicts: {again:?}"
    );
    assert_eq!(
        put(s, "request", "req-b", Some(1), b"v2").expect("replace"),
        2
    );
    let stale = put(s, "request", "req-b", Some(1), b"lost update");
    assert!(
        matches!(
            stale,
            Err(StoreError::VersionConflict {
                expected: Some(1),
                found: Some(2),
                ..
            })
        ),
        "{stale:?}"
    );
    let missing = put(s, "request", "req-z", Some(1), b"x");
    assert!(
        matches!(
            missing,
            Err(StoreError::VersionConflict { found: None, .. })
        ),
        "{missing:?}"
    );
    let doc = s
        .get_doc("request", "req-b")
        .expect("get")
        .expect("present");
    assert_eq!((doc.version, doc.body.as_slice()), (2, b"v2".as_slice()));
    assert!(
        s.get_doc("breach", "req-b").expect("get").is_none(),
        "kinds are separate"
    );
    for id in ["req-a", "req-c", "Req-d"] {
        put(s, "request", id, None, id.as_bytes()).expect("create");
    }
    put(s, "hold", "h1", None, b"h").expect("other kind");
    let ids = |after: Option<&str>, limit| -> Vec<String> {
        s.list_docs("request", after, limit)
            .expect("list")
            .into_iter()
            .map(|d| d.id)
            .collect()
    };
    assert_eq!(
        ids(None, 10),
        vec!["Req-d", "req-a", "req-b", "req-c"],
        "ordered bytewise"
    );
    assert_eq!(ids(None, 2), vec!["Req-d", "req-a"]);
    assert_eq!(ids(Some("req-a"), 2), vec!["req-b", "req-c"]);
    let bad = put(s, "request", "a/b", None, b"x");
    assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
    assert_eq!(
        assert_chain(s).len(),
        6,
        "each committed put has its journal entry; a refused put leaves none"
    );
}

/// Documents filed under an owner and a state: listed for that owner (or state) with those
/// written unfiled (candidates for every owner and state), never another owner's or state's; a
/// replacement refiles the document (a request linked to its subject later, then closed).
pub fn document_filing(f: &Fixture) {
    let s = &*f.store;
    let filed = |owner, state| [Some(owner), Some(state)];
    put_filed(s, "request", "r-3", None, filed("sub_a", "open"), b"a3").expect("create");
    put_filed(s, "request", "r-1", None, filed("sub_a", "closed"), b"a1").expect("create");
    put_filed(s, "request", "r-2", None, filed("sub_b", "open"), b"b2").expect("create");
    put_filed(s, "request", "r-4", None, filed("", "open"), b"nobody").expect("create");
    put(s, "request", "r-0", None, b"unfiled").expect("create");
    put_filed(
        s,
        "hold",
        "h-1",
        None,
        filed("sub_a", "open"),
        b"other kind",
    )
    .expect("create");
    let ids = |docs: crate::Result<Vec<crate::StoredDoc>>| -> Vec<String> {
        docs.expect("list").into_iter().map(|d| d.id).collect()
    };
    let of = |owner: &str| ids(s.list_docs_of("request", owner));
    let open = || ids(s.list_docs_in("request", "open"));
    assert_eq!(
        of("sub_a"),
        ["r-0", "r-1", "r-3"],
        "the owner's and the unfiled, by id"
    );
    assert_eq!(of("sub_c"), ["r-0"]);
    assert_eq!(of(""), ["r-0", "r-4"]);
    assert_eq!(
        open(),
        ["r-0", "r-2", "r-3", "r-4"],
        "the open ones and the unfiled"
    );
    assert_eq!(ids(s.list_docs_in("request", "closed")), ["r-0", "r-1"]);
    // Linked later, then closed: each replacement refiles it.
    put_filed(
        s,
        "request",
        "r-4",
        Some(1),
        filed("sub_c", "open"),
        b"linked",
    )
    .expect("link");
    assert_eq!(of("sub_c"), ["r-0", "r-4"]);
    assert_eq!(of(""), ["r-0"]);
    put_filed(
        s,
        "request",
        "r-4",
        Some(2),
        filed("sub_c", "closed"),
        b"done",
    )
    .expect("close");
    assert_eq!(open(), ["r-0", "r-2", "r-3"]);
    let got = s.get_doc("request", "r-4").expect("get").expect("present");
    assert_eq!(
        (got.owner.as_deref(), got.state.as_deref()),
        (Some("sub_c"), Some("closed"))
    );
    let unfiled = s.get_doc("request", "r-0").expect("get").expect("present");
    assert_eq!((unfiled.owner, unfiled.state), (None, None));
}

/// Eight threads commit units at once: every unit gets distinct seqs and the chain holds. Among
/// them, units refused by a check that comes first, and units that fail after writing (the
/// check last): each fails alone with its own error, leaving nothing, whichever units its
/// transaction holds (on SQLite, concurrent callers' jobs share the writer's transactions, the
/// first kind without a savepoint).
pub fn concurrent_commits(f: &Fixture) {
    let s = &*f.store;
    let ghost = || WriteOp::RequireSubject {
        id: "ghost".into(),
        statuses: vec![SubjectStatus::Active],
    };
    std::thread::scope(|scope| {
        for t in 0..8 {
            scope.spawn(move || {
                for n in 0..15 {
                    let insert = |id: String| {
                        WriteOp::InsertRecords(vec![record(
                            &id,
                            &format!("s{t}"),
                            "contact",
                            n,
                            None,
                        )])
                    };
                    let u = unit(vec![insert(format!("t{t}n{n}"))], &["write", "read"]);
                    one(s, u).expect("concurrent commit");
                    let refused =
                        unit(vec![ghost(), insert(format!("t{t}n{n}-first"))], &["write"]);
                    let late = unit(vec![insert(format!("t{t}n{n}-late")), ghost()], &["write"]);
                    for u in [refused, late] {
                        let answer = one(s, u);
                        assert!(
                            matches!(
                                answer,
                                Err(StoreError::NotFound {
                                    kind: "subject",
                                    ..
                                })
                            ),
                            "{answer:?}"
                        );
                    }
                }
            });
        }
    });
    let rows = assert_chain(s);
    assert_eq!(rows.len(), 8 * 15 * 2);
    for (t, n) in [(0, 0), (3, 7), (7, 14)] {
        assert!(s.get_record(&format!("t{t}n{n}")).expect("read").is_some());
        for failed in ["first", "late"] {
            let id = format!("t{t}n{n}-{failed}");
            assert!(
                s.get_record(&id).expect("read").is_none(),
                "{id} was rolled back"
            );
        }
    }
}

/// The purge's hold guard: a unit requiring `count` documents of a kind commits only while
/// exactly that many exist, checked inside the transaction, and a refusal changes nothing.
pub fn doc_count_guard(f: &Fixture) {
    let s = &*f.store;
    let kind = "guarded_kind";
    let guard = |count: u64| WriteOp::RequireDocCount {
        kind: kind.into(),
        count,
    };
    let zero = one(s, unit(vec![guard(0)], &["purge.page"])).expect("no document yet");
    assert_eq!(zero.outputs, vec![OpOutput::Done]);
    put(s, kind, "HOLD-0001", None, b"h1").expect("a document");
    let stale = one(
        s,
        unit(
            vec![
                WriteOp::CreateSubject(subject("g1", SubjectStatus::Active)),
                guard(0),
            ],
            &["purge.page"],
        ),
    );
    assert!(
        matches!(
            stale,
            Err(StoreError::VersionConflict {
                expected: Some(0),
                found: Some(1),
                ..
            })
        ),
        "a document added meanwhile refuses the unit: {stale:?}"
    );
    assert!(
        s.get_subject("g1").expect("get").is_none(),
        "nothing of the refused unit stays"
    );
    one(s, unit(vec![guard(1)], &["purge.page"])).expect("the count is right again");
}

/// Retention events dated after the write ([`WriteOp::DateSubjectEvent`]): only the
/// subject's records of the named categories change, each with the event dates and due date
/// the engine's function gives, together with the unit's journal entry; other subjects,
/// other categories and sealed values stay as they were; a unit that fails changes no date.
pub fn date_subject_event(f: &Fixture) {
    let s = &*f.store;
    for id in ["s-1", "s-2"] {
        s.create_subject(&subject(id, SubjectStatus::Active))
            .expect("create subject");
    }
    let mut open = record("r-contact", "s-1", "contact", 10, None);
    open.events.contract_end = None;
    s.insert_records(vec![
        open,
        record("r-billing", "s-1", "billing", 11, Some(900)),
        record("r-mail", "s-1", "mail", 12, None),
        record("r-other", "s-2", "contact", 13, None),
    ])
    .expect("insert records");
    // The engine's rule stand-in: the contract ended on day 100; contacts go a year later,
    // billing keeps its own date (it runs from collection).
    let update: EventUpdate = Arc::new(|category, _collected, events, _linked| {
        events.contract_end = Some(day(100));
        events.custom.insert("domain_cancelled".into(), day(90));
        (category == "contact").then(|| day(465))
    });
    let date =
        |subject: &str, categories: &[&str], update: EventUpdate| WriteOp::DateSubjectEvent {
            subject_id: subject.into(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            update: EventUpdateFn(update),
            due_by: day(500),
        };
    let entries = assert_chain(s).len();
    let done = one(
        s,
        unit(
            vec![date("s-1", &["contact", "billing"], update.clone())],
            &["subject.event"],
        ),
    )
    .expect("date event");
    assert_eq!(
        assert_chain(s).len(),
        entries + 1,
        "journaled with the change"
    );
    assert_eq!(
        done.outputs[0],
        OpOutput::Dated {
            updated: [("billing".to_string(), 1), ("contact".to_string(), 1)]
                .into_iter()
                .collect(),
            due: 1,
        },
        "date_subject_event: one record of each named category of the subject, the contact due by day 500"
    );
    let get = |id: &str| s.get_record(id).expect("get").expect("record exists");
    let contact = get("r-contact");
    assert_eq!(contact.events.contract_end, Some(day(100)));
    assert_eq!(
        contact.events.custom.get("domain_cancelled"),
        Some(&day(90)),
        "date_subject_event: custom events stored"
    );
    assert_eq!(
        contact.events.custom.get("trial_end"),
        Some(&day(40)),
        "date_subject_event: the other custom events kept"
    );
    assert_eq!(contact.events.last_interaction, Some(day(11)));
    assert_eq!(contact.retention_due, Some(day(465)));
    assert_eq!(
        contact.sealed,
        b"sealed:r-contact".to_vec(),
        "sealed untouched"
    );
    assert_eq!(
        get("r-billing").retention_due,
        None,
        "the function's due date replaces the old one"
    );
    let untouched = get("r-mail");
    assert_eq!(
        untouched.events.contract_end, None,
        "a category not named is left alone"
    );
    assert_eq!(
        get("r-other").events.contract_end,
        None,
        "another subject is left alone"
    );
    assert_eq!(
        due_ids(s, "contact", day(500)),
        ["r-contact"],
        "date_subject_event: due listing sees the new date"
    );
    let none = one(
        s,
        unit(
            vec![date("s-2", &["billing"], Arc::new(|_, _, _, _| None))],
            &["subject.event"],
        ),
    )
    .expect("nothing to date");
    assert_eq!(
        none.outputs[0],
        OpOutput::Dated {
            updated: Default::default(),
            due: 0
        },
        "a subject without records of the category: nothing"
    );
    // All or nothing: a unit failing after dating (a subject that does not exist) dates nothing.
    let failed = one(
        s,
        failing_after(date("s-2", &["contact"], update), "subject.event"),
    );
    assert!(failed.is_err(), "the unit fails");
    assert_eq!(
        get("r-other").events.contract_end,
        None,
        "and dated nothing"
    );
}
