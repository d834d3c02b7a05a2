//! The export of a heavy subject: 10,000 records across 10 categories.
//! Prints the measured times; the bound only catches an accidental
//! quadratic walk (issue #4 asks ≤ 200 ms for JSON and ≤ 300 ms for the CSV
//! zip in release builds; see docs/rights.md for measured figures).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use habeas_core::lang::Lang;
use habeas_rights::export::json::access_json;
use habeas_rights::export::{access_csv_zip, access_html, build_access_export};
use habeas_rights::held::{HeldRecord, SourceChannel};

const CATEGORIES: [&str; 10] = [
    "identity",
    "contact",
    "billing",
    "support",
    "security_logs",
    "connection_logs",
    "marketing",
    "mail_lists",
    "shared_files",
    "navigation",
];

#[test]
fn ten_thousand_records_export_in_time() {
    let decls = demo();
    let mut holdings = holdings();
    holdings.records.clear();
    let start = utc("2024-01-01T00:00:00Z");
    for i in 0..10_000usize {
        let category = CATEGORIES[i % CATEGORIES.len()];
        let fields: BTreeMap<String, String> = decls
            .category(category)
            .unwrap()
            .field_names()
            .map(|f| (f.to_string(), format!("valeur-{i}-{f} é")))
            .collect();
        holdings.records.push(HeldRecord {
            id: format!("rec-{i:05}"),
            category: category.into(),
            fields,
            recorded_at: start + chrono::Duration::minutes(i as i64),
            source_channel: SourceChannel::Observed,
            purposes: Vec::new(),
        });
    }
    let now = utc("2026-04-03T08:00:00Z");

    let t = Instant::now();
    let export = build_access_export(&decls, &holdings, Lang::Fr, now);
    let json = access_json(&export).unwrap();
    let json_time = t.elapsed();

    let t = Instant::now();
    let export = build_access_export(&decls, &holdings, Lang::Fr, now);
    let zip = access_csv_zip(&export).unwrap();
    let csv_time = t.elapsed();

    let t = Instant::now();
    let html = access_html(&export);
    let html_time = t.elapsed();

    eprintln!(
        "access export of 10,000 records / 10 categories: JSON {json_time:?} ({} KiB), CSV zip {csv_time:?} ({} KiB), HTML {html_time:?} ({} KiB)",
        json.len() / 1024,
        zip.len() / 1024,
        html.len() / 1024
    );
    let records: usize = export.categories.iter().map(|c| c.records.len()).sum();
    assert_eq!(records, 10_000);
    let bound = Duration::from_secs(10);
    assert!(json_time < bound && csv_time < bound && html_time < bound);
}
