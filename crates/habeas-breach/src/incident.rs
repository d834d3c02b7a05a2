//! What a breach does to retention (issue 9, item 6), shared by the CLI and
//! the HTTP API so both behave the same:
//!
//! - **Hold while open.** Every breach category whose retention declares an
//!   incident period ("12 months after collection; 36 months if linked to
//!   an incident", e.g. security logs) is put on a legal hold named after
//!   the breach, so no purge removes the evidence while it is investigated
//!   (Art. 33(5) GDPR: the documentation of the breach; holds are the
//!   Art. 17(3)(e) mechanism of habeas-retention). Placed at open, update
//!   (a category added later) and reopen, once per category; released when
//!   the breach is closed.
//! - **Linked afterwards.** The records of those categories collected in
//!   the breach window are marked linked to the incident, their retention
//!   date recomputed with the incident period, so after the hold is lifted
//!   they still outlive the ordinary period — and no longer than the
//!   declared incident period (Art. 5(1)(e)). High-volume categories are not
//!   marked row by row: their partitions already expire on the incident
//!   period (`habeas_engine::retention::expire_partitions`).
//!
//! A breach without a window start links nothing (the register says
//! "unknown start"; linking every record ever collected would extend
//! retention far beyond the incident): the answer says so, and the link is
//! made when the window is given by an update.

use habeas_core::declarations::Declarations;
use habeas_engine::incident::IncidentLinks;
use habeas_engine::{Caller, Vault};
use habeas_retention::hold::{HoldFilter, HoldScope, HoldService, NewHold};
use serde::Serialize;

use crate::model::Breach;
use crate::register::BreachRegister;
use crate::vault_bridge::{BridgeError, breach_purpose};

/// A hold placed for a breach category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlacedHold {
    pub category: String,
    pub hold: String,
}

/// What opening, changing or reopening a breach did to retention.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct IncidentEffects {
    /// Holds placed by this call (categories already held for the breach are not repeated).
    pub holds: Vec<PlacedHold>,
    /// Per ordinary category with an incident period: records linked in the window.
    pub linked: Vec<IncidentLinks>,
    /// Why no record was linked although a category asks for it (no window start), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_linked: Option<String>,
}

impl IncidentEffects {
    /// Records newly linked, every category together.
    pub fn linked_records(&self) -> u64 {
        self.linked.iter().map(|l| l.linked).sum()
    }
}

/// The reason text naming the breach a hold belongs to (and by which it is found again).
pub fn hold_reason(breach_id: &str) -> String {
    format!(
        "violation {breach_id} ouverte : journaux conservés pour l'enquête / breach {breach_id} open: logs kept for the investigation"
    )
}

/// The breach categories whose retention rule declares an incident period.
pub fn incident_categories(decls: &Declarations, breach: &Breach) -> Vec<String> {
    breach
        .data_categories
        .iter()
        .filter(|c| {
            decls
                .category(c)
                .and_then(|d| d.retention_rule())
                .is_some_and(|rule| rule.incident_period().is_some())
        })
        .cloned()
        .collect()
}

/// Hold and link for `breach` as it now stands (after open, update or
/// reopen). Idempotent: a category already held for this breach gets no
/// second hold, records already linked are counted apart.
pub fn apply(
    register: &BreachRegister<'_>,
    vault: &Vault,
    breach: &Breach,
    by: &str,
) -> Result<IncidentEffects, BridgeError> {
    let decls = vault.declarations();
    let now = register.clock().now();
    let categories = incident_categories(decls, breach);
    let mut effects = IncidentEffects::default();
    if categories.is_empty() {
        return Ok(effects);
    }
    let holds = HoldService::new(register.docs(), register.clock());
    let reason = hold_reason(&breach.id);
    let active = holds.list(HoldFilter::Active).map_err(hold_error)?;
    for category in &categories {
        let scope = HoldScope::Category(category.clone());
        if active
            .iter()
            .any(|h| h.reason == reason && h.scope == scope)
        {
            continue;
        }
        let hold = holds
            .add(NewHold {
                scope,
                reason: reason.clone(),
                created_by: by.to_string(),
                until: None,
            })
            .map_err(hold_error)?;
        effects.holds.push(PlacedHold {
            category: category.clone(),
            hold: hold.id,
        });
    }
    let ordinary: Vec<&String> = categories
        .iter()
        .filter(|c| decls.category(c).is_some_and(|d| !d.high_volume))
        .collect();
    if ordinary.is_empty() {
        return Ok(effects);
    }
    let Some(from) = breach.window.start else {
        effects.not_linked = Some(
            "fenêtre sans début : aucun enregistrement lié ; donnez le début de la fenêtre / \
             the window has no start: no record linked; give the window's start"
                .into(),
        );
        return Ok(effects);
    };
    let to = breach.window.end.unwrap_or(now);
    let purpose = breach_purpose(decls).unwrap_or_else(|| "breach-handling".to_string());
    let caller = Caller::operator(by, &purpose);
    for category in ordinary {
        effects
            .linked
            .push(vault.link_incident(&caller, category, from, to)?);
    }
    Ok(effects)
}

/// Release the holds [`apply`] placed for `breach_id`; returns their ids.
pub fn release(
    register: &BreachRegister<'_>,
    breach_id: &str,
    by: &str,
) -> Result<Vec<String>, BridgeError> {
    let holds = HoldService::new(register.docs(), register.clock());
    let reason = hold_reason(breach_id);
    let mut released = Vec::new();
    for hold in holds.list(HoldFilter::Active).map_err(hold_error)? {
        if hold.reason == reason {
            holds.release(&hold.id, by).map_err(hold_error)?;
            released.push(hold.id);
        }
    }
    Ok(released)
}

fn hold_error(e: habeas_retention::error::RetentionError) -> BridgeError {
    BridgeError::Hold(e.to_string())
}
