//! The bridge on a real vault (embedded SQLite in a temporary directory):
//! the impact counts exactly the rows of the window and the records held
//! before its end (Art. 33(3)(a)), the contact is the declared critical
//! e-mail read under the purpose that processes it, and sending records a
//! status per subject: a subject reached is never written to again, a
//! failed one is retried after the pause, and only it (Art. 34(1)).

mod common;

use std::sync::{Arc, Mutex};

use chrono::Duration;
use common::*;
use habeas_breach::vault_bridge::{self, ContactField};
use habeas_breach::{BreachPatch, BreachRegister, NewBreach};
use habeas_core::breach::{Art34Decision, BreachClockConfig, RiskLevel};
use habeas_core::clock::Clock;
use habeas_engine::{BulkLine, Caller, Vault, VaultPaths};
use habeas_notify::{Mailer, MessageId, OutgoingMail, SendError};

/// A mailer that keeps what it sends and refuses one address while told to.
#[derive(Debug, Default)]
struct Recorder {
    refuse: Mutex<Option<String>>,
    sent: Mutex<Vec<String>>,
}

impl Mailer for Recorder {
    fn send(&self, mail: &OutgoingMail) -> Result<MessageId, SendError> {
        if self.refuse.lock().unwrap().as_deref() == Some(mail.to.as_str()) {
            return Err(SendError::Connect {
                server: "relay.test".into(),
                reason: "connection refused".into(),
            });
        }
        self.sent.lock().unwrap().push(mail.to.as_str().to_string());
        Ok(MessageId("<t@test>".into()))
    }
}

fn line(n: u64, subject: &str, category: &str, fields: serde_json::Value, at: &str) -> BulkLine {
    BulkLine {
        line: n,
        input: serde_json::from_value(serde_json::json!({
            "subject_ref": subject,
            "category": category,
            "fields": fields,
            "collected_at": at,
        }))
        .unwrap(),
    }
}

fn email(address: &str) -> serde_json::Value {
    serde_json::json!({ "email": address, "language": "fr" })
}

fn log() -> serde_json::Value {
    serde_json::json!({ "account_id": "acc", "ip": "192.0.2.9" })
}

/// Window of `leaked_logs`: [2026-11-28 09:00, 2026-12-04 18:10).
/// s1: 1 log inside, contact from January; s2: 2 logs inside, contact from
/// January; s3: 1 log before the window, contact written after its end.
fn people(vault: &Vault) {
    let lines = vec![
        line(
            1,
            "s1",
            "contact",
            email("alice@example.org"),
            "2026-01-05T09:00:00Z",
        ),
        line(2, "s1", "connection_logs", log(), "2026-11-30T10:00:00Z"),
        line(
            3,
            "s2",
            "contact",
            email("bob@example.org"),
            "2026-01-05T09:00:00Z",
        ),
        line(4, "s2", "connection_logs", log(), "2026-12-01T10:00:00Z"),
        line(5, "s2", "connection_logs", log(), "2026-12-04T18:09:00Z"),
        line(
            6,
            "s3",
            "contact",
            email("carol@example.org"),
            "2026-12-04T19:00:00Z",
        ),
        line(7, "s3", "connection_logs", log(), "2026-11-28T08:59:00Z"),
    ];
    vault
        .write_bulk(&Caller::operator("test", "PA-0001"), lines)
        .unwrap();
}

#[test]
fn impact_contacts_and_sending_on_a_real_vault() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(clock_at("2026-12-05T10:00:00Z"));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let vault = Vault::open(VaultPaths::in_project(dir.path()), demo(), dyn_clock).unwrap();
    people(&vault);
    let decls = vault.declarations();

    // The demo's purposes: security for the register, customer accounts for the contact.
    assert_eq!(
        vault_bridge::breach_purpose(decls).as_deref(),
        Some("PA-0004")
    );
    let contact = ContactField::default_for(decls).unwrap();
    assert_eq!(
        (contact.category.as_str(), contact.field.as_str()),
        ("contact", "email")
    );
    assert_eq!(contact.purpose(decls).unwrap(), "PA-0001");
    assert!(ContactField::parse(decls, "contact.phone").is_err());

    let docs = vault.docs(Caller::operator("dpo", "PA-0004"));
    let register = BreachRegister::new(&docs, &*clock, decls, BreachClockConfig::default());
    let snap = register
        .open(
            "dpo",
            NewBreach {
                data_categories: vec!["connection_logs".into(), "contact".into()],
                ..leaked_logs()
            },
        )
        .unwrap();
    let id = snap.breach.id.clone();

    let found = vault_bridge::impact(&vault, &snap.breach, clock.now()).unwrap();
    assert_eq!(found.subjects.len(), 2, "{found:?}");
    assert_eq!(found.per_category["connection_logs"], (2, 3));
    assert_eq!(found.per_category["contact"], (2, 2));
    assert_eq!(found.records, 5);
    assert!(
        found
            .query
            .contains("[2026-11-28T09:00Z, 2026-12-04T18:10Z)"),
        "{}",
        found.query
    );

    let (snap, _) =
        vault_bridge::record_impact(&register, &vault, &id, "dpo", clock.now()).unwrap();
    assert_eq!(snap.breach.impact.as_ref().map(|i| i.records), Some(5));
    let snap = register
        .update(
            &id,
            snap.version,
            "dpo",
            BreachPatch {
                impact: None,
                ..completed()
            },
        )
        .unwrap();
    let mailer = Recorder::default();
    // Before the decision, nothing is listed or sent (Art. 34(1) needs a high risk).
    assert!(
        vault_bridge::notify_subjects(
            &register,
            &vault,
            &mailer,
            &id,
            "dpo",
            &contact,
            clock.now()
        )
        .is_err()
    );
    assert!(mailer.sent.lock().unwrap().is_empty());
    register
        .record_decision(
            &id,
            snap.version,
            "dpo",
            Art34Decision {
                risk: RiskLevel::High,
                reasoning: "IP addresses tied to accounts".into(),
                exemption: None,
                exemption_reasoning: None,
                decided_by: "dpo".into(),
                decided_at: clock.now(),
            },
        )
        .unwrap();

    *mailer.refuse.lock().unwrap() = Some("bob@example.org".into());
    let send = |m: &Recorder| {
        vault_bridge::notify_subjects(&register, &vault, m, &id, "dpo", &contact, clock.now())
            .unwrap()
    };
    let first = send(&mailer);
    assert_eq!((first.listed, first.sent, first.failed), (2, 1, 1));
    // Straight away: nothing is due (bob's retry waits for the pause).
    let second = send(&mailer);
    assert_eq!((second.listed, second.sent, second.failed), (0, 0, 0));
    assert_eq!((second.total_sent, second.total_pending), (1, 1));
    // After the pause, with the relay back: only bob is written to.
    clock.advance(Duration::minutes(16));
    *mailer.refuse.lock().unwrap() = None;
    let third = send(&mailer);
    assert_eq!((third.sent, third.failed, third.total_sent), (1, 0, 2));
    assert_eq!(
        *mailer.sent.lock().unwrap(),
        vec![
            "alice@example.org".to_string(),
            "bob@example.org".to_string()
        ]
    );
}
