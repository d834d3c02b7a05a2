//! The console's register page: the Art. 30 register of processing
//! activities (controller view, Art. 30(1), or processor view, Art. 30(2))
//! and the findings of `habeas check` on the declarations the server runs
//! with (rule, severity, file:line, message, how to fix).
//!
//! Why re-rendered here rather than linked to a file: the register is a
//! pure function of the declarations (`habeas_core::register`), so the
//! page always shows what the running server enforces. The renderer's HTML
//! body is embedded in the console shell (its own stylesheet is dropped:
//! the content security policy forbids inline styles). The check runs on
//! the declaration files as they were loaded at start-up (`habeas check`
//! reads them from disk, so an edit not yet deployed shows there first);
//! `habeas.toml` is not re-checked here.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use habeas_core::declarations::{Diagnostic, Severity, load_and_check};
use habeas_core::lang::Lang;
use habeas_core::register::{Format, View, render_register};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::UiState;
use super::console::{console_ctx, shell};
use super::http::{PageQuery, UiLang};
use super::page::{Area, message};
use crate::t;

#[derive(Debug, Deserialize)]
pub struct RegisterQuery {
    /// `controller` (default) or `processor`.
    vue: Option<String>,
}

const PATH: &str = "/console/registre";

fn view_label(lang: Lang, view: View) -> String {
    match view {
        View::Controller => t!(lang, "console-register-controller-art-30-1"),
        View::Processor => t!(lang, "console-register-processor-art-30-2"),
    }
}

/// The body of the renderer's HTML document: what lies between its title
/// and the end of `<main>` (the title becomes the section heading).
fn register_body(document: &str) -> &str {
    let start = document.find("</h1>").map_or(0, |i| i + "</h1>".len());
    let end = document.rfind("</main>").unwrap_or(document.len());
    document.get(start..end).unwrap_or("")
}

fn severity_label(lang: Lang, s: Severity) -> String {
    match s {
        Severity::Error => t!(lang, "console-register-error"),
        Severity::Warning => t!(lang, "console-register-warning"),
    }
}

fn findings(lang: Lang, diagnostics: &[Diagnostic]) -> Markup {
    html! {
        @if diagnostics.is_empty() {
            (message("notice", &t!(lang, "console-register-no-finding-the-declarations-pass-every")))
        } @else {
            table {
                caption { (t!(lang, "console-register-habeas-check-findings")) }
                thead { tr {
                    th scope="col" { (t!(lang, "console-register-rule")) }
                    th scope="col" { (t!(lang, "console-register-severity")) }
                    th scope="col" { (t!(lang, "console-register-file-line")) }
                    th scope="col" { (t!(lang, "console-register-message")) }
                    th scope="col" { (t!(lang, "console-register-how-to-fix")) }
                } }
                tbody {
                    @for d in diagnostics {
                        tr {
                            th scope="row" { code { (d.code) } }
                            td class=(if d.is_error() { "overdue" } else { "due_soon" }) { (severity_label(lang, d.severity)) }
                            td { code { @match &d.location {
                                Some(l) => { (l.file) ":" (l.line) }
                                None => { "—" }
                            } } }
                            td { (d.message) }
                            td { (d.help) }
                        }
                    }
                }
            }
        }
    }
}

/// The register (one view) and the check's findings.
pub async fn register(
    State(state): State<UiState>,
    l: UiLang,
    PageQuery(q): PageQuery<RegisterQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = l.lang;
    let ctx = match console_ctx(&state, &headers, lang, PATH).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let asked = q.vue.as_deref().unwrap_or("controller");
    let view = asked.parse::<View>().ok();
    // Parsing and rendering are CPU work: off the async threads.
    let rendered = state
        .run(move |s| {
            let decls = s.vault.declarations();
            let files: Vec<(String, String)> = decls
                .sources
                .iter()
                .map(|f| (f.path.clone(), f.contents.clone()))
                .collect();
            let checked = load_and_check(&files);
            let document = view.map(|v| render_register(decls, v, Format::Html, lang));
            (files.len(), checked.diagnostics, document)
        })
        .await;
    let (file_count, diagnostics, document) = match rendered {
        Ok(r) => r,
        Err(f) => return f.render(lang, Area::Console),
    };
    let body = html! {
        nav aria-label=(t!(lang, "console-register-register-view")) { ul {
            @for v in View::ALL {
                li { a href={ (PATH) "?vue=" (v.key()) }
                    aria-current=[(view == Some(v)).then_some("page")] { (view_label(lang, v)) } }
            }
        } }
        h2 { (t!(lang, "console-register-declarations-check")) }
        p { (t!(lang, "console-register-files-checked", count = file_count.to_string())) }
        (findings(lang, &diagnostics))
        @match (view, &document) {
            (Some(v), Some(doc)) => {
                h2 { (t!(lang, "console-register-register-of-processing-activities")) (view_label(lang, v)) }
                div class="register" { (PreEscaped(register_body(doc))) }
            }
            _ => {
                (message("error", &t!(lang, "console-register-unknown-view", view = asked.chars().take(40).collect::<String>())))
            }
        }
    };
    let mut r = shell(
        lang,
        &t!(lang, "console-register-register-and-check"),
        PATH,
        &ctx,
        body,
    );
    if view.is_none() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo declarations with one recipient no activity uses.
    fn demo_with_unused_recipient() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/hosting-provider/declarations");
        let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
            .expect("demo declarations")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .map(|p| {
                let name = format!("declarations/{}", p.file_name().unwrap().to_string_lossy());
                (name, std::fs::read_to_string(&p).expect("read"))
            })
            .collect();
        files.sort();
        let recipients = files
            .iter_mut()
            .find(|(n, _)| n.ends_with("recipients.toml"))
            .expect("recipients.toml");
        recipients.1.push_str(
            "\n[recipients.internal-unused]\nname = { fr = \"Service oublié\", en = \"Forgotten team\" }\nrole = \"internal\"\n",
        );
        files
    }

    #[test]
    fn a_finding_is_shown_with_its_rule_severity_place_and_fix() {
        let checked = load_and_check(&demo_with_unused_recipient());
        let warning = checked
            .diagnostics
            .iter()
            .find(|d| d.message.contains("internal-unused"))
            .expect("the unused recipient is reported");
        let line = warning.location.as_ref().expect("a place").line;
        let html = findings(Lang::Fr, &checked.diagnostics).into_string();
        assert!(
            html.contains(&format!(
                "<th scope=\"row\"><code>{}</code></th>",
                warning.code
            )),
            "{html}"
        );
        assert!(html.contains("avertissement"));
        assert!(html.contains(&format!("declarations/recipients.toml:{line}")));
        assert!(html.contains("internal-unused"));
        let en = findings(Lang::En, &checked.diagnostics).into_string();
        assert!(en.contains("warning") && en.contains("How to fix"));
        assert!(
            findings(Lang::Fr, &[])
                .into_string()
                .contains("Aucune anomalie")
        );
    }

    #[test]
    fn the_register_body_is_cut_between_the_title_and_the_end_of_main() {
        let doc = "<html><head><style>x</style></head><body><main>\n<h1>T</h1>\n<h2>A</h2>\n</main>\n</body>";
        assert_eq!(register_body(doc), "\n<h2>A</h2>\n");
        assert_eq!(register_body("plain"), "plain");
    }
}
