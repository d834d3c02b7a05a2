//! The outbox mailer: one complete `.eml` file per message, written
//! atomically, readable by its owner only.

use habeas_core::lang::Lang;
use habeas_notify::{MailKind, MailerConfig, OutgoingMail};

fn mail(kind: MailKind) -> OutgoingMail {
    OutgoingMail {
        to: "claire.dupont@example.org".parse().unwrap(),
        subject: "Votre code de vérification".into(),
        text: "Bonjour,\n\nVotre code : 482 913\n".into(),
        html: None,
        lang: Some(Lang::Fr),
        kind,
        reference: Some("DSR-2026-0042".into()),
    }
}

#[test]
fn each_message_becomes_one_complete_eml_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = MailerConfig::new(
        format!("outbox:{}", dir.path().display()),
        "privacy@hebergeur.example",
    );
    let mailer = config.build().unwrap();
    let first = mailer.send(&mail(MailKind::VerificationCode)).unwrap();
    let second = mailer.send(&mail(MailKind::RequestDone)).unwrap();
    assert_ne!(first, second);

    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".eml") && !n.starts_with('.'))
    );
    assert!(names.iter().any(|n| n.contains("-verification_code-")));

    let path = dir.path().join(
        names
            .iter()
            .find(|n| n.contains("verification_code"))
            .unwrap(),
    );
    let bytes = std::fs::read(&path).unwrap();
    let msg = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(msg.subject(), Some("Votre code de vérification"));
    assert_eq!(
        msg.message_id(),
        Some(first.as_str().trim_matches(['<', '>']))
    );
    assert!(msg.body_text(0).unwrap().contains("482 913"));
    assert!(bytes.windows(2).any(|w| w == b"\r\n"), "CRLF line endings");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "personal data: owner-only file");
    }
}

#[test]
fn an_outbox_that_disappeared_gives_a_precise_error() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    std::fs::create_dir(&outbox).unwrap();
    let config = MailerConfig::new(
        format!("outbox:{}", outbox.display()),
        "privacy@hebergeur.example",
    );
    let mailer = config.build().unwrap();
    std::fs::remove_dir(&outbox).unwrap();
    let err = mailer.send(&mail(MailKind::RequestDone)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("outbox") && text.contains("writable"),
        "{text}"
    );
    assert!(!text.contains("claire"));
}
