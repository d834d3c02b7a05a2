//! Aggregated statistics that single nobody out.
//!
//! A provider wants figures from the vault — connections per month, customers
//! per plan, sign-ups per channel — without handing identities to whoever reads
//! them. The GDPR allows further processing for statistical purposes
//! (Art. 5(1)(b), Art. 89(1)) with safeguards "in particular in order to ensure
//! respect for the principle of data minimisation", and anonymous figures fall
//! outside it altogether (recital 26: no longer relating to an identifiable
//! person, taking into account all the means reasonably likely to be used).
//!
//! What this module guarantees, as pure rules:
//! - figures are counts per cell — a period of collection and the generalised
//!   values of the grouping fields — never a record or a subject id;
//! - a cell is published only when at least `min_subjects` distinct subjects
//!   fall in it (a count threshold, the primary cell suppression of official
//!   statistics; WP29 Opinion 05/2014 on anonymisation techniques, "singling
//!   out"). Cells below it are withheld whole: neither their values nor their
//!   counts are shown, only how many there were;
//! - the threshold cannot be set below [`MIN_SUBJECTS_FLOOR`].
//!
//! Its limits, said plainly: the suppression is primary only (no complementary
//! suppression), so published totals from elsewhere — the whole category's
//! record count, say — may let a reader subtract their way to the withheld
//! cells' sum (never to which cell it was). Grouping fields are generalised by
//! the caller (see `habeas_retention::anonymise`), not here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

/// The threshold used when none is given: a cell needs five subjects.
pub const DEFAULT_MIN_SUBJECTS: u32 = 5;

/// No query may publish a cell of fewer subjects than this.
pub const MIN_SUBJECTS_FLOOR: u32 = 2;

/// How records are grouped in time, by their collection date (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    /// ISO 8601 week, `2026-W49`.
    Week,
    Month,
    Year,
    /// No grouping in time: one period, `all`.
    All,
}

impl Period {
    /// The period a collection time falls in.
    pub fn label(self, at: DateTime<Utc>) -> String {
        match self {
            Period::Day => at.format("%Y-%m-%d").to_string(),
            Period::Week => {
                let w = at.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Month => at.format("%Y-%m").to_string(),
            Period::Year => at.format("%Y").to_string(),
            Period::All => "all".to_string(),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Year => "year",
            Period::All => "all",
        })
    }
}

/// An unknown period name, with the ones accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown period `{0}`: use day, week, month, year or all")]
pub struct UnknownPeriod(pub String);

impl FromStr for Period {
    type Err = UnknownPeriod;

    fn from_str(s: &str) -> Result<Period, UnknownPeriod> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            "year" => Ok(Period::Year),
            "all" => Ok(Period::All),
            _ => Err(UnknownPeriod(s.to_string())),
        }
    }
}

/// A threshold below [`MIN_SUBJECTS_FLOOR`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a threshold of {0} subject(s) per cell would publish cells that single a person out: use {MIN_SUBJECTS_FLOOR} or more (default {DEFAULT_MIN_SUBJECTS})"
)]
pub struct ThresholdTooLow(pub u32);

/// Check a requested threshold.
pub fn check_threshold(min_subjects: u32) -> Result<u32, ThresholdTooLow> {
    if min_subjects < MIN_SUBJECTS_FLOOR {
        return Err(ThresholdTooLow(min_subjects));
    }
    Ok(min_subjects)
}

/// Counts gathered subject by subject. Each subject is added once, with the
/// cell of each of its records, so a cell's subject count is exact without
/// keeping anyone's id.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    cells: BTreeMap<Vec<String>, Counts>,
    subjects: u64,
    records: u64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    records: u64,
    subjects: u64,
}

impl Tally {
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Add one subject: the cell (period, then grouping values) of each of
    /// its records. A subject with no record is not counted.
    pub fn add_subject<I>(&mut self, record_cells: I)
    where
        I: IntoIterator<Item = Vec<String>>,
    {
        let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
        for cell in record_cells {
            self.records += 1;
            let counts = self.cells.entry(cell.clone()).or_default();
            counts.records += 1;
            if seen.insert(cell) {
                counts.subjects += 1;
            }
        }
        if !seen.is_empty() {
            self.subjects += 1;
        }
    }

    /// Add the counts of another tally made of other subjects (a tally per
    /// worker, merged at the end). A subject added to both would count twice.
    pub fn merge(&mut self, other: Tally) {
        self.subjects += other.subjects;
        self.records += other.records;
        for (key, c) in other.cells {
            let mine = self.cells.entry(key).or_default();
            mine.records += c.records;
            mine.subjects += c.subjects;
        }
    }

    /// The published figures: cells of at least `min_subjects` subjects, in
    /// key order; the others only counted.
    pub fn publish(self, min_subjects: u32) -> Published {
        let mut out = Published {
            min_subjects,
            cells: Vec::new(),
            withheld_cells: 0,
            published_records: 0,
        };
        for (key, c) in self.cells {
            if c.subjects >= u64::from(min_subjects) {
                out.published_records += c.records;
                out.cells.push(Cell {
                    key,
                    records: c.records,
                    subjects: c.subjects,
                });
            } else {
                out.withheld_cells += 1;
            }
        }
        out
    }

    /// Subjects added with at least one record.
    pub fn subjects(&self) -> u64 {
        self.subjects
    }

    /// Records added.
    pub fn records(&self) -> u64 {
        self.records
    }
}

/// One published cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// The period, then the grouping fields' values, in the query's order.
    pub key: Vec<String>,
    pub records: u64,
    /// Distinct subjects with a record in the cell.
    pub subjects: u64,
}

/// What may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    pub min_subjects: u32,
    pub cells: Vec<Cell>,
    /// Cells of fewer than `min_subjects` subjects, not shown.
    pub withheld_cells: u64,
    /// Records in the published cells.
    pub published_records: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn key(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn periods_label_the_collection_date_in_utc() {
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(Period::Day.label(t), "2026-12-31");
        // 31 December 2026 is a Thursday of ISO week 53 of 2026.
        assert_eq!(Period::Week.label(t), "2026-W53");
        let jan = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(Period::Week.label(jan), "2026-W53");
        assert_eq!(Period::Month.label(t), "2026-12");
        assert_eq!(Period::Year.label(t), "2026");
        assert_eq!(Period::All.label(t), "all");
    }

    #[test]
    fn period_names_parse_and_unknown_ones_are_refused() {
        assert_eq!("Month".parse::<Period>(), Ok(Period::Month));
        assert_eq!(" week ".parse::<Period>(), Ok(Period::Week));
        let e = "quarter".parse::<Period>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown period `quarter`: use day, week, month, year or all"
        );
        assert_eq!(Period::Year.to_string(), "year");
    }

    #[test]
    fn threshold_floor_is_enforced() {
        assert_eq!(check_threshold(5), Ok(5));
        assert_eq!(check_threshold(2), Ok(2));
        assert_eq!(check_threshold(1), Err(ThresholdTooLow(1)));
        assert_eq!(check_threshold(0), Err(ThresholdTooLow(0)));
    }

    #[test]
    fn subjects_are_counted_once_per_cell_and_records_each() {
        let mut t = Tally::new();
        // One subject, three records in one cell and one in another.
        t.add_subject(vec![
            key(&["2026-11", "pro"]),
            key(&["2026-11", "pro"]),
            key(&["2026-11", "pro"]),
            key(&["2026-12", "pro"]),
        ]);
        t.add_subject(vec![key(&["2026-11", "pro"])]);
        t.add_subject(Vec::new());
        assert_eq!((t.subjects(), t.records()), (2, 5));
        let p = t.publish(2);
        assert_eq!(
            p.cells,
            vec![Cell {
                key: key(&["2026-11", "pro"]),
                records: 4,
                subjects: 2
            }]
        );
        assert_eq!(p.withheld_cells, 1);
        assert_eq!(p.published_records, 4);
    }

    #[test]
    fn tallies_of_disjoint_subjects_merge_into_the_same_figures() {
        let subjects = [
            vec![key(&["all", "FR"])],
            vec![key(&["all", "FR"]), key(&["all", "BE"])],
            vec![key(&["all", "BE"]), key(&["all", "BE"])],
        ];
        let mut whole = Tally::new();
        for s in subjects.clone() {
            whole.add_subject(s);
        }
        let (mut left, mut right) = (Tally::new(), Tally::new());
        left.add_subject(subjects[0].clone());
        right.add_subject(subjects[1].clone());
        right.add_subject(subjects[2].clone());
        left.merge(right);
        assert_eq!((left.subjects(), left.records()), (3, 5));
        assert_eq!(left.publish(2), whole.publish(2));
    }

    #[test]
    fn cells_below_the_threshold_are_withheld_whole() {
        let mut t = Tally::new();
        for _ in 0..5 {
            t.add_subject(vec![key(&["all", "FR"])]);
        }
        for _ in 0..4 {
            t.add_subject(vec![key(&["all", "BE"]), key(&["all", "BE"])]);
        }
        let p = t.publish(5);
        assert_eq!(p.cells.len(), 1);
        assert_eq!(p.cells[0].key, key(&["all", "FR"]));
        assert_eq!((p.cells[0].records, p.cells[0].subjects), (5, 5));
        assert_eq!(p.withheld_cells, 1);
        assert_eq!(p.published_records, 5);
        // Nothing of the withheld cell appears in what is published.
        let json = serde_json::to_string(&p).unwrap();
        assert!(!json.contains("BE"), "{json}");
    }
}
