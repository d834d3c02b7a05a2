//! The foundation as a new user meets it: `habeas init`, `habeas check`
//! (passing, then broken on purpose), `habeas register` / `notice` /
//! `assurance` to stdout and files, and `habeas demo`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn habeas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_habeas"))
        .args(args)
        .output()
        .expect("run habeas")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hosting-provider")
}

fn init(dir: &Path) {
    let out = habeas(&["init", dir.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "init failed: {}", text(&out.stderr));
}

#[test]
fn init_then_check_passes_without_warnings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = tmp.path().join("x");
    init(&project);
    assert!(project.join("habeas.toml").is_file());
    assert!(project.join("declarations/activities.toml").is_file());
    let out = habeas(&[
        "-C",
        project.to_str().expect("path"),
        "check",
        "--deny-warnings",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ok: no problem found"));
}

#[test]
fn init_refuses_a_non_empty_directory_unless_forced() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("notes.txt"), "mine").expect("write");
    let dir = tmp.path().to_str().expect("path");
    let out = habeas(&["init", dir]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !tmp.path().join("habeas.toml").exists(),
        "a refused init must write nothing"
    );
    let out = habeas(&["init", "--force", dir]);
    assert!(out.status.success());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("notes.txt")).expect("read"),
        "mine"
    );
}

#[test]
fn a_broken_declaration_fails_with_file_line_and_a_hint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = tmp.path().join("p");
    init(&project);
    let path = project.join("declarations/categories.toml");
    let original = std::fs::read_to_string(&path).expect("read");
    let broken = original.replace(
        "retention = \"30 days after contract end\"",
        "retention = \"30 dayz after contract end\"",
    );
    assert_ne!(broken, original);
    std::fs::write(&path, &broken).expect("write");
    let line = broken[..broken.find("30 dayz").expect("edit")]
        .matches('\n')
        .count()
        + 1;

    let out = habeas(&["-C", project.to_str().expect("path"), "check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[H014]: invalid retention rule: unknown unit `dayz`"),
        "{err}"
    );
    assert!(
        err.contains(&format!("--> declarations/categories.toml:{line}:17")),
        "{err}"
    );
    assert!(
        err.contains("help: use `days`, `weeks`, `months` or `years`"),
        "{err}"
    );

    let out = habeas(&[
        "-C",
        project.to_str().expect("path"),
        "check",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["ok"], false);
    assert_eq!(report["diagnostics"][0]["code"], "H014");
    assert_eq!(
        report["diagnostics"][0]["location"]["file"],
        "declarations/categories.toml"
    );
    assert_eq!(report["diagnostics"][0]["location"]["line"], line);

    // Rendering refuses broken declarations.
    let out = habeas(&["-C", project.to_str().expect("path"), "register"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn settings_errors_are_reported_by_check() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = tmp.path().join("p");
    init(&project);
    let path = project.join("habeas.toml");
    let settings = std::fs::read_to_string(&path)
        .expect("read")
        .replace("dir = \"keys\"", "dir = \"data/keys\"");
    std::fs::write(&path, settings).expect("write");
    let out = habeas(&["-C", project.to_str().expect("path"), "check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("error[H070]: the key directory is inside the data directory"),
        "{err}"
    );
    assert!(err.contains("--> habeas.toml:"), "{err}");
}

#[test]
fn demo_provider_checks_clean_and_renders_every_format() {
    let dir = demo_dir();
    let dir = dir.to_str().expect("path");
    let out = habeas(&["-C", dir, "check", "--deny-warnings"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = habeas(&["-C", dir, "register", "--format", "md", "--lang", "en"]);
    assert!(out.status.success());
    let md = text(&out.stdout);
    assert!(
        md.starts_with("# Record of processing activities (controller) — Hébergix SAS"),
        "{md}"
    );
    assert!(md.contains("PA-0002 — Billing and accounting"));
    assert!(
        !md.contains("PA-0102"),
        "processor activities belong to the processor view"
    );

    let out = habeas(&[
        "-C",
        dir,
        "register",
        "--view",
        "processor",
        "--format",
        "csv",
    ]);
    assert!(out.status.success());
    let csv = text(&out.stdout);
    assert!(csv.starts_with("N° / Réf,Nom du traitement,"));
    assert!(csv.contains("PA-0102"));

    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("register.jsonld");
    let out = habeas(&[
        "-C",
        dir,
        "register",
        "--format",
        "jsonld",
        "-o",
        file.to_str().expect("path"),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    assert_eq!(doc["@context"]["dpv"], "https://w3id.org/dpv#");

    let out = habeas(&["-C", dir, "notice", "--lang", "en", "--format", "html"]);
    assert!(out.status.success());
    let html = text(&out.stdout);
    assert!(
        html.contains("<html lang=\"en\">")
            && html.contains("Commission nationale de l&#39;informatique")
    );

    let out = habeas(&["-C", dir, "assurance"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("Relais Postal SAS"));
}

#[test]
fn demo_writes_every_document_and_says_where() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out_dir = tmp.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_habeas"))
        .args([
            "demo",
            "--render-only",
            "--out",
            out_dir.to_str().expect("path"),
        ])
        .current_dir(tmp.path())
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(out_dir.to_str().expect("path")));
    let count = std::fs::read_dir(&out_dir).expect("dir").count();
    // 2 languages × (2 views × 5 formats + notice × 2 + assurance × 2).
    assert_eq!(count, 28);
    assert!(out_dir.join("register-processor.en.jsonld").is_file());
    assert!(out_dir.join("notice.fr.html").is_file());
}

#[test]
fn missing_project_says_how_to_create_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = habeas(&["-C", tmp.path().to_str().expect("path"), "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("habeas init"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn register_history_shows_committed_changes() {
    if Command::new("git").arg("--version").output().is_err() {
        if std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("git is required");
        }
        eprintln!("SKIPPED: git not found; register history not tested");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let project = tmp.path().join("p");
    init(&project);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(&project)
            .args(args)
            .env("GIT_AUTHOR_NAME", "DPO")
            .env("GIT_AUTHOR_EMAIL", "dpo@example.invalid")
            .env("GIT_COMMITTER_NAME", "DPO")
            .env("GIT_COMMITTER_EMAIL", "dpo@example.invalid")
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "Initial register"]);
    let path = project.join("declarations/categories.toml");
    let changed = std::fs::read_to_string(&path)
        .expect("read")
        .replace("30 days after contract end", "60 days after contract end");
    std::fs::write(&path, changed).expect("write");
    git(&["commit", "-q", "-am", "Hosted content kept 60 days"]);

    let out = habeas(&[
        "-C",
        project.to_str().expect("path"),
        "register",
        "--history",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = text(&out.stdout);
    assert!(
        log.contains("Hosted content kept 60 days") && log.contains("Initial register"),
        "{log}"
    );
    assert!(
        log.find("Hosted content").expect("newest") < log.find("Initial register").expect("oldest")
    );
    assert!(log.contains("declarations/categories.toml"));

    // Outside a git repository the command says what to do.
    let bare = tmp.path().join("bare");
    init(&bare);
    let out = habeas(&["-C", bare.to_str().expect("path"), "register", "--history"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not in a git repository"),
        "{}",
        text(&out.stderr)
    );
}
