//! Sign-in flows as a staff member and an attacker see them: lock-out, one
//! answer for unknown and wrong, TOTP enrolment and replay, recovery codes,
//! disabled accounts, a full hashing pool, re-hashing after a cost increase.

mod support;

use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::Duration as StdDuration;

use chrono::Duration;
use habeas_auth::totp;
use habeas_auth::{HashParams, LoginError, Stage};
use habeas_core::clock::Clock;
use support::*;

#[test]
fn five_failures_lock_the_account_for_15_minutes_without_hashing_then_it_unlocks() {
    let w = World::new();
    w.add_ready("alice", &["support"], GOOD);
    for _ in 0..5 {
        assert!(matches!(
            w.svc()
                .authenticate(&attempt("alice", "wrong password!", None)),
            Err(LoginError::InvalidCredentials)
        ));
    }
    let hashed = w.auth.pool().jobs_started();
    // Locked: even the right password is refused, and nothing is hashed.
    for _ in 0..20 {
        let e = w
            .svc()
            .authenticate(&attempt("Alice", GOOD, None))
            .unwrap_err();
        let LoginError::Locked { until } = e else {
            panic!("expected a lock, got {e:?}")
        };
        assert_eq!(until, t0() + Duration::minutes(15));
        assert_eq!(e.retry_after_secs(w.clock.now()), Some(900));
    }
    assert_eq!(w.auth.pool().jobs_started(), hashed);
    w.clock.advance(Duration::minutes(14));
    assert!(matches!(
        w.svc().authenticate(&attempt("alice", GOOD, None)),
        Err(LoginError::Locked { .. })
    ));
    w.clock.advance(Duration::minutes(1));
    let ok = w.svc().authenticate(&attempt("alice", GOOD, None)).unwrap();
    assert_eq!(ok.stage, Stage::Full);
    // Success cleared the counter: four new failures do not lock.
    for _ in 0..4 {
        let _ = w
            .svc()
            .authenticate(&attempt("alice", "wrong again!!", None));
    }
    assert!(w.svc().authenticate(&attempt("alice", GOOD, None)).is_ok());
}

#[test]
fn a_guessing_source_is_stopped_across_many_logins() {
    let w = World::new();
    w.add_ready("alice", &["support"], GOOD);
    // 20 failures over 20 made-up logins from one address: the address locks.
    for i in 0..20 {
        let login = format!("guess{i}");
        let _ = w
            .svc()
            .authenticate(&attempt(&login, "whatever pass", None));
    }
    assert!(matches!(
        w.svc().authenticate(&attempt("alice", GOOD, None)),
        Err(LoginError::Locked { .. })
    ));
    // Alice from her own address is not affected.
    let mut mine = attempt("alice", GOOD, None);
    mine.source = ip("203.0.113.9");
    assert!(w.svc().authenticate(&mine).is_ok());
}

#[test]
fn unknown_login_and_wrong_password_get_the_same_answer_the_same_work_and_the_same_lock() {
    let w = World::new();
    w.add_ready("alice", &["support"], GOOD);
    let before = w.auth.pool().jobs_started();
    let unknown = w
        .svc()
        .authenticate(&attempt("nobody", GOOD, None))
        .unwrap_err();
    let after_unknown = w.auth.pool().jobs_started();
    let wrong = w
        .svc()
        .authenticate(&attempt("alice", "not the password", None))
        .unwrap_err();
    let after_wrong = w.auth.pool().jobs_started();
    assert!(matches!(unknown, LoginError::InvalidCredentials));
    assert!(matches!(wrong, LoginError::InvalidCredentials));
    assert_eq!(unknown.to_string(), wrong.to_string());
    // One argon2id verification each.
    assert_eq!(
        (after_unknown - before, after_wrong - after_unknown),
        (1, 1)
    );
    // And an unknown login locks exactly like a known one.
    for _ in 0..4 {
        let _ = w.svc().authenticate(&attempt("nobody", GOOD, None));
        let _ = w
            .svc()
            .authenticate(&attempt("alice", "not the password", None));
    }
    for login in ["nobody", "alice"] {
        let mut a = attempt(login, GOOD, None);
        a.source = ip("203.0.113.50");
        assert!(matches!(
            w.svc().authenticate(&a),
            Err(LoginError::Locked { .. })
        ));
    }
}

#[test]
fn a_disabled_account_is_refused_like_a_wrong_password() {
    let w = World::new();
    let id = w.add_ready("bob", &["billing"], GOOD);
    w.svc().disable_staff(&id).unwrap();
    let e = w
        .svc()
        .authenticate(&attempt("bob", GOOD, None))
        .unwrap_err();
    assert!(matches!(e, LoginError::InvalidCredentials));
    w.svc().enable_staff(&id).unwrap();
    assert!(w.svc().authenticate(&attempt("bob", GOOD, None)).is_ok());
}

#[test]
fn first_sign_in_must_change_the_one_time_password() {
    let w = World::new();
    let (id, initial) = w.add("carol", &["support"]);
    let ok = w
        .svc()
        .authenticate(&attempt("carol", initial.expose(), None))
        .unwrap();
    assert_eq!(ok.stage, Stage::MustChangePassword);
    w.svc()
        .change_password(&id, initial.expose(), GOOD)
        .unwrap();
    // The one-time password is gone; the new one gives a full session.
    assert!(matches!(
        w.svc()
            .authenticate(&attempt("carol", initial.expose(), None)),
        Err(LoginError::InvalidCredentials)
    ));
    let ok = w.svc().authenticate(&attempt("carol", GOOD, None)).unwrap();
    assert_eq!(ok.stage, Stage::Full);
}

/// Enrols TOTP for an account and returns its secret (read back the way an
/// authenticator app would: from the base-32 text of the offer).
fn enrol(w: &World, id: &str) -> (Vec<u8>, Vec<habeas_auth::Secret>) {
    let offer = w.svc().begin_totp_enrolment(id).unwrap();
    assert!(
        offer
            .otpauth_uri
            .expose()
            .starts_with("otpauth://totp/Habeas:")
    );
    assert!(offer.qr_svg.expose().starts_with("<svg"));
    let secret = base32_decode(offer.secret_base32.expose());
    // A wrong code does not confirm.
    assert!(
        w.svc()
            .confirm_totp_enrolment(id, "000000")
            .is_err_and(|e| e.to_string().contains("does not match"))
            || totp::code_at(&secret, w.clock.now()).unwrap() == "000000"
    );
    let code = totp::code_at(&secret, w.clock.now()).unwrap();
    let codes = w.svc().confirm_totp_enrolment(id, &code).unwrap();
    (secret, codes)
}

fn base32_decode(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = alphabet.iter().position(|a| *a == c).unwrap() as u64;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

#[test]
fn an_admin_must_enrol_totp_and_a_used_code_is_never_accepted_twice() {
    let w = World::new();
    let id = w.add_ready("dana", &["admin"], GOOD);
    // Admin without a second factor: the session may only enrol.
    let ok = w.svc().authenticate(&attempt("dana", GOOD, None)).unwrap();
    assert_eq!(ok.stage, Stage::MustEnrolTotp);
    let (limited, _) = w.svc().open_session(&id, ok.stage).unwrap();
    let (secret, codes) = enrol(&w, &id);
    assert_eq!(codes.len(), 10);
    // Enrolment is a privilege change: the limited session ends and the new
    // one is full.
    assert!(matches!(
        w.svc().check_session(limited.expose()),
        Err(habeas_auth::SessionError::AccountChanged)
    ));
    assert_eq!(w.svc().stage_for(&id).unwrap(), Stage::Full);
    // The enrolment code's step is spent: wait for the next step.
    w.clock.advance(Duration::seconds(30));
    assert!(matches!(
        w.svc().authenticate(&attempt("dana", GOOD, None)),
        Err(LoginError::SecondFactorRequired)
    ));
    let code = totp::code_at(&secret, w.clock.now()).unwrap();
    let ok = w
        .svc()
        .authenticate(&attempt("dana", GOOD, Some(&code)))
        .unwrap();
    assert_eq!(ok.stage, Stage::Full);
    // Replay of the same code, in the same step or the next one: refused.
    for wait in [0, 20] {
        w.clock.advance(Duration::seconds(wait));
        assert!(matches!(
            w.svc().authenticate(&attempt("dana", GOOD, Some(&code))),
            Err(LoginError::InvalidCredentials)
        ));
    }
    // The next step's code works once.
    w.clock.advance(Duration::seconds(30));
    let next = totp::code_at(&secret, w.clock.now()).unwrap();
    assert!(
        w.svc()
            .authenticate(&attempt("dana", GOOD, Some(&next)))
            .is_ok()
    );
    // A wrong password with a right code is still one answer.
    w.clock.advance(Duration::seconds(30));
    let code = totp::code_at(&secret, w.clock.now()).unwrap();
    assert!(matches!(
        w.svc()
            .authenticate(&attempt("dana", "not the password", Some(&code))),
        Err(LoginError::InvalidCredentials)
    ));
}

#[test]
fn a_recovery_code_works_once() {
    let w = World::new();
    let id = w.add_ready("erin", &["dpo"], GOOD);
    let (_secret, codes) = enrol(&w, &id);
    let code = codes[0].expose().to_string();
    let ok = w
        .svc()
        .authenticate(&attempt("erin", GOOD, Some(&code)))
        .unwrap();
    assert!(ok.used_recovery_code);
    assert_eq!(ok.recovery_codes_left, 9);
    assert!(matches!(
        w.svc().authenticate(&attempt("erin", GOOD, Some(&code))),
        Err(LoginError::InvalidCredentials)
    ));
    assert_eq!(w.svc().get_staff(&id).unwrap().recovery_codes_left, 9);
    // Another code still works.
    assert!(
        w.svc()
            .authenticate(&attempt("erin", GOOD, Some(codes[1].expose())))
            .is_ok()
    );
}

#[test]
fn mfa_can_be_required_for_every_role() {
    let mut config = test_config();
    config.mfa.all_roles = true;
    let w = World::with_config(config);
    w.add_ready("fred", &["support"], GOOD);
    let ok = w.svc().authenticate(&attempt("fred", GOOD, None)).unwrap();
    assert_eq!(ok.stage, Stage::MustEnrolTotp);
}

#[test]
fn a_full_hashing_pool_answers_busy_at_once_and_does_not_charge_the_login() {
    let config = habeas_auth::AuthConfig {
        pool_workers: 1,
        pool_queue: 0,
        ..test_config()
    };
    let w = Arc::new(World::with_config(config));
    // Set up through a roomier instance on the same store: with no queue, even
    // two calls in a row may find the single thread between jobs.
    let setup = habeas_auth::Auth::new(
        test_config(),
        demo_roles(),
        habeas_auth::CsrfKey::generate().unwrap(),
    )
    .unwrap();
    let svc = setup.service(&w.docs, &w.clock);
    let created = svc
        .add_staff(&habeas_auth::NewStaff {
            login: "gina".into(),
            display_name: "Gina".into(),
            roles: roles_of(&["support"]),
        })
        .unwrap();
    svc.change_password(&created.summary.id, created.initial_password.expose(), GOOD)
        .unwrap();
    // Occupy the only hashing thread.
    let (release_tx, blocker) = occupy_the_hashing_thread(&w);
    for _ in 0..10 {
        let t = std::time::Instant::now();
        let e = w
            .svc()
            .authenticate(&attempt("gina", "wrong password!", None))
            .unwrap_err();
        assert!(matches!(e, LoginError::Busy), "{e:?}");
        assert!(t.elapsed() < StdDuration::from_secs(1));
        assert_eq!(e.retry_after_secs(w.clock.now()), Some(1));
    }
    release_tx.send(()).unwrap();
    blocker.join().unwrap();
    // Ten busy answers locked nothing (the source is charged, below its threshold).
    let mut result = w.svc().authenticate(&attempt("gina", GOOD, None));
    for _ in 0..1000 {
        if !matches!(result, Err(LoginError::Busy)) {
            break;
        }
        std::thread::sleep(StdDuration::from_millis(2));
        result = w.svc().authenticate(&attempt("gina", GOOD, None));
    }
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn a_source_that_keeps_finding_the_pool_full_is_locked_out_and_others_are_not() {
    let config = habeas_auth::AuthConfig {
        pool_workers: 1,
        pool_queue: 0,
        ..test_config()
    };
    let w = Arc::new(World::with_config(config));
    let setup = habeas_auth::Auth::new(
        test_config(),
        demo_roles(),
        habeas_auth::CsrfKey::generate().unwrap(),
    )
    .unwrap();
    let svc = setup.service(&w.docs, &w.clock);
    let created = svc
        .add_staff(&habeas_auth::NewStaff {
            login: "hana".into(),
            display_name: "Hana".into(),
            roles: roles_of(&["support"]),
        })
        .unwrap();
    svc.change_password(&created.summary.id, created.initial_password.expose(), GOOD)
        .unwrap();
    let (release_tx, blocker) = occupy_the_hashing_thread(&w);
    // The per-source rule locks at its 20th failure: 20 busy answers do it.
    let flooder = |login| habeas_auth::LoginAttempt {
        source: ip("203.0.113.9"),
        ..attempt(login, "wrong password!", None)
    };
    for n in 0..20 {
        let e = w.svc().authenticate(&flooder("hana")).unwrap_err();
        assert!(matches!(e, LoginError::Busy), "attempt {n}: {e:?}");
    }
    let e = w.svc().authenticate(&flooder("hana")).unwrap_err();
    assert!(matches!(e, LoginError::Locked { .. }), "{e:?}");
    release_tx.send(()).unwrap();
    blocker.join().unwrap();
    // The flooding source stays locked, before any hashing...
    let e = w
        .svc()
        .authenticate(&habeas_auth::LoginAttempt {
            source: ip("203.0.113.9"),
            ..attempt("hana", GOOD, None)
        })
        .unwrap_err();
    assert!(matches!(e, LoginError::Locked { .. }), "{e:?}");
    // ...while the login itself was not charged: its owner signs in from her own address.
    let mut result = w.svc().authenticate(&attempt("hana", GOOD, None));
    for _ in 0..1000 {
        if !matches!(result, Err(LoginError::Busy)) {
            break;
        }
        std::thread::sleep(StdDuration::from_millis(2));
        result = w.svc().authenticate(&attempt("hana", GOOD, None));
    }
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn a_hash_made_with_older_parameters_is_upgraded_at_sign_in() {
    let w = World::new();
    w.add_ready("hugo", &["support"], GOOD);
    let stronger = habeas_auth::AuthConfig {
        hashing: HashParams {
            memory_kib: 16,
            iterations: 2,
            parallelism: 1,
        },
        ..test_config()
    };
    let upgraded = habeas_auth::Auth::new(
        stronger,
        demo_roles(),
        habeas_auth::CsrfKey::generate().unwrap(),
    )
    .unwrap();
    let svc = upgraded.service(&w.docs, &w.clock);
    svc.authenticate(&attempt("hugo", GOOD, None)).unwrap();
    let doc = habeas_core::docs::DocStore::list_docs(&w.docs, "staff").unwrap();
    let body = String::from_utf8(doc[0].body.clone()).unwrap();
    assert!(body.contains("m=16,t=2,p=1"), "{body}");
    // And the password still works under the new parameters.
    svc.authenticate(&attempt("hugo", GOOD, None)).unwrap();
}

#[test]
fn one_code_raced_by_eight_sign_ins_opens_exactly_one() {
    let config = habeas_auth::AuthConfig {
        pool_workers: 4,
        pool_queue: 16,
        ..test_config()
    };
    let w = Arc::new(World::with_config(config));
    let id = w.add_ready("ines", &["dpo"], GOOD);
    let (secret, _) = enrol(&w, &id);
    w.clock.advance(Duration::seconds(30));
    let code = totp::code_at(&secret, w.clock.now()).unwrap();
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (w, code, barrier) = (Arc::clone(&w), code.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut a = attempt("ines", GOOD, Some(&code));
                a.source = ip(&format!("203.0.113.{}", 10 + i));
                barrier.wait();
                w.svc().authenticate(&a)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok()
        || matches!(
            r,
            Err(LoginError::InvalidCredentials | LoginError::Locked { .. })
        )));
}

#[test]
fn asking_for_the_second_factor_counts_no_failure() {
    let w = World::new();
    let id = w.add_ready("jade", &["admin"], GOOD);
    let (secret, _) = enrol(&w, &id);
    for _ in 0..10 {
        assert!(matches!(
            w.svc().authenticate(&attempt("jade", GOOD, None)),
            Err(LoginError::SecondFactorRequired)
        ));
    }
    w.clock.advance(Duration::seconds(30));
    let code = totp::code_at(&secret, w.clock.now()).unwrap();
    assert!(
        w.svc()
            .authenticate(&attempt("jade", GOOD, Some(&code)))
            .is_ok()
    );
}

/// Runs a job on a one-thread, no-queue pool that holds the thread until the
/// returned sender sends; returns once the job runs. With no queue a job is
/// taken only while the thread waits for one, and on a loaded machine a new
/// thread may not be waiting yet: try again for up to 10 s.
fn occupy_the_hashing_thread(
    w: &Arc<World>,
) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (release_tx, release_rx) = channel::<()>();
    let (running_tx, running_rx) = channel::<()>();
    let w2 = Arc::clone(w);
    let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
    let blocker = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + StdDuration::from_secs(10);
        loop {
            let (running, release) = (running_tx.clone(), Arc::clone(&release_rx));
            match w2.auth.pool().try_run(move || {
                running.send(()).unwrap();
                release.lock().unwrap().recv().unwrap();
            }) {
                Ok(()) => break,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(StdDuration::from_millis(5));
                }
                Err(e) => panic!("the hashing thread never took a job: {e:?}"),
            }
        }
    });
    running_rx.recv_timeout(StdDuration::from_secs(10)).unwrap();
    (release_tx, blocker)
}

/// Passwords over 256 characters and logins over 256 bytes are refused
/// before any hashing (a megabyte password would cost the pool dearly),
/// with the answer a wrong password gets, and they count as failures; at
/// the limit itself they are hashed like any other attempt.
#[test]
fn an_over_long_password_or_login_is_refused_before_hashing() {
    let w = World::new();
    w.add_ready("alice", &["support"], GOOD);
    let pool = || w.auth.pool().jobs_started();
    let try_once = |login: &str, password: &str| {
        let before = pool();
        let answer = w.svc().authenticate(&attempt(login, password, None));
        assert!(
            matches!(answer, Err(LoginError::InvalidCredentials)),
            "{answer:?}"
        );
        pool() - before
    };
    assert_eq!(try_once("alice", &"p".repeat(257)), 0, "257 characters");
    assert_eq!(try_once("alice", &"é".repeat(256)), 1, "256 characters");
    assert_eq!(
        try_once(&"x".repeat(257), "wrong password!"),
        0,
        "257 bytes"
    );
    assert_eq!(
        try_once(&"x".repeat(256), "wrong password!"),
        1,
        "256 bytes"
    );
    // Each counted: alice's fifth failure locks her, with no hash.
    for _ in 0..3 {
        try_once("alice", &"p".repeat(300));
    }
    assert!(matches!(
        w.svc().authenticate(&attempt("alice", GOOD, None)),
        Err(LoginError::Locked { .. })
    ));
}
