//! The "Mes données / My data" portal: sign-in by a single-use code sent to
//! a registered address, then everything held about the subject grouped by
//! category (recording date, source, purposes), the purposes, legal bases,
//! recipients, retention and rights in plain words, downloads (JSON, CSV
//! zip) and consents (give, withdraw).
//!
//! Why it reuses habeas-rights: the page shows exactly the Art. 15 answer
//! (`build_access_export`) the subject would receive by post, so the two can
//! never disagree. Every read goes through the vault under the rights
//! purpose and is journaled. What the journal cannot give yet — "when and
//! why my data was accessed" — is said on the page, not invented.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use habeas_core::consent::ConsentState;
use habeas_core::lang::Lang;
use habeas_engine::Caller;
use habeas_notify::MailAddress;
use habeas_notify::templates::{PortalSignIn, Recipient, portal_sign_in};
use habeas_rights::consent_store::ConsentStore;
use habeas_rights::export::model::AccessExport;
use habeas_rights::export::{
    access::build_access_export, csv_zip::access_csv_zip, json::access_json,
};
use habeas_rights::vault_bridge::{self, RIGHTS_PURPOSE, holdings, organisation};
use maud::{Markup, html};
use serde::Deserialize;

use super::UiState;
use super::http::{PageQuery, Peer, UiLang, cleared_cookie, cookie, host_cookie};
use super::page::{Area, Failure, Page, add_cookies, html_response, message, redirect, when};
use super::portal_auth;
use super::staff::{pre_session, pre_session_ok};
use crate::storage_full::OurSide;
use crate::t;

/// The portal session cookie.
pub const PORTAL_COOKIE: &str = "__Host-habeas_portal";

/// The vault caller of the portal: a rights read, journaled as such.
pub(super) fn portal_caller() -> Caller {
    Caller::operator("portal", RIGHTS_PURPOSE)
}

pub(super) fn page(
    lang: Lang,
    title: &str,
    path: &'static str,
    signed_in: Option<String>,
    body: Markup,
) -> Markup {
    Page {
        lang,
        area: Area::Portal,
        title: title.to_string(),
        path,
        nav: Vec::new(),
        sign_out: signed_in.map(|csrf| ("/portail/deconnexion", csrf)),
        body,
    }
    .render()
}

/// The signed-in subject and the session token; `None` when no open session
/// is presented. `Err` when the store could not tell (a full disk among
/// others): the session may be fine, so the caller answers the failure page
/// and keeps the cookie rather than showing the sign-in page.
pub(super) async fn subject_of(
    state: &UiState,
    headers: &HeaderMap,
) -> Result<Option<(String, String)>, Failure> {
    let Some(token) = cookie(headers, PORTAL_COOKIE).map(str::to_string) else {
        return Ok(None);
    };
    let t = token.clone();
    let checked = state
        .run(move |s| {
            let docs = s.vault.docs(portal_caller());
            portal_auth::check_session(
                &docs,
                &t,
                s.clock.now(),
                Duration::minutes(s.config.portal_idle_minutes),
            )
            .map_err(OurSide::from)
        })
        .await?;
    match checked {
        Ok(subject) => Ok(subject.map(|subject| (subject, token))),
        Err(e) => Err(Failure::on_our_side(
            e,
            "a portal session could not be checked",
        )),
    }
}

fn sign_in_page(lang: Lang, csrf: &str) -> Markup {
    let body = html! {
        p { (t!(lang, "portal-sign-in-intro")) }
        form method="post" action="/portail/connexion" {
            input type="hidden" name="csrf" value=(csrf);
            label for="email" { (t!(lang, "portal-sign-in-email")) }
            input type="email" id="email" name="email" autocomplete="email" required autofocus;
            button type="submit" { (t!(lang, "portal-sign-in-send-code")) }
        }
        p { a href="/portail/politique" { (t!(lang, "portal-sign-in-notice-link")) } }
    };
    page(
        lang,
        &t!(lang, "portal-sign-in-title"),
        "/portail",
        None,
        body,
    )
}

fn code_page(lang: Lang, csrf: &str, challenge: &str, code: &str, note: Option<Markup>) -> Markup {
    let body = html! {
        @if let Some(n) = note { (n) }
        form method="post" action="/portail/code" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="challenge" value=(challenge);
            label for="code" { (t!(lang, "portal-code-label")) }
            input type="text" id="code" name="code" value=(code) inputmode="numeric" autocomplete="one-time-code" required autofocus;
            button type="submit" { (t!(lang, "portal-code-submit")) }
        }
        p { a href="/portail" { (t!(lang, "portal-code-another")) } }
    };
    page(lang, &t!(lang, "portal-code-title"), "/portail", None, body)
}

pub async fn home(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let mut r = match subject_of(&state, &headers).await {
        Ok(Some((subject, token))) => data_page(&state, lang, subject, token).await,
        Err(f) => f.render(lang, Area::Portal),
        Ok(None) => {
            let (csrf, set) = pre_session(&state, &headers);
            let mut r = html_response(StatusCode::OK, sign_in_page(lang, &csrf));
            add_cookies(&mut r, &set.into_iter().collect::<Vec<_>>());
            r
        }
    };
    if l.chosen {
        add_cookies(
            &mut r,
            &[format!(
                "{}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
                super::http::LANG_COOKIE,
                lang.tag()
            )],
        );
    }
    r
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// Sends a code if the address is registered; answers the same either way.
pub async fn ask_code(
    State(state): State<UiState>,
    Peer(peer): Peer,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Response {
    let lang = l.lang;
    if !pre_session_ok(&state, &headers, &form.csrf) {
        return Failure::Csrf.render(lang, Area::Portal);
    }
    let challenge = portal_auth::random_id();
    let id = challenge.clone();
    let source = state.client_address(peer, &headers);
    // Past the budget nothing is issued nor mailed; the answer is the same.
    if state
        .code_budget
        .allow(form.email.trim(), source, state.clock.now())
    {
        let done = state
            .run(move |s| send_code(s, &id, form.email.trim(), lang))
            .await;
        if let Ok(Err(e)) = &done {
            // Logged without the address; the answer stays the same.
            tracing::error!(error = %e, "a portal sign-in code could not be sent");
        }
    } else {
        tracing::warn!(
            "a portal sign-in code was not sent: too many asked for this address or client"
        );
    }
    let note = message("notice", &t!(lang, "portal-code-sent-if-registered"));
    html_response(
        StatusCode::OK,
        code_page(lang, &form.csrf, &challenge, "", Some(note)),
    )
}

fn send_code(s: &UiState, challenge: &str, email: &str, lang: Lang) -> Result<(), OurSide> {
    let caller = portal_caller();
    // An address the blind index cannot normalise is simply not registered.
    let Ok(found) = s.vault.find(&caller, "email", email) else {
        return Ok(());
    };
    let Some(subject) = found.first() else {
        return Ok(());
    };
    let Ok(to) = email.parse::<MailAddress>() else {
        return Ok(());
    };
    let docs = s.vault.docs(caller);
    let now = s.clock.now();
    let expires_at = now + Duration::minutes(s.config.portal_code_minutes);
    let code = portal_auth::issue(&docs, &s.keys, challenge, subject, expires_at)
        .map_err(OurSide::from)?;
    let link = format!(
        "{}/portail/lien?c={challenge}&k={code}",
        s.config.public_url.trim_end_matches('/')
    );
    let offset = habeas_core::calendar::local_offset(expires_at);
    let mail = portal_sign_in(
        &organisation(s.vault.declarations()),
        &Recipient {
            to,
            lang: Some(lang),
        },
        &PortalSignIn {
            link,
            code: Some(code),
            expires_at: expires_at.with_timezone(&offset),
        },
    )
    .map_err(OurSide::other)?;
    s.mailer.send(&mail).map_err(OurSide::other)?;
    Ok(())
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    c: String,
    #[serde(default)]
    k: String,
}

/// The link from the message: a page with one button, so that a mail
/// scanner following links does not spend the code.
pub async fn link(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    PageQuery(q): PageQuery<LinkQuery>,
) -> Response {
    let (csrf, set) = pre_session(&state, &headers);
    let challenge = if portal_auth::well_formed_id(&q.c) {
        q.c
    } else {
        String::new()
    };
    let code: String = q.k.chars().filter(char::is_ascii_digit).take(8).collect();
    let mut r = html_response(
        StatusCode::OK,
        code_page(l.lang, &csrf, &challenge, &code, None),
    );
    add_cookies(&mut r, &set.into_iter().collect::<Vec<_>>());
    r
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
}

pub async fn enter_code(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let lang = l.lang;
    if !pre_session_ok(&state, &headers, &form.csrf) {
        return Failure::Csrf.render(lang, Area::Portal);
    }
    let (challenge, code) = (form.challenge.clone(), form.code.clone());
    let outcome = state
        .run(move |s| {
            let docs = s.vault.docs(portal_caller());
            let now = s.clock.now();
            match portal_auth::redeem(&docs, &s.keys, &challenge, &code, now)? {
                Some(subject) => portal_auth::open_session(
                    &docs,
                    &subject,
                    now,
                    Duration::minutes(s.config.portal_absolute_minutes),
                )
                .map(Some),
                None => Ok(None),
            }
        })
        .await;
    match outcome {
        Ok(Ok(Some(token))) => {
            let max_age = state.config.portal_absolute_minutes * 60;
            redirect("/portail", &[host_cookie(PORTAL_COOKIE, &token, max_age)])
        }
        Ok(Ok(None)) => {
            let note = message("error", &t!(lang, "portal-code-wrong"));
            html_response(
                StatusCode::UNAUTHORIZED,
                code_page(lang, &form.csrf, &form.challenge, "", Some(note)),
            )
        }
        Ok(Err(e)) => {
            Failure::on_our_side(e, "a portal code could not be checked").render(lang, Area::Portal)
        }
        Err(f) => f.render(lang, Area::Portal),
    }
}

/// The Art. 15 answer for the signed-in subject, in `lang`.
pub(super) fn export_for(s: &UiState, subject: &str, lang: Lang) -> Result<AccessExport, OurSide> {
    let caller = portal_caller();
    let docs = s.vault.docs(caller.clone());
    let held = holdings(&s.vault, &caller, &docs, &*s.clock, subject).map_err(OurSide::from)?;
    let mut export = build_access_export(s.vault.declarations(), &held, lang, s.clock.now());
    let status = super::portal_rights::with_service(s, |svc, _| Ok(svc.subject_status(subject)?))
        .map_err(|r| match r {
        super::portal_rights::Refused::Internal(e) => e,
        super::portal_rights::Refused::Input { .. } => {
            OurSide::other("the subject's requests could not be read")
        }
    })?;
    export.subject.set_status(status, lang);
    Ok(export)
}

/// Activity ids in words: the purpose names of the export, the id when unnamed.
fn purpose_names(export: &AccessExport, ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            export
                .purposes
                .iter()
                .find(|p| &p.id == id)
                .map_or(id.as_str(), |p| p.name.as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn consent_label(state: &ConsentState, lang: Lang) -> String {
    match state {
        ConsentState::Unknown => t!(lang, "portal-consent-never-asked"),
        ConsentState::Given { since } => t!(lang, "portal-consent-given-on", date = when(*since)),
        ConsentState::Refused { since } => {
            t!(lang, "portal-consent-refused-on", date = when(*since))
        }
        ConsentState::Withdrawn { since } => {
            t!(lang, "portal-consent-withdrawn-on", date = when(*since))
        }
        #[allow(unreachable_patterns)]
        _ => t!(lang, "portal-consent-unknown-state"),
    }
}

async fn data_page(state: &UiState, lang: Lang, subject: String, token: String) -> Response {
    let built = state.run(move |s| export_for(s, &subject, lang)).await;
    let export = match built {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "a portal page could not be built")
                .render(lang, Area::Portal);
        }
        Err(f) => return f.render(lang, Area::Portal),
    };
    let csrf = state.keys.portal_token(&token);
    let decls = state.vault.declarations();
    let body = html! {
        nav aria-label=(t!(lang, "portal-nav-on-this-page")) {
            ul {
                li { a href="#donnees" { (t!(lang, "portal-nav-data")) } }
                li { a href="#telecharger" { (t!(lang, "portal-nav-download")) } }
                li { a href="#finalites" { (t!(lang, "portal-nav-purposes")) } }
                li { a href="#consentements" { (t!(lang, "portal-nav-consents")) } }
                li { a href="#droits" { (t!(lang, "portal-nav-rights")) } }
                li { a href="#acces" { (t!(lang, "portal-nav-accesses")) } }
            }
        }
        nav aria-label=(t!(lang, "portal-act-title")) {
            h2 { (t!(lang, "portal-act-title")) }
            ul {
                li { a href="/portail/corriger" { (t!(lang, "portal-act-correct")) } }
                li { a href="/portail/limiter" { (t!(lang, "portal-act-limits")) } }
                li { a href="/portail/demandes" { (t!(lang, "portal-act-requests")) } }
                li { a href="/portail/compte" { (t!(lang, "portal-act-close-account")) } }
                @if super::portal_mail::offered(decls) {
                    li { a href="/portail/listes" { (t!(lang, "portal-act-mail-lists")) } }
                }
            }
        }
        section aria-labelledby="donnees" {
            h2 id="donnees" { (t!(lang, "portal-nav-data")) }
            @if export.categories.is_empty() {
                (message("notice", &t!(lang, "portal-no-data")))
            }
            @for c in &export.categories {
                section {
                    h3 { (c.label) }
                    @if let Some(d) = &c.description { p { (d) } }
                    @if let Some(r) = &c.retention {
                        p { strong { (t!(lang, "portal-kept")) " " } (r.description) }
                    }
                    @for r in &c.records {
                        table {
                            caption {
                                (t!(lang, "portal-recorded-on", date = when(r.recorded_at)))
                                " — " (t!(lang, "portal-source")) " " (r.source_label)
                                " — " (t!(lang, "portal-purposes")) " " (purpose_names(&export, &r.purposes))
                            }
                            thead { tr {
                                th scope="col" { (t!(lang, "portal-data-field")) }
                                th scope="col" { (t!(lang, "portal-data-value")) }
                            } }
                            tbody {
                                @for (k, v) in &r.fields {
                                    tr { th scope="row" { (k) } td { (v) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="telecharger" {
            h2 id="telecharger" { (t!(lang, "portal-download-title")) }
            ul {
                li { a href={ "/portail/export.json?lang=" (lang.tag()) } download { (t!(lang, "portal-download-json")) } }
                li { a href={ "/portail/export.zip?lang=" (lang.tag()) } download { (t!(lang, "portal-download-csv")) } }
            }
        }
        section aria-labelledby="finalites" {
            h2 id="finalites" { (t!(lang, "portal-purposes-title")) }
            @for p in &export.purposes {
                h3 { (p.name) }
                @if let Some(text) = &p.purpose { p { (text) } }
                @if let Some(b) = &p.legal_basis {
                    p { strong { (t!(lang, "portal-legal-basis")) " " } (b.label)
                        @if let Some(r) = &b.reference { " — " (r) } }
                }
                @if !p.recipients.is_empty() {
                    p { strong { (t!(lang, "portal-recipients")) " " } (p.recipients.join(", ")) }
                }
            }
            @if !export.recipients.is_empty() {
                h3 { (t!(lang, "portal-recipients-title")) }
                ul { @for r in &export.recipients {
                    li { (r.name) " — " (r.role_label) @if let Some(c) = &r.country { " (" (c) ")" } }
                } }
            }
            @if !export.transfers.is_empty() {
                h3 { (t!(lang, "portal-transfers-title")) }
                ul { @for t in &export.transfers {
                    li { (t.recipient_name) " — " (t.country) @if let Some(s) = &t.safeguard_label { " : " (s) } }
                } }
            }
            p { (export.automated_decisions.statement) }
        }
        section aria-labelledby="consentements" {
            h2 id="consentements" { (t!(lang, "portal-nav-consents")) }
            @if decls.consents.is_empty() {
                p { (t!(lang, "portal-consents-none")) }
            }
            @for (name, purpose) in &decls.consents {
                @let state = export.consents.iter().find(|c| &c.purpose == name.get_ref()).map(|c| &c.state);
                @let given = matches!(state, Some(ConsentState::Given { .. }));
                form method="post" action="/portail/consentement" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="purpose" value=(name.get_ref());
                    input type="hidden" name="action" value=(if given { "withdraw" } else { "give" });
                    p { (purpose.text.get(lang)) }
                    p { strong { (t!(lang, "portal-state")) " " }
                        (state.map(|s| consent_label(s, lang)).unwrap_or_else(|| consent_label(&ConsentState::Unknown, lang))) }
                    button type="submit" {
                        @if given { (t!(lang, "portal-consent-withdraw")) }
                        @else { (t!(lang, "portal-consent-give")) }
                    }
                }
            }
        }
        section aria-labelledby="droits" {
            h2 id="droits" { (t!(lang, "portal-nav-rights")) }
            ul { @for r in &export.rights {
                li { strong { (r.label) } " (" (r.article) ") — " (r.how) }
            } }
            p { (export.complaint.statement) }
        }
        section aria-labelledby="acces" {
            h2 id="acces" { (t!(lang, "portal-accesses-title")) }
            @if export.access_log.is_empty() {
                p { (t!(lang, "portal-accesses-none")) }
            } @else {
                ul { @for a in &export.access_log { li { (when(a.at)) " — " (a.purpose_label) } } }
            }
        }
    };
    html_response(
        StatusCode::OK,
        page(
            lang,
            &t!(lang, "portal-home-title"),
            "/portail",
            Some(csrf),
            body,
        ),
    )
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        bytes,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

async fn export_as(state: UiState, l: UiLang, headers: HeaderMap, zip: bool) -> Response {
    let lang = l.lang;
    let (subject, _) = match subject_of(&state, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return redirect("/portail", &[]),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let made = state
        .run(move |s| {
            let export = export_for(s, &subject, lang)?;
            if zip {
                access_csv_zip(&export).map_err(OurSide::other)
            } else {
                access_json(&export).map_err(OurSide::other)
            }
        })
        .await;
    match made {
        Ok(Ok(bytes)) if zip => download(bytes, "application/zip", "mes-donnees.zip"),
        Ok(Ok(bytes)) => download(bytes, "application/json", "mes-donnees.json"),
        Ok(Err(e)) => {
            Failure::on_our_side(e, "a portal export could not be built").render(lang, Area::Portal)
        }
        Err(f) => f.render(lang, Area::Portal),
    }
}

pub async fn export_json(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    export_as(state, l, headers, false).await
}

pub async fn export_zip(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    export_as(state, l, headers, true).await
}

#[derive(Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    action: String,
}

/// Gives or withdraws a consent (Art. 7(3): withdrawing as easy as giving).
pub async fn consent(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<ConsentForm>,
) -> Response {
    let lang = l.lang;
    let (subject, token) = match subject_of(&state, &headers).await {
        Ok(Some(found)) => found,
        Ok(None) => return redirect("/portail", &[]),
        Err(f) => return f.render(lang, Area::Portal),
    };
    if !super::secret::WebKeys::same(&state.keys.portal_token(&token), &form.csrf) {
        return Failure::Csrf.render(lang, Area::Portal);
    }
    let done = state
        .run(move |s| {
            let decls = s.vault.declarations();
            let docs = s.vault.docs(portal_caller());
            let store = ConsentStore::new(&docs, &*s.clock, decls);
            let Ok(notice) = store.shown(&form.purpose, lang) else {
                return Ok(false);
            };
            match form.action.as_str() {
                "give" => store
                    .give(&subject, &form.purpose, "portal", notice)
                    .map(|_| true)
                    .map_err(OurSide::from),
                "withdraw" => vault_bridge::withdraw_consent(
                    &s.vault,
                    &portal_caller(),
                    &store,
                    &subject,
                    &form.purpose,
                    "portal",
                    notice,
                )
                .map(|_| true)
                .map_err(OurSide::from),
                _ => Ok(false),
            }
        })
        .await;
    match done {
        Ok(Ok(true)) => redirect("/portail#consentements", &[]),
        Ok(Ok(false)) => Failure::NotFound.render(lang, Area::Portal),
        Ok(Err(e)) => {
            Failure::on_our_side(e, "a consent could not be recorded").render(lang, Area::Portal)
        }
        Err(f) => f.render(lang, Area::Portal),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    // A session that could not be checked cannot be closed either (the
    // store fails; it ends once idle): the subject asked to leave, so the
    // cookie goes all the same.
    let Ok(Some((_, token))) = subject_of(&state, &headers).await else {
        return redirect("/portail", &[cleared_cookie(PORTAL_COOKIE)]);
    };
    if !super::secret::WebKeys::same(&state.keys.portal_token(&token), &form.csrf) {
        return Failure::Csrf.render(l.lang, Area::Portal);
    }
    let _ = state
        .run(move |s| {
            let docs = s.vault.docs(portal_caller());
            if let Err(e) = portal_auth::close_session(&docs, &token) {
                tracing::warn!(error = %e, "a portal session could not be closed");
            }
        })
        .await;
    redirect("/portail", &[cleared_cookie(PORTAL_COOKIE)])
}
