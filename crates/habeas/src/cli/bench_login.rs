//! `habeas bench login`: a staff sign-in flood against the real server on
//! loopback, while a legitimate user signs in and pages are read (issue 8,
//! "login flood"). Build with `--release`.
//!
//! What runs: a temporary project with the demo provider's declarations,
//! the server (`serve_with_ui`, real argon2id parameters unless
//! `--test-hashing`), one legitimate staff account. First a baseline: the
//! legitimate user signs in alone. Then `--workers` tasks send wrong
//! passwords at `--rate` attempts per second for `--seconds`, each worker
//! from its own source address in 127.0.0.0/8 (Linux answers on the whole
//! loopback range), to made-up logins (`--target-user` aims them at the
//! legitimate login instead: the account lock-out then locks its owner out,
//! which is the documented price of per-account lock-out). Meanwhile the
//! legitimate user signs in from 127.0.0.1 every 200 ms and a reader loads
//! the sign-in page every 50 ms. Every request is bounded in time; the run
//! stops by itself.
//!
//! Reported: the legitimate sign-in latency and the page-read latency
//! (median, p99, max) against the baseline, and what the server answered
//! the flood (401 wrong password after hashing, 429 locked before hashing,
//! 503 busy: the hashing pool's queue is full).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use habeas_core::clock::SystemClock;
use habeas_engine::{Caller, project};
use habeas_notify::{OutboxMailer, Sender};
use habeas_web::ui::auth::{Auth, CsrfKey, HashParams, NewStaff, RoleCatalog};
use habeas_web::ui::{UiConfig, UiState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Wrong-password attempts per second, in all.
    #[arg(long, default_value_t = 1000)]
    pub rate: u32,
    /// Seconds of flood.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Flooding tasks, each from its own loopback address (127.0.1.x).
    #[arg(long, default_value_t = 64)]
    pub workers: u32,
    /// Aim the flood at the legitimate user's login (lock-out DoS case).
    #[arg(long)]
    pub target_user: bool,
    /// Cheap hashing parameters instead of OWASP's (never in production).
    #[arg(long)]
    pub test_hashing: bool,
}

const LOGIN: &str = "lea";
const PASSWORD: &str = "Cheval-Agrafe-Batterie-42";
/// One request's time limit: the bench never waits for ever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

struct Server {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

fn start(args: &Args, rt: &tokio::runtime::Runtime) -> anyhow::Result<Server> {
    let dir = super::bench::temp_project("login")?;
    std::fs::create_dir_all(dir.path().join("declarations"))?;
    for (name, text) in super::demo::DEMO_FILES {
        std::fs::write(dir.path().join(name), text)?;
    }
    let vault = Arc::new(project::open_project(dir.path())?);
    let outbox = dir.path().join("outbox");
    std::fs::create_dir_all(&outbox)?;
    let mailer = OutboxMailer::new(&outbox, Sender::new("privacy@example.org", None)?)?;
    let mut config = UiConfig::new("https://habeas.bench");
    if args.test_hashing {
        config.auth.hashing = HashParams::TEST_ONLY;
    }
    // A support account: no second factor is mandatory for it.
    let auth = Auth::new(
        config.auth.clone(),
        RoleCatalog::from_declarations(vault.declarations()),
        CsrfKey::generate().context("csrf key")?,
    )?;
    let docs = vault.docs(Caller::operator("bench", "staff-admin"));
    let svc = auth.service(&docs, &SystemClock);
    let created = svc.add_staff(&NewStaff {
        login: LOGIN.into(),
        display_name: "Léa (bench)".into(),
        roles: ["support".to_string()].into_iter().collect(),
    })?;
    svc.change_password(
        &created.summary.id,
        created.initial_password.expose(),
        PASSWORD,
    )?;
    let state = UiState::open(
        Arc::clone(&vault),
        Arc::new(mailer),
        Arc::new(SystemClock),
        config,
    )?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    rt.spawn(async move {
        habeas_web::serve_with_ui(listener, vault, state, std::future::pending()).await
    });
    Ok(Server { addr, _dir: dir })
}

/// One HTTP/1.1 exchange from `source`; the status and the body.
async fn http(server: SocketAddr, source: IpAddr, request: &str) -> anyhow::Result<(u16, String)> {
    let exchange = async {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(source, 0))?;
        let mut s = socket.connect(server).await?;
        s.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Ok::<_, std::io::Error>((status, text))
    };
    Ok(tokio::time::timeout(REQUEST_TIMEOUT, exchange).await??)
}

/// The pre-session cookie and the CSRF token of the sign-in form.
async fn sign_in_form(server: SocketAddr, source: IpAddr) -> anyhow::Result<(String, String)> {
    let req =
        format!("GET /console/connexion HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n");
    let (_, text) = http(server, source, &req).await?;
    let cookie = text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or(l.strip_prefix("Set-Cookie: "))
        })
        .find(|c| c.starts_with("__Host-habeas_pre="))
        .and_then(|c| c.split(';').next())
        .context("no pre-session cookie")?
        .to_string();
    let marker = "name=\"csrf\" value=\"";
    let at = text.find(marker).context("no csrf field")? + marker.len();
    let csrf = text[at..].split('"').next().unwrap_or_default().to_string();
    Ok((cookie, csrf))
}

fn login_request(server: SocketAddr, cookie: &str, csrf: &str, login: &str, pw: &str) -> String {
    let body = format!("csrf={csrf}&login={login}&password={pw}");
    format!(
        "POST /console/connexion HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, u64>,
}

impl Samples {
    fn add(&mut self, took: Duration, status: u16) {
        self.latencies.push(took);
        *self.statuses.entry(status).or_default() += 1;
    }

    fn quantile(&self, q: f64) -> Duration {
        let mut v = self.latencies.clone();
        v.sort();
        super::bench::quantile(&v, q)
    }

    fn line(&self, what: &str) -> String {
        format!(
            "{what}: n={} median={:.1} ms p99={:.1} ms max={:.1} ms statuses={:?}",
            self.latencies.len(),
            ms(self.quantile(0.5)),
            ms(self.quantile(0.99)),
            ms(self.quantile(1.0)),
            self.statuses
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The legitimate user signs in every 200 ms, and a reader loads the
/// sign-in page every 50 ms, until `until`.
async fn legitimate(server: SocketAddr, until: Instant) -> anyhow::Result<(Samples, Samples)> {
    let me = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let (cookie, csrf) = sign_in_form(server, me).await?;
    let reader = tokio::spawn(async move {
        let mut reads = Samples::default();
        let req = format!(
            "GET /console/connexion HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n"
        );
        while Instant::now() < until {
            let t = Instant::now();
            let status = http(server, me, &req).await.map_or(0, |r| r.0);
            reads.add(t.elapsed(), status);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        reads
    });
    let mut logins = Samples::default();
    let req = login_request(server, &cookie, &csrf, LOGIN, PASSWORD);
    while Instant::now() < until {
        let t = Instant::now();
        let status = http(server, me, &req).await.map_or(0, |r| r.0);
        logins.add(t.elapsed(), status);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok((logins, reader.await?))
}

/// One flooding task from `source`, sending `per_sec` attempts per second
/// open-loop (an attempt leaves on time whether or not the earlier ones were
/// answered), at most `MAX_IN_FLIGHT` unanswered at once; attempts beyond
/// are counted as status 0 ("not sent": the client was saturated).
async fn flood(
    server: SocketAddr,
    source: IpAddr,
    worker: u32,
    per_sec: f64,
    target_user: bool,
    until: Instant,
) -> anyhow::Result<Samples> {
    const MAX_IN_FLIGHT: usize = 256;
    let (cookie, csrf) = sign_in_form(server, source).await?;
    let mut out = Samples::default();
    let mut pending = tokio::task::JoinSet::new();
    let gap = Duration::from_secs_f64(1.0 / per_sec);
    let mut next = Instant::now();
    let mut n = 0u64;
    while Instant::now() < until {
        while let Some(done) = pending.try_join_next() {
            let (took, status) = done?;
            out.add(took, status);
        }
        if pending.len() >= MAX_IN_FLIGHT {
            out.add(Duration::ZERO, 0);
        } else {
            let login = if target_user {
                LOGIN.to_string()
            } else {
                format!("guess{worker}x{n}")
            };
            let req = login_request(server, &cookie, &csrf, &login, "wrong-password-123");
            pending.spawn(async move {
                let t = Instant::now();
                let status = http(server, source, &req).await.map_or(0, |r| r.0);
                (t.elapsed(), status)
            });
        }
        n += 1;
        next += gap;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    // Answers still due are awaited (each is bounded by REQUEST_TIMEOUT).
    while let Some(done) = pending.join_next().await {
        let (took, status) = done?;
        out.add(took, status);
    }
    Ok(out)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        (1..=250).contains(&args.workers),
        "--workers must be 1 to 250 (one loopback address each)"
    );
    anyhow::ensure!(
        args.rate > 0 && args.seconds > 0,
        "--rate and --seconds must be positive"
    );
    anyhow::ensure!(args.seconds <= 600, "--seconds must be at most 600");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let server = start(&args, &rt)?;
    let addr = server.addr;
    println!(
        "# habeas bench login — {} wrong passwords/s for {} s from {} loopback sources, hashing {}, flood aimed at {}",
        args.rate,
        args.seconds,
        args.workers,
        if args.test_hashing {
            "TEST_ONLY"
        } else {
            "OWASP (argon2id m=19 MiB, t=2)"
        },
        if args.target_user {
            "the legitimate login"
        } else {
            "made-up logins"
        }
    );
    rt.block_on(async {
        // Baseline: the legitimate user alone.
        let (base_logins, base_reads) =
            legitimate(addr, Instant::now() + Duration::from_secs(3)).await?;
        println!("{}", base_logins.line("baseline sign-in (alone)"));
        println!("{}", base_reads.line("baseline page read (alone)"));
        // The flood, with the legitimate user and the reader alongside.
        let until = Instant::now() + Duration::from_secs(args.seconds);
        let per_worker = f64::from(args.rate) / f64::from(args.workers);
        let mut floods = Vec::new();
        for w in 0..args.workers {
            let source = IpAddr::V4(Ipv4Addr::new(127, 0, 1, (w + 2) as u8));
            floods.push(tokio::spawn(flood(
                addr,
                source,
                w,
                per_worker,
                args.target_user,
                until,
            )));
        }
        let (logins, reads) = legitimate(addr, until).await?;
        let mut flood_all = Samples::default();
        for f in floods {
            let s = f.await??;
            flood_all.latencies.extend(s.latencies);
            for (k, v) in s.statuses {
                *flood_all.statuses.entry(k).or_default() += v;
            }
        }
        println!("{}", logins.line("legitimate sign-in (flood)"));
        println!("{}", reads.line("page read (flood)"));
        println!("{}", flood_all.line("flood answers"));
        let sent = flood_all.latencies.len() as f64;
        println!(
            "flood sent: {:.0} attempts/s; 401 (hashed) {:.1}%, 429 (locked, not hashed) {:.1}%, 503 (busy, not hashed) {:.1}%, 0 (no answer or not sent) {:.1}%",
            sent / args.seconds as f64,
            pct(&flood_all, 401, sent),
            pct(&flood_all, 429, sent),
            pct(&flood_all, 503, sent),
            pct(&flood_all, 0, sent),
        );
        let base = ms(base_logins.quantile(0.5)).max(0.001);
        println!(
            "ratio: legitimate sign-in median under flood / alone = {:.2}; page read p99 under flood = {:.1} ms",
            ms(logins.quantile(0.5)) / base,
            ms(reads.quantile(0.99))
        );
        Ok::<_, anyhow::Error>(())
    })?;
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(ExitCode::SUCCESS)
}

fn pct(s: &Samples, status: u16, sent: f64) -> f64 {
    if sent == 0.0 {
        return 0.0;
    }
    s.statuses.get(&status).copied().unwrap_or(0) as f64 * 100.0 / sent
}
