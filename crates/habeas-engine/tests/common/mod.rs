//! What the engine's integration tests share: the demo provider's
//! declarations, a vault on them, an operator caller and record inputs.
//! (Each test file compiles this module on its own; not every file uses
//! every helper.)
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use habeas_core::clock::SystemClock;
use habeas_core::declarations::{self, Declarations};
use habeas_engine::{Caller, PgUrls, RecordInput, Vault, VaultPaths};
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

/// `HABEAS_TEST_POSTGRES_URL`, or `None` after a loud skip message (a
/// failure under `HABEAS_REQUIRE_TOOLS=1`).
pub fn postgres_url() -> Option<String> {
    match std::env::var("HABEAS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "HABEAS_REQUIRE_TOOLS=1 but HABEAS_TEST_POSTGRES_URL is unset"
            );
            eprintln!(
                "SKIPPED: HABEAS_TEST_POSTGRES_URL is unset; the PostgreSQL vault flows did not run"
            );
            None
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A vault on two throw-away schemas (data, keys), dropped at the end.
pub struct PgVault {
    pub url: String,
    pub data: String,
    pub keys: String,
    dir: tempfile::TempDir,
}

impl PgVault {
    pub fn new(url: &str) -> PgVault {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let data = format!("habeas_v{}_{n}", std::process::id());
        PgVault {
            url: url.to_string(),
            keys: format!("{data}_keys"),
            data,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn with_schema(&self, schema: &str) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}schema={schema}", self.url)
    }

    pub fn paths(&self) -> VaultPaths {
        let mut paths = VaultPaths::in_project(self.dir.path());
        paths.postgres = Some(PgUrls {
            data: self.with_schema(&self.data),
            keys: self.with_schema(&self.keys),
        });
        paths
    }

    /// `pg_dump` of one schema, or `None` (skipped loudly) without pg_dump.
    pub fn dump(&self, schema: &str) -> Option<Vec<u8>> {
        let out = std::process::Command::new("pg_dump")
            .args(["--schema", schema, "--data-only", &self.url])
            .output();
        match out {
            Ok(o) if o.status.success() => Some(o.stdout),
            Ok(o) => panic!("pg_dump failed: {}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => {
                assert!(
                    std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
                    "HABEAS_REQUIRE_TOOLS=1 but pg_dump cannot run: {e}"
                );
                eprintln!("SKIPPED: pg_dump cannot run ({e}); the dump scan did not run");
                None
            }
        }
    }
}

impl Drop for PgVault {
    fn drop(&mut self) {
        if let Ok(store) = habeas_store::postgres::PgStore::open(&self.with_schema(&self.data)) {
            let _ = store.drop_schema();
        }
        if let Ok(keys) = habeas_store::postgres::PgKeyStore::open(&self.with_schema(&self.keys)) {
            let _ = keys.drop_schema();
        }
    }
}
