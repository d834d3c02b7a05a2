//! The audit journal's own retention through the real binary (SPEC C6:
//! "12 months, 36 months for incidents, without breaking verifiability"),
//! on a temporary copy of the demo provider. Judged `--now` years ahead so
//! today's entries are old: refused while undeclared, planned by a dry run
//! that changes nothing, applied up to a signed checkpoint with the rest
//! still verifying, then held back by a breach in the register.

mod vault_support;

use std::path::Path;

use chrono::{Duration, SecondsFormat, Utc};
use vault_support::*;

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "habeas {args:?} failed: {err}");
    out
}

fn years_ahead(years: i64) -> String {
    (Utc::now() + Duration::days(365 * years)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `habeas audit checkpoints`: each line `N<TAB>time`.
fn checkpoints(dir: &Path) -> Vec<u64> {
    ok(dir, &["audit", "checkpoints"])
        .lines()
        .map(|l| {
            let (n, at) = l.split_once('\t').expect("N<TAB>time");
            assert!(
                (at.ends_with('Z') && at.len() == 20) || at.contains("entry dropped"),
                "{l}"
            );
            n.parse().expect("checkpoint number")
        })
        .collect()
}

#[test]
fn the_journal_is_kept_as_declared_and_an_incident_holds_it_back() {
    let dir = project();
    let d = dir.path();
    std::fs::write(
        d.join("people.jsonl"),
        r#"{"subject_ref":"c","category":"contact","source":"form","fields":{"email":"claire.fictive@example.org"}}"#,
    )
    .unwrap();
    ok(d, &["import", "people.jsonl", "--quiet"]);
    ok(
        d,
        &["token", "create", "--name", "crm", "--purposes", "PA-0001"],
    );

    // Not declared (the demo's `[audit]` taken out): refused, with what to write.
    let toml = d.join("habeas.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.split("[audit]").next().unwrap()).unwrap();
    let (code, _, err) = run(d, &["audit", "retention", "--now", &years_ahead(2)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("[audit] retention = \"12 months\""), "{err}");

    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str("\n[audit]\nretention = \"12 months\"\n");
    std::fs::write(&toml, text).unwrap();

    // Today: every entry is younger than a year.
    let out = ok(d, &["audit", "retention", "--dry-run"]);
    assert!(
        out.contains("nothing to drop") && out.contains("rien à supprimer"),
        "{out}"
    );

    // Two years on, a dry run says what would go and changes nothing.
    let before = checkpoints(d);
    assert!(!before.is_empty(), "each run ends with a signed checkpoint");
    let later = years_ahead(2);
    let out = ok(d, &["audit", "retention", "--dry-run", "--now", &later]);
    assert!(out.contains("would be dropped (dry run"), "{out}");
    assert!(
        out.contains("12 months (36 months for an incident)"),
        "{out}"
    );
    assert_eq!(checkpoints(d), before);

    // Applied: up to a signed checkpoint, and what remains still verifies.
    let out = ok(d, &["audit", "retention", "--now", &later]);
    let last = *checkpoints(d).last().unwrap();
    assert!(out.contains("entries through checkpoint #"), "{out}");
    assert!(out.contains(" dropped"), "{out}");
    let verified = ok(d, &["audit", "verify"]);
    assert!(verified.contains("journal intact"), "{verified}");
    let (code, json, _) = run(d, &["audit", "verify", "--json"]);
    assert_eq!(code, 0);
    let verdict = &json_value(&json)["Intact"];
    assert!(
        verdict["first"].as_u64().unwrap() > 1,
        "the oldest entries are gone: {verdict}"
    );
    assert!(verdict["last"].as_u64().unwrap() >= last);

    // A breach whose window began yesterday keeps the journal from then on,
    // for as long as it is open.
    let yesterday = (Utc::now() - Duration::days(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    ok(
        d,
        &[
            "breach",
            "open",
            "--aware",
            &Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            "--from",
            &yesterday,
            "--nature",
            "confidentiality",
            "--description-fr",
            "Accès non autorisé (fictif)",
            "--description-en",
            "Unauthorised access (fictitious)",
        ],
    );
    let held = checkpoints(d);
    let out = ok(d, &["audit", "retention", "--now", &years_ahead(5)]);
    assert!(out.contains("held back by breach B-"), "{out}");
    assert!(out.contains("nothing to drop"), "{out}");
    assert_eq!(checkpoints(d).first(), held.first(), "nothing dropped");
}

fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}
