//! # The web pages: staff sign-in, the DPO console and the "Mes données" portal
//!
//! Why a module apart from the JSON API: pages carry a browser session (a
//! cookie) instead of a bearer token, so every form needs a CSRF token, every
//! answer needs strict security headers, and the text must exist in French
//! and English. The JSON API keeps its own rules in `api.rs`.
//!
//! Layout: [`page`] (shell, styles, language), [`http`] (cookies, headers,
//! CSRF, peer address), [`secret`] (the server keys, kept sealed in the vault),
//! [`staff`] (sign-in, password change, TOTP enrolment, logout), [`console`]
//! (requests, breaches, journal), [`console_requests`] (one request's
//! history, clocks and workflow forms), [`console_act`] (what every other
//! console action shares: gate, CSRF, action table, journaled refusal),
//! [`console_retention`] (the purge plan, the last purges, legal holds
//! placed and released), [`console_register`] (the Art. 30 register and the
//! declarations check), [`console_notices`] (notice versions, announcing
//! one, delivery counts), [`console_alerts`] (refused accesses and bulk
//! reads), [`console_people`] (staff of every role find a subject and read
//! their data within their role), [`console_staff`] (staff accounts and application tokens:
//! disable, reset TOTP, revoke; never a secret), [`portal_auth`] (single-use codes and
//! subject sessions), [`portal`] (the subject's pages), [`portal_rights`]
//! (what the portal's requests share; the requests page), [`portal_correct`],
//! [`portal_limits`], [`portal_account`] (correction, restriction and
//! objection, account closure) and [`portal_mail`] (mail lists). Every
//! store call runs on a blocking thread through [`UiState::run`].

mod code_budget;
mod console;
mod console_act;
mod console_alerts;
mod console_notices;
mod console_people;
mod console_people_event;
mod console_register;
mod console_requests;
mod console_retention;
mod console_staff;
pub(crate) mod http;
pub mod i18n;
pub(crate) mod page;
mod portal;
mod portal_account;
mod portal_auth;
mod portal_correct;
mod portal_limits;
mod portal_mail;
mod portal_notice;
mod portal_rights;
mod secret;
mod sign_in_sweep;
mod staff;

/// The staff sign-in library the pages use (for the `habeas staff` commands and tests).
pub use habeas_auth as auth;
pub use sign_in_sweep::SignInSweep;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use habeas_auth::{Auth, AuthConfig, CsrfKey, RoleCatalog};
use habeas_core::clock::Clock;
use habeas_engine::{Caller, EngineError, Vault};
use habeas_notify::Mailer;

/// How the pages behave; [`UiConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct UiConfig {
    /// The public `https://` address the portal's sign-in links point to.
    pub public_url: String,
    /// Roles that may open the console pages (requests, breaches, journal).
    pub console_roles: BTreeSet<String>,
    /// Staff sign-in parameters (hashing, lock-out, sessions, TOTP roles).
    pub auth: AuthConfig,
    /// Lifetime of a portal sign-in code, in minutes.
    pub portal_code_minutes: i64,
    /// Portal sessions end after this many idle minutes.
    pub portal_idle_minutes: i64,
    /// ... and after this many minutes in all.
    pub portal_absolute_minutes: i64,
    /// `[audit]` of habeas.toml: the journal page shows it and its cut-off.
    pub journal_retention: Option<habeas_core::journal_retention::JournalRetention>,
    /// `[server] trusted_proxies`: whose `X-Forwarded-For` names the client
    /// (the sign-in lock-out counts failures per client address).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl UiConfig {
    pub fn new(public_url: impl Into<String>) -> Self {
        UiConfig {
            public_url: public_url.into(),
            console_roles: ["admin", "dpo"].into_iter().map(String::from).collect(),
            auth: AuthConfig::default(),
            portal_code_minutes: 15,
            portal_idle_minutes: 15,
            portal_absolute_minutes: 60,
            journal_retention: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// What every page handler shares.
#[derive(Clone)]
pub struct UiState {
    pub(crate) vault: Arc<Vault>,
    pub(crate) auth: Arc<Auth>,
    pub(crate) mailer: Arc<dyn Mailer + Send + Sync>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: Arc<UiConfig>,
    pub(crate) keys: Arc<secret::WebKeys>,
    /// Portal sign-in codes mailed, per address and per client.
    pub(crate) code_budget: Arc<code_budget::CodeBudget>,
}

impl UiState {
    /// The public address the pages' links point to (`[server] public_url`).
    pub fn public_url(&self) -> &str {
        &self.config.public_url
    }

    /// The client of a request that came from `peer` with `headers`: the
    /// address a trusted proxy names, else the peer (`http::client_address`).
    pub(crate) fn client_address(
        &self,
        peer: std::net::IpAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        http::client_address(
            peer,
            &http::forwarded_for(headers),
            &self.config.trusted_proxies,
        )
    }

    /// `[server] trusted_proxies`, as the pages use them.
    pub fn trusted_proxies(&self) -> &[ipnet::IpNet] {
        &self.config.trusted_proxies
    }

    /// Loads (or creates) the server keys from the vault and starts the
    /// staff sign-in machinery. Blocking: call it before serving.
    pub fn open(
        vault: Arc<Vault>,
        mailer: Arc<dyn Mailer + Send + Sync>,
        clock: Arc<dyn Clock>,
        config: UiConfig,
    ) -> Result<UiState, EngineError> {
        let keys = secret::WebKeys::load(&vault)?;
        let roles = RoleCatalog::from_declarations(vault.declarations());
        let auth = Auth::new(
            config.auth.clone(),
            roles,
            CsrfKey::from_bytes(keys.csrf_bytes()),
        )
        .map_err(|e| EngineError::Storage(format!("staff sign-in settings: {e}")))?;
        Ok(UiState {
            vault,
            auth: Arc::new(auth),
            mailer,
            clock,
            config: Arc::new(config),
            keys: Arc::new(keys),
            code_budget: Arc::default(),
        })
    }

    /// Runs `f` on a blocking thread (store, hashing and crypto work).
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, page::Failure>
    where
        T: Send + 'static,
        F: FnOnce(&UiState) -> T + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let _wipe = habeas_engine::WipeStackOnReturn;
            f(&state)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "a page worker task failed");
            page::Failure::Internal
        })
    }

    /// The vault caller for writes made by the web layer itself (sessions,
    /// codes), journaled as `actor`.
    pub(crate) fn caller(actor: &str, purpose: &str) -> Caller {
        Caller::operator(actor, purpose)
    }
}

/// The pages' routes, to merge into the application router.
pub fn routes(state: UiState) -> Router {
    Router::new()
        .route("/ui/style.css", get(page::stylesheet))
        .route(
            "/console/connexion",
            get(staff::login_form).post(staff::login),
        )
        .route(
            "/console/mot-de-passe",
            get(staff::password_form).post(staff::change_password),
        )
        .route(
            "/console/totp",
            get(staff::totp_form).post(staff::totp_confirm),
        )
        .route("/console/deconnexion", post(staff::logout))
        .route("/console", get(console::requests))
        .route(
            "/console/demandes/{id}",
            get(console_requests::show).post(console_requests::act),
        )
        .route(
            "/console/personnes",
            get(console_people::search_page).post(console_people::search),
        )
        .route("/console/personnes/{subject}", get(console_people::subject))
        .route(
            "/console/personnes/{subject}/evenement",
            post(console_people_event::date_event),
        )
        .route("/console/violations", get(console::breaches))
        .route("/console/journal", get(console::journal))
        .route(
            "/console/conservation",
            get(console_retention::retention).post(console_retention::act),
        )
        .route("/console/registre", get(console_register::register))
        .route(
            "/console/politique",
            get(console_notices::notices).post(console_notices::act),
        )
        .route("/console/alertes", get(console_alerts::alerts))
        .route(
            "/console/equipe",
            get(console_staff::staff).post(console_staff::act),
        )
        .route("/portail", get(portal::home))
        .route("/portail/connexion", post(portal::ask_code))
        .route("/portail/lien", get(portal::link))
        .route("/portail/code", post(portal::enter_code))
        .route("/portail/export.json", get(portal::export_json))
        .route("/portail/export.zip", get(portal::export_zip))
        .route("/portail/consentement", post(portal::consent))
        .route("/portail/deconnexion", post(portal::logout))
        .route("/portail/politique", get(portal_notice::policy))
        .route(
            "/portail/corriger",
            get(portal_correct::correct_form).post(portal_correct::correct),
        )
        .route("/portail/corriger/code", post(portal_correct::correct_code))
        .route(
            "/portail/limiter",
            get(portal_limits::limits_form).post(portal_limits::limit),
        )
        .route("/portail/limiter/lever", post(portal_limits::lift))
        .route("/portail/demandes", get(portal_rights::requests))
        .route("/portail/compte", get(portal_account::account))
        .route("/portail/cloturer", post(portal_account::close_account))
        .route("/portail/reactiver", post(portal_account::reactivate))
        .route("/portail/listes", get(portal_mail::lists))
        .route("/portail/listes/ajout", post(portal_mail::add))
        .route("/portail/listes/retrait", post(portal_mail::remove))
        .route("/portail/listes/marquage", post(portal_mail::tag))
        .layer(middleware::from_fn(http::security_headers))
        .with_state(state)
}
