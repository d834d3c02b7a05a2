//! Detector-only JSON Lines for accuracy work without building the whole `habeas` binary:
//! `cargo run --release -p habeas-scan --example jsonl -- DIR > out.jsonl` runs
//! `Detector::scan` on every UTF-8 file under DIR and prints the harness's interchange lines
//! (paths relative to DIR). Plain files only: no mailbox or office decoding (use
//! `habeas scan --format jsonl` for those).

use std::io::Write;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: jsonl DIR");
        std::process::exit(2);
    };
    let root = std::path::Path::new(&dir);
    let mut det = habeas_scan::Detector::new();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for e in ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .build()
        .flatten()
    {
        if !e.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let rel = e.path().strip_prefix(root).unwrap_or(e.path());
        let rel = serde_json::to_string(&rel.to_string_lossy()).unwrap_or_default();
        for f in det.scan(&text) {
            let line = format!(
                "{{\"path\":{rel},\"start\":{},\"end\":{},\"type\":\"{}\"}}",
                f.start,
                f.end,
                f.kind.name()
            );
            if writeln!(out, "{line}").is_err() {
                return;
            }
        }
    }
}
