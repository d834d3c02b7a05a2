//! One rights request in the console: its history, both clocks, and the
//! workflow forms — acknowledge, record an identity proof, start, extend,
//! refuse, mark as answered.
//!
//! Why thin: every step is `habeas_rights::service::RequestService` (the
//! same calls as `habeas requests` and `/api/requests`), every notice to the
//! subject is `vault_bridge::Notifier`, and a restriction or objection is
//! closed through `request_limits::apply_request_limits` like the CLI's
//! `done --purposes`. This module checks the form (CSRF, the role's right to
//! the action in `habeas_auth::ConsolePolicy`) and turns answers into pages.
//! Each step is written through the vault as `staff:<id>`, so the journal
//! names who took it; a refused action is journaled as `access_refused`.

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_auth::ConsoleAction;
use habeas_core::lang::Lang;
use habeas_core::rights::{IdentityProof, RefusalReason, RequestKind, Stage};
use habeas_rights::request_limits::apply_request_limits;
use habeas_rights::service::{RequestService, RequestView, ServiceConfig};
use habeas_rights::vault_bridge::{self, BridgeError, Notifier, code_key, rights_caller};
use maud::{Markup, html};

use super::UiState;
use super::console::{action_label, console_ctx, journal_refusal, shell, urgency_class};
use super::http::UiLang;
use super::page::{Area, Failure, message, redirect, when};
use super::staff::{StaffCtx, check_csrf};
use crate::storage_full::OurSide;
use crate::t;

/// The refusal reasons offered, as `RefusalReason` keywords (filtered by
/// what applies to the request's kind, Art. 12(5), 17(3), 20, 21).
const REASONS: &[&str] = &[
    "manifestly_unfounded",
    "excessive",
    "cannot_identify",
    "erasure_exemption:freedom_of_expression",
    "erasure_exemption:legal_obligation",
    "erasure_exemption:public_health",
    "erasure_exemption:archiving_or_research",
    "erasure_exemption:legal_claims",
    "compelling_legitimate_grounds",
    "not_portable",
    "adversely_affects_others",
];

/// Runs `f` with the request service writing as `actor`.
fn with_service<T>(
    s: &UiState,
    actor: &str,
    f: impl FnOnce(&RequestService<'_>) -> T,
) -> Result<T, OurSide> {
    let caller = rights_caller(actor);
    let key = code_key(&s.vault, &caller)?;
    let docs = s.vault.docs(caller);
    let svc = RequestService::new(
        &docs,
        &*s.clock,
        s.vault.declarations(),
        ServiceConfig::new(key),
    );
    Ok(f(&svc))
}

fn actor(ctx: &StaffCtx) -> String {
    format!("staff:{}", ctx.staff.id)
}

fn detail_path(id: &str) -> String {
    format!("/console/demandes/{id}")
}

/// What the page says after a step (from the redirect's query).
fn done_note(lang: Lang, query: &str) -> Option<Markup> {
    let mut action = None;
    let mut told = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("fait", v)) => action = ConsoleAction::from_key(v),
            Some(("avis", v)) => told = Some(v == "1"),
            _ => {}
        }
    }
    let action = action?;
    let head = t!(
        lang,
        "console-request-step-recorded",
        step = action_label(lang, action)
    );
    let tail = match told {
        Some(true) => t!(lang, "console-request-the-subject-was-told-by-e"),
        Some(false) => t!(lang, "console-request-the-e-mail-to-the-subject"),
        None => String::new(),
    };
    let kind = if told == Some(false) {
        "error"
    } else {
        "notice"
    };
    Some(message(kind, &format!("{head}{tail}")))
}

fn clocks(lang: Lang, v: &RequestView) -> Markup {
    html! {
        h2 { (t!(lang, "console-request-deadlines")) }
        dl {
            dt { (t!(lang, "console-request-received")) } dd { (when(v.received_at)) }
            dt { (t!(lang, "console-request-statutory-deadline-gdpr-art-12-3")) }
            dd { (v.statutory_deadline.legal.format("%Y-%m-%d")) }
            @if v.effective_deadline != v.statutory_deadline {
                dt { (t!(lang, "console-request-extended-deadline-in-force")) }
                dd { (v.effective_deadline.legal.format("%Y-%m-%d")) }
            }
            dt { (t!(lang, "console-request-aim-for")) } dd { (v.effective_deadline.conservative.format("%Y-%m-%d")) }
            dt { (t!(lang, "console-request-provider-s-promised-delay")) }
            dd {
                @match (&v.promised_delay, v.promised_due) {
                    (Some(d), Some(due)) => { (d) " → " (when(due)) }
                    _ => { (t!(lang, "console-request-no-promised-delay-declared")) }
                }
            }
            dt { (t!(lang, "console-request-next-due")) }
            dd { @if let Some(d) = &v.next_due { (when(d.at)) } @else { "—" } }
            dt { (t!(lang, "console-request-urgency")) }
            dd class=(urgency_class(v.urgency)) { (v.urgency.map(|u| u.label(lang)).unwrap_or("—")) }
        }
    }
}

fn facts(lang: Lang, v: &RequestView) -> Markup {
    html! {
        dl {
            dt { (t!(lang, "console-request-reference")) } dd { code { (v.id) } }
            dt { (t!(lang, "console-request-right")) } dd { (v.kind.label(lang)) }
            dt { (t!(lang, "console-request-channel")) } dd { (v.channel.key()) }
            dt { (t!(lang, "console-request-status")) } dd { (v.status.label(lang)) }
            dt { (t!(lang, "console-request-subject-pseudonymous-id")) }
            dd { @if let Some(s) = &v.subject { code { (s) } } @else { "—" } }
            dt { (t!(lang, "console-request-identity-verified-on")) }
            dd { @if let Some(t) = v.identity_verified_at { (when(t)) } @else { (t!(lang, "console-request-not-yet")) } }
        }
    }
}

fn history(lang: Lang, v: &RequestView) -> Markup {
    html! {
        h2 { (t!(lang, "console-request-history")) }
        table {
            caption { (t!(lang, "console-request-steps-of-the-request-oldest-first")) }
            thead { tr {
                th scope="col" { (t!(lang, "console-request-date")) }
                th scope="col" { (t!(lang, "console-request-step")) }
            } }
            tbody {
                @for h in &v.history {
                    tr { td { (when(h.at)) } td { (h.step) } }
                }
            }
        }
    }
}

fn form_head(ctx: &StaffCtx, v: &RequestView, action: ConsoleAction) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(ctx.csrf);
        input type="hidden" name="version" value=(v.version);
        input type="hidden" name="action" value=(action.key());
    }
}

/// The forms this staff member may use at this stage.
fn forms(state: &UiState, lang: Lang, ctx: &StaffCtx, v: &RequestView) -> Markup {
    let policy = &state.auth.config().console;
    let may = |a| policy.allows(&ctx.staff.roles, a);
    let path = detail_path(&v.id);
    let open = !matches!(v.stage, Stage::Done | Stage::Refused);
    let verified = v.identity_verified_at.is_some();
    let limiting = matches!(v.kind, RequestKind::Restriction | RequestKind::Objection);
    let reasons: Vec<(String, String)> = REASONS
        .iter()
        .filter_map(|k| k.parse::<RefusalReason>().ok().map(|r| (k, r)))
        .filter(|(_, r)| r.applies_to(v.kind))
        .filter(|(_, r)| !(verified && matches!(r, RefusalReason::CannotIdentify)))
        .map(|(k, r)| (k.to_string(), r.label(lang)))
        .collect();
    let activities: Vec<(String, String)> = state
        .vault
        .declarations()
        .activities
        .iter()
        .map(|(id, a)| (id.get_ref().clone(), a.name.get(lang).to_string()))
        .collect();
    html! {
        @if !open {
            (message("notice", &t!(lang, "console-request-this-request-is-closed-it-takes")))
        } @else if !ConsoleAction::ALL[..6].iter().any(|a| may(*a)) {
            (message("notice", &t!(lang, "console-request-your-roles-let-you-read-this")))
        } @else {
            h2 { (t!(lang, "console-request-actions")) }
            @if v.stage == Stage::Received && may(ConsoleAction::Acknowledge) {
                form method="post" action=(path) class="action" {
                    (form_head(ctx, v, ConsoleAction::Acknowledge))
                    fieldset {
                        legend { (action_label(lang, ConsoleAction::Acknowledge)) }
                        p { (t!(lang, "console-request-the-acknowledgment-is-mailed-to-the")) }
                        input type="checkbox" id="ack-elsewhere" name="elsewhere" value="1";
                        label for="ack-elsewhere" class="inline" { (t!(lang, "console-request-already-given-another-way-post-phone")) }
                        button type="submit" { (action_label(lang, ConsoleAction::Acknowledge)) }
                    }
                }
            }
            @if v.stage == Stage::Acknowledged && may(ConsoleAction::RecordIdentityProof) {
                form method="post" action=(path) class="action" {
                    (form_head(ctx, v, ConsoleAction::RecordIdentityProof))
                    fieldset {
                        legend { (action_label(lang, ConsoleAction::RecordIdentityProof)) }
                        p { (t!(lang, "console-request-you-are-recorded-as-the-one")) }
                        label for="proof-method" { (t!(lang, "console-request-method")) }
                        select id="proof-method" name="method" {
                            option value="session" { (t!(lang, "console-request-the-subject-was-signed-in-to")) }
                            option value="document" { (t!(lang, "console-request-document-shown-no-copy-kept")) }
                        }
                        label for="proof-reason" { (t!(lang, "console-request-why-this-method-is-proportionate-required")) }
                        input type="text" id="proof-reason" name="reason";
                        label for="proof-at" { (t!(lang, "console-request-checked-on-utc-empty-now")) }
                        input type="datetime-local" id="proof-at" name="verified_at";
                        button type="submit" { (action_label(lang, ConsoleAction::RecordIdentityProof)) }
                    }
                }
            }
            @if v.stage == Stage::IdentityVerified && may(ConsoleAction::Start) {
                form method="post" action=(path) class="action" {
                    (form_head(ctx, v, ConsoleAction::Start))
                    button type="submit" { (action_label(lang, ConsoleAction::Start)) }
                }
            }
            @if may(ConsoleAction::Extend) {
                form method="post" action=(path) class="action" {
                    (form_head(ctx, v, ConsoleAction::Extend))
                    fieldset {
                        legend { (action_label(lang, ConsoleAction::Extend)) }
                        p { (t!(lang, "console-request-one-extension-only-of-at-most")) }
                        label for="extend-months" { (t!(lang, "console-request-further-months")) }
                        select id="extend-months" name="months" {
                            option value="1" { "1" }
                            option value="2" { "2" }
                        }
                        label for="extend-why" { (t!(lang, "console-request-justification-complexity-number-of-requests")) }
                        textarea id="extend-why" name="justification" required rows="3" {}
                        button type="submit" { (action_label(lang, ConsoleAction::Extend)) }
                    }
                }
            }
            @if may(ConsoleAction::Complete) && matches!(v.stage, Stage::InProgress | Stage::IdentityVerified) {
                form method="post" action=(path) class="action" {
                    (form_head(ctx, v, ConsoleAction::Complete))
                    fieldset {
                        legend { (action_label(lang, ConsoleAction::Complete)) }
                        @if limiting {
                            p { (t!(lang, "console-request-tick-the-activities-concerned-the-vault")) }
                            @for (id, name) in &activities {
                                div {
                                    input type="checkbox" id={ "purpose-" (id) } name="purposes" value=(id);
                                    label for={ "purpose-" (id) } class="inline" { code { (id) } " " (name) }
                                }
                            }
                        }
                        p { (t!(lang, "console-request-the-subject-is-told-by-e")) }
                        button type="submit" { (action_label(lang, ConsoleAction::Complete)) }
                    }
                }
            }
            @if may(ConsoleAction::Refuse) {
                form method="post" action=(path) class="action" {
                    (form_head(ctx, v, ConsoleAction::Refuse))
                    fieldset {
                        legend { (action_label(lang, ConsoleAction::Refuse)) }
                        label for="refuse-reason" { (t!(lang, "console-request-reason")) }
                        select id="refuse-reason" name="reason" {
                            @for (key, label) in &reasons { option value=(key) { (label) } }
                            option value="other" { (t!(lang, "console-request-another-legal-ground-name-it")) }
                        }
                        label for="refuse-ground" { (t!(lang, "console-request-legal-ground-if-other")) }
                        input type="text" id="refuse-ground" name="legal_ground";
                        label for="refuse-text" { (t!(lang, "console-request-explanation-the-subject-reads-the-remedies")) }
                        textarea id="refuse-text" name="explanation" required rows="3" {}
                        button type="submit" class="danger" { (action_label(lang, ConsoleAction::Refuse)) }
                    }
                }
            }
        }
    }
}

fn detail_page(
    state: &UiState,
    lang: Lang,
    ctx: &StaffCtx,
    v: &RequestView,
    note: Option<Markup>,
    status: StatusCode,
) -> Response {
    let title = t!(lang, "console-request-title", id = v.id.to_string());
    let body = html! {
        p { a href="/console" { (t!(lang, "console-request-all-open-requests")) } }
        @if let Some(n) = note { (n) }
        (facts(lang, v))
        (clocks(lang, v))
        (forms(state, lang, ctx, v))
        (history(lang, v))
    };
    let mut r = shell(lang, &title, &detail_path(&v.id), ctx, body);
    *r.status_mut() = status;
    r
}

async fn load(state: &UiState, actor: String, id: String) -> Result<RequestView, Failure> {
    let got = state
        .run(move |s| with_service(s, &actor, |svc| svc.get(&id)))
        .await?;
    match got {
        Ok(Ok(v)) => Ok(v),
        // An id that cannot be a document's is no request either.
        Ok(Err(
            habeas_rights::RightsError::NotFound { .. }
            | habeas_rights::RightsError::Doc(habeas_core::docs::DocError::InvalidKey),
        )) => Err(Failure::NotFound),
        Ok(Err(e)) => Err(Failure::on_our_side(e, "a request could not be read")),
        Err(e) => Err(Failure::on_our_side(
            e,
            "the request service could not open",
        )),
    }
}

/// `GET /console/demandes/{id}`.
pub async fn show(
    State(state): State<UiState>,
    l: UiLang,
    Path(id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, "/console/demandes").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match load(&state, actor(&ctx), id).await {
        Ok(v) => {
            let note = done_note(lang, uri.query().unwrap_or(""));
            detail_page(&state, lang, &ctx, &v, note, StatusCode::OK)
        }
        Err(f) => f.render(lang, Area::Console),
    }
}

/// A workflow form. Fields not used by an action are ignored; `purposes`
/// repeats (one checkbox per activity), so the body is read as pairs.
#[derive(Debug, Default)]
pub struct ActionForm {
    csrf: String,
    action: String,
    /// `None` when absent; `Some(None)` when present but not a number.
    version: Option<Option<u64>>,
    elsewhere: bool,
    method: String,
    reason: String,
    verified_at: String,
    months: Option<Option<u32>>,
    justification: String,
    legal_ground: String,
    explanation: String,
    purposes: Vec<String>,
}

impl ActionForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> ActionForm {
        let mut f = ActionForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "action" => f.action = v,
                "version" => f.version = Some(v.trim().parse().ok()),
                "elsewhere" => f.elsewhere = true,
                "method" => f.method = v,
                "reason" => f.reason = v,
                "verified_at" => f.verified_at = v,
                "months" => f.months = Some(v.trim().parse().ok()),
                "justification" => f.justification = v,
                "legal_ground" => f.legal_ground = v,
                "explanation" => f.explanation = v,
                "purposes" => f.purposes.push(v),
                _ => {}
            }
        }
        f
    }
}

/// Why a step was not taken, as the staff member reads it.
enum StepError {
    /// The form is wrong: what and how to fix (422).
    Invalid(String),
    /// The service refused the step; its message names ids and stages only.
    Refused(String, StatusCode),
    /// Our side failed (a full disk among others); logged, never shown.
    Internal(OurSide),
}

fn refused(e: habeas_rights::RightsError, lang: Lang) -> StepError {
    use habeas_rights::RightsError as E;
    let status = match &e {
        E::StaleVersion { .. } => StatusCode::CONFLICT,
        E::Doc(_) | E::Corrupt { .. } => return StepError::Internal(e.into()),
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let head = t!(lang, "console-request-step-refused-nothing-changed");
    StepError::Refused(format!("{head} — {e}"), status)
}

fn bridge(e: BridgeError, lang: Lang) -> StepError {
    match e {
        BridgeError::Rights(r) => refused(r, lang),
        other => StepError::Internal(other.into()),
    }
}

/// Parses a `datetime-local` value (UTC), empty meaning now.
fn parse_when(
    raw: &str,
    now: chrono::DateTime<chrono::Utc>,
    lang: Lang,
) -> Result<chrono::DateTime<chrono::Utc>, StepError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(now);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw, f).ok())
        .map(|n| n.and_utc())
        .ok_or_else(|| {
            StepError::Invalid(t!(
                lang,
                "console-request-unreadable-verification-date-use-yyyy-mm"
            ))
        })
}

/// Takes one step; `Ok(Some(told))` when a notice was due (sent or not).
fn take_step(
    s: &UiState,
    who: &str,
    id: &str,
    action: ConsoleAction,
    form: ActionForm,
    lang: Lang,
) -> Result<Option<bool>, StepError> {
    let caller = rights_caller(who);
    let key = code_key(&s.vault, &caller).map_err(|e| StepError::Internal(e.into()))?;
    let docs = s.vault.docs(caller.clone());
    let decls = s.vault.declarations();
    let svc = RequestService::new(&docs, &*s.clock, decls, ServiceConfig::new(key));
    let notifier = Notifier::new(&*s.mailer, decls);
    let current = svc.get(id).map_err(|e| refused(e, lang))?;
    let version = match form.version {
        None => current.version,
        Some(Some(v)) => v,
        Some(None) => {
            return Err(StepError::Invalid(t!(
                lang,
                "console-request-unreadable-request-version-reload-the-page"
            )));
        }
    };
    let invalid = StepError::Invalid;
    // The step is recorded first; the subject is then told (Art. 12(3)–(4)).
    let tell = |v: &RequestView,
                send: &dyn Fn(
        habeas_notify::MailAddress,
    ) -> Result<habeas_notify::MessageId, BridgeError>|
     -> bool {
        let Some(subject) = &v.subject else {
            return false;
        };
        match vault_bridge::resolve_contact(&s.vault, &caller, subject, &v.contact_ref)
            .and_then(send)
        {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(request = %v.id, error = %e, "the notice to the subject was not sent");
                false
            }
        }
    };
    match action {
        ConsoleAction::Acknowledge => {
            if !form.elsewhere {
                let subject = current.subject.as_deref().ok_or_else(|| {
                    invalid(t!(lang, "console-request-the-request-is-linked-to-no"))
                })?;
                let to =
                    vault_bridge::resolve_contact(&s.vault, &caller, subject, &current.contact_ref)
                        .map_err(|e| bridge(e, lang))?;
                notifier
                    .acknowledgment(&current, to, None, decls)
                    .map_err(|e| bridge(e, lang))?;
            }
            svc.acknowledge(id, version).map_err(|e| refused(e, lang))?;
            Ok(None)
        }
        ConsoleAction::RecordIdentityProof => {
            let method = form.method.parse().map_err(|_| {
                invalid(t!(
                    lang,
                    "console-request-unknown-verification-method-choose-signed-in"
                ))
            })?;
            let at = parse_when(&form.verified_at, s.clock.now(), lang)?;
            let reason = Some(form.reason.trim().to_string()).filter(|r| !r.is_empty());
            let proof = IdentityProof {
                method,
                verified_by: who.to_string(),
                reason,
            };
            svc.record_identity_proof(id, version, proof, at)
                .map_err(|e| refused(e, lang))?;
            Ok(None)
        }
        ConsoleAction::Start => {
            svc.start(id, version).map_err(|e| refused(e, lang))?;
            Ok(None)
        }
        ConsoleAction::Extend => {
            let months = form
                .months
                .flatten()
                .ok_or_else(|| invalid(t!(lang, "console-request-give-1-or-2-further-months")))?;
            let justification = form.justification.trim();
            let v = svc
                .extend(id, version, months, justification, s.clock.now())
                .map_err(|e| refused(e, lang))?;
            Ok(Some(tell(&v, &|to| {
                notifier.extended(&v, justification, to, None)
            })))
        }
        ConsoleAction::Refuse => {
            let raw = if form.reason == "other" {
                format!("other:{}", form.legal_ground.trim())
            } else {
                form.reason.clone()
            };
            let reason: RefusalReason = raw.parse().map_err(|_| {
                invalid(t!(
                    lang,
                    "console-request-unknown-refusal-reason-or-other-without"
                ))
            })?;
            let explanation = form.explanation.trim();
            let v = svc
                .refuse(id, version, reason.clone(), explanation)
                .map_err(|e| refused(e, lang))?;
            Ok(Some(tell(&v, &|to| {
                notifier.refused(&v, reason.clone(), explanation, to, None)
            })))
        }
        ConsoleAction::Complete => {
            apply_request_limits(&s.vault, &caller, &current, &form.purposes)
                .map_err(|e| StepError::Invalid(e.describe(lang)))?;
            let v = svc.complete(id, version).map_err(|e| refused(e, lang))?;
            Ok(Some(tell(&v, &|to| notifier.done(&v, None, to, None))))
        }
        ConsoleAction::BreachUpdate | ConsoleAction::BreachClose => Err(invalid(t!(
            lang,
            "console-request-this-action-belongs-to-the-breach"
        ))),
        ConsoleAction::HoldPlace
        | ConsoleAction::HoldRelease
        | ConsoleAction::NoticeAnnounce
        | ConsoleAction::StaffDisable
        | ConsoleAction::StaffResetTotp
        | ConsoleAction::TokenRevoke => {
            Err(invalid(t!(lang, "console-request-not-a-request-action")))
        }
    }
}

/// `POST /console/demandes/{id}`: one workflow step.
pub async fn act(
    State(state): State<UiState>,
    l: UiLang,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = ActionForm::from_pairs(pairs);
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, "/console/demandes").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(f) = check_csrf(&state, &ctx, &form.csrf) {
        return f.render(lang, Area::Console);
    }
    let Some(action) = ConsoleAction::from_key(&form.action) else {
        return Failure::NotFound.render(lang, Area::Console);
    };
    if !state.auth.config().console.allows(&ctx.staff.roles, action) {
        journal_refusal(
            &state,
            &ctx,
            format!("console action {} on request {id}", action.key()),
        )
        .await;
        return Failure::Forbidden.render(lang, Area::Console);
    }
    let who = actor(&ctx);
    let (w, i) = (who.clone(), id.clone());
    let outcome = state
        .run(move |s| take_step(s, &w, &i, action, form, lang))
        .await;
    let (note, status) = match outcome {
        Ok(Ok(told)) => {
            let mut to = format!("{}?fait={}", detail_path(&id), action.key());
            if let Some(t) = told {
                to.push_str(if t { "&avis=1" } else { "&avis=0" });
            }
            return redirect(&to, &[]);
        }
        Ok(Err(StepError::Invalid(text))) => (text, StatusCode::UNPROCESSABLE_ENTITY),
        Ok(Err(StepError::Refused(text, status))) => (text, status),
        Ok(Err(StepError::Internal(e))) => {
            return Failure::on_our_side(e, "a console step failed on our side")
                .render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    match load(&state, who, id).await {
        Ok(v) => detail_page(
            &state,
            lang,
            &ctx,
            &v,
            Some(message("error", &note)),
            status,
        ),
        Err(f) => f.render(lang, Area::Console),
    }
}
