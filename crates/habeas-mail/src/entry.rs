//! List entries: an exact address (`alice@example.org`) or a whole domain
//! (`@example.org`), always kept in one normal form.
//!
//! Why one normal form: the same correspondent must not be in two lists under
//! two spellings, the Sieve script compares with `i;ascii-casemap`, and the
//! filter must decide exactly as the script does. So:
//! * the domain goes through UTS #46 (`idna`): lower case, IDN → punycode
//!   (`élysée.fr` → `xn--lyse-bsad.fr`);
//! * the local part is lower-cased (every mainstream provider treats it
//!   case-insensitively, and so does Sieve's default comparator);
//! * with plus-address folding on, `bob+news@x.org` becomes `bob@x.org`.
//!
//! Error messages never echo the input: it is a third party's address
//! (personal data stays out of errors and logs).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest local part allowed by RFC 5321 §4.5.3.1.1.
const MAX_LOCAL: usize = 64;
/// Longest domain allowed by RFC 5321 §4.5.3.1.2.
const MAX_DOMAIN: usize = 255;

/// How entries and message addresses are normalised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Normalise {
    /// Drop a `+detail` sub-address from the local part (RFC 5233 style).
    pub fold_plus: bool,
}

/// One list entry in normal form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// Lower-cased local part; `None` for a whole-domain entry.
    local: Option<String>,
    /// ASCII (punycode) lower-case domain.
    domain: String,
}

/// Why an entry was refused. French first, then English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("adresse vide / empty address")]
    Empty,
    #[error(
        "il manque « @ » : écrivez nom@domaine ou @domaine / missing \"@\": write name@domain or @domain"
    )]
    MissingAt,
    #[error(
        "partie locale invalide (espaces, guillemets, <>, virgules et caractères de contrôle sont refusés) / invalid local part (spaces, quotes, <>, commas and control characters are refused)"
    )]
    InvalidLocal,
    #[error("partie locale trop longue (64 octets max) / local part too long (64 bytes max)")]
    LocalTooLong,
    #[error(
        "domaine invalide (il doit avoir au moins un point et respecter IDNA) / invalid domain (it needs at least one dot and must be valid IDNA)"
    )]
    InvalidDomain,
}

impl Entry {
    /// Parses and normalises a user-typed entry (`name@domain` or `@domain`).
    pub fn parse(input: &str, opts: Normalise) -> Result<Entry, EntryError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(EntryError::Empty);
        }
        if let Some(domain) = input.strip_prefix('@') {
            return Ok(Entry {
                local: None,
                domain: normalise_domain(domain)?,
            });
        }
        let (local, domain) = input.rsplit_once('@').ok_or(EntryError::MissingAt)?;
        Ok(Entry {
            local: Some(normalise_local(local, opts)?),
            domain: normalise_domain(domain)?,
        })
    }

    /// Normalises an address read from a message header; `None` when it is not
    /// a plain mailbox address (such addresses simply match nothing).
    pub fn from_message_address(address: &str, opts: Normalise) -> Option<Entry> {
        let address = address.trim();
        if address.starts_with('@') {
            return None;
        }
        Entry::parse(address, opts).ok()
    }

    /// The whole-domain entry this address belongs to.
    pub fn domain_entry(&self) -> Entry {
        Entry {
            local: None,
            domain: self.domain.clone(),
        }
    }

    pub fn is_domain(&self) -> bool {
        self.local.is_none()
    }

    pub fn local(&self) -> Option<&str> {
        self.local.as_deref()
    }

    /// The ASCII (punycode) domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The domain in Unicode form when it is an IDN, for matching headers that
    /// carry UTF-8 domains (RFC 6532); `None` when it is plain ASCII.
    pub fn unicode_domain(&self) -> Option<String> {
        if !self
            .domain
            .split('.')
            .any(|label| label.starts_with("xn--"))
        {
            return None;
        }
        let (unicode, result) = idna::domain_to_unicode(&self.domain);
        match result {
            Ok(()) if unicode != self.domain => Some(unicode),
            _ => None,
        }
    }

    /// Re-normalises with other options (used when plus folding is switched on).
    pub fn renormalise(&self, opts: Normalise) -> Entry {
        match &self.local {
            Some(local) if opts.fold_plus => Entry {
                local: Some(fold_plus(local).to_string()),
                domain: self.domain.clone(),
            },
            _ => self.clone(),
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.local {
            Some(local) => write!(f, "{local}@{}", self.domain),
            None => write!(f, "@{}", self.domain),
        }
    }
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Entry::parse(&text, Normalise::default()).map_err(serde::de::Error::custom)
    }
}

fn normalise_local(local: &str, opts: Normalise) -> Result<String, EntryError> {
    if local.is_empty() {
        return Err(EntryError::InvalidLocal);
    }
    let forbidden = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '"' | '<' | '>' | ',' | ';' | '(' | ')' | '[' | ']' | '\\' | '@'
            )
    };
    // `${` would be expanded by Sieve's variables extension (RFC 5229) in the
    // generated script; no real mailbox uses it.
    if local.chars().any(forbidden)
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("${")
    {
        return Err(EntryError::InvalidLocal);
    }
    let lower = local.to_lowercase();
    let folded = if opts.fold_plus {
        fold_plus(&lower)
    } else {
        &lower
    };
    if folded.len() > MAX_LOCAL {
        return Err(EntryError::LocalTooLong);
    }
    Ok(folded.to_string())
}

/// `bob+news` → `bob`; a local part that starts with `+`, or whose part
/// before the `+` ends with a dot (`bob.+news` → `bob.`, not a mailbox name:
/// stored, it could not be read back — found by the fuzz target `mail_lists`),
/// is kept whole.
fn fold_plus(local: &str) -> &str {
    match local.find('+') {
        Some(index) if index > 0 && !local[..index].ends_with('.') => &local[..index],
        _ => local,
    }
}

fn normalise_domain(domain: &str) -> Result<String, EntryError> {
    if domain.is_empty() || domain.ends_with('.') || domain.contains(char::is_whitespace) {
        return Err(EntryError::InvalidDomain);
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| EntryError::InvalidDomain)?;
    if !ascii.contains('.') || ascii.len() > MAX_DOMAIN || ascii.split('.').any(str::is_empty) {
        return Err(EntryError::InvalidDomain);
    }
    Ok(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<String, EntryError> {
        Entry::parse(text, Normalise::default()).map(|e| e.to_string())
    }

    #[test]
    fn case_and_spaces_are_normalised() {
        assert_eq!(parse("  Alice@Example.ORG ").unwrap(), "alice@example.org");
        assert_eq!(parse("@Example.Org").unwrap(), "@example.org");
    }

    #[test]
    fn idn_domains_become_punycode_and_back() {
        let entry = Entry::parse("Marie@Élysée.fr", Normalise::default()).unwrap();
        assert!(entry.to_string().starts_with("marie@xn--"), "{entry}");
        assert_eq!(entry.unicode_domain().as_deref(), Some("élysée.fr"));
        assert_eq!(
            Entry::parse("a@example.org", Normalise::default())
                .unwrap()
                .unicode_domain(),
            None
        );
    }

    #[test]
    fn plus_addresses_fold_only_when_asked() {
        let fold = Normalise { fold_plus: true };
        assert_eq!(parse("bob+news@x.org").unwrap(), "bob+news@x.org");
        assert_eq!(
            Entry::parse("Bob+News@x.org", fold).unwrap().to_string(),
            "bob@x.org"
        );
        assert_eq!(
            Entry::parse("+only@x.org", fold).unwrap().to_string(),
            "+only@x.org"
        );
        // Folded, `alice.` would not be a mailbox name (nor parse back when
        // the lists are loaded): kept whole.
        let entry = Entry::parse("Alice.+Tag@x.org", fold).unwrap();
        assert_eq!(entry.to_string(), "alice.+tag@x.org");
        assert_eq!(parse(&entry.to_string()).unwrap(), "alice.+tag@x.org");
    }

    #[test]
    fn malformed_entries_are_refused_precisely() {
        assert_eq!(parse(""), Err(EntryError::Empty));
        assert_eq!(parse("alice.example.org"), Err(EntryError::MissingAt));
        assert_eq!(parse("al ice@x.org"), Err(EntryError::InvalidLocal));
        assert_eq!(parse("\"a\"@x.org"), Err(EntryError::InvalidLocal));
        assert_eq!(parse("a@@x.org"), Err(EntryError::InvalidLocal));
        assert_eq!(parse("Alice <a@x.org>"), Err(EntryError::InvalidLocal));
        assert_eq!(parse("a${1}@x.org"), Err(EntryError::InvalidLocal));
        assert_eq!(parse("a@localhost"), Err(EntryError::InvalidDomain));
        assert_eq!(parse("a@x..org"), Err(EntryError::InvalidDomain));
        assert_eq!(parse("a@x_y.org"), Err(EntryError::InvalidDomain));
        assert_eq!(parse("@"), Err(EntryError::InvalidDomain));
        assert_eq!(
            parse(&format!("{}@x.org", "a".repeat(65))),
            Err(EntryError::LocalTooLong)
        );
    }

    #[test]
    fn errors_do_not_echo_the_address() {
        let err = parse("secret.person example.org").unwrap_err().to_string();
        assert!(!err.contains("secret"));
    }
}
