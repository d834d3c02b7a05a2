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
        h2 { (lang.pick("À venir, par catégorie", "Due next, by category")) }
        p { (lang.pick("Simulation au ", "Dry run as of ")) (when(r.now))
            (lang.pick(&format!(", horizon {HORIZON_DAYS} jours (comme « habeas purge --dry-run »)."),
                &format!(", horizon {HORIZON_DAYS} days (as `habeas purge --dry-run`)."))) }
        @if r.plan.is_empty() {
            (message("notice", lang.pick("Rien n'arrive à échéance dans l'horizon.", "Nothing falls due within the horizon.")))
        } @else {
            table {
                caption { (lang.pick("Échéances de conservation (art. 5(1)(e) RGPD)", "Retention due (Art. 5(1)(e) GDPR)")) }
                thead { tr {
                    th scope="col" { (lang.pick("Catégorie", "Category")) }
                    th scope="col" { (lang.pick("Prochaine échéance", "Next due")) }
                    th scope="col" { (lang.pick("À supprimer maintenant", "To delete now")) }
                    th scope="col" { (lang.pick("À anonymiser maintenant", "To anonymise now")) }
                    th scope="col" { (lang.pick("Prévus dans l'horizon", "Scheduled within the horizon")) }
                    th scope="col" { (lang.pick("Conservés (gel)", "Kept (hold)")) }
                    th scope="col" { (lang.pick("Catégorie non déclarée", "Undeclared category")) }
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
        h2 { (lang.pick("Dernières purges", "Last purges")) }
        @if r.runs.is_empty() {
            (message("notice", lang.pick("Aucune purge dans la partie récente du journal.", "No purge in the recent part of the journal.")))
        } @else {
            table {
                caption { (lang.pick("Purges journalisées, les plus récentes d'abord", "Journaled purges, newest first")) }
                thead { tr {
                    th scope="col" { (lang.pick("Date", "Date")) }
                    th scope="col" { (lang.pick("Par", "By")) }
                    th scope="col" { (lang.pick("Enregistrements retirés", "Records removed")) }
                    th scope="col" { (lang.pick("Entrée du journal", "Journal entry")) }
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
            p { (lang.pick(&format!("Recherche dans le journal à partir de l'entrée n° {from} ; les plus anciennes restent lisibles par « habeas audit »."),
                &format!("Journal searched from entry #{from}; older ones remain readable with `habeas audit`."))) }
        }
        h2 { (lang.pick("Gels juridiques en vigueur", "Legal holds in force")) }
        @if r.holds.is_empty() {
            (message("notice", lang.pick("Aucun gel en vigueur.", "No hold in force.")))
        } @else {
            table {
                caption { (lang.pick("Gels qui suspendent la purge", "Holds that suspend the purge")) }
                thead { tr {
                    th scope="col" { (lang.pick("Gel", "Hold")) }
                    th scope="col" { (lang.pick("Portée", "Scope")) }
                    th scope="col" { (lang.pick("Motif", "Reason")) }
                    th scope="col" { (lang.pick("Posé le", "Placed")) }
                    th scope="col" { (lang.pick("Par", "By")) }
                    th scope="col" { (lang.pick("Jusqu'au", "Until")) }
                } }
                tbody {
                    @for h in &r.holds {
                        tr {
                            th scope="row" { code { (h.id) } }
                            td { @match &h.scope {
                                HoldScope::Subject(s) => { (lang.pick("personne ", "subject ")) code { (s) } }
                                HoldScope::Category(c) => { (lang.pick("catégorie ", "category ")) code { (c) } }
                            } }
                            td { (h.reason) }
                            td { (when(h.created_at)) }
                            td { code { (h.created_by) } }
                            td { @if let Some(u) = h.until { (when(u)) } @else { (lang.pick("levée", "release")) } }
                        }
                    }
                }
            }
        }
    };
    shell(
        lang,
        lang.pick("Conservation", "Retention"),
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
