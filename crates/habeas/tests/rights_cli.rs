//! Data-subject requests through the real binary, on a temporary copy of
//! the demo provider with no `[mail]` section: notices land as `.eml` files
//! in the default outbox (`data/outbox`). A subject is written into the
//! vault, asks for access, receives the acknowledgment and a code, proves
//! their identity with it, and gets the JSON, CSV zip and HTML answers; an
//! erasure keeps the legal-obligation categories and removes the others.

mod vault_support;

use std::path::{Path, PathBuf};

use vault_support::*;

/// Claire's records: contact (form), invoice (billing), newsletter (form),
/// a support ticket (form).
fn seed(dir: &Path) {
    let lines = [
        r#"{"subject_ref":"c","category":"contact","source":"form","fields":{"email":"claire.fictive@example.org","postal_address":"12 rue de l'Église, Lyon","country":"FR"}}"#,
        r#"{"subject_ref":"c","category":"billing","source":"billing","fields":{"invoice_number":"F-2026-0042","amount":"119.88","billing_address":"12 rue de l'Église, Lyon"}}"#,
        r#"{"subject_ref":"c","category":"marketing","source":"form","fields":{"email":"claire.fictive@example.org","topics":"hébergement"}}"#,
        r#"{"subject_ref":"c","category":"support","source":"form","fields":{"ticket_id":"T-77","subject":"Accès FTP","body":"Je n'arrive plus à me connecter."}}"#,
    ];
    std::fs::write(dir.join("claire.jsonl"), lines.join("\n") + "\n").expect("write jsonl");
    let (code, _, err) = run(dir, &["import", "claire.jsonl", "--quiet"]);
    assert_eq!(code, 0, "import failed: {err}");
}

fn outbox(dir: &Path) -> PathBuf {
    dir.join("data").join("outbox")
}

/// The `.eml` files of one kind, oldest first.
fn mails(dir: &Path, kind: &str) -> Vec<String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(outbox(dir))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(&format!("-{kind}-")))
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

/// The 8-digit code of a verification mail.
fn code_in(mail: &str) -> String {
    let text = &mail[mail.find("saisissez ce code").expect("code sentence")..];
    text.lines()
        .map(str::trim)
        .find(|l| l.len() == 8 && l.chars().all(|c| c.is_ascii_digit()))
        .expect("an 8-digit code")
        .to_string()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "habeas {args:?} failed: {err}");
    out
}

/// The vault subject request `id` is about (`requests show`).
fn subject_of(dir: &Path, id: &str) -> String {
    ok(dir, &["requests", "show", id, "--lang", "en"])
        .lines()
        .find_map(|l| l.trim().strip_prefix("subject: "))
        .expect("subject line")
        .to_string()
}

/// `requests new` prints the id on its first line.
fn new_request(dir: &Path, kind: &str) -> String {
    let out = ok(
        dir,
        &[
            "requests",
            "new",
            "--kind",
            kind,
            "--email",
            "claire.fictive@example.org",
        ],
    );
    out.lines().next().expect("id line").trim().to_string()
}

fn verify_by_mail(dir: &Path, id: &str) {
    verify_by_mail_to(dir, id, "claire.fictive@example.org");
}

fn verify_by_mail_to(dir: &Path, id: &str, to: &str) {
    let before = mails(dir, "verification_code").len();
    ok(dir, &["requests", "send-code", id]);
    let sent = mails(dir, "verification_code");
    assert_eq!(sent.len(), before + 1, "one code mail");
    let mail = sent.last().expect("code mail");
    assert!(mail.contains(&format!("To: {to}")), "{mail}");
    assert!(mail.contains(id), "the mail names the request");
    ok(dir, &["requests", "verify", id, &code_in(mail)]);
}

#[test]
fn access_request_from_receipt_to_the_three_answers() {
    let dir = project();
    let d = dir.path();
    seed(d);

    let id = new_request(d, "access");
    assert!(id.starts_with("R-"), "{id}");
    let acks = mails(d, "request_acknowledgment");
    assert_eq!(acks.len(), 1, "the acknowledgment is mailed on receipt");
    assert!(acks[0].contains("To: claire.fictive@example.org"));
    assert!(acks[0].contains(&id));

    // Listed as open, with both clocks; nothing disclosed before verification.
    let list = ok(d, &["requests", "list", "--lang", "en"]);
    assert!(
        list.contains(&id) && list.contains("acknowledged"),
        "{list}"
    );
    assert!(list.contains("statutory"), "{list}");
    let (code, _, err) = run(d, &["requests", "export", &id]);
    assert_ne!(code, 0, "export before verification must fail");
    assert!(err.contains("Art. 12(6)"), "{err}");

    // A wrong code is refused and the request stays unverified.
    ok(d, &["requests", "send-code", &id]);
    let (code, _, err) = run(d, &["requests", "verify", &id, "00000000"]);
    assert_ne!(code, 0);
    assert!(!err.contains("claire"), "no personal data in errors: {err}");
    verify_by_mail(d, &id);

    // JSON: every written value, with the Art. 15 information.
    let json = ok(d, &["requests", "export", &id, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json export");
    assert_eq!(v["schema"], "habeas.access-export/1");
    for needle in [
        "claire.fictive@example.org",
        "F-2026-0042",
        "12 rue de l'Église, Lyon",
        "Je n'arrive plus à me connecter.",
    ] {
        assert!(json.contains(needle), "JSON export lacks {needle}");
    }
    let cats: Vec<&str> = v["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| c["key"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(cats, ["billing", "contact", "marketing", "support"]);

    // CSV zip: one file per category, UTF-8 with BOM.
    let zip_path = d.join("answer.zip");
    ok(
        d,
        &[
            "requests",
            "export",
            &id,
            "--format",
            "csv",
            "-o",
            zip_path.to_str().expect("utf-8 path"),
        ],
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("zip")).expect("zip");
    let mut billing = zip.by_name("categories/billing.csv").expect("billing.csv");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut billing, &mut bytes).expect("read csv");
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "BOM first");
    assert!(String::from_utf8_lossy(&bytes).contains("F-2026-0042"));

    // HTML in English.
    let html = ok(
        d,
        &[
            "requests", "export", &id, "--format", "html", "--lang", "en",
        ],
    );
    assert!(
        html.contains("<html") && html.contains("Hébergix"),
        "html page"
    );

    ok(d, &["requests", "start", &id]);
    ok(d, &["requests", "done", &id]);
    let done = mails(d, "request_done");
    assert_eq!(done.len(), 1, "the subject is told the answer was given");
    assert!(done[0].contains(&id));
    let list = ok(d, &["requests", "list"]);
    assert!(!list.contains(&id), "a done request is no longer open");
}

#[test]
fn erasure_keeps_the_legal_obligation_categories_and_removes_the_others() {
    let dir = project();
    let d = dir.path();
    seed(d);
    let id = new_request(d, "erasure");
    verify_by_mail(d, &id);
    // A copy of the data taken before the erasure (a backup).
    let backup = d.join("backup-before-erasure");
    copy_tree(&d.join("data"), &backup);
    let out = ok(d, &["requests", "erase", &id, "--lang", "en"]);
    assert!(
        out.contains("billing"),
        "the plan names the kept category: {out}"
    );
    assert!(out.contains("L123-22"), "and its legal ground: {out}");
    ok(d, &["requests", "start", &id]);
    ok(d, &["requests", "done", &id]);

    // A later access request shows only what was kept.
    let subject = subject_of(d, &id);
    let out = ok(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "access",
            "--subject",
            &subject,
            "--no-mail",
        ],
    );
    let access = out.lines().next().expect("id").trim().to_string();
    ok(
        d,
        &[
            "requests", "proof", &access, "--method", "session", "--by", "agent-7",
        ],
    );
    let json = ok(d, &["requests", "export", &access]);
    assert!(
        json.contains("F-2026-0042"),
        "billing (Code de commerce) kept"
    );
    assert!(
        json.contains("claire.fictive@example.org"),
        "contact kept (Décret 2021-1362)"
    );
    assert!(!json.contains("hébergement"), "marketing erased");
    assert!(!json.contains("Je n'arrive plus"), "support erased");

    // The copy taken before, opened with the key store as it is now: the
    // erased categories' rows are there, but their keys are gone.
    std::fs::remove_dir_all(d.join("data")).expect("drop data");
    copy_tree(&backup, &d.join("data"));
    let out = ok(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "access",
            "--subject",
            &subject,
            "--contact",
            "contact.email",
            "--no-mail",
        ],
    );
    let again = out.lines().next().expect("id").trim().to_string();
    ok(
        d,
        &[
            "requests", "proof", &again, "--method", "session", "--by", "agent-7",
        ],
    );
    let (code, out, err) = run(d, &["requests", "export", &again]);
    assert_ne!(code, 0, "the old copy must not open: {out}");
    assert!(err.contains("key destroyed"), "{err}");
    assert!(!out.contains("hébergement") && !out.contains("Je n'arrive plus"));
}

#[test]
fn consent_give_withdraw_and_proof() {
    let dir = project();
    let d = dir.path();
    seed(d);
    let id = new_request(d, "access");
    let subject = subject_of(d, &id);
    ok(d, &["consent", "give", &subject, "newsletter"]);
    let state = ok(d, &["consent", "show", &subject, "--lang", "en"]);
    assert!(state.contains("newsletter\tgiven"), "{state}");
    ok(
        d,
        &[
            "consent",
            "withdraw",
            &subject,
            "newsletter",
            "--channel",
            "email",
        ],
    );
    let state = ok(d, &["consent", "show", &subject, "--lang", "en"]);
    assert!(state.contains("newsletter\twithdrawn"), "{state}");
    let proof = ok(d, &["consent", "proof", &subject]);
    let v: serde_json::Value = serde_json::from_str(&proof).expect("proof json");
    assert_eq!(v["schema"], "habeas.consent-proof/1");
    assert!(
        proof.contains("\"email\""),
        "the withdrawal channel is in the proof"
    );

    let (code, _, err) = run(d, &["consent", "give", &subject, "horoscope"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("newsletter"),
        "names the declared purposes: {err}"
    );

    // A mistyped subject id starts no ledger about no one.
    let before = ok(d, &["consent", "show", &subject]);
    for args in [
        &["consent", "give", "sub_nobody", "newsletter"][..],
        &["consent", "withdraw", "sub_nobody", "newsletter"],
        &["consent", "show", "sub_nobody"],
        &["consent", "proof", "sub_nobody"],
    ] {
        let (code, out, err) = run(d, &[args, &["--lang", "en"]].concat());
        assert_ne!(code, 0, "{args:?}: {out}");
        assert!(err.contains("unknown data subject"), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }
    assert_eq!(ok(d, &["consent", "show", &subject]), before);
}

#[test]
fn rectification_of_the_email_waits_for_the_new_address_to_be_verified() {
    let dir = project();
    let d = dir.path();
    seed(d);
    let id = new_request(d, "rectification");
    verify_by_mail(d, &id);
    let subject = subject_of(d, &id);
    // Find the contact record id through an access-style read: the JSON
    // export of a second, staff-verified access request.
    let out = ok(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "access",
            "--subject",
            &subject,
            "--no-mail",
        ],
    );
    let access = out.lines().next().expect("id").trim().to_string();
    ok(
        d,
        &[
            "requests", "proof", &access, "--method", "session", "--by", "agent-7",
        ],
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(d, &["requests", "export", &access])).expect("json");
    let contact = v["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|c| c["key"] == "contact")
        .expect("contact category");
    let record = contact["records"][0]["id"]
        .as_str()
        .expect("record id")
        .to_string();

    // A non-critical field is applied at once.
    ok(
        d,
        &[
            "requests",
            "rectify",
            &id,
            "--category",
            "contact",
            "--record",
            &record,
            "--set",
            "postal_address=3 place Bellecour, Lyon",
        ],
    );
    // The e-mail address is critical: a code goes to the new address first.
    let (code, out, _) = run(
        d,
        &[
            "requests",
            "rectify",
            &id,
            "--category",
            "contact",
            "--record",
            &record,
            "--set",
            "email=claire.nouvelle@example.org",
        ],
    );
    assert_eq!(code, 3, "waits for the code: {out}");
    let sent = mails(d, "verification_code");
    let mail = sent.last().expect("code to the new address");
    assert!(mail.contains("To: claire.nouvelle@example.org"), "{mail}");
    // Not applied yet: the old address still finds the subject.
    let (code, _, _) = run(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "access",
            "--email",
            "claire.nouvelle@example.org",
            "--no-mail",
        ],
    );
    assert_ne!(
        code, 0,
        "the new address is not on file before verification"
    );
    let (code, _, _) = run(
        d,
        &[
            "requests",
            "rectify",
            &id,
            "--category",
            "contact",
            "--record",
            &record,
            "--set",
            "email=claire.nouvelle@example.org",
            "--code",
            "00000000",
        ],
    );
    assert_ne!(code, 0, "a wrong code applies nothing");
    ok(
        d,
        &[
            "requests",
            "rectify",
            &id,
            "--category",
            "contact",
            "--record",
            &record,
            "--set",
            "email=claire.nouvelle@example.org",
            "--code",
            &code_in(mail),
        ],
    );
    // The blind index followed: the new address finds the subject.
    ok(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "access",
            "--email",
            "claire.nouvelle@example.org",
            "--no-mail",
        ],
    );
    let json = ok(d, &["requests", "export", &access]);
    assert!(json.contains("3 place Bellecour, Lyon"));
    assert!(json.contains("claire.nouvelle@example.org"));
}

#[test]
fn bad_input_is_refused_precisely_and_changes_nothing() {
    let dir = project();
    let d = dir.path();
    seed(d);
    let (code, _, err) = run(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "teleport",
            "--email",
            "claire.fictive@example.org",
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("teleport") && err.contains("access"), "{err}");
    let (code, _, err) = run(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "access",
            "--email",
            "personne@example.org",
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("--subject"), "says how to fix: {err}");
    assert!(
        !err.contains("personne@example.org"),
        "no address in errors: {err}"
    );
    let (code, _, err) = run(d, &["requests", "show", "R-20990101-0000000000"]);
    assert_ne!(code, 0);
    assert!(err.contains("habeas requests"), "{err}");
    let list = ok(d, &["requests", "list", "--lang", "en"]);
    assert!(list.contains("no open request"), "{list}");
    assert!(
        mails(d, "request_acknowledgment").is_empty(),
        "nothing was mailed"
    );
}

#[test]
fn erasure_with_nothing_to_keep_crypto_shreds_the_whole_subject() {
    let dir = project();
    let d = dir.path();
    let lines = [
        r#"{"subject_ref":"p","category":"marketing","source":"form","fields":{"email":"paul.fictif@example.org","topics":"messagerie"}}"#,
        r#"{"subject_ref":"p","category":"support","source":"form","fields":{"ticket_id":"T-5","subject":"Quota dépassé"}}"#,
    ];
    std::fs::write(d.join("paul.jsonl"), lines.join("\n") + "\n").expect("write");
    ok(d, &["import", "paul.jsonl", "--quiet"]);
    let out = ok(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "erasure",
            "--email",
            "paul.fictif@example.org",
        ],
    );
    let id = out.lines().next().expect("id").trim().to_string();
    verify_by_mail_to(d, &id, "paul.fictif@example.org");
    let out = ok(d, &["requests", "erase", &id]);
    let outcome: serde_json::Value =
        serde_json::from_str(&out[out.find("{\n").expect("outcome json")..]).expect("json");
    assert_eq!(outcome["crypto_shredded"], true);
    assert_eq!(outcome["data_keys_destroyed"], 2, "{outcome}");
    assert_eq!(outcome["kept"], serde_json::json!([]));
    // Nothing new is collected about an erased subject (Art. 17): no consent
    // is recorded; what the ledger says stays readable.
    let subject = subject_of(d, &id);
    let (code, _, err) = run(
        d,
        &["consent", "give", &subject, "newsletter", "--lang", "en"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("`erased`: no data can be added"), "{err}");
    let state = ok(d, &["consent", "show", &subject, "--lang", "en"]);
    assert!(state.contains("no consent recorded"), "{state}");
    // The address no longer finds anyone: the blind index is gone too.
    let (code, _, _) = run(
        d,
        &[
            "requests",
            "new",
            "--kind",
            "access",
            "--email",
            "paul.fictif@example.org",
            "--no-mail",
        ],
    );
    assert_ne!(code, 0);
}
