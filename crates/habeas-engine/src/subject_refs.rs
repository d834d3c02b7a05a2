//! The subjects an import's `subject_ref`s stand for, kept compact.
//!
//! Why: `habeas import` resolves a `subject_ref` anywhere in its file, so it
//! keeps every reference it created a subject for until the end. Held in a
//! `BTreeMap<String, String>`, a file creating a million subjects kept
//! ~110 MiB of them, and the import's peak reached 353 MiB against the
//! issue's 300 (docs/benchmarks-vault.md, session 15). Here: the references'
//! bytes side by side in one string, and one vector sorted by reference of
//! their place with each subject id's 12 bytes (ids the vault creates are
//! `sub_` and 24 hex digits, [`crate::access::new_id`]) — about 31 bytes a
//! reference, each grown by exactly what a batch adds. The price: a batch's
//! new references are merged in, O(references so far) per batch — ~1.5 s of
//! CPU over an import creating a million subjects, quadratic beyond.

use std::collections::BTreeMap;

use crate::error::{EngineError, Result};

const PREFIX: &str = "sub_";
const ID_BYTES: usize = 12;

/// References (`subject_ref`) → the subjects created for them.
#[derive(Debug, Default)]
pub struct SubjectRefs {
    /// Every reference's bytes, one after the other.
    text: String,
    /// (start, end) of a reference in `text`, and its subject's id bytes;
    /// sorted by reference, each reference once.
    entries: Vec<(u32, u32, [u8; ID_BYTES])>,
}

impl SubjectRefs {
    pub fn new() -> Self {
        Self::default()
    }

    fn reference(&self, (start, end, _): &(u32, u32, [u8; ID_BYTES])) -> &str {
        self.text
            .get(*start as usize..*end as usize)
            .unwrap_or_default()
    }

    fn find(&self, reference: &str) -> std::result::Result<usize, usize> {
        self.entries
            .binary_search_by(|e| self.reference(e).cmp(reference))
    }

    /// The subject created for `reference`.
    pub fn get(&self, reference: &str) -> Option<String> {
        let at = self.find(reference).ok()?;
        Some(format!("{PREFIX}{}", hex::encode(self.entries[at].2)))
    }

    /// How many references are known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Add the subjects a batch created (references not known yet; a known
    /// one keeps its subject). Nothing is added if an id is not one the
    /// vault makes, or past 4 GiB of references.
    pub(crate) fn extend(&mut self, created: &BTreeMap<String, String>) -> Result<()> {
        let mut added = Vec::with_capacity(created.len());
        for (reference, id) in created {
            if self.find(reference).is_err() {
                added.push((reference.as_str(), compact(id)?));
            }
        }
        if added.is_empty() {
            return Ok(());
        }
        let bytes: usize = added.iter().map(|(r, _)| r.len()).sum();
        if u32::try_from(self.text.len() + bytes).is_err() {
            return Err(EngineError::invalid(
                "too_many_subject_refs",
                "trop de références « subject_ref » dans un même import (plus de 4 Gio) : découpez le fichier",
                "too many `subject_ref` values in one import (over 4 GiB): split the file",
            ));
        }
        self.text.reserve_exact(bytes);
        self.entries.reserve_exact(added.len());
        for (reference, id) in added {
            // Within the 4 GiB checked above.
            let start = self.text.len() as u32;
            self.text.push_str(reference);
            self.entries.push((start, self.text.len() as u32, id));
        }
        // Two sorted runs: the stable sort merges them in one pass.
        let mut entries = std::mem::take(&mut self.entries);
        entries.sort_by(|a, b| self.reference(a).cmp(self.reference(b)));
        self.entries = entries;
        Ok(())
    }

    /// Forget `references` (their batch failed: the subjects were not created).
    pub(crate) fn forget<'a>(&mut self, references: impl IntoIterator<Item = &'a str>) {
        for reference in references {
            if let Ok(at) = self.find(reference) {
                self.entries.remove(at);
            }
        }
    }
}

/// A subject id's 12 bytes.
fn compact(id: &str) -> Result<[u8; ID_BYTES]> {
    let mut out = [0u8; ID_BYTES];
    id.strip_prefix(PREFIX)
        .and_then(|hex_part| hex::decode_to_slice(hex_part, &mut out).ok())
        .ok_or_else(|| {
            EngineError::Storage(
                "a new subject's id is not of the form sub_ + 24 hex digits".into(),
            )
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(r, id)| (r.to_string(), id.to_string()))
            .collect()
    }

    const A: &str = "sub_0000000000010123456789ab";
    const B: &str = "sub_0000000000020123456789ab";
    const C: &str = "sub_000000000003fedcba987654";

    #[test]
    fn references_of_several_batches_resolve_to_their_subjects() {
        let mut refs = SubjectRefs::new();
        refs.extend(&batch(&[("m", A), ("z", B)]))
            .expect("first batch");
        refs.extend(&batch(&[("a", C)])).expect("second batch");
        assert_eq!(refs.len(), 3);
        assert_eq!(refs.get("m").as_deref(), Some(A));
        assert_eq!(refs.get("z").as_deref(), Some(B));
        assert_eq!(refs.get("a").as_deref(), Some(C));
        assert_eq!(refs.get("b"), None);
        // A reference already known keeps its subject.
        refs.extend(&batch(&[("m", C)])).expect("again");
        assert_eq!(refs.get("m").as_deref(), Some(A));
        refs.forget(["z"]);
        assert_eq!(refs.get("z"), None);
        assert_eq!(refs.len(), 2);
    }

    #[test]
    fn an_id_of_another_form_is_refused_and_nothing_is_added() {
        let mut refs = SubjectRefs::new();
        assert!(
            refs.extend(&batch(&[("r1", A), ("r2", "sub_xyz")]))
                .is_err()
        );
        assert!(refs.is_empty());
    }
}
