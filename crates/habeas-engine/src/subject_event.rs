//! Retention events dated after the records were written: the contract
//! ended on 31 January, the account was closed, the customer wrote to
//! support, the domain was cancelled. A category's retention runs from such
//! an event ("1 year after contract end", "30 days after account closure",
//! GDPR Art. 5(1)(e)); records written while the contract ran have no due
//! date, and without a way to date the event later they would be kept for
//! ever. [`Vault::date_event`] dates it on the subject's records and
//! recomputes their due dates from the declared rules, in one store unit
//! with its journal entry `subject.event` (the event's name and the
//! categories, never the date nor any value).
//!
//! A token dates the event on the categories its purposes cover, and the
//! answer lists the others as `withheld`: dating an account closure in the
//! past makes records due, which is an erasure, and an application should
//! not shorten the retention of data it may not process. The operator (CLI)
//! covers every category. High-volume categories expire by collection month
//! and are not concerned.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use habeas_core::retention::{Anchor, EventDates};
use habeas_store::{EventUpdate, EventUpdateFn, OpOutput, SubjectStatus, WriteOp};
use serde::Serialize;

use crate::access::Caller;
use crate::error::{EngineError, Refusal, Result};
use crate::import_csv::short;
use crate::vault::Vault;

/// How far in the future a last interaction may be dated (clock skew
/// between the provider's systems and this one).
const FUTURE_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// What [`Vault::date_event`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventDating {
    pub subject: String,
    /// The event's key: `contract_end`, `domain_cancelled` …
    pub event: String,
    /// Records updated, by category.
    pub updated: BTreeMap<String, u64>,
    /// Of those, records whose new due date has passed: the next purge
    /// erases them.
    pub due_now: u64,
    /// Declared categories the caller's purposes do not cover: not touched.
    pub withheld: Vec<String>,
}

impl Vault {
    /// The events a record can be dated with: the built-in ones, and every
    /// provider event a declared retention rule runs from or waits for.
    pub fn datable_events(&self) -> Vec<String> {
        let mut out: Vec<String> = ["last_interaction", "contract_end", "account_closure"]
            .map(String::from)
            .to_vec();
        for c in self.decls.categories.values() {
            if let Some(Anchor::Event(name)) = c.retention_anchor()
                && !out.contains(&name)
            {
                out.push(name);
            }
        }
        out
    }

    /// Date `event` (`contract_end`, `last_interaction`, `account_closure`,
    /// or a provider event a rule names) at `at` (default: now) on
    /// `subject`'s records.
    pub fn date_event(
        &self,
        caller: &Caller,
        subject: &str,
        event: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<EventDating> {
        let known = self.datable_events();
        if !known.iter().any(|k| k == event) {
            return Err(EngineError::Invalid(Refusal::new(
                "unknown_event",
                format!(
                    "événement « {} » inconnu : ni un événement prévu, ni celui d'une règle de conservation déclarée ({})",
                    short(event),
                    known.join(", ")
                ),
                format!(
                    "unknown event `{}`: neither a built-in event nor one a declared retention rule runs from ({})",
                    short(event),
                    known.join(", ")
                ),
            )));
        }
        let anchor = Anchor::from_key(event);
        let now = self.now();
        let at = at.unwrap_or(now);
        if anchor == Anchor::LastInteraction && at > now + FUTURE_SKEW {
            return Err(EngineError::invalid(
                "event_in_future",
                "un dernier contact ne peut pas être daté dans le futur",
                "a last interaction cannot be dated in the future",
            ));
        }
        let row = self.subject_row(subject)?;
        if row.status == SubjectStatus::Erased {
            return Err(habeas_store::StoreError::SubjectState {
                id: row.id,
                status: row.status,
            }
            .into());
        }
        let (mut covered, mut withheld) = (Vec::new(), Vec::new());
        for (name, decl) in &self.decls.categories {
            let name = name.get_ref();
            if decl.high_volume {
                continue;
            }
            match caller.authorize(&self.decls, name) {
                Ok(_) => covered.push(name.clone()),
                Err(_) => withheld.push(name.clone()),
            }
        }
        if covered.is_empty() {
            return Err(EngineError::Forbidden(Refusal::new(
                "purpose_not_allowed",
                "les finalités de ce jeton ne couvrent aucune catégorie de la personne",
                "this token's purposes cover none of the subject's categories",
            )));
        }
        let decls = Arc::clone(&self.decls);
        let update: EventUpdate = Arc::new(move |category, collected, stored, linked| {
            let mut dates = EventDates {
                collected_at: Some(collected),
                last_interaction: stored.last_interaction,
                contract_end: stored.contract_end,
                account_closure: stored.account_closure,
                events: std::mem::take(&mut stored.custom),
                incident_linked: linked,
            };
            dates.date_event(&anchor, at);
            stored.last_interaction = dates.last_interaction;
            stored.contract_end = dates.contract_end;
            stored.account_closure = dates.account_closure;
            let due = decls
                .category(category)
                .and_then(|c| c.retention_rule())
                .and_then(|r| r.due(&dates));
            stored.custom = dates.events;
            due
        });
        // The dates and their journal entry commit together (one unit).
        let entry = self.entry(
            caller,
            "subject.event",
            Some(subject),
            None,
            None,
            format!("event={event} categories=[{}]", covered.join(",")),
        );
        let op = WriteOp::DateSubjectEvent {
            subject_id: subject.to_string(),
            categories: covered,
            update: EventUpdateFn(update),
            due_by: now,
        };
        let outcome = self.commit_unit(vec![op], &[entry])?;
        let (updated, due_now) = match outcome.outputs.into_iter().next() {
            Some(OpOutput::Dated { updated, due }) => (updated, due),
            _ => Default::default(),
        };
        Ok(EventDating {
            subject: subject.to_string(),
            event: event.to_string(),
            updated,
            due_now,
            withheld,
        })
    }
}
