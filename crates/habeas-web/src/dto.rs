//! The API's JSON shapes. They are separate from the engine's types (only
//! this crate knows HTTP and its JSON), and they carry the OpenAPI schemas.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use habeas_core::retention::EventDates;
use habeas_engine::RecordInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/subjects`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubject {
    /// A declared subject category (default: the first declared).
    #[serde(default)]
    pub kind: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectCreated {
    pub subject: String,
}

/// The event dates that drive retention.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsBody {
    pub last_interaction: Option<DateTime<Utc>>,
    pub contract_end: Option<DateTime<Utc>>,
    pub account_closure: Option<DateTime<Utc>>,
    /// Provider-specific events by name (`domain_cancelled`).
    #[serde(default)]
    pub events: BTreeMap<String, DateTime<Utc>>,
    /// Linked to a security incident (longer retention when declared).
    #[serde(default)]
    pub incident_linked: bool,
}

/// One record. In a bulk body, each line also names `subject` or `subject_ref`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// Existing subject (`sub_…`); in the single-record route the URL names it.
    #[serde(default)]
    pub subject: Option<String>,
    /// Bulk only: a reference local to the batch that creates a subject once.
    #[serde(default)]
    pub subject_ref: Option<String>,
    /// A declared data category.
    pub category: String,
    /// Only the category's declared fields, each of its declared type.
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Source channel (`web_form`, `import`, `api` …; default `api`).
    #[serde(default)]
    pub source: Option<String>,
    /// Declared purposes (activities); default: all processing the category.
    #[serde(default)]
    pub purposes: Vec<String>,
    /// Collection time (default: now).
    #[serde(default)]
    pub collected_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub events: EventsBody,
}

impl RecordBody {
    pub fn into_input(self) -> RecordInput {
        RecordInput {
            subject: self.subject,
            subject_ref: self.subject_ref,
            category: self.category,
            fields: self.fields,
            source: self.source,
            purposes: self.purposes,
            collected_at: self.collected_at,
            events: EventDates {
                collected_at: None,
                last_interaction: self.events.last_interaction,
                contract_end: self.events.contract_end,
                account_closure: self.events.account_closure,
                events: self.events.events,
                incident_linked: self.events.incident_linked,
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordWritten {
    pub subject: String,
    pub record: String,
    pub category: String,
    /// Retention due date; absent while its anchor event has not happened.
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkWritten {
    pub written: u64,
    /// `subject_ref` → created subject id.
    pub created_subjects: BTreeMap<String, String>,
    /// With `match_existing=true`: how many references added to a subject
    /// already in the vault.
    pub matched_subjects: usize,
    /// Records written without a retention due date because their
    /// category's rule runs from an event the lines did not date (a
    /// contract's end …), by category; date it later with
    /// `POST /api/subjects/{id}/events`. Absent when none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub waiting_for_event: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BulkQuery {
    /// `true`: a `subject_ref` whose records carry an identifier that finds
    /// one subject already in the vault adds to it instead of creating one
    /// (several subjects found: 422 `ambiguous_match`, nothing written).
    #[param(pattern = "^(true|false)$")]
    pub match_existing: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordOut {
    pub id: String,
    pub category: String,
    /// The record's declared fields, written out as they were sealed.
    #[schema(value_type = Object)]
    pub fields: habeas_engine::Fields,
    pub source: String,
    pub purposes: Vec<String>,
    #[serde(serialize_with = "habeas_engine::json_time::rfc3339")]
    pub collected_at: DateTime<Utc>,
    #[serde(serialize_with = "habeas_engine::json_time::rfc3339_opt")]
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectRecords {
    pub subject: String,
    pub kind: String,
    pub status: String,
    pub records: Vec<RecordOut>,
    /// Categories held for this subject that the token's purpose does not cover.
    pub withheld: Vec<String>,
}

/// `POST /api/subjects/{subject}/events`: a retention event dated after the
/// records were written (the contract ended, the account was closed, the
/// customer was last in touch, a provider event a rule names).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// `contract_end`, `last_interaction`, `account_closure`, or the event a
    /// declared retention rule runs from (`domain_cancelled` …).
    pub event: String,
    /// When it happened (RFC 3339); default: now.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// What dating the event did.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDatedOut {
    pub subject: String,
    pub event: String,
    /// Records whose event date and retention due date were updated, by category.
    pub updated: BTreeMap<String, u64>,
    /// Of those, records now due: the next purge erases them.
    pub due_now: u64,
    /// Declared categories the token's purposes do not cover: left as they were.
    pub withheld: Vec<String>,
}

/// `POST /api/subjects/find`: identifiers travel in the body, never in URLs (logs).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindBody {
    /// `email`, `phone`, or a declared identifier field (`account_id` …).
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindResult {
    pub subjects: Vec<String>,
}

/// The error body of every refusal.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(value_type = Object)]
    pub error: serde_json::Value,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReadQuery {
    /// Only this category.
    pub category: Option<String>,
}
