//! The vault's stored formats read back from bytes someone may have changed
//! (crates/habeas-crypto): a sealed value, a wrapped data key, a journal
//! checkpoint and its signature, an environment secret. Never a panic;
//! nothing forged opens; a value sealed for one record opens for it alone,
//! and any one changed byte of it is refused.
#![no_main]

use std::sync::OnceLock;

use habeas_crypto::{
    Aad, Checkpoint, CheckpointSignature, DataKey, JournalPublicKey, KeyEncryptionKey,
    SecretSource, SoftwareKek, WrappedKey, check_e164, normalize_email,
    open_journal_signer_with_env,
};
use libfuzzer_sys::fuzz_target;

struct Fixed {
    key: DataKey,
    kek: SoftwareKek,
    public: JournalPublicKey,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string();
        let kek = SoftwareKek::from_env_with("HABEAS_FUZZ_KEK", &|_| Some(secret.clone()))
            .expect("a valid secret");
        let source = SecretSource::Env {
            variable: "HABEAS_FUZZ_SIGNER".into(),
        };
        let signer =
            open_journal_signer_with_env(&source, &|_| Some(secret.clone())).expect("a valid seed");
        Fixed {
            key: DataKey::generate().expect("a key"),
            kek,
            public: signer.public_key(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixed();
    let aad = Aad::record_field("sub_1", "contact", "rec_1", "email");

    // Bytes from the stores: nothing opens that was not sealed here.
    assert!(f.key.open(data, &aad).is_err(), "forged ciphertext opened");
    if let Ok(wrapped) = WrappedKey::from_bytes(data.to_vec()) {
        assert_eq!(wrapped.as_bytes(), data);
        assert!(
            f.kek
                .unwrap(&wrapped, &Aad::data_key("sub_1", "contact"))
                .is_err()
        );
    }
    if let Ok(cp) = Checkpoint::from_bytes(data) {
        assert_eq!(&cp.to_bytes()[..], data);
    }
    if data.len() >= 64 {
        if let Ok(sig) = CheckpointSignature::from_bytes(&data[..64]) {
            assert!(
                f.public.verify(&data[64..], &sig).is_err(),
                "forged signature"
            );
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = JournalPublicKey::from_hex(text);
        let _ = SoftwareKek::from_env_with("V", &|_| Some(text.to_string()));
        if let Ok(email) = normalize_email(text) {
            assert_eq!(
                normalize_email(&email).ok().as_deref(),
                Some(email.as_str())
            );
        }
        let _ = check_e164(text);
    }

    // A value sealed here: opens for its record only, and not once changed.
    let sealed = f.key.seal(data, &aad).expect("sealing");
    assert_eq!(f.key.open(&sealed, &aad).expect("opens"), data);
    let other = Aad::record_field("sub_1", "contact", "rec_2", "email");
    assert!(
        f.key.open(&sealed, &other).is_err(),
        "opened for another record"
    );
    let at = data.first().map_or(0, |&b| usize::from(b)) % sealed.len();
    let mut changed = sealed.clone();
    changed[at] ^= 0x01;
    assert!(
        f.key.open(&changed, &aad).is_err(),
        "a changed byte was not caught"
    );
    assert!(f.key.open(&sealed[..sealed.len() - 1], &aad).is_err());
});
