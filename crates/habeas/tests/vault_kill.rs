//! SIGKILL during a write load: every write the server acknowledged (201)
//! is present after a restart, and the journal still verifies.
//!
//! A process kill cannot tell `synchronous = FULL` from `NORMAL`
//! (RELIABILITY.md §0.2); this proves the group-commit path never answers
//! before its commit. The vault ships FULL for power loss.

mod vault_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vault_support::*;

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = project();
    let token = token(dir.path(), "crm", "PA-0006");
    let mut total_acked = 0usize;
    for round in 0..3 {
        let server = Server::start(dir.path());
        let addr = server.addr.clone();
        let subject = new_subject(&addr, &token);
        let acked = Arc::new(Mutex::new(Vec::<String>::new()));
        let deadline = Instant::now() + Duration::from_millis(700 + 300 * round);
        let workers: Vec<_> = (0..8)
            .map(|w| {
                let (addr, token, subject, acked) = (addr.clone(), token.clone(), subject.clone(), Arc::clone(&acked));
                std::thread::spawn(move || {
                    let mut i = 0;
                    loop {
                        i += 1;
                        let body = format!(r#"{{"category":"support","fields":{{"ticket_id":"K-{w}-{i}","body":"charge"}}}}"#);
                        let path = format!("/api/subjects/{subject}/records");
                        let (status, answer) = post(&addr, &path, &token, body.as_bytes());
                        if status != 201 {
                            break; // the server died mid-request: not acknowledged
                        }
                        let id = json(&answer)["record"].as_str().expect("record id").to_string();
                        acked.lock().expect("lock").push(id);
                    }
                })
            })
            .collect();
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        server.kill();
        for w in workers {
            let _ = w.join();
        }
        let acked = acked.lock().expect("lock").clone();
        assert!(
            acked.len() > 10,
            "round {round}: only {} writes acknowledged",
            acked.len()
        );
        let missing = missing_after_crash(dir.path(), &acked);
        assert_eq!(
            missing,
            0,
            "round {round}: {missing} of {} acknowledged writes lost",
            acked.len()
        );
        total_acked += acked.len();
    }
    // After three kills the journal still verifies (its unsigned tail included).
    let (code, out, err) = run(dir.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(total_acked > 30);
}
