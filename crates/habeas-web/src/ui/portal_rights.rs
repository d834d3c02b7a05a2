//! The machinery the portal's rights actions share, and the page where the
//! subject follows their requests with their deadlines (Art. 12(3)).
//!
//! Why every action is a request: the portal is one more channel of the
//! request workflow (`habeas-rights` service), so each action — correction
//! ([`super::portal_correct`]), restriction and objection
//! ([`super::portal_limits`]), account closure ([`super::portal_account`]) —
//! has its two clocks, shows in the DPO console and in `habeas requests`,
//! and is carried out by the same code as the CLI and the API. The subject
//! is signed in with a single-use code mailed to an address on file, so the
//! portal session is the identity proof (Art. 12(6); EDPB Guidelines 01/2022
//! §3.3) recorded on each request. Bad input is refused before a request is
//! created; nothing here logs personal data.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_core::lang::Lang;
use habeas_core::rights::{IdentityProof, RequestKind, VerificationMethod};
use habeas_engine::{EngineError, Vault};
use habeas_rights::RightsError;
use habeas_rights::service::{
    NewRequest, RequestChannel, RequestService, RequestView, ServiceConfig,
};
use habeas_rights::vault_bridge::{self, BridgeError};
use maud::{Markup, html};
use serde::Deserialize;

use super::UiState;
use super::http::{PageQuery, UiLang};
use super::page::{Area, Failure, add_cookies, html_response, message, redirect, when};
use super::portal::{page, portal_caller, subject_of};
use crate::storage_full::OurSide;
use crate::t;

/// The signed-in subject and the portal form token.
pub(super) struct Signed {
    pub subject: String,
    pub csrf: String,
}

/// The signed-in subject; otherwise the answer to send: back to sign-in, or
/// the failure page when the session could not be checked (cookie kept).
pub(super) async fn signed(
    state: &UiState,
    headers: &HeaderMap,
    lang: Lang,
) -> Result<Signed, Response> {
    match subject_of(state, headers).await {
        Ok(Some((subject, token))) => Ok(Signed {
            csrf: state.keys.portal_token(&token),
            subject,
        }),
        Ok(None) => Err(back_to_portal()),
        Err(f) => Err(f.render(lang, Area::Portal)),
    }
}

/// The signed-in subject behind a posted form whose token matches the
/// session's; otherwise the answer to send (sign-in again, or the CSRF
/// refusal page — nothing was changed).
pub(super) async fn signed_post(
    state: &UiState,
    headers: &HeaderMap,
    lang: Lang,
    form_csrf: &str,
) -> Result<Signed, Response> {
    let who = signed(state, headers, lang).await?;
    if !csrf_ok(&who, form_csrf) {
        return Err(Failure::Csrf.render(lang, Area::Portal));
    }
    Ok(who)
}

/// A form's token matches the session's.
pub(super) fn csrf_ok(who: &Signed, form_csrf: &str) -> bool {
    super::secret::WebKeys::same(&who.csrf, form_csrf)
}

/// Why an action was refused, in both languages; nothing was changed.
#[derive(Debug)]
pub(super) enum Refused {
    /// The subject's input: what is wrong and how to fix it.
    Input { fr: String, en: String },
    /// Our side (a full disk among others); details go to the server log
    /// (without personal data).
    Internal(OurSide),
}

impl Refused {
    pub(super) fn input(fr: impl Into<String>, en: impl Into<String>) -> Refused {
        Refused::Input {
            fr: fr.into(),
            en: en.into(),
        }
    }

    /// A refusal whose text is a portal message, taken in both languages
    /// (the page shows the one the subject reads).
    pub(super) fn said(text: impl Fn(Lang) -> String) -> Refused {
        Refused::Input {
            fr: text(Lang::Fr),
            en: text(Lang::En),
        }
    }
}

/// The text of a refusal in the subject's language.
pub(super) fn in_lang(lang: Lang, fr: String, en: String) -> String {
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

impl From<EngineError> for Refused {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Invalid(r) | EngineError::Conflict(r) | EngineError::Forbidden(r) => {
                Refused::Input {
                    fr: r.message_fr.to_string(),
                    en: r.message_en.to_string(),
                }
            }
            other => Refused::Internal(other.into()),
        }
    }
}

impl From<RightsError> for Refused {
    fn from(e: RightsError) -> Self {
        match &e {
            RightsError::Code { .. } => Refused::said(|l| t!(l, "portal-refused-code")),
            RightsError::Rectification(r) => {
                let reason = r.to_string();
                Refused::said(|l| t!(l, "portal-refused-correction", reason = reason.as_str()))
            }
            RightsError::Invalid { .. }
            | RightsError::Closed { .. }
            | RightsError::StaleVersion { .. } => {
                let reason = e.to_string();
                Refused::said(|l| t!(l, "portal-refused-action", reason = reason.as_str()))
            }
            _ => Refused::Internal(e.into()),
        }
    }
}

impl From<BridgeError> for Refused {
    fn from(e: BridgeError) -> Self {
        match e {
            BridgeError::Engine(e) => e.into(),
            BridgeError::Rights(e) => e.into(),
            other => Refused::Internal(other.into()),
        }
    }
}

/// The page of a refused action: the reason, a way back, status 422.
pub(super) fn refused_page(lang: Lang, csrf: &str, back: &'static str, why: Refused) -> Response {
    let text = match why {
        Refused::Input { fr, en } => in_lang(lang, fr, en),
        Refused::Internal(detail) => {
            return Failure::on_our_side(detail, "a portal action failed")
                .render(lang, Area::Portal);
        }
    };
    let body = html! {
        (message("error", &text))
        p { (t!(lang, "portal-refused-nothing-changed")) }
        p { a href=(back) { (t!(lang, "portal-refused-go-back")) } }
    };
    html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        page(
            lang,
            &t!(lang, "portal-refused-title"),
            back,
            Some(csrf.to_string()),
            body,
        ),
    )
}

/// The request service over the vault, with the code key the CLI and the
/// API use (so a code issued here is checked by the same key).
pub(super) fn with_service<T>(
    s: &UiState,
    f: impl FnOnce(&RequestService<'_>, &Vault) -> Result<T, Refused>,
) -> Result<T, Refused> {
    let caller = portal_caller();
    let key = vault_bridge::code_key(&s.vault, &caller)?;
    let docs = s.vault.docs(caller);
    let svc = RequestService::new(
        &docs,
        &*s.clock,
        s.vault.declarations(),
        ServiceConfig::new(key),
    );
    f(&svc, &s.vault)
}

/// Receives a request from the signed-in subject, acknowledged by mail to
/// the address on file (Art. 12(3): reference and both clocks, as for the
/// API and the CLI) and identity-verified by the portal session.
pub(super) fn open_verified(
    s: &UiState,
    svc: &RequestService<'_>,
    subject: &str,
    kind: RequestKind,
    account_closure: bool,
) -> Result<RequestView, Refused> {
    let vault = &s.vault;
    let caller = portal_caller();
    let contact_ref = vault_bridge::default_contact_ref(vault, &caller, subject)?;
    let to = vault_bridge::resolve_contact(vault, &caller, subject, &contact_ref)?;
    let new = NewRequest {
        kind,
        channel: RequestChannel::Portal,
        subject: Some(subject.to_string()),
        contact_ref,
    };
    let v = if account_closure {
        svc.create_account_closure(new)?
    } else {
        svc.create(new)?
    };
    vault_bridge::Notifier::new(s.mailer.as_ref(), vault.declarations()).acknowledgment(
        &v,
        to,
        None,
        vault.declarations(),
    )?;
    let v = svc.acknowledge(&v.id, v.version)?;
    let at = v.history.last().map_or(v.received_at, |h| h.at);
    Ok(svc.record_identity_proof(
        &v.id,
        v.version,
        IdentityProof {
            method: VerificationMethod::Session,
            verified_by: "portal".into(),
            reason: Some(
                "signed in to the portal with a single-use code mailed to an address on file"
                    .into(),
            ),
        },
        at,
    )?)
}

/// Marks a request carried out (start, then done).
pub(super) fn complete(svc: &RequestService<'_>, v: &RequestView) -> Result<RequestView, Refused> {
    let v = svc.start(&v.id, v.version)?;
    Ok(svc.complete(&v.id, v.version)?)
}

/// The confirmation named by `?fait=` after an action (a fixed set).
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub(super) fait: String,
}

pub(super) fn confirmation(lang: Lang, key: &str) -> Option<Markup> {
    let text = match key {
        "correction" => t!(lang, "portal-done-correction"),
        "limitation" => t!(lang, "portal-done-limitation"),
        "opposition" => t!(lang, "portal-done-opposition"),
        "fermeture" => t!(lang, "portal-done-fermeture"),
        "reactivation" => t!(lang, "portal-done-reactivation"),
        "liste" => t!(lang, "portal-done-liste"),
        _ => return None,
    };
    Some(message("notice", &text))
}

/// A page answer that remembers a language chosen with the switch, like
/// the portal's home page does.
pub(super) fn remember_lang(l: &UiLang, mut r: Response) -> Response {
    if l.chosen {
        add_cookies(
            &mut r,
            &[format!(
                "{}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
                super::http::LANG_COOKIE,
                l.lang.tag()
            )],
        );
    }
    r
}

fn back_to_portal() -> Response {
    redirect("/portail", &[])
}

pub(super) fn not_yours() -> Refused {
    Refused::said(|l| t!(l, "portal-refused-not-yours"))
}

// ---- follow the requests (Art. 12(3)) -------------------------------------

fn status_label(v: &RequestView, lang: Lang) -> String {
    match v.withdrawn_at {
        Some(at) => t!(lang, "portal-requests-withdrawn-on", date = when(at)),
        None => v.status.label(lang).to_string(),
    }
}

/// `GET /portail/demandes`: every request of the subject, newest first.
pub async fn requests(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    PageQuery(q): PageQuery<DoneQuery>,
) -> Response {
    let lang = l.lang;
    let who = match signed(&state, &headers, lang).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    let subject = who.subject.clone();
    let listed = state
        .run(move |s| with_service(s, |svc, _| Ok(svc.list_for_subject(&subject)?)))
        .await;
    let list = match listed {
        Ok(Ok(l)) => l,
        Ok(Err(r)) => return refused_page(lang, &who.csrf, "/portail", r),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let body = html! {
        @if let Some(m) = confirmation(lang, &q.fait) { (m) }
        p { (t!(lang, "portal-requests-intro")) }
        @if list.is_empty() {
            (message("notice", &t!(lang, "portal-requests-none")))
        } @else {
            table {
                caption { (t!(lang, "portal-requests-caption")) }
                thead { tr {
                    th scope="col" { (t!(lang, "portal-requests-col-reference")) }
                    th scope="col" { (t!(lang, "portal-requests-col-request")) }
                    th scope="col" { (t!(lang, "portal-requests-col-status")) }
                    th scope="col" { (t!(lang, "portal-requests-col-received")) }
                    th scope="col" { (t!(lang, "portal-requests-col-legal-deadline")) }
                    th scope="col" { (t!(lang, "portal-requests-col-promised")) }
                } }
                tbody {
                    @for v in &list {
                        tr {
                            th scope="row" { (v.id) }
                            td { (v.kind.label(lang)) }
                            td { (status_label(v, lang)) }
                            td { (when(v.received_at)) }
                            td { (v.effective_deadline.legal.format("%Y-%m-%d").to_string())
                                @if v.effective_deadline != v.statutory_deadline { " " (t!(lang, "portal-requests-extended")) } }
                            td { @match v.promised_due {
                                Some(due) => { (when(due)) }
                                None => { (t!(lang, "portal-requests-no-commitment")) }
                            } }
                        }
                    }
                }
            }
        }
        p { a href="/portail" { (t!(lang, "portal-back-to-my-data")) } }
    };
    let r = html_response(
        StatusCode::OK,
        page(
            lang,
            &t!(lang, "portal-requests-title"),
            "/portail/demandes",
            Some(who.csrf),
            body,
        ),
    );
    remember_lang(&l, r)
}
