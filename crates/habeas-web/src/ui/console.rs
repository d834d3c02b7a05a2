//! The DPO console: open rights requests by urgency with their deadlines,
//! the breach register with its clocks, and the audit journal's
//! verification status — each read from the real services.
//!
//! Why role-gated here: a full session is not enough; only the roles in
//! `UiConfig::console_roles` open these pages. A refusal is written to the
//! audit journal (SPEC C6: access outside a role is refused and alerted).
//! These pages show pseudonymous ids, dates and statuses, never the content
//! of a subject's records: a read of personal data goes through the vault
//! with a purpose, like the API.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_auth::{ConsoleAction, Gate};
use habeas_breach::BreachRegister;
use habeas_core::lang::Lang;
use habeas_core::rights::urgency::Urgency;
use habeas_engine::Verdict;
use habeas_rights::service::{RequestService, ServiceConfig};
use habeas_rights::vault_bridge::{code_key, rights_caller};
use maud::{Markup, html};

use super::UiState;
use super::http::UiLang;
use super::page::{Area, Failure, Page, html_response, message, when};
use super::staff::{StaffCtx, require};
use crate::storage_full::OurSide;
use crate::t;

/// The purpose journaled for console reads of the registers.
pub(super) const CONSOLE_PURPOSE: &str = "dpo-console";

pub(super) fn urgency_class(u: Option<Urgency>) -> &'static str {
    match u {
        Some(Urgency::Overdue) => "overdue",
        Some(Urgency::DueSoon) => "due_soon",
        _ => "on_track",
    }
}

pub(super) fn nav(lang: Lang) -> Vec<(String, &'static str)> {
    vec![
        (t!(lang, "console-requests").to_string(), "/console"),
        (t!(lang, "console-people").to_string(), "/console/personnes"),
        (
            t!(lang, "console-breaches").to_string(),
            "/console/violations",
        ),
        (t!(lang, "console-journal").to_string(), "/console/journal"),
        (
            t!(lang, "console-retention").to_string(),
            "/console/conservation",
        ),
        (
            t!(lang, "console-register").to_string(),
            "/console/registre",
        ),
        (t!(lang, "console-notice").to_string(), "/console/politique"),
        (t!(lang, "console-alerts").to_string(), "/console/alertes"),
        (t!(lang, "console-staff").to_string(), "/console/equipe"),
    ]
}

/// A full session whose roles open the console; a refusal is journaled.
pub(super) async fn console_ctx(
    state: &UiState,
    headers: &HeaderMap,
    lang: Lang,
    page: &'static str,
) -> Result<StaffCtx, Response> {
    let ctx = require(state, headers, Gate::Console).await?;
    if ctx
        .staff
        .roles
        .iter()
        .any(|r| state.config.console_roles.contains(r))
    {
        return Ok(ctx);
    }
    journal_refusal(state, &ctx, format!("console page {page}")).await;
    Err(Failure::Forbidden.render(lang, Area::Console))
}

/// Writes an `access_refused` entry naming the staff account, its roles and
/// what was refused (SPEC C6: refused, journaled and alerted).
pub(super) async fn journal_refusal(state: &UiState, ctx: &StaffCtx, what: String) {
    let actor = format!("staff:{}", ctx.staff.id);
    let roles: Vec<String> = ctx.staff.roles.iter().cloned().collect();
    let outcome = format!("{what} refused to roles {}", roles.join(","));
    let journaled = state
        .run(move |s| {
            s.vault.journal_admin(
                &UiState::caller(&actor, CONSOLE_PURPOSE),
                "access_refused",
                outcome,
            )
        })
        .await;
    if !matches!(journaled, Ok(Ok(()))) {
        tracing::error!("a console refusal could not be journaled");
    }
    tracing::warn!(staff = %ctx.staff.id, "console access refused (role)");
}

/// The label of a console action (its button and the note after it).
pub(super) fn action_label(lang: Lang, action: ConsoleAction) -> String {
    use ConsoleAction as A;
    match action {
        A::Acknowledge => t!(lang, "console-action-acknowledge"),
        A::RecordIdentityProof => t!(lang, "console-action-proof"),
        A::Start => t!(lang, "console-action-start"),
        A::Extend => t!(lang, "console-action-extend"),
        A::Refuse => t!(lang, "console-action-refuse"),
        A::Complete => t!(lang, "console-action-done"),
        A::BreachUpdate => t!(lang, "console-action-breach-update"),
        A::BreachClose => t!(lang, "console-action-breach-close"),
        A::HoldPlace => t!(lang, "console-action-hold-place"),
        A::HoldRelease => t!(lang, "console-action-hold-release"),
        A::NoticeAnnounce => t!(lang, "console-action-notice-announce"),
        A::StaffDisable => t!(lang, "console-action-staff-disable"),
        A::StaffResetTotp => t!(lang, "console-action-staff-reset-totp"),
        A::TokenRevoke => t!(lang, "console-action-token-revoke"),
    }
}

pub(super) fn shell(lang: Lang, title: &str, path: &str, ctx: &StaffCtx, body: Markup) -> Response {
    let body = html! {
        p { (t!(lang, "console-signed-in-as")) strong { (ctx.staff.display_name) }
            " — " (t!(lang, "console-session-valid-until")) (when(ctx.session.expires_at)) }
        (body)
    };
    html_response(
        StatusCode::OK,
        Page {
            lang,
            area: Area::Console,
            title: title.to_string(),
            path,
            nav: nav(lang),
            sign_out: Some(("/console/deconnexion", ctx.csrf.clone())),
            body,
        }
        .render(),
    )
}

/// Open requests, most urgent first (Art. 12(3): one month, extendable).
pub async fn requests(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, "/console").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let listed = state
        .run(|s| {
            let caller = rights_caller("web-console");
            let key = code_key(&s.vault, &caller).map_err(OurSide::from)?;
            let docs = s.vault.docs(caller);
            RequestService::new(
                &docs,
                &*s.clock,
                s.vault.declarations(),
                ServiceConfig::new(key),
            )
            .list_open()
            .map_err(OurSide::from)
        })
        .await;
    let open = match listed {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "requests could not be listed")
                .render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        @if open.is_empty() {
            (message("notice", &t!(lang, "console-no-open-request")))
        } @else {
            table {
                caption { (t!(lang, "console-open-requests-most-urgent-first")) }
                thead { tr {
                    th scope="col" { (t!(lang, "console-reference")) }
                    th scope="col" { (t!(lang, "console-right")) }
                    th scope="col" { (t!(lang, "console-received")) }
                    th scope="col" { (t!(lang, "console-status")) }
                    th scope="col" { (t!(lang, "console-next-due")) }
                    th scope="col" { (t!(lang, "console-legal-deadline")) }
                    th scope="col" { (t!(lang, "console-urgency")) }
                } }
                tbody {
                    @for r in &open {
                        tr {
                            td { a href={ "/console/demandes/" (r.id) } { code { (r.id) } } }
                            td { (r.kind.label(lang)) }
                            td { (when(r.received_at)) }
                            td { (r.status.label(lang)) }
                            td { @if let Some(d) = &r.next_due { (when(d.at)) } @else { "—" } }
                            td { (r.effective_deadline.legal.format("%Y-%m-%d")) }
                            td class=(urgency_class(r.urgency)) {
                                (r.urgency.map(|u| u.label(lang)).unwrap_or("—"))
                            }
                        }
                    }
                }
            }
        }
    };
    shell(
        lang,
        &t!(lang, "console-rights-requests"),
        "/console",
        &ctx,
        body,
    )
}

/// The breach register with its clocks (Art. 33(1): 72 hours).
pub async fn breaches(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, "/console/violations").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let listed = state
        .run(|s| with_register(s, |r| r.list()).map_err(OurSide::from))
        .await;
    let listing = match listed {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "the breach register could not be listed")
                .render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        @if listing.breaches.is_empty() {
            (message("notice", &t!(lang, "console-no-breach-in-the-register")))
        } @else {
            table {
                caption { (t!(lang, "console-breach-register-art-33-5-gdpr")) }
                thead { tr {
                    th scope="col" { (t!(lang, "console-reference")) }
                    th scope="col" { (t!(lang, "console-open")) }
                    th scope="col" { (t!(lang, "console-certainty")) }
                    th scope="col" { (t!(lang, "console-aware-since")) }
                    th scope="col" { (t!(lang, "console-authority-due")) }
                    th scope="col" { (t!(lang, "console-urgency")) }
                    th scope="col" { (t!(lang, "console-to-do")) }
                } }
                tbody {
                    @for b in &listing.breaches {
                        tr {
                            td { code { (b.id) } }
                            td { (if b.open { t!(lang, "console-yes") } else { t!(lang, "console-no") }) }
                            td { (b.certainty.label(lang)) }
                            td { (when(b.aware_at)) }
                            td { @if let Some(d) = b.next_due { (when(d)) } @else { "—" } }
                            td class=(urgency_class(b.urgency)) { (b.urgency.map(|u| u.label(lang)).unwrap_or("—")) }
                            td { ul { @for d in &b.duties { li { (d.describe(lang)) } } } }
                        }
                    }
                }
            }
        }
        @if !listing.damaged.is_empty() {
            (message("error", &t!(lang, "console-some-stored-breaches-cannot-be-read")))
            ul { @for d in &listing.damaged { li { code { (d.id) } } } }
        }
    };
    shell(
        lang,
        &t!(lang, "console-data-breaches"),
        "/console/violations",
        &ctx,
        body,
    )
}

/// `f` on the breach register as the console reads it.
fn with_register<T>(
    s: &UiState,
    f: impl FnOnce(&BreachRegister<'_>) -> Result<T, habeas_breach::RegisterError>,
) -> Result<T, habeas_breach::RegisterError> {
    let docs = s
        .vault
        .docs(UiState::caller("web-console", CONSOLE_PURPOSE));
    f(&BreachRegister::new(
        &docs,
        &*s.clock,
        s.vault.declarations(),
        crate::breach::clocks(),
    ))
}

/// The journal retention's cut-off now, the breach register read as the
/// daily job reads it.
fn journal_cutoff(
    s: &UiState,
    policy: &habeas_core::journal_retention::JournalRetention,
) -> Result<habeas_core::journal_retention::Cutoff, habeas_engine::EngineError> {
    with_register(s, |r| r.journal_cutoff(policy))
        .map_err(|e| habeas_engine::EngineError::Storage(e.to_string()))
}

/// Whether the audit journal is intact (hash chain and signed checkpoints),
/// and how long it is kept.
pub async fn journal(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, "/console/journal").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let retention = state.config.journal_retention;
    let checked = state
        .run(move |s| {
            let verdict = s.vault.verify_journal()?;
            let cutoff = match retention {
                Some(policy) => Some((policy, journal_cutoff(s, &policy)?)),
                None => None,
            };
            Ok::<_, habeas_engine::EngineError>((verdict, cutoff))
        })
        .await;
    let (verdict, cutoff) = match checked {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "the journal could not be verified")
                .render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let now = state.clock.now();
    let body = html! {
        p { (t!(lang, "console-verified-on")) (when(now)) }
        @match &verdict {
            Verdict::Intact { first, last, checkpoints, unsigned_tail } => {
                (message("notice", &t!(lang, "console-journal-intact-every-entry-chains-and")))
                dl {
                    dt { (t!(lang, "console-entries-kept")) } dd { (first) " – " (last) }
                    dt { (t!(lang, "console-signed-checkpoints")) } dd { (checkpoints) }
                    dt { (t!(lang, "console-entries-after-the-last-signed-checkpoint")) } dd { (unsigned_tail) }
                }
            }
            Verdict::Broken { entry, reason } => {
                (message("error", &t!(lang, "console-journal-tampered-the-chain-is-broken")))
                dl {
                    dt { (t!(lang, "console-first-broken-entry")) } dd { (entry) }
                    dt { (t!(lang, "console-reason")) } dd { (reason) }
                }
            }
        }
        h2 { (t!(lang, "console-journal-retention")) }
        @match &cutoff {
            None => p { (t!(lang, "console-journal-retention-none")) },
            Some((policy, cut)) => dl {
                dt { (t!(lang, "console-journal-retention-periods")) }
                dd {
                    (policy.keep.describe(lang)) " · "
                    (t!(lang, "console-journal-retention-incident")) " "
                    (policy.incident_keep.describe(lang))
                }
                dt { (t!(lang, "console-journal-retention-cutoff")) } dd { (when(cut.before)) }
                @if let Some(id) = &cut.held_by {
                    dt { (t!(lang, "console-journal-retention-held-by")) } dd { (id) }
                }
            },
        }
    };
    shell(
        lang,
        &t!(lang, "console-audit-journal"),
        "/console/journal",
        &ctx,
        body,
    )
}
