//! The audit journal resists tampering: editing, deleting or reordering
//! rows in the raw database, or rewriting them with recomputed hashes, makes
//! `habeas audit verify` fail and name the first broken entry; dropping old
//! segments by retention keeps the rest verifiable.

mod vault_support;

use std::path::Path;

use vault_support::*;

/// A project whose journal holds a few dozen entries, all signed (one
/// `write` entry per imported subject, plus the import and three tokens).
fn journaled_project() -> tempfile::TempDir {
    let dir = imported_project(20);
    for name in ["a", "b", "c"] {
        token(dir.path(), name, "PA-0001");
    }
    dir
}

/// A project whose vault holds `contacts` imported contacts (one `write`
/// entry each, plus the import's).
fn imported_project(contacts: usize) -> tempfile::TempDir {
    let dir = project();
    let file = contacts_file(dir.path(), contacts);
    let (code, _, err) = run(
        dir.path(),
        &["import", "--quiet", file.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "{err}");
    dir
}

fn tamper(original: &Path, sql: &str) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("tempdir");
    copy_tree(original, copy.path());
    let conn = rusqlite::Connection::open(data_db(copy.path())).expect("open");
    conn.execute_batch(sql).expect("tamper");
    copy
}

fn verify(dir: &Path) -> (i32, String) {
    let (code, out, err) = run(dir, &["audit", "verify"]);
    (code, format!("{out}{err}"))
}

#[test]
fn a_vault_that_journaled_nothing_yet_verifies_as_empty() {
    let dir = project();
    // A refused import opens the vault (its database is made) and writes nothing.
    let file = dir.path().join("bad.jsonl");
    std::fs::write(&file, "{\"category\":\"contact\",\"fields\":{}}\n").expect("write");
    let (code, _, err) = run(dir.path(), &["import", "--quiet", "bad.jsonl"]);
    assert_eq!(code, 1, "{err}");
    let (code, out) = verify(dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("journal intact : aucune entrée\njournal intact: no entries"),
        "{out}"
    );
}

#[test]
fn tampering_is_caught_at_the_first_broken_entry() {
    let dir = journaled_project();
    let (code, out) = verify(dir.path());
    assert_eq!(code, 0, "{out}");
    let total = count(dir.path(), "SELECT MAX(seq) FROM journal");
    assert!(total >= 20, "only {total} entries");

    let truncated = format!("first broken entry #{n}: entries #{n} to #", n = total - 1);
    let cases = [
        ("edit", "UPDATE journal SET details = 'records=999' WHERE seq = 5".to_string(), "#5"),
        ("delete", "DELETE FROM journal WHERE seq = 7".to_string(), "#7 is missing"),
        (
            "move an entry before the first",
            "UPDATE journal SET seq = 0 WHERE seq = 5".to_string(),
            "#0 appears out of order",
        ),
        (
            "reorder",
            "UPDATE journal SET seq = -3 WHERE seq = 3; UPDATE journal SET seq = 3 WHERE seq = 4; UPDATE journal SET seq = 4 WHERE seq = -3;"
                .to_string(),
            "#3",
        ),
        ("truncate the tail", format!("DELETE FROM journal WHERE seq > {}", total - 2), "missing"),
        // The entries a signed checkpoint proves existed are named from the
        // first one cut.
        (
            "truncate the tail (range)",
            format!("DELETE FROM journal WHERE seq > {}", total - 2),
            truncated.as_str(),
        ),
        ("forge a checkpoint", "UPDATE journal_checkpoints SET signature = zeroblob(64)".to_string(), "checkpoint"),
    ];
    for (what, sql, expected) in cases {
        let copy = tamper(dir.path(), &sql);
        let (code, out) = verify(copy.path());
        assert_eq!(code, 1, "{what} not caught: {out}");
        assert!(
            out.contains(expected),
            "{what}: expected `{expected}` in: {out}"
        );
    }
}

#[test]
fn rewriting_entries_with_recomputed_hashes_is_caught_by_the_signed_checkpoint() {
    let dir = journaled_project();
    let copy = tempfile::tempdir().expect("tempdir");
    copy_tree(dir.path(), copy.path());
    let conn = rusqlite::Connection::open(data_db(copy.path())).expect("open");
    conn.execute(
        "UPDATE journal SET actor = 'someone-else' WHERE seq = 2",
        [],
    )
    .expect("edit");
    // Recompute the whole chain as an attacker with database access would.
    let mut prev = [0u8; 32];
    let rows: Vec<(i64, habeas_engine::journal::Entry)> = conn
        .prepare("SELECT seq, ts / 1000, actor, action, subject_id, category, purpose, details FROM journal ORDER BY seq")
        .expect("prepare")
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                habeas_engine::journal::Entry {
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    category: r.get(5)?,
                    purpose: r.get(6)?,
                    outcome: r.get(7)?,
                },
            ))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (seq, entry) in rows {
        let hash = habeas_engine::journal::chain_hash(
            &prev,
            &habeas_engine::journal::canonical(seq as u64, &entry),
        );
        conn.execute(
            "UPDATE journal SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![&prev[..], &hash[..], seq],
        )
        .expect("rehash");
        prev = hash;
    }
    drop(conn);
    let (code, out) = verify(copy.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("signed checkpoint"), "{out}");
}

#[test]
fn dropping_old_segments_keeps_the_rest_verifiable() {
    let dir = journaled_project();
    let (code, out, _) = run(dir.path(), &["audit", "checkpoints"]);
    assert_eq!(code, 0);
    let first_cp: u64 = out
        .lines()
        .next()
        .and_then(|l| l.split('\t').next()?.trim().parse().ok())
        .expect("a checkpoint");
    let (code, _, err) = run(
        dir.path(),
        &["audit", "drop-through", &first_cp.to_string()],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out) = verify(dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("#{}", first_cp + 1)), "{out}");
    // Dropping at a point that is not a signed checkpoint is refused.
    let (code, _, err) = run(
        dir.path(),
        &["audit", "drop-through", &(first_cp - 1).to_string()],
    );
    assert_ne!(code, 0);
    assert!(err.contains("checkpoint"), "{err}");
    // And tampering after a drop is still caught.
    let copy = tamper(
        dir.path(),
        &format!("DELETE FROM journal WHERE seq = {}", first_cp + 2),
    );
    assert_eq!(verify(copy.path()).0, 1);
    // So is a forged starting point: the kept hash of the dropped segment
    // must be the one a signed checkpoint covers, at that very entry.
    for (what, sql) in [
        ("hash", "UPDATE journal_anchor SET hash = zeroblob(32)"),
        ("position", "UPDATE journal_anchor SET seq = seq - 1"),
    ] {
        let copy = tamper(dir.path(), sql);
        let (code, out) = verify(copy.path());
        assert_eq!(code, 1, "forged anchor {what} not caught: {out}");
        assert!(
            out.contains("retention anchor"),
            "forged anchor {what}: {out}"
        );
    }
    let copy = tamper(dir.path(), "UPDATE journal_anchor SET hash = zeroblob(32)");
    let (_, out) = verify(copy.path());
    assert!(
        out.contains(&format!("#{}", first_cp + 1)),
        "the first entry no longer proven is named: {out}"
    );
}

/// `audit verify` reads the journal 10,000 entries at a time: the chain
/// carries over from one page to the next, and a break on a later page is
/// named like one on the first.
#[test]
fn a_journal_longer_than_a_page_is_verified_across_pages() {
    let dir = imported_project(10_050);
    let total = count(dir.path(), "SELECT MAX(seq) FROM journal");
    assert!(total >= 10_050, "only {total} entries");
    let (code, out) = verify(dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("#{total}")), "{out}");
    let copy = tamper(dir.path(), "DELETE FROM journal WHERE seq = 10020");
    let (code, out) = verify(copy.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("#10020 is missing"), "{out}");
}
