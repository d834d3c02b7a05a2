//! A year in the life of the demo provider: records written in January 2026,
//! the clock moved to January 2027, and exactly the expected records go,
//! category by category, with a legal hold respected and the navigation
//! data anonymised instead of deleted.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use habeas_core::clock::{Clock, ManualClock};
use habeas_core::declarations::{Declarations, load};
use habeas_core::docs::MemoryDocs;
use habeas_core::retention::EventDates;
use habeas_retention::anonymise::Profile;
use habeas_retention::hold::{HoldFilter, HoldScope, HoldService, NewHold};
use habeas_retention::plan::{Action, DueItem, Expiry, Planner, dry_run, expiry_by_category};
use serde_json::json;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn demo_declarations() -> Declarations {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hosting-provider/declarations");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("demo declarations") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        files.push((path.display().to_string(), text));
    }
    files.sort();
    let (decl, diagnostics) = load(&files);
    assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
    decl
}

/// A record as the vault keeps it for retention: its category and event dates.
struct Rec {
    id: &'static str,
    subject: &'static str,
    category: &'static str,
    dates: EventDates,
}

fn rec(
    id: &'static str,
    subject: &'static str,
    category: &'static str,
    f: impl FnOnce(&mut EventDates),
) -> Rec {
    let mut dates = EventDates {
        collected_at: Some(t("2026-01-05T10:00:00Z")),
        ..Default::default()
    };
    f(&mut dates);
    Rec {
        id,
        subject,
        category,
        dates,
    }
}

fn records() -> Vec<Rec> {
    let ended = Some(t("2026-01-10T00:00:00Z"));
    vec![
        rec("a-identity", "sub_a", "identity", |d| {
            d.contract_end = ended
        }),
        rec("a-contact", "sub_a", "contact", |d| d.contract_end = ended),
        rec("a-billing", "sub_a", "billing", |_| {}),
        rec("a-conn", "sub_a", "connection_logs", |d| {
            d.collected_at = Some(t("2026-01-12T08:00:00Z"))
        }),
        rec("a-sec", "sub_a", "security_logs", |d| {
            d.collected_at = Some(t("2026-01-12T08:00:00Z"))
        }),
        rec("a-sec-incident", "sub_a", "security_logs", |d| {
            d.collected_at = Some(t("2026-01-12T08:00:00Z"));
            d.incident_linked = true;
        }),
        rec("a-nav", "sub_a", "navigation", |d| {
            d.collected_at = Some(t("2025-11-01T12:00:00Z"))
        }),
        rec("a-mail", "sub_a", "mail_content", |d| {
            d.account_closure = ended
        }),
        rec("a-site", "sub_a", "hosted_content", |_| {}),
        rec("b-prospect", "sub_b", "prospect_contact", |d| {
            d.collected_at = Some(t("2022-01-01T00:00:00Z"));
            d.last_interaction = Some(t("2023-06-01T00:00:00Z"));
        }),
        rec("c-contact", "sub_c", "contact", |d| d.contract_end = ended),
    ]
}

/// What the store's `due_records` returns: records with a due date up to `by`.
fn due_by(decl: &Declarations, by: DateTime<Utc>) -> Vec<DueItem> {
    let rules: BTreeMap<_, _> = decl
        .categories
        .iter()
        .map(|(n, c)| (n.get_ref().clone(), c.retention_rule().expect("rule")))
        .collect();
    records()
        .into_iter()
        .filter_map(|r| {
            let due = rules[r.category].due(&r.dates)?;
            (due <= by).then(|| DueItem {
                record: r.id.into(),
                subject: r.subject.into(),
                category: r.category.into(),
                due,
                incident_linked: r.dates.incident_linked,
            })
        })
        .collect()
}

#[test]
fn a_year_later_exactly_the_expected_records_go_and_the_held_one_stays() {
    let decl = demo_declarations();
    let docs = MemoryDocs::new();
    let clock = ManualClock::new(t("2026-01-15T09:00:00Z"));
    let holds = HoldService::new(&docs, &clock);
    holds
        .add(NewHold {
            scope: HoldScope::Subject("sub_c".into()),
            reason: "litigation RG 26/01234".into(),
            created_by: "dpo".into(),
            until: None,
        })
        .unwrap();

    // Nothing is due yet on the day the records were written.
    assert!(due_by(&decl, clock.now()).is_empty());

    clock.advance(Duration::days(365));
    let now = clock.now();
    let expiry = expiry_by_category(&decl);
    let all_holds = holds.list(HoldFilter::All).unwrap();
    let mut planner = Planner::new(now, &expiry, &all_holds);
    let mut actions: BTreeMap<String, Action> = BTreeMap::new();
    for item in due_by(&decl, now) {
        let d = planner.decide(&item);
        actions.insert(d.record, d.action);
    }
    let summary = planner.finish();

    let expected: BTreeMap<String, Action> = [
        ("a-contact", Action::Delete),
        ("a-conn", Action::Delete),
        ("a-sec", Action::Delete),
        ("a-nav", Action::Anonymise),
        ("a-mail", Action::Delete),
        ("b-prospect", Action::Delete),
        (
            "c-contact",
            Action::Held {
                holds: vec!["HOLD-0001".into()],
            },
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(actions, expected);
    // Legal periods (identity 5 y, billing 10 y), the incident period (36 months)
    // and the running hosting contract keep the rest.
    assert_eq!(summary.removed(), 6);
    assert_eq!(summary.categories["contact"].delete, 1);
    assert_eq!(summary.categories["contact"].held, 1);
    assert_eq!(summary.categories["navigation"].anonymise, 1);
    assert!(!summary.categories.contains_key("billing"));

    // Releasing the hold lets the next purge take the contact record.
    holds.release("HOLD-0001", "dpo").unwrap();
    clock.advance(Duration::days(1));
    let all_holds = holds.list(HoldFilter::All).unwrap();
    let mut planner = Planner::new(clock.now(), &expiry, &all_holds);
    let c = due_by(&decl, clock.now())
        .into_iter()
        .find(|i| i.record == "c-contact")
        .unwrap();
    assert_eq!(planner.decide(&c).action, Action::Delete);
}

#[test]
fn a_dry_run_over_three_years_dates_every_item_including_the_incident_period() {
    let decl = demo_declarations();
    let now = t("2027-01-15T09:00:00Z");
    let horizon = t("2030-01-15T09:00:00Z");
    let (decisions, summary) = dry_run(
        now,
        &expiry_by_category(&decl),
        &[],
        &due_by(&decl, horizon),
    );
    let incident = decisions
        .iter()
        .find(|d| d.record == "a-sec-incident")
        .unwrap();
    assert_eq!(
        incident.action,
        Action::Scheduled {
            then: Expiry::Delete
        }
    );
    assert_eq!(incident.goes_at, Some(t("2029-01-12T08:00:00Z")));
    assert_eq!(summary.categories["security_logs"].incident_linked, 1);
    assert_eq!(summary.categories["security_logs"].delete, 1);
    // Billing (10 years) and identity (5 years) are still beyond the horizon.
    assert!(
        decisions
            .iter()
            .all(|d| d.record != "a-billing" && d.record != "a-identity")
    );
    // Ordered by the date each item goes.
    assert!(decisions.windows(2).all(|w| w[0].due <= w[1].due));
}

#[test]
fn the_navigation_record_is_anonymised_as_declared() {
    let decl = demo_declarations();
    let (name, cat) = decl
        .categories
        .iter()
        .find(|(n, _)| n.get_ref() == "navigation")
        .unwrap();
    let profile = Profile::for_category(name.get_ref(), cat);
    let tmp = tempfile::tempdir().unwrap();
    let keys = habeas_crypto::KeyDir::create(&tmp.path().join("keys"), None).unwrap();
    let indexer = keys.load_blind_indexer().unwrap();
    let record = serde_json::from_value(json!({
        "visitor_id": "v-8f3a",
        "page": "https://www.example-hosting.fr/offres/pro?utm_source=alice#prix",
        "referrer": "https://mail.example.org/inbox/123",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        "visited_at": "2025-11-01T12:34:56Z"
    }))
    .unwrap();
    let out = profile.apply(&record, &indexer);
    assert_eq!(
        serde_json::to_value(&out.fields).unwrap(),
        json!({"page": "https://www.example-hosting.fr/offres/pro", "visited_at": "2025-11"})
    );
}
