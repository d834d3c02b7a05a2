//! Detectors over one decoded text. `Detector::scan` runs the cheap passes (memchr for `@`,
//! a byte tokenizer for digit runs, ASCII regexes for letter-prefixed identifiers, one
//! Aho-Corasick pass for context cues) and resolves overlaps so that each region of text is
//! reported once, under its most specific type.

pub(crate) mod address;
pub(crate) mod columns;
pub(crate) mod context;
pub(crate) mod cues;
pub(crate) mod email;
pub(crate) mod names;
pub(crate) mod numbers;
pub mod phone_plan;
pub(crate) mod prefixed;
pub(crate) mod sql;
pub(crate) mod swar;

use crate::finding::{Finding, resolve_in_place, resolve_overlaps};

/// Per-thread detector state: buffers reused from one text to the next.
#[derive(Default)]
pub struct Detector {
    numbers: numbers::NumberScratch,
    compact: Vec<u8>,
    found: Vec<Finding>,
}

impl Detector {
    pub fn new() -> Detector {
        Detector::default()
    }

    /// All findings in `text`, sorted by start, non-overlapping. Offsets are byte offsets
    /// into `text`.
    pub fn scan(&mut self, text: &str) -> Vec<Finding> {
        let bytes = text.as_bytes();
        self.found.clear();
        email::scan(bytes, &mut self.found);
        numbers::scan(bytes, &mut self.numbers, &mut self.found);
        prefixed::scan(bytes, &mut self.compact, &mut self.found);
        context::scan(text, &self.numbers.dates, &mut self.found);
        let dump = sql::is_dump(text);
        names::scan(text, dump, &mut self.found);
        columns::scan(text, &self.numbers.dates, &mut self.found);
        sql::scan(text, dump, &self.numbers.dates, &mut self.found);
        // Resolved in the reused buffer, then one allocation of the exact size.
        resolve_in_place(&mut self.found);
        let kept = self.found.clone();
        self.found.clear();
        kept
    }

    /// Time each pass separately over `text` (for `examples/profile.rs` and the benchmark
    /// notes): e-mail, digit runs, prefixed identifiers, context cues, table columns, overlaps.
    #[doc(hidden)]
    pub fn profile_passes(&mut self, text: &str, acc: &mut [std::time::Duration; 6]) {
        use std::time::Instant;
        let bytes = text.as_bytes();
        self.found.clear();
        let t = Instant::now();
        email::scan(bytes, &mut self.found);
        acc[0] += t.elapsed();
        let t = Instant::now();
        numbers::scan(bytes, &mut self.numbers, &mut self.found);
        acc[1] += t.elapsed();
        let t = Instant::now();
        prefixed::scan(bytes, &mut self.compact, &mut self.found);
        acc[2] += t.elapsed();
        let t = Instant::now();
        context::scan(text, &self.numbers.dates, &mut self.found);
        let dump = sql::is_dump(text);
        names::scan(text, dump, &mut self.found);
        acc[3] += t.elapsed();
        let t = Instant::now();
        columns::scan(text, &self.numbers.dates, &mut self.found);
        sql::scan(text, dump, &self.numbers.dates, &mut self.found);
        acc[4] += t.elapsed();
        let t = Instant::now();
        let _ = resolve_overlaps(std::mem::take(&mut self.found));
        acc[5] += t.elapsed();
    }
}
