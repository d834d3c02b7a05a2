//! The scheduler core: which declared jobs run now, on which instance, and
//! what each run reports.
//!
//! `habeas serve` wakes at [`JobRunner::next_wake`], asks [`JobRunner::run_due`]
//! to run what is due, and journals each [`RunReport`]. With several Habeas
//! instances on one PostgreSQL database each job runs once per occurrence:
//! the instance that takes the job's lease runs it, the others skip that
//! occurrence. The lease is held until the job's next occurrence, so a
//! slower instance waking later cannot take the same occurrence again.
//!
//! Missed occurrences (the server was down for a week) collapse into one
//! run: a purge catches up by itself, and a storm of seven backups in a row
//! helps nobody. A run that fails is reported as failed and retried at the
//! next occurrence.
//!
//! Reports carry counts per category and action, never values: they go to
//! the journal and to metrics.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use habeas_core::clock::Clock;
use habeas_core::docs::check_key;
use serde::Serialize;

use crate::error::{Result, RetentionError};
use crate::plan::PurgeSummary;
use crate::schedule::Schedule;

/// Counts a run reports: category (or other subject of the job, e.g.
/// `backups`) → action → number.
pub type Counts = BTreeMap<String, BTreeMap<String, u64>>;

/// A declared job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub name: String,
    pub schedule: Schedule,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Outcome {
    Succeeded,
    /// The job's error message (Habeas errors never hold personal data).
    Failed {
        error: String,
    },
}

/// What one run did: journaled and exposed in metrics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub job: String,
    /// The instance that ran it.
    pub holder: String,
    /// The occurrence it ran for.
    pub scheduled_for: DateTime<Utc>,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub counts: Counts,
}

/// A purge summary as run counts: category → `delete`, `anonymise`, `held`,
/// `undeclared` (zeros left out).
pub fn purge_counts(summary: &PurgeSummary) -> Counts {
    summary
        .categories
        .iter()
        .map(|(category, c)| {
            let pairs = [
                ("delete", c.delete),
                ("anonymise", c.anonymise),
                ("held", c.held),
                ("undeclared", c.undeclared),
            ];
            let counts = pairs
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(k, n)| (k.to_string(), n))
                .collect();
            (category.clone(), counts)
        })
        .collect()
}

struct Slot {
    job: Job,
    next: DateTime<Utc>,
}

/// Decides which jobs run, takes their leases and records their reports.
pub struct JobRunner {
    holder: String,
    slots: Vec<Slot>,
}

/// A lease function: `try_lease(job, holder, ttl)` is true when `holder`
/// holds the job's lease for `ttl` (habeas-store's `try_lease`).
pub type LeaseFn<'a> = dyn FnMut(&str, &str, Duration) -> bool + 'a;

impl JobRunner {
    /// A runner for `holder` (this instance's name), with each job's first
    /// occurrence after `started_at`. Refuses duplicate or malformed names.
    pub fn new(holder: &str, jobs: Vec<Job>, started_at: DateTime<Utc>) -> Result<Self> {
        if check_key(holder).is_err() {
            return Err(RetentionError::invalid(
                "scheduler instance name",
                "must be 1–128 printable ASCII characters without `/` or spaces",
                "name the instance e.g. after its host",
            ));
        }
        let mut slots: Vec<Slot> = Vec::with_capacity(jobs.len());
        for job in jobs {
            if check_key(&job.name).is_err() {
                return Err(RetentionError::invalid(
                    format!(
                        "job name `{}`",
                        job.name.chars().take(40).collect::<String>()
                    ),
                    "must be 1–128 printable ASCII characters without `/` or spaces",
                    "name jobs like `retention-purge` or `backup`",
                ));
            }
            if slots.iter().any(|s| s.job.name == job.name) {
                return Err(RetentionError::invalid(
                    format!("job `{}`", job.name),
                    "is declared twice",
                    "keep one schedule per job",
                ));
            }
            let next = job.schedule.next_after(started_at);
            slots.push(Slot { job, next });
        }
        Ok(JobRunner {
            holder: holder.to_string(),
            slots,
        })
    }

    /// When the next job is due (the serve loop sleeps until then).
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.slots.iter().map(|s| s.next).min()
    }

    /// The next occurrence of each job.
    pub fn upcoming(&self) -> Vec<(&str, DateTime<Utc>)> {
        self.slots
            .iter()
            .map(|s| (s.job.name.as_str(), s.next))
            .collect()
    }

    /// The jobs this instance must run at `now`, with the occurrence each
    /// runs for. Every due job moves to its next occurrence, whether this
    /// instance won its lease or not.
    pub fn take_due(
        &mut self,
        now: DateTime<Utc>,
        try_lease: &mut LeaseFn<'_>,
    ) -> Vec<(String, DateTime<Utc>)> {
        let mut due = Vec::new();
        for slot in &mut self.slots {
            if slot.next > now {
                continue;
            }
            let occurrence = slot.next;
            let following = slot.job.schedule.next_after(now);
            let ttl = (following - now).max(Duration::minutes(1));
            if try_lease(&slot.job.name, &self.holder, ttl) {
                due.push((slot.job.name.clone(), occurrence));
            }
            slot.next = following;
        }
        due
    }

    /// Run every job due at the clock's time through `run`, and report each run.
    pub fn run_due(
        &mut self,
        clock: &dyn Clock,
        try_lease: &mut LeaseFn<'_>,
        run: &mut dyn FnMut(&str) -> std::result::Result<Counts, String>,
    ) -> Vec<RunReport> {
        let due = self.take_due(clock.now(), try_lease);
        due.into_iter()
            .map(|(job, scheduled_for)| {
                let started = clock.now();
                let result = run(&job);
                let finished = clock.now();
                let (outcome, counts) = match result {
                    Ok(counts) => (Outcome::Succeeded, counts),
                    Err(error) => (Outcome::Failed { error }, Counts::new()),
                };
                RunReport {
                    job,
                    holder: self.holder.clone(),
                    scheduled_for,
                    started,
                    finished,
                    outcome,
                    counts,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::CategoryCounts;
    use habeas_core::clock::ManualClock;
    use std::collections::HashMap;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn jobs() -> Vec<Job> {
        vec![
            Job {
                name: "retention-purge".into(),
                schedule: "daily 02:30".parse().unwrap(),
            },
            Job {
                name: "deadline-reminders".into(),
                schedule: "every 15m".parse().unwrap(),
            },
        ]
    }

    /// An in-memory lease table like habeas-store's: one live holder per job.
    #[derive(Default)]
    struct Leases(HashMap<String, (String, DateTime<Utc>)>);

    impl Leases {
        fn try_lease(
            &mut self,
            now: DateTime<Utc>,
            job: &str,
            holder: &str,
            ttl: Duration,
        ) -> bool {
            match self.0.get(job) {
                Some((h, until)) if *until > now && h != holder => false,
                _ => {
                    self.0.insert(job.into(), (holder.into(), now + ttl));
                    true
                }
            }
        }
    }

    #[test]
    fn due_jobs_run_and_report_counts_per_category() {
        let clock = ManualClock::new(t("2026-12-04T02:00:00Z"));
        let mut runner = JobRunner::new("host-a", jobs(), clock.now()).unwrap();
        assert_eq!(runner.next_wake(), Some(t("2026-12-04T02:15:00Z")));
        clock.set(t("2026-12-04T02:31:00Z"));
        let mut leases = Leases::default();
        let now = clock.now();
        let mut lease = |j: &str, h: &str, ttl| leases.try_lease(now, j, h, ttl);
        let mut ran = Vec::new();
        let reports = runner.run_due(&clock, &mut lease, &mut |job| {
            ran.push(job.to_string());
            let mut summary = PurgeSummary::default();
            summary.categories.insert(
                "contact".into(),
                CategoryCounts {
                    delete: 3,
                    held: 1,
                    ..Default::default()
                },
            );
            Ok(purge_counts(&summary))
        });
        assert_eq!(ran, ["retention-purge", "deadline-reminders"]);
        assert_eq!(reports[0].scheduled_for, t("2026-12-04T02:30:00Z"));
        assert_eq!(reports[0].counts["contact"]["delete"], 3);
        assert_eq!(reports[0].counts["contact"]["held"], 1);
        assert!(!reports[0].counts["contact"].contains_key("anonymise"));
        // Missed 02:15 and 02:30 reminders collapsed into one run.
        assert_eq!(reports[1].scheduled_for, t("2026-12-04T02:15:00Z"));
        assert_eq!(
            runner.upcoming(),
            [
                ("retention-purge", t("2026-12-05T02:30:00Z")),
                ("deadline-reminders", t("2026-12-04T02:45:00Z")),
            ]
        );
    }

    #[test]
    fn two_instances_run_each_occurrence_once() {
        let start = t("2026-12-04T02:00:00Z");
        let mut a = JobRunner::new("host-a", jobs(), start).unwrap();
        let mut b = JobRunner::new("host-b", jobs(), start).unwrap();
        let mut leases = Leases::default();
        let mut runs: Vec<(String, String, DateTime<Utc>)> = Vec::new();
        // Both instances wake every 5 minutes for two days, b a little later than a.
        let mut now = start;
        while now <= start + Duration::days(2) {
            for (name, runner, lag) in [("a", &mut a, 0), ("b", &mut b, 2)] {
                let at = now + Duration::minutes(lag);
                let mut lease = |j: &str, h: &str, ttl| leases.try_lease(at, j, h, ttl);
                for (job, occ) in runner.take_due(at, &mut lease) {
                    runs.push((job, name.to_string(), occ));
                }
            }
            now += Duration::minutes(5);
        }
        let purges: Vec<_> = runs.iter().filter(|r| r.0 == "retention-purge").collect();
        assert_eq!(purges.len(), 2, "{purges:?}");
        let mut occurrences: Vec<_> = runs.iter().map(|r| (&r.0, r.2)).collect();
        let total = occurrences.len();
        occurrences.sort();
        occurrences.dedup();
        assert_eq!(occurrences.len(), total, "an occurrence ran twice");
        // 2 days of 15-minute reminders, each once.
        assert_eq!(total - 2, 2 * 24 * 4);
    }

    #[test]
    fn a_failed_run_is_reported_and_retried_next_time() {
        let clock = ManualClock::new(t("2026-12-04T02:00:00Z"));
        let mut runner = JobRunner::new("host-a", jobs()[..1].to_vec(), clock.now()).unwrap();
        clock.set(t("2026-12-04T03:00:00Z"));
        let reports = runner.run_due(&clock, &mut |_, _, _| true, &mut |_| {
            Err("store unavailable".into())
        });
        assert_eq!(
            reports[0].outcome,
            Outcome::Failed {
                error: "store unavailable".into()
            }
        );
        assert!(reports[0].counts.is_empty());
        clock.set(t("2026-12-05T03:00:00Z"));
        assert_eq!(
            runner
                .run_due(&clock, &mut |_, _, _| true, &mut |_| Ok(Counts::new()))
                .len(),
            1
        );
    }

    #[test]
    fn bad_job_declarations_are_refused() {
        let start = t("2026-12-04T02:00:00Z");
        let mut twice = jobs();
        twice.push(twice[0].clone());
        assert!(JobRunner::new("host-a", twice, start).is_err());
        let mut bad = jobs();
        bad[0].name = "retention purge".into();
        assert!(JobRunner::new("host-a", bad, start).is_err());
        assert!(JobRunner::new("", jobs(), start).is_err());
    }
}
