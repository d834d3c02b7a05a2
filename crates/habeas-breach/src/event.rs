//! The breach log: every change is an appended event (who, when, what), and
//! the current state is the fold of the events. Nothing is ever deleted, so
//! the register documents the facts, their effects and the remedial action as
//! they became known (Art. 33(5) GDPR), and every late answer can be traced.
//!
//! Pure: [`fold`] trusts events that the register validated before appending.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use habeas_core::breach::{Art34Decision, AuthorityNotification};
use habeas_core::declarations::Text;
use serde::{Deserialize, Serialize};

use crate::model::{
    Audience, Breach, BreachStatus, Certainty, DpoContact, ImpactEstimate, Nature, Obligations,
    Origin, PublicCommunication, TimeWindow,
};

/// What staff know when they open a breach.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBreach {
    #[serde(default)]
    pub certainty: Certainty,
    pub detected_at: DateTime<Utc>,
    pub aware_at: DateTime<Utc>,
    pub natures: BTreeSet<Nature>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::BilingualText))]
    pub description: Text,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub systems: Vec<String>,
    #[serde(default)]
    pub data_categories: Vec<String>,
    #[serde(default)]
    pub subject_categories: Vec<String>,
    #[serde(default)]
    pub window: TimeWindow,
}

/// A typed change: each `Some` replaces the field (lists are replaced whole).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreachPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certainty: Option<Certainty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aware_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_by_processor_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub natures: Option<BTreeSet<Nature>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::BilingualText>))]
    pub description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::openapi::BilingualText>))]
    pub discovery: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub systems: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_categories: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_categories: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processors_involved: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<TimeWindow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<ImpactEstimate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::openapi::BilingualText>>))]
    pub consequences: Option<Vec<Text>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::openapi::BilingualText>>))]
    pub measures_taken: Option<Vec<Text>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::openapi::BilingualText>>))]
    pub measures_planned: Option<Vec<Text>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<crate::openapi::BilingualText>>))]
    pub subject_advice: Option<Vec<Text>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpo: Option<DpoContact>,
}

impl BreachPatch {
    /// Whether the patch changes nothing (refused: an empty event documents nothing).
    pub fn is_empty(&self) -> bool {
        self == &BreachPatch::default()
    }

    /// Whether the patch changes what the obligations are derived from.
    pub fn changes_scope(&self) -> bool {
        self.services.is_some() || self.data_categories.is_some()
    }
}

/// What one event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// The breach entered the register, with the contact point and the
    /// obligations derived from the declarations at that time.
    Opened {
        breach: Box<NewBreach>,
        dpo: DpoContact,
        obligations: Obligations,
    },
    /// Fields changed; `obligations` is set when the scope changed them.
    Updated {
        patch: Box<BreachPatch>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        obligations: Option<Obligations>,
    },
    /// A notice was sent to the authority (Art. 33(1), 33(4)); `export_digest`
    /// is the SHA-256 of the exported notification, when one was produced.
    Notified {
        notification: AuthorityNotification,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        export_digest: Option<String>,
    },
    /// An Art. 34 decision (risk level, exemption and why).
    Decided {
        decision: Art34Decision,
    },
    /// Recipients were added to a delivery book (subjects or controllers).
    RecipientsListed {
        audience: Audience,
        added: u64,
    },
    /// The public communication replacing individual notices was published
    /// (Art. 34(3)(c)): when and where (web page, press…).
    PublicCommunication {
        published_at: DateTime<Utc>,
        channel: String,
    },
    Closed {
        reason: String,
    },
    Reopened {
        reason: String,
    },
}

/// One entry of the breach log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachEvent {
    /// 1 for the opening, then +1 per event.
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// The staff member or system account that made the change.
    pub by: String,
    #[serde(flatten)]
    pub change: Change,
}

/// The state after `events`; `None` if the log does not start with an opening.
pub fn fold(id: &str, events: &[BreachEvent]) -> Option<Breach> {
    let (first, rest) = events.split_first()?;
    let Change::Opened {
        breach,
        dpo,
        obligations,
    } = &first.change
    else {
        return None;
    };
    let mut state = opened(id, breach, dpo, obligations);
    for event in rest {
        apply(&mut state, event);
    }
    Some(state)
}

fn opened(id: &str, new: &NewBreach, dpo: &DpoContact, obligations: &Obligations) -> Breach {
    Breach {
        id: id.to_string(),
        status: BreachStatus::Open,
        certainty: new.certainty,
        detected_at: new.detected_at,
        aware_at: new.aware_at,
        reported_by_processor_at: None,
        natures: new.natures.clone(),
        origin: None,
        description: new.description.clone(),
        discovery: None,
        services: new.services.clone(),
        systems: new.systems.clone(),
        data_categories: new.data_categories.clone(),
        subject_categories: new.subject_categories.clone(),
        processors_involved: Vec::new(),
        window: new.window,
        impact: None,
        consequences: Vec::new(),
        measures_taken: Vec::new(),
        measures_planned: Vec::new(),
        subject_advice: Vec::new(),
        dpo: dpo.clone(),
        obligations: obligations.clone(),
        decisions: Vec::new(),
        notifications: Vec::new(),
        listed_subjects: 0,
        listed_controllers: 0,
        public_communication: None,
    }
}

/// Apply one event to the state.
pub fn apply(state: &mut Breach, event: &BreachEvent) {
    match &event.change {
        Change::Opened { .. } => {}
        Change::Updated { patch, obligations } => {
            apply_patch(state, patch);
            if let Some(o) = obligations {
                state.obligations = o.clone();
            }
        }
        Change::Notified { notification, .. } => state.notifications.push(notification.clone()),
        Change::Decided { decision } => state.decisions.push(decision.clone()),
        Change::RecipientsListed { audience, added } => match audience {
            Audience::Subjects => state.listed_subjects += added,
            Audience::Controllers => state.listed_controllers += added,
        },
        Change::PublicCommunication {
            published_at,
            channel,
        } => {
            state.public_communication = Some(PublicCommunication {
                published_at: *published_at,
                channel: channel.clone(),
            })
        }
        Change::Closed { reason } => {
            state.status = BreachStatus::Closed {
                at: event.at,
                by: event.by.clone(),
                reason: reason.clone(),
            }
        }
        Change::Reopened { .. } => state.status = BreachStatus::Open,
    }
}

/// Apply a patch to a state (also used to preview a patch before validating it).
pub fn apply_patch(state: &mut Breach, patch: &BreachPatch) {
    fn set<T: Clone>(field: &mut T, value: &Option<T>) {
        if let Some(v) = value {
            *field = v.clone();
        }
    }
    fn set_opt<T: Clone>(field: &mut Option<T>, value: &Option<T>) {
        if value.is_some() {
            field.clone_from(value);
        }
    }
    set(&mut state.certainty, &patch.certainty);
    set(&mut state.detected_at, &patch.detected_at);
    set(&mut state.aware_at, &patch.aware_at);
    set_opt(
        &mut state.reported_by_processor_at,
        &patch.reported_by_processor_at,
    );
    set(&mut state.natures, &patch.natures);
    set_opt(&mut state.origin, &patch.origin);
    set(&mut state.description, &patch.description);
    set_opt(&mut state.discovery, &patch.discovery);
    set(&mut state.services, &patch.services);
    set(&mut state.systems, &patch.systems);
    set(&mut state.data_categories, &patch.data_categories);
    set(&mut state.subject_categories, &patch.subject_categories);
    set(&mut state.processors_involved, &patch.processors_involved);
    set(&mut state.window, &patch.window);
    set_opt(&mut state.impact, &patch.impact);
    set(&mut state.consequences, &patch.consequences);
    set(&mut state.measures_taken, &patch.measures_taken);
    set(&mut state.measures_planned, &patch.measures_planned);
    set(&mut state.subject_advice, &patch.subject_advice);
    set(&mut state.dpo, &patch.dpo);
}
