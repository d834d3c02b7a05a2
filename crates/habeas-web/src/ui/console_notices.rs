//! The console's notice page: every published version of the privacy
//! notice with its dates, whether the change was substantial, a link to its
//! differences, and how its announcement went (Art. 12–14 GDPR; SPEC C8:
//! a substantial change is announced to the subjects in advance).
//!
//! Why counts only: the announcement lists subject ids and delivery
//! outcomes; the console shows how many were sent, pending and failed,
//! never who. The differences themselves are on the public notice page
//! (`/portail/politique#v-<version>`), which is what the subjects read.
//!
//! Action (DPO and administrators, action table of habeas-auth `console`):
//! announce a substantial version to the subjects — the library path of
//! `habeas notice announce V` (habeas-rights `notice_announce::announce`:
//! queue every subject with an address, send what is pending or failed) —
//! then show the delivery counts. Journaled by that library as the staff
//! member (`notice.announce`, counts only).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_auth::ConsoleAction;
use habeas_core::lang::Lang;
use habeas_core::notice::LineChange;
use habeas_rights::RightsError;
use habeas_rights::notice_announce;
use habeas_rights::notices::{NOTICE_PURPOSE, NoticeDetail, NoticeStore};
use habeas_rights::vault_bridge::BridgeError;
use maud::{Markup, html};

use super::UiState;
use super::console::{action_label, console_ctx, shell};
use super::console_act::{ActError, ActForm, actor, authorize, done, done_query, finish};
use super::http::{PageQuery, UiLang};
use super::page::{Area, Failure, message, when};
use super::staff::StaffCtx;
use crate::t;

const PATH: &str = "/console/politique";
/// The action this page takes.
const ACTIONS: [ConsoleAction; 1] = [ConsoleAction::NoticeAnnounce];

/// Lines added and removed since the previous version.
fn changed(d: &NoticeDetail) -> Option<(usize, usize)> {
    d.diff.as_ref().map(|diff| {
        let count = |c: LineChange| diff.lines.iter().filter(|l| l.change == c).count();
        (count(LineChange::Added), count(LineChange::Removed))
    })
}

/// Every version, newest first, with its announcement counts (and, after
/// an announcement, what this run delivered).
pub async fn notices(
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
    let note = done_query(&query, &ACTIONS).map(|_| {
        let count = |k: &str| -> u64 { query.get(k).and_then(|v| v.parse().ok()).unwrap_or(0) };
        let failed = count("failed");
        let text = t!(
            lang,
            "console-notices-announced-note",
            version = query.get("v").map_or("", String::as_str),
            listed = count("listed"),
            sent = count("sent"),
            failed = failed
        );
        message(if failed > 0 { "error" } else { "notice" }, &text)
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
    let may_announce = state
        .auth
        .config()
        .console
        .allows(&ctx.staff.roles, ConsoleAction::NoticeAnnounce);
    let who = actor(ctx);
    let loaded = state
        .run(move |s| {
            let docs = s.vault.docs(UiState::caller(&who, NOTICE_PURPOSE));
            let store = NoticeStore::new(&docs, &*s.clock, s.vault.declarations());
            let list = store.summaries()?;
            list.iter()
                .rev()
                .map(|v| store.detail(&v.version))
                .collect::<Result<Vec<_>, _>>()
        })
        .await;
    let details = match loaded {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => {
            return Failure::on_our_side(e, "the notice history could not be read")
                .render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        @if let Some(n) = note { (n) }
        @if details.is_empty() {
            (message("notice", &t!(lang, "console-notices-no-version-published-habeas-notice-publish")))
        } @else {
            table {
                caption { (t!(lang, "console-notices-privacy-notice-versions-newest-first")) }
                thead { tr {
                    th scope="col" { (t!(lang, "console-notices-version")) }
                    th scope="col" { (t!(lang, "console-notices-status")) }
                    th scope="col" { (t!(lang, "console-notices-published")) }
                    th scope="col" { (t!(lang, "console-notices-in-force-from")) }
                    th scope="col" { (t!(lang, "console-notices-substantial")) }
                    th scope="col" { (t!(lang, "console-notices-changes")) }
                    th scope="col" { (t!(lang, "console-notices-announcement-recipients")) }
                    th scope="col" { (t!(lang, "console-notices-sent")) }
                    th scope="col" { (t!(lang, "console-notices-pending")) }
                    th scope="col" { (t!(lang, "console-notices-failed")) }
                    @if may_announce { th scope="col" { (t!(lang, "console-notices-announce-col")) } }
                } }
                tbody {
                    @for d in &details {
                        @let s = &d.summary;
                        tr {
                            th scope="row" { code { (s.version) } }
                            td { (s.status.label(lang)) }
                            td { (when(s.published_at)) }
                            td { (when(s.effective_at)) }
                            td { (if s.substantial { t!(lang, "console-notices-yes") } else { t!(lang, "console-notices-no") }) }
                            td {
                                @match changed(d) {
                                    Some((added, removed)) => {
                                        a href={ "/portail/politique#v-" (s.version) } {
                                            (t!(lang, "console-notices-lines-changed", added = added.to_string(), removed = removed.to_string()))
                                        }
                                    }
                                    None => { a href={ "/portail/politique#v-" (s.version) } { (t!(lang, "console-notices-first-version")) } }
                                }
                            }
                            @match (&d.announcement, s.substantial) {
                                (Some(c), _) => {
                                    td { (c.recipients) } td { (c.sent) } td { (c.pending) }
                                    td class=(if c.failed > 0 { "overdue" } else { "on_track" }) { (c.failed) }
                                }
                                (None, true) => {
                                    td colspan="4" { (t!(lang, "console-notices-announcement-not-queued-yet")) }
                                }
                                (None, false) => {
                                    td colspan="4" { (t!(lang, "console-notices-no-announcement-minor-change")) }
                                }
                            }
                            @if may_announce {
                                td {
                                    @if s.substantial {
                                        form method="post" action=(PATH) class="inline" {
                                            input type="hidden" name="csrf" value=(ctx.csrf);
                                            input type="hidden" name="action" value=(ConsoleAction::NoticeAnnounce.key());
                                            input type="hidden" name="version" value=(s.version);
                                            button type="submit" aria-label=(t!(lang, "console-notices-announce-version", version = s.version.clone())) {
                                                (action_label(lang, ConsoleAction::NoticeAnnounce))
                                            }
                                        }
                                    } @else { "—" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let mut response = shell(
        lang,
        &t!(
            lang,
            "console-notices-privacy-notice-versions-and-announcements"
        ),
        PATH,
        ctx,
        body,
    );
    *response.status_mut() = status;
    response
}

/// Announces `version`: what `habeas notice announce V` does, as the staff member.
fn announce(
    s: &UiState,
    who: &str,
    version: &str,
    lang: Lang,
) -> Result<notice_announce::AnnounceReport, ActError> {
    if version.is_empty() {
        return Err(ActError::Invalid(t!(
            lang,
            "console-notices-error-no-version"
        )));
    }
    let shown: String = version.chars().take(40).collect();
    let docs = s.vault.docs(UiState::caller(who, NOTICE_PURPOSE));
    let store = NoticeStore::new(&docs, &*s.clock, s.vault.declarations());
    // The public page listing every version with its diff, when the
    // provider has an https address (as the CLI).
    let public = s.config.public_url.trim_end_matches('/');
    let link = public
        .starts_with("https://")
        .then(|| format!("{public}/portail/politique#v-{version}"));
    let report = notice_announce::announce(&s.vault, &*s.mailer, &store, version, link, who)
        .map_err(|e| match e {
            BridgeError::Rights(RightsError::NotFound { .. }) => ActError::NotFound(t!(
                lang,
                "console-notices-error-unknown-version",
                version = shown.clone()
            )),
            BridgeError::Rights(RightsError::Invalid { .. }) => ActError::Invalid(t!(
                lang,
                "console-notices-error-not-substantial",
                version = shown.clone()
            )),
            e => ActError::internal(e),
        })?;
    // Journaled by the library as the staff member (`notice.announce`, counts only).
    Ok(report)
}

/// `POST /console/politique`: announce a substantial version to the subjects.
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
    let version = form.get("version").to_string();
    let outcome = state.run(move |s| announce(s, &who, &version, lang)).await;
    let sent = |r: notice_announce::AnnounceReport| {
        done(
            PATH,
            action,
            &[
                ("v", r.version),
                ("listed", r.listed.to_string()),
                ("sent", r.sent.to_string()),
                ("failed", r.failed.to_string()),
            ],
        )
    };
    finish(outcome, lang, sent, |note, status| {
        page(&state, lang, &ctx, Some(note), status)
    })
    .await
}

#[cfg(test)]
mod tests {
    use habeas_core::lang::Lang;

    use crate::t;

    /// The note after an announcement follows each language's plural rules.
    #[test]
    fn the_announcement_note_agrees_with_its_counts() {
        let note = |lang, listed: u64, sent: u64, failed: u64| {
            t!(
                lang,
                "console-notices-announced-note",
                version = "2027-01",
                listed = listed,
                sent = sent,
                failed = failed
            )
        };
        assert_eq!(
            note(Lang::Fr, 2, 1, 0),
            "Annonce de la version 2027-01 : 2 personnes avec une adresse, 1 courriel envoyé, aucun échec."
        );
        assert_eq!(
            note(Lang::Fr, 3, 2, 1),
            "Annonce de la version 2027-01 : 3 personnes avec une adresse, 2 courriels envoyés, 1 échec (renvoyez l'annonce pour réessayer)."
        );
        assert_eq!(
            note(Lang::En, 1, 0, 2),
            "Announcement of version 2027-01: 1 subject with an address, 0 e-mails sent, 2 failures (announce again to retry)."
        );
    }
}
