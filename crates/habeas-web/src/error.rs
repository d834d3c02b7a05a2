//! `ApiError` → HTTP response. Every error body has one shape:
//! `{"error": {"code", "message_fr", "message_en", "category"?, "field"?, "line"?}}`.
//! Caller errors say what, where and how to fix; server errors say only
//! that it failed (details go to the log, which never holds values).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use habeas_engine::{EngineError, Refusal};

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub refusal: Refusal,
}

impl ApiError {
    pub fn new(status: StatusCode, refusal: Refusal) -> Self {
        ApiError { status, refusal }
    }

    /// 422: the request is well-formed but its content is refused.
    pub fn invalid(code: &'static str, fr: String, en: String) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, Refusal::new(code, fr, en))
    }

    pub fn bad_request(code: &'static str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, Refusal::new(code, fr, en))
    }

    /// 503 `storage_full`: the disk under the store is full; nothing was
    /// stored (the domains' document stores say so with `DocError::Full`).
    pub fn storage_full() -> Self {
        habeas_engine::error::storage_full().into()
    }

    pub fn too_large(limit: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::new(
                "body_too_large",
                format!(
                    "corps de requête trop grand (limite {limit} octets) ; découpez l'envoi (POST /api/records/bulk par lots)"
                ),
                format!(
                    "request body too large (limit {limit} bytes); split it (POST /api/records/bulk in batches)"
                ),
            ),
        )
    }

    /// A JSON syntax or shape error, with its position and no value from the body.
    pub fn invalid_json(err: &serde_json::Error, line_offset: Option<u64>) -> Self {
        let position = format!("ligne {}, colonne {}", err.line(), err.column());
        let position_en = format!("line {}, column {}", err.line(), err.column());
        let text = err.to_string();
        // Shape errors about unknown or missing keys name keys, not values;
        // other messages may quote the input, so they are not echoed.
        let detail = if text.starts_with("unknown field") || text.starts_with("missing field") {
            text.split(" at line").next().unwrap_or("").to_string()
        } else {
            match err.classify() {
                serde_json::error::Category::Syntax => "JSON syntax error".to_string(),
                serde_json::error::Category::Eof => "the JSON ends too early".to_string(),
                _ => "a value has the wrong JSON type for its key".to_string(),
            }
        };
        let mut refusal = Refusal::new(
            "invalid_json",
            format!("JSON invalide ({position}) : {detail}"),
            format!("invalid JSON ({position_en}): {detail}"),
        );
        if let Some(line) = line_offset {
            refusal = refusal.line(line);
        }
        ApiError::new(StatusCode::BAD_REQUEST, refusal)
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> Self {
        let (status, refusal) = match err {
            EngineError::Invalid(r) => (StatusCode::UNPROCESSABLE_ENTITY, r),
            EngineError::Forbidden(r) => (StatusCode::FORBIDDEN, r),
            EngineError::Unauthenticated(r) => (StatusCode::UNAUTHORIZED, r),
            EngineError::NotFound(r) => (StatusCode::NOT_FOUND, r),
            EngineError::Conflict(r) => (StatusCode::CONFLICT, r),
            // A full disk: nothing stored, nothing read out unjournaled; retry later.
            EngineError::Unavailable(r) => (StatusCode::SERVICE_UNAVAILABLE, r),
            other => {
                tracing::error!(error = %other, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Refusal::new(
                        "internal",
                        "erreur interne ; rien n'a été confirmé (voir le journal du serveur)",
                        "internal error; nothing was acknowledged (see the server log)",
                    ),
                )
            }
        };
        ApiError { status, refusal }
    }
}

#[derive(serde::Serialize)]
struct Body<'a> {
    error: &'a Refusal,
}

/// Seconds a client is asked to wait before retrying a 503 (RFC 9110
/// §10.2.3): freeing disk space takes an operator, so retrying at once only
/// adds load; the refusal itself changed nothing, so a retry is safe.
pub const RETRY_AFTER_SECONDS: u32 = 30;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(Body {
            error: &self.refusal,
        });
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            let wait = axum::http::HeaderValue::from(RETRY_AFTER_SECONDS);
            return (self.status, [(axum::http::header::RETRY_AFTER, wait)], body).into_response();
        }
        (self.status, body).into_response()
    }
}

/// The query string of an API route, refused in the API's error shape:
/// axum's own refusal is plain text and may quote the value it could not
/// read, so neither reaches the client (a query parameter given twice, or
/// not of its documented form).
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(q)| ApiQuery(q))
            .map_err(|_| {
                ApiError::bad_request(
                    "bad_query",
                    "paramètres de l'adresse illisibles : chacun une fois, de la forme documentée (GET /api/openapi.json)",
                    "the query string cannot be read: each parameter once, of its documented form (GET /api/openapi.json)",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(err: EngineError) -> Response {
        ApiError::from(err).into_response()
    }

    #[test]
    fn a_full_disk_asks_the_client_to_retry_later() {
        let full = answer(EngineError::Unavailable(Refusal::new(
            "storage_full",
            "x",
            "x",
        )));
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            full.headers().get(axum::http::header::RETRY_AFTER),
            Some(&axum::http::HeaderValue::from(RETRY_AFTER_SECONDS))
        );
    }

    #[test]
    fn other_refusals_carry_no_retry_after() {
        let refused = answer(EngineError::Forbidden(Refusal::new("x", "x", "x")));
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(
            refused
                .headers()
                .get(axum::http::header::RETRY_AFTER)
                .is_none()
        );
    }
}
