//! Property test: the SQLite store and key store against a simple in-memory model, over random
//! sequences of insert / read / rectify / delete / put-key / shred operations.

use std::collections::BTreeMap;

use habeas_store::conformance::record;
use habeas_store::sqlite::{SqliteKeyStore, SqliteStore};
use habeas_store::{KeyStore, Record, Store, WrappedKey};
use proptest::prelude::*;

const SUBJECTS: [&str; 3] = ["s0", "s1", "s2"];
const CATEGORIES: [&str; 2] = ["contact", "billing"];

#[derive(Debug, Clone)]
enum Op {
    Insert {
        subject: usize,
        category: usize,
        day: i64,
    },
    Rectify {
        nth: usize,
        byte: u8,
    },
    DeleteSubject {
        subject: usize,
        category: Option<usize>,
    },
    PutKey {
        subject: usize,
        category: usize,
    },
    Shred {
        subject: usize,
        category: Option<usize>,
    },
    Read {
        subject: usize,
        category: Option<usize>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..2usize, 0..30i64).prop_map(|(subject, category, day)| Op::Insert { subject, category, day }),
        1 => (0..64usize, any::<u8>()).prop_map(|(nth, byte)| Op::Rectify { nth, byte }),
        1 => (0..3usize, proptest::option::of(0..2usize)).prop_map(|(subject, category)| Op::DeleteSubject { subject, category }),
        2 => (0..3usize, 0..2usize).prop_map(|(subject, category)| Op::PutKey { subject, category }),
        1 => (0..3usize, proptest::option::of(0..2usize)).prop_map(|(subject, category)| Op::Shred { subject, category }),
        2 => (0..3usize, proptest::option::of(0..2usize)).prop_map(|(subject, category)| Op::Read { subject, category }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("d/h.db")).expect("store");
        let keys = SqliteKeyStore::open(dir.path().join("k/k.db")).expect("keys");
        let mut records: BTreeMap<String, Record> = BTreeMap::new();
        let mut model_keys: BTreeMap<(String, String), WrappedKey> = BTreeMap::new();
        let mut next = 0u32;
        for op in ops {
            match op {
                Op::Insert { subject, category, day } => {
                    next += 1;
                    let r = record(&format!("r{next:04}"), SUBJECTS[subject], CATEGORIES[category], day, Some(day + 10));
                    store.insert_records(vec![r.clone()]).expect("insert");
                    records.insert(r.id.clone(), r);
                }
                Op::Rectify { nth, byte } => {
                    let Some(id) = records.keys().nth(nth % records.len().max(1)).cloned() else { continue };
                    store.replace_sealed(&id, &[byte; 8], 2).expect("rectify");
                    if let Some(r) = records.get_mut(&id) {
                        r.sealed = vec![byte; 8];
                        r.key_version = 2;
                    }
                }
                Op::DeleteSubject { subject, category } => {
                    let cat = category.map(|c| CATEGORIES[c]);
                    let n = store.delete_subject_records(SUBJECTS[subject], cat).expect("delete");
                    let before = records.len();
                    records.retain(|_, r| !(r.subject_id == SUBJECTS[subject] && cat.is_none_or(|c| r.category == c)));
                    prop_assert_eq!(n as usize, before - records.len());
                }
                Op::PutKey { subject, category } => {
                    let k = WrappedKey {
                        subject_id: SUBJECTS[subject].into(),
                        category: CATEGORIES[category].into(),
                        kek_id: "kek".into(),
                        wrapped: vec![u8::try_from(subject * 2 + category).unwrap_or(0); 40],
                    };
                    let id = (k.subject_id.clone(), k.category.clone());
                    let result = keys.put_keys(std::slice::from_ref(&k));
                    prop_assert_eq!(result.is_ok(), !model_keys.contains_key(&id), "put fails exactly on an existing key");
                    model_keys.entry(id).or_insert(k);
                }
                Op::Shred { subject, category } => {
                    let cat = category.map(|c| CATEGORIES[c]);
                    let n = keys.shred(SUBJECTS[subject], cat).expect("shred");
                    let before = model_keys.len();
                    model_keys.retain(|(s, c), _| !(s == SUBJECTS[subject] && cat.is_none_or(|x| c == x)));
                    prop_assert_eq!(n as usize, before - model_keys.len());
                }
                Op::Read { subject, category } => {
                    let cat = category.map(|c| CATEGORIES[c]);
                    let got = store.subject_records(SUBJECTS[subject], cat).expect("read");
                    let mut want: Vec<Record> = records
                        .values()
                        .filter(|r| r.subject_id == SUBJECTS[subject] && cat.is_none_or(|c| r.category == c))
                        .cloned()
                        .collect();
                    want.sort_by(|a, b| (a.collected_at, &a.id).cmp(&(b.collected_at, &b.id)));
                    prop_assert_eq!(got, want);
                }
            }
        }
        let all_keys = keys.list_keys(None, 100).expect("list");
        prop_assert_eq!(all_keys, model_keys.into_values().collect::<Vec<_>>());
        let counts = store.count_by_category().expect("count");
        let mut want = BTreeMap::new();
        for r in records.values() {
            *want.entry(r.category.clone()).or_insert(0u64) += 1;
        }
        prop_assert_eq!(counts, want);
    }
}
