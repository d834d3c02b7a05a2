//! Row ↔ type conversions for SQLite (conversions live in the store crate, STYLE.md (d) 15).

use rusqlite::Row;

use crate::error::{Result, StoreError};
use crate::model::{AppToken, EventDates, JournalRow, Record, Subject, SubjectStatus};
use crate::time::{from_micros, opt_from_micros};

pub const SUBJECT_COLS: &str = "id, kind, status, created_at, closed_at, grace_until, erased_at";
pub const RECORD_COLS: &str = "id, subject_id, category, collected_at, source_channel, purposes, \
    last_interaction, contract_end, account_closure, custom_events, incident_linked, retention_due, sealed, key_version";
pub const JOURNAL_COLS: &str =
    "seq, ts, actor, action, subject_id, category, purpose, details, prev_hash, hash";
pub const TOKEN_COLS: &str = "digest, name, purposes, categories, created_at, revoked_at";

pub fn subject(r: &Row<'_>) -> Result<Subject> {
    let status: String = r.get(2)?;
    Ok(Subject {
        id: r.get(0)?,
        kind: r.get(1)?,
        status: SubjectStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
            table: "subjects",
            detail: format!("status `{status}`"),
        })?,
        created_at: from_micros(r.get(3)?, "subjects")?,
        closed_at: opt_from_micros(r.get(4)?, "subjects")?,
        grace_until: opt_from_micros(r.get(5)?, "subjects")?,
        erased_at: opt_from_micros(r.get(6)?, "subjects")?,
    })
}

pub fn json_list(text: &str, table: &'static str) -> Result<Vec<String>> {
    if let Some(list) = plain_list(text) {
        return Ok(list);
    }
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        table,
        detail: e.to_string(),
    })
}

/// The list `serde_json::to_string` writes for strings that need no escape
/// (`["PA-0001","PA-0006"]`, `[]`), split without a JSON parser: every
/// record row carries one. Anything else — an escape, a space, a number —
/// returns `None` and goes through `serde_json`.
fn plain_list(text: &str) -> Option<Vec<String>> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    for item in inner.split(',') {
        let s = item.strip_prefix('"')?.strip_suffix('"')?;
        // A quote or backslash inside, or a control character, is not the
        // plain form (a quoted comma would also have split the item).
        if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            return None;
        }
        out.push(s.to_string());
    }
    Some(out)
}

/// Column `i` as text borrowed from the row.
fn text<'r>(r: &'r Row<'_>, i: usize) -> Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
            .into()
    })
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

pub fn record(r: &Row<'_>) -> Result<Record> {
    // Borrowed from the row (no `String` each): both are parsed right away.
    let purposes = text(r, 5)?;
    let custom = text(r, 9)?;
    Ok(Record {
        id: r.get(0)?,
        subject_id: r.get(1)?,
        category: r.get(2)?,
        collected_at: from_micros(r.get(3)?, "records")?,
        source_channel: r.get(4)?,
        purposes: json_list(purposes, "records")?,
        events: EventDates::from_columns(r.get(6)?, r.get(7)?, r.get(8)?, custom)?,
        incident_linked: r.get(10)?,
        retention_due: opt_from_micros(r.get(11)?, "records")?,
        sealed: r.get(12)?,
        key_version: r.get(13)?,
    })
}

pub fn journal(r: &Row<'_>) -> Result<JournalRow> {
    let seq: i64 = r.get(0)?;
    Ok(JournalRow {
        seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt {
            table: "journal",
            detail: format!("seq {seq}"),
        })?,
        ts: from_micros(r.get(1)?, "journal")?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject_id: r.get(4)?,
        category: r.get(5)?,
        purpose: r.get(6)?,
        details: r.get(7)?,
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
    })
}

pub fn token(r: &Row<'_>) -> Result<AppToken> {
    let purposes: String = r.get(2)?;
    let categories: String = r.get(3)?;
    Ok(AppToken {
        digest: r.get(0)?,
        name: r.get(1)?,
        purposes: json_list(&purposes, "app_tokens")?,
        categories: json_list(&categories, "app_tokens")?,
        created_at: from_micros(r.get(4)?, "app_tokens")?,
        revoked_at: opt_from_micros(r.get(5)?, "app_tokens")?,
    })
}

/// u64 → SQLite INTEGER.
pub fn seq_i64(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| StoreError::Invalid(format!("journal seq {seq} exceeds 2^63-1")))
}

/// Map a UNIQUE/PRIMARY KEY violation to `Conflict`.
pub fn conflict(e: rusqlite::Error, kind: &'static str, id: &str) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict {
                kind,
                id: id.to_string(),
            }
        }
        _ => StoreError::Sqlite(e),
    }
}

/// Collect mapped rows.
pub fn collect<T>(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    f: fn(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(f(row)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(text: &str) -> Option<Vec<String>> {
        serde_json::from_str(text).ok()
    }

    #[test]
    fn plain_lists_split_without_a_parser_and_the_rest_falls_back() {
        assert_eq!(plain_list("[]"), Some(vec![]));
        assert_eq!(
            plain_list(r#"["PA-0001","PA-0006"]"#),
            Some(vec!["PA-0001".to_string(), "PA-0006".to_string()])
        );
        assert_eq!(plain_list(r#"[""]"#), Some(vec![String::new()]));
        // Not the plain form: left to serde_json, which reads them right.
        for text in [
            r#"["a,b"]"#,
            r#"["a\"b"]"#,
            r#"["a\\b"]"#,
            r#"["\u00e9"]"#,
            r#"[ "a" ]"#,
            r#"["a", "b"]"#,
            "[1]",
            "[\"a\"",
            "",
        ] {
            assert_eq!(plain_list(text), None, "{text}");
            assert_eq!(
                json_list(text, "t").ok(),
                parsed(text),
                "same answer as serde_json for {text}"
            );
        }
        assert!(json_list("[1]", "t").is_err());
        assert_eq!(
            EventDates::from_columns(None, None, None, "{}").ok(),
            Some(EventDates::default())
        );
        assert!(EventDates::from_columns(None, None, None, "{").is_err());
    }

    proptest! {
        /// Whatever serde_json writes for a list of strings, `json_list` reads back.
        #[test]
        fn json_list_reads_what_serde_json_writes(list in proptest::collection::vec(".{0,12}", 0..5)) {
            let text = serde_json::to_string(&list).expect("serialise");
            prop_assert_eq!(json_list(&text, "t").ok(), Some(list));
        }

        /// On any text, the fast path never answers differently from serde_json.
        #[test]
        fn plain_list_agrees_with_serde_json(text in r#"\[("[a-z,\\"\\\\ ]{0,4}",?){0,3}\]"#) {
            if let Some(list) = plain_list(&text) {
                prop_assert_eq!(Some(list), parsed(&text));
            }
        }
    }
}
