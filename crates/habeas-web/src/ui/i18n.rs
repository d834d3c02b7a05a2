//! # The pages' words: Fluent message files, French and English
//!
//! Every sentence a page shows lives in `locales/<lang>/*.ftl` (Project
//! Fluent syntax), one file per area: `shell.ftl` (page frame, error pages),
//! `portal.ftl` ("Mes données"), `console.ftl` (staff sign-in and the DPO
//! console). The files are compiled into the binary — nothing is read from
//! disk at run time — and parsed once, on first use.
//!
//! Why Fluent rather than strings in code: a translator (or the provider's
//! DPO rewording a sentence) edits a message file without reading Rust, and
//! Fluent handles plurals and variables in each language's own grammar.
//!
//! Use [`t!`](crate::t): `t!(lang, "site-portal")` or, with variables,
//! `t!(lang, "shell-selftest-plural", count = n)`. A message id missing from a
//! file is a programming error caught by this module's tests (every id the
//! sources use must exist in both languages, and both languages must hold
//! the same ids); at run time it renders as the id itself and logs a
//! warning rather than failing the page.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use habeas_core::lang::Lang;

pub use fluent_bundle::FluentValue;

/// The message files, per language, in the order they are loaded.
const FILES: [(&str, [&str; 3]); 2] = [
    (
        "fr",
        [
            include_str!("../../locales/fr/shell.ftl"),
            include_str!("../../locales/fr/portal.ftl"),
            include_str!("../../locales/fr/console.ftl"),
        ],
    ),
    (
        "en",
        [
            include_str!("../../locales/en/shell.ftl"),
            include_str!("../../locales/en/portal.ftl"),
            include_str!("../../locales/en/console.ftl"),
        ],
    ),
];

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<[Bundle; 2]> = LazyLock::new(|| [bundle(0), bundle(1)]);

/// Builds the bundle of one language. A file that does not parse keeps the
/// messages that did (Fluent recovers per entry); the tests refuse both.
fn bundle(i: usize) -> Bundle {
    let (tag, files) = FILES[i];
    let id: unic_langid::LanguageIdentifier = tag.parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around variables: the pages are
    // left-to-right only and the marks would sit inside HTML attributes.
    b.set_use_isolating(false);
    for source in files {
        let res = FluentResource::try_new(source.to_string()).unwrap_or_else(|(res, _)| res);
        if let Err(errors) = b.add_resource(res) {
            tracing::warn!(
                lang = tag,
                count = errors.len(),
                "message file entries refused"
            );
        }
    }
    b
}

fn of(lang: Lang) -> &'static Bundle {
    &BUNDLES[match lang {
        Lang::Fr => 0,
        Lang::En => 1,
    }]
}

/// The text of message `id` in `lang`, with `args` filled in.
pub fn message(lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
    let bundle = of(lang);
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::warn!(lang = lang.tag(), id, "missing message");
        return id.to_string();
    };
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors);
    if !errors.is_empty() {
        tracing::warn!(
            lang = lang.tag(),
            id,
            count = errors.len(),
            "message formatted with errors"
        );
    }
    text.into_owned()
}

/// The text of a message: `t!(lang, "id")` or `t!(lang, "id", name = value, …)`,
/// where each value converts into a [`FluentValue`] (strings, numbers).
#[macro_export]
macro_rules! t {
    ($lang:expr, $id:expr) => {
        $crate::ui::i18n::message($lang, $id, None)
    };
    ($lang:expr, $id:expr, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = ::fluent_bundle::FluentArgs::new();
        $( args.set(stringify!($name), $crate::ui::i18n::FluentValue::from($value)); )+
        $crate::ui::i18n::message($lang, $id, Some(&args))
    }};
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// The message ids a file defines (top-level `id =` lines).
    fn ids(source: &str) -> BTreeSet<String> {
        source
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '\t', '-']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty())
            .collect()
    }

    #[test]
    fn every_message_file_parses_without_error() {
        for (tag, files) in FILES {
            for (n, source) in files.iter().enumerate() {
                if let Err((_, errors)) = FluentResource::try_new(source.to_string()) {
                    panic!("{tag} file #{n}: {errors:?}");
                }
            }
        }
    }

    #[test]
    fn french_and_english_hold_the_same_messages_and_no_id_twice() {
        let mut per_lang = Vec::new();
        for (tag, files) in FILES {
            let mut all = BTreeSet::new();
            for source in files {
                for id in ids(source) {
                    assert!(
                        all.insert(id.clone()),
                        "{tag}: message `{id}` defined twice"
                    );
                }
            }
            per_lang.push(all);
        }
        let only_fr: Vec<_> = per_lang[0].difference(&per_lang[1]).collect();
        let only_en: Vec<_> = per_lang[1].difference(&per_lang[0]).collect();
        assert!(only_fr.is_empty(), "only in French: {only_fr:?}");
        assert!(only_en.is_empty(), "only in English: {only_en:?}");
    }

    /// Every `t!(…, "id"…)` in the page sources names a message that exists.
    #[test]
    fn every_message_the_pages_use_exists() {
        let defined: BTreeSet<String> = FILES[0].1.iter().flat_map(|s| ids(s)).collect();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
        let mut used = 0;
        for entry in std::fs::read_dir(&dir).expect("src/ui") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("read");
            for (i, _) in source.match_indices("t!(") {
                // `t!(` itself, not the end of `assert!(`; not in a comment.
                let before = source[..i].chars().next_back();
                let line_start = source[..i].rfind('\n').map_or(0, |n| n + 1);
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    || source[line_start..i].trim_start().starts_with("//")
                {
                    continue;
                }
                // `t!(LANG, "id"…`: the language expression, a comma, the id
                // (rustfmt may put each on its own line).
                let rest = &source[i + 3..];
                let Some(comma) = rest.find(',') else {
                    continue;
                };
                if rest[..comma].contains(['"', ')', ';', '{']) {
                    continue;
                }
                let Some(id) = rest[comma + 1..].trim_start().strip_prefix('"') else {
                    continue;
                };
                let id: String = id.chars().take_while(|c| *c != '"').collect();
                used += 1;
                assert!(
                    defined.contains(&id),
                    "{}: message `{id}` is not in the message files",
                    path.display()
                );
            }
        }
        assert!(used > 0, "no t!() call found: the scan is broken");
    }

    #[test]
    fn variables_are_filled_without_isolation_marks_and_plurals_follow_the_language() {
        let fr = crate::t!(Lang::Fr, "shell-selftest-plural", count = 2);
        let en = crate::t!(Lang::En, "shell-selftest-plural", count = 1);
        assert_eq!(fr, "2 éléments");
        assert_eq!(en, "1 item");
        assert_eq!(
            message(Lang::En, "no-such-message", None),
            "no-such-message"
        );
    }
}
