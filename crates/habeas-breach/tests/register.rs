//! The breach register end to end over the in-memory document store, with
//! the time injected: clocks, validation, concurrency, the event log, the
//! Art. 34 decision and the processor's duties.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use habeas_breach::delivery::DeliveryStatus;
use habeas_breach::event::{BreachPatch, fold};
use habeas_breach::letters::{CustomerImpact, controller_notice, public_notice, subject_letter};
use habeas_breach::register::BREACH_KIND;
use habeas_breach::{
    Audience, AuthorityStatus, BreachRegister, Duty, Outcome, RegisterError, RetryPolicy,
};
use habeas_core::breach::{
    Art34Decision, Art34Exemption, AuthorityNotification, BreachClockConfig, BreachError,
    BreachRegime, ClockStatus, Phase, RiskLevel,
};
use habeas_core::clock::Clock;
use habeas_core::docs::{DocStore, MemoryDocs};
use habeas_core::lang::Lang;
use habeas_core::rights::urgency::Urgency;

fn decision(risk: RiskLevel, exemption: Option<Art34Exemption>) -> Art34Decision {
    Art34Decision {
        risk,
        reasoning: "IP addresses and connection times of 1 200 customers".into(),
        exemption,
        exemption_reasoning: exemption.map(|_| "the backup was encrypted, key not exposed".into()),
        decided_by: "dpo".into(),
        decided_at: utc("2026-12-05T09:00:00Z"),
    }
}

fn notice(phase: Phase, at: &str, complete: bool, reason: Option<&str>) -> AuthorityNotification {
    AuthorityNotification {
        phase,
        at: utc(at),
        complete,
        delay_reason: reason.map(str::to_string),
        reference: Some("CNIL-2026-000123".into()),
    }
}

#[test]
fn art33_1_and_reg611_2013_friday_evening_breach_due_monday_under_72h_saturday_under_24h() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());

    let hosting = register.open("alice", leaked_logs()).unwrap();
    let mail = register.open("alice", leaked_mail_logs()).unwrap();
    assert_eq!(hosting.breach.id, "B-2026-0001");
    assert_eq!(mail.breach.id, "B-2026-0002");
    assert_eq!(
        hosting.breach.obligations.authority,
        Some(BreachRegime::Gdpr)
    );
    assert_eq!(
        mail.breach.obligations.authority,
        Some(BreachRegime::Eprivacy)
    );

    // The mail breach (24 h, Saturday 19:30 Paris) comes before the hosting
    // one (72 h, Monday 19:30 Paris).
    let list = register.list().unwrap().breaches;
    let due: Vec<_> = list.iter().map(|s| (s.id.as_str(), s.next_due)).collect();
    assert_eq!(
        due,
        [
            ("B-2026-0002", Some(utc("2026-12-05T18:30:00Z"))),
            ("B-2026-0001", Some(utc("2026-12-07T18:30:00Z"))),
        ]
    );

    // Sunday noon: the mail breach is overdue, the hosting one on track.
    clock.set(utc("2026-12-06T11:00:00Z"));
    let list = register.list().unwrap().breaches;
    assert_eq!(list[0].urgency, Some(Urgency::Overdue));
    assert_eq!(list[1].urgency, Some(Urgency::OnTrack));
    // Monday morning, 12 h before the deadline (configured threshold): due soon.
    clock.set(utc("2026-12-07T07:00:00Z"));
    assert_eq!(
        register.list().unwrap().breaches[1].urgency,
        Some(Urgency::DueSoon)
    );
}

#[test]
fn clock_thresholds_come_from_configuration() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let cfg = BreachClockConfig {
        gdpr_hours: 96,
        ..Default::default()
    };
    let register = BreachRegister::new(&docs, &clock, &decls, cfg);
    register.open("alice", leaked_logs()).unwrap();
    assert_eq!(
        register.list().unwrap().breaches[0].next_due,
        Some(utc("2026-12-08T18:30:00Z"))
    );
}

#[test]
fn unknown_category_is_refused_precisely_and_nothing_is_stored() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let mut new = leaked_logs();
    new.data_categories.push("passwords".into());
    let err = register.open("alice", new).unwrap_err();
    let RegisterError::Invalid(problems) = &err else {
        panic!("{err}");
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "data_categories[1]");
    assert!(problems[0].problem.contains("`passwords` is not declared"));
    assert!(
        problems[0].fix.contains("connection_logs"),
        "{}",
        problems[0].fix
    );
    assert!(err.to_string().contains("categories.toml"), "{err}");
    assert!(docs.list_docs(BREACH_KIND).unwrap().is_empty());
    assert!(register.list().unwrap().breaches.is_empty());

    // The same through an update: refused, the breach unchanged.
    let opened = register.open("alice", leaked_logs()).unwrap();
    let patch = BreachPatch {
        data_categories: Some(vec!["connection_logs".into(), "passwords".into()]),
        ..Default::default()
    };
    assert!(matches!(
        register.update(&opened.breach.id, opened.version, "bob", patch),
        Err(RegisterError::Invalid(_))
    ));
    assert_eq!(register.show(&opened.breach.id).unwrap(), opened);
}

#[test]
fn impossible_facts_are_refused() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let mut new = leaked_logs();
    new.aware_at = utc("2026-12-04T17:00:00Z");
    new.natures.clear();
    new.services.push("web-hosting".into());
    let Err(RegisterError::Invalid(problems)) = register.open("alice", new) else {
        panic!("accepted");
    };
    let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["natures", "aware_at", "services[1]"]);
    let mut future = leaked_logs();
    future.aware_at = utc("2026-12-04T20:00:00Z");
    assert!(register.open("alice", future).is_err());
    assert!(register.open(" ", leaked_logs()).is_err());
    assert!(docs.list_docs(BREACH_KIND).unwrap().is_empty());
}

#[test]
fn concurrent_updates_conflict_and_no_change_is_lost() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let opened = register.open("alice", leaked_logs()).unwrap();
    let id = opened.breach.id.clone();
    let seen_by_both = opened.version;

    let alice = BreachPatch {
        systems: Some(vec!["test-backup-01".into(), "proxy-02".into()]),
        ..Default::default()
    };
    let bob = BreachPatch {
        consequences: completed().consequences,
        ..Default::default()
    };
    let after_alice = register.update(&id, seen_by_both, "alice", alice).unwrap();
    let err = register
        .update(&id, seen_by_both, "bob", bob.clone())
        .unwrap_err();
    assert!(
        matches!(
            err,
            RegisterError::Conflict {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(register.show(&id).unwrap().breach.consequences.is_empty());

    // Bob reloads and applies his change on the new version.
    let reloaded = register.show(&id).unwrap();
    let done = register.update(&id, reloaded.version, "bob", bob).unwrap();
    assert_eq!(done.breach.systems, after_alice.breach.systems);
    assert_eq!(done.breach.consequences.len(), 1);
    let who: Vec<_> = done.events.iter().map(|e| (e.seq, e.by.as_str())).collect();
    assert_eq!(who, [(1, "alice"), (2, "alice"), (3, "bob")]);
}

#[test]
fn art33_5_every_change_is_an_event_and_the_state_is_their_fold() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let s = register.open("alice", leaked_logs()).unwrap();
    let id = s.breach.id.clone();
    clock.advance(Duration::hours(2));
    let s = register
        .update(&id, s.version, "alice", completed())
        .unwrap();
    clock.set(utc("2026-12-05T09:30:00Z"));
    let s = register
        .record_decision(&id, s.version, "dpo", decision(RiskLevel::Risk, None))
        .unwrap();
    let s = register
        .record_notification(
            &id,
            s.version,
            "dpo",
            notice(Phase::Initial, "2026-12-05T09:15:00Z", true, None),
            None,
        )
        .unwrap();
    let s = register
        .close(&id, s.version, "dpo", "CNIL notified, backup deleted")
        .unwrap();

    assert_eq!(s.events.len(), 5);
    assert!(s.events.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    assert_eq!(s.events[1].at, utc("2026-12-04T21:00:00Z"));
    assert_eq!(fold(&id, &s.events).as_ref(), Some(&s.breach));
    // A closed breach stays in the register and cannot be changed.
    assert_eq!(register.list().unwrap().breaches.len(), 1);
    assert!(!register.list().unwrap().breaches[0].open);
    let late = BreachPatch {
        systems: Some(vec!["x".into()]),
        ..Default::default()
    };
    assert!(matches!(
        register.update(&id, s.version, "bob", late.clone()),
        Err(RegisterError::Closed(_))
    ));
    // Reopening keeps the history and appends to it.
    let s = register
        .reopen(&id, s.version, "dpo", "second exposed server found")
        .unwrap();
    let s = register.update(&id, s.version, "bob", late).unwrap();
    assert_eq!(s.events.len(), 7);
    assert_eq!(register.show(&id).unwrap().events, s.events);
}

#[test]
fn art33_1_late_notification_without_reasons_is_refused_and_changes_nothing() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let s = register.open("alice", leaked_mail_logs()).unwrap();
    let id = s.breach.id.clone();
    clock.set(utc("2026-12-06T10:00:00Z"));
    let late = notice(Phase::Initial, "2026-12-06T09:00:00Z", false, None);
    let err = register
        .record_notification(&id, s.version, "dpo", late.clone(), None)
        .unwrap_err();
    match &err {
        RegisterError::Clock {
            source: BreachError::LateWithoutReason { basis, .. },
            ..
        } => assert_eq!(*basis, "Reg. (EU) 611/2013 art. 2(2)"),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("give the reasons"), "{err}");
    assert_eq!(register.show(&id).unwrap().version, s.version);

    let explained = AuthorityNotification {
        delay_reason: Some("weekend on-call did not escalate".into()),
        ..late
    };
    let s = register
        .record_notification(&id, s.version, "dpo", explained, Some("ab".repeat(32)))
        .unwrap();
    // Incomplete initial notice under Reg. 611/2013: the rest within 3 days.
    let summary = &register.list().unwrap().breaches[0];
    assert_eq!(
        summary.authority,
        AuthorityStatus::Clock {
            status: ClockStatus::AwaitingComplement {
                due: Some(utc("2026-12-09T09:00:00Z")),
                urgency: Some(Urgency::OnTrack)
            }
        }
    );
    assert!(summary.duties.contains(&Duty::NotifyAuthority {
        phase: Phase::Complementary,
        due: Some(utc("2026-12-09T09:00:00Z"))
    }));
    assert_eq!(s.breach.notifications.len(), 1);
}

#[test]
fn art34_3_exemption_recorded_means_no_subject_list_is_required() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-05T10:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let s = register.open("alice", leaked_logs()).unwrap();
    let id = s.breach.id.clone();
    assert!(
        register.list().unwrap().breaches[0]
            .duties
            .contains(&Duty::DecideRisk)
    );
    let s = register
        .record_decision(
            &id,
            s.version,
            "dpo",
            decision(RiskLevel::High, Some(Art34Exemption::Unintelligible)),
        )
        .unwrap();
    let duties = &register.list().unwrap().breaches[0].duties;
    assert!(!duties.contains(&Duty::ListSubjects), "{duties:?}");
    assert!(!duties.contains(&Duty::DecideRisk));
    let err = register
        .list_recipients(&id, s.version, "dpo", Audience::Subjects, &["s-1".into()])
        .unwrap_err();
    assert!(
        err.to_string().contains("no subject list is needed"),
        "{err}"
    );
    assert!(subject_letter(&s.breach, &decls, Lang::Fr).is_err());
    // Notified on time: nothing is left; the breach closes.
    let s = register
        .record_notification(
            &id,
            s.version,
            "dpo",
            notice(Phase::Initial, "2026-12-05T09:30:00Z", true, None),
            None,
        )
        .unwrap();
    register
        .close(&id, s.version, "dpo", "encrypted backup, key safe")
        .unwrap();
}

#[test]
fn art34_1_high_risk_subjects_are_listed_told_and_tracked_until_closing() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-05T10:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default())
        .with_retry_policy(RetryPolicy {
            max_attempts: 2,
            pause: Duration::minutes(10),
        });
    let s = register.open("alice", leaked_logs()).unwrap();
    let id = s.breach.id.clone();
    let s = register
        .update(&id, s.version, "alice", completed())
        .unwrap();
    let s = register
        .record_decision(&id, s.version, "dpo", decision(RiskLevel::High, None))
        .unwrap();
    let s = register
        .record_notification(
            &id,
            s.version,
            "dpo",
            notice(Phase::Initial, "2026-12-05T09:45:00Z", true, None),
            None,
        )
        .unwrap();
    assert_eq!(
        register.list().unwrap().breaches[0].duties,
        [Duty::ListSubjects]
    );

    // The engine lists the subjects it found in the vault (ids only).
    let ids: Vec<String> = (1..=3).map(|i| format!("subj-{i}")).collect();
    let s = register
        .list_recipients(&id, s.version, "engine", Audience::Subjects, &ids)
        .unwrap();
    assert_eq!(s.breach.listed_subjects, 3);
    assert!(register.list().unwrap().breaches[0].duties.is_empty());

    for lang in Lang::ALL {
        let letter = subject_letter(&s.breach, &decls, lang).unwrap();
        assert!(
            letter.body.contains("dpo@hebergix.example"),
            "{}",
            letter.body
        );
        assert!(letter.body.contains(s.breach.consequences[0].get(lang)));
        assert!(letter.body.contains(s.breach.measures_taken[0].get(lang)));
        assert!(letter.body.contains(lang.pick("CNIL", "CNIL")));
    }
    let fr = subject_letter(&s.breach, &decls, Lang::Fr).unwrap();
    assert!(
        fr.subject
            .starts_with("Hébergix SAS : incident de sécurité")
    );
    assert!(
        fr.body
            .contains("des personnes non autorisées ont pu accéder")
    );

    // The mailer works through the due list; one address bounces twice.
    assert_eq!(
        register
            .due_deliveries(&id, Audience::Subjects)
            .unwrap()
            .len(),
        3
    );
    register
        .record_delivery(&id, Audience::Subjects, "subj-1", Outcome::Sent)
        .unwrap();
    register
        .record_delivery(&id, Audience::Subjects, "subj-2", Outcome::Sent)
        .unwrap();
    let bounce = || Outcome::transient("smtp 451");
    register
        .record_delivery(&id, Audience::Subjects, "subj-3", bounce())
        .unwrap();
    let err = register.close(&id, s.version, "dpo", "done").unwrap_err();
    assert!(
        err.to_string()
            .contains("1 subjects notice(s) still pending"),
        "{err}"
    );
    assert!(
        register
            .due_deliveries(&id, Audience::Subjects)
            .unwrap()
            .is_empty()
    );
    clock.advance(Duration::minutes(10));
    assert_eq!(
        register.due_deliveries(&id, Audience::Subjects).unwrap(),
        ["subj-3"]
    );
    let book = register
        .record_delivery(&id, Audience::Subjects, "subj-3", bounce())
        .unwrap();
    assert!(matches!(
        book.status(
            "subj-3",
            &RetryPolicy {
                max_attempts: 2,
                pause: Duration::minutes(10)
            }
        ),
        Some(DeliveryStatus::Failed { attempts: 2, .. })
    ));
    let counts = register
        .delivery_counts(&id, Audience::Subjects)
        .unwrap()
        .unwrap();
    assert_eq!((counts.sent, counts.failed, counts.pending), (2, 1, 0));
    register
        .close(&id, s.version, "dpo", "subjects told; one reached by phone")
        .unwrap();
}

#[test]
fn art34_3_c_disproportionate_effort_gives_a_public_notice_instead_of_letters() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-05T10:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
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
            decision(
                RiskLevel::High,
                Some(Art34Exemption::DisproportionateEffort),
            ),
        )
        .unwrap();
    assert!(
        register.list().unwrap().breaches[0]
            .duties
            .contains(&Duty::PublishPublicCommunication)
    );
    assert!(subject_letter(&s.breach, &decls, Lang::Fr).is_err());
    let fr = public_notice(&s.breach, &decls, Lang::Fr).unwrap();
    assert!(fr.subject.contains("avis public"), "{}", fr.subject);
    assert!(fr.body.contains("Clients"), "{}", fr.body);
    let en = public_notice(&s.breach, &decls, Lang::En).unwrap();
    assert!(en.body.contains("You are concerned if"), "{}", en.body);
    let s = register
        .record_public_communication(
            &id,
            s.version,
            "dpo",
            utc("2026-12-05T09:50:00Z"),
            "https://status.hebergix.example/incident-2026-12",
        )
        .unwrap();
    assert!(
        !register.list().unwrap().breaches[0]
            .duties
            .contains(&Duty::PublishPublicCommunication)
    );
    assert!(s.breach.public_communication.is_some());
}

#[test]
fn art33_2_processor_only_breach_notifies_the_controller_customers() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-05T10:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let mut new = leaked_logs();
    new.data_categories = vec!["hosted_content".into()];
    new.subject_categories = vec!["visitors".into()];
    let s = register.open("alice", new).unwrap();
    let id = s.breach.id.clone();
    assert_eq!(s.breach.obligations.authority, None);
    assert_eq!(s.breach.obligations.controller_services, ["web-hosting"]);
    let summary = &register.list().unwrap().breaches[0];
    assert_eq!(summary.authority, AuthorityStatus::ControllersNotify);
    assert!(summary.duties.contains(&Duty::ListControllers));
    let err = register
        .record_notification(
            &id,
            s.version,
            "dpo",
            notice(Phase::Initial, "2026-12-05T09:00:00Z", true, None),
            None,
        )
        .unwrap_err();
    assert!(err.to_string().contains("Art. 33(2)"), "{err}");

    let s = register
        .list_recipients(
            &id,
            s.version,
            "engine",
            Audience::Controllers,
            &["cust-17".into(), "cust-42".into()],
        )
        .unwrap();
    assert_eq!(s.breach.listed_controllers, 2);
    let impact = CustomerImpact {
        subjects: Some(310),
        records: None,
    };
    let fr = controller_notice(&s.breach, &decls, impact, Lang::Fr).unwrap();
    assert!(fr.subject.starts_with("[B-2026-0001]"));
    assert!(fr.body.contains("Hébergement web"), "{}", fr.body);
    assert!(fr.body.contains("72 heures"));
    assert!(fr.body.contains("310"));
    assert!(fr.body.contains("en cours d'analyse"));
    let en = controller_notice(&s.breach, &decls, impact, Lang::En).unwrap();
    assert!(en.body.contains("within 72 hours of becoming aware"));
    assert!(en.body.contains("2026-12-04 18:30 UTC"));

    // The customers' notices go out; the log shows both listings.
    register
        .record_delivery(&id, Audience::Controllers, "cust-17", Outcome::Sent)
        .unwrap();
    assert_eq!(
        register.due_deliveries(&id, Audience::Controllers).unwrap(),
        ["cust-42"]
    );
    assert!(
        register
            .record_delivery(&id, Audience::Controllers, "cust-99", Outcome::Sent)
            .is_err()
    );
    assert_eq!(clock.now(), utc("2026-12-05T10:00:00Z"));
}

#[test]
fn a_controller_breach_has_no_controllers_to_notify() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-05T10:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let s = register.open("alice", leaked_logs()).unwrap();
    assert!(
        register
            .list_recipients(
                &s.breach.id,
                s.version,
                "x",
                Audience::Controllers,
                &["c".into()]
            )
            .is_err()
    );
    assert!(controller_notice(&s.breach, &decls, CustomerImpact::default(), Lang::En).is_err());
}

#[test]
fn two_threads_changing_the_same_version_one_wins_the_other_conflicts() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let s = register.open("alice", leaked_logs()).unwrap();
    let (id, version) = (s.breach.id.clone(), s.version);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = ["alice", "bob", "carol", "dave"]
            .into_iter()
            .map(|who| {
                let (register, id) = (&register, &id);
                scope.spawn(move || {
                    let patch = BreachPatch {
                        systems: Some(vec![format!("host-of-{who}")]),
                        ..Default::default()
                    };
                    register.update(id, version, who, patch)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, RegisterError::Conflict { .. }))
    );
    let shown = register.show(&id).unwrap();
    assert_eq!(shown.events.len(), 2);
    assert_eq!(shown.breach.systems, won[0].breach.systems);
}

#[test]
fn a_damaged_document_is_reported_not_panicked_on_and_left_alone() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    docs.put_doc(BREACH_KIND, "B-2026-0001", None, b"{not json")
        .unwrap();
    let err = register.show("B-2026-0001").unwrap_err();
    assert!(matches!(err, RegisterError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("was not changed"));
    let listing = register.list().unwrap();
    assert_eq!(listing.damaged[0].id, "B-2026-0001");
    assert!(listing.breaches.is_empty());
    // The next breach takes the next id; the damaged one stays for inspection.
    let s = register.open("alice", leaked_logs()).unwrap();
    assert_eq!(s.breach.id, "B-2026-0002");
    assert_eq!(
        docs.get_doc(BREACH_KIND, "B-2026-0001")
            .unwrap()
            .unwrap()
            .body,
        b"{not json"
    );
    assert!(matches!(
        register.show("B-2026-0404"),
        Err(RegisterError::NotFound(_))
    ));
}

#[test]
fn a_breach_on_undeclared_ground_is_taken_as_the_controllers_and_the_72h_clock_runs() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let mut new = leaked_logs();
    new.services.clear();
    new.data_categories.clear();
    let s = register.open("alice", new).unwrap();
    assert_eq!(s.breach.obligations.authority, Some(BreachRegime::Gdpr));
    assert!(s.breach.obligations.controller_services.is_empty());
    // Moving it onto the mail service switches it to the 24 h regime and
    // records the new obligations in the event.
    let patch = BreachPatch {
        services: Some(vec!["mail".into()]),
        data_categories: Some(vec!["connection_logs".into(), "mail_content".into()]),
        ..Default::default()
    };
    let s = register
        .update(&s.breach.id, s.version, "alice", patch)
        .unwrap();
    assert_eq!(s.breach.obligations.authority, Some(BreachRegime::Eprivacy));
    assert_eq!(s.breach.obligations.controller_services, ["mail"]);
    assert!(matches!(
        &s.events[1].change,
        habeas_breach::Change::Updated {
            obligations: Some(_),
            ..
        }
    ));
}

#[test]
fn art33_1_a_breach_unlikely_to_result_in_a_risk_is_documented_not_notified() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-08T10:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let s = register.open("alice", leaked_logs()).unwrap();
    let id = s.breach.id.clone();
    // Before the decision, the clock runs (and is overdue on Tuesday).
    assert_eq!(
        register.list().unwrap().breaches[0].urgency,
        Some(Urgency::Overdue)
    );
    let mut unlikely = decision(RiskLevel::Unlikely, None);
    unlikely.reasoning = "the exposed file held only test accounts".into();
    let s = register
        .record_decision(&id, s.version, "dpo", unlikely)
        .unwrap();
    let summary = &register.list().unwrap().breaches[0];
    assert_eq!(summary.authority, AuthorityStatus::NotRequired);
    assert_eq!(summary.urgency, None);
    assert!(summary.duties.is_empty(), "{:?}", summary.duties);
    let s = register
        .close(&id, s.version, "dpo", "test accounts only; no risk")
        .unwrap();
    // The register keeps why it was not notified (Art. 33(5)).
    assert_eq!(
        s.breach.decision().unwrap().reasoning,
        "the exposed file held only test accounts"
    );
}

/// What the journal retention reads of the register: each breach keeps the
/// journal from its window's start; a damaged document, whose window is
/// unknown, keeps all of it.
#[test]
fn the_journal_retention_sees_each_breach_from_its_window_and_a_damaged_one_from_the_start() {
    let decls = demo();
    let docs = MemoryDocs::new();
    let clock = clock_at("2026-12-04T19:00:00Z");
    let register = BreachRegister::new(&docs, &clock, &decls, BreachClockConfig::default());
    let s = register.open("alice", leaked_logs()).unwrap();
    let mut no_window = leaked_logs();
    no_window.window = habeas_breach::model::TimeWindow::default();
    let t = register.open("alice", no_window).unwrap();
    let incidents = register.journal_incidents().unwrap();
    assert_eq!(incidents.len(), 2);
    let first = incidents.iter().find(|i| i.id == s.breach.id).unwrap();
    assert_eq!(first.from, utc("2026-11-28T09:00:00Z"));
    assert_eq!(first.aware_at, s.breach.aware_at);
    assert!(first.open);
    // No window: from its detection (before the awareness).
    let second = incidents.iter().find(|i| i.id == t.breach.id).unwrap();
    assert_eq!(second.from, utc("2026-12-04T18:00:00Z"));

    docs.put_doc(BREACH_KIND, "B-2026-0009", None, b"{not json")
        .unwrap();
    let incidents = register.journal_incidents().unwrap();
    let damaged = incidents.iter().find(|i| i.id == "B-2026-0009").unwrap();
    assert!(damaged.open);
    assert_eq!(damaged.from, DateTime::<Utc>::MIN_UTC);
}
