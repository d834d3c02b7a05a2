//! A small HTTP client with a cookie jar and the console test site (the
//! demo project with one imported subject, served with the pages on
//! 127.0.0.1, mail to an outbox), shared by the console tests.
//!
//! Used by the console, portal and browser tests alike.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use habeas_core::clock::{Clock, SystemClock};
use habeas_engine::Caller;
use habeas_notify::{OutboxMailer, Sender};
use habeas_web::ui::auth::{Auth, CsrfKey, HashParams, NewStaff, RoleCatalog};
use habeas_web::ui::{UiConfig, UiState};

use super::vault_support::*;

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// `name=value` of each Set-Cookie.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next().map(str::to_string))
            .collect()
    }
}

/// A browser in miniature: keeps cookies, sends forms.
pub struct Client {
    addr: String,
    pub jar: Vec<(String, String)>,
    /// Sent with every request (e.g. what a reverse proxy adds).
    pub extra_headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(addr: &str) -> Client {
        Client {
            addr: addr.to_string(),
            jar: Vec::new(),
            extra_headers: Vec::new(),
        }
    }

    pub fn request(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Answer {
        let body = form.map(|f| {
            f.iter()
                .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                .collect::<Vec<_>>()
                .join("&")
        });
        let cookie = self
            .jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if !cookie.is_empty() {
            req.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        for (name, value) in &self.extra_headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(b) = &body {
            req.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        req.push_str("\r\n");
        if let Some(b) = &body {
            req.push_str(b);
        }
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.write_all(req.as_bytes()).expect("send");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read");
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut rest = raw[split + 4..].to_vec();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .expect("status");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| {
                l.split_once(':')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            })
            .collect();
        if headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
        {
            rest = dechunk(&rest);
        }
        let answer = Answer {
            status,
            headers,
            body: rest,
        };
        for c in answer.cookies() {
            if let Some((k, v)) = c.split_once('=') {
                self.jar.retain(|(n, _)| n != k);
                if !v.is_empty() {
                    self.jar.push((k.to_string(), v.to_string()));
                }
            }
        }
        answer
    }

    pub fn get(&mut self, path: &str) -> Answer {
        self.request("GET", path, None)
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.request("POST", path, Some(form))
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[end + 2 + size + 2..];
    }
    out
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of hidden input `name` in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in:\n{page}"));
    let rest = &page[at + marker.len()..];
    rest[..rest.find('"').expect("quote")].to_string()
}

pub struct Site {
    pub dir: tempfile::TempDir,
    /// Where the site opened the project: `dir`, or a mount of it.
    pub root: PathBuf,
    pub addr: String,
    pub vault: Arc<habeas_engine::Vault>,
    /// The pages' state the server runs with.
    pub ui: UiState,
    pub rt: tokio::runtime::Runtime,
}

impl Site {
    pub fn outbox(&self) -> PathBuf {
        self.root.join("outbox")
    }
}

/// Claire's contact record (with her address) and a support ticket.
pub fn seed(dir: &Path) {
    let lines = [
        r#"{"subject_ref":"c","category":"contact","source":"form","fields":{"email":"claire.fictive@example.org","postal_address":"12 rue de l'Église, Lyon","country":"FR"}}"#,
        r#"{"subject_ref":"c","category":"support","source":"form","fields":{"ticket_id":"T-77","subject":"Accès FTP","body":"Je n'arrive plus à me connecter."}}"#,
    ];
    std::fs::write(dir.join("claire.jsonl"), lines.join("\n") + "\n").expect("write jsonl");
    let (code, _, err) = run(dir, &["import", "claire.jsonl", "--quiet"]);
    assert_eq!(code, 0, "import failed: {err}");
}

/// The demo project with Claire, served with the pages on 127.0.0.1.
pub fn start_site() -> Site {
    start_site_with(false)
}

/// `mfa`: keep the default rule (TOTP mandatory for admin and DPO).
pub fn start_site_with(mfa: bool) -> Site {
    start_site_on(Arc::new(SystemClock), mfa, |_| {})
}

/// Like [`start_site_with`], with the pages on `clock` (a `ManualClock` lets
/// a test expire sessions without sleeping) and the page settings adjusted by
/// `tweak` after the test defaults are set.
pub fn start_site_on(clock: Arc<dyn Clock>, mfa: bool, tweak: impl FnOnce(&mut UiConfig)) -> Site {
    let dir = project();
    seed(dir.path());
    let root = dir.path().to_path_buf();
    serve_site(dir, root, clock, mfa, tweak)
}

/// The site on the project `dir` opened at `root` (`dir` itself, or a
/// mount of it), with the settings of [`start_site_on`].
pub fn serve_site(
    dir: tempfile::TempDir,
    root: PathBuf,
    clock: Arc<dyn Clock>,
    mfa: bool,
    tweak: impl FnOnce(&mut UiConfig),
) -> Site {
    let vault = Arc::new(habeas_engine::project::open_project(&root).expect("open vault"));
    std::fs::create_dir_all(root.join("outbox")).expect("outbox");
    let mailer = OutboxMailer::new(
        root.join("outbox"),
        Sender::new("Hébergix <privacy@example.org>", None).expect("sender"),
    )
    .expect("mailer");
    let mut config = UiConfig::new("https://habeas.test");
    config.auth.hashing = HashParams::TEST_ONLY;
    // The console tests sign in without an authenticator app; TOTP itself
    // is habeas-auth's and tested there.
    if !mfa {
        config.auth.mfa.roles = BTreeSet::new();
    }
    tweak(&mut config);
    let state =
        UiState::open(Arc::clone(&vault), Arc::new(mailer), clock, config).expect("ui state");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let v = Arc::clone(&vault);
    let ui = state.clone();
    rt.spawn(
        async move { habeas_web::serve_with_ui(listener, v, state, std::future::pending()).await },
    );
    Site {
        dir,
        root,
        addr,
        vault,
        ui,
        rt,
    }
}

/// Creates a staff account; returns its one-time password.
pub fn add_staff(site: &Site, login: &str, role: &str) -> String {
    let config = habeas_web::ui::auth::AuthConfig {
        hashing: HashParams::TEST_ONLY,
        ..Default::default()
    };
    let auth = Auth::new(
        config,
        RoleCatalog::from_declarations(site.vault.declarations()),
        CsrfKey::generate().expect("key"),
    )
    .expect("auth");
    let docs = site.vault.docs(Caller::operator("test", "staff-admin"));
    let created = auth
        .service(&docs, &SystemClock)
        .add_staff(&NewStaff {
            login: login.into(),
            display_name: format!("{login} (test)"),
            roles: [role.to_string()].into_iter().collect(),
        })
        .expect("add staff");
    created.initial_password.expose().to_string()
}

/// Signs in and replaces the one-time password; returns the client.
pub fn signed_in(site: &Site, login: &str, role: &str) -> Client {
    let first = add_staff(site, login, role);
    let mut c = Client::new(&site.addr);
    let form = c.get("/console/connexion").text();
    let csrf = hidden(&form, "csrf");
    let r = c.post(
        "/console/connexion",
        &[("csrf", &csrf), ("login", login), ("password", &first)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(r.header("location"), Some("/console/mot-de-passe"));
    let page = c.get("/console/mot-de-passe").text();
    let csrf = hidden(&page, "csrf");
    let new = "Cheval-Agrafe-Batterie-42";
    let r = c.post(
        "/console/mot-de-passe",
        &[
            ("csrf", &csrf),
            ("current", &first),
            ("new", new),
            ("confirm", new),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    // Console roles land on the console, every other role on the people search.
    let home = if role == "admin" || role == "dpo" {
        "/console"
    } else {
        "/console/personnes"
    };
    assert_eq!(r.header("location"), Some(home));
    c
}

/// A subject signs in on the portal with the code mailed to `address` (read
/// from the outbox); returns the client holding the session and the CSRF
/// token of its pages.
pub fn portal_sign_in(addr: &str, outbox: &Path, address: &str) -> (Client, String) {
    let mut c = Client::new(addr);
    let csrf = hidden(&c.get("/portail").text(), "csrf");
    let before = mails(outbox).len();
    let page = c.post("/portail/connexion", &[("csrf", &csrf), ("email", address)]);
    assert_eq!(page.status, 200);
    let sent = mails(outbox);
    assert_eq!(sent.len(), before + 1, "a sign-in code for {address}");
    let code = code_in(sent.last().expect("mail"));
    let challenge = hidden(&page.text(), "challenge");
    let r = c.post(
        "/portail/code",
        &[("csrf", &csrf), ("challenge", &challenge), ("code", &code)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let home = c.get("/portail").text();
    let token = hidden(&home, "csrf");
    (c, token)
}

/// The `.eml` files in the outbox, oldest first, decoded.
pub fn mails(dir: &Path) -> Vec<String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let raw = std::fs::read_to_string(p).expect("read eml");
            raw.replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

/// The 8-digit code in a mail.
pub fn code_in(mail: &str) -> String {
    mail.lines()
        .map(str::trim)
        .find(|l| l.len() == 8 && l.chars().all(|c| c.is_ascii_digit()))
        .expect("an 8-digit code")
        .to_string()
}

/// RFC 4648 base32 (the TOTP key shown at enrolment); other characters are skipped.
pub fn decode_base32(s: &str) -> Vec<u8> {
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u64, 0);
    for c in s.bytes() {
        let v = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => continue,
        };
        acc = (acc << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// The TOTP key printed on the enrolment page (`class="secret"`), decoded.
pub fn totp_secret(page: &str) -> Vec<u8> {
    let marker = "class=\"secret\">";
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("no TOTP key in:\n{page}"))
        + marker.len();
    decode_base32(&page[at..at + page[at..].find('<').expect("end of key")])
}
