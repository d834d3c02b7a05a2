//! What every console action shares (legal holds, notice announcements,
//! staff accounts and tokens): the page gate, the form's CSRF token, the
//! action table of habeas-auth (`console`), a refusal journaled as the
//! staff member, and the note shown after the action.
//!
//! Why one gate for every action: an action changes what the controller
//! keeps or who can reach personal data (Art. 5(2), 32(1)(b)); it must be
//! taken by a role entrusted with it, from this site, and leave a trace of
//! who tried when it is refused. The order is fixed: signed-in console
//! role, then CSRF (a forged form changes nothing and journals nothing),
//! then the action table (a refusal is journaled, SPEC C6).

use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_auth::ConsoleAction;
use habeas_core::lang::Lang;
use maud::Markup;

use super::UiState;
use super::console::{console_ctx, journal_refusal};
use super::page::{Area, Failure, message, redirect};
use super::staff::{StaffCtx, check_csrf};
use crate::storage_full::OurSide;

/// A console action form, read as pairs (the last value of a name wins).
#[derive(Debug, Default)]
pub(super) struct ActForm(BTreeMap<String, String>);

impl ActForm {
    pub(super) fn from_pairs(pairs: Vec<(String, String)>) -> ActForm {
        ActForm(pairs.into_iter().collect())
    }

    /// A field, trimmed; empty when absent.
    pub(super) fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |v| v.trim())
    }

    /// The action the form names (`action`), if the table knows it.
    pub(super) fn action(&self) -> Option<ConsoleAction> {
        ConsoleAction::from_key(self.get("action"))
    }
}

/// The journal actor for a staff member's action.
pub(super) fn actor(ctx: &StaffCtx) -> String {
    format!("staff:{}", ctx.staff.id)
}

/// Lets the action through, or answers: page gate, CSRF, then the table
/// (`allowed` lists the actions this page takes; another one is not found).
pub(super) async fn authorize(
    state: &UiState,
    headers: &HeaderMap,
    lang: Lang,
    page: &'static str,
    form: &ActForm,
    allowed: &[ConsoleAction],
) -> Result<(StaffCtx, ConsoleAction), Response> {
    let ctx = console_ctx(state, headers, lang, page).await?;
    check_csrf(state, &ctx, form.get("csrf")).map_err(|f| f.render(lang, Area::Console))?;
    let Some(action) = form.action().filter(|a| allowed.contains(a)) else {
        return Err(Failure::NotFound.render(lang, Area::Console));
    };
    if !state.auth.config().console.allows(&ctx.staff.roles, action) {
        journal_refusal(
            state,
            &ctx,
            format!("console action {} on {page}", action.key()),
        )
        .await;
        return Err(Failure::Forbidden.render(lang, Area::Console));
    }
    Ok((ctx, action))
}

/// Why an action did not happen (nothing was changed).
#[derive(Debug)]
pub(super) enum ActError {
    /// The form is wrong or the action does not apply: shown on the page.
    Invalid(String),
    /// Unknown target (hold, version, account, token).
    NotFound(String),
    /// Our side failed; the detail goes to the server log only.
    Internal(OurSide),
}

impl ActError {
    /// Our side failed with `err`: a full disk or an internal error.
    pub(super) fn internal(err: impl Into<OurSide>) -> ActError {
        ActError::Internal(err.into())
    }

    /// The status and text of the page shown again, or the failure page
    /// when our side failed (logged here).
    pub(super) fn answer(self) -> Result<(StatusCode, String), Failure> {
        match self {
            ActError::Invalid(text) => Ok((StatusCode::UNPROCESSABLE_ENTITY, text)),
            ActError::NotFound(text) => Ok((StatusCode::NOT_FOUND, text)),
            ActError::Internal(e) => Err(Failure::on_our_side(
                e,
                "a console action failed on our side",
            )),
        }
    }
}

/// The answer to an action once it has run (`outcome` of `UiState::run`):
/// `on_done(value)` on success; otherwise the page shown again by
/// `page(note, status)` with the error (422, 404), or the failure page
/// when our side failed (logged by [`ActError::answer`]; a full disk is
/// the 503 "retry later" page).
pub(super) async fn finish<T, Fut>(
    outcome: Result<Result<T, ActError>, Failure>,
    lang: Lang,
    on_done: impl FnOnce(T) -> Response,
    page: impl FnOnce(Markup, StatusCode) -> Fut,
) -> Response
where
    Fut: Future<Output = Response>,
{
    let error = match outcome {
        Ok(Ok(value)) => return on_done(value),
        Ok(Err(e)) => e,
        Err(f) => return f.render(lang, Area::Console),
    };
    match error.answer() {
        Ok((status, text)) => page(message("error", &text), status).await,
        Err(failure) => failure.render(lang, Area::Console),
    }
}

/// `%`-encodes a query value (everything but unreserved ASCII).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `303` back to `path`, saying which action was done and its facts
/// (ids and counts only: the query ends up in the browser's history).
pub(super) fn done(path: &str, action: ConsoleAction, facts: &[(&str, String)]) -> Response {
    let mut to = format!("{path}?fait={}", action.key());
    for (k, v) in facts {
        to.push('&');
        to.push_str(k);
        to.push('=');
        to.push_str(&encode(v));
    }
    redirect(&to, &[])
}

/// The action a page was redirected after (`fait=`), with the other facts.
pub(super) fn done_query(
    query: &BTreeMap<String, String>,
    allowed: &[ConsoleAction],
) -> Option<ConsoleAction> {
    query
        .get("fait")
        .and_then(|k| ConsoleAction::from_key(k))
        .filter(|a| allowed.contains(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded_so_a_label_cannot_add_a_parameter() {
        assert_eq!(encode("HOLD-0001"), "HOLD-0001");
        assert_eq!(encode("v2&fait=x"), "v2%26fait%3Dx");
        let r = done(
            "/console/politique",
            ConsoleAction::NoticeAnnounce,
            &[("v", "2027 01".into())],
        );
        assert_eq!(
            r.headers()["location"],
            "/console/politique?fait=notice_announce&v=2027%2001"
        );
    }
}
