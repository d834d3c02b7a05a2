//! From a file's bytes to the texts the detectors read. Each text ("part") carries how its
//! byte offsets map back: identical to the file for UTF-8 text and raw mail, a table for
//! transcoded text (Latin-1, UTF-16), or offsets into the decoded part (gzip content, decoded
//! MIME parts, office documents) together with a label naming the part.

mod mail;
mod office;
mod text;
pub(crate) mod xml;

use std::borrow::Cow;
use std::io::Read;

pub use mail::looks_like_mail;

/// What a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Utf8,
    Latin1,
    Utf16,
    Gzip,
    Mail,
    Mbox,
    Docx,
    Xlsx,
    Odt,
    Ods,
}

impl SourceKind {
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Utf8 => "utf-8",
            SourceKind::Latin1 => "latin-1",
            SourceKind::Utf16 => "utf-16",
            SourceKind::Gzip => "gzip",
            SourceKind::Mail => "mail",
            SourceKind::Mbox => "mbox",
            SourceKind::Docx => "docx",
            SourceKind::Xlsx => "xlsx",
            SourceKind::Odt => "odt",
            SourceKind::Ods => "ods",
        }
    }
}

/// How a part's offsets relate to the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Offsets {
    /// Offsets in the part are offsets in the file.
    File,
    /// `table[i]` is the file offset of the part's byte `i` (one entry past the end too).
    Table(Vec<u32>),
    /// Offsets are into the decoded part only (see `Part::label`).
    Decoded,
}

/// One text to scan.
#[derive(Debug)]
pub struct Part<'a> {
    /// None for the file itself; else e.g. "message 3, attachment notes.txt", "sheet1".
    pub label: Option<String>,
    pub text: Cow<'a, str>,
    pub offsets: Offsets,
}

impl Part<'_> {
    /// Map a (start, end) in this part to the offsets reported for it.
    pub fn map(&self, start: usize, end: usize) -> (usize, usize) {
        match &self.offsets {
            Offsets::File | Offsets::Decoded => (start, end),
            Offsets::Table(t) => {
                let at = |i: usize| t.get(i).map_or(i, |&v| v as usize);
                (at(start), at(end))
            }
        }
    }
}

/// A file that could be read, with its parts and any part-level problems.
#[derive(Debug)]
pub struct Extracted<'a> {
    pub kind: SourceKind,
    pub parts: Vec<Part<'a>>,
    /// Problems inside the file that did not stop it (a broken MIME part, a corrupt sheet).
    pub problems: Vec<String>,
}

/// Why a file yields no text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractError {
    /// Binary content in no supported format: skipped, not an error.
    #[error("binaire non pris en charge / unsupported binary content ({0})")]
    Binary(&'static str),
    /// A supported format, but the bytes are damaged.
    #[error("{0}")]
    Corrupt(String),
}

/// Largest decompressed size read from one gzip stream or one zip entry (bomb guard).
pub const MAX_DECODED: u64 = 256 * 1024 * 1024;

/// Read `bytes` (the content of the file `name`) into texts.
pub fn extract<'a>(name: &str, bytes: &'a [u8]) -> Result<Extracted<'a>, ExtractError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return gunzip(name, bytes);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return office::extract(bytes);
    }
    // A PDF's text sits in content streams behind fonts and encodings; read
    // as plain text its syntax only gives false findings ("1 0 R" as a
    // street number). Not supported: skipped and listed as such.
    if bytes.starts_with(b"%PDF-") {
        return Err(ExtractError::Binary("PDF"));
    }
    // Legacy Office (.doc, .xls, .ppt): OLE compound files, not supported.
    if bytes.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        return Err(ExtractError::Binary("OLE (.doc, .xls)"));
    }
    let (kind, part) = text::decode(bytes)?;
    if kind == SourceKind::Utf8 {
        if let Some(mbox) = mail::is_mbox(&part.text).map(Some) {
            return Ok(mail::extract(part, mbox));
        }
        if name.ends_with(".eml") || looks_like_mail(&part.text) {
            return Ok(mail::extract(part, None));
        }
    }
    Ok(Extracted {
        kind,
        parts: vec![part],
        problems: Vec::new(),
    })
}

fn gunzip<'a>(name: &str, bytes: &[u8]) -> Result<Extracted<'a>, ExtractError> {
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(MAX_DECODED);
    if let Err(e) = dec.read_to_end(&mut out) {
        return Err(ExtractError::Corrupt(format!(
            "gzip illisible / unreadable gzip after {} decoded bytes: {e}",
            out.len()
        )));
    }
    let inner = name.strip_suffix(".gz").unwrap_or(name);
    let inner_ex = extract(inner, &out)?;
    let mut parts = Vec::with_capacity(inner_ex.parts.len());
    for p in inner_ex.parts {
        parts.push(Part {
            label: Some(match p.label {
                Some(l) => format!("gunzip, {l}"),
                None => "gunzip".to_string(),
            }),
            text: Cow::Owned(p.text.into_owned()),
            offsets: Offsets::Decoded,
        });
    }
    Ok(Extracted {
        kind: SourceKind::Gzip,
        parts,
        problems: inner_ex.problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_and_legacy_office_files_are_skipped_not_read_as_text() {
        // An all-ASCII PDF (uncompressed stream) would decode as text.
        let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\nBT (ecrire a jean@exemple.fr) Tj ET\ntrailer<</Root 1 0 R>>\n%%EOF\n";
        assert_eq!(
            extract("x.pdf", pdf).err(),
            Some(ExtractError::Binary("PDF"))
        );
        let ole = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0];
        assert!(matches!(
            extract("x.doc", &ole),
            Err(ExtractError::Binary(_))
        ));
        // Text that mentions a PDF is still text.
        assert!(extract("notes.txt", b"see %PDF-1.4 in the spec").is_ok());
    }
}
