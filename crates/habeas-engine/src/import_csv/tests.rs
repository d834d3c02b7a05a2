use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use habeas_core::declarations::{Declarations, load_and_check, starter};
use serde_json::json;

use super::*;

/// The starter declarations, plus a category whose field is named like a
/// record column and whose retention runs from a provider-specific event.
fn decls() -> Declarations {
    let mut files = starter::declaration_files();
    let categories = files
        .iter_mut()
        .find(|(p, _)| p.ends_with("categories.toml"))
        .expect("starter categories");
    categories.1.push_str(
        r#"
[categories.tickets]
name = "Tickets"
family = "other"
retention = "30 days after domain cancelled"
[categories.tickets.fields]
subject = "string"
opened = "date"
amount = "decimal"
urgent = "boolean"
count = "integer"
"#,
    );
    load_and_check(&files).declarations
}

fn layout(
    decls: &Declarations,
    category: &str,
    headers: &[&str],
    map: &[(&str, &str)],
) -> Result<CsvLayout> {
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let mapping: BTreeMap<String, String> = map
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    CsvLayout::new(
        category,
        decls.category(category).expect("declared"),
        &headers,
        &mapping,
    )
}

fn refusal(e: EngineError) -> (String, String) {
    let r = e.refusal().expect("a refusal").clone();
    (r.code.to_string(), r.message_en.to_string())
}

#[test]
fn retention_dates_purposes_and_source_come_from_their_columns() {
    let d = decls();
    let l = layout(
        &d,
        "contact",
        &[
            "ref",
            "email",
            "contract_end",
            "record.collected_at",
            "purposes",
            "source",
        ],
        &[("ref", "subject_ref")],
    )
    .expect("layout");
    let r = l
        .record(
            &[
                "c1",
                "claire@example.org",
                "31/01/2024",
                "2019-05-02T08:00:00Z",
                "PA-0001 PA-0002",
                "crm",
            ],
            "import",
        )
        .expect("record");
    assert_eq!(r.subject_ref.as_deref(), Some("c1"));
    assert_eq!(r.fields.get("email"), Some(&json!("claire@example.org")));
    // Midnight in Paris on 31 January (UTC+1 in winter).
    assert_eq!(
        r.events.contract_end,
        Some(Utc.with_ymd_and_hms(2024, 1, 30, 23, 0, 0).unwrap())
    );
    assert_eq!(
        r.collected_at,
        Some(Utc.with_ymd_and_hms(2019, 5, 2, 8, 0, 0).unwrap())
    );
    assert_eq!(r.purposes, vec!["PA-0001", "PA-0002"]);
    assert_eq!(r.source.as_deref(), Some("crm"));
    assert!(l.names_subject());
}

#[test]
fn empty_cells_are_absent_and_the_default_source_stays() {
    let d = decls();
    let l = layout(
        &d,
        "contact",
        &["subject_ref", "email", "phone", "contract_end"],
        &[],
    )
    .expect("layout");
    let r = l
        .record(&["c1", "a@example.org", "", " "], "import")
        .expect("record");
    assert!(!r.fields.contains_key("phone"));
    assert_eq!(r.events.contract_end, None);
    assert_eq!(r.source.as_deref(), Some("import"));
}

#[test]
fn a_declared_field_wins_over_a_record_column_of_the_same_name() {
    let d = decls();
    let l = layout(&d, "tickets", &["record.subject_ref", "subject"], &[]).expect("layout");
    let r = l
        .record(&["t1", "Facture en double"], "import")
        .expect("record");
    assert_eq!(r.subject, None, "a ticket's subject is its title");
    assert_eq!(r.fields.get("subject"), Some(&json!("Facture en double")));
    // Without the prefix and without a field of that name, `subject` is the vault id.
    let l = layout(&d, "contact", &["subject", "email"], &[]).expect("layout");
    let r = l
        .record(&["sub_x", "a@example.org"], "import")
        .expect("record");
    assert_eq!(r.subject.as_deref(), Some("sub_x"));
}

#[test]
fn the_category_s_own_event_is_a_column_and_other_events_are_refused() {
    let d = decls();
    let l = layout(
        &d,
        "tickets",
        &["subject_ref", "events.domain_cancelled"],
        &[],
    )
    .expect("layout");
    let r = l
        .record(&["t1", "2026-03-01 14:30"], "import")
        .expect("record");
    assert_eq!(
        r.events.events.get("domain_cancelled"),
        Some(&Utc.with_ymd_and_hms(2026, 3, 1, 13, 30, 0).unwrap())
    );
    let (code, msg) = refusal(
        layout(
            &d,
            "tickets",
            &["subject_ref", "events.domain_canceled"],
            &[],
        )
        .unwrap_err(),
    );
    assert_eq!(code, "csv_unknown_column");
    assert!(
        msg.contains("column 2") && msg.contains("events.domain_cancelled"),
        "{msg}"
    );
}

#[test]
fn french_spreadsheet_values_are_understood() {
    let d = decls();
    let l = layout(
        &d,
        "tickets",
        &[
            "subject_ref",
            "opened",
            "amount",
            "urgent",
            "count",
            "events.incident_linked",
        ],
        &[],
    )
    .expect("layout");
    let r = l
        .record(
            &["t1", "07/12/2026", "-12,50", "VRAI", " 42 ", "oui"],
            "import",
        )
        .expect("record");
    assert_eq!(r.fields.get("opened"), Some(&json!("2026-12-07")));
    assert_eq!(r.fields.get("amount"), Some(&json!("-12.50")));
    assert_eq!(r.fields.get("urgent"), Some(&json!(true)));
    assert_eq!(r.fields.get("count"), Some(&json!(42)));
    assert!(r.events.incident_linked);
    // What does not read as its type goes on as text, for validation to refuse by name.
    let r = l
        .record(
            &["t1", "31/02/2026", "12,5,0", "peut-être", "4 2", "non"],
            "import",
        )
        .expect("record");
    assert_eq!(r.fields.get("opened"), Some(&json!("31/02/2026")));
    assert_eq!(r.fields.get("amount"), Some(&json!("12,5,0")));
    assert_eq!(r.fields.get("urgent"), Some(&json!("peut-être")));
    assert_eq!(r.fields.get("count"), Some(&json!("4 2")));
}

#[test]
fn an_unreadable_date_is_refused_by_column_without_its_value() {
    let d = decls();
    let l = layout(
        &d,
        "contact",
        &["subject_ref", "Fin de contrat"],
        &[("Fin de contrat", "contract_end")],
    )
    .expect("layout");
    for bad in [
        "2024-13-01",
        "31/01/24",
        "janvier 2024",
        "2024-01-31T25:00:00Z",
    ] {
        let (code, msg) = refusal(l.record(&["c1", bad], "import").unwrap_err());
        assert_eq!(code, "csv_bad_date");
        assert!(
            msg.contains("Fin de contrat") && !msg.contains(bad),
            "{msg}"
        );
    }
    let l = layout(&d, "contact", &["subject_ref", "incident_linked"], &[]).expect("layout");
    let (code, _) = refusal(l.record(&["c1", "peut-être"], "import").unwrap_err());
    assert_eq!(code, "csv_bad_boolean");
}

#[test]
fn header_mistakes_are_refused_before_any_row() {
    let d = decls();
    let (code, msg) = refusal(layout(&d, "contact", &["subject_ref", "mail"], &[]).unwrap_err());
    assert_eq!(code, "csv_unknown_column");
    assert!(
        msg.contains("column 2 `mail`")
            && msg.contains("email, phone")
            && msg.contains("contract_end"),
        "{msg}"
    );
    let (code, msg) =
        refusal(layout(&d, "contact", &["email", "mail"], &[("mail", "email")]).unwrap_err());
    assert_eq!(code, "csv_column_twice");
    assert!(msg.contains("columns 1 and 2"), "{msg}");
    let (code, msg) =
        refusal(layout(&d, "contact", &["email"], &[("e-mail", "email")]).unwrap_err());
    assert_eq!(code, "csv_map_unknown_column");
    assert!(
        msg.contains("`e-mail`") && msg.contains("columns: email"),
        "{msg}"
    );
    let (code, _) = refusal(layout(&d, "contact", &["email", ""], &[]).unwrap_err());
    assert_eq!(code, "csv_column_unnamed");
    let (code, _) = refusal(layout(&d, "contact", &["record.nothing"], &[]).unwrap_err());
    assert_eq!(code, "csv_unknown_column");
}

#[test]
fn a_file_without_a_header_row_is_told_so_without_repeating_its_data() {
    let d = decls();
    let (code, msg) =
        refusal(layout(&d, "contact", &["claire@example.org", "0199001111"], &[]).unwrap_err());
    assert_eq!(code, "csv_no_header");
    assert!(!msg.contains("claire") && !msg.contains("0199"), "{msg}");
}

#[test]
fn a_column_mapped_to_a_dash_is_left_out() {
    let d = decls();
    let l = layout(
        &d,
        "contact",
        &["subject_ref", "Notes internes", "email"],
        &[("Notes internes", "-")],
    )
    .expect("layout");
    let r = l
        .record(&["c1", "rappeler lundi", "a@example.org"], "import")
        .expect("record");
    assert_eq!(r.fields.len(), 1);
    let (code, _) = refusal(l.record(&["c1", "a@example.org"], "import").unwrap_err());
    assert_eq!(code, "csv_row_width");
}

#[test]
fn the_separator_is_read_from_the_header_row() {
    assert_eq!(
        sniff_delimiter(b"email;phone;postal_address\r\nx,y;z"),
        b';'
    );
    assert_eq!(sniff_delimiter(b"email,phone\n"), b',');
    assert_eq!(sniff_delimiter(b"email\tphone\tnote"), b'\t');
    assert_eq!(
        sniff_delimiter(b"\"a;b\",c"),
        b',',
        "quoted separators do not count"
    );
    assert_eq!(sniff_delimiter(b"email"), b',');
    assert_eq!(sniff_delimiter(b"a;b,c"), b',', "a tie keeps the comma");
}

#[test]
fn cells_decode_strictly_in_the_named_encoding() {
    let latin = encoding_for_label("windows-1252").expect("known");
    assert_eq!(decode_cell(b"all\xe9e", latin).expect("text"), "allée");
    let utf8 = encoding_for_label("UTF-8").expect("known");
    assert_eq!(
        decode_cell("allée".as_bytes(), utf8).expect("text"),
        "allée"
    );
    let (code, msg) = refusal(decode_cell(b"all\xe9e", utf8).unwrap_err());
    assert_eq!(code, "csv_not_utf8");
    assert!(msg.contains("--encoding windows-1252"), "{msg}");
    assert_eq!(
        refusal(encoding_for_label("utf-16le").unwrap_err()).0,
        "csv_encoding"
    );
    assert_eq!(
        refusal(encoding_for_label("klingon").unwrap_err()).0,
        "csv_encoding"
    );
    assert!(utf16_bom(b"\xff\xfee\0m\0") && !utf16_bom(b"email"));
}
