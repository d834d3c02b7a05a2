//! Restricting (Art. 18) or objecting (Art. 21) per purpose from the
//! portal. The limit is put in force at once — the vault enforces it on
//! every read and write (`request_limits::apply_request_limits`, the
//! function `habeas requests done --purposes` and the console use) — and recorded
//! as a verified request; an objection to direct marketing is absolute
//! (Art. 21(3)) and closed done at once, anything else stays open for staff
//! to review (compelling legitimate grounds, Art. 21(1)).
//!
//! The subject may also lift a restriction they asked for
//! (`POST /portail/limiter/lever`): processing for the purpose resumes at
//! once, through the same vault call as `habeas limits lift`. An objection
//! is not lifted here: withdrawing an objection to direct marketing
//! (Art. 21(3)) is a matter of consent, anything else is for staff.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_core::rights::RequestKind;
use habeas_core::rights::policy::ObjectionStatus;
use habeas_engine::{Caller, Vault};
use habeas_rights::request_limits::{LimitsError, apply_request_limits};
use habeas_rights::vault_bridge::{RIGHTS_PURPOSE, holdings};
use maud::html;
use serde::Deserialize;

use super::UiState;
use super::http::UiLang;
use super::page::{Area, html_response, message, redirect, when};
use super::portal::{export_for, page, portal_caller};
use super::portal_rights::{
    Refused, complete, open_verified, refused_page, remember_lang, signed, signed_post,
    with_service,
};
use crate::storage_full::OurSide;
use crate::t;

// ---- restrict or object per purpose (Art. 18, Art. 21) -------------------

/// Whether the subject may object to the activity: Art. 21(1) for a basis
/// of public task or legitimate interests, Art. 21(2) for direct marketing,
/// or where the declarations offer it.
fn objectable(vault: &Vault, purpose: &str) -> bool {
    vault
        .declarations()
        .activity(purpose)
        .is_some_and(|a| a.open_to_objection())
}

fn direct_marketing(vault: &Vault, purpose: &str) -> bool {
    vault
        .declarations()
        .activity(purpose)
        .is_some_and(|a| a.is_direct_marketing())
}

/// `GET /portail/limiter`: the subject's purposes, their state, the forms.
pub async fn limits_form(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let who = match signed(&state, &headers, lang).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    let subject = who.subject.clone();
    let built = state
        .run(move |s| -> Result<_, OurSide> {
            let export = export_for(s, &subject, lang)?;
            let (limits, _) = s.vault.processing_limits(&subject)?;
            let rows: Vec<_> = export
                .purposes
                .iter()
                .map(|p| {
                    (
                        p.id.clone(),
                        p.name.clone(),
                        limits.restricted.contains(&p.id),
                        limits.objections.get(&p.id).cloned(),
                        objectable(&s.vault, &p.id),
                        direct_marketing(&s.vault, &p.id),
                    )
                })
                .collect();
            Ok(rows)
        })
        .await;
    let rows = match built {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return refused_page(lang, &who.csrf, "/portail", Refused::Internal(e)),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let body = html! {
        p { (t!(lang, "portal-limits-intro")) }
        @if rows.is_empty() {
            (message("notice", &t!(lang, "portal-limits-none")))
        }
        @for (id, name, restricted, objection, can_object, marketing) in &rows {
            section {
                h2 { (name) }
                p { strong { (t!(lang, "portal-state")) " " }
                    @if *restricted { (t!(lang, "portal-limits-state-restricted")) }
                    @else if matches!(objection, Some(ObjectionStatus::Active)) { (t!(lang, "portal-limits-state-objected")) }
                    @else if matches!(objection, Some(ObjectionStatus::Overridden { .. })) { (t!(lang, "portal-limits-state-overridden")) }
                    @else { (t!(lang, "portal-limits-state-active")) }
                }
                @if !*restricted {
                    form method="post" action="/portail/limiter" class="inline" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        input type="hidden" name="purpose" value=(id);
                        input type="hidden" name="action" value="restrict";
                        button type="submit" { (t!(lang, "portal-limits-restrict")) }
                    }
                } @else {
                    // Restriction is the subject's right (Art. 18(1)): every
                    // restriction in force is one they asked for (the state
                    // above says so), so each can be lifted here.
                    form method="post" action="/portail/limiter/lever" class="inline" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        input type="hidden" name="purpose" value=(id);
                        button type="submit" { (t!(lang, "portal-limits-lift")) }
                    }
                }
                @if *can_object && !matches!(objection, Some(ObjectionStatus::Active)) {
                    form method="post" action="/portail/limiter" class="inline" {
                        input type="hidden" name="csrf" value=(who.csrf);
                        input type="hidden" name="purpose" value=(id);
                        input type="hidden" name="action" value="object";
                        button type="submit" {
                            @if *marketing { (t!(lang, "portal-limits-object-marketing")) }
                            @else { (t!(lang, "portal-limits-object")) }
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
            &t!(lang, "portal-limits-title"),
            "/portail/limiter",
            Some(who.csrf),
            body,
        ),
    );
    remember_lang(&l, r)
}

#[derive(Deserialize)]
pub struct LimitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    action: String,
}

/// `POST /portail/limiter`: the limit is put in force at once (the vault
/// enforces it on every read and write) and recorded as a verified request;
/// an objection to direct marketing needs no weighing and is closed done
/// (Art. 21(3)), anything else stays open for staff to review.
pub async fn limit(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<LimitForm>,
) -> Response {
    let lang = l.lang;
    let who = match signed_post(&state, &headers, lang, &form.csrf).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    let kind = match form.action.as_str() {
        "restrict" => RequestKind::Restriction,
        "object" => RequestKind::Objection,
        _ => {
            return refused_page(
                lang,
                &who.csrf,
                "/portail/limiter",
                Refused::said(|l| t!(l, "portal-limits-unknown-action")),
            );
        }
    };
    let subject = who.subject.clone();
    let purpose = form.purpose.clone();
    let done = state
        .run(move |s| {
            with_service(s, |svc, vault| {
                let caller = portal_caller();
                let docs = vault.docs(caller.clone());
                let held = holdings(vault, &caller, &docs, &*s.clock, &subject)?;
                if !held.records.iter().any(|r| r.purposes.contains(&purpose)) {
                    return Err(Refused::said(|l| t!(l, "portal-limits-not-yours")));
                }
                if kind == RequestKind::Objection && !objectable(vault, &purpose) {
                    return Err(Refused::said(|l| {
                        t!(l, "portal-limits-objection-not-applicable")
                    }));
                }
                let v = open_verified(s, svc, &subject, kind, false)?;
                // Recorded by the function `habeas requests done --purposes`
                // and the console use (restriction on, or objection active).
                apply_request_limits(vault, &caller, &v, std::slice::from_ref(&purpose)).map_err(
                    |e| match e {
                        LimitsError::Engine(e) => Refused::from(e),
                        other => Refused::Internal(OurSide::within("portal limits", &other)),
                    },
                )?;
                if kind == RequestKind::Objection && direct_marketing(vault, &purpose) {
                    // Art. 21(3): nothing to weigh, the request is carried out.
                    complete(svc, &v)?;
                }
                Ok(())
            })
        })
        .await;
    match done {
        Ok(Ok(())) => redirect(
            if kind == RequestKind::Restriction {
                "/portail/demandes?fait=limitation"
            } else {
                "/portail/demandes?fait=opposition"
            },
            &[],
        ),
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/limiter", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}

#[derive(Deserialize)]
pub struct LiftForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    purpose: String,
}

/// The vault caller of a change the subject makes themselves: the journal
/// names the subject (by id) and the channel, not the portal alone.
fn subject_caller(subject: &str) -> Caller {
    Caller::operator(&format!("portal:{subject}"), RIGHTS_PURPOSE)
}

/// `POST /portail/limiter/lever`: the subject lifts a restriction (Art. 18)
/// that is in force for one of their purposes; processing resumes at once.
///
/// Art. 18(3) obliges the controller to inform the subject before *it*
/// lifts a restriction (`habeas limits lift` mails them first). Here the
/// subject lifts it themselves and sees the confirmation with its date on
/// the page, so no mail is sent.
pub async fn lift(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<LiftForm>,
) -> Response {
    let lang = l.lang;
    let who = match signed_post(&state, &headers, lang, &form.csrf).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    let subject = who.subject.clone();
    let purpose = form.purpose.clone();
    let done = state
        .run(move |s| -> Result<_, Refused> {
            let vault = &s.vault;
            let (limits, _) = vault.processing_limits(&subject)?;
            // Only a restriction in force is lifted; an objection (even one
            // to direct marketing) is not a restriction and stays.
            if !limits.restricted.contains(&purpose) {
                return Err(Refused::said(|l| {
                    t!(l, "portal-limits-lift-not-restricted")
                }));
            }
            let caller = subject_caller(&subject);
            // The call `habeas limits lift` makes: its one journal entry has
            // this caller as actor and names the purpose that resumed.
            vault.set_restriction(&caller, &subject, &purpose, false)?;
            let at = s.clock.now();
            let name = vault
                .declarations()
                .activity(&purpose)
                .map_or_else(|| purpose.clone(), |a| a.name.get(lang).to_string());
            Ok((name, at))
        })
        .await;
    let (name, at) = match done {
        Ok(Ok(d)) => d,
        Ok(Err(r)) => return refused_page(lang, &who.csrf, "/portail/limiter", r),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let body = html! {
        (message("notice", &t!(lang, "portal-limits-lifted", purpose = name.as_str(), date = when(at))))
        p { a href="/portail/limiter" { (t!(lang, "portal-limits-back-to-limits")) } }
        p { a href="/portail" { (t!(lang, "portal-back-to-my-data")) } }
    };
    let r = html_response(
        StatusCode::OK,
        page(
            lang,
            &t!(lang, "portal-limits-lifted-title"),
            "/portail/limiter",
            Some(who.csrf),
            body,
        ),
    );
    remember_lang(&l, r)
}
