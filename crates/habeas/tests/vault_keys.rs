//! Keys: `habeas keys rotate` rewraps every data key under a new KEK without
//! touching the sealed data, and the data stays readable; crypto-shredding a
//! subject makes its records unreadable even from a copy of the data files
//! taken before the erasure.

mod vault_support;

use std::path::Path;

use habeas_engine::{BulkLine, Caller, project, synthetic};
use vault_support::*;

fn payloads(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let conn = rusqlite::Connection::open(data_db(dir)).expect("open");
    conn.prepare("SELECT id, sealed FROM records ORDER BY id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn wrapped_keys(dir: &Path) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(dir.join("keystore/keys.db")).expect("open keystore");
    conn.prepare("SELECT wrapped FROM data_keys ORDER BY subject_id, category")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn key_rotation_rewraps_data_keys_without_reencrypting_data() {
    let dir = project();
    let file = contacts_file(dir.path(), 25);
    assert_eq!(
        run(
            dir.path(),
            &["import", "--quiet", file.to_str().expect("utf-8")]
        )
        .0,
        0
    );
    let data_before = payloads(dir.path());
    let keys_before = wrapped_keys(dir.path());
    assert_eq!(keys_before.len(), 25);

    let (code, out, err) = run(dir.path(), &["keys", "rotate"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("25"), "{out}");
    // The data did not change; every wrapped key did; the old KEK is retired.
    assert_eq!(payloads(dir.path()), data_before);
    let keys_after = wrapped_keys(dir.path());
    assert_eq!(keys_after.len(), 25);
    assert!(keys_before.iter().zip(&keys_after).all(|(a, b)| a != b));
    assert_eq!(
        std::fs::read_dir(dir.path().join("keys/retired"))
            .expect("retired")
            .count(),
        1
    );

    // Still readable and findable after rotation.
    let token = token(dir.path(), "crm", "PA-0001");
    let server = Server::start(dir.path());
    let q = br#"{"kind":"email","value":"import.7@example.org"}"#;
    let (status, body) = post(&server.addr, "/api/subjects/find", &token, q);
    assert_eq!(status, 200, "{body}");
    let subject = json(&body)["subjects"][0]
        .as_str()
        .expect("found")
        .to_string();
    let (status, body) = http(
        &server.addr,
        "GET",
        &format!("/api/subjects/{subject}/records"),
        Some(&token),
        None,
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("import.7@example.org"));
    server.stop();
    // Rotating twice works too (the retired KEK stays available for old backups).
    assert_eq!(run(dir.path(), &["keys", "rotate"]).0, 0);
    assert_eq!(payloads(dir.path()), data_before);
}

#[test]
fn crypto_shredding_makes_an_earlier_copy_of_the_data_unreadable() {
    let dir = project();
    let op = Caller::operator("test", "administration");
    let reader = Caller::operator("test", "PA-0001");
    let (victim, other) = {
        let vault = project::open_project(dir.path()).expect("open vault");
        let lines: Vec<BulkLine> = synthetic::subjects(vault.declarations(), 0, 2);
        let receipt = vault.write_bulk(&op, lines).expect("write");
        let victim = receipt.created_subjects["demo-0"].clone();
        let other = receipt.created_subjects["demo-1"].clone();
        let view = vault.read(&reader, &victim, Some("contact")).expect("read");
        assert_eq!(view.records[0].fields["email"], "demo.0@example.org");
        (victim, other)
    };
    let conn = rusqlite::Connection::open(dir.path().join("keystore/keys.db")).expect("keystore");
    let victim_wrapped: Vec<Vec<u8>> = conn
        .prepare("SELECT wrapped FROM data_keys WHERE subject_id = ?1")
        .expect("prepare")
        .query_map([&victim], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    drop(conn);
    assert!(!victim_wrapped.is_empty());

    // A backup of the data directory, taken before the erasure.
    let backup = tempfile::tempdir().expect("tempdir");
    copy_tree(&dir.path().join("data"), backup.path());

    {
        let vault = project::open_project(dir.path()).expect("open vault");
        let destroyed = vault.shred(&op, &victim).expect("shred");
        assert!(destroyed >= 10, "destroyed {destroyed} keys");
        assert!(
            vault
                .read(&reader, &victim, Some("contact"))
                .expect("read")
                .records
                .is_empty()
        );
    }
    // No byte of the destroyed wrapped keys survives in the key store files (WAL included).
    for (path, bytes) in all_files(&[dir.path().join("keystore")]) {
        for w in &victim_wrapped {
            assert!(
                !contains(&bytes, w),
                "{} still holds a destroyed wrapped key",
                path.display()
            );
        }
    }
    // Put the old data back: the victim's records are there, but unreadable;
    // the other subject's are intact.
    std::fs::remove_dir_all(dir.path().join("data")).expect("rm data");
    copy_tree(backup.path(), &dir.path().join("data"));
    let vault = project::open_project(dir.path()).expect("open restored vault");
    let err = vault
        .read(&reader, &victim, Some("contact"))
        .expect_err("must not decrypt");
    assert!(
        err.to_string().contains("erased") || err.to_string().contains("effacées"),
        "{err}"
    );
    let view = vault
        .read(&reader, &other, Some("contact"))
        .expect("other subject");
    assert_eq!(view.records[0].fields["email"], "demo.1@example.org");
}
