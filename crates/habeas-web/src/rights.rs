//! The data-subject rights API (GDPR Art. 7, 12–22): requests with their
//! two clocks, identity codes by mail, the access and portability answers,
//! erasure, and the consent ledger.
//!
//! Who may call it: a bearer token whose stated purpose (`X-Habeas-Purpose`,
//! or its only purpose) is a declared activity of kind `customer_support`
//! or `legal_compliance` — answering subjects is support work done under a
//! legal obligation. The vault reads an answer needs (every category of the
//! subject) are then made and journaled under the `rights-requests`
//! purpose, attributed to the token.
//!
//! The mailer and the code key come from the server's start-up
//! ([`install`]); a server started without them answers 503 here.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use habeas_core::clock::SystemClock;
use habeas_core::declarations::PurposeKind;
use habeas_core::lang::Lang;
use habeas_core::rights::{IdentityProof, RefusalReason, RequestKind};
use habeas_engine::{Caller, EngineError, Refusal, Vault};
use habeas_notify::Mailer;
use habeas_rights::RightsError;
use habeas_rights::consent_store::ConsentStore;
use habeas_rights::erasure::ErasureRequest;
use habeas_rights::export::json::{access_json, portability_json};
use habeas_rights::export::{access_csv_zip, access_html, portability_csv_zip};
use habeas_rights::service::{NewRequest, RequestChannel, RequestService, ServiceConfig};
use habeas_rights::vault_bridge::{self, BridgeError, Notifier};
use habeas_rights::verification::CodeKey;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::{Credential, purpose};
use crate::error::{ApiError, ApiQuery};
use crate::{AppState, blocking};

/// What the rights API needs beyond the vault.
pub struct RightsSetup {
    pub mailer: Box<dyn Mailer>,
    pub code_key: CodeKey,
}

static SETUP: OnceLock<Arc<RightsSetup>> = OnceLock::new();

/// Give the server its mailer and code key (once, at start-up).
pub fn install(setup: RightsSetup) {
    let _ = SETUP.set(Arc::new(setup));
}

pub(crate) fn setup() -> Result<Arc<RightsSetup>, ApiError> {
    SETUP.get().cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            Refusal::new(
                "rights_not_configured",
                "l'API des droits n'est pas configurée sur ce serveur (démarrez-le avec `habeas serve`)",
                "the rights API is not configured on this server (start it with `habeas serve`)",
            ),
        )
    })
}

/// The rights routes, merged into the application's router.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/requests", post(create_request).get(list_requests))
        .route("/api/requests/{id}", get(show_request))
        .route("/api/requests/{id}/code", post(send_code))
        .route("/api/requests/{id}/verify", post(verify_code))
        .route("/api/requests/{id}/proof", post(record_proof))
        .route("/api/requests/{id}/transitions", post(transition))
        .route("/api/requests/{id}/export", get(export))
        .route("/api/requests/{id}/erasure", post(erase))
        .route("/api/requests/{id}/rectification", post(rectify))
        .route("/api/subjects/{id}/consents", post(consent_event))
        .route("/api/subjects/{id}/consents/proof", get(consent_proof))
}

// ---- errors -------------------------------------------------------------

fn rights_error(e: RightsError) -> ApiError {
    let (status, code, fr) = match &e {
        RightsError::Doc(habeas_core::docs::DocError::Full) => return ApiError::storage_full(),
        RightsError::NotFound { .. } => (
            StatusCode::NOT_FOUND,
            "unknown_request",
            "demande inconnue ; vérifiez l'identifiant",
        ),
        RightsError::StaleVersion { .. } => (
            StatusCode::CONFLICT,
            "stale_version",
            "la demande a changé entre-temps ; rechargez-la",
        ),
        RightsError::Transition { .. } => (
            StatusCode::CONFLICT,
            "transition_refused",
            "étape impossible depuis l'état actuel de la demande",
        ),
        RightsError::NotVerified { .. } => (
            StatusCode::FORBIDDEN,
            "identity_not_verified",
            "rien n'est communiqué avant la vérification de l'identité (art. 12(6) RGPD)",
        ),
        RightsError::Closed { .. } => (
            StatusCode::CONFLICT,
            "request_closed",
            "la demande est close ; ouvrez-en une nouvelle",
        ),
        RightsError::WrongKind { .. } => (
            StatusCode::CONFLICT,
            "wrong_request_kind",
            "cette opération ne vaut pas pour ce type de demande",
        ),
        RightsError::NoSubject { .. } => (
            StatusCode::CONFLICT,
            "no_subject",
            "la demande n'est liée à aucune personne concernée",
        ),
        RightsError::SubjectMismatch { .. } => (
            StatusCode::CONFLICT,
            "subject_mismatch",
            "la demande concerne une autre personne",
        ),
        RightsError::Code { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "code_refused",
            "code refusé (faux, expiré, déjà utilisé ou bloqué)",
        ),
        RightsError::Consent { .. } => (
            StatusCode::CONFLICT,
            "consent_refused",
            "événement de consentement refusé",
        ),
        RightsError::UnknownConsentPurpose { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_consent_purpose",
            "finalité de consentement non déclarée",
        ),
        // An id no document can have, from the URL: said as such, not as a
        // server error (found by schemathesis; docs/fuzzing.md).
        RightsError::Doc(habeas_core::docs::DocError::InvalidKey) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_id",
            "identifiant invalide",
        ),
        RightsError::Invalid { .. } | RightsError::Rectification(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "valeur invalide",
        ),
        _ => {
            tracing::error!(error = %e, "rights service error");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                Refusal::new(
                    "internal",
                    "erreur interne ; rien n'a été confirmé",
                    "internal error; nothing was acknowledged",
                ),
            );
        }
    };
    ApiError::new(
        status,
        Refusal::new(code, format!("{fr} — {e}"), e.to_string()),
    )
}

fn bridge_error(e: BridgeError) -> ApiError {
    match e {
        BridgeError::Engine(e) => e.into(),
        BridgeError::Rights(e) => rights_error(e),
        BridgeError::Contact { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::new(
                "contact_unresolved",
                format!("contact introuvable — {e}"),
                e.to_string(),
            ),
        ),
        BridgeError::GraceRunning { .. } => ApiError::new(
            StatusCode::CONFLICT,
            Refusal::new(
                "grace_period_running",
                format!("délai de grâce en cours — {e}"),
                e.to_string(),
            ),
        ),
        BridgeError::NotReady | BridgeError::UnknownRecord { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::new(
                "rectification_refused",
                format!("rectification refusée — {e}"),
                e.to_string(),
            ),
        ),
        BridgeError::Template(_) | BridgeError::Send(_) => {
            tracing::error!(error = %e, "a rights notice could not be sent");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                Refusal::new(
                    "mail_failed",
                    format!("le message n'a pas pu être envoyé ; rien n'a été enregistré — {e}"),
                    format!("the message could not be sent; nothing was recorded — {e}"),
                ),
            )
        }
    }
}

/// Failures inside a blocking rights call.
enum Failure {
    Api(ApiError),
}

impl From<RightsError> for Failure {
    fn from(e: RightsError) -> Self {
        Failure::Api(rights_error(e))
    }
}
impl From<BridgeError> for Failure {
    fn from(e: BridgeError) -> Self {
        Failure::Api(bridge_error(e))
    }
}
impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure::Api(e.into())
    }
}
impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

// ---- authentication ------------------------------------------------------

/// The token's caller, if its stated purpose may handle rights requests.
fn rights_caller(
    vault: &Vault,
    credential: Credential,
    purpose: Option<String>,
) -> Result<Caller, Failure> {
    let caller = credential.caller_of_kind(
        vault,
        purpose,
        &[PurposeKind::CustomerSupport, PurposeKind::LegalCompliance],
        "rights",
        Refusal::new(
            "purpose_not_rights",
            "le traitement des demandes de droits exige une finalité déclarée de type customer_support ou legal_compliance (en-tête X-Habeas-Purpose)",
            "handling rights requests needs a declared purpose of kind customer_support or legal_compliance (X-Habeas-Purpose header)",
        ),
    )?;
    Ok(vault_bridge::rights_caller(&caller.actor))
}

/// Run `f` on a blocking thread with the vault, the rights caller, the
/// service's code key and the mailer. The token is the one the
/// [`crate::api::token_first`] layer authenticated (writes) or the bearer
/// token authenticated here (reads): one lookup per request.
async fn run<T, F>(
    state: &AppState,
    credential: Credential,
    headers: &HeaderMap,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Vault, &Caller, &RightsSetup) -> Result<T, Failure> + Send + 'static,
{
    let stated = purpose(headers);
    let setup = setup()?;
    let out = blocking(state, move |vault| {
        let result = rights_caller(vault, credential, stated).and_then(|c| f(vault, &c, &setup));
        Ok(result)
    })
    .await?;
    out.map_err(|Failure::Api(e)| e)
}

fn service<'a>(vault: &'a Vault, setup: &RightsSetup) -> RequestService<'a> {
    static CLOCK: SystemClock = SystemClock;
    RequestService::new(
        vault,
        &CLOCK,
        vault.declarations(),
        ServiceConfig::new(setup.code_key.clone()),
    )
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::invalid_json(&e, None))
}

fn json(v: impl serde::Serialize) -> Response {
    Json(serde_json::to_value(v).unwrap_or_default()).into_response()
}

// ---- requests ------------------------------------------------------------

/// A new request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequestBody {
    /// access, rectification, erasure, restriction, portability, objection, consent_withdrawal.
    pub kind: String,
    /// The requester's address as on file (the subject is found by it).
    #[serde(default)]
    pub email: Option<String>,
    /// Or the subject's vault id.
    #[serde(default)]
    pub subject: Option<String>,
    /// With `subject`: the vault field of the contact, `<category>.<field>`.
    #[serde(default)]
    pub contact: Option<String>,
    /// email (default), portal, api, post, phone, in_person.
    #[serde(default)]
    pub channel: Option<String>,
}

/// Receive a request and mail the acknowledgment (Art. 12(3)).
#[utoipa::path(post, path = "/api/requests", request_body = NewRequestBody,
    responses((status = 201, description = "the request, acknowledged, with both deadlines"), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn create_request(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: NewRequestBody = parse(&body)?;
    let view = run(&state, credential, &headers, move |vault, caller, setup| {
        let kind: RequestKind = req.kind.parse().map_err(|e: habeas_core::rights::UnknownRequestKind| {
            ApiError::invalid("bad_kind", format!("type de demande inconnu — {e}"), e.to_string())
        })?;
        let channel: RequestChannel = req.channel.as_deref().unwrap_or("email").parse().map_err(
            |e: habeas_rights::service::UnknownRequestChannel| {
                ApiError::invalid("bad_channel", format!("canal inconnu — {e}"), e.to_string())
            },
        )?;
        let (subject, contact_ref) = match (req.email, req.subject) {
            (Some(address), None) => {
                let found = vault.find(caller, "email", &address)?;
                let [subject] = found.as_slice() else {
                    return Err(ApiError::invalid(
                        "subject_not_identified",
                        format!("{} personnes ont cette adresse dans le coffre : indiquez `subject` et `contact`", found.len()),
                        format!("{} subjects hold this address in the vault: give `subject` and `contact`", found.len()),
                    )
                    .into());
                };
                let contact = vault_bridge::contact_ref_for(vault, caller, subject, &address)?;
                (subject.clone(), contact)
            }
            (None, Some(subject)) => {
                let contact = match req.contact {
                    Some(c) => format!("vault:{c}"),
                    None => vault_bridge::default_contact_ref(vault, caller, &subject)?,
                };
                (subject, contact)
            }
            _ => {
                return Err(ApiError::invalid(
                    "email_or_subject",
                    "indiquez soit `email`, soit `subject`".into(),
                    "give either `email` or `subject`".into(),
                )
                .into());
            }
        };
        // The address is checked before anything is stored.
        let to = vault_bridge::resolve_contact(vault, caller, &subject, &contact_ref)?;
        let svc = service(vault, setup);
        let view = svc.create(NewRequest { kind, channel, subject: Some(subject), contact_ref })?;
        Notifier::new(setup.mailer.as_ref(), vault.declarations()).acknowledgment(&view, to, None, vault.declarations())?;
        Ok(svc.acknowledge(&view.id, view.version)?)
    })
    .await?;
    Ok((StatusCode::CREATED, json(view)).into_response())
}

/// Open requests, most urgent first.
#[utoipa::path(get, path = "/api/requests",
    responses((status = 200, description = "open requests with `urgency` (overdue, due_soon, on_track) and both deadlines")),
    security(("bearer" = [])))]
pub(crate) async fn list_requests(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let list = run(&state, credential, &headers, |vault, _, setup| {
        Ok(service(vault, setup).list_open()?)
    })
    .await?;
    Ok(json(list))
}

/// One request with its clocks and history.
#[utoipa::path(get, path = "/api/requests/{id}", params(("id" = String, Path)),
    responses((status = 200, description = "the request"), (status = 404, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn show_request(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = run(&state, credential, &headers, move |vault, _, setup| {
        Ok(service(vault, setup).get(&id)?)
    })
    .await?;
    Ok(json(v))
}

/// Mail a single-use identity code to the contact on file (Art. 12(6)).
#[utoipa::path(post, path = "/api/requests/{id}/code", params(("id" = String, Path)),
    responses((status = 202, description = "code sent; `expires_at`"), (status = 409, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn send_code(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let expires = run(&state, credential, &headers, move |vault, caller, setup| {
        let svc = service(vault, setup);
        let v = svc.get(&id)?;
        let subject = v
            .subject
            .clone()
            .ok_or_else(|| RightsError::NoSubject { id: id.clone() })?;
        let to = vault_bridge::resolve_contact(vault, caller, &subject, &v.contact_ref)?;
        let (v, code) = svc.issue_identity_code(&id, v.version)?;
        Notifier::new(setup.mailer.as_ref(), vault.declarations()).code(&v, &code, to, None)?;
        Ok(code.expires_at)
    })
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        json(serde_json::json!({ "sent": true, "expires_at": expires })),
    )
        .into_response())
}

/// The code the requester gives back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

/// Verify the identity code.
#[utoipa::path(post, path = "/api/requests/{id}/verify", params(("id" = String, Path)), request_body = CodeBody,
    responses((status = 200, description = "identity verified"), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn verify_code(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: CodeBody = parse(&body)?;
    let v = run(&state, credential, &headers, move |vault, _, setup| {
        Ok(service(vault, setup).verify_identity_code(&id, &req.code)?)
    })
    .await?;
    Ok(json(v))
}

/// Another proof of identity recorded by staff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofBody {
    /// session or document.
    pub method: String,
    pub by: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Record another proof of identity.
#[utoipa::path(post, path = "/api/requests/{id}/proof", params(("id" = String, Path)), request_body = ProofBody,
    responses((status = 200, description = "identity verified")), security(("bearer" = [])))]
pub(crate) async fn record_proof(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: ProofBody = parse(&body)?;
    let v = run(&state, credential, &headers, move |vault, _, setup| {
        let method = req
            .method
            .parse()
            .map_err(|e: habeas_core::rights::UnknownKeyword| {
                ApiError::invalid(
                    "bad_method",
                    format!("méthode inconnue — {e}"),
                    e.to_string(),
                )
            })?;
        let svc = service(vault, setup);
        let v = svc.get(&id)?;
        Ok(svc.record_identity_proof(
            &id,
            v.version,
            IdentityProof {
                method,
                verified_by: req.by,
                reason: req.reason,
            },
            chrono::Utc::now(),
        )?)
    })
    .await?;
    Ok(json(v))
}

/// One workflow step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// start, done, refuse, extend.
    pub action: String,
    /// The version last seen (optimistic concurrency); default: current.
    #[serde(default)]
    pub version: Option<u64>,
    /// refuse: manifestly_unfounded, excessive, cannot_identify, erasure_exemption:<x>, not_portable, other:<ground>…
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub explanation: Option<String>,
    /// extend: 1 or 2.
    #[serde(default)]
    pub months: Option<u32>,
    #[serde(default)]
    pub justification: Option<String>,
}

/// Move a request: start, done, refuse (reason), extend (justification).
#[utoipa::path(post, path = "/api/requests/{id}/transitions", params(("id" = String, Path)), request_body = TransitionBody,
    responses((status = 200, description = "the request after the step; `subject_notified` says whether the done / refused / extended notice was mailed"), (status = 409, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn transition(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: TransitionBody = parse(&body)?;
    let v = run(&state, credential, &headers, move |vault, caller, setup| {
        let svc = service(vault, setup);
        let version = match req.version {
            Some(v) => v,
            None => svc.get(&id)?.version,
        };
        let missing = |what: &'static str| -> Failure {
            ApiError::invalid(
                "missing_field",
                format!("champ `{what}` requis pour cette action"),
                format!("field `{what}` is required for this action"),
            )
            .into()
        };
        let notifier = Notifier::new(setup.mailer.as_ref(), vault.declarations());
        // The step is recorded first; the subject is then told (Art. 12(3)–(4)).
        let (view, sent) = match req.action.as_str() {
            "start" => (svc.start(&id, version)?, None),
            "done" => {
                let v = svc.complete(&id, version)?;
                let sent = tell(vault, caller, &v, |to| notifier.done(&v, None, to, None));
                (v, Some(sent))
            }
            "refuse" => {
                let reason: RefusalReason = req
                    .reason
                    .ok_or_else(|| missing("reason"))?
                    .parse()
                    .map_err(|e: habeas_core::rights::UnknownKeyword| {
                        ApiError::invalid(
                            "bad_reason",
                            format!("motif inconnu — {e}"),
                            e.to_string(),
                        )
                    })?;
                let explanation = req.explanation.ok_or_else(|| missing("explanation"))?;
                let v = svc.refuse(&id, version, reason.clone(), &explanation)?;
                let sent = tell(vault, caller, &v, |to| {
                    notifier.refused(&v, reason, &explanation, to, None)
                });
                (v, Some(sent))
            }
            "extend" => {
                let months = req.months.ok_or_else(|| missing("months"))?;
                let justification = req.justification.ok_or_else(|| missing("justification"))?;
                let v = svc.extend(&id, version, months, &justification, chrono::Utc::now())?;
                let sent = tell(vault, caller, &v, |to| {
                    notifier.extended(&v, &justification, to, None)
                });
                (v, Some(sent))
            }
            other => {
                return Err(ApiError::invalid(
                    "bad_action",
                    format!("action « {other} » inconnue : start, done, refuse ou extend"),
                    format!("unknown action `{other}`: start, done, refuse or extend"),
                )
                .into());
            }
        };
        let mut out = serde_json::to_value(&view).unwrap_or_default();
        if let (Some(sent), Some(map)) = (sent, out.as_object_mut()) {
            // The step stands even when the notice could not leave: say so.
            map.insert("subject_notified".into(), serde_json::Value::Bool(sent));
        }
        Ok(out)
    })
    .await?;
    Ok(json(v))
}

/// Send a notice to the request's contact; false (logged) when it failed.
fn tell(
    vault: &Vault,
    caller: &Caller,
    v: &habeas_rights::service::RequestView,
    send: impl FnOnce(habeas_notify::MailAddress) -> Result<habeas_notify::MessageId, BridgeError>,
) -> bool {
    let Some(subject) = &v.subject else {
        return false;
    };
    match vault_bridge::resolve_contact(vault, caller, subject, &v.contact_ref).and_then(send) {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(request = %v.id, error = %e, "the notice to the subject was not sent");
            false
        }
    }
}

/// Export options.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// json (default), csv (zip), html (access only).
    #[serde(default)]
    pub format: Option<String>,
    /// fr (default) or en.
    #[serde(default)]
    pub lang: Option<String>,
}

/// The answer of a verified access (Art. 15) or portability (Art. 20) request.
#[utoipa::path(get, path = "/api/requests/{id}/export",
    params(("id" = String, Path), ("format" = Option<String>, Query, description = "json | csv | html"), ("lang" = Option<String>, Query, description = "fr | en")),
    responses((status = 200, description = "application/json, application/zip (UTF-8 CSV with BOM) or text/html"), (status = 403, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn export(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let lang: Lang = match q.lang.as_deref() {
        None => Lang::Fr,
        Some(l) => l.parse().map_err(|_| {
            ApiError::invalid(
                "bad_lang",
                format!("langue « {l} » inconnue : fr ou en"),
                format!("unknown language `{l}`: fr or en"),
            )
        })?,
    };
    let format = q.format.unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv" | "html") {
        return Err(ApiError::invalid(
            "bad_format",
            format!("format « {format} » inconnu : json, csv ou html"),
            format!("unknown format `{format}`: json, csv or html"),
        ));
    }
    let (bytes, content_type, name) = run(&state, credential, &headers, move |vault, caller, setup| {
        let svc = service(vault, setup);
        let v = svc.get(&id)?;
        let subject = v.subject.clone().ok_or_else(|| RightsError::NoSubject { id: id.clone() })?;
        // Art. 12(6): refuse before reading anything when not verified.
        if v.identity_verified_at.is_none() {
            return Err(RightsError::NotVerified { id: id.clone(), stage: v.stage }.into());
        }
        let held = vault_bridge::holdings(vault, caller, vault, &SystemClock, &subject)?;
        let out = match (v.kind, format.as_str()) {
            (RequestKind::Access, f) => {
                let e = svc.access_export(&id, &held, lang)?;
                match f {
                    "csv" => (access_csv_zip(&e)?, "application/zip", format!("{id}.zip")),
                    "html" => (access_html(&e).into_bytes(), "text/html; charset=utf-8", format!("{id}.html")),
                    _ => (access_json(&e)?, "application/json", format!("{id}.json")),
                }
            }
            (RequestKind::Portability, "html") => {
                return Err(ApiError::invalid(
                    "bad_format",
                    "la portabilité se remet dans un format lisible par machine (art. 20(1)) : json ou csv".into(),
                    "portability answers are machine-readable (Art. 20(1)): json or csv".into(),
                )
                .into());
            }
            (RequestKind::Portability, f) => {
                let e = svc.portability_export(&id, &held)?;
                if f == "csv" {
                    (portability_csv_zip(&e)?, "application/zip", format!("{id}.zip"))
                } else {
                    (portability_json(&e)?, "application/json", format!("{id}.json"))
                }
            }
            (other, _) => {
                return Err(ApiError::invalid(
                    "wrong_request_kind",
                    format!("une demande « {} » ne s'exporte pas (accès ou portabilité seulement)", other.key()),
                    format!("a `{}` request has no export (access or portability only)", other.key()),
                )
                .into());
            }
        };
        Ok(out)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Erasure options.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureBody {
    /// The request closes the account: the declared grace period runs first.
    #[serde(default)]
    pub account_closure: bool,
    /// Plan only.
    #[serde(default)]
    pub dry_run: bool,
    /// Language of `description`.
    #[serde(default)]
    pub lang: Option<String>,
}

/// Plan and run the erasure of a verified erasure request (Art. 17).
#[utoipa::path(post, path = "/api/requests/{id}/erasure", params(("id" = String, Path)), request_body = ErasureBody,
    responses((status = 200, description = "`plan`, `description` (what is erased, what is kept, why, until when) and `outcome`"), (status = 409, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn erase(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: ErasureBody = if body.iter().all(u8::is_ascii_whitespace) {
        ErasureBody::default()
    } else {
        parse(&body)?
    };
    let lang: Lang = req
        .lang
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(Lang::Fr);
    let out = run(&state, credential, &headers, move |vault, caller, setup| {
        let svc = service(vault, setup);
        let v = svc.get(&id)?;
        let subject = v
            .subject
            .clone()
            .ok_or_else(|| RightsError::NoSubject { id: id.clone() })?;
        if v.identity_verified_at.is_none() {
            return Err(RightsError::NotVerified {
                id: id.clone(),
                stage: v.stage,
            }
            .into());
        }
        let held = vault_bridge::holdings(vault, caller, vault, &SystemClock, &subject)?;
        let plan = svc.erasure_plan(
            &id,
            &held,
            &ErasureRequest {
                requested_at: v.received_at,
                account_closure: req.account_closure,
                dates: Default::default(),
                legal_holds: Vec::new(),
            },
        )?;
        let description = plan.describe(vault.declarations(), lang);
        let outcome = if req.dry_run {
            None
        } else {
            Some(vault_bridge::execute_erasure(
                vault,
                caller,
                &plan,
                chrono::Utc::now(),
            )?)
        };
        Ok(serde_json::json!({ "plan": plan, "description": description, "outcome": outcome }))
    })
    .await?;
    Ok(json(out))
}

/// A rectification of one record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifyBody {
    pub category: String,
    /// The record id (`rec_…`), as the access answer shows it.
    pub record: String,
    /// Field → new value.
    pub set: BTreeMap<String, String>,
    /// The code mailed to a critical identifier's new value (second call).
    #[serde(default)]
    pub code: Option<String>,
}

/// Rectify one record on a verified rectification request (Art. 16). A
/// critical e-mail field first gets a code at the new address (202); the
/// call is repeated with `code` to apply it.
#[utoipa::path(post, path = "/api/requests/{id}/rectification", params(("id" = String, Path)), request_body = RectifyBody,
    responses((status = 200, description = "`applied`: number of fields changed"), (status = 202, description = "`pending`: fields whose new value awaits its code"), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn rectify(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: RectifyBody = parse(&body)?;
    let (status, out) = run(&state, credential, &headers, move |vault, caller, setup| {
        let svc = service(vault, setup);
        let v = svc.get(&id)?;
        let subject = v
            .subject
            .clone()
            .ok_or_else(|| RightsError::NoSubject { id: id.clone() })?;
        if v.identity_verified_at.is_none() {
            return Err(RightsError::NotVerified { id: id.clone(), stage: v.stage }.into());
        }
        let (_, current) =
            vault_bridge::record_fields(vault, caller, &subject, &req.category, &req.record)?;
        let plan = match &req.code {
            None => {
                let (plan, codes, _) = svc.rectification_plan(
                    &id, v.version, &subject, &req.category, &req.record, &current, &req.set,
                )?;
                if !codes.is_empty() {
                    let v = svc.get(&id)?;
                    let notifier = Notifier::new(setup.mailer.as_ref(), vault.declarations());
                    let mut pending = Vec::new();
                    for issued in &codes {
                        let field = issued
                            .field
                            .as_deref()
                            .and_then(|k| k.split_once('.'))
                            .map(|(_, f)| f.to_string())
                            .unwrap_or_default();
                        let to = req
                            .set
                            .get(&field)
                            .map(|s| s.trim())
                            .unwrap_or_default()
                            .parse()
                            .map_err(|_| {
                                ApiError::invalid(
                                    "not_an_email",
                                    format!("la nouvelle valeur de `{field}` n'est pas une adresse électronique"),
                                    format!("the new value of `{field}` is not an e-mail address"),
                                )
                            })?;
                        notifier.code(&v, issued, to, None)?;
                        pending.push(field);
                    }
                    return Ok((StatusCode::ACCEPTED, serde_json::json!({ "pending": pending })));
                }
                plan
            }
            Some(code) => {
                let plan = habeas_rights::rectification::plan_rectification(
                    vault.declarations(),
                    &req.category,
                    &req.record,
                    &current,
                    &req.set,
                )
                .map_err(RightsError::from)?;
                for change in plan.needing_new_value_verification() {
                    svc.confirm_new_value(&id, &req.category, &change.field, &change.new_value, code)?;
                }
                plan
            }
        };
        let ready = svc.rectification_ready(&id, &plan)?;
        vault_bridge::apply_rectification(vault, caller, &subject, &plan, ready)?;
        Ok((StatusCode::OK, serde_json::json!({ "applied": plan.changes.len() })))
    })
    .await?;
    Ok((status, json(out)).into_response())
}

// ---- consent ---------------------------------------------------------------

/// A consent event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// give or withdraw.
    pub action: String,
    /// A `[consents.<purpose>]` key.
    pub purpose: String,
    /// Where: web_form, email, phone…
    pub channel: String,
    /// Language of the consent text shown (its SHA-256 is recorded); default fr.
    #[serde(default)]
    pub lang: Option<String>,
}

/// Record consent given or withdrawn (Art. 7; withdrawal effective at once).
#[utoipa::path(post, path = "/api/subjects/{id}/consents", params(("id" = String, Path)), request_body = ConsentBody,
    responses((status = 200, description = "the subject's consent states"), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn consent_event(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(subject): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: ConsentBody = parse(&body)?;
    let states = run(&state, credential, &headers, move |vault, caller, _| {
        let decls = vault.declarations();
        let lang: Lang = req
            .lang
            .as_deref()
            .and_then(|l| l.parse().ok())
            .unwrap_or(Lang::Fr);
        let docs = vault.docs(caller.clone());
        let store = ConsentStore::new(&docs, &SystemClock, decls);
        // The notice version in force (published history), else the declarations'.
        let notice = store.shown(&req.purpose, lang)?;
        vault.check_subject(&subject, req.action == "give")?;
        match req.action.as_str() {
            "give" => store.give(&subject, &req.purpose, &req.channel, notice)?,
            "withdraw" => vault_bridge::withdraw_consent(
                vault,
                caller,
                &store,
                &subject,
                &req.purpose,
                &req.channel,
                notice,
            )?,
            other => {
                return Err(ApiError::invalid(
                    "bad_action",
                    format!("action « {other} » inconnue : give ou withdraw"),
                    format!("unknown action `{other}`: give or withdraw"),
                )
                .into());
            }
        };
        let states: BTreeMap<_, _> = store.states(&subject)?;
        Ok(states)
    })
    .await?;
    Ok(json(states))
}

/// The proof of consent (`habeas.consent-proof/1`).
#[utoipa::path(get, path = "/api/subjects/{id}/consents/proof", params(("id" = String, Path)),
    responses((status = 200, description = "habeas.consent-proof/1 JSON")), security(("bearer" = [])))]
pub(crate) async fn consent_proof(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(subject): Path<String>,
) -> Result<Response, ApiError> {
    let bytes = run(&state, credential, &headers, move |vault, caller, _| {
        vault.check_subject(&subject, false)?;
        let docs = vault.docs(caller.clone());
        Ok(ConsentStore::new(&docs, &SystemClock, vault.declarations())
            .consent_proof_json(&subject)?)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

#[cfg(test)]
#[path = "rights_tests.rs"]
mod tests;
