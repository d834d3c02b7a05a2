//! Correcting a field from the portal (Art. 16): one form per declared
//! field of each record; the change is planned first (an unknown field or
//! an unchanged value creates nothing), then carried out on a verified
//! rectification request by `vault_bridge::apply_rectification`, which also
//! writes the tombstone a restore replays. A critical identifier (e-mail)
//! changes only after the code mailed to the new value comes back for that
//! very value — the rectification module's own flow, reused.

use std::collections::BTreeMap;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_core::lang::Lang;
use habeas_core::rights::RequestKind;
use habeas_engine::Vault;
use habeas_notify::MailAddress;
use habeas_rights::RightsError;
use habeas_rights::rectification::plan_rectification;
use habeas_rights::service::RequestService;
use habeas_rights::vault_bridge::{self, BridgeError, Notifier};
use maud::{Markup, html};
use serde::Deserialize;

use super::UiState;
use super::http::{PageQuery, UiLang};
use super::page::{Area, html_response, message, redirect, when};
use super::portal::{export_for, page, portal_caller};
use super::portal_rights::{
    DoneQuery, Refused, complete, confirmation, in_lang, not_yours, open_verified, refused_page,
    remember_lang, signed, signed_post, with_service,
};
use crate::storage_full::OurSide;
use crate::t;

/// Longest value a portal form accepts for a field.
const MAX_VALUE: usize = 1000;

/// `GET /portail/corriger`: a form per declared field of every record.
pub async fn correct_form(
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
    let export = match state.run(move |s| export_for(s, &subject, lang)).await {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => return refused_page(lang, &who.csrf, "/portail", Refused::Internal(e)),
        Err(f) => return f.render(lang, Area::Portal),
    };
    let body = html! {
        @if let Some(m) = confirmation(lang, &q.fait) { (m) }
        p { (t!(lang, "portal-correct-intro")) }
        @if export.categories.is_empty() {
            (message("notice", &t!(lang, "portal-no-data")))
        }
        @for c in &export.categories {
            section {
                h2 { (c.label) }
                @for r in &c.records {
                    h3 { (t!(lang, "portal-recorded-on", date = when(r.recorded_at))) }
                    @for f in &c.fields {
                        @let id = format!("v-{}-{}", r.id, f);
                        form method="post" action="/portail/corriger" class="inline" {
                            input type="hidden" name="csrf" value=(who.csrf);
                            input type="hidden" name="category" value=(c.key);
                            input type="hidden" name="record" value=(r.id);
                            input type="hidden" name="field" value=(f);
                            label for=(id) { (f) }
                            input type="text" id=(id) name="value" value=(r.fields.get(f).map(String::as_str).unwrap_or("")) maxlength="1000";
                            button type="submit" { (t!(lang, "portal-correct-submit")) }
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
            &t!(lang, "portal-act-correct"),
            "/portail/corriger",
            Some(who.csrf),
            body,
        ),
    );
    remember_lang(&l, r)
}

#[derive(Deserialize)]
pub struct CorrectForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    record: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
    /// Only on the second step (the code mailed to the new value).
    #[serde(default)]
    request: String,
    #[serde(default)]
    code: String,
}

/// What a correction led to.
enum Corrected {
    Applied,
    /// A code was mailed to the new value: ask for it (request id).
    Pending(String),
}

fn checked_value(value: &str) -> Result<String, Refused> {
    let v = value.trim();
    if v.chars().count() > MAX_VALUE || v.chars().any(char::is_control) {
        return Err(Refused::said(|l| {
            t!(l, "portal-correct-value-too-long", max = MAX_VALUE)
        }));
    }
    Ok(v.to_string())
}

/// `POST /portail/corriger`: plan first (a bad field or an unchanged value
/// creates nothing), then a verified rectification request; a critical
/// identifier gets a code at its new value, anything else is applied now.
pub async fn correct(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<CorrectForm>,
) -> Response {
    let lang = l.lang;
    let who = match signed_post(&state, &headers, lang, &form.csrf).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    let subject = who.subject.clone();
    let (category, record, field) = (
        form.category.clone(),
        form.record.clone(),
        form.field.clone(),
    );
    let value = match checked_value(&form.value) {
        Ok(v) => v,
        Err(r) => return refused_page(lang, &who.csrf, "/portail/corriger", r),
    };
    let v2 = value.clone();
    let done = state
        .run(move |s| {
            with_service(s, |svc, vault| {
                correct_now(
                    s, svc, vault, &subject, &category, &record, &field, &v2, lang,
                )
            })
        })
        .await;
    match done {
        Ok(Ok(Corrected::Applied)) => redirect("/portail/corriger?fait=correction", &[]),
        Ok(Ok(Corrected::Pending(request))) => html_response(
            StatusCode::ACCEPTED,
            code_page(lang, &who.csrf, &form, &request, &value, None),
        ),
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/corriger", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}

#[allow(clippy::too_many_arguments)]
fn correct_now(
    s: &UiState,
    svc: &RequestService<'_>,
    vault: &Vault,
    subject: &str,
    category: &str,
    record: &str,
    field: &str,
    value: &str,
    lang: Lang,
) -> Result<Corrected, Refused> {
    let caller = portal_caller();
    let (_, current) = vault_bridge::record_fields(vault, &caller, subject, category, record)
        .map_err(|e| match e {
            BridgeError::UnknownRecord { .. } => {
                Refused::said(|l| t!(l, "portal-correct-unknown-record"))
            }
            other => other.into(),
        })?;
    let changes: BTreeMap<String, String> = [(field.to_string(), value.to_string())].into();
    // Planned before any request exists: an unknown field or an unchanged
    // value is refused with nothing recorded.
    let plan = plan_rectification(vault.declarations(), category, record, &current, &changes)
        .map_err(RightsError::from)?;
    let needs_code = plan.needing_new_value_verification().next().is_some();
    let to: Option<MailAddress> = if needs_code {
        Some(
            value
                .parse()
                .map_err(|_| Refused::said(|l| t!(l, "portal-correct-bad-email")))?,
        )
    } else {
        None
    };
    let v = open_verified(s, svc, subject, RequestKind::Rectification, false)?;
    let (plan, codes, _) = svc.rectification_plan(
        &v.id, v.version, subject, category, record, &current, &changes,
    )?;
    if let (Some(to), Some(issued)) = (to, codes.first()) {
        let v = svc.get(&v.id)?;
        let sent =
            Notifier::new(s.mailer.as_ref(), vault.declarations()).code(&v, issued, to, Some(lang));
        if let Err(e) = sent {
            // Nothing is pending on a code that never left: withdraw it.
            let _ = svc.withdraw(&v.id, v.version, subject);
            return Err(match e {
                BridgeError::Send(_) | BridgeError::Template(_) => {
                    Refused::Internal(OurSide::within("the new-value code was not sent", &e))
                }
                other => other.into(),
            });
        }
        return Ok(Corrected::Pending(v.id));
    }
    apply_and_close(svc, vault, subject, &v.id, &plan)?;
    Ok(Corrected::Applied)
}

/// Applies a ready plan and closes its request; a value the vault refuses
/// withdraws the request (nothing was changed) and says why.
fn apply_and_close(
    svc: &RequestService<'_>,
    vault: &Vault,
    subject: &str,
    id: &str,
    plan: &habeas_rights::rectification::RectificationPlan,
) -> Result<(), Refused> {
    let ready = svc.rectification_ready(id, plan)?;
    if let Err(e) = vault_bridge::apply_rectification(vault, &portal_caller(), subject, plan, ready)
    {
        if let Ok(v) = svc.get(id) {
            let _ = svc.withdraw(id, v.version, subject);
        }
        return Err(e.into());
    }
    let v = svc.get(id)?;
    complete(svc, &v)?;
    Ok(())
}

fn code_page(
    lang: Lang,
    csrf: &str,
    form: &CorrectForm,
    request: &str,
    value: &str,
    note: Option<Markup>,
) -> Markup {
    let body = html! {
        @if let Some(n) = note { (n) }
        (message("notice", &t!(lang, "portal-correct-code-sent")))
        form method="post" action="/portail/corriger/code" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="request" value=(request);
            input type="hidden" name="category" value=(form.category);
            input type="hidden" name="record" value=(form.record);
            input type="hidden" name="field" value=(form.field);
            input type="hidden" name="value" value=(value);
            label for="code" { (t!(lang, "portal-correct-code-label")) }
            input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus;
            button type="submit" { (t!(lang, "portal-correct-code-submit")) }
        }
        p { a href="/portail/corriger" { (t!(lang, "portal-correct-cancel")) } }
    };
    page(
        lang,
        &t!(lang, "portal-correct-code-submit"),
        "/portail/corriger",
        Some(csrf.to_string()),
        body,
    )
}

/// `POST /portail/corriger/code`: the code mailed to the new value; right,
/// the change is applied (through the same verification as the API).
pub async fn correct_code(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<CorrectForm>,
) -> Response {
    let lang = l.lang;
    let who = match signed_post(&state, &headers, lang, &form.csrf).await {
        Ok(who) => who,
        Err(answer) => return answer,
    };
    let value = match checked_value(&form.value) {
        Ok(v) => v,
        Err(r) => return refused_page(lang, &who.csrf, "/portail/corriger", r),
    };
    let subject = who.subject.clone();
    let (request, category, record, field, code, v2) = (
        form.request.clone(),
        form.category.clone(),
        form.record.clone(),
        form.field.clone(),
        form.code.trim().to_string(),
        value.clone(),
    );
    let done = state
        .run(move |s| {
            with_service(s, |svc, vault| {
                let v = svc.get(&request).map_err(|_| not_yours())?;
                if v.subject.as_deref() != Some(subject.as_str())
                    || v.kind != RequestKind::Rectification
                {
                    return Err(not_yours());
                }
                let (_, current) = vault_bridge::record_fields(
                    vault,
                    &portal_caller(),
                    &subject,
                    &category,
                    &record,
                )?;
                let changes: BTreeMap<String, String> = [(field.clone(), v2.clone())].into();
                let plan = plan_rectification(
                    vault.declarations(),
                    &category,
                    &record,
                    &current,
                    &changes,
                )
                .map_err(RightsError::from)?;
                for change in plan.needing_new_value_verification() {
                    svc.confirm_new_value(
                        &request,
                        &category,
                        &change.field,
                        &change.new_value,
                        &code,
                    )?;
                }
                apply_and_close(svc, vault, &subject, &request, &plan)
            })
        })
        .await;
    match done {
        Ok(Ok(())) => redirect("/portail/corriger?fait=correction", &[]),
        Ok(Err(Refused::Input { fr, en })) => {
            let note = message("error", &in_lang(lang, fr, en));
            html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                code_page(lang, &who.csrf, &form, &form.request, &value, Some(note)),
            )
        }
        Ok(Err(r)) => refused_page(lang, &who.csrf, "/portail/corriger", r),
        Err(f) => f.render(lang, Area::Portal),
    }
}
