//! The console's retention page: what is due next by category (the same
//! planner and data as `habeas purge --dry-run`), the last purge runs (the
//! `retention.purge` entries the purge and the scheduler journal), and the
//! legal holds in force (GDPR Art. 5(1)(e) storage limitation; SPEC C5).
//!
//! Why read-only and counts only: the page shows categories, counts, dates
//! and hold ids — never record values or subject ids. Placing or releasing
//! a hold stays with `habeas hold`, where the reason is typed and checked.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use habeas_engine::journal_tail::JournalEvent;
use habeas_engine::retention::VaultPurge;
use habeas_retention::hold::{Hold, HoldFilter, HoldScope, HoldService};
use habeas_retention::plan::{CategoryCounts, dry_run, expiry_by_category};
use maud::html;

use super::UiState;
use super::console::{CONSOLE_PURPOSE, console_ctx, shell};
use super::http::UiLang;
use super::page::{Area, Failure, message, when};
use crate::t;

/// How far ahead the plan looks, in days (the default of `habeas purge --dry-run`).
pub const HORIZON_DAYS: i64 = 30;
/// Due records read per store call (as the purge).
const PAGE: usize = 1_000;
/// How many journal entries back the page looks for purge runs.
pub const RUNS_WINDOW: usize = 20_000;
/// How many purge runs are listed.
const RUNS_SHOWN: usize = 10;

/// One category's line: its counts and the first date something goes.
struct CategoryPlan {
    counts: CategoryCounts,
    next: Option<DateTime<Utc>>,
}

struct Retention {
    now: DateTime<Utc>,
    plan: BTreeMap<String, CategoryPlan>,
    runs: Vec<JournalEvent>,
    window_from: Option<u64>,
    holds: Vec<Hold>,
}

fn gather(s: &UiState, actor: &str) -> Result<Retention, String> {
    let now = s.clock.now();
    let caller = UiState::caller(actor, CONSOLE_PURPOSE);
    let docs = s.vault.docs(caller.clone());
    // Every hold (the planner judges each at the date that matters), like the purge.
    let all = HoldService::new(&docs, &*s.clock)
        .list(HoldFilter::All)
        .map_err(|e| e.to_string())?;
    let expiry = expiry_by_category(s.vault.declarations());
    let items = VaultPurge::new(&s.vault, caller.clone())
        .due_by(now + Duration::days(HORIZON_DAYS), PAGE)
        .map_err(|e| e.to_string())?;
    let (decisions, summary) = dry_run(now, &expiry, &all, &items);
    let mut plan: BTreeMap<String, CategoryPlan> = summary
        .categories
        .into_iter()
        .map(|(c, counts)| (c, CategoryPlan { counts, next: None }))
        .collect();
    for d in &decisions {
        let at = d.goes_at.unwrap_or(d.due).max(now);
        if let Some(p) = plan.get_mut(&d.category) {
            p.next = Some(p.next.map_or(at, |n| n.min(at)));
        }
    }
    let tail = s
        .vault
        .journal_tail(&caller, &["retention.purge"], RUNS_WINDOW)
        .map_err(|e| e.to_string())?;
    let mut runs = tail.events;
    runs.truncate(RUNS_SHOWN);
    let holds = all.into_iter().filter(|h| h.is_active(now)).collect();
    Ok(Retention {
        now,
        plan,
        runs,
        window_from: tail.from_seq,
        holds,
    })
}

/// `removed=N` from a purge run's journal entry.
fn removed(details: &str) -> &str {
    details
        .split_whitespace()
        .find_map(|w| w.strip_prefix("removed="))
        .unwrap_or("—")
}

/// Retention: the plan, the last runs, the holds.
pub async fn retention(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let path = "/console/conservation";
    let ctx = match console_ctx(&state, &headers, lang, path).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let actor = format!("staff:{}", ctx.staff.id);
    let r = match state.run(move |s| gather(s, &actor)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the retention page could not be prepared");
            return Failure::Internal.render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        h2 { (t!(lang, "console-retention-due-next-by-category")) }
        p { (t!(lang, "console-retention-dry-run-as-of")) (when(r.now))
            (t!(lang, "console-retention-horizon", days = HORIZON_DAYS.to_string())) }
        @if r.plan.is_empty() {
            (message("notice", &t!(lang, "console-retention-nothing-falls-due-within-the-horizon")))
        } @else {
            table {
                caption { (t!(lang, "console-retention-retention-due-art-5-1-e")) }
                thead { tr {
                    th scope="col" { (t!(lang, "console-retention-category")) }
                    th scope="col" { (t!(lang, "console-retention-next-due")) }
                    th scope="col" { (t!(lang, "console-retention-to-delete-now")) }
                    th scope="col" { (t!(lang, "console-retention-to-anonymise-now")) }
                    th scope="col" { (t!(lang, "console-retention-scheduled-within-the-horizon")) }
                    th scope="col" { (t!(lang, "console-retention-kept-hold")) }
                    th scope="col" { (t!(lang, "console-retention-undeclared-category")) }
                } }
                tbody {
                    @for (category, p) in &r.plan {
                        tr {
                            th scope="row" { code { (category) } }
                            td { @if let Some(n) = p.next { (when(n)) } @else { "—" } }
                            td { (p.counts.delete) }
                            td { (p.counts.anonymise) }
                            td { (p.counts.scheduled) }
                            td { (p.counts.held)
                                @if !p.counts.holds.is_empty() { " (" (p.counts.holds.iter().cloned().collect::<Vec<_>>().join(", ")) ")" } }
                            td { (p.counts.undeclared) }
                        }
                    }
                }
            }
        }
        h2 { (t!(lang, "console-retention-last-purges")) }
        @if r.runs.is_empty() {
            (message("notice", &t!(lang, "console-retention-no-purge-in-the-recent-part")))
        } @else {
            table {
                caption { (t!(lang, "console-retention-journaled-purges-newest-first")) }
                thead { tr {
                    th scope="col" { (t!(lang, "console-retention-date")) }
                    th scope="col" { (t!(lang, "console-retention-by")) }
                    th scope="col" { (t!(lang, "console-retention-records-removed")) }
                    th scope="col" { (t!(lang, "console-retention-journal-entry")) }
                } }
                tbody {
                    @for e in &r.runs {
                        tr {
                            td { (when(e.at)) }
                            td { code { (e.actor) } }
                            td { (removed(&e.details)) }
                            td { "#" (e.seq) }
                        }
                    }
                }
            }
        }
        @if let Some(from) = r.window_from {
            p { (t!(lang, "console-retention-window", from = from.to_string())) }
        }
        h2 { (t!(lang, "console-retention-legal-holds-in-force")) }
        @if r.holds.is_empty() {
            (message("notice", &t!(lang, "console-retention-no-hold-in-force")))
        } @else {
            table {
                caption { (t!(lang, "console-retention-holds-that-suspend-the-purge")) }
                thead { tr {
                    th scope="col" { (t!(lang, "console-retention-hold")) }
                    th scope="col" { (t!(lang, "console-retention-scope")) }
                    th scope="col" { (t!(lang, "console-retention-reason")) }
                    th scope="col" { (t!(lang, "console-retention-placed")) }
                    th scope="col" { (t!(lang, "console-retention-by")) }
                    th scope="col" { (t!(lang, "console-retention-until")) }
                } }
                tbody {
                    @for h in &r.holds {
                        tr {
                            th scope="row" { code { (h.id) } }
                            td { @match &h.scope {
                                HoldScope::Subject(s) => { (t!(lang, "console-retention-subject")) code { (s) } }
                                HoldScope::Category(c) => { (t!(lang, "console-retention-category-2")) code { (c) } }
                            } }
                            td { (h.reason) }
                            td { (when(h.created_at)) }
                            td { code { (h.created_by) } }
                            td { @if let Some(u) = h.until { (when(u)) } @else { (t!(lang, "console-retention-release")) } }
                        }
                    }
                }
            }
        }
    };
    shell(
        lang,
        &t!(lang, "console-retention-retention"),
        path,
        &ctx,
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::removed;

    #[test]
    fn the_removed_count_is_read_from_the_purge_entry() {
        assert_eq!(removed("removed=12 counts={\"a\":1}"), "12");
        assert_eq!(removed("something else"), "—");
    }
}
