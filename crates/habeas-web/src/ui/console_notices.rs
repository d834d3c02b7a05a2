//! The console's notice page: every published version of the privacy
//! notice with its dates, whether the change was substantial, a link to its
//! differences, and how its announcement went (Art. 12–14 GDPR; SPEC C8:
//! a substantial change is announced to the subjects in advance).
//!
//! Why counts only: the announcement lists subject ids and delivery
//! outcomes; the console shows how many were sent, pending and failed,
//! never who. The differences themselves are on the public notice page
//! (`/portail/politique#v-<version>`), which is what the subjects read.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use habeas_core::notice::LineChange;
use habeas_rights::notices::{NOTICE_PURPOSE, NoticeDetail, NoticeStore};
use maud::html;

use super::UiState;
use super::console::{console_ctx, shell};
use super::http::UiLang;
use super::page::{Area, Failure, message, when};
use crate::t;

const PATH: &str = "/console/politique";

/// Lines added and removed since the previous version.
fn changed(d: &NoticeDetail) -> Option<(usize, usize)> {
    d.diff.as_ref().map(|diff| {
        let count = |c: LineChange| diff.lines.iter().filter(|l| l.change == c).count();
        (count(LineChange::Added), count(LineChange::Removed))
    })
}

/// Every version, newest first, with its announcement counts.
pub async fn notices(State(state): State<UiState>, l: UiLang, headers: HeaderMap) -> Response {
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, PATH).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let actor = format!("staff:{}", ctx.staff.id);
    let loaded = state
        .run(move |s| {
            let docs = s.vault.docs(UiState::caller(&actor, NOTICE_PURPOSE));
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
            tracing::error!(error = %e, "the notice history could not be read");
            return Failure::Internal.render(lang, Area::Console);
        }
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
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
                        }
                    }
                }
            }
        }
    };
    shell(
        lang,
        &t!(
            lang,
            "console-notices-privacy-notice-versions-and-announcements"
        ),
        PATH,
        &ctx,
        body,
    )
}
