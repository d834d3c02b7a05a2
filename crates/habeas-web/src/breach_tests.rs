//! The breach handlers take the token [`crate::api::token_first`]
//! authenticated instead of looking it up again; reads, which the layer
//! lets through, authenticate their bearer token themselves.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;

use super::*;
use crate::api::Credential;
use crate::test_support::{demo_vault, revoked_token, state};

const NEW_BREACH: &[u8] = br#"{
  "detected_at": "2026-11-20T17:00:00Z",
  "aware_at": "2026-11-20T18:30:00Z",
  "natures": ["confidentiality"],
  "description": {"fr": "Partition de journaux copiee.", "en": "Log partition copied."},
  "services": ["web-hosting"],
  "data_categories": ["connection_logs"],
  "subject_categories": ["customers"],
  "window": {"start": "2026-11-10T00:00:00Z", "end": "2026-11-20T00:00:00Z"}
}"#;

fn security() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-habeas-purpose", HeaderValue::from_static("PA-0004"));
    headers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn opening_a_breach_uses_the_token_the_layer_authenticated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = demo_vault(dir.path());
    let (token, _) = revoked_token(&vault, "PA-0004");
    let state = state(vault);
    // A second lookup would find the token revoked and answer 401.
    let answer = open(
        State(state),
        Credential::Checked(token),
        security(),
        Bytes::from_static(NEW_BREACH),
    )
    .await;
    let status = answer
        .map(|r| r.status())
        .map_err(|e| e.into_response().status());
    assert_eq!(status, Ok(StatusCode::CREATED));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_breach_read_authenticates_its_bearer_token_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = demo_vault(dir.path());
    let (_, secret) = revoked_token(&vault, "PA-0004");
    let state = state(vault);
    let answer = list(State(state), Credential::Bearer(secret), security()).await;
    let status = answer
        .map(|r| r.status())
        .map_err(|e| e.into_response().status());
    assert_eq!(status, Err(StatusCode::UNAUTHORIZED));
}
