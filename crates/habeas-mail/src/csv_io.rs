//! Bulk import and export of the lists as CSV (`list,entry`).
//!
//! Import is all or nothing: every line is checked first, every problem is
//! reported with its line number, and the lists change only if there is none.
//! Merging keeps existing entries; a line equal to an existing entry of the
//! same list is "unchanged" (so re-importing an export is harmless), while
//! duplicates inside the file and contradictions are errors. Error messages
//! give line numbers, never the addresses (personal data stays out of errors).

use std::collections::BTreeMap;
use std::fmt;

use crate::entry::Entry;
use crate::lists::{ListError, ListKind, UserLists};

/// One refused CSV line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ligne / line {}: {}", self.line, self.message)
    }
}

/// All the refused lines of one import.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    pub lines: Vec<LineError>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ligne(s) refusée(s), rien n'a été importé / {} line(s) refused, nothing was imported:",
            self.lines.len(),
            self.lines.len()
        )?;
        for line in &self.lines {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// Merge (or with `replace`, substitute) the CSV content into `lists`.
pub fn import(
    lists: &mut UserLists,
    csv_bytes: &[u8],
    replace: bool,
) -> Result<ImportSummary, ImportError> {
    let mut base = lists.clone();
    if replace {
        base.allow.clear();
        base.deny.clear();
        base.perso.clear();
    }
    let mut target = base.clone();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<Entry, u64> = BTreeMap::new();
    let mut summary = ImportSummary::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_bytes);
    match reader.headers() {
        Ok(headers) if headers.len() == 2 && &headers[0] == "list" && &headers[1] == "entry" => {}
        _ => errors.push(LineError {
            line: 1,
            message: "l'en-tête doit être « list,entry » / the header must be \"list,entry\""
                .into(),
        }),
    }
    if errors.is_empty() {
        for (index, record) in reader.records().enumerate() {
            let fallback_line = index as u64 + 2;
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    let line = e.position().map_or(fallback_line, |p| p.line());
                    errors.push(LineError {
                        line,
                        message:
                            "CSV illisible (guillemets ou UTF-8) / unreadable CSV (quotes or UTF-8)"
                                .into(),
                    });
                    continue;
                }
            };
            let line = record.position().map_or(fallback_line, |p| p.line());
            if record.len() != 2 {
                errors.push(LineError {
                    line,
                    message: format!(
                        "2 colonnes attendues, {} trouvées / expected 2 columns, found {}",
                        record.len(),
                        record.len()
                    ),
                });
                continue;
            }
            let Some(kind) = ListKind::parse(&record[0]) else {
                errors.push(LineError {
                    line,
                    message:
                        "liste inconnue : allow, deny ou perso / unknown list: allow, deny or perso"
                            .into(),
                });
                continue;
            };
            if let Err(message) = import_line(&base, &mut target, &mut seen, kind, &record[1], line)
                .map(|added| {
                    if added {
                        summary.added += 1;
                    } else {
                        summary.unchanged += 1;
                    }
                })
            {
                errors.push(LineError { line, message });
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportError { lines: errors });
    }
    if replace {
        // Entries kept from before count as unchanged, not removed.
        let kept = ListKind::ALL
            .into_iter()
            .map(|k| lists.list(k).intersection(target.list(k)).count())
            .sum::<usize>();
        summary.removed = lists.len() - kept;
        summary.added = target.len() - kept;
        summary.unchanged = kept;
    }
    lists.allow = target.allow;
    lists.deny = target.deny;
    lists.perso = target.perso;
    Ok(summary)
}

/// Checks one line; `Ok(true)` if it adds an entry, `Ok(false)` if unchanged.
fn import_line(
    base: &UserLists,
    target: &mut UserLists,
    seen: &mut BTreeMap<Entry, u64>,
    kind: ListKind,
    raw: &str,
    line: u64,
) -> Result<bool, String> {
    let entry = Entry::parse(raw, base.settings.normalise()).map_err(|e| e.to_string())?;
    if let Some(first) = seen.insert(entry.clone(), line) {
        return Err(format!(
            "même entrée qu'à la ligne {first} / same entry as line {first}"
        ));
    }
    match base.find(&entry) {
        Some(existing) if existing == kind => Ok(false),
        Some(existing) => Err(ListError::Contradiction {
            existing,
            wanted: kind,
        }
        .to_string()),
        None => {
            target.add(kind, raw).map_err(|e| e.to_string())?;
            Ok(true)
        }
    }
}

/// The lists as CSV, sorted (perso, allow, deny; entries in order).
pub fn export(lists: &UserLists) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(["list", "entry"]);
    for kind in ListKind::ALL {
        for entry in lists.list(kind) {
            let _ = writer.write_record([kind.as_str(), &entry.to_string()]);
        }
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_then_import_is_identity() {
        let mut l = UserLists::new("me@corp.example");
        l.add(ListKind::Perso, "mum@family.example").unwrap();
        l.add(ListKind::Deny, "@spam.example").unwrap();
        l.add(ListKind::Allow, "boss@spam.example").unwrap();
        let csv = export(&l);
        let mut fresh = UserLists::new("me@corp.example");
        let summary = import(&mut fresh, &csv, false).unwrap();
        assert_eq!(summary.added, 3);
        assert_eq!(fresh, l);
        let again = import(&mut fresh, &csv, false).unwrap();
        assert_eq!((again.added, again.unchanged), (0, 3));
    }

    #[test]
    fn every_bad_line_is_reported_and_nothing_changes() {
        let mut l = UserLists::new("me@corp.example");
        l.add(ListKind::Allow, "a@x.example").unwrap();
        let before = l.clone();
        let csv = "list,entry\n\
                   perso,ok@family.example\n\
                   spam,b@x.example\n\
                   deny,a@x.example\n\
                   perso,not-an-address\n\
                   perso,OK@family.example\n\
                   allow\n";
        let err = import(&mut l, csv.as_bytes(), false).unwrap_err();
        let lines: Vec<u64> = err.lines.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7]);
        assert!(err.lines[1].message.contains("contradiction"));
        assert!(err.lines[3].message.contains("line 2"));
        assert!(!err.to_string().contains("not-an-address"));
        assert_eq!(l, before);
    }

    #[test]
    fn wrong_header_is_refused() {
        let mut l = UserLists::new("me@corp.example");
        let err = import(&mut l, b"address\nx@y.example\n", false).unwrap_err();
        assert_eq!(err.lines[0].line, 1);
    }

    #[test]
    fn replace_substitutes_the_lists() {
        let mut l = UserLists::new("me@corp.example");
        l.add(ListKind::Allow, "a@x.example").unwrap();
        l.add(ListKind::Allow, "b@x.example").unwrap();
        let summary = import(
            &mut l,
            b"list,entry\nallow,a@x.example\ndeny,b@x.example\n",
            true,
        )
        .unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                added: 1,
                unchanged: 1,
                removed: 1
            }
        );
        assert!(l.deny.iter().any(|e| e.to_string() == "b@x.example"));
        assert_eq!(l.allow.len(), 1);
    }
}
