//! Tabular exports (CSV/TSV with a header row): a column named like a birth date, a person's
//! name or a street address gives its cells the context that prose would give in words.

use super::context::name_at;
use super::numbers::DateSpan;
use crate::finding::Finding;
use crate::kind::PiiType;

pub(crate) fn column_kind(h: &str) -> Option<PiiType> {
    let h = h.trim().trim_matches('"').to_lowercase();
    let h = h.as_str();
    if h.contains("naiss") || h.contains("birth") || h == "dob" || h.contains("geboorte") {
        return Some(PiiType::DateOfBirth);
    }
    const NAMES: &[&str] = &[
        "nom",
        "prenom",
        "prénom",
        "name",
        "first_name",
        "last_name",
        "firstname",
        "lastname",
        "full_name",
        "fullname",
        "surname",
        "given_name",
        "customer_name",
        "client_name",
        "nom_complet",
        "titulaire",
        "holder",
        "contact_name",
        "naam",
        "voornaam",
        "achternaam",
        "display_name",
        "nom_client",
        "account_holder",
        "customer",
        "client",
        "contact",
    ];
    if NAMES.contains(&h) {
        return Some(PiiType::Person);
    }
    if matches!(
        h,
        "adresse"
            | "address"
            | "street"
            | "rue"
            | "adresse_postale"
            | "street_address"
            | "address_line1"
            | "adres"
            | "straat"
    ) {
        return Some(PiiType::PostalAddress);
    }
    None
}

/// Cells of one line, split at `sep` outside double quotes, into `out`: (start, end) of each
/// cell's value, without blanks and quotes.
fn cells(line: &str, sep: u8, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let b = line.as_bytes();
    let mut quoted = false;
    let mut start = 0;
    let mut push = |s: usize, e: usize| {
        let cell = &line[s..e];
        let t = cell.trim_end_matches('\r').trim();
        let off = s + (cell.len() - cell.trim_start().len());
        let t2 = t.trim_start_matches('"');
        let off = off + (t.len() - t2.len());
        let t2 = t2.trim_end_matches('"');
        out.push((off, off + t2.len()));
    };
    for (i, &c) in b.iter().enumerate() {
        if c == b'"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            push(start, i);
            start = i + 1;
        }
    }
    push(start, b.len());
}

/// Detect a header row; returns the separator and the interesting columns.
/// True when the first line is a table header naming at least one personal-data column.
pub(crate) fn is_table(text: &str) -> bool {
    header(text).is_some()
}

fn header(text: &str) -> Option<(u8, Vec<(usize, PiiType)>)> {
    let first = text.lines().next()?;
    if first.len() > 4096 {
        return None;
    }
    let sep = [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|s| first.bytes().filter(|c| c == s).count())?;
    if first.bytes().filter(|&c| c == sep).count() < 1 {
        return None;
    }
    let mut cs = Vec::new();
    cells(first, sep, &mut cs);
    let cols: Vec<(usize, PiiType)> = cs
        .into_iter()
        .enumerate()
        .filter_map(|(i, (s, e))| column_kind(&first[s..e]).map(|k| (i, k)))
        .collect();
    (!cols.is_empty()).then_some((sep, cols))
}

pub(crate) fn scan(text: &str, dates: &[DateSpan], out: &mut Vec<Finding>) {
    let Some((sep, cols)) = header(text) else {
        return;
    };
    let mut pos = 0;
    let mut first = true;
    let mut cs = Vec::new();
    for line in text.split_inclusive('\n') {
        let ls = pos;
        pos += line.len();
        if first {
            first = false;
            continue;
        }
        let line = line.trim_end_matches(['\n', '\r']);
        cells(line, sep, &mut cs);
        for &(i, kind) in &cols {
            let Some(&(s, e)) = cs.get(i) else { continue };
            cell(text, ls + s, ls + e, kind, dates, out);
        }
    }
}

/// Emit the finding a cell `s..e` of a column of `kind` holds, if any.
pub(crate) fn cell(
    text: &str,
    s: usize,
    e: usize,
    kind: PiiType,
    dates: &[DateSpan],
    out: &mut Vec<Finding>,
) {
    if s >= e {
        return;
    }
    match kind {
        PiiType::DateOfBirth => {
            let k = dates.partition_point(|d| d.start < s);
            if let Some(d) = dates.get(k).filter(|d| d.start == s && d.end == e) {
                out.push(Finding::new(d.start, d.end, kind, 0.9));
            }
        }
        PiiType::Person => {
            if let Some((ns, ne)) = name_at(&text[..e], s, 1)
                && ne <= e
            {
                out.push(Finding::new(ns, ne, kind, 0.8));
            }
        }
        _ => {
            let v = &text[s..e];
            if v.bytes().any(|b| b.is_ascii_digit()) && v.chars().any(char::is_alphabetic) {
                out.push(Finding::new(s, e, kind, 0.8));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_without_quotes_and_blanks() {
        let line = "1; \"Dupont, Jean\" ;\"\";x\r";
        let mut cs = Vec::new();
        cells(line, b';', &mut cs);
        let got: Vec<&str> = cs.iter().map(|&(s, e)| &line[s..e]).collect();
        assert_eq!(got, vec!["1", "Dupont, Jean", "", "x"]);
    }

    #[test]
    fn name_and_birth_columns_give_context() {
        let t = "id,nom,date_naissance,ville\n1,Dupont,12/05/1980,Lyon\n";
        let mut s = crate::detect::numbers::NumberScratch::default();
        crate::detect::numbers::scan(t.as_bytes(), &mut s, &mut Vec::new());
        let mut out = Vec::new();
        scan(t, &s.dates, &mut out);
        let got: Vec<(PiiType, &str)> = out.iter().map(|f| (f.kind, &t[f.start..f.end])).collect();
        assert_eq!(
            got,
            vec![
                (PiiType::Person, "Dupont"),
                (PiiType::DateOfBirth, "12/05/1980")
            ]
        );
    }
}
