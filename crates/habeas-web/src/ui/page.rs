//! The page shell shared by the console and the portal: `lang` attribute,
//! landmarks (header, nav, main, footer), the language switch, the
//! stylesheet served from the binary, and the error pages.
//!
//! Why one shell: accessibility and the language switch must hold on every
//! page, and no page may pull anything from another origin.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use habeas_core::lang::Lang;
use maud::{DOCTYPE, Markup, html};

use crate::storage_full::OurSide;
use crate::t;

/// The stylesheet (the only style source the CSP allows).
const STYLE: &str = include_str!("style.css");

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// Which area a page belongs to (its title and navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Console,
    Portal,
}

/// A page: its title, where it lives (for the language switch) and body.
pub struct Page<'a> {
    pub lang: Lang,
    pub area: Area,
    pub title: String,
    /// The path of this page, for the language switch.
    pub path: &'a str,
    /// Navigation links (label, path), shown when signed in.
    pub nav: Vec<(String, &'static str)>,
    /// A sign-out form (action, CSRF token), shown when signed in.
    pub sign_out: Option<(&'static str, String)>,
    pub body: Markup,
}

impl Page<'_> {
    pub fn render(self) -> Markup {
        let lang = self.lang;
        let other = match lang {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        };
        let site = match self.area {
            Area::Console => t!(lang, "site-console"),
            Area::Portal => t!(lang, "site-portal"),
        };
        html! {
            (DOCTYPE)
            html lang=(lang.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    title { (self.title) " — " (site) }
                    link rel="stylesheet" href="/ui/style.css";
                }
                body {
                    a class="skip" href="#contenu" { (t!(lang, "skip-to-content")) }
                    header {
                        p class="site" { (site) }
                        nav aria-label=(t!(lang, "nav-language")) {
                            a href={ (self.path) "?lang=" (other.tag()) } hreflang=(other.tag()) lang=(other.tag()) {
                                (t!(other, "lang-name"))
                            }
                        }
                        @if !self.nav.is_empty() {
                            nav aria-label=(t!(lang, "nav-main")) {
                                ul {
                                    @for (label, href) in &self.nav {
                                        li { a href=(href) aria-current=[(*href == self.path).then_some("page")] { (label) } }
                                    }
                                }
                            }
                        }
                        @if let Some((action, token)) = &self.sign_out {
                            form method="post" action=(action) class="signout" {
                                input type="hidden" name="csrf" value=(token);
                                button type="submit" { (t!(lang, "sign-out")) }
                            }
                        }
                    }
                    main id="contenu" {
                        h1 { (self.title) }
                        (self.body)
                    }
                    footer {
                        p { (t!(lang, "footer-gdpr")) }
                    }
                }
            }
        }
    }
}

/// An HTML answer with a status.
pub fn html_response(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// A `303 See Other` to `to`, with cookies to set.
pub fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    add_cookies(&mut r, cookies);
    r
}

pub fn add_cookies(r: &mut Response, cookies: &[String]) {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// A message box (error or notice), announced to screen readers.
pub fn message(kind: &str, text: &str) -> Markup {
    html! {
        p class={ "msg " (kind) } role=(if kind == "error" { "alert" } else { "status" }) { (text) }
    }
}

/// Why a page cannot be shown; rendered as a short page in the language.
#[derive(Debug)]
pub enum Failure {
    /// Something went wrong on our side; details are in the server log only.
    Internal,
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// The signed-in staff member's roles do not open this page.
    Forbidden,
    /// Not found (an unknown id).
    NotFound,
    /// The address's query string cannot be read (a parameter given twice,
    /// or not of the expected form).
    BadQuery,
    /// The disk under the vault is full: nothing was saved; try again once
    /// space is freed (503 with `Retry-After`, as the API answers).
    Unavailable,
}

impl Failure {
    /// The page for a failure on our side, logged here with `what` was
    /// being done (the error's text holds no value): a full disk is
    /// [`Failure::Unavailable`] — "retry later", as the API answers —,
    /// anything else [`Failure::Internal`].
    pub fn on_our_side(err: impl Into<OurSide>, what: &str) -> Failure {
        let err = err.into();
        tracing::error!(error = %err, "{what}");
        if err.storage_full() {
            Failure::Unavailable
        } else {
            Failure::Internal
        }
    }

    pub fn render(&self, lang: Lang, area: Area) -> Response {
        let (status, title, text) = match self {
            Failure::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "error-internal-title",
                "error-internal-text",
            ),
            Failure::Csrf => (StatusCode::FORBIDDEN, "error-csrf-title", "error-csrf-text"),
            Failure::Forbidden => (
                StatusCode::FORBIDDEN,
                "error-forbidden-title",
                "error-forbidden-text",
            ),
            Failure::NotFound => (
                StatusCode::NOT_FOUND,
                "error-not-found-title",
                "error-not-found-text",
            ),
            Failure::BadQuery => (
                StatusCode::BAD_REQUEST,
                "error-query-title",
                "error-query-text",
            ),
            Failure::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "error-unavailable-title",
                "error-unavailable-text",
            ),
        };
        // The switch leads to the area's home page: the failed address may
        // not exist, or may need a form; so does a link under the message.
        let home = match area {
            Area::Console => "/console",
            Area::Portal => "/portail",
        };
        let page = Page {
            lang,
            area,
            title: t!(lang, title),
            path: home,
            nav: Vec::new(),
            sign_out: None,
            body: html! {
                (message("error", &t!(lang, text)))
                p { a href=(home) { (t!(lang, "error-home-link")) } }
            },
        };
        let mut response = html_response(status, page.render());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::error::RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

/// A date and time in UTC, written the same in both languages.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_page_asks_to_retry_later_in_the_page_language() {
        let full = habeas_engine::error::storage_full();
        let failure = Failure::on_our_side(full, "test");
        assert!(matches!(failure, Failure::Unavailable));
        let page = failure.render(Lang::Fr, Area::Console);
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            page.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from(crate::error::RETRY_AFTER_SECONDS))
        );
        let other = habeas_engine::EngineError::Storage("x".into());
        assert!(matches!(
            Failure::on_our_side(other, "test"),
            Failure::Internal
        ));
        let page = Failure::Internal.render(Lang::En, Area::Portal);
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(page.headers().get(header::RETRY_AFTER).is_none());
    }

    #[test]
    fn the_shell_has_lang_landmarks_and_a_switch_to_the_other_language() {
        let page = Page {
            lang: Lang::Fr,
            area: Area::Portal,
            title: "Titre <b>".into(),
            path: "/portail",
            nav: vec![("Mes données".into(), "/portail")],
            sign_out: None,
            body: html! { p { "x" } },
        }
        .render()
        .into_string();
        assert!(page.contains("<html lang=\"fr\">"));
        assert!(page.contains("<main id=\"contenu\">"));
        assert!(page.contains("href=\"/portail?lang=en\""));
        assert!(page.contains("aria-current=\"page\""));
        // Escaped, never raw markup from a value.
        assert!(page.contains("Titre &lt;b&gt;"));
        assert!(!page.contains("<script"));
    }
}
