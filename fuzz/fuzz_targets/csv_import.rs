//! Any bytes as a CSV file given to `habeas import --category C` (the first
//! byte picks the category among the example provider's, the second the
//! encoding): the separator read from the header row, the header's columns
//! given their meaning (habeas-engine `import_csv`), each row turned into a
//! record and validated. Never a panic; a refusal never quotes a field's
//! value (cells carrying the marker `ZQX` must not come back, unless a header,
//! a purpose, a source or a subject reference carries it: those are names the
//! caller chose, quoted on purpose as the API does); a row only ever fills
//! fields its category declares.
#![no_main]

use std::collections::BTreeMap;

use chrono::TimeZone;
use habeas_engine::import_csv::{self, CsvLayout};
use habeas_engine::validate::validate;
use libfuzzer_sys::fuzz_target;

#[path = "example.rs"]
mod example;

use example::declarations;

const MARK: &str = "ZQX";

fuzz_target!(|data: &[u8]| {
    let [pick, enc, file @ ..] = data else {
        return;
    };
    let decls = declarations();
    let names: Vec<&String> = decls.categories.keys().map(|k| k.get_ref()).collect();
    let name = names[*pick as usize % names.len()];
    let category = decls.category(name).expect("declared");
    let encoding = import_csv::encoding_for_label(if enc % 2 == 0 {
        "utf-8"
    } else {
        "windows-1252"
    })
    .expect("known encoding");
    let delimiter = import_csv::sniff_delimiter(file);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(file);
    let Ok(raw_headers) = rdr.byte_headers().cloned() else {
        return;
    };
    let mut headers = Vec::new();
    for h in &raw_headers {
        match import_csv::decode_cell(h, encoding) {
            Ok(text) => headers.push(text.into_owned()),
            Err(e) => {
                assert!(!e.to_string().contains(MARK));
                return;
            }
        }
    }
    let quoted_on_purpose = headers.iter().any(|h| h.contains(MARK));
    let clean = |text: String| {
        if !quoted_on_purpose {
            assert!(!text.contains(MARK), "a refusal quoted a cell: {text}");
        }
    };
    let layout = match CsvLayout::new(name, category, &headers, &BTreeMap::new()) {
        Ok(l) => l,
        Err(e) => return clean(e.to_string()),
    };
    let now = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
    for row in rdr.byte_records().take(32) {
        let Ok(row) = row else { continue };
        let cells: Result<Vec<_>, _> = row
            .iter()
            .map(|c| import_csv::decode_cell(c, encoding))
            .collect();
        let cells = match cells {
            Ok(c) => c,
            Err(e) => {
                clean(e.to_string());
                continue;
            }
        };
        let cells: Vec<&str> = cells.iter().map(|c| c.as_ref()).collect();
        let input = match layout.record(&cells, "import") {
            Ok(i) => i,
            Err(e) => {
                clean(e.to_string());
                continue;
            }
        };
        for field in input.fields.keys() {
            assert!(
                category.field(field).is_some(),
                "undeclared field {field} filled"
            );
        }
        // Names the caller chose (purposes, source, subject references) may be
        // quoted back, as for the API (record_validate); field values never.
        let names = format!(
            "{:?} {:?} {:?} {:?}",
            input.purposes, input.source, input.subject, input.subject_ref
        );
        if let Err(e) = validate(decls, input, now)
            && !names.contains(MARK)
        {
            clean(e.to_string());
        }
    }
});
