//! The console's staff and tokens page: every staff account with its roles,
//! whether TOTP is enrolled (and required by the policy), and whether it is
//! disabled; every application token with its purposes and categories
//! (SPEC C6: who can reach personal data, and for what; Art. 32(1)(b)).
//!
//! Never a secret: accounts are created with `habeas staff add` and tokens
//! with `habeas token create`, where the one-time secrets are shown once.
//! The engine stores only a token's hash, and `Token` does not carry it;
//! the page shows ids and scopes.
//!
//! Actions (administrators only, action table of habeas-auth `console`),
//! none of which makes a secret: disable an account (its sessions end; a
//! staff member cannot disable their own account), reset an account's TOTP
//! (secret and recovery codes removed: it enrols again at next sign-in —
//! `habeas staff reset --totp`), revoke an application token (`habeas token
//! revoke`). A password reset stays with `habeas staff reset --password`:
//! it makes a one-time password that would have to be shown. Journaled as
//! the staff member (`staff.disable`, `staff.reset_totp`, `token.revoke`).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::DateTime;
use habeas_auth::{AuthError, ConsoleAction, ResetScope, StaffStatus, StaffSummary};
use habeas_core::lang::Lang;
use habeas_engine::access::Token;
use maud::{Markup, html};

use super::UiState;
use super::console::{action_label, console_ctx, shell};
use super::console_act::{ActError, ActForm, actor, authorize, done, done_query, finish};
use super::http::{PageQuery, UiLang};
use super::page::{Area, Failure, message, when};
use super::staff::StaffCtx;
use crate::storage_full::OurSide;
use crate::t;

const PATH: &str = "/console/equipe";
/// The purpose journaled for the staff list read.
const STAFF_PURPOSE: &str = "staff-admin";
/// The actions this page takes.
const ACTIONS: [ConsoleAction; 3] = [
    ConsoleAction::StaffDisable,
    ConsoleAction::StaffResetTotp,
    ConsoleAction::TokenRevoke,
];

fn yes_no(lang: Lang, b: bool) -> String {
    if b {
        t!(lang, "console-staff-yes")
    } else {
        t!(lang, "console-staff-no")
    }
}

fn seconds(at: i64) -> String {
    DateTime::from_timestamp(at, 0).map_or_else(|| "—".to_string(), when)
}

/// Staff accounts and application tokens (and, after an action, what it did).
pub async fn staff(
    State(state): State<UiState>,
    l: UiLang,
    PageQuery(query): PageQuery<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, PATH).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let note = done_query(&query, &ACTIONS).map(|a| {
        let id = query.get("id").map_or("", String::as_str);
        let text = match a {
            ConsoleAction::StaffDisable => t!(lang, "console-staff-disabled-note", login = id),
            ConsoleAction::StaffResetTotp => t!(lang, "console-staff-reset-note", login = id),
            _ => t!(lang, "console-staff-revoked-note", id = id),
        };
        message("notice", &text)
    });
    page(&state, lang, &ctx, note, StatusCode::OK).await
}

async fn page(
    state: &UiState,
    lang: Lang,
    ctx: &StaffCtx,
    note: Option<Markup>,
    status: StatusCode,
) -> Response {
    let policy = &state.auth.config().console;
    let may = |a: ConsoleAction| policy.allows(&ctx.staff.roles, a);
    let (may_disable, may_reset, may_revoke) = (
        may(ConsoleAction::StaffDisable),
        may(ConsoleAction::StaffResetTotp),
        may(ConsoleAction::TokenRevoke),
    );
    let actor = actor(ctx);
    let loaded = state
        .run(
            move |s| -> Result<(Vec<StaffSummary>, Vec<Token>), OurSide> {
                let docs = s.vault.docs(UiState::caller(&actor, STAFF_PURPOSE));
                let staff = s.auth.service(&docs, &*s.clock).list_staff()?;
                let tokens = s.vault.list_tokens()?;
                Ok((staff, tokens))
            },
        )
        .await;
    let (staff, tokens) = match loaded {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "staff and tokens could not be listed")
                .render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let mfa = &state.config.auth.mfa;
    let body = html! {
        @if let Some(n) = note { (n) }
        h2 { (t!(lang, "console-staff-staff-accounts")) }
        table {
            caption { (t!(lang, "console-staff-accounts-by-login-habeas-staff-list")) }
            thead { tr {
                th scope="col" { (t!(lang, "console-staff-login")) }
                th scope="col" { (t!(lang, "console-staff-display-name")) }
                th scope="col" { (t!(lang, "console-staff-roles")) }
                th scope="col" { (t!(lang, "console-staff-totp-enrolled")) }
                th scope="col" { (t!(lang, "console-staff-totp-required")) }
                th scope="col" { (t!(lang, "console-staff-recovery-codes-left")) }
                th scope="col" { (t!(lang, "console-staff-disabled")) }
                th scope="col" { (t!(lang, "console-staff-last-sign-in")) }
                @if may_disable || may_reset { th scope="col" { (t!(lang, "console-staff-actions-col")) } }
            } }
            tbody {
                @for a in &staff {
                    @let required = mfa.required_for(a.roles.iter());
                    tr {
                        th scope="row" { code { (a.login) } }
                        td { (a.display_name) }
                        td { (a.roles.iter().cloned().collect::<Vec<_>>().join(", ")) }
                        td class=[(required && !a.totp_enrolled).then_some("overdue")] { (yes_no(lang, a.totp_enrolled)) }
                        td { (yes_no(lang, required)) }
                        td { (a.recovery_codes_left) }
                        td { (yes_no(lang, a.status == StaffStatus::Disabled)) }
                        td { @if let Some(t) = a.last_login_at { (when(t)) } @else { "—" } }
                        @if may_disable || may_reset {
                            td {
                                @if may_disable && a.status != StaffStatus::Disabled && a.id != ctx.staff.id {
                                    (act_form(&ctx.csrf, ConsoleAction::StaffDisable, "staff", &a.id, &action_label(lang, ConsoleAction::StaffDisable), &t!(lang, "console-staff-disable-login", login = a.login.clone())))
                                }
                                @if may_reset && a.totp_enrolled {
                                    (act_form(&ctx.csrf, ConsoleAction::StaffResetTotp, "staff", &a.id, &action_label(lang, ConsoleAction::StaffResetTotp), &t!(lang, "console-staff-reset-login", login = a.login.clone())))
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t!(lang, "console-staff-application-tokens")) }
        @if tokens.is_empty() {
            (message("notice", &t!(lang, "console-staff-no-token-habeas-token-create")))
        } @else {
            table {
                caption { (t!(lang, "console-staff-tokens-newest-first-the-secret-is")) }
                thead { tr {
                    th scope="col" { (t!(lang, "console-staff-token")) }
                    th scope="col" { (t!(lang, "console-staff-name")) }
                    th scope="col" { (t!(lang, "console-staff-purposes")) }
                    th scope="col" { (t!(lang, "console-staff-categories")) }
                    th scope="col" { (t!(lang, "console-staff-created")) }
                    th scope="col" { (t!(lang, "console-staff-revoked")) }
                    @if may_revoke { th scope="col" { (t!(lang, "console-staff-actions-col")) } }
                } }
                tbody {
                    @for t in &tokens {
                        tr {
                            th scope="row" { code { (t.id) } }
                            td { (t.name) }
                            td { (t.purposes.join(", ")) }
                            td { @if t.categories.is_empty() {
                                (t!(lang, "console-staff-all-of-its-purposes"))
                            } @else { (t.categories.join(", ")) } }
                            td { (seconds(t.created_at)) }
                            td { @if let Some(r) = t.revoked_at { (seconds(r)) } @else { "—" } }
                            @if may_revoke {
                                td { @if t.revoked_at.is_none() {
                                    (act_form(&ctx.csrf, ConsoleAction::TokenRevoke, "token", &t.id, &action_label(lang, ConsoleAction::TokenRevoke), &t!(lang, "console-staff-revoke-token", id = t.id.clone())))
                                } @else { "—" } }
                            }
                        }
                    }
                }
            }
        }
    };
    let mut response = shell(
        lang,
        &t!(lang, "console-staff-staff-and-tokens"),
        PATH,
        ctx,
        body,
    );
    *response.status_mut() = status;
    response
}

/// A one-button form acting on one account or token.
fn act_form(
    csrf: &str,
    action: ConsoleAction,
    field: &str,
    id: &str,
    label: &str,
    aria: &str,
) -> Markup {
    html! {
        form method="post" action=(PATH) class="inline" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="action" value=(action.key());
            input type="hidden" name=(field) value=(id);
            button type="submit" class="danger" aria-label=(aria) { (label) }
        }
    }
}

/// An application token id: the 16 hexadecimal characters after `hbs_`.
fn token_id(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Takes one staff or token action as `who`; checks first, changes after.
fn take(
    s: &UiState,
    who: &str,
    self_id: &str,
    action: ConsoleAction,
    form: &ActForm,
    lang: Lang,
) -> Result<String, ActError> {
    let caller = UiState::caller(who, STAFF_PURPOSE);
    if action == ConsoleAction::TokenRevoke {
        let id = form.get("token");
        let id = id.strip_prefix("hbs_").unwrap_or(id);
        let unknown = || {
            ActError::NotFound(t!(
                lang,
                "console-staff-error-unknown-token",
                id = id.chars().take(40).collect::<String>()
            ))
        };
        if !token_id(id) {
            return Err(unknown());
        }
        // Journaled by the engine (`token.revoke`) as the staff member.
        return match s.vault.revoke_token(&caller, id) {
            Ok(true) => Ok(id.to_string()),
            Ok(false) => Err(unknown()),
            Err(e) => Err(ActError::internal(e)),
        };
    }
    let id = form.get("staff");
    let shown: String = id.chars().take(40).collect();
    let docs = s.vault.docs(caller.clone());
    let svc = s.auth.service(&docs, &*s.clock);
    let unknown = || {
        ActError::NotFound(t!(
            lang,
            "console-staff-error-unknown-staff",
            id = shown.clone()
        ))
    };
    let account = svc
        .list_staff()
        .map_err(ActError::internal)?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(unknown)?;
    let map = |e: AuthError| match e {
        AuthError::UnknownStaff(_) => unknown(),
        e => ActError::internal(e),
    };
    let what = if action == ConsoleAction::StaffDisable {
        if account.id == self_id {
            return Err(ActError::Invalid(t!(lang, "console-staff-error-self")));
        }
        if account.status == StaffStatus::Disabled {
            return Err(ActError::Invalid(t!(
                lang,
                "console-staff-error-already-disabled",
                login = account.login.clone()
            )));
        }
        svc.disable_staff(&account.id).map_err(map)?;
        "staff.disable"
    } else {
        if !account.totp_enrolled {
            return Err(ActError::Invalid(t!(
                lang,
                "console-staff-error-no-totp",
                login = account.login.clone()
            )));
        }
        // No password reset here: no secret is made, none is shown.
        svc.reset_staff(
            &account.id,
            ResetScope {
                password: false,
                totp: true,
            },
        )
        .map_err(map)?;
        "staff.reset_totp"
    };
    s.vault
        .journal_admin(&caller, what, format!("id={}", account.id))
        .map_err(ActError::internal)?;
    Ok(account.login)
}

/// `POST /console/equipe`: disable an account, reset its TOTP, revoke a token.
pub async fn act(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = l.lang;
    let form = ActForm::from_pairs(pairs);
    let (ctx, action) = match authorize(&state, &headers, lang, PATH, &form, &ACTIONS).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let who = actor(&ctx);
    let self_id = ctx.staff.id.clone();
    let outcome = state
        .run(move |s| take(s, &who, &self_id, action, &form, lang))
        .await;
    let taken = |id| done(PATH, action, &[("id", id)]);
    finish(outcome, lang, taken, |note, status| {
        page(&state, lang, &ctx, Some(note), status)
    })
    .await
}
