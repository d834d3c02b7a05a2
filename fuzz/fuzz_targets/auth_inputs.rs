//! What a browser or a staff member types into the console's sign-in and
//! forms (crates/habeas-auth): the Cookie header, a login, a display name, a
//! TOTP code, a CSRF token, a console action key. Never a panic; a login or
//! display name that passes is in normal form; a CSRF token passes for the
//! session it was made for and no other; no code passes for a wrong secret
//! step (a code is accepted only if it is the current one or a neighbour).
#![no_main]

use chrono::TimeZone;
use habeas_auth::account::{check_display_name, normalise_login};
use habeas_auth::cookie::token_from_cookie_header;
use habeas_auth::{ConsoleAction, CsrfKey, totp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(token) = token_from_cookie_header(text) {
        assert!(!token.is_empty() && text.contains(token));
    }
    if let Ok(login) = normalise_login(text) {
        assert_eq!(
            normalise_login(&login).ok().as_deref(),
            Some(login.as_str())
        );
    }
    if let Ok(name) = check_display_name(text) {
        assert_eq!(
            check_display_name(&name).ok().as_deref(),
            Some(name.as_str())
        );
    }
    if let Some(action) = ConsoleAction::from_key(text) {
        assert_eq!(action.key(), text);
    }

    let key = CsrfKey::from_bytes([7u8; 32]);
    let (session, presented) = text.split_once('|').unwrap_or((text, ""));
    let good = key.token_for(session);
    assert!(key.verify(session, &good).is_ok());
    assert!(key.verify(&format!("{session}x"), &good).is_err());
    if key.verify(session, presented).is_ok() {
        assert_eq!(
            presented.trim().trim_end_matches('='),
            good,
            "a forged token passed"
        );
    }

    let secret = [0x42u8; 20];
    let now = chrono::Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    if let Ok(Some(step)) = totp::verify(&secret, text, now, None) {
        let current = now.timestamp() as u64 / 30;
        assert!(
            step + 1 >= current && step <= current + 1,
            "a code outside the window"
        );
        let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let at = chrono::Utc.timestamp_opt((step * 30) as i64, 0).unwrap();
        assert_eq!(totp::code_at(&secret, at).expect("a code"), code);
        // Once used, never again.
        assert_eq!(
            totp::verify(&secret, text, now, Some(step)).expect("checks"),
            None
        );
    }
});
