//! Benchmark (not a test) of SPEC C12's speed goals, single-threaded:
//! * classification / filtering of 100,000 real-shaped messages held in
//!   memory (goal ≥ 20,000 messages/s);
//! * hand-over (find + mbox export) and destruction (find + purge) of the
//!   personal mail of a 100,000-message Maildir (goal ≤ 10 s).
//!
//! Run: `cargo bench -p habeas-mail --bench mail_throughput`
//! Knobs: HABEAS_BENCH_MESSAGES (default 100000), HABEAS_BENCH_RUNS (3),
//! HABEAS_BENCH_DIR (default: a fresh directory under the system temp dir).

#[path = "../tests/support/maildir_gen.rs"]
mod maildir_gen;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use habeas_mail::filter::classify_raw;
use habeas_mail::maildir::{export_mbox, find_perso, purge};
use habeas_mail::{FilterOptions, filter_message};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn message_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for folder in ["", ".Sent", ".Work", ".Perso"] {
        for sub in ["cur", "new"] {
            for entry in fs::read_dir(root.join(folder).join(sub)).unwrap() {
                out.push(entry.unwrap().path());
            }
        }
    }
    out.sort();
    out
}

fn main() {
    let count = env_usize("HABEAS_BENCH_MESSAGES", 100_000);
    let runs = env_usize("HABEAS_BENCH_RUNS", 3).max(1);
    let base = std::env::var_os("HABEAS_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("habeas-mail-bench-{}", std::process::id()))
        });
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(&base).unwrap();
    let lists = maildir_gen::lists();
    println!("habeas-mail benchmark: {count} messages, {runs} run(s), single thread");

    let root = base.join("Maildir");
    let started = Instant::now();
    let generated = maildir_gen::generate(&root, count, 2026);
    println!(
        "generated {} messages ({:.1} MiB, {} personal) in {:.1?}",
        generated.total,
        generated.bytes as f64 / 1048576.0,
        generated.perso.len(),
        started.elapsed()
    );

    // 1. Filter throughput on messages already in memory.
    let messages: Vec<Vec<u8>> = message_files(&root)
        .iter()
        .map(|p| fs::read(p).unwrap())
        .collect();
    let mut classify_samples = Vec::new();
    let mut filter_samples = Vec::new();
    let mut perso_seen = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let mut n = 0usize;
        for raw in &messages {
            if let Some((class, _, _)) = classify_raw(&lists, raw) {
                n += class as usize;
            }
        }
        classify_samples.push(t.elapsed());
        std::hint::black_box(n);
        let t = Instant::now();
        let mut bytes = 0usize;
        perso_seen = 0;
        for raw in &messages {
            let out = filter_message(&lists, raw, FilterOptions::default());
            bytes += out.output.len();
            perso_seen += usize::from(out.class == habeas_mail::Class::Perso);
        }
        filter_samples.push(t.elapsed());
        std::hint::black_box(bytes);
    }
    let rate = |d: Duration| messages.len() as f64 / d.as_secs_f64();
    let c = median(classify_samples);
    let f = median(filter_samples);
    println!(
        "classify (headers → class):        median {:.3?} = {:>9.0} messages/s",
        c,
        rate(c)
    );
    println!(
        "filter (classify + tagged copy):   median {:.3?} = {:>9.0} messages/s  (goal ≥ 20000; ratio {:.1}×)",
        f,
        rate(f),
        rate(f) / 20_000.0
    );
    println!("  messages classified perso by the filter: {perso_seen}");
    drop(messages);

    // 2. Export (find + mboxrd) and purge (find + unlink + fsync) on disk.
    let mut export_samples = Vec::new();
    let mut purge_samples = Vec::new();
    for run in 0..runs {
        if run > 0 {
            fs::remove_dir_all(&root).unwrap();
            maildir_gen::generate(&root, count, 2026);
        }
        let mbox = base.join(format!("perso-{run}.mbox"));
        let t = Instant::now();
        let found = find_perso(&root, &lists).unwrap();
        let totals = export_mbox(&root, &found, &mbox).unwrap();
        export_samples.push(t.elapsed());
        assert_eq!(totals.messages, generated.perso.len());
        fs::remove_file(&mbox).unwrap();
        let t = Instant::now();
        let found = find_perso(&root, &lists).unwrap();
        let totals = purge(&root, &found).unwrap();
        purge_samples.push(t.elapsed());
        assert_eq!(totals.messages, generated.perso.len());
    }
    let e = median(export_samples);
    let p = median(purge_samples);
    println!(
        "perso export of {count}-message Maildir: median {:.3?} (goal ≤ 10 s; ratio {:.1}× under)",
        e,
        10.0 / e.as_secs_f64()
    );
    println!(
        "perso purge of {count}-message Maildir:  median {:.3?} (goal ≤ 10 s; ratio {:.1}× under)",
        p,
        10.0 / p.as_secs_f64()
    );
    let _ = fs::remove_dir_all(&base);
}
