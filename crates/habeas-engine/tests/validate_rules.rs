//! The minimisation rules against the demo provider's declarations.

use habeas_core::declarations::{self, Declarations};
use habeas_engine::validate::{RecordInput, validate};
use habeas_engine::{EngineError, journal};
use serde_json::json;

fn demo() -> Declarations {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/hosting-provider/declarations");
    let mut files = Vec::new();
    for e in std::fs::read_dir(&dir)
        .expect("demo declarations")
        .flatten()
    {
        let p = e.path();
        files.push((
            p.display().to_string(),
            std::fs::read_to_string(&p).expect("read"),
        ));
    }
    files.sort();
    let checked = declarations::load_and_check(&files);
    assert!(!checked.has_errors());
    checked.declarations
}

fn input(value: serde_json::Value) -> RecordInput {
    serde_json::from_value(value).expect("record input")
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-06-01T00:00:00Z".parse().expect("date")
}

fn refusal(err: EngineError) -> (String, Option<String>, Option<String>) {
    let r = err.refusal().expect("a caller refusal").clone();
    (
        r.code.to_string(),
        r.category.map(Into::into),
        r.field.map(Into::into),
    )
}

#[test]
fn only_declared_fields_of_a_declared_category_pass() {
    let d = demo();
    let err = validate(
        &d,
        input(json!({"category": "pets", "fields": {"name": "x"}})),
        now(),
    )
    .unwrap_err();
    assert_eq!(refusal(err).0, "unknown_category");
    let err = validate(
        &d,
        input(json!({"category": "contact", "fields": {"email": "a@example.org", "iban": "FR76"}})),
        now(),
    )
    .unwrap_err();
    assert_eq!(
        refusal(err),
        (
            "unknown_field".into(),
            Some("contact".into()),
            Some("iban".into())
        )
    );
    let err = validate(
        &d,
        input(json!({"category": "contact", "fields": {}})),
        now(),
    )
    .unwrap_err();
    assert_eq!(refusal(err).0, "no_fields");
}

#[test]
fn each_field_type_is_checked_and_normalised() {
    let d = demo();
    let ok = validate(
        &d,
        input(json!({"category": "contact", "fields": {"email": "Zoe@Example.ORG", "phone": "01 99 00 12 34", "country": "be"}})),
        now(),
    )
    .expect("valid");
    assert_eq!(ok.fields["phone"], "+33199001234");
    assert_eq!(ok.fields["country"], "BE");
    let mut ids = ok.identifiers.clone();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            ("email".to_string(), "zoe@example.org".to_string()),
            ("phone".into(), "+33199001234".into())
        ]
    );
    for (field, bad) in [
        ("email", json!("not-an-address")),
        ("phone", json!("12")),
        ("country", json!("FRA")),
        ("email", json!(42)),
    ] {
        let err = validate(
            &d,
            input(json!({"category": "contact", "fields": {field: bad}})),
            now(),
        )
        .unwrap_err();
        assert_eq!(
            refusal(err),
            (
                "wrong_type".into(),
                Some("contact".into()),
                Some(field.into())
            ),
            "{field}"
        );
    }
    let err = validate(
        &d,
        input(json!({"category": "connection_logs", "fields": {"ip": "300.1.1.1"}})),
        now(),
    )
    .unwrap_err();
    let r = err.refusal().expect("a caller refusal").clone();
    assert_eq!(r.field.as_deref(), Some("ip"));
    // What the field expects is said in each language (the French text said it in English).
    assert_eq!(
        &*r.message_fr,
        "le champ « ip » de la catégorie « connection_logs » attend : une adresse IPv4 ou IPv6"
    );
    assert_eq!(
        &*r.message_en,
        "field `ip` of category `connection_logs` expects: an IPv4 or IPv6 address"
    );
}

#[test]
fn the_retention_due_date_is_computed_at_write() {
    let d = demo();
    // billing: "10 years after collection".
    let ok = validate(&d, input(json!({"category": "billing", "fields": {"invoice_number": "F-1"}, "collected_at": "2026-01-15T00:00:00Z"})), now()).expect("valid");
    assert_eq!(
        ok.due_at.map(|d| d.to_rfc3339()),
        Some("2036-01-15T00:00:00+00:00".into())
    );
    // contact: "1 year after contract end" — unknown until the contract ends.
    let open = validate(
        &d,
        input(json!({"category": "contact", "fields": {"language": "fr"}})),
        now(),
    )
    .expect("valid");
    assert_eq!(open.due_at, None);
    let ended = validate(&d, input(json!({"category": "contact", "fields": {"language": "fr"}, "events": {"contract_end": "2026-03-01T00:00:00Z"}})), now()).expect("valid");
    assert_eq!(
        ended.due_at.map(|d| d.to_rfc3339()),
        Some("2027-03-01T00:00:00+00:00".into())
    );
}

#[test]
fn purposes_must_process_the_category() {
    let d = demo();
    let err = validate(
        &d,
        input(
            json!({"category": "contact", "fields": {"language": "fr"}, "purposes": ["PA-0003"]}),
        ),
        now(),
    )
    .unwrap_err();
    assert_eq!(refusal(err).0, "purpose_not_declared");
    let ok = validate(
        &d,
        input(json!({"category": "contact", "fields": {"language": "fr"}})),
        now(),
    )
    .expect("valid");
    assert!(ok.purposes.contains(&"PA-0001".to_string()));
}

#[test]
fn the_journal_hash_covers_the_sequence_number() {
    let e = journal::Entry {
        at: 1,
        actor: "cli".into(),
        action: "read".into(),
        subject: Some("sub_1".into()),
        category: Some("contact".into()),
        purpose: Some("PA-0001".into()),
        outcome: "records=1".into(),
    };
    assert_ne!(journal::canonical(1, &e), journal::canonical(2, &e));
}
