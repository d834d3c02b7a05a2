//! The vault as the domains' document store ([`DocStore`], `habeas-core`):
//! rights requests, the consent ledger, the breach register, holds, staff
//! accounts keep small versioned JSON documents here.
//!
//! Every body is sealed before it reaches the store, with a system data key
//! per kind (key-store pair `_system` / `doc:<kind>`, wrapped by the KEK like
//! any data key) and the document's kind and id as associated data — a body
//! copied onto another document does not open. Every write is journaled
//! (kind, id, new version; never the body) in the same transaction.
//! Optimistic concurrency is the store's: `put` names the version it read.
//!
//! A document may be filed ([`DocStore::put_filed_doc`]) under an owner, the vault id of the
//! subject it concerns, and a state: kept in plain text beside the sealed body — a random
//! pseudonym, as in the records table, and a word such as `open`; never a personal value — and
//! indexed, so that a subject's rights requests, or the open ones, are listed without opening
//! every request of the provider.

use habeas_core::docs::{Doc, DocError, DocStore, Filing, check_key, check_owner};
use habeas_crypto::Aad;
use habeas_store::{OpOutput, StoredDoc, WriteOp};

use crate::access::Caller;
use crate::error::{EngineError, Result};
use crate::vault::Vault;

/// The key-store subject that owns the system data keys.
const SYSTEM: &str = "_system";
/// Documents listed per store page.
const PAGE: usize = 500;

fn key_category(kind: &str) -> String {
    format!("doc:{kind}")
}

fn aad(kind: &str, id: &str) -> Aad {
    Aad::record_field(SYSTEM, &key_category(kind), id, "document")
}

/// Engine errors as the contract's storage error (messages hold no document
/// content); a full disk stays a full disk.
fn doc_error(e: EngineError) -> DocError {
    match e {
        EngineError::Unavailable(_) => DocError::Full,
        other => DocError::Storage(other.to_string()),
    }
}

/// A store failure as the contract's storage error; a full disk stays a full
/// disk (retry later, not an internal error). Shared with the tombstone ledger.
pub(crate) fn store_error(e: habeas_store::StoreError) -> DocError {
    if e.is_disk_full() {
        DocError::Full
    } else {
        DocError::Storage(e.to_string())
    }
}

impl Vault {
    fn doc_key(&self, kind: &str) -> Result<std::sync::Arc<habeas_crypto::DataKey>> {
        let pair = (SYSTEM.to_string(), key_category(kind));
        let mut keys = self
            .keys
            .get_or_create(std::slice::from_ref(&pair), &Default::default())?;
        keys.remove(&pair)
            .ok_or_else(|| EngineError::Storage("the document key went missing".into()))
    }

    fn open_doc(&self, d: StoredDoc) -> Result<Doc> {
        let key = self.doc_key(&d.kind)?;
        let body = key.open(&d.body, &aad(&d.kind, &d.id))?;
        Ok(Doc {
            id: d.id,
            version: d.version,
            owner: d.owner,
            state: d.state,
            body,
        })
    }

    /// Create (`expected_version: None`) or replace version `expected_version`
    /// of document `kind/id`, sealed and journaled as `caller`; returns the new
    /// version. A concurrent change gives [`EngineError::Conflict`].
    pub fn put_doc_as(
        &self,
        caller: &Caller,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        body: &[u8],
    ) -> Result<u64> {
        self.put_doc_filed(caller, kind, id, expected_version, None, body, "")
    }

    /// [`Vault::put_doc_as`] with `note` (ids and names only, never a value)
    /// appended to the write's journal entry, for a writer whose entry must
    /// say what changed (the processing limits name their purpose).
    pub(crate) fn put_doc_noted(
        &self,
        caller: &Caller,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        body: &[u8],
        note: &str,
    ) -> Result<u64> {
        self.put_doc_filed(caller, kind, id, expected_version, None, body, note)
    }

    /// The one document write: filed as `filing` says when given (see the module docs).
    #[allow(clippy::too_many_arguments)]
    fn put_doc_filed(
        &self,
        caller: &Caller,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        filing: Option<Filing<'_>>,
        body: &[u8],
        note: &str,
    ) -> Result<u64> {
        for key in [kind, id] {
            valid_key(key)?;
        }
        if let Some(f) = filing {
            valid_owner(f.owner)?;
            valid_key(f.state)?;
        }
        let sealed = self.doc_key(kind)?.seal(body, &aad(kind, id))?;
        let op = WriteOp::PutDoc {
            kind: kind.to_string(),
            id: id.to_string(),
            expected_version,
            owner: filing.map(|f| f.owner.to_string()),
            state: filing.map(|f| f.state.to_string()),
            body: sealed,
            at: self.now(),
        };
        let next = expected_version.map_or(1, |v| v + 1);
        let e = self.entry(
            caller,
            "doc.put",
            None,
            None,
            None,
            if note.is_empty() {
                format!("kind={kind} id={id} version={next}")
            } else {
                format!("kind={kind} id={id} version={next} {note}")
            },
        );
        let out = self.commit_unit(vec![op], &[e])?;
        match out.outputs.first() {
            Some(OpOutput::Version(v)) => Ok(*v),
            _ => Err(EngineError::Storage(
                "the document write returned no version".into(),
            )),
        }
    }

    /// [`Vault::put_doc_as`] for the system actor.
    pub fn put_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        body: &[u8],
    ) -> Result<u64> {
        self.put_doc_as(&system(), kind, id, expected_version, body)
    }

    /// The vault as a [`DocStore`] whose writes are journaled as `system`.
    fn system_docs(&self) -> VaultDocs<'_> {
        self.docs(system())
    }

    /// Delete the documents `ids` of `kind` that exist, in one commit
    /// journaled as `caller` (kind and count only); returns how many were
    /// deleted. For records whose time is over (ended sign-in sessions and
    /// codes): GDPR Art. 5(1)(e), kept no longer than needed.
    pub fn delete_docs_as(&self, caller: &Caller, kind: &str, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        for key in std::iter::once(kind).chain(ids.iter().map(String::as_str)) {
            valid_key(key)?;
        }
        let op = WriteOp::DeleteDocs {
            kind: kind.to_string(),
            ids: ids.to_vec(),
        };
        let e = self.entry(
            caller,
            "doc.delete",
            None,
            None,
            None,
            format!("kind={kind} asked={}", ids.len()),
        );
        let out = self.commit_unit(vec![op], &[e])?;
        match out.outputs.first() {
            Some(OpOutput::Count(n)) => Ok(*n),
            _ => Err(EngineError::Storage(
                "the document deletion returned no count".into(),
            )),
        }
    }

    /// A document, decrypted.
    pub fn get_doc(&self, kind: &str, id: &str) -> Result<Option<Doc>> {
        self.store
            .get_doc(kind, id)?
            .map(|d| self.open_doc(d))
            .transpose()
    }

    /// The documents of `kind` filed under `owner` and the unfiled ones, decrypted, ordered by
    /// id ([`DocStore::list_docs_of`]).
    pub fn list_docs_of(&self, kind: &str, owner: &str) -> Result<Vec<Doc>> {
        valid_key(kind)?;
        valid_owner(owner)?;
        let docs = self.store.list_docs_of(kind, owner)?;
        docs.into_iter().map(|d| self.open_doc(d)).collect()
    }

    /// The documents of `kind` filed in `state` and the unfiled ones, decrypted, ordered by id
    /// ([`DocStore::list_docs_in`]).
    pub fn list_docs_in(&self, kind: &str, state: &str) -> Result<Vec<Doc>> {
        valid_key(kind)?;
        valid_key(state)?;
        let docs = self.store.list_docs_in(kind, state)?;
        docs.into_iter().map(|d| self.open_doc(d)).collect()
    }

    /// Every document of `kind`, decrypted, ordered by id.
    pub fn list_docs(&self, kind: &str) -> Result<Vec<Doc>> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list_docs(kind, after.as_deref(), PAGE)?;
            let full = page.len() == PAGE;
            after = page.last().map(|d| d.id.clone());
            for d in page {
                out.push(self.open_doc(d)?);
            }
            if !full {
                break;
            }
        }
        Ok(out)
    }

    /// The vault as a [`DocStore`] whose writes are journaled as `caller`.
    pub fn docs(&self, caller: Caller) -> VaultDocs<'_> {
        VaultDocs {
            vault: self,
            caller,
        }
    }
}

/// The actor of the vault's own document writes.
fn system() -> Caller {
    Caller::operator("system", "administration")
}

/// A document kind or id the store accepts, or the refusal saying how.
fn valid_key(key: &str) -> Result<()> {
    check_key(key).map_err(|e| {
        EngineError::invalid(
            "bad_document_key",
            "clé de document invalide : 1 à 128 caractères ASCII imprimables, sans « / »"
                .to_string(),
            e.to_string(),
        )
    })
}

/// An owner the store accepts: `""` (no one) or a valid key.
fn valid_owner(owner: &str) -> Result<()> {
    if owner.is_empty() {
        Ok(())
    } else {
        valid_key(owner)
    }
}

/// [`DocStore`] over a vault, attributing writes to one caller (a staff
/// member, a job); obtained with [`Vault::docs`].
pub struct VaultDocs<'a> {
    vault: &'a Vault,
    caller: Caller,
}

fn put_via(
    vault: &Vault,
    caller: &Caller,
    kind: &str,
    id: &str,
    expected_version: Option<u64>,
    filing: Option<Filing<'_>>,
    body: &[u8],
) -> std::result::Result<u64, DocError> {
    check_key(kind)?;
    check_key(id)?;
    if let Some(f) = filing {
        f.check()?;
    }
    match vault.put_doc_filed(caller, kind, id, expected_version, filing, body, "") {
        Ok(v) => Ok(v),
        Err(EngineError::Conflict(_)) => {
            let found = vault
                .store
                .get_doc(kind, id)
                .map_err(store_error)?
                .map(|d| d.version);
            Err(DocError::Conflict {
                kind: kind.to_string(),
                id: id.to_string(),
                expected: expected_version,
                found,
            })
        }
        Err(e) => Err(doc_error(e)),
    }
}

impl DocStore for VaultDocs<'_> {
    fn put_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        body: &[u8],
    ) -> std::result::Result<u64, DocError> {
        put_via(
            self.vault,
            &self.caller,
            kind,
            id,
            expected_version,
            None,
            body,
        )
    }

    fn put_filed_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        filing: Filing<'_>,
        body: &[u8],
    ) -> std::result::Result<u64, DocError> {
        put_via(
            self.vault,
            &self.caller,
            kind,
            id,
            expected_version,
            Some(filing),
            body,
        )
    }

    fn get_doc(&self, kind: &str, id: &str) -> std::result::Result<Option<Doc>, DocError> {
        self.vault.get_doc(kind, id).map_err(doc_error)
    }

    fn list_docs(&self, kind: &str) -> std::result::Result<Vec<Doc>, DocError> {
        self.vault.list_docs(kind).map_err(doc_error)
    }

    fn list_docs_of(&self, kind: &str, owner: &str) -> std::result::Result<Vec<Doc>, DocError> {
        check_key(kind)?;
        check_owner(owner)?;
        self.vault.list_docs_of(kind, owner).map_err(doc_error)
    }

    fn list_docs_in(&self, kind: &str, state: &str) -> std::result::Result<Vec<Doc>, DocError> {
        check_key(kind)?;
        check_key(state)?;
        self.vault.list_docs_in(kind, state).map_err(doc_error)
    }
}

/// The vault itself is a [`DocStore`] whose writes are journaled as `system`.
impl DocStore for Vault {
    fn put_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        body: &[u8],
    ) -> std::result::Result<u64, DocError> {
        self.system_docs().put_doc(kind, id, expected_version, body)
    }

    fn put_filed_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        filing: Filing<'_>,
        body: &[u8],
    ) -> std::result::Result<u64, DocError> {
        self.system_docs()
            .put_filed_doc(kind, id, expected_version, filing, body)
    }

    fn get_doc(&self, kind: &str, id: &str) -> std::result::Result<Option<Doc>, DocError> {
        Vault::get_doc(self, kind, id).map_err(doc_error)
    }

    fn list_docs(&self, kind: &str) -> std::result::Result<Vec<Doc>, DocError> {
        Vault::list_docs(self, kind).map_err(doc_error)
    }

    fn list_docs_of(&self, kind: &str, owner: &str) -> std::result::Result<Vec<Doc>, DocError> {
        self.system_docs().list_docs_of(kind, owner)
    }

    fn list_docs_in(&self, kind: &str, state: &str) -> std::result::Result<Vec<Doc>, DocError> {
        self.system_docs().list_docs_in(kind, state)
    }
}
