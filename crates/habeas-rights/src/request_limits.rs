//! What "done" means for a restriction (Art. 18) or objection (Art. 21)
//! request: the declared activities it applies to are recorded as limits
//! the vault enforces on every read and write (`habeas limits` lifts them).
//!
//! Why one function here: the CLI (`habeas requests done --purposes`) and
//! the DPO console close these requests the same way; the check of the
//! purposes and the vault calls must not exist twice.

use habeas_core::lang::Lang;
use habeas_core::rights::RequestKind;
use habeas_core::rights::policy::ObjectionStatus;
use habeas_engine::{Caller, EngineError, Vault};

use crate::service::RequestView;

/// Why the limits of a request could not be recorded. Nothing was recorded
/// unless the error is [`LimitsError::Engine`] (a vault failure part-way).
#[derive(Debug, thiserror::Error)]
pub enum LimitsError {
    #[error("purposes only apply to a restriction or objection request")]
    NotLimiting,
    #[error("name the purposes concerned (Art. 18 / 21)")]
    NoPurposes,
    #[error("the request names no subject")]
    NoSubject,
    #[error("`{0}` is not a declared activity")]
    UnknownPurpose(String),
    #[error(
        "`{0}` is not open to objection (Art. 21: public task, legitimate interests or direct marketing only)"
    )]
    NotObjectable(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl LimitsError {
    /// The message for staff, in `lang`.
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            LimitsError::NotLimiting => lang
                .pick(
                    "les finalités ne valent que pour une demande de limitation ou d'opposition",
                    "purposes only apply to a restriction or objection request",
                )
                .into(),
            LimitsError::NoPurposes => lang
                .pick(
                    "indiquez les finalités concernées (art. 18 / 21)",
                    "name the purposes concerned (Art. 18 / 21)",
                )
                .into(),
            LimitsError::NoSubject => lang
                .pick(
                    "la demande ne désigne pas de personne",
                    "the request names no subject",
                )
                .into(),
            LimitsError::UnknownPurpose(p) => match lang {
                Lang::Fr => format!("« {p} » n'est pas une activité déclarée"),
                Lang::En => format!("`{p}` is not a declared activity"),
            },
            LimitsError::NotObjectable(p) => match lang {
                Lang::Fr => format!(
                    "on ne peut pas s'opposer à « {p} » (art. 21 : mission d'intérêt public, intérêt légitime ou prospection seulement) ; proposez une limitation, un effacement ou le retrait du consentement"
                ),
                Lang::En => format!(
                    "`{p}` is not open to objection (Art. 21: public task, legitimate interests or direct marketing only); offer restriction, erasure or consent withdrawal instead"
                ),
            },
            LimitsError::Engine(e) => e.to_string(),
        }
    }
}

/// Records the limits a restriction or objection request asks for, before
/// the request is marked done. For any other kind, `purposes` must be empty
/// and nothing is recorded. Every purpose is checked before the first write.
pub fn apply_request_limits(
    vault: &Vault,
    caller: &Caller,
    request: &RequestView,
    purposes: &[String],
) -> Result<(), LimitsError> {
    let limiting = matches!(
        request.kind,
        RequestKind::Restriction | RequestKind::Objection
    );
    if !limiting {
        return if purposes.is_empty() {
            Ok(())
        } else {
            Err(LimitsError::NotLimiting)
        };
    }
    if purposes.is_empty() {
        return Err(LimitsError::NoPurposes);
    }
    let subject = request.subject.as_deref().ok_or(LimitsError::NoSubject)?;
    if let Some(unknown) = purposes
        .iter()
        .find(|p| vault.declarations().activity(p).is_none())
    {
        return Err(LimitsError::UnknownPurpose(unknown.clone()));
    }
    if request.kind == RequestKind::Objection
        && let Some(closed) = purposes.iter().find(|p| {
            vault
                .declarations()
                .activity(p)
                .is_some_and(|a| !a.open_to_objection())
        })
    {
        return Err(LimitsError::NotObjectable(closed.clone()));
    }
    for purpose in purposes {
        if request.kind == RequestKind::Restriction {
            // Art. 18(1): the data are kept but not otherwise processed.
            vault.set_restriction(caller, subject, purpose, true)?;
        } else {
            // Art. 21(1): processing stops unless compelling grounds are shown.
            vault.set_objection(caller, subject, purpose, Some(ObjectionStatus::Active))?;
        }
    }
    Ok(())
}
