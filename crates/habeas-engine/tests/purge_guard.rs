//! The pipelined purge's hold guard, through a real vault (Art. 17(3)(e)):
//! a legal hold placed after a page was judged refuses that page inside its
//! transaction — nothing of it changes — and the purge loop then re-reads
//! the holds, keeps what the new hold covers and purges the rest.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use habeas_core::clock::{Clock, ManualClock};
use habeas_engine::retention::VaultPurge;
use habeas_engine::{Caller, RecordInput, Vault, VaultPaths};
use habeas_retention::hold::{HoldScope, HoldService, NewHold};
use habeas_retention::plan::expiry_by_category;
use habeas_retention::purge::{PageError, PageWork, PurgeTarget, run_purge};
use serde_json::json;

mod common;
use common::declarations;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("date").to_utc()
}

fn op() -> Caller {
    Caller::operator("test", "administration")
}

/// A vault on the demo declarations in a temporary directory (kept alive
/// by the returned guard), its clock on 10 January 2020.
fn vault_in_2020() -> (tempfile::TempDir, Arc<ManualClock>, Vault) {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(t("2020-01-10T10:00:00Z")));
    let vault = Vault::open(
        VaultPaths::in_project(dir.path()),
        declarations(),
        clock.clone(),
    )
    .expect("open vault");
    (dir, clock, vault)
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
    let (_dir, clock, vault) = vault_in_2020();
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

fn prospect_input(email: &str, last_interaction: &str) -> RecordInput {
    serde_json::from_value(json!({
        "category": "prospect_contact",
        "fields": { "name": "Nom Prénom", "email": email },
        "events": { "last_interaction": last_interaction },
    }))
    .expect("input")
}

/// Prepare one page of everything due at `now`, run `meanwhile`, then
/// queue and finish the page: what it left untouched.
fn page_with(
    purge: &VaultPurge<'_>,
    now: DateTime<Utc>,
    meanwhile: impl FnOnce(),
) -> BTreeSet<String> {
    let due = purge.due_by(now, 100).expect("due");
    let work = PageWork {
        delete: due,
        anonymise: Vec::new(),
        holds_known: 0,
    };
    let prepared = purge.prepare(work, &BTreeSet::new()).expect("prepare");
    meanwhile();
    purge
        .finish(purge.submit(prepared).expect("submit"))
        .expect("the page commits")
}

#[test]
fn a_record_rectified_after_the_page_was_judged_is_not_purged_on_its_old_date() {
    let (_dir, clock, vault) = vault_in_2020();
    let a = prospect(&vault, "a");
    let b = prospect(&vault, "b");
    let a_record = vault.read(&op(), &a, None).expect("read a").records[0]
        .id
        .clone();
    clock.set(t("2024-01-01T00:00:00Z"));
    let now = clock.now();
    let purge = VaultPurge::new(&vault, Caller::operator("retention", "retention"));

    // Between the judgement and the commit, the prospect is met again
    // (Art. 16 rectification of the event): due in December 2026 now.
    let untouched = page_with(&purge, now, || {
        vault
            .replace_record(
                &op(),
                &a,
                &a_record,
                prospect_input("a@example.org", "2023-12-01T09:00:00Z"),
            )
            .expect("rectify");
    });
    assert_eq!(untouched, BTreeSet::from([a_record.clone()]));
    let left = vault.read(&op(), &a, None).expect("read a").records;
    assert_eq!(left.len(), 1, "the rectified record stays");
    assert_eq!(left[0].id, a_record);
    assert!(
        vault
            .read(&op(), &b, None)
            .expect("read b")
            .records
            .is_empty(),
        "the rest of the page went"
    );
    assert_eq!(
        vault.find(&op(), "email", "a@example.org").expect("find"),
        vec![a.clone()]
    );
    assert!(purge.due_by(now, 100).expect("due").is_empty());
}

#[test]
fn an_identifier_written_again_while_the_page_commits_stays_findable() {
    let (_dir, clock, vault) = vault_in_2020();
    // One subject, two prospect records: `old@…` due, `kept@…` not.
    let s = vault.create_subject(&op(), None).expect("subject");
    vault
        .write(
            &op(),
            &s,
            prospect_input("old@example.org", "2020-01-10T09:00:00Z"),
        )
        .expect("old");
    vault
        .write(
            &op(),
            &s,
            prospect_input("kept@example.org", "2023-12-01T09:00:00Z"),
        )
        .expect("kept");
    clock.set(t("2024-01-01T00:00:00Z"));
    let now = clock.now();
    let purge = VaultPurge::new(&vault, Caller::operator("retention", "retention"));

    // The page plans to drop `old@…` from the index (no remaining record
    // carries it); meanwhile a new record carrying it again is written.
    let untouched = page_with(&purge, now, || {
        vault
            .write(
                &op(),
                &s,
                prospect_input("old@example.org", "2023-12-20T09:00:00Z"),
            )
            .expect("written again");
    });
    assert!(untouched.is_empty(), "{untouched:?}");
    assert_eq!(
        vault.read(&op(), &s, None).expect("read").records.len(),
        2,
        "the due record went, the two others stay"
    );
    assert_eq!(
        vault.find(&op(), "email", "old@example.org").expect("find"),
        vec![s.clone()],
        "the new record's identifier is still in the index"
    );
}

/// A page of 230 records is committed as steps of at most 100 (one
/// journal entry per step, counts only), so an audited read arriving
/// meanwhile waits for a step, not the page. A step refused because a
/// record of it was rectified after the judgement fails the steps sharing
/// its transaction (here all: no read came between them); they are
/// planned again without that record, in steps again, and counted once.
#[test]
fn a_page_commits_in_steps_and_a_refused_page_is_planned_again_in_steps() {
    let (_dir, clock, vault) = vault_in_2020();
    let subjects: Vec<String> = (0..230)
        .map(|i| prospect(&vault, &format!("p{i}")))
        .collect();
    clock.set(t("2024-01-01T00:00:00Z"));
    let now = clock.now();
    let purge = VaultPurge::new(&vault, Caller::operator("retention", "retention"));
    let due = purge.due_by(now, 1000).expect("due");
    assert_eq!(due.len(), 230);
    // A record of the second step (items 100..200 in due order).
    let rectified = due[150].clone();
    let work = PageWork {
        delete: due,
        anonymise: Vec::new(),
        holds_known: 0,
    };
    let prepared = purge.prepare(work, &BTreeSet::new()).expect("prepare");
    vault
        .replace_record(
            &op(),
            &rectified.subject,
            &rectified.record,
            prospect_input("moved@example.org", "2023-12-01T09:00:00Z"),
        )
        .expect("rectify");
    let untouched = purge
        .finish(purge.submit(prepared).expect("submit"))
        .expect("the page commits");
    assert_eq!(untouched, BTreeSet::from([rectified.record.clone()]));

    let left = purge.due_by(now, 1000).expect("due");
    assert!(left.is_empty(), "{} records still due", left.len());
    let kept: Vec<&String> = subjects
        .iter()
        .filter(|s| {
            !vault
                .read(&op(), s, Some("prospect_contact"))
                .expect("read")
                .records
                .is_empty()
        })
        .collect();
    assert_eq!(
        kept,
        vec![&rectified.subject],
        "only the rectified record stays"
    );

    let pages = vault
        .journal_tail(&op(), &["retention.purge_page"], 10_000)
        .expect("journal");
    let mut details: Vec<String> = pages.events.iter().map(|e| e.details.clone()).collect();
    details.sort();
    assert_eq!(
        details,
        [
            "deleted=100 anonymised=0 incident_linked=0",
            "deleted=100 anonymised=0 incident_linked=0",
            "deleted=29 anonymised=0 incident_linked=0",
        ],
        "the page again without the rectified record, in three steps"
    );
}
