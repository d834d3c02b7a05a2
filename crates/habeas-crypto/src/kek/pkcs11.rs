//! PKCS#11 KEKs: an AES-256 secret-key object on a token (an HSM, or SoftHSM2
//! in tests) wraps data keys with `CKM_AES_GCM` inside the token. The KEK is
//! created non-extractable and sensitive, so it never exists outside the token.
//!
//! The data key is passed to `C_Encrypt` as data rather than with `C_WrapKey`:
//! Habeas needs the data key in memory anyway to seal records, and `C_Encrypt`
//! with GCM lets the wrapped form bind the associated data (the subject and
//! category) exactly as software wrapping does. `CKM_AES_KEY_WRAP_PAD` was not
//! used because it cannot bind associated data.
//!
//! Nonces are 96 random bits from the OS generator. NIST SP 800-38D §8.3 caps
//! a GCM key at 2^32 random-nonce invocations; one wrap per (subject, category)
//! data key plus one per rotation stays far below it (10 million subjects × 10
//! categories ≈ 2^27), but rotate the token key well before 2^32 wraps.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::{AuthPin, Ulong};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{KekId, KeyEncryptionKey, WrapAlgorithm, WrappedKey, header, wrapping_aad};
use crate::aad::Aad;
use crate::data_key::DataKey;
use crate::error::{CryptoError, Result};
use crate::keyfile;
use crate::random;

/// Where the token key is, as written in `habeas.toml`:
///
/// ```toml
/// [keys.kek]
/// provider = "pkcs11"
/// module = "/usr/lib/softhsm/libsofthsm2.so"
/// token_label = "habeas"
/// key_label = "habeas-kek-2026"
/// pin_env = "HABEAS_PKCS11_PIN"     # or: pin_file = "/etc/habeas/keys/pkcs11.pin" (mode 0600)
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pkcs11Settings {
    /// Path of the PKCS#11 module (shared library) of the token.
    pub module: PathBuf,
    /// Label of the token (as shown by `softhsm2-util --show-slots` or `pkcs11-tool -L`).
    pub token_label: String,
    /// `CKA_LABEL` of the AES key object.
    pub key_label: String,
    /// Name of the environment variable holding the user PIN
    /// (default [`DEFAULT_PIN_ENV`], `HABEAS_PKCS11_PIN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_env: Option<String>,
    /// Path of a `0600` file holding the user PIN (one line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_file: Option<PathBuf>,
}

impl std::fmt::Debug for Pkcs11Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Settings")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("key_label", &self.key_label)
            .field("pin_env", &self.pin_env)
            .field("pin_file", &self.pin_file)
            .finish()
    }
}

impl Pkcs11Settings {
    /// The id recorded in wrapped keys: `pkcs11:<token label>/<key label>`.
    pub fn kek_id(&self) -> Result<KekId> {
        KekId::new(format!("pkcs11:{}/{}", self.token_label, self.key_label))
    }

    fn pin(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Result<AuthPin> {
        let from_env = |var: &str| -> Result<Zeroizing<String>> {
            lookup(var).map(Zeroizing::new).ok_or_else(|| {
                CryptoError::Config(format!(
                    "the environment variable {var} holding the token PIN is not set \
                     (or name another one with pin_env, or use pin_file)"
                ))
            })
        };
        let text: Zeroizing<String> = match (&self.pin_env, &self.pin_file) {
            (Some(var), None) => from_env(var)?,
            (None, Some(path)) => keyfile::read_private(path, "read PIN file")?,
            (None, None) => from_env(DEFAULT_PIN_ENV)?,
            (Some(_), Some(_)) => {
                return Err(CryptoError::Config(
                    "PKCS#11: give either `pin_env` (a variable name) or `pin_file` \
                     (a 0600 file), not both"
                        .into(),
                ));
            }
        };
        let pin = text.trim_end_matches(['\n', '\r']);
        if pin.is_empty() {
            return Err(CryptoError::Config(
                "PKCS#11: the token PIN is empty".into(),
            ));
        }
        Ok(AuthPin::from(pin))
    }
}

/// The variable read for the PIN when neither `pin_env` nor `pin_file` is set.
pub const DEFAULT_PIN_ENV: &str = "HABEAS_PKCS11_PIN";

/// A KEK that lives on a PKCS#11 token.
pub struct Pkcs11Kek {
    id: KekId,
    // Field order matters: the session closes before the module handle drops.
    session: Mutex<Session>,
    key: ObjectHandle,
    module: PathBuf,
    _context: Pkcs11,
}

fn p11(action: &'static str) -> impl Fn(P11Error) -> CryptoError {
    move |e| CryptoError::Pkcs11 {
        action,
        detail: e.to_string(),
    }
}

fn is_rv(e: &P11Error, rv: RvError) -> bool {
    matches!(e, P11Error::Pkcs11(found, _) if *found == rv)
}

impl Pkcs11Kek {
    /// Log in to the token and find the key labelled `key_label`.
    pub fn open(settings: &Pkcs11Settings) -> Result<Self> {
        Self::open_with_env(settings, &|name| std::env::var(name).ok())
    }

    /// [`Pkcs11Kek::open`] with an injected environment lookup for `pin_env`.
    pub fn open_with_env(
        settings: &Pkcs11Settings,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let (context, session) = login(settings, lookup)?;
        let template = key_template(settings);
        let found = session.find_objects(&template).map_err(p11("find key"))?;
        let key = match found.as_slice() {
            [one] => *one,
            [] => {
                return Err(CryptoError::Pkcs11 {
                    action: "find key",
                    detail: format!(
                        "no AES key labelled `{}` on token `{}`; create it with \
                         `habeas keys create-pkcs11` (or your HSM's tools)",
                        settings.key_label, settings.token_label
                    ),
                });
            }
            _ => {
                return Err(CryptoError::Pkcs11 {
                    action: "find key",
                    detail: format!(
                        "{} AES keys are labelled `{}` on token `{}`; labels must be unique",
                        found.len(),
                        settings.key_label,
                        settings.token_label
                    ),
                });
            }
        };
        Ok(Pkcs11Kek {
            id: settings.kek_id()?,
            session: Mutex::new(session),
            key,
            module: settings.module.clone(),
            _context: context,
        })
    }

    /// Generate a new AES-256 KEK on the token (persistent, private, sensitive,
    /// not extractable) and open it. Refuses if the label is taken.
    pub fn create_key(settings: &Pkcs11Settings) -> Result<Self> {
        Self::create_key_with_env(settings, &|name| std::env::var(name).ok())
    }

    /// [`Pkcs11Kek::create_key`] with an injected environment lookup.
    pub fn create_key_with_env(
        settings: &Pkcs11Settings,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let (context, session) = login(settings, lookup)?;
        let existing = session
            .find_objects(&key_template(settings))
            .map_err(p11("find key"))?;
        if !existing.is_empty() {
            return Err(CryptoError::Refusal(format!(
                "token `{}` already holds a key labelled `{}`; choose another key_label",
                settings.token_label, settings.key_label
            )));
        }
        let template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::ValueLen(Ulong::from(32u64)),
            Attribute::Label(settings.key_label.as_bytes().to_vec()),
        ];
        session
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(p11("generate key"))?;
        drop(session);
        drop(context);
        Self::open_with_env(settings, lookup)
    }

    fn session(&self) -> Result<std::sync::MutexGuard<'_, Session>> {
        self.session.lock().map_err(|_| CryptoError::Pkcs11 {
            action: "lock session",
            detail: "a previous operation panicked while using the token session".into(),
        })
    }
}

fn key_template(settings: &Pkcs11Settings) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Label(settings.key_label.as_bytes().to_vec()),
    ]
}

fn login(
    settings: &Pkcs11Settings,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(Pkcs11, Session)> {
    let pin = settings.pin(lookup)?;
    let context = load_module(&settings.module)?;
    let slot = find_slot(&context, &settings.token_label)?;
    let session = context.open_rw_session(slot).map_err(p11("open session"))?;
    match session.login(UserType::User, Some(&pin)) {
        Ok(()) => {}
        // Login state is per application and token: another session of this
        // process is already logged in, which is what we need.
        Err(e) if is_rv(&e, RvError::UserAlreadyLoggedIn) => {}
        Err(e) if is_rv(&e, RvError::PinIncorrect) => {
            return Err(CryptoError::Pkcs11 {
                action: "log in",
                detail: format!(
                    "the PIN for token `{}` is incorrect (check pin_env / pin_file; \
                     repeated failures may lock the token)",
                    settings.token_label
                ),
            });
        }
        Err(e) => return Err(p11("log in")(e)),
    }
    Ok((context, session))
}

fn load_module(module: &Path) -> Result<Pkcs11> {
    if !module.is_file() {
        return Err(CryptoError::Pkcs11 {
            action: "load module",
            detail: format!(
                "{} does not exist (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)",
                module.display()
            ),
        });
    }
    let context = Pkcs11::new(module).map_err(p11("load module"))?;
    match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => Ok(context),
        // The module is shared by every KEK of this process.
        Err(e) if is_rv(&e, RvError::CryptokiAlreadyInitialized) => Ok(context),
        Err(e) => Err(p11("initialise module")(e)),
    }
}

fn find_slot(context: &Pkcs11, token_label: &str) -> Result<Slot> {
    let slots = context
        .get_slots_with_initialized_token()
        .map_err(p11("list slots"))?;
    let mut labels = Vec::new();
    for slot in slots {
        let info = context
            .get_token_info(slot)
            .map_err(p11("read token info"))?;
        let label = info.label().trim_end().to_string();
        if label == token_label {
            return Ok(slot);
        }
        labels.push(label);
    }
    Err(CryptoError::Pkcs11 {
        action: "find token",
        detail: format!(
            "no initialised token labelled `{token_label}` (found: {})",
            if labels.is_empty() {
                "none".to_string()
            } else {
                labels.join(", ")
            }
        ),
    })
}

impl KeyEncryptionKey for Pkcs11Kek {
    fn id(&self) -> &KekId {
        &self.id
    }

    fn describe(&self) -> String {
        format!("{} (PKCS#11 module {})", self.id, self.module.display())
    }

    fn wrap(&self, key: &DataKey, aad: &Aad) -> Result<WrappedKey> {
        let mut nonce: [u8; 12] = random::array()?;
        let header = header(WrapAlgorithm::Pkcs11AesGcm, &self.id)?;
        let bound = wrapping_aad(&header, aad);
        let params = GcmParams::new(&mut nonce, &bound, Ulong::from(128u64))
            .map_err(p11("prepare AES-GCM"))?;
        let sealed = self
            .session()?
            .encrypt(&Mechanism::AesGcm(params), self.key, key.expose())
            .map_err(p11("wrap data key"))?;
        WrappedKey::assemble(WrapAlgorithm::Pkcs11AesGcm, &self.id, &nonce, &sealed)
    }

    fn unwrap(&self, wrapped: &WrappedKey, aad: &Aad) -> Result<DataKey> {
        wrapped.expect_kek(&self.id)?;
        if wrapped.algorithm() != WrapAlgorithm::Pkcs11AesGcm {
            return Err(CryptoError::malformed(
                "wrapped data key",
                "wrapped by a software key, not by a PKCS#11 token",
            ));
        }
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(wrapped.nonce());
        let bound = wrapping_aad(wrapped.header(), aad);
        let params = GcmParams::new(&mut nonce, &bound, Ulong::from(128u64))
            .map_err(p11("prepare AES-GCM"))?;
        match self.session()?.decrypt(
            &Mechanism::AesGcm(params),
            self.key,
            wrapped.sealed_key_and_tag(),
        ) {
            Ok(plain) => DataKey::from_unwrapped(plain),
            // A failed GCM tag check: the standard code is
            // CKR_ENCRYPTED_DATA_INVALID; SoftHSM2 reports CKR_GENERAL_ERROR and
            // other tokens CKR_FUNCTION_FAILED. The session and key were
            // usable a moment ago (the encrypt-side calls succeeded), so these
            // codes from C_Decrypt mean "this wrapped key does not open".
            Err(e)
                if is_rv(&e, RvError::EncryptedDataInvalid)
                    || is_rv(&e, RvError::EncryptedDataLenRange)
                    || is_rv(&e, RvError::FunctionFailed)
                    || is_rv(&e, RvError::GeneralError) =>
            {
                Err(CryptoError::Refused {
                    what: "wrapped data key",
                })
            }
            Err(e) => Err(p11("unwrap data key")(e)),
        }
    }
}

impl std::fmt::Debug for Pkcs11Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pkcs11Kek({})", self.id)
    }
}
