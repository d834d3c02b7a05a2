//! The stored form of a request (document kind `request`) and the view the
//! service returns. The stored form keeps personal data minimal: the
//! subject's vault id, an opaque contact reference (never the address),
//! and codes only as HMACs.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use habeas_core::rights::{
    DueDate, HistoryEntry, Request, RequestKind, Stage, Status, StatutoryDeadline, Urgency,
};
use serde::{Deserialize, Serialize};

use crate::verification::CodeChallenge;

/// How a request reached the provider (Art. 12(3): an electronic request
/// gets an electronic answer where possible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestChannel {
    Email,
    Portal,
    Api,
    Post,
    Phone,
    InPerson,
}

impl RequestChannel {
    pub const ALL: [RequestChannel; 6] = [
        RequestChannel::Email,
        RequestChannel::Portal,
        RequestChannel::Api,
        RequestChannel::Post,
        RequestChannel::Phone,
        RequestChannel::InPerson,
    ];

    pub fn key(self) -> &'static str {
        match self {
            RequestChannel::Email => "email",
            RequestChannel::Portal => "portal",
            RequestChannel::Api => "api",
            RequestChannel::Post => "post",
            RequestChannel::Phone => "phone",
            RequestChannel::InPerson => "in_person",
        }
    }

    /// Whether the answer should be electronic (Art. 12(3), last sentence).
    pub fn is_electronic(self) -> bool {
        matches!(
            self,
            RequestChannel::Email | RequestChannel::Portal | RequestChannel::Api
        )
    }
}

impl fmt::Display for RequestChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A channel that is not one of [`RequestChannel::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown request channel `{0}`: use email, portal, api, post, phone or in_person")]
pub struct UnknownRequestChannel(pub String);

impl FromStr for RequestChannel {
    type Err = UnknownRequestChannel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('-', "_");
        RequestChannel::ALL
            .into_iter()
            .find(|c| c.key() == key)
            .ok_or_else(|| UnknownRequestChannel(s.trim().chars().take(40).collect()))
    }
}

/// What a new request says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequest {
    pub kind: RequestKind,
    pub channel: RequestChannel,
    /// The subject's vault id, when the requester is already known.
    pub subject: Option<String>,
    /// An opaque reference to the contact on file the answer and codes go to
    /// (e.g. `contact:7f3a…`), resolved by the caller; not the address itself.
    pub contact_ref: String,
}

/// A code sent to verify a rectified contact value (Art. 16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewValueChallenge {
    pub challenge: CodeChallenge,
    /// HMAC of the new value the code was sent to; the value itself is not stored.
    pub value_mac: String,
    pub verified_at: Option<DateTime<Utc>>,
}

/// The `request` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRequest {
    pub id: String,
    pub request: Request,
    pub channel: RequestChannel,
    pub subject: Option<String>,
    pub contact_ref: String,
    #[serde(default)]
    pub identity_challenge: Option<CodeChallenge>,
    /// Keyed `category.field`.
    #[serde(default)]
    pub new_value_challenges: BTreeMap<String, NewValueChallenge>,
    /// An erasure request that closes the account: the declared grace
    /// period applies to its erasure plan, whoever computes it.
    #[serde(default)]
    pub account_closure: bool,
    /// When the subject withdrew the request (e.g. reactivated the account
    /// during the grace period); a withdrawn request takes no further step.
    #[serde(default)]
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// A request as the service shows it: both clocks computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestView {
    pub id: String,
    pub version: u64,
    pub kind: RequestKind,
    pub channel: RequestChannel,
    pub subject: Option<String>,
    pub contact_ref: String,
    pub stage: Stage,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    /// Art. 12(3): one month from receipt.
    pub statutory_deadline: StatutoryDeadline,
    /// The deadline in force (extended when an extension was granted).
    pub effective_deadline: StatutoryDeadline,
    /// The provider's promise, in words (English), if declared.
    pub promised_delay: Option<String>,
    pub promised_due: Option<DateTime<Utc>>,
    pub next_due: Option<DueDate>,
    pub urgency: Option<Urgency>,
    pub identity_verified_at: Option<DateTime<Utc>>,
    pub history: Vec<HistoryEntry>,
    /// An erasure request that closes the account (grace period applies).
    pub account_closure: bool,
    /// Withdrawn by the subject at this time: closed, nothing more is done.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl RequestView {
    /// Open: neither answered, refused nor withdrawn.
    pub fn is_open(&self) -> bool {
        self.withdrawn_at.is_none() && !self.stage.is_closed()
    }
}
