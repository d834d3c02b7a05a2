//! The session cookie, as the `Set-Cookie` value the HTTP layer sends.
//!
//! Why these attributes: `__Host-` makes browsers refuse the cookie unless it
//! is Secure, host-only and for Path=/ (no subdomain can set or shadow it);
//! HttpOnly keeps scripts from reading it; SameSite=Strict keeps other sites'
//! pages from sending it (a first CSRF barrier, the token being the second).

use crate::config::SessionPolicy;
use crate::session::SessionToken;

/// The cookie's name.
pub const SESSION_COOKIE: &str = "__Host-habeas_session";

/// `Set-Cookie` value opening a session; it lives no longer than the
/// session's absolute lifetime.
pub fn session_cookie(token: &SessionToken, policy: &SessionPolicy) -> String {
    format!(
        "{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={}",
        token.expose(),
        policy.absolute.num_seconds().max(0)
    )
}

/// `Set-Cookie` value removing the session cookie (logout).
pub fn cleared_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The session token in a `Cookie` request header, if present.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == SESSION_COOKIE && !value.is_empty()).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_has_every_protective_attribute() {
        let policy = SessionPolicy::default();
        let value = cleared_session_cookie();
        for attr in ["__Host-", "Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
            assert!(value.contains(attr), "{attr}");
        }
        assert!(value.ends_with("Max-Age=0"));
        assert_eq!(policy.absolute.num_seconds(), 43_200);
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        assert_eq!(
            token_from_cookie_header("lang=fr; __Host-habeas_session=abc_-1; x=y"),
            Some("abc_-1")
        );
        assert_eq!(token_from_cookie_header("habeas_session=abc"), None);
    }
}
