//! Row-level types exchanged with the engine. Everything personal is already sealed
//! (`Vec<u8>` produced by `habeas-crypto`) or a keyed digest; ids are opaque strings the engine
//! generates. Timestamps are UTC; both backends store them as microseconds since the Unix epoch
//! (`BIGINT`), which keeps comparisons, indexes and partition bounds identical on both.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A data subject's lifecycle state (GDPR Art. 17 erasure, Art. 18 restriction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectStatus {
    /// Normal processing.
    Active,
    /// Relationship ended; records wait for their retention dates.
    Closed,
    /// Crypto-shredded (Art. 17): keys destroyed, only the pseudonymous row remains.
    Erased,
    /// Processing restricted (Art. 18): storage only.
    Restricted,
}

impl SubjectStatus {
    /// Stable text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Closed => "closed",
            Self::Erased => "erased",
            Self::Restricted => "restricted",
        }
    }

    /// Parse the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => Self::Active,
            "closed" => Self::Closed,
            "erased" => Self::Erased,
            "restricted" => Self::Restricted,
            _ => return None,
        })
    }
}

/// A data subject row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Engine-generated opaque id (a pseudonym, never an identifier of the person).
    pub id: String,
    /// Declared subject kind (customer, employee, prospect…).
    pub kind: String,
    pub status: SubjectStatus,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// End of the grace period after closure, when closure-driven retention starts to bite.
    pub grace_until: Option<DateTime<Utc>>,
    pub erased_at: Option<DateTime<Utc>>,
}

/// Filter for [`crate::Store::list_subjects`].
#[derive(Debug, Clone, Default)]
pub struct SubjectFilter {
    pub status: Option<SubjectStatus>,
    /// Only subjects whose `grace_until <= t`.
    pub grace_due_by: Option<DateTime<Utc>>,
    /// Keyset paging: only ids strictly greater than this.
    pub after_id: Option<String>,
    pub limit: usize,
}

/// Event dates that drive retention (C5); the engine computes `retention_due` from them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDates {
    pub last_interaction: Option<DateTime<Utc>>,
    pub contract_end: Option<DateTime<Utc>>,
    pub account_closure: Option<DateTime<Utc>>,
    /// Declared custom events, by name.
    pub custom: BTreeMap<String, DateTime<Utc>>,
}

impl EventDates {
    /// The dates as both backends store them: microseconds (or NULL) in
    /// three columns, the custom events as a JSON object (`{}` for most
    /// rows, which is not parsed).
    pub(crate) fn from_columns(
        last_interaction: Option<i64>,
        contract_end: Option<i64>,
        account_closure: Option<i64>,
        custom: &str,
    ) -> crate::Result<EventDates> {
        use crate::time::opt_from_micros;
        Ok(EventDates {
            last_interaction: opt_from_micros(last_interaction, "records")?,
            contract_end: opt_from_micros(contract_end, "records")?,
            account_closure: opt_from_micros(account_closure, "records")?,
            custom: if custom == "{}" {
                BTreeMap::new()
            } else {
                serde_json::from_str(custom).map_err(|e| crate::StoreError::Corrupt {
                    table: "records",
                    detail: e.to_string(),
                })?
            },
        })
    }

    /// The custom events' column: a JSON object.
    pub(crate) fn custom_column(&self) -> crate::Result<String> {
        serde_json::to_string(&self.custom).map_err(|e| crate::StoreError::Invalid(e.to_string()))
    }
}

/// A record as written and read back. `sealed` is the AEAD output of the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Engine-generated opaque id (part of the AEAD associated data).
    pub id: String,
    pub subject_id: String,
    pub category: String,
    pub collected_at: DateTime<Utc>,
    pub source_channel: String,
    pub purposes: Vec<String>,
    pub events: EventDates,
    /// Linked to a security incident (retention may be extended, GDPR Art. 33(5) documentation).
    pub incident_linked: bool,
    /// When the record must be erased or anonymised (Art. 5(1)(e) storage limitation); indexed.
    pub retention_due: Option<DateTime<Utc>>,
    pub sealed: Vec<u8>,
    pub key_version: u32,
}

/// What [`crate::Store::insert_records`] takes: the same shape as a stored record.
pub type NewRecord = Record;

/// A record whose retention date has passed, as listed by [`crate::Store::due_records`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRecord {
    pub id: String,
    pub subject_id: String,
    pub category: String,
    pub retention_due: DateTime<Utc>,
    /// Linked to a security incident: its due date already carries the longer incident
    /// period; the purge report counts these apart (GDPR Art. 33(5) documentation).
    pub incident_linked: bool,
}

/// Query for [`crate::Store::due_records`]: keyset paging on `(retention_due, id)`.
#[derive(Debug, Clone)]
pub struct DueQuery {
    pub due_by: DateTime<Utc>,
    pub category: Option<String>,
    /// Resume after this `(retention_due, id)`.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: usize,
}

/// A row of a high-volume, time-partitioned category (connection logs, navigation, security logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedRecord {
    pub id: String,
    pub subject_id: String,
    pub category: String,
    /// Partition key: rows are stored in the partition of this month (UTC).
    pub collected_at: DateTime<Utc>,
    pub sealed: Vec<u8>,
    pub key_version: u32,
}

/// One partition dropped by [`crate::Store::drop_timed_before`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedPartition {
    pub category: String,
    /// First day of the partition's month, e.g. 2025-01 → 2025-01-01T00:00:00Z.
    pub month_start: DateTime<Utc>,
    pub rows: u64,
}

/// Breach-impact counts (GDPR Art. 33(3)(a): approximate number of subjects and records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImpactCount {
    pub subjects: u64,
    pub rows: u64,
}

/// A keyed blind-index entry (HMAC digest of a normalised identifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlindIndexEntry {
    /// Identifier kind (email, phone, customer_number…).
    pub kind: String,
    pub digest: Vec<u8>,
    pub subject_id: String,
}

/// An audit-journal row. Hashes are computed by the engine; the store keeps them verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    pub seq: u64,
    pub ts: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject_id: Option<String>,
    pub category: Option<String>,
    pub purpose: Option<String>,
    /// JSON text (no values of personal data: the engine guarantees it).
    pub details: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// A signed journal checkpoint (Ed25519 signature bytes produced by the engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: Vec<u8>,
    pub signature: Vec<u8>,
}

/// What remains of dropped journal rows: the last dropped row's seq and hash, so
/// verification of the remaining rows can start from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalAnchor {
    pub seq: u64,
    pub hash: Vec<u8>,
}

/// An application token. Only the digest of the secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppToken {
    pub digest: Vec<u8>,
    pub name: String,
    pub purposes: Vec<String>,
    pub categories: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A wrapped data key for one (subject, category).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub subject_id: String,
    pub category: String,
    /// Which key-encryption key wrapped it.
    pub kek_id: String,
    pub wrapped: Vec<u8>,
}
