//! Processing limits enforced by the vault (GDPR Art. 18, 21, 7(3)): a
//! restricted or objected purpose reads and writes nothing of the subject
//! while storage continues; a withdrawn consent stops its purpose at once;
//! other purposes and other subjects are untouched; every refusal is journaled.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use habeas_core::clock::SystemClock;
use habeas_core::consent::{ConsentAction, ConsentEvent, ConsentLedger, NoticeShown, Sha256Digest};
use habeas_core::declarations::{self, Declarations};
use habeas_core::rights::policy::{MissingConsent, ObjectionStatus};
use habeas_engine::{Caller, EngineError, RecordInput, Vault, VaultPaths};
use serde_json::json;

fn declarations() -> Declarations {
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
    declarations::load_and_check(&files).declarations
}

fn input(category: &str, fields: serde_json::Value) -> RecordInput {
    serde_json::from_value(json!({ "category": category, "fields": fields })).expect("input")
}

fn code(e: EngineError) -> &'static str {
    e.refusal().map_or("none", |r| r.code)
}

/// A consent ledger of `subject` for the newsletter (PA-0008): each event
/// with how many minutes ago it happened.
fn consent_ledger(subject: &str, events: &[(ConsentAction, i64)]) -> ConsentLedger {
    let mut ledger = ConsentLedger::new();
    for (action, minutes) in events {
        ledger
            .record(ConsentEvent {
                subject: subject.to_string(),
                purpose: "newsletter".into(),
                action: *action,
                at: Utc::now() - chrono::Duration::minutes(*minutes),
                channel: "web_form".into(),
                notice: NoticeShown {
                    version: "2026-11".into(),
                    sha256: Sha256Digest::of(b"notice text"),
                },
                recorded_by: None,
            })
            .unwrap();
    }
    ledger
}

/// A subject with contact data (PA-0001) and marketing data (PA-0008,
/// consent given 10 minutes ago).
fn seeded(vault: &Vault) -> String {
    let op = Caller::operator("test", "PA-0001");
    let s = vault
        .create_subject(&op, Some("customers"))
        .expect("subject");
    vault
        .write(
            &op,
            &s,
            input("contact", json!({"email": "limits@example.org"})),
        )
        .expect("contact");
    let mk = Caller::operator("test", "PA-0008");
    let ledger = consent_ledger(&s, &[(ConsentAction::Given, 10)]);
    vault
        .put_doc("consent", &s, None, &serde_json::to_vec(&ledger).unwrap())
        .expect("consent given");
    vault
        .write(
            &mk,
            &s,
            input("marketing", json!({"email": "limits@example.org"})),
        )
        .expect("marketing");
    s
}

#[test]
fn a_restriction_freezes_its_purpose_only_and_lifting_it_restores_access() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(
        VaultPaths::in_project(dir.path()),
        declarations(),
        Arc::new(SystemClock),
    )
    .unwrap();
    let s = seeded(&vault);
    let other = seeded(&vault);
    let crm = Caller::operator("crm", "PA-0001");
    let dpo = Caller::operator("dpo", "PA-0006");

    vault.set_restriction(&dpo, &s, "PA-0001", true).unwrap();
    // Reads and writes for the restricted purpose are refused with the reason.
    let err = vault.read(&crm, &s, Some("contact")).unwrap_err();
    assert_eq!(code(err), "limited_by_subject");
    let err = vault
        .write(
            &crm,
            &s,
            input("contact", json!({"email": "new@example.org"})),
        )
        .unwrap_err();
    assert_eq!(code(err), "limited_by_subject");
    // A whole-subject read under that purpose gets nothing, with the reason.
    assert_eq!(
        code(vault.read(&crm, &s, None).unwrap_err()),
        "limited_by_subject"
    );
    // Storage continues: the records are still there for the support purpose,
    // and another subject is untouched.
    assert_eq!(
        vault.read(&dpo, &s, Some("contact")).unwrap().records.len(),
        1
    );
    assert_eq!(
        vault
            .read(&crm, &other, Some("contact"))
            .unwrap()
            .records
            .len(),
        1
    );

    let audit = Caller::operator("audit", "PA-0006");
    let last = vault
        .journal_tail(&audit, &["doc.put"], 100)
        .unwrap()
        .events
        .first()
        .map_or(0, |e| e.seq);
    vault.set_restriction(&dpo, &s, "PA-0001", false).unwrap();
    // The lift (what `habeas limits lift` and the portal call) writes one
    // journal entry, which names the purpose that resumed (Art. 18(3)).
    let lift: Vec<_> = vault
        .journal_tail(&audit, &["doc.put"], 100)
        .unwrap()
        .events
        .into_iter()
        .filter(|e| e.seq > last && e.actor == "dpo")
        .collect();
    assert_eq!(lift.len(), 1, "{lift:?}");
    assert_eq!(
        lift[0].details,
        format!("kind=processing-limits id={s} version=2 restriction=lifted purpose=PA-0001")
    );
    assert_eq!(
        vault.read(&crm, &s, Some("contact")).unwrap().records.len(),
        1
    );
    assert!(matches!(
        vault.verify_journal().unwrap(),
        habeas_engine::Verdict::Intact { .. }
    ));
}

#[test]
fn an_objection_to_direct_marketing_is_absolute_and_other_objections_yield_to_recorded_grounds() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(
        VaultPaths::in_project(dir.path()),
        declarations(),
        Arc::new(SystemClock),
    )
    .unwrap();
    let s = seeded(&vault);
    let dpo = Caller::operator("dpo", "PA-0006");
    let marketing = Caller::operator("mailer", "PA-0008");
    let crm = Caller::operator("crm", "PA-0001");

    let grounds = || ObjectionStatus::Overridden {
        grounds: "legal claim ref. 2026-17".into(),
    };
    vault
        .set_objection(&dpo, &s, "PA-0008", Some(grounds()))
        .unwrap();
    // Art. 21(3): grounds do not override an objection to direct marketing.
    let err = vault.read(&marketing, &s, Some("marketing")).unwrap_err();
    assert_eq!(code(err), "limited_by_subject");

    // Art. 21(1): an objection to processing on legitimate interests (the
    // demo's audience measurement, PA-0005) stops it until compelling
    // grounds are recorded.
    let analytics = Caller::operator("analytics", "PA-0005");
    vault
        .write(
            &analytics,
            &s,
            input(
                "navigation",
                json!({"visitor_id": "v-1", "page": "https://example.org/"}),
            ),
        )
        .unwrap();
    vault
        .set_objection(&dpo, &s, "PA-0005", Some(ObjectionStatus::Active))
        .unwrap();
    assert_eq!(
        code(vault.read(&analytics, &s, Some("navigation")).unwrap_err()),
        "limited_by_subject"
    );
    vault
        .set_objection(&dpo, &s, "PA-0005", Some(grounds()))
        .unwrap();
    assert_eq!(
        vault
            .read(&analytics, &s, Some("navigation"))
            .unwrap()
            .records
            .len(),
        1
    );
    // A contract (PA-0001) is not open to objection: refused, nothing
    // recorded, the processing goes on.
    let err = vault
        .set_objection(&dpo, &s, "PA-0001", Some(ObjectionStatus::Active))
        .unwrap_err();
    assert_eq!(code(err), "objection_not_applicable");
    assert!(
        !vault
            .processing_limits(&s)
            .unwrap()
            .0
            .objections
            .contains_key("PA-0001")
    );
    assert_eq!(
        vault.read(&crm, &s, Some("contact")).unwrap().records.len(),
        1
    );
    // The journal says which objection changed and how, never the grounds
    // (free text kept in the sealed document).
    let notes: Vec<String> = vault
        .journal_tail(&dpo, &["doc.put"], 100)
        .unwrap()
        .events
        .into_iter()
        .filter(|e| e.details.contains("kind=processing-limits"))
        .map(|e| e.details)
        .collect();
    assert!(
        notes[0].ends_with("objection=overridden purpose=PA-0005"),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.ends_with("objection=active purpose=PA-0005")),
        "{notes:?}"
    );
    assert!(
        notes.iter().all(|n| !n.contains("legal claim")),
        "{notes:?}"
    );

    // An undeclared purpose is refused, nothing recorded.
    let err = vault
        .set_restriction(&dpo, &s, "PA-9999", true)
        .unwrap_err();
    assert_eq!(code(err), "unknown_purpose");
}

#[test]
fn a_withdrawn_consent_stops_its_purpose_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(
        VaultPaths::in_project(dir.path()),
        declarations(),
        Arc::new(SystemClock),
    )
    .unwrap();
    let s = seeded(&vault);
    let marketing = Caller::operator("mailer", "PA-0008");
    assert_eq!(
        vault
            .read(&marketing, &s, Some("marketing"))
            .unwrap()
            .records
            .len(),
        1
    );

    let ledger = consent_ledger(
        &s,
        &[(ConsentAction::Given, 10), (ConsentAction::Withdrawn, 1)],
    );
    let body = serde_json::to_vec(&ledger).unwrap();
    vault.put_doc("consent", &s, Some(1), &body).unwrap();
    let err = vault.read(&marketing, &s, Some("marketing")).unwrap_err();
    assert_eq!(code(err), "limited_by_subject");
    let err = vault
        .write(
            &marketing,
            &s,
            input("marketing", json!({"email": "again@example.org"})),
        )
        .unwrap_err();
    assert_eq!(code(err), "limited_by_subject");
}

/// Art. 6(1)(a): a consent-based activity for a subject who never consented
/// (no ledger entry) is refused like a withdrawn consent, unless the
/// migration opt-out `[consent] missing = "allow"` is set.
#[test]
fn a_consent_never_given_stops_its_purpose_unless_the_migration_opt_out_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(
        VaultPaths::in_project(dir.path()),
        declarations(),
        Arc::new(SystemClock),
    )
    .unwrap();
    assert_eq!(vault.missing_consent(), MissingConsent::Refuse);
    let op = Caller::operator("test", "PA-0001");
    let marketing = Caller::operator("mailer", "PA-0008");
    let s = vault
        .create_subject(&op, Some("customers"))
        .expect("subject");
    // Written under another purpose (e.g. an import predating the ledger).
    vault
        .write(
            &op,
            &s,
            input("contact", json!({"email": "nobody@example.org"})),
        )
        .expect("contact");
    let err = vault
        .write(
            &marketing,
            &s,
            input("marketing", json!({"email": "nobody@example.org"})),
        )
        .unwrap_err();
    assert_eq!(code(err), "limited_by_subject");
    let err = vault.read(&marketing, &s, Some("marketing")).unwrap_err();
    assert!(
        err.to_string().contains("6(1)(a)"),
        "the reason names the article: {err}"
    );
    // Other purposes are untouched.
    assert_eq!(
        vault.read(&op, &s, Some("contact")).unwrap().records.len(),
        1
    );

    vault.set_missing_consent(MissingConsent::Allow);
    vault
        .write(
            &marketing,
            &s,
            input("marketing", json!({"email": "nobody@example.org"})),
        )
        .expect("allowed under the migration opt-out");
    assert_eq!(
        vault
            .read(&marketing, &s, Some("marketing"))
            .unwrap()
            .records
            .len(),
        1
    );
    // The opt-out never overrides a withdrawal the ledger records.
    let ledger = consent_ledger(
        &s,
        &[(ConsentAction::Given, 10), (ConsentAction::Withdrawn, 1)],
    );
    vault
        .put_doc("consent", &s, None, &serde_json::to_vec(&ledger).unwrap())
        .unwrap();
    assert_eq!(
        code(vault.read(&marketing, &s, Some("marketing")).unwrap_err()),
        "limited_by_subject"
    );
}
