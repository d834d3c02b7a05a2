//! `habeas scan` end to end on the fixture tree of habeas-scan (every source kind) and on a
//! tree of damaged files. Fixtures: crates/habeas-scan/tests/fixtures (make_fixtures.py).

use std::path::PathBuf;
use std::process::Command;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../habeas-scan/tests/fixtures")
}

fn scan(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_habeas"))
        .arg("scan")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run habeas: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn lines(jsonl: &str) -> Vec<serde_json::Value> {
    jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// (path, type, value, part) of every finding, sorted.
fn summary(v: &[serde_json::Value]) -> Vec<(String, String, String, String)> {
    let mut s: Vec<_> = v
        .iter()
        .map(|x| {
            let g = |k: &str| x.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            (g("path"), g("type"), g("value"), g("part"))
        })
        .collect();
    s.sort();
    s
}

#[test]
fn golden_tree_every_source_kind() {
    let root = fixtures().join("tree");
    let (code, out, _) = scan(&[
        "--format",
        "jsonl",
        "--show-values",
        root.to_str().unwrap_or_default(),
    ]);
    assert_eq!(code, 1, "findings → exit 1");
    let v = lines(&out);
    let got = summary(&v);
    let has = |path: &str, ty: &str, value: &str| {
        got.iter()
            .any(|(p, t, val, _)| p == path && t == ty && val == value)
    };
    // Plain UTF-8, Latin-1, UTF-16, hidden file.
    assert!(has("notes/client.txt", "FR_NIR", "2 95 10 99 126 111 93"));
    assert!(has(
        "notes/client.txt",
        "IBAN",
        "FR14 2004 1010 0505 0001 3M02 606"
    ));
    assert!(has("notes/client.txt", "DATE_OF_BIRTH", "12/05/1980"));
    assert!(has("notes/client.txt", "PERSON", "Claire Dubois"));
    assert!(has(
        "notes/client.txt",
        "POSTAL_ADDRESS",
        "12 rue de la Paix\n75002 Paris"
    ));
    assert!(has("notes/latin1.txt", "PHONE", "01 42 68 53 00"));
    assert!(has("notes/utf16.txt", "EMAIL", "marie.curie@example.fr"));
    assert!(has(
        ".hidden/secret.txt",
        "CREDIT_CARD",
        "4242 4242 4242 4242"
    ));
    // CSV exports.
    assert!(has("exports/societes.csv", "FR_SIRET", "732 829 320 00074"));
    assert!(has("exports/societes.csv", "VAT_EU", "FR40303265045"));
    assert!(has("exports/be.csv", "BE_NRN", "85.07.30-033.28"));
    assert!(has("exports/be.csv", "VAT_EU", "BE 0403.019.261"));
    // gzip, Maildir (base64 and quoted-printable parts), .eml, mbox.
    assert!(has("logs/access.log.1.gz", "IP_ADDRESS", "81.2.69.160"));
    let maildir = "home/paul/Maildir/cur/1725625578.M1P1.mx3:2,S";
    assert!(got.iter().any(|(p, t, val, part)| p == maildir
        && t == "PHONE"
        && val == "+32 470 12 34 56"
        && part == "message, part 2"));
    assert!(
        got.iter()
            .any(|(p, t, _, part)| p == maildir && t == "IBAN" && part.contains("rib.txt"))
    );
    assert!(has(maildir, "PERSON", "Paul Martin"));
    assert!(has("mail/message.eml", "EMAIL", "eve@example.org"));
    assert!(has("var/mail/alice", "FR_SIREN", "552 008 443"));
    assert!(has(
        "var/mail/alice",
        "IP_ADDRESS",
        "2001:41d0:302:2200::1a3"
    ));
    // Office documents.
    assert!(has("docs/lettre.docx", "PERSON", "Sophie Laurent"));
    assert!(has(
        "docs/lettre.docx",
        "EMAIL",
        "sophie.laurent@example.fr"
    ));
    assert!(has("docs/clients.xlsx", "EMAIL", "jules@example.be"));
    assert!(has("docs/note.odt", "VAT_EU", "DE136695976"));
    assert!(has("docs/liste.ods", "IBAN", "DE89 3704 0044 0532 0130 00"));
    // Decoys: the Message-ID, the invoice date, the version string, the Luhn-failing reference.
    assert!(
        !got.iter()
            .any(|(_, _, val, _)| val.contains("1725625578.653956")
                || val == "03/02/2024"
                || val == "1.2.3.4"
                || val.ends_with("4241"))
    );
    // Plain-file offsets point into the file.
    let text = std::fs::read(root.join("notes/client.txt")).unwrap_or_default();
    for x in v.iter().filter(|x| x["path"] == "notes/client.txt") {
        let (s, e) = (
            x["start"].as_u64().unwrap_or(0) as usize,
            x["end"].as_u64().unwrap_or(0) as usize,
        );
        assert_eq!(
            String::from_utf8_lossy(&text[s..e]),
            x["value"].as_str().unwrap_or("")
        );
    }
    let utf16 = std::fs::read(root.join("notes/utf16.txt")).unwrap_or_default();
    let e = v
        .iter()
        .find(|x| x["path"] == "notes/utf16.txt")
        .cloned()
        .unwrap_or_default();
    let (s, en) = (
        e["start"].as_u64().unwrap_or(0) as usize,
        e["end"].as_u64().unwrap_or(0) as usize,
    );
    let units: Vec<u16> = utf16[s..en]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(String::from_utf16_lossy(&units), "marie.curie@example.fr");
}

#[test]
fn values_are_masked_unless_asked() {
    let root = fixtures().join("tree/notes/client.txt");
    let (_, out, _) = scan(&["--format", "json", root.to_str().unwrap_or_default()]);
    assert!(
        !out.contains("2 95 10 99 126 111 93"),
        "NIR printed in clear"
    );
    assert!(
        out.contains("2 9• •• •• ••• ••• 93"),
        "masked preview missing: {out}"
    );
    let (_, table, _) = scan(&[root.to_str().unwrap_or_default()]);
    assert!(table.contains("FR_NIR×1") && !table.contains("126 111"));
}

#[test]
fn shown_phone_values_carry_their_e164_form() {
    let root = fixtures().join("tree/notes/latin1.txt");
    let path = root.to_str().unwrap_or_default();
    let (_, out, _) = scan(&["--format", "jsonl", "--show-values", path]);
    assert!(
        out.contains(r#""value":"01 42 68 53 00","e164":"+33142685300""#),
        "{out}"
    );
    let (_, masked, _) = scan(&["--format", "jsonl", path]);
    assert!(!masked.contains("e164"), "{masked}");
}

#[test]
fn damaged_files_are_reported_one_by_one_and_the_scan_goes_on() {
    let root = fixtures().join("bad");
    let (code, out, err) = scan(&[
        "--format",
        "jsonl",
        "--show-values",
        root.to_str().unwrap_or_default(),
    ]);
    assert_eq!(code, 2, "errors → exit 2");
    for f in ["truncated.log.gz", "corrupt.docx", "broken.eml"] {
        assert!(err.contains(f), "{f} not reported: {err}");
    }
    let got = summary(&lines(&out));
    assert!(
        got.iter()
            .any(|(p, t, v, _)| p == "good.txt" && t == "EMAIL" && v == "marie@example.fr")
    );
    assert!(
        got.iter()
            .any(|(p, t, _, _)| p == "invalid-utf8.txt" && t == "PHONE")
    );
}

#[test]
fn exclude_and_nothing_found_exit_zero() {
    let root = fixtures().join("tree");
    let (code, out, _) = scan(&[
        "--format",
        "jsonl",
        "--exclude",
        "*",
        root.to_str().unwrap_or_default(),
    ]);
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, _, err) = scan(&["--exclude", "[", root.to_str().unwrap_or_default()]);
    assert_ne!(code, 0);
    assert!(err.contains("--exclude"), "{err}");
}

#[test]
fn missing_path_is_an_error() {
    let (code, _, err) = scan(&["/nonexistent/habeas-scan-test"]);
    assert_ne!(code, 0);
    assert!(err.contains("/nonexistent/habeas-scan-test"), "{err}");
}

#[test]
fn report_maps_found_types_to_declared_categories() {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/hosting-provider");
    if !demo.join("declarations").is_dir() {
        eprintln!("SKIPPED: examples/hosting-provider not present");
        return;
    }
    let root = fixtures().join("tree");
    let (code, out, err) = scan(&[
        "-C",
        demo.to_str().unwrap_or_default(),
        "--report",
        root.to_str().unwrap_or_default(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("coverage by the declarations"), "{out}");
    // The demo provider declares e-mail addresses but no national identification numbers.
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("FR_NIR") && l.contains("NOT DECLARED")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("EMAIL") && !l.contains("NOT DECLARED")),
        "{out}"
    );
}

#[test]
fn hidden_and_ignored_files_are_scanned_unless_asked_and_symlinks_stay_in_the_tree() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(root.join(".cache")).unwrap_or_default();
    std::fs::create_dir_all(&outside).unwrap_or_default();
    std::fs::write(root.join(".gitignore"), "ignored.txt\n").unwrap_or_default();
    std::fs::write(root.join("ignored.txt"), "a@example.fr\n").unwrap_or_default();
    std::fs::write(root.join(".cache/hidden.txt"), "b@example.fr\n").unwrap_or_default();
    std::fs::write(outside.join("secret.txt"), "c@example.fr\n").unwrap_or_default();
    std::fs::write(root.join("inside.txt"), "d@example.fr\n").unwrap_or_default();
    #[cfg(unix)]
    {
        let _ = std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("link-out.txt"));
        let _ = std::os::unix::fs::symlink(root.join("inside.txt"), root.join("link-in.txt"));
    }
    let r = root.to_str().unwrap_or_default();
    let paths = |args: &[&str]| -> Vec<String> {
        let (_, out, _) = scan(args);
        let mut p: Vec<String> = lines(&out)
            .iter()
            .map(|v| v["path"].as_str().unwrap_or("").to_string())
            .collect();
        p.sort();
        p
    };
    let all = paths(&["--format", "jsonl", r]);
    assert!(
        all.contains(&"ignored.txt".to_string()) && all.contains(&".cache/hidden.txt".to_string()),
        "{all:?}"
    );
    #[cfg(unix)]
    {
        assert!(all.contains(&"link-in.txt".to_string()), "{all:?}");
        assert!(!all.contains(&"link-out.txt".to_string()), "{all:?}");
        let followed = paths(&["--format", "jsonl", "--follow-symlinks", r]);
        assert!(
            followed.contains(&"link-out.txt".to_string()),
            "{followed:?}"
        );
    }
    let respected = paths(&["--format", "jsonl", "--respect-ignore", r]);
    assert!(
        !respected.contains(&"ignored.txt".to_string()),
        "{respected:?}"
    );
    assert!(respected.contains(&"inside.txt".to_string()));
}

/// `habeas scan … | head`: the reader stops early; the scan ends as `grep` would (by
/// SIGPIPE, or quietly), never with a panic about a failed print.
#[test]
#[cfg(unix)]
fn a_reader_that_stops_early_does_not_make_the_scan_panic() {
    use std::io::Read as _;
    use std::os::unix::process::ExitStatusExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    // Enough findings to fill the pipe many times over.
    let text = "contact : claire.martin@example.org, 06 12 34 56 78\n".repeat(200);
    for i in 0..400 {
        std::fs::write(dir.path().join(format!("f{i:03}.txt")), &text).expect("write");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_habeas"))
        .args(["scan", "--format", "jsonl"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn habeas");
    let mut first = [0u8; 64];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // The pipe's reading end is closed here (the handle was dropped).
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.success() || out.status.signal() == Some(13),
        "{:?}: {stderr}",
        out.status
    );
}
