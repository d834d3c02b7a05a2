//! A mail user's three lists and settings, and the rules that keep them
//! coherent.
//!
//! Rules (documented in docs/mail.md):
//! * an entry (address or domain) is in **at most one** list: the same entry
//!   twice in one list is a duplicate, in two lists a contradiction — both are
//!   refused and nothing changes;
//! * an exact address and its domain may be in different lists
//!   (`boss@acme.example` allowed, `@acme.example` denied): the **exact address
//!   wins over the domain** for that address;
//! * across the addresses of one message, **perso > allow > deny > none**
//!   (see [`crate::classify`]): losing wanted mail is worse than letting one
//!   unwanted message in.
//!
//! The lists hold third parties' addresses, processed for the user as part of
//! the mail service (GDPR Art. 6(1)(b)); they are exported with the user's
//! data (Art. 15, 20) and erased with the account (Art. 17).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::entry::{Entry, EntryError, Normalise};

/// Format version of the serialised [`UserLists`].
pub const FORMAT_VERSION: u32 = 1;
/// IMAP keyword that marks personal mail (RFC 5232 `addflag`).
pub const PERSO_KEYWORD: &str = "$Perso";
/// Default subject tag when the provider turns subject tagging on.
pub const DEFAULT_SUBJECT_TAG: &str = "[PERSO]";
/// Default reject text (French first, then English).
pub const DEFAULT_REJECT_MESSAGE: &str =
    "Message refusé par le destinataire. / Message refused by the recipient.";

/// Which list an entry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    Allow,
    Deny,
    Perso,
}

impl ListKind {
    pub const ALL: [ListKind; 3] = [ListKind::Perso, ListKind::Allow, ListKind::Deny];

    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Allow => "allow",
            ListKind::Deny => "deny",
            ListKind::Perso => "perso",
        }
    }

    pub fn parse(text: &str) -> Option<ListKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "allow" => Some(ListKind::Allow),
            "deny" => Some(ListKind::Deny),
            "perso" => Some(ListKind::Perso),
            _ => None,
        }
    }
}

impl fmt::Display for ListKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How personal mail is marked. Any combination; at least one must be on.
///
/// The default is the IMAP keyword only: it changes no byte of the message,
/// so DKIM signatures stay valid. Rewriting the Subject breaks DKIM (the
/// Subject is normally signed), so the subject tag is an explicit opt-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagStyle {
    /// Add the [`PERSO_KEYWORD`] IMAP keyword.
    pub keyword: bool,
    /// File into this folder (UTF-8 IMAP name, top level).
    pub folder: Option<String>,
    /// Prefix the Subject with this tag text (e.g. `[PERSO]`).
    pub subject: Option<String>,
}

impl Default for TagStyle {
    fn default() -> Self {
        TagStyle {
            keyword: true,
            folder: None,
            subject: None,
        }
    }
}

/// What happens to mail from a denied sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "action")]
pub enum DenyAction {
    /// Accept and silently drop (no backscatter). The default.
    Discard,
    /// Refuse with this text (Sieve `reject`, RFC 5429; filter exit 77).
    Reject { message: String },
}

/// Per-user settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub tag: TagStyle,
    pub deny: DenyAction,
    /// Fold `+detail` sub-addresses (entries and message addresses alike).
    pub fold_plus: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tag: TagStyle::default(),
            deny: DenyAction::Discard,
            fold_plus: false,
        }
    }
}

impl Settings {
    pub fn normalise(&self) -> Normalise {
        Normalise {
            fold_plus: self.fold_plus,
        }
    }
}

/// One mail user's lists: the unit that is loaded, saved, exported and erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLists {
    pub version: u32,
    /// The mail user's own address, normalised (without plus folding).
    pub user: String,
    pub settings: Settings,
    pub allow: BTreeSet<Entry>,
    pub deny: BTreeSet<Entry>,
    pub perso: BTreeSet<Entry>,
}

/// Why a change to the lists or settings was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("{0}")]
    Entry(#[from] EntryError),
    #[error(
        "cette entrée est déjà dans la liste « {0} » (doublon) / this entry is already in the {0} list (duplicate)"
    )]
    Duplicate(ListKind),
    #[error(
        "contradiction : cette entrée est déjà dans la liste « {existing} », elle ne peut pas aussi être dans « {wanted} » ; retirez-la d'abord / contradiction: this entry is already in the {existing} list and cannot also be in {wanted}; remove it first"
    )]
    Contradiction {
        existing: ListKind,
        wanted: ListKind,
    },
    #[error("cette entrée n'est pas dans la liste « {0} » / this entry is not in the {0} list")]
    NotFound(ListKind),
    #[error(
        "au moins un marquage est nécessaire (mot-clé, dossier ou sujet) / at least one tag style is needed (keyword, folder or subject)"
    )]
    NoTagStyle,
    #[error(
        "nom de dossier invalide : 1 à 100 caractères, sans « / . \\ % * \" ${{ », sans caractère de contrôle, pas INBOX / invalid folder name: 1 to 100 characters, no / . \\ % * \" ${{, no control character, not INBOX"
    )]
    InvalidFolder,
    #[error(
        "étiquette de sujet invalide : 1 à 40 caractères ASCII imprimables, sans « $ {{ }} \" \\ » / invalid subject tag: 1 to 40 printable ASCII characters, no $ {{ }} \" \\"
    )]
    InvalidSubjectTag,
    #[error(
        "message de refus invalide : 1 à 500 caractères, sans caractère de contrôle ni « ${{ » / invalid reject message: 1 to 500 characters, no control character, no \"${{\""
    )]
    InvalidRejectMessage,
    #[error(
        "activer le repliement des sous-adresses créerait un doublon ou une contradiction ; nettoyez d'abord les listes / turning on plus-address folding would create a duplicate or a contradiction; clean the lists first"
    )]
    FoldingCollision,
    #[error(
        "données de listes incohérentes (entrée dans deux listes ou non normalisée) / inconsistent list data (entry in two lists or not normalised)"
    )]
    Inconsistent,
}

impl UserLists {
    /// Empty lists with default settings for `user` (already normalised).
    pub fn new(user: impl Into<String>) -> UserLists {
        UserLists {
            version: FORMAT_VERSION,
            user: user.into(),
            settings: Settings::default(),
            allow: BTreeSet::new(),
            deny: BTreeSet::new(),
            perso: BTreeSet::new(),
        }
    }

    /// Puts an already-normalised stored entry back (loading from a store);
    /// [`UserLists::validate`] checks the result.
    pub(crate) fn insert_loaded(&mut self, kind: ListKind, entry: Entry) {
        self.list_mut(kind).insert(entry);
    }

    pub fn list(&self, kind: ListKind) -> &BTreeSet<Entry> {
        match kind {
            ListKind::Allow => &self.allow,
            ListKind::Deny => &self.deny,
            ListKind::Perso => &self.perso,
        }
    }

    fn list_mut(&mut self, kind: ListKind) -> &mut BTreeSet<Entry> {
        match kind {
            ListKind::Allow => &mut self.allow,
            ListKind::Deny => &mut self.deny,
            ListKind::Perso => &mut self.perso,
        }
    }

    /// The list holding exactly this entry, if any.
    pub fn find(&self, entry: &Entry) -> Option<ListKind> {
        ListKind::ALL
            .into_iter()
            .find(|&kind| self.list(kind).contains(entry))
    }

    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty() && self.perso.is_empty()
    }

    pub fn len(&self) -> usize {
        self.allow.len() + self.deny.len() + self.perso.len()
    }

    /// Normalises `raw` and checks it could go into `kind`, without changing anything.
    pub fn check_add(&self, kind: ListKind, raw: &str) -> Result<Entry, ListError> {
        let entry = Entry::parse(raw, self.settings.normalise())?;
        match self.find(&entry) {
            Some(existing) if existing == kind => Err(ListError::Duplicate(kind)),
            Some(existing) => Err(ListError::Contradiction {
                existing,
                wanted: kind,
            }),
            None => Ok(entry),
        }
    }

    /// Adds one entry; refuses duplicates and contradictions.
    pub fn add(&mut self, kind: ListKind, raw: &str) -> Result<Entry, ListError> {
        let entry = self.check_add(kind, raw)?;
        self.list_mut(kind).insert(entry.clone());
        Ok(entry)
    }

    /// Removes one entry from `kind`.
    pub fn remove(&mut self, kind: ListKind, raw: &str) -> Result<Entry, ListError> {
        let entry = Entry::parse(raw, self.settings.normalise())?;
        if self.list_mut(kind).remove(&entry) {
            Ok(entry)
        } else {
            Err(ListError::NotFound(kind))
        }
    }

    /// Replaces the settings after validating them; re-normalises entries
    /// when plus folding is switched on (refused if that merges entries).
    pub fn set_settings(&mut self, settings: Settings) -> Result<(), ListError> {
        validate_settings(&settings)?;
        if settings.fold_plus && !self.settings.fold_plus {
            let opts = settings.normalise();
            let mut folded = UserLists::new(self.user.clone());
            for kind in ListKind::ALL {
                for entry in self.list(kind) {
                    let entry = entry.renormalise(opts);
                    if folded.find(&entry).is_some() {
                        return Err(ListError::FoldingCollision);
                    }
                    folded.list_mut(kind).insert(entry);
                }
            }
            self.allow = folded.allow;
            self.deny = folded.deny;
            self.perso = folded.perso;
        }
        self.settings = settings;
        Ok(())
    }

    /// Checks the invariants of data read back from storage.
    pub fn validate(&self) -> Result<(), ListError> {
        validate_settings(&self.settings)?;
        let opts = self.settings.normalise();
        let mut seen = BTreeSet::new();
        for kind in ListKind::ALL {
            for entry in self.list(kind) {
                if !seen.insert(entry) || entry.renormalise(opts) != *entry {
                    return Err(ListError::Inconsistent);
                }
            }
        }
        Ok(())
    }
}

fn validate_settings(settings: &Settings) -> Result<(), ListError> {
    let tag = &settings.tag;
    if !tag.keyword && tag.folder.is_none() && tag.subject.is_none() {
        return Err(ListError::NoTagStyle);
    }
    if let Some(folder) = &tag.folder {
        validate_folder(folder)?;
    }
    if let Some(subject) = &tag.subject {
        validate_subject_tag(subject)?;
    }
    if let DenyAction::Reject { message } = &settings.deny {
        let count = message.chars().count();
        if count == 0
            || count > 500
            || message.chars().any(char::is_control)
            || message.contains("${")
        {
            return Err(ListError::InvalidRejectMessage);
        }
    }
    Ok(())
}

fn validate_folder(folder: &str) -> Result<(), ListError> {
    let count = folder.chars().count();
    let bad = |c: char| c.is_control() || matches!(c, '/' | '.' | '\\' | '%' | '*' | '"');
    if count == 0
        || count > 100
        || folder.trim() != folder
        || folder.chars().any(bad)
        || folder.contains("${")
        || folder.eq_ignore_ascii_case("inbox")
    {
        return Err(ListError::InvalidFolder);
    }
    Ok(())
}

fn validate_subject_tag(tag: &str) -> Result<(), ListError> {
    let ok =
        |c: char| c.is_ascii_graphic() && !matches!(c, '$' | '{' | '}' | '"' | '\\') || c == ' ';
    if tag.is_empty() || tag.len() > 40 || tag.trim() != tag || !tag.chars().all(ok) {
        return Err(ListError::InvalidSubjectTag);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> UserLists {
        UserLists::new("me@corp.example")
    }

    #[test]
    fn duplicates_are_refused_even_with_other_spelling() {
        let mut l = lists();
        l.add(ListKind::Perso, "Mum@Family.example").unwrap();
        assert_eq!(
            l.add(ListKind::Perso, "mum@family.EXAMPLE"),
            Err(ListError::Duplicate(ListKind::Perso))
        );
        assert_eq!(l.perso.len(), 1);
    }

    #[test]
    fn an_address_cannot_be_allowed_and_denied() {
        let mut l = lists();
        l.add(ListKind::Allow, "x@spam.example").unwrap();
        let err = l.add(ListKind::Deny, "X@spam.example").unwrap_err();
        assert_eq!(
            err,
            ListError::Contradiction {
                existing: ListKind::Allow,
                wanted: ListKind::Deny
            }
        );
        assert!(err.to_string().contains("contradiction"));
        assert!(l.deny.is_empty());
    }

    #[test]
    fn an_address_may_differ_from_its_domain() {
        let mut l = lists();
        l.add(ListKind::Deny, "@acme.example").unwrap();
        l.add(ListKind::Allow, "boss@acme.example").unwrap();
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn remove_reports_missing_entries() {
        let mut l = lists();
        assert_eq!(
            l.remove(ListKind::Deny, "a@b.example"),
            Err(ListError::NotFound(ListKind::Deny))
        );
        l.add(ListKind::Deny, "a@b.example").unwrap();
        l.remove(ListKind::Deny, "A@B.example").unwrap();
        assert!(l.is_empty());
    }

    #[test]
    fn folding_on_refuses_merging_entries_and_keeps_old_state() {
        let mut l = lists();
        l.add(ListKind::Allow, "bob+a@x.example").unwrap();
        l.add(ListKind::Deny, "bob+b@x.example").unwrap();
        let before = l.clone();
        let mut settings = l.settings.clone();
        settings.fold_plus = true;
        assert_eq!(l.set_settings(settings), Err(ListError::FoldingCollision));
        assert_eq!(l, before);
    }

    #[test]
    fn folding_on_renormalises_entries() {
        let mut l = lists();
        l.add(ListKind::Perso, "bob+family@x.example").unwrap();
        let mut settings = l.settings.clone();
        settings.fold_plus = true;
        l.set_settings(settings).unwrap();
        assert_eq!(l.perso.iter().next().unwrap().to_string(), "bob@x.example");
        l.validate().unwrap();
    }

    #[test]
    fn settings_are_validated() {
        let mut l = lists();
        let mut s = Settings::default();
        s.tag.keyword = false;
        assert_eq!(l.set_settings(s.clone()), Err(ListError::NoTagStyle));
        s.tag.folder = Some("Perso/Sub".into());
        assert_eq!(l.set_settings(s.clone()), Err(ListError::InvalidFolder));
        s.tag.folder = Some("INBOX".into());
        assert_eq!(l.set_settings(s.clone()), Err(ListError::InvalidFolder));
        s.tag.folder = Some("a${1}".into());
        assert_eq!(l.set_settings(s.clone()), Err(ListError::InvalidFolder));
        s.tag.folder = Some("Privé".into());
        l.set_settings(s.clone()).unwrap();
        s.tag.subject = Some("${x}".into());
        assert_eq!(l.set_settings(s.clone()), Err(ListError::InvalidSubjectTag));
        s.tag.subject = Some("[PERSO]".into());
        s.deny = DenyAction::Reject {
            message: "line\nbreak".into(),
        };
        assert_eq!(l.set_settings(s), Err(ListError::InvalidRejectMessage));
    }

    #[test]
    fn json_round_trip_is_stable_and_validated() {
        let mut l = lists();
        l.add(ListKind::Perso, "mum@family.example").unwrap();
        l.add(ListKind::Deny, "@spam.example").unwrap();
        let json = serde_json::to_string(&l).unwrap();
        let back: UserLists = serde_json::from_str(&json).unwrap();
        assert_eq!(back, l);
        back.validate().unwrap();
        let tampered = json.replace("@spam.example", "mum@family.example");
        let bad: UserLists = serde_json::from_str(&tampered).unwrap();
        assert_eq!(bad.validate(), Err(ListError::Inconsistent));
    }
}
