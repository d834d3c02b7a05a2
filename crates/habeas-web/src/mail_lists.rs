//! The mail privacy lists over HTTP (SPEC C12): show, add and remove
//! entries (all or nothing), change the tagging settings, erase a user's
//! lists. The lists live in the vault (`habeas_mail::vault_store`): each call
//! is made under the token's stated purpose, which must be a declared
//! activity covering the `mail_lists` category, and is journaled.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use habeas_engine::{EngineError, Refusal, Vault};
use habeas_mail::vault_store::{MAIL_LISTS, VaultListStore};
use habeas_mail::{Entry, ListKind, MailListStore, Settings, StoreError, UserLists};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::{Credential, purpose};
use crate::error::ApiError;
use crate::{AppState, blocking};

/// Entries to add or remove, by list: addresses or `@domain`s.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntriesBody {
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default)]
    perso: Vec<String>,
}

impl EntriesBody {
    fn items(&self) -> Vec<(ListKind, &str)> {
        let mut out = Vec::new();
        for (kind, list) in [
            (ListKind::Allow, &self.allow),
            (ListKind::Deny, &self.deny),
            (ListKind::Perso, &self.perso),
        ] {
            out.extend(list.iter().map(|e| (kind, e.as_str())));
        }
        out
    }
}

pub(crate) fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/api/mail/lists/{user}", get(show).delete(erase))
        .route("/api/mail/lists/{user}/entries", post(add).delete(remove))
        .route(
            "/api/mail/lists/{user}/settings",
            axum::routing::put(settings),
        )
}

/// Runs `f` with the lists store of the token's caller, on a blocking thread
/// (the token the [`crate::api::token_first`] layer authenticated for a
/// write, or the bearer token a read authenticates here: one lookup).
async fn with_store<T, F>(
    state: &AppState,
    credential: Credential,
    headers: &HeaderMap,
    f: F,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&VaultListStore<'_>) -> Result<T, ApiError> + Send + 'static,
{
    let stated = purpose(headers);
    blocking(state, move |vault: &Vault| {
        let who = credential.caller(vault, stated)?;
        let result = who
            .authorize(vault.declarations(), MAIL_LISTS)
            .map_err(|r| ApiError::new(StatusCode::FORBIDDEN, r))
            .and_then(|_| {
                let store = VaultListStore::with_caller(vault, who).map_err(store_error)?;
                f(&store)
            });
        Ok::<_, EngineError>(result)
    })
    .await?
}

fn user_of(raw: &str) -> Result<String, ApiError> {
    match Entry::parse(raw, Default::default()) {
        Ok(e) if !e.is_domain() => Ok(e.to_string()),
        _ => Err(ApiError::bad_request(
            "invalid_user",
            "utilisateur invalide : une adresse de messagerie est attendue dans le chemin",
            "invalid user: a mail address is expected in the path",
        )),
    }
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Lists(err) => {
            let text = err.to_string();
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Refusal::new("invalid_list_change", text.clone(), text),
            )
        }
        // A full disk is "retry later" (503), as the vault's own answers.
        full if full.is_full() => ApiError::storage_full(),
        other => {
            tracing::error!(error = %other, "mail lists storage failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                Refusal::new(
                    "internal",
                    "erreur interne ; rien n'a été modifié",
                    "internal error; nothing was changed",
                ),
            )
        }
    }
}

fn lists_json(lists: &UserLists) -> Response {
    Json(serde_json::to_value(lists).unwrap_or_default()).into_response()
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_json(&e, None))
}

/// `GET /api/mail/lists/{user}`: the user's lists and settings (empty when none).
#[utoipa::path(get, path = "/api/mail/lists/{user}", params(("user" = String, Path, description = "the mail user's address")),
    responses((status = 200, description = "the user's lists and settings (empty when none)"), (status = 403, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn show(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Result<Response, ApiError> {
    let user = user_of(&user)?;
    let lists = with_store(&state, credential, &headers, move |store| {
        Ok(store
            .load(&user)
            .map_err(store_error)?
            .unwrap_or_else(|| UserLists::new(user)))
    })
    .await?;
    Ok(lists_json(&lists))
}

/// `POST /api/mail/lists/{user}/entries`: add entries, all or nothing.
#[utoipa::path(post, path = "/api/mail/lists/{user}/entries", params(("user" = String, Path)), request_body = EntriesBody,
    responses((status = 200, description = "the lists after the change"), (status = 422, body = crate::dto::ErrorBody, description = "duplicate, contradiction or invalid entry: nothing changed")),
    security(("bearer" = [])))]
pub(crate) async fn add(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_entries(state, credential, headers, user, body, UserLists::add).await
}

/// `DELETE /api/mail/lists/{user}/entries`: remove entries, all or nothing.
#[utoipa::path(delete, path = "/api/mail/lists/{user}/entries", params(("user" = String, Path)), request_body = EntriesBody,
    responses((status = 200, description = "the lists after the change"), (status = 422, body = crate::dto::ErrorBody, description = "an entry is not in its list: nothing changed")),
    security(("bearer" = [])))]
pub(crate) async fn remove(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change_entries(state, credential, headers, user, body, UserLists::remove).await
}

/// Applies `op` to every entry of the body, all or nothing.
async fn change_entries(
    state: AppState,
    credential: Credential,
    headers: HeaderMap,
    user: String,
    body: Bytes,
    op: fn(&mut UserLists, ListKind, &str) -> Result<Entry, habeas_mail::ListError>,
) -> Result<Response, ApiError> {
    let user = user_of(&user)?;
    let wanted: EntriesBody = parse(&body)?;
    let lists = with_store(&state, credential, &headers, move |store| {
        store.update(&user, |lists| {
            for (kind, raw) in wanted.items() {
                op(lists, kind, raw).map_err(|e| store_error(e.into()))?;
            }
            Ok::<_, ApiError>(lists.clone())
        })
    })
    .await?;
    Ok(lists_json(&lists))
}

/// `PUT /api/mail/lists/{user}/settings`: replace the tagging settings.
#[utoipa::path(put, path = "/api/mail/lists/{user}/settings", params(("user" = String, Path)),
    request_body(content = String, description = "`{\"tag\": {\"keyword\": bool, \"folder\": str|null, \"subject\": str|null}, \"deny\": {\"action\": \"discard\"|\"reject\", \"message\"?}, \"fold_plus\": bool}`", content_type = "application/json"),
    responses((status = 200, description = "the lists with the new settings"), (status = 422, body = crate::dto::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn settings(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = user_of(&user)?;
    let new: Settings = parse(&body)?;
    let lists = with_store(&state, credential, &headers, move |store| {
        store.update(&user, |lists| {
            lists.set_settings(new).map_err(|e| store_error(e.into()))?;
            Ok::<_, ApiError>(lists.clone())
        })
    })
    .await?;
    Ok(lists_json(&lists))
}

/// `DELETE /api/mail/lists/{user}`: erase the user's lists (crypto-shredding).
#[utoipa::path(delete, path = "/api/mail/lists/{user}", params(("user" = String, Path)),
    responses((status = 200, description = "`{\"erased\": bool}`: the lists were crypto-shredded")),
    security(("bearer" = [])))]
pub(crate) async fn erase(
    State(state): State<AppState>,
    credential: Credential,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Result<Response, ApiError> {
    let user = user_of(&user)?;
    let erased = with_store(&state, credential, &headers, move |store| {
        store.erase(&user).map_err(store_error)
    })
    .await?;
    Ok(Json(serde_json::json!({ "erased": erased })).into_response())
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        store_error(e)
    }
}
