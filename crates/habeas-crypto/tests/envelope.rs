//! The envelope as the engine will use it: a key directory created like
//! `habeas init` does, data keys wrapped per (subject, category), records
//! sealed bound to their identity, a KEK rotation, crypto-shredding.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use habeas_crypto::{
    Aad, CryptoError, DataKey, KeyDir, KeyEncryptionKey, KeyProvider, KeysConfig, SecretSource,
    WrappedKey, open_kek_with_env, rewrap,
};
use proptest::prelude::*;

fn project() -> (tempfile::TempDir, KeyDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir(dir.path().join("data")).expect("data dir");
    let keys = KeyDir::create(&dir.path().join("keys"), Some(&dir.path().join("data")))
        .expect("create keys");
    (dir, keys)
}

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).expect("meta").permissions().mode() & 0o777
}

#[test]
fn init_creates_private_key_directory_with_three_keys() {
    let (_tmp, keys) = project();
    assert_eq!(mode(keys.path()), 0o700);
    for file in [
        keys.kek_path(),
        keys.blind_index_path(),
        keys.journal_signing_path(),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
        let text = fs::read_to_string(&file).expect("read");
        assert!(text.starts_with("habeas-key v1\n"), "{text}");
    }
    // The public key is exported and matches the signing key.
    let signer = keys.load_journal_signer().expect("signer");
    assert_eq!(keys.journal_public_key().expect("pub"), signer.public_key());
    // Loading twice gives the same keys (same KEK id, same blind index).
    assert_eq!(
        keys.load_kek().expect("kek").id(),
        KeyDir::open(keys.path())
            .expect("open")
            .load_kek()
            .expect("kek")
            .id()
    );
}

#[test]
fn init_refuses_keys_inside_the_data_directory_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    fs::create_dir(&data).expect("mkdir");
    let err = KeyDir::create(&data.join("keys"), Some(&data)).expect_err("inside data");
    assert!(
        err.to_string().contains("inside the data directory"),
        "{err}"
    );
    assert!(!data.join("keys").exists(), "nothing created on refusal");

    let keys = KeyDir::create(&dir.path().join("keys"), Some(&data)).expect("create");
    let before = fs::read(keys.kek_path()).expect("read");
    let err = KeyDir::create(keys.path(), Some(&data)).expect_err("second init");
    assert!(err.to_string().contains("refusing to replace"), "{err}");
    assert_eq!(fs::read(keys.kek_path()).expect("read"), before);
}

#[test]
fn world_readable_key_file_is_refused_with_the_fix() {
    let (_tmp, keys) = project();
    fs::set_permissions(keys.kek_path(), fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = keys.load_kek().expect_err("0644 must be refused");
    let text = err.to_string();
    assert!(matches!(err, CryptoError::Permissions { .. }), "{text}");
    assert!(
        text.contains("chmod 600") && text.contains("kek.key"),
        "{text}"
    );

    fs::set_permissions(keys.path(), fs::Permissions::from_mode(0o777)).expect("chmod");
    let err = KeyDir::open(keys.path()).expect_err("0777 dir");
    assert!(err.to_string().contains("chmod 700"), "{err}");
}

#[test]
fn sealed_record_round_trips_through_a_wrapped_key() {
    let (_tmp, keys) = project();
    let kek = keys.load_kek().expect("kek");
    let key_aad = Aad::data_key("subject-1", "contact");
    let dek = DataKey::generate().expect("dek");
    let stored_key = kek.wrap(&dek, &key_aad).expect("wrap").into_bytes();
    let field_aad = Aad::record_field("subject-1", "contact", "rec-9", "email");
    let stored_value = dek.seal(b"alice@example.org", &field_aad).expect("seal");
    drop(dek);

    // Later, in another process: only the stored bytes and the key file.
    let kek = KeyDir::open(keys.path())
        .expect("open")
        .load_kek()
        .expect("kek");
    let wrapped = WrappedKey::from_bytes(stored_key).expect("parse");
    assert_eq!(wrapped.kek_id(), kek.id());
    let dek = kek.unwrap(&wrapped, &key_aad).expect("unwrap");
    assert_eq!(
        dek.open(&stored_value, &field_aad).expect("open"),
        b"alice@example.org"
    );
}

#[test]
fn wrong_kek_is_refused() {
    let (_a, keys_a) = project();
    let (_b, keys_b) = project();
    let kek_a = keys_a.load_kek().expect("a");
    let kek_b = keys_b.load_kek().expect("b");
    let aad = Aad::data_key("s", "c");
    let wrapped = kek_a
        .wrap(&DataKey::generate().expect("dek"), &aad)
        .expect("wrap");
    let err = kek_b.unwrap(&wrapped, &aad).expect_err("other KEK");
    assert!(matches!(err, CryptoError::WrongKek { .. }), "{err}");
    assert!(err.to_string().contains(kek_a.id().as_str()), "{err}");

    // A wrapped key relabelled with B's id (header edited) is refused too:
    // the header is authenticated.
    let mut forged = wrapped.as_bytes().to_vec();
    let id_a = kek_a.id().as_str().as_bytes();
    let id_b = kek_b.id().as_str().as_bytes();
    assert_eq!(id_a.len(), id_b.len());
    forged[3..3 + id_a.len()].copy_from_slice(id_b);
    let forged = WrappedKey::from_bytes(forged).expect("layout is fine");
    assert!(matches!(
        kek_b.unwrap(&forged, &aad),
        Err(CryptoError::Refused { .. })
    ));
}

#[test]
fn tampered_wrapped_key_is_refused_at_every_byte_after_the_header() {
    let (_tmp, keys) = project();
    let kek = keys.load_kek().expect("kek");
    let aad = Aad::data_key("s", "c");
    let wrapped = kek
        .wrap(&DataKey::generate().expect("dek"), &aad)
        .expect("wrap");
    let header = 3 + kek.id().as_str().len();
    for i in header..wrapped.as_bytes().len() {
        let mut bad = wrapped.as_bytes().to_vec();
        bad[i] ^= 0x80;
        let bad = WrappedKey::from_bytes(bad).expect("layout");
        assert!(kek.unwrap(&bad, &aad).is_err(), "byte {i}");
    }
}

#[test]
fn rotation_rewraps_without_touching_data_and_old_kek_no_longer_opens() {
    let (_tmp, keys) = project();
    let old = keys.load_kek().expect("old");
    let aad = Aad::data_key("subject-7", "billing");
    let field = Aad::record_field("subject-7", "billing", "inv-1", "iban");
    let dek = DataKey::generate().expect("dek");
    let wrapped_old = old.wrap(&dek, &aad).expect("wrap");
    let sealed = dek
        .seal(b"FR7630006000011234567890189", &field)
        .expect("seal");
    drop(dek);

    // Step 1: stage; step 2: rewrap under the ring while "serving".
    let new = keys.stage_new_kek().expect("stage");
    assert_ne!(new.id(), old.id());
    let ring = keys.load_kek_ring().expect("ring");
    assert_eq!(ring.current().id(), new.id());
    assert!(ring.needs_rewrap(&wrapped_old));
    // Reads keep working mid-rotation.
    ring.unwrap(&wrapped_old, &aad)
        .expect("old key still readable");
    let wrapped_new = ring.rewrap_to_current(&wrapped_old, &aad).expect("rewrap");
    assert_eq!(wrapped_new.kek_id(), new.id());
    assert!(!ring.needs_rewrap(&wrapped_new));

    // Same result with the free function.
    let again = rewrap(&old, &new, &wrapped_old, &aad).expect("rewrap fn");
    assert_eq!(again.kek_id(), new.id());

    // Opens under the new KEK, not under the old one; the data is unchanged.
    let dek = new.unwrap(&wrapped_new, &aad).expect("new opens");
    assert_eq!(
        dek.open(&sealed, &field).expect("data"),
        b"FR7630006000011234567890189"
    );
    assert!(matches!(
        old.unwrap(&wrapped_new, &aad),
        Err(CryptoError::WrongKek { .. })
    ));

    // Step 3: promote. kek.key is now the new KEK; the old one is retired.
    let retired = keys
        .promote_staged_kek()
        .expect("promote")
        .expect("retired id");
    assert_eq!(&retired, old.id());
    assert_eq!(keys.load_kek().expect("kek").id(), new.id());
    assert_eq!(keys.retired_keks().expect("list"), vec![old.id().clone()]);
    assert_eq!(mode(&keys.retired_dir()), 0o700);
    // A backup's key store still holding wrapped_old opens while the retired KEK lives…
    keys.load_kek_ring()
        .expect("ring")
        .unwrap(&wrapped_old, &aad)
        .expect("retired opens");

    // Step 4: destroy the retired KEK: old wrapped copies are dead for good.
    keys.destroy_retired_kek(&retired).expect("destroy");
    assert!(keys.retired_keks().expect("list").is_empty());
    let err = keys
        .load_kek_ring()
        .expect("ring")
        .unwrap(&wrapped_old, &aad)
        .expect_err("destroyed");
    assert!(matches!(err, CryptoError::WrongKek { .. }), "{err}");
}

#[test]
fn crypto_shredding_leaves_a_pre_erasure_copy_unreadable() {
    let (_tmp, keys) = project();
    let kek = keys.load_kek().expect("kek");
    // Two subjects; the "data store" is a map of sealed values, the "key store"
    // a map of wrapped keys.
    let mut key_store = std::collections::BTreeMap::new();
    let mut data_store = Vec::new();
    for subject in ["s1", "s2"] {
        let aad = Aad::data_key(subject, "contact");
        let dek = DataKey::generate().expect("dek");
        key_store.insert(subject, kek.wrap(&dek, &aad).expect("wrap"));
        let field = Aad::record_field(subject, "contact", "r1", "email");
        data_store.push((
            subject,
            field.clone(),
            dek.seal(b"someone@example.org", &field).expect("seal"),
        ));
    }
    let backup_of_data = data_store.clone();

    // Erase s1: delete its wrapped key only.
    key_store.remove("s1");

    for (subject, field, sealed) in &backup_of_data {
        match key_store.get(subject) {
            Some(wrapped) => {
                let dek = kek
                    .unwrap(wrapped, &Aad::data_key(subject, "contact"))
                    .expect("unwrap");
                assert_eq!(
                    dek.open(sealed, field).expect("s2 readable"),
                    b"someone@example.org"
                );
            }
            None => {
                assert_eq!(*subject, "s1");
                // No key: the only way left is a fresh key, which fails.
                let guess = DataKey::generate().expect("dek");
                assert!(guess.open(sealed, field).is_err());
            }
        }
    }
}

#[test]
fn configuration_opens_file_and_env_providers() {
    let (_tmp, keys) = project();
    let config = keys.config();
    let ring = config.open_kek_ring().expect("ring");
    assert_eq!(ring.id(), keys.load_kek().expect("kek").id());
    let from_config = config.open_blind_indexer().expect("indexer");
    assert_eq!(
        from_config.index_email("bob@example.be").expect("ix"),
        keys.load_blind_indexer()
            .expect("ix")
            .index_email("BOB@example.be")
            .expect("ix")
    );
    config.open_journal_signer().expect("signer");

    // An environment KEK with the same secret as a file KEK has the same id,
    // so keys wrapped by one open with the other.
    let secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let env = open_kek_with_env(
        &KeyProvider::Env {
            variable: "HABEAS_KEK".into(),
        },
        &|name| (name == "HABEAS_KEK").then(|| secret.to_string()),
    )
    .expect("env kek");
    let file_path = keys.path().join("copy.key");
    fs::write(
        &file_path,
        format!("habeas-key v1\nkind: kek\nsecret: {secret}\n"),
    )
    .expect("write");
    fs::set_permissions(&file_path, fs::Permissions::from_mode(0o600)).expect("chmod");
    let file = open_kek_with_env(&KeyProvider::File { path: file_path }, &|_| None).expect("file");
    assert_eq!(env.id(), file.id());
    let aad = Aad::data_key("s", "c");
    let dek = DataKey::generate().expect("dek");
    file.unwrap(&env.wrap(&dek, &aad).expect("wrap"), &aad)
        .expect("env-wrapped key opens with the file KEK");

    // Blind index from the environment.
    let env_indexer = habeas_crypto::open_blind_indexer_with_env(
        &SecretSource::Env {
            variable: "IX".into(),
        },
        &|name| (name == "IX").then(|| secret.to_string()),
    )
    .expect("env indexer");
    env_indexer.index_phone("+32470123456").expect("phone");

    let toml_text = toml::to_string(&config).expect("serialise");
    let parsed: KeysConfig = toml::from_str(&toml_text).expect("parse back");
    assert_eq!(parsed, config);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_open_round_trip_and_any_other_identity_is_refused(
        plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
        subject in "[a-z0-9-]{1,24}",
        record in "[a-z0-9-]{1,24}",
        other in "[a-z0-9-]{1,24}",
    ) {
        let dek = DataKey::generate().expect("dek");
        let aad = Aad::record_field(&subject, "contact", &record, "note");
        let sealed = dek.seal(&plaintext, &aad).expect("seal");
        prop_assert_eq!(dek.open(&sealed, &aad).expect("open"), plaintext);
        if other != record {
            let moved = Aad::record_field(&subject, "contact", &other, "note");
            prop_assert!(dek.open(&sealed, &moved).is_err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Bytes read back from a store are input: parsing and opening them must
    /// return an error, never panic, whatever they are.
    #[test]
    fn arbitrary_stored_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let dek = DataKey::generate().expect("dek");
        let aad = Aad::record_field("s", "c", "r", "f");
        prop_assert!(dek.open(&bytes, &aad).is_err());
        if let Ok(wrapped) = WrappedKey::from_bytes(bytes.clone()) {
            let kek = habeas_crypto::open_kek_with_env(
                &KeyProvider::Env { variable: "K".into() },
                &|_| Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
            )
            .expect("kek");
            prop_assert!(kek.unwrap(&wrapped, &Aad::data_key("s", "c")).is_err());
        }
        let _ = habeas_crypto::Checkpoint::from_bytes(&bytes);
        let _ = habeas_crypto::CheckpointSignature::from_bytes(&bytes);
        let _ = habeas_crypto::JournalPublicKey::from_bytes(&bytes);
        let _ = habeas_crypto::JournalPublicKey::from_hex(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_identifiers_never_panic(text in "\\PC{0,80}") {
        let index = habeas_crypto::open_blind_indexer_with_env(
            &SecretSource::Env { variable: "IX".into() },
            &|_| Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
        )
        .expect("indexer");
        let _ = index.index_email(&text);
        let _ = index.index_phone(&text);
        let _ = habeas_crypto::normalize_email(&text);
        let _ = index.pseudonym("ctx", text.as_bytes());
    }
}
