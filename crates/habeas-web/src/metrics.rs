//! Prometheus `/metrics`, hand-written text format (no extra dependency):
//! request counts by route and status, a latency histogram by route, vault
//! sizes read at scrape time, and the scheduled jobs' runs (SPEC C5: each
//! run "exposed in metrics"): runs by job and outcome, last run time, last
//! duration, items processed by job and kind of item. Job figures are
//! process-wide ([`record_job`]): the scheduler lives in the binary, the
//! exposition here. Labels hold job names and count kinds only — never a
//! subject, a record or a value.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    total: u64,
}

/// One scheduled job's figures since the process started.
#[derive(Default)]
struct JobStats {
    runs: BTreeMap<&'static str, u64>,
    last_run: f64,
    last_duration: f64,
    items: BTreeMap<String, u64>,
}

static JOBS: Mutex<BTreeMap<String, JobStats>> = Mutex::new(BTreeMap::new());

/// Record one scheduled run of `job`: its outcome, when it ended (Unix
/// seconds), how long it took, and what it processed (`item` kind → count,
/// e.g. `delete` → 120; summed over categories by the caller).
pub fn record_job(
    job: &str,
    succeeded: bool,
    finished_unix: f64,
    duration_secs: f64,
    items: &BTreeMap<String, u64>,
) {
    if let Ok(mut jobs) = JOBS.lock() {
        let stats = jobs.entry(job.to_string()).or_default();
        let outcome = if succeeded { "succeeded" } else { "failed" };
        *stats.runs.entry(outcome).or_default() += 1;
        stats.last_run = finished_unix;
        stats.last_duration = duration_secs;
        for (item, n) in items {
            *stats.items.entry(item.clone()).or_default() += n;
        }
    }
}

fn render_jobs(out: &mut String) {
    let Ok(jobs) = JOBS.lock() else { return };
    out.push_str("# HELP habeas_job_runs_total Scheduled job runs by job and outcome.\n");
    out.push_str("# TYPE habeas_job_runs_total counter\n");
    for (job, s) in jobs.iter() {
        for (outcome, n) in &s.runs {
            out.push_str(&format!(
                "habeas_job_runs_total{{job=\"{job}\",outcome=\"{outcome}\"}} {n}\n"
            ));
        }
    }
    out.push_str(
        "# HELP habeas_job_last_run_timestamp_seconds End of the job's last run (Unix time).\n",
    );
    out.push_str("# TYPE habeas_job_last_run_timestamp_seconds gauge\n");
    for (job, s) in jobs.iter() {
        out.push_str(&format!(
            "habeas_job_last_run_timestamp_seconds{{job=\"{job}\"}} {}\n",
            s.last_run
        ));
    }
    out.push_str("# HELP habeas_job_last_duration_seconds Duration of the job's last run.\n");
    out.push_str("# TYPE habeas_job_last_duration_seconds gauge\n");
    for (job, s) in jobs.iter() {
        out.push_str(&format!(
            "habeas_job_last_duration_seconds{{job=\"{job}\"}} {}\n",
            s.last_duration
        ));
    }
    out.push_str("# HELP habeas_job_items_total Items processed by scheduled jobs, by kind (delete, anonymise, held, partition_rows_expired, created...).\n");
    out.push_str("# TYPE habeas_job_items_total counter\n");
    for (job, s) in jobs.iter() {
        for (item, n) in &s.items {
            out.push_str(&format!(
                "habeas_job_items_total{{job=\"{job}\",item=\"{item}\"}} {n}\n"
            ));
        }
    }
}

/// In-process counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    pub fn observe(&self, route: &str, status: u16, took: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_string()).or_default();
            let secs = took.as_secs_f64();
            for (i, b) in BUCKETS.iter().enumerate() {
                if secs <= *b {
                    h.counts[i] += 1;
                }
            }
            h.sum += secs;
            h.total += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, gauges: &[(&str, &str, i64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP habeas_http_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE habeas_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((route, status), n) in r.iter() {
                out.push_str(&format!(
                    "habeas_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n"
                ));
            }
        }
        out.push_str("# HELP habeas_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE habeas_http_request_duration_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            for (route, h) in l.iter() {
                for (i, b) in BUCKETS.iter().enumerate() {
                    out.push_str(&format!(
                        "habeas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}\n",
                        h.counts[i]
                    ));
                }
                out.push_str(&format!(
                    "habeas_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n",
                    h.total
                ));
                out.push_str(&format!(
                    "habeas_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n",
                    h.sum
                ));
                out.push_str(&format!(
                    "habeas_http_request_duration_seconds_count{{route=\"{route}\"}} {}\n",
                    h.total
                ));
            }
        }
        render_jobs(&mut out);
        for (name, help, value) in gauges {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            ));
        }
        out
    }
}
