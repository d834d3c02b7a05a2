//! The console's alerts: refused accesses and bulk reads, newest first
//! (SPEC C6: access outside a role or a token's scope is refused, journaled
//! and alerted; Art. 32(1)(b) confidentiality, and Art. 33: a breach must
//! be noticed to be notified).
//!
//! Why from the journal: the journal is the one place every read and every
//! refusal is written, durably and tamper-evidently, by the API, the CLI
//! and these pages alike. Refusals are `refused` (the vault's purpose and
//! scope checks) and `access_refused` (console role checks); a bulk read is
//! [`habeas_engine::journal_tail::bulk_reads`] over the `read` and `find`
//! entries. The page looks back [`ALERTS_WINDOW`] entries (it says from
//! where); it shows actors, categories, purposes and counts — never a
//! subject id.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use habeas_core::lang::Lang;
use habeas_engine::journal_tail::{
    BULK_READ_MINUTES, BULK_READ_SUBJECTS, BulkRead, JournalEvent, READ_ACTIONS, bulk_reads,
};
use maud::{Markup, html};

use super::UiState;
use super::console::{CONSOLE_PURPOSE, console_ctx, shell};
use super::http::UiLang;
use super::page::{Area, Failure, message, when};

const PATH: &str = "/console/alertes";
/// How many journal entries back the page looks.
pub const ALERTS_WINDOW: usize = 50_000;
/// How many alerts are listed.
const SHOWN: usize = 200;

enum Alert {
    Refused(JournalEvent),
    Bulk(BulkRead),
}

impl Alert {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Alert::Refused(e) => e.at,
            Alert::Bulk(b) => b.to,
        }
    }
}

struct Found {
    alerts: Vec<Alert>,
    from_seq: Option<u64>,
}

fn gather(s: &UiState, actor: &str) -> Result<Found, String> {
    let caller = UiState::caller(actor, CONSOLE_PURPOSE);
    let mut actions = vec!["refused", "access_refused"];
    actions.extend(READ_ACTIONS);
    let tail = s
        .vault
        .journal_tail(&caller, &actions, ALERTS_WINDOW)
        .map_err(|e| e.to_string())?;
    let mut alerts: Vec<Alert> = bulk_reads(&tail.events)
        .into_iter()
        .map(Alert::Bulk)
        .collect();
    alerts.extend(
        tail.events
            .into_iter()
            .filter(|e| e.action == "refused" || e.action == "access_refused")
            .map(Alert::Refused),
    );
    alerts.sort_by_key(|a| std::cmp::Reverse(a.at()));
    alerts.truncate(SHOWN);
    Ok(Found {
        alerts,
        from_seq: tail.from_seq,
    })
}

fn row(lang: Lang, a: &Alert) -> Markup {
    match a {
        Alert::Refused(e) => html! {
            tr {
                td { (when(e.at)) }
                td class="overdue" { (lang.pick("accès refusé", "access refused")) }
                td { code { (e.actor) } }
                td {
                    @if let Some(c) = &e.category { (lang.pick("catégorie ", "category ")) code { (c) } " — " }
                    (e.details)
                }
                td { @if let Some(p) = &e.purpose { code { (p) } } @else { "—" } }
            }
        },
        Alert::Bulk(b) => html! {
            tr {
                td { (when(b.to)) }
                td class="due_soon" { (lang.pick("lecture en masse", "bulk read")) }
                td { code { (b.actor) } }
                td { (match lang {
                    Lang::Fr => format!("{} personnes lues du {} au {}", b.subjects, when(b.from), when(b.to)),
                    Lang::En => format!("{} subjects read from {} to {}", b.subjects, when(b.from), when(b.to)),
                }) }
                td { @if b.purposes.is_empty() { "—" } @else {
                    (b.purposes.iter().cloned().collect::<Vec<_>>().join(", ")) } }
            }
        },
    }
}

/// Refused accesses and bulk reads, newest first.
pub async fn alerts(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, PATH).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let actor = format!("staff:{}", ctx.staff.id);
    let found = match state.run(move |s| gather(s, &actor)).await {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the alerts could not be read from the journal");
            return Failure::Internal.render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        p { (match lang {
            Lang::Fr => format!("Lecture en masse : une même identité qui lit au moins {BULK_READ_SUBJECTS} personnes distinctes en {BULK_READ_MINUTES} minutes."),
            Lang::En => format!("Bulk read: one identity reading at least {BULK_READ_SUBJECTS} distinct subjects within {BULK_READ_MINUTES} minutes."),
        }) }
        @if found.alerts.is_empty() {
            (message("notice", lang.pick("Aucune alerte dans la partie récente du journal.", "No alert in the recent part of the journal.")))
        } @else {
            table {
                caption { (lang.pick("Alertes, les plus récentes d'abord", "Alerts, newest first")) }
                thead { tr {
                    th scope="col" { (lang.pick("Date", "Date")) }
                    th scope="col" { (lang.pick("Alerte", "Alert")) }
                    th scope="col" { (lang.pick("Identité", "Identity")) }
                    th scope="col" { (lang.pick("Détail", "Detail")) }
                    th scope="col" { (lang.pick("Finalité", "Purpose")) }
                } }
                tbody { @for a in &found.alerts { (row(lang, a)) } }
            }
        }
        @if let Some(from) = found.from_seq {
            p { (match lang {
                Lang::Fr => format!("Journal examiné à partir de l'entrée n° {from} ({ALERTS_WINDOW} entrées au plus) ; les plus anciennes restent lisibles par « habeas audit »."),
                Lang::En => format!("Journal examined from entry #{from} (at most {ALERTS_WINDOW} entries); older ones remain readable with `habeas audit`."),
            }) }
        }
    };
    shell(lang, lang.pick("Alertes", "Alerts"), PATH, &ctx, body)
}
