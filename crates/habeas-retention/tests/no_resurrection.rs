//! Back up, erase a subject, restore the old backup: with the tombstone
//! ledger re-applied, nothing of that subject comes back, a withdrawn consent
//! stays withdrawn and a corrected identifier stays corrected.
//!
//! The "vault" here is a plain map serialised into a real encrypted backup
//! (habeas-crypto's format, a real KEK): the engine's restore will do the
//! same three steps on its database — restore the file, read the ledger
//! (kept apart), re-apply `replay_after(backup time)` in order.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use chrono::{DateTime, Duration, Utc};
use habeas_core::clock::{Clock, ManualClock};
use habeas_core::docs::MemoryDocs;
use habeas_crypto::backup::{BackupMeta, BackupReader, BackupWriter, verify};
use habeas_retention::tombstone::{TombstoneEvent, TombstoneLedger};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Vault {
    /// subject → category → field → value
    data: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    /// subject → purposes consented
    consents: BTreeMap<String, Vec<String>>,
}

impl Vault {
    fn apply(&mut self, event: &TombstoneEvent) {
        match event {
            TombstoneEvent::Erasure {
                subject,
                categories,
            } => {
                if categories.is_empty() {
                    self.data.remove(subject);
                    self.consents.remove(subject);
                } else if let Some(cats) = self.data.get_mut(subject) {
                    cats.retain(|c, _| !categories.contains(c));
                }
            }
            TombstoneEvent::IdentifierRectification {
                subject,
                category,
                field,
                new_value,
                ..
            } => {
                if let Some(fields) = self.data.get_mut(subject).and_then(|c| c.get_mut(category)) {
                    fields.insert(field.clone(), new_value.clone());
                }
            }
            TombstoneEvent::ConsentWithdrawal { subject, purpose } => {
                if let Some(p) = self.consents.get_mut(subject) {
                    p.retain(|x| x != purpose);
                }
            }
        }
    }
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn seed() -> Vault {
    let mut v = Vault::default();
    for (s, email) in [
        ("sub_alice", "alice@example.org"),
        ("sub_bob", "bob@example.org"),
        ("sub_carol", "carol@example.org"),
    ] {
        v.data.entry(s.into()).or_default().insert(
            "contact".into(),
            BTreeMap::from([("email".to_string(), email.to_string())]),
        );
        v.consents.insert(s.into(), vec!["newsletter".into()]);
    }
    v
}

#[test]
fn a_restored_backup_does_not_bring_back_what_was_erased() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = habeas_crypto::KeyDir::create(&tmp.path().join("keys"), None).unwrap();
    let kek = keys.load_kek_ring().unwrap();
    let clock = ManualClock::new(t("2026-12-01T02:30:00Z"));
    // The ledger lives in its own store, not in the backed-up database.
    let ledger_store = MemoryDocs::new();
    let ledger = TombstoneLedger::new(&ledger_store, &clock);

    let mut live = seed();
    let backup_at = clock.now();
    let path = tmp.path().join("backup-20261201.hbk");
    let mut w = BackupWriter::new(
        std::fs::File::create(&path).unwrap(),
        &kek,
        BackupMeta::new(backup_at.timestamp(), 1),
    )
    .unwrap();
    w.write_all(&serde_json::to_vec(&live).unwrap()).unwrap();
    w.finish().unwrap();
    assert!(verify(std::fs::File::open(&path).unwrap(), &kek).is_ok());

    // After the backup: Alice is erased, Bob withdraws consent, Carol's e-mail is corrected.
    let events = [
        TombstoneEvent::Erasure {
            subject: "sub_alice".into(),
            categories: vec![],
        },
        TombstoneEvent::ConsentWithdrawal {
            subject: "sub_bob".into(),
            purpose: "newsletter".into(),
        },
        TombstoneEvent::IdentifierRectification {
            subject: "sub_carol".into(),
            category: "contact".into(),
            record: "rec_c1".into(),
            field: "email".into(),
            new_value: "carol.new@example.org".into(),
        },
    ];
    for e in &events {
        clock.advance(Duration::hours(3));
        live.apply(e);
        ledger.record(e.clone()).unwrap();
    }

    // Disaster: restore the old backup.
    let mut restored_bytes = Vec::new();
    BackupReader::open(std::fs::File::open(&path).unwrap(), &kek)
        .unwrap()
        .read_to_end(&mut restored_bytes)
        .unwrap();
    let mut restored: Vault = serde_json::from_slice(&restored_bytes).unwrap();
    assert!(
        restored.data.contains_key("sub_alice"),
        "the old backup holds Alice"
    );

    let header =
        habeas_crypto::backup::read_header(&mut std::fs::File::open(&path).unwrap()).unwrap();
    let taken = DateTime::from_timestamp(header.meta.created_at, 0).unwrap();
    for tomb in ledger.replay_after(taken).unwrap() {
        restored.apply(&tomb.event);
    }
    assert_eq!(restored, live);
    assert!(!serde_json::to_string(&restored).unwrap().contains("alice"));
    assert_eq!(restored.consents["sub_bob"], Vec::<String>::new());
    assert_eq!(
        restored.data["sub_carol"]["contact"]["email"],
        "carol.new@example.org"
    );
}
