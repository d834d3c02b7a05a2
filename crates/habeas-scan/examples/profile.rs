//! Where the detection time goes: `cargo run --release -p habeas-scan --example profile -- DIR`
//! reads every UTF-8 file under DIR into memory, then times each detector pass on one thread.

use std::time::{Duration, Instant};

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: profile DIR");
        std::process::exit(2);
    };
    let mut texts = Vec::new();
    let mut total = 0usize;
    for e in ignore::WalkBuilder::new(&dir)
        .standard_filters(false)
        .build()
        .flatten()
    {
        if e.file_type().is_some_and(|t| t.is_file())
            && let Ok(s) = std::fs::read_to_string(e.path())
        {
            total += s.len();
            texts.push(s);
        }
    }
    let mut det = habeas_scan::Detector::new();
    let mut acc = [Duration::ZERO; 6];
    // `--scan-only`: skip the per-pass timing (for callgrind, which counts instructions).
    let scan_only = std::env::args().any(|a| a == "--scan-only");
    if !scan_only {
        for t in &texts {
            det.profile_passes(t, &mut acc);
        }
    }
    let t0 = Instant::now();
    let mut n = 0;
    for t in &texts {
        n += det.scan(t).len();
    }
    let all = t0.elapsed();
    let mb = total as f64 / 1e6;
    println!(
        "{} files, {mb:.1} MB, {n} findings, all passes {:.3} s = {:.1} MB/s (1 thread)",
        texts.len(),
        all.as_secs_f64(),
        mb / all.as_secs_f64()
    );
    if scan_only {
        return;
    }
    for (name, d) in [
        "email",
        "digit runs",
        "prefixed ids + IPv6",
        "context cues",
        "table columns",
        "overlaps",
    ]
    .iter()
    .zip(acc)
    {
        println!(
            "  {name:<22} {:.3} s  ({:.0} MB/s)",
            d.as_secs_f64(),
            mb / d.as_secs_f64()
        );
    }
}
