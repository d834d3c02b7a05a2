//! Keyword parsing shared by the rights, consent and breach enums, so the
//! CLI and API accept the same spellings and give the same precise error.

/// A keyword that is not one of the expected ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}`: use {expected}")]
pub struct UnknownKeyword {
    pub what: &'static str,
    pub given: String,
    pub expected: &'static str,
}

/// Parse a keyword (case-insensitive, `-` and `_` alike) from a table.
pub(crate) fn parse_keyword<T: Copy>(
    text: &str,
    table: &[(&str, T)],
    what: &'static str,
    expected: &'static str,
) -> Result<T, UnknownKeyword> {
    let key = text.trim().to_ascii_lowercase().replace('-', "_");
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .ok_or_else(|| UnknownKeyword {
            what,
            given: text.trim().to_string(),
            expected,
        })
}
