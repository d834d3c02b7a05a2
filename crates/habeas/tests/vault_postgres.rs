//! The CLI on a PostgreSQL vault (`[storage] url = "postgres://…"`): import,
//! token creation, the HTTP API (write, read, find), key rotation and
//! `audit verify`, with the key store in its own schema (`<schema>_keys`).
//! Runs when `HABEAS_TEST_POSTGRES_URL` is set; skipped loudly otherwise
//! (failing under `HABEAS_REQUIRE_TOOLS=1`).

mod vault_support;

use vault_support::*;

#[test]
fn vault_postgres_cli_import_serve_rotate_and_verify() {
    let Some(url) = postgres_url("the PostgreSQL CLI flows") else {
        return;
    };
    let dir = project();
    let schemas = use_postgres(dir.path(), &url, "habeas_cli");

    let file = contacts_file(dir.path(), 25);
    let (code, out, err) = run(
        dir.path(),
        &["import", file.to_str().expect("utf-8"), "--quiet"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("25 "), "{out}");
    assert!(
        !data_db(dir.path()).exists(),
        "nothing went to SQLite: the vault is on PostgreSQL"
    );

    let token = token(dir.path(), "crm", "PA-0001");
    let server = Server::start(dir.path());
    let (status, body) = post(
        &server.addr,
        "/api/subjects/find",
        &token,
        br#"{"kind":"email","value":"import.7@example.org"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let subject = json(&body)["subjects"][0]
        .as_str()
        .expect("one subject found")
        .to_string();
    let (status, body) = http(
        &server.addr,
        "GET",
        &format!("/api/subjects/{subject}/records"),
        Some(&token),
        None,
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("import.7@example.org"), "{body}");
    server.stop();

    let (code, out, err) = run(dir.path(), &["keys", "rotate"]);
    assert_eq!(code, 0, "{err}");
    // The 25 subjects' data keys, plus the system keys of the sealed
    // documents the server created at start (code and page keys).
    let rewrapped: usize = format!("{out}{err}")
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(rewrapped >= 25, "{out}{err}");
    let (code, out, err) = run(dir.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    drop(schemas);
}
