//! Job schedules: when a declared background job runs next.
//!
//! Retention only holds if the purge actually runs, so schedules are
//! declared in `habeas.toml` next to the jobs and checked like the rest of
//! the declarations: an error points at the byte where the text goes wrong
//! and says how to write it. Grammar (case-insensitive, times in UTC):
//!
//! ```text
//! every 15m | every 2h | every 1d        (aligned on multiples since 1970-01-01T00:00Z)
//! daily 02:30
//! weekly sun 03:00                       (mon tue wed thu fri sat sun, or lun mar mer jeu ven sam dim)
//! monthly 1 04:00                        (day 1–28, so every month has it)
//! ```
//!
//! Interval schedules are aligned on the epoch rather than on the start of
//! the process, so every Habeas instance computes the same run times and the
//! lease decides which one runs.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

/// A parsed schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every `n` seconds, at multiples of `n` since the epoch.
    Every {
        seconds: i64,
    },
    Daily {
        at: NaiveTime,
    },
    Weekly {
        day: Weekday,
        at: NaiveTime,
    },
    Monthly {
        day: u32,
        at: NaiveTime,
    },
}

/// Why a schedule did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schedule `{text}`, at byte {offset}: {message}; {hint}")]
pub struct ScheduleError {
    pub text: String,
    pub offset: usize,
    pub message: String,
    pub hint: String,
}

const HINT: &str =
    "write e.g. `every 15m`, `daily 02:30`, `weekly sun 03:00` or `monthly 1 04:00` (UTC)";

impl Schedule {
    /// The first run time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            Schedule::Every { seconds } => {
                let now = t.timestamp();
                let next = (now.div_euclid(seconds) + 1) * seconds;
                Utc.timestamp_opt(next, 0).single().unwrap_or(t)
            }
            Schedule::Daily { at } => {
                let today = t.date_naive().and_time(at).and_utc();
                if today > t {
                    today
                } else {
                    today + Duration::days(1)
                }
            }
            Schedule::Weekly { day, at } => {
                let ahead = (7 + day.num_days_from_monday() as i64
                    - t.weekday().num_days_from_monday() as i64)
                    % 7;
                let candidate = (t.date_naive() + Duration::days(ahead))
                    .and_time(at)
                    .and_utc();
                if candidate > t {
                    candidate
                } else {
                    candidate + Duration::days(7)
                }
            }
            Schedule::Monthly { day, at } => {
                let this = t
                    .date_naive()
                    .with_day(day)
                    .map(|d| d.and_time(at).and_utc());
                match this {
                    Some(c) if c > t => c,
                    _ => {
                        let (y, m) = if t.month() == 12 {
                            (t.year() + 1, 1)
                        } else {
                            (t.year(), t.month() + 1)
                        };
                        chrono::NaiveDate::from_ymd_opt(y, m, day)
                            .map(|d| d.and_time(at).and_utc())
                            .unwrap_or(t)
                    }
                }
            }
        }
    }

    /// The latest run time at or before `t`, if any happened since `since`.
    pub fn last_due(&self, since: DateTime<Utc>, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut next = self.next_after(since);
        if next > t {
            return None;
        }
        // Jump close to `t` for interval schedules, then walk.
        if let Schedule::Every { seconds } = *self {
            let aligned = t.timestamp().div_euclid(seconds) * seconds;
            return Utc
                .timestamp_opt(aligned, 0)
                .single()
                .filter(|a| *a >= next);
        }
        loop {
            let after = self.next_after(next);
            if after > t {
                return Some(next);
            }
            next = after;
        }
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |offset: usize, message: String, hint: &str| ScheduleError {
            text: text.to_string(),
            offset,
            message,
            hint: hint.to_string(),
        };
        let words: Vec<(usize, String)> = words(text);
        let Some((_, first)) = words.first() else {
            return Err(err(0, "the schedule is empty".into(), HINT));
        };
        let arity = |n: usize| -> Result<(), ScheduleError> {
            if words.len() == n {
                return Ok(());
            }
            let at = words.get(n).map_or(text.len(), |(a, _)| *a);
            Err(err(
                at,
                format!(
                    "`{first}` takes {} word(s) after it, found {}",
                    n - 1,
                    words.len() - 1
                ),
                HINT,
            ))
        };
        match first.as_str() {
            "every" => {
                arity(2)?;
                let (at, w) = &words[1];
                let digits = w.chars().take_while(char::is_ascii_digit).count();
                let n: i64 = w[..digits].parse().map_err(|_| {
                    err(
                        *at,
                        format!("`{w}` does not start with a number"),
                        "write e.g. `every 15m`",
                    )
                })?;
                let unit = match &w[digits..] {
                    "m" | "min" => 60,
                    "h" => 3600,
                    "d" => 86_400,
                    other => {
                        return Err(err(
                            at + digits,
                            format!("unknown unit `{other}`"),
                            "use `m` (minutes), `h` (hours) or `d` (days)",
                        ));
                    }
                };
                let seconds = n
                    .checked_mul(unit)
                    .filter(|s| (60..=30 * 86_400).contains(s));
                let Some(seconds) = seconds else {
                    return Err(err(
                        *at,
                        "the interval must be between 1 minute and 30 days".into(),
                        "write e.g. `every 15m` or `every 6h`",
                    ));
                };
                Ok(Schedule::Every { seconds })
            }
            "daily" => {
                arity(2)?;
                Ok(Schedule::Daily {
                    at: time(&words[1], text)?,
                })
            }
            "weekly" => {
                arity(3)?;
                let (at, w) = &words[1];
                let day = weekday(w).ok_or_else(|| {
                    err(
                        *at,
                        format!("unknown day `{w}`"),
                        "use mon, tue, wed, thu, fri, sat or sun",
                    )
                })?;
                Ok(Schedule::Weekly {
                    day,
                    at: time(&words[2], text)?,
                })
            }
            "monthly" => {
                arity(3)?;
                let (at, w) = &words[1];
                let day = w
                    .parse::<u32>()
                    .ok()
                    .filter(|d| (1..=28).contains(d))
                    .ok_or_else(|| {
                        err(
                            *at,
                            format!("`{w}` is not a day of the month from 1 to 28"),
                            "days 29–31 are missing from some months; use 1–28",
                        )
                    })?;
                Ok(Schedule::Monthly {
                    day,
                    at: time(&words[2], text)?,
                })
            }
            other => Err(err(
                words[0].0,
                format!("unknown schedule kind `{other}`"),
                HINT,
            )),
        }
    }
}

/// Lowercased words with their byte offsets.
fn words(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, text[s..i].to_lowercase()));
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn time((at, w): &(usize, String), text: &str) -> Result<NaiveTime, ScheduleError> {
    NaiveTime::parse_from_str(w, "%H:%M").map_err(|_| ScheduleError {
        text: text.to_string(),
        offset: *at,
        message: format!("`{w}` is not a time"),
        hint: "write the time as HH:MM in UTC, e.g. `02:30`".into(),
    })
}

fn weekday(w: &str) -> Option<Weekday> {
    Some(match w {
        "mon" | "monday" | "lun" | "lundi" => Weekday::Mon,
        "tue" | "tuesday" | "mar" | "mardi" => Weekday::Tue,
        "wed" | "wednesday" | "mer" | "mercredi" => Weekday::Wed,
        "thu" | "thursday" | "jeu" | "jeudi" => Weekday::Thu,
        "fri" | "friday" | "ven" | "vendredi" => Weekday::Fri,
        "sat" | "saturday" | "sam" | "samedi" => Weekday::Sat,
        "sun" | "sunday" | "dim" | "dimanche" => Weekday::Sun,
        _ => return None,
    })
}

impl fmt::Display for Schedule {
    /// The canonical text, which parses back to the same schedule.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Every { seconds } if seconds % 86_400 == 0 => {
                write!(f, "every {}d", seconds / 86_400)
            }
            Schedule::Every { seconds } if seconds % 3600 == 0 => {
                write!(f, "every {}h", seconds / 3600)
            }
            Schedule::Every { seconds } => write!(f, "every {}m", seconds / 60),
            Schedule::Daily { at } => write!(f, "daily {}", at.format("%H:%M")),
            Schedule::Weekly { day, at } => write!(
                f,
                "weekly {} {}",
                day.to_string().to_lowercase(),
                at.format("%H:%M")
            ),
            Schedule::Monthly { day, at } => write!(f, "monthly {day} {}", at.format("%H:%M")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn s(text: &str) -> Schedule {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn next_run_times() {
        // 2026-12-04 is a Friday.
        let now = t("2026-12-04T14:37:00Z");
        assert_eq!(s("every 15m").next_after(now), t("2026-12-04T14:45:00Z"));
        assert_eq!(
            s("every 15m").next_after(t("2026-12-04T14:45:00Z")),
            t("2026-12-04T15:00:00Z")
        );
        assert_eq!(s("every 6h").next_after(now), t("2026-12-04T18:00:00Z"));
        assert_eq!(s("daily 02:30").next_after(now), t("2026-12-05T02:30:00Z"));
        assert_eq!(s("daily 15:00").next_after(now), t("2026-12-04T15:00:00Z"));
        assert_eq!(
            s("weekly sun 03:00").next_after(now),
            t("2026-12-06T03:00:00Z")
        );
        assert_eq!(
            s("weekly fri 14:37").next_after(now),
            t("2026-12-11T14:37:00Z")
        );
        assert_eq!(
            s("Weekly Ven 15:00").next_after(now),
            t("2026-12-04T15:00:00Z")
        );
        assert_eq!(
            s("monthly 1 04:00").next_after(now),
            t("2027-01-01T04:00:00Z")
        );
        assert_eq!(
            s("monthly 28 04:00").next_after(now),
            t("2026-12-28T04:00:00Z")
        );
    }

    #[test]
    fn last_due_finds_the_latest_missed_run() {
        let daily = s("daily 02:30");
        let since = t("2026-12-01T00:00:00Z");
        assert_eq!(
            daily.last_due(since, t("2026-12-04T14:00:00Z")),
            Some(t("2026-12-04T02:30:00Z"))
        );
        assert_eq!(daily.last_due(since, t("2026-12-01T02:00:00Z")), None);
        let every = s("every 15m");
        assert_eq!(
            every.last_due(since, t("2026-12-04T14:37:00Z")),
            Some(t("2026-12-04T14:30:00Z"))
        );
        assert_eq!(
            every.last_due(t("2026-12-04T14:31:00Z"), t("2026-12-04T14:37:00Z")),
            None
        );
    }

    #[test]
    fn canonical_text_round_trips() {
        for text in [
            "every 15m",
            "every 2h",
            "every 1d",
            "daily 02:30",
            "weekly sun 03:00",
            "monthly 1 04:00",
        ] {
            assert_eq!(s(text).to_string(), text);
        }
    }

    #[test]
    fn errors_point_at_the_problem() {
        let cases = [
            ("", 0, "empty"),
            ("hourly", 0, "unknown schedule kind"),
            ("every 15x", 8, "unknown unit"),
            ("every 30s", 8, "unknown unit"),
            ("every 0m", 6, "between 1 minute"),
            ("every m", 6, "number"),
            ("daily 25:00", 6, "not a time"),
            ("daily", 5, "takes 1 word"),
            ("daily 02:30 extra", 12, "takes 1 word"),
            ("weekly sunday3 03:00", 7, "unknown day"),
            ("monthly 31 04:00", 8, "1 to 28"),
        ];
        for (text, offset, needle) in cases {
            let e = text.parse::<Schedule>().unwrap_err();
            assert_eq!(e.offset, offset, "{text}: {e}");
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn next_is_always_later_and_parsing_never_panics(secs in 0i64..4_000_000_000, text in ".{0,30}") {
            let _ = text.parse::<Schedule>();
            let now = Utc.timestamp_opt(secs, 0).single().unwrap();
            for sch in ["every 15m", "daily 00:00", "weekly mon 23:59", "monthly 28 12:00"] {
                let next = s(sch).next_after(now);
                proptest::prop_assert!(next > now, "{} after {}", sch, now);
                proptest::prop_assert!(next - now <= Duration::days(31));
            }
        }
    }
}
