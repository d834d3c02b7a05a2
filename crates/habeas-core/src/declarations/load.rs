//! Loading: parse each file, tag every item with its file, merge them into
//! one [`Declarations`], and report syntax errors and names declared twice.

use std::collections::BTreeMap;

use serde_spanned::Spanned;

use super::Declarations;
use super::diagnostic::{Diagnostic, Severity, SourceFile};
use super::model::*;

/// Parse and merge declaration files given as `(path, contents)` pairs.
/// Diagnostics hold the syntax errors (H001) and duplicates (H002); the
/// semantic rules are in [`super::check`].
pub fn load(files: &[(String, String)]) -> (Declarations, Vec<Diagnostic>) {
    let mut declarations = Declarations::default();
    let mut diagnostics = Vec::new();
    for (index, (path, contents)) in files.iter().enumerate() {
        let source = SourceFile::new(path.clone(), contents.clone());
        let file = FileId(index);
        match toml::from_str::<DeclarationFile>(contents) {
            Ok(parsed) => merge(&mut declarations, &source, file, parsed, &mut diagnostics),
            Err(err) => diagnostics.push(syntax_error(&source, &err)),
        }
        declarations.sources.push(source);
    }
    (declarations, diagnostics)
}

fn syntax_error(source: &SourceFile, err: &toml::de::Error) -> Diagnostic {
    let message = err.message().trim().to_string();
    let help = if message.contains("unknown field") {
        "check the spelling of the key; every key is listed in docs/declarations.md".to_string()
    } else if message.contains("missing field") {
        "add the missing key to this table; docs/declarations.md shows an example".to_string()
    } else if message.contains("unknown variant") {
        "use one of the values listed in the message".to_string()
    } else {
        "fix the TOML syntax at this position (strings need quotes, tables `[name]`)".to_string()
    };
    Diagnostic {
        severity: Severity::Error,
        code: "H001",
        message: format!("invalid declaration: {message}"),
        help,
        location: Some(source.locate(err.span().map_or(0, |s| s.start))),
    }
}

fn merge(
    into: &mut Declarations,
    source: &SourceFile,
    file: FileId,
    parsed: DeclarationFile,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut dup = |kind: &str, name: &str, span: std::ops::Range<usize>| {
        diagnostics.push(Diagnostic {
            severity: Severity::Error,
            code: "H002",
            message: format!("{kind} `{name}` is declared more than once"),
            help: "keep a single declaration: names are unique across all declaration files".into(),
            location: Some(source.locate(span.start)),
        });
    };

    macro_rules! single {
        ($field:ident, $kind:literal) => {
            if let Some(mut value) = parsed.$field {
                value.get_mut().file = file;
                if into.$field.is_some() {
                    dup("section", $kind, value.span());
                } else {
                    into.$field = Some(value);
                }
            }
        };
    }
    single_meta(into, parsed.declarations, file, &mut dup);
    single!(organisation, "[organisation]");
    single!(dpo, "[dpo]");
    single!(rights, "[rights]");

    macro_rules! many {
        ($field:ident, $kind:literal) => {
            merge_map(&mut into.$field, parsed.$field, file, $kind, &mut dup)
        };
    }
    many!(services, "service");
    many!(activities, "activity");
    many!(categories, "category");
    many!(subjects, "subject category");
    many!(recipients, "recipient");
    many!(locations, "storage location");
    many!(residency, "residency rule");
    many!(measures, "security measure");
    many!(roles, "staff role");
    many!(consents, "consent purpose");
}

/// Items that remember their file.
pub(crate) trait InFile {
    fn set_file(&mut self, file: FileId);
}

macro_rules! in_file {
    ($($t:ty),*) => {
        $(impl InFile for $t {
            fn set_file(&mut self, file: FileId) {
                self.file = file;
            }
        })*
    };
}
in_file!(
    Service,
    Activity,
    DataCategory,
    SubjectCategory,
    Recipient,
    StorageLocation,
    ResidencyRule,
    SecurityMeasure,
    StaffRole,
    ConsentPurpose
);

fn merge_map<T: InFile>(
    into: &mut BTreeMap<Spanned<String>, T>,
    from: BTreeMap<Spanned<String>, T>,
    file: FileId,
    kind: &str,
    dup: &mut impl FnMut(&str, &str, std::ops::Range<usize>),
) {
    for (name, mut item) in from {
        item.set_file(file);
        if into.contains_key(name.get_ref().as_str()) {
            dup(kind, name.get_ref(), name.span());
        } else {
            into.insert(name, item);
        }
    }
}

fn single_meta(
    into: &mut Declarations,
    meta: Option<Spanned<Meta>>,
    file: FileId,
    dup: &mut impl FnMut(&str, &str, std::ops::Range<usize>),
) {
    if let Some(mut value) = meta {
        value.get_mut().file = file;
        if into.meta.is_some() {
            dup("section", "[declarations]", value.span());
        } else {
            into.meta = Some(value);
        }
    }
}
