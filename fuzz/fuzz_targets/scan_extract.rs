//! Any bytes through the scanner's decoders (gzip, MIME via mail-parser, DOCX/XLSX/ODT/ODS,
//! UTF-16/Latin-1) and detectors: must never panic, and every reported span must lie inside
//! the file (plain offsets) or the decoded part.
#![no_main]

use habeas_scan::walk::{Event, scan_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut det = habeas_scan::Detector::new();
    // The name picks the .eml path; mail detection by content covers the rest.
    for name in ["fuzz.eml", "fuzz.txt"] {
        if let Event::File(f) = scan_bytes(&mut det, name.to_string(), 0, data, true) {
            for h in &f.hits {
                assert!(h.start < h.end);
                if h.part.is_none() {
                    assert!(h.end <= data.len());
                }
            }
        }
    }
});
