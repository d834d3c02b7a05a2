//! CSV exports, zipped: `information.csv` (the Art. 15 information, one
//! `section,key,value` row per item) and one `categories/<category>.csv` per
//! category held (one row per record). Every CSV starts with the UTF-8
//! byte-order mark so spreadsheet programs open French text right.

use std::io::{Cursor, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};
use habeas_core::lang::Lang;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::model::*;
use crate::error::RightsError;

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

fn render_err(e: impl std::fmt::Display) -> RightsError {
    RightsError::Render {
        format: "CSV zip",
        detail: e.to_string(),
    }
}

/// A CSV document with a BOM, from a header and rows.
fn csv_bytes(header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, RightsError> {
    let mut out = BOM.to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(header).map_err(render_err)?;
        for row in rows {
            w.write_record(row).map_err(render_err)?;
        }
        w.flush().map_err(render_err)?;
    }
    Ok(out)
}

/// A file name made of the category key: ASCII letters, digits, `-` and `_`.
fn file_stem(key: &str) -> String {
    let stem: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() { "_".into() } else { stem }
}

fn zip_time(at: DateTime<Utc>) -> zip::DateTime {
    u16::try_from(at.year())
        .ok()
        .and_then(|y| {
            zip::DateTime::from_date_and_time(
                y,
                at.month() as u8,
                at.day() as u8,
                at.hour() as u8,
                at.minute() as u8,
                at.second() as u8,
            )
            .ok()
        })
        .unwrap_or_default()
}

fn zip_files(files: Vec<(String, Vec<u8>)>, at: DateTime<Utc>) -> Result<Vec<u8>, RightsError> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip_time(at));
    for (name, bytes) in files {
        zip.start_file(name, options).map_err(render_err)?;
        zip.write_all(&bytes).map_err(render_err)?;
    }
    Ok(zip.finish().map_err(render_err)?.into_inner())
}

fn record_header(fields: &[String], lang: Lang) -> Vec<String> {
    let mut header: Vec<String> = [
        lang.pick("identifiant", "id"),
        lang.pick("enregistré le", "recorded at"),
        lang.pick("source", "source"),
        lang.pick("finalités", "purposes"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(fields.iter().cloned());
    header
}

fn category_csv(c: &CategoryExport, lang: Lang) -> Result<Vec<u8>, RightsError> {
    let rows: Vec<Vec<String>> = c
        .records
        .iter()
        .map(|r| {
            let mut row = vec![
                r.id.clone(),
                r.recorded_at.to_rfc3339(),
                r.source_label.clone(),
                r.purposes.join(" "),
            ];
            row.extend(
                c.fields
                    .iter()
                    .map(|f| r.fields.get(f).cloned().unwrap_or_default()),
            );
            row
        })
        .collect();
    csv_bytes(&record_header(&c.fields, lang), &rows)
}

fn row(section: &str, key: impl Into<String>, value: impl Into<String>) -> Vec<String> {
    vec![section.to_string(), key.into(), value.into()]
}

/// The `section,key,value` rows of the Art. 15 information.
fn information_rows(e: &AccessExport) -> Vec<Vec<String>> {
    let lang = e.lang;
    let yes_no = |b: bool| lang.pick(if b { "oui" } else { "non" }, if b { "yes" } else { "no" });
    let mut rows = vec![
        row("export", "schema", &e.schema),
        row("export", "generated_at", e.generated_at.to_rfc3339()),
        row("export", "declarations_version", &e.declarations_version),
        row("controller", "name", &e.controller.name),
    ];
    for (k, v) in [
        ("address", &e.controller.address),
        ("email", &e.controller.email),
        ("dpo_email", &e.controller.dpo_email),
        ("rights_contact", &e.controller.rights_contact),
        ("portal_url", &e.controller.portal_url),
    ] {
        if let Some(v) = v {
            rows.push(row("controller", k, v));
        }
    }
    rows.push(row("subject", "id", &e.subject.id));
    rows.push(row("subject", "kind", &e.subject.kind_label));
    rows.push(row("subject", "status", &e.subject.status_label));
    rows.push(row("subject", "processed", yes_no(e.processed)));
    for p in &e.purposes {
        let mut value = p.name.clone();
        if let Some(purpose) = &p.purpose {
            value.push_str(" — ");
            value.push_str(purpose);
        }
        if let Some(b) = &p.legal_basis {
            value.push_str(" — ");
            value.push_str(&b.label);
        }
        if let Some(li) = &p.legitimate_interest {
            value.push_str(" — ");
            value.push_str(li);
        }
        rows.push(row("purpose", &p.id, value));
    }
    for c in &e.categories {
        rows.push(row("category", &c.key, &c.label));
        if let Some(r) = &c.retention {
            rows.push(row("retention", &c.key, &r.description));
        }
    }
    for r in &e.recipients {
        let mut value = format!("{} ({})", r.name, r.role_label);
        if let Some(country) = &r.country {
            value.push_str(&format!(" — {country}"));
        }
        value.push_str(&format!(" — {}", r.categories.join(" ")));
        rows.push(row("recipient", &r.key, value));
    }
    for t in &e.transfers {
        let safeguard = t.safeguard_label.clone().unwrap_or_else(|| {
            lang.pick("garantie non déclarée", "no safeguard declared")
                .to_string()
        });
        rows.push(row(
            "transfer",
            &t.recipient,
            format!("{} — {} — {safeguard}", t.recipient_name, t.country),
        ));
    }
    for s in &e.sources {
        rows.push(row("source", &s.category, &s.source));
    }
    rows.push(row(
        "automated_decisions",
        yes_no(e.automated_decisions.any),
        &e.automated_decisions.statement,
    ));
    for r in &e.rights {
        rows.push(row(
            "right",
            &r.right,
            format!("{} ({}) — {}", r.label, r.article, r.how),
        ));
    }
    rows.push(row(
        "complaint",
        &e.complaint.authority,
        &e.complaint.statement,
    ));
    for c in &e.consents {
        let state = serde_json::to_value(c.state)
            .ok()
            .and_then(|v| v.get("state").and_then(|s| s.as_str()).map(str::to_string))
            .unwrap_or_default();
        rows.push(row("consent", &c.purpose, state));
    }
    for a in &e.access_log {
        rows.push(row(
            "access_log",
            a.at.to_rfc3339(),
            format!("{} — {}", a.purpose_label, a.categories.join(" ")),
        ));
    }
    rows
}

/// The access export as a zip of CSV files.
pub fn access_csv_zip(export: &AccessExport) -> Result<Vec<u8>, RightsError> {
    let lang = export.lang;
    let header: Vec<String> = [
        lang.pick("rubrique", "section"),
        lang.pick("clé", "key"),
        lang.pick("valeur", "value"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut files = vec![(
        "information.csv".to_string(),
        csv_bytes(&header, &information_rows(export))?,
    )];
    for c in &export.categories {
        files.push((
            format!("categories/{}.csv", file_stem(&c.key)),
            category_csv(c, lang)?,
        ));
    }
    zip_files(files, export.generated_at)
}

/// The portability export as a zip of CSV files: `information.csv` (schema,
/// subject, what was left out) and one file per portable category.
pub fn portability_csv_zip(export: &PortabilityExport) -> Result<Vec<u8>, RightsError> {
    let header: Vec<String> = ["section", "key", "value"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut rows = vec![
        row("export", "schema", &export.schema),
        row("export", "generated_at", export.generated_at.to_rfc3339()),
        row("subject", "id", &export.subject),
    ];
    for x in &export.excluded {
        let reason = serde_json::to_value(x.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        rows.push(row(
            "excluded",
            &x.category,
            format!("{reason} ({} records)", x.records),
        ));
    }
    let mut files = vec![("information.csv".to_string(), csv_bytes(&header, &rows)?)];
    for c in &export.categories {
        let mut header = vec!["id".to_string(), "recorded_at".to_string()];
        header.extend(c.fields.iter().cloned());
        let rows: Vec<Vec<String>> = c
            .records
            .iter()
            .map(|r| {
                let mut row = vec![r.id.clone(), r.recorded_at.to_rfc3339()];
                row.extend(
                    c.fields
                        .iter()
                        .map(|f| r.fields.get(f).cloned().unwrap_or_default()),
                );
                row
            })
            .collect();
        files.push((
            format!("categories/{}.csv", file_stem(&c.key)),
            csv_bytes(&header, &rows)?,
        ));
    }
    zip_files(files, export.generated_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_stem("billing"), "billing");
        assert_eq!(file_stem("../etc/passwd"), "___etc_passwd");
        assert_eq!(file_stem(""), "_");
    }

    #[test]
    fn csv_starts_with_the_bom_and_quotes_commas() {
        let bytes = csv_bytes(
            &["a".into(), "b".into()],
            &[vec!["Hébergé, à Lyon".into(), "x".into()]],
        )
        .unwrap();
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(text, "a,b\n\"Hébergé, à Lyon\",x\n");
    }
}
