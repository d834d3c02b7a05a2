//! Breach ids: `B-<year>-<4 digits>`, numbered per year of opening, the form
//! staff quote to the authority and in the register.

/// `B-2026-0001` for the first breach of 2026.
pub fn format_id(year: i32, number: u32) -> String {
    format!("B-{year}-{number:04}")
}

/// The year and number of a breach id, if it has the register's form.
pub fn parse_id(id: &str) -> Option<(i32, u32)> {
    let rest = id.strip_prefix("B-")?;
    let (year, number) = rest.split_once('-')?;
    let valid = year.len() == 4
        && number.len() == 4
        && year
            .bytes()
            .chain(number.bytes())
            .all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    Some((year.parse().ok()?, number.parse().ok()?))
}

/// The next number for `year` after the ids already used.
pub fn next_number<'a>(year: i32, used: impl IntoIterator<Item = &'a str>) -> u32 {
    used.into_iter()
        .filter_map(parse_id)
        .filter(|(y, _)| *y == year)
        .map(|(_, n)| n)
        .max()
        .unwrap_or(0)
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_numbered_per_year() {
        assert_eq!(format_id(2026, 1), "B-2026-0001");
        assert_eq!(parse_id("B-2026-0042"), Some((2026, 42)));
        assert_eq!(parse_id("B-26-0042"), None);
        assert_eq!(parse_id("B-2026-00x2"), None);
        let used = ["B-2025-0007", "B-2026-0001", "B-2026-0003", "junk"];
        assert_eq!(next_number(2026, used), 4);
        assert_eq!(next_number(2027, used), 1);
    }
}
