//! Where the rights service meets the vault and the mailer.
//!
//! Why a bridge: the request service, the exports and the plans are pure
//! over a [`SubjectHoldings`] snapshot; the CLI and the HTTP API both need
//! the same few steps around them — read everything the vault holds on the
//! subject (decrypted, journaled as a rights read), execute an erasure plan,
//! apply a rectification, keep the code-MAC key, and send the notices of
//! Art. 12 (acknowledgment, verification code) to the contact on file.
//!
//! Contacts: a request stores an opaque `contact_ref`, never the address.
//! Here it is `vault:<category>.<field>`: the e-mail field of the subject's
//! own vault records, read (and journaled) when a notice goes out.
//!
//! Erasure is crypto-shredding at the grain the plan needs: when the plan
//! keeps nothing, the whole subject is shredded; when it keeps categories
//! under a legal obligation (Art. 17(3)(b)), each erased category's
//! (subject, category) data key is destroyed ([`Vault::shred_category`]),
//! so a copy of the data taken before the erasure does not open with the
//! key store as it is after it. Several plans run as one batch
//! ([`execute_erasures`], [`Vault::erase_batch`]): one key-store
//! transaction, one vault unit and one ledger transaction for all. The
//! subject's high-volume rows of an erased category are deleted from their
//! time partitions in the same commit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use habeas_core::declarations::Declarations;
use habeas_core::docs::DocStore;
use habeas_core::lang::Lang;
use habeas_core::rights::RefusalReason;
use habeas_engine::{Caller, EngineError, Erasure, RecordInput, RecordView, Vault};
use habeas_notify::templates::{
    Acknowledgment, Authority, DeadlineExtension, Localized, Organisation, Promise, Recipient,
    RequestDone, RequestRefused, RestrictionLifted, TemplateError, VerificationCode,
    deadline_extension, request_acknowledgment, request_done, request_refused, restriction_lifted,
    verification_code,
};
use habeas_notify::{MailAddress, Mailer, MessageId, SendError};
use serde::Serialize;

use crate::consent_store::ConsentStore;
use crate::erasure::ErasurePlan;
use crate::error::RightsError;
use crate::held::{
    AccessJournalEntry, HeldRecord, SourceChannel, SubjectHoldings, SubjectInfo, SubjectStatus,
};
use crate::rectification::RectificationPlan;
use crate::service::{IssuedCode, RequestView};
use crate::verification::CodeKey;

/// The purpose journaled for every vault access made to answer a request
/// (Art. 12–22 GDPR: answering is a legal obligation of the controller).
pub const RIGHTS_PURPOSE: &str = "rights-requests";

/// Document kind and id of the code-MAC key (sealed like every document).
const SECRET_KIND: &str = "rights-secret";
const CODE_KEY_ID: &str = "code-key";

/// The vault caller for rights handling, journaled as `actor`.
pub fn rights_caller(actor: &str) -> Caller {
    Caller::operator(actor, RIGHTS_PURPOSE)
}

/// What can fail between the service, the vault and the mailer.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Rights(#[from] RightsError),
    #[error("contact reference `{contact_ref}` cannot be resolved: {how}")]
    Contact { contact_ref: String, how: String },
    #[error("the notice could not be written: {0}")]
    Template(#[from] TemplateError),
    #[error("the notice could not be sent: {0}")]
    Send(#[from] SendError),
    #[error(
        "the erasure may run only from {erase_at} (end of the account-closure grace period, during which the subject may reactivate); run it again then"
    )]
    GraceRunning { erase_at: DateTime<Utc> },
    #[error("record `{record}` of this subject is not in category `{category}`")]
    UnknownRecord { record: String, category: String },
    #[error(
        "this rectification changes a critical identifier whose new value is not verified yet (Art. 16): confirm the code sent to the new value first"
    )]
    NotReady,
}

/// The provider's secret keying the verification-code MACs: 32 random
/// bytes drawn on first use and kept as a sealed vault document, so the CLI
/// and the server check each other's codes.
pub fn code_key(vault: &Vault, caller: &Caller) -> Result<CodeKey, BridgeError> {
    for _ in 0..2 {
        if let Some(doc) = vault.get_doc(SECRET_KIND, CODE_KEY_ID)? {
            return Ok(CodeKey::new(&doc.body).map_err(RightsError::from)?);
        }
        let secret: [u8; 32] = rand::random();
        match vault.put_doc_as(caller, SECRET_KIND, CODE_KEY_ID, None, &secret) {
            Ok(_) => return Ok(CodeKey::new(&secret).map_err(RightsError::from)?),
            // Another process drew it first: read theirs.
            Err(EngineError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(EngineError::Storage("the code key could not be created".into()).into())
}

/// How a vault `source` name maps to the channels of Art. 20. Unknown
/// names count as an import of unknown origin: not portable, and shown as
/// such in the access answer.
pub fn source_channel(source: &str) -> SourceChannel {
    if let Ok(c) = source.parse() {
        return c;
    }
    match source.trim().to_ascii_lowercase().as_str() {
        "web_form" | "signup" | "portal" | "console" | "settings" => SourceChannel::Form,
        "email" | "support_message" | "ticket" => SourceChannel::SubjectMessage,
        "upload" => SourceChannel::SubjectUpload,
        "logs" | "log" | "usage" => SourceChannel::Observed,
        "backoffice" | "phone" | "letter" => SourceChannel::Staff,
        "invoice" | "billing" | "computed" => SourceChannel::Derived,
        _ => SourceChannel::Import,
    }
}

fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn held_record(r: &RecordView) -> HeldRecord {
    HeldRecord {
        id: r.id.clone(),
        category: r.category.clone(),
        fields: r
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), text_of(v)))
            .collect(),
        recorded_at: r.collected_at,
        source_channel: source_channel(&r.source),
        purposes: r.purposes.clone(),
    }
}

/// Everything the vault holds on `subject`, decrypted through
/// [`Vault::read`] (journaled under [`RIGHTS_PURPOSE`]), with the consent
/// states. The access journal is not filled: the engine exposes no
/// per-subject journal query yet.
pub fn holdings(
    vault: &Vault,
    caller: &Caller,
    docs: &dyn DocStore,
    clock: &dyn habeas_core::clock::Clock,
    subject: &str,
) -> Result<SubjectHoldings, BridgeError> {
    let view = vault.read(caller, subject, None)?;
    let consents = ConsentStore::new(docs, clock, vault.declarations()).states(subject)?;
    Ok(SubjectHoldings {
        subject: SubjectInfo {
            id: view.subject.clone(),
            kind: view.kind.clone(),
            // The vault keeps active / restricted / closed / erased; only an
            // open account reaches this point with records to show.
            status: SubjectStatus::Active,
        },
        records: view.records.iter().map(held_record).collect(),
        consents,
        access_journal: access_journal(vault, caller, &view.subject)?,
    })
}

/// Each category `subject` holds and its newest recording date, from the
/// vault's metadata ([`Vault::held_categories`], journaled, nothing
/// decrypted): what an erasure plan needs
/// (`RequestService::erasure_plan_of`).
pub fn held_categories(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
) -> Result<BTreeMap<String, DateTime<Utc>>, BridgeError> {
    Ok(vault
        .held_categories(caller, subject)?
        .into_iter()
        .map(|h| (h.category, h.last_collected))
        .collect())
}

/// What an executed erasure did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasureOutcome {
    /// The erased data's keys were destroyed (copies made before are unreadable).
    pub crypto_shredded: bool,
    pub data_keys_destroyed: usize,
    /// Categories erased.
    pub erased: Vec<String>,
    /// Categories kept, as the plan says (Art. 17(3)).
    pub kept: Vec<String>,
    /// Undeclared categories found on the subject that no key names.
    pub not_reached: Vec<String>,
}

/// Execute `plan` at `now` (Art. 17(1); kept categories per 17(3)).
pub fn execute_erasure(
    vault: &Vault,
    caller: &Caller,
    plan: &ErasurePlan,
    now: DateTime<Utc>,
) -> Result<ErasureOutcome, BridgeError> {
    let mut outcomes = execute_erasures(vault, caller, std::slice::from_ref(plan), now)?;
    outcomes
        .pop()
        .ok_or_else(|| EngineError::Storage("the erasure returned no outcome".into()).into())
}

/// Execute several plans (of distinct subjects) at `now` as one batch
/// ([`Vault::erase_batch`]: one key-store transaction, one vault unit, one
/// tombstone-ledger transaction for all of them — issue 4), with the same
/// effect and outcomes as [`execute_erasure`] on each. All or nothing
/// before any key is destroyed: a plan whose grace period still runs, or
/// that the vault refuses, stops the batch and nothing is erased.
pub fn execute_erasures(
    vault: &Vault,
    caller: &Caller,
    plans: &[ErasurePlan],
    now: DateTime<Utc>,
) -> Result<Vec<ErasureOutcome>, BridgeError> {
    if let Some(plan) = plans.iter().find(|p| now < p.erase_at) {
        return Err(BridgeError::GraceRunning {
            erase_at: plan.erase_at,
        });
    }
    let mut batch = Vec::with_capacity(plans.len());
    let mut outcomes = Vec::with_capacity(plans.len());
    // Index into `batch` of each plan that erases something.
    let mut slots = Vec::with_capacity(plans.len());
    for plan in plans {
        let erased: Vec<String> = plan.erase.iter().map(|c| c.category.clone()).collect();
        let kept: Vec<String> = plan.keep.iter().map(|c| c.category.clone()).collect();
        // When the plan keeps nothing the whole subject goes (an empty list
        // is the whole subject); otherwise each erased category's key is
        // destroyed. No declared category, no key the engine can name:
        // reported as not reached.
        let (categories, not_reached): (Vec<String>, Vec<String>) = if plan.keep.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let (declared, undeclared): (Vec<_>, Vec<_>) =
                plan.erase.iter().partition(|c| !c.undeclared);
            (
                declared.iter().map(|c| c.category.clone()).collect(),
                undeclared.iter().map(|c| c.category.clone()).collect(),
            )
        };
        if plan.keep.is_empty() || !categories.is_empty() {
            slots.push(Some(batch.len()));
            batch.push(Erasure {
                subject: plan.subject.clone(),
                categories,
            });
        } else {
            slots.push(None);
        }
        outcomes.push(ErasureOutcome {
            crypto_shredded: true,
            data_keys_destroyed: 0,
            erased,
            kept,
            not_reached,
        });
    }
    // Recorded in the tombstone ledger: a restore erases them again.
    let done = vault.erase_batch(caller, &batch)?;
    for (outcome, slot) in outcomes.iter_mut().zip(slots) {
        if let Some(e) = slot.and_then(|i| done.get(i)) {
            outcome.data_keys_destroyed = e.data_keys_destroyed;
        }
    }
    Ok(outcomes)
}

/// One record's fields as text, for planning a rectification.
pub fn record_fields(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
    category: &str,
    record_id: &str,
) -> Result<(RecordView, BTreeMap<String, String>), BridgeError> {
    let view = vault.read(caller, subject, Some(category))?;
    let record = view
        .records
        .into_iter()
        .find(|r| r.id == record_id)
        .ok_or_else(|| BridgeError::UnknownRecord {
            record: record_id.to_string(),
            category: category.to_string(),
        })?;
    let fields = record
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), text_of(v)))
        .collect();
    Ok((record, fields))
}

/// Apply a ready rectification (Art. 16): the record keeps its id, source,
/// purposes and collection date; the changed fields take their new values;
/// the engine re-validates, reseals and re-indexes it (blind indexes follow)
/// and keeps its retention event dates (last interaction, contract end,
/// account closure, custom events, incident link), so the retention clock
/// does not restart (`Vault::replace_record`).
pub fn apply_rectification(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
    plan: &RectificationPlan,
    ready: bool,
) -> Result<(), BridgeError> {
    if !ready {
        return Err(BridgeError::NotReady);
    }
    let (record, _) = record_fields(vault, caller, subject, &plan.category, &plan.record_id)?;
    let mut fields: serde_json::Map<String, serde_json::Value> =
        record.fields.into_iter().collect();
    for change in &plan.changes {
        fields.insert(
            change.field.clone(),
            serde_json::Value::String(change.new_value.trim().to_string()),
        );
    }
    let input = RecordInput {
        subject: None,
        subject_ref: None,
        category: plan.category.clone(),
        fields,
        source: Some(record.source),
        purposes: record.purposes,
        collected_at: Some(record.collected_at),
        events: Default::default(),
    };
    vault.replace_record(caller, subject, &plan.record_id, input)?;
    // Identifiers are written again by a restore of an older backup (Art. 16).
    let decl = vault.declarations().category(&plan.category);
    for change in &plan.changes {
        if decl.is_some_and(|d| d.is_identifier(&change.field)) {
            vault.tombstone_rectification(
                caller,
                subject,
                &plan.category,
                &plan.record_id,
                &change.field,
                change.new_value.trim(),
            )?;
        }
    }
    Ok(())
}

/// The contact reference of the subject's record field holding `address`
/// (`vault:<category>.<field>`), searching e-mail fields of every category.
pub fn contact_ref_for(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
    address: &str,
) -> Result<String, BridgeError> {
    let wanted = address.trim().to_lowercase();
    let view = vault.read(caller, subject, None)?;
    let decls = vault.declarations();
    let mut records = view.records;
    records.sort_by_key(|r| std::cmp::Reverse(r.collected_at));
    for r in &records {
        for (field, value) in &r.fields {
            if is_email_field(decls, &r.category, field)
                && value.as_str().map(|v| v.trim().to_lowercase()) == Some(wanted.clone())
            {
                return Ok(format!("vault:{}.{}", r.category, field));
            }
        }
    }
    Err(BridgeError::Contact {
        contact_ref: "(new)".into(),
        how: "no e-mail field of this subject's records holds that address; give the address on file, or the subject's id and `--contact <category>.<field>`".into(),
    })
}

fn is_email_field(decls: &Declarations, category: &str, field: &str) -> bool {
    decls
        .category(category)
        .is_some_and(|c| c.field(field) == Some(habeas_core::declarations::vocab::FieldType::Email))
}

/// The first e-mail field the subject has data in (`vault:<category>.<field>`).
pub fn default_contact_ref(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
) -> Result<String, BridgeError> {
    let view = vault.read(caller, subject, None)?;
    let decls = vault.declarations();
    for r in &view.records {
        for (field, value) in &r.fields {
            if is_email_field(decls, &r.category, field) && value.as_str().is_some() {
                return Ok(format!("vault:{}.{}", r.category, field));
            }
        }
    }
    Err(BridgeError::Contact {
        contact_ref: "(new)".into(),
        how: "the subject has no e-mail address on file; record another proof of identity with `habeas requests proof`".into(),
    })
}

/// The address a `vault:<category>.<field>` reference points to: the
/// latest record of that category holding the field.
pub fn resolve_contact(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
    contact_ref: &str,
) -> Result<MailAddress, BridgeError> {
    let bad = |how: &str| BridgeError::Contact {
        contact_ref: contact_ref.to_string(),
        how: how.to_string(),
    };
    let (category, field) = contact_ref
        .strip_prefix("vault:")
        .and_then(|r| r.split_once('.'))
        .ok_or_else(|| bad("expected `vault:<category>.<field>`"))?;
    let view = vault.read(caller, subject, Some(category))?;
    let latest = view
        .records
        .iter()
        .filter(|r| r.fields.get(field).and_then(|v| v.as_str()).is_some())
        .max_by_key(|r| r.collected_at)
        .ok_or_else(|| bad("no record of the subject holds that field any more"))?;
    let text = latest
        .fields
        .get(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    text.parse()
        .map_err(|_| bad("the value on file is not a valid e-mail address"))
}

/// Sends the Art. 12 notices of a request through the configured mailer.
pub struct Notifier<'a> {
    pub mailer: &'a dyn Mailer,
    org: Organisation,
    calendar: habeas_core::calendar::HolidayCalendar,
}

impl<'a> Notifier<'a> {
    /// The sender identity comes from the declarations: organisation name,
    /// DPO (or rights) contact, and the authority of its country.
    pub fn new(mailer: &'a dyn Mailer, decls: &Declarations) -> Self {
        Notifier {
            mailer,
            org: organisation(decls),
            calendar: decls.holiday_calendar(),
        }
    }

    /// Tells the subject, before it happens, that a restriction is lifted
    /// (Art. 18(3)): which purpose resumes, and on which day.
    pub fn restriction_lifted(
        &self,
        to: MailAddress,
        purpose: String,
        lifted_on: chrono::NaiveDate,
    ) -> Result<MessageId, BridgeError> {
        let mail = restriction_lifted(
            &self.org,
            &Recipient { to, lang: None },
            &RestrictionLifted { purpose, lifted_on },
        )?;
        Ok(self.mailer.send(&mail)?)
    }

    /// The acknowledgment of receipt (Art. 12(3)): reference, both clocks,
    /// and that the identity will be checked first.
    pub fn acknowledgment(
        &self,
        view: &RequestView,
        to: MailAddress,
        lang: Option<Lang>,
        decls: &Declarations,
    ) -> Result<MessageId, BridgeError> {
        let promise = match (
            view.kind.right().and_then(|r| decls.promised_delay(r)),
            view.promised_due,
        ) {
            (Some(delay), Some(due)) => Some(Promise {
                delay,
                due: self
                    .calendar
                    .local_date(due)
                    .min(view.statutory_deadline.legal),
            }),
            _ => None,
        };
        let mail = request_acknowledgment(
            &self.org,
            &Recipient { to, lang },
            &Acknowledgment {
                reference: view.id.clone(),
                kind: view.kind,
                received: view.statutory_deadline.received_on,
                statutory_deadline: view.statutory_deadline.legal,
                promise,
                identity_check: view.identity_verified_at.is_none(),
            },
        )?;
        Ok(self.mailer.send(&mail)?)
    }

    /// The identity-verification code (Art. 12(6)).
    pub fn code(
        &self,
        view: &RequestView,
        code: &IssuedCode,
        to: MailAddress,
        lang: Option<Lang>,
    ) -> Result<MessageId, BridgeError> {
        let offset = habeas_core::calendar::local_offset(code.expires_at);
        let mail = verification_code(
            &self.org,
            &Recipient { to, lang },
            &VerificationCode {
                reference: view.id.clone(),
                code: code.code.clone(),
                expires_at: code.expires_at.with_timezone(&offset),
            },
        )?;
        Ok(self.mailer.send(&mail)?)
    }

    /// The answer was given (Art. 12(3)); `details` in the subject's words
    /// (e.g. the erasure's kept categories), the same text in both languages.
    pub fn done(
        &self,
        view: &RequestView,
        details: Option<String>,
        to: MailAddress,
        lang: Option<Lang>,
    ) -> Result<MessageId, BridgeError> {
        let completed = view.history.last().map_or(view.received_at, |h| h.at);
        let mail = request_done(
            &self.org,
            &Recipient { to, lang },
            &RequestDone {
                reference: view.id.clone(),
                kind: view.kind,
                received: view.statutory_deadline.received_on,
                completed: self.calendar.local_date(completed),
                details: details.map(Localized::same),
            },
        )?;
        Ok(self.mailer.send(&mail)?)
    }

    /// The refusal, its reason and the remedies (Art. 12(4)).
    pub fn refused(
        &self,
        view: &RequestView,
        reason: RefusalReason,
        explanation: &str,
        to: MailAddress,
        lang: Option<Lang>,
    ) -> Result<MessageId, BridgeError> {
        let mail = request_refused(
            &self.org,
            &Recipient { to, lang },
            &RequestRefused {
                reference: view.id.clone(),
                kind: view.kind,
                received: view.statutory_deadline.received_on,
                reason,
                explanation: Localized::same(explanation),
            },
        )?;
        Ok(self.mailer.send(&mail)?)
    }

    /// The extension and its reasons (Art. 12(3)).
    pub fn extended(
        &self,
        view: &RequestView,
        justification: &str,
        to: MailAddress,
        lang: Option<Lang>,
    ) -> Result<MessageId, BridgeError> {
        let mail = deadline_extension(
            &self.org,
            &Recipient { to, lang },
            &DeadlineExtension {
                reference: view.id.clone(),
                kind: view.kind,
                received: view.statutory_deadline.received_on,
                original_deadline: view.statutory_deadline.legal,
                new_deadline: view.effective_deadline.legal,
                calendar: self.calendar,
                reasons: Localized::same(justification),
            },
        )?;
        Ok(self.mailer.send(&mail)?)
    }
}

/// The provider as its notices name it: organisation name, DPO (or rights)
/// contact, and the supervisory authority of its country (Art. 13(1)(b),
/// 77: CNIL in France, APD/GBA in Belgium).
pub fn organisation(decls: &Declarations) -> Organisation {
    let name = decls
        .organisation()
        .map(|o| o.name.get_ref().clone())
        .unwrap_or_else(|| "—".into());
    let dpo_contact = decls
        .dpo()
        .and_then(|d| d.email.as_ref().map(|e| e.get_ref().clone()))
        .or_else(|| {
            decls
                .rights()
                .and_then(|r| r.contact_email.as_ref().map(|e| e.get_ref().clone()))
        })
        .unwrap_or_else(|| name.clone());
    let authority = match decls.organisation().map(|o| o.country.get_ref().as_str()) {
        Some("BE") => Authority::Apd,
        _ => Authority::Cnil,
    };
    Organisation {
        name,
        dpo_contact,
        authority,
    }
}

/// Most journal entries an answer lists (the newest first).
const ACCESS_LOG_LIMIT: usize = 1000;

/// When and why the subject's data was used, from the audit journal: dates,
/// purposes and categories, never who (Art. 15(1); CJEU C-579/21). Refusals
/// and the lookups of this list itself are left out: nothing was accessed.
fn access_journal(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
) -> Result<Vec<AccessJournalEntry>, BridgeError> {
    Ok(vault
        .access_log(caller, subject, ACCESS_LOG_LIMIT)?
        .into_iter()
        .filter(|e| !matches!(e.action.as_str(), "refused" | "journal.read"))
        .filter_map(|e| {
            Some(AccessJournalEntry {
                at: e.at,
                purpose: e.purpose?,
                categories: e.category.into_iter().collect(),
            })
        })
        .collect())
}

/// Withdraw a consent (Art. 7(3)) and write the tombstone that makes a
/// restore of an older backup withdraw it again. Returns the ledger version.
pub fn withdraw_consent(
    vault: &Vault,
    caller: &Caller,
    store: &crate::consent_store::ConsentStore<'_>,
    subject: &str,
    purpose: &str,
    channel: &str,
    notice: habeas_core::consent::NoticeShown,
) -> Result<u64, BridgeError> {
    let version = store.withdraw(subject, purpose, channel, notice)?;
    vault.tombstone_consent_withdrawal(caller, subject, purpose)?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_sources_map_to_art20_channels() {
        assert_eq!(source_channel("form"), SourceChannel::Form);
        assert_eq!(source_channel("web_form"), SourceChannel::Form);
        assert_eq!(source_channel("subject-api"), SourceChannel::SubjectApi);
        assert_eq!(source_channel("billing"), SourceChannel::Derived);
        // Unknown origin is never counted as provided by the subject.
        assert_eq!(source_channel("api"), SourceChannel::Import);
        assert!(!source_channel("crm_sync").provided_by_subject());
    }

    #[test]
    fn values_render_as_text() {
        assert_eq!(text_of(&serde_json::json!("é")), "é");
        assert_eq!(text_of(&serde_json::json!(12)), "12");
        assert_eq!(text_of(&serde_json::Value::Null), "");
    }
}
