//! Staff date a retention event on a subject — the contract ended, the
//! account was closed, the customer was last in touch — from the subject's
//! page. The deletion dates of the subject's records are recomputed from the
//! declared rules (GDPR Art. 5(1)(e)) by the same engine call as the API's
//! `POST /api/subjects/{id}/events`, with the member's role scope for the
//! purpose as the caller's: only the categories the roles open for that
//! purpose change (a date in the past is an erasure at the next purge; a
//! role does not shorten the retention of data it may not read). Journaled
//! as `subject.event` by `staff:<id>`.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_auth::Gate;
use habeas_core::lang::Lang;
use habeas_engine::{EngineError, Vault};
use maud::{Markup, html};

use super::UiState;
use super::console_people::{
    PATH, opened, people_page, plausible_subject, refusal_text, refused, scoped_caller,
};
use super::http::UiLang;
use super::page::{Area, Failure, message};
use super::staff::{StaffCtx, check_csrf, require};
use crate::t;

/// An event's name for people: the built-in ones translated, a provider
/// event as its rule writes it.
pub(super) fn event_label(lang: Lang, event: &str) -> String {
    match event {
        "contract_end" => t!(lang, "console-event-contract_end"),
        "account_closure" => t!(lang, "console-event-account_closure"),
        "last_interaction" => t!(lang, "console-event-last_interaction"),
        other => other.replace('_', " "),
    }
}

/// The form under the subject's data.
pub(super) fn event_form(
    vault: &Vault,
    lang: Lang,
    ctx: &StaffCtx,
    subject: &str,
    purpose: &str,
) -> Markup {
    html! {
        section aria-labelledby="dater" {
            h2 id="dater" { (t!(lang, "console-event-title")) }
            p { (t!(lang, "console-event-intro")) }
            form method="post" action={ (PATH) "/" (subject) "/evenement" } {
                input type="hidden" name="csrf" value=(ctx.csrf);
                input type="hidden" name="finalite" value=(purpose);
                label for="evenement" { (t!(lang, "console-event-event")) }
                select id="evenement" name="evenement" required {
                    @for e in vault.datable_events() {
                        option value=(e) { (event_label(lang, &e)) }
                    }
                }
                label for="date" { (t!(lang, "console-event-date")) }
                input type="date" id="date" name="date" required;
                button type="submit" { (t!(lang, "console-event-submit")) }
            }
        }
    }
}

/// The event form's fields.
#[derive(serde::Deserialize)]
pub struct EventForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    finalite: String,
    #[serde(default)]
    evenement: String,
    #[serde(default)]
    date: String,
}

/// Dates the event, then says what changed (or why nothing did).
pub async fn date_event(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<EventForm>,
) -> Response {
    let lang = l.lang;
    let ctx = match require(&state, &headers, Gate::Console).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // A forged form changes nothing and journals nothing.
    if let Err(f) = check_csrf(&state, &ctx, &form.csrf) {
        return f.render(lang, Area::Console);
    }
    let purpose = form.finalite.trim().to_string();
    if !plausible_subject(&id) || state.vault.declarations().activity(&purpose).is_none() {
        return Failure::NotFound.render(lang, Area::Console);
    }
    let categories = opened(&state, &ctx.staff, &purpose);
    if categories.is_empty() {
        return refused(&state, lang, &ctx, &t!(lang, "console-people-no-category"));
    }
    let back = format!("{PATH}/{id}?finalite={purpose}");
    let answer = |status: StatusCode, kind: &str, text: String| {
        let body = html! {
            (message(kind, &text))
            p { a href=(back) { (t!(lang, "console-event-back")) } }
        };
        people_page(
            &state,
            lang,
            status,
            &t!(lang, "console-event-title"),
            &back,
            &ctx,
            body,
        )
    };
    let Some(at) = habeas_engine::import_csv::instant(&form.date) else {
        return answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            "error",
            t!(lang, "console-event-error-date"),
        );
    };
    let caller = scoped_caller(&ctx.staff, &purpose, categories);
    let event = form.evenement.trim().to_string();
    let subject = id.clone();
    let done = state
        .run(move |s| s.vault.date_event(&caller, &subject, &event, Some(at)))
        .await;
    let text = |r: &habeas_engine::Refusal| refusal_text(lang, r);
    match done {
        Ok(Ok(d)) => answer(
            StatusCode::OK,
            "notice",
            t!(
                lang,
                "console-event-done",
                event = event_label(lang, &d.event),
                count = d.updated.values().sum::<u64>(),
                due = d.due_now
            ),
        ),
        Ok(Err(EngineError::Invalid(r) | EngineError::Conflict(r))) => {
            answer(StatusCode::UNPROCESSABLE_ENTITY, "error", text(&r))
        }
        Ok(Err(EngineError::Forbidden(r))) => refused(&state, lang, &ctx, &text(&r)),
        Ok(Err(EngineError::NotFound(_))) => Failure::NotFound.render(lang, Area::Console),
        Ok(Err(e)) => {
            Failure::on_our_side(e, "a staff event dating failed").render(lang, Area::Console)
        }
        Err(f) => f.render(lang, Area::Console),
    }
}
