//! How a data subject signs in to the portal without a password: a
//! single-use code (and the same code in a link) sent to an address already
//! registered in the vault, then a short session.
//!
//! Why this shape: EDPB Guidelines 01/2022 §3.3 — verify through a channel
//! the controller already uses with the person, and ask for no more data.
//! The answer to "send me a code" is the same whether or not the address is
//! known (no account enumeration): a challenge id is drawn either way, and
//! only a known address gets a stored challenge and a message. The code is
//! kept as an HMAC bound to its challenge; it works once, for a few minutes,
//! and five wrong tries close the challenge.
//!
//! The rules ([`Challenge::check`], [`PortalSession::check`]) are pure, with
//! the time given; the functions around them read and write vault documents.

use chrono::{DateTime, Duration, Utc};
use habeas_core::docs::{DocError, DocStore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::secret::WebKeys;

pub const CHALLENGE_KIND: &str = "portal-code";
pub const SESSION_KIND: &str = "portal-session";
/// Wrong codes before a challenge closes.
pub const MAX_ATTEMPTS: u32 = 5;

/// A stored sign-in challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub subject: String,
    pub mac: String,
    pub expires_at: DateTime<Utc>,
    pub attempts: u32,
    pub used: bool,
}

/// What a presented code gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeVerdict {
    Accepted,
    /// Wrong, expired, used, closed or unknown: one answer for all.
    Refused,
}

impl Challenge {
    /// Checks `code` at `now` and returns the verdict and the challenge as
    /// it must be stored after this try (used, or one more attempt).
    pub fn check(
        &self,
        keys: &WebKeys,
        challenge_id: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> (CodeVerdict, Challenge) {
        let mut next = self.clone();
        if self.used || self.attempts >= MAX_ATTEMPTS || now >= self.expires_at {
            return (CodeVerdict::Refused, next);
        }
        if WebKeys::same(&keys.code_mac(challenge_id, code), &self.mac) {
            next.used = true;
            (CodeVerdict::Accepted, next)
        } else {
            next.attempts += 1;
            (CodeVerdict::Refused, next)
        }
    }
}

/// A subject's portal session, stored under the SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalSession {
    pub subject: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub closed: bool,
}

impl PortalSession {
    /// Whether the session is still open at `now` with `idle` allowed.
    pub fn is_open(&self, now: DateTime<Utc>, idle: Duration) -> bool {
        !self.closed && now < self.expires_at && now - self.last_seen_at < idle
    }
}

/// A challenge id, a session token: 128 random bits in hex.
pub fn random_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// An 8-digit code.
pub fn random_code() -> String {
    format!("{:08}", rand::random_range(0..100_000_000u32))
}

pub fn well_formed_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn session_doc_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn bad(kind: &str, id: &str, e: serde_json::Error) -> DocError {
    DocError::Storage(format!("{kind}/{id} cannot be read: {e}"))
}

/// Stores a new challenge for `subject` and returns the code to send.
pub fn issue(
    docs: &dyn DocStore,
    keys: &WebKeys,
    challenge_id: &str,
    subject: &str,
    expires_at: DateTime<Utc>,
) -> Result<String, DocError> {
    let code = random_code();
    let c = Challenge {
        subject: subject.to_string(),
        mac: keys.code_mac(challenge_id, &code),
        expires_at,
        attempts: 0,
        used: false,
    };
    let body = serde_json::to_vec(&c).map_err(|e| bad(CHALLENGE_KIND, challenge_id, e))?;
    docs.put_doc(CHALLENGE_KIND, challenge_id, None, &body)?;
    Ok(code)
}

/// Checks a presented code; on success returns the subject. Every try is
/// written back (versioned) before the answer, so two racing tries of the
/// same code cannot both pass.
pub fn redeem(
    docs: &dyn DocStore,
    keys: &WebKeys,
    challenge_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DocError> {
    if !well_formed_id(challenge_id) {
        return Ok(None);
    }
    let Some(doc) = docs.get_doc(CHALLENGE_KIND, challenge_id)? else {
        return Ok(None);
    };
    let stored: Challenge =
        serde_json::from_slice(&doc.body).map_err(|e| bad(CHALLENGE_KIND, challenge_id, e))?;
    let (verdict, next) = stored.check(keys, challenge_id, code.trim(), now);
    if next != stored {
        let body = serde_json::to_vec(&next).map_err(|e| bad(CHALLENGE_KIND, challenge_id, e))?;
        match docs.put_doc(CHALLENGE_KIND, challenge_id, Some(doc.version), &body) {
            Ok(_) => {}
            // Another try changed it first: this one does not pass.
            Err(DocError::Conflict { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok((verdict == CodeVerdict::Accepted).then_some(stored.subject))
}

/// Opens a session for `subject`; returns its token (the cookie value).
pub fn open_session(
    docs: &dyn DocStore,
    subject: &str,
    now: DateTime<Utc>,
    absolute: Duration,
) -> Result<String, DocError> {
    let token = random_id();
    let s = PortalSession {
        subject: subject.to_string(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + absolute,
        closed: false,
    };
    let id = session_doc_id(&token);
    let body = serde_json::to_vec(&s).map_err(|e| bad(SESSION_KIND, &id, e))?;
    docs.put_doc(SESSION_KIND, &id, None, &body)?;
    Ok(token)
}

/// The subject of an open session, noting its activity (at most once a
/// minute). `Err` only when the store fails: the session may be fine.
pub fn check_session(
    docs: &dyn DocStore,
    token: &str,
    now: DateTime<Utc>,
    idle: Duration,
) -> Result<Option<String>, DocError> {
    if !well_formed_id(token) {
        return Ok(None);
    }
    let id = session_doc_id(token);
    let Some(doc) = docs.get_doc(SESSION_KIND, &id)? else {
        return Ok(None);
    };
    // A record that cannot be read vouches for nobody: no session, and
    // signing in again replaces it. Only the store failing is an error (the
    // caller then keeps the cookie and answers the failure page).
    let Ok(mut s) = serde_json::from_slice::<PortalSession>(&doc.body) else {
        tracing::warn!(
            kind = SESSION_KIND,
            "an unreadable portal session was ignored"
        );
        return Ok(None);
    };
    if !s.is_open(now, idle) {
        return Ok(None);
    }
    if now - s.last_seen_at >= Duration::minutes(1) {
        s.last_seen_at = now;
        let body = serde_json::to_vec(&s).map_err(|e| bad(SESSION_KIND, &id, e))?;
        match docs.put_doc(SESSION_KIND, &id, Some(doc.version), &body) {
            // Another request noted it first: its time is as good. On a full
            // disk the note is skipped: the idle clock runs from the last one
            // written, which can only end the session sooner.
            Ok(_) | Err(DocError::Conflict { .. } | DocError::Full) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(s.subject))
}

/// The portal's sign-in records whose time is over, to be deleted: codes
/// past their expiry (used or not) and sessions no longer open. A record
/// names a subject; it is kept no longer than it can serve (GDPR
/// Art. 5(1)(e)). A document that cannot be read is left alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ended {
    pub codes: Vec<String>,
    pub sessions: Vec<String>,
}

pub fn ended(docs: &dyn DocStore, now: DateTime<Utc>, idle: Duration) -> Result<Ended, DocError> {
    let codes = docs
        .list_docs(CHALLENGE_KIND)?
        .into_iter()
        .filter(|d| serde_json::from_slice::<Challenge>(&d.body).is_ok_and(|c| now >= c.expires_at))
        .map(|d| d.id)
        .collect();
    let sessions = docs
        .list_docs(SESSION_KIND)?
        .into_iter()
        .filter(|d| {
            serde_json::from_slice::<PortalSession>(&d.body).is_ok_and(|s| !s.is_open(now, idle))
        })
        .map(|d| d.id)
        .collect();
    Ok(Ended { codes, sessions })
}

/// Closes a session (logout).
pub fn close_session(docs: &dyn DocStore, token: &str) -> Result<(), DocError> {
    if !well_formed_id(token) {
        return Ok(());
    }
    let id = session_doc_id(token);
    let Some(doc) = docs.get_doc(SESSION_KIND, &id)? else {
        return Ok(());
    };
    let mut s: PortalSession =
        serde_json::from_slice(&doc.body).map_err(|e| bad(SESSION_KIND, &id, e))?;
    s.closed = true;
    let body = serde_json::to_vec(&s).map_err(|e| bad(SESSION_KIND, &id, e))?;
    docs.put_doc(SESSION_KIND, &id, Some(doc.version), &body)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use habeas_core::docs::MemoryDocs;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn a_code_works_once_before_expiry() {
        let docs = MemoryDocs::default();
        let keys = WebKeys::from_secret([1; 32]);
        let id = random_id();
        let code = issue(&docs, &keys, &id, "s-1", t(15)).unwrap();
        assert_eq!(code.len(), 8);
        assert_eq!(
            redeem(&docs, &keys, &id, &code, t(1)).unwrap().as_deref(),
            Some("s-1")
        );
        assert_eq!(
            redeem(&docs, &keys, &id, &code, t(2)).unwrap(),
            None,
            "second use"
        );
        let id2 = random_id();
        let code2 = issue(&docs, &keys, &id2, "s-1", t(15)).unwrap();
        assert_eq!(
            redeem(&docs, &keys, &id2, &code2, t(15)).unwrap(),
            None,
            "expired"
        );
    }

    #[test]
    fn five_wrong_codes_close_the_challenge() {
        let docs = MemoryDocs::default();
        let keys = WebKeys::from_secret([2; 32]);
        let id = random_id();
        let code = issue(&docs, &keys, &id, "s-1", t(15)).unwrap();
        let wrong = if code == "00000000" {
            "11111111"
        } else {
            "00000000"
        };
        for _ in 0..MAX_ATTEMPTS {
            assert_eq!(redeem(&docs, &keys, &id, wrong, t(1)).unwrap(), None);
        }
        assert_eq!(redeem(&docs, &keys, &id, &code, t(1)).unwrap(), None);
    }

    #[test]
    fn unknown_or_malformed_challenges_are_refused_quietly() {
        let docs = MemoryDocs::default();
        let keys = WebKeys::from_secret([3; 32]);
        assert_eq!(
            redeem(&docs, &keys, &random_id(), "12345678", t(0)).unwrap(),
            None
        );
        assert_eq!(
            redeem(&docs, &keys, "../x", "12345678", t(0)).unwrap(),
            None
        );
    }

    #[test]
    fn sessions_end_when_idle_at_their_limit_or_closed() {
        let docs = MemoryDocs::default();
        let idle = Duration::minutes(15);
        let token = open_session(&docs, "s-9", t(0), Duration::minutes(60)).unwrap();
        assert_eq!(
            check_session(&docs, &token, t(10), idle)
                .unwrap()
                .as_deref(),
            Some("s-9")
        );
        assert_eq!(
            check_session(&docs, &token, t(24), idle)
                .unwrap()
                .as_deref(),
            Some("s-9")
        );
        assert_eq!(
            check_session(&docs, &token, t(40), idle).unwrap(),
            None,
            "idle 16 min"
        );
        let token = open_session(&docs, "s-9", t(0), Duration::minutes(60)).unwrap();
        for m in [10, 20, 30, 40, 50] {
            assert!(check_session(&docs, &token, t(m), idle).unwrap().is_some());
        }
        assert_eq!(
            check_session(&docs, &token, t(60), idle).unwrap(),
            None,
            "absolute"
        );
        let token = open_session(&docs, "s-9", t(0), Duration::minutes(60)).unwrap();
        close_session(&docs, &token).unwrap();
        assert_eq!(
            check_session(&docs, &token, t(1), idle).unwrap(),
            None,
            "closed"
        );
        assert_eq!(check_session(&docs, "nope", t(1), idle).unwrap(), None);
    }

    #[test]
    fn ended_codes_and_sessions_are_listed_for_deletion() {
        let docs = MemoryDocs::default();
        let keys = WebKeys::from_secret([4; 32]);
        let idle = Duration::minutes(15);
        issue(&docs, &keys, &"a".repeat(32), "s-1", t(15)).unwrap();
        issue(&docs, &keys, &"b".repeat(32), "s-1", t(30)).unwrap();
        let closed = open_session(&docs, "s-1", t(0), Duration::minutes(60)).unwrap();
        close_session(&docs, &closed).unwrap();
        let idle_one = open_session(&docs, "s-1", t(0), Duration::minutes(60)).unwrap();
        let open = open_session(&docs, "s-1", t(10), Duration::minutes(60)).unwrap();
        let found = ended(&docs, t(20), idle).unwrap();
        assert_eq!(found.codes, vec!["a".repeat(32)], "the expired code only");
        let mut expected = vec![session_doc_id(&closed), session_doc_id(&idle_one)];
        expected.sort();
        let mut sessions = found.sessions;
        sessions.sort();
        assert_eq!(sessions, expected);
        assert!(!sessions.contains(&session_doc_id(&open)));
    }

    #[test]
    fn a_full_disk_keeps_the_session_but_not_its_activity_note() {
        let docs = MemoryDocs::default();
        let idle = Duration::minutes(15);
        let token = open_session(&docs, "s-9", t(0), Duration::minutes(60)).unwrap();
        docs.set_full(true);
        // The activity note cannot be written: the subject stays signed in…
        let seen = check_session(&docs, &token, t(10), idle).unwrap();
        assert_eq!(seen.as_deref(), Some("s-9"));
        // …and the idle time still counts from the last note written.
        assert_eq!(check_session(&docs, &token, t(15), idle).unwrap(), None);
        docs.set_full(false);
        let token = open_session(&docs, "s-9", t(20), Duration::minutes(60)).unwrap();
        assert!(check_session(&docs, &token, t(30), idle).unwrap().is_some());
        assert!(check_session(&docs, &token, t(40), idle).unwrap().is_some());
    }

    #[test]
    fn an_unreadable_session_is_no_session_and_a_failing_store_an_error() {
        let docs = MemoryDocs::default();
        let idle = Duration::minutes(15);
        let token = open_session(&docs, "s-7", t(0), Duration::minutes(60)).unwrap();
        let id = session_doc_id(&token);
        let version = docs.get_doc(SESSION_KIND, &id).unwrap().unwrap().version;
        docs.put_doc(SESSION_KIND, &id, Some(version), b"{not json")
            .unwrap();
        assert_eq!(check_session(&docs, &token, t(1), idle).unwrap(), None);

        let token = open_session(&docs, "s-7", t(0), Duration::minutes(60)).unwrap();
        docs.set_failing(true);
        assert!(
            check_session(&docs, &token, t(5), idle).is_err(),
            "a store that cannot be read is not \"signed out\""
        );
        docs.set_failing(false);
        assert_eq!(
            check_session(&docs, &token, t(5), idle).unwrap().as_deref(),
            Some("s-7")
        );
    }
}
