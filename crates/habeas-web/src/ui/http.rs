//! What every page answer carries and every form is checked against:
//! security headers, cookies, the peer address and the language.
//!
//! Why here: a header forgotten on one page is a hole on that page, so the
//! headers are set by one middleware for all of them; cookies are parsed
//! in one place so no handler trusts a header it should not.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use habeas_core::lang::Lang;

/// Content security policy: nothing but this origin's stylesheet and
/// images, no script at all, forms only to this origin, no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Sets the security headers on every page answer.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    set_security_headers(response.headers_mut());
    response
}

/// The headers [`security_headers`] sets, for an answer made outside the
/// pages' router (the unknown-address page).
pub fn set_security_headers(h: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    // Pages show personal data or session state: never kept by a cache.
    set(h, header::CACHE_CONTROL, "no-store");
    set(
        h,
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `__Host-` cookie: only over HTTPS (browsers treat loopback as secure),
/// this host only, invisible to scripts, never sent from another site.
pub fn host_cookie(name: &str, value: &str, max_age_secs: i64) -> String {
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}")
}

/// The same cookie, cleared.
pub fn cleared_cookie(name: &str) -> String {
    host_cookie(name, "", 0)
}

/// The peer's address: the connection's (the server must be started with
/// connect info). Without connect info every request counts as loopback,
/// which only makes the per-source lock-out coarser, never weaker per
/// login. Behind a reverse proxy, [`client_address`] finds the client.
pub struct Peer(pub IpAddr);

/// The `X-Forwarded-For` values of a request, in order.
pub fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// The client's address for a request that came from `peer` carrying the
/// `X-Forwarded-For` values `forwarded` (every header, in order).
///
/// The header is believed only as far as it was written by `trusted`
/// proxies: reading the addresses from the right (each proxy appends the
/// address it received the request from), the first one that is not a
/// trusted proxy is the client. From an untrusted peer the header is
/// ignored — anyone can send it — and an entry that is not an address
/// stops the walk at the last address known good. Without trusted proxies
/// this is always `peer`.
pub fn client_address(peer: IpAddr, forwarded: &[&str], trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for entry in forwarded.iter().rev().flat_map(|v| v.rsplit(',')) {
        let Some(ip) = forwarded_entry(entry) else {
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// One `X-Forwarded-For` entry's address: bare, or with the port some
/// proxies add (`203.0.113.7:4711`, `[2001:db8::1]:4711`, `[2001:db8::1]`).
fn forwarded_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        Ok(Peer(ip))
    }
}

/// The language cookie's name (a preference, not a secret).
pub const LANG_COOKIE: &str = "habeas_lang";

/// The page language: `?lang=` (the switch), then the cookie it set, then
/// `Accept-Language`, then French.
pub struct UiLang {
    pub lang: Lang,
    /// The switch was used: remember the choice.
    pub chosen: bool,
}

pub fn lang_of(parts_query: Option<&str>, headers: &HeaderMap) -> UiLang {
    if let Some(q) = parts_query {
        for pair in q.split('&') {
            if let Some(("lang", v)) = pair.split_once('=')
                && let Ok(lang) = v.parse::<Lang>()
            {
                return UiLang { lang, chosen: true };
            }
        }
    }
    if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(|v| v.parse::<Lang>().ok()) {
        return UiLang {
            lang,
            chosen: false,
        };
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let lang = accept
        .split(',')
        .filter_map(|part| part.split(';').next())
        .map(|tag| tag.trim().to_ascii_lowercase())
        .find_map(|tag| match tag.split('-').next() {
            Some("fr") => Some(Lang::Fr),
            Some("en") => Some(Lang::En),
            _ => None,
        })
        .unwrap_or(Lang::Fr);
    UiLang {
        lang,
        chosen: false,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(lang_of(parts.uri.query(), &parts.headers))
    }
}

/// A page's query string. axum's own refusal of a query it cannot read is
/// plain text and may quote what it could not read; this one is the area's
/// error page (400), in the visitor's language, quoting nothing.
pub struct PageQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for PageQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(q)| PageQuery(q))
            .map_err(|_| {
                let lang = lang_of(parts.uri.query(), &parts.headers).lang;
                let area = if parts.uri.path().starts_with("/console") {
                    super::page::Area::Console
                } else {
                    super::page::Area::Portal
                };
                super::page::Failure::BadQuery.render(lang, area)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_client_address_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxies: Vec<ipnet::IpNet> = vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let none: &[ipnet::IpNet] = &[];
        // No trusted proxy, or an untrusted peer: the header is anyone's.
        assert_eq!(
            client_address(ip("127.0.0.1"), &["203.0.113.7"], none),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(ip("198.51.100.2"), &["203.0.113.7"], &proxies),
            ip("198.51.100.2")
        );
        // One proxy in front: the address it saw.
        assert_eq!(
            client_address(ip("127.0.0.1"), &["203.0.113.7"], &proxies),
            ip("203.0.113.7")
        );
        // A forged entry on the left is not believed: the proxy appended the
        // real client's address on the right.
        assert_eq!(
            client_address(ip("127.0.0.1"), &["1.1.1.1, 203.0.113.7"], &proxies),
            ip("203.0.113.7")
        );
        // Two trusted hops (several headers are read in order).
        assert_eq!(
            client_address(ip("127.0.0.1"), &["203.0.113.7", "10.1.2.3"], &proxies),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &["203.0.113.7, 10.1.2.3"], &proxies),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("::1"), &["2001:db8::1"], &["::1/128".parse().unwrap()]),
            ip("2001:db8::1")
        );
        // Entries with the port some proxies add.
        assert_eq!(
            client_address(ip("127.0.0.1"), &["203.0.113.7:4711"], &proxies),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &["203.0.113.7, 10.1.2.3:80"], &proxies),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &["[2001:db8::1]:4711"], &proxies),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &["[2001:db8::1]"], &proxies),
            ip("2001:db8::1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &["203.0.113.7:port"], &proxies),
            ip("127.0.0.1")
        );
        // Garbage stops the walk at the last address known good.
        assert_eq!(
            client_address(ip("127.0.0.1"), &["203.0.113.7, unknown"], &proxies),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &["junk, 10.1.2.3"], &proxies),
            ip("10.1.2.3")
        );
        // No header, or only proxies: the farthest proxy.
        assert_eq!(
            client_address(ip("127.0.0.1"), &[], &proxies),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &["10.9.9.9"], &proxies),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn cookies_are_found_by_exact_name_only() {
        let h = headers(&[("cookie", "a=1; __Host-x=2"), ("cookie", "b=3")]);
        assert_eq!(cookie(&h, "__Host-x"), Some("2"));
        assert_eq!(cookie(&h, "b"), Some("3"));
        assert_eq!(cookie(&h, "x"), None);
    }

    #[test]
    fn language_switch_beats_cookie_beats_browser_beats_french() {
        let none = headers(&[]);
        assert_eq!(lang_of(None, &none).lang, Lang::Fr);
        let browser = headers(&[("accept-language", "de-DE, en-GB;q=0.8, fr;q=0.5")]);
        assert_eq!(lang_of(None, &browser).lang, Lang::En);
        let cookie = headers(&[("accept-language", "en"), ("cookie", "habeas_lang=fr")]);
        assert_eq!(lang_of(None, &cookie).lang, Lang::Fr);
        let switched = lang_of(Some("x=1&lang=en"), &cookie);
        assert_eq!(switched.lang, Lang::En);
        assert!(switched.chosen);
        assert_eq!(lang_of(Some("lang=de"), &none).lang, Lang::Fr);
    }

    #[test]
    fn host_cookies_are_secure_http_only_and_strict() {
        let c = host_cookie("__Host-a", "v", 60);
        for part in [
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
            "Max-Age=60",
        ] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
        assert!(!c.contains("Domain"));
    }
}
