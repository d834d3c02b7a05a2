//! One detected value: where it is, what it is, how sure we are.

use crate::kind::PiiType;

/// A detection inside one scanned text (a file, or one decoded part of it).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Byte offset of the first byte (into the file, or into the decoded part).
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    pub kind: PiiType,
    /// 0.0–1.0: 0.95+ for checksum-validated identifiers, lower for context-based types.
    pub confidence: f32,
}

impl Finding {
    pub fn new(start: usize, end: usize, kind: PiiType, confidence: f32) -> Finding {
        Finding {
            start,
            end,
            kind,
            confidence,
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Keep one finding per overlapping region: the longest wins (a SIRET over the SIREN it
/// contains, an IBAN over a card-like run inside it), then the most confident.
/// Returns findings sorted by start.
pub fn resolve_overlaps(mut found: Vec<Finding>) -> Vec<Finding> {
    resolve_in_place(&mut found);
    found
}

/// `resolve_overlaps` inside the caller's buffer (the detector reuses it from file to file).
pub(crate) fn resolve_in_place(found: &mut Vec<Finding>) {
    if found.len() < 2 {
        return;
    }
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.len().cmp(&a.len())));
    // `found[..kept]` holds the survivors so far; the reader is always ahead of the writer.
    let mut kept = 0usize;
    for r in 0..found.len() {
        let f = found[r].clone();
        match kept.checked_sub(1).map(|k| &mut found[k]) {
            Some(last) if last.end > f.start => {
                let better = f.len() > last.len()
                    || (f.len() == last.len() && f.confidence > last.confidence);
                if better {
                    *last = f;
                }
            }
            _ => {
                found[kept] = f;
                kept += 1;
            }
        }
    }
    found.truncate(kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_wins_then_order_by_start() {
        let v = vec![
            Finding::new(0, 9, PiiType::FrSiren, 0.9),
            Finding::new(0, 14, PiiType::FrSiret, 0.99),
            Finding::new(20, 30, PiiType::Phone, 0.9),
        ];
        let r = resolve_overlaps(v);
        assert_eq!(r.len(), 2);
        // Inside a chain of overlaps the longest survives; the same span keeps the most
        // confident, and the first of equals.
        let chain = resolve_overlaps(vec![
            Finding::new(10, 14, PiiType::Phone, 0.9),
            Finding::new(0, 5, PiiType::Person, 0.6),
            Finding::new(3, 12, PiiType::PostalAddress, 0.85),
            Finding::new(20, 25, PiiType::Person, 0.6),
            Finding::new(20, 25, PiiType::Email, 0.97),
            Finding::new(30, 35, PiiType::Person, 0.6),
            Finding::new(30, 35, PiiType::Phone, 0.6),
        ]);
        let got: Vec<(usize, PiiType)> = chain.iter().map(|f| (f.start, f.kind)).collect();
        assert_eq!(
            got,
            vec![
                (3, PiiType::PostalAddress),
                (20, PiiType::Email),
                (30, PiiType::Person)
            ]
        );
        assert_eq!(r[0].kind, PiiType::FrSiret);
        assert_eq!(r[1].kind, PiiType::Phone);
    }
}
