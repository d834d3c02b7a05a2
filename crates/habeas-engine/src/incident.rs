//! Records linked to a security incident keep the longer retention their
//! category declares for incidents ("12 months after collection; 36 months
//! if linked to an incident"): the documentation of a breach must outlive
//! the breach (Art. 33(5) GDPR), and storage limitation (Art. 5(1)(e)) still
//! bounds it. [`Vault::link_incident`] marks the records of one category
//! collected inside a breach window and recomputes their retention date from
//! the declared rule, in one store unit with its journal entry
//! `incident.link` (the category and the window, never a value; the counts
//! are known only once the unit has run, and go back to the caller: `habeas
//! breach` prints them, the breach API answers them).
//!
//! High-volume (time-partitioned) categories are refused: their rows carry
//! no per-row flag outside the ciphertext, and their monthly partitions are
//! already expired on the incident period when one is declared
//! (`retention::expire_partitions`), so they need no marking.
//!
//! The store scans the category's records (there is no index on
//! `(category, collected_at)`): a breach-time operation, run once per
//! breach category, not a hot path.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use habeas_store::{IncidentDue, IncidentDueFn, IncidentWindow, OpOutput, WriteOp};
use serde::Serialize;

use crate::access::Caller;
use crate::error::{EngineError, Refusal, Result};
use crate::vault::Vault;

/// What [`Vault::link_incident`] did for one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentLinks {
    pub category: String,
    /// Records newly linked (retention date recomputed with the incident period).
    pub linked: u64,
    /// Records of the window linked before (left as they were).
    pub already: u64,
}

impl Vault {
    /// Link the records of `category` collected in `[from, to]` to a
    /// security incident and recompute their retention dates. Journaled
    /// (action `incident.link`) with the window, in the same store unit.
    pub fn link_incident(
        &self,
        caller: &Caller,
        category: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<IncidentLinks> {
        let decl = self.decls.category(category).ok_or_else(|| {
            EngineError::Invalid(
                Refusal::new(
                    "unknown_category",
                    format!("catégorie « {category} » non déclarée"),
                    format!("category `{category}` is not declared"),
                )
                .category(category),
            )
        })?;
        if decl.high_volume {
            return Err(EngineError::Invalid(
                Refusal::new(
                    "high_volume_category",
                    "les catégories à fort volume gardent la durée « incident » par partition, sans marquage",
                    "high-volume categories keep the incident period per partition; their rows are not marked",
                )
                .category(category),
            ));
        }
        if from > to {
            return Err(EngineError::Invalid(
                Refusal::new(
                    "bad_window",
                    "la fenêtre commence après sa fin : donnez le début puis la fin",
                    "the window starts after it ends: give its start, then its end",
                )
                .category(category),
            ));
        }
        let rule = decl.retention_rule().cloned();
        let due: IncidentDue = Arc::new(move |collected, events| {
            let dates = habeas_core::retention::EventDates {
                collected_at: Some(collected),
                last_interaction: events.last_interaction,
                contract_end: events.contract_end,
                account_closure: events.account_closure,
                events: events.custom.clone(),
                incident_linked: true,
            };
            rule.as_ref().and_then(|r| r.due(&dates))
        });
        let window = IncidentWindow {
            category: category.to_string(),
            from,
            to,
        };
        let entry = self.entry(
            caller,
            "incident.link",
            None,
            Some(category),
            None,
            format!("window=[{},{}]", from.to_rfc3339(), to.to_rfc3339()),
        );
        let op = WriteOp::LinkIncident {
            window,
            due: IncidentDueFn(due),
        };
        let outcome = self.commit_unit(vec![op], &[entry])?;
        let done = match outcome.outputs.into_iter().next() {
            Some(OpOutput::Linked(done)) => done,
            _ => Default::default(),
        };
        Ok(IncidentLinks {
            category: category.to_string(),
            linked: done.linked,
            already: done.already,
        })
    }
}
