//! Privacy-notice versions, persisted and announced (Art. 12–14 GDPR, SPEC
//! C8): the whole history is one sealed document (kind [`NOTICE_KIND`]),
//! checked by `habeas_core::notice::NoticeHistory` on every publication;
//! a substantial version queues one announcement per subject with an e-mail
//! address on file (kind [`ANNOUNCEMENT_KIND`], one document per version),
//! each with its own delivery status.
//!
//! Why one document for the history: the rules compare a new version with
//! the last one (order of dates, identical text), so the check and the write
//! must see the same history — the optimistic version of the document gives
//! that, and a concurrent publication is re-checked on the fresh history.
//!
//! Limit: finding the subjects to tell reads every subject holding data in a
//! category with an e-mail field (decrypted, journaled under
//! [`NOTICE_PURPOSE`]); on a very large vault the announcement is long, and
//! `habeas notice announce` resumes it where it stopped.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use habeas_core::clock::Clock;
use habeas_core::declarations::Declarations;
use habeas_core::docs::{DocError, DocStore, check_key};
use habeas_core::notice::{NoticeDiff, NoticeDraft, NoticeHistory, NoticeRules, NoticeVersion};
use serde::{Deserialize, Serialize};

use crate::error::RightsError;

/// Document kind of the notice history (one document, id [`HISTORY_ID`]).
pub const NOTICE_KIND: &str = "privacy-notice";
const HISTORY_ID: &str = "history";
/// Document kind of the announcements (one per substantial version).
pub const ANNOUNCEMENT_KIND: &str = "notice-announcement";
/// The purpose journaled when subjects' addresses are read to announce a
/// change (Art. 12(1), 13(3): informing subjects is the controller's duty).
pub const NOTICE_PURPOSE: &str = "privacy-notice";

/// How many times a write is retried after a concurrent one.
const RETRIES: usize = 3;

/// A version to publish now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub version: String,
    pub text: String,
    pub effective_at: DateTime<Utc>,
    pub substantial: bool,
}

/// Where a version stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    /// Published, not yet in force.
    Upcoming,
    InForce,
    /// Replaced by a later version now in force.
    Superseded,
}

impl NoticeStatus {
    pub fn label(self, lang: habeas_core::lang::Lang) -> &'static str {
        match self {
            NoticeStatus::Upcoming => lang.pick("à venir", "upcoming"),
            NoticeStatus::InForce => lang.pick("en vigueur", "in force"),
            NoticeStatus::Superseded => lang.pick("remplacée", "superseded"),
        }
    }
}

/// One version as listed (`GET /api/notices`, `habeas notice versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeSummary {
    pub version: String,
    pub published_at: DateTime<Utc>,
    pub effective_at: DateTime<Utc>,
    pub substantial: bool,
    pub sha256: String,
    pub status: NoticeStatus,
}

/// One version with its text and the diff from the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeDetail {
    #[serde(flatten)]
    pub summary: NoticeSummary,
    pub text: String,
    /// `None` for the first version.
    pub diff: Option<NoticeDiff>,
    /// Announcement delivery counts (substantial versions only).
    pub announcement: Option<AnnouncementCounts>,
}

/// The delivery state of one subject's announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Delivery {
    Pending,
    Sent {
        at: DateTime<Utc>,
    },
    /// `reason` is technical (an SMTP stage, "no address"), never an address.
    Failed {
        at: DateTime<Utc>,
        reason: String,
    },
}

/// The announcement of one substantial version: who must be told, and how
/// each delivery went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    pub version: String,
    pub queued_at: DateTime<Utc>,
    /// Subject id → delivery.
    pub recipients: BTreeMap<String, Delivery>,
}

/// How many announcements are sent, pending, failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AnnouncementCounts {
    pub recipients: u64,
    pub sent: u64,
    pub pending: u64,
    pub failed: u64,
}

impl Announcement {
    pub fn counts(&self) -> AnnouncementCounts {
        let mut c = AnnouncementCounts {
            recipients: self.recipients.len() as u64,
            ..Default::default()
        };
        for d in self.recipients.values() {
            match d {
                Delivery::Pending => c.pending += 1,
                Delivery::Sent { .. } => c.sent += 1,
                Delivery::Failed { .. } => c.failed += 1,
            }
        }
        c
    }
}

/// The persisted notice history and its announcements.
pub struct NoticeStore<'a> {
    docs: &'a dyn DocStore,
    clock: &'a dyn Clock,
    decls: &'a Declarations,
}

fn invalid(e: impl std::fmt::Display) -> RightsError {
    RightsError::Invalid {
        what: "notice version",
        how: e.to_string(),
    }
}

fn corrupt(id: &str, detail: String) -> RightsError {
    RightsError::Corrupt {
        kind: "privacy notice",
        id: id.to_string(),
        detail,
    }
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, RightsError> {
    serde_json::to_vec(value).map_err(|e| RightsError::Render {
        format: "privacy notice",
        detail: e.to_string(),
    })
}

impl<'a> NoticeStore<'a> {
    pub fn new(docs: &'a dyn DocStore, clock: &'a dyn Clock, decls: &'a Declarations) -> Self {
        NoticeStore { docs, clock, decls }
    }

    /// The declared announcement period (`[rights] notice_change_period`,
    /// 30 days by default) and the holiday calendar for working days.
    pub fn rules(&self) -> NoticeRules {
        NoticeRules {
            period: self.decls.notice_change_period(),
            calendar: self.decls.holiday_calendar(),
        }
    }

    /// The history and its stored version (`None`: nothing published yet).
    pub fn history(&self) -> Result<(NoticeHistory, Option<u64>), RightsError> {
        let Some(doc) = self.docs.get_doc(NOTICE_KIND, HISTORY_ID)? else {
            return Ok((NoticeHistory::new(), None));
        };
        let stored: NoticeHistory =
            serde_json::from_slice(&doc.body).map_err(|e| corrupt(HISTORY_ID, e.to_string()))?;
        // Replay every publication: a history edited outside Habeas is refused.
        let mut checked = NoticeHistory::new();
        let lenient = NoticeRules {
            period: habeas_core::delay::Delay::Immediate,
            ..self.rules()
        };
        for v in stored.versions() {
            checked
                .publish(
                    NoticeDraft {
                        version: v.version.clone(),
                        text: v.text.clone(),
                        published_at: v.published_at,
                        effective_at: v.effective_at,
                        substantial: v.substantial,
                    },
                    &lenient,
                )
                .map_err(|e| corrupt(HISTORY_ID, e.to_string()))?;
        }
        if checked != stored {
            return Err(corrupt(
                HISTORY_ID,
                "a digest does not match its text".into(),
            ));
        }
        Ok((checked, Some(doc.version)))
    }

    /// Publish `new` now, after every rule of `habeas_core::notice` (a
    /// substantial version takes effect no earlier than the declared period
    /// after today). On error nothing is stored.
    pub fn publish(&self, new: NewNotice) -> Result<NoticeVersion, RightsError> {
        if check_key(&new.version).is_err() || new.version.len() > 64 {
            return Err(invalid(format!(
                "version label {:?} cannot be used: give 1–64 printable ASCII characters without spaces or '/', e.g. 2026-12",
                new.version.chars().take(40).collect::<String>()
            )));
        }
        let rules = self.rules();
        let mut last_conflict = None;
        for _ in 0..RETRIES {
            let (mut history, version) = self.history()?;
            let published = history
                .publish(
                    NoticeDraft {
                        version: new.version.clone(),
                        text: new.text.clone(),
                        published_at: self.clock.now(),
                        effective_at: new.effective_at,
                        substantial: new.substantial,
                    },
                    &rules,
                )
                .map_err(invalid)?
                .clone();
            match self
                .docs
                .put_doc(NOTICE_KIND, HISTORY_ID, version, &json(&history)?)
            {
                Ok(_) => return Ok(published),
                Err(e @ DocError::Conflict { .. }) => last_conflict = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last_conflict
            .map(RightsError::from)
            .unwrap_or_else(|| invalid("the history could not be written; try again")))
    }

    /// Every version with its status now, in publication order.
    pub fn summaries(&self) -> Result<Vec<NoticeSummary>, RightsError> {
        let (history, _) = self.history()?;
        let now = self.clock.now();
        Ok(history
            .versions()
            .iter()
            .map(|v| summary(&history, v, now))
            .collect())
    }

    /// One version with its text, its diff from the previous one and its
    /// announcement counts.
    pub fn detail(&self, version: &str) -> Result<NoticeDetail, RightsError> {
        let (history, _) = self.history()?;
        let Some(v) = history.get(version) else {
            return Err(RightsError::NotFound {
                kind: "notice version",
                id: version.chars().take(64).collect(),
            });
        };
        let announcement = if v.substantial {
            self.announcement(version)?.map(|(a, _)| a.counts())
        } else {
            None
        };
        Ok(NoticeDetail {
            summary: summary(&history, v, self.clock.now()),
            text: v.text.clone(),
            diff: history.diff_from_previous(version),
            announcement,
        })
    }

    /// The version in force now, if any.
    pub fn in_force(&self) -> Result<Option<NoticeVersion>, RightsError> {
        Ok(self.history()?.0.in_force_at(self.clock.now()).cloned())
    }

    /// The announcement of `version` and its stored version.
    pub fn announcement(&self, version: &str) -> Result<Option<(Announcement, u64)>, RightsError> {
        check_key(version)?;
        let Some(doc) = self.docs.get_doc(ANNOUNCEMENT_KIND, version)? else {
            return Ok(None);
        };
        let a = serde_json::from_slice(&doc.body).map_err(|e| corrupt(version, e.to_string()))?;
        Ok(Some((a, doc.version)))
    }

    /// Queue the announcement of `version` to `subjects` (added as pending;
    /// subjects already listed keep their status). Returns the counts.
    pub fn queue(
        &self,
        version: &str,
        subjects: impl IntoIterator<Item = String>,
    ) -> Result<AnnouncementCounts, RightsError> {
        let subjects: Vec<String> = subjects.into_iter().collect();
        self.update_announcement(version, |a| {
            for s in &subjects {
                a.recipients.entry(s.clone()).or_insert(Delivery::Pending);
            }
        })
    }

    /// Record how the delivery to `subject` went.
    pub fn record_delivery(
        &self,
        version: &str,
        subject: &str,
        delivery: Delivery,
    ) -> Result<AnnouncementCounts, RightsError> {
        self.update_announcement(version, |a| {
            a.recipients.insert(subject.to_string(), delivery.clone());
        })
    }

    fn update_announcement(
        &self,
        version: &str,
        change: impl Fn(&mut Announcement),
    ) -> Result<AnnouncementCounts, RightsError> {
        let (history, _) = self.history()?;
        if history.get(version).is_none() {
            return Err(RightsError::NotFound {
                kind: "notice version",
                id: version.chars().take(64).collect(),
            });
        }
        let mut last_conflict = None;
        for _ in 0..RETRIES {
            let (mut a, stored) = match self.announcement(version)? {
                Some((a, v)) => (a, Some(v)),
                None => (
                    Announcement {
                        version: version.to_string(),
                        queued_at: self.clock.now(),
                        recipients: BTreeMap::new(),
                    },
                    None,
                ),
            };
            change(&mut a);
            match self
                .docs
                .put_doc(ANNOUNCEMENT_KIND, version, stored, &json(&a)?)
            {
                Ok(_) => return Ok(a.counts()),
                Err(e @ DocError::Conflict { .. }) => last_conflict = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last_conflict
            .map(RightsError::from)
            .unwrap_or_else(|| invalid("the announcement could not be written; try again")))
    }
}

fn summary(history: &NoticeHistory, v: &NoticeVersion, now: DateTime<Utc>) -> NoticeSummary {
    let in_force = history.in_force_at(now).map(|f| f.version.as_str());
    let status = if v.effective_at > now {
        NoticeStatus::Upcoming
    } else if in_force == Some(v.version.as_str()) {
        NoticeStatus::InForce
    } else {
        NoticeStatus::Superseded
    };
    NoticeSummary {
        version: v.version.clone(),
        published_at: v.published_at,
        effective_at: v.effective_at,
        substantial: v.substantial,
        sha256: v.sha256.to_string(),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use habeas_core::clock::ManualClock;
    use habeas_core::docs::MemoryDocs;

    fn decls() -> Declarations {
        Declarations::default()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn new(version: &str, text: &str, effective: &str, substantial: bool) -> NewNotice {
        NewNotice {
            version: version.into(),
            text: text.into(),
            effective_at: at(effective),
            substantial,
        }
    }

    #[test]
    fn versions_are_stored_listed_and_diffed() {
        let docs = MemoryDocs::new();
        let d = decls();
        let clock = ManualClock::new(at("2026-12-04T10:00:00Z"));
        let store = NoticeStore::new(&docs, &clock, &d);
        store
            .publish(new("v1", "A\nB\n", "2026-12-04T10:00:00Z", false))
            .unwrap();
        // Art. 13(3)-style announcement: 30 days by default.
        let e = store
            .publish(new("v2", "A\nC\n", "2026-12-20T00:00:00Z", true))
            .unwrap_err();
        assert!(e.to_string().contains("must be announced 30 days"), "{e}");
        assert_eq!(store.summaries().unwrap().len(), 1, "nothing stored");
        store
            .publish(new("v2", "A\nC\n", "2027-01-10T00:00:00Z", true))
            .unwrap();
        let list = store.summaries().unwrap();
        assert_eq!(
            list.iter().map(|s| s.status).collect::<Vec<_>>(),
            [NoticeStatus::InForce, NoticeStatus::Upcoming]
        );
        let detail = store.detail("v2").unwrap();
        assert!(detail.diff.unwrap().render().contains("+ C\n"));
        assert_eq!(store.in_force().unwrap().unwrap().version, "v1");
        assert!(matches!(
            store.detail("v9"),
            Err(RightsError::NotFound { .. })
        ));
        let e = store
            .publish(new("a b", "X\n", "2027-02-10T00:00:00Z", false))
            .unwrap_err();
        assert!(e.to_string().contains("without spaces"), "{e}");
    }

    #[test]
    fn announcements_keep_a_status_per_subject() {
        let docs = MemoryDocs::new();
        let d = decls();
        let clock = ManualClock::new(at("2026-12-04T10:00:00Z"));
        let store = NoticeStore::new(&docs, &clock, &d);
        store
            .publish(new("v1", "A\n", "2027-01-04T10:00:00Z", true))
            .unwrap();
        let c = store
            .queue("v1", ["sub_a".to_string(), "sub_b".to_string()])
            .unwrap();
        assert_eq!((c.recipients, c.pending), (2, 2));
        store
            .record_delivery("v1", "sub_a", Delivery::Sent { at: clock.now() })
            .unwrap();
        // Queuing again does not reset a delivered subject.
        let c = store.queue("v1", ["sub_a".to_string()]).unwrap();
        assert_eq!((c.sent, c.pending, c.failed), (1, 1, 0));
        assert_eq!(store.detail("v1").unwrap().announcement.unwrap().sent, 1);
        assert!(store.queue("v9", Vec::new()).is_err());
    }

    #[test]
    fn a_tampered_history_is_refused() {
        let docs = MemoryDocs::new();
        let d = decls();
        let clock = ManualClock::new(at("2026-12-04T10:00:00Z"));
        let store = NoticeStore::new(&docs, &clock, &d);
        store
            .publish(new("v1", "A\n", "2026-12-04T10:00:00Z", false))
            .unwrap();
        let doc = docs.get_doc(NOTICE_KIND, HISTORY_ID).unwrap().unwrap();
        let body = String::from_utf8(doc.body)
            .unwrap()
            .replace("\"text\":\"A\\n\"", "\"text\":\"B\\n\"");
        docs.put_doc(NOTICE_KIND, HISTORY_ID, Some(1), body.as_bytes())
            .unwrap();
        assert!(matches!(store.history(), Err(RightsError::Corrupt { .. })));
    }
}
