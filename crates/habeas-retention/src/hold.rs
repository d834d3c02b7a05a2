//! Legal holds: what must not be purged while a claim or a restriction runs.
//!
//! Art. 17(3)(e) GDPR lets a controller keep data needed "for the
//! establishment, exercise or defence of legal claims", and Art. 18(1)(c)
//! lets the subject ask for restriction instead of erasure for the same
//! reason. A hold suspends retention purges for one subject, or for a whole
//! category, until a date or until someone releases it explicitly. Holds are
//! never deleted: a released hold stays listed with who released it and
//! when, so the DPO can show why data outlived its retention period
//! (Art. 5(2) accountability). The caller journals every add and release.
//!
//! Pure rules ([`Hold::is_active`], [`holds_covering`]) plus a thin service
//! over the [`DocStore`] (kind `hold`, JSON bodies), with time injected.

use chrono::{DateTime, Utc};
use habeas_core::clock::Clock;
use habeas_core::docs::{DocError, DocStore, check_key};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RetentionError};

/// The document kind holds are stored under.
pub const HOLD_KIND: &str = "hold";
/// Longest reason accepted, in characters.
pub const MAX_REASON: usize = 500;

/// What a hold covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum HoldScope {
    /// Every record of one subject (by subject id, never an address).
    Subject(String),
    /// Every record of one declared category.
    Category(String),
}

/// Who released a hold, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub by: String,
    pub at: DateTime<Utc>,
    /// Why the data need no longer be kept (the claim settled, the
    /// proceedings closed); required from the console, absent in holds
    /// released before it was recorded. Keep names out of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A legal hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// `HOLD-0001`, `HOLD-0002` … in creation order.
    pub id: String,
    pub scope: HoldScope,
    /// Why (e.g. "litigation RG 26/01234"); keep names out of it.
    pub reason: String,
    /// The staff account that placed it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When it lapses on its own; `None` = until released.
    pub until: Option<DateTime<Utc>>,
    pub released: Option<Release>,
}

impl Hold {
    /// Whether the hold suspends purges at `at`: placed, not lapsed, not released.
    pub fn is_active(&self, at: DateTime<Utc>) -> bool {
        self.created_at <= at
            && self.until.is_none_or(|until| at < until)
            && self.released.as_ref().is_none_or(|r| at < r.at)
    }

    /// Whether the hold names this subject or this category.
    pub fn covers(&self, subject: &str, category: &str) -> bool {
        match &self.scope {
            HoldScope::Subject(s) => s == subject,
            HoldScope::Category(c) => c == category,
        }
    }
}

/// The holds among `holds` that suspend a purge of (`subject`, `category`) at `at`.
pub fn holds_covering<'a>(
    holds: &'a [Hold],
    subject: &str,
    category: &str,
    at: DateTime<Utc>,
) -> Vec<&'a Hold> {
    holds
        .iter()
        .filter(|h| h.covers(subject, category) && h.is_active(at))
        .collect()
}

/// What the caller gives to place a hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    pub scope: HoldScope,
    pub reason: String,
    pub created_by: String,
    pub until: Option<DateTime<Utc>>,
}

/// Which holds to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldFilter {
    /// Active now.
    Active,
    /// Every hold ever placed, released ones included.
    All,
}

/// Legal holds over a document store.
pub struct HoldService<'a> {
    docs: &'a dyn DocStore,
    clock: &'a dyn Clock,
}

impl<'a> HoldService<'a> {
    pub fn new(docs: &'a dyn DocStore, clock: &'a dyn Clock) -> Self {
        HoldService { docs, clock }
    }

    /// Place a hold. Refuses an empty reason, a malformed scope id or an
    /// `until` in the past, changing nothing.
    pub fn add(&self, new: NewHold) -> Result<Hold> {
        let now = self.clock.now();
        validate(&new, now)?;
        let mut seq = self.docs.list_docs(HOLD_KIND)?.len() as u64 + 1;
        loop {
            let hold = Hold {
                id: format!("HOLD-{seq:04}"),
                scope: new.scope.clone(),
                reason: new.reason.trim().to_string(),
                created_by: new.created_by.clone(),
                created_at: now,
                until: new.until,
                released: None,
            };
            match self
                .docs
                .put_doc(HOLD_KIND, &hold.id, None, &encode(&hold)?)
            {
                Ok(_) => return Ok(hold),
                // Another writer took this number first: take the next one.
                Err(DocError::Conflict { .. }) => seq += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Holds by id order.
    pub fn list(&self, filter: HoldFilter) -> Result<Vec<Hold>> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for doc in self.docs.list_docs(HOLD_KIND)? {
            let hold = decode(&doc.id, &doc.body)?;
            if filter == HoldFilter::All || hold.is_active(now) {
                out.push(hold);
            }
        }
        Ok(out)
    }

    /// One hold.
    pub fn get(&self, id: &str) -> Result<Hold> {
        check_hold_id(id)?;
        let doc = self
            .docs
            .get_doc(HOLD_KIND, id)?
            .ok_or_else(|| RetentionError::NotFound {
                kind: HOLD_KIND,
                id: id.to_string(),
            })?;
        decode(&doc.id, &doc.body)
    }

    /// Release a hold explicitly. A hold already released is refused (its
    /// first release stays the record); a lapsed one may still be released,
    /// to say so in the record.
    pub fn release(&self, id: &str, by: &str) -> Result<Hold> {
        self.release_with(id, by, None)
    }

    /// Release a hold and record why (the claim settled, the proceedings
    /// closed). The reason follows the rules of a hold's own reason: not
    /// empty, at most [`MAX_REASON`] characters. A refusal changes nothing.
    pub fn release_because(&self, id: &str, by: &str, reason: &str) -> Result<Hold> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(RetentionError::invalid(
                "release reason",
                "is empty",
                "say why the data need no longer be kept (the claim settled, the proceedings closed)",
            ));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(RetentionError::invalid(
                "release reason",
                format!("is longer than {MAX_REASON} characters"),
                "give a short reason and a case reference",
            ));
        }
        self.release_with(id, by, Some(reason.to_string()))
    }

    fn release_with(&self, id: &str, by: &str, reason: Option<String>) -> Result<Hold> {
        check_actor(by)?;
        check_hold_id(id)?;
        let doc = self
            .docs
            .get_doc(HOLD_KIND, id)?
            .ok_or_else(|| RetentionError::NotFound {
                kind: HOLD_KIND,
                id: id.to_string(),
            })?;
        let mut hold = decode(&doc.id, &doc.body)?;
        if let Some(r) = &hold.released {
            return Err(RetentionError::invalid(
                format!("hold {id}"),
                format!("already released at {}", r.at.to_rfc3339()),
                "nothing to do; place a new hold if one is needed again",
            ));
        }
        hold.released = Some(Release {
            by: by.to_string(),
            at: self.clock.now(),
            reason,
        });
        self.docs
            .put_doc(HOLD_KIND, id, Some(doc.version), &encode(&hold)?)?;
        Ok(hold)
    }

    /// The ids of the holds suspending a purge of (`subject`, `category`) at `at`.
    pub fn is_held(&self, subject: &str, category: &str, at: DateTime<Utc>) -> Result<Vec<String>> {
        let all = self.list(HoldFilter::All)?;
        Ok(holds_covering(&all, subject, category, at)
            .into_iter()
            .map(|h| h.id.clone())
            .collect())
    }
}

/// A hold id as the caller gave it: one that no hold can have is bad input
/// (a console form's field, a command's argument), not a storage failure —
/// the console answered 500 for it (found by the forms fuzz test).
fn check_hold_id(id: &str) -> Result<()> {
    check_key(id).map_err(|_| {
        RetentionError::invalid(
            "hold id",
            "must be 1–128 printable ASCII characters without `/`",
            "give the id as `habeas hold list` shows it",
        )
    })
}

fn validate(new: &NewHold, now: DateTime<Utc>) -> Result<()> {
    let (what, id) = match &new.scope {
        HoldScope::Subject(s) => ("subject id", s),
        HoldScope::Category(c) => ("category", c),
    };
    if check_key(id).is_err() {
        return Err(RetentionError::invalid(
            format!("hold {what}"),
            "must be 1–128 printable ASCII characters without `/` or spaces",
            format!(
                "give the {what} as Habeas shows it (e.g. `sub_…` or a declared category name)"
            ),
        ));
    }
    let reason = new.reason.trim();
    if reason.is_empty() {
        return Err(RetentionError::invalid(
            "hold reason",
            "is empty",
            "say why the data must be kept (Art. 17(3)(e): the claim or proceedings concerned)",
        ));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(RetentionError::invalid(
            "hold reason",
            format!("is longer than {MAX_REASON} characters"),
            "give a short reason and a case reference",
        ));
    }
    check_actor(&new.created_by)?;
    if let Some(until) = new.until
        && until <= now
    {
        return Err(RetentionError::invalid(
            "hold end date",
            format!("{} is not in the future", until.to_rfc3339()),
            "give a later date, or none to hold until released",
        ));
    }
    Ok(())
}

fn check_actor(by: &str) -> Result<()> {
    if check_key(by).is_err() {
        return Err(RetentionError::invalid(
            "staff account",
            "must be 1–128 printable ASCII characters without `/` or spaces",
            "give the staff account name",
        ));
    }
    Ok(())
}

fn encode(hold: &Hold) -> Result<Vec<u8>> {
    crate::error::encode(HOLD_KIND, hold)
}

fn decode(id: &str, body: &[u8]) -> Result<Hold> {
    serde_json::from_slice(body).map_err(|e| RetentionError::Corrupt {
        kind: HOLD_KIND,
        id: id.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use habeas_core::clock::ManualClock;
    use habeas_core::docs::MemoryDocs;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T09:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn subject_hold(subject: &str, until: Option<DateTime<Utc>>) -> NewHold {
        NewHold {
            scope: HoldScope::Subject(subject.into()),
            reason: "litigation RG 26/01234".into(),
            created_by: "dpo".into(),
            until,
        }
    }

    #[test]
    fn a_release_with_a_reason_keeps_it_and_an_empty_reason_changes_nothing() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let holds = HoldService::new(&docs, &clock);
        holds.add(subject_hold("sub_1", None)).unwrap();
        for bad in ["", "   ", &"x".repeat(MAX_REASON + 1)] {
            let e = holds
                .release_because("HOLD-0001", "dpo", bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains("release reason"), "{e}");
            assert!(holds.get("HOLD-0001").unwrap().released.is_none());
        }
        let h = holds
            .release_because("HOLD-0001", "dpo", "  claim settled, RG 26/01234 ")
            .unwrap();
        let kept = holds.get("HOLD-0001").unwrap();
        assert_eq!(kept, h);
        let r = kept.released.unwrap();
        assert_eq!(r.reason.as_deref(), Some("claim settled, RG 26/01234"));
        assert_eq!(r.by, "dpo");
        // Released once: a second release is refused.
        assert!(holds.release_because("HOLD-0001", "dpo", "again").is_err());
    }

    #[test]
    fn an_id_no_hold_can_have_is_bad_input_not_a_storage_failure() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let holds = HoldService::new(&docs, &clock);
        for bad in ["", "é", "a/b", "sp ace"] {
            assert!(
                matches!(holds.get(bad), Err(RetentionError::Invalid { .. })),
                "{bad:?}"
            );
            assert!(matches!(
                holds.release_because(bad, "dpo", "settled"),
                Err(RetentionError::Invalid { .. })
            ));
        }
    }

    #[test]
    fn a_hold_covers_its_subject_until_released() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let holds = HoldService::new(&docs, &clock);
        let h = holds.add(subject_hold("sub_1", None)).unwrap();
        assert_eq!(h.id, "HOLD-0001");
        assert_eq!(
            holds.is_held("sub_1", "billing", t0()).unwrap(),
            ["HOLD-0001"]
        );
        assert!(holds.is_held("sub_2", "billing", t0()).unwrap().is_empty());

        clock.advance(Duration::days(10));
        let released = holds.release("HOLD-0001", "admin").unwrap();
        assert_eq!(released.released.as_ref().unwrap().by, "admin");
        assert!(
            holds
                .is_held("sub_1", "billing", clock.now())
                .unwrap()
                .is_empty()
        );
        // Still held at a time before the release: the record keeps history.
        assert_eq!(
            holds
                .is_held("sub_1", "billing", t0() + Duration::days(1))
                .unwrap(),
            ["HOLD-0001"]
        );
        assert!(holds.list(HoldFilter::Active).unwrap().is_empty());
        assert_eq!(holds.list(HoldFilter::All).unwrap().len(), 1);
    }

    #[test]
    fn a_category_hold_lapses_at_its_end_date() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let holds = HoldService::new(&docs, &clock);
        let until = t0() + Duration::days(30);
        holds
            .add(NewHold {
                scope: HoldScope::Category("billing".into()),
                until: Some(until),
                ..subject_hold("x", None)
            })
            .unwrap();
        assert_eq!(holds.is_held("anyone", "billing", t0()).unwrap().len(), 1);
        assert!(holds.is_held("anyone", "support", t0()).unwrap().is_empty());
        assert!(
            holds
                .is_held("anyone", "billing", until)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn bad_holds_are_refused_and_store_nothing() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let holds = HoldService::new(&docs, &clock);
        let cases = [
            NewHold {
                reason: "  ".into(),
                ..subject_hold("sub_1", None)
            },
            subject_hold("has space", None),
            subject_hold("sub_1", Some(t0() - Duration::days(1))),
            NewHold {
                reason: "x".repeat(MAX_REASON + 1),
                ..subject_hold("sub_1", None)
            },
            NewHold {
                created_by: String::new(),
                ..subject_hold("sub_1", None)
            },
        ];
        for case in cases {
            let err = holds.add(case).unwrap_err();
            assert!(matches!(err, RetentionError::Invalid { .. }), "{err}");
        }
        assert!(holds.list(HoldFilter::All).unwrap().is_empty());
    }

    #[test]
    fn releasing_twice_or_an_unknown_hold_is_refused() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        let holds = HoldService::new(&docs, &clock);
        holds.add(subject_hold("sub_1", None)).unwrap();
        holds.release("HOLD-0001", "dpo").unwrap();
        let err = holds.release("HOLD-0001", "admin").unwrap_err();
        assert!(err.to_string().contains("already released"), "{err}");
        assert_eq!(holds.get("HOLD-0001").unwrap().released.unwrap().by, "dpo");
        assert!(matches!(
            holds.release("HOLD-0009", "dpo"),
            Err(RetentionError::NotFound { .. })
        ));
    }

    #[test]
    fn a_damaged_hold_document_fails_closed_with_its_id() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        docs.put_doc(HOLD_KIND, "HOLD-0001", None, b"{not json")
            .unwrap();
        let holds = HoldService::new(&docs, &clock);
        // No hold list means no purge: a purge must not run on a partial list.
        let err = holds.is_held("sub_1", "contact", t0()).unwrap_err();
        assert!(matches!(err, RetentionError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("HOLD-0001"), "{err}");
    }

    #[test]
    fn ids_follow_creation_order_even_when_a_number_is_taken() {
        let docs = MemoryDocs::new();
        let clock = ManualClock::new(t0());
        // Another instance wrote HOLD-0002 without this one seeing it in the count.
        docs.put_doc(
            HOLD_KIND,
            "HOLD-0002",
            None,
            &encode(&Hold {
                id: "HOLD-0002".into(),
                scope: HoldScope::Subject("sub_9".into()),
                reason: "r".into(),
                created_by: "dpo".into(),
                created_at: t0(),
                until: None,
                released: None,
            })
            .unwrap(),
        )
        .unwrap();
        let holds = HoldService::new(&docs, &clock);
        assert_eq!(
            holds.add(subject_hold("sub_1", None)).unwrap().id,
            "HOLD-0003"
        );
        assert_eq!(
            holds.add(subject_hold("sub_2", None)).unwrap().id,
            "HOLD-0004"
        );
    }
}
