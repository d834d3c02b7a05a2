//! The vault's flows end to end on both storage backends: write (ordinary
//! and high-volume), read, find, rectify, delete one record, sealed
//! documents with optimistic concurrency, key rotation, crypto-shredding and
//! journal verification. On PostgreSQL (`HABEAS_TEST_POSTGRES_URL`; skipped
//! loudly when unset unless `HABEAS_REQUIRE_TOOLS=1`) a `pg_dump` of the data
//! and key schemas is scanned for the plaintext of every value written.

use std::sync::Arc;

use habeas_core::clock::SystemClock;
use habeas_core::docs::{DocError, DocStore};
use habeas_engine::{Caller, EngineError, Vault, VaultPaths, Verdict};
use serde_json::json;

mod common;
use common::{PgVault, declarations, input, open, postgres_url};

fn refusal_code(e: &EngineError) -> &'static str {
    e.refusal().map_or("none", |r| r.code)
}

/// The values the flow writes, for the plaintext scan.
fn written_values(tag: &str) -> Vec<String> {
    vec![
        format!("first.{tag}@example.org"),
        format!("second.{tag}@example.org"),
        format!("third.{tag}@example.org"),
        format!("Rue du Secret {tag}"),
        format!("Nomfictif{tag}"),
        "198.51.100.77".to_string(),
        format!("document body {tag}"),
    ]
}

/// Write, read, find, rectify, delete, documents; returns the subject.
fn exercise(vault: &Vault, tag: &str) -> String {
    let op = Caller::operator("test", "PA-0001");
    let v = written_values(tag);
    let s = vault.create_subject(&op, None).expect("subject");
    let r1 = vault
        .write(
            &op,
            &s,
            input("contact", json!({ "email": v[0], "postal_address": v[3] })),
        )
        .expect("write r1")
        .record;
    let r2 = vault
        .write(&op, &s, input("contact", json!({ "email": v[1] })))
        .expect("write r2")
        .record;
    vault
        .write(&op, &s, input("identity", json!({ "last_name": v[4] })))
        .expect("write identity");
    vault
        .write(&op, &s, input("connection_logs", json!({ "ip": v[5] })))
        .expect("write high-volume");

    let view = vault.read(&op, &s, None).expect("read");
    assert_eq!(view.records.len(), 4, "{view:?}");
    let log = view
        .records
        .iter()
        .find(|r| r.category == "connection_logs")
        .expect("log row");
    assert_eq!(log.fields.get("ip"), Some(&json!(v[5])));
    assert_eq!(
        vault.find(&op, "email", &v[0]).expect("find"),
        vec![s.clone()]
    );
    assert_eq!(
        vault.find(&op, "email", &v[1]).expect("find"),
        vec![s.clone()]
    );

    // Rectification (Art. 16): new content, same id, index follows.
    vault
        .replace_record(&op, &s, &r2, input("contact", json!({ "email": v[2] })))
        .expect("rectify");
    assert!(
        vault.find(&op, "email", &v[1]).expect("find").is_empty(),
        "old e-mail no longer found"
    );
    assert_eq!(
        vault.find(&op, "email", &v[2]).expect("find"),
        vec![s.clone()]
    );
    let contact = vault.read(&op, &s, Some("contact")).expect("read contact");
    let rectified = contact
        .records
        .iter()
        .find(|r| r.id == r2)
        .expect("same id");
    assert_eq!(rectified.fields.get("email"), Some(&json!(v[2])));
    let mismatch = vault
        .replace_record(&op, &s, &r2, input("identity", json!({ "last_name": "X" })))
        .expect_err("category change refused");
    assert_eq!(refusal_code(&mismatch), "category_mismatch");

    // Erasure of one record: gone, and so is its identifier in the index.
    vault.delete_record(&op, &s, &r1).expect("delete");
    assert!(vault.find(&op, "email", &v[0]).expect("find").is_empty());
    assert_eq!(
        vault
            .read(&op, &s, Some("contact"))
            .expect("read")
            .records
            .len(),
        1
    );
    let again = vault
        .delete_record(&op, &s, &r1)
        .expect_err("already deleted");
    assert_eq!(refusal_code(&again), "unknown_record");
    let other = vault.create_subject(&op, None).expect("other subject");
    let cross = vault
        .delete_record(&op, &other, &r2)
        .expect_err("not the other's record");
    assert_eq!(refusal_code(&cross), "unknown_record");

    // Sealed documents with optimistic concurrency.
    let id = format!("req-{tag}");
    assert_eq!(
        vault
            .put_doc("request", &id, None, v[6].as_bytes())
            .expect("create"),
        1
    );
    let dup = vault
        .put_doc("request", &id, None, b"x")
        .expect_err("exists");
    assert_eq!(refusal_code(&dup), "version_conflict");
    let docs = vault.docs(Caller::operator("staff:alice", "administration"));
    assert_eq!(
        docs.put_doc("request", &id, Some(1), b"v2")
            .expect("replace"),
        2
    );
    match docs.put_doc("request", &id, Some(1), b"lost update") {
        Err(DocError::Conflict {
            expected: Some(1),
            found: Some(2),
            ..
        }) => {}
        other => panic!("stale write must conflict: {other:?}"),
    }
    let doc = docs.get_doc("request", &id).expect("get").expect("present");
    assert_eq!((doc.version, doc.body.as_slice()), (2, b"v2".as_slice()));
    vault
        .put_doc("request", &id, Some(2), v[6].as_bytes())
        .expect("back");
    assert_eq!(docs.list_docs("request").expect("list").len(), 1);
    assert!(docs.list_docs("breach").expect("list").is_empty());
    // Filed under its subject: listed for that subject (with the unfiled one), not another.
    let filed = format!("req-{tag}-filed");
    let filing = habeas_core::docs::Filing {
        owner: &s,
        state: "open",
    };
    docs.put_filed_doc("request", &filed, None, filing, v[6].as_bytes())
        .expect("filed");
    let of = |owner: &str| -> Vec<(String, Option<String>)> {
        docs.list_docs_of("request", owner)
            .expect("list")
            .into_iter()
            .map(|d| (d.id, d.owner))
            .collect()
    };
    assert_eq!(
        of(&s),
        vec![(id.clone(), None), (filed.clone(), Some(s.clone()))]
    );
    assert_eq!(of(&other), vec![(id.clone(), None)]);
    let open: Vec<String> = docs
        .list_docs_in("request", "open")
        .expect("open")
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(open, vec![id, filed.clone()]);
    assert_eq!(
        docs.get_doc("request", &filed)
            .expect("get")
            .expect("filed")
            .body,
        v[6].as_bytes()
    );
    s
}

/// Rotation, erasure and journal verification.
fn finish(vault: &Vault, s: &str) {
    let op = Caller::operator("test", "PA-0001");
    assert!(vault.rotate_keys(&op).expect("rotate") >= 2);
    assert_eq!(
        vault
            .read(&op, s, None)
            .expect("read after rotation")
            .records
            .len(),
        3
    );
    vault.shred(&op, s).expect("shred");
    let view = vault.read(&op, s, None).expect("read erased");
    assert_eq!((view.status.as_str(), view.records.len()), ("erased", 0));
    let refused = vault
        .write(
            &op,
            s,
            input("contact", json!({ "email": "late@example.org" })),
        )
        .expect_err("no data for an erased subject");
    assert_eq!(refusal_code(&refused), "subject_not_active");
    match vault.verify_journal().expect("verify") {
        Verdict::Intact { last, .. } => assert!(last > 20, "every action journaled: {last}"),
        broken => panic!("journal broken: {broken:?}"),
    }
}

#[test]
fn vault_flows_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = open(VaultPaths::in_project(dir.path()));
    let s = exercise(&vault, "sqlite");
    finish(&vault, &s);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn vault_postgres_flows_and_dump_hold_no_plaintext() {
    let Some(url) = postgres_url() else { return };
    let pg = PgVault::new(&url);
    let vault = open(pg.paths());
    let tag = format!("pg{}", std::process::id());
    let s = exercise(&vault, &tag);
    if let (Some(data), Some(keys)) = (pg.dump(&pg.data), pg.dump(&pg.keys)) {
        assert!(
            contains(&data, s.as_bytes()),
            "the dump holds the stored rows (subject id)"
        );
        for v in written_values(&tag) {
            for (what, dump) in [("data", &data), ("keys", &keys)] {
                assert!(
                    !contains(dump, v.as_bytes()),
                    "the {what} dump holds the plaintext of a written value"
                );
            }
        }
    }
    finish(&vault, &s);
    // A second process (the CLI next to the server) continues the same chain.
    let second = open(pg.paths());
    second
        .journal_admin(
            &Caller::operator("cli", "administration"),
            "test.second",
            "ok".into(),
        )
        .expect("second instance journals");
    drop(second);
    assert!(matches!(
        vault.verify_journal().expect("verify"),
        Verdict::Intact { .. }
    ));
}

#[test]
fn vault_postgres_refuses_a_key_store_in_the_data_schema() {
    let Some(url) = postgres_url() else { return };
    let pg = PgVault::new(&url);
    let mut paths = pg.paths();
    if let Some(p) = paths.postgres.as_mut() {
        p.keys = p.data.clone();
    }
    let err = Vault::open(paths, declarations(), Arc::new(SystemClock))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("key store"), "{err}");
}

/// Art. 15(1)(c): the subject's list of accesses shows who else read the
/// data (by purpose), not the subject's own portal visits.
#[test]
fn the_access_log_leaves_out_the_subjects_own_portal_visits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = open(VaultPaths::in_project(dir.path()));
    let op = Caller::operator("test", "PA-0001");
    let s = vault.create_subject(&op, None).expect("subject");
    vault
        .write(
            &op,
            &s,
            input("contact", json!({ "email": "log.fictif@example.org" })),
        )
        .expect("write");
    vault.read(&op, &s, None).expect("staff read");
    for actor in ["portal".to_string(), format!("portal:{s}")] {
        for _ in 0..5 {
            vault
                .read(&Caller::operator(&actor, "PA-0001"), &s, None)
                .expect("portal read");
        }
    }
    let log = vault
        .access_log(&Caller::operator("portal", "PA-0001"), &s, 1000)
        .expect("log");
    // Created, written, read by staff — none of the ten portal reads.
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log.iter().all(|e| e.purpose.as_deref() == Some("PA-0001")));
    // The limit counts the entries shown: the ten newer portal reads do not
    // crowd out the staff read and the write.
    let newest = vault
        .access_log(&Caller::operator("portal", "PA-0001"), &s, 2)
        .expect("log");
    assert_eq!(
        newest.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["read", "write"],
        "{newest:?}"
    );
}

#[test]
fn a_lookup_by_an_identifier_field_follows_the_field_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = open(VaultPaths::in_project(dir.path()));
    // The mail lists' `mailbox` identifier is typed `email`.
    let mail = Caller::operator("test", "PA-0102");
    let s = vault.create_subject(&mail, None).expect("subject");
    let fields = json!({"mailbox": "Boite.Fictive@Example.org", "list": "allow", "entry": "ami@example.net"});
    vault
        .write(&mail, &s, input("mail_lists", fields))
        .expect("write");
    // Looked up by the field's own name, the value is normalised as an address.
    for value in ["boite.fictive@example.org", " BOITE.Fictive@example.ORG "] {
        assert_eq!(
            vault.find(&mail, "mailbox", value).expect("find"),
            vec![s.clone()],
            "{value}"
        );
    }
    let refused = vault
        .find(&mail, "mailbox", "not an address")
        .expect_err("bad");
    assert_eq!(refused.refusal().map(|r| r.code), Some("bad_identifier"));
    assert!(!refused.to_string().contains("not an address"), "{refused}");
}

#[test]
fn a_lookup_by_a_kind_no_category_indexes_names_the_kinds_that_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut decls = declarations();
    for c in decls.categories.values_mut() {
        c.identifiers.retain(|f| f.get_ref() != "phone");
    }
    let vault = Vault::open(
        VaultPaths::in_project(dir.path()),
        decls,
        Arc::new(SystemClock),
    )
    .expect("open");
    let refused = vault
        .find(&common::op(), "phone", "+33 6 12 34 56 78")
        .expect_err("nothing indexes phones");
    let refusal = refused.refusal().expect("a caller refusal");
    assert_eq!(refusal.code, "identifier_not_indexed");
    assert!(
        refusal.message_en.contains("`phone`") && refusal.message_en.contains("email"),
        "{}",
        refusal.message_en
    );
    assert!(
        !refusal.message_en.contains("+33"),
        "{}",
        refusal.message_en
    );
}
