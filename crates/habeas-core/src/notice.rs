//! Privacy-notice versions (Art. 12–14 GDPR): every published version stays
//! readable with its dates, the version in force at any date can be found,
//! and a substantial change applies only after subjects were told in time.
//!
//! Why the announcement rule: information must reach subjects before they
//! are processed on new terms (Art. 13(3) and 14(4) for a new purpose), and
//! the Article 29 Working Party's transparency guidelines (WP260 rev.01, on
//! changes to Art. 13/14 information) ask that substantial changes be
//! communicated in advance, so subjects can object or leave before they
//! apply. How far in advance is the provider's own declared period
//! (`[rights] notice_change_period`, 30 days by default, SPEC C8); Habeas
//! refuses an effective date earlier than publication plus that period.

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

use crate::calendar::{HolidayCalendar, from_local, saturating_add, to_local};
use crate::consent::Sha256Digest;
use crate::delay::Delay;

/// The default announcement period for a substantial change.
pub const DEFAULT_NOTICE_PERIOD: Delay = Delay::Days(30);

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeVersion {
    pub version: String,
    pub text: String,
    /// SHA-256 of the text's UTF-8 bytes, as consent events record it.
    pub sha256: Sha256Digest,
    pub published_at: DateTime<Utc>,
    pub effective_at: DateTime<Utc>,
    /// A change subjects must be told about in advance.
    pub substantial: bool,
}

/// A version to publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDraft {
    pub version: String,
    pub text: String,
    pub published_at: DateTime<Utc>,
    pub effective_at: DateTime<Utc>,
    pub substantial: bool,
}

/// How far ahead a substantial change must be announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeRules {
    pub period: Delay,
    /// Used when the period is in working days or hours.
    pub calendar: HolidayCalendar,
}

impl Default for NoticeRules {
    fn default() -> Self {
        NoticeRules {
            period: DEFAULT_NOTICE_PERIOD,
            calendar: HolidayCalendar::default(),
        }
    }
}

impl NoticeRules {
    /// The earliest instant a substantial version published at
    /// `published_at` may take effect: the period added to the publication
    /// instant (calendar units keep the local time of day).
    pub fn earliest_effective(&self, published_at: DateTime<Utc>) -> DateTime<Utc> {
        let local = to_local(published_at);
        let far = DateTime::<Utc>::MAX_UTC;
        match self.period {
            Delay::Immediate => published_at,
            Delay::Hours(h) => saturating_add(published_at, Duration::hours(i64::from(h))),
            Delay::WorkingHours(h) => self.calendar.add_working_hours(published_at, h),
            Delay::Days(d) => local
                .checked_add_signed(Duration::days(i64::from(d)))
                .map_or(far, from_local),
            Delay::Weeks(w) => local
                .checked_add_signed(Duration::weeks(i64::from(w)))
                .map_or(far, from_local),
            Delay::Months(m) => local
                .checked_add_months(Months::new(m))
                .map_or(far, from_local),
            Delay::WorkingDays(d) => {
                let date = self.calendar.add_working_days(local.date(), d);
                from_local(date.and_time(local.time()))
            }
        }
    }
}

/// Why a version was not published. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("notice version: `{field}` is empty")]
    Empty { field: &'static str },
    #[error("notice version `{version}` already exists; give the new text a new version label")]
    DuplicateVersion { version: String },
    #[error("the text is identical to version `{previous}`; nothing to publish")]
    Unchanged { previous: String },
    #[error(
        "effective date {} is before the publication date {}",
        instant(.effective_at),
        instant(.published_at)
    )]
    EffectiveBeforePublication {
        published_at: DateTime<Utc>,
        effective_at: DateTime<Utc>,
    },
    #[error(
        "publication date {} is before that of version `{previous}` ({})",
        instant(.published_at),
        instant(.previous_published_at)
    )]
    PublishedOutOfOrder {
        published_at: DateTime<Utc>,
        previous: String,
        previous_published_at: DateTime<Utc>,
    },
    #[error(
        "effective date {} is not after that of version `{previous}` ({}); each version must apply after the one before",
        instant(.effective_at),
        instant(.previous_effective_at)
    )]
    EffectiveNotAfterPrevious {
        effective_at: DateTime<Utc>,
        previous: String,
        previous_effective_at: DateTime<Utc>,
    },
    #[error(
        "a substantial change must be announced {period} before it applies: effective date {} is too early; use {} or later (as a date: {})",
        instant(.effective_at),
        instant(.earliest),
        first_whole_day(*.earliest)
    )]
    TooEarly {
        period: String,
        effective_at: DateTime<Utc>,
        earliest: DateTime<Utc>,
    },
}

/// An instant as people read it in a message: to the second, in UTC
/// (the stored value keeps its full precision).
fn instant(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The first day whose midnight in France is at or after `at`: the
/// earliest `YYYY-MM-DD` a date-only effective date may name.
pub fn first_whole_day(at: DateTime<Utc>) -> NaiveDate {
    let local = to_local(at);
    if local.time() == NaiveTime::MIN {
        local.date()
    } else {
        local.date().succ_opt().unwrap_or(NaiveDate::MAX)
    }
}

/// The instant a version given as a date takes effect: midnight in France
/// on `day`, or `now` when `day` is today (a version "effective today" is
/// published after that midnight has passed and applies from publication).
pub fn effective_from_day(day: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    let midnight = from_local(day.and_time(NaiveTime::MIN));
    if midnight < now && to_local(now).date() == day {
        now
    } else {
        midnight
    }
}

/// Kind of a diff line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineChange {
    Same,
    Added,
    Removed,
}

/// One line of a diff between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub change: LineChange,
    /// The line without its line ending.
    pub text: String,
}

/// The difference between a version and the one before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDiff {
    pub from: String,
    pub to: String,
    pub lines: Vec<DiffLine>,
}

impl NoticeDiff {
    /// Unified-style text: `+ ` added, `- ` removed, `  ` unchanged.
    pub fn render(&self) -> String {
        let mut out = format!("--- {}\n+++ {}\n", self.from, self.to);
        for l in &self.lines {
            let mark = match l.change {
                LineChange::Same => "  ",
                LineChange::Added => "+ ",
                LineChange::Removed => "- ",
            };
            out.push_str(mark);
            out.push_str(&l.text);
            out.push('\n');
        }
        out
    }

    pub fn has_changes(&self) -> bool {
        self.lines.iter().any(|l| l.change != LineChange::Same)
    }
}

/// A line-based diff (Myers, via the `similar` crate).
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| DiffLine {
            change: match c.tag() {
                ChangeTag::Equal => LineChange::Same,
                ChangeTag::Insert => LineChange::Added,
                ChangeTag::Delete => LineChange::Removed,
            },
            text: c.value().trim_end_matches(['\n', '\r']).to_string(),
        })
        .collect()
}

/// Every published version, in publication order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeHistory {
    versions: Vec<NoticeVersion>,
}

impl NoticeHistory {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn versions(&self) -> &[NoticeVersion] {
        &self.versions
    }

    pub fn get(&self, version: &str) -> Option<&NoticeVersion> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// Publish a version after checking every rule; on error nothing changes.
    pub fn publish(
        &mut self,
        draft: NoticeDraft,
        rules: &NoticeRules,
    ) -> Result<&NoticeVersion, NoticeError> {
        if draft.version.trim().is_empty() {
            return Err(NoticeError::Empty { field: "version" });
        }
        if draft.text.trim().is_empty() {
            return Err(NoticeError::Empty { field: "text" });
        }
        if self.get(&draft.version).is_some() {
            return Err(NoticeError::DuplicateVersion {
                version: draft.version,
            });
        }
        if draft.effective_at < draft.published_at {
            return Err(NoticeError::EffectiveBeforePublication {
                published_at: draft.published_at,
                effective_at: draft.effective_at,
            });
        }
        if let Some(last) = self.versions.last() {
            if last.text == draft.text {
                return Err(NoticeError::Unchanged {
                    previous: last.version.clone(),
                });
            }
            if draft.published_at < last.published_at {
                return Err(NoticeError::PublishedOutOfOrder {
                    published_at: draft.published_at,
                    previous: last.version.clone(),
                    previous_published_at: last.published_at,
                });
            }
            if draft.effective_at <= last.effective_at {
                return Err(NoticeError::EffectiveNotAfterPrevious {
                    effective_at: draft.effective_at,
                    previous: last.version.clone(),
                    previous_effective_at: last.effective_at,
                });
            }
        }
        if draft.substantial {
            let earliest = rules.earliest_effective(draft.published_at);
            if draft.effective_at < earliest {
                return Err(NoticeError::TooEarly {
                    period: rules.period.to_string(),
                    effective_at: draft.effective_at,
                    earliest,
                });
            }
        }
        self.versions.push(NoticeVersion {
            sha256: Sha256Digest::of(draft.text.as_bytes()),
            version: draft.version,
            text: draft.text,
            published_at: draft.published_at,
            effective_at: draft.effective_at,
            substantial: draft.substantial,
        });
        Ok(&self.versions[self.versions.len() - 1])
    }

    /// The version in force at `at`: the last one whose effective date has come.
    pub fn in_force_at(&self, at: DateTime<Utc>) -> Option<&NoticeVersion> {
        self.versions.iter().rev().find(|v| v.effective_at <= at)
    }

    /// The diff between `version` and the version published before it;
    /// `None` for an unknown version or the first one.
    pub fn diff_from_previous(&self, version: &str) -> Option<NoticeDiff> {
        let i = self.versions.iter().position(|v| v.version == version)?;
        let prev = self.versions.get(i.checked_sub(1)?)?;
        let cur = &self.versions[i];
        Some(NoticeDiff {
            from: prev.version.clone(),
            to: cur.version.clone(),
            lines: diff_lines(&prev.text, &cur.text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::utc;

    fn draft(
        version: &str,
        text: &str,
        published: &str,
        effective: &str,
        substantial: bool,
    ) -> NoticeDraft {
        NoticeDraft {
            version: version.into(),
            text: text.into(),
            published_at: utc(published),
            effective_at: utc(effective),
            substantial,
        }
    }

    const V1: &str = "Responsable : Exemple SAS\nFinalités : fourniture du service\nDurée : 1 an\n";
    const V2: &str =
        "Responsable : Exemple SAS\nFinalités : fourniture du service, prospection\nDurée : 1 an\n";

    fn history_with_v1() -> NoticeHistory {
        let mut h = NoticeHistory::new();
        h.publish(
            draft(
                "1",
                V1,
                "2026-01-05T09:00:00Z",
                "2026-01-05T09:00:00Z",
                false,
            ),
            &NoticeRules::default(),
        )
        .unwrap();
        h
    }

    /// Version 1, then a substantial version 2 announced on 1 March, in force on 1 April.
    fn history_with_v1_and_v2() -> NoticeHistory {
        let mut h = history_with_v1();
        h.publish(
            draft(
                "2",
                V2,
                "2026-03-01T09:00:00Z",
                "2026-04-01T00:00:00Z",
                true,
            ),
            &NoticeRules::default(),
        )
        .unwrap();
        h
    }

    #[test]
    fn art13_3_substantial_change_needs_30_days_notice() {
        let mut h = history_with_v1();
        let rules = NoticeRules::default();
        let e = h
            .publish(
                draft(
                    "2",
                    V2,
                    "2026-03-01T09:00:00Z",
                    "2026-03-30T09:00:00Z",
                    true,
                ),
                &rules,
            )
            .unwrap_err();
        assert_eq!(
            e,
            NoticeError::TooEarly {
                period: "30 days".into(),
                effective_at: utc("2026-03-30T09:00:00Z"),
                // 1 March 10:00 CET + 30 days = 31 March 10:00 CEST = 08:00 UTC.
                earliest: utc("2026-03-31T08:00:00Z"),
            }
        );
        // The message reads to the second and names the first date that works.
        assert_eq!(
            e.to_string(),
            "a substantial change must be announced 30 days before it applies: effective date \
             2026-03-30 09:00:00 UTC is too early; use 2026-03-31 08:00:00 UTC or later \
             (as a date: 2026-04-01)"
        );
        assert!(
            e.to_string()
                .contains("use 2026-03-31 08:00:00 UTC or later"),
            "{e}"
        );
        assert_eq!(h.versions().len(), 1, "a refused version is not recorded");
        h.publish(
            draft(
                "2",
                V2,
                "2026-03-01T09:00:00Z",
                "2026-03-31T08:00:00Z",
                true,
            ),
            &rules,
        )
        .unwrap();
    }

    #[test]
    fn notice_period_is_configurable() {
        let mut h = history_with_v1();
        let rules = NoticeRules {
            period: Delay::Months(2),
            calendar: HolidayCalendar::Be,
        };
        let e = h.publish(
            draft(
                "2",
                V2,
                "2026-03-01T09:00:00Z",
                "2026-04-15T00:00:00Z",
                true,
            ),
            &rules,
        );
        assert!(matches!(e, Err(NoticeError::TooEarly { .. })));
        // A non-substantial change may apply at once.
        h.publish(
            draft(
                "2",
                V2,
                "2026-03-01T09:00:00Z",
                "2026-03-01T09:00:00Z",
                false,
            ),
            &rules,
        )
        .unwrap();
    }

    #[test]
    fn version_in_force_at_a_date() {
        let h = history_with_v1_and_v2();
        assert_eq!(h.in_force_at(utc("2026-01-01T00:00:00Z")), None);
        assert_eq!(
            h.in_force_at(utc("2026-03-15T00:00:00Z")).unwrap().version,
            "1"
        );
        assert_eq!(
            h.in_force_at(utc("2026-04-01T00:00:00Z")).unwrap().version,
            "2"
        );
        assert_eq!(h.get("2").unwrap().sha256, Sha256Digest::of(V2.as_bytes()));
    }

    #[test]
    fn diff_shows_changed_lines_against_previous_version() {
        let h = history_with_v1_and_v2();
        let diff = h.diff_from_previous("2").unwrap();
        assert!(diff.has_changes());
        let changed: Vec<_> = diff
            .lines
            .iter()
            .filter(|l| l.change != LineChange::Same)
            .collect();
        assert_eq!(changed.len(), 2);
        assert_eq!(changed[0].change, LineChange::Removed);
        assert_eq!(changed[0].text, "Finalités : fourniture du service");
        assert_eq!(changed[1].change, LineChange::Added);
        assert!(
            diff.render()
                .contains("+ Finalités : fourniture du service, prospection\n")
        );
        assert!(h.diff_from_previous("1").is_none());
        assert!(h.diff_from_previous("9").is_none());
    }

    #[test]
    fn invalid_versions_are_refused_precisely() {
        let mut h = history_with_v1();
        let r = NoticeRules::default();
        let cases = [
            (
                draft(
                    "1",
                    V2,
                    "2026-03-01T09:00:00Z",
                    "2026-03-02T00:00:00Z",
                    false,
                ),
                "already exists",
            ),
            (
                draft(
                    "2",
                    V1,
                    "2026-03-01T09:00:00Z",
                    "2026-03-02T00:00:00Z",
                    false,
                ),
                "identical",
            ),
            (
                draft(
                    "2",
                    V2,
                    "2026-03-01T09:00:00Z",
                    "2026-02-01T00:00:00Z",
                    false,
                ),
                "before the publication",
            ),
            (
                draft(
                    "2",
                    V2,
                    "2026-01-01T09:00:00Z",
                    "2026-03-01T00:00:00Z",
                    false,
                ),
                "before that of version",
            ),
            (
                draft(
                    "2",
                    V2,
                    "2026-01-05T09:00:00Z",
                    "2026-01-05T09:00:00Z",
                    false,
                ),
                "not after",
            ),
            (
                draft(
                    " ",
                    V2,
                    "2026-03-01T09:00:00Z",
                    "2026-03-02T00:00:00Z",
                    false,
                ),
                "`version` is empty",
            ),
        ];
        for (d, expected) in cases {
            let e = h.publish(d, &r).unwrap_err();
            assert!(
                e.to_string().contains(expected),
                "{e} should say {expected}"
            );
        }
        assert_eq!(h.versions().len(), 1);
    }

    #[test]
    fn a_date_names_its_midnight_in_france_or_now_when_it_is_today() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        // The day before: its midnight (CET, UTC+1), whatever the hour now.
        assert_eq!(
            effective_from_day(day, utc("2026-12-06T12:00:00Z")),
            utc("2026-12-06T23:00:00Z")
        );
        // That day in France, after its midnight: from now.
        let now = utc("2026-12-07T00:06:41Z");
        assert_eq!(effective_from_day(day, now), now);
        // A day already past stays in the past (publication refuses it).
        assert_eq!(
            effective_from_day(day, utc("2026-12-09T10:00:00Z")),
            utc("2026-12-06T23:00:00Z")
        );
        // Summer time: midnight on 1 July is 22:00 UTC the day before.
        let july = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(
            effective_from_day(july, utc("2026-06-30T21:59:59Z")),
            utc("2026-06-30T22:00:00Z")
        );
    }

    #[test]
    fn the_first_whole_day_is_the_next_french_midnight() {
        // 10:00 CEST on 31 March: the next midnight is 1 April's.
        assert_eq!(
            first_whole_day(utc("2026-03-31T08:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
        );
        // Exactly midnight in France: that day itself.
        assert_eq!(
            first_whole_day(utc("2026-03-31T22:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
        );
        assert_eq!(
            first_whole_day(utc("2026-12-06T23:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
    }
}
