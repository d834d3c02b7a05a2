//! The console's staff and tokens page: every staff account with its roles,
//! whether TOTP is enrolled (and required by the policy), and whether it is
//! disabled; every application token with its purposes and categories
//! (SPEC C6: who can reach personal data, and for what; Art. 32(1)(b)).
//!
//! Why read-only and never a secret: accounts are managed with
//! `habeas staff add|disable|reset` and tokens with `habeas token`, where
//! the one-time secrets are shown once. The engine stores only a token's
//! hash, and `Token` does not carry it; the page shows ids and scopes.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::DateTime;
use habeas_auth::{StaffStatus, StaffSummary};
use habeas_core::lang::Lang;
use habeas_engine::access::Token;
use maud::html;

use super::UiState;
use super::console::{console_ctx, shell};
use super::http::UiLang;
use super::page::{Area, Failure, message, when};
use crate::t;

const PATH: &str = "/console/equipe";
/// The purpose journaled for the staff list read.
const STAFF_PURPOSE: &str = "staff-admin";

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

/// Staff accounts and application tokens.
pub async fn staff(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, PATH).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let actor = format!("staff:{}", ctx.staff.id);
    let loaded = state
        .run(
            move |s| -> Result<(Vec<StaffSummary>, Vec<Token>), String> {
                let docs = s.vault.docs(UiState::caller(&actor, STAFF_PURPOSE));
                let staff = s
                    .auth
                    .service(&docs, &*s.clock)
                    .list_staff()
                    .map_err(|e| e.to_string())?;
                let tokens = s.vault.list_tokens().map_err(|e| e.to_string())?;
                Ok((staff, tokens))
            },
        )
        .await;
    let (staff, tokens) = match loaded {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "staff and tokens could not be listed");
            return Failure::Internal.render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let mfa = &state.config.auth.mfa;
    let body = html! {
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
                        }
                    }
                }
            }
        }
    };
    shell(
        lang,
        &t!(lang, "console-staff-staff-and-tokens"),
        PATH,
        &ctx,
        body,
    )
}
