//! Which pages a session may open, by its stage: the session-state axis of
//! the console's authorisation matrix (none, expired, MFA-pending, full).
//!
//! Why pure and here: a session that must still change its one-time password
//! or enrol its second factor must reach those pages and nothing else, on
//! every route, and the rule is easier to test as one table than as route
//! handlers.

use habeas_core::lang::Lang;

use crate::login::Stage;
use crate::session::Session;

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gate {
    /// Sign-in page, static assets, health: no session needed.
    Public,
    /// The password-change page: any signed-in stage.
    PasswordChange,
    /// TOTP enrolment: a full session, or one that must enrol.
    TotpEnrolment,
    /// Logout: any signed-in stage.
    Logout,
    /// Everything else: a full session (then the role check applies).
    Console,
}

/// Why the route is refused, and where to send the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateRefusal {
    /// No valid session: to the sign-in page (HTTP 303 or 401).
    SignIn,
    /// The session must first do this step: to its page.
    Step(Stage),
}

impl GateRefusal {
    pub fn describe(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (GateRefusal::SignIn, Lang::Fr) => "connectez-vous pour continuer",
            (GateRefusal::SignIn, Lang::En) => "sign in to continue",
            (GateRefusal::Step(Stage::MustChangePassword), Lang::Fr) => {
                "choisissez d'abord votre propre mot de passe"
            }
            (GateRefusal::Step(Stage::MustChangePassword), Lang::En) => {
                "first choose your own password"
            }
            (GateRefusal::Step(_), Lang::Fr) => {
                "enrôlez d'abord votre application d'authentification (TOTP)"
            }
            (GateRefusal::Step(_), Lang::En) => "first enrol your authenticator app (TOTP)",
        }
    }
}

/// Whether a session (`None`: absent, unknown or expired) may open a route.
pub fn check(session: Option<&Session>, gate: Gate) -> Result<(), GateRefusal> {
    let Some(session) = session else {
        return if gate == Gate::Public {
            Ok(())
        } else {
            Err(GateRefusal::SignIn)
        };
    };
    match (gate, session.stage) {
        (Gate::Public | Gate::Logout | Gate::PasswordChange, _) => Ok(()),
        (Gate::TotpEnrolment, Stage::Full | Stage::MustEnrolTotp) => Ok(()),
        (Gate::Console, Stage::Full) => Ok(()),
        (_, stage) => Err(GateRefusal::Step(stage)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn session(stage: Stage) -> Session {
        let t = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        Session {
            staff_id: "st-1".into(),
            stage,
            created_at: t,
            last_seen_at: t,
            idle_expires_at: t,
            expires_at: t,
        }
    }

    /// The whole table: every gate × every session state.
    #[test]
    fn every_gate_for_every_session_state() {
        use Gate::*;
        use GateRefusal::*;
        let full = session(Stage::Full);
        let pw = session(Stage::MustChangePassword);
        let mfa = session(Stage::MustEnrolTotp);
        let states: [(&str, Option<&Session>); 4] = [
            ("none", None),
            ("full", Some(&full)),
            ("pw", Some(&pw)),
            ("mfa", Some(&mfa)),
        ];
        let expected = |gate: Gate, state: &str| -> Result<(), GateRefusal> {
            match (gate, state) {
                (Public, _) => Ok(()),
                (_, "none") => Err(SignIn),
                (Logout | PasswordChange, _) => Ok(()),
                (TotpEnrolment, "full" | "mfa") => Ok(()),
                (TotpEnrolment, _) => Err(Step(Stage::MustChangePassword)),
                (Console, "full") => Ok(()),
                (Console, "pw") => Err(Step(Stage::MustChangePassword)),
                (Console, _) => Err(Step(Stage::MustEnrolTotp)),
            }
        };
        let mut cells = 0;
        for gate in [Public, PasswordChange, TotpEnrolment, Logout, Console] {
            for (name, s) in states {
                assert_eq!(check(s, gate), expected(gate, name), "{gate:?} × {name}");
                cells += 1;
            }
        }
        assert_eq!(cells, 20);
        assert_eq!(
            Step(Stage::MustEnrolTotp).describe(Lang::Fr),
            "enrôlez d'abord votre application d'authentification (TOTP)"
        );
    }
}
