#![allow(dead_code)] // each target uses what it needs
//! The example provider's declaration files, shared by the targets that
//! check input against a real model (included with `#[path]`: each target
//! is its own crate root).

/// Name and text of each declaration file of `examples/hosting-provider`.
pub const FILES: [(&str, &str); 8] = [
    (
        "activities.toml",
        include_str!("../../examples/hosting-provider/declarations/activities.toml"),
    ),
    (
        "categories.toml",
        include_str!("../../examples/hosting-provider/declarations/categories.toml"),
    ),
    (
        "organisation.toml",
        include_str!("../../examples/hosting-provider/declarations/organisation.toml"),
    ),
    (
        "recipients.toml",
        include_str!("../../examples/hosting-provider/declarations/recipients.toml"),
    ),
    (
        "roles.toml",
        include_str!("../../examples/hosting-provider/declarations/roles.toml"),
    ),
    (
        "security.toml",
        include_str!("../../examples/hosting-provider/declarations/security.toml"),
    ),
    (
        "services.toml",
        include_str!("../../examples/hosting-provider/declarations/services.toml"),
    ),
    (
        "subjects.toml",
        include_str!("../../examples/hosting-provider/declarations/subjects.toml"),
    ),
];

/// The files as `load_and_check` takes them.
pub fn owned() -> Vec<(String, String)> {
    FILES
        .iter()
        .map(|(name, body)| (name.to_string(), body.to_string()))
        .collect()
}

/// The example provider's declarations, loaded and checked once per process.
pub fn declarations() -> &'static habeas_core::declarations::Declarations {
    static DECLS: std::sync::OnceLock<habeas_core::declarations::Declarations> =
        std::sync::OnceLock::new();
    DECLS.get_or_init(|| {
        let checked = habeas_core::declarations::load_and_check(&owned());
        assert!(!checked.has_errors());
        checked.declarations
    })
}
