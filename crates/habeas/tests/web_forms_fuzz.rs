//! Every form of the portal and the console, found by crawling their pages,
//! sent mangled values — empty, very long, control characters, markup, other
//! scripts, out-of-range numbers and dates, a field left out, an unknown one
//! added — by a signed-in subject, DPO and administrator, each with a valid
//! CSRF token: no answer is a server error, no page repeats markup unescaped,
//! and afterwards the server still answers and the audit journal still
//! verifies. The forms come from the pages, so a new form is covered without
//! changing this test (docs/fuzzing.md). The values come from a fixed-seed
//! generator: a failure names the form and the fields, and replays.

mod vault_support;
mod web_support;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use vault_support::*;
use web_support::*;

/// What the forms are sent, beside the values their pages hold.
const MARKUP: &str = "<script>hbxss()</script>";
const VALUES: &[&str] = &[
    "",
    " ",
    MARKUP,
    "\"><img src=x onerror=hbxss()>",
    "\u{0}\u{1}\r\n\t",
    "é\u{301}ß漢字🙂\u{202e}",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "2026-13-45",
    "9999-12-31T23:59:59Z",
    "../../etc/passwd",
    "' OR 1=1 --",
    "%00%ff",
    "sub_000000000000000000000000",
    "claire.fictive@example.org",
    "@example.org",
    "PA-0001",
    "contact",
];

/// Values that lead somewhere, by field name, sent in the second round of
/// each form (the first sends the page's own values): a person search that
/// finds Claire, a purpose and a category that exist, dates and counts in range.
const KNOWN: &[(&str, &str)] = &[
    ("valeur", "claire.fictive@example.org"),
    ("type", "email"),
    ("finalite", "PA-0006"),
    ("purpose", "PA-0001"),
    ("category", "contact"),
    ("months", "1"),
    ("until", "2027-06-30"),
    ("reason", "Contrôle fictif."),
    ("justification", "Demande complexe (fictif)."),
    ("explanation", "Explication fictive."),
    ("value", "+33 6 12 34 56 78"),
];

/// Splitmix64: a fixed-seed generator, so a failing case replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One `<form method="post">` of a page: where it posts and its fields with
/// the values the page gave them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Form {
    action: String,
    fields: Vec<(String, String)>,
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in one tag's text.
fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let at = tag.find(&marker)? + marker.len();
    let end = tag[at..].find('"')? + at;
    Some(unescape(&tag[at..end]))
}

/// The post forms of a page and the same-site links it holds.
fn read_page(page: &str) -> (Vec<Form>, Vec<String>) {
    let mut forms = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<form") {
        let after = &rest[start..];
        let end = after.find("</form>").unwrap_or(after.len());
        let body = &after[..end];
        let tag = &body[..body.find('>').unwrap_or(body.len())];
        let is_post = attr(tag, "method").is_some_and(|m| m.eq_ignore_ascii_case("post"));
        if let (true, Some(action)) = (is_post, attr(tag, "action")) {
            let mut fields = Vec::new();
            for kind in ["<input", "<select", "<textarea"] {
                let mut inner = body;
                while let Some(i) = inner.find(kind) {
                    let t = &inner[i..];
                    let t = &t[..t.find('>').unwrap_or(t.len())];
                    if let Some(name) = attr(t, "name") {
                        fields.push((name, attr(t, "value").unwrap_or_default()));
                    }
                    inner = &inner[i + kind.len()..];
                }
            }
            forms.push(Form { action, fields });
        }
        rest = &after[end.min(after.len())..];
        if rest.len() == after.len() {
            break;
        }
    }
    let mut links = Vec::new();
    let mut rest = page;
    while let Some(i) = rest.find("href=\"/") {
        let at = i + "href=\"".len();
        let end = rest[at..].find('"').map_or(rest.len(), |e| e + at);
        links.push(unescape(&rest[at..end]));
        rest = &rest[end..];
    }
    (forms, links)
}

/// Actions that end the session or its credentials: fuzzing them would only
/// sign the client out.
fn ends_the_session(action: &str) -> bool {
    let path = action.split('?').next().unwrap_or(action);
    ["deconnexion", "logout", "mot-de-passe", "cloturer"]
        .iter()
        .any(|word| path.contains(word))
        || ["/portail/connexion", "/portail/code", "/console/connexion"].contains(&path)
}

/// What one signed-in client has found: pages seen, forms to send (one per
/// action and set of field names), and how many posts were sent.
struct Explorer {
    prefix: &'static str,
    pages: BTreeSet<String>,
    queue: VecDeque<String>,
    forms: BTreeMap<(String, Vec<String>), Form>,
    sent: usize,
}

impl Explorer {
    fn new(prefix: &'static str) -> Explorer {
        Explorer {
            prefix,
            pages: BTreeSet::new(),
            queue: VecDeque::from([prefix.to_string()]),
            forms: BTreeMap::new(),
            sent: 0,
        }
    }

    /// Take the forms and same-site links of a page or of a post's answer.
    fn harvest(&mut self, page: &str) {
        let (forms, links) = read_page(page);
        for form in forms {
            if ends_the_session(&form.action) || self.forms.len() >= 80 {
                continue;
            }
            let names = form.fields.iter().map(|(k, _)| k.clone()).collect();
            self.forms
                .entry((form.action.clone(), names))
                .or_insert(form);
        }
        for link in links {
            let skip = ends_the_session(&link)
                || link.contains("lang=")
                || link.contains("export")
                || link.ends_with(".zip")
                || link.ends_with(".json")
                || link.ends_with(".csv");
            if link.starts_with(self.prefix) && !skip && !self.pages.contains(&link) {
                self.queue.push_back(link);
            }
        }
    }

    /// Visit the pages queued so far (at most 60 in all).
    fn crawl(&mut self, c: &mut Client) {
        while let Some(path) = self.queue.pop_front() {
            if self.pages.len() >= 60 || !self.pages.insert(path.clone()) {
                continue;
            }
            let answer = c.get(&path);
            assert!(answer.status < 500, "GET {path}: {}", answer.status);
            if std::env::var_os("HABEAS_FORMS_LIST").is_some() {
                eprintln!("page {path}: {}", answer.status);
            }
            self.harvest(&answer.text());
        }
    }

    /// Send every form found `rounds` mangled versions, the first with the
    /// values its page gave; pages and forms that answers lead to are
    /// explored in turn. Every answer is checked.
    fn fuzz(&mut self, c: &mut Client, rng: &mut Rng, rounds: usize) {
        self.crawl(c);
        let mut done: BTreeSet<(String, Vec<String>)> = BTreeSet::new();
        while let Some((key, form)) = self
            .forms
            .iter()
            .find(|(k, _)| !done.contains(*k))
            .map(|(k, f)| (k.clone(), f.clone()))
        {
            done.insert(key);
            for round in 0..rounds {
                let answer = self.post(c, &form, rng, round);
                let redirect = answer.header("location").filter(|_| answer.status == 303);
                if let Some(to) = redirect
                    && to.starts_with(self.prefix)
                    && !self.pages.contains(to)
                {
                    self.queue.push_back(to.to_string());
                } else if answer.status == 200 {
                    self.harvest(&answer.text());
                }
                self.crawl(c);
            }
        }
    }

    fn post(&mut self, c: &mut Client, form: &Form, rng: &mut Rng, round: usize) -> Answer {
        let mut fields: Vec<(String, String)> = Vec::new();
        for (name, value) in &form.fields {
            let known = KNOWN.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
            let mangled = match (name.as_str(), round, rng.below(6)) {
                ("csrf", _, _) | (_, 0, _) => value.clone(),
                (_, 1, _) => known.map_or_else(|| value.clone(), str::to_string),
                (_, _, 0) => continue, // left out
                (_, _, 1) => value.clone(),
                (_, _, 2) => value.repeat(200).chars().take(20_000).collect(),
                _ => VALUES[rng.below(VALUES.len())].to_string(),
            };
            fields.push((name.clone(), mangled));
        }
        if round > 0 && rng.below(4) == 0 {
            fields.push(("hb_unknown".into(), MARKUP.into()));
        }
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let answer = c.post(&form.action, &pairs);
        self.sent += 1;
        let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert!(
            answer.status < 500,
            "POST {} (round {round}, fields {names:?}): {} {}",
            form.action,
            answer.status,
            answer.text()
        );
        assert!(
            !answer.text().contains(MARKUP),
            "POST {} (round {round}) repeated markup unescaped",
            form.action
        );
        answer
    }
}

/// A breach in the register and a substantial notice version, so that the
/// console shows them and their forms.
fn breach_and_notice(site: &Site) {
    let (code, _, err) = run(
        site.dir.path(),
        &[
            "notice",
            "publish",
            "--version",
            "2027-01",
            "--effective",
            "2027-02-01",
            "--substantial",
            "--from-declarations",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        site.dir.path(),
        &[
            "breach",
            "open",
            "--aware",
            "2026-11-20T18:30:00Z",
            "--nature",
            "confidentiality",
            "--description-fr",
            "Copie non autorisée de journaux.",
            "--description-en",
            "Unauthorised copy of logs.",
            "--service",
            "web-hosting",
            "--category",
            "connection_logs",
            "--subjects",
            "customers",
        ],
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn every_form_of_the_portal_and_the_console_survives_mangled_values() {
    let site = start_site();
    breach_and_notice(&site);
    // Another seed or more rounds for a longer hunt:
    // HABEAS_FORMS_SEED=7 HABEAS_FORMS_ROUNDS=200 cargo test -p habeas --test web_forms_fuzz
    let seed = std::env::var("HABEAS_FORMS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x4861_6265_6173);
    let rounds: usize = std::env::var("HABEAS_FORMS_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    let mut rng = Rng(seed);

    let (mut portal, _) = portal_sign_in(&site.addr, &site.outbox(), "claire.fictive@example.org");
    let mut found = Explorer::new("/portail");
    found.fuzz(&mut portal, &mut rng, rounds);
    let mut report = vec![format!(
        "portal: {} pages, {} forms, {} posts",
        found.pages.len(),
        found.forms.len(),
        found.sent
    )];
    assert!(
        found.forms.len() >= 3,
        "the portal's forms were not found: {:?}",
        found.forms.keys()
    );

    for (login, role) in [("dpo.fuzz", "dpo"), ("admin.fuzz", "admin")] {
        let mut staff = signed_in(&site, login, role);
        // Pages named by an id in their path, with ids no record can have.
        for path in [
            "/console/personnes/%C3%A9",
            "/console/personnes/sub_000000000000000000000000",
            "/console/demandes/%C3%A9",
            "/console/demandes/a%2Fb",
            "/console/demandes/R-20261206-0000000000",
        ] {
            let answer = staff.get(path);
            assert!(answer.status < 500, "GET {path}: {}", answer.status);
        }
        let mut found = Explorer::new("/console");
        found.fuzz(&mut staff, &mut rng, rounds);
        assert!(
            found.forms.len() >= 3,
            "{role}: the console's forms were not found: {:?}",
            found.forms.keys()
        );
        if std::env::var_os("HABEAS_FORMS_LIST").is_some() {
            for (action, names) in found.forms.keys() {
                eprintln!("{role}: {action} {names:?}");
            }
        }
        report.push(format!(
            "{role}: {} pages, {} forms, {} posts",
            found.pages.len(),
            found.forms.len(),
            found.sent
        ));
    }
    eprintln!("{}", report.join("; "));

    // Still serving, and every change the posts made is in an intact journal.
    let mut c = Client::new(&site.addr);
    assert_eq!(c.get("/healthz").status, 200);
    let (code, out, err) = run(site.dir.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
