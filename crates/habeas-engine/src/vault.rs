//! The vault (SPEC C2; issue 3 points 2–5): ingest, read, find, shred.
//!
//! Ingest: validate against the declared category (`validate.rs`), check
//! the caller's purpose, compute the retention due date, seal the fields
//! with the (subject, category) data key bound to the record's identity
//! (AAD), write blind indexes of identifier fields, and commit with the
//! journal entry through the group-commit writer. High-volume categories
//! go to time partitions (`hv_<category>__<bucket>`), so expiry drops a table.
//!
//! Read: decrypt the subject's records the caller's purpose allows, and
//! answer only once the read is durably journaled.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use habeas_core::clock::Clock;
use habeas_core::declarations::{Declarations, Partition};
use habeas_crypto::{
    Aad, BlindIndexer, IdentifierKind, JournalPublicKey, JournalSigner, KekRing, KeyDir,
    KeysConfig, Pkcs11Settings,
};
use rusqlite::OptionalExtension;
use serde_json::Value;

use crate::access::{self, Caller, Token};
use crate::db::{self, ReaderPool};
use crate::error::{EngineError, Refusal, Result};
use crate::journal::{self, Entry, Verdict};
use crate::keys::{DataKeys, KekSource};
use crate::validate::{self, RecordInput, ValidRecord};
use crate::writer::Writer;

/// Where a vault's files live.
#[derive(Debug, Clone)]
pub struct VaultPaths {
    /// The data database (records, blind indexes, journal, tokens).
    pub data_db: PathBuf,
    /// The key store, in its own directory, outside the data directory.
    pub key_db: PathBuf,
    /// The key directory (KEK, blind-index key, journal signing key); with
    /// [`KeySource::Pkcs11`] it holds the blind-index and journal keys only,
    /// with [`KeySource::Env`] it is not used.
    pub key_dir: PathBuf,
    /// Where the keys come from (`[keys] provider` of `habeas.toml`).
    pub keys: KeySource,
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
    /// since they are used in process (HMAC, Ed25519).
    Pkcs11(Pkcs11Settings),
}

impl VaultPaths {
    /// The default layout of a project: `data/habeas.db`, `keystore/keys.db`, `keys/`.
    pub fn in_project(dir: &Path) -> VaultPaths {
        VaultPaths {
            data_db: dir.join("data").join("habeas.db"),
            key_db: dir.join("keystore").join("keys.db"),
            key_dir: dir.join("keys"),
            keys: KeySource::Dir,
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
    pub fields: BTreeMap<String, Value>,
    pub source: String,
    pub purposes: Vec<String>,
    pub collected_at: DateTime<Utc>,
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
}

/// A bulk write queued to the writer; [`PendingBulk::wait`] returns once it is durable.
pub struct PendingBulk {
    answer: crate::writer::Pending,
    receipt: BulkReceipt,
}

impl PendingBulk {
    /// Wait for the commit; the receipt only once the batch is durable.
    pub fn wait(self) -> Result<BulkReceipt> {
        self.answer.wait()?;
        Ok(self.receipt)
    }
}

struct Prepared {
    subject: String,
    record: String,
    valid: ValidRecord,
}

/// The vault: one per process, shared by the CLI and the HTTP server.
pub struct Vault {
    decls: Arc<Declarations>,
    paths: VaultPaths,
    writer: Writer,
    readers: ReaderPool,
    keys: DataKeys,
    indexer: BlindIndexer,
    public: JournalPublicKey,
    clock: Arc<dyn Clock>,
}

impl Vault {
    /// Open (creating on first use) the vault at `paths`. A missing key
    /// directory is created with fresh keys (0700/0600), refusing a key
    /// directory inside the data directory. With [`KeySource::Env`] every
    /// key comes from the environment and nothing is created; with
    /// [`KeySource::Pkcs11`] the KEK must already be on the token.
    pub fn open(paths: VaultPaths, decls: Declarations, clock: Arc<dyn Clock>) -> Result<Vault> {
        let data_dir = paths.data_db.parent().unwrap_or(Path::new("."));
        if let Some(key_db_dir) = paths.key_db.parent() {
            habeas_crypto::ensure_outside(key_db_dir, data_dir).map_err(|_| {
                EngineError::Config(format!(
                    "the key store {} must not be inside the data directory {} (a data backup would carry the keys)",
                    paths.key_db.display(),
                    data_dir.display()
                ))
            })?;
        }
        let (indexer, signer, public, kek, ring) = open_keys(&paths, data_dir)?;
        let data = db::open_data(&paths.data_db)?;
        let writer = Writer::start(data, signer)?;
        let keys = DataKeys::new(db::open_keys(&paths.key_db)?, kek, ring)?;
        Ok(Vault {
            decls: Arc::new(decls),
            readers: ReaderPool::new(&paths.data_db),
            paths,
            writer,
            keys,
            indexer,
            public,
            clock,
        })
    }

    pub fn declarations(&self) -> &Declarations {
        &self.decls
    }

    pub fn paths(&self) -> &VaultPaths {
        &self.paths
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn entry(
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

    /// Journal an administrative action (token, key, import summary).
    pub fn journal_admin(&self, caller: &Caller, action: &str, outcome: String) -> Result<()> {
        let e = self.entry(caller, action, None, None, None, outcome);
        self.writer.submit(None, vec![e]).map(|_| ())
    }

    /// Check the caller may use `category`; a refusal is journaled durably
    /// before it is returned (Art. 5(2), SPEC C6 "refused and alerted").
    fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        subject: Option<&str>,
        category: &str,
    ) -> Result<String> {
        match caller.authorize(&self.decls, category) {
            Ok(purpose) => Ok(purpose),
            Err(refusal) => {
                let e = self.entry(
                    caller,
                    "refused",
                    subject,
                    Some(category),
                    None,
                    format!("{action} denied: {}", refusal.code),
                );
                self.writer.submit(None, vec![e])?;
                Err(EngineError::Forbidden(refusal))
            }
        }
    }

    /// Create a data subject of a declared kind (default: the first declared).
    pub fn create_subject(&self, caller: &Caller, kind: Option<&str>) -> Result<String> {
        let kind = self.subject_kind(kind)?;
        let id = access::new_id("sub_")?;
        let now = self.now().timestamp();
        let (sid, k) = (id.clone(), kind.clone());
        let work: crate::writer::Work = Box::new(move |conn| {
            conn.prepare_cached(
                "INSERT INTO subjects (id, kind, status, created_at) VALUES (?1, ?2, 'active', ?3)",
            )?
            .execute(rusqlite::params![sid, k, now])?;
            Ok(())
        });
        let e = self.entry(
            caller,
            "subject.create",
            Some(&id),
            None,
            None,
            format!("kind={kind}"),
        );
        self.writer.submit(Some(work), vec![e])?;
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
    ) -> Result<Prepared> {
        let valid = validate::validate(&self.decls, input, now)?;
        self.authorize(caller, "write", Some(subject), &valid.category)?;
        Ok(Prepared {
            subject: subject.to_string(),
            record: access::new_id("rec_")?,
            valid,
        })
    }

    /// Write one record for an existing subject.
    pub fn write(&self, caller: &Caller, subject: &str, input: RecordInput) -> Result<Receipt> {
        let now = self.now();
        let p = self.prepare(caller, subject, input, now)?;
        let receipt = Receipt {
            subject: p.subject.clone(),
            record: p.record.clone(),
            category: p.valid.category.clone(),
            due_at: p.valid.due_at,
        };
        self.commit(caller, vec![p], Vec::new(), now)?;
        Ok(receipt)
    }

    /// Write many records at once, all or nothing: every line is validated
    /// and authorized before anything is written. Lines name an existing
    /// `subject`, or a `subject_ref` local to the batch that creates a subject.
    pub fn write_bulk(&self, caller: &Caller, lines: Vec<BulkLine>) -> Result<BulkReceipt> {
        self.write_bulk_with_refs(caller, lines, &mut BTreeMap::new())
    }

    /// [`Vault::write_bulk`] across several batches of one import: `known`
    /// maps the `subject_ref`s of earlier batches to their subjects and
    /// receives the ones this batch creates (only if it commits).
    pub fn write_bulk_with_refs(
        &self,
        caller: &Caller,
        lines: Vec<BulkLine>,
        known: &mut BTreeMap<String, String>,
    ) -> Result<BulkReceipt> {
        let pending = self.write_bulk_begin(caller, lines, known)?;
        let created: Vec<String> = pending.receipt.created_subjects.keys().cloned().collect();
        match pending.wait() {
            Ok(receipt) => Ok(receipt),
            Err(e) => {
                for r in created {
                    known.remove(&r);
                }
                Err(e)
            }
        }
    }

    /// The first half of a bulk write, for pipelined imports: validate,
    /// authorize, seal and index `lines`, queue them to the writer and
    /// return at once, so the caller can prepare the next batch while this
    /// one commits. The subjects this batch creates are added to `known`
    /// right away (a later batch may name them); if this batch then fails,
    /// the import must stop — a later batch naming its subjects fails too,
    /// as they do not exist.
    pub fn write_bulk_begin(
        &self,
        caller: &Caller,
        lines: Vec<BulkLine>,
        known: &mut BTreeMap<String, String>,
    ) -> Result<PendingBulk> {
        let now = self.now();
        let mut created: BTreeMap<String, String> = BTreeMap::new();
        let mut new_subjects = Vec::new();
        let mut prepared = Vec::with_capacity(lines.len());
        let default_kind = self.subject_kind(None)?;
        for BulkLine { line, mut input } in lines {
            let subject = match (input.subject.take(), input.subject_ref.take()) {
                (Some(s), None) => s,
                (None, Some(r)) => match known.get(&r).or_else(|| created.get(&r)) {
                    Some(id) => id.clone(),
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
            prepared.push(
                self.prepare(caller, &subject, input, now)
                    .map_err(|e| e.at_line(line))?,
            );
        }
        let written = prepared.len() as u64;
        let answer = self.start_commit(caller, prepared, new_subjects, now)?;
        known.extend(created.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(PendingBulk {
            answer,
            receipt: BulkReceipt {
                written,
                created_subjects: created,
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

    fn commit(
        &self,
        caller: &Caller,
        prepared: Vec<Prepared>,
        new_subjects: Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.start_commit(caller, prepared, new_subjects, now)?
            .wait()
            .map(|_| ())
    }

    /// Seal, index and queue a write; the answer comes with [`crate::writer::Pending::wait`].
    fn start_commit(
        &self,
        caller: &Caller,
        prepared: Vec<Prepared>,
        new_subjects: Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Result<crate::writer::Pending> {
        let mut pairs: Vec<(String, String)> = prepared
            .iter()
            .map(|p| (p.subject.clone(), p.valid.category.clone()))
            .collect();
        pairs.sort();
        pairs.dedup();
        let fresh: BTreeSet<&str> = new_subjects.iter().map(|(id, _)| id.as_str()).collect();
        let deks = self.keys.get_or_create(&pairs, &fresh, now.timestamp())?;
        let mut rows = Vec::with_capacity(prepared.len());
        let mut groups: BTreeMap<(String, String), (String, u64)> = BTreeMap::new();
        for p in prepared {
            let pair = (p.subject.clone(), p.valid.category.clone());
            let dek = deks.get(&pair).ok_or_else(|| {
                EngineError::Storage("a data key went missing during the write".into())
            })?;
            let plain = zeroize::Zeroizing::new(
                serde_json::to_vec(&p.valid.fields)
                    .map_err(|e| EngineError::Storage(e.to_string()))?,
            );
            let aad = Aad::record_field(&p.subject, &p.valid.category, &p.record, "fields");
            let payload = dek.seal(&plain, &aad)?;
            let mut digests = Vec::with_capacity(p.valid.identifiers.len());
            for (kind, value) in &p.valid.identifiers {
                digests.push(self.indexer.index(&IdentifierKind::new(kind)?, value)?.0);
            }
            let group = groups
                .entry(pair)
                .or_insert_with(|| (p.valid.purposes.first().cloned().unwrap_or_default(), 0));
            group.1 += 1;
            let table = self.table_for(&p.valid)?;
            rows.push(Row {
                table,
                id: p.record,
                subject: p.subject,
                category: p.valid.category,
                collected_at: p.valid.events.collected_at.unwrap_or(now).timestamp(),
                source: p.valid.source,
                purposes: serde_json::to_string(&p.valid.purposes).unwrap_or_default(),
                events: serde_json::to_string(&p.valid.events).unwrap_or_default(),
                due_at: p.valid.due_at.map(|d| d.timestamp()),
                payload,
                digests,
            });
        }
        let mut entries: Vec<Entry> = new_subjects
            .iter()
            .map(|(id, kind)| {
                self.entry(
                    caller,
                    "subject.create",
                    Some(id),
                    None,
                    None,
                    format!("kind={kind}"),
                )
            })
            .collect();
        entries.extend(groups.into_iter().map(|((subject, category), (_, n))| {
            let purpose = caller.authorize(&self.decls, &category).ok();
            self.entry(
                caller,
                "write",
                Some(&subject),
                Some(&category),
                purpose.as_deref(),
                format!("records={n}"),
            )
        }));
        let created_at = now.timestamp();
        let work: crate::writer::Work = Box::new(move |conn| {
            for (id, kind) in &new_subjects {
                conn.prepare_cached("INSERT INTO subjects (id, kind, status, created_at) VALUES (?1, ?2, 'active', ?3)")?
                    .execute(rusqlite::params![id, kind, created_at])?;
            }
            insert_rows(
                conn,
                rows,
                new_subjects.iter().map(|(id, _)| id.clone()).collect(),
            )
        });
        self.writer.submit_nowait(Some(work), entries)
    }

    fn table_for(&self, valid: &ValidRecord) -> Result<Option<(String, i64, i64)>> {
        if !valid.high_volume {
            return Ok(None);
        }
        let category = self.decls.category(&valid.category);
        let at = valid.events.collected_at.unwrap_or_else(|| self.now());
        let (bucket, start, end) =
            match category.and_then(|c| c.partition).unwrap_or(Partition::Day) {
                Partition::Day => {
                    let day = at.date_naive();
                    let start = day
                        .and_hms_opt(0, 0, 0)
                        .map(|d| d.and_utc().timestamp())
                        .unwrap_or(0);
                    (day.format("%Y%m%d").to_string(), start, start + 86_400)
                }
                Partition::Month => {
                    let first = at.date_naive().with_day(1).unwrap_or(at.date_naive());
                    let next = first
                        .checked_add_months(chrono::Months::new(1))
                        .unwrap_or(first);
                    let ts = |d: chrono::NaiveDate| {
                        d.and_hms_opt(0, 0, 0)
                            .map(|x| x.and_utc().timestamp())
                            .unwrap_or(0)
                    };
                    (first.format("%Y%m").to_string(), ts(first), ts(next))
                }
            };
        let table = db::partition_table(&valid.category, &bucket).ok_or_else(|| {
            EngineError::Config(format!(
                "category `{}` cannot name a partition table (use lowercase letters, digits and _)",
                valid.category
            ))
        })?;
        Ok(Some((table, start, end)))
    }

    fn subject_row(&self, subject: &str) -> Result<(String, String)> {
        let row = self.readers.with(|c| {
            Ok(
                c.prepare_cached("SELECT kind, status FROM subjects WHERE id = ?1")?
                    .query_row([subject], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?,
            )
        })?;
        row.ok_or_else(|| {
            EngineError::NotFound(Refusal::new(
                "unknown_subject",
                "personne concernée inconnue",
                "unknown data subject",
            ))
        })
    }

    /// Read a subject's records (all the caller may see, or one category).
    /// Returns only after the read is durably journaled.
    pub fn read(
        &self,
        caller: &Caller,
        subject: &str,
        category: Option<&str>,
    ) -> Result<SubjectView> {
        let (kind, status) = self.subject_row(subject)?;
        let present = self.categories_of(subject)?;
        let mut allowed: Vec<(String, String)> = Vec::new();
        let mut withheld = Vec::new();
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
                    ));
                }
                let purpose = self.authorize(caller, "read", Some(subject), c)?;
                allowed.push((c.to_string(), purpose));
            }
            None => {
                for c in &present {
                    match caller.authorize(&self.decls, c) {
                        Ok(purpose) => allowed.push((c.clone(), purpose)),
                        Err(_) => withheld.push(c.clone()),
                    }
                }
                if allowed.is_empty() && !withheld.is_empty() {
                    return Err(self
                        .authorize(caller, "read", Some(subject), &withheld[0])
                        .err()
                        .unwrap_or_else(|| {
                            EngineError::Storage("authorization changed during the read".into())
                        }));
                }
            }
        }
        let mut records = Vec::new();
        let mut entries = Vec::new();
        for (c, purpose) in &allowed {
            let rows = self.rows_of(subject, c)?;
            let n = rows.len();
            if n > 0 {
                let dek = self.keys.get(subject, c)?.ok_or_else(|| {
                    EngineError::NotFound(
                        Refusal::new(
                            "shredded",
                            "les données de cette catégorie ont été effacées (clé détruite)",
                            "this category's data was erased (key destroyed)",
                        )
                        .category(c),
                    )
                })?;
                for r in rows {
                    let aad = Aad::record_field(subject, c, &r.id, "fields");
                    let plain = zeroize::Zeroizing::new(dek.open(&r.payload, &aad)?);
                    let fields: BTreeMap<String, Value> =
                        serde_json::from_slice(&plain).map_err(|e| {
                            EngineError::Storage(format!("a decrypted record is not JSON: {e}"))
                        })?;
                    records.push(RecordView {
                        id: r.id,
                        category: c.clone(),
                        fields,
                        source: r.source,
                        purposes: serde_json::from_str(&r.purposes).unwrap_or_default(),
                        collected_at: DateTime::from_timestamp(r.collected_at, 0)
                            .unwrap_or_default(),
                        due_at: r.due_at.and_then(|d| DateTime::from_timestamp(d, 0)),
                    });
                }
            }
            entries.push(self.entry(
                caller,
                "read",
                Some(subject),
                Some(c),
                Some(purpose),
                format!("records={n}"),
            ));
        }
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
        self.writer.submit(None, entries)?;
        Ok(SubjectView {
            subject: subject.to_string(),
            kind,
            status,
            records,
            withheld,
        })
    }

    fn categories_of(&self, subject: &str) -> Result<BTreeSet<String>> {
        self.readers.with(|c| {
            let mut out: BTreeSet<String> = c
                .prepare_cached("SELECT DISTINCT category FROM records WHERE subject_id = ?1")?
                .query_map([subject], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let parts: Vec<(String, String)> = c
                .prepare_cached("SELECT name, category FROM partitions")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (table, category) in parts {
                if out.contains(&category) {
                    continue;
                }
                let hit: Option<i64> = c
                    .prepare_cached(&format!(
                        "SELECT 1 FROM {table} WHERE subject_id = ?1 LIMIT 1"
                    ))?
                    .query_row([subject], |r| r.get(0))
                    .optional()?;
                if hit.is_some() {
                    out.insert(category);
                }
            }
            Ok(out)
        })
    }

    fn rows_of(&self, subject: &str, category: &str) -> Result<Vec<StoredRow>> {
        self.readers.with(|c| {
            let mut tables = vec!["records".to_string()];
            tables.extend(
                c.prepare_cached(
                    "SELECT name FROM partitions WHERE category = ?1 ORDER BY starts",
                )?
                .query_map([category], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            );
            let mut out = Vec::new();
            for t in tables {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT id, source, purposes, collected_at, due_at, payload FROM {t}
                     WHERE subject_id = ?1 AND category = ?2 ORDER BY collected_at, id"
                ))?;
                let rows = stmt.query_map([subject, category], |r| {
                    Ok(StoredRow {
                        id: r.get(0)?,
                        source: r.get(1)?,
                        purposes: r.get(2)?,
                        collected_at: r.get(3)?,
                        due_at: r.get(4)?,
                        payload: r.get(5)?,
                    })
                })?;
                for r in rows {
                    out.push(r?);
                }
            }
            Ok(out)
        })
    }

    /// Find subjects by an identifier (`email`, `phone`, or a declared
    /// identifier field such as `account_id`), through the blind index.
    /// Only categories the caller's purpose covers are searched.
    pub fn find(&self, caller: &Caller, kind: &str, value: &str) -> Result<Vec<String>> {
        let (index_kind, normalised) = self.normalise_identifier(kind, value)?;
        let categories: Vec<&str> = self
            .decls
            .categories
            .iter()
            .filter(|(_, c)| {
                c.identifiers.iter().any(|f| {
                    c.field(f.get_ref())
                        .is_some_and(|t| validate::index_kind(t, f.get_ref()) == index_kind)
                })
            })
            .map(|(n, _)| n.get_ref().as_str())
            .collect();
        let mut allowed: Vec<(&str, String)> = Vec::new();
        for c in &categories {
            if let Ok(p) = caller.authorize(&self.decls, c) {
                allowed.push((c, p));
            }
        }
        if allowed.is_empty() {
            let c = categories.first().copied().unwrap_or(kind);
            return Err(self
                .authorize(caller, "find", None, c)
                .err()
                .unwrap_or_else(|| {
                    EngineError::Storage("authorization changed during the lookup".into())
                }));
        }
        let digest = self
            .indexer
            .index(&IdentifierKind::new(&index_kind)?, &normalised)?;
        let hits: Vec<(String, String)> = self.readers.with(|c| {
            Ok(c.prepare_cached(
                "SELECT DISTINCT subject_id, category FROM blind_index WHERE digest = ?1",
            )?
            .query_map([&digest.0[..]], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
        })?;
        let mut subjects: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (s, c) in hits {
            if let Some((_, p)) = allowed.iter().find(|(a, _)| *a == c) {
                subjects.entry(s).or_insert((c, p.clone()));
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
        self.writer.submit(None, entries)?;
        Ok(subjects.into_keys().collect())
    }

    fn normalise_identifier(&self, kind: &str, value: &str) -> Result<(String, String)> {
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
        match kind {
            "email" => Ok((
                "email".into(),
                habeas_crypto::normalize_email(value)
                    .map_err(|_| bad("an e-mail address is expected"))?,
            )),
            "phone" => Ok((
                "phone".into(),
                validate::normalise_phone(value)
                    .ok_or_else(|| bad("a phone number is expected"))?,
            )),
            other => {
                let declared = self
                    .decls
                    .categories
                    .values()
                    .any(|c| c.identifiers.iter().any(|f| f.get_ref() == other));
                if !declared {
                    return Err(EngineError::Invalid(Refusal::new(
                        "unknown_identifier",
                        format!("« {other} » n'est pas un identifiant déclaré (email, phone, ou un champ listé dans `identifiers`)"),
                        format!("`{other}` is not a declared identifier (email, phone, or a field listed in `identifiers`)"),
                    ).field(other)));
                }
                let v = value.trim();
                if v.is_empty() {
                    return Err(bad("empty"));
                }
                Ok((other.to_string(), v.to_string()))
            }
        }
    }

    /// Crypto-shred a subject (Art. 17): destroy its data keys and blind
    /// indexes, delete its rows, mark it erased. Any copy of the data files,
    /// taken before or after, holds ciphertexts nobody can open.
    pub fn shred(&self, caller: &Caller, subject: &str) -> Result<usize> {
        self.subject_row(subject)?;
        let destroyed = self.keys.destroy_subject(subject)?;
        let s = subject.to_string();
        let work: crate::writer::Work = Box::new(move |conn| {
            conn.execute("DELETE FROM blind_index WHERE subject_id = ?1", [&s])?;
            conn.execute("DELETE FROM records WHERE subject_id = ?1", [&s])?;
            let tables: Vec<String> = conn
                .prepare("SELECT name FROM partitions")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for t in tables {
                conn.execute(&format!("DELETE FROM {t} WHERE subject_id = ?1"), [&s])?;
            }
            conn.execute("UPDATE subjects SET status = 'erased' WHERE id = ?1", [&s])?;
            Ok(())
        });
        let e = self.entry(
            caller,
            "subject.shred",
            Some(subject),
            None,
            None,
            format!("data_keys_destroyed={destroyed}"),
        );
        self.writer.submit(Some(work), vec![e])?;
        Ok(destroyed)
    }

    /// Drop whole partitions of a high-volume category that ended before `before`.
    pub fn drop_partitions_before(
        &self,
        caller: &Caller,
        category: &str,
        before: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let cutoff = before.timestamp();
        let cat = category.to_string();
        let dropped = Arc::new(std::sync::Mutex::new(Vec::new()));
        let out = Arc::clone(&dropped);
        let work: crate::writer::Work = Box::new(move |conn| {
            let tables: Vec<String> = conn
                .prepare("SELECT name FROM partitions WHERE category = ?1 AND ends <= ?2")?
                .query_map(rusqlite::params![cat, cutoff], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for t in &tables {
                conn.execute_batch(&format!("DROP TABLE IF EXISTS {t}"))?;
                conn.execute("DELETE FROM partitions WHERE name = ?1", [t])?;
            }
            if let Ok(mut o) = out.lock() {
                *o = tables;
            }
            Ok(())
        });
        let e = self.entry(
            caller,
            "partition.drop",
            None,
            Some(category),
            None,
            format!("before={}", before.to_rfc3339()),
        );
        self.writer.submit(Some(work), vec![e])?;
        let list = dropped.lock().map(|l| l.clone()).unwrap_or_default();
        Ok(list)
    }

    /// `habeas keys rotate`: rewrap every data key under a new KEK.
    pub fn rotate_keys(&self, caller: &Caller) -> Result<usize> {
        let (n, retired) = self.keys.rotate()?;
        self.journal_admin(
            caller,
            "keys.rotate",
            format!("rewrapped={n} retired_kek={}", retired.unwrap_or_default()),
        )?;
        Ok(n)
    }

    pub fn data_key_count(&self) -> Result<i64> {
        self.keys.count()
    }

    /// `habeas audit verify`.
    pub fn verify_journal(&self) -> Result<Verdict> {
        self.readers.with(|c| journal::verify(c, &self.public))
    }

    /// Drop journal entries up to a signed checkpoint (journal retention).
    pub fn drop_journal_through(&self, caller: &Caller, through: u64) -> Result<u64> {
        let dropped = Arc::new(std::sync::Mutex::new(0u64));
        let out = Arc::clone(&dropped);
        let work: crate::writer::Work = Box::new(move |conn| {
            let n = journal::drop_segment_through(conn, through)?;
            if let Ok(mut o) = out.lock() {
                *o = n;
            }
            Ok(())
        });
        let e = self.entry(
            caller,
            "journal.drop_segment",
            None,
            None,
            None,
            format!("through={through}"),
        );
        self.writer.submit(Some(work), vec![e])?;
        let n = dropped.lock().map(|n| *n).unwrap_or(0);
        Ok(n)
    }

    /// Latest signed checkpoints (entries covered), newest last.
    pub fn checkpoints(&self) -> Result<Vec<u64>> {
        self.readers.with(|c| {
            Ok(
                c.prepare("SELECT entries FROM journal_checkpoints ORDER BY entries")?
                    .query_map([], |r| r.get::<_, i64>(0).map(|n| n as u64))?
                    .collect::<rusqlite::Result<_>>()?,
            )
        })
    }

    /// Create an application token; the secret is returned once.
    pub fn create_token(
        &self,
        caller: &Caller,
        name: &str,
        purposes: &[String],
        categories: &[String],
    ) -> Result<(Token, String)> {
        access::check_scope(&self.decls, purposes, categories)?;
        let now = self.now().timestamp();
        let made = Arc::new(std::sync::Mutex::new(None));
        let out = Arc::clone(&made);
        let (n, p, c) = (name.to_string(), purposes.to_vec(), categories.to_vec());
        let work: crate::writer::Work = Box::new(move |conn| {
            let t = access::insert_token(conn, &n, &p, &c, now)?;
            if let Ok(mut o) = out.lock() {
                *o = Some(t);
            }
            Ok(())
        });
        let e = self.entry(
            caller,
            "token.create",
            None,
            None,
            None,
            format!("name={name} purposes={}", purposes.join(",")),
        );
        self.writer.submit(Some(work), vec![e])?;
        let taken = made.lock().ok().and_then(|mut m| m.take());
        taken.ok_or_else(|| EngineError::Storage("the token was not created".into()))
    }

    pub fn list_tokens(&self) -> Result<Vec<Token>> {
        self.readers.with(access::list_tokens)
    }

    /// Revoke a token; `Ok(false)` if no active token has this id.
    pub fn revoke_token(&self, caller: &Caller, id: &str) -> Result<bool> {
        let now = self.now().timestamp();
        let done = Arc::new(std::sync::Mutex::new(false));
        let out = Arc::clone(&done);
        let i = id.to_string();
        let work: crate::writer::Work = Box::new(move |conn| {
            let r = access::revoke(conn, &i, now)?;
            if let Ok(mut o) = out.lock() {
                *o = r;
            }
            Ok(())
        });
        let e = self.entry(caller, "token.revoke", None, None, None, format!("id={id}"));
        self.writer.submit(Some(work), vec![e])?;
        let r = done.lock().map(|d| *d).unwrap_or(false);
        Ok(r)
    }

    /// Authenticate a bearer token.
    pub fn authenticate(&self, presented: &str) -> Result<Token> {
        self.readers.with(|c| access::authenticate(c, presented))
    }

    /// Counts for `/metrics` and reports: subjects, records (incl. partitions), journal entries.
    pub fn counts(&self) -> Result<HashMap<&'static str, i64>> {
        self.readers.with(|c| {
            let mut out = HashMap::new();
            out.insert(
                "subjects",
                c.query_row("SELECT COUNT(*) FROM subjects", [], |r| r.get(0))?,
            );
            let mut records: i64 = c.query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))?;
            let parts: Vec<String> = c
                .prepare("SELECT name FROM partitions")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for t in &parts {
                records += c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| {
                    r.get::<_, i64>(0)
                })?;
            }
            out.insert("records", records);
            out.insert("partitions", parts.len() as i64);
            out.insert(
                "journal_entries",
                c.query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))?,
            );
            Ok(out)
        })
    }
}

struct StoredRow {
    id: String,
    source: String,
    purposes: String,
    collected_at: i64,
    due_at: Option<i64>,
    payload: Vec<u8>,
}

struct Row {
    table: Option<(String, i64, i64)>,
    id: String,
    subject: String,
    category: String,
    collected_at: i64,
    source: String,
    purposes: String,
    events: String,
    due_at: Option<i64>,
    payload: Vec<u8>,
    digests: Vec<[u8; 32]>,
}

fn insert_rows(
    conn: &rusqlite::Connection,
    rows: Vec<Row>,
    created: BTreeSet<String>,
) -> Result<()> {
    // Subjects created by this very batch need no status check.
    let mut subjects_ok = created;
    for row in rows {
        if !subjects_ok.contains(&row.subject) {
            let status: Option<String> = conn
                .prepare_cached("SELECT status FROM subjects WHERE id = ?1")?
                .query_row([&row.subject], |r| r.get(0))
                .optional()?;
            match status.as_deref() {
                Some("active") | Some("restricted") => {}
                Some(other) => {
                    return Err(EngineError::Invalid(Refusal::new(
                        "subject_not_active",
                        format!(
                            "la personne concernée est « {other} » : aucune donnée ne peut lui être ajoutée"
                        ),
                        format!("the data subject is `{other}`: no data can be added"),
                    )));
                }
                None => {
                    return Err(EngineError::NotFound(Refusal::new(
                        "unknown_subject",
                        "personne concernée inconnue (créez-la d'abord : POST /api/subjects)",
                        "unknown data subject (create it first: POST /api/subjects)",
                    )));
                }
            }
            subjects_ok.insert(row.subject.clone());
        }
        let table = match &row.table {
            Some((t, start, end)) => {
                db::ensure_partition(conn, t, &row.category, *start, *end)?;
                t.as_str()
            }
            None => "records",
        };
        conn.prepare_cached(&format!(
            "INSERT INTO {table} (id, subject_id, category, collected_at, source, purposes, events, due_at, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ))?
        .execute(rusqlite::params![
            row.id,
            row.subject,
            row.category,
            row.collected_at,
            row.source,
            row.purposes,
            row.events,
            row.due_at,
            row.payload
        ])?;
        for d in &row.digests {
            conn.prepare_cached("INSERT OR IGNORE INTO blind_index (digest, subject_id, category, record_id) VALUES (?1, ?2, ?3, ?4)")?
                .execute(rusqlite::params![&d[..], row.subject, row.category, row.id])?;
        }
    }
    Ok(())
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
        KeySource::Pkcs11(settings) => {
            let kek = KekSource::pkcs11(
                KeysConfig::for_pkcs11(settings.clone(), &paths.key_dir),
                settings,
            );
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
