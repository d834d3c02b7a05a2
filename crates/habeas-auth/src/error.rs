//! Errors of the staff and session services. Messages say what went wrong and
//! how to fix it, and never hold a password, a code, a token or a login.

use habeas_core::docs::DocError;
use habeas_core::lang::Lang;

use crate::password::PasswordProblem;

/// What an account operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Store(#[from] DocError),
    /// A stored document could not be decoded.
    #[error("stored {kind} document {id} is unreadable ({detail}); restore it from a backup")]
    Corrupt {
        kind: &'static str,
        id: String,
        detail: String,
    },
    #[error("no staff account with id {0}; `habeas staff list` shows the ids")]
    UnknownStaff(String),
    #[error("this login is already used by another staff account; choose another one")]
    LoginTaken,
    #[error("invalid login: {0}")]
    InvalidLogin(&'static str),
    #[error("invalid display name: use 1–128 characters without control characters")]
    InvalidDisplayName,
    #[error("unknown role `{role}`: declared roles are {known}; declare it under [roles.{role}]")]
    UnknownRole { role: String, known: String },
    #[error("a staff account needs at least one declared role")]
    NoRole,
    #[error("password refused: {0}")]
    WeakPassword(PasswordProblem),
    #[error("the current password is wrong; nothing was changed")]
    WrongPassword,
    #[error("no TOTP enrolment is in progress for this account; start one first")]
    NoPendingEnrolment,
    #[error("this account has no second factor yet; enrol TOTP first")]
    TotpNotEnrolled,
    #[error("the code does not match; check the authenticator's clock and type the current code")]
    InvalidCode,
    #[error("too many failed attempts; retry after {until}")]
    Locked {
        until: chrono::DateTime<chrono::Utc>,
    },
    #[error("this account is disabled; enable it first")]
    Disabled,
    #[error("the password hashing pool is busy; retry in a moment")]
    Busy,
    #[error("invalid authentication setting: {0}")]
    Config(String),
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("the account changed concurrently several times; retry")]
    Contended,
}

impl AuthError {
    /// The message in French or English (the English one is also `Display`).
    pub fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            AuthError::LoginTaken => {
                "cet identifiant est déjà utilisé par un autre compte ; choisissez-en un autre".into()
            }
            AuthError::InvalidLogin(why) => format!("identifiant invalide : {why}"),
            AuthError::InvalidDisplayName => {
                "nom affiché invalide : 1 à 128 caractères, sans caractère de contrôle".into()
            }
            AuthError::UnknownRole { role, known } => format!(
                "rôle inconnu `{role}` : les rôles déclarés sont {known} ; déclarez-le sous [roles.{role}]"
            ),
            AuthError::NoRole => "un compte du personnel doit avoir au moins un rôle déclaré".into(),
            AuthError::WeakPassword(p) => format!("mot de passe refusé : {}", p.describe(Lang::Fr)),
            AuthError::WrongPassword => {
                "le mot de passe actuel est faux ; rien n'a été modifié".into()
            }
            AuthError::NoPendingEnrolment => {
                "aucun enrôlement TOTP en cours pour ce compte ; commencez-en un".into()
            }
            AuthError::TotpNotEnrolled => {
                "ce compte n'a pas encore de second facteur ; enrôlez d'abord un TOTP".into()
            }
            AuthError::InvalidCode => {
                "le code ne correspond pas ; vérifiez l'heure de l'application et saisissez le code courant".into()
            }
            AuthError::Locked { until } => format!(
                "trop de tentatives échouées ; réessayez après {}",
                until.format("%Y-%m-%d %H:%M UTC")
            ),
            AuthError::Disabled => "ce compte est désactivé ; réactivez-le d'abord".into(),
            AuthError::Busy => {
                "le calcul des mots de passe est saturé ; réessayez dans un instant".into()
            }
            AuthError::UnknownStaff(id) => format!(
                "aucun compte du personnel avec l'identifiant {id} ; `habeas staff list` les affiche"
            ),
            other => other.to_string(),
        }
    }
}
