//! The file's text: which character separates the columns, and which
//! character encoding the bytes are in. Excel in a French or Belgian locale
//! saves "CSV" with semicolons (the comma is the decimal separator) and,
//! unless "CSV UTF-8" is chosen, in Windows-1252; other tools write commas
//! and UTF-8. Guessing the separator from the header row is safe (a wrong
//! guess fails at the header, never silently); guessing an encoding is not
//! (Windows-1252 bytes are also valid ISO-8859-1 and others), so the
//! encoding is UTF-8 unless the operator names another.

use std::borrow::Cow;

use encoding_rs::Encoding;

use crate::error::{EngineError, Result};

/// The column separator of a file whose first line is `header`: the most
/// frequent of `;`, `,` and tab outside double quotes; a comma when none
/// occurs or on a tie with it.
pub fn sniff_delimiter(header: &[u8]) -> u8 {
    let line = header.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(c) = counts.iter_mut().find(|(d, _)| *d == b) {
            c.1 += 1;
        }
    }
    // First maximum wins: the comma is first.
    let mut best = counts[0];
    for c in &counts[1..] {
        if c.1 > best.1 {
            best = *c;
        }
    }
    best.0
}

/// The encoding `label` names (`utf-8`, `windows-1252`, `latin1`,
/// `iso-8859-15` … as the WHATWG Encoding Standard names them). Encodings
/// that are not ASCII-compatible (UTF-16) are refused: the columns would not
/// split on their separator.
pub fn encoding_for_label(label: &str) -> Result<&'static Encoding> {
    let refused = || {
        EngineError::invalid(
            "csv_encoding",
            format!(
                "--encoding {label} : encodage inconnu ou non pris en charge ; utilisez utf-8, windows-1252, iso-8859-15 (ou enregistrez le fichier en « CSV UTF-8 »)"
            ),
            format!(
                "--encoding {label}: unknown or unsupported encoding; use utf-8, windows-1252, iso-8859-15 (or save the file as \"CSV UTF-8\")"
            ),
        )
    };
    let encoding = Encoding::for_label(label.trim().as_bytes()).ok_or_else(refused)?;
    if encoding.is_ascii_compatible() {
        Ok(encoding)
    } else {
        Err(refused())
    }
}

/// Whether a file starting with `start` is UTF-16 (Excel's "Unicode text"),
/// which needs saving again as CSV UTF-8.
pub fn utf16_bom(start: &[u8]) -> bool {
    start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF])
}

/// A cell's bytes as text in `encoding`. Strict: bytes that are not text in
/// it are refused (with a hint when the encoding is UTF-8: the usual cause
/// is an Excel "CSV" saved in Windows-1252), never replaced.
pub fn decode_cell<'a>(bytes: &'a [u8], encoding: &'static Encoding) -> Result<Cow<'a, str>> {
    let text = if encoding == encoding_rs::UTF_8 {
        std::str::from_utf8(bytes).ok().map(Cow::Borrowed)
    } else {
        encoding.decode_without_bom_handling_and_without_replacement(bytes)
    };
    text.ok_or_else(|| {
        if encoding == encoding_rs::UTF_8 {
            EngineError::invalid(
                "csv_not_utf8",
                "pas du texte UTF-8 : le fichier vient sans doute d'Excel (« CSV » en Windows-1252) ; relancez avec --encoding windows-1252, ou enregistrez-le en « CSV UTF-8 »",
                "not UTF-8 text: the file probably comes from Excel (\"CSV\" in Windows-1252); run again with --encoding windows-1252, or save it as \"CSV UTF-8\"",
            )
        } else {
            EngineError::invalid(
                "csv_not_text",
                format!("octets invalides en {} : vérifiez --encoding", encoding.name()),
                format!("bytes that are not {} text: check --encoding", encoding.name()),
            )
        }
    })
}
