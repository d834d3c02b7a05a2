//! The generated Sieve scripts, run by Dovecot Pigeonhole's real `sieve-test`
//! (Debian package dovecot-sieve) against real-shaped messages.
//!
//! Without `sieve-test` the tests print `SKIPPED` and pass, unless
//! `HABEAS_REQUIRE_TOOLS=1` (CI), where they fail.
//!
//! sieve-test needs a minimal dovecot.conf: when run as root it drops
//! privileges to `mail_uid`, so the work directory is world-writable and the
//! mail user is `nobody`. `editheader` is enabled with `sieve_extensions`
//! (in production: `sieve_global_extensions`, for before scripts only).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use habeas_mail::lists::{DenyAction, ListKind, Settings, TagStyle};
use habeas_mail::maildir::{PersoReason, find_perso};
use habeas_mail::{UserLists, sieve};

fn sieve_test_available() -> bool {
    let found = Command::new("sieve-test").arg("--version").output().is_ok();
    if !found {
        if std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!(
                "sieve-test is required (HABEAS_REQUIRE_TOOLS=1): apt-get install dovecot-sieve dovecot-core"
            );
        }
        eprintln!("SKIPPED: sieve-test not found (apt-get install dovecot-sieve dovecot-core)");
    }
    found
}

struct Dovecot {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Dovecot {
    /// A fresh sieve-test set-up, or `None` (after a loud `SKIPPED`) when
    /// sieve-test is not installed.
    fn available() -> Option<Dovecot> {
        sieve_test_available().then(Dovecot::new)
    }

    fn new() -> Dovecot {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let probe = dir.path().join("probe");
        fs::write(&probe, b"").unwrap();
        let meta = fs::metadata(&probe).unwrap();
        let (uid, gid) = if meta.uid() == 0 {
            (65534, 65534)
        } else {
            (meta.uid(), meta.gid())
        };
        let mail = dir.path().join("mail");
        fs::create_dir(&mail).unwrap();
        fs::set_permissions(&mail, fs::Permissions::from_mode(0o777)).unwrap();
        let conf = dir.path().join("dovecot.conf");
        fs::write(
            &conf,
            format!(
                "mail_uid = {uid}\nmail_gid = {gid}\nfirst_valid_uid = 1\nfirst_valid_gid = 0\n\
                 mail_location = maildir:{}\nplugin {{\n  sieve_extensions = +editheader\n}}\n",
                mail.display()
            ),
        )
        .unwrap();
        Dovecot { dir, conf }
    }

    fn mail(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        fs::write(&path, bytes).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        path
    }

    /// Delivers `message` into the Maildir through the managed script alone.
    fn deliver(&self, before: &str, message: &[u8]) {
        self.run(before, None, message, true);
    }

    /// Runs sieve-test; `before` is the managed script and `user_script` the
    /// user's own (as Dovecot runs sieve_before then the personal script).
    fn run(
        &self,
        before: &str,
        user_script: Option<&str>,
        message: &[u8],
        execute: bool,
    ) -> String {
        let before_path = self.write("before.sieve", before.as_bytes());
        let message_path = self.write("message.eml", message);
        let mut cmd = Command::new("sieve-test");
        cmd.env("HOME", self.dir.path()).arg("-c").arg(&self.conf);
        if execute {
            cmd.arg("-e")
                .arg("-l")
                .arg(format!("maildir:{}", self.mail().display()));
        }
        let main = match user_script {
            Some(script) => {
                cmd.arg("-s").arg(&before_path);
                self.write("user.sieve", script.as_bytes())
            }
            None => before_path,
        };
        let output = cmd.arg(&main).arg(&message_path).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "sieve-test failed\nscript:\n{before}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        assert!(
            !stderr.contains("Error"),
            "sieve-test error:\n{stderr}\nscript:\n{before}"
        );
        stdout
    }
}

/// The files delivered into the Maildir (path, bytes).
fn delivered(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.parent()
                    .and_then(|p| p.file_name())
                    .and_then(|n| n.to_str()),
                Some("cur" | "new")
            ) {
                let bytes = fs::read(&path).unwrap();
                out.push((path, bytes));
            }
        }
    }
    out
}

fn base_lists() -> UserLists {
    let mut l = UserLists::new("me@corp.example");
    l.add(ListKind::Perso, "mum@family.example").unwrap();
    l.add(ListKind::Perso, "@club.example").unwrap();
    l.add(ListKind::Deny, "pest@club.example").unwrap();
    l.add(ListKind::Deny, "@spam.example").unwrap();
    l.add(ListKind::Allow, "boss@spam.example").unwrap();
    l
}

fn with_settings(mut l: UserLists, tag: TagStyle, deny: DenyAction) -> UserLists {
    l.set_settings(Settings {
        tag,
        deny,
        fold_plus: false,
    })
    .unwrap();
    l
}

const USER_SCRIPT: &str = "require [\"fileinto\"];\nfileinto \"Work\";\n";

fn actions(stdout: &str) -> &str {
    stdout.split("Implicit keep:").next().unwrap_or(stdout)
}

#[test]
fn deny_discards_and_the_users_script_does_not_run() {
    let Some(d) = Dovecot::available() else {
        return;
    };
    let script = sieve::generate(&base_lists());
    let out = d.run(
        &script,
        Some(USER_SCRIPT),
        b"From: Promo <Deals@SPAM.example>\r\nTo: me@corp.example\r\nSubject: win\r\n\r\nbody\r\n",
        false,
    );
    assert!(actions(&out).contains("* discard"), "{out}");
    assert!(!out.contains("Work"), "user script ran after stop:\n{out}");
}

#[test]
fn deny_rejects_with_an_escaped_message() {
    let Some(d) = Dovecot::available() else {
        return;
    };
    let lists = with_settings(
        base_lists(),
        TagStyle::default(),
        DenyAction::Reject {
            message: r#"Refusé : "non" \ merci"#.into(),
        },
    );
    let out = d.run(
        &sieve::generate(&lists),
        None,
        b"From: x@spam.example\nSubject: s\n\nb\n",
        false,
    );
    assert!(
        out.contains(r#"reject message with reason: Refusé : "non" \ merci"#),
        "{out}"
    );
}

#[test]
fn allowed_address_beats_its_denied_domain_and_other_mail_is_untouched() {
    let Some(d) = Dovecot::available() else {
        return;
    };
    let script = sieve::generate(&base_lists());
    for message in [
        &b"From: \"Le Boss\" <Boss@Spam.example>\nSubject: s\n\nb\n"[..],
        b"From: colleague@corp.example\nTo: me@corp.example\nCc: mum@family.example\nSubject: s\n\nb\n",
        b"From: news@shop.example\nReply-To: mum@family.example\nSubject: s\n\nb\n",
    ] {
        let out = d.run(&script, None, message, false);
        assert!(actions(&out).contains("(none)"), "{out}");
        assert!(out.contains("store message in folder: INBOX"), "{out}");
        assert!(!out.contains("$Perso"), "{out}");
    }
}

#[test]
fn perso_keyword_keeps_and_travels_into_the_users_own_filing() {
    let Some(d) = Dovecot::available() else {
        return;
    };
    let script = sieve::generate(&base_lists());
    // Multiple From addresses, encoded display name, domain entry.
    let message = b"From: =?UTF-8?Q?Z=C3=A9lie?= <zelie@club.example>, other@else.example\nSender: zelie@club.example\nSubject: =?UTF-8?B?w6l0w6k=?=\n\nb\n";
    let out = d.run(&script, None, message, false);
    assert!(out.contains("+ add IMAP flags: $Perso"), "{out}");
    let out = d.run(&script, Some(USER_SCRIPT), message, false);
    let user_part = out.split("user.sieve").nth(1).unwrap_or_default();
    assert!(
        user_part.contains("store message in folder: Work") && user_part.contains("$Perso"),
        "{out}"
    );
    // The exact deny of pest@club.example beats the perso domain.
    let out = d.run(&script, None, b"From: pest@club.example\n\nb\n", false);
    assert!(actions(&out).contains("* discard"), "{out}");
}

#[test]
fn own_mail_to_a_personal_correspondent_is_perso() {
    let Some(d) = Dovecot::available() else {
        return;
    };
    let script = sieve::generate(&base_lists());
    let out = d.run(
        &script,
        None,
        b"From: Me <ME@corp.example>\nTo: a@x.example, b@y.example\nCc: \"Maman\" <mum@family.example>\n\nb\n",
        false,
    );
    assert!(out.contains("$Perso"), "{out}");
}

#[test]
fn perso_folder_with_subject_tag_is_stored_tagged_and_found_by_export() {
    let Some(d) = Dovecot::available() else {
        return;
    };
    let lists = with_settings(
        base_lists(),
        TagStyle {
            keyword: true,
            folder: Some("Privé & Co".into()),
            subject: Some("[PERSO]".into()),
        },
        DenyAction::Discard,
    );
    let script = sieve::generate(&lists);
    let out = d.run(
        &script,
        Some(USER_SCRIPT),
        b"From: Mum <mum@family.example>\nSubject: =?UTF-8?B?w6l0w6k=?=\n\nbody\n",
        true,
    );
    assert!(!out.contains("Work"), "user script ran after stop:\n{out}");
    let files = delivered(&d.mail());
    assert_eq!(files.len(), 1, "{files:?}");
    let (path, bytes) = &files[0];
    assert!(
        path.to_string_lossy().contains(".Priv&AOk- &- Co/"),
        "{}",
        path.display()
    );
    let parsed = mail_parser::MessageParser::new().parse(bytes).unwrap();
    assert_eq!(parsed.subject(), Some("[PERSO] été"));
    assert_eq!(parsed.body_text(0).as_deref(), Some("body\n"));
    let found = find_perso(&d.mail(), &lists).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].reason, PersoReason::Folder);
}

#[test]
fn subject_tag_is_added_once_and_to_messages_without_subject() {
    let Some(d) = Dovecot::available() else {
        return;
    };
    let lists = with_settings(
        base_lists(),
        TagStyle {
            keyword: false,
            folder: None,
            subject: Some("[PERSO]".into()),
        },
        DenyAction::Discard,
    );
    let script = sieve::generate(&lists);
    d.deliver(&script, b"From: mum@family.example\n\nno subject\n");
    d.deliver(
        &script,
        b"From: mum@family.example\nSubject: [PERSO] already\n\nb\n",
    );
    let mut subjects: Vec<String> = delivered(&d.mail())
        .iter()
        .map(|(_, b)| {
            mail_parser::MessageParser::new()
                .parse(b)
                .and_then(|m| m.subject().map(str::to_string))
                .unwrap_or_default()
        })
        .collect();
    subjects.sort();
    assert_eq!(subjects, vec!["[PERSO]", "[PERSO] already"]);
}

#[test]
fn keyword_stored_by_dovecot_is_found_by_purge_listing() {
    let Some(d) = Dovecot::available() else {
        return;
    };
    let lists = base_lists();
    let script = sieve::generate(&lists);
    d.deliver(&script, b"From: mum@family.example\nSubject: a\n\nb\n");
    d.deliver(&script, b"From: colleague@corp.example\nSubject: b\n\nb\n");
    // Remove mum from the list: the message is still found by its keyword.
    let mut later = lists.clone();
    later.remove(ListKind::Perso, "mum@family.example").unwrap();
    let found = find_perso(&d.mail(), &later).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].reason, PersoReason::Keyword);
}

#[test]
fn plus_folding_and_idn_match_in_sieve() {
    let Some(d) = Dovecot::available() else {
        return;
    };
    let mut lists = UserLists::new("me@corp.example");
    lists
        .set_settings(Settings {
            fold_plus: true,
            ..Settings::default()
        })
        .unwrap();
    lists.add(ListKind::Perso, "bob@x.example").unwrap();
    lists.add(ListKind::Perso, "@élysée.example").unwrap();
    let script = sieve::generate(&lists);
    let puny = habeas_mail::Entry::parse("@élysée.example", Default::default())
        .unwrap()
        .domain()
        .to_string();
    let punycode_message = format!("From: marie@{puny}\n\nb\n");
    for message in [
        &b"From: bob+holidays@X.example\n\nb\n"[..],
        "From: marie@élysée.example\n\nb\n".as_bytes(),
        punycode_message.as_bytes(),
    ] {
        let out = d.run(&script, None, message, false);
        assert!(
            out.contains("$Perso"),
            "{}\n{out}\n{script}",
            String::from_utf8_lossy(message)
        );
    }
    let out = d.run(&script, None, b"From: bobby@x.example\n\nb\n", false);
    assert!(!out.contains("$Perso"), "{out}");
}
