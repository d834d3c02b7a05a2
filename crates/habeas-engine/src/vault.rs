//! The vault (SPEC C2; issue 3 points 2–5): ingest, read, find, shred.
//!
//! Ingest: validate against the declared category (`validate.rs`), check
//! the caller's purpose, compute the retention due date, seal the fields
//! with the (subject, category) data key bound to the record's identity
//! (AAD), blind-index identifier fields, and commit records, index entries
//! and the journal entry in one transaction through the group-commit
//! [`Committer`]. High-volume categories go to the store's monthly time
//! partitions, so expiry drops a partition.
//!
//! Read: decrypt the subject's records the caller's purpose allows, and
//! answer only once the read is durably journaled.
//!
//! Storage is `habeas-store` (SQLite by default, PostgreSQL with
//! `[storage] url = "postgres://…"`): this module never writes SQL. Record
//! rectification and deletion live in `records.rs`, documents in `docs.rs`,
//! tokens, keys and journal administration in `admin.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use habeas_core::clock::Clock;
use habeas_core::declarations::{Declarations, FieldType};
use habeas_crypto::{
    Aad, BlindIndexer, IdentifierKind, JournalPublicKey, JournalSigner, KekRing, KeyDir,
    KeysConfig, Pkcs11Settings,
};
use habeas_store::{
    BlindIndexEntry, EventDates, KeyStore, Record, Store, Subject, SubjectStatus, TimedRecord,
    UnitOutcome, WriteOp, WriteUnit,
};

use crate::access::{self, Caller};
use crate::committer::{Committer, Pending};
use crate::error::{EngineError, Refusal, Result};
use crate::fields::Fields;
use crate::journal::{ChainSealer, Entry};
use crate::journaled::{Planned, Stop};
use crate::keys::{DataKeys, KekSource};
use crate::seal_plan::SealPlan;
use crate::subject_refs::SubjectRefs;
use crate::validate::{self, RecordInput, ValidRecord};

/// Where a vault's data and keys live.
#[derive(Debug, Clone)]
pub struct VaultPaths {
    /// The SQLite data database (records, blind indexes, journal, tokens).
    pub data_db: PathBuf,
    /// The SQLite key store, in its own directory, outside the data directory.
    pub key_db: PathBuf,
    /// The key directory (KEK, blind-index key, journal signing key); with
    /// [`KeySource::Pkcs11`] it holds the blind-index and journal keys only,
    /// with [`KeySource::Env`] it is not used.
    pub key_dir: PathBuf,
    /// Where the keys come from (`[keys] provider` of `habeas.toml`).
    pub keys: KeySource,
    /// PostgreSQL instead of the two SQLite files: the data and key-store
    /// URLs (distinct schemas or databases).
    pub postgres: Option<PgUrls>,
}

/// The PostgreSQL locations of a vault. The key store must not share the
/// data schema: a dump of the data then never carries the wrapped keys.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrls {
    pub data: String,
    pub keys: String,
}

impl std::fmt::Debug for PgUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // URLs may hold a password.
        f.write_str("PgUrls(…)")
    }
}

/// Where a vault's keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// Every key is a file of the key directory (`provider = "file"`), which
    /// is created with fresh keys on first use; `habeas keys rotate` works.
    Dir,
    /// Every key from the environment (`provider = "env"`): the KEK in
    /// `variable`, the blind-index key in `<variable>_BLIND_INDEX`, the
    /// journal signing seed in `<variable>_JOURNAL_SIGNING` (standard base64
    /// of 32 bytes each; see [`KeysConfig::for_env`]).
    Env { variable: String },
    /// The KEK is an AES key on a PKCS#11 token (`provider = "pkcs11"`); the
    /// blind-index and journal signing keys stay files of the key directory,
    /// since they are used in process (HMAC, Ed25519). `retired_labels` are
    /// earlier token keys that still unwrap until `habeas keys rotate` has
    /// rewrapped every data key under `token.key_label`.
    Pkcs11 {
        token: Pkcs11Settings,
        retired_labels: Vec<String>,
    },
}

impl VaultPaths {
    /// The default layout of a project: `data/habeas.db`, `keystore/keys.db`, `keys/`.
    pub fn in_project(dir: &Path) -> VaultPaths {
        VaultPaths {
            data_db: dir.join("data").join("habeas.db"),
            key_db: dir.join("keystore").join("keys.db"),
            key_dir: dir.join("keys"),
            keys: KeySource::Dir,
            postgres: None,
        }
    }
}

/// What a write returns.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Receipt {
    pub subject: String,
    pub record: String,
    pub category: String,
    /// When the record becomes due for erasure; `None` while its anchor event has not happened.
    pub due_at: Option<DateTime<Utc>>,
}

/// A decrypted record.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordView {
    pub id: String,
    pub category: String,
    /// Read like a map; written out as the JSON text it was sealed as.
    pub fields: Fields,
    pub source: String,
    pub purposes: Vec<String>,
    #[serde(serialize_with = "crate::json_time::rfc3339")]
    pub collected_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::json_time::rfc3339_opt")]
    pub due_at: Option<DateTime<Utc>>,
}

/// A subject's records as one caller may see them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectView {
    pub subject: String,
    pub kind: String,
    pub status: String,
    pub records: Vec<RecordView>,
    /// Categories the subject has data in that this caller's purpose does not cover.
    pub withheld: Vec<String>,
}

/// One line of a bulk write.
#[derive(Debug, Clone)]
pub struct BulkLine {
    /// 1-based line number, for errors.
    pub line: u64,
    pub input: RecordInput,
}

/// The outcome of a bulk write.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BulkReceipt {
    pub written: u64,
    /// Subjects created for `subject_ref` values of this batch (ref → id).
    pub created_subjects: BTreeMap<String, String>,
    /// Records written without a retention due date because their
    /// category's rule runs from an event they do not date (a contract's
    /// end …), by category: they wait for `POST /api/subjects/{id}/events`.
    pub waiting_for_event: BTreeMap<String, u64>,
}

/// A bulk write queued to the committer; [`PendingBulk::wait`] returns once it is durable.
pub struct PendingBulk {
    answer: Pending,
    receipt: BulkReceipt,
}

impl PendingBulk {
    /// Wait for the commit; the receipt only once the batch is durable.
    pub fn wait(self) -> Result<BulkReceipt> {
        self.answer.wait()?;
        Ok(self.receipt)
    }
}

pub(crate) struct Prepared {
    pub(crate) subject: String,
    pub(crate) record: String,
    pub(crate) valid: ValidRecord,
}

/// The sealed content of a high-volume row: the store keeps only id,
/// subject, category, time and sealed bytes for those, so the metadata a
/// [`RecordView`] shows travels inside the ciphertext. Written with the
/// fields as a map, read with them kept as JSON text ([`Fields`]).
#[derive(serde::Serialize, serde::Deserialize)]
struct TimedPayload<F> {
    fields: F,
    source: String,
    purposes: Vec<String>,
    due_at: Option<DateTime<Utc>>,
}

/// The key version written with new ciphertexts (one data-key generation so far).
pub(crate) const KEY_VERSION: u32 = 1;

/// Subject states that may receive new data (Art. 18 restriction still allows storage).
const WRITABLE: [SubjectStatus; 2] = [SubjectStatus::Active, SubjectStatus::Restricted];

/// The vault: one per process, shared by the CLI and the HTTP server.
pub struct Vault {
    pub(crate) decls: Arc<Declarations>,
    pub(crate) paths: VaultPaths,
    pub(crate) committer: Committer,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) keys: DataKeys,
    pub(crate) indexer: BlindIndexer,
    pub(crate) public: JournalPublicKey,
    pub(crate) clock: Arc<dyn Clock>,
    /// `[consent] missing` (limits.rs): refuse by default.
    pub(crate) missing_consent: habeas_core::rights::policy::MissingConsent,
}

/// The blind-index kind stored for an identifier of `category`: entries are
/// per category so a lookup searches only categories the caller may use.
pub(crate) fn index_key(category: &str, index_kind: &str) -> String {
    format!("{category}/{index_kind}")
}

impl Vault {
    /// Open (creating on first use) the vault at `paths`. A missing key
    /// directory is created with fresh keys (0700/0600), refusing a key
    /// directory inside the data directory. With [`KeySource::Env`] every
    /// key comes from the environment and nothing is created; with
    /// [`KeySource::Pkcs11`] the KEK must already be on the token.
    pub fn open(paths: VaultPaths, decls: Declarations, clock: Arc<dyn Clock>) -> Result<Vault> {
        let data_dir = paths
            .data_db
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        if paths.postgres.is_none()
            && let Some(key_db_dir) = paths.key_db.parent()
        {
            habeas_crypto::ensure_outside(key_db_dir, &data_dir).map_err(|_| {
                EngineError::Config(format!(
                    "the key store {} must not be inside the data directory {} (a data backup would carry the keys)",
                    paths.key_db.display(),
                    data_dir.display()
                ))
            })?;
        }
        let (indexer, signer, public, kek, ring) = open_keys(&paths, &data_dir)?;
        let (store, key_store): (Arc<dyn Store>, Box<dyn KeyStore>) = match &paths.postgres {
            Some(pg) => {
                if pg.data == pg.keys {
                    return Err(EngineError::Config(
                        "the PostgreSQL key store must not be the data store: give it its own schema or database"
                            .into(),
                    ));
                }
                (
                    Arc::new(habeas_store::postgres::PgStore::open(&pg.data)?),
                    Box::new(habeas_store::postgres::PgKeyStore::open(&pg.keys)?),
                )
            }
            None => (
                Arc::new(habeas_store::sqlite::SqliteStore::open(&paths.data_db)?),
                Box::new(habeas_store::sqlite::SqliteKeyStore::open(&paths.key_db)?),
            ),
        };
        // SQLite's writer thread groups concurrent commits itself (committer.rs).
        let mode = if paths.postgres.is_some() {
            crate::committer::Mode::Grouped
        } else {
            crate::committer::Mode::Direct
        };
        let committer =
            Committer::start(Arc::clone(&store), Arc::new(ChainSealer::new(signer)), mode)?;
        let keys = DataKeys::new(key_store, kek, ring)?;
        Ok(Vault {
            decls: Arc::new(decls),
            paths,
            committer,
            store,
            keys,
            indexer,
            public,
            clock,
            missing_consent: Default::default(),
        })
    }

    pub fn declarations(&self) -> &Declarations {
        &self.decls
    }

    pub fn paths(&self) -> &VaultPaths {
        &self.paths
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn entry(
        &self,
        caller: &Caller,
        action: &str,
        subject: Option<&str>,
        category: Option<&str>,
        purpose: Option<&str>,
        outcome: String,
    ) -> Entry {
        Entry {
            at: self.now().timestamp_millis(),
            actor: caller.actor.clone(),
            action: action.to_string(),
            subject: subject.map(str::to_string),
            category: category.map(str::to_string),
            purpose: purpose
                .map(str::to_string)
                .or_else(|| caller.purpose.clone()),
            outcome,
        }
    }

    /// Commit `ops` with `entries` durably, in one transaction.
    pub(crate) fn commit_unit(&self, ops: Vec<WriteOp>, entries: &[Entry]) -> Result<UnitOutcome> {
        self.committer.submit(WriteUnit {
            ops,
            journal: entries.iter().map(Entry::draft).collect(),
        })
    }

    /// Journal an administrative action (token, key, import summary).
    pub fn journal_admin(&self, caller: &Caller, action: &str, outcome: String) -> Result<()> {
        let e = self.entry(caller, action, None, None, None, outcome);
        self.commit_unit(Vec::new(), &[e]).map(|_| ())
    }

    /// Check the caller may use `category`; a refusal is journaled durably
    /// before it is returned (Art. 5(2), SPEC C6 "refused and alerted").
    pub(crate) fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        subject: Option<&str>,
        category: &str,
    ) -> Result<String> {
        self.authorize_or_stop(caller, action, subject, category)
            .map_err(|stop| self.settle_now(stop))
    }

    /// [`Vault::authorize`] with the refusal's journal entry handed back
    /// instead of committed ([`Stop::Refused`]).
    pub(crate) fn authorize_or_stop(
        &self,
        caller: &Caller,
        action: &str,
        subject: Option<&str>,
        category: &str,
    ) -> Result<String, Stop> {
        caller.authorize(&self.decls, category).map_err(|refusal| {
            let e = self.entry(
                caller,
                "refused",
                subject,
                Some(category),
                None,
                format!("{action} denied: {}", refusal.code),
            );
            Stop::refused(vec![e], EngineError::Forbidden(refusal))
        })
    }

    fn new_subject(&self, id: &str, kind: &str, now: DateTime<Utc>) -> Subject {
        Subject {
            id: id.to_string(),
            kind: kind.to_string(),
            status: SubjectStatus::Active,
            created_at: now,
            closed_at: None,
            grace_until: None,
            erased_at: None,
        }
    }

    /// Create a data subject of a declared kind (default: the first declared).
    pub fn create_subject(&self, caller: &Caller, kind: Option<&str>) -> Result<String> {
        let kind = self.subject_kind(kind)?;
        let id = access::new_id("sub_")?;
        let e = self.entry(
            caller,
            "subject.create",
            Some(&id),
            None,
            None,
            format!("kind={kind}"),
        );
        let subject = self.new_subject(&id, &kind, self.now());
        self.commit_unit(vec![WriteOp::CreateSubject(subject)], &[e])?;
        Ok(id)
    }

    fn subject_kind(&self, kind: Option<&str>) -> Result<String> {
        let declared: Vec<&str> = self
            .decls
            .subjects
            .keys()
            .map(|k| k.get_ref().as_str())
            .collect();
        match kind {
            Some(k) if declared.contains(&k) => Ok(k.to_string()),
            Some(k) => Err(EngineError::invalid(
                "unknown_subject_kind",
                format!(
                    "type de personne « {k} » non déclaré ; types déclarés : {}",
                    declared.join(", ")
                ),
                format!(
                    "subject kind `{k}` is not declared; declared kinds: {}",
                    declared.join(", ")
                ),
            )),
            None => declared.first().map(|s| s.to_string()).ok_or_else(|| {
                EngineError::Config("the declarations declare no subject category".into())
            }),
        }
    }

    fn prepare(
        &self,
        caller: &Caller,
        subject: &str,
        input: RecordInput,
        now: DateTime<Utc>,
    ) -> Result<Prepared, Stop> {
        let valid = validate::validate(&self.decls, input, now)?;
        self.authorize_or_stop(caller, "write", Some(subject), &valid.category)?;
        Ok(Prepared {
            subject: subject.to_string(),
            record: access::new_id("rec_")?,
            valid,
        })
    }

    /// Write one record for an existing subject.
    pub fn write(&self, caller: &Caller, subject: &str, input: RecordInput) -> Result<Receipt> {
        let (unit, receipt) = self
            .plan_write(caller, subject, input)
            .map_err(|stop| self.settle_now(stop))?;
        // Waited for here: straight to the store where it groups commits
        // itself (SQLite), one thread hop less than the queue.
        self.committer.submit(unit)?;
        Ok(receipt)
    }

    /// A single-record write's unit and receipt ([`Vault::write`],
    /// [`Vault::write_begin`]).
    pub(crate) fn plan_write(
        &self,
        caller: &Caller,
        subject: &str,
        input: RecordInput,
    ) -> Result<(WriteUnit, Receipt), Stop> {
        let now = self.now();
        let p = self.prepare(caller, subject, input, now)?;
        let receipt = Receipt {
            subject: p.subject.clone(),
            record: p.record.clone(),
            category: p.valid.category.clone(),
            due_at: p.valid.due_at,
        };
        Ok((self.sealed_unit(caller, vec![p], Vec::new(), now)?, receipt))
    }

    /// After a bulk load (an import, a restore): let the store's query
    /// planner see what was loaded ([`habeas_store::Store::refresh_statistics`];
    /// `ANALYZE` on PostgreSQL, nothing on SQLite). No personal data is read
    /// out, so nothing is journaled.
    pub fn refresh_statistics(&self) -> Result<()> {
        Ok(self.store.refresh_statistics()?)
    }

    /// Write many records at once, all or nothing: every line is validated
    /// and authorized before anything is written. Lines name an existing
    /// `subject`, or a `subject_ref` local to the batch that creates a subject.
    pub fn write_bulk(&self, caller: &Caller, lines: Vec<BulkLine>) -> Result<BulkReceipt> {
        self.write_bulk_with_refs(caller, lines, &mut SubjectRefs::new())
    }

    /// [`Vault::write_bulk`] across several batches of one import: `known`
    /// maps the `subject_ref`s of earlier batches to their subjects and
    /// receives the ones this batch creates (only if it commits).
    pub fn write_bulk_with_refs(
        &self,
        caller: &Caller,
        lines: Vec<BulkLine>,
        known: &mut SubjectRefs,
    ) -> Result<BulkReceipt> {
        let pending = self.write_bulk_begin(caller, lines, known)?;
        let created: Vec<String> = pending.receipt.created_subjects.keys().cloned().collect();
        match pending.wait() {
            Ok(receipt) => Ok(receipt),
            Err(e) => {
                known.forget(created.iter().map(String::as_str));
                Err(e)
            }
        }
    }

    /// The first half of a bulk write, for pipelined imports: validate,
    /// authorize, seal and index `lines`, queue them to the committer and
    /// return at once, so the caller can prepare the next batch while this
    /// one commits. The subjects this batch creates are added to `known`
    /// right away (a later batch may name them); if this batch then fails,
    /// the import must stop — a later batch naming its subjects fails too,
    /// as they do not exist.
    pub fn write_bulk_begin(
        &self,
        caller: &Caller,
        lines: Vec<BulkLine>,
        known: &mut SubjectRefs,
    ) -> Result<PendingBulk> {
        self.write_bulk_queued(caller, lines, known, None)
    }

    /// [`Vault::write_bulk_begin`], the unit possibly sharing its store
    /// transaction with the other units of `link`'s chain
    /// ([`crate::BulkChain`], which decides the grouping).
    pub(crate) fn write_bulk_queued(
        &self,
        caller: &Caller,
        lines: Vec<BulkLine>,
        known: &mut SubjectRefs,
        link: Option<habeas_store::Link>,
    ) -> Result<PendingBulk> {
        let now = self.now();
        let mut created: BTreeMap<String, String> = BTreeMap::new();
        let mut new_subjects = Vec::new();
        let mut prepared = Vec::with_capacity(lines.len());
        let default_kind = self.subject_kind(None)?;
        let mut resolved = Vec::with_capacity(lines.len());
        for BulkLine { line, mut input } in lines {
            let subject = match (input.subject.take(), input.subject_ref.take()) {
                (Some(s), None) => s,
                (None, Some(r)) => match known.get(&r).or_else(|| created.get(&r).cloned()) {
                    Some(id) => id,
                    None => {
                        let id = access::new_id("sub_")?;
                        created.insert(r, id.clone());
                        new_subjects.push((id.clone(), default_kind.clone()));
                        id
                    }
                },
                _ => {
                    return Err(EngineError::invalid(
                        "subject_required",
                        "chaque ligne doit porter soit « subject » (sub_…), soit « subject_ref » (référence locale au lot)",
                        "each line needs either `subject` (sub_…) or `subject_ref` (a reference local to the batch)",
                    )
                    .at_line(line));
                }
            };
            resolved.push((line, subject, input));
        }
        // Validation (the costliest per-line step: types, phone parsing) is
        // pure, so it runs on every core; the outcomes are then taken in line
        // order, so the first failing line is reported (and a refusal
        // journaled) exactly as a line-by-line pass would.
        let checked = par_map(resolved, |(line, subject, input)| {
            Ok((
                line,
                subject,
                validate::validate(&self.decls, input, now),
                access::new_id("rec_"),
            ))
        })?;
        for (line, subject, valid, record) in checked {
            let valid = valid.map_err(|e| e.at_line(line))?;
            self.authorize(caller, "write", Some(&subject), &valid.category)
                .map_err(|e| e.at_line(line))?;
            prepared.push(Prepared {
                subject,
                record: record?,
                valid,
            });
        }
        let written = prepared.len() as u64;
        // On the bulk path: no allocation per record (a migration of
        // contacts waits for every contract's end).
        let mut waiting_for_event: BTreeMap<String, u64> = BTreeMap::new();
        for p in prepared.iter().filter(|p| p.valid.due_at.is_none()) {
            let category = &p.valid.category;
            if let Some(n) = waiting_for_event.get_mut(category) {
                *n += 1;
            } else if self
                .decls
                .category(category)
                .is_some_and(|c| c.retention_rule().is_some())
            {
                waiting_for_event.insert(category.clone(), 1);
            }
        }
        let unit = self
            .sealed_unit(caller, prepared, new_subjects, now)
            .map_err(|stop| self.settle_now(stop))?;
        // Known before the unit is queued: a refusal here has written nothing.
        known.extend(&created)?;
        let queued = match link {
            Some(link) => self.committer.submit_linked(unit, link),
            None => self.committer.submit_nowait(unit),
        };
        let answer = queued.inspect_err(|_| known.forget(created.keys().map(String::as_str)))?;
        Ok(PendingBulk {
            answer,
            receipt: BulkReceipt {
                written,
                created_subjects: created,
                waiting_for_event,
            },
        })
    }

    /// Check one input line without writing anything (first pass of an
    /// import): declared category and fields, types, purposes, caller scope,
    /// and that a named subject exists.
    pub fn check_input(&self, caller: &Caller, input: &RecordInput) -> Result<()> {
        let valid = validate::validate(&self.decls, input.clone(), self.now())?;
        caller
            .authorize(&self.decls, &valid.category)
            .map_err(EngineError::Forbidden)?;
        match (&input.subject, &input.subject_ref) {
            (Some(s), None) => {
                self.subject_row(s)?;
                Ok(())
            }
            (None, Some(_)) => Ok(()),
            _ => Err(EngineError::invalid(
                "subject_required",
                "chaque ligne doit porter soit « subject » (sub_…), soit « subject_ref »",
                "each line needs either `subject` (sub_…) or `subject_ref`",
            )),
        }
    }

    /// The blind-index entries of `identifiers` for one record.
    pub(crate) fn index_entries(
        &self,
        subject: &str,
        category: &str,
        identifiers: &[(String, String)],
    ) -> Result<Vec<BlindIndexEntry>> {
        identifiers
            .iter()
            .map(|(kind, value)| {
                Ok(BlindIndexEntry {
                    kind: index_key(category, kind),
                    digest: self
                        .indexer
                        .index(&IdentifierKind::new(kind)?, value)?
                        .0
                        .to_vec(),
                    subject_id: subject.to_string(),
                })
            })
            .collect()
    }

    /// The stored form of a validated record, sealed with `dek`.
    pub(crate) fn sealed_record(
        &self,
        p: &Prepared,
        dek: &habeas_crypto::DataKey,
        now: DateTime<Utc>,
    ) -> Result<Record> {
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(&p.valid.fields).map_err(|e| EngineError::Storage(e.to_string()))?,
        );
        let aad = Aad::record_field(&p.subject, &p.valid.category, &p.record, "fields");
        let ev = &p.valid.events;
        Ok(Record {
            id: p.record.clone(),
            subject_id: p.subject.clone(),
            category: p.valid.category.clone(),
            collected_at: ev.collected_at.unwrap_or(now),
            source_channel: p.valid.source.clone(),
            purposes: p.valid.purposes.clone(),
            events: EventDates {
                last_interaction: ev.last_interaction,
                contract_end: ev.contract_end,
                account_closure: ev.account_closure,
                custom: ev.events.clone(),
            },
            incident_linked: ev.incident_linked,
            retention_due: p.valid.due_at,
            sealed: dek.seal(&plain, &aad)?,
            key_version: KEY_VERSION,
        })
    }

    fn sealed_timed(
        &self,
        p: Prepared,
        row_key: &crate::timed_keys::RowKey,
        now: DateTime<Utc>,
    ) -> Result<TimedRecord> {
        let collected_at = p.valid.events.collected_at.unwrap_or(now);
        let payload = TimedPayload {
            fields: p.valid.fields,
            source: p.valid.source,
            purposes: p.valid.purposes,
            due_at: p.valid.due_at,
        };
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(&payload).map_err(|e| EngineError::Storage(e.to_string()))?,
        );
        let aad = Aad::record_field(&p.subject, &p.valid.category, &p.record, "timed");
        Ok(TimedRecord {
            sealed: row_key.seal(&plain, &aad)?,
            id: p.record,
            subject_id: p.subject,
            category: p.valid.category,
            collected_at,
            key_version: crate::timed_keys::TIMED_KEY_VERSION,
        })
    }

    /// The vault unit of a write: records sealed, identifiers indexed,
    /// limits checked, one journal entry per (subject, category).
    fn sealed_unit(
        &self,
        caller: &Caller,
        prepared: Vec<Prepared>,
        new_subjects: Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<WriteUnit, Stop> {
        let mut pairs: Vec<(String, String)> = prepared
            .iter()
            .map(|p| (p.subject.clone(), p.valid.category.clone()))
            .collect();
        pairs.sort();
        pairs.dedup();
        let fresh: BTreeSet<&str> = new_subjects.iter().map(|(id, _)| id.as_str()).collect();
        let deks = self.keys.get_or_create(&pairs, &fresh)?;
        let mut existing: BTreeSet<String> = BTreeSet::new();
        let mut groups: BTreeMap<(String, String), u64> = BTreeMap::new();
        for p in &prepared {
            if !fresh.contains(p.subject.as_str()) {
                existing.insert(p.subject.clone());
            }
            *groups
                .entry((p.subject.clone(), p.valid.category.clone()))
                .or_insert(0) += 1;
        }
        let missing_key =
            || EngineError::Storage("a data key went missing during the write".into());
        // Each distinct row key derived, each distinct set of identifiers
        // indexed, once per batch (`seal_plan`); the months' partition keys
        // are those of the distinct row keys.
        let SealPlan {
            row_keys: wanted,
            records: plan,
        } = SealPlan::of(&prepared, now);
        let parts = crate::timed_keys::PartitionKeys::for_write(
            &self.keys,
            wanted.iter().map(|(_, category, at)| (*category, *at)),
        )?;
        // Deriving row keys, sealing and blind-indexing are independent: every core.
        let row_keys = par_map(wanted, |(subject, category, at)| {
            let dek = deks
                .get(&(subject.to_string(), category.to_string()))
                .ok_or_else(missing_key)?;
            parts.row_key(dek, subject, category, at)
        })?;
        let sealed = par_map(
            prepared.into_iter().zip(plan).collect(),
            |(p, (slot, index_it))| {
                let index = if index_it {
                    self.index_entries(&p.subject, &p.valid.category, &p.valid.identifiers)?
                } else {
                    Vec::new()
                };
                let row = match slot {
                    Some(k) => Sealed::Timed(self.sealed_timed(p, &row_keys[k], now)?),
                    None => {
                        let pair = (p.subject.clone(), p.valid.category.clone());
                        let dek = deks.get(&pair).ok_or_else(missing_key)?;
                        Sealed::Record(self.sealed_record(&p, dek, now)?)
                    }
                };
                Ok((row, index))
            },
        )?;
        let mut records = Vec::with_capacity(sealed.len());
        let mut timed = Vec::new();
        let mut index = Vec::with_capacity(sealed.len());
        for (row, entries) in sealed {
            match row {
                Sealed::Record(r) => records.push(r),
                Sealed::Timed(t) => timed.push(t),
            }
            index.extend(entries);
        }
        // One entry per (subject, category) of the batch, not per record; a
        // subject the batch creates is recorded in its first write entry
        // (`created kind=…`) rather than in an entry of its own.
        let mut kinds: BTreeMap<&str, &str> = new_subjects
            .iter()
            .map(|(id, kind)| (id.as_str(), kind.as_str()))
            .collect();
        let entries: Vec<Entry> = groups
            .into_iter()
            .map(|((subject, category), n)| {
                let purpose = caller.authorize(&self.decls, &category).ok();
                let outcome = match kinds.remove(subject.as_str()) {
                    Some(kind) => format!("records={n} created kind={kind}"),
                    None => format!("records={n}"),
                };
                self.entry(
                    caller,
                    "write",
                    Some(&subject),
                    Some(&category),
                    purpose.as_deref(),
                    outcome,
                )
            })
            .collect();
        let mut ops: Vec<WriteOp> = new_subjects
            .iter()
            .map(|(id, kind)| WriteOp::CreateSubject(self.new_subject(id, kind, now)))
            .collect();
        // Art. 18, 21, 7(3): an existing subject's limits are checked once per
        // (subject, category) of the batch; subjects the batch creates have none.
        let mut checked: BTreeMap<&str, Option<crate::limits::SubjectLimits>> = BTreeMap::new();
        for (subject, category) in &pairs {
            if fresh.contains(subject.as_str()) {
                continue;
            }
            let Ok(purpose) = caller.authorize(&self.decls, category) else {
                continue;
            };
            let limits = checked.entry(subject.as_str()).or_default();
            self.limits_or_stop(caller, "write", subject, category, &purpose, limits)?;
        }
        // Checked inside the transaction: a subject erased meanwhile gets nothing.
        ops.extend(existing.into_iter().map(|id| WriteOp::RequireSubject {
            id,
            statuses: WRITABLE.to_vec(),
        }));
        if !records.is_empty() {
            ops.push(WriteOp::InsertRecords(records));
        }
        if !timed.is_empty() {
            ops.push(WriteOp::InsertTimed(timed));
        }
        if !index.is_empty() {
            ops.push(WriteOp::PutBlindIndexes(index));
        }
        Ok(WriteUnit {
            ops,
            journal: entries.iter().map(Entry::draft).collect(),
        })
    }

    /// Refuse what concerns `subject` unless the vault knows it — a
    /// mistyped id would otherwise start a consent ledger about no one — and,
    /// with `new_data` (a consent given, an import's line matched to it),
    /// unless it may still receive data: nothing new is collected about a
    /// closed or erased subject (Art. 5(1)(c), Art. 17). A withdrawal, a
    /// state or a proof stay open to every known subject (Art. 7(1), 7(3)).
    /// Reads only the subject's status, which is not a personal value:
    /// nothing is journaled.
    pub fn check_subject(&self, subject: &str, new_data: bool) -> Result<()> {
        let row = self.subject_row(subject)?;
        if new_data && !WRITABLE.contains(&row.status) {
            return Err(habeas_store::StoreError::SubjectState {
                id: row.id,
                status: row.status,
            }
            .into());
        }
        Ok(())
    }

    pub(crate) fn subject_row(&self, subject: &str) -> Result<Subject> {
        self.store.get_subject(subject)?.ok_or_else(|| {
            EngineError::NotFound(Refusal::new(
                "unknown_subject",
                "personne concernée inconnue",
                "unknown data subject",
            ))
        })
    }

    /// A subject's stored rows by category: ordinary records and
    /// high-volume rows, each as (id, sealed, metadata) ready to open.
    ///
    /// With `category`, only that category's rows are read: a read of one
    /// ordinary category does not scan the subject's other records nor the
    /// high-volume partitions (one store query instead of several).
    pub(crate) fn stored_rows(
        &self,
        subject: &str,
        category: Option<&str>,
    ) -> Result<BTreeMap<String, Vec<Stored>>> {
        let mut out: BTreeMap<String, Vec<Stored>> = BTreeMap::new();
        let high_volume = match category {
            Some(c) => self.decls.category(c).is_some_and(|d| d.high_volume),
            None => self.decls.categories.values().any(|c| c.high_volume),
        };
        let ordinary = category.is_none() || !high_volume;
        if let (true, Some(c)) = (ordinary, category) {
            // One category: its rows in one vector sized once.
            let rows = self.store.subject_records(subject, category)?;
            if !rows.is_empty() {
                out.insert(
                    c.to_string(),
                    rows.into_iter().map(Stored::Record).collect(),
                );
            }
        } else if ordinary {
            for r in self.store.subject_records(subject, None)? {
                // The category's name is copied once per category, not per row.
                match out.get_mut(r.category.as_str()) {
                    Some(rows) => rows.push(Stored::Record(r)),
                    None => {
                        out.insert(r.category.clone(), vec![Stored::Record(r)]);
                    }
                }
            }
        }
        if high_volume {
            let only: Vec<String> = category.map(str::to_string).into_iter().collect();
            for t in self.store.subject_timed(subject, &only)? {
                out.entry(t.category.clone())
                    .or_default()
                    .push(Stored::Timed(t));
            }
        }
        Ok(out)
    }

    /// Read a subject's records (all the caller may see, or one category —
    /// which is how a subject's records of one category are listed).
    /// Returns only after the read is durably journaled.
    pub fn read(
        &self,
        caller: &Caller,
        subject: &str,
        category: Option<&str>,
    ) -> Result<SubjectView> {
        self.answer_now(self.plan_read(caller, subject, category))
    }

    /// A read's records and the journal entries to commit before they are
    /// answered ([`Vault::read`], [`Vault::read_begin`]). Refusals of the
    /// categories withheld for the subject's limits come first among them.
    pub(crate) fn plan_read(
        &self,
        caller: &Caller,
        subject: &str,
        category: Option<&str>,
    ) -> Planned<SubjectView> {
        let row = self.subject_row(subject)?;
        let mut stored = self.stored_rows(subject, category)?;
        let mut allowed: Vec<(String, String)> = Vec::new();
        let mut withheld = Vec::new();
        let mut refusals = Vec::new();
        match category {
            Some(c) => {
                if self.decls.category(c).is_none() {
                    return Err(EngineError::Invalid(
                        Refusal::new(
                            "unknown_category",
                            format!("catégorie « {c} » non déclarée"),
                            format!("category `{c}` is not declared"),
                        )
                        .category(c),
                    )
                    .into());
                }
                let purpose = self.authorize_or_stop(caller, "read", Some(subject), c)?;
                self.limits_or_stop(caller, "read", subject, c, &purpose, &mut None)?;
                allowed.push((c.to_string(), purpose));
            }
            None => {
                let mut limits = None;
                let mut limited = None;
                for c in stored.keys() {
                    match caller.authorize(&self.decls, c) {
                        Ok(purpose) => {
                            // Art. 18, 21, 7(3): a limited purpose sees nothing of it.
                            match self.limits_or_stop(
                                caller,
                                "read",
                                subject,
                                c,
                                &purpose,
                                &mut limits,
                            ) {
                                Ok(()) => allowed.push((c.clone(), purpose)),
                                Err(Stop::Refused(r)) => {
                                    withheld.push(c.clone());
                                    refusals.extend(r.entries);
                                    limited.get_or_insert(r.error);
                                }
                                Err(e) => return Err(Stop::after(refusals, e)),
                            }
                        }
                        Err(_) => withheld.push(c.clone()),
                    }
                }
                if allowed.is_empty()
                    && let Some(e) = limited
                {
                    return Err(Stop::refused(refusals, e));
                }
                if allowed.is_empty() && !withheld.is_empty() {
                    return Err(self
                        .authorize_or_stop(caller, "read", Some(subject), &withheld[0])
                        .err()
                        .unwrap_or_else(|| {
                            EngineError::Storage("authorization changed during the read".into())
                                .into()
                        }));
                }
            }
        }
        let opened = self.open_allowed(caller, subject, &allowed, &mut stored);
        let (records, mut entries) = match opened {
            Ok(opened) => opened,
            Err(e) => return Err(Stop::after(refusals, e.into())),
        };
        if entries.is_empty() {
            entries.push(self.entry(
                caller,
                "read",
                Some(subject),
                None,
                None,
                "records=0".into(),
            ));
        }
        refusals.append(&mut entries);
        Ok((
            refusals,
            SubjectView {
                subject: subject.to_string(),
                kind: row.kind,
                status: row.status.as_str().to_string(),
                records,
                withheld,
            },
        ))
    }

    /// The allowed categories' rows opened, with one read entry per category.
    pub(crate) fn open_allowed(
        &self,
        caller: &Caller,
        subject: &str,
        allowed: &[(String, String)],
        stored: &mut BTreeMap<String, Vec<Stored>>,
    ) -> Result<(Vec<RecordView>, Vec<Entry>)> {
        let mut records = Vec::with_capacity(
            allowed
                .iter()
                .filter_map(|(c, _)| stored.get(c).map(Vec::len))
                .sum(),
        );
        let mut entries = Vec::new();
        for (c, purpose) in allowed {
            let rows = stored.remove(c).unwrap_or_default();
            let n = rows.len();
            let mut opened = n;
            if n > 0 {
                match self.keys.get(subject, c)? {
                    Some(dek) => {
                        let mut row_keys = crate::timed_keys::RowKeys::new(
                            &self.keys,
                            subject,
                            c,
                            Arc::clone(&dek),
                        );
                        for r in rows {
                            let key = match &r {
                                Stored::Record(_) => Some(Arc::clone(&dek)),
                                Stored::Timed(t) => {
                                    row_keys.key_for(t.key_version, t.collected_at, &t.sealed)?
                                }
                            };
                            match key {
                                Some(key) => records.push(r.open(subject, c, &key)?),
                                // Its month expired (partition key destroyed):
                                // the row waits for its table's drop, unreadable.
                                None => opened -= 1,
                            }
                        }
                    }
                    // A high-volume category erased on its own (Art. 17):
                    // its key is destroyed and, since the erasure deletes
                    // its rows too, only rows erased before that change
                    // (they waited in their partitions for expiry) or rows
                    // read between the key's destruction and the rows'
                    // deletion get here. They can never be opened again and
                    // are not the subject's data any more; the rest of the
                    // subject stays readable.
                    None if self.decls.category(c).is_some_and(|d| d.high_volume) => opened = 0,
                    None => return Err(shredded(c)),
                }
            }
            entries.push(self.entry(
                caller,
                "read",
                Some(subject),
                Some(c),
                Some(purpose),
                format!("records={opened}"),
            ));
        }
        Ok((records, entries))
    }

    /// Find subjects by an identifier (`email`, `phone`, or a declared
    /// identifier field such as `account_id`), through the blind index.
    /// Only categories the caller's purpose covers are searched.
    pub fn find(&self, caller: &Caller, kind: &str, value: &str) -> Result<Vec<String>> {
        self.answer_now(self.plan_find(caller, kind, value))
    }

    /// Many lookups, each as [`Vault::find`] answers it, their journal
    /// entries committed in one unit: a lookup costs no commit (no sync) of
    /// its own — an import matching its references to existing subjects
    /// ([`crate::match_existing`]) makes one per identifier. A refused
    /// lookup stops the batch; the entries of those made before it are
    /// committed with its refusal.
    pub fn find_many(
        &self,
        caller: &Caller,
        queries: &[(String, String)],
    ) -> Result<Vec<Vec<String>>> {
        let mut entries = Vec::new();
        let mut answers = Vec::with_capacity(queries.len());
        for (kind, value) in queries {
            match self.plan_find(caller, kind, value) {
                Ok((planned, found)) => {
                    entries.extend(planned);
                    answers.push(found);
                }
                Err(stop) => {
                    self.commit_unit(Vec::new(), &entries)?;
                    return Err(self.settle_now(stop));
                }
            }
        }
        self.commit_unit(Vec::new(), &entries)?;
        Ok(answers)
    }

    /// A find's subjects and the journal entries to commit before they are
    /// answered ([`Vault::find`], [`Vault::find_begin`]).
    pub(crate) fn plan_find(
        &self,
        caller: &Caller,
        kind: &str,
        value: &str,
    ) -> Planned<Vec<String>> {
        let (index_kind, normalised, field) = self.normalise_identifier(kind, value)?;
        let categories: Vec<&str> = self
            .decls
            .categories
            .iter()
            .filter(|(_, c)| {
                c.identifiers.iter().any(|f| {
                    field.is_none_or(|only| only == f.get_ref())
                        && c.field(f.get_ref())
                            .is_some_and(|t| validate::index_kind(t, f.get_ref()) == index_kind)
                })
            })
            .map(|(n, _)| n.get_ref().as_str())
            .collect();
        if categories.is_empty() {
            // E.g. `phone` when no category lists a phone field among its
            // `identifiers`: nothing is indexed under it, so nothing to
            // authorise either — say which kinds a lookup can use.
            let kinds = self.indexed_kinds();
            return Err(EngineError::Invalid(
                Refusal::new(
                    "identifier_not_indexed",
                    format!(
                        "aucune catégorie déclarée n'indexe « {kind} » (ajoutez le champ à ses `identifiers`) ; recherche possible par : {kinds}"
                    ),
                    format!(
                        "no declared category indexes `{kind}` (add the field to its `identifiers`); lookups can use: {kinds}"
                    ),
                )
                .field(kind),
            )
            .into());
        }
        let mut allowed: Vec<(&str, String)> = Vec::new();
        for c in &categories {
            if let Ok(p) = caller.authorize(&self.decls, c) {
                allowed.push((c, p));
            }
        }
        if allowed.is_empty() {
            let c = categories.first().copied().unwrap_or(kind);
            return Err(self
                .authorize_or_stop(caller, "find", None, c)
                .err()
                .unwrap_or_else(|| {
                    EngineError::Storage("authorization changed during the lookup".into()).into()
                }));
        }
        let digest = self
            .indexer
            .index(&IdentifierKind::new(&index_kind)?, &normalised)?;
        // One lookup for every allowed category (kinds are `category/kind`).
        let by_kind: BTreeMap<String, (&str, &String)> = allowed
            .iter()
            .map(|(c, p)| (index_key(c, &index_kind), (*c, p)))
            .collect();
        let kinds: Vec<String> = by_kind.keys().cloned().collect();
        let mut subjects: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (kind, s) in self.store.find_subjects_any(&kinds, &digest.0)? {
            if let Some((c, p)) = by_kind.get(&kind) {
                subjects
                    .entry(s)
                    .or_insert_with(|| (c.to_string(), (*p).clone()));
            }
        }
        let entries: Vec<Entry> = if subjects.is_empty() {
            vec![self.entry(
                caller,
                "find",
                None,
                None,
                Some(&allowed[0].1),
                format!("by={index_kind} no_match"),
            )]
        } else {
            subjects
                .iter()
                .map(|(s, (c, p))| {
                    self.entry(
                        caller,
                        "find",
                        Some(s),
                        Some(c),
                        Some(p),
                        format!("by={index_kind} match"),
                    )
                })
                .collect()
        };
        Ok((entries, subjects.into_keys().collect()))
    }

    /// The identifier kinds some declared category indexes, for messages.
    fn indexed_kinds(&self) -> String {
        let kinds: BTreeSet<String> = self
            .decls
            .categories
            .values()
            .flat_map(|c| {
                c.identifiers.iter().filter_map(|f| {
                    c.field(f.get_ref())
                        .map(|t| validate::index_kind(t, f.get_ref()))
                })
            })
            .collect();
        if kinds.is_empty() {
            return "—".into();
        }
        kinds.into_iter().collect::<Vec<_>>().join(", ")
    }

    /// The index kind a lookup by `kind` searches, the value in its normal
    /// form, and — when `kind` names a declared identifier field rather
    /// than `email` or `phone` — that field, the only one searched. A field
    /// typed `email` or `phone` (e.g. `mailbox`) is normalised and indexed
    /// as one.
    fn normalise_identifier(
        &self,
        kind: &str,
        value: &str,
    ) -> Result<(String, String, Option<&str>)> {
        let bad = |what: &str| {
            EngineError::Invalid(
                Refusal::new(
                    "bad_identifier",
                    format!("valeur d'identifiant invalide : {what}"),
                    format!("invalid identifier value: {what}"),
                )
                .field(kind),
            )
        };
        // `email` and `phone` search every field of their type; another
        // kind names a declared identifier field, searched alone.
        let (kind_of, field) = match kind {
            "email" => (FieldType::Email, None),
            "phone" => (FieldType::Phone, None),
            other => {
                let Some((field, kind_of)) = self.decls.categories.values().find_map(|c| {
                    let f = c.identifiers.iter().find(|f| f.get_ref() == other)?;
                    Some((f.get_ref().as_str(), c.field(f.get_ref())?))
                }) else {
                    return Err(EngineError::Invalid(Refusal::new(
                        "unknown_identifier",
                        format!("« {other} » n'est pas un identifiant déclaré (email, phone, ou un champ listé dans `identifiers`)"),
                        format!("`{other}` is not a declared identifier (email, phone, or a field listed in `identifiers`)"),
                    ).field(other)));
                };
                (kind_of, Some(field))
            }
        };
        let normalised = match kind_of {
            FieldType::Email => habeas_crypto::normalize_email(value)
                .map_err(|_| bad("an e-mail address is expected"))?,
            FieldType::Phone => {
                validate::normalise_phone(value).ok_or_else(|| bad("a phone number is expected"))?
            }
            _ => match value.trim() {
                "" => return Err(bad("empty")),
                v => v.to_string(),
            },
        };
        Ok((
            validate::index_kind(kind_of, field.unwrap_or(kind)),
            normalised,
            field,
        ))
    }

    /// Crypto-shred a subject (Art. 17): destroy its data keys and blind
    /// indexes, delete its rows, mark it erased. Any copy of the data files,
    /// taken before or after, holds ciphertexts nobody can open.
    pub fn shred(&self, caller: &Caller, subject: &str) -> Result<usize> {
        let mut row = self.subject_row(subject)?;
        let destroyed = self.keys.destroy_subject(subject)?;
        let now = self.now();
        row.status = SubjectStatus::Erased;
        row.erased_at = Some(now);
        let ops = vec![
            WriteOp::RemoveSubjectIndexes {
                subject_id: subject.to_string(),
                kinds: None,
            },
            WriteOp::DeleteSubjectRecords {
                subject_id: subject.to_string(),
            },
            WriteOp::DeleteSubjectTimed {
                subject_id: subject.to_string(),
            },
            WriteOp::UpdateSubject(row),
        ];
        let e = self.entry(
            caller,
            "subject.shred",
            Some(subject),
            None,
            None,
            format!("data_keys_destroyed={destroyed}"),
        );
        self.commit_unit(ops, &[e])?;
        Ok(destroyed)
    }
}

/// A sealed row of either kind, before it is sorted into its write op.
enum Sealed {
    Record(Record),
    Timed(TimedRecord),
}

/// Items per thread below which [`par_map`] stays on the calling thread
/// (starting a thread costs more than it saves on a small batch).
const PARALLEL_MIN: usize = 256;

/// The cores this process may use, asked once: `available_parallelism`
/// reads the cgroup files on every call (an open and a read per file, seen
/// in a profile of single-record HTTP writes).
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES
        .get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get))
}

/// `f` over `items`, results in item order, on up to four scoped threads
/// (one contiguous chunk each) when the batch is large enough; the first
/// error in item order is returned. Bulk ingest is CPU-bound in validation,
/// sealing and HMACs (issue 3, "Speed"; docs/benchmarks-vault.md), so
/// preparing one batch on every core while the previous one commits is
/// where the ingest rate comes from.
fn par_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> Result<R> + Sync) -> Result<Vec<R>> {
    if items.len() < 2 * PARALLEL_MIN {
        return items.into_iter().map(f).collect();
    }
    let threads = cores().min(4);
    if threads < 2 {
        return items.into_iter().map(f).collect();
    }
    let total = items.len();
    let per = total.div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut rest = items.into_iter();
    loop {
        let chunk: Vec<T> = rest.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    let f = &f;
    let done: Vec<Result<Vec<R>>> = std::thread::scope(|scope| {
        let mut chunks = chunks.into_iter();
        let first = chunks.next();
        let handles: Vec<_> = chunks
            .map(|chunk| {
                scope.spawn(move || {
                    // Its stack goes back to the C library's cache of stacks.
                    let _wipe = crate::WipeStackOnReturn;
                    chunk.into_iter().map(f).collect()
                })
            })
            .collect();
        // The calling thread takes the first chunk itself.
        let mut done = vec![first.map_or(Ok(Vec::new()), |c| c.into_iter().map(f).collect())];
        for h in handles {
            done.push(h.join().unwrap_or_else(|_| {
                Err(EngineError::Storage(
                    "a bulk preparation thread stopped unexpectedly".into(),
                ))
            }));
        }
        done
    });
    let mut out = Vec::with_capacity(total);
    for chunk in done {
        out.extend(chunk?);
    }
    Ok(out)
}

pub(crate) fn shredded(category: &str) -> EngineError {
    EngineError::NotFound(
        Refusal::new(
            "shredded",
            "les données de cette catégorie ont été effacées (clé détruite)",
            "this category's data was erased (key destroyed)",
        )
        .category(category),
    )
}

/// A stored row of either kind.
pub(crate) enum Stored {
    Record(Record),
    Timed(TimedRecord),
}

impl Stored {
    /// Decrypt into the caller's view.
    pub(crate) fn open(
        self,
        subject: &str,
        category: &str,
        dek: &habeas_crypto::DataKey,
    ) -> Result<RecordView> {
        let not_json = |e: serde_json::Error| {
            EngineError::Storage(format!("a decrypted record is not JSON: {e}"))
        };
        match self {
            Stored::Record(r) => {
                let aad = Aad::record_field(subject, category, &r.id, "fields");
                // The row's sealed bytes are not needed after: decrypted in place.
                let plain = dek.open_owned(r.sealed, &aad)?;
                Ok(RecordView {
                    fields: Fields::from_json(plain)?,
                    id: r.id,
                    // The row's own name (bound in the AAD just checked), not a copy.
                    category: if r.category == category {
                        r.category
                    } else {
                        category.to_string()
                    },
                    source: r.source_channel,
                    purposes: r.purposes,
                    collected_at: r.collected_at,
                    due_at: r.retention_due,
                })
            }
            Stored::Timed(t) => {
                let aad = Aad::record_field(subject, category, &t.id, "timed");
                let sealed = crate::timed_keys::sealed_value(t.key_version, &t.sealed)?;
                let plain = zeroize::Zeroizing::new(dek.open(sealed, &aad)?);
                let p: TimedPayload<Box<serde_json::value::RawValue>> =
                    serde_json::from_slice(&plain).map_err(not_json)?;
                Ok(RecordView {
                    id: t.id,
                    category: category.to_string(),
                    fields: Fields::from_raw(p.fields)?,
                    source: p.source,
                    purposes: p.purposes,
                    collected_at: t.collected_at,
                    due_at: p.due_at,
                })
            }
        }
    }
}

type OpenedKeys = (
    BlindIndexer,
    JournalSigner,
    JournalPublicKey,
    KekSource,
    KekRing,
);

/// The key directory of `paths`, created with fresh keys when it holds none
/// (the file provider's behaviour since the first version).
fn key_dir_of(paths: &VaultPaths, data_dir: &Path, marker: &str) -> Result<KeyDir> {
    if paths.key_dir.join(marker).exists() {
        Ok(KeyDir::open(&paths.key_dir)?)
    } else {
        Ok(KeyDir::create(&paths.key_dir, Some(data_dir))?)
    }
}

/// Open the blind indexer, the journal signer (and its public key) and the
/// KEKs the vault's [`KeySource`] names. With env and PKCS#11 every key is
/// opened before anything is created, so a missing variable, PIN or token
/// key leaves no file behind.
fn open_keys(paths: &VaultPaths, data_dir: &Path) -> Result<OpenedKeys> {
    match &paths.keys {
        KeySource::Dir => {
            let dir = key_dir_of(paths, data_dir, habeas_crypto::KEK_FILE)?;
            let indexer = dir.load_blind_indexer()?;
            let signer = dir.load_journal_signer()?;
            let public = dir.journal_public_key()?;
            let kek = KekSource::Dir(dir);
            let ring = kek.load_ring()?;
            Ok((indexer, signer, public, kek, ring))
        }
        KeySource::Env { variable } => {
            let config = KeysConfig::for_env(variable);
            let indexer = config.open_blind_indexer()?;
            let signer = config.open_journal_signer()?;
            let public = signer.public_key();
            let kek = KekSource::env(config, variable);
            let ring = kek.load_ring()?;
            Ok((indexer, signer, public, kek, ring))
        }
        KeySource::Pkcs11 {
            token,
            retired_labels,
        } => {
            let kek = KekSource::pkcs11(&paths.key_dir, token, retired_labels);
            let ring = kek.load_ring()?;
            // A first open creates the directory like the file provider does
            // (its kek.key then stays unused: the token's key wraps).
            let dir = key_dir_of(paths, data_dir, habeas_crypto::BLIND_INDEX_FILE)?;
            let indexer = dir.load_blind_indexer()?;
            let signer = dir.load_journal_signer()?;
            let public = dir.journal_public_key()?;
            Ok((indexer, signer, public, kek, ring))
        }
    }
}
