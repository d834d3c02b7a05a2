//! A provider's promised delay for answering a right, as written in its
//! privacy policy: "rectification within 48 working hours", "erasure within
//! 7 days", "export immediately".
//!
//! The law sets the outer limit — Art. 12(3) GDPR: without undue delay and at
//! the latest within one month of receipt — and a provider may promise
//! faster. `habeas check` refuses a promise slower than the law, which is why
//! a delay knows the shortest and longest wall-clock time it can take
//! ([`Delay::bounds_hours`]); due dates against holiday calendars are
//! computed in [`crate::rights`].
//!
//! Grammar (case-insensitive): `immediate` | `N hours` | `N working hours` |
//! `N days` | `N working days` | `N weeks` | `N months` (singular forms too).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// A promised delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delay {
    /// Done at once (e.g. a self-service export).
    Immediate,
    Hours(u32),
    /// Hours counted on working days only (see [`crate::calendar`]).
    WorkingHours(u32),
    Days(u32),
    WorkingDays(u32),
    Weeks(u32),
    Months(u32),
}

/// The statutory limit of Art. 12(3): one month, which spans 28 to 31 days.
pub const STATUTORY_MONTH_MIN_HOURS: u64 = 28 * 24;
/// The longest a calendar month can be.
pub const STATUTORY_MONTH_MAX_HOURS: u64 = 31 * 24;

impl Delay {
    /// The shortest and longest wall-clock time, in hours, the delay can
    /// take. Working time is stretched by weekends and public holidays: a
    /// working day is at most 5 calendar days away (a long weekend with a
    /// holiday on each side), and 5 working days take at most 9 calendar
    /// days plus holidays, so the upper bound here is deliberately generous.
    pub fn bounds_hours(&self) -> (u64, u64) {
        match *self {
            Delay::Immediate => (0, 0),
            Delay::Hours(h) => (u64::from(h), u64::from(h)),
            Delay::WorkingHours(h) => {
                let days = u64::from(h).div_ceil(24);
                (u64::from(h), Self::working_days_max_hours(days))
            }
            Delay::Days(d) => (u64::from(d) * 24, u64::from(d) * 24),
            Delay::WorkingDays(d) => (
                u64::from(d) * 24,
                Self::working_days_max_hours(u64::from(d)),
            ),
            Delay::Weeks(w) => (u64::from(w) * 7 * 24, u64::from(w) * 7 * 24),
            Delay::Months(m) => (u64::from(m) * 28 * 24, u64::from(m) * 31 * 24),
        }
    }

    /// Each run of 5 working days spans at most 7 calendar days, plus up to
    /// 3 extra days of public holidays per run (e.g. Easter Monday, 1 May and
    /// 8 May can fall within a fortnight in France).
    fn working_days_max_hours(days: u64) -> u64 {
        let weeks = days.div_ceil(5);
        (days + weeks * 2 + weeks * 3) * 24
    }

    /// Whether the promise can never be kept within the statutory month.
    pub fn always_exceeds_statutory_month(&self) -> bool {
        self.bounds_hours().0 > STATUTORY_MONTH_MAX_HOURS
    }

    /// Whether the promise may, in some months, run past the statutory month.
    pub fn may_exceed_statutory_month(&self) -> bool {
        self.bounds_hours().1 > STATUTORY_MONTH_MIN_HOURS
    }

    /// Plain words, e.g. "48 heures ouvrées" / "48 working hours".
    pub fn describe(&self, lang: Lang) -> String {
        match *self {
            Delay::Immediate => lang.pick("immédiatement", "immediately").to_string(),
            Delay::Hours(n) => lang.count(n, ("heure", "heures"), ("hour", "hours")),
            Delay::WorkingHours(n) => lang.count(
                n,
                ("heure ouvrée", "heures ouvrées"),
                ("working hour", "working hours"),
            ),
            Delay::Days(n) => lang.count(n, ("jour", "jours"), ("day", "days")),
            Delay::WorkingDays(n) => lang.count(
                n,
                ("jour ouvré", "jours ouvrés"),
                ("working day", "working days"),
            ),
            Delay::Weeks(n) => lang.count(n, ("semaine", "semaines"), ("week", "weeks")),
            Delay::Months(n) => lang.count(n, ("mois", "mois"), ("month", "months")),
        }
    }
}

impl fmt::Display for Delay {
    /// The canonical text, which parses back to the same delay.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Delay::Immediate => f.write_str("immediate"),
            other => f.write_str(&other.describe(Lang::En)),
        }
    }
}

/// Why a delay did not parse, with the byte offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DelayParseError {
    pub offset: usize,
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

const DELAY_HINT: &str = "write `immediate`, `72 hours`, `48 working hours`, `7 days`, `5 working days`, \
     `2 weeks` or `1 month`";

impl FromStr for Delay {
    type Err = DelayParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lead = text.len() - text.trim_start().len();
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        if matches!(lower.as_str(), "immediate" | "immediately" | "at once") {
            return Ok(Delay::Immediate);
        }
        let digits = lower.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(DelayParseError {
                offset: lead,
                message: "expected `immediate` or a number followed by a unit".into(),
                hint: DELAY_HINT.into(),
            });
        }
        let n: u32 = lower[..digits].parse().map_err(|_| DelayParseError {
            offset: lead,
            message: "the number is too large".into(),
            hint: DELAY_HINT.into(),
        })?;
        let unit_text = lower[digits..].trim();
        let unit_at = lead + trimmed.len() - lower[digits..].trim_start().len();
        let delay = match unit_text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str()
        {
            "hour" | "hours" | "h" => Delay::Hours(n),
            "working hour" | "working hours" | "business hours" => Delay::WorkingHours(n),
            "day" | "days" | "calendar days" => Delay::Days(n),
            "working day" | "working days" | "business days" => Delay::WorkingDays(n),
            "week" | "weeks" => Delay::Weeks(n),
            "month" | "months" => Delay::Months(n),
            "" => {
                return Err(DelayParseError {
                    offset: unit_at,
                    message: "the number has no unit".into(),
                    hint: DELAY_HINT.into(),
                });
            }
            other => {
                return Err(DelayParseError {
                    offset: unit_at,
                    message: format!("unknown unit `{other}`"),
                    hint: DELAY_HINT.into(),
                });
            }
        };
        if n == 0 {
            return Err(DelayParseError {
                offset: lead,
                message: "a delay of zero: use `immediate`".into(),
                hint: DELAY_HINT.into(),
            });
        }
        Ok(delay)
    }
}

impl Serialize for Delay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Delay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_promises() {
        assert_eq!("immediate".parse(), Ok(Delay::Immediate));
        assert_eq!("48 working hours".parse(), Ok(Delay::WorkingHours(48)));
        assert_eq!("5 Working Days".parse(), Ok(Delay::WorkingDays(5)));
        assert_eq!("72 hours".parse(), Ok(Delay::Hours(72)));
        assert_eq!(" 7 days ".parse(), Ok(Delay::Days(7)));
        assert_eq!("1 month".parse(), Ok(Delay::Months(1)));
    }

    #[test]
    fn canonical_text_round_trips() {
        for d in [
            Delay::Immediate,
            Delay::WorkingHours(48),
            Delay::WorkingDays(1),
            Delay::Months(2),
            Delay::Weeks(1),
        ] {
            assert_eq!(d.to_string().parse::<Delay>(), Ok(d));
        }
    }

    #[test]
    fn errors_say_where_and_how() {
        let e = "48 fortnights".parse::<Delay>().unwrap_err();
        assert_eq!(e.offset, 3);
        assert!(e.message.contains("fortnights"));
        assert!("soon".parse::<Delay>().is_err());
        assert!("0 days".parse::<Delay>().is_err());
        assert!("12".parse::<Delay>().is_err());
        assert!("99999999999 days".parse::<Delay>().is_err());
    }

    #[test]
    fn art12_3_one_month_limit_is_checked_conservatively() {
        assert!(!Delay::Days(7).may_exceed_statutory_month());
        assert!(!Delay::Months(1).always_exceeds_statutory_month());
        assert!(Delay::Months(1).may_exceed_statutory_month());
        assert!(Delay::Months(2).always_exceeds_statutory_month());
        assert!(Delay::Days(45).always_exceeds_statutory_month());
        assert!(Delay::WorkingDays(25).may_exceed_statutory_month());
        assert!(!Delay::WorkingHours(48).may_exceed_statutory_month());
    }

    /// The statutory month is 28 to 31 days (Art. 12(3)); a promise is
    /// judged against its edges exactly, and each kind of delay spans what
    /// the calendar can make of it.
    #[test]
    fn art12_3_month_edges_and_the_span_of_each_delay() {
        assert!(!Delay::Days(31).always_exceeds_statutory_month());
        assert!(Delay::Days(32).always_exceeds_statutory_month());
        assert!(!Delay::Days(28).may_exceed_statutory_month());
        assert!(Delay::Days(29).may_exceed_statutory_month());
        assert_eq!(Delay::Days(2).bounds_hours(), (48, 48));
        assert_eq!(Delay::Weeks(2).bounds_hours(), (336, 336));
        assert_eq!(Delay::Months(2).bounds_hours(), (1344, 1488));
        // 5 working days: at most a week and 3 holidays; 6 reach into a
        // second run of 5.
        assert_eq!(Delay::WorkingDays(5).bounds_hours(), (120, 240));
        assert_eq!(Delay::WorkingDays(6).bounds_hours(), (144, 384));
        assert_eq!(Delay::WorkingHours(48).bounds_hours(), (48, 168));
    }

    #[test]
    fn describes_in_both_languages() {
        assert_eq!(
            Delay::WorkingHours(48).describe(Lang::Fr),
            "48 heures ouvrées"
        );
        assert_eq!(Delay::WorkingDays(1).describe(Lang::En), "1 working day");
        assert_eq!(Delay::Immediate.describe(Lang::Fr), "immédiatement");
    }
}
