//! `habeas import`: JSON Lines and CSV load records; a bad line anywhere in
//! the file (unknown field, truncated CSV row) is reported with its line
//! number and nothing at all is written. Also `habeas bench vault`, which
//! bulk-loads through the same path into a temporary project.

mod vault_support;

use vault_support::*;

fn records(dir: &std::path::Path) -> i64 {
    if !data_db(dir).exists() {
        return 0;
    }
    count(dir, "SELECT COUNT(*) FROM records")
}

#[test]
fn csv_with_a_column_mapping_is_imported() {
    let dir = project();
    std::fs::write(
        dir.path().join("customers.csv"),
        "subject_ref,mail,tel,country\nr1,a.csv@example.org,01 99 00 11 11,fr\nr2,b.csv@example.org,01 99 00 22 22,be\n",
    )
    .expect("write csv");
    let (code, out, err) = run(
        dir.path(),
        &[
            "import",
            "customers.csv",
            "--category",
            "contact",
            "--map",
            "mail=email,tel=phone",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("2 "), "{out}");
    assert_eq!(records(dir.path()), 2);
    // Two identifiers per line, each entry once by subject (SQLite keeps the blind index in
    // two levels, habeas-store sqlite/blind.rs).
    assert_eq!(
        count(dir.path(), "SELECT COUNT(*) FROM blind_by_subject"),
        4
    );
    assert_eq!(
        count(
            dir.path(),
            "SELECT (SELECT COUNT(*) FROM blind_index) + (SELECT COUNT(*) FROM blind_recent)"
        ),
        4
    );
}

#[test]
fn a_bad_line_anywhere_imports_nothing() {
    let dir = project();
    std::fs::write(
        dir.path().join("truncated.csv"),
        "subject_ref,mail,tel,country\nr1,a@example.org,01 99 00 11 11,fr\nr2,b@example.org,01 99 00 22 22\n",
    )
    .expect("write csv");
    let (code, _, err) = run(
        dir.path(),
        &[
            "import",
            "truncated.csv",
            "--category",
            "contact",
            "--map",
            "mail=email,tel=phone",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("truncated.csv:3") && err.contains("3 columns instead of 4"),
        "{err}"
    );

    let mut jsonl = String::new();
    for i in 0..50 {
        jsonl.push_str(&format!("{{\"subject_ref\":\"s{i}\",\"category\":\"contact\",\"fields\":{{\"email\":\"j{i}@example.org\"}}}}\n"));
    }
    jsonl.push_str("{\"subject_ref\":\"s50\",\"category\":\"contact\",\"fields\":{\"email\":\"x@example.org\",\"fax\":\"0100\"}}\n");
    std::fs::write(dir.path().join("records.jsonl"), jsonl).expect("write jsonl");
    let (code, _, err) = run(dir.path(), &["import", "records.jsonl"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("records.jsonl:51") && err.contains("`fax`") && err.contains("`contact`"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(records(dir.path()), 0);
}

/// More lines than two batches of 10,000 (`import::BATCH`): the three
/// batches share a transaction (`import::BATCHES_PER_TRANSACTION`); every
/// line is stored, once, and counted only once durable; the journal verifies.
#[test]
fn a_file_of_several_batches_is_imported_whole() {
    const LINES: usize = 20_001;
    let dir = project();
    let mut csv = String::from("subject_ref,mail,country\n");
    for i in 0..LINES {
        csv.push_str(&format!("r{i},m{i}@example.org,fr\n"));
    }
    std::fs::write(dir.path().join("many.csv"), csv).expect("write csv");
    let (code, out, err) = run(
        dir.path(),
        &[
            "import",
            "many.csv",
            "--category",
            "contact",
            "--map",
            "mail=email",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("{LINES} ")), "{out}");
    assert_eq!(records(dir.path()), LINES as i64);
    assert_eq!(
        count(dir.path(), "SELECT COUNT(*) FROM subjects"),
        LINES as i64
    );
    // The journal's hash chain runs unbroken across batches sharing a transaction.
    let (code, out, err) = run(dir.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// The first pass checks chunks of lines on every core: the errors still
/// come in line order, the first twenty only, numbered by the file's lines
/// (blank lines included), and nothing is imported.
#[test]
fn errors_are_reported_in_line_order_across_chunks() {
    let dir = project();
    let mut jsonl = String::new();
    let mut bad = Vec::new();
    let mut line = 0;
    for i in 0..9_000 {
        line += 1;
        if i % 300 == 7 {
            jsonl.push_str(&format!("{{\"subject_ref\":\"s{i}\",\"category\":\"contact\",\"fields\":{{\"fax\":\"0100\"}}}}\n"));
            bad.push(line);
        } else {
            jsonl.push_str(&format!("{{\"subject_ref\":\"s{i}\",\"category\":\"contact\",\"fields\":{{\"email\":\"e{i}@example.org\"}}}}\n"));
        }
        if i % 1_000 == 999 {
            jsonl.push('\n');
            line += 1;
        }
    }
    std::fs::write(dir.path().join("spread.jsonl"), jsonl).expect("write jsonl");
    let (code, _, err) = run(dir.path(), &["import", "spread.jsonl"]);
    assert_eq!(code, 1);
    let reported: Vec<u64> = err
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{}:", dir.path().join("spread.jsonl").display())))
        .filter_map(|rest| rest.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(bad.len(), 30);
    assert_eq!(reported, bad[..20], "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(records(dir.path()), 0);
}

/// `habeas bench vault` with `TMPDIR` pointed at `tmp`: (exit code, stdout, stderr).
fn bench_vault(tmp: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_habeas"))
        .args(["bench", "vault", "--finds", "5", "--http-seconds", "0"])
        .args(args)
        .env("TMPDIR", tmp)
        .output()
        .expect("run habeas bench vault");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("read tmp")
        .map(|e| e.expect("entry").path())
        .collect()
}

#[test]
fn a_byte_order_mark_and_a_column_mapped_to_subject_ref_are_understood() {
    let dir = project();
    // Spreadsheets and Windows editors start a UTF-8 file with a byte-order mark.
    std::fs::write(
        dir.path().join("clients.csv"),
        "\u{feff}customer_id,mail\nC-1,c1@example.org\nC-1,c1.bis@example.org\nC-2,c2@example.org\n",
    )
    .expect("write csv");
    let (code, out, err) = run(
        dir.path(),
        &[
            "import",
            "clients.csv",
            "--category",
            "contact",
            "--map",
            "customer_id=subject_ref,mail=email",
            "--quiet",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // Rows of one customer_id go to one subject: the column names the subject.
    assert!(
        out.starts_with("3 enregistrements importés, 2 personnes créées"),
        "{out}"
    );
    std::fs::write(
        dir.path().join("more.jsonl"),
        "\u{feff}{\"subject_ref\":\"J-1\",\"category\":\"contact\",\"fields\":{\"email\":\"j1@example.org\"}}\n",
    )
    .expect("write jsonl");
    let (code, out, err) = run(dir.path(), &["import", "more.jsonl", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("1 enregistrements importés, 1 personnes créées"),
        "{out}"
    );
    assert_eq!(records(dir.path()), 4);
}

#[test]
fn a_directory_is_refused_as_a_file_to_import() {
    let dir = project();
    let (code, _, err) = run(dir.path(), &["import", "--format", "jsonl", "declarations"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("declarations: est un répertoire")
            && err.contains("is a directory; give a JSON Lines or CSV file"),
        "{err}"
    );
    assert_eq!(records(dir.path()), 0);
}

#[test]
fn the_vault_bench_names_the_declared_categories_and_leaves_no_project_behind() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (code, _, err) = bench_vault(
        tmp.path(),
        &["--records", "100", "--category", "navigation_history"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--category navigation_history")
            && err.contains("declared: ")
            && err.contains("connection_logs")
            && err.contains("navigation"),
        "{err}"
    );
    // A failed run deletes its temporary project too (it left it behind before).
    assert_eq!(entries(tmp.path()), Vec::<std::path::PathBuf>::new());
    for (args, message) in [
        (["--records", "0"], "--records must be at least 1"),
        (["--per-subject", "3"], "--per-subject 3 must divide 10000"),
    ] {
        let (code, out, err) = bench_vault(tmp.path(), &args);
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert!(err.contains(message), "{err}");
    }
    assert_eq!(entries(tmp.path()), Vec::<std::path::PathBuf>::new());

    let (code, out, err) = bench_vault(tmp.path(), &["--records", "100", "--category", "contact"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("bulk ingest: ") && out.contains("find by e-mail (100 subjects)"),
        "{out}"
    );
    assert_eq!(entries(tmp.path()), Vec::<std::path::PathBuf>::new());
}

#[test]
fn an_import_run_again_with_match_existing_adds_to_the_subjects_it_finds() {
    let dir = project();
    let d = dir.path();
    let subjects = |d: &std::path::Path| count(d, "SELECT COUNT(*) FROM subjects");
    let ok = |d: &std::path::Path, args: &[&str]| {
        let (code, out, err) = run(d, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    std::fs::write(
        d.join("crm.jsonl"),
        concat!(
            r#"{"subject_ref":"c1","category":"identity","fields":{"last_name":"Fictif"}}"#,
            "\n",
            r#"{"subject_ref":"c1","category":"contact","fields":{"email":"Marie.Fictive@example.org"}}"#,
            "\n",
            r#"{"subject_ref":"c2","category":"contact","fields":{"phone":"01 99 00 33 33"}}"#,
            "\n",
        ),
    )
    .expect("write");
    let out = ok(d, &["import", "crm.jsonl", "--quiet"]);
    assert!(
        out.contains("/ 3 records imported, 2 subjects created"),
        "{out}"
    );
    assert_eq!(subjects(d), 2);

    // Loaded again: the references find their subjects by e-mail and phone
    // — the line without an identifier follows its reference's match.
    let out = ok(d, &["import", "crm.jsonl", "--quiet", "--match-existing"]);
    assert!(
        out.contains("3 records imported, 0 subjects created, 2 existing subjects added to"),
        "{out}"
    );
    assert_eq!(subjects(d), 2);
    assert_eq!(records(d), 6);

    // Without the option, the same file makes new people (the default,
    // documented: a reference is local to its file).
    ok(d, &["import", "crm.jsonl", "--quiet"]);
    assert_eq!(subjects(d), 4);

    // Now each reference's identifiers find two subjects: ambiguous,
    // nothing written, the first line carrying them named (line 1 carries
    // none), no value or reference quoted.
    let (code, out, err) = run(d, &["import", "crm.jsonl", "--quiet", "--match-existing"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("crm.jsonl:2: ")
            && err.contains("crm.jsonl:3: ")
            && err.contains("find 2 subjects in the vault"),
        "{err}"
    );
    assert!(!err.contains("marie") && !err.contains("c1"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(subjects(d), 4);
    assert_eq!(records(d), 9);
    // A request by that address asks which subject is meant.
    let (code, _, err) = run(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "access",
            "--email",
            "marie.fictive@example.org",
            "--no-mail",
        ],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("2 personnes du coffre ont cette adresse")
            && err.contains("2 subjects hold this address in the vault: give --subject"),
        "{err}"
    );
}

#[test]
fn an_excel_export_in_french_carries_the_dates_retention_runs_from() {
    let dir = project();
    // Excel's "CSV (séparateur : point-virgule)" on a French Windows: `;`,
    // Windows-1252 (`\xb0` is "°", `\xe9` "é"), days written dd/mm/yyyy.
    let mut bytes = b"N\xb0 client;Courriel;Pays;Fin de contrat;Notes\r\n".to_vec();
    bytes.extend(b"C-1;ancien@example.org;fr;31/01/2024;rappel\xe9\r\n");
    bytes.extend(b"C-2;actuel@example.org;be;;\r\n");
    std::fs::write(dir.path().join("clients.csv"), bytes).expect("write csv");
    let map =
        "N° client=subject_ref,Courriel=email,Pays=country,Fin de contrat=contract_end,Notes=-";
    let import = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "clients.csv",
            "--category",
            "contact",
            "--map",
            map,
            "--quiet",
        ];
        args.extend_from_slice(extra);
        run(dir.path(), &args)
    };
    // Read as UTF-8 (the default), the header is refused with the way out; nothing is written.
    let (code, _, err) = import(&[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("clients.csv:1") && err.contains("--encoding windows-1252"),
        "{err}"
    );
    assert_eq!(records(dir.path()), 0);

    let (code, out, err) = import(&["--encoding", "windows-1252"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("2 enregistrements importés, 2 personnes créées"),
        "{out}"
    );
    // The current customer's contract runs: the import says its retention waits for that date.
    assert!(
        out.contains("contact: 1 record(s) without a retention date until `contract_end` is dated"),
        "{out}"
    );
    // The former customer's record is due a year after its contract ended (demo rule:
    // "1 year after contract end"), midnight in Paris; the other has no due date yet.
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM records WHERE retention_due IS NOT NULL"
        ),
        1
    );
    let (code, out, err) = run(dir.path(), &["purge", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    let contact = out
        .lines()
        .find(|l| l.starts_with("contact "))
        .unwrap_or_else(|| panic!("no contact line: {out}"));
    assert_eq!(
        contact.split_whitespace().nth(1),
        Some("1"),
        "one record to delete now: {contact}"
    );
}

#[test]
fn a_column_that_means_nothing_is_refused_at_the_header() {
    let dir = project();
    std::fs::write(
        dir.path().join("clients.csv"),
        "subject_ref,mail\nC-1,c1@example.org\n",
    )
    .expect("write csv");
    let (code, _, err) = run(
        dir.path(),
        &["import", "clients.csv", "--category", "contact", "--quiet"],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("clients.csv:1")
            && err.contains("column 2 `mail`")
            && err.contains("--map 'mail=FIELD'"),
        "{err}"
    );
    assert_eq!(records(dir.path()), 0);
}

#[test]
fn a_file_naming_no_subject_is_refused_at_the_header() {
    let dir = project();
    std::fs::write(dir.path().join("contacts.csv"), "email\nc1@example.org\n").expect("write csv");
    let (code, _, err) = run(
        dir.path(),
        &["import", "contacts.csv", "--category", "contact", "--quiet"],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("contacts.csv:1") && err.contains("subject_ref"),
        "{err}"
    );
    assert_eq!(records(dir.path()), 0);
}

#[test]
fn line_numbers_count_the_lines_inside_quoted_cells_and_an_empty_file_is_said_so() {
    let dir = project();
    // Line 2–3: an address on two lines (quoted); line 4: an impossible date; line 5: a bad e-mail.
    std::fs::write(
        dir.path().join("multi.csv"),
        "subject_ref;email;postal_address;contract_end\r\n\
         c1;a@example.org;\"1 rue A\r\n75001 Paris\";31/01/2024\r\n\
         c2;b@example.org;\"2 rue B\";32/01/2024\r\n\
         c3;pas-un-email;;\r\n",
    )
    .expect("write csv");
    let (code, _, err) = run(
        dir.path(),
        &["import", "multi.csv", "--category", "contact", "--quiet"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("multi.csv:4: colonne « contract_end »")
            && err.contains("multi.csv:5: le champ « email »"),
        "{err}"
    );
    std::fs::write(dir.path().join("empty.csv"), "").expect("write csv");
    let (code, _, err) = run(
        dir.path(),
        &["import", "empty.csv", "--category", "contact", "--quiet"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("empty file"), "{err}");
    assert_eq!(records(dir.path()), 0);
}
