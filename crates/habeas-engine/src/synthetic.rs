//! Synthetic, clearly fictitious records for the demo and the benchmarks:
//! one record per declared category per subject, values built from the
//! field types. E-mail addresses use `example.org` (RFC 2606), phone numbers
//! the ARCEP range reserved for fiction (+33 1 99 00 xx xx), IP addresses
//! the documentation ranges (RFC 5737), names say "Fictif".

use habeas_core::declarations::{Declarations, FieldType};
use serde_json::{Map, Value, json};

use crate::validate::RecordInput;
use crate::vault::BulkLine;

/// A fictitious value of `kind` for the `n`-th subject.
pub fn value(kind: FieldType, field: &str, n: u64) -> Value {
    match kind {
        FieldType::String => json!(format!("Fictif {field} {n}")),
        FieldType::Text => json!(format!("Texte fictif de démonstration n° {n} ({field}).")),
        FieldType::Email => json!(format!("demo.{n}@example.org")),
        FieldType::Phone => json!(format!("+3319900{:04}", n % 10_000)),
        FieldType::Date => json!(format!("2025-{:02}-{:02}", n % 12 + 1, n % 28 + 1)),
        FieldType::Datetime => json!(format!(
            "2025-{:02}-{:02}T10:00:00Z",
            n % 12 + 1,
            n % 28 + 1
        )),
        FieldType::Integer => json!(n),
        FieldType::Decimal => json!(format!("{}.{:02}", n % 1000, n % 100)),
        FieldType::Boolean => json!(n.is_multiple_of(2)),
        FieldType::Ip => json!(format!("192.0.2.{}", n % 254 + 1)),
        FieldType::Url => json!(format!("https://example.org/demo/{n}")),
        FieldType::Country => json!(if n.is_multiple_of(5) { "BE" } else { "FR" }),
    }
}

/// A record of `category` for subject number `n`, with every declared field.
pub fn record(decls: &Declarations, category: &str, n: u64) -> Option<RecordInput> {
    let c = decls.category(category)?;
    let mut fields = Map::new();
    for name in c.field_names() {
        if let Some(kind) = c.field(name) {
            fields.insert(name.to_string(), value(kind, name, n));
        }
    }
    Some(RecordInput {
        subject: None,
        subject_ref: None,
        category: category.to_string(),
        fields,
        source: Some("demo".into()),
        purposes: Vec::new(),
        collected_at: None,
        events: Default::default(),
    })
}

/// Bulk lines for subjects `from..to`: one record per declared category each,
/// linked by `subject_ref = "demo-<n>"`.
pub fn subjects(decls: &Declarations, from: u64, to: u64) -> Vec<BulkLine> {
    let mut out = Vec::new();
    let mut line = 0;
    for n in from..to {
        for category in decls.categories.keys() {
            if let Some(mut input) = record(decls, category.get_ref(), n) {
                input.subject_ref = Some(format!("demo-{n}"));
                line += 1;
                out.push(BulkLine { line, input });
            }
        }
    }
    out
}
