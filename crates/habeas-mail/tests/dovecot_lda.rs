//! Real delivery through Dovecot's LDA with the generated script installed as
//! `sieve_before = <dir>/%{sha256:user}.sieve` and pre-compiled with `sievec`,
//! exactly as docs/mail.md tells providers to do. It proves the file layout
//! (Dovecot's `%{sha256:user}` equals [`habeas_mail::user_key`]), that the
//! user's own script cannot skip the provider rules, and that `editheader`
//! works as a global-only extension.
//!
//! Needs dovecot-lda and sievec (Debian: dovecot-core, dovecot-sieve); when
//! run as root, `setpriv` (util-linux) to deliver as `nobody`. Missing tools:
//! `SKIPPED`, or failure under `HABEAS_REQUIRE_TOOLS=1`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use habeas_mail::lists::{DenyAction, ListKind, Settings, TagStyle};
use habeas_mail::{UserLists, sieve, user_key};

const LDA_PATHS: [&str; 2] = [
    "/usr/lib/dovecot/dovecot-lda",
    "/usr/libexec/dovecot/dovecot-lda",
];

fn tools() -> Option<PathBuf> {
    let lda = LDA_PATHS.iter().map(PathBuf::from).find(|p| p.exists());
    let sievec = Command::new("sievec").arg("--version").output().is_ok()
        && Command::new("setpriv").arg("--version").output().is_ok();
    match (lda, sievec) {
        (Some(lda), true) => Some(lda),
        _ => {
            if std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() == Ok("1") {
                panic!(
                    "dovecot-lda and sievec are required (HABEAS_REQUIRE_TOOLS=1): apt-get install dovecot-core dovecot-sieve"
                );
            }
            eprintln!(
                "SKIPPED: dovecot-lda or sievec not found (apt-get install dovecot-core dovecot-sieve)"
            );
            None
        }
    }
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn delivered(root: &Path, folder: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        let dir = root.join(folder).join(sub);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, fs::read(&path).unwrap()));
        }
    }
    out
}

#[test]
fn provider_script_runs_before_the_users_own_and_cannot_be_skipped() {
    let Some(lda) = tools() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    chmod(home, 0o777);
    let probe = home.join("probe");
    fs::write(&probe, b"").unwrap();
    let root = fs::metadata(&probe).unwrap().uid() == 0;
    let (uid, gid) = if root {
        (65534, 65534)
    } else {
        let m = fs::metadata(&probe).unwrap();
        (m.uid(), m.gid())
    };
    let before_dir = home.join("before");
    let mail = home.join("mail");
    fs::create_dir(&before_dir).unwrap();
    fs::create_dir(&mail).unwrap();
    chmod(&mail, 0o777);

    let user = "me@corp.example";
    let mut lists = UserLists::new(user);
    lists.add(ListKind::Perso, "mum@family.example").unwrap();
    lists.add(ListKind::Deny, "@spam.example").unwrap();
    lists
        .set_settings(Settings {
            tag: TagStyle {
                keyword: true,
                folder: Some("Perso".into()),
                subject: Some("[PERSO]".into()),
            },
            deny: DenyAction::Discard,
            fold_plus: false,
        })
        .unwrap();
    let script_path = before_dir.join(format!("{}.sieve", user_key(user)));
    fs::write(&script_path, sieve::generate(&lists)).unwrap();
    // The user's own script files everything into Work.
    fs::write(
        home.join(".dovecot.sieve"),
        "require [\"fileinto\", \"mailbox\"];\nfileinto :create \"Work\";\n",
    )
    .unwrap();

    let common = format!(
        "mail_uid = {uid}\nmail_gid = {gid}\nfirst_valid_uid = 1\nfirst_valid_gid = 0\n\
         mail_location = maildir:{mail}\nprotocols =\nlog_path = {log}\n\
         postmaster_address = postmaster@corp.example\n",
        mail = mail.display(),
        log = home.join("dovecot.log").display()
    );
    let lda_conf = home.join("lda.conf");
    fs::write(
        &lda_conf,
        format!(
            "{common}mail_plugins = sieve\nplugin {{\n  sieve = file:{h}/sieve;active={h}/.dovecot.sieve\n  \
             sieve_before = {dir}/%{{sha256:user}}.sieve\n  sieve_global_extensions = +editheader\n}}\n",
            h = home.display(),
            dir = before_dir.display()
        ),
    )
    .unwrap();
    let sievec_conf = home.join("sievec.conf");
    fs::write(
        &sievec_conf,
        format!("{common}plugin {{\n  sieve_extensions = +editheader\n}}\n"),
    )
    .unwrap();
    for path in [
        &lda_conf,
        &sievec_conf,
        &script_path,
        &home.join(".dovecot.sieve"),
    ] {
        chmod(path, 0o644);
    }
    // Root-owned script directory: pre-compile, as Dovecot cannot write there.
    let status = Command::new("sievec")
        .arg("-c")
        .arg(&sievec_conf)
        .arg(&before_dir)
        .status()
        .unwrap();
    assert!(status.success());
    chmod(&before_dir, 0o755);

    let deliver = |message: &[u8]| {
        let mut cmd = if root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&lda);
            c
        } else {
            Command::new(&lda)
        };
        let mut child = cmd
            .arg("-c")
            .arg(&lda_conf)
            .env("USER", user)
            .env("HOME", home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(message).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    deliver(b"From: Mum <mum@family.example>\nSubject: =?UTF-8?B?w6l0w6k=?=\n\nperso\n");
    deliver(b"From: Deals <deals@spam.example>\nSubject: win\n\ndeny\n");
    deliver(b"From: colleague@corp.example\nSubject: work\n\nother\n");

    let log = fs::read_to_string(home.join("dovecot.log")).unwrap_or_default();
    assert!(!log.contains("Error"), "{log}");
    let perso = delivered(&mail, ".Perso");
    assert_eq!(perso.len(), 1, "{log}");
    let (name, bytes) = &perso[0];
    assert!(name.ends_with(":2,a"), "keyword letter missing: {name}");
    let parsed = mail_parser::MessageParser::new().parse(bytes).unwrap();
    assert_eq!(parsed.subject(), Some("[PERSO] été"));
    let work = delivered(&mail, ".Work");
    assert_eq!(work.len(), 1, "{log}");
    assert!(work[0].1.ends_with(b"other\n"));
    assert!(delivered(&mail, "").is_empty(), "{log}");
    let found = habeas_mail::maildir::find_perso(&mail, &lists).unwrap();
    assert_eq!(found.len(), 1);
}
