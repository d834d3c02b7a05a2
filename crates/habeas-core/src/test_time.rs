//! Date and instant literals for the unit tests, written once instead of once per module.

use chrono::{DateTime, NaiveDate, Utc};

/// The instant of an RFC 3339 literal; panics on a malformed one (tests only).
pub(crate) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The calendar date `y-m-day`; panics on an impossible one (tests only).
pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}
