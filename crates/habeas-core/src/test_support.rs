//! Fixtures for the unit tests, written once instead of once per module: date and instant
//! literals, and the demo provider's declaration files.

use chrono::{DateTime, NaiveDate, Utc};

/// The instant of an RFC 3339 literal; panics on a malformed one (tests only).
pub(crate) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The calendar date `y-m-day`; panics on an impossible one (tests only).
pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

macro_rules! demo_file {
    ($name:literal) => {
        (
            concat!("declarations/", $name),
            include_str!(concat!(
                "../../../examples/hosting-provider/declarations/",
                $name
            )),
        )
    };
}

/// The demo provider's declarations (examples/hosting-provider), as (path, content) pairs.
const DEMO: &[(&str, &str)] = &[
    demo_file!("activities.toml"),
    demo_file!("categories.toml"),
    demo_file!("organisation.toml"),
    demo_file!("recipients.toml"),
    demo_file!("roles.toml"),
    demo_file!("security.toml"),
    demo_file!("services.toml"),
    demo_file!("subjects.toml"),
];

/// The demo provider's declaration files, ready for `load_and_check`.
pub(crate) fn demo_files() -> Vec<(String, String)> {
    DEMO.iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect()
}
