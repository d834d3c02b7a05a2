//! Keys of high-volume rows (connection logs, navigation history, security
//! logs): each row is sealed under a key derived from its subject's data
//! key and its (category, month) partition key ([`DataKey::combine`]), so
//! expiring a month destroys one partition key and every copy of the month
//! is unreadable, while erasing a subject still destroys the subject's key
//! (issue 7: the expiry then drops the month's table without zeroing it).
//!
//! Stored layout of a row with key version [`TIMED_KEY_VERSION`]:
//! `fingerprint of the partition key (4 bytes) ‖ sealed value` — the
//! fingerprint says which generation of the month's key sealed the row: a
//! row written while its month was being expired (an old key, destroyed
//! meanwhile) is recognised as such and never mistaken for damage.
//! Rows of key version 1 (written before this scheme) are sealed under the
//! subject's data key alone.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use habeas_crypto::{Aad, DataKey, FINGERPRINT_LEN, combined_context};
use habeas_store::month_index;

use crate::error::{EngineError, Result};
use crate::keys::DataKeys;

/// Key version of high-volume rows sealed under a combined key.
pub(crate) const TIMED_KEY_VERSION: u32 = 2;

/// A key and its fingerprint.
type Fingerprinted = (Arc<DataKey>, [u8; FINGERPRINT_LEN]);

/// The partition keys a write needs, with their fingerprints.
pub(crate) struct PartitionKeys {
    keys: HashMap<(String, i64), Fingerprinted>,
}

impl PartitionKeys {
    /// The keys of the months of `rows` (category, collection time),
    /// created where missing.
    pub(crate) fn for_write<'a>(
        keys: &DataKeys,
        rows: impl Iterator<Item = (&'a str, DateTime<Utc>)>,
    ) -> Result<Self> {
        let mut wanted: Vec<(String, i64)> = rows
            .map(|(c, at)| (c.to_string(), month_index(at)))
            .collect();
        wanted.sort();
        wanted.dedup();
        let mut out = HashMap::with_capacity(wanted.len());
        if !wanted.is_empty() {
            for (slot, key) in keys.partition_keys(&wanted)? {
                let fp = key.fingerprint()?;
                out.insert(slot, (key, fp));
            }
        }
        Ok(PartitionKeys { keys: out })
    }

    /// The row key of (subject, category, month of `at`): derived from the
    /// subject's data key and the month's partition key, with the latter's
    /// fingerprint. A write derives each distinct one once, however many of
    /// its rows share it (a subject's connection logs of one batch).
    pub(crate) fn row_key(
        &self,
        subject_key: &DataKey,
        subject: &str,
        category: &str,
        at: DateTime<Utc>,
    ) -> Result<RowKey> {
        let month = month_index(at);
        let (part, fp) = self
            .keys
            .get(&(category.to_string(), month))
            .ok_or_else(|| EngineError::Storage("a partition key went missing".into()))?;
        let key = subject_key.combine(part, &combined_context(subject, category, month))?;
        Ok(RowKey {
            key,
            fingerprint: *fp,
        })
    }
}

/// The key high-volume rows of one (subject, category, month) are sealed
/// under, with its partition key's fingerprint.
pub(crate) struct RowKey {
    key: DataKey,
    fingerprint: [u8; FINGERPRINT_LEN],
}

impl RowKey {
    /// Seal one row: `fingerprint ‖ sealed`.
    pub(crate) fn seal(&self, plain: &[u8], aad: &Aad) -> Result<Vec<u8>> {
        let sealed = self.key.seal(plain, aad)?;
        let mut out = Vec::with_capacity(FINGERPRINT_LEN + sealed.len());
        out.extend_from_slice(&self.fingerprint);
        out.extend_from_slice(&sealed);
        Ok(out)
    }
}

/// Resolves the key that opens each high-volume row of one subject's
/// category, fetching each month's partition key once.
pub(crate) struct RowKeys<'a> {
    keys: &'a DataKeys,
    subject: &'a str,
    category: &'a str,
    subject_key: Arc<DataKey>,
    /// Per month: the row key and the partition key's fingerprint, or
    /// `None` when that month's partition key is destroyed.
    months: HashMap<i64, Option<Fingerprinted>>,
}

impl<'a> RowKeys<'a> {
    pub(crate) fn new(
        keys: &'a DataKeys,
        subject: &'a str,
        category: &'a str,
        subject_key: Arc<DataKey>,
    ) -> Self {
        RowKeys {
            keys,
            subject,
            category,
            subject_key,
            months: HashMap::new(),
        }
    }

    /// The key opening a row of key version `version`, collected at `at`,
    /// whose stored bytes are `sealed`: the subject's key for version 1;
    /// for version 2 the row key — `None` when the row's partition key is
    /// destroyed (its month expired: the row is no one's data any more).
    pub(crate) fn key_for(
        &mut self,
        version: u32,
        at: DateTime<Utc>,
        sealed: &[u8],
    ) -> Result<Option<Arc<DataKey>>> {
        if version != TIMED_KEY_VERSION {
            return Ok(Some(Arc::clone(&self.subject_key)));
        }
        let fp = fingerprint_of(sealed)?;
        let month = month_index(at);
        if !self.months.contains_key(&month) {
            let part = self.keys.partition_key(self.category, month)?;
            let found = match part {
                Some(part) => {
                    let ctx = combined_context(self.subject, self.category, month);
                    let row_key = Arc::new(self.subject_key.combine(&part, &ctx)?);
                    Some((row_key, part.fingerprint()?))
                }
                None => None,
            };
            self.months.insert(month, found);
        }
        match self.months.get(&month).and_then(Option::as_ref) {
            Some((row_key, current)) if current == fp => Ok(Some(Arc::clone(row_key))),
            _ => Ok(None),
        }
    }
}

/// The partition-key fingerprint a version-2 row starts with.
fn fingerprint_of(sealed: &[u8]) -> Result<&[u8; FINGERPRINT_LEN]> {
    sealed.first_chunk::<FINGERPRINT_LEN>().ok_or_else(|| {
        EngineError::Storage("a high-volume row is shorter than its key fingerprint".into())
    })
}

/// The sealed value of a stored high-volume row (after the fingerprint for
/// version 2).
pub(crate) fn sealed_value(version: u32, sealed: &[u8]) -> Result<&[u8]> {
    if version == TIMED_KEY_VERSION {
        Ok(&sealed[fingerprint_of(sealed)?.len()..])
    } else {
        Ok(sealed)
    }
}
