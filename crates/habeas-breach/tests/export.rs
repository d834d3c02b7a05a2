//! Authority exports: the CNIL and APD forms in French and English, phased,
//! with the missing mandatory fields (Art. 33(3)(a)–(d)) listed precisely.

mod common;

use common::*;
use habeas_breach::export::{self, EXPORT_SCHEMA, Form, render};
use habeas_breach::{Breach, BreachRegister};
use habeas_core::breach::{
    Art34Decision, AuthorityNotification, BreachClockConfig, Phase, RiskLevel,
};
use habeas_core::declarations::Declarations;
use habeas_core::docs::MemoryDocs;
use habeas_core::lang::Lang;

/// The hosting breach, completed and decided; optionally with the initial notice sent.
fn documented(decls: &Declarations, initial_sent: bool) -> Breach {
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-05T10:00:00Z");
    let register = BreachRegister::new(&docs, &clock, decls, BreachClockConfig::default());
    let s = register.open("alice", leaked_logs()).unwrap();
    let id = s.breach.id.clone();
    let s = register
        .update(&id, s.version, "alice", completed())
        .unwrap();
    let s = register
        .record_decision(
            &id,
            s.version,
            "dpo",
            Art34Decision {
                risk: RiskLevel::Risk,
                reasoning: "IP addresses and times, no content, no passwords".into(),
                exemption: None,
                exemption_reasoning: None,
                decided_by: "dpo".into(),
                decided_at: utc("2026-12-05T09:00:00Z"),
            },
        )
        .unwrap();
    if !initial_sent {
        return s.breach;
    }
    register
        .record_notification(
            &id,
            s.version,
            "dpo",
            AuthorityNotification {
                phase: Phase::Initial,
                at: utc("2026-12-05T09:30:00Z"),
                complete: false,
                delay_reason: None,
                reference: Some("CNIL-2026-000123".into()),
            },
            None,
        )
        .unwrap()
        .breach
}

#[test]
fn cnil_and_apd_exports_in_french_and_english() {
    let decls = demo();
    let cfg = BreachClockConfig::default();
    let initial = documented(&decls, false);
    let then = documented(&decls, true);
    let now = utc("2026-12-05T10:00:00Z");
    for (form, name) in [(Form::Cnil, "cnil"), (Form::Apd, "apd")] {
        for lang in Lang::ALL {
            let e = export::notification(&initial, &decls, &cfg, form, Phase::Initial, lang, now);
            assert!(e.complete, "{:?}", e.missing);
            insta::assert_snapshot!(format!("{name}-initial-{lang}-md"), render::markdown(&e));
        }
        let e = export::notification(
            &then,
            &decls,
            &cfg,
            form,
            Phase::Complementary,
            Lang::Fr,
            now,
        );
        insta::assert_snapshot!(format!("{name}-complementary-fr-md"), render::markdown(&e));
    }
    let json = export::notification(
        &initial,
        &decls,
        &cfg,
        Form::Cnil,
        Phase::Initial,
        Lang::En,
        now,
    );
    assert_eq!(json.schema, EXPORT_SCHEMA);
    insta::assert_json_snapshot!("cnil-initial-en-json", json);
    insta::assert_snapshot!("cnil-initial-en-html", render::html(&json));
}

#[test]
fn art33_3_missing_mandatory_fields_are_listed_with_how_to_fix_them() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let mut new = leaked_logs();
    new.subject_categories.clear();
    let fresh = register.open("alice", new).unwrap().breach;
    let e = export::notification(
        &fresh,
        &decls,
        &BreachClockConfig::default(),
        Form::Cnil,
        Phase::Initial,
        Lang::En,
        utc("2026-12-04T19:00:00Z"),
    );
    let missing: Vec<_> = e
        .missing
        .iter()
        .map(|m| (m.key.as_str(), m.article.as_str()))
        .collect();
    assert_eq!(
        missing,
        [
            ("subjects.categories", "GDPR Art. 33(3)(a)"),
            ("subjects.approx", "GDPR Art. 33(3)(a)"),
            ("records.approx", "GDPR Art. 33(3)(a)"),
            ("consequences", "GDPR Art. 33(3)(c)"),
            ("measures", "GDPR Art. 33(3)(d)"),
        ]
    );
    assert!(!e.complete);
    assert!(e.missing[1].fix.contains("field `impact`"));
    let md = render::markdown(&e);
    assert!(md.contains("## Mandatory fields to complete"), "{md}");
    assert!(md.contains("(to complete)"));
    // The contact point comes from the declared DPO.
    assert!(
        e.value("dpo.contact")
            .is_some_and(|c| c.contains("dpo@hebergix.example"))
    );
    // In French, for the APD.
    let fr = export::notification(
        &fresh,
        &decls,
        &BreachClockConfig::default(),
        Form::Apd,
        Phase::Initial,
        Lang::Fr,
        utc("2026-12-04T19:00:00Z"),
    );
    assert_eq!(fr.missing.len(), 5);
    assert!(render::markdown(&fr).contains("## Champs obligatoires à compléter"));
}

#[test]
fn art33_1_an_export_prepared_after_the_deadline_asks_for_the_reasons() {
    let decls = demo();
    let breach = documented(&decls, false);
    let cfg = BreachClockConfig::default();
    let on_time = export::notification(
        &breach,
        &decls,
        &cfg,
        Form::Cnil,
        Phase::Initial,
        Lang::En,
        utc("2026-12-07T18:00:00Z"),
    );
    assert!(on_time.missing.is_empty());
    assert_eq!(
        on_time.value("notification.delay_reason"),
        Some("not applicable: on time")
    );
    let late = export::notification(
        &breach,
        &decls,
        &cfg,
        Form::Cnil,
        Phase::Initial,
        Lang::En,
        utc("2026-12-07T19:00:00Z"),
    );
    let keys: Vec<_> = late.missing.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["notification.delay_reason"]);
    assert_eq!(late.missing[0].article, "GDPR Art. 33(1)");
}

#[test]
fn the_digest_identifies_the_exported_content() {
    let decls = demo();
    let breach = documented(&decls, false);
    let cfg = BreachClockConfig::default();
    let at = utc("2026-12-05T10:00:00Z");
    let a = export::notification(
        &breach,
        &decls,
        &cfg,
        Form::Cnil,
        Phase::Initial,
        Lang::Fr,
        at,
    );
    let b = export::notification(
        &breach,
        &decls,
        &cfg,
        Form::Cnil,
        Phase::Initial,
        Lang::En,
        at,
    );
    assert_eq!(a.digest().len(), 64);
    assert_eq!(a.digest(), a.clone().digest());
    assert_ne!(a.digest(), b.digest());
    assert_eq!(Form::for_declarations(&decls), Form::Cnil);
}
