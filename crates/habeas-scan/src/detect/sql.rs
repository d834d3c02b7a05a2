//! SQL dumps (mysqldump, `pg_dump --inserts`): column names come from `CREATE TABLE` (or
//! from the INSERT's own column list), then each `VALUES (…)` tuple's quoted fields are read
//! by position, so a `birth_date` or `last_name` column gives its values their context.

use super::columns::{cell, column_kind};
use super::numbers::DateSpan;
use crate::finding::Finding;
use crate::kind::PiiType;

/// True when `text` holds SQL `INSERT INTO` statements.
pub(crate) fn is_dump(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"INSERT INTO ").is_some()
}

/// `is_dump`: the caller's `is_dump(text)`, asked once for this pass and the names pass.
pub(crate) fn scan(text: &str, is_dump: bool, dates: &[DateSpan], out: &mut Vec<Finding>) {
    let b = text.as_bytes();
    if !is_dump {
        return;
    }
    let mut tables: Vec<(String, Vec<Option<PiiType>>)> = Vec::new();
    let mut i = 0;
    while let Some(k) = memchr::memmem::find(&b[i..], b"CREATE TABLE ") {
        let start = i + k + 13;
        let Some(open) = memchr::memchr(b'(', &b[start..]).map(|x| start + x) else {
            break;
        };
        let name = text[start..open]
            .trim()
            .trim_matches(['`', '"'])
            .to_string();
        let end = memchr::memmem::find(&b[open..], b"\n)").map_or(b.len(), |x| open + x);
        let cols = text[open + 1..end]
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with('`') || l.starts_with('"'))
            .map(|l| column_kind(l[1..].split(['`', '"']).next().unwrap_or("")))
            .collect();
        tables.push((name, cols));
        i = end;
    }
    let mut i = 0;
    while let Some(k) = memchr::memmem::find(&b[i..], b"INSERT INTO ") {
        let start = i + k + 12;
        let Some(vpos) = memchr::memmem::find(&b[start..], b"VALUES").map(|x| start + x) else {
            break;
        };
        let head = &text[start..vpos];
        let (name, list) = match head.find('(') {
            Some(p) => (
                head[..p].trim(),
                Some(&head[p + 1..head.rfind(')').unwrap_or(head.len()).max(p + 1)]),
            ),
            None => (head.trim(), None),
        };
        let name = name.trim_matches(['`', '"']);
        let cols: Vec<Option<PiiType>> = match list {
            Some(l) => l
                .split(',')
                .map(|c| column_kind(c.trim().trim_matches(['`', '"'])))
                .collect(),
            None => tables
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| c.clone())
                .unwrap_or_default(),
        };
        i = values(text, vpos + 6, &cols, dates, out).min(b.len());
    }
}

/// Walk `(…),(…);` tuples from `i`; returns the index after the statement.
fn values(
    text: &str,
    mut i: usize,
    cols: &[Option<PiiType>],
    dates: &[DateSpan],
    out: &mut Vec<Finding>,
) -> usize {
    let b = text.as_bytes();
    let interesting = cols.iter().any(Option::is_some);
    let mut field = 0;
    let mut depth = 0i32;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                let s = i + 1;
                let mut j = s;
                while j < b.len() && b[j] != b'\'' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let e = j.min(b.len());
                if interesting
                    && depth == 1
                    && let Some(Some(kind)) = cols.get(field)
                {
                    cell(text, s, e, *kind, dates, out);
                }
                i = e + 1;
                continue;
            }
            b'(' => {
                depth += 1;
                if depth == 1 {
                    field = 0;
                }
            }
            b')' => depth -= 1,
            b',' if depth == 1 => field += 1,
            b';' if depth <= 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::numbers::{self, NumberScratch};

    #[test]
    fn mysqldump_columns_give_context() {
        let t = "CREATE TABLE `c` (\n  `id` int,\n  `last_name` varchar(64),\n  `birth_date` date,\n  PRIMARY KEY (`id`)\n);\nINSERT INTO `c` VALUES (1,'Dupont','1962-10-15'),(2,'Martin','1970-01-02');\n";
        let mut s = NumberScratch::default();
        numbers::scan(t.as_bytes(), &mut s, &mut Vec::new());
        let mut out = Vec::new();
        scan(t, is_dump(t), &s.dates, &mut out);
        let got: Vec<(PiiType, &str)> = out.iter().map(|f| (f.kind, &t[f.start..f.end])).collect();
        assert_eq!(
            got,
            vec![
                (PiiType::Person, "Dupont"),
                (PiiType::DateOfBirth, "1962-10-15"),
                (PiiType::Person, "Martin"),
                (PiiType::DateOfBirth, "1970-01-02"),
            ]
        );
    }
}
