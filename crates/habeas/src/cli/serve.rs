//! `habeas serve`: start the HTTP API on the project's vault
//! (127.0.0.1:8080 by default, `[server] listen` in habeas.toml, or `--listen`).
//! Also `serve_project`, which `habeas demo` uses to bring the demo alive.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use habeas_core::clock::SystemClock;
use habeas_core::settings::Settings;
use habeas_engine::{Caller, Vault, project, synthetic};
use habeas_web::ui::{UiConfig, UiState};

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (default: [server] listen of habeas.toml, else 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Fill the vault with this many fictitious demo subjects first, and
    /// print a token for every declared purpose (what `habeas demo` does).
    #[arg(long, value_name = "N")]
    pub demo_subjects: Option<u64>,
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let settings = project::load_settings(&global.dir)?;
    let listen = args
        .listen
        .unwrap_or_else(|| settings.server.listen.get_ref().clone());
    if let Some(n) = args.demo_subjects {
        return serve_project(&global.dir, &settings, &listen, n);
    }
    let vault = open(&global.dir, &settings)?;
    let jobs = super::scheduler::plan(&global.dir, &settings)?;
    let ui = ui_state(&global.dir, &settings, &vault, &listen)?;
    serve_vault_with(vault, &listen, None, jobs, Some(ui))?;
    Ok(ExitCode::SUCCESS)
}

/// The project's vault, with the rights API's mailer and code key and the
/// breach clocks installed — all from the one reading of the settings.
fn open(dir: &Path, settings: &Settings) -> anyhow::Result<Arc<Vault>> {
    let vault = Arc::new(project::open_project_with(
        dir,
        settings,
        Arc::new(SystemClock),
    )?);
    super::requests::install_rights_api(dir, settings, &vault)?;
    habeas_web::breach::install_clocks(settings.breach.clocks());
    Ok(vault)
}

/// The staff console and the subjects' portal ("Mes données"): their keys
/// come from the vault, their mail goes through the project's mailer, and
/// sign-in links point at `[server] public_url` (default: the listen address).
fn ui_state(
    dir: &Path,
    settings: &Settings,
    vault: &Arc<Vault>,
    listen: &str,
) -> anyhow::Result<UiState> {
    let mailer = super::requests::mailer_for(dir, settings, vault)?;
    let public_url = settings
        .server
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{listen}"));
    let mut config = UiConfig::new(public_url);
    config.journal_retention = settings.audit.journal_retention();
    config.trusted_proxies = settings.server.trusted_proxies();
    Ok(UiState::open(
        Arc::clone(vault),
        Arc::new(mailer),
        Arc::new(SystemClock),
        config,
    )?)
}

/// Start the server on the project in `dir` (the demo provider for
/// `habeas demo`): if the vault holds fewer than `demo_subjects` subjects,
/// fill it with synthetic, clearly fictitious ones (one record in every
/// declared category each), create a token for every declared purpose, print
/// the URL and the token, and serve until Ctrl-C.
pub fn serve_project(
    dir: &Path,
    settings: &Settings,
    listen: &str,
    demo_subjects: u64,
) -> anyhow::Result<ExitCode> {
    let vault = open(dir, settings)?;
    let have = vault.counts()?.get("subjects").copied().unwrap_or(0) as u64;
    let operator = Caller::operator("demo", "administration");
    if have < demo_subjects {
        eprintln!(
            "création de {} personnes fictives / creating {} fictitious subjects…",
            demo_subjects - have,
            demo_subjects - have
        );
        let mut from = have;
        while from < demo_subjects {
            let to = (from + 100).min(demo_subjects);
            let receipt = vault.write_bulk(
                &operator,
                synthetic::subjects(vault.declarations(), from, to),
            )?;
            super::demo::record_consents(&vault, receipt.created_subjects.values())?;
            from = to;
        }
    }
    let purposes: Vec<String> = vault
        .declarations()
        .activities
        .keys()
        .map(|k| k.get_ref().clone())
        .collect();
    let (_, secret) = vault.create_token(&operator, "demo", &purposes, &[])?;
    let example_purpose = purposes.first().cloned().unwrap_or_default();
    let ui = ui_state(dir, settings, &vault, listen)?;
    serve_vault_with(
        vault,
        listen,
        Some((secret, example_purpose)),
        None,
        Some(ui),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Bind, print the URL (and the demo token and a purpose it covers, for the
/// printed example), serve until Ctrl-C or SIGTERM; with the retention
/// scheduler beside the API when `jobs` is given (`[scheduler]` of
/// habeas.toml) and the console and portal pages when `ui` is.
pub fn serve_vault_with(
    vault: Arc<Vault>,
    listen: &str,
    token: Option<(String, String)>,
    jobs: Option<super::scheduler::Plan>,
    ui: Option<UiState>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Held while serving: a `habeas backup restore` is refused meanwhile.
    let _serving = habeas_engine::backup::ServeLock::take(&vault)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen} (choose another with --listen)"))?;
        let addr = listener.local_addr()?;
        if let Some(jobs) = jobs {
            super::scheduler::spawn(Arc::clone(&vault), jobs)?;
        }
        spawn_key_sweep(Arc::clone(&vault))?;
        if let Some(ui) = &ui {
            spawn_sign_in_sweep(ui.clone());
        }
        let url = habeas_web::url_of(addr);
        if let Some(warning) = exposure_warning(addr.ip(), ui.as_ref().map(UiState::public_url)) {
            eprintln!("{warning}");
        }
        if let Some(warning) = ui
            .as_ref()
            .and_then(|ui| proxy_warning(ui.public_url(), ui.trusted_proxies().len()))
        {
            eprintln!("{warning}");
        }
        println!("habeas écoute sur / listening on {url}");
        println!("API : {url}/api/openapi.json");
        if ui.is_some() {
            println!("portail / portal: {url}/portail — console: {url}/console");
        }
        if let Some((token, purpose)) = token {
            println!("jeton de démonstration / demo token: {token}");
            println!(
                "essai / try: curl -s -X POST {url}/api/subjects/find -H 'Authorization: Bearer {token}' \
                 -H 'X-Habeas-Purpose: {purpose}' -d '{{\"kind\":\"email\",\"value\":\"demo.1@example.org\"}}'"
            );
        }
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        match ui {
            Some(ui) => habeas_web::serve_with_ui(listener, vault, ui, shutdown_signal()).await,
            None => habeas_web::serve(listener, vault, shutdown_signal()).await,
        }
        .context("the HTTP server stopped")
    })
}

/// Drop the unwrapped data keys past their time on a timer (`[server]
/// key_cache_seconds`), so a key nobody asks for again — or one another
/// process shredded — leaves the server's memory (RELIABILITY.md T24).
fn spawn_key_sweep(vault: Arc<Vault>) -> anyhow::Result<()> {
    let Some(period) = habeas_engine::key_cache::sweep_period(vault.key_cache_ttl()?) else {
        return Ok(());
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if vault.expire_cached_keys().is_err() {
                // A poisoned lock: every later key use fails loudly too.
                tracing::error!("the data-key cache could not be swept");
            }
        }
    });
    Ok(())
}

/// Delete the sign-in records whose time is over (ended portal codes and
/// sessions, ended staff sessions) at start and then every hour: each
/// names a person and serves only while it can be used.
fn spawn_sign_in_sweep(ui: UiState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            match ui.sweep_sign_ins().await {
                Ok(done) if done.total() > 0 => tracing::info!(
                    portal_codes = done.portal_codes,
                    portal_sessions = done.portal_sessions,
                    staff_sessions = done.staff_sessions,
                    "ended sign-in records deleted"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the sign-in sweep failed; it runs again in an hour")
                }
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// What to say when the server is reachable from other machines over plain
/// HTTP: Habeas does not terminate TLS, so bearer tokens and page sessions
/// would cross the network in clear, and browsers refuse the pages'
/// `Secure` cookies outside HTTPS (sign-in would silently fail). Loopback,
/// or a public `https://` address (a reverse proxy in front), says nothing.
fn exposure_warning(ip: std::net::IpAddr, public_url: Option<&str>) -> Option<String> {
    if ip.is_loopback() || public_url.is_some_and(|u| u.starts_with("https://")) {
        return None;
    }
    Some(format!(
        "attention : {ip} est joignable depuis le réseau en HTTP clair ; placez un proxy HTTPS devant Habeas et indiquez son adresse dans [server] public_url = \"https://…\" (jetons et sessions passeraient en clair, les navigateurs refusent les cookies Secure des pages hors HTTPS) / \
         warning: {ip} is reachable from the network over plain HTTP; put an HTTPS reverse proxy in front of Habeas and set its address as [server] public_url = \"https://…\" (tokens and sessions would cross in clear; browsers refuse the pages' Secure cookies outside HTTPS)"
    ))
}

/// What to say when the pages are served through an HTTPS proxy (a public
/// `https://` address) that is not trusted: every client then has the
/// proxy's address, and twenty failed sign-ins from anyone lock every staff
/// member out (the lock-out per source address, docs/auth.md).
fn proxy_warning(public_url: &str, trusted_proxies: usize) -> Option<String> {
    if trusted_proxies > 0 || !public_url.starts_with("https://") {
        return None;
    }
    Some(
        "attention : derrière un proxy HTTPS, indiquez-le dans [server] trusted_proxies (ex. [\"127.0.0.1\"]) ; sinon chaque client a l'adresse du proxy et vingt échecs de connexion de n'importe qui bloquent tout le personnel / \
         warning: behind an HTTPS proxy, list it in [server] trusted_proxies (e.g. [\"127.0.0.1\"]); otherwise every client has the proxy's address and twenty failed sign-ins from anyone lock every staff member out"
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::{exposure_warning, proxy_warning};

    #[test]
    fn an_untrusted_https_proxy_is_warned_about() {
        let w = proxy_warning("https://habeas.example.org", 0).expect("warned");
        assert!(w.contains("trusted_proxies"), "{w}");
        assert_eq!(proxy_warning("https://habeas.example.org", 1), None);
        assert_eq!(proxy_warning("http://127.0.0.1:8080", 0), None, "no proxy");
    }

    #[test]
    fn plain_http_beyond_loopback_is_warned_about() {
        let any: std::net::IpAddr = "0.0.0.0".parse().expect("ip");
        let lan: std::net::IpAddr = "192.0.2.10".parse().expect("ip");
        for local in ["127.0.0.1", "::1"] {
            let ip = local.parse().expect("ip");
            assert_eq!(exposure_warning(ip, None), None, "{local}");
        }
        for ip in [any, lan] {
            let w = exposure_warning(ip, None).expect("warned");
            assert!(
                w.contains("public_url") && w.contains(&ip.to_string()),
                "{w}"
            );
            assert!(exposure_warning(ip, Some("http://habeas.example.org")).is_some());
            assert_eq!(
                exposure_warning(ip, Some("https://habeas.example.org")),
                None
            );
        }
    }
}
