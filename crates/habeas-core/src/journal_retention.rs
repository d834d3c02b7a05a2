//! How long the audit journal is kept (SPEC C6: "its own retention, e.g. 12
//! months, 36 months for incidents, without breaking verifiability").
//!
//! The journal names who read or changed whose data: it is personal data
//! itself and may not be kept longer than needed (Art. 5(1)(e)); the CNIL's
//! recommendation on logging (2021) sets **6 months to 1 year** for access
//! logs, longer when they serve an incident or a claim. The provider declares
//! both periods in `habeas.toml`:
//!
//! ```toml
//! [audit]
//! retention = "12 months"
//! incident_retention = "36 months"
//! ```
//!
//! What may go: the journal only ever loses a *prefix*, and only up to a
//! signed checkpoint, so what remains still verifies from that checkpoint
//! (issue 3, item 7). The prefix ends before the retention's cut-off, and
//! before the start of every incident still kept: an incident (a breach in
//! the register) keeps the journal from the start of its window — the
//! accesses an investigation, the authority or a court will ask about — for
//! `incident_retention` after the provider became aware of it, and for as
//! long as it stays open. This is pure: the engine reads the checkpoints'
//! times and the register, and drops.

use chrono::{DateTime, Utc};

use crate::retention::Period;

/// The declared periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalRetention {
    /// How long an entry is kept.
    pub keep: Period,
    /// How long entries from an incident's window on are kept after the
    /// provider became aware of it.
    pub incident_keep: Period,
}

/// What the journal retention needs to know of one breach of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: String,
    /// The start of the breach window (when unknown: its detection or the
    /// awareness, whichever came first).
    pub from: DateTime<Utc>,
    /// When the provider became aware: the incident period runs from here.
    pub aware_at: DateTime<Utc>,
    /// Still open in the register: kept whatever its age.
    pub open: bool,
}

/// The instant before which entries may go, and the incident that holds it
/// back (if one does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cutoff {
    pub before: DateTime<Utc>,
    pub held_by: Option<String>,
}

impl JournalRetention {
    /// The cut-off at `now`: `now - keep`, moved back to the start of every
    /// incident still kept.
    pub fn cutoff(&self, incidents: &[Incident], now: DateTime<Utc>) -> Cutoff {
        let mut cut = Cutoff {
            before: self
                .keep
                .subtract_from(now)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            held_by: None,
        };
        for incident in incidents {
            let kept = incident.open
                || self
                    .incident_keep
                    .add_to(incident.aware_at)
                    .is_none_or(|end| end > now);
            if kept && incident.from < cut.before {
                cut.before = incident.from;
                cut.held_by = Some(incident.id.clone());
            }
        }
        cut
    }
}

/// The newest of `checkpoints` (sequence numbers, ascending) whose entry was
/// written before `before`, found with `time_of` (the time of the entry at a
/// sequence number, `None` when it is gone) in O(log n) lookups. Entries are
/// written in time order, so every entry up to that checkpoint is older
/// than `before` too (to the milliseconds a group commit may reorder).
pub fn last_droppable<E>(
    checkpoints: &[u64],
    before: DateTime<Utc>,
    mut time_of: impl FnMut(u64) -> Result<Option<DateTime<Utc>>, E>,
) -> Result<Option<u64>, E> {
    // Invariant: every checkpoint below `lo` is droppable, none from `hi` on.
    let (mut lo, mut hi) = (0usize, checkpoints.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match time_of(checkpoints[mid])? {
            Some(at) if at < before => lo = mid + 1,
            _ => hi = mid,
        }
    }
    Ok(lo.checked_sub(1).map(|i| checkpoints[i]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retention::PeriodUnit;
    use crate::test_support::utc;

    fn policy() -> JournalRetention {
        JournalRetention {
            keep: Period::new(12, PeriodUnit::Months),
            incident_keep: Period::new(36, PeriodUnit::Months),
        }
    }

    fn incident(id: &str, from: &str, aware: &str, open: bool) -> Incident {
        Incident {
            id: id.into(),
            from: utc(from),
            aware_at: utc(aware),
            open,
        }
    }

    #[test]
    fn without_incidents_twelve_months_are_kept() {
        let cut = policy().cutoff(&[], utc("2027-06-15T10:00:00Z"));
        assert_eq!(
            cut,
            Cutoff {
                before: utc("2026-06-15T10:00:00Z"),
                held_by: None
            }
        );
    }

    #[test]
    fn an_incident_keeps_the_journal_from_its_window_for_36_months() {
        let now = utc("2027-06-15T10:00:00Z");
        let breach = incident(
            "B-2025-0001",
            "2025-03-01T00:00:00Z",
            "2025-03-04T08:00:00Z",
            false,
        );
        let cut = policy().cutoff(std::slice::from_ref(&breach), now);
        assert_eq!(cut.before, utc("2025-03-01T00:00:00Z"));
        assert_eq!(cut.held_by.as_deref(), Some("B-2025-0001"));
        // 36 months after awareness it no longer holds anything back — from
        // that very instant.
        let at_end = utc("2028-03-04T08:00:00Z");
        assert_eq!(
            policy()
                .cutoff(std::slice::from_ref(&breach), at_end)
                .held_by,
            None
        );
        let later = utc("2028-03-04T08:00:01Z");
        assert_eq!(
            policy().cutoff(&[breach], later),
            Cutoff {
                before: utc("2027-03-04T08:00:01Z"),
                held_by: None
            }
        );
    }

    #[test]
    fn an_open_incident_holds_whatever_its_age_and_the_oldest_window_wins() {
        let now = utc("2031-01-01T00:00:00Z");
        let old_open = incident(
            "B-2026-0002",
            "2026-02-01T00:00:00Z",
            "2026-02-02T00:00:00Z",
            true,
        );
        let recent = incident(
            "B-2030-0001",
            "2030-05-01T00:00:00Z",
            "2030-05-01T00:00:00Z",
            false,
        );
        let cut = policy().cutoff(&[recent, old_open], now);
        assert_eq!(cut.before, utc("2026-02-01T00:00:00Z"));
        assert_eq!(cut.held_by.as_deref(), Some("B-2026-0002"));
    }

    #[test]
    fn a_recent_incident_inside_the_kept_year_changes_nothing() {
        let now = utc("2027-06-15T10:00:00Z");
        let recent = incident(
            "B-2027-0001",
            "2027-01-01T00:00:00Z",
            "2027-01-02T00:00:00Z",
            false,
        );
        assert_eq!(policy().cutoff(&[recent], now).held_by, None);
        // Nor one whose window starts exactly at the year's cut-off.
        let at_cut = incident(
            "B-2026-0009",
            "2026-06-15T10:00:00Z",
            "2026-06-16T00:00:00Z",
            false,
        );
        assert_eq!(policy().cutoff(&[at_cut], now).held_by, None);
    }

    #[test]
    fn the_last_droppable_checkpoint_is_found_by_halving() {
        let times = |seq: u64| utc("2026-01-01T00:00:00Z") + chrono::Duration::days(seq as i64);
        let checkpoints: Vec<u64> = (1..=100).map(|i| i * 10).collect();
        let mut lookups = 0;
        let found = last_droppable::<()>(&checkpoints, times(455), |seq| {
            lookups += 1;
            Ok(Some(times(seq)))
        });
        assert_eq!(found, Ok(Some(450)));
        assert!(lookups <= 8, "{lookups} lookups for 100 checkpoints");
        // Nothing old enough, everything old enough, no checkpoint at all.
        let none = last_droppable::<()>(&checkpoints, times(5), |s| Ok(Some(times(s))));
        assert_eq!(none, Ok(None));
        let all = last_droppable::<()>(&checkpoints, times(5_000), |s| Ok(Some(times(s))));
        assert_eq!(all, Ok(Some(1000)));
        assert_eq!(last_droppable::<()>(&[], times(5), |_| Ok(None)), Ok(None));
        // A checkpoint written at the cut-off itself is not older than it: kept.
        let at_cut = last_droppable::<()>(&checkpoints, times(450), |s| Ok(Some(times(s))));
        assert_eq!(at_cut, Ok(Some(440)));
        // An error from the lookup stops the search.
        assert_eq!(
            last_droppable(&checkpoints, times(5), |_| Err("io")),
            Err("io")
        );
    }

    #[test]
    fn periods_parse_alone_and_subtract_by_the_calendar() {
        assert_eq!(
            "12 months".parse::<Period>(),
            Ok(Period::new(12, PeriodUnit::Months))
        );
        assert_eq!(
            " 1 year ".parse::<Period>(),
            Ok(Period::new(1, PeriodUnit::Years))
        );
        let e = "12 months after collection".parse::<Period>().unwrap_err();
        assert!(e.message.contains("unexpected text"), "{e:?}");
        assert!("twelve months".parse::<Period>().is_err());
        assert!("0 days".parse::<Period>().is_err());
        // 31 March minus one month is the end of February.
        assert_eq!(
            Period::new(1, PeriodUnit::Months).subtract_from(utc("2027-03-31T12:00:00Z")),
            Some(utc("2027-02-28T12:00:00Z"))
        );
        assert_eq!(
            Period::new(2, PeriodUnit::Weeks).subtract_from(utc("2027-03-31T12:00:00Z")),
            Some(utc("2027-03-17T12:00:00Z"))
        );
    }
}
