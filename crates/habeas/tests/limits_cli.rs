//! A subject's restriction and objection recorded with `habeas limits`,
//! enforced by the API: the application working for the limited purpose gets
//! 403 with the reason while another purpose still reads; lifting restores it,
//! after the subject is told by mail (Art. 18(3)).

mod vault_support;

use vault_support::{Server, http, json, post, project, run, token};

#[test]
fn a_restriction_recorded_on_the_cli_is_enforced_by_the_api_until_lifted() {
    let dir = project();
    let d = dir.path();
    let crm = token(d, "crm", "PA-0001");
    let support = token(d, "support", "PA-0006");
    let server = Server::start(d);
    let (status, body) = post(&server.addr, "/api/subjects", &crm, b"{}");
    assert_eq!(status, 201, "{body}");
    let subject = json(&body)["subject"].as_str().expect("id").to_string();
    let records = format!("/api/subjects/{subject}/records");
    let (status, body) = post(
        &server.addr,
        &records,
        &crm,
        br#"{"category": "contact", "fields": {"email": "limite@example.org"}}"#,
    );
    assert_eq!(status, 201, "{body}");
    server.stop();

    let (code, out, err) = run(d, &["limits", "restrict", &subject, "--purpose", "PA-0001"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("PA-0001"), "{out}");
    let (code, _, err) = run(d, &["limits", "restrict", &subject, "--purpose", "PA-9999"]);
    assert_ne!(code, 0);
    assert!(err.contains("PA-9999"), "{err}");
    // Art. 21: billing is a legal obligation (PA-0002), not open to
    // objection; audience measurement on legitimate interests (PA-0005) is.
    let (code, _, err) = run(d, &["limits", "object", &subject, "--purpose", "PA-0002"]);
    assert_eq!(code, 2, "bad input: {err}");
    assert!(
        err.contains("not open to objection") && err.contains("Art. 21"),
        "{err}"
    );
    let (code, out, err) = run(d, &["limits", "object", &subject, "--purpose", "PA-0005"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("PA-0005"), "{out}");
    let (code, out, err) = run(d, &["limits", "show", &subject]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("PA-0001"), "{out}");
    // A mistyped id is refused, not shown as a subject without limits.
    let (code, out, err) = run(d, &["limits", "show", "sub_000000000000ffffffffffff"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("unknown data subject"), "{err}");

    let server = Server::start(d);
    let (status, body) = http(&server.addr, "GET", &records, Some(&crm), None, None);
    assert_eq!(status, 403, "{body}");
    assert_eq!(json(&body)["error"]["code"], "limited_by_subject");
    assert!(body.contains("18"), "the reason cites Art. 18: {body}");
    let (status, body) = http(&server.addr, "GET", &records, Some(&support), None, None);
    assert_eq!(
        status, 200,
        "storage continues, support still reads: {body}"
    );
    server.stop();

    let (code, _, err) = run(d, &["limits", "lift", &subject, "--purpose", "PA-0001"]);
    assert_eq!(code, 0, "{err}");
    // Art. 18(3): the subject was told, at the address on file, before the lift.
    let outbox = d.join("data").join("outbox");
    let told: Vec<String> = std::fs::read_dir(&outbox)
        .expect("outbox")
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).expect("mail"))
        .filter(|m| m.contains("limite@example.org"))
        .collect();
    assert_eq!(told.len(), 1, "one mail to the subject");
    let mail = told[0].replace("=\r\n", "").replace("=\n", "");
    assert!(mail.contains("PA-0001") && mail.contains("18(3)"), "{mail}");
    let server = Server::start(d);
    let (status, body) = http(&server.addr, "GET", &records, Some(&crm), None, None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("limite@example.org"));
    server.stop();
}

/// A subject holding a contact with `email`, and a verified, started
/// request of `kind` from that address: (project, subject, request id, the
/// CRM's token).
fn started_request(kind: &str, email: &str) -> (tempfile::TempDir, String, String, String) {
    let dir = project();
    let d = dir.path();
    let crm = token(d, "crm", "PA-0001");
    let server = Server::start(d);
    let (_, body) = post(&server.addr, "/api/subjects", &crm, b"{}");
    let subject = json(&body)["subject"].as_str().expect("id").to_string();
    let contact = format!(r#"{{"category": "contact", "fields": {{"email": "{email}"}}}}"#);
    let (status, body) = post(
        &server.addr,
        &format!("/api/subjects/{subject}/records"),
        &crm,
        contact.as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    server.stop();
    let out = ok(
        d,
        &[
            "requests",
            "new",
            "--kind",
            kind,
            "--email",
            email,
            "--no-mail",
        ],
    );
    let id = out.lines().next().expect("id").trim().to_string();
    ok(
        d,
        &[
            "requests", "proof", &id, "--method", "session", "--by", "agent-7",
        ],
    );
    ok(d, &["requests", "start", &id]);
    (dir, subject, id, crm)
}

fn ok(d: &std::path::Path, args: &[&str]) -> String {
    let (code, out, err) = run(d, args);
    assert_eq!(code, 0, "habeas {args:?}: {err}");
    out
}

#[test]
fn a_restriction_request_is_carried_out_by_the_vault_when_done() {
    let (dir, subject, id, crm) = started_request("restriction", "demande@example.org");
    let d = dir.path();
    let records = format!("/api/subjects/{subject}/records");
    // Done needs the purposes concerned; an undeclared one changes nothing.
    let (code, _, err) = run(d, &["requests", "done", &id]);
    assert_ne!(code, 0);
    assert!(err.contains("--purposes"), "{err}");
    let (code, _, err) = run(d, &["requests", "done", &id, "--purposes", "PA-9999"]);
    assert_ne!(code, 0, "{err}");
    ok(d, &["requests", "done", &id, "--purposes", "PA-0001"]);

    let server = Server::start(d);
    let (status, body) = http(&server.addr, "GET", &records, Some(&crm), None, None);
    assert_eq!(status, 403, "{body}");
    assert_eq!(json(&body)["error"]["code"], "limited_by_subject");
    server.stop();
}

/// An objection request names the purposes objected to; one that is not
/// open to objection (Art. 21) is refused before anything is recorded,
/// even beside one that is.
#[test]
fn an_objection_request_is_refused_for_a_purpose_not_open_to_objection() {
    let (dir, subject, id, _) = started_request("objection", "opposition@example.org");
    let d = dir.path();
    let (code, _, err) = run(
        d,
        &["requests", "done", &id, "--purposes", "PA-0005,PA-0001"],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("PA-0001") && err.contains("not open to objection"),
        "{err}"
    );
    let limits = ok(d, &["limits", "show", &subject]);
    assert!(!limits.contains("PA-0005"), "nothing recorded: {limits}");
    ok(d, &["requests", "done", &id, "--purposes", "PA-0005"]);
    assert!(ok(d, &["limits", "show", &subject]).contains("PA-0005"));
}
