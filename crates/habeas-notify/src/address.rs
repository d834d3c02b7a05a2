//! A validated e-mail address. Parsing happens once, when a message is
//! built, so a mailer never meets a malformed recipient; the error never
//! repeats the address (it is personal data).

use std::fmt;
use std::str::FromStr;

/// A syntactically valid address (`local@domain`), without display name.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MailAddress(lettre::Address);

/// An address that is not `local@domain`. Holds no copy of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid e-mail address: expected `local-part@domain` with no spaces, display name or angle brackets"
)]
pub struct InvalidAddress;

impl MailAddress {
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    pub(crate) fn lettre(&self) -> &lettre::Address {
        &self.0
    }

    /// Whether the address needs SMTPUTF8 (a non-ASCII local part or domain).
    pub fn is_ascii(&self) -> bool {
        self.as_str().is_ascii()
    }
}

impl FromStr for MailAddress {
    type Err = InvalidAddress;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<lettre::Address>()
            .map(MailAddress)
            .map_err(|_| InvalidAddress)
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Debug shows the domain only, so a logged struct does not leak whom a
/// message was for.
impl fmt::Debug for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MailAddress(…@{})", self.0.domain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_addresses_and_refuses_others_without_echoing_them() {
        let a: MailAddress = " alice@example.org ".parse().unwrap();
        assert_eq!(a.as_str(), "alice@example.org");
        assert_eq!(format!("{a:?}"), "MailAddress(…@example.org)");
        for bad in ["alice", "Alice <alice@example.org>", "a b@example.org", ""] {
            let err = bad.parse::<MailAddress>().unwrap_err();
            assert!(!err.to_string().contains("alice"), "{err}");
        }
    }
}
