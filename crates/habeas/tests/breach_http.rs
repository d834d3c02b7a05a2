//! `/api/breaches` through a real `habeas serve`: a token for the security
//! purpose opens a breach, counts its impact in the vault, changes it on a
//! known version (a stale version is refused and writes nothing), exports
//! the CNIL form; a token for another purpose is refused.

mod vault_support;

use vault_support::*;

const NEW_BREACH: &str = r#"{
  "detected_at": "2026-11-20T17:00:00Z",
  "aware_at": "2026-11-20T18:30:00Z",
  "natures": ["confidentiality"],
  "description": {"fr": "Partition de journaux copiée.", "en": "Log partition copied."},
  "services": ["web-hosting"],
  "data_categories": ["connection_logs"],
  "subject_categories": ["customers"],
  "window": {"start": "2026-11-10T00:00:00Z", "end": "2026-11-20T00:00:00Z"}
}"#;

#[test]
fn the_register_over_http_for_the_security_purpose_only() {
    let dir = project();
    let lines = [
        r#"{"subject_ref":"a","category":"connection_logs","fields":{"account_id":"x","ip":"192.0.2.1"},"collected_at":"2026-11-12T08:00:00Z"}"#,
        r#"{"subject_ref":"a","category":"connection_logs","fields":{"account_id":"x","ip":"192.0.2.1"},"collected_at":"2026-11-13T08:00:00Z"}"#,
        r#"{"subject_ref":"b","category":"connection_logs","fields":{"account_id":"y","ip":"192.0.2.2"},"collected_at":"2026-11-21T08:00:00Z"}"#,
    ];
    let file = dir.path().join("logs.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write");
    let (code, _, err) = run(
        dir.path(),
        &["import", file.to_str().expect("utf-8"), "--quiet"],
    );
    assert_eq!(code, 0, "{err}");
    let security = token(dir.path(), "soc", "PA-0004");
    let support = token(dir.path(), "desk", "PA-0006");
    let server = Server::start(dir.path());
    let addr = server.addr.clone();

    let (status, body) = post(&addr, "/api/breaches", &support, NEW_BREACH.as_bytes());
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("purpose_not_security"), "{body}");

    let (status, body) = post(&addr, "/api/breaches", &security, NEW_BREACH.as_bytes());
    assert_eq!(status, 201, "{body}");
    let opened = json(&body);
    let id = opened["breach"]["id"].as_str().expect("id").to_string();
    assert_eq!(opened["version"], 1);

    let (status, body) = post(&addr, &format!("/api/breaches/{id}/impact"), &security, b"");
    assert_eq!(status, 200, "{body}");
    let impact = json(&body);
    assert_eq!(impact["estimate"]["subjects"], 1, "{body}");
    assert_eq!(impact["estimate"]["records"], 2, "{body}");
    let version = impact["version"].as_u64().expect("version");

    let stale = br#"{"version": 1, "patch": {"systems": ["mx1"]}}"#;
    let (status, body) = http(
        &addr,
        "PATCH",
        &format!("/api/breaches/{id}"),
        Some(&security),
        None,
        Some(stale),
    );
    assert_eq!(status, 409, "{body}");
    let fresh = format!(r#"{{"version": {version}, "patch": {{"systems": ["mx1"]}}}}"#);
    let (status, body) = http(
        &addr,
        "PATCH",
        &format!("/api/breaches/{id}"),
        Some(&security),
        None,
        Some(fresh.as_bytes()),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["breach"]["systems"][0], "mx1");

    let (status, body) = http(
        &addr,
        "GET",
        &format!("/api/breaches/{id}/export?form=cnil&lang=fr"),
        Some(&security),
        None,
        None,
    );
    assert_eq!(status, 200, "{body}");
    let export = json(&body);
    assert_eq!(export["form"], "cnil");
    assert_eq!(export["breach"], id.as_str());

    let (status, body) = http(&addr, "GET", "/api/breaches", Some(&security), None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["breaches"][0]["id"], id.as_str());
    // The routes are described in the OpenAPI document.
    let (status, body) = http(&addr, "GET", "/api/openapi.json", None, None, None);
    assert_eq!(status, 200);
    assert!(
        body.contains("/api/breaches/{id}/export"),
        "openapi lists the breach routes"
    );
    server.stop();
}

/// Issue 9, items 1 and 2, through the API: opening a breach on categories
/// whose retention declares an incident period puts them on legal hold and
/// links the records of the window; closing it releases the holds; the
/// linked records then keep the incident period (Art. 33(5) documentation)
/// while the others go at the ordinary one (Art. 5(1)(e)).
#[test]
fn a_breach_opened_over_http_holds_then_links_the_window_records() {
    let dir = project();
    let d = dir.path();
    // Support tickets get an incident period for this test (the demo's
    // security logs have one, but they are partitioned, not marked).
    let cats = d.join("declarations").join("categories.toml");
    let text = std::fs::read_to_string(&cats).expect("read categories");
    let text = text.replacen(
        "retention = \"3 years after last interaction\"\nidentifiers = [\"ticket_id\"]",
        "retention = \"12 months after collection; 36 months if linked to an incident\"\nidentifiers = [\"ticket_id\"]",
        1,
    );
    assert!(text.contains("36 months if linked to an incident\"\nidentifiers = [\"ticket_id\"]"));
    std::fs::write(&cats, text).expect("write categories");
    let ticket = |subject: &str, n: u32, at: &str| {
        format!(
            r#"{{"subject_ref":"{subject}","category":"support","fields":{{"ticket_id":"T-{n}","subject":"Accès","body":"…","channel":"mail"}},"collected_at":"{at}"}}"#
        )
    };
    let lines = [
        ticket("a", 1, "2026-11-12T08:00:00Z"),
        ticket("b", 2, "2026-11-20T00:00:00Z"),
        ticket("c", 3, "2026-10-01T08:00:00Z"),
    ];
    std::fs::write(d.join("tickets.jsonl"), lines.join("\n") + "\n").expect("write");
    let (code, _, err) = run(d, &["import", "tickets.jsonl", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let security = token(d, "soc", "PA-0004");
    let server = Server::start(d);
    let addr = server.addr.clone();

    let new = r#"{
      "detected_at": "2026-11-20T17:00:00Z",
      "aware_at": "2026-11-20T18:30:00Z",
      "natures": ["confidentiality"],
      "description": {"fr": "Tickets et journaux consultés.", "en": "Tickets and logs read."},
      "data_categories": ["support", "security_logs", "contact"],
      "window": {"start": "2026-11-10T00:00:00Z", "end": "2026-11-20T00:00:00Z"}
    }"#;
    let (status, body) = post(&addr, "/api/breaches", &security, new.as_bytes());
    assert_eq!(status, 201, "{body}");
    let opened = json(&body);
    let id = opened["breach"]["id"].as_str().expect("id").to_string();
    let holds: Vec<&str> = opened["incident"]["holds"]
        .as_array()
        .expect("holds")
        .iter()
        .map(|h| h["category"].as_str().expect("category"))
        .collect();
    assert_eq!(holds, ["support", "security_logs"], "{body}");
    assert_eq!(
        opened["incident"]["linked"],
        serde_json::json!([{"category": "support", "linked": 2, "already": 0}]),
        "{body}"
    );

    // Changing the breach again links nothing twice and holds nothing twice.
    let patch = br#"{"version": 1, "patch": {"systems": ["helpdesk"]}}"#;
    let (status, body) = http(
        &addr,
        "PATCH",
        &format!("/api/breaches/{id}"),
        Some(&security),
        None,
        Some(patch),
    );
    assert_eq!(status, 200, "{body}");
    let changed = json(&body);
    assert_eq!(
        changed["incident"]["holds"],
        serde_json::json!([]),
        "{body}"
    );
    assert_eq!(changed["incident"]["linked"][0]["already"], 2, "{body}");
    let version = changed["version"].as_u64().expect("version");

    let decision = format!(
        r#"{{"version": {version}, "risk": "unlikely", "reasoning": "Tickets sans données sensibles, accès interne révoqué."}}"#
    );
    let (status, body) = post(
        &addr,
        &format!("/api/breaches/{id}/decision"),
        &security,
        decision.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let version = json(&body)["version"].as_u64().expect("version");
    let close = format!(r#"{{"version": {version}, "reason": "Enquête terminée."}}"#);
    let (status, body) = post(
        &addr,
        &format!("/api/breaches/{id}/close"),
        &security,
        close.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body)["released_holds"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );
    server.stop();

    let (code, out, err) = run(d, &["hold", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains(&id),
        "no active hold left for the breach: {out}"
    );
    // 2027-12-01: past the 12 months of every ticket, before the 36 months
    // of the two linked ones: only the ticket outside the window is due.
    let (code, out, err) = run(
        d,
        &[
            "purge",
            "--dry-run",
            "--json",
            "--days",
            "0",
            "--now",
            "2027-12-01T00:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let plan = json(&out);
    let support: Vec<&serde_json::Value> = plan["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .filter(|d| d["category"] == "support")
        .collect();
    assert_eq!(support.len(), 1, "{out}");
    assert!(
        support[0]["due"]
            .as_str()
            .expect("due")
            .starts_with("2027-10-01"),
        "{out}"
    );
}
