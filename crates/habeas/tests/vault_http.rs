//! The vault through its HTTP API, as an application would use it: write,
//! read, find; wrong-purpose refusals; bad input that writes nothing; and
//! the raw-file scan proving no value written is stored in plaintext.

mod vault_support;

use vault_support::*;

const CONTACT: &str = r#"{"category":"contact","fields":{"email":"Zoe.Fictive@Example.org","phone":"01 99 00 12 34","postal_address":"12 rue Imaginaire, 75000 Paris","country":"fr","language":"fr-FR"},"source":"web_form"}"#;

#[test]
fn write_read_and_find_a_subject_by_email_and_phone() {
    let dir = project();
    let token = token(dir.path(), "crm", "PA-0001");
    let server = Server::start(dir.path());
    let a = &server.addr;
    // The server holds keys and decrypted records: a crash writes no core file.
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id()))
        .expect("the server's limits");
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("core size line");
    assert_eq!(
        core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(),
        ["0", "0"],
        "{core}"
    );
    let subject = new_subject(a, &token);

    let path = format!("/api/subjects/{subject}/records");
    let (status, body) = post(a, &path, &token, CONTACT.as_bytes());
    assert_eq!(status, 201, "{body}");
    let identity = r#"{"category":"identity","fields":{"account_id":"C-000123","last_name":"Fictif"},"events":{"contract_end":"2026-01-31T00:00:00Z"}}"#;
    let (status, body) = post(a, &path, &token, identity.as_bytes());
    assert_eq!(status, 201, "{body}");
    // "5 years after contract end": the due date is computed at write.
    assert_eq!(json(&body)["due_at"], "2031-01-31T00:00:00Z", "{body}");

    let (status, body) = http(a, "GET", &path, Some(&token), None, None);
    assert_eq!(status, 200, "{body}");
    let view = json(&body);
    let records = view["records"].as_array().expect("records");
    assert_eq!(records.len(), 2);
    let contact = records
        .iter()
        .find(|r| r["category"] == "contact")
        .expect("contact");
    // Normalised at write: e-mail lower-cased, phone in E.164, country upper-cased.
    assert_eq!(contact["fields"]["email"], "zoe.fictive@example.org");
    assert_eq!(contact["fields"]["phone"], "+33199001234");
    assert_eq!(contact["fields"]["country"], "FR");
    assert_eq!(contact["source"], "web_form");

    for (kind, value) in [
        ("email", "ZOE.FICTIVE@example.org"),
        ("phone", "+33 1 99 00 12 34"),
        ("account_id", "C-000123"),
    ] {
        let q = format!(r#"{{"kind":"{kind}","value":"{value}"}}"#);
        let (status, body) = post(a, "/api/subjects/find", &token, q.as_bytes());
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            json(&body)["subjects"],
            serde_json::json!([subject]),
            "find by {kind}"
        );
    }
    let q = r#"{"kind":"email","value":"nobody@example.org"}"#;
    let (_, body) = post(a, "/api/subjects/find", &token, q.as_bytes());
    assert_eq!(json(&body)["subjects"], serde_json::json!([]));

    // Bulk JSON Lines: a new subject by reference, and the existing one; the body starts
    // with a UTF-8 byte-order mark, as a file saved by a Windows editor does.
    let bulk = format!(
        "\u{feff}{{\"subject_ref\":\"new-1\",\"category\":\"contact\",\"fields\":{{\"email\":\"bulk.one@example.org\"}}}}\n\
         {{\"subject_ref\":\"new-1\",\"category\":\"identity\",\"fields\":{{\"last_name\":\"Fictif-Bulk\"}}}}\n\
         {{\"subject\":\"{subject}\",\"category\":\"contact\",\"fields\":{{\"language\":\"en\"}}}}\n"
    );
    let (status, body) = post(a, "/api/records/bulk", &token, bulk.as_bytes());
    assert_eq!(status, 201, "{body}");
    let receipt = json(&body);
    assert_eq!(receipt["written"], 3);
    let first = receipt["created_subjects"]["new-1"]
        .as_str()
        .expect("created")
        .to_string();
    assert!(first.starts_with("sub_"), "{first}");
    assert_eq!(receipt["matched_subjects"], 0);

    // The same body again, matching existing subjects: `new-1` is found by
    // its address and added to, nobody is created.
    let again = "/api/records/bulk?match_existing=true";
    let (status, body) = post(a, again, &token, bulk.as_bytes());
    assert_eq!(status, 201, "{body}");
    let receipt = json(&body);
    assert_eq!(receipt["written"], 3);
    assert_eq!(receipt["matched_subjects"], 1);
    assert_eq!(receipt["created_subjects"], serde_json::json!({}));
    let q = r#"{"kind":"email","value":"bulk.one@example.org"}"#;
    let (_, body) = post(a, "/api/subjects/find", &token, q.as_bytes());
    assert_eq!(json(&body)["subjects"], serde_json::json!([first]));
    // Without matching, a second person; then matching is ambiguous: 422,
    // the line named, nothing written.
    let (status, _) = post(a, "/api/records/bulk", &token, bulk.as_bytes());
    assert_eq!(status, 201);
    let (status, body) = post(a, again, &token, bulk.as_bytes());
    assert_eq!(status, 422, "{body}");
    assert_eq!(json(&body)["error"]["code"], "ambiguous_match");
    assert_eq!(json(&body)["error"]["line"], 1);
    assert!(
        !body.contains("bulk.one") && !body.contains("new-1"),
        "{body}"
    );
    let bad = "/api/records/bulk?match_existing=yes";
    let (status, body) = post(a, bad, &token, bulk.as_bytes());
    assert_eq!(status, 400, "{body}");
    assert_eq!(json(&body)["error"]["code"], "bad_parameter");

    for (route, needle) in [
        ("/healthz", "ok"),
        ("/metrics", "habeas_vault_records 11"),
        ("/api/openapi.json", "/api/subjects/find"),
    ] {
        let (status, body) = http(a, "GET", route, None, None, None);
        assert_eq!(status, 200, "{route}");
        assert!(body.contains(needle), "{route}: {body}");
    }
    server.stop();
    let (code, out, _) = run(dir.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_token_used_outside_its_purposes_is_refused_with_403_and_journaled() {
    let dir = project();
    let crm = token(dir.path(), "crm", "PA-0001");
    let logs = token(dir.path(), "logs", "PA-0003");
    let server = Server::start(dir.path());
    let a = &server.addr;
    let subject = new_subject(a, &crm);
    let path = format!("/api/subjects/{subject}/records");
    assert_eq!(post(a, &path, &crm, CONTACT.as_bytes()).0, 201);

    // The connection-logs application may not read contact details.
    let (status, body) = http(
        a,
        "GET",
        &format!("{path}?category=contact"),
        Some(&logs),
        None,
        None,
    );
    assert_eq!(status, 403, "{body}");
    let err = json(&body);
    assert_eq!(err["error"]["code"], "category_not_in_purpose");
    assert!(
        err["error"]["message_en"]
            .as_str()
            .is_some_and(|m| m.contains("PA-0003"))
    );
    // Nor write them, nor claim a purpose it was not given.
    let (status, _) = post(a, &path, &logs, CONTACT.as_bytes());
    assert_eq!(status, 403);
    let (status, body) = http(a, "GET", &path, Some(&logs), Some("PA-0001"), None);
    assert_eq!(status, 403);
    assert_eq!(json(&body)["error"]["code"], "purpose_not_allowed");
    // No token, or a forged one: 401.
    assert_eq!(http(a, "GET", &path, None, None, None).0, 401);
    let last = if crm.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &crm[..crm.len() - 1]);
    assert_eq!(http(a, "GET", &path, Some(&forged), None, None).0, 401);
    // Revoked: 401 at once, across processes.
    let id = &logs[4..20];
    assert_eq!(run(dir.path(), &["token", "revoke", id]).0, 0);
    assert_eq!(http(a, "GET", &path, Some(&logs), None, None).0, 401);
    server.stop();

    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM journal WHERE action = 'refused'"
        ),
        3
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM journal WHERE action = 'refused' AND details = 'read denied: category_not_in_purpose' AND category = 'contact' AND actor LIKE 'token:%:logs'"
        ),
        1
    );
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM records"), 1);
}

#[test]
fn bad_input_gets_a_precise_error_and_writes_nothing() {
    let dir = project();
    let token = token(dir.path(), "crm", "PA-0001");
    let server = Server::start(dir.path());
    let a = &server.addr;
    let subject = new_subject(a, &token);
    let path = format!("/api/subjects/{subject}/records");
    let before = count(dir.path(), "SELECT COUNT(*) FROM records");
    let blob = format!(
        r#"{{"category":"contact","fields":{{"postal_address":"{}"}}}}"#,
        "x".repeat(300 * 1024)
    );
    // (what, body, status, error code, field named)
    type Case<'a> = (&'a str, Vec<u8>, u16, &'a str, Option<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        (
            "unknown category",
            br#"{"category":"pets","fields":{"name":"Rex"}}"#.to_vec(),
            422,
            "unknown_category",
            None,
        ),
        (
            "extra field",
            br#"{"category":"contact","fields":{"email":"a@example.org","shoe_size":42}}"#.to_vec(),
            422,
            "unknown_field",
            Some("shoe_size"),
        ),
        (
            "wrong type",
            br#"{"category":"contact","fields":{"email":12}}"#.to_vec(),
            422,
            "wrong_type",
            Some("email"),
        ),
        (
            "bad phone",
            br#"{"category":"contact","fields":{"phone":"12"}}"#.to_vec(),
            422,
            "wrong_type",
            Some("phone"),
        ),
        (
            "invalid JSON",
            br#"{"category":"contact","fields":{"#.to_vec(),
            400,
            "invalid_json",
            None,
        ),
        (
            "unknown key",
            br#"{"category":"contact","fields":{},"colour":"Turquoise-Zz9"}"#.to_vec(),
            400,
            "invalid_json",
            None,
        ),
        (
            "oversized body",
            blob.into_bytes(),
            413,
            "body_too_large",
            None,
        ),
    ];
    for (what, body, status, code, field) in cases {
        let (got, answer) = post(a, &path, &token, &body);
        assert_eq!(got, status, "{what}: {answer}");
        let err = json(&answer);
        assert_eq!(err["error"]["code"], code, "{what}: {answer}");
        if let Some(f) = field {
            assert_eq!(err["error"]["field"], f, "{what}");
            assert_eq!(err["error"]["category"], "contact", "{what}");
            assert!(
                err["error"]["message_fr"]
                    .as_str()
                    .is_some_and(|m| m.contains(f)),
                "{what}"
            );
        }
        // Values never come back in errors.
        assert!(
            !answer.contains("Rex") && !answer.contains("Turquoise-Zz9"),
            "{what} echoes a value: {answer}"
        );
    }
    // A bulk body with one bad line writes none of its lines.
    let bulk = format!(
        "{{\"subject\":\"{subject}\",\"category\":\"contact\",\"fields\":{{\"email\":\"ok@example.org\"}}}}\n\
         {{\"subject\":\"{subject}\",\"category\":\"contact\",\"fields\":{{\"fax\":\"0100000000\"}}}}\n"
    );
    let (status, body) = post(a, "/api/records/bulk", &token, bulk.as_bytes());
    assert_eq!(status, 422, "{body}");
    assert_eq!(json(&body)["error"]["line"], 2);
    let (status, _) = post(
        a,
        "/api/subjects/sub_000000000000000000000000/records",
        &token,
        CONTACT.as_bytes(),
    );
    assert_eq!(status, 404);
    server.stop();
    assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM records"), before);
    assert_eq!(
        count(
            dir.path(),
            "SELECT (SELECT COUNT(*) FROM blind_index) + (SELECT COUNT(*) FROM blind_recent) \
             + (SELECT COUNT(*) FROM blind_by_subject)"
        ),
        0
    );
}

#[test]
fn no_value_written_appears_in_plaintext_in_any_database_file() {
    let dir = project();
    let token = token(dir.path(), "crm", "PA-0001,PA-0006,PA-0003");
    let server = Server::start(dir.path());
    let a = &server.addr;
    let mut values: Vec<String> = Vec::new();
    let mut subjects = Vec::new();
    for i in 0..20 {
        let subject = new_subject(a, &token);
        subjects.push(subject.clone());
        let email = format!("plaintext.probe.{i}@example.org");
        let phone = format!("+3319900{:04}", 5000 + i);
        let name = format!("Probename{i}Fictif");
        let address = format!("{i} avenue du Test-Plaintext");
        let ticket = format!("TICKET-PROBE-{i:05}");
        let ip = format!("198.51.100.{}", i + 1);
        let records = [
            (
                "PA-0001",
                format!(
                    r#"{{"category":"contact","fields":{{"email":"{email}","phone":"{phone}","postal_address":"{address}"}}}}"#
                ),
            ),
            (
                "PA-0001",
                format!(
                    r#"{{"category":"identity","fields":{{"last_name":"{name}","account_id":"ACCT-PROBE-{i}"}}}}"#
                ),
            ),
            (
                "PA-0006",
                format!(
                    r#"{{"category":"support","fields":{{"ticket_id":"{ticket}","body":"Message secret {name}"}}}}"#
                ),
            ),
            (
                "PA-0003",
                format!(
                    r#"{{"category":"connection_logs","fields":{{"ip":"{ip}","account_id":"ACCT-PROBE-{i}"}}}}"#
                ),
            ),
        ];
        for (purpose, body) in records {
            let (status, answer) = http(
                a,
                "POST",
                &format!("/api/subjects/{subject}/records"),
                Some(&token),
                Some(purpose),
                Some(body.as_bytes()),
            );
            assert_eq!(status, 201, "{answer}");
        }
        values.extend([
            email,
            phone,
            name,
            address,
            ticket,
            ip,
            format!("ACCT-PROBE-{i}"),
        ]);
    }
    // Read them back (the data is there and readable through the API).
    server.stop();
    let files = all_files(&[dir.path().join("data"), dir.path().join("keystore")]);
    assert!(
        files.iter().any(|(p, _)| p.ends_with("habeas.db")),
        "no database file found"
    );
    // The scan sees the real content: the (random, non-personal) subject ids are there.
    for s in &subjects {
        assert!(
            files.iter().any(|(_, b)| contains(b, s.as_bytes())),
            "scan cannot see stored ids"
        );
    }
    for (path, bytes) in &files {
        for v in &values {
            assert!(
                !contains(bytes, v.as_bytes()),
                "{} holds the plaintext of a written value",
                path.display()
            );
        }
    }
    // The high-volume category went to a time partition.
    assert!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM timed_partitions WHERE category = 'connection_logs'"
        ) >= 1
    );
    // The same scan of a pg_dump runs in habeas-engine's tests/vault_postgres.rs.
}

/// The CRM says when a contract ended, after the records were written: the
/// records' retention due dates follow from the declared rules; a token
/// touches only the categories its purposes cover; the CLI does the same
/// for the operator, and a purge then erases what became due.
#[test]
fn a_contract_end_dated_later_gives_the_records_their_due_dates() {
    let dir = project();
    let crm = token(dir.path(), "crm", "PA-0001");
    let server = Server::start(dir.path());
    let a = &server.addr;
    let subject = new_subject(a, &crm);
    let path = format!("/api/subjects/{subject}/records");
    let (status, body) = post(a, &path, &crm, CONTACT.as_bytes());
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        json(&body)["due_at"],
        serde_json::Value::Null,
        "the contract runs"
    );

    let events = format!("/api/subjects/{subject}/events");
    let (status, body) = post(
        a,
        &events,
        &crm,
        br#"{"event":"contract_end","at":"2024-01-31T00:00:00Z"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let done = json(&body);
    assert_eq!(done["updated"]["contact"], 1, "{body}");
    assert_eq!(done["due_now"], 1, "{body}");
    assert!(
        done["withheld"]
            .as_array()
            .is_some_and(|w| w.iter().any(|c| c == "billing")),
        "{body}"
    );
    let (status, body) = http(a, "GET", &path, Some(&crm), None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["records"][0]["due_at"], "2025-01-31T00:00:00Z");

    // Mistakes: precise errors, nothing changed.
    for (body, code, status) in [
        (&br#"{"event":"contract_ended"}"#[..], "unknown_event", 422),
        (
            &br#"{"event":"contract_end","at":"31/01/2024"}"#[..],
            "invalid_json",
            400,
        ),
        (
            &br#"{"event":"contract_end","when":"2024-01-31T00:00:00Z"}"#[..],
            "invalid_json",
            400,
        ),
    ] {
        let (s, b) = post(a, &events, &crm, body);
        assert_eq!(
            (s, json(&b)["error"]["code"].as_str()),
            (status, Some(code)),
            "{b}"
        );
    }
    let (s, b) = post(
        a,
        "/api/subjects/sub_nobody/events",
        &crm,
        br#"{"event":"contract_end"}"#,
    );
    assert_eq!(s, 404, "{b}");
    // A bulk body says which records wait for their event.
    let bulk = concat!(
        r#"{"subject_ref":"a","category":"contact","fields":{"email":"a.bulk@example.org"}}"#,
        "\n",
        r#"{"subject_ref":"b","category":"contact","fields":{"email":"b.bulk@example.org"},"events":{"contract_end":"2026-01-31T00:00:00Z"}}"#,
        "\n"
    );
    let (s, b) = post(a, "/api/records/bulk", &crm, bulk.as_bytes());
    assert_eq!(s, 201, "{b}");
    assert_eq!(json(&b)["waiting_for_event"]["contact"], 1, "{b}");
    drop(server);

    // The operator: `habeas subject find`, `habeas subject event`, then the purge.
    let (code, out, err) = run(
        dir.path(),
        &["subject", "find", "email", "zoe.fictive@example.org"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), subject);
    // What the vault holds of them and when it goes (metadata, journaled).
    let (code, out, err) = run(dir.path(), &["subject", "show", &subject]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("contact"), "{out}");
    assert!(out.contains("deleted from 2025-01-31"), "{out}");
    let (_, waiting, _) = run(
        dir.path(),
        &["subject", "find", "email", "a.bulk@example.org"],
    );
    let (code, out, err) = run(dir.path(), &["subject", "show", waiting.trim()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1 waiting for `contract_end`") && !out.contains("deleted from"),
        "{out}"
    );
    let (code, _, err) = run(dir.path(), &["subject", "show", "sub_nobody"]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown data subject"), "{err}");
    let (code, out, err) = run(
        dir.path(),
        &[
            "subject",
            "event",
            &subject,
            "account_closure",
            "--at",
            "31/01/2024",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("account_closure dated: 1 record(s) (contact 1)"),
        "{out}"
    );
    let (code, _, err) = run(
        dir.path(),
        &[
            "subject",
            "event",
            &subject,
            "contract_end",
            "--at",
            "demain",
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("31/01/2026"), "{err}");
    let (code, out, err) = run(dir.path(), &["purge"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = run(
        dir.path(),
        &["subject", "find", "email", "zoe.fictive@example.org"],
    );
    assert_eq!(
        code, 1,
        "the purge erased the contact record: its e-mail finds no one ({out})"
    );
}
