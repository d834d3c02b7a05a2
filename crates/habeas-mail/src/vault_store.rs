//! The mail privacy lists in the encrypted vault (feature `vault`).
//!
//! A user's lists are personal data — third parties' addresses — so they live
//! where the provider keeps personal data: in the vault, category
//! [`MAIL_LISTS`], one record per entry (`mailbox`, `list`, `entry`,
//! `added_at`) plus one `settings` record. This gives what SPEC C12 and issue 6
//! ask of them: sealed at rest with the subject's own data key, every read and
//! change journaled under the declared purpose, entries found in the subject's
//! access export with their recording date (Art. 15), erased with the subject
//! or on their own by crypto-shredding the category (Art. 17).
//!
//! A change is applied as a diff (records of removed entries deleted, records
//! of new entries inserted) in one vault transaction, so unchanged entries keep
//! their recording date and a crash leaves the old or the new lists.
//! The mailbox address is found through the vault's blind index, never stored
//! in plaintext; the list of subjects holding lists (for `sieve --all`) is a
//! vault document holding subject ids only.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use habeas_core::declarations::Declarations;
use habeas_core::docs::{DocError, DocStore};
use habeas_engine::{Caller, EngineError, RecordInput, Vault};
use serde_json::{Map, Value};

use crate::entry::Entry;
use crate::lists::{ListKind, Settings, UserLists};
use crate::store::{MailListStore, StoreError};

/// The declared category holding the lists.
pub const MAIL_LISTS: &str = "mail_lists";
/// Fields the category must declare.
const REQUIRED_FIELDS: [&str; 3] = ["mailbox", "list", "entry"];
/// The `list` value of the settings record.
const SETTINGS: &str = "settings";
/// Document listing the subject ids that hold lists.
const INDEX_KIND: &str = "mail-lists";
const INDEX_ID: &str = "subjects";

/// [`MailListStore`] over the vault.
pub struct VaultListStore<'v> {
    vault: &'v Vault,
    caller: Caller,
    subject_kind: Option<String>,
    /// Serialises this process's changes (the vault transaction protects the rest).
    guard: Mutex<()>,
}

/// A user's lists with the ids of the records that hold them.
struct Loaded {
    subject: String,
    lists: UserLists,
    entries: BTreeMap<(ListKind, Entry), String>,
    settings_record: Option<String>,
}

impl<'v> VaultListStore<'v> {
    /// The store acting as `actor` for the declared activity covering
    /// [`MAIL_LISTS`] (or `purpose` when given). Refuses, with what to
    /// declare, when the declarations do not provide for the lists.
    pub fn new(vault: &'v Vault, actor: &str, purpose: Option<&str>) -> Result<Self, StoreError> {
        let decls = vault.declarations();
        check_category(decls)?;
        let covering: Vec<(&str, Option<&str>)> = decls
            .activities
            .iter()
            .filter(|(_, a)| a.categories.iter().any(|c| c.get_ref() == MAIL_LISTS))
            .map(|(id, a)| {
                (
                    id.get_ref().as_str(),
                    a.subjects.first().map(|s| s.get_ref().as_str()),
                )
            })
            .collect();
        let (purpose, subject_kind) = match purpose {
            Some(p) => {
                let found = covering.iter().find(|(id, _)| *id == p).ok_or_else(|| {
                    config(format!(
                        "l'activité « {p} » ne couvre pas la catégorie {MAIL_LISTS} / activity `{p}` does not cover category {MAIL_LISTS}"
                    ))
                })?;
                (p.to_string(), found.1.map(str::to_string))
            }
            None => {
                let (id, kind) = covering.first().ok_or_else(|| {
                    config(format!(
                        "aucune activité déclarée ne couvre la catégorie {MAIL_LISTS} ; ajoutez-la aux `categories` de l'activité de messagerie / no declared activity covers category {MAIL_LISTS}; add it to the mail activity's `categories`"
                    ))
                })?;
                (id.to_string(), kind.map(str::to_string))
            }
        };
        Ok(VaultListStore {
            vault,
            caller: Caller::operator(actor, &purpose),
            subject_kind,
            guard: Mutex::new(()),
        })
    }

    /// The store acting as `caller` (an API token stating its purpose): the
    /// vault checks on every access that the purpose covers [`MAIL_LISTS`].
    pub fn with_caller(vault: &'v Vault, caller: Caller) -> Result<Self, StoreError> {
        let decls = vault.declarations();
        check_category(decls)?;
        let subject_kind = decls
            .activities
            .iter()
            .filter(|(_, a)| a.categories.iter().any(|c| c.get_ref() == MAIL_LISTS))
            .find(|(id, _)| caller.purpose.as_deref().is_none_or(|p| p == id.get_ref()))
            .and_then(|(_, a)| a.subjects.first().map(|s| s.get_ref().clone()));
        Ok(VaultListStore {
            vault,
            caller,
            subject_kind,
            guard: Mutex::new(()),
        })
    }

    /// The purpose the store acts for (journaled with every access).
    pub fn purpose(&self) -> Option<&str> {
        self.caller.purpose.as_deref()
    }

    /// Load, change, save as one step; `change` returning an error saves nothing.
    pub fn update<T, E: From<StoreError>>(
        &self,
        user: &str,
        change: impl FnOnce(&mut UserLists) -> Result<T, E>,
    ) -> Result<T, E> {
        let _guard = self.guard.lock().map_err(|_| poisoned())?;
        let loaded = self.load_records(user)?;
        let mut lists = match &loaded {
            Some(l) => l.lists.clone(),
            None => UserLists::new(user.to_string()),
        };
        let result = change(&mut lists)?;
        self.save_diff(loaded, &lists)?;
        Ok(result)
    }

    fn subject_of(&self, user: &str) -> Result<Option<String>, StoreError> {
        let subjects = self
            .vault
            .find(&self.caller, "email", user)
            .map_err(engine)?;
        match subjects.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            _ => Err(StoreError::Vault(
                "plusieurs personnes détiennent des listes pour cette boîte ; fusionnez-les / several subjects hold lists for this mailbox; merge them".into(),
            )),
        }
    }

    fn load_records(&self, user: &str) -> Result<Option<Loaded>, StoreError> {
        let Some(subject) = self.subject_of(user)? else {
            return Ok(None);
        };
        self.load_subject(&subject).map(|l| {
            l.map(|mut l| {
                l.lists.user = user.to_string();
                l
            })
        })
    }

    /// The lists held by `subject` (None when it holds none or was erased).
    fn load_subject(&self, subject: &str) -> Result<Option<Loaded>, StoreError> {
        let view = match self.vault.read(&self.caller, subject, Some(MAIL_LISTS)) {
            Ok(v) => v,
            Err(EngineError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(engine(e)),
        };
        if view.records.is_empty() {
            return Ok(None);
        }
        let mut user = None;
        let mut settings = Settings::default();
        let mut settings_record = None;
        let mut entries = BTreeMap::new();
        for r in &view.records {
            let text = |f: &str| r.fields.get(f).and_then(Value::as_str);
            if user.is_none() {
                user = text("mailbox").map(str::to_string);
            }
            let (Some(list), Some(raw)) = (text("list"), text("entry")) else {
                return Err(corrupt("a list record lacks `list` or `entry`"));
            };
            if list == SETTINGS {
                settings = serde_json::from_str(raw)
                    .map_err(|_| corrupt("the settings record is not valid JSON"))?;
                settings_record = Some(r.id.clone());
                continue;
            }
            let kind = ListKind::parse(list).ok_or_else(|| corrupt("unknown list name"))?;
            let entry: Entry = serde_json::from_value(Value::String(raw.to_string()))
                .map_err(|_| corrupt("an entry is not a valid address or @domain"))?;
            // A duplicate record (two concurrent adds) is one entry.
            entries.entry((kind, entry)).or_insert_with(|| r.id.clone());
        }
        let mut lists = UserLists::new(user.unwrap_or_default());
        lists.settings = settings;
        for (kind, entry) in entries.keys() {
            lists.insert_loaded(*kind, entry.clone());
        }
        lists.validate()?;
        Ok(Some(Loaded {
            subject: subject.to_string(),
            lists,
            entries,
            settings_record,
        }))
    }

    fn save_diff(&self, loaded: Option<Loaded>, lists: &UserLists) -> Result<(), StoreError> {
        lists.validate()?;
        let now = Utc::now();
        let (subject, old_entries, old_settings) = match loaded {
            Some(l) => (
                l.subject,
                l.entries,
                l.settings_record.map(|id| (id, l.lists.settings)),
            ),
            None => {
                if lists.is_empty() && lists.settings == Settings::default() {
                    return Ok(());
                }
                let subject = self
                    .vault
                    .create_subject(&self.caller, self.subject_kind.as_deref())
                    .map_err(engine)?;
                (subject, BTreeMap::new(), None)
            }
        };
        self.register(&subject)?;
        let mut wanted: BTreeSet<(ListKind, Entry)> = BTreeSet::new();
        for kind in [ListKind::Allow, ListKind::Deny, ListKind::Perso] {
            wanted.extend(lists.list(kind).iter().map(|e| (kind, e.clone())));
        }
        let mut delete: Vec<String> = old_entries
            .iter()
            .filter(|(k, _)| !wanted.contains(k))
            .map(|(_, id)| id.clone())
            .collect();
        let mut insert: Vec<RecordInput> = wanted
            .iter()
            .filter(|k| !old_entries.contains_key(k))
            .map(|(kind, entry)| {
                self.record(&lists.user, kind.as_str(), &entry.to_string(), None, now)
            })
            .collect();
        let settings_changed = match &old_settings {
            Some((_, old)) => *old != lists.settings,
            None => lists.settings != Settings::default(),
        };
        if settings_changed {
            if let Some((id, _)) = old_settings {
                delete.push(id);
            }
            let json = serde_json::to_string(&lists.settings)
                .map_err(|_| corrupt("settings could not be serialised"))?;
            insert.push(self.record(
                &lists.user,
                SETTINGS,
                &json,
                lists.settings.tag.folder.as_deref(),
                now,
            ));
        }
        if delete.is_empty() && insert.is_empty() {
            return Ok(());
        }
        self.vault
            .change_records(&self.caller, &subject, MAIL_LISTS, &delete, insert)
            .map_err(engine)?;
        Ok(())
    }

    fn record(
        &self,
        user: &str,
        list: &str,
        entry: &str,
        folder: Option<&str>,
        now: DateTime<Utc>,
    ) -> RecordInput {
        let mut fields = Map::new();
        fields.insert("mailbox".into(), Value::String(user.to_string()));
        fields.insert("list".into(), Value::String(list.to_string()));
        fields.insert("entry".into(), Value::String(entry.to_string()));
        let declared = self.vault.declarations().category(MAIL_LISTS);
        if let Some(f) = folder
            && declared.is_some_and(|c| c.field("folder").is_some())
        {
            fields.insert("folder".into(), Value::String(f.to_string()));
        }
        if declared.is_some_and(|c| c.field("added_at").is_some()) {
            fields.insert(
                "added_at".into(),
                Value::String(now.to_rfc3339_opts(SecondsFormat::Secs, true)),
            );
        }
        RecordInput {
            subject: None,
            subject_ref: None,
            category: MAIL_LISTS.to_string(),
            fields,
            source: Some("mail-lists".into()),
            purposes: self.caller.purpose.iter().cloned().collect(),
            collected_at: None,
            events: Default::default(),
        }
    }

    fn docs(&self) -> impl DocStore + '_ {
        self.vault.docs(self.caller.clone())
    }

    fn registered(&self) -> Result<(Option<u64>, BTreeSet<String>), StoreError> {
        match self.docs().get_doc(INDEX_KIND, INDEX_ID).map_err(doc)? {
            None => Ok((None, BTreeSet::new())),
            Some(d) => {
                let ids: BTreeSet<String> = serde_json::from_slice(&d.body)
                    .map_err(|_| corrupt("the index of mail-list holders is damaged"))?;
                Ok((Some(d.version), ids))
            }
        }
    }

    /// Adds `subject` to the holders' index (before its lists are written, so
    /// a crash leaves at worst an index entry without lists, which is skipped).
    fn register(&self, subject: &str) -> Result<(), StoreError> {
        loop {
            let (version, mut ids) = self.registered()?;
            if !ids.insert(subject.to_string()) {
                return Ok(());
            }
            let body = serde_json::to_vec(&ids).map_err(|_| corrupt("index"))?;
            match self.docs().put_doc(INDEX_KIND, INDEX_ID, version, &body) {
                Ok(_) => return Ok(()),
                Err(DocError::Conflict { .. }) => continue,
                Err(e) => return Err(doc(e)),
            }
        }
    }

    fn unregister(&self, subject: &str) -> Result<(), StoreError> {
        loop {
            let (version, mut ids) = self.registered()?;
            if !ids.remove(subject) {
                return Ok(());
            }
            let body = serde_json::to_vec(&ids).map_err(|_| corrupt("index"))?;
            match self.docs().put_doc(INDEX_KIND, INDEX_ID, version, &body) {
                Ok(_) => return Ok(()),
                Err(DocError::Conflict { .. }) => continue,
                Err(e) => return Err(doc(e)),
            }
        }
    }
}

impl MailListStore for VaultListStore<'_> {
    fn load(&self, user: &str) -> Result<Option<UserLists>, StoreError> {
        Ok(self.load_records(user)?.map(|l| l.lists))
    }

    fn save(&self, lists: &UserLists) -> Result<(), StoreError> {
        let _guard = self.guard.lock().map_err(|_| poisoned())?;
        let loaded = self.load_records(&lists.user)?;
        self.save_diff(loaded, lists)
    }

    /// Crypto-shreds the user's lists (Art. 17): the category's data key is
    /// destroyed, so copies in earlier backups become unreadable too.
    fn erase(&self, user: &str) -> Result<bool, StoreError> {
        let _guard = self.guard.lock().map_err(|_| poisoned())?;
        let Some(subject) = self.subject_of(user)? else {
            return Ok(false);
        };
        self.vault
            .shred_category(&self.caller, &subject, MAIL_LISTS)
            .map_err(engine)?;
        self.unregister(&subject)?;
        Ok(true)
    }

    fn all(&self) -> Result<Vec<UserLists>, StoreError> {
        let (_, ids) = self.registered()?;
        let mut out = Vec::new();
        for subject in ids {
            if let Some(l) = self.load_subject(&subject)? {
                out.push(l.lists);
            }
        }
        out.sort_by(|a, b| a.user.cmp(&b.user));
        Ok(out)
    }
}

/// The declaration a project adds to keep mail lists (its retention is the
/// provider's choice; this one follows the account, Art. 5(1)(e)).
pub const DECLARATION_EXAMPLE: &str = r#"[categories.mail_lists]
name = { fr = "Listes de filtrage de la messagerie", en = "Mail filter lists" }
family = "other"
retention = "30 days after account closure"
identifiers = ["mailbox"]
[categories.mail_lists.fields]
mailbox = "email"
list = "string"
entry = "string"
folder = "string"
added_at = "datetime""#;

/// Checks the declarations provide the category and its fields.
pub fn check_category(decls: &Declarations) -> Result<(), StoreError> {
    let Some(category) = decls.category(MAIL_LISTS) else {
        return Err(config(format!(
            "la catégorie {MAIL_LISTS} n'est pas déclarée : ajoutez-la à declarations/categories.toml \
             et aux `categories` de l'activité de messagerie / category {MAIL_LISTS} is not declared: \
             add it to declarations/categories.toml and to the `categories` of the mail activity \
             (docs/mail.md, « Declaring the lists »):\n{DECLARATION_EXAMPLE}"
        )));
    };
    if let Some(missing) = REQUIRED_FIELDS.iter().find(|f| category.field(f).is_none()) {
        return Err(config(format!(
            "la catégorie {MAIL_LISTS} doit déclarer le champ « {missing} » / category {MAIL_LISTS} must declare field `{missing}`"
        )));
    }
    Ok(())
}

fn config(message: String) -> StoreError {
    StoreError::Vault(message)
}

fn corrupt(detail: &str) -> StoreError {
    StoreError::Vault(format!(
        "listes illisibles dans le coffre / unreadable lists in the vault: {detail}"
    ))
}

fn poisoned() -> StoreError {
    StoreError::Vault("verrou interne empoisonné / internal lock poisoned".into())
}

fn engine(e: EngineError) -> StoreError {
    match e {
        EngineError::Unavailable(_) => StoreError::Full,
        other => StoreError::Vault(other.to_string()),
    }
}

fn doc(e: DocError) -> StoreError {
    match e {
        DocError::Full => StoreError::Full,
        other => StoreError::Vault(other.to_string()),
    }
}
