//! End-to-end flows of `habeas mail …` through the real binary.

#[path = "../../habeas-mail/tests/support/maildir_gen.rs"]
mod maildir_gen;
mod vault_support;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const USER: &str = "Me@Corp.example";

fn habeas(project: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_habeas"))
        .arg("-C")
        .arg(project)
        .args(["mail"])
        .args(args)
        .output()
        .unwrap()
}

fn habeas_stdin(project: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_habeas"))
        .arg("-C")
        .arg(project)
        .args(["mail"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The filter may decide (and exit) before reading the whole message,
    // e.g. a temporary failure: a broken pipe here is the filter's choice.
    if let Err(e) = child.stdin.take().unwrap().write_all(stdin) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn setup(project: &Path) {
    ok(&habeas(
        project,
        &[
            "list",
            "add",
            USER,
            "--perso",
            "Mum@Family.example",
            "--perso",
            "@club.example",
            "--deny",
            "@spam.example",
            "--allow",
            "boss@spam.example",
        ],
    ));
}

#[test]
fn lists_are_normalised_sealed_in_the_vault_and_contradictions_change_nothing() {
    let tmp = vault_support::project();
    let project = tmp.path();
    setup(project);
    // In the vault, sealed: no plaintext file, no address in any database file.
    assert!(!project.join("data/mail-lists").exists());
    let files = vault_support::all_files(&[project.join("data"), project.join("keys")]);
    assert!(!files.is_empty());
    for (path, bytes) in &files {
        for needle in ["mum@family.example", "me@corp.example", "club.example"] {
            assert!(
                !vault_support::contains(bytes, needle.as_bytes()),
                "{needle} in plaintext in {}",
                path.display()
            );
        }
    }
    assert_eq!(
        vault_support::count(
            project,
            "SELECT count(*) FROM records WHERE category = 'mail_lists'"
        ),
        4
    );

    let before = ok(&habeas(project, &["list", "export", USER]));
    assert!(before.contains("perso,mum@family.example"), "{before}");

    // Contradiction inside a multi-entry add: refused as a whole.
    let out = habeas(
        project,
        &[
            "list",
            "add",
            USER,
            "--allow",
            "new@x.example",
            "--deny",
            "MUM@family.example",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("contradiction"), "{}", stderr(&out));
    assert_eq!(ok(&habeas(project, &["list", "export", USER])), before);

    let out = habeas(
        project,
        &["list", "add", USER, "--perso", "mum@family.example"],
    );
    assert!(stderr(&out).contains("doublon"), "{}", stderr(&out));

    let json = ok(&habeas(project, &["list", "show", USER, "--json"]));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["user"], "me@corp.example");
    assert_eq!(value["deny"][0], "@spam.example");

    ok(&habeas(
        project,
        &["list", "rm", USER, "--allow", "BOSS@spam.example"],
    ));
    let text = ok(&habeas(project, &["list", "show", USER]));
    assert!(text.contains("allow (0)"), "{text}");
    let out = habeas(
        project,
        &["list", "rm", USER, "--allow", "boss@spam.example"],
    );
    assert!(!out.status.success());
}

#[test]
fn csv_import_is_all_or_nothing_with_line_numbers() {
    let tmp = vault_support::project();
    let project = tmp.path();
    setup(project);
    let before = ok(&habeas(project, &["list", "export", USER]));
    let bad = project.join("bad.csv");
    fs::write(
        &bad,
        "list,entry\nallow,fine@x.example\ndeny,mum@family.example\nspam,a@b.example\nperso,nope\n",
    )
    .unwrap();
    let out = habeas(project, &["list", "import", USER, bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    for line in ["line 3", "line 4", "line 5"] {
        assert!(err.contains(line), "{err}");
    }
    assert!(!err.contains("nope"), "address echoed: {err}");
    assert_eq!(ok(&habeas(project, &["list", "export", USER])), before);

    let good = project.join("good.csv");
    fs::write(&good, format!("{before}allow,fine@x.example\n")).unwrap();
    ok(&habeas(
        project,
        &["list", "import", USER, good.to_str().unwrap()],
    ));
    let after = ok(&habeas(project, &["list", "export", USER]));
    assert!(after.contains("allow,fine@x.example"), "{after}");
}

#[test]
fn sieve_scripts_follow_settings_and_all_writes_the_dovecot_layout() {
    let tmp = vault_support::project();
    let project = tmp.path();
    setup(project);
    let settings = ok(&habeas(
        project,
        &[
            "settings",
            USER,
            "--tag",
            "folder,subject",
            "--folder",
            "Privé",
            "--reject-message",
            "Refusé \"net\"",
        ],
    ));
    assert!(settings.contains("folder \"Privé\""), "{settings}");
    let script = ok(&habeas(project, &["sieve", USER]));
    assert!(script.contains("fileinto :create \"Privé\";"), "{script}");
    assert!(script.contains(r#"reject "Refusé \"net\"";"#), "{script}");
    assert!(!script.contains("addflag"), "{script}");
    let out = habeas(
        project,
        &["settings", USER, "--tag", "folder", "--folder", "a/b"],
    );
    assert!(!out.status.success());

    ok(&habeas(
        project,
        &[
            "list",
            "add",
            "other@corp.example",
            "--deny",
            "@spam.example",
        ],
    ));
    let out_dir = project.join("sieve");
    fs::create_dir_all(&out_dir).unwrap();
    fs::write(out_dir.join("README"), "not ours").unwrap();
    ok(&habeas(
        project,
        &["sieve", "--all", "--out", out_dir.to_str().unwrap()],
    ));
    let mut names: Vec<String> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names
            .iter()
            .filter(|n| n.ends_with(".sieve"))
            .all(|n| n.len() == 70)
    );

    // Erasing a user removes their script on the next --all run.
    ok(&habeas(
        project,
        &["list", "erase", "other@corp.example", "--yes"],
    ));
    ok(&habeas(
        project,
        &["sieve", "--all", "--out", out_dir.to_str().unwrap()],
    ));
    let count = fs::read_dir(&out_dir).unwrap().count();
    assert_eq!(count, 2);
    assert_eq!(
        fs::read_to_string(out_dir.join("README")).unwrap(),
        "not ours"
    );
    assert!(
        !habeas(project, &["sieve", "nobody@corp.example"])
            .status
            .success()
    );
}

#[test]
fn filter_follows_pipe_exit_code_conventions() {
    let tmp = vault_support::project();
    let project = tmp.path();
    setup(project);
    ok(&habeas(
        project,
        &["settings", USER, "--tag", "keyword,subject"],
    ));

    let perso = b"From: =?UTF-8?Q?Maman?= <mum@family.example>\r\nSubject: =?UTF-8?Q?f=C3=AAte?=\r\n\r\nbody\r\n";
    let out = habeas_stdin(project, &["filter", USER], perso);
    assert_eq!(
        ok(&out).as_bytes(),
        b"X-Habeas-Class: perso\r\nFrom: =?UTF-8?Q?Maman?= <mum@family.example>\r\nSubject: [PERSO] =?UTF-8?Q?f=C3=AAte?=\r\n\r\nbody\r\n"
    );

    let denied = b"From: x@spam.example\nSubject: s\n\nb\n";
    let out = habeas_stdin(project, &["filter", USER], denied);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let out = habeas_stdin(project, &["filter", USER, "--keep-denied"], denied);
    assert!(ok(&out).starts_with("X-Habeas-Class: deny\n"));

    ok(&habeas(project, &["settings", USER, "--deny", "reject"]));
    let out = habeas_stdin(project, &["filter", USER], denied);
    assert_eq!(out.status.code(), Some(77));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("refused"), "{}", stderr(&out));

    let malformed = b"garbage without header\n\nbody\n";
    let out = habeas_stdin(project, &["filter", USER], malformed);
    let text = ok(&out);
    assert!(text.starts_with("X-Habeas-Warning: "), "{text}");
    assert!(text.as_bytes().ends_with(malformed));

    let out = habeas_stdin(project, &["filter", "unknown@corp.example"], denied);
    assert_eq!(
        ok(&out),
        "X-Habeas-Class: none\nFrom: x@spam.example\nSubject: s\n\nb\n"
    );

    // Vault unreadable (damaged database): temporary failure, the MTA keeps
    // the message.
    for name in ["habeas.db", "habeas.db-wal", "habeas.db-shm"] {
        let _ = fs::remove_file(project.join("data").join(name));
    }
    fs::write(
        project.join("data/habeas.db"),
        b"not a database, not at all",
    )
    .unwrap();
    let out = habeas_stdin(project, &["filter", USER], perso);
    assert_eq!(out.status.code(), Some(75));
    assert!(out.stdout.is_empty());
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn perso_export_and_purge_with_dry_run_first() {
    let tmp = vault_support::project();
    let project = tmp.path();
    let maildir = project.join("Maildir");
    let generated = maildir_gen::generate(&maildir, 200, 7);
    // Store the generator's lists for the user through the CLI's store format.
    let lists = maildir_gen::lists();
    let store = habeas_mail::FileStore::for_project(project);
    habeas_mail::MailListStore::save(&store, &lists).unwrap();
    let user = "me@corp.example";
    let maildir_arg = maildir.to_str().unwrap();

    let mbox = project.join("perso.mbox");
    let out = habeas(
        project,
        &[
            "perso",
            "export",
            user,
            "--maildir",
            maildir_arg,
            "--out",
            mbox.to_str().unwrap(),
        ],
    );
    ok(&out);
    let exported = habeas_mail::maildir::read_mboxrd(&fs::read(&mbox).unwrap());
    assert_eq!(exported.len(), generated.perso.len());

    let before = snapshot(&maildir);
    let listing = ok(&habeas(
        project,
        &["perso", "purge", user, "--maildir", maildir_arg],
    ));
    assert_eq!(listing.lines().count(), generated.perso.len());
    assert!(
        stderr(&habeas(
            project,
            &["perso", "purge", user, "--maildir", maildir_arg]
        ))
        .contains("--yes")
    );
    assert_eq!(snapshot(&maildir), before, "dry run changed files");

    ok(&habeas(
        project,
        &["perso", "purge", user, "--maildir", maildir_arg, "--yes"],
    ));
    let mut expected = before;
    for path in &generated.perso {
        assert!(expected.remove(&maildir.join(path)).is_some());
    }
    assert_eq!(snapshot(&maildir), expected);
}

#[test]
fn erasing_a_users_lists_shreds_them_and_every_change_is_journaled() {
    let tmp = vault_support::project();
    let project = tmp.path();
    setup(project);
    ok(&habeas(project, &["settings", USER, "--folder", "Perso"]));
    // A copy of the data taken before the erasure (like a backup).
    let before = tmp.path().join("copy-before");
    vault_support::copy_tree(&project.join("data"), &before);

    ok(&habeas(project, &["list", "erase", USER, "--yes"]));
    let shown = ok(&habeas(project, &["list", "show", USER]));
    assert!(
        shown.contains("perso (0)") && !shown.contains("mum@family"),
        "{shown}"
    );
    assert_eq!(
        vault_support::count(
            project,
            "SELECT count(*) FROM records WHERE category = 'mail_lists'"
        ),
        0
    );
    let journaled = |action: &str| {
        vault_support::count(
            project,
            &format!(
                "SELECT count(*) FROM journal WHERE action = '{action}' AND category = 'mail_lists'"
            ),
        )
    };
    assert_eq!(journaled("records.change"), 2, "add and settings change");
    assert!(
        journaled("read") >= 1,
        "loading the lists is a journaled read"
    );
    assert_eq!(journaled("category.shred"), 1);
    ok(&vault_support::habeas(project)
        .args(["audit", "verify"])
        .output()
        .unwrap());

    // Crypto-shredding: the earlier copy's ciphertexts have no key any more.
    std::fs::remove_dir_all(project.join("data")).unwrap();
    vault_support::copy_tree(&before, &project.join("data"));
    let shown = ok(&habeas(project, &["list", "show", USER]));
    assert!(
        shown.contains("perso (0)") && !shown.contains("mum@family"),
        "the pre-erasure copy still opens: {shown}"
    );
}

#[test]
fn lists_left_in_plaintext_files_move_into_the_vault_once() {
    let tmp = vault_support::project();
    let project = tmp.path();
    let dir = project.join("data/mail-lists");
    std::fs::create_dir_all(&dir).unwrap();
    let mut legacy = habeas_mail::UserLists::new("old@corp.example");
    legacy
        .add(habeas_mail::ListKind::Perso, "friend@home.example")
        .unwrap();
    habeas_mail::MailListStore::save(&habeas_mail::FileStore::new(&dir), &legacy).unwrap();

    let out = habeas(project, &["list", "show", "old@corp.example"]);
    let text = ok(&out);
    assert!(text.contains("friend@home.example"), "{text}");
    assert!(
        stderr(&out).contains("moved from plaintext files"),
        "{}",
        stderr(&out)
    );
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .collect();
    assert!(left.is_empty(), "plaintext list files remain");
    // Second run: nothing to move, same lists.
    let out = habeas(project, &["list", "show", "old@corp.example"]);
    assert!(ok(&out).contains("friend@home.example"));
    assert!(!stderr(&out).contains("moved from plaintext"));
}

/// Runs a `habeas` command outside `mail`; returns stdout, failing on error.
fn habeas_ok(project: &Path, args: &[&str]) -> String {
    let out = vault_support::habeas(project).args(args).output().unwrap();
    ok(&out)
}

#[test]
fn a_mail_users_lists_are_in_their_access_answer_and_go_with_their_erasure() {
    let tmp = vault_support::project();
    let project = tmp.path();
    setup(project);
    let request = |kind: &str| {
        let out = habeas_ok(
            project,
            &[
                "requests",
                "new",
                "--kind",
                kind,
                "--email",
                "me@corp.example",
                "--no-mail",
            ],
        );
        let id = out.lines().next().unwrap().trim().to_string();
        habeas_ok(
            project,
            &[
                "requests", "proof", &id, "--method", "session", "--by", "agent-7",
            ],
        );
        id
    };

    // Art. 15: the lists are part of what is held, with their recording dates.
    let access = request("access");
    let answer = habeas_ok(project, &["requests", "export", &access]);
    assert!(answer.contains("mail_lists"), "{answer}");
    assert!(answer.contains("mum@family.example") && answer.contains("@spam.example"));
    // When and why the lists were used: dates and purposes, never who.
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let log = json["access_log"].as_array().expect("access_log");
    assert!(
        log.iter().any(|e| e["purpose"] == "PA-0102"
            && e["categories"]
                .as_array()
                .is_some_and(|c| c.contains(&"mail_lists".into()))),
        "{log:?}"
    );
    assert!(!answer.contains("cli:mail"), "no actor in the answer");

    // Art. 17: erasing the mail user erases the lists.
    let erasure = request("erasure");
    habeas_ok(project, &["requests", "erase", &erasure, "--lang", "en"]);
    let shown = ok(&habeas(project, &["list", "show", USER]));
    assert!(
        shown.contains("perso (0)") && !shown.contains("mum@family"),
        "{shown}"
    );
    assert_eq!(
        vault_support::count(
            project,
            "SELECT count(*) FROM records WHERE category = 'mail_lists'"
        ),
        0
    );
}

/// A project made by `habeas init` does not declare the lists: `habeas mail`
/// refuses, says where to declare them and prints the declaration; doing
/// what it says is enough for the lists to work.
#[test]
fn a_starter_project_is_told_how_to_declare_the_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("starter");
    let out = Command::new(env!("CARGO_BIN_EXE_habeas"))
        .arg("init")
        .arg(&project)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = habeas(
        &project,
        &["list", "add", USER, "--perso", "mum@home.example"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("declarations/categories.toml") && err.contains("docs/mail.md"),
        "{err}"
    );
    let declaration = habeas_mail::vault_store::DECLARATION_EXAMPLE;
    assert!(err.contains(declaration), "{err}");

    // Do as told: the category, then an activity that processes it.
    let categories = project.join("declarations/categories.toml");
    let mut text = fs::read_to_string(&categories).unwrap();
    text.push('\n');
    text.push_str(declaration);
    text.push('\n');
    fs::write(&categories, text).unwrap();
    let activities = project.join("declarations/activities.toml");
    let text = fs::read_to_string(&activities).unwrap();
    let with_lists = text.replacen(
        r#"categories = ["hosted_content"]"#,
        r#"categories = ["hosted_content", "mail_lists"]"#,
        1,
    );
    assert_ne!(with_lists, text, "the starter's hosting activity changed");
    fs::write(&activities, with_lists).unwrap();

    let out = habeas(
        &project,
        &["list", "add", USER, "--perso", "mum@home.example"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = habeas(&project, &["list", "show", USER]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("mum@home.example"));
}
