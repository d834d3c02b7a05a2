//! The small document model every notice is written in, and its two
//! renderings: plain text and a minimal HTML page. Values go through
//! [`escape`] on the way into HTML, so a name or a reason typed by staff
//! cannot add markup or a link.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike};
use habeas_core::lang::Lang;

/// One piece of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    Para(String),
    /// Label / value pairs, shown as a list (text) or a table (HTML).
    Facts(Vec<(String, String)>),
    /// A code to type, set apart.
    Code(String),
    /// A link with its visible label; the URL is shown in full in text.
    Link {
        label: String,
        url: String,
    },
}

/// A notice in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    pub lang: Lang,
    pub subject: String,
    pub blocks: Vec<Block>,
    /// Closing lines (organisation, contact).
    pub signature: Vec<String>,
}

impl Section {
    pub fn new(lang: Lang, subject: String) -> Section {
        Section {
            lang,
            subject,
            blocks: vec![Block::Para(lang.pick("Bonjour,", "Hello,").into())],
            signature: Vec::new(),
        }
    }

    pub fn para(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Para(text.into()));
        self
    }

    pub fn facts(&mut self, facts: Vec<(String, String)>) -> &mut Self {
        self.blocks.push(Block::Facts(facts));
        self
    }

    pub fn code(&mut self, code: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Code(code.into()));
        self
    }

    pub fn link(&mut self, label: impl Into<String>, url: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Link {
            label: label.into(),
            url: url.into(),
        });
        self
    }
}

/// The subject of a message in one language, or both (French first).
pub(crate) fn subject(sections: &[Section]) -> String {
    sections
        .iter()
        .map(|s| s.subject.as_str())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Plain text: sections one after the other, French first, separated by a
/// visible rule.
pub(crate) fn text(sections: &[Section]) -> String {
    let mut out = String::new();
    if sections.len() > 1 {
        out.push_str("(English version below)\n\n");
    }
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n----------------------------------------\n\n");
        }
        let colon = section.lang.pick(" : ", ": ");
        let paragraphs: Vec<String> = section
            .blocks
            .iter()
            .map(|block| match block {
                Block::Para(p) => p.clone(),
                Block::Facts(facts) => facts
                    .iter()
                    .map(|(label, value)| format!("- {label}{colon}{value}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Block::Code(code) => format!("    {code}"),
                Block::Link { label, url } => {
                    format!("{label}{}\n{url}", section.lang.pick(" :", ":"))
                }
            })
            .collect();
        out.push_str(&paragraphs.join("\n\n"));
        if !section.signature.is_empty() {
            out.push_str("\n\n-- \n");
            out.push_str(&section.signature.join("\n"));
        }
    }
    out.push('\n');
    out
}

/// A small HTML page, one `<div lang>` per section.
pub(crate) fn html(sections: &[Section]) -> String {
    let page_lang = if sections.len() == 1 {
        sections[0].lang.tag()
    } else {
        "fr"
    };
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{page_lang}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body style=\"font-family: sans-serif; line-height: 1.5; max-width: 40em\">\n",
        escape(&subject(sections))
    );
    if sections.len() > 1 {
        out.push_str("<p lang=\"en\"><a href=\"#en\">English version below</a></p>\n");
    }
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("<hr>\n");
        }
        let tag = section.lang.tag();
        out.push_str(&format!("<div lang=\"{tag}\" id=\"{tag}\">\n"));
        for block in &section.blocks {
            match block {
                Block::Para(p) => out.push_str(&format!("<p>{}</p>\n", escape(p))),
                Block::Facts(facts) => {
                    out.push_str("<table>\n");
                    for (label, value) in facts {
                        out.push_str(&format!(
                            "<tr><th style=\"text-align: left; padding-right: 1em\">{}</th><td>{}</td></tr>\n",
                            escape(label),
                            escape(value)
                        ));
                    }
                    out.push_str("</table>\n");
                }
                Block::Code(code) => out.push_str(&format!(
                    "<p style=\"font-size: 1.6em; letter-spacing: 0.2em\"><strong>{}</strong></p>\n",
                    escape(code)
                )),
                Block::Link { label, url } => out.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>\n",
                    escape(url),
                    escape(label)
                )),
            }
        }
        if !section.signature.is_empty() {
            let lines: Vec<String> = section.signature.iter().map(|l| escape(l)).collect();
            out.push_str(&format!("<p>— {}</p>\n", lines.join("<br>\n")));
        }
        out.push_str("</div>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// HTML-escapes text for element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "1er décembre 2026", "4 December 2026".
pub fn date(d: NaiveDate, lang: Lang) -> String {
    let month = d.month0() as usize;
    match lang {
        Lang::Fr if d.day() == 1 => format!("1er {} {}", MONTHS_FR[month], d.year()),
        Lang::Fr => format!("{} {} {}", d.day(), MONTHS_FR[month], d.year()),
        Lang::En => format!("{} {} {}", d.day(), MONTHS_EN[month], d.year()),
    }
}

/// "4 décembre 2026 à 15 h 37 (UTC+01:00)", "4 December 2026 at 15:37
/// (UTC+01:00)": the offset is shown because the recipient may live in
/// another time zone than the server.
pub fn date_time(t: DateTime<FixedOffset>, lang: Lang) -> String {
    let day = date(t.date_naive(), lang);
    let offset = t.offset().to_string();
    match lang {
        Lang::Fr => format!("{day} à {} h {:02} (UTC{offset})", t.hour(), t.minute()),
        Lang::En => format!("{day} at {:02}:{:02} (UTC{offset})", t.hour(), t.minute()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_in_values() {
        assert_eq!(
            escape("<a href=\"x\">O'Brien & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Brien &amp; co&lt;/a&gt;"
        );
    }

    #[test]
    fn dates_read_naturally_in_each_language() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(date(d, Lang::Fr), "1er décembre 2026");
        assert_eq!(date(d, Lang::En), "1 December 2026");
        let t = DateTime::parse_from_rfc3339("2026-08-04T09:05:00+02:00").unwrap();
        assert_eq!(date_time(t, Lang::Fr), "4 août 2026 à 9 h 05 (UTC+02:00)");
        assert_eq!(date_time(t, Lang::En), "4 August 2026 at 09:05 (UTC+02:00)");
    }

    #[test]
    fn bilingual_text_puts_french_first() {
        let fr = Section::new(Lang::Fr, "Sujet".into());
        let en = Section::new(Lang::En, "Subject".into());
        let both = [fr, en];
        assert_eq!(subject(&both), "Sujet / Subject");
        let t = text(&both);
        assert!(t.find("Bonjour").unwrap() < t.find("Hello").unwrap());
    }
}
