//! Damaged input never panics and never yields spans outside the file: every fixture (mail,
//! gzip, office zip, UTF-16, Latin-1) truncated at many lengths and with bytes flipped by a
//! fixed pseudo-random sequence. A deterministic, fast complement to the cargo-fuzz targets.

use std::path::Path;

use habeas_scan::walk::{Event, scan_bytes};

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_none_or(|x| x != "py") {
            out.push(p);
        }
    }
}

#[test]
fn truncated_and_corrupted_fixtures_are_handled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() >= 15, "fixtures missing under {}", root.display());
    let mut det = habeas_scan::Detector::new();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut runs = 0;
    for path in &all {
        let bytes = std::fs::read(path).unwrap_or_default();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut variants: Vec<Vec<u8>> = Vec::new();
        let step = (bytes.len() / 24).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            variants.push(bytes[..cut].to_vec());
        }
        for _ in 0..24 {
            let mut v = bytes.clone();
            if v.is_empty() {
                break;
            }
            for _ in 0..1 + next() % 4 {
                let i = (next() % v.len() as u64) as usize;
                v[i] = (next() & 0xFF) as u8;
            }
            variants.push(v);
        }
        for v in variants {
            runs += 1;
            if let Event::File(f) = scan_bytes(&mut det, name.clone(), 0, &v, false) {
                for h in &f.hits {
                    assert!(h.start < h.end, "{name}: empty span");
                    if h.part.is_none() {
                        assert!(h.end <= v.len(), "{name}: span past the end");
                    }
                }
            }
        }
    }
    assert!(runs > 500);
}
