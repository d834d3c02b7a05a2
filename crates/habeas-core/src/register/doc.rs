//! A tiny document model shared by the register, the notice and the
//! assurance summary, so Markdown and HTML always carry the same content.

use std::fmt::Write as _;

use crate::lang::Lang;

/// A document: a title, header lines, then blocks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Doc {
    pub lang: Lang,
    pub title: String,
    pub header: Vec<String>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub(crate) enum Block {
    /// Level 2 or 3, with an optional anchor id.
    Heading(u8, String, Option<String>),
    Paragraph(String),
    /// Label / value pairs.
    Fields(Vec<(String, String)>),
    Table(Vec<String>, Vec<Vec<String>>),
    List(Vec<String>),
}

impl Doc {
    pub fn h2(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Heading(2, text.into(), None));
    }
    pub fn h3(&mut self, text: impl Into<String>, anchor: Option<String>) {
        self.blocks.push(Block::Heading(3, text.into(), anchor));
    }
    pub fn para(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Paragraph(text.into()));
    }
    pub fn fields(&mut self, fields: Vec<(String, String)>) {
        self.blocks.push(Block::Fields(fields));
    }
    pub fn table(&mut self, headers: Vec<String>, rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table(headers, rows));
    }
    pub fn list(&mut self, items: Vec<String>) {
        self.blocks.push(Block::List(items));
    }

    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n\n", self.title);
        for line in &self.header {
            let _ = writeln!(out, "{line}  ");
        }
        if !self.header.is_empty() {
            out.push('\n');
        }
        for block in &self.blocks {
            match block {
                Block::Heading(level, text, anchor) => {
                    let hashes = "#".repeat(usize::from(*level));
                    match anchor {
                        Some(id) => {
                            let _ = writeln!(out, "{hashes} {text} {{#{id}}}\n");
                        }
                        None => {
                            let _ = writeln!(out, "{hashes} {text}\n");
                        }
                    }
                }
                Block::Paragraph(text) => {
                    let _ = writeln!(out, "{text}\n");
                }
                Block::Fields(fields) => {
                    for (label, value) in fields {
                        let _ = writeln!(
                            out,
                            "- **{label}**{}{}",
                            super::colon(self.lang),
                            md_inline(value)
                        );
                    }
                    out.push('\n');
                }
                Block::Table(headers, rows) => {
                    let _ = writeln!(
                        out,
                        "| {} |",
                        headers
                            .iter()
                            .map(|h| md_cell(h))
                            .collect::<Vec<_>>()
                            .join(" | ")
                    );
                    let _ = writeln!(out, "|{}|", vec!["---"; headers.len()].join("|"));
                    for row in rows {
                        let _ = writeln!(
                            out,
                            "| {} |",
                            row.iter()
                                .map(|c| md_cell(c))
                                .collect::<Vec<_>>()
                                .join(" | ")
                        );
                    }
                    out.push('\n');
                }
                Block::List(items) => {
                    for item in items {
                        let _ = writeln!(out, "- {}", md_inline(item));
                    }
                    out.push('\n');
                }
            }
        }
        out.trim_end().to_string() + "\n"
    }

    pub fn to_html(&self) -> String {
        let lang = self.lang;
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
            lang.tag(),
            esc(&self.title),
            CSS,
            esc(&self.title)
        );
        if !self.header.is_empty() {
            out.push_str("<p class=\"meta\">");
            out.push_str(
                &self
                    .header
                    .iter()
                    .map(|h| esc(h))
                    .collect::<Vec<_>>()
                    .join("<br>"),
            );
            out.push_str("</p>\n");
        }
        for block in &self.blocks {
            match block {
                Block::Heading(level, text, anchor) => {
                    let id = anchor.clone().unwrap_or_else(|| slug(text));
                    let _ = writeln!(
                        out,
                        "<h{level} id=\"{}\">{}</h{level}>",
                        esc(&id),
                        esc(text)
                    );
                }
                Block::Paragraph(text) => {
                    let _ = writeln!(out, "<p>{}</p>", esc(text));
                }
                Block::Fields(fields) => {
                    out.push_str("<dl>\n");
                    for (label, value) in fields {
                        let _ = writeln!(
                            out,
                            "<dt>{}</dt><dd>{}</dd>",
                            esc(label),
                            esc(value).replace('\n', "<br>")
                        );
                    }
                    out.push_str("</dl>\n");
                }
                Block::Table(headers, rows) => {
                    out.push_str("<table>\n<thead><tr>");
                    for h in headers {
                        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
                    }
                    out.push_str("</tr></thead>\n<tbody>\n");
                    for row in rows {
                        out.push_str("<tr>");
                        for cell in row {
                            let _ = write!(out, "<td>{}</td>", esc(cell).replace('\n', "<br>"));
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</tbody>\n</table>\n");
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        let _ = writeln!(out, "<li>{}</li>", esc(item));
                    }
                    out.push_str("</ul>\n");
                }
            }
        }
        out.push_str("</main>\n</body>\n</html>\n");
        out
    }
}

/// Print-friendly, no external resource.
const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1a1a1a;line-height:1.5;margin:0;background:#fff}\
main{max-width:60rem;margin:0 auto;padding:2rem 1.5rem}\
h1{font-size:1.7rem;border-bottom:3px solid #1d4e89;padding-bottom:.4rem}\
h2{font-size:1.3rem;color:#1d4e89;margin-top:2rem;border-bottom:1px solid #ccd}\
h3{font-size:1.1rem;margin-top:1.5rem}\
.meta{color:#555}\
dl{display:grid;grid-template-columns:minmax(10rem,max-content) 1fr;gap:.3rem 1rem}\
dt{font-weight:600}dd{margin:0}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92rem}\
th,td{border:1px solid #bbc;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef2f8}td:first-child{white-space:nowrap}\
@media print{main{max-width:none;padding:0}h2,h3{break-after:avoid}tr,dl{break-inside:avoid}a{color:inherit}}";

pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn md_inline(text: &str) -> String {
    text.replace('\n', "  \n  ")
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

/// An ASCII anchor id from a heading.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
