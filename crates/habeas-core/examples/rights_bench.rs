//! Micro-benchmark of the rights rules that sit on hot paths: the access
//! decision the vault makes on every read and write, deadline computation,
//! the `habeas requests` ordering, and the consent ledger.
//!
//! Run: `cargo run --release -p habeas-core --example rights_bench`.
//! Prints the median of 7 runs for each case; figures are recorded in
//! `docs/benchmarks-rights-core.md`.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use habeas_core::calendar::HolidayCalendar;
use habeas_core::consent::{
    ConsentAction, ConsentEvent, ConsentLedger, ConsentState, NoticeShown, Sha256Digest,
};
use habeas_core::delay::Delay;
use habeas_core::rights::{
    ActorScope, Operation, PurposeFacts, Request, RequestKind, SubjectState, decide,
    most_urgent_first, promised_due, sort_most_urgent_first, statutory_deadline,
};

const RUNS: usize = 7;

/// Median wall time of `RUNS` runs of `f`.
fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn per_op(total: Duration, n: u32) -> String {
    format!("{:.1} ns/op", total.as_nanos() as f64 / f64::from(n))
}

/// A deterministic pseudo-random sequence (xorshift), so runs compare.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn instant(rng: &mut Rng) -> DateTime<Utc> {
    // 2026-01-01 .. 2027-01-01
    let secs = 1_767_225_600 + (rng.next() % 31_536_000) as i64;
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn main() {
    let set = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let actor = ActorScope {
        role: "support".into(),
        purposes: set(&[
            "customer_support",
            "newsletter",
            "fraud",
            "billing",
            "hosting",
        ]),
        categories: set(&[
            "identity",
            "contact",
            "billing",
            "connection_logs",
            "tickets",
        ]),
    };
    let mut subject = SubjectState {
        restricted_purposes: set(&["fraud"]),
        ..Default::default()
    };
    subject.consents.insert(
        "newsletter".into(),
        ConsentState::Given {
            since: DateTime::<Utc>::MIN_UTC,
        },
    );
    let newsletter = PurposeFacts {
        name: "newsletter".into(),
        direct_marketing: true,
        consent_based: true,
    };
    let fraud = PurposeFacts {
        name: "fraud".into(),
        direct_marketing: false,
        consent_based: false,
    };

    const N: u32 = 1_000_000;
    let allow = median(|| {
        for _ in 0..N {
            black_box(decide(
                black_box(&actor),
                &subject,
                &newsletter,
                "contact",
                Operation::Read,
            ));
        }
    });
    let refuse = median(|| {
        for _ in 0..N {
            black_box(decide(
                black_box(&actor),
                &subject,
                &fraud,
                "contact",
                Operation::Read,
            ));
        }
    });
    println!(
        "decide, allowed (consent-based purpose, 4 checks): {}",
        per_op(allow, N)
    );
    println!(
        "decide, refused (restricted purpose):             {}",
        per_op(refuse, N)
    );

    // Holiday lookup: the allocation-free check against building the year's list.
    let days: Vec<chrono::NaiveDate> = (0..3_653)
        .filter_map(|i| {
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1)?.checked_add_days(chrono::Days::new(i))
        })
        .collect();
    let lookup = median(|| {
        for &d in &days {
            black_box(HolidayCalendar::FrAlsaceMoselle.is_holiday(black_box(d)));
        }
    });
    let via_list = median(|| {
        for &d in &days {
            let year = chrono::Datelike::year(&d);
            black_box(
                HolidayCalendar::FrAlsaceMoselle
                    .holidays(year)
                    .iter()
                    .any(|h| h.date == black_box(d)),
            );
        }
    });
    println!(
        "is_holiday (FR Alsace-Moselle, 10 years of days): {}",
        per_op(lookup, days.len() as u32)
    );
    println!(
        "  via the yearly list (allocating):               {}",
        per_op(via_list, days.len() as u32)
    );
    println!(
        "  ratio list / lookup: {:.1}",
        via_list.as_secs_f64() / lookup.as_secs_f64()
    );

    let mut rng = Rng(0x5eed);
    let receipts: Vec<DateTime<Utc>> = (0..100_000).map(|_| instant(&mut rng)).collect();
    let statutory = median(|| {
        for &at in &receipts {
            black_box(statutory_deadline(
                black_box(at),
                HolidayCalendar::FrAlsaceMoselle,
            ));
        }
    });
    let promised = median(|| {
        for &at in &receipts {
            black_box(promised_due(
                Delay::WorkingDays(5),
                black_box(at),
                HolidayCalendar::Be,
            ));
        }
    });
    println!(
        "statutory_deadline (Art. 12(3), FR Alsace-Moselle): {}",
        per_op(statutory, 100_000)
    );
    println!(
        "promised_due (5 working days, BE):                  {}",
        per_op(promised, 100_000)
    );

    let kinds = RequestKind::ALL;
    let delays = [
        None,
        Some(Delay::WorkingHours(48)),
        Some(Delay::Days(7)),
        Some(Delay::Hours(72)),
    ];
    let requests: Vec<Request> = (0..10_000)
        .map(|i| {
            Request::new(
                kinds[i % kinds.len()],
                instant(&mut rng),
                HolidayCalendar::Fr,
                delays[i % delays.len()],
            )
        })
        .collect();
    let by_comparator = median(|| {
        let mut list = requests.clone();
        list.sort_by(most_urgent_first);
        black_box(list);
    });
    let by_cached_key = median(|| {
        let mut list = requests.clone();
        sort_most_urgent_first(&mut list);
        black_box(list);
    });
    println!(
        "sort 10,000 requests, comparator:  {:.2} ms",
        by_comparator.as_secs_f64() * 1e3
    );
    println!(
        "sort 10,000 requests, cached keys: {:.2} ms",
        by_cached_key.as_secs_f64() * 1e3
    );
    println!(
        "  ratio comparator / cached: {:.1}",
        by_comparator.as_secs_f64() / by_cached_key.as_secs_f64()
    );

    // One subject's ledger: 20 purposes × 10 events.
    let notice = NoticeShown {
        version: "2026.1".into(),
        sha256: Sha256Digest::of(b"notice"),
    };
    let mut events = Vec::new();
    let start = DateTime::from_timestamp(1_767_225_600, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
    for p in 0..20 {
        for e in 0..10 {
            events.push(ConsentEvent {
                subject: "subject-1".into(),
                purpose: format!("purpose-{p}"),
                action: if e % 2 == 0 {
                    ConsentAction::Given
                } else {
                    ConsentAction::Withdrawn
                },
                at: start + chrono::Duration::days(e),
                channel: "portal".into(),
                notice: notice.clone(),
                recorded_by: None,
            });
        }
    }
    let ledger = match ConsentLedger::from_events(events) {
        Ok(l) => l,
        Err(e) => panic!("{e}"),
    };
    let may = median(|| {
        for _ in 0..10_000 {
            black_box(ledger.may_process(black_box("subject-1"), "purpose-7"));
        }
    });
    let proof = median(|| {
        for _ in 0..1_000 {
            black_box(ledger.proof("subject-1", start));
        }
    });
    println!(
        "consent may_process (200-event ledger): {}",
        per_op(may, 10_000)
    );
    println!(
        "consent proof (20 purposes, 200 events): {:.1} µs",
        proof.as_secs_f64() * 1e6 / 1_000.0
    );
}
