//! Staff look up a data subject and read their data, within their role
//! (SPEC C6; Art. 5(1)(b) purpose limitation, Art. 25(2) access limited to
//! what each purpose needs, Art. 32(4) staff act on instructions).
//!
//! Why here and not only in the console: every staff role (support,
//! billing…) needs to read a subject's data for its work, not only the
//! console roles. The page is open to every full staff session; what it
//! shows is decided per category by `habeas_auth::authz` (the member's roles
//! × the purpose × the category), and the allowed categories are read
//! through the vault with the member's role scope expressed as the engine's
//! scope ([`Scope::Token`], purpose and categories): the vault then applies
//! the very checks of the API path — the purpose must process the category,
//! the subject's restriction (Art. 18), objection (Art. 21) and consent
//! (Art. 7(3)) — and journals each read as `staff:<id>` with the purpose.
//!
//! A category or a purpose outside the member's roles (a hand-made address)
//! is refused with a 403, journaled as `access_refused` naming the staff
//! account, the category, the purpose and the pseudonymous subject id (no
//! personal data; the subject and category in the journal's own columns,
//! [`Vault::journal_refusal`]), and shown on `/console/alertes`.
//!
//! The search is a POST so the identifier (an e-mail, a phone number) never
//! sits in a URL, a browser history or an access log.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_auth::authz::{
    AccessDenied, AccessQuery, DenyHook, StaffAccess, authorise_and_report, role_allows,
};
use habeas_auth::{Gate, StaffSummary};
use habeas_core::lang::Lang;
use habeas_core::rights::policy::{Operation, PurposeFacts, SubjectState};
use habeas_engine::vault::RecordView;
use habeas_engine::{Caller, EngineError, Scope, Token, Vault};
use maud::{Markup, html};

use super::UiState;
use super::console::nav;
use super::http::{PageQuery, UiLang};
use super::page::{Area, Failure, Page, html_response, message, when};
use super::staff::{StaffCtx, check_csrf, require};
use crate::t;

pub(super) const PATH: &str = "/console/personnes";

/// The purposes of the member's roles, in id order, with their declared names.
fn purposes(state: &UiState, staff: &StaffSummary, lang: Lang) -> Vec<(String, String)> {
    let decls = state.vault.declarations();
    let ids: BTreeSet<String> = staff
        .roles
        .iter()
        .filter_map(|r| state.auth.roles().get(r))
        .flat_map(|scope| scope.purposes.iter().cloned())
        .collect();
    ids.into_iter()
        .filter_map(|p| {
            let name = decls.activity(&p)?.name.get(lang).to_string();
            Some((p, name))
        })
        .collect()
}

/// The categories the purpose processes that the member's roles open for it.
pub(super) fn opened(state: &UiState, staff: &StaffSummary, purpose: &str) -> Vec<String> {
    let Some(activity) = state.vault.declarations().activity(purpose) else {
        return Vec::new();
    };
    activity
        .categories
        .iter()
        .map(|c| c.get_ref().to_string())
        .filter(|c| role_allows(state.auth.roles(), staff, purpose, c).is_allowed())
        .collect()
}

/// The identifier kinds (`email`, `phone`, a declared identifier field) the
/// blind index holds for these categories, as `Vault::find` names them.
fn kinds(state: &UiState, categories: &[String]) -> BTreeSet<String> {
    let decls = state.vault.declarations();
    categories
        .iter()
        .filter_map(|c| decls.category(c))
        .flat_map(|c| {
            c.identifiers.iter().filter_map(|f| {
                c.field(f.get_ref())
                    .map(|t| habeas_engine::validate::index_kind(t, f.get_ref()))
            })
        })
        .collect()
}

fn kind_label(lang: Lang, kind: &str) -> String {
    match kind {
        "email" => t!(lang, "console-people-kind-email"),
        "phone" => t!(lang, "console-people-kind-phone"),
        other => t!(lang, "console-people-kind-field", field = other.to_string()),
    }
}

/// The member's role scope for one purpose, as the engine's caller scope:
/// the vault checks it exactly as it checks an API token's.
pub(super) fn scoped_caller(
    staff: &StaffSummary,
    purpose: &str,
    categories: Vec<String>,
) -> Caller {
    Caller {
        actor: format!("staff:{}", staff.id),
        scope: Scope::Token(Token {
            id: staff.id.clone(),
            name: "staff-role-scope".into(),
            purposes: vec![purpose.to_string()],
            categories,
            created_at: 0,
            revoked_at: None,
        }),
        purpose: Some(purpose.to_string()),
    }
}

/// Writes a role refusal to the journal (SPEC C6: refused, journaled and
/// alerted). Ids and names only: no personal data.
struct JournalHook<'a> {
    vault: &'a Vault,
}

impl DenyHook for JournalHook<'_> {
    fn access_denied(&self, e: &AccessDenied) {
        let roles: Vec<&str> = e.roles.iter().map(String::as_str).collect();
        // The subject and category go in the entry's columns; the text
        // repeats category and purpose for whoever reads the alerts page.
        let outcome = format!(
            "read of category {} for purpose {} refused to roles {}: {}{}",
            e.category,
            e.purpose,
            roles.join(","),
            e.reason.key(),
            e.article
                .as_deref()
                .map(|a| format!(" (art. {a})"))
                .unwrap_or_default(),
        );
        let caller = Caller::operator(&format!("staff:{}", e.staff_id), &e.purpose);
        if self
            .vault
            .journal_refusal(
                &caller,
                AccessDenied::ACTION,
                e.subject_id.as_deref(),
                Some(&e.category),
                outcome,
            )
            .is_err()
        {
            tracing::error!("a staff read refusal could not be journaled");
        }
        tracing::warn!(staff = %e.staff_id, reason = e.reason.key(), "staff read refused (role)");
    }
}

/// The page shell: the full console navigation for console roles, the
/// people page alone for the others.
pub(super) fn people_page(
    state: &UiState,
    lang: Lang,
    status: StatusCode,
    title: &str,
    path: &str,
    ctx: &StaffCtx,
    body: Markup,
) -> Response {
    let console = ctx
        .staff
        .roles
        .iter()
        .any(|r| state.config.console_roles.contains(r));
    let links = if console {
        nav(lang)
    } else {
        vec![(t!(lang, "console-people"), PATH)]
    };
    let body = html! {
        p { (t!(lang, "console-signed-in-as")) strong { (ctx.staff.display_name) }
            " — " (t!(lang, "console-session-valid-until")) (when(ctx.session.expires_at)) }
        (body)
    };
    html_response(
        status,
        Page {
            lang,
            area: Area::Console,
            title: title.to_string(),
            path,
            nav: links,
            sign_out: Some(("/console/deconnexion", ctx.csrf.clone())),
            body,
        }
        .render(),
    )
}

fn search_form(
    state: &UiState,
    lang: Lang,
    ctx: &StaffCtx,
    kind: &str,
    value: &str,
    purpose: &str,
) -> Markup {
    let mine = purposes(state, &ctx.staff, lang);
    let all: Vec<String> = mine.iter().map(|(p, _)| p.clone()).collect();
    let every: Vec<String> = all
        .iter()
        .flat_map(|p| opened(state, &ctx.staff, p))
        .collect();
    let kinds = kinds(state, &every);
    html! {
        form method="post" action=(PATH) {
            input type="hidden" name="csrf" value=(ctx.csrf);
            label for="finalite" { (t!(lang, "console-people-purpose")) }
            select id="finalite" name="finalite" required {
                @for (p, name) in &mine {
                    option value=(p) selected[p == purpose] { (p) " — " (name) }
                }
            }
            label for="type" { (t!(lang, "console-people-kind")) }
            select id="type" name="type" required {
                @for k in &kinds {
                    option value=(k) selected[k == kind] { (kind_label(lang, k)) }
                }
            }
            label for="valeur" { (t!(lang, "console-people-value")) }
            input type="text" id="valeur" name="valeur" value=(value) autocomplete="off" required;
            button type="submit" { (t!(lang, "console-people-search")) }
        }
    }
}

/// The search form.
pub async fn search_page(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let ctx = match require(&state, &headers, Gate::Console).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body = html! {
        p { (t!(lang, "console-people-intro")) }
        (search_form(&state, lang, &ctx, "email", "", ""))
    };
    people_page(
        &state,
        lang,
        StatusCode::OK,
        &t!(lang, "console-people-title"),
        PATH,
        &ctx,
        body,
    )
}

/// The search form's fields.
#[derive(serde::Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    valeur: String,
    #[serde(default)]
    finalite: String,
}

/// A precise error under the form, with 422 (nothing was searched).
fn invalid(state: &UiState, lang: Lang, ctx: &StaffCtx, form: &SearchForm, text: &str) -> Response {
    let body = html! {
        (message("error", text))
        (search_form(state, lang, ctx, form.kind.trim(), form.valeur.trim(), form.finalite.trim()))
    };
    people_page(
        state,
        lang,
        StatusCode::UNPROCESSABLE_ENTITY,
        &t!(lang, "console-people-title"),
        PATH,
        ctx,
        body,
    )
}

/// A 403 page with the reason, in the member's language.
pub(super) fn refused(state: &UiState, lang: Lang, ctx: &StaffCtx, reason: &str) -> Response {
    let body = html! {
        (message("error", &t!(lang, "console-people-refused", reason = reason.to_string())))
        p { a href=(PATH) { (t!(lang, "console-people-back")) } }
    };
    people_page(
        state,
        lang,
        StatusCode::FORBIDDEN,
        &t!(lang, "error-forbidden-title"),
        PATH,
        ctx,
        body,
    )
}

pub(super) fn refusal_text(lang: Lang, r: &habeas_engine::Refusal) -> String {
    match lang {
        Lang::Fr => r.message_fr.to_string(),
        Lang::En => r.message_en.to_string(),
    }
}

/// Checks one access with the role matrix; a refusal is journaled before
/// the answer (through [`JournalHook`]).
async fn decide(
    state: &UiState,
    ctx: &StaffCtx,
    subject: Option<&str>,
    purpose: &str,
    category: &str,
) -> Result<StaffAccess, Failure> {
    let staff = ctx.staff.clone();
    let subject = subject.map(str::to_string);
    let purpose = purpose.to_string();
    let category = category.to_string();
    state
        .run(move |s| {
            // The role check alone: the subject's choices are the vault's
            // (checked on the read itself, the same code as the API path).
            let facts = PurposeFacts {
                name: purpose.clone(),
                direct_marketing: false,
                consent_based: false,
            };
            let query = AccessQuery {
                staff: &staff,
                subject: &SubjectState::default(),
                subject_id: subject.as_deref(),
                purpose: &facts,
                category: &category,
                operation: Operation::Read,
            };
            let hook = JournalHook { vault: &s.vault };
            authorise_and_report(s.auth.roles(), &query, s.clock.now(), &hook)
        })
        .await
}

/// Runs the search as the staff member, for the purpose.
pub async fn search(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Form(form): Form<SearchForm>,
) -> Response {
    let lang = l.lang;
    let ctx = match require(&state, &headers, Gate::Console).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // A forged form changes nothing and journals nothing.
    if let Err(f) = check_csrf(&state, &ctx, &form.csrf) {
        return f.render(lang, Area::Console);
    }
    let purpose = form.finalite.trim().to_string();
    let kind = form.kind.trim().to_string();
    let value = form.valeur.trim().to_string();
    if state.vault.declarations().activity(&purpose).is_none() {
        return invalid(
            &state,
            lang,
            &ctx,
            &form,
            &t!(lang, "console-people-error-purpose"),
        );
    }
    let categories = opened(&state, &ctx.staff, &purpose);
    if categories.is_empty() {
        // A declared purpose outside the member's roles: refused and journaled.
        let first = state
            .vault
            .declarations()
            .activity(&purpose)
            .and_then(|a| a.categories.first())
            .map(|c| c.get_ref().to_string())
            .unwrap_or_default();
        return match decide(&state, &ctx, None, &purpose, &first).await {
            Ok(StaffAccess::Deny { reason }) => refused(&state, lang, &ctx, &reason.describe(lang)),
            Ok(StaffAccess::Allow { .. }) => {
                refused(&state, lang, &ctx, &t!(lang, "console-people-no-category"))
            }
            Err(f) => f.render(lang, Area::Console),
        };
    }
    if !kinds(&state, &categories).contains(&kind) {
        return invalid(
            &state,
            lang,
            &ctx,
            &form,
            &t!(lang, "console-people-error-kind"),
        );
    }
    if value.is_empty() {
        return invalid(
            &state,
            lang,
            &ctx,
            &form,
            &t!(lang, "console-people-error-empty"),
        );
    }
    let caller = scoped_caller(&ctx.staff, &purpose, categories);
    let k = kind.clone();
    let found = state.run(move |s| s.vault.find(&caller, &k, &value)).await;
    let subjects = match found {
        Ok(Ok(v)) => v,
        Ok(Err(EngineError::Invalid(r))) => {
            return invalid(&state, lang, &ctx, &form, &refusal_text(lang, &r));
        }
        Ok(Err(EngineError::Forbidden(r))) => {
            return refused(&state, lang, &ctx, &refusal_text(lang, &r));
        }
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "a staff search failed").render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        @if subjects.is_empty() {
            (message("notice", &t!(lang, "console-people-no-match")))
        } @else {
            (message("notice", &t!(lang, "console-people-matches", count = subjects.len())))
            ul {
                @for s in &subjects {
                    li { a href={ (PATH) "/" (s) "?finalite=" (purpose) } { code { (s) } } }
                }
            }
        }
        (search_form(&state, lang, &ctx, &kind, "", &purpose))
    };
    people_page(
        &state,
        lang,
        StatusCode::OK,
        &t!(lang, "console-people-title"),
        PATH,
        &ctx,
        body,
    )
}

/// What a record without a due date waits for: its category rule's event.
fn waiting(lang: Lang, decls: &habeas_core::declarations::Declarations, category: &str) -> String {
    let event = decls
        .category(category)
        .and_then(|c| c.retention_anchor())
        .map(|a| a.key().to_string())
        .unwrap_or_default();
    t!(
        lang,
        "console-people-waits",
        event = super::console_people_event::event_label(lang, &event)
    )
}

/// A pseudonymous subject id as the vault makes them (`sub_` and hex).
pub(super) fn plausible_subject(id: &str) -> bool {
    id.strip_prefix("sub_")
        .is_some_and(|h| !h.is_empty() && h.len() <= 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// One category's outcome on the subject page.
enum Shown {
    Records(Vec<RecordView>),
    /// The subject's own choice stops this purpose (the vault's refusal).
    Limited(String),
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// A subject's data for one purpose, category by category.
pub async fn subject(
    State(state): State<UiState>,
    l: UiLang,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageQuery(query): PageQuery<BTreeMap<String, String>>,
) -> Response {
    let lang = l.lang;
    let ctx = match require(&state, &headers, Gate::Console).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !plausible_subject(&id) {
        return Failure::NotFound.render(lang, Area::Console);
    }
    let path = format!("{PATH}/{id}");
    let decls = state.vault.declarations();
    let Some(purpose) = query.get("finalite").map(|p| p.trim().to_string()) else {
        // No purpose yet: the member picks one of theirs.
        let mine = purposes(&state, &ctx.staff, lang);
        let body = html! {
            p { (t!(lang, "console-people-pick-purpose")) }
            ul {
                @for (p, name) in &mine {
                    li { a href={ (path) "?finalite=" (p) } { (p) " — " (name) } }
                }
            }
        };
        return people_page(
            &state,
            lang,
            StatusCode::OK,
            &t!(lang, "console-people-subject-title"),
            &path,
            &ctx,
            body,
        );
    };
    let Some(activity) = decls.activity(&purpose) else {
        return Failure::NotFound.render(lang, Area::Console);
    };
    let asked = query.get("categorie").map(|c| c.trim().to_string());
    if let Some(c) = &asked
        && decls.category(c).is_none()
    {
        return Failure::NotFound.render(lang, Area::Console);
    }
    let mut categories = opened(&state, &ctx.staff, &purpose);
    let checked = match &asked {
        Some(c) => Some(c.clone()),
        // A purpose none of the member's roles covers: refused like a category.
        None if categories.is_empty() => {
            activity.categories.first().map(|c| c.get_ref().to_string())
        }
        None => None,
    };
    if let Some(c) = &checked {
        match decide(&state, &ctx, Some(&id), &purpose, c).await {
            Ok(StaffAccess::Deny { reason }) => {
                return refused(&state, lang, &ctx, &reason.describe(lang));
            }
            Ok(StaffAccess::Allow { .. }) => {}
            Err(f) => return f.render(lang, Area::Console),
        }
        if asked.is_some() {
            categories = vec![c.clone()];
        }
    }
    let caller = scoped_caller(&ctx.staff, &purpose, categories.clone());
    let subject_id = id.clone();
    let wanted = categories.clone();
    let read = state
        .run(move |s| {
            let mut out = Vec::new();
            for c in &wanted {
                match s.vault.read(&caller, &subject_id, Some(c)) {
                    Ok(view) => out.push((c.clone(), Ok(view.records))),
                    Err(EngineError::Forbidden(r)) => out.push((c.clone(), Err(r))),
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        })
        .await;
    let read = match read {
        Ok(Ok(v)) => v,
        Ok(Err(EngineError::NotFound(_))) => return Failure::NotFound.render(lang, Area::Console),
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "a staff read failed").render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    // Asked for one category the purpose does not process: the vault refused
    // (and journaled) it; the page says why.
    if asked.is_some()
        && let Some((_, Err(r))) = read.first()
        && r.code != "limited_by_subject"
    {
        return refused(&state, lang, &ctx, &refusal_text(lang, r));
    }
    let shown: Vec<(String, Shown)> = read
        .into_iter()
        .map(|(c, r)| match r {
            Ok(records) => (c, Shown::Records(records)),
            Err(r) => (c, Shown::Limited(refusal_text(lang, &r))),
        })
        .collect();
    let body = html! {
        p { (t!(lang, "console-people-subject")) code { (id) } }
        p { (t!(lang, "console-people-for-purpose")) code { (purpose) } " — " (activity.name.get(lang)) }
        p { (t!(lang, "console-people-journaled")) }
        @for (c, outcome) in &shown {
            section aria-labelledby={ "cat-" (c) } {
                h2 id={ "cat-" (c) } { (decls.category_label(c, lang)) }
                @match outcome {
                    Shown::Limited(why) => {
                        (message("notice", &t!(lang, "console-people-limited", reason = why.clone())))
                    }
                    Shown::Records(records) if records.is_empty() => {
                        p { (t!(lang, "console-people-no-record")) }
                    }
                    Shown::Records(records) => {
                        @for r in records {
                            table {
                                caption {
                                    (t!(lang, "console-people-recorded-on")) (when(r.collected_at))
                                    " — " (t!(lang, "console-people-source")) code { (r.source) }
                                    " — "
                                    @match r.due_at {
                                        Some(due) => { (t!(lang, "console-people-due")) (when(due)) }
                                        None => { (waiting(lang, decls, c)) }
                                    }
                                }
                                thead { tr {
                                    th scope="col" { (t!(lang, "console-people-field")) }
                                    th scope="col" { (t!(lang, "console-people-value-col")) }
                                } }
                                tbody {
                                    @for (name, v) in &r.fields {
                                        tr { th scope="row" { code { (name) } } td { (value_text(v)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !categories.is_empty() {
            (super::console_people_event::event_form(&state.vault, lang, &ctx, &id, &purpose))
        }
        p { a href=(PATH) { (t!(lang, "console-people-back")) } }
    };
    people_page(
        &state,
        lang,
        StatusCode::OK,
        &t!(lang, "console-people-subject-title"),
        &path,
        &ctx,
        body,
    )
}
