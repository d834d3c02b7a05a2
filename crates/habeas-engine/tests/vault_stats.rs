//! Aggregated statistics (SPEC C2) on both backends: counts per period and
//! generalised field, cells of fewer subjects than the threshold withheld,
//! restricted and erased subjects left out, identifiers and free text
//! refused as groupings, a purpose that does not process the category
//! refused, and one journal entry per run that names no subject.

use habeas_core::stats::Period;
use habeas_engine::{Caller, EngineError, StatsQuery, StatsReport, Vault, VaultPaths, Verdict};
use serde_json::json;

mod common;
use common::{PgVault, input, op, open, postgres_url};

fn code(e: EngineError) -> &'static str {
    e.refusal().map_or("none", |r| r.code)
}

fn query(category: &str, by: &[&str], period: Period, min_subjects: u32) -> StatsQuery {
    StatsQuery {
        category: category.into(),
        by: by.iter().map(|s| s.to_string()).collect(),
        period,
        min_subjects,
    }
}

/// The published cells as (key, records, subjects).
fn cells(report: &StatsReport) -> Vec<(Vec<&str>, u64, u64)> {
    report
        .published
        .cells
        .iter()
        .map(|c| {
            (
                c.key.iter().map(String::as_str).collect(),
                c.records,
                c.subjects,
            )
        })
        .collect()
}

/// Seven subjects in France, three in Belgium (one of them with two contact
/// records), two whose record has no country; six with a connection log.
/// Returns the subjects: FR first, then BE, then the two without country.
fn seed(vault: &Vault) -> Vec<String> {
    let op = op();
    let mut subjects = Vec::new();
    for n in 0..12 {
        let s = vault
            .create_subject(&op, Some("customers"))
            .expect("subject");
        let mut fields = json!({ "email": format!("stats.{n}@example.org") });
        match n {
            0..7 => fields["country"] = json!("FR"),
            7..10 => fields["country"] = json!("BE"),
            _ => {}
        }
        vault
            .write(&op, &s, input("contact", fields.clone()))
            .expect("contact");
        if n == 7 {
            vault
                .write(&op, &s, input("contact", fields))
                .expect("second contact");
        }
        if n < 6 {
            let logs = Caller::operator("test", "PA-0003");
            vault
                .write(
                    &logs,
                    &s,
                    input(
                        "connection_logs",
                        json!({ "account_id": format!("acct-{n}"), "ip": format!("198.51.100.{}", n + 10), "protocol": "ssh" }),
                    ),
                )
                .expect("connection log");
        }
        subjects.push(s);
    }
    subjects
}

fn exercise(vault: &Vault) {
    let subjects = seed(vault);
    let this_month = Period::Month.label(chrono::Utc::now());
    let this_month = this_month.as_str();

    let r = vault
        .statistics(&op(), &query("contact", &["country"], Period::Month, 3))
        .expect("stats");
    assert_eq!(
        cells(&r),
        vec![
            (vec![this_month, "BE"], 4, 3),
            (vec![this_month, "FR"], 7, 7),
        ]
    );
    // The two subjects without a country form a cell of two: withheld.
    assert_eq!(r.published.withheld_cells, 1);
    assert_eq!((r.subjects, r.records, r.excluded_subjects), (12, 13, 0));
    assert_eq!(r.published.published_records, 11);
    assert_eq!(r.columns, vec!["period", "country"]);
    assert_eq!(r.purpose, "PA-0001");

    // High-volume rows (time partitions), the address generalised to its network.
    let logs = vault
        .statistics(
            &Caller::operator("test", "PA-0003"),
            &query("connection_logs", &["ip", "protocol"], Period::All, 5),
        )
        .expect("log stats");
    assert_eq!(
        cells(&logs),
        vec![(vec!["all", "198.51.100.0/24", "ssh"], 6, 6)]
    );
    let text = serde_json::to_string(&logs).expect("json");
    assert!(
        !text.contains("198.51.100.1"),
        "no address in the figures: {text}"
    );
    assert!(text.contains(r#""ip":"ip_network""#), "{text}");

    // Art. 18: a restricted subject is left out, only counted as such.
    vault
        .set_restriction(&op(), &subjects[0], "PA-0001", true)
        .expect("restrict");
    // Art. 17: an erased subject has nothing left to count.
    vault.shred(&op(), &subjects[9]).expect("erase");
    let r = vault
        .statistics(&op(), &query("contact", &["country"], Period::All, 3))
        .expect("stats");
    assert_eq!(cells(&r), vec![(vec!["all", "FR"], 6, 6)]);
    assert_eq!(r.published.withheld_cells, 2, "BE now 2 subjects, none 2");
    assert_eq!((r.subjects, r.excluded_subjects), (10, 1));

    // Refusals: nothing counted, the reason named.
    let refused = |q: StatsQuery, caller: &Caller| code(vault.statistics(caller, &q).unwrap_err());
    assert_eq!(
        refused(query("contact", &["email"], Period::All, 5), &op()),
        "field_not_groupable"
    );
    assert_eq!(
        refused(
            query("support", &["body"], Period::All, 5),
            &Caller::operator("t", "PA-0006")
        ),
        "field_not_groupable"
    );
    assert_eq!(
        refused(query("contact", &["iban"], Period::All, 5), &op()),
        "unknown_field"
    );
    assert_eq!(
        refused(
            query("contact", &["country", "country"], Period::All, 5),
            &op()
        ),
        "duplicate_field"
    );
    assert_eq!(
        refused(query("contact", &[], Period::All, 1), &op()),
        "threshold_too_low"
    );
    assert_eq!(
        refused(query("nope", &[], Period::All, 5), &op()),
        "unknown_category"
    );
    assert_eq!(
        refused(query("connection_logs", &[], Period::All, 5), &op()),
        "category_not_in_purpose"
    );

    // A token whose purposes do not cover the category is refused, and the
    // refusal journaled.
    let (token, _) = vault
        .create_token(&op(), "analytics", &["PA-0001".to_string()], &[])
        .expect("token");
    let app = Caller::token(token, None);
    assert_eq!(
        refused(query("connection_logs", &[], Period::All, 5), &app),
        "category_not_in_purpose"
    );
    let by_app = vault
        .statistics(&app, &query("contact", &[], Period::Year, 2))
        .expect("token stats");
    assert_eq!(by_app.published.cells.len(), 1);

    // Each run is one entry: category, purpose and counts, no subject.
    let tail = vault
        .journal_tail(&op(), &["stats", "refused"], 100)
        .expect("tail");
    let runs: Vec<_> = tail.events.iter().filter(|e| e.action == "stats").collect();
    assert_eq!(runs.len(), 4, "{runs:?}");
    assert!(runs.iter().all(|e| e.subject.is_none()));
    let newest = runs[0];
    assert!(
        newest.actor.starts_with("token:") && newest.actor.ends_with(":analytics"),
        "{}",
        newest.actor
    );
    assert_eq!(newest.category.as_deref(), Some("contact"));
    assert!(
        newest.details.contains("subjects=10") && newest.details.contains("excluded=1"),
        "{}",
        newest.details
    );
    let refusals = tail
        .events
        .iter()
        .filter(|e| e.action == "refused" && e.details == "stats denied: category_not_in_purpose")
        .count();
    assert_eq!(
        refusals, 2,
        "the operator's and the token's: {:?}",
        tail.events
    );
    for e in &tail.events {
        assert!(!e.details.contains("example.org") && !e.details.contains("198.51"));
    }
    assert!(matches!(
        vault.verify_journal().expect("verify"),
        Verdict::Intact { .. }
    ));
}

#[test]
fn statistics_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = open(VaultPaths::in_project(dir.path()));
    exercise(&vault);
}

#[test]
fn statistics_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let pg = PgVault::new(&url);
    let vault = open(pg.paths());
    exercise(&vault);
}
