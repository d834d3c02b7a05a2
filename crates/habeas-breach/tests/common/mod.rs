//! Fixtures shared by the breach tests: the demo provider's declarations
//! (examples/hosting-provider), instants, a clock, and typical breaches.

#![allow(dead_code)]

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use habeas_breach::{
    EstimateMethod, ImpactEstimate, Nature, NewBreach, TimeWindow, event::BreachPatch,
};
use habeas_core::clock::ManualClock;
use habeas_core::declarations::{Declarations, Text, load, load_and_check};

macro_rules! demo_file {
    ($name:literal) => {
        (
            concat!("declarations/", $name),
            include_str!(concat!(
                "../../../../examples/hosting-provider/declarations/",
                $name
            )),
        )
    };
}

const DEMO: &[(&str, &str)] = &[
    demo_file!("activities.toml"),
    demo_file!("categories.toml"),
    demo_file!("organisation.toml"),
    demo_file!("recipients.toml"),
    demo_file!("roles.toml"),
    demo_file!("security.toml"),
    demo_file!("services.toml"),
    demo_file!("subjects.toml"),
];

/// The demo provider's declaration files.
pub fn demo_files() -> Vec<(String, String)> {
    DEMO.iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect()
}

/// The demo provider's declarations, checked.
pub fn demo() -> Declarations {
    let checked = load_and_check(&demo_files());
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    checked.declarations
}

/// Declarations from edited files, parsed (not checked: a change may break a
/// residency rule, which `habeas check` reports separately).
pub fn parsed(files: &[(String, String)]) -> Declarations {
    let (decls, diagnostics) = load(files);
    assert!(!diagnostics.iter().any(|d| d.is_error()), "{diagnostics:?}");
    decls
}

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Friday 4 December 2026, 19:30 in Paris.
pub const FRIDAY_EVENING: &str = "2026-12-04T18:30:00Z";

pub fn clock_at(at: &str) -> ManualClock {
    ManualClock::new(utc(at))
}

pub fn text(fr: &str, en: &str) -> Text {
    Text {
        fr: fr.into(),
        en: en.into(),
    }
}

/// Leaked connection logs of the hosting service, noticed on Friday evening.
pub fn leaked_logs() -> NewBreach {
    NewBreach {
        certainty: habeas_breach::Certainty::Established,
        detected_at: utc("2026-12-04T18:00:00Z"),
        aware_at: utc(FRIDAY_EVENING),
        natures: BTreeSet::from([Nature::Confidentiality]),
        description: text(
            "Une sauvegarde des journaux de connexion de novembre a été exposée sur un serveur de test accessible depuis Internet.",
            "A backup of November's connection logs was exposed on a test server reachable from the Internet.",
        ),
        services: vec!["web-hosting".into()],
        systems: vec!["test-backup-01".into()],
        data_categories: vec!["connection_logs".into()],
        subject_categories: vec!["customers".into()],
        window: TimeWindow {
            start: Some(utc("2026-11-28T09:00:00Z")),
            end: Some(utc("2026-12-04T18:10:00Z")),
            ongoing: false,
        },
    }
}

/// The same on the mail service (Reg. 611/2013 regime in the demo).
pub fn leaked_mail_logs() -> NewBreach {
    NewBreach {
        services: vec!["mail".into()],
        subject_categories: vec!["mail_users".into()],
        ..leaked_logs()
    }
}

/// What staff add in the following hours: numbers, consequences, measures.
pub fn completed() -> BreachPatch {
    BreachPatch {
        origin: Some(habeas_breach::Origin::InternalAccidental),
        discovery: Some(text(
            "Alerte de l'outil de surveillance des expositions.",
            "Alert from the exposure monitoring tool.",
        )),
        impact: Some(ImpactEstimate {
            subjects: 1200,
            records: 48_000,
            method: EstimateMethod::Vault {
                query: "connection_logs, partition 2026-11".into(),
            },
            computed_at: utc("2026-12-04T20:00:00Z"),
        }),
        consequences: Some(vec![text(
            "Les adresses IP et heures de connexion peuvent être recoupées avec d'autres sources.",
            "IP addresses and connection times can be cross-matched with other sources.",
        )]),
        measures_taken: Some(vec![text(
            "Serveur de test isolé et sauvegarde supprimée.",
            "Test server isolated and backup deleted.",
        )]),
        measures_planned: Some(vec![text(
            "Interdire les données réelles sur les serveurs de test.",
            "Forbid real data on test servers.",
        )]),
        subject_advice: Some(vec![text(
            "Soyez vigilant face aux messages inattendus qui citent vos connexions.",
            "Be wary of unexpected messages that mention your connections.",
        )]),
        ..Default::default()
    }
}
