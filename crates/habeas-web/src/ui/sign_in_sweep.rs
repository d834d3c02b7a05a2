//! Deleting the sign-in records whose time is over: portal codes past
//! their expiry, portal sessions and staff sessions no longer open.
//!
//! Why: each record names a subject or a staff account, and serves only
//! while the code or session can be used; keeping it longer would break
//! the storage-limitation rule the product enforces for everyone else
//! (GDPR Art. 5(1)(e)). What to delete is decided by pure functions
//! (`portal_auth::ended`, `AuthService::ended_session_ids`); this module
//! only runs them and deletes, one journaled commit per kind
//! (`doc.delete`, kind and count). `habeas serve` runs it every hour.

use habeas_engine::Caller;

use super::UiState;
use super::portal_auth;

/// How many records one sweep deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SignInSweep {
    pub portal_codes: u64,
    pub portal_sessions: u64,
    pub staff_sessions: u64,
}

impl SignInSweep {
    pub fn total(&self) -> u64 {
        self.portal_codes + self.portal_sessions + self.staff_sessions
    }
}

/// The journaled actor of the deletions.
fn sweeper() -> Caller {
    UiState::caller("sign-in-sweep", super::staff::SIGN_IN_PURPOSE)
}

/// One sweep, on the calling (blocking) thread. Errors name kinds and
/// stores only.
pub(super) fn sweep(s: &UiState) -> Result<SignInSweep, String> {
    let now = s.clock.now();
    let vault = &*s.vault;
    let idle = chrono::Duration::minutes(s.config.portal_idle_minutes);
    let docs = vault.docs(sweeper());
    let portal = portal_auth::ended(&docs, now, idle)
        .map_err(|e| format!("portal sign-in records could not be listed: {e}"))?;
    let staff = s
        .auth
        .service(&docs, &*s.clock)
        .ended_session_ids()
        .map_err(|e| format!("staff sessions could not be listed: {e}"))?;
    let delete = |kind: &str, ids: &[String]| {
        vault
            .delete_docs_as(&sweeper(), kind, ids)
            .map_err(|e| format!("{kind} records could not be deleted: {e}"))
    };
    Ok(SignInSweep {
        portal_codes: delete(portal_auth::CHALLENGE_KIND, &portal.codes)?,
        portal_sessions: delete(portal_auth::SESSION_KIND, &portal.sessions)?,
        staff_sessions: delete(habeas_auth::session::KIND, &staff)?,
    })
}

impl UiState {
    /// Deletes the sign-in records whose time is over (see the module).
    pub async fn sweep_sign_ins(&self) -> Result<SignInSweep, String> {
        match self.run(sweep).await {
            Ok(result) => result,
            Err(_) => Err("the sign-in sweep's worker failed".into()),
        }
    }
}
