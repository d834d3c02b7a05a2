//! The breach register API (Art. 33(5) GDPR): the same operations as
//! `habeas breach` — open, change, decide (Art. 34), record the authority
//! notice (Art. 33(1), 33(4)), export the CNIL/APD form, count the impact
//! in the vault, close and reopen.
//!
//! Who may call it: a bearer token whose stated purpose (`X-Habeas-Purpose`,
//! or its only purpose) is a declared activity of kind `security` — handling
//! a breach is investigating a security incident (in the demo: PA-0004,
//! "Sécurité des services"). Every change is written as that token's actor
//! in the register and in the journal. Sending the letters to subjects and
//! controllers stays on the command line (`habeas breach notify-subjects`).
//!
//! Optimistic concurrency: each change names the `version` it was made on
//! (as returned by every answer); a stale version is 409 and writes nothing.
//!
//! Retention follows the CLI exactly (`habeas_breach::incident`): opening,
//! changing or reopening a breach holds its categories that declare an
//! incident retention and links the window's records (answer field
//! `incident`); closing releases the holds (`released_holds`). The clock
//! thresholds are `habeas.toml` `[breach]`, given by `habeas serve` through
//! [`install_clocks`].

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use habeas_breach::export::{self, render};
use habeas_breach::incident;
use habeas_breach::vault_bridge::{self, BridgeError};
use habeas_breach::{BreachPatch, BreachRegister, Form, NewBreach, RegisterError};
use habeas_core::breach::{
    Art34Decision, Art34Exemption, AuthorityNotification, BreachClockConfig, Phase, RiskLevel,
};
use habeas_core::clock::{Clock, SystemClock};
use habeas_core::declarations::PurposeKind;
use habeas_core::lang::Lang;
use habeas_engine::{Caller, EngineError, Refusal, Vault};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::{Credential, purpose};
use crate::error::{ApiError, ApiQuery};
use crate::{AppState, blocking};

/// The breach routes, merged into the application's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/breaches", post(open).get(list))
        .route("/api/breaches/{id}", get(show).patch(update))
        .route("/api/breaches/{id}/impact", post(impact))
        .route("/api/breaches/{id}/decision", post(decide))
        .route("/api/breaches/{id}/notifications", post(notify_authority))
        .route("/api/breaches/{id}/export", get(export_form))
        .route("/api/breaches/{id}/close", post(close))
        .route("/api/breaches/{id}/reopen", post(reopen))
}

// ---- clocks ------------------------------------------------------------------

static CLOCKS: OnceLock<BreachClockConfig> = OnceLock::new();

/// Give the server the breach clocks of `habeas.toml` `[breach]` (once, at
/// start-up, by `habeas serve`); until then the law's thresholds apply.
pub fn install_clocks(clocks: BreachClockConfig) {
    let _ = CLOCKS.set(clocks);
}

/// The breach clocks in force on this server (API and console).
pub fn clocks() -> BreachClockConfig {
    CLOCKS.get().copied().unwrap_or_default()
}

// ---- errors ----------------------------------------------------------------

fn register_error(e: RegisterError) -> ApiError {
    let (status, code, fr) = match &e {
        RegisterError::Storage(habeas_core::docs::DocError::Full) => {
            return ApiError::storage_full();
        }
        RegisterError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "unknown_breach",
            "violation inconnue",
        ),
        RegisterError::Conflict { .. } => (
            StatusCode::CONFLICT,
            "stale_version",
            "la violation a changé entre-temps ; rechargez-la",
        ),
        RegisterError::Closed(_) => (
            StatusCode::CONFLICT,
            "breach_closed",
            "violation clôturée ; rouvrez-la d'abord",
        ),
        RegisterError::Invalid(_) | RegisterError::Clock { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "refusé, rien n'a été enregistré",
        ),
        RegisterError::Duty { .. } | RegisterError::NotClosable { .. } => (
            StatusCode::CONFLICT,
            "duty_refused",
            "refusé au vu des obligations de la violation",
        ),
        RegisterError::IdsExhausted(_) => (
            StatusCode::CONFLICT,
            "ids_exhausted",
            "plus d'identifiant libre cette année",
        ),
        RegisterError::Corrupt { .. } | RegisterError::Storage(_) => {
            tracing::error!(error = %e, "breach register failure");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "register_failure",
                "le registre n'a pas pu être lu ou écrit",
            )
        }
    };
    ApiError::new(
        status,
        Refusal::new(code, format!("{fr} — {e}"), e.to_string()),
    )
}

fn bridge_error(e: BridgeError) -> ApiError {
    match e {
        BridgeError::Register(e) => register_error(e),
        BridgeError::Engine(e) => e.into(),
        BridgeError::Hold(_) => {
            tracing::error!(error = %e, "breach legal hold failure");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                Refusal::new(
                    "hold_failed",
                    format!("gel de conservation impossible — {e}"),
                    e.to_string(),
                ),
            )
        }
        other => {
            let status = match other {
                BridgeError::Input(_) | BridgeError::Draft(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            ApiError::new(
                status,
                Refusal::new(
                    "impact_failed",
                    format!("calcul d'impact impossible — {other}"),
                    other.to_string(),
                ),
            )
        }
    }
}

// ---- authentication ----------------------------------------------------------

/// The token's caller, if its stated purpose is a declared security activity.
fn breach_caller(
    vault: &Vault,
    credential: Credential,
    purpose: Option<String>,
) -> Result<Caller, ApiError> {
    credential.caller_of_kind(
        vault,
        purpose,
        &[PurposeKind::Security],
        "breach",
        Refusal::new(
            "purpose_not_security",
            "le registre des violations exige une finalité déclarée de type security (en-tête X-Habeas-Purpose)",
            "the breach register needs a declared purpose of kind security (X-Habeas-Purpose header)",
        ),
    )
}

/// Run `f` on a blocking thread with the register as the token's actor
/// (the token the [`crate::api::token_first`] layer authenticated for a
/// write, or the bearer token a read authenticates here: one lookup).
async fn run<T, F>(
    state: &AppState,
    credential: Credential,
    headers: &HeaderMap,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Vault, &BreachRegister<'_>, &str, DateTime<Utc>) -> Result<T, ApiError>
        + Send
        + 'static,
{
    let stated = purpose(headers);
    blocking(state, move |vault| {
        let result = breach_caller(vault, credential, stated).and_then(|caller| {
            static CLOCK: SystemClock = SystemClock;
            let by = caller.actor.clone();
            let docs = vault.docs(caller);
            let register = BreachRegister::new(&docs, &CLOCK, vault.declarations(), clocks());
            f(vault, &register, &by, CLOCK.now())
        });
        Ok::<_, EngineError>(result)
    })
    .await?
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::invalid_json(&e, None))
}

/// The snapshot's JSON with one more top-level field (what the call did
/// besides the register: holds placed or released, records linked).
fn with_field(
    snap: &habeas_breach::Snapshot,
    name: &str,
    extra: impl serde::Serialize,
) -> serde_json::Value {
    let mut v = serde_json::to_value(snap).unwrap_or_default();
    if let Some(map) = v.as_object_mut() {
        map.insert(
            name.to_string(),
            serde_json::to_value(extra).unwrap_or_default(),
        );
    }
    v
}

fn json(status: StatusCode, v: impl serde::Serialize) -> Response {
    (status, Json(serde_json::to_value(v).unwrap_or_default())).into_response()
}

// ---- bodies ------------------------------------------------------------------

/// A change made on a known version, with its reason (close, reopen).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub version: u64,
    pub reason: String,
}

/// A typed patch on a known version (fields of `BreachPatch`, see docs/breaches.md).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// The breach's `version` as last read: a change made meanwhile answers 409.
    pub version: u64,
    /// Each field given replaces the breach's (lists are replaced whole).
    pub patch: BreachPatch,
}

/// The Art. 34 decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub version: u64,
    /// `unlikely`, `risk` or `high`.
    pub risk: String,
    pub reasoning: String,
    /// `unintelligible`, `subsequent_measures` or `disproportionate_effort` (Art. 34(3)).
    pub exemption: Option<String>,
    pub exemption_reasoning: Option<String>,
}

/// A notice sent to the authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationBody {
    pub version: u64,
    /// `initial` or `complementary` (Art. 33(4)).
    pub phase: String,
    /// When it was sent; default now.
    pub at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub complete: bool,
    /// Reasons for a late notice (Art. 33(1)).
    pub delay_reason: Option<String>,
    /// The authority's case reference.
    pub reference: Option<String>,
    /// `cnil` or `apd`: the export sent, whose digest is recorded.
    pub form: Option<String>,
    /// `fr` or `en`: the language of that export.
    pub lang: Option<String>,
}

/// The export's options.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    form: Option<String>,
    lang: Option<String>,
    phase: Option<String>,
    format: Option<String>,
}

fn form(text: Option<&str>, vault: &Vault) -> Result<Form, ApiError> {
    match text {
        None => Ok(Form::for_declarations(vault.declarations())),
        Some("cnil") => Ok(Form::Cnil),
        Some("apd") => Ok(Form::Apd),
        Some(other) => Err(ApiError::invalid(
            "bad_form",
            format!("formulaire « {other} » inconnu : cnil ou apd"),
            format!("unknown form `{other}`: cnil or apd"),
        )),
    }
}

fn lang(text: Option<&str>) -> Result<Lang, ApiError> {
    text.unwrap_or("fr")
        .parse::<Lang>()
        .map_err(|e| ApiError::invalid("bad_lang", format!("langue refusée : {e}"), e.to_string()))
}

fn phase(text: Option<&str>) -> Result<Phase, ApiError> {
    text.unwrap_or("initial")
        .parse::<Phase>()
        .map_err(|e| ApiError::invalid("bad_phase", format!("phase refusée : {e}"), e.to_string()))
}

// ---- handlers ----------------------------------------------------------------

/// Enter a breach in the register (body: the new breach, see docs/breaches.md).
#[utoipa::path(post, path = "/api/breaches",
    request_body(content = NewBreach, description = "the new breach (docs/breaches.md)", content_type = "application/json"),
    responses((status = 201, description = "the breach with its log and `version`, and `incident`: legal holds placed, records linked to the incident per category"), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn open(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let new: NewBreach = parse(&body)?;
    let out = run(
        &state,
        credential,
        &headers,
        move |vault, register, by, _| {
            let snap = register.open(by, new).map_err(register_error)?;
            let effects =
                incident::apply(register, vault, &snap.breach, by).map_err(bridge_error)?;
            Ok(with_field(&snap, "incident", effects))
        },
    )
    .await?;
    Ok(json(StatusCode::CREATED, out))
}

/// The register: overdue and due-soon breaches first, with their duties.
#[utoipa::path(get, path = "/api/breaches",
    responses((status = 200, description = "`breaches` (with `urgency`, `next_due`, `duties`) and `damaged`")),
    security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let listing = run(&state, credential, &headers, |_, register, _, _| {
        register.list().map_err(register_error)
    })
    .await?;
    Ok(json(StatusCode::OK, listing))
}

/// One breach with its whole log.
#[utoipa::path(get, path = "/api/breaches/{id}", params(("id" = String, Path)),
    responses((status = 200, description = "the breach, its events and `version`"), (status = 404, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn show(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let snap = run(&state, credential, &headers, move |_, register, _, _| {
        register.show(&id).map_err(register_error)
    })
    .await?;
    Ok(json(StatusCode::OK, snap))
}

/// Change fields: `{"version": N, "patch": {…}}`.
#[utoipa::path(patch, path = "/api/breaches/{id}", params(("id" = String, Path)),
    request_body(content = UpdateBody, description = "the version the change is made on and the fields to replace (docs/breaches.md)", content_type = "application/json"),
    responses((status = 200, description = "the breach after the change, and `incident` (holds placed, records linked)"), (status = 409, body = crate::dto::ErrorBody), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn update(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: UpdateBody = parse(&body)?;
    let out = run(
        &state,
        credential,
        &headers,
        move |vault, register, by, _| {
            let snap = register
                .update(&id, b.version, by, b.patch)
                .map_err(register_error)?;
            let effects =
                incident::apply(register, vault, &snap.breach, by).map_err(bridge_error)?;
            Ok(with_field(&snap, "incident", effects))
        },
    )
    .await?;
    Ok(json(StatusCode::OK, out))
}

/// Count the subjects and records concerned in the vault and record the estimate.
#[utoipa::path(post, path = "/api/breaches/{id}/impact", params(("id" = String, Path)),
    responses((status = 200, description = "`estimate` (subjects, records, method) and the breach `version`")),
    security(("bearer" = [])))]
pub(crate) async fn impact(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let out = run(
        &state,
        credential,
        &headers,
        move |vault, register, by, now| {
            let (snap, found) =
                vault_bridge::record_impact(register, vault, &id, by, now).map_err(bridge_error)?;
            Ok(serde_json::json!({
                "estimate": found.estimate(now),
                "per_category": found.per_category,
                "version": snap.version,
            }))
        },
    )
    .await?;
    Ok(json(StatusCode::OK, out))
}

/// Record the Art. 34 decision.
#[utoipa::path(post, path = "/api/breaches/{id}/decision", params(("id" = String, Path)), request_body = DecisionBody,
    responses((status = 200, description = "the breach after the decision"), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn decide(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: DecisionBody = parse(&body)?;
    let snap = run(&state, credential, &headers, move |_, register, by, now| {
        let risk = b.risk.parse::<RiskLevel>().map_err(|e| {
            ApiError::invalid(
                "bad_risk",
                format!("niveau de risque refusé : {e}"),
                e.to_string(),
            )
        })?;
        let exemption = b
            .exemption
            .as_deref()
            .map(|e| {
                e.parse::<Art34Exemption>().map_err(|e| {
                    ApiError::invalid(
                        "bad_exemption",
                        format!("exemption refusée : {e}"),
                        e.to_string(),
                    )
                })
            })
            .transpose()?;
        let decision = Art34Decision {
            risk,
            reasoning: b.reasoning,
            exemption,
            exemption_reasoning: b.exemption_reasoning,
            decided_by: by.to_string(),
            decided_at: now,
        };
        register
            .record_decision(&id, b.version, by, decision)
            .map_err(register_error)
    })
    .await?;
    Ok(json(StatusCode::OK, snap))
}

/// Record a notice sent to the authority (initial or complementary).
#[utoipa::path(post, path = "/api/breaches/{id}/notifications", params(("id" = String, Path)), request_body = NotificationBody,
    responses((status = 200, description = "the breach after the notice"), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn notify_authority(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: NotificationBody = parse(&body)?;
    let snap = run(
        &state,
        credential,
        &headers,
        move |vault, register, by, now| {
            let phase = phase(Some(&b.phase))?;
            let current = register.show(&id).map_err(register_error)?;
            let digest = match b.form.as_deref() {
                Some(f) => Some(
                    export::notification(
                        &current.breach,
                        vault.declarations(),
                        register.config(),
                        form(Some(f), vault)?,
                        phase,
                        lang(b.lang.as_deref())?,
                        now,
                    )
                    .digest(),
                ),
                None => None,
            };
            let notice = AuthorityNotification {
                phase,
                at: b.at.unwrap_or(now),
                complete: b.complete,
                delay_reason: b.delay_reason,
                reference: b.reference,
            };
            register
                .record_notification(&id, b.version, by, notice, digest)
                .map_err(register_error)
        },
    )
    .await?;
    Ok(json(StatusCode::OK, snap))
}

/// The notification in the fields of the CNIL or APD form.
#[utoipa::path(get, path = "/api/breaches/{id}/export", params(("id" = String, Path),
        ("form" = Option<String>, Query, description = "cnil or apd (default: the lead authority's)"),
        ("lang" = Option<String>, Query, description = "fr or en"),
        ("phase" = Option<String>, Query, description = "initial or complementary"),
        ("format" = Option<String>, Query, description = "json, md or html")),
    responses((status = 200, description = "the export (schema habeas.breach.authority-notification/1 in JSON)")),
    security(("bearer" = [])))]
pub(crate) async fn export_form(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let (format, body) = run(
        &state,
        credential,
        &headers,
        move |vault, register, _, now| {
            let snap = register.show(&id).map_err(register_error)?;
            let e = export::notification(
                &snap.breach,
                vault.declarations(),
                register.config(),
                form(q.form.as_deref(), vault)?,
                phase(q.phase.as_deref())?,
                lang(q.lang.as_deref())?,
                now,
            );
            match q.format.as_deref().unwrap_or("json") {
                "json" => Ok((
                    "application/json",
                    serde_json::to_string_pretty(&e).unwrap_or_default(),
                )),
                "md" => Ok(("text/markdown; charset=utf-8", render::markdown(&e))),
                "html" => Ok(("text/html; charset=utf-8", render::html(&e))),
                other => Err(ApiError::invalid(
                    "bad_format",
                    format!("format « {other} » inconnu : json, md ou html"),
                    format!("unknown format `{other}`: json, md or html"),
                )),
            }
        },
    )
    .await?;
    Ok(([(header::CONTENT_TYPE, format)], body).into_response())
}

/// Close a breach once nothing is owed.
#[utoipa::path(post, path = "/api/breaches/{id}/close", params(("id" = String, Path)), request_body = ReasonBody,
    responses((status = 200, description = "the closed breach and `released_holds`"), (status = 409, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn close(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: ReasonBody = parse(&body)?;
    let out = run(&state, credential, &headers, move |_, register, by, _| {
        let snap = register
            .close(&id, b.version, by, &b.reason)
            .map_err(register_error)?;
        let released = incident::release(register, &snap.breach.id, by).map_err(bridge_error)?;
        Ok(with_field(&snap, "released_holds", released))
    })
    .await?;
    Ok(json(StatusCode::OK, out))
}

/// Reopen a closed breach (new facts).
#[utoipa::path(post, path = "/api/breaches/{id}/reopen", params(("id" = String, Path)), request_body = ReasonBody,
    responses((status = 200, description = "the reopened breach"), (status = 409, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn reopen(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: ReasonBody = parse(&body)?;
    let out = run(
        &state,
        credential,
        &headers,
        move |vault, register, by, _| {
            let snap = register
                .reopen(&id, b.version, by, &b.reason)
                .map_err(register_error)?;
            let effects =
                incident::apply(register, vault, &snap.breach, by).map_err(bridge_error)?;
            Ok(with_field(&snap, "incident", effects))
        },
    )
    .await?;
    Ok(json(StatusCode::OK, out))
}

#[cfg(test)]
#[path = "breach_tests.rs"]
mod tests;
