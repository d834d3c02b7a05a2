//! A spreadsheet's rows as records: what `habeas import FILE.csv` makes of a
//! CSV export from a CRM, a billing tool or Excel. Pure: the command reads
//! the file; this decides what each column means and turns a row's cells
//! into a [`RecordInput`], which then goes through the same validation as
//! the API's.
//!
//! Why the record's dates matter here: a customer base migrated from
//! another tool carries *when* each contract ended and each prospect was
//! last in touch. Retention runs from those dates (GDPR Art. 5(1)(e),
//! storage limitation; CNIL: prospects three years after the last contact),
//! so an import that could only say "collected today" would restart every
//! clock and keep former customers longer than the notice promises. A
//! column may therefore carry the record's event dates, collection time,
//! purposes and source, not only the category's fields.
//!
//! A column's meaning, from its header (or the name `--map` gives it):
//! 1. a field the category declares — a declared field always wins;
//! 2. `record.subject`, `record.subject_ref`, `record.collected_at`,
//!    `record.purposes`, `record.source`, `events.last_interaction`,
//!    `events.contract_end`, `events.account_closure`,
//!    `events.incident_linked`, `events.NAME` (the event the category's
//!    retention rule names) — always what they say;
//! 3. the same names without their prefix, when the category declares no
//!    field of that name (a `support` ticket's `subject` is its title);
//! 4. `-` (only through `--map`): the column is left out.
//!
//! Anything else is refused at the header, before a single row is read.

mod cells;
mod text;

use std::collections::{BTreeMap, BTreeSet};

use habeas_core::declarations::{DataCategory, FieldType};
use habeas_core::retention::Anchor;

pub use cells::instant;
pub use text::{decode_cell, encoding_for_label, sniff_delimiter, utf16_bom};

use crate::error::{EngineError, Result};
use crate::validate::RecordInput;

/// What a column of the file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Field(String, FieldType),
    Skipped,
    Subject,
    SubjectRef,
    CollectedAt,
    Purposes,
    Source,
    LastInteraction,
    ContractEnd,
    AccountClosure,
    IncidentLinked,
    Event(String),
}

/// Record-level columns, by their plain name.
const RECORD_COLUMNS: [(&str, Column); 5] = [
    ("subject", Column::Subject),
    ("subject_ref", Column::SubjectRef),
    ("collected_at", Column::CollectedAt),
    ("purposes", Column::Purposes),
    ("source", Column::Source),
];

/// The built-in retention events, by their plain name.
const EVENT_COLUMNS: [(&str, Column); 4] = [
    ("last_interaction", Column::LastInteraction),
    ("contract_end", Column::ContractEnd),
    ("account_closure", Column::AccountClosure),
    ("incident_linked", Column::IncidentLinked),
];

/// The meaning of every column of one file, for one declared category.
#[derive(Debug, Clone)]
pub struct CsvLayout {
    category: String,
    /// `(header as written, meaning)`, in the file's order.
    columns: Vec<(String, Column)>,
}

impl CsvLayout {
    /// Read the header row. `mapping`: header → name (`--map`), `-` to
    /// leave a column out. Refused: a column that means nothing for the
    /// category, two columns meaning the same, a mapping naming no column.
    pub fn new(
        category_name: &str,
        category: &DataCategory,
        headers: &[String],
        mapping: &BTreeMap<String, String>,
    ) -> Result<Self> {
        let mut columns = Vec::with_capacity(headers.len());
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, header) in headers.iter().enumerate() {
            let position = i + 1;
            let header = header.trim().to_string();
            let name = mapping.get(&header).map_or(header.as_str(), String::as_str);
            if name.is_empty() {
                return Err(EngineError::invalid(
                    "csv_column_unnamed",
                    format!(
                        "en-tête : la colonne {position} n'a pas de nom ; nommez-la ou retirez-la"
                    ),
                    format!("header: column {position} has no name; name it or remove it"),
                ));
            }
            let column = meaning(category, name)
                .ok_or_else(|| unknown_column(category_name, category, position, &header))?;
            if column != Column::Skipped {
                let key = format!("{column:?}");
                if let Some(first) = seen.insert(key, position) {
                    return Err(EngineError::invalid(
                        "csv_column_twice",
                        format!(
                            "en-tête : les colonnes {first} et {position} disent la même chose ({}) ; gardez-en une, ou --map COLONNE=- pour ignorer l'autre",
                            short(name)
                        ),
                        format!(
                            "header: columns {first} and {position} mean the same ({}); keep one, or --map COLUMN=- to leave the other out",
                            short(name)
                        ),
                    ));
                }
            }
            columns.push((header, column));
        }
        let named: BTreeSet<&str> = columns.iter().map(|(h, _)| h.as_str()).collect();
        if let Some(missing) = mapping.keys().find(|k| !named.contains(k.trim())) {
            let list = columns
                .iter()
                .map(|(h, _)| short(h))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(EngineError::invalid(
                "csv_map_unknown_column",
                format!(
                    "--map : aucune colonne « {} » dans l'en-tête (colonnes : {list})",
                    short(missing)
                ),
                format!(
                    "--map: no column `{}` in the header (columns: {list})",
                    short(missing)
                ),
            ));
        }
        Ok(CsvLayout {
            category: category_name.to_string(),
            columns,
        })
    }

    /// Number of columns a row must have.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Whether some column names the subject (`subject` or `subject_ref`).
    pub fn names_subject(&self) -> bool {
        self.columns
            .iter()
            .any(|(_, c)| matches!(c, Column::Subject | Column::SubjectRef))
    }

    /// One row as a record. Empty cells are absent values. A refusal names
    /// the column, never the cell's content.
    pub fn record(&self, cells: &[&str], default_source: &str) -> Result<RecordInput> {
        if cells.len() != self.columns.len() {
            return Err(EngineError::invalid(
                "csv_row_width",
                format!(
                    "ligne tronquée ou en trop : {} colonnes au lieu de {}",
                    cells.len(),
                    self.columns.len()
                ),
                format!(
                    "truncated or overlong row: {} columns instead of {}",
                    cells.len(),
                    self.columns.len()
                ),
            ));
        }
        let mut input = RecordInput {
            subject: None,
            subject_ref: None,
            category: self.category.clone(),
            fields: serde_json::Map::new(),
            source: Some(default_source.to_string()),
            purposes: Vec::new(),
            collected_at: None,
            events: Default::default(),
        };
        for ((header, column), cell) in self.columns.iter().zip(cells) {
            if cell.trim().is_empty() {
                continue;
            }
            let when = || cells::instant(cell).ok_or_else(|| cells::bad_instant(header));
            match column {
                Column::Skipped => {}
                Column::Field(name, kind) => {
                    input
                        .fields
                        .insert(name.clone(), cells::field_value(*kind, cell));
                }
                Column::Subject => input.subject = Some(cell.trim().to_string()),
                Column::SubjectRef => input.subject_ref = Some(cell.trim().to_string()),
                Column::Source => input.source = Some(cell.trim().to_string()),
                Column::Purposes => input.purposes = cells::purposes(cell),
                Column::CollectedAt => input.collected_at = Some(when()?),
                Column::LastInteraction => input.events.last_interaction = Some(when()?),
                Column::ContractEnd => input.events.contract_end = Some(when()?),
                Column::AccountClosure => input.events.account_closure = Some(when()?),
                Column::Event(name) => {
                    input.events.events.insert(name.clone(), when()?);
                }
                Column::IncidentLinked => {
                    input.events.incident_linked =
                        cells::boolean(cell).ok_or_else(|| cells::bad_boolean(header))?;
                }
            }
        }
        Ok(input)
    }
}

/// What `name` means for `category`, or `None` when nothing.
fn meaning(category: &DataCategory, name: &str) -> Option<Column> {
    if name == "-" {
        return Some(Column::Skipped);
    }
    let plain = |name: &str, table: &[(&str, Column)]| {
        table
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c.clone())
    };
    if let Some(rest) = name.strip_prefix("record.") {
        return plain(rest, &RECORD_COLUMNS);
    }
    if let Some(rest) = name.strip_prefix("events.") {
        return plain(rest, &EVENT_COLUMNS).or_else(|| {
            (rule_event(category).as_deref() == Some(rest)).then(|| Column::Event(rest.into()))
        });
    }
    if let Some(kind) = category.field(name) {
        return Some(Column::Field(name.to_string(), kind));
    }
    plain(name, &RECORD_COLUMNS).or_else(|| plain(name, &EVENT_COLUMNS))
}

/// The provider-specific event the category's retention rule runs from, if any.
fn rule_event(category: &DataCategory) -> Option<String> {
    match category.retention_anchor()? {
        Anchor::Event(name) => Some(name),
        _ => None,
    }
}

fn unknown_column(
    category_name: &str,
    category: &DataCategory,
    position: usize,
    header: &str,
) -> EngineError {
    let fields = category.field_names().collect::<Vec<_>>().join(", ");
    let mut record: Vec<String> = RECORD_COLUMNS
        .iter()
        .chain(EVENT_COLUMNS.iter())
        .map(|(n, _)| n.to_string())
        .collect();
    if let Some(event) = rule_event(category) {
        record.push(format!("events.{event}"));
    }
    let record = record.join(", ");
    if looks_like_value(header) {
        // A file without a header row: its first row is somebody's data,
        // which an error message must not repeat.
        return EngineError::invalid(
            "csv_no_header",
            format!(
                "en-tête : la colonne {position} ressemble à une valeur, pas à un nom ; la première ligne du fichier doit nommer les colonnes (champs de « {category_name} » : {fields} ; colonnes d'enregistrement : {record})"
            ),
            format!(
                "header: column {position} looks like a value, not a name; the file's first line must name the columns (fields of `{category_name}`: {fields}; record columns: {record})"
            ),
        );
    }
    let header = short(header);
    let mut err = EngineError::invalid(
        "csv_unknown_column",
        format!(
            "en-tête : la colonne {position} « {header} » n'est ni un champ déclaré de « {category_name} » ({fields}) ni une colonne d'enregistrement ({record}) ; \
             --map '{header}=CHAMP' pour la nommer, --map '{header}=-' pour l'ignorer"
        ),
        format!(
            "header: column {position} `{header}` is neither a declared field of `{category_name}` ({fields}) nor a record column ({record}); \
             --map '{header}=FIELD' to name it, --map '{header}=-' to leave it out"
        ),
    );
    if let EngineError::Invalid(r) = &mut err {
        r.category = Some(category_name.into());
    }
    err
}

/// Whether a header cell looks like somebody's data (an e-mail address, a
/// number, a long text) rather than a column name.
fn looks_like_value(header: &str) -> bool {
    header.contains('@')
        || header.chars().filter(char::is_ascii_digit).count() >= 4
        || header.chars().count() > 60
}

/// A name as messages quote it: at most 60 characters.
pub(crate) fn short(header: &str) -> String {
    let mut out: String = header.chars().take(60).collect();
    if out.len() < header.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
