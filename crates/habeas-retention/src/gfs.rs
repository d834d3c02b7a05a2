//! Grandfather-father-son backup rotation: which backups to keep.
//!
//! The oldest backup kept is the longest time an erased item survives in a
//! backup (STANDARDS §7.5), so the policy is declared, bounded and written in
//! the register. Semantics (those of borg and restic's `keep-daily` …):
//!
//! 1. daily: walking from the newest backup back, keep the newest backup of
//!    each day, until `daily` days are kept;
//! 2. weekly: the same over ISO weeks, skipping backups already kept by the
//!    daily rule (they do not count towards the weekly quota);
//! 3. monthly: the same over calendar months.
//!
//! When a rule runs out of history before its quota, it also keeps the
//! oldest backup (so a young installation keeps its first backup). So with
//! enough history exactly `daily + weekly + monthly` backups are kept, the
//! newest always among them. Periods are counted in UTC.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use crate::error::{Result, RetentionError};

/// How many backups of each generation to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GfsPolicy {
    pub daily: u32,
    pub weekly: u32,
    pub monthly: u32,
}

impl Default for GfsPolicy {
    /// 7 daily, 4 weekly, 6 monthly: erased data leaves the backups within about six months.
    fn default() -> Self {
        GfsPolicy {
            daily: 7,
            weekly: 4,
            monthly: 6,
        }
    }
}

/// The period a backup falls in, for one generation: (year, day / week / month).
type PeriodOf = fn(&DateTime<Utc>) -> (i32, u32);

/// The rule that kept a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Generation {
    Daily,
    Weekly,
    Monthly,
}

/// The verdict on one backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Keep(Generation),
    Delete,
}

impl GfsPolicy {
    /// Refuse a policy that keeps nothing (it would delete every backup).
    pub fn check(&self) -> Result<()> {
        if self.daily == 0 && self.weekly == 0 && self.monthly == 0 {
            return Err(RetentionError::invalid(
                "backup rotation policy",
                "keeps no backup at all",
                "keep at least one generation, e.g. `daily = 7, weekly = 4, monthly = 6`",
            ));
        }
        Ok(())
    }

    /// The verdict for each of `backups` (their creation times), in input order.
    pub fn rotate(&self, backups: &[DateTime<Utc>]) -> Result<Vec<Verdict>> {
        self.check()?;
        // Newest first; equal times keep their input order.
        let mut order: Vec<usize> = (0..backups.len()).collect();
        order.sort_by(|&a, &b| backups[b].cmp(&backups[a]).then(a.cmp(&b)));
        let mut kept: BTreeMap<usize, Generation> = BTreeMap::new();
        let rules: [(Generation, u32, PeriodOf); 3] = [
            (Generation::Daily, self.daily, |t| (t.year(), t.ordinal())),
            (Generation::Weekly, self.weekly, |t| {
                let w = t.iso_week();
                (w.year(), w.week())
            }),
            (Generation::Monthly, self.monthly, |t| (t.year(), t.month())),
        ];
        for (generation, quota, period) in rules {
            if quota == 0 {
                continue;
            }
            let mut taken = 0;
            let mut last = None;
            for &i in &order {
                let p = period(&backups[i]);
                if last == Some(p) {
                    continue;
                }
                last = Some(p);
                if let std::collections::btree_map::Entry::Vacant(e) = kept.entry(i) {
                    e.insert(generation);
                    taken += 1;
                    if taken == quota {
                        break;
                    }
                }
            }
            if taken < quota
                && let Some(&oldest) = order.last()
            {
                kept.entry(oldest).or_insert(generation);
            }
        }
        Ok((0..backups.len())
            .map(|i| kept.get(&i).map_or(Verdict::Delete, |g| Verdict::Keep(*g)))
            .collect())
    }
}

/// The file name of a backup taken at `at`: `habeas-backup-20261201T023000Z.hbk`.
/// Names sort by time, and rotation reads the time back from them.
pub fn backup_file_name(at: DateTime<Utc>) -> String {
    format!("habeas-backup-{}.hbk", at.format("%Y%m%dT%H%M%SZ"))
}

/// The time in a backup file name made by [`backup_file_name`]; `None` for
/// any other name.
pub fn parse_backup_file_name(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix("habeas-backup-")?.strip_suffix(".hbk")?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// Rotation over the names found in a backup directory: `(keep, delete)`.
/// Names that are not Habeas backup names are in neither list: rotation
/// never deletes a file it did not make.
pub fn rotate_files<'a>(
    policy: &GfsPolicy,
    names: &[&'a str],
) -> Result<(Vec<&'a str>, Vec<&'a str>)> {
    let dated: Vec<(&str, DateTime<Utc>)> = names
        .iter()
        .filter_map(|n| parse_backup_file_name(n).map(|t| (*n, t)))
        .collect();
    let times: Vec<DateTime<Utc>> = dated.iter().map(|(_, t)| *t).collect();
    let verdicts = policy.rotate(&times)?;
    let mut keep = Vec::new();
    let mut delete = Vec::new();
    for ((name, _), verdict) in dated.into_iter().zip(verdicts) {
        match verdict {
            Verdict::Keep(_) => keep.push(name),
            Verdict::Delete => delete.push(name),
        }
    }
    Ok((keep, delete))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-01-01T02:30:00Z")
            .unwrap()
            .to_utc()
    }

    fn kept(verdicts: &[Verdict]) -> usize {
        verdicts.iter().filter(|v| **v != Verdict::Delete).count()
    }

    #[test]
    fn a_year_of_nightly_backups_keeps_7_daily_4_weekly_6_monthly() {
        let backups: Vec<_> = (0..365).map(|d| start() + Duration::days(d)).collect();
        let v = GfsPolicy::default().rotate(&backups).unwrap();
        assert_eq!(kept(&v), 17);
        assert_eq!(v[364], Verdict::Keep(Generation::Daily));
        assert!(
            v[358..]
                .iter()
                .all(|x| *x == Verdict::Keep(Generation::Daily))
        );
        assert_eq!(v[357], Verdict::Delete);
        let count = |g| v.iter().filter(|x| **x == Verdict::Keep(g)).count();
        assert_eq!(count(Generation::Weekly), 4);
        assert_eq!(count(Generation::Monthly), 6);
        // The oldest kept backup bounds how long erased data survives: about six months.
        let oldest = v.iter().position(|x| *x != Verdict::Delete).unwrap();
        assert!(
            (364 - oldest) < 31 * 7,
            "oldest kept is {} days old",
            364 - oldest
        );
    }

    #[test]
    fn a_young_installation_keeps_what_it_has() {
        let backups: Vec<_> = (0..3).map(|d| start() + Duration::days(d)).collect();
        let v = GfsPolicy::default().rotate(&backups).unwrap();
        assert_eq!(kept(&v), 3);
    }

    #[test]
    fn several_backups_a_day_keep_the_newest_of_the_day() {
        let backups = vec![
            start(),
            start() + Duration::hours(6),
            start() + Duration::hours(12),
        ];
        let policy = GfsPolicy {
            daily: 1,
            weekly: 0,
            monthly: 0,
        };
        assert_eq!(
            policy.rotate(&backups).unwrap(),
            [
                Verdict::Delete,
                Verdict::Delete,
                Verdict::Keep(Generation::Daily)
            ]
        );
    }

    #[test]
    fn a_policy_keeping_nothing_is_refused() {
        let none = GfsPolicy {
            daily: 0,
            weekly: 0,
            monthly: 0,
        };
        assert!(none.rotate(&[start()]).is_err());
    }

    #[test]
    fn rotation_over_file_names_never_touches_foreign_files() {
        let names: Vec<String> = (0..40)
            .map(|d| backup_file_name(start() + Duration::days(d)))
            .collect();
        assert_eq!(names[0], "habeas-backup-20250101T023000Z.hbk");
        assert_eq!(parse_backup_file_name(&names[0]), Some(start()));
        let mut all: Vec<&str> = names.iter().map(String::as_str).collect();
        all.push("notes.txt");
        all.push("habeas-backup-garbage.hbk");
        let (keep, delete) = rotate_files(&GfsPolicy::default(), &all).unwrap();
        assert_eq!(keep.len() + delete.len(), 40);
        assert!(keep.contains(&names[39].as_str()));
        assert!(!delete.contains(&"notes.txt") && !delete.contains(&"habeas-backup-garbage.hbk"));
        assert_eq!(keep.len(), 7 + 4 + 2);
    }

    proptest! {
        #[test]
        fn never_deletes_the_newest_and_never_keeps_more_than_the_policy(
            offsets in proptest::collection::vec(0i64..(3 * 365 * 24), 1..120),
            daily in 0u32..10, weekly in 0u32..6, monthly in 0u32..13,
        ) {
            prop_assume!(daily + weekly + monthly > 0);
            let policy = GfsPolicy { daily, weekly, monthly };
            let backups: Vec<_> = offsets.iter().map(|h| start() + Duration::hours(*h)).collect();
            let v = policy.rotate(&backups).unwrap();
            prop_assert_eq!(v.len(), backups.len());
            let newest = backups.iter().enumerate().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0))).unwrap().0;
            prop_assert!(v[newest] != Verdict::Delete);
            prop_assert!(kept(&v) as u32 <= policy.daily + policy.weekly + policy.monthly);
        }

        #[test]
        fn keeps_exactly_the_policy_counts_when_enough_history_exists(
            days in 500i64..800, daily in 1u32..10, weekly in 0u32..6, monthly in 0u32..13,
            hour in 0i64..24,
        ) {
            // One backup a day for well over a year: enough for every quota.
            let policy = GfsPolicy { daily, weekly, monthly };
            let backups: Vec<_> = (0..days).map(|d| start() + Duration::days(d) + Duration::hours(hour)).collect();
            let v = policy.rotate(&backups).unwrap();
            let count = |g| v.iter().filter(|x| **x == Verdict::Keep(g)).count() as u32;
            prop_assert_eq!(count(Generation::Daily), daily);
            prop_assert_eq!(count(Generation::Weekly), weekly);
            prop_assert_eq!(count(Generation::Monthly), monthly);
            prop_assert!(v[(days - 1) as usize] != Verdict::Delete);
        }
    }
}
