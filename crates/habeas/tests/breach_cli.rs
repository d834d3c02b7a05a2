//! `habeas breach …` end to end through the real binary on a copy of the
//! demo provider: a breach on connection logs in a time window counts
//! exactly the subjects and rows written in that window, the CNIL export
//! carries the form's fields, the Art. 34 letters reach only the subjects
//! concerned (one message each, in an outbox directory) and a second run
//! sends nothing twice.

mod vault_support;

use std::path::Path;
use std::time::Duration;

use habeas_notify::testing::{SinkOptions, SmtpSink};
use vault_support::*;

/// The demo project with its mail going to `<project>/outbox`.
fn breach_project() -> tempfile::TempDir {
    let dir = project();
    let toml = dir.path().join("habeas.toml");
    let mut text = std::fs::read_to_string(&toml).expect("read habeas.toml");
    text.push_str(
        "\n[mail]\nurl = \"outbox:outbox\"\nfrom = \"Hébergix <donnees@hebergix.example>\"\n",
    );
    std::fs::write(&toml, text).expect("write habeas.toml");
    dir
}

fn line(subject: &str, category: &str, fields: &str, at: &str) -> String {
    format!(
        r#"{{"subject_ref":"{subject}","category":"{category}","fields":{fields},"collected_at":"{at}"}}"#
    )
}

fn log(subject: &str, at: &str) -> String {
    line(
        subject,
        "connection_logs",
        r#"{"account_id":"acc","ip":"192.0.2.7","protocol":"imap","operation":"login"}"#,
        at,
    )
}

fn contact(subject: &str, email: &str, lang: &str) -> String {
    line(
        subject,
        "contact",
        &format!(r#"{{"email":"{email}","language":"{lang}"}}"#),
        "2026-01-05T09:00:00Z",
    )
}

/// Five subjects: a, b and c have connection logs inside 10–20 November
/// (3, 2 and 1 rows), d only outside it, e none; everyone but c has an address.
fn import_people(dir: &Path) {
    let lines = [
        contact("a", "alice@example.org", "fr"),
        contact("b", "bob@example.org", "en"),
        contact("d", "dora@example.org", "fr"),
        contact("e", "eve@example.org", "fr"),
        log("a", "2026-11-10T08:00:00Z"),
        log("a", "2026-11-12T08:00:00Z"),
        log("a", "2026-11-19T23:59:00Z"),
        log("b", "2026-11-11T10:00:00Z"),
        log("b", "2026-11-15T10:00:00Z"),
        log("c", "2026-11-18T10:00:00Z"),
        log("d", "2026-11-25T10:00:00Z"),
        log("d", "2026-11-09T23:59:00Z"),
    ];
    std::fs::write(dir.join("people.jsonl"), lines.join("\n") + "\n").expect("write jsonl");
    let (code, _, err) = run(dir, &["import", "people.jsonl", "--quiet"]);
    assert_eq!(code, 0, "import failed: {err}");
}

fn open_breach(dir: &Path) -> String {
    let (code, out, err) = run(
        dir,
        &[
            "breach",
            "open",
            "--aware",
            "2026-11-20T18:30:00Z",
            "--detected",
            "2026-11-20T17:00:00Z",
            "--nature",
            "confidentiality",
            "--description-fr",
            "Copie non autorisée d'une partition de journaux de connexion.",
            "--description-en",
            "Unauthorised copy of a connection-log partition.",
            "--service",
            "web-hosting",
            "--category",
            "connection_logs",
            "--subjects",
            "customers",
            "--from",
            "2026-11-10T00:00:00Z",
            "--to",
            "2026-11-20T00:00:00Z",
            "--impact",
        ],
    );
    assert_eq!(code, 0, "open failed: {err}");
    // Friday 20 November 18:30 UTC + 72 h (Art. 33(1)) = Monday 23 November 18:30.
    assert!(err.contains("2026-11-23 18:30 UTC"), "{err}");
    out.trim().to_string()
}

fn show(dir: &Path, id: &str) -> serde_json::Value {
    let (code, out, err) = run(dir, &["breach", "show", id]);
    assert_eq!(code, 0, "show failed: {err}");
    serde_json::from_str(&out).expect("show is JSON")
}

fn complete_for_letters(dir: &Path, id: &str) {
    let patch = dir.join("patch.json");
    std::fs::write(
        &patch,
        r#"{
  "consequences": [{"fr": "Vos adresses IP de connexion ont pu être lues.", "en": "Your connection IP addresses may have been read."}],
  "measures_taken": [{"fr": "Accès révoqués, partition chiffrée à nouveau.", "en": "Access revoked, partition re-encrypted."}]
}"#,
    )
    .expect("write patch");
    let (code, _, err) = run(
        dir,
        &[
            "breach",
            "update",
            id,
            "--file",
            patch.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "update failed: {err}");
    let (code, _, err) = run(
        dir,
        &[
            "breach",
            "decide",
            id,
            "--risk",
            "high",
            "--reasoning",
            "Adresses IP liées aux comptes, exposées à un tiers.",
        ],
    );
    assert_eq!(code, 0, "decide failed: {err}");
}

fn outbox(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("outbox")) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| std::fs::read_to_string(p).expect("read eml"))
        .collect();
    out.sort();
    out
}

fn recipients(mails: &[String]) -> Vec<String> {
    let mut to: Vec<String> = mails
        .iter()
        .flat_map(|m| {
            m.lines()
                .filter(|l| l.starts_with("To:"))
                .map(|l| l[3..].trim().to_string())
        })
        .collect();
    to.sort();
    to
}

#[test]
fn a_breach_on_connection_logs_counts_the_window_and_tells_only_those_subjects() {
    let dir = breach_project();
    let dir = dir.path();
    import_people(dir);
    let id = open_breach(dir);
    assert!(id.starts_with("B-2026-"), "{id}");

    // Impact: a, b, c; 3 + 2 + 1 rows. d's rows lie outside the window.
    let breach = show(dir, &id);
    let impact = &breach["breach"]["impact"];
    assert_eq!(impact["subjects"], 3, "{impact}");
    assert_eq!(impact["records"], 6, "{impact}");
    assert_eq!(impact["method"]["kind"], "vault");

    // The CNIL export in French, JSON, with its fields.
    let (code, out, err) = run(
        dir,
        &[
            "breach", "export", &id, "--form", "cnil", "--lang", "fr", "--format", "json",
        ],
    );
    assert_eq!(code, 0, "export failed: {err}");
    let export: serde_json::Value = serde_json::from_str(&out).expect("export is JSON");
    assert_eq!(export["schema"], "habeas.breach.authority-notification/1");
    assert_eq!(export["form"], "cnil");
    assert_eq!(export["lang"], "fr");
    assert_eq!(export["breach"], id.as_str());
    let fields: Vec<&serde_json::Value> = export["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["fields"].as_array().expect("fields"))
        .collect();
    assert!(fields.len() >= 10, "{} fields", fields.len());
    let text = out.to_lowercase();
    assert!(text.contains("3"), "the subject count is in the export");
    // Consequences and measures are still missing at this stage: listed, with the article.
    assert!(
        export["missing"]
            .as_array()
            .expect("missing")
            .iter()
            .any(|m| m["article"].as_str().is_some_and(|a| a.contains("33(3)"))),
        "{}",
        export["missing"]
    );

    // A late notice without the reasons for the delay is refused (Art. 33(1)).
    let (code, _, err) = run(
        dir,
        &[
            "breach",
            "notify-authority",
            &id,
            "--phase",
            "initial",
            "--form",
            "cnil",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("33(1)"), "{err}");
    assert!(
        show(dir, &id)["breach"]["notifications"]
            .as_array()
            .expect("list")
            .is_empty()
    );

    // The register flags the breach overdue (aware 20 November, now later).
    let (code, out, _) = run(dir, &["breach", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains(&id) && out.contains("OVERDUE"), "{out}");

    // Letters refused before the register holds what they must say.
    let (code, _, err) = run(dir, &["breach", "notify-subjects", &id]);
    assert_ne!(code, 0);
    assert!(err.contains("34"), "{err}");
    assert!(outbox(dir).is_empty());

    complete_for_letters(dir, &id);
    let (code, out, err) = run(dir, &["breach", "notify-subjects", &id]);
    // c has no address on file: one failure, exit 1, the others sent.
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("3 listed, 2 sent, 1 failed"), "{out}");
    let mails = outbox(dir);
    assert_eq!(mails.len(), 2);
    assert_eq!(
        recipients(&mails),
        vec![
            "alice@example.org".to_string(),
            "bob@example.org".to_string()
        ]
    );
    assert!(mails.iter().all(|m| m.contains(&id)));

    // The late initial notice, with its reasons and the digest of the export sent.
    let (code, _, err) = run(
        dir,
        &[
            "breach",
            "notify-authority",
            &id,
            "--phase",
            "initial",
            "--form",
            "cnil",
            "--delay-reason",
            "Périmètre établi seulement après l'analyse des sauvegardes.",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let events = show(dir, &id)["events"].clone();
    let notified = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["change"] == "notified")
        .expect("notified event");
    assert_eq!(notified["export_digest"].as_str().map(str::len), Some(64));

    // A second run sends nothing twice; c, with no address on file, was
    // given up at once (a permanent failure: staff reach them another way).
    let (code, out, err) = run(dir, &["breach", "notify-subjects", &id]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("0 listed, 0 sent, 0 failed; total 2 sent, 0 pending, 1 failed (1 permanent"),
        "{out}"
    );
    assert_eq!(outbox(dir).len(), 2);
}

#[test]
fn an_unknown_category_is_refused_with_its_position_and_nothing_is_stored() {
    let dir = breach_project();
    let dir = dir.path();
    let (code, _, err) = run(
        dir,
        &[
            "breach",
            "open",
            "--aware",
            "2026-11-20T18:30:00Z",
            "--nature",
            "confidentiality",
            "--description-fr",
            "Fuite",
            "--category",
            "passwords",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("data_categories[0]") && err.contains("passwords"),
        "{err}"
    );
    // A date people write instead of an instant: the error shows the form.
    let (code, _, err) = run(
        dir,
        &[
            "breach",
            "open",
            "--aware",
            "yesterday",
            "--nature",
            "confidentiality",
            "--description-fr",
            "Fuite",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("--aware") && err.contains("e.g. 2026-12-06T10:00:00Z"),
        "{err}"
    );
    let (code, out, _) = run(dir, &["breach", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("no breach in the register"), "{out}");
}

#[test]
fn a_new_sub_processor_yields_a_notice_for_the_service_customers() {
    let dir = breach_project();
    let old = dir.path().join("old");
    std::fs::create_dir_all(&old).expect("mkdir");
    for entry in std::fs::read_dir(dir.path().join("declarations")).expect("decls") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, old.join(p.file_name().expect("name"))).expect("copy");
    }
    let recipients = dir.path().join("declarations/recipients.toml");
    let mut text = std::fs::read_to_string(&recipients).expect("read recipients");
    text.push_str(
        "\n[recipients.backup-vendor]\nname = \"Sauvegardes Nord SAS\"\nrole = \"sub_processor\"\ncountry = \"FR\"\nreceives = [\"mail_content\"]\n",
    );
    std::fs::write(&recipients, text).expect("write recipients");
    // Named by the processor activity of the mail service (PA-0102).
    let activities = dir.path().join("declarations/activities.toml");
    let text = std::fs::read_to_string(&activities).expect("read activities");
    let text = text.replace(
        "recipients = [\"mail-relay\", \"datacenter\"]",
        "recipients = [\"mail-relay\", \"datacenter\", \"backup-vendor\"]",
    );
    std::fs::write(&activities, text).expect("write activities");
    let (code, out, err) = run(
        dir.path(),
        &[
            "subprocessors",
            "diff",
            old.to_str().expect("utf-8"),
            dir.path().to_str().expect("utf-8"),
            "--notice-date",
            "2026-12-01",
            "--objection-days",
            "30",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["changes"][0]["change"], "added", "{out}");
    let notice = &v["notices"][0];
    assert_eq!(notice["objection_deadline"], "2026-12-31");
    assert_eq!(notice["drafts"].as_array().expect("drafts").len(), 2);
}

#[test]
fn a_breach_on_hosted_mail_notifies_each_controller_customer_once() {
    let dir = breach_project();
    let dir = dir.path();
    import_people(dir);
    let (code, out, err) = run(
        dir,
        &[
            "breach",
            "open",
            "--aware",
            "2026-11-27T18:00:00Z",
            "--nature",
            "availability",
            "--description-fr",
            "Perte d'une baie de stockage des boîtes aux lettres.",
            "--description-en",
            "Loss of a mailbox storage array.",
            "--service",
            "mail",
            "--category",
            "mail_content",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // Processor for the customers (PA-0102), and a public e-mail service:
    // the 24 h initial notice of Reg. 611/2013 art. 2(2) runs on the provider.
    assert!(err.contains("2026-11-28 18:00 UTC"), "{err}");
    let id = out.trim().to_string();

    let notify = |customers: &[&str]| {
        let mut args = vec!["breach", "notify-controllers", id.as_str()];
        for c in customers {
            args.extend(["--customer", c]);
        }
        run(dir, &args)
    };
    let (code, out, err) = notify(&["alice@example.org", "bob@example.org"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 listed, 2 sent, 0 failed"), "{out}");
    let mails = outbox(dir);
    assert_eq!(
        recipients(&mails),
        vec![
            "alice@example.org".to_string(),
            "bob@example.org".to_string()
        ]
    );
    assert!(
        mails.iter().all(|m| m.contains("33(2)")),
        "the notice cites Art. 33(2)"
    );

    // Again with one more customer: only the new one is written to.
    let (code, out, err) = notify(&["alice@example.org", "bob@example.org", "eve@example.org"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("1 listed, 1 sent, 0 failed; total 3 sent"),
        "{out}"
    );
    assert_eq!(outbox(dir).len(), 3);

    // An address nobody holds is refused without repeating it.
    let (code, _, err) = notify(&["nobody@example.org"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--customer #1") && !err.contains("nobody@"),
        "{err}"
    );
}

#[test]
fn the_letters_reach_the_smtp_relay_one_per_subject_and_a_refusal_is_recorded() {
    let sink = SmtpSink::start_with(SinkOptions::default().refuse_recipient("bob@example.org"))
        .expect("smtp sink");
    let dir = project();
    let dir = dir.path();
    let toml = dir.join("habeas.toml");
    let mut text = std::fs::read_to_string(&toml).expect("read habeas.toml");
    text.push_str(&format!(
        "\n[mail]\nurl = \"{}\"\nfrom = \"Hébergix <donnees@hebergix.example>\"\ninsecure_plaintext = true\ntimeout_secs = 5\n",
        sink.url()
    ));
    std::fs::write(&toml, text).expect("write habeas.toml");
    import_people(dir);
    let id = open_breach(dir);
    complete_for_letters(dir, &id);

    let (code, out, err) = run(dir, &["breach", "notify-subjects", &id]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("3 listed, 1 sent, 2 failed"), "{out}");
    let got = sink.wait_for(1, Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_to, vec!["alice@example.org".to_string()]);
    let raw = got[0].raw();
    assert!(
        raw.contains(&id) && raw.contains("Content-Language: fr"),
        "{raw}"
    );

    // The failures stay in the book, without any address in the register.
    let (code, out, _) = run(dir, &["breach", "show", &id]);
    assert_eq!(code, 0);
    assert!(!out.contains("@example.org"), "{out}");
    let (_, out, _) = run(dir, &["breach", "notify-subjects", &id]);
    assert!(out.contains("0 sent"), "{out}");
    assert_eq!(sink.received().len(), 1, "alice is never written to twice");
}

/// Issue 9, item 6: logs whose retention declares an incident period
/// (security logs: "36 months if linked to an incident") are held while a
/// breach involving them is open; categories without one are not held.
#[test]
fn logs_linked_to_an_open_breach_are_held() {
    let dir = project();
    let d = dir.path();
    let (code, out, err) = run(
        d,
        &[
            "breach",
            "open",
            "--aware",
            "2026-11-20T18:30:00Z",
            "--nature",
            "confidentiality",
            "--description-fr",
            "Accès non autorisé aux journaux.",
            "--description-en",
            "Unauthorised access to logs.",
            "--service",
            "web-hosting",
            "--category",
            "security_logs",
            "--category",
            "connection_logs",
        ],
    );
    assert_eq!(code, 0, "open failed: {err}");
    let id = out.trim().to_string();
    assert!(err.contains("security_logs"), "{err}");
    let (code, out, err) = run(d, &["hold", "list"]);
    assert_eq!(code, 0, "{err}");
    let held: Vec<&str> = out.lines().filter(|l| l.contains(&id)).collect();
    assert_eq!(held.len(), 1, "security_logs only: {out}");
    assert!(held[0].contains("security_logs"), "{out}");
}

/// Issue 9, item 3: the clock thresholds come from `habeas.toml` `[breach]`.
/// A breach the provider became aware of ten hours ago is on track under
/// the 72 h of Art. 33(1); with an internal target of 20 hours it is due
/// soon (10 h left, under the 12 h alert); a target longer than the law's
/// is refused with the file and line.
#[test]
fn art33_1_a_lowered_deadline_in_habeas_toml_flags_the_breach_due_soon() {
    let dir = project();
    let d = dir.path();
    let aware = (chrono::Utc::now() - chrono::Duration::hours(10))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (code, _, err) = run(
        d,
        &[
            "breach",
            "open",
            "--aware",
            &aware,
            "--nature",
            "confidentiality",
            "--description-fr",
            "Accès non autorisé.",
            "--service",
            "web-hosting",
        ],
    );
    assert_eq!(code, 0, "open failed: {err}");
    let (code, out, err) = run(d, &["breach", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ON TRACK"), "{out}");

    let toml = d.join("habeas.toml");
    let base = std::fs::read_to_string(&toml).expect("read habeas.toml");
    std::fs::write(&toml, format!("{base}\n[breach]\ngdpr_hours = 20\n")).expect("write");
    let (code, out, err) = run(d, &["breach", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("DUE SOON"), "{out}");

    let text = format!("{base}\n[breach]\ngdpr_hours = 96\n");
    let line = text.lines().count();
    std::fs::write(&toml, &text).expect("write");
    let (code, _, err) = run(d, &["breach", "list"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(&format!("habeas.toml:{line}")) && err.contains("gdpr_hours = 96"),
        "{err}"
    );
}

/// Issue 9, item 4: a relay's 550 (mailbox unknown) is permanent — given up
/// at once, never retried — while its 450 (mailbox busy) is transient and
/// stays pending for a retry; a subject with no address on file cannot be
/// written to either.
#[test]
fn art34_1_a_rejected_mailbox_is_given_up_and_a_busy_one_retried() {
    let sink = SmtpSink::start_with(
        SinkOptions::default()
            .refuse_recipient("bob@example.org")
            .defer_recipient("alice@example.org"),
    )
    .expect("smtp sink");
    let dir = project();
    let dir = dir.path();
    let toml = dir.join("habeas.toml");
    let mut text = std::fs::read_to_string(&toml).expect("read habeas.toml");
    text.push_str(&format!(
        "\n[mail]\nurl = \"{}\"\nfrom = \"Hébergix <donnees@hebergix.example>\"\ninsecure_plaintext = true\ntimeout_secs = 5\n",
        sink.url()
    ));
    std::fs::write(&toml, text).expect("write habeas.toml");
    import_people(dir);
    let id = open_breach(dir);
    complete_for_letters(dir, &id);

    let (code, out, err) = run(dir, &["breach", "notify-subjects", &id]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(
            "3 listed, 0 sent, 3 failed; total 0 sent, 1 pending, 2 failed (2 permanent, not retried)"
        ),
        "{out}"
    );
    assert!(sink.received().is_empty());
}
