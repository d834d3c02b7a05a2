//! A cell's text as a value, the way French and Belgian spreadsheets write
//! it: `31/01/2026` for a date, `12,50` for a decimal, `VRAI`/`FAUX` for a
//! boolean. What cannot be read is passed on as text, so that validation
//! refuses it with the field's name and expected type.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use habeas_core::calendar::from_local;
use habeas_core::declarations::FieldType;
use serde_json::Value;

use crate::error::EngineError;

/// A field's cell as the JSON value the API would have received.
pub(super) fn field_value(kind: FieldType, cell: &str) -> Value {
    let trimmed = cell.trim();
    match kind {
        FieldType::Integer => trimmed
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(cell)),
        FieldType::Boolean => boolean(trimmed).map_or_else(|| Value::from(cell), Value::Bool),
        FieldType::Date => day(trimmed)
            .map(|d| Value::from(d.format("%Y-%m-%d").to_string()))
            .unwrap_or_else(|| Value::from(cell)),
        FieldType::Decimal => Value::from(decimal_point(trimmed).unwrap_or_else(|| cell.into())),
        _ => Value::from(cell),
    }
}

/// `true`/`false` in the words spreadsheets and people use, any case.
pub(super) fn boolean(cell: &str) -> Option<bool> {
    match cell.trim().to_lowercase().as_str() {
        "true" | "1" | "oui" | "yes" | "vrai" | "o" | "y" => Some(true),
        "false" | "0" | "non" | "no" | "faux" | "n" => Some(false),
        _ => None,
    }
}

/// A calendar day written `2026-01-31` or, in French and Belgian order,
/// `31/01/2026` (also `31-01-2026` and `31.01.2026`).
fn day(cell: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(cell, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(cell, f).ok())
        })
        // chrono reads a two-digit year as the first century: refuse it.
        .filter(|d| chrono::Datelike::year(d) >= 1000)
}

/// An instant: an RFC 3339 date-time, a day (midnight in France, as the
/// provider's notices and deadlines count days), or a day and a time of
/// day in France (`2026-01-31 14:05`, `31/01/2026 14:05:30`).
pub fn instant(cell: &str) -> Option<DateTime<Utc>> {
    let cell = cell.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(cell) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(d) = day(cell) {
        return Some(from_local(d.and_time(NaiveTime::MIN)));
    }
    let (date, time) = cell.split_once(' ')?;
    let d = day(date.trim())?;
    let t = NaiveTime::parse_from_str(time.trim(), "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M"))
        .ok()?;
    Some(from_local(NaiveDateTime::new(d, t)))
}

/// `12,50` (a decimal comma) as `12.50`; `None` when the cell is not a
/// number written with a comma.
fn decimal_point(cell: &str) -> Option<String> {
    let (int, frac) = cell.split_once(',')?;
    let digits = int.strip_prefix('-').unwrap_or(int);
    let ok = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| format!("{int}.{frac}"))
}

/// A purposes cell: activity ids separated by commas, semicolons, bars or
/// spaces (`PA-0001 PA-0006`).
pub(super) fn purposes(cell: &str) -> Vec<String> {
    cell.split([',', ';', '|', ' ', '\t'])
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

pub(super) fn bad_instant(column: &str) -> EngineError {
    let column = super::short(column);
    EngineError::invalid(
        "csv_bad_date",
        format!(
            "colonne « {column} » : date illisible ; écrivez AAAA-MM-JJ, JJ/MM/AAAA (heure de Paris), ou une date-heure RFC 3339 comme 2026-01-31T12:00:00Z"
        ),
        format!(
            "column `{column}`: unreadable date; write YYYY-MM-DD, DD/MM/YYYY (Paris time), or an RFC 3339 date-time such as 2026-01-31T12:00:00Z"
        ),
    )
}

pub(super) fn bad_boolean(column: &str) -> EngineError {
    let column = super::short(column);
    EngineError::invalid(
        "csv_bad_boolean",
        format!("colonne « {column} » : oui/non attendu (oui, non, vrai, faux, true, false, 1, 0)"),
        format!("column `{column}`: yes/no expected (yes, no, true, false, oui, non, 1, 0)"),
    )
}
