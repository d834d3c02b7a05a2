//! Timestamp and partition-month conversions shared by both backends.

use chrono::{DateTime, Datelike, TimeZone, Utc};

use crate::error::{Result, StoreError};

/// Microseconds since the Unix epoch.
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// Inverse of [`to_micros`].
pub fn from_micros(us: i64, table: &'static str) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| StoreError::Corrupt {
        table,
        detail: format!("timestamp {us} out of range"),
    })
}

/// Optional variant.
pub fn opt_from_micros(us: Option<i64>, table: &'static str) -> Result<Option<DateTime<Utc>>> {
    us.map(|v| from_micros(v, table)).transpose()
}

/// Month number `year * 12 + (month - 1)`: a compact partition key.
pub fn month_index(t: DateTime<Utc>) -> i64 {
    i64::from(t.year()) * 12 + i64::from(t.month0())
}

/// First instant of a month index.
pub fn month_start(index: i64) -> Result<DateTime<Utc>> {
    let year = i32::try_from(index.div_euclid(12))
        .map_err(|_| StoreError::Invalid(format!("month index {index} out of range")))?;
    let month = u32::try_from(index.rem_euclid(12) + 1).unwrap_or(1);
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .ok_or_else(|| StoreError::Invalid(format!("month index {index} out of range")))
}

/// `YYYYMM` suffix for partition table names.
pub fn month_suffix(index: i64) -> String {
    format!("{:04}{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}
