//! Privacy-notice versions over HTTP with a real SMTP server (Art. 12–14,
//! SPEC C8), and consent as the vault enforces it (Art. 6(1)(a), 7): the
//! DPO publishes versions, a substantial one is refused when announced too
//! late and mailed when in time; versions and their diff are public (API and
//! portal page); a consent recorded afterwards references the version in
//! force; a consent-based purpose is refused for a subject who never
//! consented, and allowed once consent is given.

mod vault_support;

use std::time::Duration;

use chrono::Utc;
use habeas_notify::testing::SmtpSink;
use serde_json::json as j;
use vault_support::*;

fn seed(dir: &std::path::Path) {
    let line = r#"{"subject_ref":"m","category":"contact","source":"form","fields":{"email":"marc.fictif@example.org"}}"#;
    std::fs::write(dir.join("marc.jsonl"), format!("{line}\n")).expect("write");
    let (code, _, err) = run(dir, &["import", "marc.jsonl", "--quiet"]);
    assert_eq!(code, 0, "{err}");
}

fn get(addr: &str, path: &str) -> (u16, String) {
    http(addr, "GET", path, None, None, None)
}

#[test]
fn notices_over_http_announced_by_smtp_and_consent_enforced_by_the_vault() {
    let sink = SmtpSink::start().expect("smtp sink");
    let dir = project();
    let d = dir.path();
    let mut toml = std::fs::read_to_string(d.join("habeas.toml")).expect("toml");
    toml.push_str(&format!(
        "\n[mail]\nurl = \"{}\"\nfrom = \"Hébergix <donnees@hebergix.example>\"\ninsecure_plaintext = true\ntimeout_secs = 5\n",
        sink.url()
    ));
    std::fs::write(d.join("habeas.toml"), toml).expect("write toml");
    seed(d);
    let dpo = token(d, "dpo", "PA-0003");
    let crm = token(d, "crm", "PA-0001");
    let support = token(d, "helpdesk", "PA-0006");
    let mailer = token(d, "newsletter", "PA-0008");
    let server = Server::start(d);
    let addr = server.addr.clone();

    let (status, body) = get(&addr, "/api/notices");
    assert_eq!((status, j!([])), (200, json(&body)));

    // Only the DPO's purpose may publish.
    let v1 = j!({"version": "2026-v1", "text": "Responsable : Hébergix\nFinalités : service\n",
                 "effective_at": (Utc::now() + chrono::Duration::seconds(1)).to_rfc3339()});
    let (status, body) = post(&addr, "/api/notices", &crm, v1.to_string().as_bytes());
    assert_eq!(status, 403, "{body}");
    assert_eq!(json(&body)["error"]["code"], "purpose_not_dpo");
    let (status, body) = post(&addr, "/api/notices", &dpo, v1.to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    assert!(
        json(&body)["announcement"].is_null(),
        "a minor version is not announced"
    );

    // Substantial, only 10 days ahead: refused precisely, nothing stored or sent.
    let v2 = |days: i64| {
        j!({"version": "2026-v2", "text": "Responsable : Hébergix\nFinalités : service, prospection\n",
            "effective_at": (Utc::now() + chrono::Duration::days(days)).to_rfc3339(),
            "substantial": true})
    };
    let (status, body) = post(&addr, "/api/notices", &dpo, v2(10).to_string().as_bytes());
    assert_eq!(status, 422, "{body}");
    let msg = json(&body)["error"]["message_en"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        msg.contains("must be announced 30 days before it applies"),
        "{msg}"
    );
    assert_eq!(
        json(&get(&addr, "/api/notices").1)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(sink.received().is_empty());

    // In time: stored, and the announcement reaches Marc over SMTP.
    let (status, body) = post(&addr, "/api/notices", &dpo, v2(40).to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    let published = json(&body);
    assert_eq!(published["announcement"]["sent"], 1, "{published}");
    assert_eq!(published["version"]["status"], "upcoming");
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(got[0].rcpt_to, ["marc.fictif@example.org"]);
    let parsed = got[0].parsed().expect("mail");
    let text = parsed.body_text(0).expect("text").into_owned();
    assert!(
        text.contains("2026-v2") && text.contains("Nous modifions"),
        "{text}"
    );

    // Every version readable with its diff; unknown ones are 404.
    let (status, body) = get(&addr, "/api/notices/2026-v2");
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["diff"]["from"], "2026-v1");
    assert!(
        v["diff"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["change"] == "added" && l["text"] == "Finalités : service, prospection")
    );
    assert_eq!(v["announcement"]["sent"], 1);
    assert_eq!(get(&addr, "/api/notices/nope").0, 404);
    let (status, page) = get(&addr, "/portail/politique");
    assert_eq!(status, 200);
    assert!(page.contains("Version 2026-v2") && page.contains("Finalités : service, prospection"));
    assert!(
        get(&addr, "/api/openapi.json")
            .1
            .contains("/api/notices/{version}")
    );

    // Consent: never given → the newsletter purpose is refused (Art. 6(1)(a)).
    std::thread::sleep(Duration::from_millis(1100));
    let (_, body) = post(
        &addr,
        "/api/subjects/find",
        &crm,
        br#"{"kind":"email","value":"marc.fictif@example.org"}"#,
    );
    let marc = json(&body)["subjects"][0]
        .as_str()
        .expect("marc")
        .to_string();
    let record = br#"{"category":"marketing","fields":{"email":"marc.fictif@example.org"}}"#;
    let path = format!("/api/subjects/{marc}/records");
    let (status, body) = post(&addr, &path, &mailer, record);
    assert_eq!(status, 403, "{body}");
    assert_eq!(json(&body)["error"]["code"], "limited_by_subject");
    assert!(body.contains("6(1)(a)"), "{body}");

    // Given now: the proof references the version in force, and the write goes through.
    let (status, body) = post(
        &addr,
        &format!("/api/subjects/{marc}/consents"),
        &support,
        br#"{"action":"give","purpose":"newsletter","channel":"web_form"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (_, proof) = http(
        &addr,
        "GET",
        &format!("/api/subjects/{marc}/consents/proof"),
        Some(&support),
        None,
        None,
    );
    assert!(proof.contains("\"2026-v1\""), "{proof}");
    let sha = json(&get(&addr, "/api/notices/2026-v1").1)["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(proof.contains(&sha), "the proof holds the text's digest");
    let (status, body) = post(&addr, &path, &mailer, record);
    assert!(status == 200 || status == 201, "{status} {body}");
    server.stop();
}
