//! # habeas-web — the HTTP API over the vault
//!
//! axum 0.8. Routes (documented in `/api/openapi.json` and `docs/api.md`):
//! `POST /api/subjects`, `POST /api/subjects/{id}/records`,
//! `POST /api/records/bulk` (JSON Lines), `GET /api/subjects/{id}/records`,
//! `POST /api/subjects/find`, `GET /api/stats/{category}` (aggregated
//! figures), plus `/healthz` and Prometheus `/metrics`.
//!
//! Authentication is a bearer application token scoped to purposes and
//! categories; the purpose of each call is stated in `X-Habeas-Purpose`
//! (optional when the token has one purpose); a request with a body has its
//! token checked before the body is read ([`api::token_first`]: a wrong
//! token is 401, never 400); the handlers of `api` take the token found
//! there instead of authenticating again. Refusals are 403 with the
//! reason, and are journaled. Bad input gets a precise JSON error and
//! writes nothing. Store and crypto work runs through [`blocking`], except
//! the token check and the audited single-record calls (write, read, find),
//! whose few indexed reads run on the async worker when no key-store access
//! is needed, and whose commit is awaited ([`journaled`]).

mod api;
pub mod breach;
mod dto;
mod error;
pub mod mail_lists;
pub mod metrics;
pub mod notices;
mod openapi;
pub mod rights;
mod stats;
mod storage_full;
#[cfg(test)]
mod test_support;
pub mod ui;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use habeas_engine::{EngineError, Refusal, Vault};

pub use error::ApiError;
pub use openapi::ApiDoc;

/// Largest single-record body.
pub const MAX_RECORD_BODY: usize = 256 * 1024;
/// Largest bulk body.
pub const MAX_BULK_BODY: usize = 64 * 1024 * 1024;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub vault: Arc<Vault>,
    metrics: Arc<metrics::Metrics>,
}

/// Run blocking engine work off the async workers; the one place that does.
pub(crate) async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Vault) -> Result<T, EngineError> + Send + 'static,
{
    let vault = Arc::clone(&state.vault);
    let work = move || {
        // The blocking thread lives on: its stack must not keep key bytes.
        let _wipe = habeas_engine::WipeStackOnReturn;
        f(&vault)
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(join) => {
            tracing::error!(error = %join, "a blocking task failed");
            Err(EngineError::Storage("a worker task failed".into()).into())
        }
    }
}

/// Where an audited call's own work runs before its commit is awaited.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// On the async worker: a few indexed SQLite reads in the page cache and
    /// tens of microseconds of CPU cost less than the blocking pool's two
    /// thread hand-offs (docs/benchmarks-vault.md, session 8).
    Inline,
    /// On the blocking pool: the call may touch the key store (a data key
    /// created with its fsync, or unwrapped, perhaps by a PKCS#11 token).
    Blocking,
}

impl Plan {
    /// Inline when the store's reads are local and the data key of `key`
    /// (subject, category), if the call needs one, is in memory.
    pub(crate) fn for_call(vault: &Vault, key: Option<(&str, &str)>) -> Plan {
        let quick = vault.reads_are_local()
            && key.is_none_or(|(subject, category)| vault.data_key_in_memory(subject, category));
        if quick { Plan::Inline } else { Plan::Blocking }
    }
}

/// Run an engine call as `plan` says (a token check).
pub(crate) async fn planned<T, F>(state: &AppState, plan: Plan, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Vault) -> Result<T, EngineError> + Send + 'static,
{
    match plan {
        Plan::Inline => {
            let out = f(&state.vault);
            // The worker's stack below this frame held the call's key use.
            habeas_engine::wipe_stack_if_keys_touched();
            out.map_err(ApiError::from)
        }
        Plan::Blocking => blocking(state, f).await,
    }
}

/// Run an audited engine call and await the commit of its journal entries
/// ([`habeas_engine::Journaled`]): no thread waits for the commit, the
/// thread that commits wakes this task.
pub(crate) async fn journaled<T, F>(state: &AppState, plan: Plan, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Vault) -> Result<habeas_engine::Journaled<T>, EngineError> + Send + 'static,
{
    let pending = planned(state, plan, f).await?;
    pending.answer().await.map_err(ApiError::from)
}

/// The application's routes.
pub fn router(vault: Arc<Vault>) -> Router {
    let state = AppState {
        vault,
        metrics: Arc::new(metrics::Metrics::default()),
    };
    let single = DefaultBodyLimit::max(MAX_RECORD_BODY);
    Router::new()
        .route("/api/subjects", post(api::create_subject).layer(single))
        .route("/api/subjects/find", post(api::find).layer(single))
        .route(
            "/api/subjects/{subject}/records",
            post(api::write_record).layer(single).get(api::read_records),
        )
        .route(
            "/api/subjects/{subject}/events",
            post(api::date_event).layer(single),
        )
        .route(
            "/api/records/bulk",
            post(api::write_bulk).layer(DefaultBodyLimit::max(MAX_BULK_BODY)),
        )
        .merge(rights::routes())
        .merge(mail_lists::routes())
        .merge(breach::routes())
        .merge(notices::routes())
        .merge(stats::routes())
        // The token before the body, on every API route so far (the pages
        // merged later have their own sessions).
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            api::token_first,
        ))
        .route("/api/openapi.json", get(openapi::serve_json))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(unknown_api_route)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// An address no API route serves: a JSON error like every other, pointing
/// to the document that lists the routes — never an empty body.
async fn unknown_api_route() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        Refusal::new(
            "unknown_route",
            "aucune route de l'API à cette adresse ; GET /api/openapi.json les décrit toutes",
            "no API route at this address; GET /api/openapi.json describes them all",
        ),
    )
    .into_response()
}

/// A method an API route does not serve: 405 with a JSON error (axum keeps
/// the `Allow` header listing the methods it does serve).
async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        Refusal::new(
            "method_not_allowed",
            "cette méthode n'est pas servie à cette adresse ; l'en-tête Allow donne celles qui le sont, GET /api/openapi.json les décrit",
            "this method is not served at this address; the Allow header lists those that are, GET /api/openapi.json describes them",
        ),
    )
    .into_response()
}

/// With the pages: an unknown address under `/api/` answers as the API
/// does; any other gets the "page not found" page of its area (console or
/// portal), in the visitor's language, with the pages' security headers.
async fn unknown_address(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return unknown_api_route().await;
    }
    let area = if path == "/console" || path.starts_with("/console/") {
        ui::page::Area::Console
    } else {
        ui::page::Area::Portal
    };
    let lang = ui::http::lang_of(uri.query(), &headers).lang;
    let mut page = ui::page::Failure::NotFound.render(lang, area);
    ui::http::set_security_headers(page.headers_mut());
    page
}

async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = next.run(req).await;
    state
        .metrics
        .observe(&route, response.status().as_u16(), started.elapsed());
    response
}

async fn healthz(State(state): State<AppState>) -> Response {
    match blocking(&state, |v| v.counts()).await {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => e.into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let counts = blocking(&state, |v| v.counts()).await.unwrap_or_default();
    let get = |k: &str| counts.get(k).copied().unwrap_or(0);
    let body = state.metrics.render(&[
        (
            "habeas_vault_subjects",
            "Data subjects in the vault.",
            get("subjects"),
        ),
        (
            "habeas_vault_records",
            "Sealed records in the vault.",
            get("records"),
        ),
        (
            "habeas_vault_partitions",
            "Time partitions of high-volume categories.",
            get("partitions"),
        ),
        (
            "habeas_journal_entries",
            "Audit journal entries kept.",
            get("journal_entries"),
        ),
    ]);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

/// Serve on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    vault: Arc<Vault>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(vault))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serve the API and the pages (console, portal) on `listener` until
/// `shutdown` resolves; the peer address reaches the staff sign-in lock-out.
pub async fn serve_with_ui(
    listener: tokio::net::TcpListener,
    vault: Arc<Vault>,
    ui: ui::UiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(vault)
        .merge(ui::routes(ui))
        .fallback(unknown_address);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The address a listener is bound to (for printing the URL).
pub fn url_of(addr: SocketAddr) -> String {
    format!("http://{addr}")
}
