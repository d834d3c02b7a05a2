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
//! subject id (refusals keep theirs in the journal's subject column, which
//! this page does not show, never in the text).

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
use crate::storage_full::OurSide;
use crate::t;

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

fn gather(s: &UiState, actor: &str) -> Result<Found, OurSide> {
    let caller = UiState::caller(actor, CONSOLE_PURPOSE);
    let mut actions = vec!["refused", "access_refused"];
    actions.extend(READ_ACTIONS);
    let tail = s
        .vault
        .journal_tail(&caller, &actions, ALERTS_WINDOW)
        .map_err(OurSide::from)?;
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
                td class="overdue" { (t!(lang, "console-alerts-access-refused")) }
                td { code { (e.actor) } }
                td {
                    @if let Some(c) = &e.category { (t!(lang, "console-alerts-category")) code { (c) } " — " }
                    (e.details)
                }
                td { @if let Some(p) = &e.purpose { code { (p) } } @else { "—" } }
            }
        },
        Alert::Bulk(b) => html! {
            tr {
                td { (when(b.to)) }
                td class="due_soon" { (t!(lang, "console-alerts-bulk-read")) }
                td { code { (b.actor) } }
                td { (t!(lang, "console-alerts-bulk-detail", count = b.subjects, from = when(b.from), to = when(b.to))) }
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
            return Failure::on_our_side(e, "the alerts could not be read from the journal")
                .render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        p { (t!(lang, "console-alerts-bulk-rule", subjects = BULK_READ_SUBJECTS.to_string(), minutes = BULK_READ_MINUTES.to_string())) }
        @if found.alerts.is_empty() {
            (message("notice", &t!(lang, "console-alerts-no-alert-in-the-recent-part")))
        } @else {
            table {
                caption { (t!(lang, "console-alerts-alerts-newest-first")) }
                thead { tr {
                    th scope="col" { (t!(lang, "console-alerts-date")) }
                    th scope="col" { (t!(lang, "console-alerts-alert")) }
                    th scope="col" { (t!(lang, "console-alerts-identity")) }
                    th scope="col" { (t!(lang, "console-alerts-detail")) }
                    th scope="col" { (t!(lang, "console-alerts-purpose")) }
                } }
                tbody { @for a in &found.alerts { (row(lang, a)) } }
            }
        }
        @if let Some(from) = found.from_seq {
            p { (t!(lang, "console-alerts-window", from = from.to_string(), window = ALERTS_WINDOW.to_string())) }
        }
    };
    shell(lang, &t!(lang, "console-alerts-alerts"), PATH, &ctx, body)
}
