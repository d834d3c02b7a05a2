//! `habeas purge` and `habeas hold` through the real binary on a copy of the
//! demo provider: a dry run lists what is due by category with dates; the
//! purge deletes exactly the due records, skips held ones and names the
//! hold, expires whole months of high-volume rows; a released hold lets the
//! next purge finish. Records are imported with old event dates, so they are
//! due now (the purge's `--now` moves the judgement date where needed).

mod vault_support;

use std::path::Path;

use habeas_engine::{Caller, project};
use vault_support::*;

fn record(subject: &str, category: &str, fields: &str, at: &str) -> String {
    format!(
        r#"{{"subject_ref":"{subject}","category":"{category}","fields":{fields},"collected_at":"{at}","events":{{"last_interaction":"{at}"}}}}"#
    )
}

fn prospect(subject: &str, email: &str, at: &str) -> String {
    record(
        subject,
        "prospect_contact",
        &format!(r#"{{"name":"Fictif {subject}","company":"Exemple SA","email":"{email}"}}"#),
        at,
    )
}

/// a and b: prospects last contacted in January 2020 (due January 2023);
/// c: last contacted in November 2026 (due November 2029); a also has a
/// 2020 support ticket and a connection-log row of January 2020 (1 year
/// after collection: that month is due).
fn import_people(dir: &Path) {
    let lines = [
        prospect("a", "alice.fictive@example.org", "2020-01-10T09:00:00Z"),
        prospect("b", "bruno.fictif@example.org", "2020-01-12T09:00:00Z"),
        prospect("c", "chloe.fictive@example.org", "2026-11-02T09:00:00Z"),
        record(
            "a",
            "support",
            r#"{"ticket_id":"T-1","subject":"DNS","channel":"email"}"#,
            "2020-02-01T09:00:00Z",
        ),
        record(
            "a",
            "connection_logs",
            r#"{"account_id":"acc-a","ip":"192.0.2.7","protocol":"imap","operation":"login"}"#,
            "2020-01-15T08:00:00Z",
        ),
    ];
    std::fs::write(dir.join("people.jsonl"), lines.join("\n") + "\n").expect("write jsonl");
    let (code, _, err) = run(dir, &["import", "people.jsonl", "--quiet"]);
    assert_eq!(code, 0, "import failed: {err}");
}

fn subject_of(dir: &Path, email: &str) -> String {
    let vault = project::open_project(dir).expect("open vault");
    let found = vault
        .find(&Caller::operator("test", "administration"), "email", email)
        .expect("find");
    assert_eq!(found.len(), 1, "one subject for {email}");
    found[0].clone()
}

/// The subject's record count in `category` (as the operator reads it).
fn records_in(dir: &Path, subject: &str, category: &str) -> usize {
    let vault = project::open_project(dir).expect("open vault");
    vault
        .read(
            &Caller::operator("test", "administration"),
            subject,
            Some(category),
        )
        .expect("read")
        .records
        .len()
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[test]
fn dry_run_lists_due_categories_and_the_purge_skips_what_a_hold_keeps() {
    let dir = project();
    let d = dir.path();
    import_people(d);
    let a = subject_of(d, "alice.fictive@example.org");
    let b = subject_of(d, "bruno.fictif@example.org");
    let c = subject_of(d, "chloe.fictive@example.org");

    // A hold on b, with a reason; listed as active.
    let (code, out, err) = run(
        d,
        &[
            "hold",
            "add",
            "--subject",
            &b,
            "--reason",
            "Litige commercial n° 2026-014",
            "--lang",
            "en",
        ],
    );
    assert_eq!(code, 0, "hold add: {err}");
    assert!(out.starts_with("HOLD-0001\t"), "{out}");
    assert!(out.contains("until released"), "{out}");
    let (_, out, _) = run(d, &["hold", "list"]);
    assert!(out.contains("HOLD-0001") && out.contains("actif"), "{out}");
    // Unknown subjects and undeclared categories are refused, nothing stored.
    let (code, _, err) = run(
        d,
        &["hold", "add", "--subject", "sub_nobody", "--reason", "x"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("unknown data subject"), "{err}");
    let (code, _, err) = run(d, &["hold", "add", "--category", "pets", "--reason", "x"]);
    assert_ne!(code, 0);
    assert!(err.contains("category `pets` is not declared"), "{err}");

    // Dry run: a's prospect and support records go, b's is held, c's is
    // not due within the horizon; nothing changes.
    let (code, out, err) = run(d, &["purge", "--dry-run", "--json"]);
    assert_eq!(code, 0, "dry run: {err}");
    let v = json(&out);
    let cats = &v["summary"]["categories"];
    assert_eq!(cats["prospect_contact"]["delete"], 1, "{out}");
    assert_eq!(cats["prospect_contact"]["held"], 1, "{out}");
    assert_eq!(cats["prospect_contact"]["holds"][0], "HOLD-0001", "{out}");
    assert_eq!(cats["support"]["delete"], 1, "{out}");
    let decisions = v["decisions"].as_array().expect("decisions");
    assert_eq!(decisions.len(), 3, "{out}");
    // Ordered by due date: 3 years after the last contact.
    assert_eq!(decisions[0]["due"], "2023-01-10T09:00:00Z", "{out}");
    assert!(
        !out.contains(&a) && !out.contains(&b),
        "no subject id in the report"
    );
    let (_, text, _) = run(d, &["purge", "--dry-run", "--lang", "en"]);
    assert!(text.contains("legal holds: HOLD-0001"), "{text}");
    assert!(text.contains("dry run: nothing was changed"), "{text}");
    assert_eq!(
        records_in(d, &a, "prospect_contact"),
        1,
        "a dry run changes nothing"
    );

    // A dry run one horizon further shows c's record with the date it goes.
    let (_, out, _) = run(
        d,
        &[
            "purge",
            "--dry-run",
            "--json",
            "--now",
            "2029-10-20T00:00:00Z",
            "--days",
            "30",
        ],
    );
    let v = json(&out);
    assert_eq!(
        v["summary"]["categories"]["prospect_contact"]["scheduled"], 1,
        "{out}"
    );
    assert!(out.contains("2029-11-02T09:00:00Z"), "{out}");

    // The purge: exactly the due records go; the held one stays, named.
    let (code, out, err) = run(d, &["purge", "--lang", "en"]);
    assert_eq!(code, 0, "purge: {err}");
    assert!(out.contains("legal holds: HOLD-0001"), "{out}");
    assert!(
        out.contains("partition connection_logs/2020-01 expired: 1 rows"),
        "{out}"
    );
    assert_eq!(records_in(d, &a, "prospect_contact"), 0);
    assert_eq!(records_in(d, &a, "support"), 0);
    assert_eq!(records_in(d, &a, "connection_logs"), 0);
    assert_eq!(records_in(d, &b, "prospect_contact"), 1, "held record kept");
    assert_eq!(records_in(d, &c, "prospect_contact"), 1, "not due yet");
    // The blind index follows: a is no longer found by e-mail.
    let vault = project::open_project(d).expect("open");
    let found = vault
        .find(
            &Caller::operator("test", "administration"),
            "email",
            "alice.fictive@example.org",
        )
        .expect("find");
    assert!(
        found.is_empty(),
        "a purged record must not be found: {found:?}"
    );
    drop(vault);

    // A second purge finds nothing more to do.
    let (_, out, _) = run(d, &["purge", "--json"]);
    let v = json(&out);
    assert_eq!(
        v["summary"]["categories"]["prospect_contact"]["delete"], 0,
        "{out}"
    );

    // Released, the hold no longer keeps b's record.
    let (code, _, err) = run(d, &["hold", "release", "HOLD-0001", "--reason", "   "]);
    assert_ne!(code, 0, "an empty release reason is refused");
    assert!(err.contains("release reason"), "{err}");
    let (code, out, err) = run(
        d,
        &[
            "hold",
            "release",
            "HOLD-0001",
            "--by",
            "dpo",
            "--reason",
            "Litige clos",
            "--lang",
            "en",
        ],
    );
    assert_eq!(code, 0, "release: {err}");
    assert!(out.contains("released on"), "{out}");
    assert!(out.contains("(dpo: Litige clos)"), "{out}");
    let (code, _, err) = run(d, &["hold", "release", "HOLD-0001", "--reason", "encore"]);
    assert_ne!(code, 0, "releasing twice is refused");
    assert!(!err.is_empty());
    let (_, out, _) = run(d, &["purge", "--json"]);
    assert_eq!(
        json(&out)["summary"]["categories"]["prospect_contact"]["delete"],
        1,
        "{out}"
    );
    assert_eq!(records_in(d, &b, "prospect_contact"), 0);
    assert_eq!(records_in(d, &c, "prospect_contact"), 1);

    // Every run is journaled with counts, and the journal still verifies.
    let (code, out, err) = run(d, &["audit", "verify"]);
    assert_eq!(code, 0, "audit verify: {out}{err}");
}

#[test]
fn a_category_hold_keeps_its_partitions_and_a_bad_date_is_refused() {
    let dir = project();
    let d = dir.path();
    import_people(d);
    let a = subject_of(d, "alice.fictive@example.org");
    let (code, _, err) = run(
        d,
        &[
            "hold",
            "add",
            "--category",
            "connection_logs",
            "--reason",
            "Réquisition judiciaire RJ-77",
            "--until",
            "2099-12-31",
        ],
    );
    assert_eq!(code, 0, "hold add: {err}");
    let (code, out, err) = run(d, &["purge", "--lang", "en"]);
    assert_eq!(code, 0, "purge: {err}");
    assert!(
        out.contains("partitions of connection_logs not expired: held: HOLD-0001"),
        "{out}"
    );
    assert_eq!(records_in(d, &a, "connection_logs"), 1);
    let (code, _, err) = run(d, &["purge", "--now", "yesterday"]);
    assert_ne!(code, 0);
    assert!(err.contains("RFC 3339"), "{err}");
    let (code, _, err) = run(
        d,
        &[
            "hold",
            "add",
            "--category",
            "support",
            "--reason",
            "x",
            "--until",
            "31/12/2099",
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn postgres_purge_deletes_the_due_records_skips_the_held_and_expires_months() {
    let Some(url) = postgres_url("the PostgreSQL purge") else {
        return;
    };
    let dir = project();
    let d = dir.path();
    let _schemas = use_postgres(d, &url, "habeas_purge");
    import_people(d);
    let a = subject_of(d, "alice.fictive@example.org");
    let b = subject_of(d, "bruno.fictif@example.org");
    let (code, _, err) = run(
        d,
        &[
            "hold",
            "add",
            "--subject",
            &b,
            "--reason",
            "Litige commercial n° 2026-014",
        ],
    );
    assert_eq!(code, 0, "hold add: {err}");
    let (code, out, err) = run(d, &["purge", "--lang", "en"]);
    assert_eq!(code, 0, "purge: {err}");
    assert!(out.contains("legal holds: HOLD-0001"), "{out}");
    assert!(
        out.contains("partition connection_logs/2020-01 expired: 1 rows"),
        "{out}"
    );
    assert_eq!(records_in(d, &a, "prospect_contact"), 0);
    assert_eq!(records_in(d, &a, "support"), 0);
    assert_eq!(records_in(d, &a, "connection_logs"), 0);
    assert_eq!(records_in(d, &b, "prospect_contact"), 1, "held record kept");
}

#[test]
fn an_anonymised_record_keeps_only_its_generalised_fields_and_leaves_the_index() {
    let dir = project();
    let d = dir.path();
    let categories = d.join("declarations").join("categories.toml");
    let text = std::fs::read_to_string(&categories).unwrap().replace(
        "retention = \"3 years after last interaction\"\nidentifiers = [\"email\"]\n[categories.prospect_contact.fields]",
        "retention = \"3 years after last interaction\"\non_expiry = \"anonymise\"\nkeep_generalised = [\"company\", \"email\"]\nidentifiers = [\"email\"]\n[categories.prospect_contact.fields]",
    );
    assert!(
        text.contains("on_expiry = \"anonymise\"\nkeep_generalised = [\"company\", \"email\"]")
    );
    std::fs::write(&categories, text).unwrap();
    import_people(d);
    let a = subject_of(d, "alice.fictive@example.org");
    let (code, out, err) = run(d, &["purge", "--json"]);
    assert_eq!(code, 0, "purge: {err}");
    let v = json(&out);
    assert_eq!(
        v["summary"]["categories"]["prospect_contact"]["anonymise"], 2,
        "{out}"
    );
    let vault = project::open_project(d).expect("open");
    let caller = Caller::operator("test", "administration");
    let view = vault
        .read(&caller, &a, Some("prospect_contact"))
        .expect("read");
    assert_eq!(view.records.len(), 1);
    let r = &view.records[0];
    assert_eq!(r.due_at, None, "an anonymised record leaves the schedule");
    let fields: Vec<&str> = r.fields.keys().map(String::as_str).collect();
    assert_eq!(fields, ["company", "email"]);
    assert_eq!(r.fields["company"], "Exemple SA");
    let pseudonym = r.fields["email"].as_str().expect("pseudonym");
    assert_eq!(pseudonym.len(), 26, "{pseudonym}");
    assert!(!pseudonym.contains("alice"));
    let found = vault
        .find(&caller, "email", "alice.fictive@example.org")
        .expect("find");
    assert!(
        found.is_empty(),
        "the anonymised record must not be found: {found:?}"
    );
    drop(vault);
    // Anonymised records are not due again: a second purge does nothing.
    let (_, out, _) = run(d, &["purge", "--json"]);
    assert_eq!(
        json(&out)["summary"]["categories"]["prospect_contact"]["anonymise"],
        serde_json::Value::Null,
        "{out}"
    );
}

/// SIGKILL in the middle of a purge: every record is either fully gone
/// (unreadable and not findable) or fully there (readable and findable),
/// and the next purge finishes the work. Pages of 20 records (one commit
/// each) that cut across subjects, so a kill falls between pages.
#[test]
fn a_purge_killed_midway_leaves_nothing_half_done() {
    let dir = project();
    let d = dir.path();
    let n = 600;
    let lines: Vec<String> = (0..n)
        .map(|i| {
            prospect(
                &format!("s{}", i % 60),
                &format!("k{i}@example.org"),
                "2020-01-10T09:00:00Z",
            )
        })
        .collect();
    std::fs::write(d.join("people.jsonl"), lines.join("\n") + "\n").expect("write");
    let (code, _, err) = run(d, &["import", "people.jsonl", "--quiet"]);
    assert_eq!(code, 0, "import: {err}");
    let mut child = habeas(d)
        .args(["purge", "--page", "20"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn purge");
    // Kill as soon as the first page is journaled (committed): mid-purge.
    let db_path = d.join("data").join("habeas.db");
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        let pages: i64 = rusqlite::Connection::open(&db_path)
            .and_then(|db| {
                db.query_row(
                    "SELECT COUNT(*) FROM journal WHERE action = 'retention.purge_page'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap_or(0);
        if pages > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();

    let vault = project::open_project(d).expect("open");
    let caller = Caller::operator("test", "administration");
    let mut readable = std::collections::BTreeSet::new();
    let mut subjects = std::collections::BTreeSet::new();
    for i in 0..n {
        for s in vault
            .find(&caller, "email", &format!("k{i}@example.org"))
            .expect("find")
        {
            readable.insert(format!("k{i}@example.org"));
            subjects.insert(s);
        }
    }
    let mut stored = std::collections::BTreeSet::new();
    for s in &subjects {
        for r in vault
            .read(&caller, s, Some("prospect_contact"))
            .expect("read")
            .records
        {
            stored.insert(r.fields["email"].as_str().expect("email").to_string());
        }
    }
    // Whatever the kill interrupted: the index and the records agree.
    assert_eq!(readable, stored, "a record half purged");
    eprintln!("after SIGKILL: {} of {n} records left", stored.len());
    drop(vault);
    let (code, out, err) = run(d, &["purge", "--json", "--page", "20"]);
    assert_eq!(code, 0, "purge after the kill: {err}");
    let removed = json(&out)["summary"]["categories"]["prospect_contact"]["delete"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(removed as usize, stored.len(), "{out}");
    let (code, out, err) = run(d, &["purge", "--dry-run", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        json(&out)["decisions"]
            .as_array()
            .expect("decisions")
            .is_empty(),
        "{out}"
    );
    let (code, out, err) = run(d, &["audit", "verify"]);
    assert_eq!(code, 0, "audit verify after the kill: {out}{err}");

    // The journal has one entry per page and category, with counts only:
    // together they account for every purged record, and name no record.
    let db = rusqlite::Connection::open(&db_path).expect("db");
    let mut stmt = db
        .prepare(
            "SELECT category, subject_id, details FROM journal WHERE action = 'retention.purge_page'",
        )
        .expect("query");
    let pages: Vec<(Option<String>, Option<String>, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    let mut journaled = 0u64;
    for (category, subject, details) in &pages {
        assert_eq!(category.as_deref(), Some("prospect_contact"));
        assert_eq!(subject, &None, "a page entry names no subject");
        assert!(
            !details.contains("rec_") && !details.contains('@'),
            "{details}"
        );
        let deleted = details
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("deleted="))
            .and_then(|v| v.parse::<u64>().ok())
            .expect("deleted=N");
        assert!(deleted <= 20, "at most one page per entry: {details}");
        journaled += deleted;
    }
    assert_eq!(journaled, n as u64, "every purged record is counted once");
    assert!(pages.len() >= n / 20, "{} page entries", pages.len());
}

/// The index follows the records exactly, whichever way the purge takes:
/// d keeps one of its three prospect records, so only the e-mail no kept
/// record carries stops finding d (its shared e-mail still finds it);
/// e loses both its prospect records in one page, so neither e-mail finds
/// it any more while its support ticket (another category) stays. Same on
/// PostgreSQL when `HABEAS_TEST_POSTGRES_URL` is set. With pages of 2 and
/// of 1 record, a subject's records are spread over consecutive pages: the
/// pipelined purge prepares a page while the previous one, touching the
/// same subject and category, commits.
#[test]
fn the_purge_removes_exactly_the_index_entries_no_kept_record_carries() {
    for page in ["1000", "2", "1"] {
        purge_keeps_the_index_of_what_stays(None, page);
    }
    if let Some(url) = postgres_url("the PostgreSQL purge's index clean-up") {
        purge_keeps_the_index_of_what_stays(Some(&url), "2");
    }
}

fn purge_keeps_the_index_of_what_stays(pg: Option<&str>, page: &str) {
    let dir = project();
    let d = dir.path();
    let _schemas = pg.map(|url| use_postgres(d, url, "habeas_purge_index"));
    let lines = [
        prospect("d", "gone.d@example.org", "2020-01-10T09:00:00Z"),
        prospect("d", "shared.d@example.org", "2020-01-11T09:00:00Z"),
        prospect("d", "shared.d@example.org", "2026-11-02T09:00:00Z"),
        prospect("e", "one.e@example.org", "2020-01-10T09:00:00Z"),
        prospect("e", "two.e@example.org", "2020-01-12T09:00:00Z"),
        record(
            "e",
            "support",
            r#"{"ticket_id":"T-2","subject":"DNS","channel":"email"}"#,
            "2026-11-02T09:00:00Z",
        ),
    ];
    std::fs::write(d.join("people.jsonl"), lines.join("\n") + "\n").expect("write jsonl");
    let (code, _, err) = run(d, &["import", "people.jsonl", "--quiet"]);
    assert_eq!(code, 0, "import failed: {err}");
    let subject_d = subject_of(d, "gone.d@example.org");
    let subject_e = subject_of(d, "one.e@example.org");

    let (code, out, err) = run(d, &["purge", "--json", "--page", page]);
    assert_eq!(code, 0, "purge: {err}");
    assert_eq!(
        json(&out)["summary"]["categories"]["prospect_contact"]["delete"],
        4,
        "page {page}: {out}"
    );
    assert_eq!(records_in(d, &subject_d, "prospect_contact"), 1);
    assert_eq!(records_in(d, &subject_e, "prospect_contact"), 0);
    assert_eq!(records_in(d, &subject_e, "support"), 1, "another category");
    let vault = project::open_project(d).expect("open");
    let caller = Caller::operator("test", "administration");
    let found = |email: &str| vault.find(&caller, "email", email).expect("find");
    assert!(
        found("gone.d@example.org").is_empty(),
        "page {page}: purged e-mail of d"
    );
    assert_eq!(
        found("shared.d@example.org"),
        vec![subject_d.clone()],
        "page {page}: a kept record's e-mail still finds d"
    );
    assert!(
        found("one.e@example.org").is_empty(),
        "page {page}: purged e-mail of e"
    );
    assert!(
        found("two.e@example.org").is_empty(),
        "page {page}: purged e-mail of e"
    );
    drop(vault);
    let (code, out, err) = run(d, &["audit", "verify"]);
    assert_eq!(code, 0, "audit verify: {out}{err}");
}
