//! Account closure and its withdrawal by the subject (reactivation during
//! the grace period), and the list a subject follows their requests by.

mod common;

use common::*;
use habeas_core::clock::ManualClock;
use habeas_core::docs::MemoryDocs;
use habeas_core::rights::{IdentityProof, RequestKind, VerificationMethod};
use habeas_rights::erasure::ErasureRequest;
use habeas_rights::service::{NewRequest, RequestChannel, RequestService};

const NOW: &str = "2026-04-03T08:00:00Z";

fn new(kind: RequestKind, subject: &str) -> NewRequest {
    NewRequest {
        kind,
        channel: RequestChannel::Portal,
        subject: Some(subject.into()),
        contact_ref: "vault:contact.email".into(),
    }
}

fn session() -> IdentityProof {
    IdentityProof {
        method: VerificationMethod::Session,
        verified_by: "portal".into(),
        reason: None,
    }
}

#[test]
fn an_account_closure_keeps_its_grace_period_even_when_staff_plan_without_it() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(NOW));
    let service = RequestService::new(&docs, &clock, &decls, config());
    assert!(
        service
            .create_account_closure(new(RequestKind::Access, SUBJECT))
            .is_err(),
        "only an erasure request closes an account"
    );
    let r = service
        .create_account_closure(new(RequestKind::Erasure, SUBJECT))
        .unwrap();
    assert!(r.account_closure);
    let r = service.acknowledge(&r.id, r.version).unwrap();
    let r = service
        .record_identity_proof(&r.id, r.version, session(), utc(NOW))
        .unwrap();
    let staff_view = ErasureRequest {
        requested_at: r.received_at,
        account_closure: false,
        dates: Default::default(),
        legal_holds: Vec::new(),
    };
    let plan = service
        .erasure_plan(&r.id, &holdings(), &staff_view)
        .unwrap();
    // Declared grace of 30 days: the end of Sunday 3 May, Paris.
    assert_eq!(plan.grace_ends_at, Some(utc("2026-05-03T22:00:00Z")));
    assert_eq!(plan.erase_at, utc("2026-05-03T22:00:00Z"));
}

#[test]
fn the_subject_withdraws_an_open_request_and_it_takes_no_further_step() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(NOW));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let r = service
        .create_account_closure(new(RequestKind::Erasure, SUBJECT))
        .unwrap();
    let r = service.acknowledge(&r.id, r.version).unwrap();

    // Someone else's subject id cannot withdraw it.
    assert!(service.withdraw(&r.id, r.version, "subj-other").is_err());
    assert!(service.get(&r.id).unwrap().is_open());

    clock.set(utc("2026-04-10T08:00:00Z"));
    let w = service.withdraw(&r.id, r.version, SUBJECT).unwrap();
    assert_eq!(w.withdrawn_at, Some(utc("2026-04-10T08:00:00Z")));
    assert!(!w.is_open());
    // Gone from the console's open list, still in the subject's own list.
    assert!(service.list_open().unwrap().iter().all(|v| v.id != r.id));
    let mine = service.list_for_subject(SUBJECT).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].withdrawn_at, w.withdrawn_at);

    // No step after a withdrawal, and the message says why.
    let e = service
        .record_identity_proof(&r.id, w.version, session(), utc("2026-04-10T08:00:00Z"))
        .unwrap_err();
    assert!(e.to_string().contains("withdrawn by the subject"), "{e}");
    assert!(service.withdraw(&r.id, w.version, SUBJECT).is_err());
    let e = service
        .erasure_plan(
            &r.id,
            &holdings(),
            &ErasureRequest {
                requested_at: r.received_at,
                account_closure: true,
                dates: Default::default(),
                legal_holds: Vec::new(),
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("withdrawn"), "{e}");
}

#[test]
fn a_closed_request_cannot_be_withdrawn_and_each_subject_sees_only_their_own() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(NOW));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let mine = service.create(new(RequestKind::Access, SUBJECT)).unwrap();
    clock.set(utc("2026-04-04T08:00:00Z"));
    let later = service
        .create(new(RequestKind::Objection, SUBJECT))
        .unwrap();
    service
        .create(new(RequestKind::Access, "subj-other"))
        .unwrap();
    let refused = service
        .refuse(
            &mine.id,
            mine.version,
            habeas_core::rights::RefusalReason::Excessive,
            "third identical request this month",
        )
        .unwrap();
    assert!(
        service
            .withdraw(&mine.id, refused.version, SUBJECT)
            .is_err()
    );

    let listed: Vec<_> = service
        .list_for_subject(SUBJECT)
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(listed, [later.id, mine.id], "newest first, own only");
}
