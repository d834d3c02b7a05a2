//! The project `habeas init` writes: a commented `habeas.toml` and a small
//! but complete set of declarations that passes `habeas check` with no
//! warning, for a provider to edit. Kept as real files next to this module
//! so they are read and tested like any user project.

/// `(relative path, contents)` of every file of a new project.
pub const FILES: &[(&str, &str)] = &[
    ("habeas.toml", include_str!("starter/habeas.toml")),
    (
        "declarations/activities.toml",
        include_str!("starter/activities.toml"),
    ),
    (
        "declarations/categories.toml",
        include_str!("starter/categories.toml"),
    ),
    (
        "declarations/organisation.toml",
        include_str!("starter/organisation.toml"),
    ),
    (
        "declarations/recipients.toml",
        include_str!("starter/recipients.toml"),
    ),
    (
        "declarations/roles.toml",
        include_str!("starter/roles.toml"),
    ),
    (
        "declarations/security.toml",
        include_str!("starter/security.toml"),
    ),
    (
        "declarations/services.toml",
        include_str!("starter/services.toml"),
    ),
    (
        "declarations/subjects.toml",
        include_str!("starter/subjects.toml"),
    ),
];

/// The declaration files only, as `(path, contents)` pairs for [`super::load`].
pub fn declaration_files() -> Vec<(String, String)> {
    FILES
        .iter()
        .filter(|(path, _)| path.starts_with("declarations/"))
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_project_passes_check_without_warnings() {
        let checked = super::super::load_and_check(&declaration_files());
        assert!(
            checked.diagnostics.is_empty(),
            "{}",
            super::super::diagnostic::render_human(&checked.diagnostics)
        );
        let settings = FILES
            .iter()
            .find(|(p, _)| *p == "habeas.toml")
            .map(|(_, c)| *c)
            .unwrap_or_default();
        assert!(
            crate::settings::parse("habeas.toml", settings, std::path::Path::new("/p")).is_ok()
        );
    }
}
