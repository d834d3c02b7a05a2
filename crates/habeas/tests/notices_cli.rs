//! Privacy-notice versions through the real binary (Art. 12–14 GDPR, SPEC
//! C8), on a temporary copy of the demo provider (announcement period 30
//! days, no `[mail]`: mails land in `data/outbox`). A substantial version
//! announced too late is refused and changes nothing; one announced in time
//! is stored and mailed to every subject with an address on file; every
//! version stays readable with its dates and its diff.

mod vault_support;

use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use vault_support::*;

/// Claire and Paul have an address on file; the third subject has only a
/// support ticket (no e-mail field), so nobody can be told by mail.
fn seed(dir: &Path) {
    let lines = [
        r#"{"subject_ref":"c","category":"contact","source":"form","fields":{"email":"claire.fictive@example.org"}}"#,
        r#"{"subject_ref":"p","category":"contact","source":"form","fields":{"email":"paul.fictif@example.org"}}"#,
        r#"{"subject_ref":"t","category":"support","source":"form","fields":{"ticket_id":"T-1","subject":"Accès","body":"Bonjour"}}"#,
    ];
    std::fs::write(dir.join("people.jsonl"), lines.join("\n") + "\n").expect("write jsonl");
    let (code, _, err) = run(dir, &["import", "people.jsonl", "--quiet"]);
    assert_eq!(code, 0, "import failed: {err}");
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "habeas {args:?} failed: {err}");
    out
}

/// The announcement mails in the outbox.
fn announcements(dir: &Path) -> Vec<String> {
    let outbox: PathBuf = dir.join("data").join("outbox");
    let mut names: Vec<PathBuf> = std::fs::read_dir(outbox)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("-notice_change-"))
        .map(|p| decode_qp(&std::fs::read_to_string(p).expect("read eml")))
        .collect()
}

/// Quoted-printable → text (the bodies are 7-bit QP).
fn decode_qp(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn notice_versions_are_published_announced_in_time_and_stay_readable() {
    let dir = project();
    let d = dir.path();
    seed(d);
    assert!(ok(d, &["notice", "versions"]).contains("aucune version publiée"));
    // The notice rendered from the declarations is still there.
    let rendered = ok(d, &["notice"]);
    let v2_file = d.join("v2.md").display().to_string();
    assert!(rendered.contains("Hébergix"), "{rendered}");

    // Effective today (a date, as people write it): from now, although
    // today's midnight in France has passed.
    let today = habeas_core::calendar::to_local(Utc::now())
        .date()
        .to_string();
    let out = ok(
        d,
        &[
            "notice",
            "publish",
            "--version",
            "2026-v1",
            "--effective",
            &today,
            "--from-declarations",
        ],
    );
    assert!(out.contains("version publiée 2026-v1"), "{out}");
    let published = out
        .split("publiée le ")
        .nth(1)
        .and_then(|r| r.split(',').next());
    let effective = out.split("en vigueur le ").nth(1).map(str::trim);
    assert!(
        published.is_some() && published == effective,
        "effective from its publication, to the second: {out}"
    );
    assert!(ok(d, &["notice", "versions"]).contains("en vigueur"));
    assert!(
        announcements(d).is_empty(),
        "a minor version is not announced"
    );

    // A substantial change announced only 10 days ahead: refused, with the
    // earliest date allowed, and nothing stored or sent.
    std::fs::write(
        d.join("v2.md"),
        format!("{rendered}\nNouvelle finalité : prospection commerciale.\n"),
    )
    .unwrap();
    let early = (Utc::now() + Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    let (code, _, err) = run(
        d,
        &[
            "notice",
            "publish",
            "--version",
            "2026-v2",
            "--effective",
            &early,
            "--substantial",
            "--file",
            &v2_file,
        ],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("must be announced 30 days before it applies")
            && err.contains("or later (as a date: "),
        "{err}"
    );
    // Instants to the second: "use YYYY-MM-DD HH:MM:SS UTC or later".
    let earliest = err
        .split("; use ")
        .nth(1)
        .and_then(|r| r.split(" UTC or later").next());
    assert_eq!(earliest.map(str::len), Some(19), "{err}");
    assert!(!ok(d, &["notice", "versions"]).contains("2026-v2"));
    assert!(announcements(d).is_empty());

    // 40 days ahead: published and announced to the two subjects with an address.
    let later = (Utc::now() + Duration::days(40))
        .format("%Y-%m-%d")
        .to_string();
    let out = ok(
        d,
        &[
            "notice",
            "publish",
            "--version",
            "2026-v2",
            "--effective",
            &later,
            "--substantial",
            "--file",
            &v2_file,
        ],
    );
    assert!(
        out.contains("2 personnes avec une adresse ; 2 envoyées, 0 en échec"),
        "{out}"
    );
    let mails = announcements(d);
    assert_eq!(mails.len(), 2);
    let all = mails.join("\n");
    assert!(all.contains("claire.fictive@example.org") && all.contains("paul.fictif@example.org"));
    for m in &mails {
        assert!(m.contains("2026-v2"), "{m}");
        assert!(
            m.contains("Nous modifions notre politique de confidentialité"),
            "{m}"
        );
        assert!(m.contains("We are making a substantial change"), "{m}");
    }

    // Both versions with their dates and status; the diff from v1.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let list = ok(d, &["notice", "versions"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(lines[0].starts_with("2026-v1\t") && lines[0].contains("en vigueur"));
    assert!(lines[1].starts_with("2026-v2\t") && lines[1].contains("à venir"));
    let diff = ok(d, &["notice", "show", "2026-v2", "--diff"]);
    assert!(diff.contains("--- 2026-v1\n+++ 2026-v2\n"), "{diff}");
    assert!(diff.contains("+ Nouvelle finalité : prospection commerciale."));
    assert_eq!(
        ok(d, &["notice", "show", "2026-v1"]).trim(),
        rendered.trim()
    );

    // A second run sends nothing twice.
    let again = ok(d, &["notice", "announce", "2026-v2"]);
    assert!(again.contains("0 envoyées"), "{again}");
    assert!(again.contains("total envoyées 2"), "{again}");
    assert_eq!(announcements(d).len(), 2);

    // Bad input gets a precise error.
    let (code, _, err) = run(d, &["notice", "show", "nope"]);
    assert_ne!(code, 0);
    assert!(err.contains("no notice version `nope`"), "{err}");
    let (code, _, err) = run(
        d,
        &[
            "notice",
            "publish",
            "--version",
            "2026-v3",
            "--effective",
            "demain",
            "--file",
            &v2_file,
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("expected a date YYYY-MM-DD"), "{err}");
}
