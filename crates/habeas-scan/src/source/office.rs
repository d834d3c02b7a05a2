//! Zipped office documents: DOCX (word/document.xml, headers, footers, comments), XLSX (one
//! part per worksheet, shared strings resolved) and OpenDocument text/spreadsheets
//! (content.xml). Entries are read with a size cap, so a zip bomb costs at most that.

use std::borrow::Cow;
use std::io::{Cursor, Read};

use super::xml::text_of;
use super::{ExtractError, Extracted, MAX_DECODED, Offsets, Part, SourceKind};

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

pub(super) fn extract(bytes: &[u8]) -> Result<Extracted<'static>, ExtractError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        ExtractError::Corrupt(format!(
            "archive zip illisible / unreadable zip archive: {e}"
        ))
    })?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(|s| s.to_string())
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    let mut problems = Vec::new();
    let mut parts = Vec::new();
    let kind;
    if has("word/document.xml") {
        kind = SourceKind::Docx;
        let mut wanted: Vec<&String> = names
            .iter()
            .filter(|n| {
                n.as_str() == "word/document.xml"
                    || ((n.starts_with("word/header")
                        || n.starts_with("word/footer")
                        || n.as_str() == "word/comments.xml"
                        || n.as_str() == "word/footnotes.xml")
                        && n.ends_with(".xml"))
            })
            .collect();
        wanted.sort();
        for n in wanted {
            let breaks: &[(&[u8], &str)] = &[
                (b"w:p", "\n"),
                (b"w:tab", "\t"),
                (b"w:br", "\n"),
                (b"w:tc", "\t"),
                (b"w:tr", "\n"),
            ];
            match entry_text(&mut zip, n, breaks) {
                Ok(t) => parts.push(part(n, t)),
                Err(e) => problems.push(e),
            }
        }
    } else if has("xl/workbook.xml") {
        kind = SourceKind::Xlsx;
        let shared = if has("xl/sharedStrings.xml") {
            match read_entry(&mut zip, "xl/sharedStrings.xml") {
                Ok(x) => shared_strings(&x),
                Err(e) => {
                    problems.push(e);
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let mut sheets: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with("xl/worksheets/") && n.ends_with(".xml"))
            .collect();
        sheets.sort();
        for n in sheets {
            match read_entry(&mut zip, n) {
                Ok(x) => parts.push(part(n, sheet_text(&x, &shared))),
                Err(e) => problems.push(e),
            }
        }
    } else if has("content.xml") {
        let mime = read_entry(&mut zip, "mimetype").unwrap_or_default();
        kind = if mime.windows(11).any(|w| w == b"spreadsheet") {
            SourceKind::Ods
        } else {
            SourceKind::Odt
        };
        let breaks: &[(&[u8], &str)] = &[
            (b"text:p", "\n"),
            (b"text:h", "\n"),
            (b"text:tab", "\t"),
            (b"text:s", " "),
            (b"text:line-break", "\n"),
            (b"table:table-cell", "\t"),
            (b"table:table-row", "\n"),
        ];
        match entry_text(&mut zip, "content.xml", breaks) {
            Ok(t) => parts.push(part("content.xml", t)),
            Err(e) => problems.push(e),
        }
    } else {
        return Err(ExtractError::Binary(
            "archive zip sans document / zip archive, not an office document",
        ));
    }
    if parts.is_empty() {
        return Err(ExtractError::Corrupt(problems.join("; ")));
    }
    Ok(Extracted {
        kind,
        parts,
        problems,
    })
}

fn part(label: &str, text: String) -> Part<'static> {
    Part {
        label: Some(label.to_string()),
        text: Cow::Owned(text),
        offsets: Offsets::Decoded,
    }
}

fn read_entry(zip: &mut Archive<'_>, name: &str) -> Result<Vec<u8>, String> {
    let f = zip
        .by_name(name)
        .map_err(|e| format!("{name} : entrée illisible / unreadable entry: {e}"))?;
    let mut out = Vec::new();
    f.take(MAX_DECODED)
        .read_to_end(&mut out)
        .map_err(|e| format!("{name} : entrée corrompue / corrupt entry: {e}"))?;
    Ok(out)
}

fn entry_text(
    zip: &mut Archive<'_>,
    name: &str,
    breaks: &[(&[u8], &str)],
) -> Result<String, String> {
    let x = read_entry(zip, name)?;
    let mut s = String::with_capacity(x.len() / 2);
    text_of(&x, breaks, &mut s);
    Ok(s)
}

fn shared_strings(xml: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(s) = memchr::memmem::find(&xml[i..], b"<si>").map(|k| i + k) {
        let Some(e) = memchr::memmem::find(&xml[s..], b"</si>").map(|k| s + k) else {
            break;
        };
        let mut t = String::new();
        text_of(&xml[s + 4..e], &[], &mut t);
        out.push(t);
        i = e + 5;
    }
    out
}

/// One line per row, cells separated by tabs; shared-string cells resolved.
fn sheet_text(xml: &[u8], shared: &[String]) -> String {
    let mut out = String::new();
    let mut i = 0;
    let mut last_row_end = 0;
    while let Some(c) = memchr::memmem::find(&xml[i..], b"<c").map(|k| i + k) {
        // Row boundaries between the previous cell and this one.
        let rows = memchr::memmem::find_iter(&xml[last_row_end..c], b"</row>").count();
        for _ in 0..rows {
            out.push('\n');
        }
        let Some(gt) = memchr::memchr(b'>', &xml[c..]).map(|k| c + k) else {
            break;
        };
        let tag = &xml[c..gt];
        if !(tag.starts_with(b"<c ") || tag == b"<c") {
            i = gt;
            last_row_end = c;
            continue;
        }
        let is_shared = memchr::memmem::find(tag, b"t=\"s\"").is_some();
        if tag.ends_with(b"/") {
            i = gt + 1;
            last_row_end = i;
            continue;
        }
        let Some(end) = memchr::memmem::find(&xml[gt..], b"</c>").map(|k| gt + k) else {
            break;
        };
        let inner = &xml[gt + 1..end];
        let mut v = String::new();
        text_of(inner, &[], &mut v);
        if is_shared {
            if let Some(s) = v.trim().parse::<usize>().ok().and_then(|k| shared.get(k)) {
                out.push_str(s);
            }
        } else {
            out.push_str(&v);
        }
        out.push('\t');
        i = end + 4;
        last_row_end = i;
    }
    out.push('\n');
    out
}
