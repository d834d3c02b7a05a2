//! Any text as one of the provider's declaration files (`habeas check`, and
//! every start of the server), the others being the example provider's:
//! never a panic; every diagnostic points inside the files; and a model that
//! checks renders its register, notice and assurance page in every format
//! and language, the JSON ones as valid JSON and the HTML ones with whatever
//! the files said escaped (no `<script` can come through).
#![no_main]

use habeas_core::declarations::{diagnostic, load_and_check};
use habeas_core::lang::Lang;
use habeas_core::register::{
    DocFormat, Format, View, render_assurance, render_notice, render_register,
};
use libfuzzer_sys::fuzz_target;

#[path = "example.rs"]
mod example;
use example::FILES;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let replaced = usize::from(which) % FILES.len();
    let files: Vec<(String, String)> = FILES
        .iter()
        .enumerate()
        .map(|(i, (name, body))| {
            let body = if i == replaced { text } else { body };
            (name.to_string(), body.to_string())
        })
        .collect();
    let checked = load_and_check(&files);
    for d in &checked.diagnostics {
        if let Some(at) = &d.location {
            let (_, body) = files
                .iter()
                .find(|(name, _)| *name == at.file)
                .expect("a diagnostic names one of the files");
            assert!(at.line >= 1 && at.column >= 1);
            assert!(
                at.line <= body.lines().count() + 1,
                "line past the file's end"
            );
        }
    }
    let _ = diagnostic::render_human(&checked.diagnostics);
    let json = diagnostic::render_json(&checked.diagnostics);
    serde_json::from_str::<serde_json::Value>(&json).expect("diagnostics JSON");
    if checked.has_errors() {
        return;
    }
    let decls = &checked.declarations;
    for lang in Lang::ALL {
        for view in View::ALL {
            for format in Format::ALL {
                let out = render_register(decls, view, format, lang);
                match format {
                    Format::Json | Format::JsonLd => {
                        serde_json::from_str::<serde_json::Value>(&out).expect("register JSON");
                    }
                    Format::Html => assert_escaped(&out),
                    _ => {}
                }
            }
        }
        for format in DocFormat::ALL {
            let notice = render_notice(decls, format, lang);
            let assurance = render_assurance(decls, format, lang);
            if format == DocFormat::Html {
                assert_escaped(&notice);
                assert_escaped(&assurance);
            }
        }
    }
});

fn assert_escaped(html: &str) {
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "declared text reached the HTML unescaped"
    );
}
