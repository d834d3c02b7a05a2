//! Dating a retention event on a subject's records after they were written:
//! the contract ended, the account was closed, the customer was last in
//! touch, a domain was cancelled. Retention rules run from those dates
//! ("1 year after contract end", GDPR Art. 5(1)(e)); a record written while
//! the contract ran has no due date until the event is dated.
//!
//! As for incident links, the store cannot evaluate a retention rule (the
//! grammar lives in habeas-core, above this crate): the engine passes a
//! function that changes a record's event dates in place and returns its new
//! due date; the store applies it to the subject's records of the named
//! categories inside a write unit ([`crate::WriteOp::DateSubjectEvent`]), so
//! the change and its journal entry commit together or not at all. Only dates are touched, never a sealed
//! value; high-volume (partitioned) rows expire from their collection month
//! and are not touched.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::EventDates;

/// For one record — its category, collection time, event dates (changed in
/// place) and incident link — the new retention due date (`None`: not yet known).
pub type EventUpdate =
    Arc<dyn Fn(&str, DateTime<Utc>, &mut EventDates, bool) -> Option<DateTime<Utc>> + Send + Sync>;

/// [`EventUpdate`] as a [`crate::WriteOp`] carries it (a function has no `Debug` of its own).
#[derive(Clone)]
pub struct EventUpdateFn(pub EventUpdate);

impl std::fmt::Debug for EventUpdateFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventUpdateFn")
    }
}

/// Records updated by [`crate::WriteOp::DateSubjectEvent`], by category.
pub type EventDated = BTreeMap<String, u64>;
