//! An import's references matched to subjects already in the vault.
//!
//! Why: a `subject_ref` is local to its file or body, so loading the same
//! customers twice (an import run again, a CRM's periodic export) made each
//! of them a second subject — two people holding one address, which every
//! later request by that address must then untangle. With matching on, a
//! reference whose records carry an identifier (e-mail, phone, a declared
//! identifier field) that finds exactly one subject adds to that subject;
//! its lines without an identifier follow it. Identifiers finding several
//! subjects, or a subject that may no longer receive data, refuse the
//! reference before anything is written (the first line carrying them is
//! named: a reference may itself be personal, a line number is not).
//!
//! Each lookup is an ordinary find, authorised and journaled as the
//! importing caller's — one per distinct identifier of each reference —,
//! their entries committed together for [`LOOKUPS_PER_COMMIT`] references
//! ([`Vault::find_many`]): one commit, not one sync, per lookup.

use std::collections::{BTreeMap, BTreeSet};

use habeas_core::declarations::Declarations;

use crate::Caller;
use crate::error::{EngineError, Refusal, Result};
use crate::subject_refs::SubjectRefs;
use crate::validate::{self, RecordInput};
use crate::vault::Vault;

/// References looked up per journal commit: their entries are held until
/// it (a few hundred bytes each).
const LOOKUPS_PER_COMMIT: usize = 4_096;

/// The identifiers one line's record carries under its reference, as a
/// lookup takes them: (kind — `email`, `phone` or the field's name —, value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceProbe {
    /// The line's `subject_ref`.
    pub reference: String,
    /// (kind, value) pairs, in the category's declared order.
    pub identifiers: Vec<(String, String)>,
}

impl ReferenceProbe {
    /// `None` for a line naming its subject, or carrying no identifier.
    /// Pure: the lines of a file can be probed on every core.
    pub fn of(decls: &Declarations, input: &RecordInput) -> Option<ReferenceProbe> {
        let reference = input.subject_ref.as_ref()?;
        let category = decls.category(&input.category)?;
        let identifiers: Vec<(String, String)> = category
            .identifiers
            .iter()
            .filter_map(|name| {
                let name = name.get_ref();
                let value = match input.fields.get(name)? {
                    serde_json::Value::String(v) => v.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                Some((validate::index_kind(category.field(name)?, name), value))
            })
            .collect();
        (!identifiers.is_empty()).then(|| ReferenceProbe {
            reference: reference.clone(),
            identifiers,
        })
    }
}

/// Every reference's identifiers over a file or body, with the first line
/// that carried one.
#[derive(Debug, Default)]
pub struct ExistingMatch {
    /// Each noted line's reference, then its identifiers as `len:kind` and
    /// `len:value` pairs, side by side: ~60 bytes a reference. (A map of
    /// strings to sets took ~1 KiB a reference, 965 MiB for a million.)
    text: String,
    /// One per noted line, in file order: the reference's start, its end
    /// (where the identifiers start), the identifiers' end, the line.
    noted: Vec<(u32, u32, u32, u64)>,
}

impl ExistingMatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Note what line `line` carries (lines in file order).
    pub fn add(&mut self, line: u64, probe: Option<ReferenceProbe>) -> Result<()> {
        use std::fmt::Write as _;
        let Some(p) = probe else { return Ok(()) };
        let start = self.text.len();
        self.text.push_str(&p.reference);
        let middle = self.text.len();
        for (kind, value) in &p.identifiers {
            // Writing to a String cannot fail.
            let _ = write!(self.text, "{}:{kind}{}:{value}", kind.len(), value.len());
        }
        let end = self.text.len();
        let (Ok(start), Ok(middle), Ok(end)) = (
            u32::try_from(start),
            u32::try_from(middle),
            u32::try_from(end),
        ) else {
            self.text.truncate(start);
            return Err(EngineError::invalid(
                "too_many_subject_refs",
                "trop d'identifiants à rapprocher dans un même import (plus de 4 Gio) : découpez le fichier",
                "too many identifiers to match in one import (over 4 GiB): split the file",
            ));
        };
        self.noted.push((start, middle, end, line));
        Ok(())
    }

    /// Each reference once, in reference order: its first identifier line
    /// and its distinct identifiers.
    fn references(&mut self) -> impl Iterator<Item = (&str, u64, Vec<(&str, &str)>)> {
        let text = self.text.as_str();
        let at = |from: u32, to: u32| text.get(from as usize..to as usize).unwrap_or_default();
        self.noted
            .sort_unstable_by(|a, b| at(a.0, a.1).cmp(at(b.0, b.1)).then(a.3.cmp(&b.3)));
        self.noted
            .chunk_by(move |a, b| at(a.0, a.1) == at(b.0, b.1))
            .map(move |lines| {
                let mut identifiers: Vec<(&str, &str)> = Vec::new();
                for &(_, middle, end, _) in lines {
                    for pair in pairs(at(middle, end)) {
                        if !identifiers.contains(&pair) {
                            identifiers.push(pair);
                        }
                    }
                }
                (at(lines[0].0, lines[0].1), lines[0].3, identifiers)
            })
    }

    /// Look every reference's identifiers up. The references that find one
    /// subject which may still receive data are matched to it; each refused
    /// reference comes back with its first identifier line (at most `most`
    /// of them). A lookup the caller may not make stops everything.
    pub fn resolve(mut self, vault: &Vault, caller: &Caller, most: usize) -> Result<Matched> {
        let mut matched = Matched::default();
        let mut references = self.references().peekable();
        let mut chunk = Vec::with_capacity(LOOKUPS_PER_COMMIT);
        while references.peek().is_some() {
            chunk.clear();
            chunk.extend(references.by_ref().take(LOOKUPS_PER_COMMIT));
            // One journal commit for the chunk's lookups.
            let queries: Vec<(String, String)> = chunk
                .iter()
                .flat_map(|(_, _, identifiers)| identifiers.iter())
                .map(|(kind, value)| (kind.to_string(), value.to_string()))
                .collect();
            let mut answers = vault.find_many(caller, &queries)?.into_iter();
            let mut found_here = BTreeMap::new();
            for (reference, line, identifiers) in &chunk {
                let found: BTreeSet<String> =
                    answers.by_ref().take(identifiers.len()).flatten().collect();
                if matched.refused.len() >= most {
                    continue;
                }
                let subject = match Vec::from_iter(found).as_slice() {
                    [] => continue,
                    [one] => one.clone(),
                    several => {
                        let n = several.len();
                        matched.refused.push((*line, EngineError::Invalid(Refusal::new(
                            "ambiguous_match",
                            format!("les identifiants de cette référence désignent {n} personnes du coffre ; donnez « subject » (sub_…)"),
                            format!("this reference's identifiers find {n} subjects in the vault; give `subject` (sub_…)"),
                        ))));
                        continue;
                    }
                };
                match vault.check_subject(&subject, true) {
                    Ok(()) => {
                        found_here.insert(reference.to_string(), subject);
                    }
                    Err(e) => matched.refused.push((*line, e)),
                }
            }
            matched.subjects.extend(&found_here)?;
            if matched.refused.len() >= most {
                break;
            }
        }
        matched.refused.sort_by_key(|(line, _)| *line);
        Ok(matched)
    }
}

/// The (kind, value) pairs of an encoded identifier list (`len:text` each).
fn pairs(mut encoded: &str) -> impl Iterator<Item = (&str, &str)> {
    fn one(s: &str) -> Option<(&str, &str)> {
        let (len, rest) = s.split_once(':')?;
        let n: usize = len.parse().ok()?;
        Some((rest.get(..n)?, rest.get(n..)?))
    }
    std::iter::from_fn(move || {
        let (kind, rest) = one(encoded)?;
        let (value, rest) = one(rest)?;
        encoded = rest;
        Some((kind, value))
    })
}

/// What [`ExistingMatch::resolve`] found.
#[derive(Debug, Default)]
pub struct Matched {
    /// Reference → the existing subject it adds to (kept as compactly as
    /// an import's created subjects).
    subjects: SubjectRefs,
    /// (first identifier line, why) of each reference refused.
    pub refused: Vec<(u64, EngineError)>,
}

impl Matched {
    /// Turn a line of a matched reference into a line of its subject.
    pub fn apply(&self, input: &mut RecordInput) {
        if let Some(subject) = input
            .subject_ref
            .as_ref()
            .and_then(|r| self.subjects.get(r))
        {
            input.subject = Some(subject);
            input.subject_ref = None;
        }
    }

    /// How many references were matched to an existing subject.
    pub fn len(&self) -> usize {
        self.subjects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(reference: &str, identifiers: &[(&str, &str)]) -> Option<ReferenceProbe> {
        Some(ReferenceProbe {
            reference: reference.into(),
            identifiers: (identifiers.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    #[test]
    fn a_reference_keeps_its_first_identifier_line_and_every_identifier() {
        let mut all = ExistingMatch::new();
        all.add(1, None).expect("add");
        all.add(2, probe("r", &[("email", "a@example.org")]))
            .expect("add");
        all.add(3, probe("r", &[("phone", "0199001111")]))
            .expect("add");
        all.add(4, probe("r", &[("email", "a@example.org")]))
            .expect("add");
        all.add(5, probe("q", &[("email", "x:1@example.org")]))
            .expect("add");
        let references: Vec<_> = all.references().collect();
        assert_eq!(
            references,
            [
                ("q", 5, vec![("email", "x:1@example.org")]),
                (
                    "r",
                    2,
                    vec![("email", "a@example.org"), ("phone", "0199001111")]
                ),
            ]
        );
    }

    #[test]
    fn identifiers_round_trip_whatever_their_characters() {
        let mut all = ExistingMatch::new();
        let odd = ["", ":", "12:x", "é\u{0}\n:3:"];
        for (n, value) in odd.iter().enumerate() {
            let reference = format!("r{n}");
            all.add(
                n as u64 + 1,
                probe(&reference, &[("k:1", value), ("email", "a@b.c")]),
            )
            .expect("add");
        }
        for (n, (reference, line, identifiers)) in all.references().enumerate() {
            assert_eq!((reference, line), (format!("r{n}").as_str(), n as u64 + 1));
            assert_eq!(identifiers, [("k:1", odd[n]), ("email", "a@b.c")]);
        }
    }
}
