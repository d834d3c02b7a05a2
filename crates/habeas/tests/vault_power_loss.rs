//! Power loss, not just a process kill (RELIABILITY.md §0.2): the vault runs
//! on `tests/tools/lossyfs.py`, a FUSE file system that keeps every written
//! byte in memory until the file is fsync'd and drops all of it when the
//! power is cut. A write the server acknowledged (201) must still be there
//! afterwards — which holds only because the store commits with
//! `synchronous = FULL` and answers after the commit.
//!
//! The first test proves the simulator can tell: plain SQLite in WAL mode
//! with `synchronous = NORMAL` loses committed transactions at a power cut,
//! with `FULL` it keeps them all.
//!
//! The same file system also fills up on demand (RELIABILITY.md T05, T06):
//! with the disk full, no write is acknowledged and no record is read out
//! without its journal entry; once space is freed the server goes on without
//! a restart, and nothing acknowledged is missing.
//!
//! Needs python3 with fusepy, libfuse2 and /dev/fuse (`.ci/run` installs
//! them); skipped loudly without them, failing under HABEAS_REQUIRE_TOOLS=1.

mod lossy_support;
mod vault_support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lossy_support::{Lossy, tools_or_skip};
use vault_support::*;

/// A project on lossyfs, served from the mount, with a `crm` token
/// (PA-0006) and one subject. `before` runs on the project first (tokens
/// are made by the CLI before the mount).
struct OnLossy {
    dir: tempfile::TempDir,
    token: String,
    mount: Lossy,
    server: Server,
    subject: String,
}

fn on_lossy(before: impl FnOnce(&Path)) -> OnLossy {
    let dir = project();
    before(dir.path());
    let token = token(dir.path(), "crm", "PA-0006");
    let mount = Lossy::mount(dir.path());
    let server = Server::start(&mount.path());
    let subject = new_subject(&server.addr, &token);
    OnLossy {
        dir,
        token,
        mount,
        server,
        subject,
    }
}

/// After a power cut the shared-memory index is gone with the page cache.
fn remove_shm(dir: &Path) {
    for sub in ["data", "keystore"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().ends_with("-shm") {
                std::fs::remove_file(e.path()).expect("remove -shm");
            }
        }
    }
}

/// Commits 200 one-row transactions through the mount and waits to be killed.
const SQLITE_LOAD: &str = r#"
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[2], isolation_level=None)
c.execute("PRAGMA journal_mode=WAL")
c.execute("PRAGMA synchronous=" + sys.argv[1])
c.execute("CREATE TABLE t (i INTEGER)")
for i in range(200):
    c.execute("BEGIN"); c.execute("INSERT INTO t VALUES (?)", (i,)); c.execute("COMMIT")
print("committed", flush=True)
time.sleep(120)
"#;

fn rows_after_power_cut(synchronous: &str) -> i64 {
    let backing = tempfile::tempdir().expect("backing");
    let mount = Lossy::mount(backing.path());
    let db = mount.path().join("t.db");
    let mut load = Command::new("python3")
        .args(["-c", SQLITE_LOAD, synchronous])
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(load.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("read");
    assert_eq!(line.trim(), "committed");
    mount.cut_power();
    let _ = load.kill();
    let _ = load.wait();
    let mut mount = mount;
    mount.unmount();
    let _ = std::fs::remove_file(backing.path().join("t.db-shm"));
    let conn = rusqlite::Connection::open(backing.path().join("t.db")).expect("open");
    conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
        .unwrap_or(0)
}

#[test]
fn the_power_cut_simulator_loses_what_sqlite_did_not_sync() {
    if !tools_or_skip("the_power_cut_simulator_loses_what_sqlite_did_not_sync") {
        return;
    }
    let normal = rows_after_power_cut("NORMAL");
    let full = rows_after_power_cut("FULL");
    assert!(
        normal < 200,
        "synchronous=NORMAL kept all 200 committed rows: the simulator dropped nothing"
    );
    assert_eq!(full, 200, "synchronous=FULL lost committed rows");
}

#[test]
fn acknowledged_writes_survive_a_power_cut() {
    if !tools_or_skip("acknowledged_writes_survive_a_power_cut") {
        return;
    }
    let OnLossy {
        dir,
        token,
        mount,
        server,
        subject,
    } = on_lossy(|_| {});
    let addr = server.addr.clone();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_millis(1500);
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (addr, token, subject, acked) = (
                addr.clone(),
                token.clone(),
                subject.clone(),
                Arc::clone(&acked),
            );
            std::thread::spawn(move || {
                for i in 0.. {
                    let body = format!(
                        r#"{{"category":"support","fields":{{"ticket_id":"P-{w}-{i}","body":"coupure"}}}}"#
                    );
                    let path = format!("/api/subjects/{subject}/records");
                    let (status, answer) = post(&addr, &path, &token, body.as_bytes());
                    if status != 201 {
                        break; // the power went mid-request: not acknowledged
                    }
                    let id = json(&answer)["record"]
                        .as_str()
                        .expect("record id")
                        .to_string();
                    acked.lock().expect("lock").push(id);
                }
            })
        })
        .collect();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // The power goes: the disk forgets what was not synced, the process dies.
    mount.cut_power();
    server.kill();
    let mut mount = mount;
    mount.unmount();
    for w in workers {
        let _ = w.join();
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(acked.len() > 5, "only {} writes acknowledged", acked.len());
    eprintln!("{} writes acknowledged before the power cut", acked.len());

    remove_shm(dir.path());
    let missing = missing_after_crash(dir.path(), &acked);
    assert_eq!(
        missing,
        0,
        "{missing} of {} acknowledged writes lost at the power cut",
        acked.len()
    );

    // The subject's data key (wrapped in the key store, written during the
    // load) survived too: every acknowledged record reads back, and the
    // journal verifies.
    let server = Server::start(dir.path());
    let (status, body) = http(
        &server.addr,
        "GET",
        &format!("/api/subjects/{subject}/records?category=support"),
        Some(&token),
        None,
        None,
    );
    assert_eq!(status, 200, "{body}");
    let read = json(&body)["records"].as_array().map_or(0, Vec::len);
    assert!(
        read >= acked.len(),
        "{read} records read back, {} acknowledged",
        acked.len()
    );
    server.stop();
    let (code, out, err) = run(dir.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_full_disk_refuses_writes_and_unjournaled_reads_then_recovers() {
    if !tools_or_skip("a_full_disk_refuses_writes_and_unjournaled_reads_then_recovers") {
        return;
    }
    let (mut security, mut mail) = (String::new(), String::new());
    let OnLossy {
        dir,
        token,
        mut mount,
        server,
        subject,
    } = on_lossy(|d| {
        security = token(d, "soc", "PA-0004");
        mail = token(d, "mail-relay", "PA-0102");
    });
    let addr = server.addr.clone();
    let path = format!("/api/subjects/{subject}/records");
    let ticket = |n: &str| {
        format!(r#"{{"category":"support","fields":{{"ticket_id":"{n}","body":"disque plein"}}}}"#)
    };
    let mut acked = Vec::new();
    for i in 0..3 {
        let (status, body) = post(
            &addr,
            &path,
            &token,
            ticket(&format!("F-before-{i}")).as_bytes(),
        );
        assert_eq!(status, 201, "{body}");
        acked.push(json(&body)["record"].as_str().expect("id").to_string());
    }

    mount.fill_disk();
    for i in 0..10 {
        let (status, body) = post(
            &addr,
            &path,
            &token,
            ticket(&format!("F-full-{i}")).as_bytes(),
        );
        assert!(
            !(200..300).contains(&status),
            "a write acknowledged on a full disk: {status} {body}"
        );
        assert_eq!(
            (status, json(&body)["error"]["code"].as_str()),
            (503, Some("storage_full")),
            "a full disk answers 503 storage_full: {body}"
        );
        assert!(
            !body.contains("F-full") && !body.contains("/tmp"),
            "no value and no path in the answer: {body}"
        );
    }
    // Reading needs its journal entry committed first (SPEC C6): refused too.
    let (status, body) = http(&addr, "GET", &path, Some(&token), None, None);
    assert_eq!(
        (status, json(&body)["error"]["code"].as_str()),
        (503, Some("storage_full")),
        "records read out without a committed journal entry: {body}"
    );
    // The domains' documents (here the breach register's) are refused alike.
    let (status, body) = post(
        &addr,
        "/api/breaches",
        &security,
        br#"{"detected_at":"2026-11-20T17:00:00Z","aware_at":"2026-11-20T18:30:00Z",
            "natures":["availability"],"description":"Disque plein."}"#,
    );
    assert_eq!(
        (status, json(&body)["error"]["code"].as_str()),
        (503, Some("storage_full")),
        "a breach opened on a full disk: {body}"
    );
    // So are the mail privacy lists (their own store over the vault).
    let lists = "/api/mail/lists/t05.fictive@corp.example/entries";
    let entry = br#"{"perso": ["t05-mum@family.example"]}"#;
    let (status, body) = http(&addr, "POST", lists, Some(&mail), None, Some(entry));
    assert_eq!(
        (status, json(&body)["error"]["code"].as_str()),
        (503, Some("storage_full")),
        "mail lists changed on a full disk: {body}"
    );
    assert!(!body.contains("t05"), "no address in the answer: {body}");

    mount.free_disk();
    let deadline = Instant::now() + Duration::from_secs(10);
    let answered = loop {
        let (status, body) = post(&addr, &path, &token, ticket("F-after").as_bytes());
        if status == 201 {
            break json(&body)["record"].as_str().expect("id").to_string();
        }
        assert!(
            Instant::now() < deadline,
            "writes still refused 10 s after space was freed: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    acked.push(answered);
    let (status, body) = http(&addr, "POST", lists, Some(&mail), None, Some(entry));
    assert_eq!(status, 200, "mail lists once space is freed: {body}");
    let (status, body) = http(&addr, "GET", &path, Some(&token), None, None);
    assert_eq!(status, 200, "{body}");
    let records = json(&body)["records"].as_array().map_or(0, Vec::len);
    assert_eq!(records, acked.len(), "{body}");
    server.stop();
    mount.unmount();
    assert_eq!(missing_after_crash(dir.path(), &acked), 0);
    let (code, out, err) = run(dir.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// An fsync that fails (RELIABILITY.md T05; PostgreSQL's "fsyncgate"):
/// Linux drops the unsynced data after a failed writeback, and a later
/// fsync succeeds. A commit whose sync failed must not be acknowledged nor
/// read back, the server must go on once syncs work again, and nothing
/// acknowledged — before or after — may be missing after a later power cut.
#[test]
fn a_failed_fsync_acknowledges_nothing_and_loses_nothing_acknowledged() {
    if !tools_or_skip("a_failed_fsync_acknowledges_nothing_and_loses_nothing_acknowledged") {
        return;
    }
    let OnLossy {
        dir,
        token,
        mount,
        server,
        subject,
    } = on_lossy(|_| {});
    let addr = server.addr.clone();
    let path = format!("/api/subjects/{subject}/records");
    let ticket = |n: &str| {
        format!(
            r#"{{"category":"support","fields":{{"ticket_id":"{n}","body":"écriture perdue"}}}}"#
        )
    };
    let mut acked = Vec::new();
    let write = |n: &str| post(&addr, &path, &token, ticket(n).as_bytes());
    for i in 0..3 {
        let (status, body) = write(&format!("S-before-{i}"));
        assert_eq!(status, 201, "{body}");
        acked.push(json(&body)["record"].as_str().expect("id").to_string());
    }

    mount.fail_syncs();
    for i in 0..5 {
        let (status, body) = write(&format!("S-failed-{i}"));
        assert!(
            status >= 500,
            "a write acknowledged though its sync failed: {status} {body}"
        );
        assert!(
            !body.contains("S-failed") && !body.contains("/tmp") && !body.contains(".rs:"),
            "no value, path or trace in the answer: {body}"
        );
    }
    let (status, body) = http(&addr, "GET", &path, Some(&token), None, None);
    assert!(
        status >= 500,
        "records read out though their journal entry could not be synced: {status} {body}"
    );

    mount.sync_ok();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = write("S-after-0");
        if status == 201 {
            acked.push(json(&body)["record"].as_str().expect("id").to_string());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes still refused 10 s after syncs work again: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for i in 1..4 {
        let (status, body) = write(&format!("S-after-{i}"));
        assert_eq!(status, 201, "{body}");
        acked.push(json(&body)["record"].as_str().expect("id").to_string());
    }
    // What was refused is not there; what was acknowledged is.
    let (status, body) = http(&addr, "GET", &path, Some(&token), None, None);
    assert_eq!(status, 200, "{body}");
    assert!(
        !body.contains("S-failed"),
        "a refused write reads back: {body}"
    );
    let records = json(&body)["records"].as_array().map_or(0, Vec::len);
    assert_eq!(records, acked.len(), "{body}");

    // The power goes: nothing acknowledged may be missing afterwards.
    mount.cut_power();
    server.kill();
    let mut mount = mount;
    mount.unmount();
    remove_shm(dir.path());
    let missing = missing_after_crash(dir.path(), &acked);
    assert_eq!(
        missing,
        0,
        "{missing} of {} acknowledged writes lost",
        acked.len()
    );
    let (code, out, err) = run(dir.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
