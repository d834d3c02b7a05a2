//! The texts people read, as snapshots: the Art. 34 letter to subjects in
//! French and English, the Art. 34(3)(c) public notice, and the Art. 33(2)
//! notice to a controller customer.

mod common;

use common::*;
use habeas_breach::letters::{
    CustomerImpact, Draft, DraftError, controller_notice, public_notice, subject_letter,
};
use habeas_breach::{Breach, BreachRegister, event::BreachPatch};
use habeas_core::breach::{Art34Decision, Art34Exemption, BreachClockConfig, RiskLevel};
use habeas_core::declarations::Declarations;
use habeas_core::docs::MemoryDocs;
use habeas_core::lang::Lang;

fn decided(decls: &Declarations, patch: BreachPatch, exemption: Option<Art34Exemption>) -> Breach {
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-05T10:00:00Z");
    let register = BreachRegister::new(&docs, &clock, decls, BreachClockConfig::default());
    let mut new = leaked_mail_logs();
    new.data_categories = vec!["connection_logs".into(), "mail_content".into()];
    let s = register.open("alice", new).unwrap();
    let id = s.breach.id.clone();
    let s = register.update(&id, s.version, "alice", patch).unwrap();
    register
        .record_decision(
            &id,
            s.version,
            "dpo",
            Art34Decision {
                risk: RiskLevel::High,
                reasoning: "message contents of 1 200 mailboxes".into(),
                exemption,
                exemption_reasoning: exemption.map(|_| "no current address for most users".into()),
                decided_by: "dpo".into(),
                decided_at: utc("2026-12-05T09:00:00Z"),
            },
        )
        .unwrap()
        .breach
}

fn show(d: &Draft) -> String {
    format!("Subject: {}\n\n{}", d.subject, d.body)
}

#[test]
fn art34_2_subject_letter_in_clear_language_french_and_english() {
    let decls = demo();
    let breach = decided(&decls, completed(), None);
    insta::assert_snapshot!(
        "subject-letter-fr",
        show(&subject_letter(&breach, &decls, Lang::Fr).unwrap())
    );
    insta::assert_snapshot!(
        "subject-letter-en",
        show(&subject_letter(&breach, &decls, Lang::En).unwrap())
    );
}

#[test]
fn art34_2_a_letter_without_consequences_or_measures_is_not_drafted() {
    let decls = demo();
    let breach = decided(
        &decls,
        BreachPatch {
            systems: Some(vec!["mx-1".into()]),
            ..Default::default()
        },
        None,
    );
    let err = subject_letter(&breach, &decls, Lang::Fr).unwrap_err();
    let DraftError::Incomplete { missing, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert!(err.to_string().contains("likely consequences"));
    assert!(err.to_string().contains("measures taken or proposed"));
}

#[test]
fn art34_3_c_public_notice_and_art33_2_controller_notice() {
    let decls = demo();
    let public = decided(
        &decls,
        completed(),
        Some(Art34Exemption::DisproportionateEffort),
    );
    insta::assert_snapshot!(
        "public-notice-fr",
        show(&public_notice(&public, &decls, Lang::Fr).unwrap())
    );
    let breach = decided(&decls, completed(), None);
    assert_eq!(breach.obligations.controller_services, ["mail"]);
    let impact = CustomerImpact {
        subjects: Some(42),
        records: Some(1_800),
    };
    insta::assert_snapshot!(
        "controller-notice-en",
        show(&controller_notice(&breach, &decls, impact, Lang::En).unwrap())
    );
}
