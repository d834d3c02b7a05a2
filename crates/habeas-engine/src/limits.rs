//! Processing limits a subject has asked for, enforced on every vault read
//! and write: restriction (GDPR Art. 18), objection (Art. 21) and withdrawn
//! or missing consent (Art. 7(3), Art. 6(1)(a)). A consent-based activity
//! for a subject the ledger knows nothing about is refused unless
//! `[consent] missing = "allow"` (a migration opt-out) is set.
//!
//! Restrictions and objections are kept per subject in a sealed document
//! (kind [`LIMITS_KIND`]); consents come from the subject's consent ledger
//! (kind [`CONSENT_KIND`], `habeas_core::consent::ConsentLedger`, written by the
//! rights workflow). The decision itself is `habeas_core::rights::policy::decide`:
//! the engine only gathers the facts. Storage continues under a restriction
//! (Art. 18(1)): nothing is deleted, reads and new writes for the purpose are
//! refused with the reason and journaled as refusals. A purpose that is not a
//! declared activity (the operator's own legal purposes, such as answering
//! the subject's requests) is not limited by these.

use std::collections::{BTreeMap, BTreeSet};

use habeas_core::consent::{ConsentLedger, ConsentState};
use habeas_core::lang::Lang;
use habeas_core::rights::policy::{
    ActorScope, Decision, MissingConsent, ObjectionStatus, Operation, PurposeFacts, SubjectState,
    consent_state_for, decide,
};
use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::error::{EngineError, Refusal, Result};
use crate::journaled::Stop;
use crate::vault::Vault;

/// Document kind of a subject's restrictions and objections.
pub const LIMITS_KIND: &str = "processing-limits";
/// Document kind of consent ledgers (one per subject, see habeas-rights).
pub const CONSENT_KIND: &str = "consent";

/// A subject's restrictions (Art. 18) and objections (Art. 21), by purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessingLimits {
    pub restricted: BTreeSet<String>,
    pub objections: BTreeMap<String, ObjectionStatus>,
}

impl ProcessingLimits {
    pub fn is_empty(&self) -> bool {
        self.restricted.is_empty() && self.objections.is_empty()
    }
}

impl Vault {
    /// The subject's current limits and the document version (`None`: none yet).
    pub fn processing_limits(&self, subject: &str) -> Result<(ProcessingLimits, Option<u64>)> {
        match self.get_doc(LIMITS_KIND, subject)? {
            None => Ok((ProcessingLimits::default(), None)),
            Some(doc) => {
                let limits = serde_json::from_slice(&doc.body).map_err(|_| {
                    EngineError::Storage("a processing-limits document is damaged".into())
                })?;
                Ok((limits, Some(doc.version)))
            }
        }
    }

    /// Restrict (`on`) or lift the restriction of `purpose` for `subject`
    /// (Art. 18(1); lifting is journaled, Art. 18(3): tell the subject).
    pub fn set_restriction(
        &self,
        caller: &Caller,
        subject: &str,
        purpose: &str,
        on: bool,
    ) -> Result<ProcessingLimits> {
        let note = format!(
            "restriction={} purpose={purpose}",
            if on { "on" } else { "lifted" }
        );
        self.change_limits(caller, subject, purpose, &note, |l| {
            if on {
                l.restricted.insert(purpose.to_string());
            } else {
                l.restricted.remove(purpose);
            }
        })
    }

    /// Record an objection to `purpose` (Art. 21(1)–(3)), mark it overridden
    /// by compelling legitimate grounds (`Some(grounds)`; without effect on
    /// direct marketing), or withdraw it (`None` with `withdraw`).
    pub fn set_objection(
        &self,
        caller: &Caller,
        subject: &str,
        purpose: &str,
        status: Option<ObjectionStatus>,
    ) -> Result<ProcessingLimits> {
        // The state only: overriding grounds are free text, kept in the
        // sealed document, not in the journal.
        let state = match &status {
            Some(ObjectionStatus::Active) => "active",
            Some(ObjectionStatus::Overridden { .. }) => "overridden",
            None => "withdrawn",
        };
        // Art. 21 opens objection to processing on a public task or
        // legitimate interests, and to direct marketing; not to a contract,
        // a legal obligation or consent (withdrawn instead, Art. 7(3)).
        // Withdrawing or overriding an objection already recorded stays open.
        if matches!(status, Some(ObjectionStatus::Active))
            && self
                .decls
                .activity(purpose)
                .is_some_and(|a| !a.open_to_objection())
        {
            self.subject_row(subject)?;
            return Err(EngineError::Invalid(Refusal::new(
                "objection_not_applicable",
                format!(
                    "on ne peut pas s'opposer à la finalité « {purpose} » (art. 21 RGPD : seulement un traitement fondé sur une mission d'intérêt public ou l'intérêt légitime, ou la prospection) ; selon le cas : limitation (art. 18), effacement (art. 17) ou retrait du consentement (art. 7(3))"
                ),
                format!(
                    "purpose `{purpose}` is not open to objection (Art. 21 GDPR: only processing on a public task or legitimate interests, or direct marketing); as the case may be: restriction (Art. 18), erasure (Art. 17) or consent withdrawal (Art. 7(3))"
                ),
            )));
        }
        let note = format!("objection={state} purpose={purpose}");
        self.change_limits(caller, subject, purpose, &note, |l| match &status {
            Some(s) => {
                l.objections.insert(purpose.to_string(), s.clone());
            }
            None => {
                l.objections.remove(purpose);
            }
        })
    }

    /// Apply `change` to the subject's limits in one document write whose
    /// journal entry (the only one) names the purpose and what changed
    /// (`note`), so whoever reads the journal sees which processing stopped
    /// or resumed (Art. 18(3), Art. 21, Art. 5(2)).
    fn change_limits(
        &self,
        caller: &Caller,
        subject: &str,
        purpose: &str,
        note: &str,
        change: impl Fn(&mut ProcessingLimits),
    ) -> Result<ProcessingLimits> {
        self.subject_row(subject)?;
        if self.decls.activity(purpose).is_none() {
            return Err(EngineError::Invalid(Refusal::new(
                "unknown_purpose",
                format!(
                    "finalité « {purpose} » non déclarée (une activité du registre est attendue)"
                ),
                format!(
                    "purpose `{purpose}` is not declared (an activity of the register is expected)"
                ),
            )));
        }
        for _ in 0..5 {
            let (mut limits, version) = self.processing_limits(subject)?;
            change(&mut limits);
            let body =
                serde_json::to_vec(&limits).map_err(|e| EngineError::Storage(e.to_string()))?;
            match self.put_doc_noted(caller, LIMITS_KIND, subject, version, &body, note) {
                Ok(_) => return Ok(limits),
                Err(EngineError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(EngineError::Conflict(Refusal::new(
            "busy",
            "les limites de cette personne changent en ce moment ; réessayez",
            "this subject's limits are changing right now; try again",
        )))
    }

    /// How a consent-based activity is treated for a subject with no ledger
    /// entry (`[consent] missing` of `habeas.toml`; refuse by default).
    pub fn set_missing_consent(&mut self, missing: MissingConsent) {
        self.missing_consent = missing;
    }

    pub fn missing_consent(&self) -> MissingConsent {
        self.missing_consent
    }

    /// The facts the limit checks need, loaded once per call: the subject's
    /// restrictions and objections now, its consent ledger when a checked
    /// activity rests on consent ([`SubjectLimits::ledger`]).
    fn subject_limits(&self, subject: &str) -> Result<SubjectLimits> {
        let (limits, _) = self.processing_limits(subject)?;
        Ok(SubjectLimits {
            limits,
            ledger: None,
        })
    }

    /// Every subject's recorded restrictions and objections, by subject: a walk
    /// over all subjects (statistics) reads them once instead of once per
    /// subject. Subjects without a document have none.
    pub(crate) fn all_processing_limits(&self) -> Result<BTreeMap<String, ProcessingLimits>> {
        self.list_docs(LIMITS_KIND)?
            .into_iter()
            .map(|doc| {
                let limits = serde_json::from_slice(&doc.body).map_err(|_| {
                    EngineError::Storage("a processing-limits document is damaged".into())
                })?;
                Ok((doc.id, limits))
            })
            .collect()
    }

    /// The subject's consent ledger, read on first need: an activity that
    /// does not rest on consent never reads it (one document read less per
    /// audited read or write for those — a round trip on PostgreSQL).
    fn consent_ledger_of<'a>(
        &self,
        subject: &str,
        loaded: &'a mut SubjectLimits,
    ) -> Result<Option<&'a ConsentLedger>> {
        if loaded.ledger.is_none() {
            let ledger =
                if self.decls.consents.is_empty() {
                    None
                } else {
                    match self.get_doc(CONSENT_KIND, subject)? {
                        None => None,
                        Some(doc) => Some(serde_json::from_slice(&doc.body).map_err(|_| {
                            EngineError::Storage("a consent ledger is damaged".into())
                        })?),
                    }
                };
            loaded.ledger = Some(ledger);
        }
        Ok(loaded.ledger.as_ref().and_then(Option::as_ref))
    }

    /// Refuses a read or write of `category` for `purpose` that the
    /// subject's restriction, objection or consent forbids: the refusal comes
    /// back with its journal entry ([`Stop::Refused`]), which the caller
    /// commits before answering it. `loaded` caches the subject's limits
    /// across calls; they are read only when a declared activity is checked.
    pub(crate) fn limits_or_stop(
        &self,
        caller: &Caller,
        action: &str,
        subject: &str,
        category: &str,
        purpose: &str,
        loaded: &mut Option<SubjectLimits>,
    ) -> Result<(), Stop> {
        // Purposes that are not declared activities (the operator's own legal
        // purposes) are not limited: nothing to load for them.
        let Some(activity) = self.decls.activity(purpose) else {
            return Ok(());
        };
        if loaded.is_none() {
            *loaded = Some(self.subject_limits(subject)?);
        }
        let Some(loaded) = loaded.as_mut() else {
            return Ok(());
        };
        let mut facts = PurposeFacts::from_activity(purpose, activity);
        // Consent (Art. 7(3)): a refusal or withdrawal in the ledger stops the
        // purpose at once. A subject with no ledger entry for it is refused
        // too (Art. 6(1)(a), 7(1): no provable consent), unless the project
        // set the migration opt-out `[consent] missing = "allow"`.
        let mut consents = BTreeMap::new();
        if facts.consent_based {
            let ledger = self.consent_ledger_of(subject, loaded)?;
            let recorded = self
                .decls
                .consents
                .iter()
                .filter(|(_, c)| c.activity.get_ref() == purpose)
                .filter_map(|(name, _)| ledger.map(|l| l.state(subject, name.get_ref())))
                .find(|s| *s != ConsentState::Unknown);
            match consent_state_for(recorded, self.missing_consent) {
                Some(state) => {
                    consents.insert(purpose.to_string(), state);
                }
                None => facts.consent_based = false,
            }
        }
        if loaded.limits.is_empty() && !facts.consent_based {
            return Ok(());
        }
        let state = SubjectState {
            restricted_purposes: loaded.limits.restricted.clone(),
            objections: loaded.limits.objections.clone(),
            consents,
        };
        let scope = ActorScope {
            role: caller.actor.clone(),
            purposes: BTreeSet::from([purpose.to_string()]),
            categories: BTreeSet::from([category.to_string()]),
        };
        let operation = if action == "write" {
            Operation::Write
        } else {
            Operation::Read
        };
        match decide(&scope, &state, &facts, category, operation) {
            Decision::Allow => Ok(()),
            Decision::Refuse { reason } => {
                let e = self.entry(
                    caller,
                    "refused",
                    Some(subject),
                    Some(category),
                    Some(purpose),
                    format!("{action} denied: limited art. {}", reason.article()),
                );
                Err(Stop::refused(
                    vec![e],
                    EngineError::Forbidden(
                        Refusal::new(
                            "limited_by_subject",
                            reason.describe(Lang::Fr),
                            reason.describe(Lang::En),
                        )
                        .category(category),
                    ),
                ))
            }
        }
    }
}

impl SubjectLimits {
    /// Limits already read ([`Vault::all_processing_limits`]); the consent
    /// ledger is still read on first need.
    pub(crate) fn known(limits: ProcessingLimits) -> SubjectLimits {
        SubjectLimits {
            limits,
            ledger: None,
        }
    }
}

/// What [`Vault::limits_or_stop`] needs about one subject.
pub(crate) struct SubjectLimits {
    limits: ProcessingLimits,
    /// `None` until a consent-based activity is checked; then the ledger, if any.
    ledger: Option<Option<ConsentLedger>>,
}
