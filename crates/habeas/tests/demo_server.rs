//! `habeas demo` — the README's first command — renders the demo provider's
//! documents, starts the server on a fresh vault of fictitious subjects and
//! prints a token that works against the API.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

#[test]
fn demo_starts_a_server_whose_printed_token_finds_a_fictitious_subject() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let child = Command::new(env!("CARGO_BIN_EXE_habeas"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--subjects",
            "20",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn habeas demo");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();

    let started = Instant::now();
    let (mut url, mut token, mut example) = (None, None, None);
    while url.is_none() || token.is_none() || example.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "demo did not start"
        );
        let line = lines.next().expect("demo stopped early").expect("line");
        if let Some(rest) = line.split("listening on ").nth(1) {
            url = Some(rest.trim().to_string());
        }
        if let Some(rest) = line.split("demo token: ").nth(1) {
            token = Some(rest.trim().to_string());
        }
        if line.contains("curl") {
            example = Some(line);
        }
    }
    let (url, token) = (url.expect("url"), token.expect("token"));
    let addr = url.trim_start_matches("http://").to_string();
    // The printed example is ready to paste: a declared purpose, not a placeholder.
    let example = example.expect("example");
    assert!(example.contains("X-Habeas-Purpose: PA-0001"), "{example}");

    // The documents were rendered and the project materialised next to them.
    assert!(out.join("register-controller.fr.html").is_file());
    assert!(out.join("project/habeas.toml").is_file());
    assert!(out.join("project/keys/kek.key").is_file());

    let health = http(
        &addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    let body = r#"{"kind":"email","value":"demo.1@example.org"}"#;
    let find = http(
        &addr,
        &format!(
            "POST /api/subjects/find HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Authorization: Bearer {token}\r\nX-Habeas-Purpose: PA-0001\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(find.starts_with("HTTP/1.1 200"), "{find}");
    assert!(find.contains("\"subjects\":[\"sub_"), "{find}");

    // The demo's subjects consented to the newsletter (PA-0008 rests on
    // consent; without a ledger entry the vault would refuse the read).
    let subject = find
        .split("\"subjects\":[\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("subject id");
    let read = http(
        &addr,
        &format!(
            "GET /api/subjects/{subject}/records?category=marketing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Authorization: Bearer {token}\r\nX-Habeas-Purpose: PA-0008\r\n\r\n"
        ),
    );
    assert!(read.starts_with("HTTP/1.1 200"), "{read}");
    assert!(read.contains("demo.1@example.org"), "{read}");

    // A wrong token is refused.
    let refused = http(
        &addr,
        &format!(
            "POST /api/subjects/find HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Authorization: Bearer hbs_0000000000000000_00\r\nX-Habeas-Purpose: PA-0001\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");

    // The portal: a sign-in code for demo.1@example.org lands in the
    // project's outbox, with a link to this machine (the README says so).
    let page = http(
        &addr,
        "GET /portail HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let cookie = page
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("pre-session cookie")
        .to_string();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf");
    let form = format!("csrf={csrf}&email=demo.1%40example.org");
    let asked = http(
        &addr,
        &format!(
            "POST /portail/connexion HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Cookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    );
    assert!(asked.starts_with("HTTP/1.1 200"), "{asked}");
    let outbox = out.join("project/data/outbox");
    let mail = std::fs::read_dir(&outbox)
        .ok()
        .and_then(|mut d| d.next())
        .and_then(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).expect("read mail"))
        .unwrap_or_else(|| panic!("no sign-in code in {}", outbox.display()));
    assert!(
        mail.contains("http://127.0.0.1:8080/portail/lien?c="),
        "the sign-in link: {mail}"
    );
}
