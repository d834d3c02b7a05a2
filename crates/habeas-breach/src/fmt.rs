//! Formatting shared by the exports and the drafts: instants in UTC with
//! the zone spelled out (never a local time without its zone), and lists.

use chrono::{DateTime, Datelike, Utc};
use habeas_core::declarations::Text;
use habeas_core::lang::Lang;

/// `2026-12-04 18:30 UTC`.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The day in words, for letters: `4 décembre 2026`, `4 December 2026`.
pub fn day(at: impl Datelike, lang: Lang) -> String {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = at.month0() as usize;
    let name = match lang {
        Lang::Fr => FR[month],
        Lang::En => EN[month],
    };
    format!("{} {name} {}", at.day(), at.year())
}

/// The texts in `lang`, joined by `; `; `None` when there is none.
pub fn texts(list: &[Text], lang: Lang) -> Option<String> {
    non_empty(
        list.iter()
            .map(|t| t.get(lang).trim().to_string())
            .collect(),
    )
}

/// The strings joined by `; `; `None` when empty.
pub fn non_empty(list: Vec<String>) -> Option<String> {
    let list: Vec<String> = list.into_iter().filter(|s| !s.is_empty()).collect();
    (!list.is_empty()).then(|| list.join("; "))
}

/// A whole number with a narrow no-break space every three digits in French
/// (`12 345`) and a comma in English (`12,345`).
pub fn number(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let sep = lang.pick("\u{202f}", ",");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_per_language() {
        assert_eq!(number(1200, Lang::En), "1,200");
        assert_eq!(number(1_234_567, Lang::Fr), "1\u{202f}234\u{202f}567");
        assert_eq!(number(999, Lang::Fr), "999");
    }

    #[test]
    fn days_are_written_in_words() {
        let at = DateTime::parse_from_rfc3339("2026-12-04T23:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(day(at, Lang::Fr), "4 décembre 2026");
        assert_eq!(day(at, Lang::En), "4 December 2026");
    }
}
