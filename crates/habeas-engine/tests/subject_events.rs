//! Retention events dated after the write (`Vault::date_event`): a record
//! written while the contract ran has no due date; dating the contract's end
//! gives it one from the declared rule, on the categories the caller's
//! purposes cover, journaled; mistakes are refused and change nothing.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{input, op, open};
use habeas_engine::erase::Erasure;
use habeas_engine::{Caller, VaultPaths, Verdict};
use serde_json::json;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("date")
}

#[test]
fn dating_a_contract_end_gives_the_records_their_due_dates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = open(VaultPaths::in_project(dir.path()));
    let s = vault.create_subject(&op(), None).expect("subject");
    // contact and identity run from the contract's end; billing from collection.
    let contact = vault
        .write(
            &op(),
            &s,
            input("contact", json!({"email": "e@example.org"})),
        )
        .expect("contact");
    assert_eq!(contact.due_at, None, "the contract runs");
    vault
        .write(&op(), &s, input("identity", json!({"last_name": "Fictif"})))
        .expect("identity");
    let billing = vault
        .write(
            &op(),
            &s,
            input("billing", json!({"invoice_number": "F-1"})),
        )
        .expect("billing");

    // A token for PA-0001 covers identity and contact, not billing.
    let (token, _) = vault
        .create_token(&op(), "crm", &["PA-0001".into()], &[])
        .expect("token");
    let crm = Caller::token(token, None);
    let done = vault
        .date_event(&crm, &s, "contract_end", Some(at("2024-01-31T00:00:00Z")))
        .expect("date");
    assert_eq!(
        done.updated,
        [("contact".to_string(), 1), ("identity".to_string(), 1)]
            .into_iter()
            .collect()
    );
    assert_eq!(
        done.due_now, 1,
        "contact: a year after January 2024 has passed"
    );
    assert!(
        done.withheld.contains(&"billing".to_string()),
        "{:?}",
        done.withheld
    );

    let view = vault.read(&op(), &s, None).expect("read");
    let due = |category: &str| {
        view.records
            .iter()
            .find(|r| r.category == category)
            .map(|r| r.due_at)
            .expect("record")
    };
    assert_eq!(due("contact"), Some(at("2025-01-31T00:00:00Z")));
    assert_eq!(due("identity"), Some(at("2029-01-31T00:00:00Z")));
    assert_eq!(
        due("billing").map(|d| d.timestamp_micros()),
        billing.due_at.map(|d| d.timestamp_micros()),
        "billing is not the token's to date"
    );

    // The purge sees it: the contact record is due now.
    let due_now = habeas_engine::retention::VaultPurge::new(&vault, op())
        .due_by(Utc::now(), 100)
        .expect("due");
    assert!(
        due_now.iter().any(|r| r.record == contact.record),
        "{due_now:?}"
    );

    // Journaled; the journal still verifies.
    assert!(matches!(
        vault.verify_journal().expect("verify"),
        Verdict::Intact { .. }
    ));
}

#[test]
fn mistakes_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = open(VaultPaths::in_project(dir.path()));
    let s = vault.create_subject(&op(), None).expect("subject");
    let w = vault
        .write(
            &op(),
            &s,
            input("contact", json!({"email": "m@example.org"})),
        )
        .expect("contact");
    let refused = |event: &str, when: DateTime<Utc>, subject: &str| {
        vault
            .date_event(&op(), subject, event, Some(when))
            .expect_err("refused")
            .refusal()
            .map(|r| r.code)
    };
    assert_eq!(
        refused("contract_ended", at("2024-01-01T00:00:00Z"), &s),
        Some("unknown_event")
    );
    assert_eq!(
        refused("collection", at("2024-01-01T00:00:00Z"), &s),
        Some("unknown_event")
    );
    assert_eq!(
        refused("last_interaction", Utc::now() + Duration::days(2), &s),
        Some("event_in_future")
    );
    assert_eq!(
        refused("contract_end", at("2024-01-01T00:00:00Z"), "sub_nobody"),
        Some("unknown_subject")
    );
    let view = vault.read(&op(), &s, Some("contact")).expect("read");
    assert_eq!(view.records[0].due_at, w.due_at, "nothing changed");
    // A token whose purposes cover none of the subject's categories.
    let (token, _) = vault
        .create_token(&op(), "compta", &["PA-0002".into()], &["billing".into()])
        .expect("token");
    let done = vault
        .date_event(
            &Caller::token(token, None),
            &s,
            "contract_end",
            Some(at("2024-01-01T00:00:00Z")),
        )
        .expect("billing covered, no billing record");
    assert!(done.updated.is_empty());
    // An erased subject has nothing left to date.
    vault
        .erase_batch(&op(), &[Erasure::subject(&s)])
        .expect("erase");
    assert!(
        vault
            .date_event(&op(), &s, "contract_end", Some(at("2024-01-01T00:00:00Z")))
            .is_err()
    );
}
