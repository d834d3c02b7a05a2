//! No personal data, secret or internal detail leaks through the server's
//! log or its answers (RELIABILITY.md T25; developers' guide: "No personal
//! data in logs or error messages"; ASVS V16.4.1).
//!
//! A real server runs with its most verbose log (`HABEAS_LOG=trace`, every
//! crate) into a file: axum's trace of each accepted connection, which
//! named the client's IP address, is why `init_logging` caps `axum::serve`
//! at debug. Requests carry canary values (fictitious personal
//! data) and secrets (a token, a password) — well-formed, malformed, refused
//! — and log-injection attempts (CR/LF, an ANSI escape). Then the log is
//! scanned for every canary and secret, the refusals' bodies and headers for
//! the canary values, and every answer for stack traces and internal paths.

mod vault_support;
mod web_support;

use std::process::Stdio;

use vault_support::{Server, exchange, json, project, token};
use web_support::{Client, hidden};

const EMAIL: &str = "leak.canary.q7x@example.org";
const ADDRESS: &str = "7 impasse Canarivox, 13000 Marseille";
const PHONE_DIGITS: &str = "0699887766";
const PORTAL_EMAIL: &str = "portal.canary.q7x@example.org";
const PASSWORD: &str = "Pw-canary-q7x-Secret!";
const FORGED_TOKEN: &str = "hbs_0123456789abcdef_canaryq7xforgedsecret";
const INJECTED: &str = "FAKE-LOG-LINE-q7x";

fn api(addr: &str, method: &str, path: &str, bearer: &str, body: &str) -> (u16, String) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {bearer}\r\nX-Habeas-Purpose: PA-0001\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    exchange(addr, request.as_bytes(), b"")
}

#[test]
fn no_canary_secret_or_internal_detail_in_the_log_or_the_refusals() {
    let dir = project();
    let d = dir.path();
    let crm = token(d, "crm", "PA-0001");
    let secret = crm.rsplit('_').next().expect("token secret").to_string();
    let log_path = d.join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server = Server::start_with(
        d,
        // A mistyped override: its warning shows the log is written, its
        // value (a canary) must not be.
        &[
            ("HABEAS_LOG", "trace"),
            ("HABEAS_SERVR__LISTEN", "canaryq7x-value"),
        ],
        Stdio::from(log),
    );
    let a = server.addr.clone();
    let mut answers = Vec::new();
    let mut refusals = Vec::new();

    let (status, body) = api(&a, "POST", "/api/subjects", &crm, "{}");
    assert_eq!(status, 201, "{body}");
    let body = body
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let subject = json(&body)["subject"].as_str().expect("id").to_string();
    let records = format!("/api/subjects/{subject}/records");
    let good = format!(
        r#"{{"category":"contact","fields":{{"email":"{EMAIL}","phone":"{PHONE_DIGITS}","postal_address":"{ADDRESS}","country":"fr","language":"fr"}}}}"#
    );
    let (status, text) = api(&a, "POST", &records, &crm, &good);
    assert_eq!(status, 201, "{text}");
    answers.push(text);
    let (status, text) = api(&a, "GET", &records, &crm, "");
    assert_eq!(status, 200, "{text}");
    assert!(
        text.contains(EMAIL),
        "the holder's own read returns the value"
    );
    answers.push(text);

    // Refusals that carry the canaries: each must say what is wrong without
    // repeating the value.
    let bad = [
        // a field the category does not declare, holding a canary
        format!(
            r#"{{"category":"contact","fields":{{"email":"{EMAIL}","nickname":"{ADDRESS}"}}}}"#
        ),
        // a value of the wrong type / format
        format!(r#"{{"category":"contact","fields":{{"email":"not an address {ADDRESS}"}}}}"#),
        format!(r#"{{"category":"contact","fields":{{"phone":"{ADDRESS}"}}}}"#),
        // an undeclared category
        format!(r#"{{"category":"shoe_sizes","fields":{{"email":"{EMAIL}"}}}}"#),
        // broken JSON, cut in the middle of a canary
        format!(r#"{{"category":"contact","fields":{{"email":"{EMAIL}"#),
    ];
    for body in &bad {
        let (status, text) = api(&a, "POST", &records, &crm, body);
        assert!((400..500).contains(&status), "refused: {text}");
        refusals.push(text);
    }
    // A find for an unknown address, and requests with a forged token.
    let (status, text) = api(
        &a,
        "POST",
        "/api/subjects/find",
        &crm,
        &format!(r#"{{"kind":"email","value":"{PORTAL_EMAIL}"}}"#),
    );
    assert_eq!(status, 200, "{text}");
    assert!(text.ends_with("[]}"), "nobody found: {text}");
    refusals.push(text);
    let (status, text) = api(&a, "GET", &records, FORGED_TOKEN, "");
    assert_eq!(status, 401, "{text}");
    refusals.push(text);
    let (status, text) = api(&a, "POST", &records, FORGED_TOKEN, &good);
    assert_eq!(status, 401, "{text}");
    refusals.push(text);

    // Log injection: a CR/LF and an ANSI escape in the path, an escape in a header.
    let (status, text) = exchange(
        &a,
        format!(
            "GET /api/subjects/x%0D%0A{INJECTED}%1B%5B2J/records HTTP/1.1\r\nHost: {a}\r\n\
             Connection: close\r\nAuthorization: Bearer {crm}\r\nX-Habeas-Purpose: PA-0001\r\n\r\n"
        )
        .as_bytes(),
        b"",
    );
    assert!((400..500).contains(&status), "{text}");
    refusals.push(text);
    let (status, text) = exchange(
        &a,
        format!(
            "GET {records} HTTP/1.1\r\nHost: {a}\r\nConnection: close\r\n\
             Authorization: Bearer {crm}\r\nX-Habeas-Purpose: PA-0001\x1b[2J{INJECTED}\r\n\r\n"
        )
        .as_bytes(),
        b"",
    );
    assert!((400..500).contains(&status), "{text}");
    refusals.push(text);

    // The console's sign-in with a wrong password; the portal's sign-in.
    let mut console = Client::new(&a);
    let form = console.get("/console/connexion").text();
    let csrf = hidden(&form, "csrf");
    let page = console.post(
        "/console/connexion",
        &[("csrf", &csrf), ("login", EMAIL), ("password", PASSWORD)],
    );
    assert!(page.status < 500, "{}", page.text());
    assert!(
        !page.text().contains(PASSWORD),
        "a password is never sent back"
    );
    let mut portal = Client::new(&a);
    let csrf = hidden(&portal.get("/portail").text(), "csrf");
    let page = portal.post(
        "/portail/connexion",
        &[("csrf", &csrf), ("email", PORTAL_EMAIL)],
    );
    assert_eq!(page.status, 200, "{}", page.text());
    server.stop();

    let logged = std::fs::read(&log_path).expect("read log");
    let logged = String::from_utf8_lossy(&logged);
    assert!(
        logged.contains("HABEAS_SERVR__LISTEN"),
        "the log was written (else this test scans nothing): {logged}"
    );
    // Said once, though `serve` reads the settings in each part it starts.
    assert_eq!(
        logged.matches("HABEAS_SERVR__LISTEN").count(),
        1,
        "the unknown override warned about more than once: {logged}"
    );
    for needle in [
        EMAIL,
        ADDRESS,
        PHONE_DIGITS,
        "699887766",
        PORTAL_EMAIL,
        PASSWORD,
    ] {
        assert!(
            !logged.contains(needle),
            "personal data or a password in the log: {needle}"
        );
    }
    // The clients' addresses (personal data): only the server's own
    // address may be named.
    let own = a.clone();
    for (at, _) in logged.match_indices("127.0.0.1:") {
        let rest = &logged[at..];
        let addr: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
            .collect();
        assert_eq!(addr, own, "a client's address in the log");
    }
    for needle in [secret.as_str(), FORGED_TOKEN, "canaryq7x"] {
        assert!(!logged.contains(needle), "a token's secret in the log");
    }
    assert!(
        !logged.lines().any(|l| l.starts_with(INJECTED)),
        "an input started a log line of its own"
    );
    // A log written to a file carries no colour codes, so any escape byte
    // would be an input's.
    assert!(
        !logged.contains('\x1b'),
        "an escape sequence reached the log"
    );

    let tmp = d.to_string_lossy().into_owned();
    for text in refusals.iter().chain(&answers) {
        for internal in [
            "panicked",
            "RUST_BACKTRACE",
            ".rs:",
            "/src/",
            "/root/",
            tmp.as_str(),
        ] {
            assert!(
                !text.contains(internal),
                "an internal detail ({internal}) in: {text}"
            );
        }
    }
    for text in &refusals {
        for needle in [EMAIL, ADDRESS, PORTAL_EMAIL, FORGED_TOKEN, secret.as_str()] {
            assert!(!text.contains(needle), "a refusal repeats {needle}: {text}");
        }
    }
}
