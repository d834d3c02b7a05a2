//! The rights API through the real server, mailing through a real SMTP
//! server (`habeas_notify::testing::SmtpSink`) named in `habeas.toml`'s
//! `[mail]`: a portability request is received and acknowledged by mail,
//! the code from the mail verifies it, the export holds only what the
//! subject provided; consent events and their proof; tokens without a
//! rights purpose, unverified exports and bad input are refused precisely.

mod vault_support;

use std::time::Duration;

use habeas_notify::testing::SmtpSink;
use vault_support::*;

fn seed(dir: &std::path::Path) {
    let lines = [
        r#"{"subject_ref":"m","category":"contact","source":"form","fields":{"email":"marc.fictif@example.org","country":"BE"}}"#,
        r#"{"subject_ref":"m","category":"support","source":"staff","fields":{"ticket_id":"T-9","subject":"Appel reçu"}}"#,
        r#"{"subject_ref":"m","category":"billing","source":"billing","fields":{"invoice_number":"F-2026-0777"}}"#,
    ];
    std::fs::write(dir.join("marc.jsonl"), lines.join("\n") + "\n").expect("write");
    let (code, _, err) = run(dir, &["import", "marc.jsonl", "--quiet"]);
    assert_eq!(code, 0, "{err}");
}

fn body_text(mail: &habeas_notify::testing::ReceivedMail) -> String {
    let parsed = mail.parsed().expect("a parsable message");
    parsed.body_text(0).expect("a text part").into_owned()
}

#[test]
fn portability_request_over_http_with_mail_through_smtp() {
    let sink = SmtpSink::start().expect("smtp sink");
    let dir = project();
    let d = dir.path();
    let mut toml = std::fs::read_to_string(d.join("habeas.toml")).expect("toml");
    toml.push_str(&format!(
        "\n[mail]\nurl = \"{}\"\nfrom = \"Hébergix — Vos données <donnees@hebergix.example>\"\ninsecure_plaintext = true\ntimeout_secs = 5\n",
        sink.url()
    ));
    std::fs::write(d.join("habeas.toml"), toml).expect("write toml");
    seed(d);
    let support = token(d, "helpdesk", "PA-0006");
    let crm = token(d, "crm", "PA-0001");
    let server = Server::start(d);
    let addr = server.addr.clone();

    // A token for account management may not handle rights requests.
    let (status, body) = post(
        &addr,
        "/api/requests",
        &crm,
        br#"{"kind":"portability","email":"marc.fictif@example.org"}"#,
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(json(&body)["error"]["code"], "purpose_not_rights");

    // Bad input: a precise error, nothing stored, no mail.
    let (status, body) = post(
        &addr,
        "/api/requests",
        &support,
        br#"{"kind":"teleport","email":"marc.fictif@example.org"}"#,
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        json(&body)["error"]["message_en"]
            .as_str()
            .unwrap_or("")
            .contains("teleport")
    );
    let (status, body) = post(
        &addr,
        "/api/requests",
        &support,
        br#"{"kind":"access","emial":"x"}"#,
    );
    assert_eq!(status, 400, "{body}");
    let (_, body) = http(&addr, "GET", "/api/requests", Some(&support), None, None);
    assert_eq!(json(&body), serde_json::json!([]), "nothing stored");
    assert!(sink.received().is_empty());

    // Receipt: the acknowledgment arrives over SMTP.
    let (status, body) = post(
        &addr,
        "/api/requests",
        &support,
        br#"{"kind":"portability","email":"marc.fictif@example.org"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let created = json(&body);
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["stage"], "acknowledged");
    assert!(created["statutory_deadline"]["legal"].is_string());
    assert!(
        created["promised_due"].is_string(),
        "portability is promised immediately"
    );
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_to, ["marc.fictif@example.org"]);
    assert!(
        body_text(&got[0]).contains(&id),
        "the acknowledgment names the request"
    );

    // Nothing disclosed before verification.
    let path = format!("/api/requests/{id}/export");
    let (status, body) = http(&addr, "GET", &path, Some(&support), None, None);
    assert_eq!(status, 403, "{body}");
    assert_eq!(json(&body)["error"]["code"], "identity_not_verified");

    // The code travels by mail; a wrong one is refused.
    let (status, body) = post(&addr, &format!("/api/requests/{id}/code"), &support, b"");
    assert_eq!(status, 202, "{body}");
    let got = sink.wait_for(2, Duration::from_secs(10));
    let text = body_text(&got[1]);
    let code = text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 8 && l.chars().all(|c| c.is_ascii_digit()))
        .expect("code in mail")
        .to_string();
    let (status, _) = post(
        &addr,
        &format!("/api/requests/{id}/verify"),
        &support,
        br#"{"code":"00000000"}"#,
    );
    assert_eq!(status, 422);
    let (status, body) = post(
        &addr,
        &format!("/api/requests/{id}/verify"),
        &support,
        format!(r#"{{"code":"{code}"}}"#).as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["stage"], "identity_verified");

    // Art. 20: what Marc typed, not what staff entered or we computed.
    let (status, body) = http(&addr, "GET", &path, Some(&support), None, None);
    assert_eq!(status, 200, "{body}");
    let export = json(&body);
    assert_eq!(export["schema"], "habeas.portability-export/1");
    assert!(body.contains("marc.fictif@example.org"));
    assert!(
        !body.contains("Appel reçu"),
        "staff-entered data is not portable"
    );
    assert!(
        !body.contains("F-2026-0777"),
        "invoices are not provided by the subject"
    );
    let (status, _) = http(
        &addr,
        "GET",
        &format!("{path}?format=html"),
        Some(&support),
        None,
        None,
    );
    assert_eq!(status, 422, "portability has no HTML answer");
    let (status, body) = http(
        &addr,
        "GET",
        &format!("{path}?format=csv"),
        Some(&support),
        None,
        None,
    );
    assert_eq!(status, 200);
    assert!(body.starts_with("PK"), "a zip");

    // Workflow steps: refuse needs a reason.
    let steps = format!("/api/requests/{id}/transitions");
    let (status, body) = post(&addr, &steps, &support, br#"{"action":"refuse"}"#);
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("reason"));
    let (status, _) = post(&addr, &steps, &support, br#"{"action":"start"}"#);
    assert_eq!(status, 200);
    let (status, body) = post(&addr, &steps, &support, br#"{"action":"done"}"#);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["stage"], "done");
    assert_eq!(json(&body)["subject_notified"], true);
    let got = sink.wait_for(3, Duration::from_secs(10));
    assert_eq!(got.len(), 3, "acknowledgment, code, answer");
    assert_eq!(got[2].rcpt_to, ["marc.fictif@example.org"]);
    assert!(body_text(&got[2]).contains(&id));

    // Consent ledger and its proof.
    let subject = created["subject"].as_str().expect("subject").to_string();
    let consents = format!("/api/subjects/{subject}/consents");
    let (status, body) = post(
        &addr,
        &consents,
        &support,
        br#"{"action":"give","purpose":"newsletter","channel":"web_form"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["newsletter"]["state"], "given");
    let (status, body) = post(
        &addr,
        &consents,
        &support,
        br#"{"action":"withdraw","purpose":"newsletter","channel":"email"}"#,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["newsletter"]["state"], "withdrawn");
    let (status, body) = post(
        &addr,
        &consents,
        &support,
        br#"{"action":"give","purpose":"horoscope","channel":"web_form"}"#,
    );
    assert_eq!(status, 422, "{body}");
    let (status, body) = http(
        &addr,
        "GET",
        &format!("{consents}/proof"),
        Some(&support),
        None,
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["schema"], "habeas.consent-proof/1");
    // A subject the vault does not know gets no consent ledger.
    let (status, body) = post(
        &addr,
        "/api/subjects/sub_nobody/consents",
        &support,
        br#"{"action":"give","purpose":"newsletter","channel":"web_form"}"#,
    );
    assert_eq!(status, 404, "{body}");
    assert_eq!(json(&body)["error"]["code"], "unknown_subject");
    let (status, body) = http(
        &addr,
        "GET",
        "/api/subjects/sub_nobody/consents/proof",
        Some(&support),
        None,
        None,
    );
    assert_eq!(status, 404, "{body}");

    // An id no document can have (non-ASCII, from the URL) is refused as
    // such, not answered as a server error, and not repeated back; a
    // subject id no subject can have is an unknown subject.
    for (path, status_wanted, code) in [
        ("/api/requests/%C3%AC/export", 422, "invalid_id"),
        ("/api/requests/%C2%92", 422, "invalid_id"),
        (
            "/api/subjects/caf%C3%A9/consents/proof",
            404,
            "unknown_subject",
        ),
    ] {
        let (status, body) = http(&addr, "GET", path, Some(&support), None, None);
        assert_eq!(status, status_wanted, "{path}: {body}");
        assert_eq!(json(&body)["error"]["code"], code, "{path}");
        assert!(!body.contains("caf"), "{body}");
    }
    let (status, body) = post(
        &addr,
        "/api/requests/%C2%A0%C2%99/verify",
        &support,
        br#"{"code":"12"}"#,
    );
    assert_eq!(status, 422, "{body}");

    // The OpenAPI document lists the rights routes.
    let (_, body) = http(&addr, "GET", "/api/openapi.json", None, None, None);
    assert!(body.contains("/api/requests/{id}/export"));
    server.stop();
}

#[test]
fn rectification_over_http_applies_a_new_address_only_with_its_code() {
    let sink = SmtpSink::start().expect("smtp sink");
    let dir = project();
    let d = dir.path();
    let mut toml = std::fs::read_to_string(d.join("habeas.toml")).expect("toml");
    toml.push_str(&format!(
        "\n[mail]\nurl = \"{}\"\nfrom = \"donnees@hebergix.example\"\ninsecure_plaintext = true\ntimeout_secs = 5\n",
        sink.url()
    ));
    std::fs::write(d.join("habeas.toml"), toml).expect("write toml");
    seed(d);
    let support = token(d, "helpdesk", "PA-0006");
    let server = Server::start(d);
    let addr = server.addr.clone();
    let (status, body) = post(
        &addr,
        "/api/requests",
        &support,
        br#"{"kind":"rectification","email":"marc.fictif@example.org"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let id = json(&body)["id"].as_str().expect("id").to_string();
    let (status, _) = post(
        &addr,
        &format!("/api/requests/{id}/proof"),
        &support,
        br#"{"method":"session","by":"agent-3"}"#,
    );
    assert_eq!(status, 200);
    // The record id, as the subject's records show it.
    let subject = json(&body)["subject"]
        .as_str()
        .expect("subject")
        .to_string();
    let (_, records) = http(
        &addr,
        "GET",
        &format!("/api/subjects/{subject}/records?category=contact"),
        Some(&support),
        None,
        None,
    );
    let record = json(&records)["records"][0]["id"]
        .as_str()
        .expect("record")
        .to_string();

    let path = format!("/api/requests/{id}/rectification");
    let ask = format!(
        r#"{{"category":"contact","record":"{record}","set":{{"email":"marc.nouveau@example.org"}}}}"#
    );
    let (status, body) = post(&addr, &path, &support, ask.as_bytes());
    assert_eq!(status, 202, "{body}");
    assert_eq!(json(&body)["pending"], serde_json::json!(["email"]));
    let got = sink.wait_for(2, Duration::from_secs(10));
    assert_eq!(
        got[1].rcpt_to,
        ["marc.nouveau@example.org"],
        "the code goes to the new address"
    );
    let code = body_text(&got[1])
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 8 && l.chars().all(|c| c.is_ascii_digit()))
        .expect("code")
        .to_string();
    let wrong = format!(
        r#"{{"category":"contact","record":"{record}","set":{{"email":"marc.nouveau@example.org"}},"code":"00000000"}}"#
    );
    let (status, _) = post(&addr, &path, &support, wrong.as_bytes());
    assert_eq!(status, 422);
    let right = format!(
        r#"{{"category":"contact","record":"{record}","set":{{"email":"marc.nouveau@example.org"}},"code":"{code}"}}"#
    );
    let (status, body) = post(&addr, &path, &support, right.as_bytes());
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["applied"], 1);
    // The blind index followed the new address.
    let (status, body) = http(
        &addr,
        "POST",
        "/api/subjects/find",
        Some(&support),
        None,
        Some(br#"{"kind":"email","value":"marc.nouveau@example.org"}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&subject), "{body}");
    server.stop();
}
