//! A bulk unit on SQLite — more rows per table than one multi-row statement holds
//! (`sqlite/multi.rs`) — lands whole, in order and chained; a conflict in the middle of a chunk
//! names the row at fault and leaves nothing behind.

use std::sync::Arc;

use habeas_store::conformance::{record, subject};
use habeas_store::conformance_commit::TestSealer;
use habeas_store::sqlite::SqliteStore;
use habeas_store::{
    BlindIndexEntry, JournalDraft, JournalSealer, Store, StoreError, SubjectStatus, WriteOp,
    WriteUnit,
};

const N: usize = 100;

fn sealer() -> Arc<dyn JournalSealer> {
    Arc::new(TestSealer { every: 1_000_000 })
}

/// Subjects `{tag}{i}`, one record and two index entries each (digests out of order), one
/// journal entry each.
fn bulk(tag: &str, ids: impl Iterator<Item = usize>) -> WriteUnit {
    let ids: Vec<usize> = ids.collect();
    let mut ops: Vec<WriteOp> = ids
        .iter()
        .map(|i| WriteOp::CreateSubject(subject(&format!("{tag}{i:03}"), SubjectStatus::Active)))
        .collect();
    ops.push(WriteOp::InsertRecords(
        ids.iter()
            .map(|i| {
                record(
                    &format!("r-{tag}{i:03}"),
                    &format!("{tag}{i:03}"),
                    "contact",
                    1,
                    None,
                )
            })
            .collect(),
    ));
    ops.push(WriteOp::PutBlindIndexes(
        ids.iter()
            .flat_map(|i| {
                ["contact/email", "contact/phone"].map(|kind| BlindIndexEntry {
                    kind: kind.into(),
                    digest: vec![(i * 37 % 256) as u8, *i as u8],
                    subject_id: format!("{tag}{i:03}"),
                })
            })
            .collect(),
    ));
    let journal = ids
        .iter()
        .map(|i| JournalDraft {
            ts: habeas_store::conformance::day(0),
            actor: "bulk".into(),
            action: format!("write {i}"),
            subject_id: Some(format!("{tag}{i:03}")),
            category: Some("contact".into()),
            purpose: None,
            details: "records=1".into(),
        })
        .collect();
    WriteUnit { ops, journal }
}

fn commit(
    s: &SqliteStore,
    units: Vec<WriteUnit>,
) -> Vec<habeas_store::Result<habeas_store::UnitOutcome>> {
    s.commit(units, sealer()).expect("the transaction commits")
}

#[test]
fn a_bulk_unit_lands_whole_and_a_conflict_names_its_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = SqliteStore::open(dir.path().join("habeas.db")).expect("open");

    let out = commit(&s, vec![bulk("a", 0..N)]).pop().expect("one result");
    let out = out.expect("the bulk unit commits");
    assert_eq!(out.seqs, (1..=N as u64).collect::<Vec<_>>());
    assert_eq!(out.outputs.len(), N + 2, "one output per op");
    assert_eq!(s.count_subjects().expect("count"), N as u64);
    for i in [0, 31, 32, 63, 64, 99] {
        let r = s.get_record(&format!("r-a{i:03}")).expect("get");
        assert_eq!(r.map(|r| r.subject_id), Some(format!("a{i:03}")));
        assert_eq!(
            s.find_subjects("contact/phone", &[(i * 37 % 256) as u8, i as u8])
                .expect("find"),
            vec![format!("a{i:03}")]
        );
    }
    let rows = s.journal_range(0, 1000).expect("journal");
    assert_eq!(rows.len(), N);
    let sealer = sealer();
    let mut prev = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.action, format!("write {i}"), "in order");
        assert_eq!(
            r.prev_hash, prev,
            "entry {} chains to the one before",
            r.seq
        );
        let draft = JournalDraft {
            ts: r.ts,
            actor: r.actor.clone(),
            action: r.action.clone(),
            subject_id: r.subject_id.clone(),
            category: r.category.clone(),
            purpose: r.purpose.clone(),
            details: r.details.clone(),
        };
        assert_eq!(r.hash, sealer.link(r.seq, &prev, &draft));
        prev = r.hash.clone();
    }

    // Subject a070 exists: the second unit (b000…b049, a070, b051…) fails on it alone,
    // beside a unit that commits; nothing of the failed unit stays.
    let mut clash = bulk("b", 0..N);
    if let WriteOp::CreateSubject(s70) = &mut clash.ops[70] {
        s70.id = "a070".into();
    }
    let mut results = commit(&s, vec![clash, bulk("c", 0..3)]);
    assert!(results.pop().expect("second").is_ok());
    match results.pop().expect("first") {
        Err(StoreError::Conflict {
            kind: "subject",
            id,
        }) => assert_eq!(id, "a070"),
        other => panic!("expected a conflict on a070: {other:?}"),
    }
    assert_eq!(s.count_subjects().expect("count"), N as u64 + 3);
    assert_eq!(s.get_subject("b000").expect("get"), None);
    assert_eq!(s.get_record("r-b000").expect("get"), None);
    assert_eq!(s.journal_range(0, 1000).expect("journal").len(), N + 3);

    // A record id taken: the conflict names it too.
    let mut clash = bulk("d", 0..N);
    if let Some(WriteOp::InsertRecords(records)) = clash.ops.get_mut(N) {
        records[45].id = "r-a010".into();
    }
    match commit(&s, vec![clash]).pop().expect("one") {
        Err(StoreError::Conflict { kind: "record", id }) => assert_eq!(id, "r-a010"),
        other => panic!("expected a conflict on r-a010: {other:?}"),
    }
    assert_eq!(s.count_subjects().expect("count"), N as u64 + 3);
}
