//! `habeas backup` through the real binary on a copy of the demo provider:
//! a backup made while the server runs verifies, a flipped byte fails
//! verification, rotation keeps what the policy says, and the
//! no-resurrection test — back up, erase a subject, restore the old backup:
//! nothing of that subject is readable or findable. The same round trip on
//! PostgreSQL when `HABEAS_TEST_POSTGRES_URL` is set and `pg_dump`/`psql`
//! exist (skipped loudly otherwise, failing under `HABEAS_REQUIRE_TOOLS=1`).

mod vault_support;

use std::path::{Path, PathBuf};

use habeas_engine::{Caller, project};
use vault_support::*;

fn operator() -> Caller {
    Caller::operator("test", "administration")
}

fn contact(subject: &str, email: &str) -> String {
    format!(
        r#"{{"subject_ref":"{subject}","category":"contact","fields":{{"email":"{email}","language":"fr"}},"collected_at":"2026-01-05T09:00:00Z"}}"#
    )
}

fn import(dir: &Path, lines: &[String]) {
    std::fs::write(dir.join("people.jsonl"), lines.join("\n") + "\n").expect("write jsonl");
    let (code, _, err) = run(dir, &["import", "people.jsonl", "--quiet"]);
    assert_eq!(code, 0, "import failed: {err}");
}

fn subject_of(dir: &Path, email: &str) -> Option<String> {
    let vault = project::open_project(dir).expect("open vault");
    let found = vault.find(&operator(), "email", email).expect("find");
    found.into_iter().next()
}

/// `backup create`, returning the file it wrote.
fn create(dir: &Path) -> PathBuf {
    let (code, out, err) = run(dir, &["backup", "create", "--lang", "en"]);
    assert_eq!(code, 0, "backup create failed: {err}");
    let path = out
        .trim()
        .strip_prefix("backup written: ")
        .and_then(|rest| rest.split(" (").next())
        .unwrap_or_else(|| panic!("unexpected output: {out}"));
    PathBuf::from(path)
}

#[test]
fn a_backup_made_while_the_server_runs_verifies_and_a_flipped_byte_fails() {
    let dir = project();
    let d = dir.path();
    import(
        d,
        &[
            contact("a", "anna.fictive@example.org"),
            contact("b", "boris.fictif@example.org"),
        ],
    );
    let server = Server::start(d);
    let file = create(d);
    // A restore while the server holds the SQLite store is refused before
    // anything changes, and says what to do.
    let name_now = file.to_string_lossy().to_string();
    let (code, _, err) = run(d, &["backup", "restore", &name_now]);
    assert_ne!(code, 0, "a restore under a running server must be refused");
    assert!(
        err.contains("a `habeas serve` is running on this project")
            && err.contains("stop it, then run the restore again"),
        "{err}"
    );
    let (status, _) = http(&server.addr, "GET", "/healthz", None, None, None);
    assert_eq!(status, 200, "the server still answers");
    server.stop();
    assert!(subject_of(d, "anna.fictive@example.org").is_some());
    // Once the server is stopped (and after a SIGKILL too: the OS frees
    // the lock) the same restore goes through.
    let server = Server::start(d);
    server.kill();
    let (code, _, err) = run(d, &["backup", "restore", &name_now]);
    assert_eq!(code, 0, "restore after the server stopped: {err}");
    assert!(file.starts_with(d.join("backups")), "{}", file.display());

    let (code, out, _) = run(d, &["backup", "list"]);
    assert_eq!(code, 0);
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    assert!(out.contains(&name), "{out}");
    let (code, out, err) = run(d, &["backup", "verify", &name, "--lang", "en"]);
    assert_eq!(code, 0, "verify failed: {out}{err}");
    assert!(out.contains("backup sound"), "{out}");

    // The backup holds no plaintext and no key file content.
    let bytes = std::fs::read(&file).expect("read backup");
    assert!(!bytes.windows(10).any(|w| w == b"anna.ficti"));
    let kek = std::fs::read(d.join("keys").join("kek.key")).expect("kek");
    assert!(
        !bytes
            .windows(kek.len().min(32))
            .any(|w| w == &kek[..kek.len().min(32)])
    );

    // One flipped byte in the middle: verification fails, names the damage.
    let mut damaged = bytes.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x01;
    let bad = d.join("damaged.hbk");
    std::fs::write(&bad, &damaged).expect("write damaged");
    let (code, _, err) = run(
        d,
        &["backup", "verify", bad.to_str().unwrap(), "--lang", "en"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("backup NOT sound"), "{err}");
    assert!(err.contains("failed authentication"), "{err}");
    // A name that is no file is a mistake to fix, not a damaged backup.
    let (code, _, err) = run(d, &["backup", "verify", "no-such.hbk", "--lang", "en"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no backup file of that name") && !err.contains("NOT sound"),
        "{err}"
    );
    // A restore of a damaged file changes nothing.
    let (code, _, err) = run(d, &["backup", "restore", bad.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("failed authentication"), "{err}");
    assert!(subject_of(d, "anna.fictive@example.org").is_some());
    // Damage in the final tag (the last bytes a one-pass restore reads, after
    // copying everything else) or a file cut short: still nothing changes,
    // and the staged copy is gone.
    let mut damaged_tail = bytes.clone();
    let last = damaged_tail.len() - 1;
    damaged_tail[last] ^= 0x01;
    for (what, content) in [
        ("a flipped final byte", damaged_tail),
        ("a cut file", bytes[..bytes.len() - 7].to_vec()),
    ] {
        std::fs::write(&bad, &content).expect("write damaged");
        let (code, _, err) = run(d, &["backup", "restore", bad.to_str().unwrap()]);
        assert_ne!(code, 0, "{what} restored");
        assert!(err.contains("failed authentication"), "{what}: {err}");
        assert!(
            !d.join("data").join("habeas.db.restoring").exists(),
            "{what}: the staged copy was left behind"
        );
        assert!(
            subject_of(d, "anna.fictive@example.org").is_some(),
            "{what}"
        );
        assert!(
            subject_of(d, "boris.fictif@example.org").is_some(),
            "{what}"
        );
    }
}

#[test]
fn rotation_deletes_only_what_the_policy_no_longer_keeps() {
    let dir = project();
    let d = dir.path();
    let backups = d.join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    // Ten daily "backups" (only names matter to rotation) and a foreign file.
    for day in 1..=10 {
        std::fs::write(
            backups.join(format!("habeas-backup-202611{day:02}T023000Z.hbk")),
            b"x",
        )
        .unwrap();
    }
    std::fs::write(backups.join("notes.txt"), b"keep me").unwrap();
    let (code, out, err) = run(
        d,
        &[
            "backup",
            "rotate",
            "--daily",
            "3",
            "--weekly",
            "0",
            "--monthly",
            "0",
            "--lang",
            "en",
        ],
    );
    assert_eq!(code, 0, "rotate failed: {err}");
    assert!(out.contains("3 kept, 7 deleted"), "{out}");
    let mut left: Vec<String> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "habeas-backup-20261108T023000Z.hbk",
            "habeas-backup-20261109T023000Z.hbk",
            "habeas-backup-20261110T023000Z.hbk",
            "notes.txt"
        ]
    );
    // A policy keeping nothing is refused, deleting nothing.
    let (code, _, err) = run(
        d,
        &[
            "backup",
            "rotate",
            "--daily",
            "0",
            "--weekly",
            "0",
            "--monthly",
            "0",
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("keeps no backup at all"), "{err}");
    assert_eq!(std::fs::read_dir(&backups).unwrap().count(), 4);
}

#[test]
fn an_erased_subject_stays_erased_after_restoring_an_older_backup() {
    let dir = project();
    let d = dir.path();
    import(
        d,
        &[
            contact("a", "anna.fictive@example.org"),
            contact("b", "boris.fictif@example.org"),
        ],
    );
    let a = subject_of(d, "anna.fictive@example.org").expect("a");
    let old = create(d);

    // After the backup: a is erased (tombstone recorded), c arrives.
    {
        let vault = project::open_project(d).expect("open");
        vault.shred_recorded(&operator(), &a).expect("erase a");
    }
    import(d, &[contact("c", "carla.fictive@example.org")]);
    assert!(subject_of(d, "anna.fictive@example.org").is_none());

    let (code, out, err) = run(
        d,
        &["backup", "restore", old.to_str().unwrap(), "--lang", "en"],
    );
    assert_eq!(code, 0, "restore failed: {err}");
    assert!(out.contains("backup restored"), "{out}");
    assert!(out.contains("events re-applied: 1 (1 erasures"), "{out}");
    assert!(out.contains("due records purged again: 0"), "{out}");

    // Nothing of a is readable or findable; b came back; c was after the backup.
    assert!(
        subject_of(d, "anna.fictive@example.org").is_none(),
        "a is found again"
    );
    let vault = project::open_project(d).expect("open");
    let view = vault.read(&operator(), &a, None).expect("read a");
    assert!(view.records.is_empty(), "a's records came back");
    assert_eq!(view.status, "erased");
    drop(vault);
    assert!(subject_of(d, "boris.fictif@example.org").is_some());
    assert!(subject_of(d, "carla.fictive@example.org").is_none());
    // The restored vault's journal verifies.
    let (code, out, err) = run(d, &["audit", "verify"]);
    assert_eq!(code, 0, "audit verify: {out}{err}");
}

/// The test server's URL when the PostgreSQL round trip can run (it also
/// needs `pg_dump` and `psql`); a loud skip otherwise.
fn pg_backup_url() -> Option<String> {
    let url = postgres_url("the PostgreSQL backup round trip")?;
    if !habeas_engine::backup::pg_tools_available() {
        assert!(
            std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "HABEAS_REQUIRE_TOOLS=1 but pg_dump/psql are missing"
        );
        eprintln!(
            "SKIPPED: pg_dump or psql is missing (apt-get install postgresql-client); the PostgreSQL backup round trip did not run"
        );
        return None;
    }
    Some(url)
}

#[test]
fn postgres_backup_round_trip_never_resurrects_an_erased_subject() {
    let Some(url) = pg_backup_url() else { return };
    let dir = project();
    let d = dir.path();
    let _schemas = use_postgres(d, &url, "habeas_bk");
    import(
        d,
        &[
            contact("a", "anna.fictive@example.org"),
            contact("b", "boris.fictif@example.org"),
        ],
    );
    let a = subject_of(d, "anna.fictive@example.org").expect("a");
    let server = Server::start(d);
    let old = create(d);
    server.stop();
    let (code, out, err) = run(d, &["backup", "verify", old.to_str().unwrap()]);
    assert_eq!(code, 0, "verify: {out}{err}");
    {
        let vault = project::open_project(d).expect("open");
        vault.shred_recorded(&operator(), &a).expect("erase a");
    }
    let (code, out, err) = run(
        d,
        &["backup", "restore", old.to_str().unwrap(), "--lang", "en"],
    );
    assert_eq!(code, 0, "restore failed: {out}{err}");
    assert!(
        subject_of(d, "anna.fictive@example.org").is_none(),
        "a is found again"
    );
    assert!(subject_of(d, "boris.fictif@example.org").is_some());
    let vault = project::open_project(d).expect("open");
    assert!(
        vault
            .read(&operator(), &a, None)
            .expect("read")
            .records
            .is_empty()
    );
}

/// The real flows write the tombstones a restore replays: a mail user's
/// lists erased with `habeas mail list erase` and a consent withdrawn with
/// `habeas consent withdraw` after the backup stay erased and withdrawn.
#[test]
fn list_erasures_and_consent_withdrawals_made_after_a_backup_survive_its_restore() {
    let dir = project();
    let d = dir.path();
    import(d, &[contact("a", "anna.fictive@example.org")]);
    let a = subject_of(d, "anna.fictive@example.org").expect("a");
    let ok = |args: &[&str]| {
        let (code, out, err) = run(d, args);
        assert_eq!(code, 0, "habeas {args:?}: {err}");
        out
    };
    ok(&[
        "mail",
        "list",
        "add",
        "user@corp.example",
        "--perso",
        "mum@family.example",
    ]);
    ok(&["consent", "give", &a, "newsletter"]);
    let old = create(d);

    ok(&["mail", "list", "erase", "user@corp.example", "--yes"]);
    ok(&["consent", "withdraw", &a, "newsletter"]);

    let out = ok(&["backup", "restore", old.to_str().unwrap(), "--lang", "en"]);
    assert!(out.contains("backup restored"), "{out}");
    let lists = ok(&["mail", "list", "show", "user@corp.example"]);
    assert!(
        !lists.contains("mum@family.example"),
        "lists came back: {lists}"
    );
    let state = ok(&["consent", "show", &a, "--lang", "en"]);
    assert!(state.contains("withdrawn"), "consent came back: {state}");
}
