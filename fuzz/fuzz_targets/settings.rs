//! Any text as `habeas.toml` (read at every start): never a panic; every
//! diagnostic points inside the file; settings that pass give a listen
//! address, a storage URL (a PostgreSQL one splits into a client config and a
//! schema, or is refused) and directories; a declared journal retention
//! reads and its cut-off never lies after now.
#![no_main]

use std::path::Path;

use habeas_core::settings::{StorageUrl, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let project = Path::new("/srv/habeas");
    match parse("habeas.toml", text, project) {
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty());
            for d in &diagnostics {
                if let Some(at) = &d.location {
                    assert!(at.line >= 1 && at.line <= text.lines().count() + 1);
                }
            }
        }
        Ok(settings) => {
            assert!(settings.listen_addr().is_some());
            match settings.storage_url().expect("validated") {
                StorageUrl::Postgres(url) => {
                    let _ = habeas_store::postgres::parse_url(&url, "habeas");
                }
                StorageUrl::Sqlite(_) => {}
            }
            let _ = settings.data_dir(project);
            let _ = settings.key_dir(project);
            let _ = settings.breach.clocks();
            // A declared journal retention was validated: it reads, and its
            // cut-off holds at the ends of time.
            if settings.audit.retention.is_some() {
                let policy = settings.audit.journal_retention().expect("validated");
                for now in [
                    chrono::DateTime::<chrono::Utc>::MIN_UTC,
                    chrono::DateTime::<chrono::Utc>::MAX_UTC,
                ] {
                    assert!(policy.cutoff(&[], now).before <= now);
                }
            }
        }
    }
});
