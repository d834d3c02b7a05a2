//! When a request is due: by law (Art. 12(3) GDPR, counted per Regulation
//! (EEC, Euratom) No 1182/71) and by the provider's promise (a [`Delay`]
//! from the declarations).
//!
//! The statutory month, as STANDARDS §2.1 records it from the ICO's reading
//! of Reg. 1182/71 and CJEU C-171/03: the clock starts on the day of
//! receipt; the deadline is the same date in the next month; if that date
//! does not exist, the last day of that month (art. 3(2)(c)); if it is a
//! Saturday, Sunday or public holiday, the next working day (art. 3(4)).
//! Habeas also shows a **conservative** internal date without that
//! roll-forward, so staff aim for the earlier of the two.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::Serialize;

use crate::calendar::{HolidayCalendar, end_of_local_day, saturating_add, to_local};
use crate::delay::Delay;

/// `date` plus `months` calendar months, clamped to the end of the month
/// when the same date does not exist (31 Jan + 1 month = 28 or 29 Feb), per
/// Reg. 1182/71 art. 3(2)(c). Saturates at the largest representable date.
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    // chrono clamps the day to the last day of the target month.
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// A deadline of Art. 12(3), as local (Paris/Brussels) calendar dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatutoryDeadline {
    /// The local date the request was received: day one of the period.
    pub received_on: NaiveDate,
    /// Same date `n` months later, clamped to month end, not rolled to a
    /// working day: the date staff should aim for.
    pub conservative: NaiveDate,
    /// The legal last day: `conservative` rolled forward to a working day
    /// (Reg. 1182/71 art. 3(4)).
    pub legal: NaiveDate,
}

impl StatutoryDeadline {
    /// The instant the legal period expires (end of the last local day).
    pub fn legal_end(&self) -> DateTime<Utc> {
        end_of_local_day(self.legal)
    }

    /// The instant the conservative period expires.
    pub fn conservative_end(&self) -> DateTime<Utc> {
        end_of_local_day(self.conservative)
    }
}

fn months_after(
    received_at: DateTime<Utc>,
    calendar: HolidayCalendar,
    months: u32,
) -> StatutoryDeadline {
    let received_on = calendar.local_date(received_at);
    let conservative = add_months_clamped(received_on, months);
    StatutoryDeadline {
        received_on,
        conservative,
        legal: calendar.roll_forward(conservative),
    }
}

/// Art. 12(3): at the latest within one month of receipt.
pub fn statutory_deadline(
    received_at: DateTime<Utc>,
    calendar: HolidayCalendar,
) -> StatutoryDeadline {
    months_after(received_at, calendar, 1)
}

/// Art. 12(3): the one-month period extended by `further_months` (at most
/// two; the caller validates that — see [`super::request`]). Counted from
/// receipt, so the whole period is 1 + `further_months` months.
pub fn extended_deadline(
    received_at: DateTime<Utc>,
    calendar: HolidayCalendar,
    further_months: u32,
) -> StatutoryDeadline {
    months_after(received_at, calendar, 1 + further_months)
}

/// When the provider's promise falls due, from the moment of receipt.
///
/// - `Immediate`: at receipt.
/// - `Hours(n)`: exactly `n` hours after the moment of receipt. Reg.
///   1182/71 art. 3(1) and 3(2)(a) would start the count at the next full
///   hour; counting from the exact moment is up to an hour earlier, the
///   conservative side.
/// - `WorkingHours(n)`: see [`HolidayCalendar::add_working_hours`].
/// - `Days`, `Weeks`, `Months`: the end of the local day `n` days, weeks or
///   months after the day of receipt (the day of receipt is not counted,
///   art. 3(1); the period ends with the last hour of its last day, art.
///   3(2)(b)–(c)). A promise is the provider's own word, so it is not rolled
///   forward over weekends: the earlier date is kept.
/// - `WorkingDays(n)`: the end of the `n`-th working day after receipt.
pub fn promised_due(
    delay: Delay,
    received_at: DateTime<Utc>,
    calendar: HolidayCalendar,
) -> DateTime<Utc> {
    let received_on = calendar.local_date(received_at);
    let plus_days = |days: i64| {
        received_on
            .checked_add_signed(Duration::days(days))
            .map(end_of_local_day)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    match delay {
        Delay::Immediate => received_at,
        Delay::Hours(h) => saturating_add(received_at, Duration::hours(i64::from(h))),
        Delay::WorkingHours(h) => calendar.add_working_hours(received_at, h),
        Delay::Days(d) => plus_days(i64::from(d)),
        Delay::Weeks(w) => plus_days(i64::from(w) * 7),
        Delay::Months(m) => end_of_local_day(add_months_clamped(received_on, m)),
        Delay::WorkingDays(d) => end_of_local_day(calendar.add_working_days(received_on, d)),
    }
}

/// An instant as Paris/Brussels local time, `YYYY-MM-DD HH:MM`, for
/// listings that show "due on … at …".
pub fn local_display(at: DateTime<Utc>) -> String {
    let local = to_local(at);
    format!(
        "{:04}-{:02}-{:02} {}",
        local.year(),
        local.month(),
        local.day(),
        local.time().format("%H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{d, utc};

    const FR: HolidayCalendar = HolidayCalendar::Fr;
    const BE: HolidayCalendar = HolidayCalendar::Be;

    #[test]
    fn art12_3_deadline_is_same_date_next_month() {
        // Received Tuesday 10 March 2026 → Friday 10 April 2026.
        let dl = statutory_deadline(utc("2026-03-10T09:00:00Z"), FR);
        assert_eq!(dl.received_on, d(2026, 3, 10));
        assert_eq!(dl.conservative, d(2026, 4, 10));
        assert_eq!(dl.legal, d(2026, 4, 10));
        assert_eq!(dl.legal_end(), utc("2026-04-10T22:00:00Z"));
    }

    #[test]
    fn art12_3_deadline_clamps_to_end_of_month() {
        // 31 January 2026 → 28 February 2026 (a Saturday) → Monday 2 March.
        let dl = statutory_deadline(utc("2026-01-31T10:00:00Z"), FR);
        assert_eq!(dl.conservative, d(2026, 2, 28));
        assert_eq!(dl.legal, d(2026, 3, 2));
        // 31 March 2026 → 30 April 2026 (Thursday).
        assert_eq!(
            statutory_deadline(utc("2026-03-31T10:00:00Z"), FR).legal,
            d(2026, 4, 30)
        );
    }

    #[test]
    fn art12_3_deadline_in_leap_year_lands_on_29_february_2028() {
        // 29 Jan 2028 → 29 Feb 2028 (Tuesday, exists in a leap year).
        let dl = statutory_deadline(utc("2028-01-29T10:00:00Z"), BE);
        assert_eq!(dl.conservative, d(2028, 2, 29));
        assert_eq!(dl.legal, d(2028, 2, 29));
        // 31 Jan 2028 → clamps to 29 Feb, not 28.
        assert_eq!(
            statutory_deadline(utc("2028-01-31T10:00:00Z"), BE).conservative,
            d(2028, 2, 29)
        );
        // 29 Feb 2028 + 1 month → 29 March 2028.
        assert_eq!(
            statutory_deadline(utc("2028-02-29T10:00:00Z"), BE).conservative,
            d(2028, 3, 29)
        );
    }

    #[test]
    fn reg1182_art3_4_deadline_rolls_over_weekend_and_easter_monday() {
        // Received Thursday 5 March 2026 → Sunday 5 April 2026 (Easter) →
        // Monday 6 April is Easter Monday in both countries → Tuesday 7 April.
        for cal in [FR, BE] {
            let dl = statutory_deadline(utc("2026-03-05T10:00:00Z"), cal);
            assert_eq!(dl.conservative, d(2026, 4, 5));
            assert_eq!(dl.legal, d(2026, 4, 7), "{cal:?}");
        }
        // 21 June 2027 → 21 July 2027, a Wednesday: Belgian national day → 22 July in BE only.
        assert_eq!(
            statutory_deadline(utc("2027-06-21T10:00:00Z"), BE).legal,
            d(2027, 7, 22)
        );
        assert_eq!(
            statutory_deadline(utc("2027-06-21T10:00:00Z"), FR).legal,
            d(2027, 7, 21)
        );
        // 14 June 2027 → 14 July 2027 (Wednesday), French national day → 15 July in FR only.
        assert_eq!(
            statutory_deadline(utc("2027-06-14T10:00:00Z"), FR).legal,
            d(2027, 7, 15)
        );
        assert_eq!(
            statutory_deadline(utc("2027-06-14T10:00:00Z"), BE).legal,
            d(2027, 7, 14)
        );
    }

    #[test]
    fn art12_3_day_of_receipt_is_the_local_day() {
        // 23:30 UTC on 31 Dec 2026 is 1 Jan 2027 in Paris: deadline 1 Feb 2027 (Monday).
        let dl = statutory_deadline(utc("2026-12-31T23:30:00Z"), FR);
        assert_eq!(dl.received_on, d(2027, 1, 1));
        assert_eq!(dl.legal, d(2027, 2, 1));
    }

    #[test]
    fn art12_3_extension_adds_two_further_months() {
        // 30 Nov 2026 + 3 months → 28 Feb 2027 (Sunday) → Monday 1 March 2027.
        let dl = extended_deadline(utc("2026-11-30T10:00:00Z"), FR, 2);
        assert_eq!(dl.conservative, d(2027, 2, 28));
        assert_eq!(dl.legal, d(2027, 3, 1));
        // 30 Nov 2027 + 3 → 29 Feb 2028 (leap year, Tuesday).
        assert_eq!(
            extended_deadline(utc("2027-11-30T10:00:00Z"), FR, 2).legal,
            d(2028, 2, 29)
        );
    }

    #[test]
    fn promised_delays_from_the_declarations() {
        // Received Friday 4 Dec 2026 at 18:00 Paris.
        let at = utc("2026-12-04T17:00:00Z");
        assert_eq!(promised_due(Delay::Immediate, at, FR), at);
        assert_eq!(
            promised_due(Delay::Hours(72), at, FR),
            utc("2026-12-07T17:00:00Z")
        );
        assert_eq!(
            promised_due(Delay::WorkingHours(48), at, FR),
            utc("2026-12-08T17:00:00Z")
        );
        // 7 days: end of Friday 11 Dec (local) = 23:00 UTC.
        assert_eq!(
            promised_due(Delay::Days(7), at, FR),
            utc("2026-12-11T23:00:00Z")
        );
        // 5 working days: Mon 7 … Fri 11.
        assert_eq!(
            promised_due(Delay::WorkingDays(5), at, FR),
            utc("2026-12-11T23:00:00Z")
        );
        // Over Christmas in Alsace-Moselle: from Wed 23 Dec 2026, 2 working days → 24 Dec, (25, 26 holidays, 27 Sunday) → 28 Dec.
        assert_eq!(
            promised_due(
                Delay::WorkingDays(2),
                utc("2026-12-23T10:00:00Z"),
                HolidayCalendar::FrAlsaceMoselle
            ),
            utc("2026-12-28T23:00:00Z")
        );
        assert_eq!(
            promised_due(Delay::Months(1), utc("2026-01-31T10:00:00Z"), FR),
            utc("2026-02-28T23:00:00Z")
        );
        assert_eq!(
            promised_due(Delay::Weeks(1), at, FR),
            utc("2026-12-11T23:00:00Z")
        );
        assert_eq!(local_display(at), "2026-12-04 18:00");
    }

    fn calendars() -> impl proptest::strategy::Strategy<Value = HolidayCalendar> {
        use proptest::prelude::*;
        prop_oneof![Just(FR), Just(HolidayCalendar::FrAlsaceMoselle), Just(BE)]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        #[test]
        fn art12_3_deadline_properties_hold_for_any_receipt(
            cal in calendars(),
            secs in 946_684_800i64..4_102_444_800i64,
        ) {
            let received_at = DateTime::from_timestamp(secs, 0).unwrap();
            let dl = statutory_deadline(received_at, cal);
            let span = (dl.conservative - dl.received_on).num_days();
            proptest::prop_assert!((28..=31).contains(&span), "one month is 28 to 31 days, got {}", span);
            // Same date next month, or the month's last day when that date does not exist.
            let clamped = dl.conservative.succ_opt().unwrap().month() != dl.conservative.month();
            proptest::prop_assert!(dl.conservative.day() == dl.received_on.day()
                || (clamped && dl.conservative.day() < dl.received_on.day()));
            // The legal date is the first working day on or after the conservative one.
            proptest::prop_assert!(cal.is_working_day(dl.legal));
            proptest::prop_assert!(dl.legal >= dl.conservative);
            proptest::prop_assert!((dl.legal - dl.conservative).num_days() <= 5);
            let mut day = dl.conservative;
            while day < dl.legal {
                proptest::prop_assert!(!cal.is_working_day(day));
                day = day.succ_opt().unwrap();
            }
            proptest::prop_assert!(dl.legal_end() > received_at);
        }
    }
}
