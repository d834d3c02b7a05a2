//! End-to-end flows of `habeas mail …` through the real binary.

#[path = "../../habeas-mail/tests/support/maildir_gen.rs"]
mod maildir_gen;

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
fn lists_are_normalised_stored_under_a_hash_and_contradictions_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path();
    setup(project);
    let files: Vec<String> = fs::read_dir(project.join("data/mail-lists"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(files.len(), 1);
    assert!(
        !files[0].contains("corp") && files[0].len() == 69,
        "{files:?}"
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
    let tmp = tempfile::tempdir().unwrap();
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
    let tmp = tempfile::tempdir().unwrap();
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
    let tmp = tempfile::tempdir().unwrap();
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

    // Unreadable lists: temporary failure, the MTA keeps the message.
    for entry in fs::read_dir(project.join("data/mail-lists")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            fs::write(&path, b"{ not json").unwrap();
        }
    }
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
    let tmp = tempfile::tempdir().unwrap();
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
