//! A rectification (Art. 16) corrects a record's values and keeps its
//! history: the collection date and the retention event dates stay, so the
//! retention due date computed from them does not move (Art. 5(1)(e)).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use habeas_core::clock::SystemClock;
use habeas_core::declarations;
use habeas_engine::{Caller, RecordInput, Vault, VaultPaths};
use serde_json::json;

fn open(dir: &Path) -> Vault {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hosting-provider/declarations");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&src)
        .expect("demo")
        .flatten()
        .map(|e| {
            let p = e.path();
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).expect("read"),
            )
        })
        .collect();
    files.sort();
    let decls = declarations::load_and_check(&files).declarations;
    Vault::open(VaultPaths::in_project(dir), decls, Arc::new(SystemClock)).expect("open vault")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("date")
}

#[test]
fn rectification_keeps_collection_and_event_dates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = open(dir.path());
    let op = Caller::operator("test", "PA-0001");
    let s = vault.create_subject(&op, None).expect("subject");
    // `contact`: "1 year after contract end".
    let first: RecordInput = serde_json::from_value(json!({
        "category": "contact",
        "fields": { "email": "before@example.org" },
        "collected_at": "2024-02-01T10:00:00Z",
        "events": { "contract_end": "2025-06-30T00:00:00Z",
                    "last_interaction": "2025-06-01T00:00:00Z" }
    }))
    .expect("input");
    let receipt = vault.write(&op, &s, first).expect("write");
    assert_eq!(receipt.due_at, Some(at("2026-06-30T00:00:00Z")));

    // The rights bridge and the backup replay rectify with the new values only.
    let correction: RecordInput = serde_json::from_value(json!({
        "category": "contact",
        "fields": { "email": "after@example.org" }
    }))
    .expect("input");
    let receipt = vault
        .replace_record(&op, &s, &receipt.record, correction)
        .expect("rectify");
    assert_eq!(
        receipt.due_at,
        Some(at("2026-06-30T00:00:00Z")),
        "the retention clock still counts from the contract end"
    );
    let view = vault.read(&op, &s, Some("contact")).expect("read");
    let record = &view.records[0];
    assert_eq!(
        record.fields.get("email"),
        Some(&json!("after@example.org"))
    );
    assert_eq!(record.collected_at, at("2024-02-01T10:00:00Z"));
    assert_eq!(record.due_at, Some(at("2026-06-30T00:00:00Z")));

    // A new event date given with the correction wins over the stored one.
    let later: RecordInput = serde_json::from_value(json!({
        "category": "contact",
        "fields": { "email": "after@example.org" },
        "events": { "contract_end": "2025-12-31T00:00:00Z" }
    }))
    .expect("input");
    let receipt = vault
        .replace_record(&op, &s, &record.id, later)
        .expect("rectify");
    assert_eq!(receipt.due_at, Some(at("2026-12-31T00:00:00Z")));
}
