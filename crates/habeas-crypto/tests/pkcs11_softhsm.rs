//! The PKCS#11 KEK against a real SoftHSM2 token (Debian package `softhsm2`).
//!
//! SoftHSM2 reads its configuration from `SOFTHSM2_CONF` when the module is
//! initialised, and setting the environment of the running test process is
//! `unsafe` in Rust 2024. So the test creates a token in a temporary
//! directory, then re-runs itself (same test binary, same test name) as a
//! child process with `SOFTHSM2_CONF` and the PIN variable set; the child
//! takes the token path. The parent requires the child to report success.
//!
//! Without `softhsm2-util` or the module the test prints `SKIPPED: …` and
//! passes, unless `HABEAS_REQUIRE_TOOLS=1` (CI), in which case it fails.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use habeas_crypto::{
    Aad, CryptoError, DataKey, KeyDir, KeyEncryptionKey, KeyProvider, Pkcs11Kek, Pkcs11Settings,
    WrapAlgorithm, WrappedKey, open_kek, rewrap,
};

const TEST_NAME: &str = "pkcs11_kek_on_a_real_softhsm2_token";
const CHILD_MARKER: &str = "HABEAS_CRYPTO_SOFTHSM_CHILD";
const PIN_VAR: &str = "HABEAS_TEST_PKCS11_PIN";
const WRONG_PIN_VAR: &str = "HABEAS_TEST_PKCS11_WRONG_PIN";
const TOKEN: &str = "habeas-test";
const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const OK_LINE: &str = "PKCS11-CHILD-OK";

fn find_tool(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

fn skip_or_fail(why: &str) {
    if std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("HABEAS_REQUIRE_TOOLS=1 but {why} (apt-get install -y softhsm2)");
    }
    eprintln!("SKIPPED: {TEST_NAME}: {why} (apt-get install -y softhsm2)");
}

#[test]
fn pkcs11_kek_on_a_real_softhsm2_token() {
    if std::env::var_os(CHILD_MARKER).is_some() {
        child();
        println!("{OK_LINE}");
        return;
    }
    let Some(util) = find_tool("softhsm2-util") else {
        return skip_or_fail("softhsm2-util is not on PATH");
    };
    if !Path::new(MODULE).is_file() {
        return skip_or_fail(&format!("{MODULE} is missing"));
    }

    let tmp = tempfile::tempdir().expect("tempdir");
    let tokens = tmp.path().join("tokens");
    std::fs::create_dir(&tokens).expect("token dir");
    let conf = tmp.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .expect("conf");
    let init = Command::new(util)
        .args(["--init-token", "--free", "--label", TOKEN])
        .args(["--pin", "123456", "--so-pin", "654321"])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .expect("run softhsm2-util");
    assert!(
        init.status.success(),
        "softhsm2-util --init-token failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );

    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_MARKER, "1")
        .env("SOFTHSM2_CONF", &conf)
        .env(PIN_VAR, "123456")
        .env(WRONG_PIN_VAR, "000000")
        .env("HABEAS_TEST_KEYS_DIR", tmp.path().join("keys"))
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&child.stdout);
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(
        child.status.success() && stdout.contains(OK_LINE),
        "child failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
}

fn settings(key_label: &str, pin_var: &str) -> Pkcs11Settings {
    Pkcs11Settings {
        module: MODULE.into(),
        token_label: TOKEN.into(),
        key_label: key_label.into(),
        pin_env: Some(pin_var.into()),
        pin_file: None,
    }
}

/// Runs in the child process, with `SOFTHSM2_CONF` pointing at the fresh token.
fn child() {
    // A wrong PIN is refused (checked first: PKCS#11 login state is shared by
    // every session of the process once a login succeeded).
    let err = Pkcs11Kek::open(&settings("kek-1", WRONG_PIN_VAR)).expect_err("wrong PIN");
    assert!(err.to_string().contains("PIN"), "{err}");

    // Unknown token, missing key: precise messages.
    let mut unknown = settings("kek-1", PIN_VAR);
    unknown.token_label = "nope".into();
    let err = Pkcs11Kek::open(&unknown).expect_err("unknown token");
    assert!(err.to_string().contains(TOKEN), "lists found tokens: {err}");
    let err = Pkcs11Kek::open(&settings("kek-1", PIN_VAR)).expect_err("no key yet");
    assert!(
        err.to_string().contains("no AES key labelled `kek-1`"),
        "{err}"
    );

    // Create the KEK on the token, then refuse a duplicate label.
    let kek1 = Pkcs11Kek::create_key(&settings("kek-1", PIN_VAR)).expect("create kek-1");
    assert_eq!(kek1.id().as_str(), "pkcs11:habeas-test/kek-1");
    let err = Pkcs11Kek::create_key(&settings("kek-1", PIN_VAR)).expect_err("duplicate");
    assert!(err.to_string().contains("already holds"), "{err}");
    assert_key_never_leaves_the_token("kek-1");

    // The PIN may come from a private file; a group-readable one is refused
    // before the token is touched.
    let keys_dir = std::env::var("HABEAS_TEST_KEYS_DIR").expect("keys dir");
    let pin_file = Path::new(&keys_dir).with_extension("pin");
    std::fs::write(&pin_file, "123456\n").expect("pin file");
    let mut from_file = settings("kek-1", PIN_VAR);
    from_file.pin_env = None;
    from_file.pin_file = Some(pin_file.clone());
    std::fs::set_permissions(&pin_file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let err = Pkcs11Kek::open(&from_file).expect_err("0640 PIN file");
    assert!(matches!(err, CryptoError::Permissions { .. }), "{err}");
    std::fs::set_permissions(&pin_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    Pkcs11Kek::open(&from_file).expect("PIN from a 0600 file");

    // Round trip through the token, and through the configuration path.
    let aad = Aad::data_key("subject-1", "billing");
    let dek = DataKey::generate().expect("dek");
    let field = Aad::record_field("subject-1", "billing", "inv-1", "iban");
    let sealed = dek.seal(b"BE68539007547034", &field).expect("seal");
    let wrapped = kek1.wrap(&dek, &aad).expect("wrap on token");
    assert_eq!(wrapped.algorithm(), WrapAlgorithm::Pkcs11AesGcm);
    let stored = wrapped.as_bytes().to_vec();
    let via_config =
        open_kek(&KeyProvider::Pkcs11(settings("kek-1", PIN_VAR))).expect("open via config");
    let reopened = via_config
        .unwrap(
            &WrappedKey::from_bytes(stored.clone()).expect("parse"),
            &aad,
        )
        .expect("unwrap on token");
    assert_eq!(
        reopened.open(&sealed, &field).expect("open"),
        b"BE68539007547034"
    );

    // Wrong AAD (moved to another subject) and tampering are refused by the token.
    assert!(matches!(
        kek1.unwrap(&wrapped, &Aad::data_key("subject-2", "billing")),
        Err(CryptoError::Refused { .. })
    ));
    let header = 3 + kek1.id().as_str().len();
    for i in [header, header + 12, stored.len() - 1] {
        let mut bad = stored.clone();
        bad[i] ^= 1;
        let bad = WrappedKey::from_bytes(bad).expect("layout");
        assert!(kek1.unwrap(&bad, &aad).is_err(), "byte {i} accepted");
    }

    // A second token key: wrong KEK refused, relabelled header refused.
    let kek2 = Pkcs11Kek::create_key(&settings("kek-2", PIN_VAR)).expect("create kek-2");
    assert!(matches!(
        kek2.unwrap(&wrapped, &aad),
        Err(CryptoError::WrongKek { .. })
    ));
    let mut relabelled = stored.clone();
    let at = header - 1;
    relabelled[at] = b'2';
    let relabelled = WrappedKey::from_bytes(relabelled).expect("layout");
    assert_eq!(relabelled.kek_id(), kek2.id());
    assert!(matches!(
        kek2.unwrap(&relabelled, &aad),
        Err(CryptoError::Refused { .. })
    ));

    // Rotation from a key file to the token and on to another token key.
    let keys = KeyDir::create(Path::new(&keys_dir), None).expect("key dir");
    let file_kek = keys.load_kek().expect("file kek");
    let under_file = file_kek.wrap(&dek, &aad).expect("wrap file");
    let under_token = rewrap(&file_kek, &kek1, &under_file, &aad).expect("file -> token");
    assert_eq!(under_token.kek_id(), kek1.id());
    assert!(file_kek.unwrap(&under_token, &aad).is_err());
    let under_token2 = rewrap(&kek1, &kek2, &under_token, &aad).expect("token -> token");
    let back = kek2.unwrap(&under_token2, &aad).expect("unwrap kek-2");
    assert_eq!(
        back.open(&sealed, &field).expect("data unchanged"),
        b"BE68539007547034"
    );
    assert!(kek1.unwrap(&under_token2, &aad).is_err());
}

/// Read the key object's attributes with a separate session: the KEK is
/// persistent, sensitive and not extractable, so its value cannot be read.
fn assert_key_never_leaves_the_token(label: &str) {
    use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
    use cryptoki::object::{Attribute, AttributeType};
    use cryptoki::session::UserType;
    use cryptoki::types::AuthPin;

    let ctx = Pkcs11::new(MODULE).expect("module");
    // Already initialised by the KEK in this process: that error is expected.
    let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = ctx
        .get_slots_with_initialized_token()
        .expect("slots")
        .into_iter()
        .find(|s| {
            ctx.get_token_info(*s)
                .map(|i| i.label().trim_end() == TOKEN)
                .unwrap_or(false)
        })
        .expect("token slot");
    let session = ctx.open_ro_session(slot).expect("session");
    let _ = session.login(UserType::User, Some(&AuthPin::from("123456")));
    let found = session
        .find_objects(&[Attribute::Label(label.as_bytes().to_vec())])
        .expect("find");
    assert_eq!(found.len(), 1, "exactly one object labelled {label}");
    let attrs = session
        .get_attributes(
            found[0],
            &[
                AttributeType::Token,
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::ValueLen,
            ],
        )
        .expect("attributes");
    let mut checked = 0;
    for attr in attrs {
        match attr {
            Attribute::Token(v) => assert!(v, "persistent on the token"),
            Attribute::Sensitive(v) => assert!(v, "sensitive"),
            Attribute::Extractable(v) => assert!(!v, "not extractable"),
            Attribute::ValueLen(len) => assert_eq!(u64::from(len), 32, "AES-256"),
            other => panic!("unexpected attribute {other:?}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 4);
    // And the value itself cannot be read.
    let value = session.get_attributes(found[0], &[AttributeType::Value]);
    assert!(
        value.map(|v| v.is_empty()).unwrap_or(true),
        "the token must not reveal the KEK value"
    );
}
