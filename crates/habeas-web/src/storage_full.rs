//! Telling a full disk apart from the other failures on our side.
//!
//! Each store says "the disk is full" in its own error type: the vault's
//! `EngineError::Unavailable`, the domains' `DocError::Full` (wrapped in
//! `RightsError`, `AuthError`, `RegisterError`, …), the mail lists'
//! `StoreError::Full`. A full disk is not a bug: nothing was stored,
//! freeing space is the remedy and no restart is needed, so every answer —
//! API or page — says "retry later" (503 with `Retry-After`) rather than
//! "internal error" (RELIABILITY.md T05). [`StorageFull`] asks any of those
//! errors the question; [`OurSide`] keeps the answer when a page flattens
//! several error types into one to log them.

use std::fmt;

use habeas_core::docs::DocError;
use habeas_engine::EngineError;

/// Whether an error means "the disk under a store is full".
pub trait StorageFull {
    fn storage_full(&self) -> bool;
}

impl StorageFull for DocError {
    fn storage_full(&self) -> bool {
        matches!(self, DocError::Full)
    }
}

impl StorageFull for EngineError {
    fn storage_full(&self) -> bool {
        matches!(self, EngineError::Unavailable(_))
    }
}

impl StorageFull for habeas_rights::RightsError {
    fn storage_full(&self) -> bool {
        matches!(self, habeas_rights::RightsError::Doc(DocError::Full))
    }
}

impl StorageFull for habeas_rights::vault_bridge::BridgeError {
    fn storage_full(&self) -> bool {
        use habeas_rights::vault_bridge::BridgeError as B;
        match self {
            B::Engine(e) => e.storage_full(),
            B::Rights(e) => e.storage_full(),
            _ => false,
        }
    }
}

impl StorageFull for habeas_rights::request_limits::LimitsError {
    fn storage_full(&self) -> bool {
        match self {
            habeas_rights::request_limits::LimitsError::Engine(e) => e.storage_full(),
            _ => false,
        }
    }
}

impl StorageFull for habeas_auth::AuthError {
    fn storage_full(&self) -> bool {
        matches!(self, habeas_auth::AuthError::Store(DocError::Full))
    }
}

impl StorageFull for habeas_retention::RetentionError {
    fn storage_full(&self) -> bool {
        matches!(self, habeas_retention::RetentionError::Docs(DocError::Full))
    }
}

impl StorageFull for habeas_breach::RegisterError {
    fn storage_full(&self) -> bool {
        matches!(self, habeas_breach::RegisterError::Storage(DocError::Full))
    }
}

impl StorageFull for habeas_breach::vault_bridge::BridgeError {
    fn storage_full(&self) -> bool {
        use habeas_breach::vault_bridge::BridgeError as B;
        match self {
            B::Register(e) => e.storage_full(),
            B::Engine(e) => e.storage_full(),
            _ => false,
        }
    }
}

impl StorageFull for habeas_mail::StoreError {
    fn storage_full(&self) -> bool {
        self.is_full()
    }
}

/// A failure on our side, flattened for the log, that remembers whether
/// the disk was full. Its text is the source error's, which never holds a
/// value (each domain's errors promise so).
#[derive(Debug)]
pub struct OurSide {
    detail: String,
    full: bool,
}

impl OurSide {
    /// A failure that cannot be a full disk (rendering, mail delivery, …).
    pub fn other(err: impl fmt::Display) -> OurSide {
        OurSide {
            detail: err.to_string(),
            full: false,
        }
    }

    /// `err` with what was being done in front of it, for the log.
    pub fn within(what: &str, err: &(impl StorageFull + fmt::Display)) -> OurSide {
        OurSide {
            detail: format!("{what}: {err}"),
            full: err.storage_full(),
        }
    }
}

impl<E: StorageFull + fmt::Display> From<E> for OurSide {
    fn from(err: E) -> Self {
        OurSide {
            detail: err.to_string(),
            full: err.storage_full(),
        }
    }
}

impl OurSide {
    /// Whether the failure was a full disk.
    pub fn storage_full(&self) -> bool {
        self.full
    }
}

impl fmt::Display for OurSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_told_apart_through_every_wrapper() {
        let full: Vec<OurSide> = vec![
            DocError::Full.into(),
            habeas_engine::error::storage_full().into(),
            habeas_rights::RightsError::Doc(DocError::Full).into(),
            habeas_rights::vault_bridge::BridgeError::Rights(habeas_rights::RightsError::Doc(
                DocError::Full,
            ))
            .into(),
            habeas_auth::AuthError::Store(DocError::Full).into(),
            habeas_retention::RetentionError::Docs(DocError::Full).into(),
            habeas_breach::RegisterError::Storage(DocError::Full).into(),
            habeas_breach::vault_bridge::BridgeError::Engine(habeas_engine::error::storage_full())
                .into(),
            habeas_mail::StoreError::Full.into(),
            OurSide::within("mail lists", &habeas_mail::StoreError::Full),
        ];
        for (i, e) in full.iter().enumerate() {
            assert!(e.storage_full(), "case {i}: {e}");
        }
    }

    #[test]
    fn other_failures_stay_internal() {
        let other: Vec<OurSide> = vec![
            DocError::Storage("io".into()).into(),
            DocError::InvalidKey.into(),
            EngineError::Storage("io".into()).into(),
            habeas_rights::RightsError::Doc(DocError::Storage("x".into())).into(),
            habeas_auth::AuthError::Busy.into(),
            habeas_mail::StoreError::Vault("refused".into()).into(),
        ];
        for (i, e) in other.iter().enumerate() {
            assert!(!e.storage_full(), "case {i}: {e}");
        }
        let e = OurSide::within("portal limits", &DocError::Full);
        assert!(e.to_string().starts_with("portal limits: "), "{e}");
    }
}
