//! Erasure (Art. 17) and rectification (Art. 16) plans, pure and through the
//! service.

mod common;

use std::collections::BTreeMap;

use common::*;
use habeas_core::clock::ManualClock;
use habeas_core::docs::MemoryDocs;
use habeas_core::lang::Lang;
use habeas_core::retention::EventDates;
use habeas_core::rights::{Art17Exemption, RequestKind};
use habeas_rights::RightsError;
use habeas_rights::erasure::{ErasureRequest, LegalHold, plan_erasure, plan_erasure_of};
use habeas_rights::rectification::{
    ChangeCheck, ContactKind, RectificationError, plan_rectification,
};
use habeas_rights::service::{NewRequest, RequestChannel, RequestService};
use habeas_rights::verification::CodeError;

const NOW: &str = "2026-04-03T08:00:00Z";

fn closure() -> ErasureRequest {
    ErasureRequest {
        requested_at: utc(NOW),
        account_closure: true,
        dates: EventDates::default(),
        legal_holds: Vec::new(),
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn closing_an_account_keeps_invoices_under_their_legal_obligation_until_their_end() {
    let decls = demo();
    let plan = plan_erasure(&decls, &holdings(), &closure(), utc(NOW));
    // Declared grace of 30 days: erasure at the end of Sunday 3 May, Paris.
    assert_eq!(plan.grace_ends_at, Some(utc("2026-05-03T22:00:00Z")));
    assert_eq!(plan.erase_at, utc("2026-05-03T22:00:00Z"));

    let billing = plan.keep.iter().find(|k| k.category == "billing").unwrap();
    assert_eq!(billing.exemption, Art17Exemption::LegalObligation);
    assert_eq!(billing.article, "17(3)(b)");
    assert_eq!(billing.reference, "Code de commerce art. L123-22");
    // 10 years after the last invoice (31 January 2026).
    assert_eq!(billing.until, Some(utc("2036-01-31T12:00:00Z")));
    // Identification data: 5 years after the contract ends (at closure).
    let identity = plan.keep.iter().find(|k| k.category == "identity").unwrap();
    assert_eq!(identity.until, Some(utc("2031-04-03T08:00:00Z")));

    let erased: Vec<(&str, bool)> = plan
        .erase
        .iter()
        .map(|e| (e.category.as_str(), e.high_volume))
        .collect();
    assert_eq!(
        erased,
        [
            ("marketing", false),
            ("security_logs", true),
            ("support", false)
        ]
    );

    let told = plan.describe(&decls, Lang::Fr);
    assert!(
        told.contains("Votre compte sera effacé le 2026-05-03"),
        "{told}"
    );
    assert!(
        told.contains(
            "Conservées : Facturation — obligation légale de conservation (Code de commerce art. L123-22, RGPD art. 17(3)(b)), jusqu'au 2036-01-31."
        ),
        "{told}"
    );
    assert!(
        told.contains("Effacées définitivement : Préférences marketing"),
        "{told}"
    );
    let told = plan.describe(&decls, Lang::En);
    assert!(told.contains("Kept: Billing — legal obligation"), "{told}");
}

#[test]
fn the_plan_from_metadata_is_the_plan_from_the_decrypted_records() {
    let decls = demo();
    for request in [
        closure(),
        ErasureRequest {
            account_closure: false,
            ..closure()
        },
    ] {
        let held = holdings();
        let mut latest: BTreeMap<String, chrono::DateTime<chrono::Utc>> = BTreeMap::new();
        for r in &held.records {
            let e = latest.entry(r.category.clone()).or_insert(r.recorded_at);
            *e = (*e).max(r.recorded_at);
        }
        let full = plan_erasure(&decls, &held, &request, utc(NOW));
        let from_metadata = plan_erasure_of(&decls, &held.subject.id, &latest, &request, utc(NOW));
        assert!(!full.keep.is_empty() || !full.erase.is_empty());
        assert_eq!(from_metadata, full);
    }
}

#[test]
fn a_legal_obligation_that_has_run_out_no_longer_keeps_anything() {
    let decls = demo();
    let mut old = holdings();
    for r in old.records.iter_mut().filter(|r| r.category == "billing") {
        r.recorded_at = utc("2015-01-31T12:00:00Z");
    }
    let plan = plan_erasure(&decls, &old, &closure(), utc(NOW));
    assert!(plan.erase.iter().any(|e| e.category == "billing"));
    assert!(!plan.keep.iter().any(|k| k.category == "billing"));
}

#[test]
fn without_closure_there_is_no_grace_and_unknown_ends_are_said_so() {
    let decls = demo();
    let mut request = closure();
    request.account_closure = false;
    let plan = plan_erasure(&decls, &holdings(), &request, utc(NOW));
    assert_eq!(plan.grace_ends_at, None);
    assert_eq!(plan.erase_at, utc(NOW));
    // The contract still runs: the 5 years have not started.
    let identity = plan.keep.iter().find(|k| k.category == "identity").unwrap();
    assert_eq!(identity.until, None);
    assert!(
        plan.describe(&decls, Lang::En)
            .contains("until the legal period ends")
    );
}

#[test]
fn a_legal_hold_keeps_a_category_for_legal_claims() {
    let decls = demo();
    let mut request = closure();
    request.legal_holds.push(LegalHold {
        category: "support".into(),
        reference: "TJ Lyon RG 26/01234".into(),
        until: None,
    });
    // A hold that ends before the erasure runs keeps nothing.
    request.legal_holds.push(LegalHold {
        category: "marketing".into(),
        reference: "expired".into(),
        until: Some(utc("2026-04-10T00:00:00Z")),
    });
    let plan = plan_erasure(&decls, &holdings(), &request, utc(NOW));
    let support = plan.keep.iter().find(|k| k.category == "support").unwrap();
    assert_eq!(support.exemption, Art17Exemption::LegalClaims);
    assert_eq!(support.article, "17(3)(e)");
    assert!(plan.erase.iter().any(|e| e.category == "marketing"));
}

#[test]
fn rectification_says_what_each_change_needs() {
    let decls = demo();
    let current = map(&[("email", "helene@example.fr"), ("language", "fr")]);
    let plan = plan_rectification(
        &decls,
        "contact",
        "rec-ct-1",
        &current,
        &map(&[
            ("email", "helene.dupre@example.fr"),
            ("language", "en"),
            ("postal_address", "1 place Bellecour, 69002 Lyon"),
        ]),
    )
    .unwrap();
    let checks: Vec<(&str, ChangeCheck, bool)> = plan
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.check, c.reindex))
        .collect();
    assert_eq!(
        checks,
        [
            (
                "email",
                ChangeCheck::NewValue {
                    via: ContactKind::Email
                },
                true
            ),
            ("language", ChangeCheck::None, false),
            ("postal_address", ChangeCheck::None, false),
        ]
    );
    // A critical field that is no contact: only on a verified request.
    let plan = plan_rectification(
        &decls,
        "identity",
        "rec-id-1",
        &BTreeMap::new(),
        &map(&[("last_name", "Dupré")]),
    )
    .unwrap();
    assert_eq!(plan.changes[0].check, ChangeCheck::VerifiedRequest);

    let e = plan_rectification(
        &decls,
        "contact",
        "rec-ct-1",
        &current,
        &map(&[("mobile", "+33 6 12 34 56 78")]),
    )
    .unwrap_err();
    assert!(e.to_string().contains("email, language"), "{e}");
    assert!(!e.to_string().contains("+33"), "no value in errors: {e}");
    assert_eq!(
        plan_rectification(
            &decls,
            "contact",
            "rec-ct-1",
            &current,
            &map(&[("language", "fr")])
        ),
        Err(RectificationError::NoChange)
    );
    assert!(matches!(
        plan_rectification(&decls, "contacts", "x", &current, &map(&[("a", "b")])),
        Err(RectificationError::UnknownCategory { .. })
    ));
}

fn verified(service: &RequestService<'_>, kind: RequestKind) -> (String, u64) {
    let r = service
        .create(NewRequest {
            kind,
            channel: RequestChannel::Portal,
            subject: Some(SUBJECT.into()),
            contact_ref: "contact:ct-1".into(),
        })
        .unwrap();
    let v = service.acknowledge(&r.id, r.version).unwrap();
    let (_, code) = service.issue_identity_code(&r.id, v.version).unwrap();
    let v = service.verify_identity_code(&r.id, &code.code).unwrap();
    (r.id, v.version)
}

#[test]
fn a_new_email_address_is_verified_before_the_change_may_be_applied() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(NOW));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let (id, version) = verified(&service, RequestKind::Rectification);
    let current = map(&[("email", "helene@example.fr")]);
    let changes = map(&[("email", "helene.dupre@example.fr")]);
    let (plan, codes, _) = service
        .rectification_plan(
            &id, version, SUBJECT, "contact", "rec-ct-1", &current, &changes,
        )
        .unwrap();
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].field.as_deref(), Some("contact.email"));
    assert!(!format!("{:?}", codes[0]).contains(&codes[0].code));
    assert!(!service.rectification_ready(&id, &plan).unwrap());

    // The code only confirms the value it was sent to.
    let e = service
        .confirm_new_value(
            &id,
            "contact",
            "email",
            "attacker@example.net",
            &codes[0].code,
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("not the one the code was sent to"),
        "{e}"
    );
    assert!(!e.to_string().contains("attacker"), "{e}");
    let wrong = if codes[0].code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    assert!(matches!(
        service.confirm_new_value(&id, "contact", "email", "helene.dupre@example.fr", wrong),
        Err(RightsError::Code {
            source: CodeError::Wrong { remaining: 4 },
            ..
        })
    ));
    service
        .confirm_new_value(
            &id,
            "contact",
            "email",
            " helene.dupre@example.fr ",
            &codes[0].code,
        )
        .unwrap();
    assert!(service.rectification_ready(&id, &plan).unwrap());
    // A plan carrying another value is not covered by that verification.
    let mut other = plan.clone();
    other.changes[0].new_value = "someone@example.org".into();
    assert!(!service.rectification_ready(&id, &other).unwrap());
}

#[test]
fn plans_are_refused_before_verification() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(utc(NOW));
    let service = RequestService::new(&docs, &clock, &decls, config());
    let r = service
        .create(NewRequest {
            kind: RequestKind::Erasure,
            channel: RequestChannel::Email,
            subject: Some(SUBJECT.into()),
            contact_ref: "contact:ct-1".into(),
        })
        .unwrap();
    assert!(matches!(
        service.erasure_plan(&r.id, &holdings(), &closure()),
        Err(RightsError::NotVerified { .. })
    ));
    let (id, _) = verified(&service, RequestKind::Erasure);
    let plan = service.erasure_plan(&id, &holdings(), &closure()).unwrap();
    assert_eq!(plan.subject, SUBJECT);
    let r = service
        .create(NewRequest {
            kind: RequestKind::Rectification,
            channel: RequestChannel::Email,
            subject: None,
            contact_ref: "contact:ct-1".into(),
        })
        .unwrap();
    let e = service
        .rectification_plan(
            &r.id,
            r.version,
            SUBJECT,
            "contact",
            "rec-ct-1",
            &BTreeMap::new(),
            &map(&[("language", "en")]),
        )
        .unwrap_err();
    assert!(matches!(e, RightsError::NotVerified { .. }), "{e}");
}
