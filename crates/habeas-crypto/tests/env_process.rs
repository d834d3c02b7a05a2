//! The environment providers read the real process environment.
//!
//! Setting a variable in the running test is `unsafe` in Rust 2024, so the
//! test re-runs itself as a child process with the variables set (the same
//! pattern as the SoftHSM2 test) and requires the child to report success.

use std::process::Command;

use habeas_crypto::{
    Aad, DataKey, KeyEncryptionKey, KeyProvider, KeysConfig, new_env_secret, open_kek,
};

const TEST_NAME: &str = "env_providers_read_the_process_environment";
const CHILD_MARKER: &str = "HABEAS_CRYPTO_ENV_CHILD";
const OK_LINE: &str = "ENV-CHILD-OK";
const VAR: &str = "HABEAS_TEST_MASTER_KEY";

#[test]
fn env_providers_read_the_process_environment() {
    if std::env::var_os(CHILD_MARKER).is_some() {
        child();
        println!("{OK_LINE}");
        return;
    }
    let secrets: Vec<_> = (0..3).map(|_| new_env_secret().expect("secret")).collect();
    let out = Command::new(std::env::current_exe().expect("test binary"))
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_MARKER, "1")
        .env(VAR, secrets[0].as_str())
        .env(format!("{VAR}_BLIND_INDEX"), secrets[1].as_str())
        .env(format!("{VAR}_JOURNAL_SIGNING"), secrets[2].as_str())
        .env("HABEAS_TEST_KEK_COPY", secrets[0].as_str())
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(OK_LINE),
        "child failed\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn child() {
    let config = KeysConfig::for_env(VAR);
    let ring = config.open_kek_ring().expect("KEK from the environment");
    let copy = open_kek(&KeyProvider::Env {
        variable: "HABEAS_TEST_KEK_COPY".into(),
    })
    .expect("same secret, other variable");
    let aad = Aad::data_key("s", "c");
    let dek = DataKey::generate().expect("dek");
    copy.unwrap(&ring.wrap(&dek, &aad).expect("wrap"), &aad)
        .expect("one secret, one KEK, whatever the variable");
    let indexer = config.open_blind_indexer().expect("blind-index key");
    indexer.index_email("a@example.org").expect("index");
    config.open_journal_signer().expect("journal key");
    let err = open_kek(&KeyProvider::Env {
        variable: "HABEAS_TEST_UNSET_VARIABLE".into(),
    })
    .err()
    .expect("unset variable");
    assert!(
        err.to_string()
            .contains("HABEAS_TEST_UNSET_VARIABLE is not set"),
        "{err}"
    );
}
