//! Any UTF-8 text through the detectors: findings sorted, non-overlapping, on char boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let mut det = habeas_scan::Detector::new();
    let found = det.scan(text);
    let mut last = 0;
    for f in &found {
        assert!(f.start >= last && f.start < f.end && f.end <= text.len());
        assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        last = f.end;
    }
});
