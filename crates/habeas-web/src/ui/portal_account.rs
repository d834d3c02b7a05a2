//! Closing the account from the portal (Art. 17): the declared grace
//! period, the date the closure becomes final and what is erased or kept;
//! the closure is an erasure request flagged `account_closure`, whose
//! erasure plan keeps the grace period whoever computes it. During the
//! grace period the subject may reactivate the account, which withdraws the
//! request (`RequestService::withdraw`).

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_core::rights::{RequestKind, promised_due};
use habeas_rights::erasure::{ErasureRequest, plan_erasure};
use habeas_rights::service::{RequestService, RequestView};
use habeas_rights::vault_bridge::holdings;
use maud::html;
use serde::Deserialize;

use super::UiState;
use super::http::{PageQuery, UiLang};
use super::page::{Area, html_response, redirect, when};
use super::portal::{page, portal_caller};
use super::portal_rights::{
    DoneQuery, Refused, confirmation, not_yours, open_verified, refused_page, remember_lang,
    signed, signed_post, with_service,
};
use crate::t;

// ---- close the account, reactivate it (Art. 17) -----------------------------

/// When a closure becomes final: the end of the declared grace period
/// counted from its receipt (as the erasure plan counts it).
fn closure_final(s: &UiState, v: &RequestView) -> Option<chrono::DateTime<chrono::Utc>> {
    let decls = s.vault.declarations();
    decls
        .account_closure_grace()
        .map(|g| promised_due(g, v.received_at, decls.holiday_calendar()))
}

/// The subject's pending account closure, if any.
fn pending_closure(
    svc: &RequestService<'_>,
    subject: &str,
) -> Result<Option<RequestView>, Refused> {
    Ok(svc
        .list_for_subject(subject)?
        .into_iter()
        .find(|v| v.account_closure && v.is_open()))
}

/// `GET /portail/compte`: the grace period and the final date, or the
/// pending closure with the reactivation button.
pub async fn account(
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
    let built = state
        .run(move |s| {
            with_service(s, |svc, vault| {
                let decls = vault.declarations();
                let pending = pending_closure(svc, &subject)?;
                let grace = decls.account_closure_grace();
                let since = pending.as_ref().map_or(s.clock.now(), |p| p.received_at);
                let final_at = grace.map(|g| promised_due(g, since, decls.holiday_calendar()));
                let over = final_at.is_some_and(|f| s.clock.now() >= f);
                let caller = portal_caller();
                let docs = vault.docs(caller.clone());
                let held = holdings(vault, &caller, &docs, &*s.clock, &subject)?;
                let plan = plan_erasure(
                    decls,
                    &held,
                    &ErasureRequest {
                        requested_at: since,
                        account_closure: true,
                        dates: Default::default(),
                        legal_holds: Vec::new(),
                    },
                    s.clock.now(),
                );
                Ok((
                    pending,
                    over,
                    grace.map(|g| g.describe(lang)),
                    final_at,
                    plan.describe(decls, lang),
                ))
            })
        })
        .await;
    let (pending, over, grace, final_at, described) = match built {
        Ok(Ok(b)) => b,
        Ok(Err(r)) => return refused_page(lang, &who.csrf, "/portail", r),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let final_text = final_at.map(when);
    let body = html! {
        @if let Some(m) = confirmation(lang, &q.fait) { (m) }
        @if let Some(p) = &pending {
            section aria-labelledby="en-cours" {
                h2 id="en-cours" { (t!(lang, "portal-account-closure-pending")) }
                p { (t!(lang, "portal-account-asked-on", date = when(p.received_at))) }
                @if let Some(f) = &final_text {
                    @if over {
                        p { strong { (t!(lang, "portal-account-final-since", date = f.as_str())) } }
                    } @else {
                        p { strong { (t!(lang, "portal-account-final-on", date = f.as_str())) } }
                    }
                }
                @if !over {
                    form method="post" action="/portail/reactiver" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        input type="hidden" name="request" value=(p.id);
                        button type="submit" { (t!(lang, "portal-account-reactivate")) }
                    }
                }
            }
        } @else {
            section aria-labelledby="fermer" {
                h2 id="fermer" { (t!(lang, "portal-act-close-account")) }
                @match (&grace, &final_text) {
                    (Some(g), Some(f)) => {
                        p { (t!(lang, "portal-account-grace-declared", grace = g.as_str())) }
                        p { (t!(lang, "portal-account-close-now-final-on")) strong { (f) } (t!(lang, "portal-account-close-now-until-then")) }
                    }
                    _ => {
                        p { (t!(lang, "portal-account-no-grace")) }
                    }
                }
                @if !described.is_empty() {
                    h3 { (t!(lang, "portal-account-plan-title")) }
                    @for line in described.lines() { p { (line) } }
                }
                form method="post" action="/portail/cloturer" {
                    input type="hidden" name="csrf" value=(who.csrf);
                    input type="checkbox" id="confirm" name="confirm" value="oui" required;
                    label for="confirm" { (t!(lang, "portal-account-confirm-label")) }
                    button type="submit" { (t!(lang, "portal-account-close")) }
                }
            }
        }
        p { a href="/portail/demandes" { (t!(lang, "portal-act-requests")) } }
        p { a href="/portail" { (t!(lang, "portal-back-to-my-data")) } }
    };
    let r = html_response(
        StatusCode::OK,
        page(
            lang,
            &t!(lang, "portal-account-title"),
            "/portail/compte",
            Some(who.csrf),
            body,
        ),
    );
    remember_lang(&l, r)
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    request: String,
}

/// `POST /portail/cloturer`: the erasure request with account closure.
pub async fn close_account(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    let lang = l.lang;
    let who = match signed_post(&state, &headers, lang, &form.csrf).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    if form.confirm != "oui" {
        return refused_page(
            lang,
            &who.csrf,
            "/portail/compte",
            Refused::said(|l| t!(l, "portal-account-confirm-missing")),
        );
    }
    let subject = who.subject.clone();
    let done = state
        .run(move |s| {
            with_service(s, |svc, _| {
                if pending_closure(svc, &subject)?.is_some() {
                    return Err(Refused::said(|l| t!(l, "portal-account-already-requested")));
                }
                open_verified(s, svc, &subject, RequestKind::Erasure, true)?;
                Ok(())
            })
        })
        .await;
    match done {
        Ok(Ok(())) => redirect("/portail/compte?fait=fermeture", &[]),
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/compte", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}

/// `POST /portail/reactiver`: the subject withdraws the closure request.
pub async fn reactivate(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    let lang = l.lang;
    let who = match signed_post(&state, &headers, lang, &form.csrf).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    let subject = who.subject.clone();
    let id = form.request.clone();
    let done = state
        .run(move |s| {
            with_service(s, |svc, _| {
                let v = svc.get(&id).map_err(|_| not_yours())?;
                if v.subject.as_deref() != Some(subject.as_str()) || !v.account_closure {
                    return Err(not_yours());
                }
                if !v.is_open() {
                    return Err(Refused::said(|l| t!(l, "portal-account-not-pending")));
                }
                if closure_final(s, &v).is_some_and(|at| s.clock.now() >= at) {
                    return Err(Refused::said(|l| t!(l, "portal-account-grace-over")));
                }
                svc.withdraw(&id, v.version, &subject)?;
                Ok(())
            })
        })
        .await;
    match done {
        Ok(Ok(())) => redirect("/portail/compte?fait=reactivation", &[]),
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/compte", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}
