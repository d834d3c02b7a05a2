//! Where the tombstone ledger lives: a store of its own, never inside the
//! data store that backups copy (GDPR Art. 17 and 5(1)(e): an erasure made
//! after a backup must survive the restore of that backup).
//!
//! - SQLite: `ledger/tombstones.db`, a sibling of the data directory
//!   (`data/habeas.db` → `ledger/tombstones.db`);
//! - PostgreSQL: the data schema's name suffixed `_ledger` on the same
//!   server (or `HABEAS_LEDGER_URL`).
//!
//! Bodies are sealed like the vault's documents, with a system data key
//! (`_system` / `doc:tombstone-ledger`) from the vault's key store, which no
//! data backup holds either. [`LedgerDocs`] is the
//! [`habeas_core::docs::DocStore`] that `habeas_retention::tombstone::
//! TombstoneLedger` runs on. Each recorded event is also journaled in the
//! vault's audit journal (kind of event and ledger position, no value).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use habeas_core::docs::{Doc, DocError, DocStore, check_key};
use habeas_crypto::Aad;
use habeas_retention::tombstone::{Tombstone, TombstoneEvent, TombstoneLedger};
use habeas_store::{
    Checkpoint, JournalAnchor, JournalDraft, JournalSealer, OpOutput, Store, StoreError, WriteOp,
    WriteUnit,
};

use crate::access::Caller;
use crate::docs::store_error;
use crate::error::{EngineError, Result};
use crate::vault::{Vault, VaultPaths};

/// The environment variable naming the PostgreSQL ledger URL.
pub const LEDGER_URL_VAR: &str = "HABEAS_LEDGER_URL";
const SYSTEM: &str = "_system";
const KEY_CATEGORY: &str = "doc:tombstone-ledger";
const PAGE: usize = 500;

/// The SQLite ledger file of a vault whose data file is `data_db`.
pub fn ledger_sqlite_path(data_db: &Path) -> PathBuf {
    let data_dir = data_db.parent().unwrap_or(Path::new("."));
    let root = data_dir.parent().unwrap_or(Path::new("."));
    root.join("ledger").join("tombstones.db")
}

/// The PostgreSQL ledger URL for a data URL: `HABEAS_LEDGER_URL`, else the
/// same server with the data schema (default `habeas`) suffixed `_ledger`.
pub fn ledger_pg_url(data_url: &str) -> String {
    if let Some(url) = std::env::var(LEDGER_URL_VAR).ok().filter(|u| !u.is_empty()) {
        return url;
    }
    let (base, query) = data_url.split_once('?').unwrap_or((data_url, ""));
    let mut schema = "habeas".to_string();
    let mut kept: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("schema", name)) => schema = name.to_string(),
            _ => kept.push(pair.to_string()),
        }
    }
    kept.push(format!("schema={schema}_ledger"));
    format!("{base}?{}", kept.join("&"))
}

/// Open the ledger store of a vault at `paths`.
pub fn open_ledger_store(paths: &VaultPaths) -> Result<Arc<dyn Store>> {
    Ok(match &paths.postgres {
        Some(pg) => Arc::new(habeas_store::postgres::PgStore::open(&ledger_pg_url(
            &pg.data,
        ))?),
        None => {
            let path = ledger_sqlite_path(&paths.data_db);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    EngineError::Config(format!(
                        "cannot create the tombstone ledger directory {}: {e}",
                        dir.display()
                    ))
                })?;
            }
            Arc::new(habeas_store::sqlite::SqliteStore::open(&path)?)
        }
    })
}

/// The ledger's store keeps no journal of its own (the vault's journal
/// records each event): a unit without journal rows needs no link.
struct NoChain;

impl JournalSealer for NoChain {
    fn link(&self, _seq: u64, _prev_hash: &[u8], _draft: &JournalDraft) -> Vec<u8> {
        Vec::new()
    }
    fn checkpoint(&self, _head: &JournalAnchor, _last_signed: u64) -> Option<Checkpoint> {
        None
    }
}

/// The ledger's documents: sealed in the vault's key store, stored apart.
pub struct LedgerDocs<'a> {
    vault: &'a Vault,
    store: Arc<dyn Store>,
}

fn aad(kind: &str, id: &str) -> Aad {
    Aad::record_field(SYSTEM, KEY_CATEGORY, &format!("{kind}/{id}"), "document")
}

fn storage(e: impl std::fmt::Display) -> DocError {
    DocError::Storage(e.to_string())
}

impl<'a> LedgerDocs<'a> {
    /// The ledger of `vault`, in its own store.
    pub fn open(vault: &'a Vault) -> Result<Self> {
        Ok(LedgerDocs {
            vault,
            store: open_ledger_store(&vault.paths)?,
        })
    }

    fn key(&self) -> Result<Arc<habeas_crypto::DataKey>> {
        let pair = (SYSTEM.to_string(), KEY_CATEGORY.to_string());
        let mut keys = self
            .vault
            .keys
            .get_or_create(std::slice::from_ref(&pair), &Default::default())?;
        keys.remove(&pair)
            .ok_or_else(|| EngineError::Storage("the ledger key went missing".into()))
    }

    fn open_body(
        &self,
        kind: &str,
        id: &str,
        sealed: &[u8],
    ) -> std::result::Result<Vec<u8>, DocError> {
        let key = self.key().map_err(storage)?;
        key.open(sealed, &aad(kind, id)).map_err(storage)
    }

    /// Every tombstone, in ledger order.
    pub fn all(&self) -> Result<Vec<Tombstone>> {
        TombstoneLedger::new(self, &*self.vault.clock)
            .all()
            .map_err(|e| EngineError::Storage(e.to_string()))
    }
}

impl DocStore for LedgerDocs<'_> {
    fn put_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        body: &[u8],
    ) -> std::result::Result<u64, DocError> {
        check_key(kind)?;
        check_key(id)?;
        let sealed = self
            .key()
            .map_err(storage)?
            .seal(body, &aad(kind, id))
            .map_err(storage)?;
        let unit = WriteUnit {
            ops: vec![WriteOp::PutDoc {
                kind: kind.to_string(),
                id: id.to_string(),
                expected_version,
                owner: None,
                state: None,
                body: sealed,
                at: self.vault.now(),
            }],
            journal: Vec::new(),
        };
        let mut results = self
            .store
            .commit(vec![unit], Arc::new(NoChain))
            .map_err(store_error)?;
        match results.pop() {
            Some(Ok(outcome)) => match outcome.outputs.first() {
                Some(OpOutput::Version(v)) => Ok(*v),
                _ => Err(storage("the ledger write returned no version")),
            },
            Some(Err(StoreError::Conflict { .. } | StoreError::VersionConflict { .. })) => {
                let found = self
                    .store
                    .get_doc(kind, id)
                    .map_err(storage)?
                    .map(|d| d.version);
                Err(DocError::Conflict {
                    kind: kind.to_string(),
                    id: id.to_string(),
                    expected: expected_version,
                    found,
                })
            }
            Some(Err(e)) => Err(store_error(e)),
            None => Err(storage("the ledger write returned nothing")),
        }
    }

    fn create_docs(
        &self,
        kind: &str,
        docs: &[(String, Vec<u8>)],
    ) -> std::result::Result<(), DocError> {
        check_key(kind)?;
        let key = self.key().map_err(storage)?;
        let at = self.vault.now();
        let mut ops = Vec::with_capacity(docs.len());
        for (id, body) in docs {
            check_key(id)?;
            ops.push(WriteOp::PutDoc {
                kind: kind.to_string(),
                id: id.clone(),
                expected_version: None,
                owner: None,
                state: None,
                body: key.seal(body, &aad(kind, id)).map_err(storage)?,
                at,
            });
        }
        // One unit: every document or none.
        let unit = WriteUnit {
            ops,
            journal: Vec::new(),
        };
        let mut results = self
            .store
            .commit(vec![unit], Arc::new(NoChain))
            .map_err(store_error)?;
        match results.pop() {
            Some(Ok(_)) => Ok(()),
            Some(Err(StoreError::Conflict { .. } | StoreError::VersionConflict { .. })) => {
                Err(DocError::Conflict {
                    kind: kind.to_string(),
                    id: docs.first().map(|d| d.0.clone()).unwrap_or_default(),
                    expected: None,
                    found: None,
                })
            }
            Some(Err(e)) => Err(store_error(e)),
            None => Err(storage("the ledger write returned nothing")),
        }
    }

    fn get_doc(&self, kind: &str, id: &str) -> std::result::Result<Option<Doc>, DocError> {
        match self.store.get_doc(kind, id).map_err(storage)? {
            Some(d) => Ok(Some(Doc {
                body: self.open_body(kind, id, &d.body)?,
                id: d.id,
                version: d.version,
                owner: d.owner,
                state: d.state,
            })),
            None => Ok(None),
        }
    }

    fn list_docs(&self, kind: &str) -> std::result::Result<Vec<Doc>, DocError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .list_docs(kind, after.as_deref(), PAGE)
                .map_err(storage)?;
            let full = page.len() == PAGE;
            after = page.last().map(|d| d.id.clone());
            for d in page {
                out.push(Doc {
                    body: self.open_body(kind, &d.id, &d.body)?,
                    id: d.id,
                    version: d.version,
                    owner: d.owner,
                    state: d.state,
                });
            }
            if !full {
                return Ok(out);
            }
        }
    }
}

/// The journaled name of a tombstone's kind (no value).
fn event_name(event: &TombstoneEvent) -> &'static str {
    match event {
        TombstoneEvent::Erasure { .. } => "erasure",
        TombstoneEvent::IdentifierRectification { .. } => "identifier_rectification",
        TombstoneEvent::ConsentWithdrawal { .. } => "consent_withdrawal",
    }
}

impl Vault {
    /// Write `event` to the tombstone ledger (kept apart from backups) and
    /// journal that it was recorded. Call it after every erasure (Art. 17),
    /// identifier rectification (Art. 16) and consent withdrawal (Art. 7(3)).
    pub fn record_tombstone(&self, caller: &Caller, event: TombstoneEvent) -> Result<Tombstone> {
        let docs = LedgerDocs::open(self)?;
        let entry = TombstoneLedger::new(&docs, &*self.clock)
            .record(event)
            .map_err(|e| EngineError::Storage(e.to_string()))?;
        let e = self.entry(
            caller,
            "tombstone.record",
            Some(entry.event.subject()),
            None,
            None,
            format!("event={} seq={}", event_name(&entry.event), entry.seq),
        );
        self.commit_unit(Vec::new(), &[e])?;
        Ok(entry)
    }

    /// [`Vault::record_tombstone`] for several events at once: one ledger
    /// transaction and one journal unit (an entry per event, kind and
    /// position only) — the ledger side of a batch of erasures (issue 4).
    pub fn record_tombstones(
        &self,
        caller: &Caller,
        events: Vec<TombstoneEvent>,
    ) -> Result<Vec<Tombstone>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let docs = LedgerDocs::open(self)?;
        let recorded = TombstoneLedger::new(&docs, &*self.clock)
            .record_many(events)
            .map_err(|e| EngineError::Storage(e.to_string()))?;
        let entries: Vec<_> = recorded
            .iter()
            .map(|t| {
                self.entry(
                    caller,
                    "tombstone.record",
                    Some(t.event.subject()),
                    None,
                    None,
                    format!("event={} seq={}", event_name(&t.event), t.seq),
                )
            })
            .collect();
        self.commit_unit(Vec::new(), &entries)?;
        Ok(recorded)
    }

    /// Crypto-shred a subject ([`Vault::shred`]) and record the erasure in
    /// the tombstone ledger, so a restore of an older backup erases it again.
    /// Same entries as [`Vault::shred`] then [`Vault::record_tombstone`],
    /// through the batch path with one entry ([`Vault::erase_batch`]).
    pub fn shred_recorded(&self, caller: &Caller, subject: &str) -> Result<usize> {
        let erased = self.erase_batch(caller, &[crate::erase::Erasure::subject(subject)])?;
        Ok(erased.first().map_or(0, |e| e.data_keys_destroyed))
    }

    /// [`Vault::record_tombstone`] for a consent withdrawal (Art. 7(3)), so
    /// that restoring an older backup does not bring the consent back.
    pub fn tombstone_consent_withdrawal(
        &self,
        caller: &Caller,
        subject: &str,
        purpose: &str,
    ) -> Result<Tombstone> {
        self.record_tombstone(
            caller,
            TombstoneEvent::ConsentWithdrawal {
                subject: subject.to_string(),
                purpose: purpose.to_string(),
            },
        )
    }

    /// [`Vault::record_tombstone`] for a rectified identifier (Art. 16), so
    /// that a restore writes the corrected value again.
    pub fn tombstone_rectification(
        &self,
        caller: &Caller,
        subject: &str,
        category: &str,
        record: &str,
        field: &str,
        new_value: &str,
    ) -> Result<Tombstone> {
        self.record_tombstone(
            caller,
            TombstoneEvent::IdentifierRectification {
                subject: subject.to_string(),
                category: category.to_string(),
                record: record.to_string(),
                field: field.to_string(),
                new_value: new_value.to_string(),
            },
        )
    }
}
