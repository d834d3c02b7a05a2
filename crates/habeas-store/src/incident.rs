//! Linking records to a security incident (GDPR Art. 33(5): the documentation
//! of a breach must survive the breach; retention rules such as "12 months
//! after collection; 36 months if linked to an incident" keep the linked
//! records longer).
//!
//! The store cannot evaluate a retention rule (the grammar lives in
//! habeas-core, above this crate), so the engine passes the rule as a
//! function: for every record of one category collected inside a window, the
//! store sets `incident_linked` and writes back the due date that function
//! returns, inside a write unit ([`crate::WriteOp::LinkIncident`]), so the
//! change and its journal entry commit together or not at all (a crash
//! between two transactions would have left linked records with no entry
//! saying who linked them, SPEC C6). Only dates and flags are touched, never
//! a sealed value.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::EventDates;

/// The records to link: one category, `from <= collected_at <= to` (both ends inclusive:
/// a breach window names the first and the last instant concerned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentWindow {
    pub category: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The retention date of a record once linked to an incident, from its collection date and
/// event dates (the engine's declared rule, with the incident period). `None`: not yet known.
pub type IncidentDue =
    Arc<dyn Fn(DateTime<Utc>, &EventDates) -> Option<DateTime<Utc>> + Send + Sync>;

/// [`IncidentDue`] as a [`crate::WriteOp`] carries it (a function has no `Debug` of its own).
#[derive(Clone)]
pub struct IncidentDueFn(pub IncidentDue);

impl std::fmt::Debug for IncidentDueFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IncidentDueFn")
    }
}

/// What [`crate::WriteOp::LinkIncident`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IncidentLinked {
    /// Records newly marked (their retention date recomputed).
    pub linked: u64,
    /// Records in the window that were already linked (left as they were).
    pub already: u64,
}
