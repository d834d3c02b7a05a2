//! The portal's actions over real HTTP, as a subject uses them: sign in
//! with the mailed code, then correct a field (an e-mail only after the code
//! sent to the new address), restrict and object per purpose, close the
//! account and reactivate it during the grace period, follow the requests,
//! and (as a mail user) manage the allow / deny / personal lists. Each
//! action is checked afterwards in the vault and in the request workflow
//! (what the console and `habeas requests` list), and each bad input is
//! refused with a precise message and changes nothing.

mod vault_support;
mod web_support;

use std::path::PathBuf;
use std::sync::Arc;

use habeas_core::clock::SystemClock;
use habeas_core::rights::{RequestKind, promised_due};
use habeas_engine::{Caller, Vault};
use habeas_mail::vault_store::VaultListStore;
use habeas_mail::{ListKind, MailListStore};
use habeas_notify::{OutboxMailer, Sender};
use habeas_rights::service::{RequestService, RequestView, ServiceConfig};
use habeas_rights::vault_bridge::{self, RIGHTS_PURPOSE};
use habeas_web::ui::auth::HashParams;
use habeas_web::ui::{UiConfig, UiState};
use vault_support::*;
use web_support::*;

/// The value of hidden input `name` in the form that holds `anchor`.
fn hidden_near(page: &str, anchor: &str, name: &str) -> String {
    let at = page
        .find(anchor)
        .unwrap_or_else(|| panic!("no {anchor} in:\n{page}"));
    let start = page[..at].rfind("<form").expect("form start");
    let end = at + page[at..].find("</form>").expect("form end");
    hidden(&page[start..end], name)
}

struct Site {
    dir: tempfile::TempDir,
    addr: String,
    vault: Arc<Vault>,
    _rt: tokio::runtime::Runtime,
}

const CLAIRE: &str = "claire.fictive@example.org";

fn start_site() -> Site {
    let dir = project();
    let lines = [
        r#"{"subject_ref":"c","category":"contact","source":"form","fields":{"email":"claire.fictive@example.org","postal_address":"12 rue de l'Église, Lyon","country":"FR"}}"#,
        r#"{"subject_ref":"c","category":"support","source":"form","fields":{"ticket_id":"T-77","subject":"Accès FTP","body":"Je n'arrive plus à me connecter."}}"#,
        r#"{"subject_ref":"c","category":"prospect_contact","source":"import","fields":{"name":"Claire Fictive","job_title":"DSI","company":"Fictive SARL","email":"claire.pro@example.org"}}"#,
    ];
    std::fs::write(dir.path().join("claire.jsonl"), lines.join("\n") + "\n").expect("jsonl");
    let (code, _, err) = run(dir.path(), &["import", "claire.jsonl", "--quiet"]);
    assert_eq!(code, 0, "import failed: {err}");
    let vault = Arc::new(habeas_engine::project::open_project(dir.path()).expect("open vault"));
    std::fs::create_dir_all(dir.path().join("outbox")).expect("outbox");
    let mailer = OutboxMailer::new(
        dir.path().join("outbox"),
        Sender::new("Hébergix <privacy@example.org>", None).expect("sender"),
    )
    .expect("mailer");
    let mut config = UiConfig::new("https://habeas.test");
    config.auth.hashing = HashParams::TEST_ONLY;
    let state = UiState::open(
        Arc::clone(&vault),
        Arc::new(mailer),
        Arc::new(SystemClock),
        config,
    )
    .expect("ui state");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let v = Arc::clone(&vault);
    rt.spawn(
        async move { habeas_web::serve_with_ui(listener, v, state, std::future::pending()).await },
    );
    Site {
        dir,
        addr,
        vault,
        _rt: rt,
    }
}

impl Site {
    fn outbox(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    fn subject_of(&self, address: &str) -> Vec<String> {
        self.vault
            .find(&caller(), "email", address)
            .expect("find by e-mail")
    }

    /// The request workflow as the console and `habeas requests` see it.
    fn requests<T>(&self, f: impl FnOnce(&RequestService<'_>) -> T) -> T {
        let key = vault_bridge::code_key(&self.vault, &caller()).expect("code key");
        let docs = self.vault.docs(caller());
        let svc = RequestService::new(
            &docs,
            &SystemClock,
            self.vault.declarations(),
            ServiceConfig::new(key),
        );
        f(&svc)
    }

    fn requests_of(&self, subject: &str) -> Vec<RequestView> {
        self.requests(|s| s.list_for_subject(subject).expect("list"))
    }

    /// Signs in with the code mailed to `address`; the client holds the session.
    fn sign_in(&self, address: &str) -> (Client, String) {
        portal_sign_in(&self.addr, &self.outbox(), address)
    }
}

fn caller() -> Caller {
    Caller::operator("test", RIGHTS_PURPOSE)
}

fn contact_field(site: &Site, subject: &str, field: &str) -> String {
    let view = site
        .vault
        .read(&caller(), subject, Some("contact"))
        .expect("read contact");
    view.records[0].fields[field]
        .as_str()
        .expect("text")
        .to_string()
}

#[test]
fn a_subject_corrects_a_field_and_an_email_only_after_the_new_address_confirms() {
    let site = start_site();
    let subject = site.subject_of(CLAIRE).pop().expect("claire");
    let (mut c, csrf) = site.sign_in(CLAIRE);
    let home = c.get("/portail").text();
    for link in [
        "/portail/corriger",
        "/portail/limiter",
        "/portail/demandes",
        "/portail/compte",
    ] {
        assert!(home.contains(link), "home links to {link}");
    }

    let form = c.get("/portail/corriger");
    assert_eq!(form.status, 200);
    let page = form.text();
    assert!(page.contains("<html lang=\"fr\">") && page.contains("<label for="));
    let anchor = "name=\"field\" value=\"postal_address\"";
    let record = hidden_near(&page, anchor, "record");

    // A forged form and an unknown field change nothing, and no request is made.
    let r = c.post(
        "/portail/corriger",
        &[
            ("csrf", "forged"),
            ("category", "contact"),
            ("record", &record),
            ("field", "postal_address"),
            ("value", "1 place Bellecour, Lyon"),
        ],
    );
    assert_eq!(r.status, 403);
    let r = c.post(
        "/portail/corriger",
        &[
            ("csrf", &csrf),
            ("category", "contact"),
            ("record", &record),
            ("field", "shoe_size"),
            ("value", "38"),
        ],
    );
    assert_eq!(r.status, 422);
    let text = r.text();
    assert!(text.contains("shoe_size"), "{text}");
    assert!(
        text.contains("Rien n&#39;a été modifié") || text.contains("Rien n'a été modifié"),
        "{text}"
    );
    assert!(site.requests_of(&subject).is_empty(), "no request recorded");
    assert_eq!(
        contact_field(&site, &subject, "postal_address"),
        "12 rue de l'Église, Lyon"
    );

    // An ordinary field: applied at once, the request recorded and closed.
    let r = c.post(
        "/portail/corriger",
        &[
            ("csrf", &csrf),
            ("category", "contact"),
            ("record", &record),
            ("field", "postal_address"),
            ("value", "1 place Bellecour, Lyon"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(
        r.header("location"),
        Some("/portail/corriger?fait=correction")
    );
    assert!(
        c.get("/portail/corriger?fait=correction")
            .text()
            .contains("Votre donnée est corrigée")
    );
    assert_eq!(
        contact_field(&site, &subject, "postal_address"),
        "1 place Bellecour, Lyon"
    );
    let listed = site.requests_of(&subject);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].kind, RequestKind::Rectification);
    assert!(!listed[0].is_open(), "carried out");

    // The e-mail (a critical identifier): a code goes to the new address,
    // the old one stays until the code comes back.
    let new = "claire.nouvelle@example.org";
    let before = mails(&site.outbox()).len();
    let pending = c.post(
        "/portail/corriger",
        &[
            ("csrf", &csrf),
            ("category", "contact"),
            ("record", &record),
            ("field", "email"),
            ("value", new),
        ],
    );
    assert_eq!(pending.status, 202, "{}", pending.text());
    let sent = mails(&site.outbox());
    assert_eq!(sent.len(), before + 2, "acknowledgment, then the code");
    assert!(
        sent[before].contains(CLAIRE) && !sent[before].contains(new),
        "the acknowledgment goes to the address on file"
    );
    assert!(
        sent.last().unwrap().contains(new),
        "code sent to the new address"
    );
    let code = code_in(sent.last().unwrap());
    assert_eq!(contact_field(&site, &subject, "email"), CLAIRE);
    let page = pending.text();
    let request = hidden(&page, "request");
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let step = |c: &mut Client, code: &str, value: &str| {
        c.post(
            "/portail/corriger/code",
            &[
                ("csrf", &csrf),
                ("request", &request),
                ("category", "contact"),
                ("record", &record),
                ("field", "email"),
                ("value", value),
                ("code", code),
            ],
        )
    };
    let r = step(&mut c, wrong, new);
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Code erroné"));
    // The right code for another value than the one it was sent to: refused.
    let r = step(&mut c, &code, "intrus@example.net");
    assert_eq!(r.status, 422);
    assert_eq!(contact_field(&site, &subject, "email"), CLAIRE);
    let r = step(&mut c, &code, new);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(contact_field(&site, &subject, "email"), new);
    assert_eq!(
        site.subject_of(new),
        std::slice::from_ref(&subject),
        "re-indexed"
    );
    assert!(site.subject_of(CLAIRE).is_empty(), "old address gone");
    let listed = site.requests_of(&subject);
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|v| !v.is_open()));

    // The requests page lists both, with receipt and legal deadline.
    let page = c.get("/portail/demandes").text();
    assert_eq!(page.matches("Droit de rectification").count(), 2, "{page}");
    assert!(page.contains("Délai légal") && page.contains("traitée"));
    // The new address signs in.
    site.sign_in(new);
}

#[test]
fn a_subject_restricts_and_objects_per_purpose_and_the_vault_enforces_it() {
    let site = start_site();
    let subject = site.subject_of(CLAIRE).pop().expect("claire");
    let (mut c, csrf) = site.sign_in(CLAIRE);
    let page = c.get("/portail/limiter").text();
    let restrictable = hidden_near(&page, "value=\"restrict\"", "purpose");

    let r = c.post(
        "/portail/limiter",
        &[
            ("csrf", &csrf),
            ("purpose", "PA-9999"),
            ("action", "restrict"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("ne porte pas sur vos données"));
    let r = c.post(
        "/portail/limiter",
        &[
            ("csrf", &csrf),
            ("purpose", &restrictable),
            ("action", "pause"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(site.requests_of(&subject).is_empty(), "nothing recorded");

    let r = c.post(
        "/portail/limiter",
        &[
            ("csrf", &csrf),
            ("purpose", &restrictable),
            ("action", "restrict"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let (limits, _) = site.vault.processing_limits(&subject).expect("limits");
    assert!(limits.restricted.contains(&restrictable));
    // A request with its clock, open for staff (it shows in the console).
    let open = site.requests(|s| s.list_open().expect("open"));
    let restriction = open
        .iter()
        .find(|v| v.subject.as_deref() == Some(subject.as_str()))
        .expect("in the open list");
    assert_eq!(restriction.kind, RequestKind::Restriction);
    assert!(restriction.identity_verified_at.is_some());
    let page = c.get("/portail/demandes?fait=limitation").text();
    assert!(page.contains("La limitation est en vigueur"));
    assert!(
        c.get("/portail/limiter")
            .text()
            .contains("limité à votre demande")
    );

    // Objection does not apply to a processing under contract (Art. 21(1)).
    let r = c.post(
        "/portail/limiter",
        &[
            ("csrf", &csrf),
            ("purpose", "PA-0001"),
            ("action", "object"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.text().contains("ne s&#39;y applique pas") || r.text().contains("ne s'y applique pas")
    );
    // Direct marketing (PA-0007): the objection is absolute, carried out at once.
    let page = c.get("/portail/limiter").text();
    assert!(
        page.contains("M&#39;opposer à la prospection")
            || page.contains("M'opposer à la prospection")
    );
    let r = c.post(
        "/portail/limiter",
        &[
            ("csrf", &csrf),
            ("purpose", "PA-0007"),
            ("action", "object"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let (limits, _) = site.vault.processing_limits(&subject).expect("limits");
    assert!(limits.objections.contains_key("PA-0007"));
    let marketing = Caller::operator("crm", "PA-0007");
    assert!(
        site.vault
            .read(&marketing, &subject, Some("prospect_contact"))
            .is_err(),
        "the vault refuses marketing reads after the objection"
    );
    let mine = site.requests_of(&subject);
    assert_eq!(mine.len(), 2);
    let objection = mine
        .iter()
        .find(|v| v.kind == RequestKind::Objection)
        .expect("objection request");
    assert!(!objection.is_open(), "Art. 21(3): done at once");
    assert!(
        c.get("/portail/demandes?fait=opposition")
            .text()
            .contains("Votre opposition est en vigueur")
    );
}

#[test]
fn a_subject_lifts_a_restriction_they_asked_for_and_processing_resumes() {
    let site = start_site();
    let subject = site.subject_of(CLAIRE).pop().expect("claire");
    let (mut c, csrf) = site.sign_in(CLAIRE);
    // Customer account management (PA-0001) reads the contact category.
    let accounts = Caller::operator("crm", "PA-0001");
    assert!(
        site.vault
            .read(&accounts, &subject, Some("contact"))
            .is_ok()
    );
    assert!(
        !c.get("/portail/limiter")
            .text()
            .contains("Lever cette limitation"),
        "nothing to lift before a restriction"
    );

    // Lifting a purpose that is not restricted is refused, nothing changes.
    let r = c.post(
        "/portail/limiter/lever",
        &[("csrf", &csrf), ("purpose", "PA-0001")],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.text().contains("pas de limitation à lever"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("Rien n"));

    let r = c.post(
        "/portail/limiter",
        &[
            ("csrf", &csrf),
            ("purpose", "PA-0001"),
            ("action", "restrict"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(
        site.vault
            .read(&accounts, &subject, Some("contact"))
            .is_err(),
        "the vault refuses the restricted processing"
    );
    let page = c.get("/portail/limiter").text();
    assert_eq!(
        hidden_near(&page, "Lever cette limitation", "purpose"),
        "PA-0001"
    );

    // A forged or missing anti-forgery token lifts nothing.
    for form in [
        vec![("csrf", "forged"), ("purpose", "PA-0001")],
        vec![("purpose", "PA-0001")],
    ] {
        let r = c.post("/portail/limiter/lever", &form);
        assert_ne!(r.status, 200);
        assert!(r.text().contains("Formulaire refusé"), "{}", r.text());
        let (limits, _) = site.vault.processing_limits(&subject).expect("limits");
        assert!(limits.restricted.contains("PA-0001"), "still restricted");
    }
    // An objection is not lifted from here.
    let r = c.post(
        "/portail/limiter/lever",
        &[("csrf", &csrf), ("purpose", "PA-0007")],
    );
    assert_eq!(r.status, 422);

    let limits_entries = || {
        site.vault
            .journal_tail(&caller(), &["doc.put", "restriction.lift"], 200)
            .expect("journal")
            .events
    };
    let last_seq = limits_entries().first().map_or(0, |e| e.seq);
    let before = chrono::Utc::now();
    let r = c.post(
        "/portail/limiter/lever",
        &[("csrf", &csrf), ("purpose", "PA-0001")],
    );
    let after = chrono::Utc::now();
    assert_eq!(r.status, 200, "{}", r.text());
    let page = r.text();
    assert!(page.contains("Limitation levée"), "{page}");
    assert!(page.contains("Gestion des comptes clients"), "{page}");
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    assert!(
        page.contains(&stamp(before)) || page.contains(&stamp(after)),
        "the confirmation gives the date: {page}"
    );
    let (limits, _) = site.vault.processing_limits(&subject).expect("limits");
    assert!(!limits.restricted.contains("PA-0001"));
    assert!(
        site.vault
            .read(&accounts, &subject, Some("contact"))
            .is_ok(),
        "processing resumes once lifted"
    );
    // One lift, one journal entry: the limits write, with the subject as
    // actor, naming the purpose that resumed (Art. 18(3)).
    let actor = format!("portal:{subject}");
    let lift: Vec<_> = limits_entries()
        .into_iter()
        .filter(|e| e.seq > last_seq)
        .filter(|e| e.action == "restriction.lift" || e.details.contains("kind=processing-limits"))
        .collect();
    assert_eq!(lift.len(), 1, "{lift:?}");
    assert_eq!(lift[0].actor, actor, "{lift:?}");
    assert_eq!(lift[0].action, "doc.put", "{lift:?}");
    assert!(
        lift[0]
            .details
            .ends_with("restriction=lifted purpose=PA-0001"),
        "{lift:?}"
    );
    // The form is gone, and lifting again is refused.
    assert!(
        !c.get("/portail/limiter")
            .text()
            .contains("Lever cette limitation")
    );
    let r = c.post(
        "/portail/limiter/lever",
        &[("csrf", &csrf), ("purpose", "PA-0001")],
    );
    assert_eq!(r.status, 422);
}

#[test]
fn a_subject_closes_the_account_sees_the_final_date_and_reactivates_it() {
    let site = start_site();
    let subject = site.subject_of(CLAIRE).pop().expect("claire");
    let (mut c, csrf) = site.sign_in(CLAIRE);
    let decls = site.vault.declarations();
    let grace = decls
        .account_closure_grace()
        .expect("the demo declares a grace");
    let page = c.get("/portail/compte").text();
    assert!(page.contains("Délai de grâce déclaré"), "{page}");
    let expected = promised_due(grace, chrono::Utc::now(), decls.holiday_calendar());
    assert!(
        page.contains(&expected.format("%Y-%m-%d").to_string()),
        "final date shown: {page}"
    );

    // In English, with the strict headers of every page.
    let en = c.get("/portail/compte?lang=en");
    assert!(
        en.header("content-security-policy")
            .is_some_and(|v| v.contains("default-src 'none'"))
    );
    assert!(
        en.header("set-cookie")
            .is_some_and(|v| v.starts_with("habeas_lang=en")),
        "the switch is remembered"
    );
    let text = en.text();
    assert!(text.contains("<html lang=\"en\">") && text.contains("Declared grace period"));
    assert!(text.contains("Close my account") && text.contains("<label for=\"confirm\">"));

    // Back to French for the rest of the walk.
    assert!(
        c.get("/portail/compte?lang=fr")
            .text()
            .contains("<html lang=\"fr\">")
    );

    let r = c.post("/portail/cloturer", &[("csrf", &csrf)]);
    assert_eq!(r.status, 422, "the confirmation box is required");
    assert!(site.requests_of(&subject).is_empty());
    let r = c.post("/portail/cloturer", &[("csrf", &csrf), ("confirm", "oui")]);
    assert_eq!(r.status, 303, "{}", r.text());
    let page = c.get("/portail/compte?fait=fermeture").text();
    assert!(page.contains("Fermeture en cours") && page.contains("Réactiver mon compte"));
    let closure = site.requests_of(&subject).pop().expect("closure request");
    assert_eq!(closure.kind, RequestKind::Erasure);
    assert!(closure.account_closure && closure.is_open());
    // Acknowledged by mail like any request (Art. 12(3)): reference and clocks.
    let ack = mails(&site.outbox()).pop().expect("an acknowledgment mail");
    assert!(ack.contains(&closure.id), "{ack}");
    assert!(
        site.requests(|s| s.list_open().expect("open"))
            .iter()
            .any(|v| v.id == closure.id),
        "the console sees it"
    );
    let r = c.post("/portail/cloturer", &[("csrf", &csrf), ("confirm", "oui")]);
    assert_eq!(r.status, 422, "asked once");
    // The Art. 15 answer says the account is closing, and since when.
    let export: serde_json::Value =
        serde_json::from_str(&c.get("/portail/export.json").text()).expect("json");
    assert_eq!(export["subject"]["status"]["status"], "closing", "{export}");
    let day = closure.received_at.format("%Y-%m-%d").to_string();
    assert_eq!(
        export["subject"]["status_label"],
        format!("fermeture en cours depuis le {day}")
    );

    let request = hidden_near(&page, "Réactiver mon compte", "request");
    let r = c.post(
        "/portail/reactiver",
        &[("csrf", "forged"), ("request", &request)],
    );
    assert_eq!(r.status, 403);
    let r = c.post(
        "/portail/reactiver",
        &[("csrf", &csrf), ("request", &request)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let closure = site.requests_of(&subject).pop().expect("closure request");
    assert!(closure.withdrawn_at.is_some() && !closure.is_open());
    assert!(
        site.requests(|s| s.list_open().expect("open"))
            .iter()
            .all(|v| v.id != closure.id),
        "gone from the console"
    );
    let page = c.get("/portail/compte?fait=reactivation").text();
    assert!(page.contains("Votre compte est réactivé") && page.contains("Fermer mon compte"));
    assert!(c.get("/portail/demandes").text().contains("retirée le"));
    // The data is untouched, the account active again.
    assert_eq!(contact_field(&site, &subject, "email"), CLAIRE);
    let export: serde_json::Value =
        serde_json::from_str(&c.get("/portail/export.json").text()).expect("json");
    assert_eq!(export["subject"]["status"]["status"], "active", "{export}");
}

#[test]
fn a_mail_user_manages_lists_and_contradictions_are_refused_with_the_library_message() {
    let site = start_site();
    let marc = "marc.fictif@example.org";
    let store = VaultListStore::new(&site.vault, "test", None).expect("store");
    store
        .update(marc, |l| {
            l.add(ListKind::Perso, "maman@famille.example")
                .map_err(habeas_mail::StoreError::from)
        })
        .expect("seed lists");
    let (mut c, csrf) = site.sign_in(marc);
    assert!(c.get("/portail").text().contains("/portail/listes"));
    let page = c.get("/portail/listes").text();
    assert!(page.contains("maman@famille.example"), "{page}");

    let r = c.post(
        "/portail/listes/ajout",
        &[
            ("csrf", &csrf),
            ("list", "allow"),
            ("entry", "@club.example"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let r = c.post(
        "/portail/listes/ajout",
        &[
            ("csrf", &csrf),
            ("list", "deny"),
            ("entry", "maman@famille.example"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("contradiction"), "{}", r.text());
    let r = c.post(
        "/portail/listes/ajout",
        &[
            ("csrf", "forged"),
            ("list", "deny"),
            ("entry", "spam@x.example"),
        ],
    );
    assert_eq!(r.status, 403);
    let lists = store.load(marc).expect("load").expect("lists");
    assert!(lists.deny.is_empty(), "refusals changed nothing");
    assert_eq!(lists.allow.len(), 1);

    let r = c.post(
        "/portail/listes/retrait",
        &[
            ("csrf", &csrf),
            ("list", "perso"),
            ("entry", "maman@famille.example"),
        ],
    );
    assert_eq!(r.status, 303);
    // No tag style at all: refused by the library.
    let r = c.post(
        "/portail/listes/marquage",
        &[("csrf", &csrf), ("folder", ""), ("subject", "")],
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("au moins un marquage"));
    let r = c.post(
        "/portail/listes/marquage",
        &[("csrf", &csrf), ("keyword", "oui"), ("folder", "Perso")],
    );
    assert_eq!(r.status, 303);
    let lists = store.load(marc).expect("load").expect("lists");
    assert!(lists.perso.is_empty());
    assert_eq!(lists.settings.tag.folder.as_deref(), Some("Perso"));
    assert!(lists.settings.tag.keyword);
}

/// A hand-made address whose parameters cannot be read (one given twice)
/// gets the portal's error page in the visitor's language, quoting nothing,
/// not axum's plain-text refusal.
#[test]
fn an_unreadable_address_gets_the_error_page_and_quotes_nothing() {
    let site = start_site();
    let (mut c, _) = site.sign_in(CLAIRE);
    let r = c.get("/portail/compte?fait=cloture&fait=zqx%3Cb%3E&lang=en");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.header("content-type")
            .is_some_and(|v| v.starts_with("text/html")),
        "{:?}",
        r.header("content-type")
    );
    let page = r.text();
    assert!(page.contains("Unreadable address"), "{page}");
    assert!(!page.to_lowercase().contains("zqx"), "{page}");
    let fr = c.get("/portail/compte?fait=a&fait=b").text();
    assert!(fr.contains("Adresse illisible"), "{fr}");
}
