//! The console and the portal over real HTTP: a server on 127.0.0.1 with
//! the demo provider's declarations, a subject imported into the vault, and
//! an outbox mailer whose `.eml` files the test reads like a mailbox.
//!
//! What it proves: staff sign-in locks out after repeated failures (429 with
//! Retry-After, even for the right password), a form without its CSRF token
//! is refused and changes nothing, a support agent is refused the console
//! and the refusal is journaled, a DPO sees the pages; the portal answers
//! the same for a known and an unknown address, only the known one receives
//! a code, the code signs in once, the subject sees their data and
//! downloads JSON and a CSV zip, and gives then withdraws a consent.

mod vault_support;

mod web_support;

use std::io::Read;

use habeas_core::clock::SystemClock;
use vault_support::*;
use web_support::*;

#[test]
fn staff_sign_in_locks_out_and_every_page_has_strict_headers() {
    let site = start_site();
    let password = add_staff(&site, "bob", "support");
    let mut c = Client::new(&site.addr);
    let page = c.get("/console/connexion");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").expect("csp");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let html = page.text();
    assert!(html.contains("<html lang=\"fr\">") && html.contains("<label for=\"password\">"));
    assert!(!html.contains("<script"), "no script at all");
    let pre = page
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-habeas_pre="))
        .expect("pre cookie");
    assert!(
        page.header("set-cookie")
            .expect("cookie")
            .contains("HttpOnly"),
        "{pre}"
    );
    let csrf = hidden(&html, "csrf");
    for n in 0..5 {
        let r = c.post(
            "/console/connexion",
            &[
                ("csrf", &csrf),
                ("login", "bob"),
                ("password", "wrong-password-x"),
            ],
        );
        assert_eq!(r.status, 401, "failure {n}");
        assert!(
            r.text()
                .contains("identifiant inconnu, ou mot de passe ou code erroné")
        );
    }
    // Locked: even the right password is refused, with Retry-After.
    let r = c.post(
        "/console/connexion",
        &[("csrf", &csrf), ("login", "bob"), ("password", &password)],
    );
    assert_eq!(r.status, 429, "{}", r.text());
    let retry: i64 = r
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!(retry > 60, "locked for minutes, got {retry}s");
    assert!(r.text().contains("trop de tentatives"));
    // An unknown login gets the same answer as a wrong password.
    let r = c.post(
        "/console/connexion",
        &[
            ("csrf", &csrf),
            ("login", "nobody"),
            ("password", "wrong-password-x"),
        ],
    );
    assert_eq!(r.status, 401);
    // English on request.
    let en = c.get("/console/connexion?lang=en").text();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Staff sign-in"));
}

/// Behind a reverse proxy every request comes from the proxy: without
/// `[server] trusted_proxies` twenty failures from anyone would lock every
/// staff member out of sign-in (the per-source rule). With the proxy
/// trusted, its `X-Forwarded-For` names the client and only that client is
/// locked; from an untrusted peer the header changes nothing.
#[test]
fn sign_in_lockout_counts_the_client_behind_a_trusted_proxy_only() {
    // A client behind the proxy, on the sign-in form: a login and password
    // tried, the status answered.
    let try_sign_in = |site: &Site, forwarded: &str, login: &str, password: &str| {
        let mut c = Client::new(&site.addr);
        c.extra_headers = vec![("X-Forwarded-For".into(), forwarded.into())];
        let csrf = hidden(&c.get("/console/connexion").text(), "csrf");
        let form = [
            ("csrf", csrf.as_str()),
            ("login", login),
            ("password", password),
        ];
        c.post("/console/connexion", &form).status
    };
    let sign_in_failures = |site: &Site, forwarded: &str| {
        for n in 0..20 {
            // A different login each time: the per-login rule stays out of it.
            let status = try_sign_in(site, forwarded, &format!("nobody{n}"), "wrong-password-x");
            assert_eq!(status, 401, "failure {n}");
        }
    };
    let sign_in = |site: &Site, forwarded: &str, password: &str| {
        try_sign_in(site, forwarded, "eve", password)
    };

    let site = start_site_on(std::sync::Arc::new(SystemClock), false, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().expect("network")];
    });
    let password = add_staff(&site, "eve", "support");
    sign_in_failures(&site, "203.0.113.7");
    assert_eq!(
        sign_in(&site, "203.0.113.7", &password),
        429,
        "the failing client"
    );
    assert_eq!(
        sign_in(&site, "198.51.100.9", &password),
        303,
        "another client behind the same proxy"
    );

    // The default: the header is anyone's, the connection is the source.
    let site = start_site();
    let password = add_staff(&site, "eve", "support");
    sign_in_failures(&site, "203.0.113.7");
    assert_eq!(
        sign_in(&site, "198.51.100.9", &password),
        429,
        "a forged X-Forwarded-For escaped the lock-out"
    );
}

/// The sign-in form mails a code to any registered address it is given:
/// at most five per address in fifteen minutes, whoever asks, or anyone
/// could flood a subject's mailbox. Past that the page is the same and no
/// mail leaves; the budget comes back with time.
#[test]
fn portal_sign_in_codes_are_rationed_per_address() {
    let clock = std::sync::Arc::new(habeas_core::clock::ManualClock::new(chrono::Utc::now()));
    let site = start_site_on(clock.clone(), false, |_| {});
    let ask = |n: usize| {
        let mut c = Client::new(&site.addr);
        let csrf = hidden(&c.get("/portail").text(), "csrf");
        let page = c.post(
            "/portail/connexion",
            &[("csrf", &csrf), ("email", "claire.fictive@example.org")],
        );
        assert_eq!(page.status, 200, "ask {n}");
        assert!(
            page.text().contains("name=\"challenge\""),
            "ask {n}: the code page"
        );
        page.text()
    };
    let mut sent_page = String::new();
    for n in 0..5 {
        sent_page = ask(n);
        assert_eq!(mails(&site.outbox()).len(), n + 1, "code {n} mailed");
    }
    let refused = ask(5);
    assert_eq!(mails(&site.outbox()).len(), 5, "a sixth code mailed");
    // Same page whether a code left or not (no enumeration, no budget
    // oracle): only the random challenge and the form's token differ.
    let strip = |page: &str| {
        page.replace(&hidden(page, "challenge"), "")
            .replace(&hidden(page, "csrf"), "")
    };
    assert_eq!(strip(&refused), strip(&sent_page));
    clock.advance(chrono::Duration::minutes(15));
    ask(6);
    assert_eq!(mails(&site.outbox()).len(), 6, "the budget came back");
}

/// Sign-in records are deleted once their time is over (GDPR Art. 5(1)(e)):
/// the sweep `habeas serve` runs every hour leaves open sessions and live
/// codes alone, deletes ended ones, and journals what it deleted.
#[test]
fn ended_sign_in_records_are_swept_and_open_ones_kept() {
    let clock = std::sync::Arc::new(habeas_core::clock::ManualClock::new(chrono::Utc::now()));
    let site = start_site_on(clock.clone(), false, |_| {});
    let records = |kind: &str| {
        count(
            site.dir.path(),
            &format!("SELECT COUNT(*) FROM documents WHERE kind = '{kind}'"),
        )
    };
    let mut dina = signed_in(&site, "dina", "dpo");
    let (mut claire, _) = portal_sign_in(&site.addr, &site.outbox(), "claire.fictive@example.org");
    assert_eq!(records("portal-code"), 1);
    assert_eq!(records("portal-session"), 1);
    // The first-password session was replaced at the password change.
    assert_eq!(records("session"), 2);

    let sweep = || {
        let done = site.rt.block_on(site.ui.sweep_sign_ins()).expect("sweep");
        (done.portal_codes, done.portal_sessions, done.staff_sessions)
    };
    assert_eq!(sweep(), (0, 0, 0), "nothing has ended yet");

    // 20 minutes on: the code has expired and the portal session is idle
    // (15 minutes); staff sessions last 30 idle minutes.
    clock.advance(chrono::Duration::minutes(20));
    assert_eq!(dina.get("/console").status, 200, "noted as active");
    assert_eq!(sweep(), (1, 1, 0));
    assert_eq!(records("portal-session"), 0);
    assert!(
        claire.get("/portail").text().contains("name=\"email\""),
        "the portal's sign-in form again"
    );

    // 40 minutes: the session of the first password (replaced at the
    // change, unused since) is idle; Dina's, active at 20, is not.
    clock.advance(chrono::Duration::minutes(20));
    assert_eq!(sweep(), (0, 0, 1));
    assert_eq!(dina.get("/console").status, 200, "the open session works");

    // Past the 12-hour lifetime: nothing is left.
    clock.advance(chrono::Duration::hours(13));
    assert_eq!(sweep(), (0, 0, 1));
    for kind in ["portal-code", "portal-session", "session"] {
        assert_eq!(records(kind), 0, "{kind} records left");
    }
    assert_eq!(dina.get("/console").status, 303, "back to sign-in");
    let deletions = count(
        site.dir.path(),
        "SELECT COUNT(*) FROM journal WHERE action = 'doc.delete'",
    );
    assert_eq!(deletions, 4, "one journal entry per kind swept");
    let (code, out, err) = run(site.dir.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn unknown_addresses_answer_in_the_form_of_their_area() {
    let site = start_site();
    let mut c = Client::new(&site.addr);
    // The API: a JSON error pointing to the document of its routes.
    for (method, path, status, code) in [
        ("GET", "/api/nonexistent", 404, "unknown_route"),
        ("GET", "/api", 404, "unknown_route"),
        ("DELETE", "/api/subjects/sub_x", 404, "unknown_route"),
        (
            "PUT",
            "/api/subjects/sub_x/records",
            405,
            "method_not_allowed",
        ),
        ("GET", "/api/subjects/find", 405, "method_not_allowed"),
    ] {
        let answer = c.request(method, path, None);
        assert_eq!(answer.status, status, "{method} {path}");
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("json");
        assert_eq!(body["error"]["code"], code, "{method} {path}");
        assert!(
            body["error"]["message_en"]
                .as_str()
                .is_some_and(|m| m.contains("/api/openapi.json")),
            "{body}"
        );
    }
    let answer = c.request("PUT", "/api/subjects/sub_x/records", None);
    assert_eq!(answer.header("allow"), Some("POST,GET,HEAD"));
    // A query string that cannot be read (a parameter twice) is refused in
    // the API's shape, before the token is even looked at, and the value
    // is not repeated back.
    let answer = c.get("/api/subjects/sub_x/records?category=contact&category=s3cr3t");
    assert_eq!(answer.status, 400);
    let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("json");
    assert_eq!(body["error"]["code"], "bad_query", "{body}");
    assert!(!body.to_string().contains("s3cr3t"), "{body}");
    // The pages: the area's "not found" page, in the visitor's language,
    // with the pages' headers; the address is not repeated back.
    for (path, lang, area) in [
        ("/portail/nulle-part", "fr", "Mes données"),
        ("/console/nulle-part?lang=en", "en", "console"),
        ("/nowhere%3Cb%3E?lang=en", "en", "My data"),
    ] {
        let page = c.get(path);
        assert_eq!(page.status, 404, "{path}");
        let html = page.text();
        assert!(
            html.contains(&format!("<html lang=\"{lang}\">")),
            "{path}: {html}"
        );
        assert!(html.contains(area), "{path}: {html}");
        let home = if path.starts_with("/console") {
            "/console"
        } else {
            "/portail"
        };
        assert!(
            html.contains(&format!("<a href=\"{home}\">")),
            "{path}: {html}"
        );
        assert!(
            !html.contains("nulle-part") && !html.contains("nowhere"),
            "{html}"
        );
        assert_eq!(page.header("x-frame-options"), Some("DENY"), "{path}");
        assert!(page.header("content-security-policy").is_some(), "{path}");
    }
}

#[test]
fn forms_without_their_csrf_token_are_refused_and_change_nothing() {
    let site = start_site();
    let password = add_staff(&site, "carol", "dpo");
    let mut c = Client::new(&site.addr);
    c.get("/console/connexion");
    // Sign-in form without / with a forged token: refused before any check.
    let r = c.post(
        "/console/connexion",
        &[("login", "carol"), ("password", &password)],
    );
    assert_eq!(r.status, 403);
    assert!(r.text().contains("jeton anti-falsification"));
    let r = c.post(
        "/console/connexion",
        &[
            ("csrf", "00ff"),
            ("login", "carol"),
            ("password", &password),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(
        c.jar.iter().all(|(k, _)| k != "__Host-habeas_session"),
        "no session opened"
    );
    // Signed in, a password change without the session's token is refused.
    let mut c = signed_in(&site, "dave", "dpo");
    let r = c.post(
        "/console/mot-de-passe",
        &[
            ("csrf", "x"),
            ("current", "Cheval-Agrafe-Batterie-42"),
            ("new", "Autre-Phrase-Longue-77"),
            ("confirm", "Autre-Phrase-Longue-77"),
        ],
    );
    assert_eq!(r.status, 403);
    // The old password still works: nothing changed.
    let mut fresh = Client::new(&site.addr);
    let csrf = hidden(&fresh.get("/console/connexion").text(), "csrf");
    let r = fresh.post(
        "/console/connexion",
        &[
            ("csrf", &csrf),
            ("login", "dave"),
            ("password", "Cheval-Agrafe-Batterie-42"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    // Logout without the token does not end the session.
    let r = c.post("/console/deconnexion", &[("csrf", "nope")]);
    assert_eq!(r.status, 403);
    assert_eq!(c.get("/console").status, 200);
}

#[test]
fn roles_gate_the_console_and_refusals_are_journaled() {
    let site = start_site();
    // Not signed in: to the sign-in page.
    let mut anon = Client::new(&site.addr);
    let r = anon.get("/console");
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/console/connexion"))
    );
    // A support agent: refused, 403, and the journal says so.
    let before = count(site.dir.path(), "SELECT COUNT(*) FROM journal");
    let mut support = signed_in(&site, "sam", "support");
    let r = support.get("/console/violations");
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("Vos rôles ne donnent pas accès"));
    let after = count(
        site.dir.path(),
        "SELECT COUNT(*) FROM journal WHERE action = 'access_refused'",
    );
    assert!(after >= 1, "refusal journaled ({before} entries before)");
    // A DPO sees the three pages with real data: a request just received
    // is listed with its legal deadline.
    let received = {
        use habeas_core::rights::RequestKind;
        use habeas_rights::service::{NewRequest, RequestChannel, RequestService, ServiceConfig};
        use habeas_rights::vault_bridge::{code_key, rights_caller};
        let caller = rights_caller("test");
        let key = code_key(&site.vault, &caller).expect("code key");
        let docs = site.vault.docs(caller);
        RequestService::new(
            &docs,
            &SystemClock,
            site.vault.declarations(),
            ServiceConfig::new(key),
        )
        .create(NewRequest {
            kind: RequestKind::Access,
            channel: RequestChannel::Email,
            subject: None,
            contact_ref: "contact:test".into(),
        })
        .expect("request")
    };
    let mut dpo = signed_in(&site, "dina", "dpo");
    let requests = dpo.get("/console");
    assert_eq!(requests.status, 200, "{}", requests.text());
    let html = requests.text();
    assert!(
        html.contains(&received.id),
        "the new request is listed:\n{html}"
    );
    let deadline = received
        .effective_deadline
        .legal
        .format("%Y-%m-%d")
        .to_string();
    assert!(
        html.contains(&deadline),
        "with its legal deadline {deadline}"
    );
    let breaches = dpo.get("/console/violations?lang=en");
    assert_eq!(breaches.status, 200);
    assert!(breaches.text().contains("No breach in the register"));
    let journal = dpo.get("/console/journal");
    assert_eq!(journal.status, 200);
    assert!(
        journal.text().contains("Journal intact"),
        "{}",
        journal.text()
    );
    assert!(
        journal.text().contains("Aucune durée déclarée"),
        "no [audit] retention: kept whole\n{}",
        journal.text()
    );
    // Logout ends the session.
    let csrf = hidden(&journal.text(), "csrf");
    assert_eq!(
        dpo.post("/console/deconnexion", &[("csrf", &csrf)]).status,
        303
    );
    assert_eq!(dpo.get("/console").status, 303);
}

#[test]
fn portal_code_flow_end_to_end_with_downloads_and_consents() {
    let site = start_site();
    let mut c = Client::new(&site.addr);
    let page = c.get("/portail");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Connexion à Mes données"));
    let csrf = hidden(&page.text(), "csrf");
    // Unknown address: the same answer, no mail.
    let unknown = c.post(
        "/portail/connexion",
        &[("csrf", &csrf), ("email", "personne@example.org")],
    );
    assert_eq!(unknown.status, 200);
    assert!(
        mails(&site.outbox()).is_empty(),
        "no mail for an unknown address"
    );
    let known = c.post(
        "/portail/connexion",
        &[("csrf", &csrf), ("email", "claire.fictive@example.org")],
    );
    assert_eq!(known.status, 200);
    let strip = |s: &str| {
        let at = s.find("name=\"challenge\"").expect("challenge");
        s[..at].to_string()
    };
    assert_eq!(
        strip(&unknown.text()),
        strip(&known.text()),
        "same page either way"
    );
    let sent = mails(&site.outbox());
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("claire.fictive@example.org"));
    assert!(sent[0].contains("https://habeas.test/portail/lien?c="));
    let code = code_in(&sent[0]);
    let challenge = hidden(&known.text(), "challenge");
    // A wrong code is refused; the right one signs in, once.
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let r = c.post(
        "/portail/code",
        &[("csrf", &csrf), ("challenge", &challenge), ("code", wrong)],
    );
    assert_eq!(r.status, 401);
    let r = c.post(
        "/portail/code",
        &[("csrf", &csrf), ("challenge", &challenge), ("code", &code)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let set = r.header("set-cookie").expect("session cookie");
    assert!(
        set.starts_with("__Host-habeas_portal=")
            && set.contains("HttpOnly")
            && set.contains("SameSite=Strict")
    );
    let mut replay = Client::new(&site.addr);
    let csrf2 = hidden(&replay.get("/portail").text(), "csrf");
    let r = replay.post(
        "/portail/code",
        &[("csrf", &csrf2), ("challenge", &challenge), ("code", &code)],
    );
    assert_eq!(r.status, 401, "a code works once");
    // The data, grouped by category with dates, sources and purposes.
    let data = c.get("/portail");
    assert_eq!(data.status, 200);
    let html = data.text();
    for needle in [
        "12 rue de l&#39;Église, Lyon",
        "T-77",
        "Enregistré le ",
        "source : ",
        "finalités : ",
        "Base légale",
        "Vos droits",
        "Quand et pourquoi",
    ] {
        let alt = needle.replace("&#39;", "'");
        assert!(
            html.contains(needle) || html.contains(&alt),
            "page lacks {needle}"
        );
    }
    // Downloads.
    let json = c.get("/portail/export.json");
    assert_eq!(json.status, 200);
    assert!(
        json.header("content-disposition")
            .expect("attachment")
            .contains("attachment")
    );
    let doc: serde_json::Value = serde_json::from_slice(&json.body).expect("json");
    assert!(doc.to_string().contains("claire.fictive@example.org"));
    let zip = c.get("/portail/export.zip");
    assert_eq!(zip.status, 200);
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body.clone())).expect("zip");
    let mut all = String::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).expect("entry");
        f.read_to_string(&mut all).expect("csv text");
    }
    assert!(all.contains("T-77"), "CSV holds the ticket");
    // Consent: give, then withdraw (Art. 7(3)).
    let portal_csrf = hidden(&html, "csrf");
    let r = c.post(
        "/portail/consentement",
        &[
            ("csrf", "forged"),
            ("purpose", "newsletter"),
            ("action", "give"),
        ],
    );
    assert_eq!(r.status, 403);
    let r = c.post(
        "/portail/consentement",
        &[
            ("csrf", &portal_csrf),
            ("purpose", "newsletter"),
            ("action", "give"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let html = c.get("/portail").text();
    assert!(
        html.contains("donné le") && html.contains("Retirer mon consentement"),
        "consent given"
    );
    let r = c.post(
        "/portail/consentement",
        &[
            ("csrf", &portal_csrf),
            ("purpose", "newsletter"),
            ("action", "withdraw"),
        ],
    );
    assert_eq!(r.status, 303);
    assert!(
        c.get("/portail").text().contains("retiré le"),
        "consent withdrawn"
    );
    // Signed out: the downloads are gone.
    assert_eq!(
        c.post("/portail/deconnexion", &[("csrf", &portal_csrf)])
            .status,
        303
    );
    assert_eq!(c.get("/portail/export.json").status, 303);
}

#[test]
fn staff_command_adds_lists_disables_and_refuses_undeclared_roles() {
    let dir = project();
    let (code, out, err) = run(
        dir.path(),
        &[
            "staff",
            "add",
            "eve",
            "--name",
            "Eve Support",
            "--roles",
            "support",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    let summary = lines.next().expect("summary line");
    let password = lines.next().expect("one-time password");
    assert_eq!(
        password.chars().filter(char::is_ascii_alphanumeric).count(),
        20,
        "20 base-32 characters: {password}"
    );
    let id = summary.split('\t').next().expect("id").to_string();
    assert!(id.starts_with("st-"), "{summary}");
    assert!(err.contains("one-time password"));
    let list = run(dir.path(), &["staff", "list"]).1;
    assert!(list.contains("eve") && list.contains("support") && !list.contains(password));
    let (code, out, _) = run(dir.path(), &["staff", "disable", &id]);
    assert_eq!(code, 0);
    assert!(out.contains("Disabled"), "{out}");
    let (code, _, err) = run(dir.path(), &["staff", "roles", &id, "--roles", "janitor"]);
    assert_ne!(code, 0);
    assert!(err.contains("janitor"), "{err}");
    let (code, _, err) = run(dir.path(), &["staff", "reset", &id]);
    assert_ne!(code, 0);
    assert!(err.contains("--password"), "{err}");
}

/// RFC 4648 base 32 (no padding), as the enrolment page shows the key.
fn base32(s: &str) -> Vec<u8> {
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u64, 0);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
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

#[test]
fn a_dpo_must_enrol_totp_then_signs_in_with_a_second_factor() {
    use habeas_web::ui::auth::totp::code_at;
    let site = start_site_with(true);
    let first = add_staff(&site, "olga", "dpo");
    let mut c = Client::new(&site.addr);
    let csrf = hidden(&c.get("/console/connexion").text(), "csrf");
    let r = c.post(
        "/console/connexion",
        &[("csrf", &csrf), ("login", "olga"), ("password", &first)],
    );
    assert_eq!(r.header("location"), Some("/console/mot-de-passe"));
    let pw = "Lune-Carton-Piano-Vert-31";
    let token = hidden(&c.get("/console/mot-de-passe").text(), "csrf");
    let r = c.post(
        "/console/mot-de-passe",
        &[
            ("csrf", &token),
            ("current", &first),
            ("new", pw),
            ("confirm", pw),
        ],
    );
    // The DPO role requires TOTP: enrolment before anything else.
    assert_eq!(r.header("location"), Some("/console/totp"), "{}", r.text());
    assert_eq!(c.get("/console").header("location"), Some("/console/totp"));
    let page = c.get("/console/totp").text();
    assert!(
        page.contains("<svg") && page.contains("Clé à saisir"),
        "QR code and key"
    );
    let key_at = page.find("class=\"secret\">").expect("key") + "class=\"secret\">".len();
    let key = &page[key_at..key_at + page[key_at..].find('<').expect("end")];
    let secret = base32(key);
    let token = hidden(&page, "csrf");
    let code = code_at(&secret, chrono::Utc::now()).expect("code");
    let r = c.post("/console/totp", &[("csrf", &token), ("code", &code)]);
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.text();
    assert!(body.contains("codes de secours"));
    let recovery: Vec<String> = body
        .split("<code>")
        .skip(1)
        .filter_map(|p| p.split('<').next().map(str::to_string))
        .collect();
    assert_eq!(recovery.len(), 10, "ten recovery codes");
    assert_eq!(
        c.get("/console").status,
        200,
        "full session after enrolment"
    );
    // A new sign-in: the password alone asks for the code (not a failure).
    let mut again = Client::new(&site.addr);
    let csrf = hidden(&again.get("/console/connexion").text(), "csrf");
    let r = again.post(
        "/console/connexion",
        &[("csrf", &csrf), ("login", "olga"), ("password", pw)],
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains("saisissez le code"));
    // The code already used at enrolment is never accepted again.
    let r = again.post(
        "/console/connexion",
        &[
            ("csrf", &csrf),
            ("login", "olga"),
            ("password", pw),
            ("code", &code),
        ],
    );
    assert_eq!(r.status, 401, "replayed TOTP code");
    // A recovery code works, once.
    let r = again.post(
        "/console/connexion",
        &[
            ("csrf", &csrf),
            ("login", "olga"),
            ("password", pw),
            ("code", &recovery[0]),
        ],
    );
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/console")),
        "{}",
        r.text()
    );
    let mut third = Client::new(&site.addr);
    let csrf = hidden(&third.get("/console/connexion").text(), "csrf");
    let r = third.post(
        "/console/connexion",
        &[
            ("csrf", &csrf),
            ("login", "olga"),
            ("password", pw),
            ("code", &recovery[0]),
        ],
    );
    assert_eq!(r.status, 401, "a recovery code works once");
}

/// The journal page shows the declared journal retention and today's
/// cut-off (SPEC C6: the DPO sees how long the journal is kept).
#[test]
fn the_console_shows_the_journal_retention_and_its_cutoff() {
    use habeas_core::journal_retention::JournalRetention;
    use habeas_core::retention::{Period, PeriodUnit};
    let site = start_site_on(std::sync::Arc::new(SystemClock), false, |c| {
        c.journal_retention = Some(JournalRetention {
            keep: Period::new(12, PeriodUnit::Months),
            incident_keep: Period::new(36, PeriodUnit::Months),
        });
    });
    let mut dpo = signed_in(&site, "dina", "dpo");
    let page = dpo.get("/console/journal?lang=en");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Journal retention"), "{html}");
    assert!(html.contains("12 months"), "{html}");
    assert!(html.contains("36 months"), "{html}");
    let year_ago = (chrono::Utc::now() - chrono::Duration::days(365))
        .format("%Y-%m")
        .to_string();
    assert!(html.contains(&year_ago), "the cut-off a year back:\n{html}");
}
