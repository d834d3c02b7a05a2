//! The kinds of data-subject request (GDPR Art. 15–21 and 7(3)).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::declarations::vocab::Right;
use crate::lang::Lang;

/// What the subject asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Art. 15.
    Access,
    /// Art. 16.
    Rectification,
    /// Art. 17.
    Erasure,
    /// Art. 18.
    Restriction,
    /// Art. 20.
    Portability,
    /// Art. 21.
    Objection,
    /// Art. 7(3).
    ConsentWithdrawal,
}

impl RequestKind {
    pub const ALL: [RequestKind; 7] = [
        RequestKind::Access,
        RequestKind::Rectification,
        RequestKind::Erasure,
        RequestKind::Restriction,
        RequestKind::Portability,
        RequestKind::Objection,
        RequestKind::ConsentWithdrawal,
    ];

    pub fn key(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Portability => "portability",
            RequestKind::Objection => "objection",
            RequestKind::ConsentWithdrawal => "consent_withdrawal",
        }
    }

    /// The GDPR article that grants the right.
    pub fn article(self) -> &'static str {
        match self {
            RequestKind::ConsentWithdrawal => "7(3)",
            other => other.right().map(Right::article).unwrap_or(""),
        }
    }

    /// The right a provider declares a promised delay for, if any.
    pub fn right(self) -> Option<Right> {
        match self {
            RequestKind::Access => Some(Right::Access),
            RequestKind::Rectification => Some(Right::Rectification),
            RequestKind::Erasure => Some(Right::Erasure),
            RequestKind::Restriction => Some(Right::Restriction),
            RequestKind::Portability => Some(Right::Portability),
            RequestKind::Objection => Some(Right::Objection),
            RequestKind::ConsentWithdrawal => None,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RequestKind::ConsentWithdrawal => {
                lang.pick("Retrait du consentement", "Consent withdrawal")
            }
            other => other.right().map(|r| r.label(lang)).unwrap_or(""),
        }
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A request kind that is not one of the seven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown request kind `{0}`: use access, rectification, erasure, restriction, portability, objection or consent_withdrawal"
)]
pub struct UnknownRequestKind(pub String);

impl FromStr for RequestKind {
    type Err = UnknownRequestKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = s.trim().to_ascii_lowercase().replace('-', "_");
        RequestKind::ALL
            .into_iter()
            .find(|k| k.key() == key)
            .ok_or_else(|| UnknownRequestKind(s.trim().to_string()))
    }
}
