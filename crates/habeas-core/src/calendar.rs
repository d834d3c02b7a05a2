//! Public holidays of France and Belgium, local time, and working-day
//! arithmetic.
//!
//! Why this exists: the statutory month of Art. 12(3) GDPR ends on the next
//! working day when it falls on a weekend or public holiday (Regulation
//! (EEC, Euratom) No 1182/71, art. 3(4)), and providers promise delays in
//! "working days" or "working hours". Both need the right holidays for the
//! right country, including the Easter-based ones.
//!
//! Conventions, stated once:
//! - **Working day**: every day other than Saturday, Sunday and a public
//!   holiday of the calendar — the definition of Reg. 1182/71 art. 2(2)
//!   (the French "jour ouvré", not the Monday-to-Saturday "jour ouvrable").
//!   Public holidays are those of the Member State where the act is to be
//!   done (art. 2(1)), hence one calendar per declaration. French Whit
//!   Monday stays a public holiday (Code du travail L3133-1) even where an
//!   employer makes it the "journée de solidarité".
//! - **Working hours**: hours that elapse on working days only, the whole
//!   local day counting, so 24 working hours are one working day. Reg.
//!   1182/71 art. 3(3) counts every day "save where … periods are expressed
//!   in working days"; this module extends that exception to hours. A
//!   provider that means office hours (e.g. 9:00–17:00) should promise
//!   working days instead, which this convention cannot misread.
//! - **Local time**: France and Belgium both follow Central European Time
//!   with the summer time of Directive 2000/84/EC (art. 1–3: from 01:00 UTC
//!   on the last Sunday of March to 01:00 UTC on the last Sunday of October).
//!   The rule is computed here rather than read from a time-zone database;
//!   it is exact from 1996, when the EU harmonised the end of summer time.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Utc, Weekday};

pub use crate::declarations::vocab::HolidayCalendar;
use crate::lang::Lang;

/// Counts beyond a century of working days are not walked day by day: the
/// result saturates at the end of time (no promise or notice period is that
/// long; `habeas check` refuses promises beyond the statutory month).
const MAX_WORKING_DAYS: u32 = 100 * 262;

/// A public holiday on a given date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name_fr: &'static str,
    pub name_en: &'static str,
}

impl Holiday {
    pub fn name(&self, lang: Lang) -> &'static str {
        lang.pick(self.name_fr, self.name_en)
    }
}

/// Easter Sunday in the Gregorian calendar (anonymous Gregorian algorithm,
/// Meeus/Jones/Butcher). `None` outside the years chrono can represent.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Fixed-date holidays: (month, day, French name, English name).
type Fixed = (u32, u32, &'static str, &'static str);

/// France: Code du travail art. L3133-1 (fixed dates).
const FR_FIXED: &[Fixed] = &[
    (1, 1, "Jour de l'an", "New Year's Day"),
    (5, 1, "Fête du Travail", "Labour Day"),
    (5, 8, "Victoire 1945", "Victory in Europe Day"),
    (7, 14, "Fête nationale", "Bastille Day"),
    (8, 15, "Assomption", "Assumption Day"),
    (11, 1, "Toussaint", "All Saints' Day"),
    (11, 11, "Armistice 1918", "Armistice Day"),
    (12, 25, "Noël", "Christmas Day"),
];

/// Alsace-Moselle adds 26 December (Code du travail art. L3134-13).
const ALSACE_MOSELLE_FIXED: &[Fixed] = &[(12, 26, "Saint-Étienne", "St Stephen's Day")];

/// Belgium: Arrêté royal du 18 avril 1974, art. 1 (fixed dates).
const BE_FIXED: &[Fixed] = &[
    (1, 1, "Jour de l'an", "New Year's Day"),
    (5, 1, "Fête du Travail", "Labour Day"),
    (7, 21, "Fête nationale", "Belgian National Day"),
    (8, 15, "Assomption", "Assumption Day"),
    (11, 1, "Toussaint", "All Saints' Day"),
    (11, 11, "Armistice", "Armistice Day"),
    (12, 25, "Noël", "Christmas Day"),
];

/// Easter-based holidays: (days from Easter Sunday, French name, English name).
type Movable = (i64, &'static str, &'static str);

/// Easter Monday, Ascension (Easter + 39) and Whit Monday (Easter + 50) are
/// public holidays in both countries (FR L3133-1; BE AR 18 avril 1974).
const COMMON_MOVABLE: &[Movable] = &[
    (1, "Lundi de Pâques", "Easter Monday"),
    (39, "Ascension", "Ascension Day"),
    (50, "Lundi de Pentecôte", "Whit Monday"),
];

/// Alsace-Moselle adds Good Friday (Code du travail art. L3134-13; the text
/// names communes with a Protestant temple or mixed church, but the day is
/// observed throughout the three départements, so the calendar applies it
/// everywhere).
const ALSACE_MOSELLE_MOVABLE: &[Movable] = &[(-2, "Vendredi saint", "Good Friday")];

impl HolidayCalendar {
    /// All public holidays of `year`, sorted by date.
    pub fn holidays(self, year: i32) -> Vec<Holiday> {
        let (fixed, movable) = self.tables();
        let mut out: Vec<Holiday> = fixed
            .iter()
            .copied()
            .flatten()
            .filter_map(|&(m, d, fr, en)| {
                Some(Holiday {
                    date: NaiveDate::from_ymd_opt(year, m, d)?,
                    name_fr: fr,
                    name_en: en,
                })
            })
            .collect();
        if let Some(easter) = easter_sunday(year) {
            out.extend(
                movable
                    .iter()
                    .copied()
                    .flatten()
                    .filter_map(|&(offset, fr, en)| {
                        Some(Holiday {
                            date: easter.checked_add_signed(Duration::days(offset))?,
                            name_fr: fr,
                            name_en: en,
                        })
                    }),
            );
        }
        out.sort_by_key(|h| h.date);
        // Ascension can fall on 1 May (2008, 2160): one day, one entry.
        out.dedup_by_key(|h| h.date);
        out
    }

    /// The fixed-date and Easter-based tables of this calendar.
    fn tables(self) -> (&'static [&'static [Fixed]], &'static [&'static [Movable]]) {
        match self {
            HolidayCalendar::Fr => (&[FR_FIXED], &[COMMON_MOVABLE]),
            HolidayCalendar::FrAlsaceMoselle => (
                &[FR_FIXED, ALSACE_MOSELLE_FIXED],
                &[COMMON_MOVABLE, ALSACE_MOSELLE_MOVABLE],
            ),
            HolidayCalendar::Be => (&[BE_FIXED], &[COMMON_MOVABLE]),
        }
    }

    /// The public holiday on `date`, if any (no allocation: this runs for
    /// every day of every working-day count).
    pub fn holiday_on(self, date: NaiveDate) -> Option<Holiday> {
        let (fixed, movable) = self.tables();
        let holiday = |name_fr, name_en| Holiday {
            date,
            name_fr,
            name_en,
        };
        if let Some(&(_, _, fr, en)) = fixed
            .iter()
            .copied()
            .flatten()
            .find(|(m, d, _, _)| *m == date.month() && *d == date.day())
        {
            return Some(holiday(fr, en));
        }
        let easter = easter_sunday(date.year())?;
        let offset = date.signed_duration_since(easter).num_days();
        movable
            .iter()
            .copied()
            .flatten()
            .find(|(o, _, _)| *o == offset)
            .map(|&(_, fr, en)| holiday(fr, en))
    }

    pub fn is_holiday(self, date: NaiveDate) -> bool {
        self.holiday_on(date).is_some()
    }

    /// Reg. 1182/71 art. 2(2): not a Saturday, Sunday or public holiday.
    pub fn is_working_day(self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_holiday(date)
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        loop {
            d = d.succ_opt().unwrap_or(NaiveDate::MAX);
            if d == NaiveDate::MAX || self.is_working_day(d) {
                return d;
            }
        }
    }

    /// `date` itself if it is a working day, else the next one (Reg.
    /// 1182/71 art. 3(4)).
    pub fn roll_forward(self, date: NaiveDate) -> NaiveDate {
        if self.is_working_day(date) {
            date
        } else {
            self.next_working_day(date)
        }
    }

    /// The `n`-th working day after `date`; the day of `date` itself is not
    /// counted (Reg. 1182/71 art. 3(1), second subparagraph). `n = 0` gives
    /// `date`.
    pub fn add_working_days(self, date: NaiveDate, n: u32) -> NaiveDate {
        if n > MAX_WORKING_DAYS {
            return NaiveDate::MAX;
        }
        (0..n).fold(date, |d, _| self.next_working_day(d))
    }

    /// `hours` working hours after `from` (see the module doc: only the
    /// local hours of working days elapse, 24 of them per working day).
    /// Starting on a non-working day, the count begins at the next working
    /// day's midnight.
    pub fn add_working_hours(self, from: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
        if hours / 24 > MAX_WORKING_DAYS {
            return DateTime::<Utc>::MAX_UTC;
        }
        let local = to_local(from);
        let mut day = local.date();
        let mut elapsed_in_day = local.time().signed_duration_since(chrono::NaiveTime::MIN);
        if !self.is_working_day(day) {
            day = self.next_working_day(day);
            elapsed_in_day = Duration::zero();
        }
        let mut remaining = Duration::hours(i64::from(hours));
        loop {
            let left_today = Duration::days(1) - elapsed_in_day;
            if remaining <= left_today {
                let at = day
                    .and_time(chrono::NaiveTime::MIN)
                    .checked_add_signed(elapsed_in_day + remaining)
                    .unwrap_or(NaiveDateTime::MAX);
                return from_local(at);
            }
            remaining -= left_today;
            day = self.next_working_day(day);
            elapsed_in_day = Duration::zero();
        }
    }

    /// The local calendar date of an instant.
    pub fn local_date(self, at: DateTime<Utc>) -> NaiveDate {
        to_local(at).date()
    }
}

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_next.pred_opt()?;
    let back = i64::from(last.weekday().num_days_from_sunday());
    last.checked_sub_signed(Duration::days(back))
}

const fn offset(secs: i32) -> FixedOffset {
    match FixedOffset::east_opt(secs) {
        Some(o) => o,
        None => panic!("offset out of range"),
    }
}

/// Central European Time, UTC+1.
const CET: FixedOffset = offset(3600);
/// Central European Summer Time, UTC+2.
const CEST: FixedOffset = offset(7200);

/// Paris and Brussels offset from UTC at an instant (Directive 2000/84/EC).
pub fn local_offset(at: DateTime<Utc>) -> FixedOffset {
    let year = at.year();
    let summer = match (last_sunday(year, 3), last_sunday(year, 10)) {
        (Some(start), Some(end)) => {
            let start = start.and_hms_opt(1, 0, 0).map(|t| t.and_utc());
            let end = end.and_hms_opt(1, 0, 0).map(|t| t.and_utc());
            matches!((start, end), (Some(s), Some(e)) if at >= s && at < e)
        }
        _ => false,
    };
    if summer { CEST } else { CET }
}

/// Local wall-clock time (Paris/Brussels) of an instant.
pub fn to_local(at: DateTime<Utc>) -> NaiveDateTime {
    let offset = Duration::seconds(i64::from(local_offset(at).local_minus_utc()));
    at.naive_utc()
        .checked_add_signed(offset)
        .unwrap_or(NaiveDateTime::MAX)
}

/// `at + by`, saturating at the largest representable instant instead of
/// panicking (inputs come from users and declarations).
pub fn saturating_add(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_add_signed(by)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The instant of a local wall-clock time. In the autumn fold (a local hour
/// that happens twice) the earlier instant is taken, which keeps deadlines
/// conservative; in the spring gap the time is read as winter time.
pub fn from_local(local: NaiveDateTime) -> DateTime<Utc> {
    let back = |hours| {
        local
            .checked_sub_signed(Duration::hours(hours))
            .unwrap_or(NaiveDateTime::MIN)
            .and_utc()
    };
    let summer = back(2);
    if local_offset(summer).local_minus_utc() == 7200 {
        return summer;
    }
    back(1)
}

/// The instant a local calendar day ends: the next local midnight. A period
/// ending "with the expiry of the last hour" of a day (Reg. 1182/71 art.
/// 3(2)) is met by anything strictly before this instant.
pub fn end_of_local_day(date: NaiveDate) -> DateTime<Utc> {
    let next = date.succ_opt().unwrap_or(NaiveDate::MAX);
    from_local(next.and_time(chrono::NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{d, utc};
    use proptest::prelude::*;

    #[test]
    fn easter_matches_published_dates() {
        for (y, m, day) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2019, 4, 21),
            (2038, 4, 25),
            (2285, 3, 22),
            // Centuries whose terms fall differently (python-dateutil's easter()).
            (1818, 3, 22),
            (1886, 4, 25),
            (2100, 3, 28),
            (2116, 3, 29),
            (2160, 3, 23),
            // The algorithm's exceptions (m = 1: an April 25/26 moved a week
            // earlier) and early-April dates with a small epact term.
            (1954, 4, 18),
            (1981, 4, 19),
            (2049, 4, 18),
            (2076, 4, 19),
            (1904, 4, 3),
            (1915, 4, 4),
        ] {
            assert_eq!(easter_sunday(y), Some(d(y, m, day)), "Easter {y}");
        }
    }

    #[test]
    fn fr_easter_based_holidays_2025_and_2026() {
        let fr = HolidayCalendar::Fr;
        // 2025: Easter 20 April → Monday 21 April, Ascension 29 May, Whit Monday 9 June.
        for date in [d(2025, 4, 21), d(2025, 5, 29), d(2025, 6, 9)] {
            assert!(fr.is_holiday(date), "{date}");
        }
        // 2026: Easter 5 April → 6 April, 14 May, 25 May.
        for date in [d(2026, 4, 6), d(2026, 5, 14), d(2026, 5, 25)] {
            assert!(fr.is_holiday(date), "{date}");
        }
        assert!(
            !fr.is_holiday(d(2026, 4, 3)),
            "Good Friday is not a holiday outside Alsace-Moselle"
        );
        assert!(HolidayCalendar::FrAlsaceMoselle.is_holiday(d(2026, 4, 3)));
        assert!(HolidayCalendar::FrAlsaceMoselle.is_holiday(d(2026, 12, 26)));
        assert!(!fr.is_holiday(d(2026, 12, 26)));
    }

    #[test]
    fn be_holidays_2024_and_2028() {
        let be = HolidayCalendar::Be;
        // 2024: Easter 31 March → 1 April, 9 May, 20 May; 21 July national day.
        for date in [d(2024, 4, 1), d(2024, 5, 9), d(2024, 5, 20), d(2024, 7, 21)] {
            assert!(be.is_holiday(date), "{date}");
        }
        // 2028: Easter 16 April → 17 April, 25 May, 5 June.
        for date in [d(2028, 4, 17), d(2028, 5, 25), d(2028, 6, 5)] {
            assert!(be.is_holiday(date), "{date}");
        }
        assert!(!be.is_holiday(d(2028, 7, 14)), "14 July is French only");
        assert!(!be.is_holiday(d(2028, 5, 8)), "8 May is French only");
        assert!(HolidayCalendar::Fr.is_holiday(d(2028, 5, 8)));
        assert_eq!(be.holidays(2027).len(), 10);
        assert_eq!(HolidayCalendar::Fr.holidays(2027).len(), 11);
        assert_eq!(HolidayCalendar::FrAlsaceMoselle.holidays(2027).len(), 13);
    }

    #[test]
    fn holiday_lookup_agrees_with_the_yearly_list() {
        for cal in [
            HolidayCalendar::Fr,
            HolidayCalendar::FrAlsaceMoselle,
            HolidayCalendar::Be,
        ] {
            for year in [2008, 2024, 2025, 2026, 2027, 2028] {
                let listed: Vec<NaiveDate> = cal.holidays(year).iter().map(|h| h.date).collect();
                let mut found = Vec::new();
                let mut day = d(year, 1, 1);
                while day.year() == year {
                    if cal.is_holiday(day) {
                        found.push(day);
                    }
                    day = day.succ_opt().unwrap();
                }
                assert_eq!(found, listed, "{cal:?} {year}");
            }
        }
        // 2008: Ascension fell on 1 May; listed once.
        assert_eq!(HolidayCalendar::Fr.holidays(2008).len(), 10);
        assert_eq!(
            HolidayCalendar::Be
                .holiday_on(d(2026, 7, 21))
                .unwrap()
                .name(Lang::Fr),
            "Fête nationale"
        );
    }

    #[test]
    fn reg1182_art2_weekends_are_not_working_days() {
        let fr = HolidayCalendar::Fr;
        assert!(!fr.is_working_day(d(2026, 12, 5)), "Saturday");
        assert!(!fr.is_working_day(d(2026, 12, 6)), "Sunday");
        assert!(fr.is_working_day(d(2026, 12, 7)));
        assert!(!fr.is_working_day(d(2026, 12, 25)));
    }

    #[test]
    fn reg1182_art3_working_days_skip_weekend_and_holidays() {
        let fr = HolidayCalendar::Fr;
        // Thursday 23 Dec 2027 + 2 working days: Fri 24, (Sat, Sun, Christmas on Saturday) Mon 27.
        assert_eq!(fr.add_working_days(d(2027, 12, 23), 2), d(2027, 12, 27));
        // Alsace-Moselle: Friday 26 March 2027 + 1 → Good Friday is 26 March 2027; start Thursday 25.
        assert_eq!(
            HolidayCalendar::FrAlsaceMoselle.add_working_days(d(2027, 3, 25), 1),
            d(2027, 3, 30)
        );
        assert_eq!(fr.add_working_days(d(2027, 3, 25), 1), d(2027, 3, 26));
        // 5 working days from Wednesday 29 April 2026 in France: 30, (1 May Fri), 4, 5, 6, 7.
        assert_eq!(fr.add_working_days(d(2026, 4, 29), 5), d(2026, 5, 7));
        assert_eq!(fr.add_working_days(d(2026, 4, 29), 0), d(2026, 4, 29));
        assert_eq!(fr.next_working_day(d(2026, 12, 4)), d(2026, 12, 7));
        assert_eq!(fr.roll_forward(d(2026, 12, 7)), d(2026, 12, 7));
    }

    #[test]
    fn working_hours_count_only_working_days() {
        let fr = HolidayCalendar::Fr;
        // Friday 4 Dec 2026 18:00 Paris (17:00 UTC) + 48 working hours:
        // 6 h on Friday, 24 h on Monday, 18 h on Tuesday → Tuesday 18:00 Paris.
        assert_eq!(
            fr.add_working_hours(utc("2026-12-04T17:00:00Z"), 48),
            utc("2026-12-08T17:00:00Z")
        );
        // Received on a Saturday: counting starts Monday 00:00.
        assert_eq!(
            fr.add_working_hours(utc("2026-12-05T10:00:00Z"), 24),
            utc("2026-12-07T23:00:00Z")
        );
        // Across Easter Monday 2026 (6 April) in Belgium.
        assert_eq!(
            HolidayCalendar::Be.add_working_hours(utc("2026-04-03T10:00:00Z"), 24),
            utc("2026-04-07T10:00:00Z")
        );
        assert_eq!(
            fr.add_working_hours(utc("2026-12-07T10:00:00Z"), 0),
            utc("2026-12-07T10:00:00Z")
        );
    }

    #[test]
    fn absurd_counts_saturate_instead_of_panicking() {
        let fr = HolidayCalendar::Fr;
        assert_eq!(fr.add_working_days(d(2026, 1, 1), u32::MAX), NaiveDate::MAX);
        assert_eq!(
            fr.add_working_hours(utc("2026-12-07T10:00:00Z"), u32::MAX),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(to_local(DateTime::<Utc>::MAX_UTC), NaiveDateTime::MAX);
        assert_eq!(from_local(NaiveDateTime::MIN), DateTime::<Utc>::MIN_UTC);
        assert!(end_of_local_day(NaiveDate::MAX) > utc("2026-12-07T10:00:00Z"));
        assert_eq!(
            saturating_add(DateTime::<Utc>::MAX_UTC, Duration::hours(1)),
            DateTime::<Utc>::MAX_UTC
        );
        // Long but real counts are walked, not saturated: 1,000 working
        // days are about four years.
        let far = fr.add_working_days(d(2026, 1, 1), 1000);
        assert!(far > d(2029, 6, 1) && far < d(2030, 6, 1), "{far}");
        // The largest count still walked day by day stays fast and lands on a
        // working day, about a century later (not at the end of time).
        let longest = fr.add_working_days(d(2026, 1, 1), MAX_WORKING_DAYS);
        assert!(fr.is_working_day(longest));
        assert!(longest < d(2200, 1, 1), "{longest}");
        let longest_hours =
            fr.add_working_hours(utc("2026-12-07T10:00:00Z"), MAX_WORKING_DAYS * 24);
        assert!(
            longest_hours < utc("2200-01-01T00:00:00Z"),
            "{longest_hours}"
        );
        assert_eq!(last_sunday(2026, 12), Some(d(2026, 12, 27)));
        assert_eq!(last_sunday(2026, 3), Some(d(2026, 3, 29)));
    }

    #[test]
    fn directive_2000_84_summer_time() {
        assert_eq!(
            local_offset(utc("2026-03-29T00:59:59Z")).local_minus_utc(),
            3600
        );
        assert_eq!(
            local_offset(utc("2026-03-29T01:00:00Z")).local_minus_utc(),
            7200
        );
        assert_eq!(
            local_offset(utc("2026-10-25T00:59:59Z")).local_minus_utc(),
            7200
        );
        assert_eq!(
            local_offset(utc("2026-10-25T01:00:00Z")).local_minus_utc(),
            3600
        );
        // Late evening UTC on 31 Dec is already 1 Jan in Paris.
        assert_eq!(
            HolidayCalendar::Fr.local_date(utc("2026-12-31T23:30:00Z")),
            d(2027, 1, 1)
        );
        assert_eq!(end_of_local_day(d(2026, 7, 1)), utc("2026-07-01T22:00:00Z"));
        assert_eq!(end_of_local_day(d(2026, 1, 1)), utc("2026-01-01T23:00:00Z"));
        // The autumn fold takes the earlier instant.
        let fold = d(2026, 10, 25).and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(from_local(fold), utc("2026-10-25T00:30:00Z"));
    }

    fn calendars() -> impl Strategy<Value = HolidayCalendar> {
        prop_oneof![
            Just(HolidayCalendar::Fr),
            Just(HolidayCalendar::FrAlsaceMoselle),
            Just(HolidayCalendar::Be)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn working_day_addition_never_lands_on_weekend_or_holiday(
            cal in calendars(), days in 0i64..20_000, n in 1u32..40
        ) {
            let start = d(2000, 1, 1) + Duration::days(days);
            let end = cal.add_working_days(start, n);
            prop_assert!(end > start);
            prop_assert!(cal.is_working_day(end));
            prop_assert!(!matches!(end.weekday(), Weekday::Sat | Weekday::Sun));
            prop_assert!(cal.holiday_on(end).is_none());
            // Exactly n working days in (start, end].
            let mut count = 0;
            let mut x = start;
            while x < end { x = x.succ_opt().unwrap(); if cal.is_working_day(x) { count += 1; } }
            prop_assert_eq!(count, n);
        }

        #[test]
        fn local_time_round_trips_outside_the_fold(secs in 946_684_800i64..4_102_444_800i64) {
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let back = from_local(to_local(at));
            // Only the autumn fold hour is ambiguous; there the earlier instant is taken.
            prop_assert!(back == at || back == at - Duration::hours(1));
        }
    }
}
