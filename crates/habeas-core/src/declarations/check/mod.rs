//! `habeas check`: the rules a register must satisfy, each with a stable
//! code, the law it comes from, and a hint that says how to fix it.
//!
//! | code | severity | rule |
//! |---|---|---|
//! | H001 | error | TOML syntax, wrong type, unknown key (loader) |
//! | H002 | error | a name declared twice (loader) |
//! | H003 | error/warning | a required section is missing |
//! | H010 | error | reference to an undeclared name |
//! | H011 | warning | a declared name nothing uses |
//! | H012 | error | a data category without retention rule (Art. 5(1)(e), 30(1)(f)) |
//! | H013 | error | a data category no activity processes (no purpose, Art. 5(1)(b)) |
//! | H014 | error | retention rule grammar |
//! | H015 | error | delay grammar |
//! | H016 | error | identifier / critical / generalised field not among the fields |
//! | H017 | error | high-volume category without time partition |
//! | H018 | error | generalised fields kept although expiry deletes |
//! | H020 | error | direct marketing without consent or legitimate interest + objection (Art. 21(2)) |
//! | H021 | error | special categories without an Art. 9(2) condition |
//! | H022 | error | legitimate interests without the interest described (Art. 13(1)(d)) |
//! | H023 | warning | legal obligation without the statute |
//! | H024 | warning | Art. 9(2) condition without special-category data |
//! | H025 | error | criminal-offence data without Art. 10 authorisation |
//! | H026 | warning | NIR outside a legal obligation (décret n° 2019-341) |
//! | H027 | error/warning | consent purpose and consent basis do not match (Art. 7) |
//! | H028 | error | controller activity without legal basis (Art. 6(1), 13(1)(c)) |
//! | H029 | warning | data not from the subject without its source (Art. 14(2)(f)) |
//! | H030 | error | transfer outside the EEA without adequacy or safeguard (Art. 44–46) |
//! | H031 | error | not an ISO 3166-1 alpha-2 country code |
//! | H032 | error | recipient outside a residency rule |
//! | H033 | error | storage location outside a residency rule |
//! | H034 | error | adequacy claimed where there is none |
//! | H035 | warning | transfer on an Art. 49 derogation |
//! | H036 | warning | processor without Art. 28 contract reference |
//! | H040 | error/warning | promised delay longer than the statutory month (Art. 12(3)) |
//! | H041 | warning | notice change announced less than 30 days ahead |
//! | H050 | error/warning | an Art. 30 mandatory field is missing |
//! | H051 | error | processor activity without a processor service, or service without controllers (Art. 30(2)(a)) |
//! | H052 | error | SIREN or BCE/KBO number with a wrong check digit |
//! | H053 | error | date not `YYYY-MM-DD` |
//! | H054 | error | contact e-mail address malformed |
//! | H055 | error | DPV term not a compact IRI the JSON-LD context knows |
//! | H060 | warning | staff role reading a category none of its purposes uses |
//! | H061 | warning | staff role without purposes |

mod art30;
mod legal;
mod names;
mod transfers;

#[cfg(test)]
mod rules_tests;

use std::ops::Range;

use super::Declarations;
use super::diagnostic::{Diagnostic, Severity};
use super::model::FileId;

/// Run every rule; diagnostics come sorted by file, position and code.
pub fn check(declarations: &Declarations) -> Vec<Diagnostic> {
    let mut ctx = Ctx {
        d: declarations,
        out: Vec::new(),
    };
    art30::check(&mut ctx);
    names::check(&mut ctx);
    legal::check(&mut ctx);
    transfers::check(&mut ctx);
    let mut out = ctx.out;
    out.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            d.location
                .as_ref()
                .map(|l| (l.file.clone(), l.line, l.column))
                .unwrap_or_default()
        };
        key(a).cmp(&key(b)).then(a.code.cmp(b.code))
    });
    out.dedup();
    out
}

/// What the rules share: the declarations and the findings so far.
pub(crate) struct Ctx<'a> {
    pub d: &'a Declarations,
    pub out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    pub fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        at: Option<(FileId, usize)>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let location = at.and_then(|(file, offset)| self.d.locate(file, offset));
        self.out.push(Diagnostic {
            severity,
            code,
            message: message.into(),
            help: help.into(),
            location,
        });
    }

    pub fn error(
        &mut self,
        code: &'static str,
        file: FileId,
        span: &Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push(
            Severity::Error,
            code,
            Some((file, span.start)),
            message,
            help,
        );
    }

    pub fn warn(
        &mut self,
        code: &'static str,
        file: FileId,
        span: &Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.push(
            Severity::Warning,
            code,
            Some((file, span.start)),
            message,
            help,
        );
    }

    /// Byte offset of the `inner`-th byte inside a string value.
    pub fn inside(&self, file: FileId, span: &Range<usize>, inner: usize) -> Range<usize> {
        let at = self
            .d
            .source(file)
            .map_or(span.start, |s| s.inside_string(span, inner));
        at..at
    }
}

/// The closest name among `candidates`, for "did you mean …?".
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(2))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            closest("bilin", ["billing", "identity"].into_iter()),
            Some("billing")
        );
        assert_eq!(closest("zzz", ["billing"].into_iter()), None);
    }
}
