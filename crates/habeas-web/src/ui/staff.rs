//! Staff sign-in pages: login (with the TOTP step), the forced password
//! change, TOTP enrolment with its QR code, and logout.
//!
//! Why thin: every rule (lock-out before hashing, one answer for unknown
//! login and wrong password, code replay, session stages) is habeas-auth's;
//! this module turns its answers into pages, cookies and status codes.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use habeas_auth::cookie::{cleared_session_cookie, session_cookie};
use habeas_auth::gate::{self, Gate, GateRefusal};
use habeas_auth::{
    AuthError, LoginAttempt, LoginError, Session, SessionError, StaffSummary, Stage,
};
use habeas_core::docs::DocError;
use habeas_core::lang::Lang;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::UiState;
use super::http::{LANG_COOKIE, Peer, UiLang, cookie, host_cookie};
use super::page::{Area, Failure, Page, html_response, message, redirect};
use super::secret::WebKeys;
use crate::storage_full::OurSide;
use crate::t;

/// The staff session cookie (habeas-auth's name).
pub const SESSION_COOKIE: &str = "__Host-habeas_session";
/// The random value that binds sign-in forms shown before any session.
pub const PRE_COOKIE: &str = "__Host-habeas_pre";

/// Purpose journaled for the web layer's own writes for staff sign-in.
pub(super) const SIGN_IN_PURPOSE: &str = "staff-sign-in";

/// A signed-in staff member, as a page sees them.
pub struct StaffCtx {
    pub token: String,
    pub session: Session,
    pub staff: StaffSummary,
    pub csrf: String,
}

/// Where a session's stage sends the browser.
pub fn stage_home(stage: Stage) -> &'static str {
    match stage {
        Stage::Full => "/console",
        Stage::MustChangePassword => "/console/mot-de-passe",
        Stage::MustEnrolTotp => "/console/totp",
    }
}

/// Where a member lands once their session is full: the console for the
/// console roles, the people search for every other role (they may read a
/// subject's data within their role, SPEC C6, but not the DPO's registers).
pub fn home_for(
    state: &UiState,
    stage: Stage,
    roles: &std::collections::BTreeSet<String>,
) -> &'static str {
    if stage == Stage::Full && !roles.iter().any(|r| state.config.console_roles.contains(r)) {
        "/console/personnes"
    } else {
        stage_home(stage)
    }
}

/// The session behind the cookie, checked against `gate`. `Err` is the
/// answer to send (to the sign-in page or to the step the stage requires).
pub async fn require(
    state: &UiState,
    headers: &HeaderMap,
    gate_needed: Gate,
) -> Result<StaffCtx, Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE).map(str::to_string) else {
        return Err(redirect("/console/connexion", &[]));
    };
    let t = token.clone();
    let checked = state
        .run(
            move |s| -> Result<Option<(Session, StaffSummary)>, OurSide> {
                let docs = s.vault.docs(UiState::caller("web", SIGN_IN_PURPOSE));
                let svc = s.auth.service(&docs, &*s.clock);
                // The store failing (a full disk among others) is no reason to
                // sign anyone out: the session may be fine.
                let session = match svc.check_session(&t) {
                    Ok(session) => session,
                    Err(SessionError::Failed(AuthError::Store(e))) => return Err(e.into()),
                    Err(_) => return Ok(None),
                };
                match svc.get_staff(&session.staff_id) {
                    Ok(staff) => Ok(Some((session, staff))),
                    Err(AuthError::Store(e)) => Err(e.into()),
                    Err(_) => Ok(None),
                }
            },
        )
        .await;
    let (session, staff) = match checked {
        Ok(Ok(Some(found))) => found,
        Ok(Ok(None)) => {
            return Err(redirect("/console/connexion", &[cleared_session_cookie()]));
        }
        Ok(Err(e)) => {
            let failure = Failure::on_our_side(e, "a staff session could not be checked");
            let lang = super::http::lang_of(None, headers).lang;
            return Err(failure.render(lang, Area::Console));
        }
        Err(f) => return Err(f.render(super::http::lang_of(None, headers).lang, Area::Console)),
    };
    match gate::check(Some(&session), gate_needed) {
        Ok(()) => {}
        Err(GateRefusal::SignIn) => return Err(redirect("/console/connexion", &[])),
        Err(GateRefusal::Step(stage)) => return Err(redirect(stage_home(stage), &[])),
    }
    let csrf = state.auth.csrf().token_for(&token);
    Ok(StaffCtx {
        token,
        session,
        staff,
        csrf,
    })
}

/// Checks a staff form's CSRF token against the session.
pub fn check_csrf(state: &UiState, ctx: &StaffCtx, presented: &str) -> Result<(), Failure> {
    state
        .auth
        .csrf()
        .verify(&ctx.token, presented)
        .map_err(|_| Failure::Csrf)
}

fn lang_cookie(l: &UiLang) -> Vec<String> {
    if l.chosen {
        vec![format!(
            "{LANG_COOKIE}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
            l.lang.tag()
        )]
    } else {
        Vec::new()
    }
}

/// The CSRF token for a form shown before sign-in, and the cookie that
/// binds it (set when the browser has none yet).
pub fn pre_session(state: &UiState, headers: &HeaderMap) -> (String, Option<String>) {
    match cookie(headers, PRE_COOKIE) {
        Some(v) if v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (state.keys.pre_token(v), None)
        }
        _ => {
            let v = hex::encode(rand::random::<[u8; 16]>());
            (
                state.keys.pre_token(&v),
                Some(host_cookie(PRE_COOKIE, &v, 3600)),
            )
        }
    }
}

/// Whether a pre-session form's token matches the browser's cookie.
pub fn pre_session_ok(state: &UiState, headers: &HeaderMap, presented: &str) -> bool {
    cookie(headers, PRE_COOKIE).is_some_and(|v| WebKeys::same(&state.keys.pre_token(v), presented))
}

fn login_page(lang: Lang, csrf: &str, login: &str, ask_code: bool, note: Option<Markup>) -> Markup {
    let body = html! {
        @if let Some(n) = note { (n) }
        form method="post" action="/console/connexion" {
            input type="hidden" name="csrf" value=(csrf);
            label for="login" { (t!(lang, "staff-login")) }
            input type="text" id="login" name="login" value=(login) autocomplete="username" required autofocus[!ask_code];
            label for="password" { (t!(lang, "staff-password")) }
            input type="password" id="password" name="password" autocomplete="current-password" required;
            label for="code" {
                (t!(lang, "staff-authenticator-app-code-or-recovery-code"))
            }
            input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" autofocus[ask_code]
                aria-describedby="code-aide";
            p id="code-aide" { (t!(lang, "staff-only-if-your-account-has-a")) }
            button type="submit" { (t!(lang, "staff-sign-in")) }
        }
    };
    Page {
        lang,
        area: Area::Console,
        title: t!(lang, "staff-sign-in-title"),
        path: "/console/connexion",
        nav: Vec::new(),
        sign_out: None,
        body,
    }
    .render()
}

pub async fn login_form(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let (csrf, set) = pre_session(&state, &headers);
    let mut r = html_response(StatusCode::OK, login_page(l.lang, &csrf, "", false, None));
    let mut cookies = lang_cookie(&l);
    cookies.extend(set);
    super::page::add_cookies(&mut r, &cookies);
    r
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn login(
    State(state): State<UiState>,
    Peer(source): Peer,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = l.lang;
    if !pre_session_ok(&state, &headers, &form.csrf) {
        return Failure::Csrf.render(lang, Area::Console);
    }
    // Behind a trusted reverse proxy, the client it names (lock-out per source).
    let source = state.client_address(source, &headers);
    let login = form.login.clone();
    let outcome = state
        .run(move |s| {
            let docs = s.vault.docs(UiState::caller("web", SIGN_IN_PURPOSE));
            let svc = s.auth.service(&docs, &*s.clock);
            let code = form.code.trim();
            let attempt = LoginAttempt {
                login: &form.login,
                password: &form.password,
                second_factor: (!code.is_empty()).then_some(code),
                source,
            };
            let success = svc.authenticate(&attempt)?;
            let (token, session) = svc
                .open_session(&success.staff_id, success.stage)
                .map_err(LoginError::Failed)?;
            let staff = svc
                .get_staff(&success.staff_id)
                .map_err(LoginError::Failed)?;
            Ok::<_, LoginError>((token, session, staff.roles))
        })
        .await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(f) => return f.render(lang, Area::Console),
    };
    let csrf = cookie(&headers, PRE_COOKIE)
        .map(|v| state.keys.pre_token(v))
        .unwrap_or_default();
    match outcome {
        Ok((token, session, roles)) => {
            let policy = state.auth.config().sessions;
            redirect(
                home_for(&state, session.stage, &roles),
                &[session_cookie(&token, &policy)],
            )
        }
        Err(e) => {
            let now = state.clock.now();
            let (status, ask_code) = match &e {
                LoginError::SecondFactorRequired => (StatusCode::OK, true),
                LoginError::InvalidCredentials => (StatusCode::UNAUTHORIZED, false),
                LoginError::Locked { .. } => (StatusCode::TOO_MANY_REQUESTS, false),
                LoginError::Busy => (StatusCode::SERVICE_UNAVAILABLE, false),
                // Nothing could be noted (a full disk): retry later, as
                // every other page says.
                LoginError::Failed(AuthError::Store(DocError::Full)) => {
                    tracing::error!("staff sign-in could not be recorded: the disk is full");
                    return Failure::Unavailable.render(lang, Area::Console);
                }
                LoginError::Failed(err) => {
                    tracing::error!(error = %err, "staff sign-in failed on our side");
                    (StatusCode::INTERNAL_SERVER_ERROR, false)
                }
            };
            let note = message(if ask_code { "notice" } else { "error" }, &e.describe(lang));
            let mut r = html_response(
                status,
                login_page(lang, &csrf, &login, ask_code, Some(note)),
            );
            if let Some(secs) = e.retry_after_secs(now)
                && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
            {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
    }
}

fn step_page(lang: Lang, title: &str, path: &'static str, ctx: &StaffCtx, body: Markup) -> Markup {
    Page {
        lang,
        area: Area::Console,
        title: title.to_string(),
        path,
        nav: Vec::new(),
        sign_out: Some(("/console/deconnexion", ctx.csrf.clone())),
        body,
    }
    .render()
}

fn password_page(lang: Lang, ctx: &StaffCtx, note: Option<Markup>) -> Markup {
    let body = html! {
        @if let Some(n) = note { (n) }
        @if ctx.staff.must_change_password {
            p { (t!(lang, "staff-your-initial-password-works-once-choose")) }
        }
        form method="post" action="/console/mot-de-passe" {
            input type="hidden" name="csrf" value=(ctx.csrf);
            label for="current" { (t!(lang, "staff-current-password")) }
            input type="password" id="current" name="current" autocomplete="current-password" required;
            label for="new" { (t!(lang, "staff-new-password")) }
            input type="password" id="new" name="new" autocomplete="new-password" required minlength="12";
            label for="confirm" { (t!(lang, "staff-confirm-the-new-password")) }
            input type="password" id="confirm" name="confirm" autocomplete="new-password" required minlength="12";
            button type="submit" { (t!(lang, "staff-change-password")) }
        }
    };
    step_page(
        lang,
        &t!(lang, "staff-change-password-2"),
        "/console/mot-de-passe",
        ctx,
        body,
    )
}

pub async fn password_form(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
) -> Response {
    match require(&state, &headers, Gate::PasswordChange).await {
        Ok(ctx) => html_response(StatusCode::OK, password_page(l.lang, &ctx, None)),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Opens a fresh session after a change that ended the account's sessions.
/// Returns the cookie and where the member goes next.
fn reopen(
    state: &UiState,
    staff_id: &str,
) -> Result<(String, &'static str), habeas_auth::AuthError> {
    let docs = state.vault.docs(UiState::caller("web", SIGN_IN_PURPOSE));
    let svc = state.auth.service(&docs, &*state.clock);
    let stage = svc.stage_for(staff_id)?;
    let (token, session) = svc.open_session(staff_id, stage)?;
    let roles = svc.get_staff(staff_id)?.roles;
    Ok((
        session_cookie(&token, &state.auth.config().sessions),
        home_for(state, session.stage, &roles),
    ))
}

pub async fn change_password(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let lang = l.lang;
    let ctx = match require(&state, &headers, Gate::PasswordChange).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(f) = check_csrf(&state, &ctx, &form.csrf) {
        return f.render(lang, Area::Console);
    }
    if form.new != form.confirm {
        let note = message(
            "error",
            &t!(lang, "staff-the-two-new-passwords-differ-type"),
        );
        return html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            password_page(lang, &ctx, Some(note)),
        );
    }
    let id = ctx.staff.id.clone();
    let outcome = state
        .run(move |s| {
            let docs = s.vault.docs(UiState::caller("web", SIGN_IN_PURPOSE));
            let svc = s.auth.service(&docs, &*s.clock);
            svc.change_password(&id, &form.current, &form.new)?;
            reopen(s, &id)
        })
        .await;
    match outcome {
        Ok(Ok((cookie, home))) => redirect(home, &[cookie]),
        Ok(Err(e)) => {
            let note = message("error", &e.describe(lang));
            html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                password_page(lang, &ctx, Some(note)),
            )
        }
        Err(f) => f.render(lang, Area::Console),
    }
}

pub async fn totp_form(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let ctx = match require(&state, &headers, Gate::TotpEnrolment).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = ctx.staff.id.clone();
    let offer = state
        .run(move |s| {
            let docs = s.vault.docs(UiState::caller("web", SIGN_IN_PURPOSE));
            s.auth.service(&docs, &*s.clock).begin_totp_enrolment(&id)
        })
        .await;
    let offer = match offer {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "TOTP enrolment could not start")
                .render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        p { (t!(lang, "staff-scan-this-code-with-your-authenticator")) }
        // The SVG is made by habeas-auth from the otpauth URI alone.
        div class="qr" { (PreEscaped(offer.qr_svg.expose())) }
        p { (t!(lang, "staff-key-to-type")) code class="secret" { (offer.secret_base32.expose()) } }
        form method="post" action="/console/totp" {
            input type="hidden" name="csrf" value=(ctx.csrf);
            label for="code" { (t!(lang, "staff-6-digit-code")) }
            input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required;
            button type="submit" { (t!(lang, "staff-enable")) }
        }
    };
    html_response(
        StatusCode::OK,
        step_page(
            lang,
            &t!(lang, "staff-second-factor-totp"),
            "/console/totp",
            &ctx,
            body,
        ),
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

pub async fn totp_confirm(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let lang = l.lang;
    let ctx = match require(&state, &headers, Gate::TotpEnrolment).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(f) = check_csrf(&state, &ctx, &form.csrf) {
        return f.render(lang, Area::Console);
    }
    let id = ctx.staff.id.clone();
    let outcome = state
        .run(move |s| {
            let docs = s.vault.docs(UiState::caller("web", SIGN_IN_PURPOSE));
            let codes = s
                .auth
                .service(&docs, &*s.clock)
                .confirm_totp_enrolment(&id, form.code.trim())?;
            let codes: Vec<String> = codes.iter().map(|c| c.expose().to_string()).collect();
            Ok::<_, habeas_auth::AuthError>((codes, reopen(s, &id)?))
        })
        .await;
    match outcome {
        Ok(Ok((codes, (cookie, home)))) => {
            let body = html! {
                (message("notice", &t!(lang, "staff-second-factor-enabled")))
                p { (t!(lang, "staff-here-are-your-ten-recovery-codes")) }
                ul { @for c in &codes { li { code { (c) } } } }
                p { a href=(home) { (t!(lang, "staff-continue")) } }
            };
            let page = Page {
                lang,
                area: Area::Console,
                title: t!(lang, "staff-recovery-codes").to_string(),
                path: "/console/totp",
                nav: Vec::new(),
                sign_out: None,
                body,
            };
            let mut r = html_response(StatusCode::OK, page.render());
            super::page::add_cookies(&mut r, &[cookie]);
            r
        }
        Ok(Err(e)) => {
            let body = html! {
                (message("error", &e.describe(lang)))
                p { a href="/console/totp" { (t!(lang, "staff-start-enrolment-again")) } }
            };
            html_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                step_page(
                    lang,
                    &t!(lang, "staff-second-factor-totp"),
                    "/console/totp",
                    &ctx,
                    body,
                ),
            )
        }
        Err(f) => f.render(lang, Area::Console),
    }
}

pub async fn logout(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let ctx = match require(&state, &headers, Gate::Logout).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Err(f) = check_csrf(&state, &ctx, &form.csrf) {
        return f.render(l.lang, Area::Console);
    }
    let token = ctx.token.clone();
    let _ = state
        .run(move |s| {
            let docs = s.vault.docs(UiState::caller("web", SIGN_IN_PURPOSE));
            if let Err(e) = s.auth.service(&docs, &*s.clock).close_session(&token) {
                tracing::warn!(error = %e, "a staff session could not be closed");
            }
        })
        .await;
    redirect("/console/connexion", &[cleared_session_cookie()])
}
