//! The console's retention page: what is due next by category (the same
//! planner and data as `habeas purge --dry-run`), the last purge runs (the
//! `retention.purge` entries the purge and the scheduler journal), and the
//! legal holds in force (GDPR Art. 5(1)(e) storage limitation; SPEC C5).
//!
//! Why counts only: the plan and the runs show categories, counts and dates
//! — never record values. The holds table shows each hold's scope (a
//! subject's `sub_…` id or a category) and reason, as `habeas hold list`.
//!
//! Actions (for the roles of the action table, habeas-auth `console`):
//! place a hold on one subject or one declared category, with a required
//! reason and an optional last day, and release one with a required reason
//! (Art. 17(3)(e): data kept for legal claims, and no longer once they are
//! settled). The same library calls as `habeas hold add|release`
//! (habeas-retention `HoldService`), journaled as the staff member
//! (`hold.add`, `hold.release`).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use habeas_auth::ConsoleAction;
use habeas_core::lang::Lang;
use habeas_engine::journal_tail::JournalEvent;
use habeas_engine::retention::VaultPurge;
use habeas_retention::error::RetentionError;
use habeas_retention::hold::{Hold, HoldFilter, HoldScope, HoldService, MAX_REASON, NewHold};
use habeas_retention::plan::{CategoryCounts, dry_run, expiry_by_category};
use maud::{Markup, html};

use super::UiState;
use super::console::{CONSOLE_PURPOSE, action_label, console_ctx, shell};
use super::console_act::{ActError, ActForm, actor, authorize, done, done_query, finish};
use super::http::{PageQuery, UiLang};
use super::page::{Area, Failure, message, when};
use super::staff::StaffCtx;

const PATH: &str = "/console/conservation";
/// The purpose journaled for hold changes (as `habeas hold`).
const HOLD_PURPOSE: &str = "legal_hold";
/// The actions this page takes.
const ACTIONS: [ConsoleAction; 2] = [ConsoleAction::HoldPlace, ConsoleAction::HoldRelease];
use crate::storage_full::OurSide;
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
    /// Declared categories, for the hold form.
    categories: Vec<String>,
}

fn gather(s: &UiState, actor: &str) -> Result<Retention, OurSide> {
    let now = s.clock.now();
    let caller = UiState::caller(actor, CONSOLE_PURPOSE);
    let docs = s.vault.docs(caller.clone());
    // Every hold (the planner judges each at the date that matters), like the purge.
    let all = HoldService::new(&docs, &*s.clock)
        .list(HoldFilter::All)
        .map_err(OurSide::from)?;
    let expiry = expiry_by_category(s.vault.declarations());
    let items = VaultPurge::new(&s.vault, caller.clone())
        .due_by(now + Duration::days(HORIZON_DAYS), PAGE)
        .map_err(OurSide::from)?;
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
        .map_err(OurSide::from)?;
    let mut runs = tail.events;
    runs.truncate(RUNS_SHOWN);
    let holds = all.into_iter().filter(|h| h.is_active(now)).collect();
    Ok(Retention {
        now,
        plan,
        runs,
        window_from: tail.from_seq,
        holds,
        categories: s
            .vault
            .declarations()
            .categories
            .keys()
            .map(|n| n.get_ref().to_string())
            .collect(),
    })
}

/// `removed=N` from a purge run's journal entry.
fn removed(details: &str) -> &str {
    details
        .split_whitespace()
        .find_map(|w| w.strip_prefix("removed="))
        .unwrap_or("—")
}

/// Retention: the plan, the last runs, the holds (and, after an action, what it did).
pub async fn retention(
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
        let id = query.get("gel").map_or("", String::as_str);
        let text = match a {
            ConsoleAction::HoldRelease => t!(lang, "console-retention-released-note", id = id),
            _ => t!(lang, "console-retention-placed-note", id = id),
        };
        message("notice", &text)
    });
    page(&state, lang, &ctx, note, StatusCode::OK).await
}

/// The page, with a note on top (after an action, or its refusal).
async fn page(
    state: &UiState,
    lang: Lang,
    ctx: &StaffCtx,
    note: Option<Markup>,
    status: StatusCode,
) -> Response {
    let path = PATH;
    let who = actor(ctx);
    let policy = &state.auth.config().console;
    let may_place = policy.allows(&ctx.staff.roles, ConsoleAction::HoldPlace);
    let may_release = policy.allows(&ctx.staff.roles, ConsoleAction::HoldRelease);
    let r = match state.run(move |s| gather(s, &who)).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "the retention page could not be prepared")
                .render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        @if let Some(n) = note { (n) }
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
                    @if may_release { th scope="col" { (t!(lang, "console-retention-release-col")) } }
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
                            @if may_release {
                                td {
                                    form method="post" action=(PATH) class="inline" {
                                        input type="hidden" name="csrf" value=(ctx.csrf);
                                        input type="hidden" name="action" value=(ConsoleAction::HoldRelease.key());
                                        input type="hidden" name="hold" value=(h.id);
                                        label for={ "release-" (h.id) } { (t!(lang, "console-retention-field-release-reason")) }
                                        input type="text" id={ "release-" (h.id) } name="reason" required maxlength=(MAX_REASON);
                                        button type="submit" { (action_label(lang, ConsoleAction::HoldRelease)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if may_place {
            h2 { (t!(lang, "console-retention-place-title")) }
            p { (t!(lang, "console-retention-place-help")) }
            form method="post" action=(PATH) {
                input type="hidden" name="csrf" value=(ctx.csrf);
                input type="hidden" name="action" value=(ConsoleAction::HoldPlace.key());
                p {
                    label for="hold-subject" { (t!(lang, "console-retention-field-subject")) }
                    input type="text" id="hold-subject" name="subject" autocomplete="off" spellcheck="false";
                }
                p {
                    label for="hold-category" { (t!(lang, "console-retention-field-category")) }
                    select id="hold-category" name="category" {
                        option value="" { (t!(lang, "console-retention-no-category")) }
                        @for c in &r.categories { option value=(c) { (c) } }
                    }
                }
                p {
                    label for="hold-reason" { (t!(lang, "console-retention-field-reason")) }
                    input type="text" id="hold-reason" name="reason" required maxlength=(MAX_REASON);
                }
                p {
                    label for="hold-until" { (t!(lang, "console-retention-field-until")) }
                    input type="date" id="hold-until" name="until";
                }
                button type="submit" { (action_label(lang, ConsoleAction::HoldPlace)) }
            }
        }
    };
    let mut response = shell(
        lang,
        &t!(lang, "console-retention-retention"),
        path,
        ctx,
        body,
    );
    *response.status_mut() = status;
    response
}

/// `YYYY-MM-DD`: the hold lasts through the end of that day (UTC), as `habeas hold add --until`.
fn parse_until(text: &str) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()?
        .succ_opt()?
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
}

/// A reason as the holds require it: not empty, not overlong.
fn check_reason(lang: Lang, reason: &str, empty: String) -> Result<(), ActError> {
    if reason.is_empty() {
        return Err(ActError::Invalid(empty));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(ActError::Invalid(t!(
            lang,
            "console-retention-error-reason-long",
            max = MAX_REASON.to_string()
        )));
    }
    Ok(())
}

/// Places a hold: every check first, then the hold and its journal entry.
fn place(s: &UiState, who: &str, form: &ActForm, lang: Lang) -> Result<String, ActError> {
    let scope = match (form.get("subject"), form.get("category")) {
        (subject, "") if !subject.is_empty() => {
            let known = habeas_engine::retention::subject_exists(&s.vault, subject)
                .map_err(ActError::internal)?;
            if !known {
                return Err(ActError::Invalid(t!(
                    lang,
                    "console-retention-error-subject"
                )));
            }
            HoldScope::Subject(subject.to_string())
        }
        ("", category) if !category.is_empty() => {
            if s.vault.declarations().category(category).is_none() {
                return Err(ActError::Invalid(t!(
                    lang,
                    "console-retention-error-category",
                    category = category.chars().take(64).collect::<String>()
                )));
            }
            HoldScope::Category(category.to_string())
        }
        _ => return Err(ActError::Invalid(t!(lang, "console-retention-error-scope"))),
    };
    let reason = form.get("reason");
    check_reason(lang, reason, t!(lang, "console-retention-error-reason"))?;
    let until = match form.get("until") {
        "" => None,
        text => {
            let Some(until) = parse_until(text) else {
                return Err(ActError::Invalid(t!(lang, "console-retention-error-until")));
            };
            if until <= s.clock.now() {
                return Err(ActError::Invalid(t!(
                    lang,
                    "console-retention-error-until-past"
                )));
            }
            Some(until)
        }
    };
    let kind = match &scope {
        HoldScope::Subject(_) => "subject",
        HoldScope::Category(_) => "category",
    };
    let caller = UiState::caller(who, HOLD_PURPOSE);
    let docs = s.vault.docs(caller.clone());
    let hold = HoldService::new(&docs, &*s.clock)
        .add(NewHold {
            scope,
            reason: reason.to_string(),
            created_by: who.to_string(),
            until,
        })
        .map_err(|e| match e {
            RetentionError::Invalid { .. } => {
                ActError::Invalid(t!(lang, "console-refused-detail", detail = e.to_string()))
            }
            e => ActError::internal(e),
        })?;
    s.vault
        .journal_admin(&caller, "hold.add", format!("id={} scope={kind}", hold.id))
        .map_err(ActError::internal)?;
    Ok(hold.id)
}

/// Releases a hold with its reason; an unknown or released hold changes nothing.
fn release(s: &UiState, who: &str, form: &ActForm, lang: Lang) -> Result<String, ActError> {
    let id = form.get("hold");
    let shown: String = id.chars().take(40).collect();
    let reason = form.get("reason");
    let caller = UiState::caller(who, HOLD_PURPOSE);
    let docs = s.vault.docs(caller.clone());
    let holds = HoldService::new(&docs, &*s.clock);
    let unknown = || {
        ActError::NotFound(t!(
            lang,
            "console-retention-error-unknown-hold",
            id = shown.clone()
        ))
    };
    let hold = match holds.get(id) {
        Ok(h) => h,
        Err(RetentionError::NotFound { .. } | RetentionError::Invalid { .. }) => {
            return Err(unknown());
        }
        Err(e) => return Err(ActError::internal(e)),
    };
    if hold.released.is_some() {
        return Err(ActError::Invalid(t!(
            lang,
            "console-retention-error-already-released"
        )));
    }
    check_reason(
        lang,
        reason,
        t!(lang, "console-retention-error-release-reason"),
    )?;
    let hold = holds
        .release_because(&hold.id, who, reason)
        .map_err(|e| match e {
            RetentionError::Invalid { .. } => {
                ActError::Invalid(t!(lang, "console-refused-detail", detail = e.to_string()))
            }
            RetentionError::NotFound { .. } => unknown(),
            e => ActError::internal(e),
        })?;
    s.vault
        .journal_admin(&caller, "hold.release", format!("id={}", hold.id))
        .map_err(ActError::internal)?;
    Ok(hold.id)
}

/// `POST /console/conservation`: place or release a hold.
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
    let outcome = state
        .run(move |s| match action {
            ConsoleAction::HoldRelease => release(s, &who, &form, lang),
            _ => place(s, &who, &form, lang),
        })
        .await;
    let placed = |id| done(PATH, action, &[("gel", id)]);
    finish(outcome, lang, placed, |note, status| {
        page(&state, lang, &ctx, Some(note), status)
    })
    .await
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
