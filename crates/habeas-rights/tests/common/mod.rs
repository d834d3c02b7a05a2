//! Fixtures shared by the integration tests: the demo provider's
//! declarations (examples/hosting-provider), a customer's holdings, a clock.

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use habeas_core::consent::ConsentState;
use habeas_core::declarations::{Declarations, load_and_check};
use habeas_rights::held::{
    AccessJournalEntry, HeldRecord, SourceChannel, SubjectHoldings, SubjectInfo, SubjectStatus,
};
use habeas_rights::service::ServiceConfig;
use habeas_rights::verification::CodeKey;

macro_rules! demo_file {
    ($name:literal) => {
        (
            concat!("declarations/", $name).to_string(),
            include_str!(concat!(
                "../../../../examples/hosting-provider/declarations/",
                $name
            ))
            .to_string(),
        )
    };
}

/// The demo provider's declaration files.
pub fn demo_files() -> Vec<(String, String)> {
    vec![
        demo_file!("activities.toml"),
        demo_file!("categories.toml"),
        demo_file!("organisation.toml"),
        demo_file!("recipients.toml"),
        demo_file!("roles.toml"),
        demo_file!("security.toml"),
        demo_file!("services.toml"),
        demo_file!("subjects.toml"),
    ]
}

/// The demo provider's declarations, checked.
pub fn demo() -> Declarations {
    demo_with("")
}

/// The demo declarations plus one more file, checked.
pub fn demo_with(extra: &str) -> Declarations {
    let mut files = demo_files();
    if !extra.is_empty() {
        files.push(("declarations/extra.toml".into(), extra.into()));
    }
    let checked = load_and_check(&files);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    checked.declarations
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub fn config() -> ServiceConfig {
    ServiceConfig::new(CodeKey::new(&[42u8; 32]).unwrap())
}

fn record(
    id: &str,
    category: &str,
    at: &str,
    channel: SourceChannel,
    fields: &[(&str, &str)],
) -> HeldRecord {
    HeldRecord {
        id: id.into(),
        category: category.into(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        recorded_at: utc(at),
        source_channel: channel,
        purposes: Vec::new(),
    }
}

pub const SUBJECT: &str = "subj-7f3a";

/// A customer of Hébergix with data in eight categories.
pub fn holdings() -> SubjectHoldings {
    use SourceChannel::*;
    SubjectHoldings {
        subject: SubjectInfo {
            id: SUBJECT.into(),
            kind: "customers".into(),
            status: SubjectStatus::Active,
        },
        records: vec![
            record(
                "rec-id-1",
                "identity",
                "2024-05-02T09:00:00Z",
                Form,
                &[
                    ("account_id", "C-1042"),
                    ("first_name", "Hélène"),
                    ("last_name", "Dupré-Œillet"),
                    ("created_at", "2024-05-02T09:00:00Z"),
                ],
            ),
            record(
                "rec-ct-1",
                "contact",
                "2024-05-02T09:00:00Z",
                Form,
                &[
                    ("email", "helene@example.fr"),
                    ("postal_address", "12 rue de l'Église, 69002 Lyon"),
                    ("language", "fr"),
                ],
            ),
            record(
                "rec-bill-1",
                "billing",
                "2025-01-31T12:00:00Z",
                Derived,
                &[
                    ("invoice_number", "F-2025-0001"),
                    ("issued_on", "2025-01-31"),
                    ("amount", "119.88"),
                ],
            ),
            record(
                "rec-bill-2",
                "billing",
                "2026-01-31T12:00:00Z",
                Derived,
                &[
                    ("invoice_number", "F-2026-0001"),
                    ("issued_on", "2026-01-31"),
                    ("amount", "131.88"),
                ],
            ),
            record(
                "rec-sup-1",
                "support",
                "2026-02-10T15:30:00Z",
                SubjectMessage,
                &[
                    ("ticket_id", "T-88"),
                    ("subject", "Mon site affiche <script>alert(1)</script>"),
                    (
                        "body",
                        "Bonjour, voici le code : <script>alert('x')</script> & merci",
                    ),
                ],
            ),
            record(
                "rec-sec-1",
                "security_logs",
                "2026-03-01T08:00:00Z",
                Observed,
                &[
                    ("account_id", "C-1042"),
                    ("ip", "198.51.100.7"),
                    ("event", "sign_in"),
                    ("outcome", "success"),
                ],
            ),
            record(
                "rec-mkt-1",
                "marketing",
                "2025-06-01T10:00:00Z",
                Form,
                &[("email", "helene@example.fr"), ("topics", "hébergement")],
            ),
            record(
                "rec-mkt-2",
                "marketing",
                "2025-07-01T10:00:00Z",
                ThirdParty,
                &[("email", "h.dupre@partner.example"), ("topics", "salons")],
            ),
        ],
        consents: [(
            "newsletter".to_string(),
            ConsentState::Given {
                since: utc("2025-06-01T10:00:00Z"),
            },
        )]
        .into_iter()
        .collect(),
        access_journal: vec![AccessJournalEntry {
            at: utc("2026-02-11T09:12:00Z"),
            purpose: "PA-0006".into(),
            categories: vec!["identity".into(), "support".into()],
        }],
    }
}
