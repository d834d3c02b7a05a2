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
