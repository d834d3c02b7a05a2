//! The API handlers take the token [`token_first`] authenticated instead of
//! looking it up again; reads, which the layer lets through, authenticate
//! themselves.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::{HeaderMap, Request, StatusCode};

use super::*;
use crate::test_support::{demo_vault, revoked_token, state};

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_write_uses_the_token_the_layer_authenticated_without_a_second_lookup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = demo_vault(dir.path());
    let (token, _) = revoked_token(&vault, "PA-0001");
    let state = state(vault);
    // A second lookup would find the token revoked and answer 401.
    let created = create_subject(
        State(state.clone()),
        Credential::Checked(token),
        HeaderMap::new(),
        Ok(Bytes::from_static(b"{}")),
    )
    .await;
    let (status, Json(created)) = match created {
        Ok(answer) => answer,
        Err(e) => panic!("refused: {}", e.into_response().status()),
    };
    assert_eq!(status, StatusCode::CREATED);
    assert!(created.subject.starts_with("sub_"), "{}", created.subject);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_read_authenticates_its_bearer_token_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = demo_vault(dir.path());
    let (_, secret) = revoked_token(&vault, "PA-0001");
    let state = state(vault);
    let read = read_records(
        State(state),
        Path("sub_unknown".to_string()),
        ApiQuery(ReadQuery { category: None }),
        Credential::Bearer(secret),
        HeaderMap::new(),
    )
    .await;
    let status = read.map(|_| ()).map_err(|e| e.into_response().status());
    assert_eq!(status, Err(StatusCode::UNAUTHORIZED));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_write_plans_on_the_blocking_pool_until_its_data_key_is_in_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vault = demo_vault(dir.path());
    let admin = Caller::operator("test", "PA-0001");
    let subject = vault.create_subject(&admin, None).expect("subject");
    let (token, _) = vault
        .create_token(&admin, "crm", &["PA-0001".to_string()], &[])
        .expect("token");
    let state = state(vault);
    let plan = || Plan::for_call(&state.vault, Some((&subject, "contact")));
    // The first write creates the data key (a key-store commit): not on the worker.
    assert!(matches!(plan(), Plan::Blocking));
    for n in 0..2 {
        let body = format!(r#"{{"category":"contact","fields":{{"email":"p{n}@example.org"}}}}"#);
        let written = write_record(
            State(state.clone()),
            Path(subject.clone()),
            Credential::Checked(token.clone()),
            HeaderMap::new(),
            Ok(Bytes::from(body)),
        )
        .await;
        let status = written
            .map(|(s, _)| s)
            .map_err(|e| e.into_response().status());
        assert_eq!(status, Ok(StatusCode::CREATED));
        assert!(matches!(plan(), Plan::Inline), "the key is in memory now");
    }
    // Both writes were answered after their commit: a read sees them.
    let read = read_records(
        State(state.clone()),
        Path(subject.clone()),
        ApiQuery(ReadQuery {
            category: Some("contact".into()),
        }),
        Credential::Checked(token),
        HeaderMap::new(),
    )
    .await;
    match read {
        Ok(Json(view)) => assert_eq!(view.records.len(), 2),
        Err(e) => panic!("refused: {}", e.into_response().status()),
    }
}

#[tokio::test]
async fn the_credential_is_the_layers_token_else_the_bearer_else_401() {
    let token = Token {
        id: "0123456789abcdef".into(),
        name: "crm".into(),
        purposes: vec!["PA-0001".into()],
        categories: Vec::new(),
        created_at: 0,
        revoked_at: None,
    };
    let parts = |auth: Option<&str>, checked: Option<Token>| {
        let mut req = Request::builder().method("POST").uri("/api/subjects");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let (mut parts, ()) = req.body(()).expect("request").into_parts();
        if let Some(t) = checked {
            parts.extensions.insert(Authenticated(t));
        }
        parts
    };
    let mut p = parts(Some("Bearer hbs_x_y"), Some(token.clone()));
    match Credential::from_request_parts(&mut p, &()).await {
        Ok(Credential::Checked(t)) => assert_eq!(t, token),
        _ => panic!("the layer's token is used"),
    }
    let mut p = parts(Some("Bearer hbs_x_y"), None);
    match Credential::from_request_parts(&mut p, &()).await {
        Ok(Credential::Bearer(b)) => assert_eq!(b, "hbs_x_y"),
        _ => panic!("the bearer token is kept for the handler"),
    }
    let mut p = parts(None, None);
    match Credential::from_request_parts(&mut p, &()).await {
        Err(e) => assert_eq!(e.into_response().status(), StatusCode::UNAUTHORIZED),
        Ok(_) => panic!("no token is 401"),
    }
}
