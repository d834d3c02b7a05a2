//! Whole request flows on MemoryDocs with a ManualClock: deadlines, the
//! urgency listing, identity verification by code, optimistic concurrency,
//! and the consent ledger.

mod common;

use chrono::{Duration, NaiveDate};
use common::*;
use habeas_core::clock::ManualClock;
use habeas_core::consent::{ConsentAction, NoticeShown, Sha256Digest};
use habeas_core::docs::{DocStore, MemoryDocs};
use habeas_core::rights::{
    DueKind, IdentityProof, RefusalReason, RequestKind, Stage, Status, Urgency, VerificationMethod,
};
use habeas_rights::RightsError;
use habeas_rights::consent_store::ConsentStore;
use habeas_rights::service::{NewRequest, RequestChannel, RequestService, StoredRequest};
use habeas_rights::verification::CodeError;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn new(kind: RequestKind) -> NewRequest {
    NewRequest {
        kind,
        channel: RequestChannel::Email,
        subject: Some(SUBJECT.into()),
        contact_ref: "contact:ct-1".into(),
    }
}

// Friday 3 April 2026, 10:00 in Paris; Monday 6 April is Easter Monday.
const FRIDAY_BEFORE_EASTER_MONDAY: &str = "2026-04-03T08:00:00Z";

#[test]
fn a_request_received_the_friday_before_easter_monday_gets_both_deadlines() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());

    let access = service.create(new(RequestKind::Access)).unwrap();
    assert_eq!(access.version, 1);
    assert_eq!(access.stage, Stage::Received);
    // Art. 12(3): 3 May 2026 is a Sunday, so the legal end rolls to Monday 4 May.
    assert_eq!(access.statutory_deadline.conservative, d(2026, 5, 3));
    assert_eq!(access.statutory_deadline.legal, d(2026, 5, 4));
    // Declared promise: access within 15 days → end of Saturday 18 April, Paris.
    assert_eq!(access.promised_delay.as_deref(), Some("15 days"));
    assert_eq!(access.promised_due, Some(utc("2026-04-18T22:00:00Z")));
    assert_eq!(access.next_due.unwrap().kind, DueKind::Promised);

    // 48 working hours on the French calendar: Friday 14 h, skip the weekend
    // and Easter Monday, Tuesday 24 h, Wednesday 10 h → Wednesday 8 April 10:00.
    let rect = service.create(new(RequestKind::Rectification)).unwrap();
    assert_eq!(rect.promised_due, Some(utc("2026-04-08T08:00:00Z")));
    let erasure = service.create(new(RequestKind::Erasure)).unwrap();
    assert_eq!(erasure.promised_due, Some(utc("2026-04-10T22:00:00Z")));

    // Most urgent first, whichever clock the due date comes from.
    let ids: Vec<_> = service
        .list_open()
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(
        ids,
        [rect.id.clone(), erasure.id.clone(), access.id.clone()]
    );

    clock.set(utc("2026-04-07T09:00:00Z"));
    let listed = service.list_open().unwrap();
    assert_eq!(listed[0].urgency, Some(Urgency::DueSoon));
    assert_eq!(listed[2].urgency, Some(Urgency::OnTrack));
    clock.set(utc("2026-04-08T08:00:00Z"));
    assert_eq!(
        service.get(&rect.id).unwrap().urgency,
        Some(Urgency::Overdue)
    );
}

#[test]
fn closed_requests_leave_the_listing() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let r = service.create(new(RequestKind::Objection)).unwrap();
    let e = service
        .refuse(&r.id, r.version, RefusalReason::Excessive, "  ")
        .unwrap_err();
    assert!(e.to_string().contains("Art. 12(4)"), "{e}");
    let refused = service
        .refuse(
            &r.id,
            r.version,
            RefusalReason::ManifestlyUnfounded,
            "La même demande a été traitée hier.",
        )
        .unwrap();
    assert_eq!(refused.status, Status::Refused);
    assert!(service.list_open().unwrap().is_empty());
}

#[test]
fn an_extension_moves_the_deadline_and_is_persisted() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let r = service.create(new(RequestKind::Access)).unwrap();
    clock.advance(Duration::days(10));
    let e = service
        .extend(&r.id, r.version, 2, "", clock_now(&clock))
        .unwrap_err();
    assert!(matches!(e, RightsError::Transition { .. }), "{e}");
    let v = service
        .extend(
            &r.id,
            r.version,
            2,
            "12 years of mailbox history to extract",
            clock_now(&clock),
        )
        .unwrap();
    assert_eq!(v.status, Status::Extended);
    // 3 April + 3 months = Friday 3 July 2026.
    assert_eq!(v.effective_deadline.legal, d(2026, 7, 3));
    assert_eq!(v.next_due.unwrap().kind, DueKind::Extended);
    assert_eq!(
        service.get(&r.id).unwrap().effective_deadline.legal,
        d(2026, 7, 3)
    );
}

fn clock_now(clock: &ManualClock) -> chrono::DateTime<chrono::Utc> {
    use habeas_core::clock::Clock;
    clock.now()
}

#[test]
fn two_staff_members_editing_the_same_version_do_not_both_win() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let r = service.create(new(RequestKind::Access)).unwrap();
    service.acknowledge(&r.id, r.version).unwrap();
    let e = service
        .refuse(&r.id, r.version, RefusalReason::Excessive, "x")
        .unwrap_err();
    assert!(
        matches!(
            e,
            RightsError::StaleVersion {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(service.get(&r.id).unwrap().stage, Stage::Acknowledged);
    let e = service.get("R-nope").unwrap_err();
    assert!(e.to_string().contains("no request `R-nope`"), "{e}");
}

#[test]
fn bad_input_is_refused_and_stores_nothing() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let mut bad = new(RequestKind::Access);
    bad.contact_ref = " \n ".into();
    let e = service.create(bad).unwrap_err();
    assert!(e.to_string().contains("contact reference"), "{e}");
    let mut bad = new(RequestKind::Access);
    bad.subject = Some("a/b".into());
    assert!(service.create(bad).is_err());
    assert!(docs.list_docs("request").unwrap().is_empty());
    assert_eq!(
        "in-person".parse::<RequestChannel>(),
        Ok(RequestChannel::InPerson)
    );
    assert!("carrier-pigeon".parse::<RequestChannel>().is_err());
}

/// Create and acknowledge an access request; returns (id, version).
fn acknowledged(service: &RequestService<'_>) -> (String, u64) {
    let r = service.create(new(RequestKind::Access)).unwrap();
    let v = service.acknowledge(&r.id, r.version).unwrap();
    (v.id, v.version)
}

#[test]
fn wrong_codes_lock_the_code_and_the_count_is_stored() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let (id, v) = acknowledged(&service);
    let (_, issued) = service.issue_identity_code(&id, v).unwrap();
    let wrong = if issued.code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for remaining in (1..5).rev() {
        match service.verify_identity_code(&id, wrong) {
            Err(RightsError::Code {
                source: CodeError::Wrong { remaining: r },
                ..
            }) => assert_eq!(r, remaining),
            other => panic!("expected a wrong-code error, got {other:?}"),
        }
    }
    let e = service.verify_identity_code(&id, wrong).unwrap_err();
    assert!(e.to_string().contains("locked after 5 wrong tries"), "{e}");
    // Even the right code no longer works.
    let e = service.verify_identity_code(&id, &issued.code).unwrap_err();
    assert!(
        matches!(
            e,
            RightsError::Code {
                source: CodeError::Locked { .. },
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(service.get(&id).unwrap().stage, Stage::Acknowledged);
    // The stored challenge holds the count and never the code.
    let doc = docs.get_doc("request", &id).unwrap().unwrap();
    let stored: StoredRequest = serde_json::from_slice(&doc.body).unwrap();
    assert_eq!(stored.identity_challenge.unwrap().failed_attempts, 5);
    assert!(!String::from_utf8_lossy(&doc.body).contains(&issued.code));
    // A fresh code works.
    let (_, fresh) = service.issue_identity_code(&id, doc.version).unwrap();
    let verified = service.verify_identity_code(&id, &fresh.code).unwrap();
    assert_eq!(verified.stage, Stage::IdentityVerified);
}

#[test]
fn an_expired_code_is_refused() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let (id, v) = acknowledged(&service);
    let (_, issued) = service.issue_identity_code(&id, v).unwrap();
    assert_eq!(issued.expires_at, utc("2026-04-03T08:30:00Z"));
    clock.advance(Duration::minutes(31));
    let e = service.verify_identity_code(&id, &issued.code).unwrap_err();
    assert!(e.to_string().contains("expired"), "{e}");
    assert_eq!(service.get(&id).unwrap().stage, Stage::Acknowledged);
}

#[test]
fn a_code_works_once() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let (id, v) = acknowledged(&service);
    let (_, issued) = service.issue_identity_code(&id, v).unwrap();
    clock.advance(Duration::minutes(5));
    let verified = service.verify_identity_code(&id, &issued.code).unwrap();
    assert_eq!(
        verified.identity_verified_at,
        Some(utc("2026-04-03T08:05:00Z"))
    );
    let e = service.verify_identity_code(&id, &issued.code).unwrap_err();
    assert!(
        matches!(
            e,
            RightsError::Code {
                source: CodeError::AlreadyUsed { .. },
                ..
            }
        ),
        "{e}"
    );
    // A code issued for one request does not verify another.
    let (other, ov) = acknowledged(&service);
    service.issue_identity_code(&other, ov).unwrap();
    assert!(service.verify_identity_code(&other, &issued.code).is_err());
}

#[test]
fn codes_are_issued_only_on_an_acknowledged_request() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let r = service.create(new(RequestKind::Access)).unwrap();
    let e = service.issue_identity_code(&r.id, r.version).unwrap_err();
    assert!(e.to_string().contains("acknowledged"), "{e}");
    let e = service.verify_identity_code(&r.id, "12345678").unwrap_err();
    assert!(e.to_string().contains("issue one first"), "{e}");
}

#[test]
fn staff_may_record_another_proof_but_a_document_needs_a_reason() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(FRIDAY_BEFORE_EASTER_MONDAY));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let (id, v) = acknowledged(&service);
    let proof = |reason: Option<&str>| IdentityProof {
        method: VerificationMethod::Document,
        verified_by: "dpo-camille".into(),
        reason: reason.map(str::to_string),
    };
    let when = utc("2026-04-03T07:59:00Z");
    assert!(
        service
            .record_identity_proof(&id, v, proof(None), when)
            .is_err()
    );
    let e = service
        .record_identity_proof(&id, v, proof(Some("x")), utc("2026-04-04T00:00:00Z"))
        .unwrap_err();
    assert!(e.to_string().contains("future"), "{e}");
    clock.advance(Duration::hours(1));
    let view = service
        .record_identity_proof(
            &id,
            v,
            proof(Some("no contact on file; seen at the front desk")),
            utc("2026-04-03T08:30:00Z"),
        )
        .unwrap();
    assert_eq!(view.stage, Stage::IdentityVerified);
    assert_eq!(view.identity_verified_at, Some(utc("2026-04-03T08:30:00Z")));
    let started = service.start(&id, view.version).unwrap();
    let done = service.complete(&id, started.version).unwrap();
    assert_eq!(done.status, Status::Done);
}

fn notice(version: &str, text: &str) -> NoticeShown {
    NoticeShown {
        version: version.into(),
        sha256: Sha256Digest::of(text.as_bytes()),
    }
}

#[test]
fn the_consent_ledger_is_persisted_and_proves_consent() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc("2026-01-05T10:00:00Z"));
    let consents = ConsentStore::new(&docs, &clock, &decls);
    let shown = notice("2026.01", "Recevez notre lettre d'information mensuelle.");

    let e = consents
        .withdraw(SUBJECT, "newsletter", "portal", shown.clone())
        .unwrap_err();
    assert!(e.to_string().contains("nothing to withdraw"), "{e}");
    let e = consents
        .give(SUBJECT, "profiling", "portal", shown.clone())
        .unwrap_err();
    assert!(e.to_string().contains("newsletter"), "{e}");
    assert!(docs.list_docs("consent").unwrap().is_empty());

    assert_eq!(
        consents
            .give(SUBJECT, "newsletter", "signup-form", shown.clone())
            .unwrap(),
        1
    );
    clock.advance(Duration::days(30));
    assert_eq!(
        consents
            .withdraw(SUBJECT, "newsletter", "email-link", shown.clone())
            .unwrap(),
        2
    );
    let states = consents.states(SUBJECT).unwrap();
    assert!(!states["newsletter"].permits_processing());

    let proof = consents.consent_proof(SUBJECT).unwrap();
    assert_eq!(proof.schema, "habeas.consent-proof/1");
    let events = &proof.purposes[0].events;
    assert_eq!(
        events.iter().map(|e| e.action).collect::<Vec<_>>(),
        [ConsentAction::Given, ConsentAction::Withdrawn]
    );
    assert_eq!(events[0].notice, shown);
    let json: serde_json::Value =
        serde_json::from_slice(&consents.consent_proof_json(SUBJECT).unwrap()).unwrap();
    assert_eq!(json["purposes"][0]["state"]["state"], "withdrawn");
    assert_eq!(json["purposes"][0]["events"][0]["channel"], "signup-form");
}
