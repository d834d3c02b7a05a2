//! The short texts that carry rules, read from declarations, settings,
//! command lines and query strings: retention rules (`P3Y after
//! contract_end`), delays, purge schedules, statistics periods, notice
//! recipients' addresses, consent digests, breach and backup names. Never a
//! panic; what parses prints to a text that parses back to the same value;
//! a retention rule's due date and a schedule's next run are computed
//! without overflow for any date.
#![no_main]

use std::fmt::Debug;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use habeas_core::retention::{EventDates, RetentionRule};
use libfuzzer_sys::fuzz_target;

fn round_trips<T>(text: &str) -> Option<T>
where
    T: FromStr + ToString + PartialEq + Debug,
{
    let value = text.parse::<T>().ok()?;
    let printed = value.to_string();
    let again = printed.parse::<T>().ok();
    assert_eq!(
        again.as_ref(),
        Some(&value),
        "`{printed}` does not parse back"
    );
    Some(value)
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    // A date anywhere chrono can hold, from the first byte and the length.
    let secs = (i64::from(seed) - 128) * 400_000_000_000 + rest.len() as i64 * 86_399;
    let at: DateTime<Utc> = Utc.timestamp_opt(secs, 0).single().unwrap_or_default();

    if let Some(rule) = round_trips::<RetentionRule>(text) {
        let dates = EventDates {
            collected_at: Some(at),
            last_interaction: Some(at),
            contract_end: Some(at),
            account_closure: Some(at),
            events: [("domain_cancelled".to_string(), at)].into_iter().collect(),
            incident_linked: seed & 1 == 1,
        };
        let _ = rule.due(&dates);
        let _ = rule.iso8601();
        if let Some(period) = rule.period() {
            let _ = period.add_to(at);
            let _ = period.bounds_days();
        }
    }
    if let Some(delay) = round_trips::<habeas_core::delay::Delay>(text) {
        let _ = delay.bounds_hours();
        let _ = delay.may_exceed_statutory_month();
    }
    if let Some(schedule) = round_trips::<habeas_retention::schedule::Schedule>(text) {
        let next = schedule.next_after(at);
        assert!(
            next > at || at.timestamp() > 8_000_000_000_000,
            "the next run is not later"
        );
        let _ = schedule.last_due(at, next);
    }
    let _ = round_trips::<habeas_core::stats::Period>(text);
    let _ = round_trips::<habeas_notify::MailAddress>(text);
    let _ = round_trips::<habeas_core::consent::Sha256Digest>(text);
    let _ = habeas_breach::id::parse_id(text);
    let _ = habeas_retention::gfs::parse_backup_file_name(text);
});
