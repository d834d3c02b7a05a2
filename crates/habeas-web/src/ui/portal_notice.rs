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

fn version_block(lang: Lang, d: &NoticeDetail, newest: bool) -> Markup {
    let s = &d.summary;
    let text = html! { pre class="notice-text" { (d.text) } };
    html! {
        section id={ "v-" (s.version) } aria-labelledby={ "t-" (s.version) } {
            h2 id={ "t-" (s.version) } {
                (lang.pick("Version ", "Version ")) (s.version)
                " — " (s.status.label(lang))
            }
            dl {
                dt { (lang.pick("Publiée le", "Published on")) }
                dd { (when(s.published_at)) }
                dt { (lang.pick("En vigueur à partir du", "In force from")) }
                dd { (when(s.effective_at)) }
                dt { (lang.pick("Nature du changement", "Kind of change")) }
                dd { (if s.substantial {
                    lang.pick("substantiel (annoncé à l'avance)", "substantial (announced in advance)")
                } else {
                    lang.pick("mineur", "minor")
                }) }
                dt { (lang.pick("Empreinte SHA-256 du texte", "SHA-256 of the text")) }
                dd { code { (s.sha256) } }
            }
            @if let Some(diff) = &d.diff {
                details open[newest] {
                    summary { (lang.pick("Changements depuis la version ", "Changes since version ")) (diff.from) }
                    ul class="notice-diff" {
                        @for l in diff.lines.iter().filter(|l| l.change != LineChange::Same) {
                            @match l.change {
                                LineChange::Added => li { ins { (lang.pick("ajouté : ", "added: ")) (l.text) } },
                                LineChange::Removed => li { del { (lang.pick("retiré : ", "removed: ")) (l.text) } },
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
                    summary { (lang.pick("Texte de cette version", "Text of this version")) }
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
            tracing::error!(error = %e, "the notice history could not be read");
            return Failure::Internal.render(lang, super::page::Area::Portal);
        }
        Err(f) => return f.render(lang, super::page::Area::Portal),
    };
    let in_force = details
        .iter()
        .find(|d| d.summary.status == NoticeStatus::InForce)
        .map(|d| d.summary.version.clone());
    let body = html! {
        @if details.is_empty() {
            p { (lang.pick(
                "Aucune version de la politique de confidentialité n'est encore publiée ici.",
                "No version of the privacy notice is published here yet."
            )) }
        } @else {
            p {
                @match &in_force {
                    Some(v) => { (lang.pick("Version en vigueur : ", "Version in force: ")) strong { (v) } ". " },
                    None => {},
                }
                (lang.pick(
                    "Chaque version reste consultable avec ses dates et les changements par rapport à la précédente. Un changement substantiel vous est annoncé à l'avance.",
                    "Every version stays readable with its dates and the changes from the one before. A substantial change is announced to you in advance."
                ))
            }
            @for (i, d) in details.iter().enumerate() {
                (version_block(lang, d, i == 0))
            }
        }
        p { a href="/portail" { (lang.pick("Retour à Mes données", "Back to My data")) } }
    };
    html_response(
        StatusCode::OK,
        page(
            lang,
            lang.pick("Politique de confidentialité", "Privacy notice"),
            "/portail/politique",
            None,
            body,
        ),
    )
}
