//! Measures what sign-in costs with the production argon2id parameters:
//! time per hash, sign-ins refused by the lock-out (no hashing), and the
//! time of an unknown login next to a wrong password.
//!
//! `cargo run --release -p habeas-auth --example login_cost`

use std::net::IpAddr;
use std::time::Instant;

use habeas_auth::password::hash_password;
use habeas_auth::{Auth, AuthConfig, CsrfKey, HashParams, LoginAttempt, NewStaff, RoleCatalog};
use habeas_core::clock::SystemClock;
use habeas_core::docs::MemoryDocs;
use habeas_core::rights::policy::ActorScope;

fn main() {
    let params = HashParams::OWASP;
    let n = 20;
    let t = Instant::now();
    for _ in 0..n {
        hash_password(&params, "sept chevaux bleus dansent").expect("hash");
    }
    let per_hash = t.elapsed().as_secs_f64() * 1000.0 / n as f64;
    println!("argon2id m=19 MiB t=2 p=1: {per_hash:.1} ms/hash");

    let roles = RoleCatalog::from_scopes([ActorScope {
        role: "support".into(),
        ..ActorScope::default()
    }]);
    let auth = Auth::new(
        AuthConfig::default(),
        roles,
        CsrfKey::generate().expect("key"),
    )
    .expect("auth");
    let docs = MemoryDocs::new();
    let svc = auth.service(&docs, &SystemClock);
    let created = svc
        .add_staff(&NewStaff {
            login: "alice".into(),
            display_name: "Alice".into(),
            roles: ["support".to_string()].into(),
        })
        .expect("add");
    let source: IpAddr = "192.0.2.1".parse().expect("ip");
    let attempt = |login: &'static str, password: &'static str| LoginAttempt {
        login,
        password,
        second_factor: None,
        source,
    };
    // Interleaved, four of each (a fifth failure would lock alice).
    let (mut wrong, mut unknown) = (0.0, 0.0);
    for _ in 0..4 {
        for (login, total) in [("alice", &mut wrong), ("nobody", &mut unknown)] {
            let t = Instant::now();
            let _ = svc.authenticate(&attempt(login, "wrong password here"));
            *total += t.elapsed().as_secs_f64() * 1000.0 / 4.0;
        }
    }
    println!("wrong password: {wrong:.1} ms, unknown login: {unknown:.1} ms (mean of 4)");
    let _ = created;
    // Lock alice, then flood: every attempt is refused before hashing.
    let _ = svc.authenticate(&attempt("alice", "wrong password here"));
    let hashed = auth.pool().jobs_started();
    let flood = 10_000;
    let t = Instant::now();
    for _ in 0..flood {
        let _ = svc.authenticate(&attempt("alice", "wrong password here"));
    }
    let elapsed = t.elapsed();
    println!(
        "{flood} locked-out attempts: {:.1} ms in all ({:.2} µs each), {} hashes",
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() * 1e6 / flood as f64,
        auth.pool().jobs_started() - hashed
    );
}
