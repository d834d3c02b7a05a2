//! Architecture invariant (docs/architecture.md): `habeas-core` holds the
//! domain rules as pure code, so it must not depend on any IO, async,
//! database, HTTP or mail crate. This test fails when one appears.

const FORBIDDEN: &[&str] = &[
    "tokio",
    "async-std",
    "rusqlite",
    "postgres",
    "tokio-postgres",
    "sqlx",
    "axum",
    "hyper",
    "reqwest",
    "lettre",
    "tower",
    "tower-http",
    "mio",
    "ignore",
    "rayon",
];

#[test]
fn habeas_core_depends_on_no_io_crate() {
    let manifest: toml::Table =
        toml::from_str(include_str!("../Cargo.toml")).expect("habeas-core's Cargo.toml parses");
    let deps = manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .expect("a [dependencies] table");
    let offending: Vec<&String> = deps
        .keys()
        .filter(|name| FORBIDDEN.contains(&name.as_str()))
        .collect();
    assert!(
        offending.is_empty(),
        "habeas-core must stay pure, but depends on {offending:?}"
    );
    assert!(
        deps.contains_key("chrono"),
        "the check reads the right table"
    );
}
