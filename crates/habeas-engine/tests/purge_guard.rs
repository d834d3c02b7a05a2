//! The pipelined purge's hold guard, through a real vault (Art. 17(3)(e)):
//! a legal hold placed after a page was judged refuses that page inside its
//! transaction — nothing of it changes — and the purge loop then re-reads
//! the holds, keeps what the new hold covers and purges the rest.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use habeas_core::clock::{Clock, ManualClock};
use habeas_core::declarations::{self, Declarations};
use habeas_engine::retention::VaultPurge;
use habeas_engine::{Caller, RecordInput, Vault, VaultPaths};
use habeas_retention::hold::{HoldScope, HoldService, NewHold};
use habeas_retention::plan::expiry_by_category;
use habeas_retention::purge::{PageError, PageWork, PurgeTarget, run_purge};
use serde_json::json;

fn declarations() -> Declarations {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hosting-provider/declarations");
    let mut files = Vec::new();
    for e in std::fs::read_dir(&src).expect("demo").flatten() {
        let p = e.path();
        files.push((
            p.display().to_string(),
            std::fs::read_to_string(&p).expect("read"),
        ));
    }
    files.sort();
    declarations::load_and_check(&files).declarations
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("date").to_utc()
}

fn op() -> Caller {
    Caller::operator("test", "administration")
}

/// A prospect last met in January 2020: due in January 2023.
fn prospect(vault: &Vault, tag: &str) -> String {
    let s = vault.create_subject(&op(), None).expect("subject");
    let input: RecordInput = serde_json::from_value(json!({
        "category": "prospect_contact",
        "fields": { "name": format!("Nom {tag}"), "email": format!("{tag}@example.org") },
        "events": { "last_interaction": "2020-01-10T09:00:00Z" },
    }))
    .expect("input");
    vault.write(&op(), &s, input).expect("write");
    s
}

#[test]
fn a_hold_placed_after_the_page_was_judged_refuses_the_page_then_keeps_what_it_covers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(t("2020-01-10T10:00:00Z")));
    let vault = Vault::open(
        VaultPaths::in_project(dir.path()),
        declarations(),
        clock.clone(),
    )
    .expect("open vault");
    let a = prospect(&vault, "a");
    let b = prospect(&vault, "b");
    clock.set(t("2024-01-01T00:00:00Z"));
    let now = clock.now();
    let purge = VaultPurge::new(&vault, Caller::operator("retention", "retention"));
    let due = purge.due_by(now, 100).expect("due");
    assert_eq!(due.len(), 2);

    // The page is judged and prepared with no hold known; a hold on `a`
    // is placed before it is queued.
    let work = PageWork {
        delete: due.clone(),
        anonymise: Vec::new(),
        holds_known: 0,
    };
    let prepared = purge.prepare(work, &BTreeSet::new()).expect("prepare");
    let docs = vault.docs(op());
    HoldService::new(&docs, &*clock)
        .add(NewHold {
            scope: HoldScope::Subject(a.clone()),
            reason: "Litige n° 2026-014".into(),
            created_by: "dpo".into(),
            until: None,
        })
        .expect("hold");
    let committing = purge.submit(prepared).expect("submit");
    assert_eq!(purge.finish(committing), Err(PageError::HoldsChanged));
    assert_eq!(
        purge.due_by(now, 100).expect("due").len(),
        2,
        "a refused page changes nothing"
    );

    // The loop, started with the stale (empty) list of holds, re-reads
    // them: `b` goes, `a` stays and is counted held.
    let expiry = expiry_by_category(vault.declarations());
    let summary = run_purge(&purge, now, &expiry, &[], 100).expect("purge");
    let counts = &summary.categories["prospect_contact"];
    assert_eq!((counts.delete, counts.held), (1, 1), "{summary:?}");
    let left = purge.due_by(now, 100).expect("due");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].subject, a);
    assert!(
        vault
            .read(&op(), &b, Some("prospect_contact"))
            .expect("read b")
            .records
            .is_empty(),
        "b's record went"
    );
    assert_eq!(
        vault.find(&op(), "email", "a@example.org").expect("find"),
        vec![a.clone()],
        "the held record is still found"
    );
}
