//! What the engine's integration tests share: the demo provider's
//! declarations, a vault on them, an operator caller and record inputs.
//! (Each test file compiles this module on its own; not every file uses
//! every helper.)
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use habeas_core::clock::SystemClock;
use habeas_core::declarations::{self, Declarations};
use habeas_engine::{Caller, RecordInput, Vault, VaultPaths};
use serde_json::json;

/// The demo provider's declarations (examples/hosting-provider), checked.
pub fn declarations() -> Declarations {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hosting-provider/declarations");
    let mut files = Vec::new();
    for e in std::fs::read_dir(&src).expect("demo").flatten() {
        let p = e.path();
        files.push((
            p.display().to_string(),
            std::fs::read_to_string(&p).expect("read"),
        ));
    }
    files.sort();
    declarations::load_and_check(&files).declarations
}

/// A vault on the demo declarations at `paths`, on the system clock.
pub fn open(paths: VaultPaths) -> Vault {
    Vault::open(paths, declarations(), Arc::new(SystemClock)).expect("open vault")
}

/// An operator acting for the demo's customer-account activity.
pub fn op() -> Caller {
    Caller::operator("test", "PA-0001")
}

/// Restore the backup `file` into the vault at `paths` (the vault closed).
pub fn restore(paths: &VaultPaths, file: &Path) {
    habeas_engine::backup::restore_backup(paths, &declarations(), Arc::new(SystemClock), file)
        .expect("restore");
}

/// A record of `category` with `fields`, collected now.
pub fn input(category: &str, fields: serde_json::Value) -> RecordInput {
    serde_json::from_value(json!({ "category": category, "fields": fields })).expect("input")
}
