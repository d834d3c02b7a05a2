//! C1 — the documents rendered from the declarations: the Art. 30 register
//! (controller view, Art. 30(1), and processor view, Art. 30(2); the CNIL
//! asks for two registers when a provider is both), the public privacy
//! notice (Art. 13/14) and the security assurance summary.
//!
//! Renderers are pure: declarations in, a string out. They expect
//! declarations that passed `habeas check` and print `—` for anything
//! missing rather than failing.

mod assurance;
mod csv;
mod doc;
mod fiche;
mod json;
mod jsonld;
mod privacy_notice;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use crate::declarations::Declarations;
use crate::lang::Lang;

pub use csv::{CNIL_COLUMNS_EN, CNIL_COLUMNS_FR, cnil_columns};

/// Which register: the provider as controller or as processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// Art. 30(1): activities where the provider decides purposes and means.
    Controller,
    /// Art. 30(2): activities carried out on behalf of customers.
    Processor,
}

impl View {
    pub const ALL: [View; 2] = [View::Controller, View::Processor];

    pub fn key(self) -> &'static str {
        match self {
            View::Controller => "controller",
            View::Processor => "processor",
        }
    }

    pub(crate) fn role(self) -> crate::declarations::Role {
        match self {
            View::Controller => crate::declarations::Role::Controller,
            View::Processor => crate::declarations::Role::Processor,
        }
    }
}

impl FromStr for View {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "controller" => Ok(View::Controller),
            "processor" => Ok(View::Processor),
            other => Err(format!(
                "unknown view `{other}`: use `controller` or `processor`"
            )),
        }
    }
}

/// Register output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Markdown,
    Html,
    /// One row per activity, the CNIL model register's columns.
    Csv,
    /// Habeas's documented JSON shape (see `docs/declarations.md`).
    Json,
    /// JSON-LD with W3C Data Privacy Vocabulary terms.
    JsonLd,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Markdown,
        Format::Html,
        Format::Csv,
        Format::Json,
        Format::JsonLd,
    ];

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::JsonLd => "jsonld",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Formats of the human documents (notice, assurance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocFormat {
    Markdown,
    Html,
}

impl DocFormat {
    pub const ALL: [DocFormat; 2] = [DocFormat::Markdown, DocFormat::Html];

    pub fn extension(self) -> &'static str {
        match self {
            DocFormat::Markdown => "md",
            DocFormat::Html => "html",
        }
    }
}

/// Render the register of processing activities.
pub fn render_register(
    declarations: &Declarations,
    view: View,
    format: Format,
    lang: Lang,
) -> String {
    match format {
        Format::Markdown => fiche::register_doc(declarations, view, lang).to_markdown(),
        Format::Html => fiche::register_doc(declarations, view, lang).to_html(),
        Format::Csv => csv::render(declarations, view, lang),
        Format::Json => json::render(declarations, view, lang),
        Format::JsonLd => jsonld::render(declarations, view, lang),
    }
}

/// Render the public privacy notice (Art. 13 and 14).
pub fn render_notice(declarations: &Declarations, format: DocFormat, lang: Lang) -> String {
    let doc = privacy_notice::notice_doc(declarations, lang);
    match format {
        DocFormat::Markdown => doc.to_markdown(),
        DocFormat::Html => doc.to_html(),
    }
}

/// Render the security assurance summary (measures, locations, roles, sub-processors).
pub fn render_assurance(declarations: &Declarations, format: DocFormat, lang: Lang) -> String {
    let doc = assurance::assurance_doc(declarations, lang);
    match format {
        DocFormat::Markdown => doc.to_markdown(),
        DocFormat::Html => doc.to_html(),
    }
}

/// `fr` or `en` text as an owned string.
pub(crate) fn t(lang: Lang, fr: &str, en: &str) -> String {
    lang.pick(fr, en).to_string()
}

/// The placeholder for an empty value.
pub(crate) const NONE: &str = "—";

pub(crate) fn or_none(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.trim().is_empty() => v.to_string(),
        _ => NONE.to_string(),
    }
}

pub(crate) fn join_or_none(items: Vec<String>) -> String {
    if items.is_empty() {
        NONE.to_string()
    } else {
        items.join(", ")
    }
}

/// The label separator: French typography puts a space before the colon.
pub(crate) fn colon(lang: Lang) -> &'static str {
    lang.pick(" : ", ": ")
}
