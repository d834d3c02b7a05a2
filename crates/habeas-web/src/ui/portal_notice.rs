//! `/portail/politique`: every published version of the privacy notice with
//! its dates and the changes from the version before (Art. 12–14 GDPR, SPEC
//! C8). Public, no sign-in: the notice must be easily accessible
//! (Art. 12(1)), and the announcement mails link here (`#v-<version>`).
//!
//! The newest version comes first; its full text is shown, each older text
//! is folded in a `<details>`; the diff marks added lines with `<ins>` and
//! removed ones with `<del>`, so it reads right without colour too.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use habeas_core::lang::Lang;
use habeas_core::notice::LineChange;
use habeas_rights::notices::{NOTICE_PURPOSE, NoticeDetail, NoticeStatus, NoticeStore};
use maud::{Markup, html};

use super::UiState;
use super::http::UiLang;
use super::page::{Failure, html_response, when};
use super::portal::page;
use crate::t;

fn version_block(lang: Lang, d: &NoticeDetail, newest: bool) -> Markup {
    let s = &d.summary;
    let text = html! { pre class="notice-text" { (d.text) } };
    html! {
        section id={ "v-" (s.version) } aria-labelledby={ "t-" (s.version) } {
            h2 id={ "t-" (s.version) } {
                (t!(lang, "portal-notice-version", version = s.version.as_str()))
                " — " (s.status.label(lang))
            }
            dl {
                dt { (t!(lang, "portal-notice-published")) }
                dd { (when(s.published_at)) }
                dt { (t!(lang, "portal-notice-in-force-from")) }
                dd { (when(s.effective_at)) }
                dt { (t!(lang, "portal-notice-kind")) }
                dd { (if s.substantial {
                    t!(lang, "portal-notice-substantial")
                } else {
                    t!(lang, "portal-notice-minor")
                }) }
                dt { (t!(lang, "portal-notice-sha256")) }
                dd { code { (s.sha256) } }
            }
            @if let Some(diff) = &d.diff {
                details open[newest] {
                    summary { (t!(lang, "portal-notice-changes-since", version = diff.from.as_str())) }
                    ul class="notice-diff" {
                        @for l in diff.lines.iter().filter(|l| l.change != LineChange::Same) {
                            @match l.change {
                                LineChange::Added => li { ins { (t!(lang, "portal-notice-added")) " " (l.text) } },
                                LineChange::Removed => li { del { (t!(lang, "portal-notice-removed")) " " (l.text) } },
                                LineChange::Same => {},
                            }
                        }
                    }
                }
            }
            @if newest {
                (text)
            } @else {
                details {
                    summary { (t!(lang, "portal-notice-text")) }
                    (text)
                }
            }
        }
    }
}

/// The public page listing every version.
pub async fn policy(State(state): State<UiState>, l: UiLang) -> Response {
    let lang = l.lang;
    let loaded = state
        .run(|s| {
            let docs = s.vault.docs(UiState::caller("portal", NOTICE_PURPOSE));
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
                .render(lang, super::page::Area::Portal);
        }
        Err(f) => return f.render(lang, super::page::Area::Portal),
    };
    let in_force = details
        .iter()
        .find(|d| d.summary.status == NoticeStatus::InForce)
        .map(|d| d.summary.version.clone());
    let body = html! {
        @if details.is_empty() {
            p { (t!(lang, "portal-notice-none")) }
        } @else {
            p {
                @match &in_force {
                    Some(v) => { (t!(lang, "portal-notice-version-in-force")) " " strong { (v) } ". " },
                    None => {},
                }
                (t!(lang, "portal-notice-intro"))
            }
            @for (i, d) in details.iter().enumerate() {
                (version_block(lang, d, i == 0))
            }
        }
        p { a href="/portail" { (t!(lang, "portal-back-to-my-data")) } }
    };
    html_response(
        StatusCode::OK,
        page(
            lang,
            &t!(lang, "portal-notice-title"),
            "/portail/politique",
            None,
            body,
        ),
    )
}
