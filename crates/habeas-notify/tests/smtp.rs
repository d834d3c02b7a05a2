//! Sending through `SmtpMailer` to a real SMTP server on 127.0.0.1 (the
//! crate's `SmtpSink`), then reading what arrived with mail-parser, as a
//! recipient's mail client would.

use chrono::NaiveDate;
use habeas_core::delay::Delay;
use habeas_core::lang::Lang;
use habeas_core::rights::RequestKind;
use habeas_notify::templates::{
    Acknowledgment, Authority, Organisation, Promise, Recipient, request_acknowledgment,
};
use habeas_notify::testing::{SinkOptions, SmtpSink, TEST_CA_PEM};
use habeas_notify::{MailKind, MailerConfig, OutgoingMail, SendError, SmtpStage};
use mail_parser::{HeaderValue, MimeHeaders};

const FROM: &str = "Hébergeur Exemple — Données personnelles <privacy@hebergeur.example>";
const TO: &str = "claire.dupont@example.org";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn acknowledgment(lang: Option<Lang>) -> OutgoingMail {
    let org = Organisation {
        name: "Hébergeur Exemple SAS".into(),
        dpo_contact: "dpo@hebergeur.example".into(),
        authority: Authority::Cnil,
    };
    let recipient = Recipient {
        to: TO.parse().unwrap(),
        lang,
    };
    let ack = Acknowledgment {
        reference: "DSR-2026-0042".into(),
        kind: RequestKind::Rectification,
        received: d(2026, 12, 4),
        statutory_deadline: d(2027, 1, 4),
        promise: Some(Promise {
            delay: Delay::WorkingHours(48),
            due: d(2026, 12, 8),
        }),
        identity_check: false,
    };
    request_acknowledgment(&org, &recipient, &ack).unwrap()
}

fn header_text<'a>(msg: &'a mail_parser::Message<'_>, name: &'a str) -> Option<&'a str> {
    msg.header_raw(name).map(str::trim)
}

#[test]
fn a_bilingual_notice_arrives_with_every_header_a_client_needs() {
    let sink = SmtpSink::start().unwrap();
    let mut config = sink.mailer_config(FROM);
    config.reply_to = Some("dpo@hebergeur.example".into());
    let mailer = config.build().unwrap();
    let mail = acknowledgment(None);

    let id = mailer.send(&mail).unwrap();

    let received = sink.received();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.mail_from, "privacy@hebergeur.example");
    assert_eq!(got.rcpt_to, vec![TO.to_string()]);
    let raw = got.raw();
    assert!(raw.is_ascii(), "the message must be 7-bit clean");
    // French accents in the subject travel as an RFC 2047 encoded word.
    let raw_subject = raw
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .expect("Subject header");
    assert!(raw_subject.contains("=?utf-8?"), "{raw_subject}");

    let msg = got.parsed().expect("parsable message");
    assert_eq!(msg.subject(), Some(mail.subject.as_str()));
    assert!(
        mail.subject
            .starts_with("Demande reçue : Droit de rectification")
    );
    let from = msg.from().and_then(|a| a.first()).unwrap();
    assert_eq!(from.address(), Some("privacy@hebergeur.example"));
    assert_eq!(
        from.name(),
        Some("Hébergeur Exemple — Données personnelles")
    );
    let to = msg.to().and_then(|a| a.first()).unwrap();
    assert_eq!(to.address(), Some(TO));
    let reply_to = msg.reply_to().and_then(|a| a.first()).unwrap();
    assert_eq!(reply_to.address(), Some("dpo@hebergeur.example"));
    assert_eq!(msg.message_id(), Some(id.as_str().trim_matches(['<', '>'])));
    assert!(id.as_str().ends_with("@hebergeur.example>"));
    assert!(msg.date().is_some(), "Date header");
    assert_eq!(header_text(&msg, "Auto-Submitted"), Some("auto-generated"));
    assert_eq!(header_text(&msg, "Content-Language"), Some("fr, en"));
    assert_eq!(
        header_text(&msg, "X-Habeas-Kind"),
        Some("request_acknowledgment")
    );
    assert_eq!(
        header_text(&msg, "X-Habeas-Reference"),
        Some("DSR-2026-0042")
    );

    // multipart/alternative: text then HTML, both UTF-8 quoted-printable.
    let content_type = msg.content_type().unwrap();
    assert_eq!(content_type.ctype(), "multipart");
    assert_eq!(content_type.subtype(), Some("alternative"));
    assert_eq!(msg.text_body_count(), 1);
    assert_eq!(msg.html_body_count(), 1);
    for part in [msg.text_part(0).unwrap(), msg.html_part(0).unwrap()] {
        assert_eq!(part.content_transfer_encoding(), Some("quoted-printable"));
        assert_eq!(
            part.content_type().and_then(|c| c.attribute("charset")),
            Some("utf-8")
        );
    }
    let text = msg.body_text(0).unwrap();
    assert_eq!(text.replace("\r\n", "\n"), mail.text);
    assert!(text.find("Bonjour").unwrap() < text.find("Hello").unwrap());
    assert!(text.contains("48 heures ouvrées, soit au plus tard le 8 décembre 2026"));
    let html = msg.body_html(0).unwrap();
    assert_eq!(html.replace("\r\n", "\n"), mail.html.clone().unwrap());
}

#[test]
fn a_plain_text_message_in_one_language_is_a_single_part() {
    let sink = SmtpSink::start().unwrap();
    let mailer = sink.mailer_config(FROM).build().unwrap();
    let mut mail = acknowledgment(Some(Lang::En));
    mail.html = None;
    mailer.send(&mail).unwrap();
    let got = &sink.received()[0];
    let msg = got.parsed().unwrap();
    assert_eq!(header_text(&msg, "Content-Language"), Some("en"));
    let content_type = msg.content_type().unwrap();
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("text", Some("plain"))
    );
    assert!(
        msg.body_text(0)
            .unwrap()
            .contains("We have received your request")
    );
    assert!(matches!(
        msg.header("Auto-Submitted"),
        Some(HeaderValue::Text(_))
    ));
}

#[test]
fn a_refused_recipient_is_a_precise_error_without_the_address() {
    let sink = SmtpSink::start_with(SinkOptions::default().refuse_recipient(TO)).unwrap();
    let mailer = sink.mailer_config(FROM).build().unwrap();
    let err = mailer.send(&acknowledgment(None)).unwrap_err();
    assert_eq!(
        err,
        SendError::Refused {
            stage: SmtpStage::Recipient,
            code: 550,
            permanent: true
        }
    );
    // The sink's reply repeats the address, as real relays do; the error
    // must not.
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("claire"), "{shown}");
    }
    assert!(!err.is_transient());
    assert!(sink.received().is_empty());
}

#[test]
fn a_dropped_connection_names_the_step_and_delivers_nothing() {
    for (command, stage) in [
        ("MAIL", SmtpStage::Sender),
        ("DATA", SmtpStage::Data),
        (".", SmtpStage::Message),
    ] {
        let sink =
            SmtpSink::start_with(SinkOptions::default().drop_connection_at(command)).unwrap();
        let mailer = sink.mailer_config(FROM).build().unwrap();
        let err = mailer.send(&acknowledgment(None)).unwrap_err();
        assert_eq!(err, SendError::Closed { stage }, "dropped at {command}");
        assert!(err.is_transient());
        assert!(!err.to_string().contains("claire"));
        assert!(sink.received().is_empty());
    }
}

#[test]
fn credentials_from_the_environment_reach_the_relay() {
    let sink =
        SmtpSink::start_with(SinkOptions::default().require_login("habeas", "pw-42")).unwrap();
    let mut config = sink.mailer_config(FROM);
    config.username = Some("habeas".into());
    config.password_env = Some("HABEAS_TEST_SMTP_PASSWORD".into());
    let env = |password: &'static str| {
        move |var: &str| (var == "HABEAS_TEST_SMTP_PASSWORD").then(|| password.to_string())
    };

    let mailer = config.build_with_env(env("pw-42")).unwrap();
    mailer.send(&acknowledgment(None)).unwrap();
    assert_eq!(sink.received()[0].auth_user.as_deref(), Some("habeas"));

    let mailer = config.build_with_env(env("wrong")).unwrap();
    let err = mailer.send(&acknowledgment(None)).unwrap_err();
    assert_eq!(
        err,
        SendError::Refused {
            stage: SmtpStage::Auth,
            code: 535,
            permanent: true
        }
    );
    assert!(
        err.to_string()
            .contains("check the SMTP username and password")
    );
    assert!(!err.to_string().contains("wrong"));

    // Without credentials the relay refuses the sender.
    let mailer = sink.mailer_config(FROM).build().unwrap();
    let err = mailer.send(&acknowledgment(None)).unwrap_err();
    assert!(matches!(
        err,
        SendError::Refused {
            stage: SmtpStage::Sender,
            code: 530,
            ..
        }
    ));
    assert_eq!(sink.received().len(), 1);
}

#[test]
fn tls_is_required_unless_plaintext_is_configured() {
    let sink = SmtpSink::start().unwrap();
    // The same relay without `insecure_plaintext`: STARTTLS is required and
    // the sink does not offer it, so nothing is sent in clear.
    let config = MailerConfig::new(sink.url(), FROM);
    let mailer = config.build().unwrap();
    let err = mailer.send(&acknowledgment(None)).unwrap_err();
    assert!(
        matches!(err, SendError::StartTlsNotOffered { .. }),
        "{err:?}"
    );
    assert!(sink.received().is_empty());
}

#[test]
fn no_relay_listening_is_a_connection_error_naming_the_server() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = MailerConfig::new(format!("smtp://127.0.0.1:{port}"), FROM);
    config.insecure_plaintext = true;
    let err = config
        .build()
        .unwrap()
        .send(&acknowledgment(None))
        .unwrap_err();
    match &err {
        SendError::Connect { server, .. } => assert_eq!(server, &format!("127.0.0.1:{port}")),
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(err.to_string().contains("check the mailer `url`"));
}

#[test]
fn the_kind_header_tells_messages_apart() {
    let sink = SmtpSink::start().unwrap();
    let mailer = sink.mailer_config(FROM).build().unwrap();
    let mut mail = acknowledgment(Some(Lang::Fr));
    mail.kind = MailKind::RequestDone;
    mail.reference = None;
    mailer.send(&mail).unwrap();
    let got = sink.wait_for(1, std::time::Duration::from_secs(5));
    let msg = got[0].parsed().unwrap();
    assert_eq!(header_text(&msg, "X-Habeas-Kind"), Some("request_done"));
    assert_eq!(header_text(&msg, "X-Habeas-Reference"), None);
}

#[test]
fn a_relay_that_never_answers_times_out() {
    // Accepts the connection, then says nothing: no greeting.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        // Wait until the client gives up and closes (or 5 s pass).
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let _ = std::io::Read::read(&mut stream, &mut [0u8; 64]);
    });
    let mut config = MailerConfig::new(format!("smtp://{addr}"), FROM);
    config.insecure_plaintext = true;
    config.timeout_secs = 1;
    let started = std::time::Instant::now();
    let err = config
        .build()
        .unwrap()
        .send(&acknowledgment(None))
        .unwrap_err();
    assert_eq!(
        err,
        SendError::Timeout {
            stage: SmtpStage::Connect
        }
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert!(err.to_string().contains("timeout_secs"));
    silent.join().unwrap();
}

#[test]
fn starttls_upgrades_the_connection_before_anything_personal_is_sent() {
    let sink = SmtpSink::start_with(
        SinkOptions::default()
            .starttls()
            .require_login("habeas", "pw-42"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("test-ca.pem");
    std::fs::write(&ca, TEST_CA_PEM).unwrap();
    let mut config = sink.tls_mailer_config(FROM, &ca);
    config.username = Some("habeas".into());
    config.password_env = Some("PW".into());
    let mailer = config
        .build_with_env(|_| Some("pw-42".to_string()))
        .unwrap();

    let mail = acknowledgment(None);
    mailer.send(&mail).unwrap();

    let got = &sink.received()[0];
    assert!(got.tls, "MAIL, RCPT, AUTH and DATA must travel over TLS");
    assert_eq!(got.auth_user.as_deref(), Some("habeas"));
    assert_eq!(got.rcpt_to, vec![TO.to_string()]);
    assert_eq!(got.parsed().unwrap().subject(), Some(mail.subject.as_str()));
}

#[test]
fn an_untrusted_certificate_stops_the_send() {
    let sink = SmtpSink::start_with(SinkOptions::default().starttls()).unwrap();
    // The system trust store does not know the test CA.
    let mailer = MailerConfig::new(sink.url(), FROM).build().unwrap();
    let err = mailer.send(&acknowledgment(None)).unwrap_err();
    match &err {
        SendError::Tls { detail, .. } => {
            assert!(detail.to_lowercase().contains("certificate"), "{detail}")
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert!(!err.to_string().contains("claire"));
    assert!(sink.received().is_empty());
}
