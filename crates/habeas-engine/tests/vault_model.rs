//! Property test: random sequences of create / write / read / find / shred
//! on a real vault (temp directory, real keys, real SQLite) agree with a
//! plain in-memory model.

use std::collections::{BTreeMap, BTreeSet};

use habeas_engine::{Caller, RecordInput, Vault, VaultPaths};
use proptest::prelude::*;

mod common;

#[derive(Debug, Clone)]
enum Op {
    Create,
    Write { subject: usize, email: usize },
    Read { subject: usize },
    Find { email: usize },
    Shred { subject: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Create),
        4 => (0..6usize, 0..5usize).prop_map(|(subject, email)| Op::Write { subject, email }),
        2 => (0..6usize).prop_map(|subject| Op::Read { subject }),
        2 => (0..5usize).prop_map(|email| Op::Find { email }),
        1 => (0..6usize).prop_map(|subject| Op::Shred { subject }),
    ]
}

fn open(dir: &std::path::Path) -> Vault {
    common::open(VaultPaths::in_project(dir))
}

fn email(i: usize) -> String {
    format!("model.{i}@example.org")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn the_vault_behaves_like_the_model(ops in proptest::collection::vec(op(), 1..25)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = open(dir.path());
        let caller = Caller::operator("model", "PA-0001");
        let mut ids: Vec<String> = Vec::new();
        // Model: subject index -> e-mails written (in order); shredded subjects.
        let mut model: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        let mut shredded: BTreeSet<usize> = BTreeSet::new();
        for op in ops {
            match op {
                Op::Create => {
                    ids.push(vault.create_subject(&caller, None).expect("create"));
                    model.insert(ids.len() - 1, Vec::new());
                }
                Op::Write { subject, email: e } if subject < ids.len() => {
                    let input: RecordInput = serde_json::from_value(serde_json::json!({
                        "category": "contact", "fields": {"email": email(e)}
                    })).expect("input");
                    let result = vault.write(&caller, &ids[subject], input);
                    if shredded.contains(&subject) {
                        prop_assert!(result.is_err(), "write to an erased subject accepted");
                    } else {
                        result.expect("write");
                        model.entry(subject).or_default().push(email(e));
                    }
                }
                Op::Read { subject } if subject < ids.len() => {
                    let view = vault.read(&caller, &ids[subject], Some("contact")).expect("read");
                    let mut got: Vec<String> = view.records.iter()
                        .map(|r| r.fields["email"].as_str().unwrap_or_default().to_string()).collect();
                    let mut want = if shredded.contains(&subject) { Vec::new() } else { model[&subject].clone() };
                    got.sort();
                    want.sort();
                    prop_assert_eq!(got, want);
                }
                Op::Find { email: e } => {
                    let got: BTreeSet<String> = vault.find(&caller, "email", &email(e)).expect("find").into_iter().collect();
                    let want: BTreeSet<String> = model.iter()
                        .filter(|(s, emails)| !shredded.contains(s) && emails.contains(&email(e)))
                        .map(|(s, _)| ids[*s].clone())
                        .collect();
                    prop_assert_eq!(got, want);
                }
                Op::Shred { subject } if subject < ids.len() => {
                    vault.shred(&caller, &ids[subject]).expect("shred");
                    shredded.insert(subject);
                }
                _ => {}
            }
        }
        let intact = matches!(vault.verify_journal().expect("verify"), habeas_engine::Verdict::Intact { .. });
        prop_assert!(intact, "the journal does not verify");
    }
}
