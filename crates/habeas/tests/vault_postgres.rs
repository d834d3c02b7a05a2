//! The CLI on a PostgreSQL vault (`[storage] url = "postgres://…"`): import,
//! token creation, the HTTP API (write, read, find), key rotation and
//! `audit verify`, with the key store in its own schema (`<schema>_keys`).
//! Runs when `HABEAS_TEST_POSTGRES_URL` is set; skipped loudly otherwise
//! (failing under `HABEAS_REQUIRE_TOOLS=1`).

mod vault_support;

use vault_support::*;

fn postgres_url() -> Option<String> {
    match std::env::var("HABEAS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "HABEAS_REQUIRE_TOOLS=1 but HABEAS_TEST_POSTGRES_URL is unset"
            );
            eprintln!(
                "SKIPPED: HABEAS_TEST_POSTGRES_URL is unset; the PostgreSQL CLI flows did not run"
            );
            None
        }
    }
}

/// Drops the test's schemas when the test ends, passed or not.
struct Schemas {
    url: String,
    data: String,
}

impl Drop for Schemas {
    fn drop(&mut self) {
        let psql = std::process::Command::new("psql")
            .args([
                &self.url,
                "-q",
                "-c",
                &format!(
                    "DROP SCHEMA IF EXISTS {0} CASCADE; DROP SCHEMA IF EXISTS {0}_keys CASCADE",
                    self.data
                ),
            ])
            .output();
        if let Err(e) = psql {
            eprintln!("could not drop the test schemas {}: {e}", self.data);
        }
    }
}

#[test]
fn vault_postgres_cli_import_serve_rotate_and_verify() {
    let Some(url) = postgres_url() else { return };
    let dir = project();
    let schemas = Schemas {
        url: url.clone(),
        data: format!("habeas_cli{}", std::process::id()),
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    let toml = std::fs::read_to_string(dir.path().join("habeas.toml")).expect("toml");
    let toml = toml.replace(
        "url = \"sqlite://data/habeas.db\"",
        &format!("url = \"{url}{sep}schema={}\"", schemas.data),
    );
    std::fs::write(dir.path().join("habeas.toml"), toml).expect("write toml");

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
