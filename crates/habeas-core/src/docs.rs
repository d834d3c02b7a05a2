//! The document-store contract shared by the domains that keep small, versioned
//! state next to the vault: rights requests, the consent ledger, the breach register,
//! legal holds, tombstones, staff accounts.
//!
//! Why a trait here: the domain crates stay independent of the storage engine (they
//! serialise their own state and are tested against [`MemoryDocs`]), and the engine
//! implements it once — sealing every body with a per-kind data key, so no plaintext
//! lands in the database. Optimistic concurrency (`expected_version`) lets two staff
//! members, or two Habeas instances, edit the same request without losing an update.
//!
//! Pure: [`MemoryDocs`] is an in-memory map, no IO.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// What can go wrong with a document operation.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// Another writer changed the document first (or it already exists when created).
    #[error(
        "document {kind}/{id} changed concurrently (expected version {expected:?}, found {found:?}); reload it and try again"
    )]
    Conflict {
        kind: String,
        id: String,
        expected: Option<u64>,
        found: Option<u64>,
    },
    /// A kind or id that cannot be stored (empty, too long, or with control characters).
    /// The key itself is not repeated: it may come from anyone's URL or form.
    #[error("invalid identifier: use 1 to 128 printable ASCII characters without '/'")]
    InvalidKey,
    /// The storage layer failed; the message never holds document contents.
    #[error("document storage failed: {0}")]
    Storage(String),
    /// The disk under the store is full: nothing was stored, and freeing
    /// space is the remedy (no restart needed). Told apart so that callers
    /// answer "retry later" rather than an internal error.
    #[error("the disk is full: nothing was stored; retry once space has been freed")]
    Full,
}

/// One stored document: its id, version (1 for the first write), filing and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub id: String,
    pub version: u64,
    /// The owner [`DocStore::put_filed_doc`] filed it under (`Some("")`: no one); `None` when
    /// written unfiled ([`DocStore::put_doc`], or before documents were filed).
    pub owner: Option<String>,
    /// The state it was filed in; `None` when written unfiled.
    pub state: Option<String>,
    pub body: Vec<u8>,
}

/// Where [`DocStore::put_filed_doc`] files a document, so that
/// [`DocStore::list_docs_of`] and [`DocStore::list_docs_in`] find it without reading every
/// document of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filing<'a> {
    /// The vault id of the data subject the document concerns (a random pseudonym, kept in
    /// plain text; never a personal value); `""` for no one.
    pub owner: &'a str,
    /// A short word the kind chooses (`open`, `closed`).
    pub state: &'a str,
}

impl Filing<'_> {
    /// Checks the owner ([`check_owner`]) and the state ([`check_key`]).
    pub fn check(&self) -> Result<(), DocError> {
        check_owner(self.owner)?;
        check_key(self.state)
    }
}

/// Versioned documents grouped by kind.
///
/// `put_doc` with `expected_version: None` creates the document and fails with
/// [`DocError::Conflict`] if it exists; with `Some(v)` it replaces version `v` and fails
/// if the stored version differs. It returns the new version.
pub trait DocStore: Send + Sync {
    fn put_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        body: &[u8],
    ) -> Result<u64, DocError>;
    fn get_doc(&self, kind: &str, id: &str) -> Result<Option<Doc>, DocError>;
    /// Every document of a kind, ordered by id.
    fn list_docs(&self, kind: &str) -> Result<Vec<Doc>, DocError>;
    /// [`DocStore::put_doc`], filing the document as `filing` says, so that
    /// [`DocStore::list_docs_of`] and [`DocStore::list_docs_in`] find it without reading every
    /// document of the kind. A replacement refiles it. This default files nothing: every
    /// document stays a candidate for every owner and state.
    fn put_filed_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        filing: Filing<'_>,
        body: &[u8],
    ) -> Result<u64, DocError> {
        filing.check()?;
        self.put_doc(kind, id, expected_version, body)
    }
    /// The documents of `kind` filed under `owner`, and the unfiled ones (written by
    /// [`DocStore::put_doc`], or before documents were filed): candidates, which the caller
    /// still checks by their body. Ordered by id. This default lists the whole kind.
    fn list_docs_of(&self, kind: &str, owner: &str) -> Result<Vec<Doc>, DocError> {
        check_owner(owner)?;
        self.list_docs(kind)
    }
    /// The documents of `kind` filed in `state`, and the unfiled ones, as
    /// [`DocStore::list_docs_of`]. This default lists the whole kind.
    fn list_docs_in(&self, kind: &str, state: &str) -> Result<Vec<Doc>, DocError> {
        check_key(state)?;
        self.list_docs(kind)
    }
    /// Create several new documents of `kind` (each `put_doc` with no expected version),
    /// for batched writers such as the tombstone ledger of a batch of erasures. A store with
    /// transactions overrides this to write all or none in one commit; this default writes
    /// them one by one and stops at the first error (the ones before it stay).
    fn create_docs(&self, kind: &str, docs: &[(String, Vec<u8>)]) -> Result<(), DocError> {
        for (id, body) in docs {
            self.put_doc(kind, id, None, body)?;
        }
        Ok(())
    }
}

/// Checks a kind or id: 1–128 printable ASCII characters, no '/'.
pub fn check_key(key: &str) -> Result<(), DocError> {
    let ok = !key.is_empty()
        && key.len() <= 128
        && key.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
    if ok {
        Ok(())
    } else {
        Err(DocError::InvalidKey)
    }
}

/// Checks an owner: `""` (owned by no one) or a valid id ([`check_key`]).
pub fn check_owner(owner: &str) -> Result<(), DocError> {
    if owner.is_empty() {
        Ok(())
    } else {
        check_key(owner)
    }
}

/// In-memory [`DocStore`], for tests and for tools that need no persistence.
#[derive(Debug, Default)]
pub struct MemoryDocs {
    docs: Mutex<Stored>,
    /// Set by [`MemoryDocs::set_full`]: writes fail as on a full disk.
    full: std::sync::atomic::AtomicBool,
    /// Set by [`MemoryDocs::set_failing`]: every access fails.
    failing: std::sync::atomic::AtomicBool,
}

/// `(kind, id)`.
type DocKey = (String, String);

/// Every document by `(kind, id)`.
type Stored = BTreeMap<DocKey, Kept>;

/// A document as [`MemoryDocs`] keeps it: its version, filing (`[owner, state]`) and body.
#[derive(Debug, Clone)]
struct Kept {
    version: u64,
    filing: Option<[String; 2]>,
    body: Vec<u8>,
}

impl Kept {
    fn doc(&self, id: &str) -> Doc {
        let [owner, state] = self.filing.clone().map_or([None, None], |f| f.map(Some));
        Doc {
            id: id.to_string(),
            version: self.version,
            owner,
            state,
            body: self.body.clone(),
        }
    }
}

impl MemoryDocs {
    pub fn new() -> Self {
        Self::default()
    }

    /// While `full`, every write fails with [`DocError::Full`] and changes
    /// nothing, reads keep working — a disk out of space, for testing
    /// what callers do then.
    pub fn set_full(&self, full: bool) {
        self.full.store(full, std::sync::atomic::Ordering::SeqCst);
    }

    /// While `failing`, every read and write fails with
    /// [`DocError::Storage`] and changes nothing — a store that cannot be
    /// reached or an I/O error, for testing what callers do then.
    pub fn set_failing(&self, failing: bool) {
        self.failing
            .store(failing, std::sync::atomic::Ordering::SeqCst);
    }

    /// The lock on the documents, or the failure [`MemoryDocs::set_failing`] asks.
    fn docs(&self) -> Result<std::sync::MutexGuard<'_, Stored>, DocError> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(DocError::Storage("simulated I/O error".into()));
        }
        self.docs
            .lock()
            .map_err(|_| DocError::Storage("poisoned lock".into()))
    }
}

impl MemoryDocs {
    fn put(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        filing: Option<Filing<'_>>,
        body: &[u8],
    ) -> Result<u64, DocError> {
        check_key(kind)?;
        check_key(id)?;
        if self.full.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(DocError::Full);
        }
        let mut docs = self.docs()?;
        let key = (kind.to_string(), id.to_string());
        let found = docs.get(&key).map(|k| k.version);
        if found != expected_version {
            return Err(DocError::Conflict {
                kind: kind.into(),
                id: id.into(),
                expected: expected_version,
                found,
            });
        }
        let version = found.unwrap_or(0) + 1;
        let filing = filing.map(|f| [f.owner.to_string(), f.state.to_string()]);
        docs.insert(
            key,
            Kept {
                version,
                filing,
                body: body.to_vec(),
            },
        );
        Ok(version)
    }

    /// The documents of `kind` that are unfiled or whose filing `keep` accepts, ordered by id.
    fn list_where(
        &self,
        kind: &str,
        keep: impl Fn(&[String; 2]) -> bool,
    ) -> Result<Vec<Doc>, DocError> {
        let docs = self.docs()?;
        Ok(docs
            .iter()
            .filter(|((k, _), kept)| k == kind && kept.filing.as_ref().is_none_or(&keep))
            .map(|((_, id), kept)| kept.doc(id))
            .collect())
    }
}

impl DocStore for MemoryDocs {
    fn put_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        body: &[u8],
    ) -> Result<u64, DocError> {
        self.put(kind, id, expected_version, None, body)
    }

    fn put_filed_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        filing: Filing<'_>,
        body: &[u8],
    ) -> Result<u64, DocError> {
        filing.check()?;
        self.put(kind, id, expected_version, Some(filing), body)
    }

    fn get_doc(&self, kind: &str, id: &str) -> Result<Option<Doc>, DocError> {
        let docs = self.docs()?;
        Ok(docs
            .get(&(kind.to_string(), id.to_string()))
            .map(|kept| kept.doc(id)))
    }

    fn list_docs(&self, kind: &str) -> Result<Vec<Doc>, DocError> {
        self.list_where(kind, |_| true)
    }

    fn list_docs_of(&self, kind: &str, owner: &str) -> Result<Vec<Doc>, DocError> {
        check_owner(owner)?;
        self.list_where(kind, |[o, _]| o == owner)
    }

    fn list_docs_in(&self, kind: &str, state: &str) -> Result<Vec<Doc>, DocError> {
        check_key(state)?;
        self.list_where(kind, |[_, s]| s == state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_update_with_the_expected_version() {
        let docs = MemoryDocs::new();
        assert_eq!(docs.put_doc("request", "R-1", None, b"a").unwrap(), 1);
        assert_eq!(docs.put_doc("request", "R-1", Some(1), b"b").unwrap(), 2);
        let doc = docs.get_doc("request", "R-1").unwrap().unwrap();
        assert_eq!((doc.version, doc.body), (2, b"b".to_vec()));
    }

    #[test]
    fn a_stale_version_or_a_second_create_is_a_conflict_and_changes_nothing() {
        let docs = MemoryDocs::new();
        docs.put_doc("request", "R-1", None, b"a").unwrap();
        assert!(matches!(
            docs.put_doc("request", "R-1", None, b"x"),
            Err(DocError::Conflict { found: Some(1), .. })
        ));
        docs.put_doc("request", "R-1", Some(1), b"b").unwrap();
        assert!(matches!(
            docs.put_doc("request", "R-1", Some(1), b"y"),
            Err(DocError::Conflict { found: Some(2), .. })
        ));
        assert_eq!(docs.get_doc("request", "R-1").unwrap().unwrap().body, b"b");
    }

    #[test]
    fn list_is_per_kind_and_ordered_by_id() {
        let docs = MemoryDocs::new();
        docs.put_doc("hold", "b", None, b"2").unwrap();
        docs.put_doc("hold", "a", None, b"1").unwrap();
        docs.put_doc("breach", "a", None, b"x").unwrap();
        let ids: Vec<_> = docs
            .list_docs("hold")
            .unwrap()
            .into_iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn a_filed_list_holds_its_documents_and_the_unfiled_ones() {
        let docs = MemoryDocs::new();
        let filed = |owner, state| Filing { owner, state };
        for (id, owner, state) in [
            ("c", "sub_a", "open"),
            ("b", "sub_b", "open"),
            ("d", "", "closed"),
        ] {
            docs.put_filed_doc("request", id, None, filed(owner, state), b"x")
                .unwrap();
        }
        docs.put_doc("request", "a", None, b"unfiled").unwrap();
        let ids = |listed: Result<Vec<Doc>, DocError>| -> Vec<String> {
            listed.unwrap().into_iter().map(|d| d.id).collect()
        };
        assert_eq!(ids(docs.list_docs_of("request", "sub_a")), ["a", "c"]);
        assert_eq!(ids(docs.list_docs_of("request", "")), ["a", "d"]);
        assert_eq!(ids(docs.list_docs_in("request", "open")), ["a", "b", "c"]);
        docs.put_filed_doc("request", "d", Some(1), filed("sub_a", "open"), b"y")
            .unwrap();
        assert_eq!(ids(docs.list_docs_of("request", "sub_a")), ["a", "c", "d"]);
        assert_eq!(ids(docs.list_docs_in("request", "closed")), ["a"]);
        let d = docs.get_doc("request", "d").unwrap().unwrap();
        assert_eq!(
            (d.owner.as_deref(), d.state.as_deref()),
            (Some("sub_a"), Some("open"))
        );
        assert!(matches!(
            docs.list_docs_of("request", "a/b"),
            Err(DocError::InvalidKey)
        ));
        assert!(matches!(
            docs.put_filed_doc("request", "e", None, filed("sub_a", ""), b""),
            Err(DocError::InvalidKey)
        ));
    }

    #[test]
    fn bad_keys_are_refused() {
        let docs = MemoryDocs::new();
        for bad in ["", "a/b", "sp ace", &"x".repeat(129)] {
            assert!(matches!(
                docs.put_doc("request", bad, None, b""),
                Err(DocError::InvalidKey)
            ));
        }
    }
}
