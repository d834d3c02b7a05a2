//! The authorisation matrix of the web server: every route × every caller
//! state, each cell checked with a real request.
//!
//! The routes are read from the routers' source (`.route("PATH", get(..)
//! .post(..))` in `habeas-web`'s `lib.rs`, the modules it merges, and
//! `ui/mod.rs`), so a route added later and missing from the table below
//! fails this test by name — and a row whose route is gone fails too.
//!
//! Staff states: not signed in, password change pending (first sign-in),
//! MFA pending (password changed, TOTP not yet enrolled; and an enrolled
//! account that gave its password but not yet its code), signed in (one
//! account per declared role), and expired (the pages' clock moved past the
//! absolute session lifetime — a `ManualClock`, no sleeping). Signed in with
//! a console role, each action the default action table denies that role is
//! refused and journaled on the page that takes it. Portal states:
//! a subject signed in, expired, not signed in. API: bearer token missing,
//! wrong, revoked → 401; a valid token gets past authentication (its
//! purpose scopes are tested in the API tests). A body that does not parse
//! is still 401 with a wrong or revoked token (the token is checked first)
//! and 400 `invalid_json` with a valid one.
//!
//! POSTs carry a harmless forged body: whatever the outcome, nothing in the
//! vault changes. Role refusals are journaled as `access_refused` (SPEC C6).

mod vault_support;
mod web_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use habeas_core::clock::{Clock, ManualClock, SystemClock};
use habeas_core::rights::RequestKind;
use habeas_engine::Caller;
use habeas_rights::service::{NewRequest, RequestChannel, RequestService, ServiceConfig};
use habeas_rights::vault_bridge::{code_key, rights_caller};
use habeas_web::ui::auth::totp::code_at;
use vault_support::{count, data_db};
use web_support::*;

/// What a cell expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    /// 200: the page is shown.
    Page,
    /// 200: the portal's sign-in form (not the subject's data).
    SignInPage,
    /// 403 "form refused": the caller got through the gate and the role
    /// check; only the forged anti-forgery token stopped the form.
    Csrf,
    /// 403 "access refused" for the roles, journaled.
    Refused,
    /// 303 to this page (sign-in, or the step still to take).
    To(&'static str),
}
use Out::*;

const SIGN_IN: Out = To("/console/connexion");
const CHANGE_PW: Out = To("/console/mot-de-passe");
const ENROL: Out = To("/console/totp");
const PORTAL: Out = To("/portail");

/// The staff roles of the demo declarations, in the table's column order.
const ROLES: [&str; 4] = ["admin", "dpo", "support", "billing"];

/// A console route: signed in per role (`ROLES` order), then the other states.
struct StaffRow {
    method: &'static str,
    path: &'static str,
    signed_in: [Out; 4],
    pw_pending: Out,
    mfa_pending: Out,
    expired: Out,
    none: Out,
}

const fn staff(
    method: &'static str,
    path: &'static str,
    signed_in: [Out; 4],
    pw_pending: Out,
    mfa_pending: Out,
    expired: Out,
    none: Out,
) -> StaffRow {
    StaffRow {
        method,
        path,
        signed_in,
        pw_pending,
        mfa_pending,
        expired,
        none,
    }
}

/// A console page for the console roles (admin, DPO) only.
const fn console(method: &'static str, path: &'static str) -> StaffRow {
    let ok = if matches!(method.as_bytes(), b"GET") {
        Page
    } else {
        Csrf
    };
    staff(
        method,
        path,
        [ok, ok, Refused, Refused],
        CHANGE_PW,
        ENROL,
        SIGN_IN,
        SIGN_IN,
    )
}

const STAFF_ROWS: &[StaffRow] = &[
    // The password change is open at every signed-in stage.
    staff(
        "GET",
        "/console/mot-de-passe",
        [Page; 4],
        Page,
        Page,
        SIGN_IN,
        SIGN_IN,
    ),
    staff(
        "POST",
        "/console/mot-de-passe",
        [Csrf; 4],
        Csrf,
        Csrf,
        SIGN_IN,
        SIGN_IN,
    ),
    // TOTP enrolment: after the password change.
    staff(
        "GET",
        "/console/totp",
        [Page; 4],
        CHANGE_PW,
        Page,
        SIGN_IN,
        SIGN_IN,
    ),
    staff(
        "POST",
        "/console/totp",
        [Csrf; 4],
        CHANGE_PW,
        Csrf,
        SIGN_IN,
        SIGN_IN,
    ),
    staff(
        "POST",
        "/console/deconnexion",
        [Csrf; 4],
        Csrf,
        Csrf,
        SIGN_IN,
        SIGN_IN,
    ),
    console("GET", "/console"),
    // Every staff role finds people and reads their data within its role
    // (the role checks per category are tested in web_console.rs).
    staff(
        "GET",
        "/console/personnes",
        [Page; 4],
        CHANGE_PW,
        ENROL,
        SIGN_IN,
        SIGN_IN,
    ),
    staff(
        "POST",
        "/console/personnes",
        [Csrf; 4],
        CHANGE_PW,
        ENROL,
        SIGN_IN,
        SIGN_IN,
    ),
    staff(
        "GET",
        "/console/personnes/{subject}",
        [Page; 4],
        CHANGE_PW,
        ENROL,
        SIGN_IN,
        SIGN_IN,
    ),
    staff(
        "POST",
        "/console/personnes/{subject}/evenement",
        [Csrf; 4],
        CHANGE_PW,
        ENROL,
        SIGN_IN,
        SIGN_IN,
    ),
    console("GET", "/console/demandes/{id}"),
    console("POST", "/console/demandes/{id}"),
    console("GET", "/console/violations"),
    console("GET", "/console/journal"),
    console("GET", "/console/conservation"),
    console("POST", "/console/conservation"),
    console("GET", "/console/registre"),
    console("GET", "/console/politique"),
    console("POST", "/console/politique"),
    console("GET", "/console/alertes"),
    console("GET", "/console/equipe"),
    console("POST", "/console/equipe"),
];

/// A portal route: subject signed in, expired, not signed in.
struct PortalRow {
    method: &'static str,
    path: &'static str,
    subject: Out,
    expired: Out,
    none: Out,
}

const fn portal(method: &'static str, path: &'static str) -> PortalRow {
    let ok = if matches!(method.as_bytes(), b"GET") {
        Page
    } else {
        Csrf
    };
    PortalRow {
        method,
        path,
        subject: ok,
        expired: PORTAL,
        none: PORTAL,
    }
}

const PORTAL_ROWS: &[PortalRow] = &[
    PortalRow {
        method: "GET",
        path: "/portail",
        subject: Page,
        expired: SignInPage,
        none: SignInPage,
    },
    portal("GET", "/portail/export.json"),
    portal("GET", "/portail/export.zip"),
    portal("POST", "/portail/consentement"),
    portal("POST", "/portail/deconnexion"),
    portal("GET", "/portail/corriger"),
    portal("POST", "/portail/corriger"),
    portal("POST", "/portail/corriger/code"),
    portal("GET", "/portail/limiter"),
    portal("POST", "/portail/limiter"),
    portal("POST", "/portail/limiter/lever"),
    portal("GET", "/portail/demandes"),
    portal("GET", "/portail/compte"),
    portal("POST", "/portail/cloturer"),
    portal("POST", "/portail/reactiver"),
    portal("GET", "/portail/listes"),
    portal("POST", "/portail/listes/ajout"),
    portal("POST", "/portail/listes/retrait"),
    portal("POST", "/portail/listes/marquage"),
];

/// Routes open to anyone, whatever their session: the same outcome for
/// every caller state (a forged form is refused by its token alone).
const PUBLIC_ROWS: &[(&str, &str, Out)] = &[
    ("GET", "/ui/style.css", Page),
    ("GET", "/console/connexion", Page),
    ("POST", "/console/connexion", Csrf),
    ("GET", "/portail/lien", Page),
    ("POST", "/portail/code", Csrf),
    ("POST", "/portail/connexion", Csrf),
    ("GET", "/portail/politique", Page),
    ("GET", "/healthz", Page),
    ("GET", "/metrics", Page),
    ("GET", "/api/openapi.json", Page),
    // The privacy notice versions are public (Art. 13/14 information).
    ("GET", "/api/notices", Page),
    ("GET", "/api/notices/{version}", Page),
];

/// JSON API routes behind a bearer application token, each with a
/// well-formed body (the handlers read the body before they check the token:
/// only a body that parses lets the token decide).
const TOKEN_ROWS: &[(&str, &str, &str)] = &[
    ("POST", "/api/subjects", r#"{}"#),
    (
        "POST",
        "/api/subjects/find",
        r#"{"kind":"email","value":"nobody@example.org"}"#,
    ),
    (
        "POST",
        "/api/subjects/{subject}/records",
        r#"{"category":"support","fields":{"ticket_id":"T-1"}}"#,
    ),
    ("GET", "/api/subjects/{subject}/records", ""),
    (
        "POST",
        "/api/subjects/{subject}/events",
        r#"{"event":"contract_end","at":"2024-01-31T00:00:00Z"}"#,
    ),
    ("GET", "/api/stats/{category}", ""),
    (
        "POST",
        "/api/records/bulk",
        r#"{"subject_ref":"z","category":"support","fields":{"ticket_id":"T-1"}}"#,
    ),
    (
        "POST",
        "/api/requests",
        r#"{"kind":"access","email":"nobody@example.org"}"#,
    ),
    ("GET", "/api/requests", ""),
    ("GET", "/api/requests/{id}", ""),
    ("POST", "/api/requests/{id}/code", ""),
    (
        "POST",
        "/api/requests/{id}/verify",
        r#"{"code":"00000000"}"#,
    ),
    (
        "POST",
        "/api/requests/{id}/proof",
        r#"{"method":"document","by":"x","reason":"r"}"#,
    ),
    (
        "POST",
        "/api/requests/{id}/transitions",
        r#"{"action":"start","version":1}"#,
    ),
    ("GET", "/api/requests/{id}/export", ""),
    ("POST", "/api/requests/{id}/erasure", r#"{"dry_run":true}"#),
    (
        "POST",
        "/api/requests/{id}/rectification",
        r#"{"category":"contact","record":"r","set":{"country":"FR"}}"#,
    ),
    (
        "POST",
        "/api/subjects/{id}/consents",
        r#"{"action":"give","purpose":"newsletter","channel":"web"}"#,
    ),
    ("GET", "/api/subjects/{id}/consents/proof", ""),
    ("GET", "/api/mail/lists/{user}", ""),
    ("DELETE", "/api/mail/lists/{user}", ""),
    ("POST", "/api/mail/lists/{user}/entries", r#"{"allow":[]}"#),
    (
        "DELETE",
        "/api/mail/lists/{user}/entries",
        r#"{"allow":[]}"#,
    ),
    (
        "PUT",
        "/api/mail/lists/{user}/settings",
        r#"{"tag":{"keyword":true,"folder":null,"subject":null},"deny":{"action":"discard"},"fold_plus":false}"#,
    ),
    ("POST", "/api/breaches", NEW_BREACH),
    ("GET", "/api/breaches", ""),
    ("GET", "/api/breaches/{id}", ""),
    ("PATCH", "/api/breaches/{id}", r#"{"version":1,"patch":{}}"#),
    ("POST", "/api/breaches/{id}/impact", ""),
    (
        "POST",
        "/api/breaches/{id}/decision",
        r#"{"version":1,"risk":"low","reasoning":"r","exemption":null,"exemption_reasoning":null}"#,
    ),
    (
        "POST",
        "/api/breaches/{id}/notifications",
        r#"{"version":1,"phase":"initial"}"#,
    ),
    ("GET", "/api/breaches/{id}/export", ""),
    (
        "POST",
        "/api/breaches/{id}/close",
        r#"{"version":1,"reason":"r"}"#,
    ),
    (
        "POST",
        "/api/breaches/{id}/reopen",
        r#"{"version":1,"reason":"r"}"#,
    ),
    (
        "POST",
        "/api/notices",
        r#"{"version":"x","text":"t","effective_at":"2030-01-01T00:00:00Z"}"#,
    ),
];

const NEW_BREACH: &str = r#"{"detected_at":"2026-11-20T17:00:00Z","aware_at":"2026-11-20T18:30:00Z",
    "natures":["confidentiality"],"description":{"fr":"Journaux copiés.","en":"Logs copied."},
    "services":["web-hosting"],"data_categories":["connection_logs"],"subject_categories":["customers"],
    "window":{"start":"2026-11-10T00:00:00Z","end":"2026-11-20T00:00:00Z"}}"#;

// ---- the routes, read from the routers' source ------------------------------

fn web_src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../habeas-web/src")
}

/// The text from `open` (just after an opening parenthesis) to its match.
fn balanced(text: &str) -> &str {
    let mut depth = 1;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    panic!(
        "unbalanced parentheses after: {}",
        &text[..text.len().min(80)]
    );
}

/// `(METHOD, path)` of every `.route("PATH", get(..).post(..))` in `source`.
fn routes_in(source: &str, file: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (at, _) in source.match_indices(".route(") {
        let args = balanced(&source[at + ".route(".len()..]);
        let open = args
            .find('"')
            .unwrap_or_else(|| panic!("{file}: a route without a literal path: {args}"));
        let close = open + 1 + args[open + 1..].find('"').expect("end of the path literal");
        let path = &args[open + 1..close];
        let handlers = &args[close + 1..];
        let mut methods = Vec::new();
        for m in ["get", "post", "put", "delete", "patch"] {
            let call = format!("{m}(");
            for (i, _) in handlers.match_indices(&call) {
                let before = handlers[..i].chars().next_back();
                if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    methods.push(m.to_ascii_uppercase());
                }
            }
        }
        assert!(
            !methods.is_empty(),
            "{file}: no method found for route {path}: {handlers}"
        );
        for m in methods {
            out.push((m, path.to_string()));
        }
    }
    out
}

/// Every route the server answers: `lib.rs`, each module it merges, the pages.
fn source_routes() -> BTreeSet<(String, String)> {
    let src = web_src();
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("habeas-web lib.rs");
    let mut files = vec![("lib.rs".to_string(), lib.clone())];
    for (at, _) in lib.match_indices(".merge(") {
        let arg = balanced(&lib[at + ".merge(".len()..]);
        let module = arg
            .split("::routes")
            .next()
            .filter(|_| arg.contains("::routes"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("lib.rs merges something unknown: {arg}"));
        let file = if module == "ui" {
            "ui/mod.rs".to_string()
        } else {
            format!("{module}.rs")
        };
        let text = std::fs::read_to_string(src.join(&file))
            .unwrap_or_else(|e| panic!("{file} (merged by lib.rs): {e}"));
        files.push((file, text));
    }
    assert!(
        files.iter().any(|(f, _)| f == "ui/mod.rs"),
        "the pages' router is merged"
    );
    let mut all = BTreeSet::new();
    for (file, text) in &files {
        for r in routes_in(text, file) {
            assert!(all.insert(r.clone()), "{r:?} declared twice");
        }
    }
    all
}

fn matrix_routes() -> BTreeSet<(String, String)> {
    let mut all = BTreeSet::new();
    let rows = STAFF_ROWS
        .iter()
        .map(|r| (r.method, r.path))
        .chain(PORTAL_ROWS.iter().map(|r| (r.method, r.path)))
        .chain(PUBLIC_ROWS.iter().map(|r| (r.0, r.1)))
        .chain(TOKEN_ROWS.iter().map(|r| (r.0, r.1)));
    for (m, p) in rows {
        assert!(
            all.insert((m.to_string(), p.to_string())),
            "{m} {p} is in the matrix twice"
        );
    }
    all
}

// ---- the site and its callers ----------------------------------------------

/// A raw HTTP exchange (JSON API: any method, headers, body).
fn raw(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    (status, text)
}

/// Everything a forged request must leave alone: documents (requests,
/// consents, staff, breaches — sessions aside), subjects, records, tokens.
fn fingerprint(dir: &Path) -> String {
    let conn = rusqlite::Connection::open(data_db(dir)).expect("open db");
    let q = |sql: &str| -> String {
        conn.query_row(sql, [], |r| r.get::<_, Option<String>>(0))
            .expect(sql)
            .unwrap_or_default()
    };
    [
        q("SELECT group_concat(kind || '/' || id || '@' || version, ',') FROM \
           (SELECT * FROM documents WHERE kind NOT LIKE '%session%' ORDER BY kind, id)"),
        q("SELECT group_concat(id || ':' || status, ',') FROM (SELECT * FROM subjects ORDER BY id)"),
        q("SELECT CAST(COUNT(*) AS TEXT) FROM records"),
        q("SELECT CAST(COUNT(*) AS TEXT) FROM app_tokens"),
    ]
    .join(" | ")
}

fn refusals(dir: &Path) -> i64 {
    count(
        dir,
        "SELECT COUNT(*) FROM journal WHERE action = 'access_refused'",
    )
}

/// The password every test account chooses at its first sign-in.
const PASSWORD: &str = "Cheval-Agrafe-Batterie-42";

/// How far a staff client is taken through sign-in.
#[derive(Clone, Copy, PartialEq)]
enum Stage {
    PasswordPending,
    MfaPending,
    Full,
}

/// A staff member of `role` signed in up to `stage` (TOTP is asked of every
/// role on this site, so each role has an MFA-pending state).
fn staff_client(site: &Site, clock: &dyn Clock, login: &str, role: &str, stage: Stage) -> Client {
    let first = add_staff(site, login, role);
    let mut c = Client::new(&site.addr);
    let csrf = hidden(&c.get("/console/connexion").text(), "csrf");
    let r = c.post(
        "/console/connexion",
        &[("csrf", &csrf), ("login", login), ("password", &first)],
    );
    assert_eq!(
        r.header("location"),
        Some("/console/mot-de-passe"),
        "{}",
        r.text()
    );
    if stage == Stage::PasswordPending {
        return c;
    }
    let csrf = hidden(&c.get("/console/mot-de-passe").text(), "csrf");
    let pw = PASSWORD;
    let r = c.post(
        "/console/mot-de-passe",
        &[
            ("csrf", &csrf),
            ("current", &first),
            ("new", pw),
            ("confirm", pw),
        ],
    );
    assert_eq!(r.header("location"), Some("/console/totp"), "{}", r.text());
    if stage == Stage::MfaPending {
        return c;
    }
    let page = c.get("/console/totp").text();
    let code = code_at(&totp_secret(&page), clock.now()).expect("totp code");
    let r = c.post(
        "/console/totp",
        &[("csrf", &hidden(&page, "csrf")), ("code", &code)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        c.get("/console").status,
        if role == "admin" || role == "dpo" {
            200
        } else {
            403
        }
    );
    c
}

/// Claire signed in to the portal.
fn subject_client(site: &Site) -> Client {
    let mut c = Client::new(&site.addr);
    let csrf = hidden(&c.get("/portail").text(), "csrf");
    let page = c.post(
        "/portail/connexion",
        &[("csrf", &csrf), ("email", "claire.fictive@example.org")],
    );
    assert_eq!(page.status, 200);
    let code = code_in(mails(&site.outbox()).last().expect("a sign-in mail"));
    let r = c.post(
        "/portail/code",
        &[
            ("csrf", &csrf),
            ("challenge", &hidden(&page.text(), "challenge")),
            ("code", &code),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    c
}

/// The path with its parameters replaced by real ids.
fn concrete(path: &str, ids: &BTreeMap<&str, String>) -> String {
    let mut out = path.to_string();
    for (k, v) in ids {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    assert!(!out.contains('{'), "no id for a parameter of {path}");
    out
}

/// One cell: the request, the status, and for refusals the journal entry.
fn check(site: &Site, c: &mut Client, method: &str, path: &str, want: Out, who: &str) {
    let before = fingerprint(site.dir.path());
    let refused_before = refusals(site.dir.path());
    let r = if method == "GET" {
        c.get(path)
    } else {
        c.request(
            method,
            path,
            Some(&[("csrf", "forged"), ("action", "done")]),
        )
    };
    let cell = format!("{method} {path} as {who}");
    let body = r.text();
    match want {
        Page => assert_eq!(r.status, 200, "{cell}: {body}"),
        SignInPage => {
            assert_eq!(r.status, 200, "{cell}");
            assert!(
                body.contains("action=\"/portail/connexion\""),
                "{cell}: the sign-in form"
            );
        }
        Csrf => {
            assert_eq!(r.status, 403, "{cell}: {body}");
            assert!(
                body.contains("Formulaire refusé"),
                "{cell}: the form refusal: {body}"
            );
        }
        Refused => {
            assert_eq!(r.status, 403, "{cell}: {body}");
            assert!(
                body.contains("Accès refusé"),
                "{cell}: the role refusal: {body}"
            );
            assert_eq!(
                refusals(site.dir.path()),
                refused_before + 1,
                "{cell}: the refusal is journaled"
            );
        }
        To(to) => {
            assert_eq!(r.status, 303, "{cell}: {body}");
            let location = r.header("location").unwrap_or_default();
            let bare = location.split(['?', '#']).next().unwrap_or_default();
            assert_eq!(bare, to, "{cell}");
        }
    }
    if want != Refused {
        assert_eq!(
            refusals(site.dir.path()),
            refused_before,
            "{cell}: no refusal journaled"
        );
    }
    if method != "GET" {
        assert_eq!(
            fingerprint(site.dir.path()),
            before,
            "{cell}: nothing changed"
        );
    }
}

#[test]
fn every_route_in_the_source_is_in_the_matrix_and_no_row_is_stale() {
    let source = source_routes();
    let matrix = matrix_routes();
    let missing: Vec<String> = source
        .difference(&matrix)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes not in the authorisation matrix (add a row to web_matrix.rs):\n{}",
        missing.join("\n")
    );
    let stale: Vec<String> = matrix
        .difference(&source)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        stale.is_empty(),
        "matrix rows without a route:\n{}",
        stale.join("\n")
    );
    // The parser sees what it should: a route with two methods, a PUT.
    assert!(source.contains(&("POST".into(), "/console/demandes/{id}".into())));
    assert!(source.contains(&("GET".into(), "/console/demandes/{id}".into())));
    assert!(source.contains(&("PUT".into(), "/api/mail/lists/{user}/settings".into())));
}

#[test]
fn every_role_and_session_state_gets_the_outcome_the_matrix_says() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let site = start_site_on(clock.clone(), true, |c| {
        // Every role must use TOTP here, so every role has an MFA-pending state.
        c.auth.mfa.all_roles = true;
    });
    let dir = site.dir.path();
    let declared: BTreeSet<String> = site
        .vault
        .declarations()
        .roles
        .keys()
        .map(|k| k.get_ref().clone())
        .collect();
    assert_eq!(
        declared,
        ROLES.iter().map(|r| r.to_string()).collect(),
        "the matrix has one column per role of examples/hosting-provider/declarations/roles.toml"
    );

    // Real ids for the path parameters.
    let caller = rights_caller("test");
    let request = {
        let key = code_key(&site.vault, &caller).expect("code key");
        let docs = site.vault.docs(caller.clone());
        RequestService::new(
            &docs,
            &SystemClock,
            site.vault.declarations(),
            ServiceConfig::new(key),
        )
        .create(NewRequest {
            kind: RequestKind::Access,
            channel: RequestChannel::Post,
            subject: None,
            contact_ref: "contact:test".into(),
        })
        .expect("request")
    };
    // The rights API as `habeas serve` sets it up (its mailer and code key).
    habeas_web::rights::install(habeas_web::rights::RightsSetup {
        mailer: Box::new(
            habeas_notify::OutboxMailer::new(
                site.outbox(),
                habeas_notify::Sender::new("privacy@example.org", None).expect("sender"),
            )
            .expect("mailer"),
        ),
        code_key: code_key(&site.vault, &caller).expect("code key"),
    });
    let claire = site
        .vault
        .find(&caller, "email", "claire.fictive@example.org")
        .expect("find")
        .pop()
        .expect("claire");
    let admin = Caller::operator("test", "admin");
    let (_, security) = site
        .vault
        .create_token(&admin, "soc", &["PA-0004".to_string()], &[])
        .expect("token");
    let (status, opened) = raw(
        &site.addr,
        "POST",
        "/api/breaches",
        &[("Authorization", &format!("Bearer {security}"))],
        NEW_BREACH,
    );
    assert_eq!(status, 201, "{opened}");
    let breach = opened
        .split("\"id\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("breach id")
        .to_string();
    let effective = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let (code, _, err) = vault_support::run(
        dir,
        &[
            "notice",
            "publish",
            "--version",
            "2026-v1",
            "--effective",
            &effective,
            "--from-declarations",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (status, notices) = raw(&site.addr, "GET", "/api/notices", &[], "");
    assert_eq!(status, 200);
    let version = notices
        .split("\"version\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a published notice version")
        .to_string();
    let ids: BTreeMap<&str, String> = [
        ("id", request.id.clone()),
        ("subject", claire.clone()),
        ("user", "claire.fictive@example.org".to_string()),
        ("category", "contact".to_string()),
        ("version", version),
    ]
    .into_iter()
    .collect();

    // The callers.
    let mut full: Vec<Client> = ROLES
        .iter()
        .map(|r| staff_client(&site, &*clock, &format!("{r}-1"), r, Stage::Full))
        .collect();
    let mut pw: Vec<Client> = ROLES
        .iter()
        .map(|r| staff_client(&site, &*clock, &format!("{r}-2"), r, Stage::PasswordPending))
        .collect();
    let mut mfa: Vec<Client> = ROLES
        .iter()
        .map(|r| staff_client(&site, &*clock, &format!("{r}-3"), r, Stage::MfaPending))
        .collect();
    // An enrolled account signing in again: the password alone asks for the
    // TOTP code and opens no session.
    let mut code_pending: Vec<Client> = ROLES
        .iter()
        .map(|r| {
            let mut c = Client::new(&site.addr);
            let csrf = hidden(&c.get("/console/connexion").text(), "csrf");
            let login = format!("{r}-1");
            let r = c.post(
                "/console/connexion",
                &[("csrf", &csrf), ("login", &login), ("password", PASSWORD)],
            );
            assert_eq!(r.status, 200, "{}", r.text());
            assert!(r.text().contains("name=\"code\""), "the code is asked");
            c
        })
        .collect();
    let mut subject = subject_client(&site);
    let mut nobody = Client::new(&site.addr);
    let mut cells = 0;

    for row in STAFF_ROWS {
        let path = concrete(row.path, &ids);
        for (i, role) in ROLES.iter().enumerate() {
            check(
                &site,
                &mut full[i],
                row.method,
                &path,
                row.signed_in[i],
                &format!("{role} signed in"),
            );
            check(
                &site,
                &mut pw[i],
                row.method,
                &path,
                row.pw_pending,
                &format!("{role}, password change pending"),
            );
            check(
                &site,
                &mut mfa[i],
                row.method,
                &path,
                row.mfa_pending,
                &format!("{role}, MFA pending"),
            );
            check(
                &site,
                &mut code_pending[i],
                row.method,
                &path,
                row.none,
                &format!("{role}, password given, TOTP code not yet"),
            );
            cells += 4;
        }
        check(&site, &mut nobody, row.method, &path, row.none, "nobody");
        // A portal session is no staff session.
        check(
            &site,
            &mut subject,
            row.method,
            &path,
            row.none,
            "the subject (a portal session)",
        );
        cells += 2;
    }
    for row in PORTAL_ROWS {
        let path = concrete(row.path, &ids);
        check(
            &site,
            &mut subject,
            row.method,
            &path,
            row.subject,
            "the subject",
        );
        check(&site, &mut nobody, row.method, &path, row.none, "nobody");
        cells += 2;
        // A staff session is no portal session.
        for (i, role) in ROLES.iter().enumerate() {
            check(
                &site,
                &mut full[i],
                row.method,
                &path,
                row.none,
                &format!("{role} signed in to the console"),
            );
            cells += 1;
        }
        if row.path == "/portail/deconnexion" {
            // The forged sign-out did not end the session.
            assert!(subject.get("/portail/demandes").status == 200);
        }
    }
    for (method, path, want) in PUBLIC_ROWS {
        let path = concrete(path, &ids);
        if path.starts_with("/api/") || path == "/healthz" || path == "/metrics" {
            let (status, body) = raw(&site.addr, method, &path, &[], "");
            assert_eq!(status, 200, "{method} {path} without a token: {body}");
            cells += 1;
            continue;
        }
        let mut callers: Vec<(&mut Client, String)> = Vec::new();
        for (i, c) in full.iter_mut().enumerate() {
            callers.push((c, format!("{} signed in", ROLES[i])));
        }
        for (i, c) in pw.iter_mut().enumerate() {
            callers.push((c, format!("{}, password change pending", ROLES[i])));
        }
        for (i, c) in mfa.iter_mut().enumerate() {
            callers.push((c, format!("{}, MFA pending", ROLES[i])));
        }
        callers.push((&mut subject, "the subject".into()));
        callers.push((&mut nobody, "nobody".into()));
        for (c, who) in callers {
            check(&site, c, method, &path, *want, &who);
            cells += 1;
        }
    }

    // Signed in with a console role, an action the role is not entrusted
    // with is refused and journaled on the one page that takes it (a form
    // with a valid token: only the action table decides). Every console
    // role meets at least one such refusal in the default table.
    let policy = habeas_web::ui::auth::AuthConfig::default().console;
    let action_pages: Vec<String> = STAFF_ROWS
        .iter()
        .filter(|r| r.method == "POST" && r.signed_in[0] == Csrf && r.signed_in[2] == Refused)
        .map(|r| concrete(r.path, &ids))
        .collect();
    for (i, role) in ROLES.iter().enumerate() {
        let roles: BTreeSet<String> = [role.to_string()].into_iter().collect();
        let opens_console = STAFF_ROWS
            .iter()
            .any(|r| r.path == "/console" && r.signed_in[i] == Page);
        if !opens_console {
            continue;
        }
        let csrf = hidden(&full[i].get("/console").text(), "csrf");
        let mut refused = 0;
        for action in habeas_web::ui::auth::ConsoleAction::ALL {
            if policy.allows(&roles, action) {
                continue;
            }
            for page in &action_pages {
                let before = fingerprint(dir);
                let journaled = refusals(dir);
                let r = full[i].post(page, &[("csrf", &csrf), ("action", action.key())]);
                let cell = format!("{role} takes {} on {page}", action.key());
                assert_eq!(fingerprint(dir), before, "{cell}: nothing changed");
                match r.status {
                    // Not an action of this page.
                    404 => assert_eq!(refusals(dir), journaled, "{cell}"),
                    403 => {
                        assert!(r.text().contains("Accès refusé"), "{cell}: {}", r.text());
                        assert_eq!(refusals(dir), journaled + 1, "{cell}: journaled");
                        refused += 1;
                    }
                    other => panic!("{cell}: {other} {}", r.text()),
                }
                cells += 1;
            }
        }
        assert!(refused > 0, "{role}: no action refusal was checked");
    }

    // The JSON API: missing, wrong and revoked tokens are 401; a valid one passes.
    let (revoked, revoked_secret) = site
        .vault
        .create_token(&admin, "old-crm", &["PA-0001".to_string()], &[])
        .expect("token");
    assert!(
        site.vault
            .revoke_token(&admin, &revoked.id)
            .expect("revoke")
    );
    let (_, valid) = site
        .vault
        .create_token(&admin, "crm", &["PA-0001".to_string()], &[])
        .expect("token");
    let wrong = format!("{}x", &valid[..valid.len() - 1]);
    for (method, path, body) in TOKEN_ROWS {
        let path = concrete(path, &ids);
        let path = if path.starts_with("/api/breaches/") {
            path.replace(&request.id, &breach)
        } else {
            path
        };
        for (who, header) in [
            ("no token", None),
            ("a wrong token", Some(format!("Bearer {wrong}"))),
            ("a revoked token", Some(format!("Bearer {revoked_secret}"))),
        ] {
            let before = fingerprint(dir);
            let headers: Vec<(&str, &str)> = header
                .as_deref()
                .map(|h| vec![("Authorization", h)])
                .unwrap_or_default();
            let (status, answer) = raw(&site.addr, method, &path, &headers, body);
            assert_eq!(status, 401, "{method} {path} with {who}: {answer}");
            assert_eq!(
                fingerprint(dir),
                before,
                "{method} {path} with {who}: nothing changed"
            );
            cells += 1;
        }
        let bearer = format!("Bearer {valid}");
        let (status, answer) = raw(
            &site.addr,
            method,
            &path,
            &[("Authorization", &bearer)],
            body,
        );
        assert_ne!(status, 401, "{method} {path} with a valid token: {answer}");
        assert!(
            !answer.contains("\"invalid_json\""),
            "{method} {path}: the matrix's body must parse, so the token decides: {answer}"
        );
        cells += 1;
        // A body that does not parse: the token is checked first, so a
        // wrong or revoked one is still 401 (not 400), and a valid one gets
        // the precise JSON error.
        if !body.is_empty() {
            let broken = "{";
            for (who, secret) in [
                ("a wrong token", &wrong),
                ("a revoked token", &revoked_secret),
            ] {
                let header = format!("Bearer {secret}");
                let (status, answer) = raw(
                    &site.addr,
                    method,
                    &path,
                    &[("Authorization", &header)],
                    broken,
                );
                assert_eq!(status, 401, "{method} {path}, bad body, {who}: {answer}");
                cells += 1;
            }
            let (status, answer) = raw(
                &site.addr,
                method,
                &path,
                &[("Authorization", &bearer)],
                broken,
            );
            assert_eq!(
                status, 400,
                "{method} {path}, bad body, valid token: {answer}"
            );
            assert!(
                answer.contains("\"invalid_json\"") && answer.contains("the JSON ends too early"),
                "{method} {path}, bad body, valid token: {answer}"
            );
            cells += 1;
        }
    }

    // Expired: the pages' clock moves past every session's lifetime (staff:
    // 12 h absolute; portal: 15 min idle). Every session now counts as absent.
    // Each cell presents the expired cookie (a redirect clears it from the jar).
    clock.advance(chrono::Duration::hours(13));
    let subject_jar = subject.jar.clone();
    for (clients, state) in [
        (&mut full, "signed in"),
        (&mut pw, "password change pending"),
        (&mut mfa, "MFA pending"),
    ] {
        let jars: Vec<_> = clients.iter().map(|c| c.jar.clone()).collect();
        for row in STAFF_ROWS {
            let path = concrete(row.path, &ids);
            for (i, role) in ROLES.iter().enumerate() {
                clients[i].jar = jars[i].clone();
                check(
                    &site,
                    &mut clients[i],
                    row.method,
                    &path,
                    row.expired,
                    &format!("{role}, {state}, session expired"),
                );
                cells += 1;
            }
        }
    }
    for row in PORTAL_ROWS {
        let path = concrete(row.path, &ids);
        subject.jar = subject_jar.clone();
        check(
            &site,
            &mut subject,
            row.method,
            &path,
            row.expired,
            "the subject, session expired",
        );
        cells += 1;
    }
    eprintln!("authorisation matrix: {cells} cells checked");
}
