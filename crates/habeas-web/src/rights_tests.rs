//! The rights handlers take the token [`crate::api::token_first`]
//! authenticated instead of looking it up again; reads, which the layer
//! lets through, authenticate their bearer token themselves.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use habeas_engine::Caller;
use habeas_notify::{OutboxMailer, Sender};
use habeas_rights::verification::CodeKey;

use super::*;
use crate::api::Credential;
use crate::test_support::{demo_vault, revoked_token, state};
use habeas_core::docs::DocError;

/// The rights API's mailer and code key, as `habeas serve` installs them
/// (once per process; the outbox directory outlives the test).
fn installed() {
    let outbox = tempfile::tempdir().expect("tempdir").keep();
    install(RightsSetup {
        mailer: Box::new(
            OutboxMailer::new(
                outbox,
                Sender::new("privacy@example.org", None).expect("sender"),
            )
            .expect("mailer"),
        ),
        code_key: CodeKey::new(&[7u8; 32]).expect("code key"),
    });
}

fn support() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-habeas-purpose", HeaderValue::from_static("PA-0006"));
    headers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_consent_write_uses_the_token_the_layer_authenticated() {
    installed();
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = demo_vault(dir.path());
    let subject = vault
        .create_subject(&Caller::operator("test", "PA-0001"), None)
        .expect("subject");
    let (token, _) = revoked_token(&vault, "PA-0006");
    let state = state(vault);
    // A second lookup would find the token revoked and answer 401.
    let answer = consent_event(
        State(state),
        Credential::Checked(token),
        support(),
        Path(subject),
        Bytes::from_static(br#"{"action":"give","purpose":"newsletter","channel":"web_form"}"#),
    )
    .await;
    let status = answer
        .map(|r| r.status())
        .map_err(|e| e.into_response().status());
    assert_eq!(status, Ok(StatusCode::OK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_rights_read_authenticates_its_bearer_token_itself() {
    installed();
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = demo_vault(dir.path());
    let (_, secret) = revoked_token(&vault, "PA-0006");
    let state = state(vault);
    let answer = list_requests(State(state), Credential::Bearer(secret), support()).await;
    let status = answer
        .map(|r| r.status())
        .map_err(|e| e.into_response().status());
    assert_eq!(status, Err(StatusCode::UNAUTHORIZED));
}

/// A request that cannot be stored because the disk is full is a
/// "retry later" (503 with `Retry-After`), not an internal error; the
/// privacy-notice routes, on the same document store, say the same.
#[test]
fn a_full_disk_under_the_documents_answers_storage_full() {
    for answer in [
        rights_error(RightsError::Doc(DocError::Full)),
        crate::notices::rights_error(RightsError::Doc(DocError::Full)),
    ] {
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.refusal.code, "storage_full");
    }
    let other = rights_error(RightsError::Doc(DocError::Storage("io".into())));
    assert_eq!(other.status, StatusCode::INTERNAL_SERVER_ERROR);
}
