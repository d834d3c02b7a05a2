//! The privacy-notice versions API (Art. 12–14 GDPR, SPEC C8).
//!
//! Reading is public, like the notice itself (Art. 12(1): easily
//! accessible): `GET /api/notices` lists every version with its dates and
//! status, `GET /api/notices/{version}` gives its text and the diff from the
//! previous one. Publishing (`POST /api/notices`) needs a bearer token whose
//! stated purpose is a declared activity of kind `legal_compliance` (the
//! DPO's work); a substantial version is refused when announced later than
//! the declared period before it applies, and once stored its announcement
//! is mailed to every subject with an address on file, through the rights
//! mailer of [`crate::rights::install`].
//!
//! Limit: the API has no public address of the portal, so mails sent from
//! here carry no link to the diff (they name the data-protection contact);
//! `habeas notice publish` adds the link when `[server] public_url` is https.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use habeas_core::clock::SystemClock;
use habeas_core::declarations::PurposeKind;
use habeas_engine::{Caller, Refusal, Vault};
use habeas_rights::RightsError;
use habeas_rights::notice_announce::{self, AnnounceReport};
use habeas_rights::notices::{NewNotice, NoticeDetail, NoticeStore, NoticeSummary};
use habeas_rights::vault_bridge::{self, BridgeError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{Credential, purpose};
use crate::error::ApiError;
use crate::{AppState, blocking};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/notices", get(list).post(publish))
        .route("/api/notices/{version}", get(show))
}

/// A version to publish now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// The version label: 1–64 printable ASCII characters, no spaces or '/'.
    pub version: String,
    /// The full text (UTF-8).
    pub text: String,
    /// When it applies (RFC 3339).
    pub effective_at: DateTime<Utc>,
    /// A substantial change, announced at least the declared period ahead.
    #[serde(default)]
    pub substantial: bool,
}

#[derive(Serialize)]
struct Published {
    version: NoticeSummary,
    /// Substantial versions only: how the announcement went.
    announcement: Option<AnnounceReport>,
}

pub(crate) fn rights_error(e: RightsError) -> ApiError {
    match &e {
        RightsError::NotFound { .. } => ApiError::new(
            StatusCode::NOT_FOUND,
            Refusal::new(
                "unknown_notice_version",
                format!("version de la politique inconnue — {e}"),
                e.to_string(),
            ),
        ),
        RightsError::Doc(habeas_core::docs::DocError::Full) => ApiError::storage_full(),
        RightsError::Invalid { .. } | RightsError::Doc(_) => ApiError::invalid(
            "notice_refused",
            format!("version refusée, rien n'a été publié — {e}"),
            format!("version refused, nothing was published — {e}"),
        ),
        _ => {
            tracing::error!(error = %e, "privacy notice error");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                Refusal::new(
                    "internal",
                    "erreur interne ; rien n'a été confirmé",
                    "internal error; nothing was acknowledged",
                ),
            )
        }
    }
}

fn bridge_error(e: BridgeError) -> ApiError {
    match e {
        BridgeError::Engine(e) => e.into(),
        BridgeError::Rights(e) => rights_error(e),
        other => {
            tracing::error!(error = %other, "a notice announcement failed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                Refusal::new(
                    "announcement_failed",
                    format!(
                        "version publiée, mais l'annonce n'a pas pu être envoyée ; relancez `habeas notice announce` — {other}"
                    ),
                    format!(
                        "version published, but the announcement could not be sent; run `habeas notice announce` — {other}"
                    ),
                ),
            )
        }
    }
}

/// Every published version with its dates and status (public).
#[utoipa::path(get, path = "/api/notices",
    responses((status = 200, description = "versions in publication order: version, published_at, effective_at, substantial, sha256, status (upcoming, in_force, superseded)")))]
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let out = blocking(&state, |vault| {
        let docs = vault.docs(vault_bridge::rights_caller("api"));
        Ok(NoticeStore::new(&docs, &SystemClock, vault.declarations()).summaries())
    })
    .await?
    .map_err(rights_error)?;
    Ok(Json(out).into_response())
}

/// One version: its text, dates, status, the diff from the previous one
/// and, for a substantial one, the announcement counts (public).
#[utoipa::path(get, path = "/api/notices/{version}", params(("version" = String, Path)),
    responses((status = 200, description = "the version with `text`, `diff` (from, to, lines of {change: same|added|removed, text}) and `announcement` counts"),
              (status = 404, body = crate::dto::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Response, ApiError> {
    let out: Result<NoticeDetail, RightsError> = blocking(&state, move |vault| {
        let docs = vault.docs(vault_bridge::rights_caller("api"));
        Ok(NoticeStore::new(&docs, &SystemClock, vault.declarations()).detail(&version))
    })
    .await?;
    Ok(Json(out.map_err(rights_error)?).into_response())
}

/// The token's caller, if its stated purpose is DPO work (`legal_compliance`).
fn dpo_caller(
    vault: &Vault,
    credential: Credential,
    stated: Option<String>,
) -> Result<Caller, ApiError> {
    let token = credential.token(vault)?;
    let caller = Caller::token(token.clone(), stated);
    let allowed = caller.purpose.as_deref().is_some_and(|p| {
        token.purposes.iter().any(|t| t == p)
            && vault
                .declarations()
                .activity(p)
                .is_some_and(|a| a.kind == PurposeKind::LegalCompliance)
    });
    if !allowed {
        vault.journal_admin(
            &caller,
            "refused",
            "notice publish denied: purpose_not_dpo".into(),
        )?;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            Refusal::new(
                "purpose_not_dpo",
                "publier la politique de confidentialité exige une finalité déclarée de type legal_compliance (en-tête X-Habeas-Purpose)",
                "publishing the privacy notice needs a declared purpose of kind legal_compliance (X-Habeas-Purpose header)",
            ),
        ));
    }
    Ok(caller)
}

/// Publish a version (DPO purpose); a substantial one is announced by mail.
#[utoipa::path(post, path = "/api/notices", request_body = PublishBody,
    responses((status = 201, description = "the version published, and the announcement report for a substantial one"),
              (status = 403, body = crate::dto::ErrorBody), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let stated = purpose(&headers);
    let req: PublishBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid_json(&e, None))?;
    let setup = crate::rights::setup();
    let out: Result<Published, ApiError> = blocking(&state, move |vault| {
        let run = || -> Result<Published, ApiError> {
            let caller = dpo_caller(vault, credential, stated)?;
            // The mailer is checked first: a substantial version that could
            // not be announced is not published.
            let mailer = if req.substantial { Some(setup?) } else { None };
            let docs = vault.docs(caller.clone());
            let store = NoticeStore::new(&docs, &SystemClock, vault.declarations());
            let v = store
                .publish(NewNotice {
                    version: req.version,
                    text: req.text,
                    effective_at: req.effective_at,
                    substantial: req.substantial,
                })
                .map_err(rights_error)?;
            let announcement = match mailer {
                Some(setup) => Some(
                    notice_announce::announce(
                        vault,
                        setup.mailer.as_ref(),
                        &store,
                        &v.version,
                        None,
                        &caller.actor,
                    )
                    .map_err(bridge_error)?,
                ),
                None => None,
            };
            let version = store.detail(&v.version).map_err(rights_error)?.summary;
            Ok(Published {
                version,
                announcement,
            })
        };
        Ok(run())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out?)).into_response())
}
