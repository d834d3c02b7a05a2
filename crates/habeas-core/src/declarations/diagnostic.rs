//! Diagnostics: what is wrong, where (`file:line:col`), and how to fix it.
//!
//! Rendered like rustc's messages for people (`error[H012]: … --> file:14:9`
//! then the source line and a `help:` line) and as JSON for tools. Messages
//! name declarations, never personal data: declarations hold none.

use std::fmt::Write as _;
use std::ops::Range;

use serde::Serialize;

/// Errors fail `habeas check`; warnings are shown but do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A position in a declaration file, 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The text of the line, for display.
    #[serde(skip)]
    pub source_line: String,
}

/// One finding of `habeas check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, e.g. `H012`; documented in `docs/declarations.md`.
    pub code: &'static str,
    pub message: String,
    /// How to fix it.
    pub help: String,
    pub location: Option<Location>,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col`, or `-` when the problem has no single place.
    pub fn position(&self) -> String {
        match &self.location {
            Some(l) => format!("{}:{}:{}", l.file, l.line, l.column),
            None => "-".into(),
        }
    }
}

/// A declaration file's text, kept to turn byte spans into positions.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub contents: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, contents: impl Into<String>) -> Self {
        let contents = contents.into();
        let mut line_starts = vec![0];
        line_starts.extend(contents.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            path: path.into(),
            contents,
            line_starts,
        }
    }

    /// The location of byte `offset` (clamped to the file).
    pub fn locate(&self, offset: usize) -> Location {
        let offset = offset.min(self.contents.len());
        let line_index = self
            .line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.line_starts[line_index];
        let end = self.contents[start..]
            .find('\n')
            .map_or(self.contents.len(), |i| start + i);
        let prefix = self.contents.get(start..offset).unwrap_or("");
        Location {
            file: self.path.clone(),
            line: line_index + 1,
            column: prefix.chars().count() + 1,
            source_line: self.contents[start..end].trim_end_matches('\r').to_string(),
        }
    }

    /// The byte offset of the `inner`-th byte of the string value spanning
    /// `span` (skipping its opening quote or quotes).
    pub fn inside_string(&self, span: &Range<usize>, inner: usize) -> usize {
        let raw = self.contents.get(span.clone()).unwrap_or("");
        let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else if raw.starts_with('"') || raw.starts_with('\'') {
            1
        } else {
            0
        };
        (span.start + quote + inner).min(span.end.max(span.start))
    }
}

/// Render diagnostics for a terminal, in the manner of rustc.
pub fn render_human(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(out, "{}[{}]: {}", d.severity.word(), d.code, d.message);
        if let Some(l) = &d.location {
            let number = l.line.to_string();
            let pad = " ".repeat(number.len());
            let _ = writeln!(out, "{pad}--> {}:{}:{}", l.file, l.line, l.column);
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{number} | {}", l.source_line);
            let caret_pad: String = l
                .source_line
                .chars()
                .take(l.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "{pad} | {caret_pad}^");
            let _ = writeln!(out, "{pad} = help: {}", d.help);
        } else {
            let _ = writeln!(out, "  = help: {}", d.help);
        }
        out.push('\n');
    }
    out.push_str(&summary(diagnostics));
    out.push('\n');
    out
}

/// "2 errors, 1 warning" or "no problem found".
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if diagnostics.is_empty() {
        return "ok: no problem found".into();
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let verdict = if errors > 0 { "failed" } else { "ok" };
    format!(
        "{verdict}: {}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// Render diagnostics as a JSON document `{ "ok": …, "errors": n, "warnings": n, "diagnostics": [...] }`.
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let value = serde_json::json!({
        "ok": errors == 0,
        "errors": errors,
        "warnings": diagnostics.len() - errors,
        "diagnostics": diagnostics,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns() {
        let f = SourceFile::new("a.toml", "x = 1\n[é]\nyy = \"abc\"\n");
        let l = f.locate(9);
        assert_eq!((l.line, l.column), (2, 3));
        assert_eq!(l.source_line, "[é]");
        let span = 16..21;
        assert_eq!(&f.contents[span.clone()], "\"abc\"");
        assert_eq!(f.inside_string(&span, 2), 19);
        assert_eq!(f.locate(10_000).line, 4);
    }
}
