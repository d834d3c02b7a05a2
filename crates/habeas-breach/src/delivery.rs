//! Delivery books: who must be told about a breach and whether the message
//! reached them — subjects (Art. 34(1)) or controller customers (Art. 33(2)).
//!
//! Recipients are opaque ids (a subject id or a customer id given by the
//! engine), never addresses. Each attempt is appended, never rewritten, so
//! the book shows every try; a transient failure (a relay's 4xx answer, a
//! connection or timeout error) is retried after a pause until the attempts
//! run out, while a permanent one (a 5xx answer: mailbox unknown, recipient
//! rejected; no valid address on file) is never retried — sending the same
//! message again cannot succeed. Either way the person is then reported as
//! failed for staff to reach by other means (Art. 34(1) still applies).
//!
//! Pure: times are passed in; the register stores the book.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Audience;

/// Schema id of a stored delivery book.
pub const DELIVERY_SCHEMA: &str = "habeas.breach.delivery/1";

/// How failed deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a delivery is given up (and shown as failed).
    pub max_attempts: u32,
    /// Pause after a failure before the next attempt.
    pub pause: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            pause: Duration::minutes(15),
        }
    }
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Sent,
    /// `reason` is a short technical reason (e.g. `smtp 451`), never an address.
    /// `permanent`: retrying cannot help (SMTP 5xx, no address on file).
    Failed {
        reason: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        permanent: bool,
    },
}

impl Outcome {
    /// A failure worth retrying later.
    pub fn transient(reason: impl Into<String>) -> Outcome {
        Outcome::Failed {
            reason: reason.into(),
            permanent: false,
        }
    }

    /// A failure no retry can fix.
    pub fn permanent(reason: impl Into<String>) -> Outcome {
        Outcome::Failed {
            reason: reason.into(),
            permanent: true,
        }
    }
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Where one recipient stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not tried yet, or failed and to be retried from `retry_at`.
    Pending {
        attempts: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_at: Option<DateTime<Utc>>,
    },
    Sent {
        at: DateTime<Utc>,
    },
    /// Every attempt failed, or the last failure was permanent: reach the
    /// person another way.
    Failed {
        attempts: u32,
        last_reason: String,
        /// Given up at once because the failure was permanent (not retried).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        permanent: bool,
    },
}

/// Everyone to tell about one breach, for one audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryBook {
    pub schema: String,
    pub breach: String,
    pub audience: Audience,
    /// Attempts per recipient id, in order.
    pub recipients: BTreeMap<String, Vec<Attempt>>,
}

/// Counts per status, for the register and the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeliveryCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
    /// Of `failed`, those given up at once on a permanent failure.
    #[serde(default)]
    pub permanent: u64,
}

/// Why an attempt cannot be recorded. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("recipient `{0}` is not in this delivery book; add it to the list first")]
    UnknownRecipient(String),
    #[error("recipient `{0}` was already reached; a delivery is recorded once")]
    AlreadySent(String),
    #[error(
        "recipient id #{index} is blank, too long or has control characters: give the subject or customer id"
    )]
    BadRecipient { index: usize },
    #[error(
        "the failure reason is blank or longer than 200 characters: give a short technical reason, never an address"
    )]
    BadReason,
}

impl DeliveryBook {
    pub fn new(breach: &str, audience: Audience) -> Self {
        DeliveryBook {
            schema: DELIVERY_SCHEMA.to_string(),
            breach: breach.to_string(),
            audience,
            recipients: BTreeMap::new(),
        }
    }

    /// Add recipients (already listed ones are kept as they are); returns how many were new.
    pub fn add(&mut self, ids: &[String]) -> Result<u64, DeliveryError> {
        if let Some(index) = ids.iter().position(|id| !valid_id(id)) {
            return Err(DeliveryError::BadRecipient { index });
        }
        let mut added = 0;
        for id in ids {
            if !self.recipients.contains_key(id) {
                self.recipients.insert(id.clone(), Vec::new());
                added += 1;
            }
        }
        Ok(added)
    }

    /// Record an attempt for `recipient`.
    pub fn record(
        &mut self,
        recipient: &str,
        at: DateTime<Utc>,
        outcome: Outcome,
    ) -> Result<(), DeliveryError> {
        if let Outcome::Failed { reason, .. } = &outcome
            && (reason.trim().is_empty() || reason.len() > 200)
        {
            return Err(DeliveryError::BadReason);
        }
        let attempts = self
            .recipients
            .get_mut(recipient)
            .ok_or_else(|| DeliveryError::UnknownRecipient(recipient.to_string()))?;
        if attempts.iter().any(|a| a.outcome == Outcome::Sent) {
            return Err(DeliveryError::AlreadySent(recipient.to_string()));
        }
        attempts.push(Attempt { at, outcome });
        Ok(())
    }

    /// The status of one recipient under `policy`.
    pub fn status(&self, recipient: &str, policy: &RetryPolicy) -> Option<DeliveryStatus> {
        self.recipients.get(recipient).map(|a| status_of(a, policy))
    }

    /// Recipients to send to at `now`: never tried, or failed and due for a retry.
    pub fn due(&self, now: DateTime<Utc>, policy: &RetryPolicy) -> Vec<&str> {
        self.recipients
            .iter()
            .filter(|(_, attempts)| match status_of(attempts, policy) {
                DeliveryStatus::Pending { retry_at, .. } => retry_at.is_none_or(|t| t <= now),
                _ => false,
            })
            .map(|(id, _)| id.as_str())
            .collect()
    }

    pub fn counts(&self, policy: &RetryPolicy) -> DeliveryCounts {
        let mut c = DeliveryCounts::default();
        for attempts in self.recipients.values() {
            match status_of(attempts, policy) {
                DeliveryStatus::Pending { .. } => c.pending += 1,
                DeliveryStatus::Sent { .. } => c.sent += 1,
                DeliveryStatus::Failed { permanent, .. } => {
                    c.failed += 1;
                    c.permanent += u64::from(permanent);
                }
            }
        }
        c
    }
}

fn valid_id(id: &str) -> bool {
    !id.trim().is_empty() && id.len() <= 128 && !id.chars().any(char::is_control)
}

fn status_of(attempts: &[Attempt], policy: &RetryPolicy) -> DeliveryStatus {
    if let Some(sent) = attempts.iter().find(|a| a.outcome == Outcome::Sent) {
        return DeliveryStatus::Sent { at: sent.at };
    }
    let tries = u32::try_from(attempts.len()).unwrap_or(u32::MAX);
    let permanent = |a: &Attempt| {
        matches!(
            a.outcome,
            Outcome::Failed {
                permanent: true,
                ..
            }
        )
    };
    match attempts.last() {
        None => DeliveryStatus::Pending {
            attempts: 0,
            retry_at: None,
        },
        Some(last) if tries >= policy.max_attempts || permanent(last) => DeliveryStatus::Failed {
            attempts: tries,
            last_reason: match &last.outcome {
                Outcome::Failed { reason, .. } => reason.clone(),
                Outcome::Sent => String::new(),
            },
            permanent: permanent(last),
        },
        Some(last) => DeliveryStatus::Pending {
            attempts: tries,
            retry_at: Some(last.at + policy.pause),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .unwrap()
            .to_utc()
            + Duration::minutes(minutes)
    }

    fn failed() -> Outcome {
        Outcome::transient("smtp 451")
    }

    #[test]
    fn art34_1_each_subject_is_pending_then_sent_and_failures_are_retried_after_a_pause() {
        let policy = RetryPolicy {
            max_attempts: 2,
            pause: Duration::minutes(15),
        };
        let mut book = DeliveryBook::new("B-2026-0001", Audience::Subjects);
        assert_eq!(book.add(&["s-1".into(), "s-2".into()]).unwrap(), 2);
        assert_eq!(book.add(&["s-2".into(), "s-3".into()]).unwrap(), 1);
        assert_eq!(book.due(t(0), &policy), ["s-1", "s-2", "s-3"]);

        book.record("s-1", t(0), Outcome::Sent).unwrap();
        book.record("s-2", t(0), failed()).unwrap();
        assert_eq!(book.due(t(5), &policy), ["s-3"]);
        assert_eq!(book.due(t(15), &policy), ["s-2", "s-3"]);
        book.record("s-2", t(15), failed()).unwrap();
        assert_eq!(
            book.status("s-2", &policy),
            Some(DeliveryStatus::Failed {
                attempts: 2,
                last_reason: "smtp 451".into(),
                permanent: false,
            })
        );
        assert_eq!(
            book.counts(&policy),
            DeliveryCounts {
                pending: 1,
                sent: 1,
                failed: 1,
                permanent: 0,
            }
        );
        assert_eq!(
            book.record("s-1", t(20), Outcome::Sent),
            Err(DeliveryError::AlreadySent("s-1".into()))
        );
        assert_eq!(
            book.record("s-9", t(20), Outcome::Sent),
            Err(DeliveryError::UnknownRecipient("s-9".into()))
        );
    }

    #[test]
    fn bad_ids_and_reasons_are_refused_and_change_nothing() {
        let mut book = DeliveryBook::new("B-2026-0001", Audience::Controllers);
        assert_eq!(
            book.add(&["c-1".into(), " ".into()]),
            Err(DeliveryError::BadRecipient { index: 1 })
        );
        assert!(book.recipients.is_empty());
        book.add(&["c-1".into()]).unwrap();
        let long = Outcome::transient("x".repeat(201));
        assert_eq!(
            book.record("c-1", t(0), long),
            Err(DeliveryError::BadReason)
        );
        assert!(book.recipients["c-1"].is_empty());
    }

    #[test]
    fn art34_1_a_permanent_failure_is_given_up_at_once_and_a_transient_one_retried() {
        let policy = RetryPolicy {
            max_attempts: 5,
            pause: Duration::minutes(15),
        };
        let mut book = DeliveryBook::new("B-2026-0001", Audience::Subjects);
        book.add(&["unknown".into(), "busy".into()]).unwrap();
        book.record("unknown", t(0), Outcome::permanent("smtp 550"))
            .unwrap();
        book.record("busy", t(0), failed()).unwrap();
        assert_eq!(
            book.status("unknown", &policy),
            Some(DeliveryStatus::Failed {
                attempts: 1,
                last_reason: "smtp 550".into(),
                permanent: true,
            })
        );
        // Never due again, however long one waits; the transient one is.
        assert_eq!(book.due(t(60 * 24), &policy), ["busy"]);
        assert_eq!(
            book.counts(&policy),
            DeliveryCounts {
                pending: 1,
                sent: 0,
                failed: 1,
                permanent: 1,
            }
        );
    }

    #[test]
    fn a_book_written_before_permanent_failures_existed_still_reads() {
        let old = r#"{"at":"2026-12-05T10:00:00Z","outcome":"failed","reason":"smtp 451"}"#;
        let a: Attempt = serde_json::from_str(old).unwrap();
        assert_eq!(a.outcome, Outcome::transient("smtp 451"));
        assert_eq!(serde_json::to_string(&a).unwrap(), old);
    }
}
