//! Account administration, sessions, CSRF and the authorisation matrix, as a
//! console would drive them.

mod support;

use std::collections::BTreeSet;
use std::sync::Mutex;

use chrono::Duration;
use habeas_auth::cookie::{SESSION_COOKIE, session_cookie, token_from_cookie_header};
use habeas_auth::{
    AccessDenied, AccessQuery, AuthError, DenyHook, DenyReason, NewStaff, ResetScope, SessionError,
    StaffAccess, Stage, authorise_and_report, role_allows,
};
use habeas_core::clock::Clock;
use habeas_core::docs::DocStore;
use habeas_core::lang::Lang;
use habeas_core::rights::policy::{Operation, PurposeFacts, RefusalCause, SubjectState};
use support::*;

#[test]
fn accounts_carry_only_declared_roles_and_unique_logins() {
    let w = World::new();
    let e = w
        .svc()
        .add_staff(&NewStaff {
            login: "ivy".into(),
            display_name: "Ivy".into(),
            roles: roles_of(&["support", "marketing"]),
        })
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("unknown role `marketing`") && msg.contains("admin, billing, dpo, support"),
        "{msg}"
    );
    assert!(e.describe(Lang::Fr).starts_with("rôle inconnu"));
    assert!(matches!(
        w.svc().add_staff(&NewStaff {
            login: "ivy".into(),
            display_name: "Ivy".into(),
            roles: BTreeSet::new(),
        }),
        Err(AuthError::NoRole)
    ));
    // Nothing was stored by the refusals.
    assert!(w.svc().list_staff().unwrap().is_empty());
    w.add("ivy", &["support"]);
    assert!(matches!(
        w.svc().add_staff(&NewStaff {
            login: "IVY".into(),
            display_name: "Another Ivy".into(),
            roles: roles_of(&["billing"]),
        }),
        Err(AuthError::LoginTaken)
    ));
}

#[test]
fn the_list_shows_no_secret_and_the_store_holds_no_clear_password() {
    let w = World::new();
    let (id, initial) = w.add("jack", &["billing", "support"]);
    let list = w.svc().list_staff().unwrap();
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!((s.id.as_str(), s.login.as_str()), (id.as_str(), "jack"));
    assert!(s.must_change_password && !s.totp_enrolled);
    let listed = serde_json::to_string(&list).unwrap();
    assert!(!listed.contains("argon2"));
    let stored = w.docs.get_doc("staff", &id).unwrap().unwrap();
    let body = String::from_utf8(stored.body).unwrap();
    assert!(body.contains("$argon2id$"));
    assert!(!body.contains(initial.expose()));
    assert!(!id.contains("jack"), "ids carry no login");
}

#[test]
fn password_changes_follow_the_policy_and_a_refusal_changes_nothing() {
    let w = World::new();
    let (id, initial) = w.add("kate", &["support"]);
    for (new, expected) in [
        ("short", "at least 12"),
        ("kate-is-my-name-2026", "must not contain the login"),
        ("Azertyuiop2026!", "most used in breaches"),
    ] {
        let e = w
            .svc()
            .change_password(&id, initial.expose(), new)
            .unwrap_err();
        assert!(e.to_string().contains(expected), "{new}: {e}");
    }
    assert!(matches!(
        w.svc().change_password(&id, "not the current one", GOOD),
        Err(AuthError::WrongPassword)
    ));
    // Guessing the current password through this door locks the login too.
    for _ in 0..4 {
        assert!(matches!(
            w.svc().reauthenticate(&id, "another guess!"),
            Err(AuthError::WrongPassword)
        ));
    }
    assert!(matches!(
        w.svc().reauthenticate(&id, initial.expose()),
        Err(AuthError::Locked { .. })
    ));
    w.clock.advance(Duration::minutes(15));
    w.svc().reauthenticate(&id, initial.expose()).unwrap();
    // The one-time password still works: nothing was changed.
    let ok = w
        .svc()
        .authenticate(&attempt("kate", initial.expose(), None))
        .unwrap();
    assert_eq!(ok.stage, Stage::MustChangePassword);
}

#[test]
fn a_reset_gives_a_new_one_time_password_lifts_the_lock_and_ends_sessions() {
    let w = World::new();
    let id = w.add_ready("leo", &["support"], GOOD);
    let (token, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    for _ in 0..5 {
        let _ = w
            .svc()
            .authenticate(&attempt("leo", "forgotten pass", None));
    }
    assert!(w.svc().authenticate(&attempt("leo", GOOD, None)).is_err());
    let out = w
        .svc()
        .reset_staff(
            &id,
            ResetScope {
                password: true,
                totp: true,
            },
        )
        .unwrap();
    let temp = out.temporary_password.unwrap();
    let ok = w
        .svc()
        .authenticate(&attempt("leo", temp.expose(), None))
        .unwrap();
    assert_eq!(ok.stage, Stage::MustChangePassword);
    assert!(matches!(
        w.svc().check_session(token.expose()),
        Err(SessionError::AccountChanged)
    ));
}

#[test]
fn sessions_end_after_30_minutes_idle_and_12_hours_in_all() {
    let w = World::new();
    let id = w.add_ready("mia", &["support"], GOOD);
    let (token, session) = w.svc().open_session(&id, Stage::Full).unwrap();
    assert_eq!(session.expires_at, t0() + Duration::hours(12));
    // Activity every 29 minutes keeps it alive…
    for _ in 0..20 {
        w.clock.advance(Duration::minutes(29));
        let s = w.svc().check_session(token.expose()).unwrap();
        assert_eq!(s.staff_id, id);
    }
    // …until the absolute limit: 20 × 29 min = 9 h 40; 12 h is reached below.
    for _ in 0..4 {
        w.clock.advance(Duration::minutes(29));
        let _ = w.svc().check_session(token.expose());
    }
    w.clock.set(t0() + Duration::hours(12));
    assert!(matches!(
        w.svc().check_session(token.expose()),
        Err(SessionError::Expired)
    ));
    // A fresh session left alone 30 minutes is over.
    let (token, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    w.clock.advance(Duration::minutes(29));
    w.svc().check_session(token.expose()).unwrap();
    w.clock.advance(Duration::minutes(30));
    let e = w.svc().check_session(token.expose()).unwrap_err();
    assert!(matches!(e, SessionError::IdleTimeout(30)), "{e:?}");
    assert!(e.describe(Lang::Fr).contains("30 minutes d'inactivité"));
}

/// A full disk (RELIABILITY.md T05) does not sign staff out: the activity
/// note is skipped, so the idle clock runs from the last one written and
/// the session can only end sooner, never later.
#[test]
fn a_full_disk_keeps_sessions_open_without_extending_them() {
    let w = World::new();
    let id = w.add_ready("noa", &["support"], GOOD);
    let (token, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    w.docs.set_full(true);
    w.clock.advance(Duration::minutes(20));
    let s = w.svc().check_session(token.expose()).unwrap();
    assert_eq!(s.staff_id, id);
    w.clock.advance(Duration::minutes(10));
    let e = w.svc().check_session(token.expose()).unwrap_err();
    assert!(matches!(e, SessionError::IdleTimeout(30)), "{e:?}");
    // Once space is freed the note is written again and extends the session.
    w.docs.set_full(false);
    let (token, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    w.clock.advance(Duration::minutes(20));
    w.svc().check_session(token.expose()).unwrap();
    w.clock.advance(Duration::minutes(20));
    w.svc().check_session(token.expose()).unwrap();
}

/// Closed, expired and idle sessions are listed for deletion; open ones
/// are not.
#[test]
fn ended_sessions_are_listed_for_deletion() {
    let w = World::new();
    let id = w.add_ready("ada", &["support"], GOOD);
    let (closed, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    w.svc().close_session(closed.expose()).unwrap();
    let _idle = w.svc().open_session(&id, Stage::Full).unwrap();
    w.clock.advance(Duration::minutes(20));
    let (open, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    w.clock.advance(Duration::minutes(15));
    w.svc().check_session(open.expose()).unwrap();
    assert_eq!(
        w.svc().ended_session_ids().unwrap().len(),
        2,
        "the closed and the idle (35 min) sessions, not the open one"
    );
    // Kept active, a session still ends at its absolute limit (12 h from
    // its start, 20 minutes in).
    for _ in 0..26 {
        w.clock.advance(Duration::minutes(29));
        let _ = w.svc().check_session(open.expose());
    }
    assert_eq!(w.svc().ended_session_ids().unwrap().len(), 3);
}

/// The console's list of open sessions and the check a request goes
/// through agree at the very limits: a session over for one is over for
/// the other, at the same instant.
#[test]
fn the_open_sessions_list_ends_a_session_when_its_check_does() {
    let w = World::new();
    let id = w.add_ready("lou", &["support"], GOOD);
    let (_, session) = w.svc().open_session(&id, Stage::Full).unwrap();
    assert_eq!(session.idle_expires_at, t0() + Duration::minutes(30));
    w.clock
        .advance(Duration::minutes(30) - Duration::seconds(1));
    let listed = w.svc().open_sessions_of(&id).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].idle_expires_at, t0() + Duration::minutes(30));
    w.clock.set(t0() + Duration::minutes(30));
    assert!(w.svc().open_sessions_of(&id).unwrap().is_empty(), "idle");

    // Kept active up to its absolute end (12 h): listed until that instant.
    let start = w.clock.now();
    let (token, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    while w.clock.now() + Duration::minutes(29) < start + Duration::hours(12) {
        w.clock.advance(Duration::minutes(29));
        w.svc().check_session(token.expose()).unwrap();
    }
    w.clock
        .set(start + Duration::hours(12) - Duration::seconds(1));
    assert_eq!(w.svc().open_sessions_of(&id).unwrap().len(), 1);
    w.clock.set(start + Duration::hours(12));
    assert!(w.svc().open_sessions_of(&id).unwrap().is_empty(), "expired");
    assert!(matches!(
        w.svc().check_session(token.expose()),
        Err(SessionError::Expired)
    ));
}

#[test]
fn logout_rotation_and_privilege_changes_end_the_old_id() {
    let w = World::new();
    let id = w.add_ready("noah", &["support"], GOOD);
    let (first, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    let (second, _) = w.svc().rotate_session(first.expose(), Stage::Full).unwrap();
    assert_ne!(first, second);
    assert!(matches!(
        w.svc().check_session(first.expose()),
        Err(SessionError::Revoked)
    ));
    w.svc().check_session(second.expose()).unwrap();
    assert_eq!(w.svc().open_sessions_of(&id).unwrap().len(), 1);
    // A role change ends every open session of the account.
    w.svc()
        .set_staff_roles(&id, &roles_of(&["support", "billing"]))
        .unwrap();
    assert!(matches!(
        w.svc().check_session(second.expose()),
        Err(SessionError::AccountChanged)
    ));
    // Logout.
    let (third, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    w.svc().close_session(third.expose()).unwrap();
    w.svc().close_session(third.expose()).unwrap();
    assert!(matches!(
        w.svc().check_session(third.expose()),
        Err(SessionError::Revoked)
    ));
    // Made-up and malformed tokens are simply unknown.
    for bad in ["", "x", &"A".repeat(43), "../../etc/passwd"] {
        assert!(matches!(
            w.svc().check_session(bad),
            Err(SessionError::Unknown)
        ));
    }
    // A disabled account cannot open a session, and its sessions end.
    let (fourth, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    w.svc().disable_staff(&id).unwrap();
    assert!(matches!(
        w.svc().check_session(fourth.expose()),
        Err(SessionError::AccountChanged)
    ));
    assert!(matches!(
        w.svc().open_session(&id, Stage::Full),
        Err(AuthError::Disabled)
    ));
}

#[test]
fn the_store_holds_only_hashes_of_session_ids() {
    let w = World::new();
    let id = w.add_ready("olga", &["support"], GOOD);
    let (token, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    for doc in w.docs.list_docs("session").unwrap() {
        assert!(!doc.id.contains(token.expose()));
        assert!(!String::from_utf8_lossy(&doc.body).contains(token.expose()));
    }
    let cookie = session_cookie(&token, &w.auth.config().sessions);
    assert!(cookie.starts_with(&format!("{SESSION_COOKIE}={}", token.expose())));
    assert!(cookie.contains("Secure; HttpOnly; SameSite=Strict; Max-Age=43200"));
    let header = format!("theme=dark; {}", cookie.split(';').next().unwrap());
    assert_eq!(token_from_cookie_header(&header), Some(token.expose()));
}

#[test]
fn a_csrf_token_from_another_session_or_a_rotated_one_is_refused() {
    let w = World::new();
    let id = w.add_ready("paul", &["support"], GOOD);
    let (a, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    let (b, _) = w.svc().open_session(&id, Stage::Full).unwrap();
    let csrf = w.auth.csrf();
    let form_a = csrf.token_for(a.expose());
    assert!(csrf.verify(a.expose(), &form_a).is_ok());
    let e = csrf.verify(b.expose(), &form_a).unwrap_err();
    assert!(e.to_string().contains("reload the page"));
    assert!(csrf.verify(a.expose(), "").is_err());
    let (rotated, _) = w.svc().rotate_session(a.expose(), Stage::Full).unwrap();
    assert!(csrf.verify(rotated.expose(), &form_a).is_err());
}

#[derive(Default)]
struct Alerts(Mutex<Vec<AccessDenied>>);

impl DenyHook for Alerts {
    fn access_denied(&self, event: &AccessDenied) {
        self.0.lock().unwrap().push(event.clone());
    }
}

#[test]
fn support_is_refused_billing_data_and_the_refusal_is_reported() {
    let w = World::new();
    let id = w.add_ready("quinn", &["support"], GOOD);
    let staff = w.svc().get_staff(&id).unwrap();
    let roles = w.auth.roles();
    let alerts = Alerts::default();
    let subject = SubjectState::default();
    let support_purpose = PurposeFacts {
        name: "PA-0001".into(),
        direct_marketing: false,
        consent_based: false,
    };
    let billing_purpose = PurposeFacts {
        name: "PA-0002".into(),
        ..support_purpose.clone()
    };
    let ask = |purpose: &PurposeFacts, category: &str| {
        authorise_and_report(
            roles,
            &AccessQuery {
                staff: &staff,
                subject: &subject,
                subject_id: Some("SUB-42"),
                purpose,
                category,
                operation: Operation::Read,
            },
            w.clock.now(),
            &alerts,
        )
    };
    assert_eq!(
        ask(&support_purpose, "contact"),
        StaffAccess::Allow {
            role: "support".into()
        }
    );
    assert!(alerts.0.lock().unwrap().is_empty());
    let refused = ask(&support_purpose, "billing");
    assert_eq!(
        refused,
        StaffAccess::Deny {
            reason: DenyReason::Policy {
                cause: RefusalCause::CategoryOutsideRole {
                    role: "support".into(),
                    category: "billing".into()
                }
            }
        }
    );
    assert!(matches!(
        ask(&billing_purpose, "billing"),
        StaffAccess::Deny { .. }
    ));
    let events = alerts.0.lock().unwrap();
    assert_eq!(events.len(), 2);
    let e = &events[0];
    assert_eq!(
        (
            e.staff_id.as_str(),
            e.category.as_str(),
            e.subject_id.as_deref()
        ),
        (id.as_str(), "billing", Some("SUB-42"))
    );
    assert_eq!(e.article.as_deref(), Some("5(1)(c)"));
    assert!(
        e.message_fr
            .contains("n'a pas accès à la catégorie `billing`")
    );
    let json = serde_json::to_string(e).unwrap();
    assert!(
        json.contains("\"kind\":\"policy\"") && !json.contains("quinn"),
        "{json}"
    );
    assert_eq!(AccessDenied::ACTION, "access_refused");
}

#[test]
fn several_roles_combine_and_a_disabled_account_reads_nothing() {
    let w = World::new();
    let id = w.add_ready("rosa", &["billing", "support"], GOOD);
    let roles = w.auth.roles();
    let staff = w.svc().get_staff(&id).unwrap();
    assert_eq!(
        role_allows(roles, &staff, "PA-0002", "billing"),
        StaffAccess::Allow {
            role: "billing".into()
        }
    );
    assert_eq!(
        role_allows(roles, &staff, "PA-0006", "support"),
        StaffAccess::Allow {
            role: "support".into()
        }
    );
    // Neither role covers connection logs: the reason names the category.
    let StaffAccess::Deny { reason } = role_allows(roles, &staff, "PA-0001", "connection_logs")
    else {
        panic!("connection logs must be refused");
    };
    assert_eq!(reason.key(), "category_outside_role");
    w.svc().disable_staff(&id).unwrap();
    let staff = w.svc().get_staff(&id).unwrap();
    assert_eq!(
        role_allows(roles, &staff, "PA-0002", "billing"),
        StaffAccess::Deny {
            reason: DenyReason::AccountDisabled
        }
    );
}

#[test]
fn long_unicode_passwords_work_whole_and_are_not_truncated() {
    let w = World::new();
    let long =
        "Le cœur a ses raisons que la raison ne connaît point — Pascal, Pensées, 1670 ✓ ÆØÅ 日本語";
    assert!(long.chars().count() > 72);
    w.add_ready("sami", &["support"], long);
    assert!(w.svc().authenticate(&attempt("sami", long, None)).is_ok());
    let prefix: String = long.chars().take(72).collect();
    assert!(matches!(
        w.svc().authenticate(&attempt("sami", &prefix, None)),
        Err(habeas_auth::LoginError::InvalidCredentials)
    ));
    // Case is significant.
    assert!(
        w.svc()
            .authenticate(&attempt("sami", &long.to_uppercase(), None))
            .is_err()
    );
}
