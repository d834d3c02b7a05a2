//! The DPO console's request workflow over real HTTP: a DPO opens a request
//! from the list, sees its history and both clocks, acknowledges it (the
//! acknowledgment is mailed), records an identity proof in their own name,
//! extends it with a justification (the subject is told), starts and
//! answers it; an objection is closed by recording the purposes the vault
//! then refuses; a request is refused with a reason. Forms without their
//! CSRF token, from a role the action is not given to, with missing
//! justifications or a stale version are refused and change nothing; the
//! refusals and every step are in the journal under the staff account.
//!
//! The other console actions likewise: legal holds placed and released
//! with their reasons (retention page), a notice version announced to the
//! subjects with the delivery counts shown (notice page), staff accounts
//! disabled (never one's own) or their TOTP reset and tokens revoked by an
//! administrator (staff page) — each refused without CSRF, refused and
//! journaled for a role the action table does not give it to, and
//! precise about bad input while changing nothing.

mod vault_support;
mod web_support;

use habeas_core::clock::SystemClock;
use habeas_core::rights::{RequestKind, Stage};
use habeas_engine::Caller;
use habeas_rights::service::{
    NewRequest, RequestChannel, RequestService, RequestView, ServiceConfig,
};
use habeas_rights::vault_bridge::{code_key, contact_ref_for, rights_caller};
use vault_support::{count, run};
use web_support::*;

/// A request from Claire, received now, not yet acknowledged.
fn receive(site: &Site, kind: RequestKind) -> RequestView {
    let caller = rights_caller("test");
    let subject = site
        .vault
        .find(&caller, "email", "claire.fictive@example.org")
        .expect("find")
        .pop()
        .expect("Claire is in the vault");
    let contact = contact_ref_for(&site.vault, &caller, &subject, "claire.fictive@example.org")
        .expect("contact ref");
    service(site, |svc| {
        svc.create(NewRequest {
            kind,
            channel: RequestChannel::Email,
            subject: Some(subject.clone()),
            contact_ref: contact.clone(),
        })
        .expect("request")
    })
}

fn service<T>(site: &Site, f: impl FnOnce(&RequestService<'_>) -> T) -> T {
    let caller = rights_caller("test");
    let key = code_key(&site.vault, &caller).expect("code key");
    let docs = site.vault.docs(caller);
    f(&RequestService::new(
        &docs,
        &SystemClock,
        site.vault.declarations(),
        ServiceConfig::new(key),
    ))
}

fn stage(site: &Site, id: &str) -> Stage {
    service(site, |svc| svc.get(id).expect("get").stage)
}

/// Posts one workflow form from the request's page (CSRF and version as shown).
fn step(c: &mut Client, id: &str, fields: &[(&str, &str)]) -> Answer {
    let path = format!("/console/demandes/{id}");
    let page = c.get(&path);
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    let csrf = hidden(&html, "csrf");
    let version = hidden(&html, "version");
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("version", &version)];
    form.extend_from_slice(fields);
    c.post(&path, &form)
}

fn journal_by(site: &Site, action: &str) -> i64 {
    count(
        site.dir.path(),
        &format!("SELECT COUNT(*) FROM journal WHERE actor LIKE 'staff:%' AND action = '{action}'"),
    )
}

#[test]
fn a_dpo_moves_a_request_from_receipt_to_answer_in_the_console() {
    let site = start_site();
    let req = receive(&site, RequestKind::Access);
    let mut dpo = signed_in(&site, "dina", "dpo");

    // The list links to the request; its page shows both clocks and the history.
    let list = dpo.get("/console").text();
    assert!(list.contains(&format!("href=\"/console/demandes/{}\"", req.id)));
    let page = dpo.get(&format!("/console/demandes/{}", req.id));
    assert_eq!(page.status, 200);
    let html = page.text();
    let legal = req.statutory_deadline.legal.format("%Y-%m-%d").to_string();
    assert!(html.contains("Délai légal (art. 12(3) RGPD, un mois)") && html.contains(&legal));
    assert!(html.contains("Délai promis par le fournisseur"));
    assert!(html.contains("Historique"));
    assert!(html.contains("Accuser réception"));

    // Without the CSRF token: refused, nothing changes.
    let r = dpo.post(
        &format!("/console/demandes/{}", req.id),
        &[("action", "acknowledge"), ("elsewhere", "1")],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(stage(&site, &req.id), Stage::Received);

    // Acknowledge: the acknowledgment is mailed to Claire.
    let before = mails(&site.outbox()).len();
    let r = step(&mut dpo, &req.id, &[("action", "acknowledge")]);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(stage(&site, &req.id), Stage::Acknowledged);
    let sent = mails(&site.outbox());
    assert_eq!(sent.len(), before + 1, "one acknowledgment mailed");
    assert!(sent.last().unwrap().contains("claire.fictive@example.org"));
    let after = dpo.get(r.header("location").expect("location")).text();
    assert!(after.contains("Étape enregistrée : Accuser réception."));

    // A document proof without its proportionality reason: refused, unchanged.
    let r = step(
        &mut dpo,
        &req.id,
        &[("action", "proof"), ("method", "document"), ("reason", "")],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("Étape refusée, rien n'a changé"));
    assert_eq!(stage(&site, &req.id), Stage::Acknowledged);
    // The subject signed in: recorded in the staff member's own name.
    let r = step(
        &mut dpo,
        &req.id,
        &[("action", "proof"), ("method", "session")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(stage(&site, &req.id), Stage::IdentityVerified);

    // Extend: a justification is required, and at most two further months.
    let r = step(
        &mut dpo,
        &req.id,
        &[
            ("action", "extend"),
            ("months", "2"),
            ("justification", " "),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let r = step(
        &mut dpo,
        &req.id,
        &[
            ("action", "extend"),
            ("months", "3"),
            ("justification", "Données dans 12 systèmes"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("1 or 2 further months"), "{}", r.text());
    let before = mails(&site.outbox()).len();
    let r = step(
        &mut dpo,
        &req.id,
        &[
            ("action", "extend"),
            ("months", "2"),
            ("justification", "Données réparties dans 12 systèmes"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").expect("location").to_string();
    assert!(location.ends_with("?fait=extend&avis=1"), "{location}");
    let sent = mails(&site.outbox());
    assert_eq!(
        sent.len(),
        before + 1,
        "the subject is told of the extension"
    );
    // (The mail is quoted-printable: compare an ASCII part.)
    assert!(sent.last().unwrap().contains("dans 12 syst"));
    let extended = service(&site, |svc| svc.get(&req.id).expect("get"));
    assert_ne!(extended.effective_deadline, extended.statutory_deadline);
    let html = dpo.get(&location).text();
    assert!(html.contains("Délai prolongé en vigueur"));
    assert!(html.contains("La personne a été informée par courriel."));
    // Only one extension (Art. 12(3)).
    let r = step(
        &mut dpo,
        &req.id,
        &[
            ("action", "extend"),
            ("months", "1"),
            ("justification", "encore"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.text());

    // A stale version: 409, nothing changes.
    let page = dpo.get(&format!("/console/demandes/{}", req.id)).text();
    let csrf = hidden(&page, "csrf");
    let r = dpo.post(
        &format!("/console/demandes/{}", req.id),
        &[("csrf", &csrf), ("version", "1"), ("action", "start")],
    );
    assert_eq!(r.status, 409, "{}", r.text());

    // Start, then answer: the subject is told, the request leaves the list.
    assert_eq!(step(&mut dpo, &req.id, &[("action", "start")]).status, 303);
    let r = step(&mut dpo, &req.id, &[("action", "done")]);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(stage(&site, &req.id), Stage::Done);
    let closed = dpo.get(&format!("/console/demandes/{}", req.id)).text();
    assert!(closed.contains("Cette demande est close"));
    assert!(!dpo.get("/console").text().contains(&req.id));

    // Every step (acknowledge, proof, extend, start, done) is in the
    // journal under a staff account, never a shared one.
    let steps = count(
        site.dir.path(),
        &format!(
            "SELECT COUNT(*) FROM journal WHERE actor LIKE 'staff:%' AND action = 'doc.put' \
             AND details LIKE '%id={}%'",
            req.id
        ),
    );
    assert_eq!(steps, 5, "each step journaled as the staff member");
}

#[test]
fn objections_record_their_purposes_refusals_need_reasons_and_roles_gate_actions() {
    let site = start_site();
    let objection = receive(&site, RequestKind::Objection);
    let refused = receive(&site, RequestKind::Access);
    let mut dpo = signed_in(&site, "dina", "dpo");

    // An administrator opens the console but may not decide on requests.
    let mut admin = signed_in(&site, "ada", "admin");
    let page = admin
        .get(&format!("/console/demandes/{}", objection.id))
        .text();
    assert!(page.contains("Vos rôles permettent de consulter cette demande"));
    // The page offers no form; a hand-made one is refused and journaled.
    let csrf = hidden(&page, "csrf");
    let r = admin.post(
        &format!("/console/demandes/{}", objection.id),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("action", "acknowledge"),
            ("elsewhere", "1"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(stage(&site, &objection.id), Stage::Received);
    assert!(journal_by(&site, "access_refused") >= 1);
    // A support agent does not even open the page.
    let mut support = signed_in(&site, "sam", "support");
    assert_eq!(
        support
            .get(&format!("/console/demandes/{}", objection.id))
            .status,
        403
    );

    // The objection: acknowledged (given by phone, no mail), verified, started.
    for fields in [
        &[("action", "acknowledge"), ("elsewhere", "1")][..],
        &[("action", "proof"), ("method", "session")][..],
        &[("action", "start")][..],
    ] {
        let r = step(&mut dpo, &objection.id, fields);
        assert_eq!(r.status, 303, "{fields:?}: {}", r.text());
    }
    // Done without purposes: refused with how to fix it, nothing recorded.
    let r = step(&mut dpo, &objection.id, &[("action", "done")]);
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("indiquez les finalités concernées"));
    assert_eq!(stage(&site, &objection.id), Stage::InProgress);
    let r = step(
        &mut dpo,
        &objection.id,
        &[("action", "done"), ("purposes", "PA-0007")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(stage(&site, &objection.id), Stage::Done);
    let subject = objection.subject.as_deref().expect("subject");
    let (limits, _) = site.vault.processing_limits(subject).expect("limits");
    assert!(
        limits.objections.contains_key("PA-0007"),
        "the vault now refuses PA-0007 for Claire: {limits:?}"
    );

    // Refuse: `other` needs its legal ground, then a listed reason works and
    // the subject is told with the explanation.
    let r = step(
        &mut dpo,
        &refused.id,
        &[
            ("action", "refuse"),
            ("reason", "other"),
            ("legal_ground", ""),
            ("explanation", "x"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(stage(&site, &refused.id), Stage::Received);
    let before = mails(&site.outbox()).len();
    let r = step(
        &mut dpo,
        &refused.id,
        &[
            ("action", "refuse"),
            ("reason", "excessive"),
            ("explanation", "Troisième demande identique ce mois-ci."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(stage(&site, &refused.id), Stage::Refused);
    let sent = mails(&site.outbox());
    assert_eq!(sent.len(), before + 1);
    assert!(sent.last().unwrap().contains("demande identique ce mois"));

    // An unknown request: 404.
    assert_eq!(dpo.get("/console/demandes/req_inconnue").status, 404);
}

/// A support ticket of Claire's whose retention (3 years after the last
/// interaction) falls due in about ten days.
fn ticket_due_soon(site: &Site) {
    let caller = rights_caller("test");
    let subject = site
        .vault
        .find(&caller, "email", "claire.fictive@example.org")
        .expect("find")
        .pop()
        .expect("Claire is in the vault");
    let last = chrono::Utc::now() - chrono::Duration::days(3 * 365 - 10);
    let input: habeas_engine::validate::RecordInput = serde_json::from_value(serde_json::json!({
        "category": "support",
        "fields": {"ticket_id": "T-88", "subject": "Facture"},
        "events": {"last_interaction": last},
    }))
    .expect("record input");
    site.vault
        .write(&Caller::operator("test", "support"), &subject, input)
        .expect("write the ticket");
}

/// `path` is refused to a support agent, and the refusal is journaled.
fn refused_to_support(site: &Site, path: &str) {
    let mut support = signed_in(site, "sam", "support");
    let before = journal_by(site, "access_refused");
    let r = support.get(path);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("Accès refusé"));
    assert!(!r.text().contains("<table"), "nothing of the page is shown");
    assert_eq!(journal_by(site, "access_refused"), before + 1);
    let refused = count(
        site.dir.path(),
        &format!(
            "SELECT COUNT(*) FROM journal WHERE action = 'access_refused' AND details LIKE '%{path}%'"
        ),
    );
    assert!(refused >= 1, "the refusal names the page");
}

#[test]
fn the_retention_page_shows_the_plan_the_last_purges_and_the_holds() {
    use habeas_retention::hold::{HoldScope, HoldService, NewHold};
    let site = start_site();
    ticket_due_soon(&site);
    // A legal hold on the support category, placed as `habeas hold` does.
    let docs = site.vault.docs(Caller::operator("test", "retention"));
    let hold = HoldService::new(&docs, &SystemClock)
        .add(NewHold {
            scope: HoldScope::Category("support".into()),
            reason: "Contentieux RG 26/01234".into(),
            created_by: "dpo".into(),
            until: None,
        })
        .expect("hold");
    // A purge run, journaled in the form `habeas purge` and the scheduler use.
    site.vault
        .journal_admin(
            &Caller::operator("retention", "retention"),
            "retention.purge",
            "removed=7 counts={}".into(),
        )
        .expect("journal a purge");

    let mut dpo = signed_in(&site, "dina", "dpo");
    // Linked from the console's navigation.
    assert!(
        dpo.get("/console")
            .text()
            .contains("href=\"/console/conservation\"")
    );
    let page = dpo.get("/console/conservation");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("<h2>À venir, par catégorie</h2>"), "{html}");
    // The ticket is due within the 30-day horizon, and kept by the hold.
    let row = &html[html.find("<code>support</code>").expect("support row")..];
    let row = &row[..row.find("</tr>").expect("end of row")];
    assert!(row.contains(&format!("1 ({})", hold.id)), "{row}");
    assert!(html.contains("<h2>Dernières purges</h2>"));
    assert!(html.contains("<code>retention</code>") && html.contains("<td>7</td>"));
    assert!(html.contains("<h2>Gels juridiques en vigueur</h2>"));
    assert!(html.contains(&hold.id) && html.contains("Contentieux RG 26/01234"));
    assert!(html.contains("<th scope=\"col\">Catégorie</th>"));
    // No values, no address.
    assert!(!html.contains("claire.fictive") && !html.contains("T-88"));
    // In English.
    let en = dpo.get("/console/conservation?lang=en").text();
    assert!(en.contains("Due next, by category") && en.contains("Legal holds in force"));

    refused_to_support(&site, "/console/conservation");
}

#[test]
fn the_register_page_shows_both_views_and_the_check_findings() {
    let site = start_site();
    let mut dpo = signed_in(&site, "dina", "dpo");
    assert!(
        dpo.get("/console")
            .text()
            .contains("href=\"/console/registre\"")
    );
    let page = dpo.get("/console/registre");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    // The check: the same verdict as `habeas check` on the project.
    let (code, out, err) = run(site.dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("check json");
    assert_eq!(report["diagnostics"].as_array().map(Vec::len), Some(0));
    assert!(html.contains("<h2>Contrôle des déclarations</h2>"));
    assert!(html.contains("Aucune anomalie"), "{html}");
    // The controller register (Art. 30(1)), rendered from the declarations.
    assert!(html.contains("Registre des activités de traitement — Responsable de traitement"));
    let activity = site
        .vault
        .declarations()
        .activities
        .values()
        .filter(|a| *a.role.get_ref() == habeas_core::declarations::Role::Controller)
        .map(|a| a.name.fr.clone())
        .find(|n| !n.contains(['\'', '&', '"', '<']))
        .expect("a controller activity");
    assert!(html.contains(&activity), "{activity} in the register");
    assert!(
        !html.contains("<style>"),
        "the renderer's inline style is dropped (CSP)"
    );
    // The processor view, and in English.
    let processor = dpo.get("/console/registre?vue=processor&lang=en").text();
    assert!(processor.contains("Register of processing activities — Processor (Art. 30(2))"));
    assert!(processor.contains("aria-current=\"page\""));
    // An unknown view: a precise error, 400.
    let r = dpo.get("/console/registre?vue=tout");
    assert_eq!(r.status, 400);
    assert!(
        r.text()
            .contains("choisissez « controller » ou « processor »")
    );

    refused_to_support(&site, "/console/registre");
}

#[test]
fn the_notice_page_lists_versions_with_dates_changes_and_announcement_counts() {
    use habeas_rights::notices::{Delivery, NOTICE_PURPOSE, NewNotice, NoticeStore};
    let site = start_site();
    let docs = site.vault.docs(Caller::operator("test", NOTICE_PURPOSE));
    let now = chrono::Utc::now();
    // The first version was published (and took effect) ten days ago.
    let then = habeas_core::clock::ManualClock::new(now - chrono::Duration::days(10));
    NoticeStore::new(&docs, &then, site.vault.declarations())
        .publish(NewNotice {
            version: "2026-01".into(),
            text: "Nous traitons vos données.\nContact : dpo@example.org\n".into(),
            effective_at: now - chrono::Duration::days(10),
            substantial: false,
        })
        .expect("first version");
    let store = NoticeStore::new(&docs, &SystemClock, site.vault.declarations());
    store
        .publish(NewNotice {
            version: "2026-12".into(),
            text: "Nous traitons vos données.\nNouveau sous-traitant : Nuagix.\nContact : dpo@example.org\n".into(),
            effective_at: now + chrono::Duration::days(60),
            substantial: true,
        })
        .expect("substantial version");
    store
        .queue(
            "2026-12",
            [
                "sub_a".to_string(),
                "sub_b".to_string(),
                "sub_c".to_string(),
            ],
        )
        .expect("queue");
    store
        .record_delivery("2026-12", "sub_a", Delivery::Sent { at: now })
        .expect("sent");
    store
        .record_delivery(
            "2026-12",
            "sub_b",
            Delivery::Failed {
                at: now,
                reason: "smtp".into(),
            },
        )
        .expect("failed");

    let mut dpo = signed_in(&site, "dina", "dpo");
    assert!(
        dpo.get("/console")
            .text()
            .contains("href=\"/console/politique\"")
    );
    let page = dpo.get("/console/politique");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    // Newest first, with its status, substantial flag, diff link and counts.
    let newest = html.find("<code>2026-12</code>").expect("2026-12 listed");
    let oldest = html.find("<code>2026-01</code>").expect("2026-01 listed");
    assert!(newest < oldest, "newest first");
    let row = &html[newest..html[newest..].find("</tr>").unwrap() + newest];
    assert!(
        row.contains("à venir") && row.contains("<td>oui</td>"),
        "{row}"
    );
    assert!(row.contains("href=\"/portail/politique#v-2026-12\""));
    assert!(row.contains("+1 / −0 lignes"), "{row}");
    assert!(row.contains("<td>3</td><td>1</td><td>1</td>"), "{row}");
    assert!(row.contains(">1</td>"), "one failure");
    let row = &html[oldest..html[oldest..].find("</tr>").unwrap() + oldest];
    assert!(row.contains("en vigueur") && row.contains("sans annonce (changement mineur)"));
    // Counts only: no subject id.
    assert!(!html.contains("sub_a"));
    let en = dpo.get("/console/politique?lang=en").text();
    assert!(en.contains("upcoming") && en.contains("+1 / −0 lines"));

    refused_to_support(&site, "/console/politique");
}

#[test]
fn the_alerts_page_shows_refused_accesses_and_bulk_reads_newest_first() {
    use habeas_engine::journal_tail::BULK_READ_SUBJECTS;
    let site = start_site();
    let claire = site
        .vault
        .find(
            &rights_caller("test"),
            "email",
            "claire.fictive@example.org",
        )
        .expect("find")
        .pop()
        .expect("Claire");
    // A billing token tries to read Claire's support tickets: refused by the vault.
    let (token, _secret) = site
        .vault
        .create_token(
            &Caller::operator("test", "admin"),
            "billing-app",
            &["PA-0002".to_string()],
            &["billing".to_string()],
        )
        .expect("token");
    let refused = site
        .vault
        .read(&Caller::token(token, None), &claire, Some("support"));
    assert!(refused.is_err(), "outside the token's categories");
    // A sync job reads more subjects in a few seconds than the threshold.
    let sync = Caller::operator("crm-sync", "support");
    for _ in 0..BULK_READ_SUBJECTS + 5 {
        let s = site
            .vault
            .create_subject(&Caller::operator("test", "support"), None)
            .expect("subject");
        site.vault.read(&sync, &s, None).expect("read");
    }
    // A few ordinary reads by someone else: no alert for them.
    for _ in 0..3 {
        site.vault
            .read(&Caller::operator("agent-7", "support"), &claire, None)
            .expect("read");
    }

    let mut dpo = signed_in(&site, "dina", "dpo");
    assert!(
        dpo.get("/console")
            .text()
            .contains("href=\"/console/alertes\"")
    );
    // A support agent is refused the page: that refusal is an alert too.
    refused_to_support(&site, "/console/alertes");

    let page = dpo.get("/console/alertes");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    let bulk = html
        .find("lecture en masse")
        .expect("the bulk read is listed");
    assert!(html.contains("<code>crm-sync</code>"));
    assert!(
        html.contains(&format!("{} personnes lues", BULK_READ_SUBJECTS + 5)),
        "{html}"
    );
    assert!(
        !html.contains("<code>agent-7</code>"),
        "three reads are not an alert"
    );
    let vault_refusal = html.find("billing-app").expect("the token's refusal");
    let row_start = html[..vault_refusal].rfind("<tr>").expect("its row");
    assert!(html[row_start..vault_refusal].contains("accès refusé"));
    let console_refusal = html
        .find("console page /console/alertes refused to roles support")
        .expect("the console refusal");
    // Newest first: the console refusal, then the bulk read, then the token's refusal.
    assert!(console_refusal < bulk && bulk < vault_refusal, "order");
    // No subject id on the page.
    assert!(!html.contains(&claire));
    let en = dpo.get("/console/alertes?lang=en").text();
    assert!(en.contains("bulk read") && en.contains("access refused"));
}

#[test]
fn the_staff_page_lists_accounts_and_tokens_without_secrets() {
    use habeas_web::ui::auth::{Auth, AuthConfig, CsrfKey, HashParams, RoleCatalog};
    let site = start_site();
    add_staff(&site, "bob", "billing");
    // Bob leaves: his account is disabled, as `habeas staff disable` does.
    let auth = Auth::new(
        AuthConfig {
            hashing: HashParams::TEST_ONLY,
            ..Default::default()
        },
        RoleCatalog::from_declarations(site.vault.declarations()),
        CsrfKey::generate().expect("key"),
    )
    .expect("auth");
    let docs = site.vault.docs(Caller::operator("test", "staff-admin"));
    let svc = auth.service(&docs, &SystemClock);
    let bob = svc
        .list_staff()
        .expect("list")
        .into_iter()
        .find(|s| s.login == "bob")
        .expect("bob");
    svc.disable_staff(&bob.id).expect("disable");
    let admin = Caller::operator("test", "admin");
    let (billing, billing_secret) = site
        .vault
        .create_token(
            &admin,
            "billing-app",
            &["PA-0002".to_string()],
            &["billing".to_string()],
        )
        .expect("token");
    let (old, old_secret) = site
        .vault
        .create_token(&admin, "old-crm", &["PA-0001".to_string()], &[])
        .expect("token");
    assert!(site.vault.revoke_token(&admin, &old.id).expect("revoke"));

    let mut dpo = signed_in(&site, "dina", "dpo");
    assert!(
        dpo.get("/console")
            .text()
            .contains("href=\"/console/equipe\"")
    );
    let page = dpo.get("/console/equipe");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    let row = |login: &str| {
        let at = html
            .find(&format!("<code>{login}</code>"))
            .unwrap_or_else(|| panic!("{login} listed"));
        html[at..at + html[at..].find("</tr>").unwrap()].to_string()
    };
    // Bob: billing, no TOTP, disabled. Dina: DPO, signed in.
    let b = row("bob");
    assert!(b.contains("<td>billing</td>"), "{b}");
    assert!(
        b.ends_with("<td>oui</td><td>—</td>"),
        "disabled, never signed in: {b}"
    );
    let d = row("dina");
    assert!(
        d.contains("<td>dpo</td>") && !d.contains("<td>—</td>"),
        "{d}"
    );
    // Tokens with their scopes; a revoked one says when; never a secret.
    let t = row(&billing.id);
    assert!(
        t.contains("billing-app") && t.contains("<td>PA-0002</td><td>billing</td>"),
        "{t}"
    );
    let o = row(&old.id);
    assert!(
        o.contains("toutes celles de ses finalités") && !o.ends_with("<td>—</td>"),
        "{o}"
    );
    assert!(!html.contains(&billing_secret) && !html.contains(&old_secret));
    let en = dpo.get("/console/equipe?lang=en").text();
    assert!(en.contains("TOTP enrolled") && en.contains("the secret is never shown"));

    refused_to_support(&site, "/console/equipe");
}

/// The legal holds as stored (what `habeas hold list --all` prints).
fn holds(site: &Site) -> Vec<habeas_retention::hold::Hold> {
    use habeas_retention::hold::{HoldFilter, HoldService};
    let docs = site.vault.docs(Caller::operator("test", "legal_hold"));
    HoldService::new(&docs, &SystemClock)
        .list(HoldFilter::All)
        .expect("holds")
}

/// Claire's subject id.
fn claire(site: &Site) -> String {
    site.vault
        .find(
            &rights_caller("test"),
            "email",
            "claire.fictive@example.org",
        )
        .expect("find")
        .pop()
        .expect("Claire is in the vault")
}

/// Posts a console action form from `path` (with the page's CSRF token).
fn act(c: &mut Client, path: &str, fields: &[(&str, &str)]) -> Answer {
    let page = c.get(path);
    assert_eq!(page.status, 200, "{}", page.text());
    let csrf = hidden(&page.text(), "csrf");
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    form.extend_from_slice(fields);
    c.post(path, &form)
}

/// A refusal of `action` to a role without it, journaled under the staff account.
fn action_refusals(site: &Site, action: &str) -> i64 {
    count(
        site.dir.path(),
        &format!(
            "SELECT COUNT(*) FROM journal WHERE actor LIKE 'staff:%' AND action = 'access_refused' AND details LIKE '%console action {action}%'"
        ),
    )
}

#[test]
fn a_dpo_places_and_releases_legal_holds_with_their_reasons() {
    use habeas_retention::hold::HoldScope;
    let site = start_site();
    let path = "/console/conservation";
    let mut dpo = signed_in(&site, "dina", "dpo");
    let page = dpo.get(path).text();
    assert!(page.contains("Poser un gel juridique") && page.contains("<option value=\"support\">"));

    // Without the CSRF token: refused, no hold.
    let r = dpo.post(
        path,
        &[
            ("action", "hold_place"),
            ("category", "support"),
            ("reason", "RG 26/01234"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(holds(&site).is_empty());

    // Bad input: a precise error each time, nothing placed.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    for (fields, expected) in [
        (vec![("reason", "RG 26/01234")], "l'un des deux"),
        (
            vec![("subject", "sub_inconnu"), ("reason", "RG 26/01234")],
            "Personne concernée inconnue",
        ),
        (
            vec![("category", "astrologie"), ("reason", "RG 26/01234")],
            "Catégorie « astrologie » non déclarée",
        ),
        (
            vec![("category", "support"), ("reason", "  ")],
            "Le motif est obligatoire",
        ),
        (
            vec![
                ("category", "support"),
                ("reason", "RG"),
                ("until", "2020-01-01"),
            ],
            "La date de fin est passée",
        ),
        (
            vec![
                ("category", "support"),
                ("reason", "RG"),
                ("until", "demain"),
            ],
            "Date de fin illisible",
        ),
    ] {
        let mut form = vec![("action", "hold_place")];
        form.extend(fields);
        let r = act(&mut dpo, path, &form);
        assert_eq!(r.status, 422, "{}", r.text());
        assert!(r.text().contains(expected), "{expected}: {}", r.text());
        assert!(r.text().contains("Rien n'a changé"));
    }
    assert!(holds(&site).is_empty());

    // A category hold until tomorrow, then a hold on Claire until released.
    let r = act(
        &mut dpo,
        path,
        &[
            ("action", "hold_place"),
            ("category", "support"),
            ("reason", "Contentieux RG 26/01234"),
            ("until", &tomorrow),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let shown = dpo.get(r.header("location").expect("location")).text();
    assert!(shown.contains("Gel HOLD-0001 posé."), "{shown}");
    let subject = claire(&site);
    let r = act(
        &mut dpo,
        path,
        &[
            ("action", "hold_place"),
            ("subject", &subject),
            ("reason", "Plainte 26/77"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let all = holds(&site);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].scope, HoldScope::Category("support".into()));
    assert_eq!(all[0].reason, "Contentieux RG 26/01234");
    assert!(all[0].until.is_some() && all[0].created_by.starts_with("staff:"));
    assert_eq!(all[1].scope, HoldScope::Subject(subject.clone()));
    assert_eq!(journal_by(&site, "hold.add"), 2);

    // Release: the reason is required; then kept with the hold.
    let r = act(
        &mut dpo,
        path,
        &[("action", "hold_release"), ("hold", "HOLD-0002")],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("Le motif de la levée est obligatoire"));
    assert!(holds(&site)[1].released.is_none());
    let r = act(
        &mut dpo,
        path,
        &[
            ("action", "hold_release"),
            ("hold", "HOLD-0009"),
            ("reason", "x"),
        ],
    );
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.text().contains("Gel inconnu : HOLD-0009"));
    let r = act(
        &mut dpo,
        path,
        &[
            ("action", "hold_release"),
            ("hold", "HOLD-0002"),
            ("reason", "Plainte classée"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let released = holds(&site)[1].released.clone().expect("released");
    assert_eq!(released.reason.as_deref(), Some("Plainte classée"));
    assert!(released.by.starts_with("staff:"));
    assert_eq!(journal_by(&site, "hold.release"), 1);
    let again = act(
        &mut dpo,
        path,
        &[
            ("action", "hold_release"),
            ("hold", "HOLD-0002"),
            ("reason", "encore"),
        ],
    );
    assert_eq!(again.status, 422);
    assert!(again.text().contains("déjà levé"));
    // The CLI sees the same holds.
    let (code, out, err) = run(site.dir.path(), &["hold", "list", "--all"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("HOLD-0001") && out.contains("HOLD-0002") && out.contains("levé le"),
        "{out}"
    );

    // A support agent: refused at the console's gate, journaled, nothing placed.
    let mut support = signed_in(&site, "sam", "support");
    let before = journal_by(&site, "access_refused");
    let r = support.post(
        path,
        &[
            ("action", "hold_place"),
            ("category", "support"),
            ("reason", "x"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(journal_by(&site, "access_refused"), before + 1);
    assert_eq!(holds(&site).len(), 2);
}

#[test]
fn announcing_a_notice_version_mails_the_subjects_and_shows_the_counts() {
    use habeas_rights::notices::{NOTICE_PURPOSE, NewNotice, NoticeStore};
    let site = start_site();
    let docs = site.vault.docs(Caller::operator("test", NOTICE_PURPOSE));
    let store = NoticeStore::new(&docs, &SystemClock, site.vault.declarations());
    let now = chrono::Utc::now();
    for (version, substantial, days) in [("2026-01", false, 30), ("2026-12", true, 60)] {
        store
            .publish(NewNotice {
                version: version.into(),
                text: format!("Version {version} : nous traitons vos données.\n"),
                effective_at: now + chrono::Duration::days(days),
                substantial,
            })
            .expect("publish");
    }
    let path = "/console/politique";
    let mut dpo = signed_in(&site, "dina", "dpo");
    let page = dpo.get(path).text();
    assert!(
        page.contains("Annoncer la version 2026-12 aux personnes"),
        "{page}"
    );
    assert!(
        !page.contains("Annoncer la version 2026-01"),
        "a minor change has no button"
    );
    let outbox = |site: &Site| mails(&site.outbox()).len();
    let before = outbox(&site);

    // Without the CSRF token: nothing queued, nothing sent.
    let r = dpo.post(
        path,
        &[("action", "notice_announce"), ("version", "2026-12")],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        store
            .detail("2026-12")
            .expect("detail")
            .announcement
            .is_none()
    );
    // A minor version, an unknown one: precise errors, nothing sent.
    let r = act(
        &mut dpo,
        path,
        &[("action", "notice_announce"), ("version", "2026-01")],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.text()
            .contains("La version 2026-01 n'est pas substantielle")
    );
    let r = act(
        &mut dpo,
        path,
        &[("action", "notice_announce"), ("version", "1999")],
    );
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.text().contains("Version inconnue : 1999"));
    assert_eq!(outbox(&site), before);

    // Announced: Claire is mailed, the page says how it went.
    let r = act(
        &mut dpo,
        path,
        &[("action", "notice_announce"), ("version", "2026-12")],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(outbox(&site), before + 1);
    assert!(
        mails(&site.outbox())
            .last()
            .unwrap()
            .contains("claire.fictive@example.org")
    );
    let shown = dpo.get(r.header("location").expect("location")).text();
    assert!(
        shown.contains("Annonce de la version 2026-12 : 1 personne avec une adresse, 1 courriel envoyé, aucun échec."),
        "{shown}"
    );
    let counts = store
        .detail("2026-12")
        .expect("detail")
        .announcement
        .expect("queued");
    assert_eq!((counts.recipients, counts.sent, counts.failed), (1, 1, 0));
    assert_eq!(journal_by(&site, "notice.announce"), 1);
    assert!(!shown.contains(&claire(&site)), "counts only, never who");
    let en = dpo
        .get(&format!("{}&lang=en", r.header("location").unwrap()))
        .text();
    assert!(
        en.contains(
            "Announcement of version 2026-12: 1 subject with an address, 1 e-mail sent, no failure."
        ),
        "{en}"
    );

    // A support agent: refused and journaled; nothing more is sent.
    let mut support = signed_in(&site, "sam", "support");
    let before_refusals = journal_by(&site, "access_refused");
    let r = support.post(
        path,
        &[("action", "notice_announce"), ("version", "2026-12")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(journal_by(&site, "access_refused"), before_refusals + 1);
    assert_eq!(outbox(&site), before + 1);
}

#[test]
fn an_admin_disables_accounts_resets_totp_and_revokes_tokens_never_their_own_account() {
    use habeas_web::ui::auth::{
        Auth, AuthConfig, CsrfKey, HashParams, RoleCatalog, StaffStatus, StaffSummary,
    };
    let site = start_site();
    let auth = Auth::new(
        AuthConfig {
            hashing: HashParams::TEST_ONLY,
            ..Default::default()
        },
        RoleCatalog::from_declarations(site.vault.declarations()),
        CsrfKey::generate().expect("key"),
    )
    .expect("auth");
    let docs = site.vault.docs(Caller::operator("test", "staff-admin"));
    let svc = auth.service(&docs, &SystemClock);
    let account = |login: &str| -> StaffSummary {
        svc.list_staff()
            .expect("list")
            .into_iter()
            .find(|s| s.login == login)
            .expect("listed")
    };
    add_staff(&site, "bob", "billing");
    add_staff(&site, "tom", "support");
    // Tom enrols TOTP, as at his first sign-in.
    let tom = account("tom");
    let offer = svc.begin_totp_enrolment(&tom.id).expect("offer");
    let secret = decode_base32(offer.secret_base32.expose());
    let code = habeas_web::ui::auth::totp::code_at(&secret, chrono::Utc::now()).expect("code");
    svc.confirm_totp_enrolment(&tom.id, &code)
        .expect("enrolled");
    assert!(account("tom").totp_enrolled);
    let (token, token_secret) = site
        .vault
        .create_token(
            &Caller::operator("test", "admin"),
            "crm",
            &["PA-0001".to_string()],
            &[],
        )
        .expect("token");

    let path = "/console/equipe";
    let bob = account("bob");
    // The DPO opens the page but the table gives these actions to admins only.
    let mut dpo = signed_in(&site, "dina", "dpo");
    assert!(!dpo.get(path).text().contains("Désactiver le compte"));
    let r = act(
        &mut dpo,
        path,
        &[("action", "staff_disable"), ("staff", &bob.id)],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(action_refusals(&site, "staff_disable"), 1);
    let r = act(
        &mut dpo,
        path,
        &[("action", "token_revoke"), ("token", &token.id)],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(action_refusals(&site, "token_revoke"), 1);
    assert_eq!(account("bob").status, StaffStatus::Active);

    let mut ada = signed_in(&site, "ada", "admin");
    let page = ada.get(path).text();
    assert!(
        page.contains("Désactiver le compte bob")
            && page.contains("Réinitialiser le TOTP du compte tom")
    );
    assert!(
        !page.contains("Désactiver le compte ada"),
        "no button for oneself"
    );
    assert!(!page.contains(&token_secret));
    // Without the CSRF token: nothing changes.
    let r = ada.post(path, &[("action", "staff_disable"), ("staff", &bob.id)]);
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(account("bob").status, StaffStatus::Active);
    // Not oneself.
    let me = account("ada");
    let r = act(
        &mut ada,
        path,
        &[("action", "staff_disable"), ("staff", &me.id)],
    );
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.text()
            .contains("Vous ne pouvez pas désactiver votre propre compte")
    );
    assert_eq!(account("ada").status, StaffStatus::Active);
    // Unknown account, unknown token, nothing to reset: precise errors.
    let r = act(
        &mut ada,
        path,
        &[("action", "staff_disable"), ("staff", "stf_nobody")],
    );
    assert_eq!(r.status, 404);
    assert!(r.text().contains("Compte inconnu : stf_nobody"));
    let r = act(
        &mut ada,
        path,
        &[("action", "token_revoke"), ("token", "0123456789abcdef")],
    );
    assert_eq!(r.status, 404);
    assert!(r.text().contains("Aucun jeton actif 0123456789abcdef"));
    let r = act(
        &mut ada,
        path,
        &[("action", "staff_reset_totp"), ("staff", &bob.id)],
    );
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Le compte bob n'a pas de TOTP enrôlé"));

    // Bob disabled: he can no longer sign in.
    let r = act(
        &mut ada,
        path,
        &[("action", "staff_disable"), ("staff", &bob.id)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let shown = ada.get(r.header("location").expect("location")).text();
    assert!(shown.contains("Compte bob désactivé"), "{shown}");
    assert_eq!(account("bob").status, StaffStatus::Disabled);
    assert_eq!(journal_by(&site, "staff.disable"), 1);
    // A signed-in DPO disabled: the open session ends with it.
    let dina = account("dina");
    let r = act(
        &mut ada,
        path,
        &[("action", "staff_disable"), ("staff", &dina.id)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let r = dpo.get("/console");
    assert_ne!(r.status, 200, "the disabled account's session is over");
    assert!(!r.text().contains("Connecté en tant que"));
    // Tom's TOTP reset: enrols again, no secret shown.
    let r = act(
        &mut ada,
        path,
        &[("action", "staff_reset_totp"), ("staff", &tom.id)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let after = account("tom");
    assert!(!after.totp_enrolled && after.recovery_codes_left == 0);
    assert_eq!(journal_by(&site, "staff.reset_totp"), 1);
    // The token revoked: it no longer opens the API.
    let r = act(
        &mut ada,
        path,
        &[("action", "token_revoke"), ("token", &token.id)],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(site.vault.authenticate(&token_secret).is_err());
    let listed = site.vault.list_tokens().expect("tokens");
    assert!(
        listed
            .iter()
            .find(|t| t.id == token.id)
            .unwrap()
            .revoked_at
            .is_some()
    );
    assert!(journal_by(&site, "token.revoke") >= 1);
    let shown = ada.get(r.header("location").unwrap()).text();
    assert!(shown.contains(&format!("Jeton {} révoqué.", token.id)));
    assert!(!shown.contains(&token_secret));
}

/// An invoice of Claire's, so billing data exists to be refused or shown.
fn invoice(site: &Site, subject: &str) {
    let input: habeas_engine::validate::RecordInput = serde_json::from_value(serde_json::json!({
        "category": "billing",
        "source": "billing",
        "fields": {"invoice_number": "F-2026-0042", "amount": "119.88"},
    }))
    .expect("record input");
    site.vault
        .write(&Caller::operator("test", "PA-0002"), subject, input)
        .expect("write the invoice");
}

/// The people search as a member posts it.
fn find_person(c: &mut Client, purpose: &str, kind: &str, value: &str) -> Answer {
    let csrf = hidden(&c.get("/console/personnes").text(), "csrf");
    c.post(
        "/console/personnes",
        &[
            ("csrf", &csrf),
            ("finalite", purpose),
            ("type", kind),
            ("valeur", value),
        ],
    )
}

/// Journal entries written as staff with this action, purpose and category.
fn staff_entries(site: &Site, action: &str, purpose: &str, category: &str) -> i64 {
    count(
        site.dir.path(),
        &format!(
            "SELECT COUNT(*) FROM journal WHERE actor LIKE 'staff:%' AND action = '{action}' \
             AND purpose = '{purpose}' AND category = '{category}'"
        ),
    )
}

#[test]
fn people_a_support_agent_finds_claire_by_email_and_reads_only_what_support_opens() {
    let site = start_site();
    let id = claire(&site);
    invoice(&site, &id);
    let mut sam = signed_in(&site, "sam", "support");
    // The search offers the purposes of the support role, with their names.
    let page = sam.get("/console/personnes");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("PA-0006 — Support client"), "{html}");
    assert!(html.contains("value=\"email\""));
    assert!(
        !html.contains("PA-0002"),
        "billing is not a support purpose"
    );
    // The only link is to the people page: the console stays closed.
    assert!(html.contains("href=\"/console/personnes\""));
    assert!(!html.contains("href=\"/console/alertes\""));

    let r = find_person(&mut sam, "PA-0006", "email", "Claire.Fictive@example.org");
    assert_eq!(r.status, 200, "{}", r.text());
    let link = format!("/console/personnes/{id}?finalite=PA-0006");
    assert!(r.text().contains(&link), "{}", r.text());
    assert!(staff_entries(&site, "find", "PA-0006", "contact") >= 1);

    let page = sam.get(&link);
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    // Her ticket and her contact record, with their fields, date and source.
    assert!(html.contains("Échanges avec le support") && html.contains("Coordonnées"));
    assert!(
        html.contains("T-77") && html.contains("Accès FTP"),
        "{html}"
    );
    assert!(html.contains("claire.fictive@example.org"));
    assert!(html.contains("<code>ticket_id</code>"));
    assert!(html.contains("Enregistré le") && html.contains("<code>form</code>"));
    // Billing is not listed at all.
    assert!(!html.contains("F-2026-0042") && !html.contains("Facturation"));
    assert_eq!(staff_entries(&site, "read", "PA-0006", "support"), 1);
    assert_eq!(staff_entries(&site, "read", "PA-0006", "contact"), 1);
    assert_eq!(staff_entries(&site, "read", "PA-0006", "billing"), 0);
    let en = sam.get(&format!("{link}&lang=en")).text();
    assert!(en.contains("Support correspondence") && en.contains("Recorded on"));

    // No match: said so.
    let r = find_person(&mut sam, "PA-0006", "email", "personne@example.org");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Aucune personne ne correspond"));
    // Bad input: precise, 422, nothing searched.
    let finds = count(
        site.dir.path(),
        "SELECT COUNT(*) FROM journal WHERE action = 'find'",
    );
    let r = find_person(&mut sam, "PA-0006", "email", "pas-une-adresse");
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(
        r.text().contains("valeur d'identifiant invalide"),
        "{}",
        r.text()
    );
    let r = find_person(&mut sam, "PA-0006", "email", "  ");
    assert_eq!(r.status, 422);
    assert!(r.text().contains("Saisissez la valeur de l'identifiant"));
    let r = find_person(&mut sam, "PA-0006", "invoice_number", "F-2026-0042");
    assert_eq!(r.status, 422);
    assert!(r.text().contains("pas recherché pour cette finalité"));
    assert_eq!(
        count(
            site.dir.path(),
            "SELECT COUNT(*) FROM journal WHERE action = 'find'"
        ),
        finds
    );
}

#[test]
fn people_a_support_agent_dates_the_end_of_claire_s_contract_and_her_contact_record_becomes_due() {
    let site = start_site();
    let id = claire(&site);
    invoice(&site, &id);
    let mut sam = signed_in(&site, "sam", "support");
    let link = format!("/console/personnes/{id}?finalite=PA-0006");
    let html = sam.get(&link).text();
    // Her contact record ("1 year after contract end") waits for the contract's end.
    assert!(html.contains("en attente de « Fin du contrat »"), "{html}");
    assert!(
        html.contains("Dater un événement de conservation"),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");
    let path = format!("/console/personnes/{id}/evenement");
    let date = |sam: &mut Client, csrf: &str, day: &str| {
        sam.post(
            &path,
            &[
                ("csrf", csrf),
                ("finalite", "PA-0006"),
                ("evenement", "contract_end"),
                ("date", day),
            ],
        )
    };
    // A forged form changes nothing and journals nothing; an unreadable date neither.
    assert_eq!(date(&mut sam, "forged", "2024-01-31").status, 403);
    let r = date(&mut sam, &csrf, "31 janvier");
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("Date illisible"));
    assert_eq!(journal_by(&site, "subject.event"), 0);

    let r = date(&mut sam, &csrf, "2024-01-31");
    assert_eq!(r.status, 200, "{}", r.text());
    // Her contact and support records are the support role's; the invoice is not.
    assert!(
        r.text()
            .contains("2 enregistrement(s) mis à jour, dont 1 à supprimer"),
        "{}",
        r.text()
    );
    assert_eq!(journal_by(&site, "subject.event"), 1);
    let html = sam.get(&link).text();
    assert!(!html.contains("en attente de « Fin du contrat »"), "{html}");
    assert!(html.contains("à supprimer le 2025-01-3"), "{html}");
    let billing = count(
        site.dir.path(),
        "SELECT COUNT(*) FROM records WHERE category = 'billing' AND contract_end IS NOT NULL",
    );
    assert_eq!(billing, 0, "billing is not the support role's to date");
}

#[test]
fn people_a_support_agent_asking_for_billing_data_is_refused_journaled_and_alerted() {
    let site = start_site();
    let id = claire(&site);
    invoice(&site, &id);
    let mut sam = signed_in(&site, "sam", "support");
    let before = journal_by(&site, "access_refused");
    let r = sam.get(&format!(
        "/console/personnes/{id}?finalite=PA-0006&categorie=billing"
    ));
    assert_eq!(r.status, 403, "{}", r.text());
    let html = r.text();
    assert!(html.contains("Accès refusé"));
    assert!(
        html.contains("n'a pas accès à la catégorie `billing`"),
        "{html}"
    );
    assert!(!html.contains("F-2026-0042"));
    assert_eq!(journal_by(&site, "access_refused"), before + 1);
    // The entry names the account, the category, the purpose and the
    // pseudonymous subject id, each in its own column (the subject's access
    // log and `habeas audit` find it by subject) — and nothing of Claire's
    // data, nor her id in the text.
    let tail = site
        .vault
        .journal_tail(&Caller::operator("test", "audit"), &["access_refused"], 100)
        .expect("journal");
    let named: Vec<_> = tail
        .events
        .iter()
        .filter(|e| e.purpose.as_deref() == Some("PA-0006"))
        .collect();
    assert_eq!(named.len(), 1, "{named:?}");
    let entry = named[0];
    assert!(entry.actor.starts_with("staff:"), "{entry:?}");
    assert_eq!(entry.subject.as_deref(), Some(id.as_str()), "{entry:?}");
    assert_eq!(entry.category.as_deref(), Some("billing"), "{entry:?}");
    assert!(!entry.details.contains(&id), "{entry:?}");
    assert!(
        entry.details.contains("refused to roles support"),
        "{entry:?}"
    );
    assert_eq!(staff_entries(&site, "read", "PA-0006", "billing"), 0);
    // A billing purpose: refused the same way, in English too.
    let r = sam.get(&format!("/console/personnes/{id}?finalite=PA-0002&lang=en"));
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("Access refused"), "{}", r.text());
    assert_eq!(journal_by(&site, "access_refused"), before + 2);

    // The DPO sees the refusals among the alerts.
    let actor: String = rusqlite::Connection::open(vault_support::data_db(site.dir.path()))
        .expect("db")
        .query_row(
            "SELECT actor FROM journal WHERE action = 'access_refused' AND purpose = 'PA-0006'",
            [],
            |r| r.get(0),
        )
        .expect("actor");
    let mut dpo = signed_in(&site, "dina", "dpo");
    let alerts = dpo.get("/console/alertes").text();
    assert!(alerts.contains(&actor), "{alerts}");
    assert!(
        alerts.contains("category billing for purpose PA-0006"),
        "{alerts}"
    );
    // The alerts page shows no subject id; the journal keeps it, and the
    // chain still verifies.
    assert!(!alerts.contains(&id), "{alerts}");
    assert!(
        matches!(
            site.vault.verify_journal().expect("verify"),
            habeas_engine::Verdict::Intact { .. }
        ),
        "the journal verifies"
    );
}

#[test]
fn people_a_billing_member_reads_billing_not_support_and_forged_or_unknown_requests_change_nothing()
{
    let site = start_site();
    let id = claire(&site);
    invoice(&site, &id);
    let mut bea = signed_in(&site, "bea", "billing");
    // Billing finds people by invoice number (its identifier).
    let r = find_person(&mut bea, "PA-0002", "invoice_number", "F-2026-0042");
    assert_eq!(r.status, 200, "{}", r.text());
    let link = format!("/console/personnes/{id}?finalite=PA-0002");
    assert!(r.text().contains(&link), "{}", r.text());
    let html = bea.get(&link).text();
    assert!(
        html.contains("F-2026-0042") && html.contains("119.88"),
        "{html}"
    );
    assert!(!html.contains("T-77") && !html.contains("claire.fictive"));
    assert!(!html.contains("Échanges avec le support"));
    assert_eq!(staff_entries(&site, "read", "PA-0002", "billing"), 1);

    // A search without its CSRF token: refused, nothing searched or journaled.
    let entries = || count(site.dir.path(), "SELECT COUNT(*) FROM journal");
    let before = entries();
    let r = bea.post(
        "/console/personnes",
        &[
            ("finalite", "PA-0002"),
            ("type", "invoice_number"),
            ("valeur", "F-2026-0042"),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(r.text().contains("Formulaire refusé"));
    assert!(!r.text().contains(&id));
    assert_eq!(entries(), before);
    // An unknown subject: 404.
    assert_eq!(
        bea.get("/console/personnes/sub_00000000000000000000?finalite=PA-0002")
            .status,
        404
    );
    assert_eq!(
        bea.get("/console/personnes/n'importe?finalite=PA-0002")
            .status,
        404
    );
}

#[test]
fn people_a_restriction_claire_asked_for_hides_her_data_from_support_as_on_the_api() {
    let site = start_site();
    let id = claire(&site);
    // Claire restricted customer support (Art. 18), as the portal records it.
    site.vault
        .set_restriction(&Caller::operator("test", "portal"), &id, "PA-0006", true)
        .expect("restrict");
    let mut sam = signed_in(&site, "sam", "support");
    let refused_before = count(
        site.dir.path(),
        "SELECT COUNT(*) FROM journal WHERE action = 'refused' AND actor LIKE 'staff:%'",
    );
    let page = sam.get(&format!("/console/personnes/{id}?finalite=PA-0006"));
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    // The categories are named, their content withheld with the reason.
    assert!(html.contains("Échanges avec le support"), "{html}");
    assert!(html.contains("Non affiché"), "{html}");
    assert!(
        html.contains("limité à la demande de la personne"),
        "{html}"
    );
    assert!(!html.contains("T-77") && !html.contains("claire.fictive"));
    // The vault refused (and journaled) each read, as it does for a token.
    let refused = count(
        site.dir.path(),
        "SELECT COUNT(*) FROM journal WHERE action = 'refused' AND actor LIKE 'staff:%'",
    );
    assert!(refused > refused_before, "the vault journaled its refusals");
    assert_eq!(staff_entries(&site, "read", "PA-0006", "support"), 0);
}
