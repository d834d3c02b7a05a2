//! Classification of a message from its headers: perso, allow, deny or none.
//!
//! Which headers count (documented in docs/mail.md):
//! * **From** (every address, every From field) and **Sender** identify the
//!   sender. This is what the user sees and what Sieve's `address` test reads.
//! * **Reply-To is ignored**: mailing lists and newsletters set it freely, so a
//!   perso correspondent's list post would turn list traffic personal, and a
//!   spammer could put an allowed address there.
//! * **To and Cc count only for the user's own outgoing mail** (From is the
//!   user — a sent copy, a self-Bcc): mail *to* a personal correspondent is
//!   personal too.
//! * The envelope sender is not used: it is not visible in a stored message,
//!   so export/purge could not re-check the decision.
//!
//! Per address, an exact entry beats a domain entry. Across the addresses,
//! perso > allow > deny > none. All headers can be forged: the lists are a
//! convenience for the user, not an authentication mechanism.

use std::fmt;

use mail_parser::{Address, HeaderName, HeaderValue, MessageParser};
use serde::{Deserialize, Serialize};

use crate::entry::{Entry, Normalise};
use crate::lists::{ListKind, UserLists};

/// The classification written in `X-Habeas-Class`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    // Order matters: `max` picks the strongest class.
    None,
    Deny,
    Allow,
    Perso,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::None => "none",
            Class::Deny => "deny",
            Class::Allow => "allow",
            Class::Perso => "perso",
        }
    }

    fn from_list(kind: ListKind) -> Class {
        match kind {
            ListKind::Allow => Class::Allow,
            ListKind::Deny => Class::Deny,
            ListKind::Perso => Class::Perso,
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The header data classification needs, read with mail-parser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageAddresses {
    /// Addresses of every From field, then the Sender field(s).
    pub senders: Vec<String>,
    /// Only the From addresses (to recognise the user's own mail).
    pub from: Vec<String>,
    /// Addresses of every To and Cc field.
    pub recipients: Vec<String>,
    /// Decoded Subject (RFC 2047), first Subject field.
    pub subject: Option<String>,
    /// The topmost `X-Habeas-Class` value, if any.
    pub habeas_class: Option<String>,
}

impl MessageAddresses {
    /// Reads the header block (`None` when mail-parser finds no header at all).
    pub fn parse(header_block: &[u8]) -> Option<MessageAddresses> {
        let message = MessageParser::new().parse_headers(header_block)?;
        let mut out = MessageAddresses::default();
        for header in message.headers() {
            match &header.name {
                HeaderName::From => {
                    push_addresses(&mut out.from, &header.value);
                    push_addresses(&mut out.senders, &header.value);
                }
                HeaderName::Sender => push_addresses(&mut out.senders, &header.value),
                HeaderName::To | HeaderName::Cc => {
                    push_addresses(&mut out.recipients, &header.value)
                }
                HeaderName::Subject if out.subject.is_none() => {
                    if let Some(text) = header.value.as_text() {
                        out.subject = Some(text.to_string());
                    }
                }
                HeaderName::Other(name)
                    if out.habeas_class.is_none()
                        && name.eq_ignore_ascii_case("x-habeas-class") =>
                {
                    if let Some(text) = header.value.as_text() {
                        out.habeas_class = Some(text.trim().to_ascii_lowercase());
                    }
                }
                _ => {}
            }
        }
        Some(out)
    }
}

fn push_addresses(out: &mut Vec<String>, value: &HeaderValue<'_>) {
    if let HeaderValue::Address(address) = value {
        let iter: Box<dyn Iterator<Item = _>> = match address {
            Address::List(list) => Box::new(list.iter()),
            Address::Group(groups) => Box::new(groups.iter().flat_map(|g| g.addresses.iter())),
        };
        out.extend(iter.filter_map(|addr| addr.address().map(str::to_string)));
    }
}

impl UserLists {
    /// The class of one address: exact entry first, then its domain.
    pub fn verdict(&self, address: &str) -> Class {
        self.verdict_with(address, self.settings.normalise())
    }

    fn verdict_with(&self, address: &str, opts: Normalise) -> Class {
        let Some(entry) = Entry::from_message_address(address, opts) else {
            return Class::None;
        };
        self.find(&entry)
            .or_else(|| self.find(&entry.domain_entry()))
            .map_or(Class::None, Class::from_list)
    }

    /// The class of a message (see the module documentation for the rules).
    pub fn classify(&self, message: &MessageAddresses) -> Class {
        let opts = self.settings.normalise();
        let mut class = message
            .senders
            .iter()
            .map(|a| self.verdict_with(a, opts))
            .max()
            .unwrap_or(Class::None);
        if class != Class::Perso && self.is_own_mail(message, opts) {
            let to_perso = message
                .recipients
                .iter()
                .any(|a| self.verdict_with(a, opts) == Class::Perso);
            if to_perso {
                class = Class::Perso;
            }
        }
        class
    }

    fn is_own_mail(&self, message: &MessageAddresses, opts: Normalise) -> bool {
        let Some(me) = Entry::from_message_address(&self.user, opts) else {
            return false;
        };
        message
            .from
            .iter()
            .any(|a| Entry::from_message_address(a, opts).as_ref() == Some(&me))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lists::{ListKind, Settings};

    fn lists() -> UserLists {
        let mut l = UserLists::new("me@corp.example");
        l.add(ListKind::Perso, "mum@family.example").unwrap();
        l.add(ListKind::Perso, "@club.example").unwrap();
        l.add(ListKind::Deny, "@spam.example").unwrap();
        l.add(ListKind::Allow, "boss@spam.example").unwrap();
        l.add(ListKind::Deny, "pest@club.example").unwrap();
        l
    }

    fn classify(l: &UserLists, headers: &str) -> Class {
        let parsed = MessageAddresses::parse(headers.as_bytes()).unwrap();
        l.classify(&parsed)
    }

    #[test]
    fn exact_address_beats_its_domain() {
        let l = lists();
        assert_eq!(l.verdict("x@spam.example"), Class::Deny);
        assert_eq!(l.verdict("Boss@SPAM.example"), Class::Allow);
        assert_eq!(l.verdict("friend@club.example"), Class::Perso);
        assert_eq!(l.verdict("pest@club.example"), Class::Deny);
        assert_eq!(l.verdict("other@else.example"), Class::None);
        assert_eq!(l.verdict("not an address"), Class::None);
    }

    #[test]
    fn from_with_display_name_and_encoded_words() {
        let l = lists();
        let h = "From: =?UTF-8?Q?Maman_=C3=A9t=C3=A9?= <MUM@family.example>\r\nSubject: hi\r\n\r\n";
        assert_eq!(classify(&l, h), Class::Perso);
    }

    #[test]
    fn strongest_class_wins_across_addresses() {
        let l = lists();
        let h = "From: a@spam.example, mum@family.example\nSender: a@spam.example\n\n";
        assert_eq!(classify(&l, h), Class::Perso);
        let h = "From: x@spam.example\nSender: boss@spam.example\n\n";
        assert_eq!(classify(&l, h), Class::Allow);
        let h = "From: x@spam.example\n\n";
        assert_eq!(classify(&l, h), Class::Deny);
    }

    #[test]
    fn reply_to_is_ignored() {
        let l = lists();
        let h = "From: news@shop.example\nReply-To: mum@family.example\n\n";
        assert_eq!(classify(&l, h), Class::None);
    }

    #[test]
    fn recipients_count_only_for_own_mail() {
        let l = lists();
        let incoming =
            "From: colleague@corp.example\nTo: me@corp.example\nCc: mum@family.example\n\n";
        assert_eq!(classify(&l, incoming), Class::None);
        let sent = "From: Me <ME@corp.example>\nTo: x@y.example\nCc: Mum <mum@family.example>\n\n";
        assert_eq!(classify(&l, sent), Class::Perso);
    }

    #[test]
    fn plus_folding_applies_to_message_addresses() {
        let mut l = UserLists::new("me@corp.example");
        l.set_settings(Settings {
            fold_plus: true,
            ..Settings::default()
        })
        .unwrap();
        l.add(ListKind::Perso, "bob@x.example").unwrap();
        assert_eq!(l.verdict("bob+holidays@x.example"), Class::Perso);
    }

    #[test]
    fn idn_sender_matches_punycode_entry() {
        let mut l = UserLists::new("me@corp.example");
        l.add(ListKind::Perso, "@élysée.example").unwrap();
        assert_eq!(l.verdict("marie@ÉLYSÉE.example"), Class::Perso);
    }

    #[test]
    fn group_syntax_and_undisclosed_recipients() {
        let l = lists();
        let h = "From: Family: mum@family.example, dad@family.example;\nTo: undisclosed-recipients:;\n\n";
        assert_eq!(classify(&l, h), Class::Perso);
    }

    #[test]
    fn subject_is_decoded() {
        let parsed =
            MessageAddresses::parse(b"Subject: =?ISO-8859-1?Q?caf=E9?=\nFrom: a@b.example\n\n")
                .unwrap();
        assert_eq!(parsed.subject.as_deref(), Some("café"));
    }
}
