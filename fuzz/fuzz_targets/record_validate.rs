//! Any JSON as a record written through the API or `habeas import`, checked
//! against the example provider's declarations (validate.rs): never a panic;
//! a refusal never quotes a value it was given (no personal data in error
//! messages: values carrying the marker `ZQX` must not come back in the
//! refusal, unless a name the caller chose carries it too); and an accepted
//! record is in normal form (validating what it became gives it back).
#![no_main]

use chrono::TimeZone;
use habeas_engine::EngineError;
use habeas_engine::validate::{RecordInput, validate};
use libfuzzer_sys::fuzz_target;

#[path = "example.rs"]
mod example;

use example::declarations;

const MARK: &str = "ZQX";

fuzz_target!(|data: &[u8]| {
    let Ok(input) = serde_json::from_slice::<RecordInput>(data) else {
        return;
    };
    let now = chrono::Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    let decls = declarations();
    // Everything the caller named (category, field names, purposes, source,
    // subject, event names), values left out.
    let names = format!(
        "{} {:?} {:?} {:?} {:?} {:?} {:?}",
        input.category,
        input.fields.keys().collect::<Vec<_>>(),
        input.purposes,
        input.source,
        input.subject,
        input.subject_ref,
        input.events.events.keys().collect::<Vec<_>>(),
    );
    match validate(decls, input, now) {
        Err(e) => {
            let text = match &e {
                EngineError::Invalid(r) | EngineError::Forbidden(r) | EngineError::NotFound(r) => {
                    serde_json::to_string(r).expect("serialisable")
                }
                other => other.to_string(),
            };
            if !names.contains(MARK) {
                assert!(!text.contains(MARK), "a refusal quoted a value: {text}");
            }
        }
        Ok(valid) => {
            let again = RecordInput {
                subject: None,
                subject_ref: None,
                category: valid.category.clone(),
                fields: valid.fields.clone().into_iter().collect(),
                source: Some(valid.source.clone()),
                purposes: valid.purposes.clone(),
                collected_at: valid.events.collected_at,
                events: valid.events.clone(),
            };
            let twice = validate(decls, again, now).expect("a normal form validates");
            assert_eq!(twice.fields, valid.fields, "normalisation is not stable");
            assert_eq!(twice.identifiers, valid.identifiers);
            assert_eq!(twice.due_at, valid.due_at);
        }
    }
});
