//! Where the breach register meets the vault and the mailer.
//!
//! Why a bridge: the register records what it is given; the CLI and the HTTP
//! API both need the same steps around it — count who and what a breach
//! touched in the vault (Art. 33(3)(a): approximate numbers), list the
//! subjects to tell (Art. 34(1)) from that same query, read each one's
//! contact address (decrypted under a declared purpose, journaled by the
//! engine) and send the letters through the mailer with a per-recipient
//! status in the delivery book.
//!
//! Impact query. The engine exposes no "who is in this window" query, so
//! the bridge opens the vault's store (same file or database, read only
//! here) and walks the subjects: for a high-volume (time-partitioned)
//! category it counts the rows collected inside the breach window; for an
//! ordinary category it counts the records collected before the window's
//! end (they were held while the breach went on). Only ids and timestamps
//! are read that way, never a sealed value. The method is written into the
//! [`ImpactEstimate`] so the register says how the numbers were obtained.
//! Cost: one store query per subject and category family (fine for tens of
//! thousands of subjects; an engine-side query would be needed beyond).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use habeas_core::declarations::{Declarations, FieldType, PurposeKind, Role};
use habeas_core::lang::Lang;
use habeas_engine::{Caller, EngineError, Vault};
use habeas_notify::{MailAddress, MailKind, Mailer, OutgoingMail};
use serde::Serialize;

use crate::delivery::Outcome;
use crate::error::RegisterError;
use crate::event::BreachPatch;
use crate::letters::{self, CustomerImpact, Draft, DraftError};
use crate::model::{Audience, Breach, EstimateMethod, ImpactEstimate};
use crate::register::{BreachRegister, Snapshot};

/// Subjects read per store page while counting.
/// The longest failure reason the delivery book keeps.
const REASON_MAX: usize = 200;

/// What can fail between the register, the vault and the mailer. Never
/// carries an address or a record's content.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error(transparent)]
    Register(#[from] RegisterError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Draft(#[from] DraftError),
    #[error("{0}")]
    Input(String),
    /// A legal hold could not be placed or released (`incident`).
    #[error("legal hold: {0}")]
    Hold(String),
}

/// The purpose breach handling is journaled under: the first controller
/// activity declared with `kind = "security"` (detecting and investigating
/// incidents, Art. 32 and 33 GDPR). `None` when none is declared.
pub fn breach_purpose(decls: &Declarations) -> Option<String> {
    decls
        .activities
        .iter()
        .find(|(_, a)| a.kind == PurposeKind::Security && *a.role.get_ref() == Role::Controller)
        .map(|(id, _)| id.get_ref().clone())
}

/// The vault field holding the address letters go to: `<category>.<field>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactField {
    pub category: String,
    pub field: String,
}

impl ContactField {
    /// Parse `<category>.<field>`, checking both are declared and the field is an e-mail.
    pub fn parse(decls: &Declarations, text: &str) -> Result<ContactField, BridgeError> {
        let (category, field) = text.split_once('.').ok_or_else(|| {
            BridgeError::Input(format!(
                "contact field `{text}` is not `<category>.<field>`; write e.g. `contact.email`"
            ))
        })?;
        match decls.category(category).and_then(|c| c.field(field)) {
            Some(FieldType::Email) => Ok(ContactField {
                category: category.to_string(),
                field: field.to_string(),
            }),
            Some(_) => Err(BridgeError::Input(format!(
                "`{text}` is not an e-mail field in categories.toml; name a field of type email"
            ))),
            None => Err(BridgeError::Input(format!(
                "`{text}` is not a declared category field; see categories.toml"
            ))),
        }
    }

    /// The declared contact address: an e-mail field marked critical (the
    /// address the subject is known by), else any e-mail identifier.
    pub fn default_for(decls: &Declarations) -> Result<ContactField, BridgeError> {
        let pick = |critical: bool| {
            decls.categories.iter().find_map(|(name, c)| {
                c.field_names()
                    .find(|f| {
                        c.field(f) == Some(FieldType::Email)
                            && c.is_identifier(f)
                            && (!critical || c.is_critical(f))
                    })
                    .map(|f| ContactField {
                        category: name.get_ref().clone(),
                        field: f.to_string(),
                    })
            })
        };
        pick(true).or_else(|| pick(false)).ok_or_else(|| {
            BridgeError::Input(
                "no category declares an e-mail identifier to write to; give the contact field (`<category>.<field>`)".into(),
            )
        })
    }

    /// The activity whose purpose covers reading this contact: the first
    /// controller activity processing the category (Art. 5(1)(b): the read
    /// is journaled under a purpose that actually uses the data).
    pub fn purpose(&self, decls: &Declarations) -> Result<String, BridgeError> {
        decls
            .activities
            .iter()
            .find(|(_, a)| {
                *a.role.get_ref() == Role::Controller
                    && a.categories.iter().any(|c| c.get_ref() == &self.category)
            })
            .map(|(id, _)| id.get_ref().clone())
            .ok_or_else(|| {
                BridgeError::Input(format!(
                    "no controller activity processes `{}`: declare the one that uses the contact details",
                    self.category
                ))
            })
    }
}

/// Who and what a breach touched in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VaultImpact {
    /// Opaque subject ids, sorted.
    pub subjects: Vec<String>,
    pub records: u64,
    /// Per category: (subjects, records).
    pub per_category: BTreeMap<String, (u64, u64)>,
    /// How the numbers were obtained, in words.
    pub query: String,
}

impl VaultImpact {
    pub fn estimate(&self, at: DateTime<Utc>) -> ImpactEstimate {
        ImpactEstimate {
            subjects: self.subjects.len() as u64,
            records: self.records,
            method: EstimateMethod::Vault {
                query: self.query.clone(),
            },
            computed_at: at,
        }
    }
}

/// Count the subjects and records of the breach's categories in its window
/// (the vault's metadata query, journaled under the breach-handling purpose).
pub fn impact(
    vault: &Vault,
    breach: &Breach,
    now: DateTime<Utc>,
) -> Result<VaultImpact, BridgeError> {
    let decls = vault.declarations();
    if breach.data_categories.is_empty() {
        return Err(BridgeError::Input(format!(
            "breach {}: no data category is declared on it; add the categories involved first",
            breach.id
        )));
    }
    let from = breach.window.start.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let to = breach.window.end.unwrap_or(now);
    let (timed, ordinary): (Vec<String>, Vec<String>) = breach
        .data_categories
        .iter()
        .cloned()
        .partition(|c| decls.category(c).is_some_and(|d| d.high_volume));
    let purpose = breach_purpose(decls).unwrap_or_else(|| "breach-handling".to_string());
    let caller = Caller::operator("breach-register", &purpose);
    let holdings = vault.holders(&caller, &breach.data_categories, from, to)?;
    let mut subjects = BTreeSet::new();
    let mut per_category: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for h in holdings {
        subjects.insert(h.subject);
        let entry = per_category.entry(h.category).or_default();
        entry.0 += 1;
        entry.1 += h.records;
    }
    let scanned = vault.counts()?.get("subjects").copied().unwrap_or(0);
    let records = per_category.values().map(|(_, r)| r).sum();
    let mut parts = Vec::new();
    if !timed.is_empty() {
        parts.push(format!(
            "{} rows collected in [{}, {})",
            timed.join(", "),
            from.format("%Y-%m-%dT%H:%MZ"),
            to.format("%Y-%m-%dT%H:%MZ")
        ));
    }
    if !ordinary.is_empty() {
        parts.push(format!(
            "{} records collected before {}",
            ordinary.join(", "),
            to.format("%Y-%m-%dT%H:%MZ")
        ));
    }
    let query = format!(
        "subjects holding {} ({scanned} subjects scanned)",
        parts.join("; ")
    );
    Ok(VaultImpact {
        subjects: subjects.into_iter().collect(),
        records,
        per_category,
        query,
    })
}

/// Compute the impact and record it on the breach (one `updated` event).
pub fn record_impact(
    register: &BreachRegister<'_>,
    vault: &Vault,
    id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(Snapshot, VaultImpact), BridgeError> {
    let snap = register.show(id)?;
    let found = impact(vault, &snap.breach, now)?;
    let patch = BreachPatch {
        impact: Some(found.estimate(now)),
        ..BreachPatch::default()
    };
    let snap = register.update(id, snap.version, by, patch)?;
    Ok((snap, found))
}

/// What one sending run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    pub breach: String,
    pub audience: String,
    /// Recipients newly added to the delivery book by this run.
    pub listed: u64,
    /// Messages handed to the mailer by this run.
    pub sent: u64,
    /// Attempts that failed in this run (no address on file, relay refused…).
    pub failed: u64,
    /// Of `failed`, the permanent ones (SMTP 5xx, no address): not retried.
    pub permanent: u64,
    /// The book after the run.
    pub total_sent: u64,
    pub total_pending: u64,
    pub total_failed: u64,
    /// Of `total_failed`, those given up at once on a permanent failure.
    pub total_permanent: u64,
}

/// Tell the subjects of the vault impact (Art. 34(1)): list them in the
/// delivery book (only the new ones), then send the letter to every
/// recipient due — never tried, or failed and due for a retry. A recipient
/// already reached is never written to again.
pub fn notify_subjects(
    register: &BreachRegister<'_>,
    vault: &Vault,
    mailer: &dyn Mailer,
    id: &str,
    by: &str,
    contact: &ContactField,
    now: DateTime<Utc>,
) -> Result<SendReport, BridgeError> {
    let decls = vault.declarations();
    let snap = register.show(id)?;
    // The drafts first: nothing is listed or sent while the register lacks
    // what the letter must say (Art. 34(2)).
    let fr = letters::subject_letter(&snap.breach, decls, Lang::Fr)?;
    let en = letters::subject_letter(&snap.breach, decls, Lang::En)?;
    let found = impact(vault, &snap.breach, now)?;
    let listed = list_new(
        register,
        id,
        snap.version,
        by,
        Audience::Subjects,
        &found.subjects,
    )?;
    let letter = |lang: Option<Lang>| pick_draft(&fr, &en, lang);
    send_due(
        register,
        vault,
        mailer,
        id,
        by,
        contact,
        Audience::Subjects,
        listed,
        &letter,
    )
}

/// Notify the controller customers of the processor services concerned
/// (Art. 33(2)): `customers` are their vault subject ids (the vault does not
/// link hosted data to the customer it belongs to, so staff name them).
#[allow(clippy::too_many_arguments)]
pub fn notify_controllers(
    register: &BreachRegister<'_>,
    vault: &Vault,
    mailer: &dyn Mailer,
    id: &str,
    by: &str,
    contact: &ContactField,
    customers: &[String],
) -> Result<SendReport, BridgeError> {
    let decls = vault.declarations();
    let snap = register.show(id)?;
    let fr = letters::controller_notice(&snap.breach, decls, CustomerImpact::default(), Lang::Fr)?;
    let en = letters::controller_notice(&snap.breach, decls, CustomerImpact::default(), Lang::En)?;
    let listed = list_new(
        register,
        id,
        snap.version,
        by,
        Audience::Controllers,
        customers,
    )?;
    let letter = |lang: Option<Lang>| pick_draft(&fr, &en, lang);
    send_due(
        register,
        vault,
        mailer,
        id,
        by,
        contact,
        Audience::Controllers,
        listed,
        &letter,
    )
}

/// Add to the book the ids not already in it; returns how many were added.
fn list_new(
    register: &BreachRegister<'_>,
    id: &str,
    version: u64,
    by: &str,
    audience: Audience,
    ids: &[String],
) -> Result<u64, BridgeError> {
    let known: BTreeSet<String> = register
        .delivery_book(id, audience)?
        .map(|b| b.recipients.into_keys().collect())
        .unwrap_or_default();
    let new: Vec<String> = ids
        .iter()
        .filter(|s| !known.contains(*s))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    register.list_recipients(id, version, by, audience, &new)?;
    Ok(new.len() as u64)
}

/// French then English when the person's language is unknown; the one
/// letter when it is known.
fn pick_draft(fr: &Draft, en: &Draft, lang: Option<Lang>) -> (String, String, Option<Lang>) {
    match lang {
        Some(Lang::Fr) => (fr.subject.clone(), fr.body.clone(), Some(Lang::Fr)),
        Some(Lang::En) => (en.subject.clone(), en.body.clone(), Some(Lang::En)),
        None => (
            format!("{} / {}", fr.subject, en.subject),
            format!(
                "{}\n\n---------- English version ----------\n\n{}",
                fr.body, en.body
            ),
            None,
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn send_due(
    register: &BreachRegister<'_>,
    vault: &Vault,
    mailer: &dyn Mailer,
    id: &str,
    by: &str,
    contact: &ContactField,
    audience: Audience,
    listed: u64,
    letter: &dyn Fn(Option<Lang>) -> (String, String, Option<Lang>),
) -> Result<SendReport, BridgeError> {
    let caller = Caller::operator(by, &contact.purpose(vault.declarations())?);
    // habeas-notify has no kind of its own for the Art. 33(2) notice to a
    // controller: both audiences go out as breach communications, the
    // reference header carrying the breach id.
    let kind = MailKind::BreachCommunication;
    let mut report = SendReport {
        breach: id.to_string(),
        audience: audience.key().to_string(),
        listed,
        ..SendReport::default()
    };
    for recipient in register.due_deliveries(id, audience)? {
        let outcome = match read_contact(vault, &caller, &recipient, contact) {
            Ok(Some((to, lang))) => {
                let (subject, text, lang) = letter(lang);
                let mail = OutgoingMail {
                    to,
                    subject,
                    text,
                    html: None,
                    lang,
                    kind,
                    reference: Some(id.to_string()),
                };
                match mailer.send(&mail) {
                    Ok(_) => Outcome::Sent,
                    // A relay's 5xx (mailbox unknown, recipient rejected) or a
                    // message no relay can take: retrying cannot help.
                    Err(e) if !e.is_transient() => Outcome::permanent(short(&e.to_string())),
                    Err(e) => Outcome::transient(short(&e.to_string())),
                }
            }
            Ok(None) => Outcome::permanent(format!(
                "no valid address in {}.{}: reach this person another way",
                contact.category, contact.field
            )),
            Err(e) => Outcome::transient(short(&format!("contact not readable: {e}"))),
        };
        match &outcome {
            Outcome::Sent => report.sent += 1,
            Outcome::Failed { permanent, .. } => {
                report.failed += 1;
                report.permanent += u64::from(*permanent);
            }
        }
        register.record_delivery(id, audience, &recipient, outcome)?;
    }
    if let Some(counts) = register.delivery_counts(id, audience)? {
        report.total_sent = counts.sent;
        report.total_pending = counts.pending;
        report.total_failed = counts.failed;
        report.total_permanent = counts.permanent;
    }
    Ok(report)
}

/// The newest address on file for `subject` (decrypted and journaled by the
/// engine under the contact's purpose) and the language recorded with it.
fn read_contact(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
    contact: &ContactField,
) -> Result<Option<(MailAddress, Option<Lang>)>, EngineError> {
    let view = vault.read(caller, subject, Some(&contact.category))?;
    let newest = view
        .records
        .iter()
        .filter(|r| {
            r.fields
                .get(&contact.field)
                .and_then(|v| v.as_str())
                .is_some()
        })
        .max_by_key(|r| r.collected_at);
    Ok(newest.and_then(|r| {
        let to = r
            .fields
            .get(&contact.field)?
            .as_str()?
            .parse::<MailAddress>()
            .ok()?;
        let lang = r
            .fields
            .get("language")
            .and_then(|v| v.as_str())
            .and_then(|l| l.parse::<Lang>().ok());
        Some((to, lang))
    }))
}

/// A failure reason the delivery book accepts (≤ 200 characters).
fn short(text: &str) -> String {
    let mut s: String = text.chars().filter(|c| !c.is_control()).collect();
    if s.chars().count() > REASON_MAX {
        s = s.chars().take(REASON_MAX - 1).collect::<String>() + "…";
    }
    if s.trim().is_empty() {
        "unknown failure".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_failure_reason_is_cut_to_what_the_book_keeps() {
        let long = "x".repeat(500);
        assert_eq!(short(&long).chars().count(), REASON_MAX);
        assert_eq!(short("smtp 451\n"), "smtp 451");
        assert_eq!(short(" \n"), "unknown failure");
    }

    #[test]
    fn an_unknown_language_gets_french_then_english() {
        let fr = Draft {
            lang: Lang::Fr,
            subject: "Objet".into(),
            body: "Bonjour".into(),
        };
        let en = Draft {
            lang: Lang::En,
            subject: "Subject".into(),
            body: "Hello".into(),
        };
        let (s, b, l) = pick_draft(&fr, &en, None);
        assert_eq!(s, "Objet / Subject");
        assert!(b.find("Bonjour") < b.find("Hello"));
        assert_eq!(l, None);
        assert_eq!(pick_draft(&fr, &en, Some(Lang::En)).1, "Hello");
    }
}
