//! The export as a document a person reads and copies into the teleservice:
//! Markdown, or standalone HTML. The missing mandatory fields come first, so
//! nobody sends an incomplete notice without knowing it.

use std::fmt::Write;

use habeas_core::lang::Lang;

use super::{AuthorityExport, ExportField};
use crate::fmt::when;

/// What a field without value shows: mandatory ones are to complete, the
/// others are simply not known yet.
fn blank(field: &ExportField, lang: Lang) -> &'static str {
    if field.article.is_some() {
        lang.pick("(à compléter)", "(to complete)")
    } else {
        lang.pick("(non renseigné)", "(not given)")
    }
}

fn header_line(e: &AuthorityExport) -> String {
    let lang = e.lang;
    format!(
        "{} · {} {} · {} {}",
        e.authority,
        lang.pick("violation", "breach"),
        e.breach,
        lang.pick("établi le", "generated on"),
        when(e.generated_at)
    )
}

fn missing_title(lang: Lang) -> &'static str {
    lang.pick(
        "Champs obligatoires à compléter",
        "Mandatory fields to complete",
    )
}

fn complete_line(lang: Lang) -> &'static str {
    lang.pick(
        "Tous les champs obligatoires (art. 33(3) RGPD) sont renseignés.",
        "Every mandatory field (GDPR Art. 33(3)) is filled in.",
    )
}

/// The export as Markdown.
pub fn markdown(e: &AuthorityExport) -> String {
    let lang = e.lang;
    let sep = lang.pick(" : ", ": ");
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n\n{}\n", e.title, header_line(e));
    if e.missing.is_empty() {
        let _ = writeln!(out, "{}\n", complete_line(lang));
    } else {
        let _ = writeln!(out, "## {}\n", missing_title(lang));
        for m in &e.missing {
            let _ = writeln!(out, "- **{}** ({}){sep}{}", m.label, m.article, m.fix);
        }
        out.push('\n');
    }
    for s in &e.sections {
        let _ = writeln!(out, "## {}\n", s.title);
        for f in &s.fields {
            let value = f.value.as_deref().unwrap_or(blank(f, lang));
            let _ = writeln!(out, "- **{}**{sep}{}", f.label, value);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "---\n`{}` · {}", e.schema, e.digest());
    out
}

/// The export as a standalone HTML page.
pub fn html(e: &AuthorityExport) -> String {
    let lang = e.lang;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}\
         th{{text-align:left;vertical-align:top;width:35%}}td,th{{padding:.3em;border-bottom:1px solid #ddd}}\
         .missing{{background:#fff3cd;padding:.5em 1em}}</style>\n</head>\n<body>\n<h1>{}</h1>\n<p>{}</p>\n",
        lang.tag(),
        esc(&e.title),
        esc(&e.title),
        esc(&header_line(e))
    );
    if e.missing.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", esc(complete_line(lang)));
    } else {
        let _ = writeln!(
            out,
            "<section class=\"missing\">\n<h2>{}</h2>\n<ul>",
            esc(missing_title(lang))
        );
        for m in &e.missing {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong> ({}) — {}</li>",
                esc(&m.label),
                esc(&m.article),
                esc(&m.fix)
            );
        }
        out.push_str("</ul>\n</section>\n");
    }
    for s in &e.sections {
        let _ = writeln!(out, "<h2>{}</h2>\n<table>", esc(&s.title));
        for f in &s.fields {
            let value = f.value.as_deref().unwrap_or(blank(f, lang));
            let _ = writeln!(
                out,
                "<tr><th>{}</th><td>{}</td></tr>",
                esc(&f.label),
                esc(value)
            );
        }
        out.push_str("</table>\n");
    }
    let _ = write!(
        out,
        "<p><small><code>{}</code> · {}</small></p>\n</body>\n</html>\n",
        esc(&e.schema),
        e.digest()
    );
    out
}

/// HTML-escape text.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn staff_text_cannot_inject_markup() {
        assert_eq!(
            esc("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
