//! Shared helpers of the vault end-to-end tests: a temporary copy of the
//! demo provider, the real binary, a real server on port 0, a tiny HTTP
//! client (no extra dependency), and raw access to the database files.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A temporary project holding the demo provider's declarations.
pub fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hosting-provider");
    std::fs::create_dir_all(dir.path().join("declarations")).expect("mkdir");
    for entry in std::fs::read_dir(src.join("declarations")).expect("demo declarations") {
        let p = entry.expect("entry").path();
        std::fs::copy(
            &p,
            dir.path()
                .join("declarations")
                .join(p.file_name().expect("name")),
        )
        .expect("copy");
    }
    std::fs::copy(src.join("habeas.toml"), dir.path().join("habeas.toml")).expect("copy toml");
    dir
}

pub fn habeas(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_habeas"));
    c.arg("-C").arg(dir);
    c
}

/// Run the binary, return (exit code, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = habeas(dir).args(args).output().expect("run habeas");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Create a token for `purposes` (comma-separated).
pub fn token(dir: &Path, name: &str, purposes: &str) -> String {
    let (code, out, err) = run(
        dir,
        &["token", "create", "--name", name, "--purposes", purposes],
    );
    assert_eq!(code, 0, "token create failed: {err}");
    out.trim().to_string()
}

pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    pub fn start(dir: &Path) -> Server {
        Server::start_with_env(dir, &[])
    }

    /// [`Server::start`] with extra environment variables (settings such as
    /// `HABEAS_SERVER__KEY_CACHE_SECONDS`).
    pub fn start_with_env(dir: &Path, env: &[(&str, &str)]) -> Server {
        Server::start_with(dir, env, Stdio::inherit())
    }

    /// [`Server::start_with_env`] with the server's log (stderr) sent to
    /// `stderr` (a file, to scan it).
    pub fn start_with(dir: &Path, env: &[(&str, &str)], stderr: Stdio) -> Server {
        let mut child = habeas(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn server");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let addr = loop {
            line.clear();
            let n = reader.read_line(&mut line).expect("read server output");
            assert!(n > 0, "the server exited before listening");
            if let Some(rest) = line.trim().split("http://").nth(1) {
                break rest.to_string();
            }
        };
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        Server { child, addr }
    }

    /// SIGTERM and wait (clean shutdown: final checkpoint).
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    /// SIGKILL and wait.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request; returns (status, body).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    purpose: Option<&str>,
    body: Option<&[u8]>,
) -> (u16, String) {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(p) = purpose {
        req.push_str(&format!("X-Habeas-Purpose: {p}\r\n"));
    }
    let body = body.unwrap_or(b"");
    req.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    let (status, text) = exchange(addr, req.as_bytes(), body);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// Send a raw request — `head`, then `body` — and read the whole answer:
/// (status, the answer's text, head and body).
pub fn exchange(addr: &str, head: &[u8], body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(head).expect("write head");
    // The server may answer (413) before reading a large body.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// `POST` a JSON `body` with a bearer `token` and no purpose header; returns (status, body).
pub fn post(addr: &str, path: &str, token: &str, body: &[u8]) -> (u16, String) {
    http(addr, "POST", path, Some(token), None, Some(body))
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// A new subject created through the API (`POST /api/subjects`); its id.
pub fn new_subject(addr: &str, token: &str) -> String {
    let (status, body) = post(addr, "/api/subjects", token, b"{}");
    assert_eq!(status, 201, "{body}");
    json(&body)["subject"]
        .as_str()
        .expect("subject id")
        .to_string()
}

pub fn data_db(dir: &Path) -> PathBuf {
    dir.join("data").join("habeas.db")
}

/// Count rows of a table in the raw data database.
pub fn count(dir: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(data_db(dir)).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// Every byte of every file under `dirs`.
pub fn all_files(dirs: &[PathBuf]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_file() {
                out.push((p.clone(), std::fs::read(&p).expect("read file")));
            }
        }
    }
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Copy a directory tree (a "backup" of a project).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        let target = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("copy");
        }
    }
}

/// Write a JSON Lines file of `n` contact records for new subjects.
pub fn contacts_file(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("contacts.jsonl");
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "{{\"subject_ref\":\"c{i}\",\"category\":\"contact\",\"fields\":{{\"email\":\"import.{i}@example.org\",\"language\":\"fr\"}}}}\n"
        ));
    }
    std::fs::write(&path, text).expect("write jsonl");
    path
}

/// The test PostgreSQL server's URL (`HABEAS_TEST_POSTGRES_URL`), or `None`
/// after a loud skip message naming `what` did not run; under
/// `HABEAS_REQUIRE_TOOLS=1` a missing URL fails the test instead.
pub fn postgres_url(what: &str) -> Option<String> {
    match std::env::var("HABEAS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "HABEAS_REQUIRE_TOOLS=1 but HABEAS_TEST_POSTGRES_URL is unset"
            );
            eprintln!("SKIPPED: HABEAS_TEST_POSTGRES_URL is unset; {what} did not run");
            None
        }
    }
}

/// The PostgreSQL schemas a test's project uses (`NAME`, `NAME_keys`,
/// `NAME_ledger`), dropped when the guard goes out of scope, passed or not.
pub struct PgSchemas {
    url: String,
    name: String,
}

impl Drop for PgSchemas {
    fn drop(&mut self) {
        let psql = Command::new("psql")
            .args([
                &self.url,
                "-q",
                "-c",
                &format!(
                    "DROP SCHEMA IF EXISTS {0} CASCADE; DROP SCHEMA IF EXISTS {0}_keys CASCADE; DROP SCHEMA IF EXISTS {0}_ledger CASCADE",
                    self.name
                ),
            ])
            .output();
        if let Err(e) = psql {
            eprintln!("could not drop the test schemas {}: {e}", self.name);
        }
    }
}

/// Points the project in `dir` at PostgreSQL (`url`, in schemas named after
/// `prefix` and this process) instead of its embedded SQLite file. Keep the
/// returned guard alive for the whole test: `let _schemas = use_postgres(…)`.
pub fn use_postgres(dir: &Path, url: &str, prefix: &str) -> PgSchemas {
    let name = format!("{prefix}{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    let toml = dir.join("habeas.toml");
    let text = std::fs::read_to_string(&toml).expect("read habeas.toml");
    assert!(
        text.contains("url = \"sqlite://data/habeas.db\""),
        "unexpected habeas.toml"
    );
    let text = text.replace(
        "url = \"sqlite://data/habeas.db\"",
        &format!("url = \"{url}{sep}schema={name}\""),
    );
    std::fs::write(&toml, text).expect("write habeas.toml");
    PgSchemas {
        url: url.to_string(),
        name,
    }
}

/// After a crash: the data file passes `PRAGMA integrity_check`; returns how
/// many of the acknowledged record ids are missing from it.
pub fn missing_after_crash(dir: &Path, acked: &[String]) -> usize {
    let conn = rusqlite::Connection::open(data_db(dir)).expect("open after the crash");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(integrity, "ok");
    let mut stmt = conn
        .prepare("SELECT COUNT(*) FROM records WHERE id = ?1")
        .expect("prepare");
    acked
        .iter()
        .filter(|id| {
            stmt.query_row([id.as_str()], |r| r.get::<_, i64>(0))
                .expect("query")
                == 0
        })
        .count()
}
