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

/// One stored document: its id, version (1 for the first write), owner and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub id: String,
    pub version: u64,
    /// What [`DocStore::put_owned_doc`] filed it under (`Some("")`: owned by no one); `None`
    /// when written by [`DocStore::put_doc`] or before owners were kept.
    pub owner: Option<String>,
    pub body: Vec<u8>,
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
    /// [`DocStore::put_doc`], filing the document under `owner` — the vault id of the data
    /// subject it concerns, `""` for none — so that [`DocStore::list_docs_of`] finds it without
    /// reading every document of the kind. A replacement refiles it. This default files
    /// nothing: every document stays a candidate for every owner.
    fn put_owned_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        owner: &str,
        body: &[u8],
    ) -> Result<u64, DocError> {
        check_owner(owner)?;
        self.put_doc(kind, id, expected_version, body)
    }
    /// The documents of `kind` filed under `owner`, and those filed under no known owner
    /// (written by [`DocStore::put_doc`], or before owners were kept): candidates, which the
    /// caller still checks by their body. Ordered by id. This default lists the whole kind.
    fn list_docs_of(&self, kind: &str, owner: &str) -> Result<Vec<Doc>, DocError> {
        check_owner(owner)?;
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

/// Every document by `(kind, id)`: its version, owner and body.
type Stored = BTreeMap<DocKey, (u64, Option<String>, Vec<u8>)>;

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
        owner: Option<&str>,
        body: &[u8],
    ) -> Result<u64, DocError> {
        check_key(kind)?;
        check_key(id)?;
        if self.full.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(DocError::Full);
        }
        let mut docs = self.docs()?;
        let key = (kind.to_string(), id.to_string());
        let found = docs.get(&key).map(|(v, _, _)| *v);
        if found != expected_version {
            return Err(DocError::Conflict {
                kind: kind.into(),
                id: id.into(),
                expected: expected_version,
                found,
            });
        }
        let version = found.unwrap_or(0) + 1;
        docs.insert(key, (version, owner.map(str::to_string), body.to_vec()));
        Ok(version)
    }

    /// The documents of `kind` that `keep` accepts by owner, ordered by id.
    fn list_where(
        &self,
        kind: &str,
        keep: impl Fn(Option<&str>) -> bool,
    ) -> Result<Vec<Doc>, DocError> {
        let docs = self.docs()?;
        Ok(docs
            .iter()
            .filter(|((k, _), (_, owner, _))| k == kind && keep(owner.as_deref()))
            .map(|((_, id), (version, owner, body))| Doc {
                id: id.clone(),
                version: *version,
                owner: owner.clone(),
                body: body.clone(),
            })
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

    fn put_owned_doc(
        &self,
        kind: &str,
        id: &str,
        expected_version: Option<u64>,
        owner: &str,
        body: &[u8],
    ) -> Result<u64, DocError> {
        check_owner(owner)?;
        self.put(kind, id, expected_version, Some(owner), body)
    }

    fn get_doc(&self, kind: &str, id: &str) -> Result<Option<Doc>, DocError> {
        let docs = self.docs()?;
        Ok(docs
            .get(&(kind.to_string(), id.to_string()))
            .map(|(version, owner, body)| Doc {
                id: id.to_string(),
                version: *version,
                owner: owner.clone(),
                body: body.clone(),
            }))
    }

    fn list_docs(&self, kind: &str) -> Result<Vec<Doc>, DocError> {
        self.list_where(kind, |_| true)
    }

    fn list_docs_of(&self, kind: &str, owner: &str) -> Result<Vec<Doc>, DocError> {
        check_owner(owner)?;
        self.list_where(kind, |o| o.is_none_or(|o| o == owner))
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
    fn an_owners_list_holds_its_documents_and_the_unfiled_ones() {
        let docs = MemoryDocs::new();
        docs.put_owned_doc("request", "c", None, "sub_a", b"1")
            .unwrap();
        docs.put_owned_doc("request", "b", None, "sub_b", b"2")
            .unwrap();
        docs.put_owned_doc("request", "d", None, "", b"3").unwrap();
        docs.put_doc("request", "a", None, b"unfiled").unwrap();
        let ids = |owner| -> Vec<String> {
            docs.list_docs_of("request", owner)
                .unwrap()
                .into_iter()
                .map(|d| d.id)
                .collect()
        };
        assert_eq!(ids("sub_a"), ["a", "c"]);
        assert_eq!(ids(""), ["a", "d"]);
        docs.put_owned_doc("request", "d", Some(1), "sub_a", b"3")
            .unwrap();
        assert_eq!(ids("sub_a"), ["a", "c", "d"]);
        assert!(matches!(
            docs.list_docs_of("request", "a/b"),
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
