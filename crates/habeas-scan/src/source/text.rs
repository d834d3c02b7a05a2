//! Text decoding: UTF-8 as is (no copy); UTF-16 by byte-order mark or by the zero-byte
//! pattern of Latin text; anything else that is not binary is read as Windows-1252 (the
//! Latin-1 superset that Western European files actually use). Transcoded texts keep a
//! table back to file offsets.

use std::borrow::Cow;

use super::{ExtractError, Offsets, Part, SourceKind};

pub(super) fn decode(bytes: &[u8]) -> Result<(SourceKind, Part<'_>), ExtractError> {
    if let Some(le) = utf16_order(bytes) {
        return Ok((SourceKind::Utf16, utf16(bytes, le)));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        return Err(ExtractError::Binary("octets NUL / NUL bytes"));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((
            SourceKind::Utf8,
            Part {
                label: None,
                text: Cow::Borrowed(s),
                offsets: Offsets::File,
            },
        )),
        Err(_) => {
            // Mostly control bytes: binary, not Latin-1 text.
            let ctrl = head
                .iter()
                .filter(|&&b| b < 0x09 || (0x0e..0x20).contains(&b))
                .count();
            if ctrl * 10 > head.len() {
                return Err(ExtractError::Binary("octets de contrôle / control bytes"));
            }
            Ok((SourceKind::Latin1, latin1(bytes)))
        }
    }
}

/// Some(true) little-endian, Some(false) big-endian, None not UTF-16.
fn utf16_order(b: &[u8]) -> Option<bool> {
    if b.starts_with(&[0xFF, 0xFE]) {
        return Some(true);
    }
    if b.starts_with(&[0xFE, 0xFF]) {
        return Some(false);
    }
    // No BOM: Latin-script UTF-16 has a zero in every other byte.
    let head = &b[..b.len().min(512) & !1];
    // Without a single zero byte both counts below are 0: most files stop here.
    if head.len() < 8 || memchr::memchr(0, head).is_none() {
        return None;
    }
    let pairs = head.len() / 2;
    let zeros_odd = head.chunks(2).filter(|c| c[1] == 0 && c[0] != 0).count();
    let zeros_even = head.chunks(2).filter(|c| c[0] == 0 && c[1] != 0).count();
    if zeros_odd * 10 >= pairs * 9 {
        Some(true)
    } else if zeros_even * 10 >= pairs * 9 {
        Some(false)
    } else {
        None
    }
}

fn utf16(bytes: &[u8], le: bool) -> Part<'static> {
    let bom = usize::from(bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])) * 2;
    let units = bytes[bom..].chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut table = Vec::with_capacity(bytes.len() / 2 + 1);
    let mut pos = bom;
    for r in char::decode_utf16(units) {
        let (c, width) = match r {
            Ok(c) => (c, c.len_utf16() * 2),
            Err(_) => (char::REPLACEMENT_CHARACTER, 2),
        };
        for _ in 0..c.len_utf8() {
            table.push(pos as u32);
        }
        text.push(c);
        pos += width;
    }
    table.push(pos as u32);
    Part {
        label: None,
        text: Cow::Owned(text),
        offsets: Offsets::Table(table),
    }
}

fn latin1(bytes: &[u8]) -> Part<'static> {
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    let text = text.into_owned();
    let mut table = Vec::with_capacity(text.len() + 1);
    // Windows-1252 maps each byte to exactly one character.
    for (i, c) in text.chars().enumerate() {
        for _ in 0..c.len_utf8() {
            table.push(i as u32);
        }
    }
    table.push(bytes.len() as u32);
    Part {
        label: None,
        text: Cow::Owned(text),
        offsets: Offsets::Table(table),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_offsets_point_into_the_file() {
        let raw = b"T\xe9l\xe9phone : x";
        let (kind, p) = decode(raw).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kind, SourceKind::Latin1);
        assert_eq!(&*p.text, "Téléphone : x");
        let x = p.text.find('x').unwrap_or(0);
        assert_eq!(p.map(x, x + 1), (12, 13));
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let mut raw = vec![0xFF, 0xFE];
        for u in "abc@example.fr".encode_utf16() {
            raw.extend(u.to_le_bytes());
        }
        let (kind, p) = decode(&raw).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kind, SourceKind::Utf16);
        assert_eq!(&*p.text, "abc@example.fr");
        assert_eq!(p.map(0, 3), (2, 8));
        let (kind, _) = decode(&raw[2..]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kind, SourceKind::Utf16);
    }

    #[test]
    fn binary_is_refused() {
        assert!(matches!(
            decode(b"\x7fELF\x02\x01\x01\x00\x00\x00"),
            Err(ExtractError::Binary(_))
        ));
    }
}
