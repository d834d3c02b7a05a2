//! What the handler tests share: the demo provider's vault, the router's
//! state over it, and a token revoked right after its creation — the token
//! the [`crate::api::token_first`] layer would have handed a handler had
//! the revocation landed just after its check. A handler that looks the
//! token up again answers 401 with it; one that uses the layer's token
//! serves the request.

use std::sync::Arc;

use habeas_core::clock::SystemClock;
use habeas_core::declarations;
use habeas_engine::{Caller, Token, Vault, VaultPaths};

use crate::AppState;

pub(crate) fn demo_vault(dir: &std::path::Path) -> Vault {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/hosting-provider/declarations");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&src)
        .expect("demo declarations")
        .flatten()
        .map(|e| {
            let p = e.path();
            let text = std::fs::read_to_string(&p).expect("read a declaration");
            (p.display().to_string(), text)
        })
        .collect();
    files.sort();
    let decls = declarations::load_and_check(&files).declarations;
    Vault::open(VaultPaths::in_project(dir), decls, Arc::new(SystemClock)).expect("open vault")
}

pub(crate) fn state(vault: Vault) -> AppState {
    AppState {
        vault: Arc::new(vault),
        metrics: Arc::default(),
    }
}

/// A token for `purpose`, revoked at once; with its secret.
pub(crate) fn revoked_token(vault: &Vault, purpose: &str) -> (Token, String) {
    let admin = Caller::operator("test", purpose);
    let (token, secret) = vault
        .create_token(&admin, "app", &[purpose.to_string()], &[])
        .expect("token");
    assert!(vault.revoke_token(&admin, &token.id).expect("revoke"));
    (token, secret)
}
