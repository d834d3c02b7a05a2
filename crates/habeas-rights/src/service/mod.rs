//! The request service: a data-subject request from receipt to answer,
//! persisted as a `request` document with optimistic concurrency.
//!
//! Why a service over the pure rules: every step is the core state machine
//! (`habeas_core::rights::Request`), but someone must load the request, apply
//! the step at the injected clock's time, store it only if nobody changed it
//! meanwhile, and compute both clocks (Art. 12(3) and the provider's promise)
//! for the answer. Identity verification (Art. 12(6)) lives here too, and
//! every disclosure — access export, portability export, erasure and
//! rectification plans — is refused until the identity is verified.

mod stored;

pub use stored::{
    NewRequest, NewValueChallenge, RequestChannel, RequestView, StoredRequest,
    UnknownRequestChannel,
};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use habeas_core::clock::Clock;
use habeas_core::declarations::Declarations;
use habeas_core::docs::{DocError, DocStore, Filing, check_key};
use habeas_core::lang::Lang;
use habeas_core::rights::{
    IdentityProof, RefusalReason, Request, RequestKind, Transition, UrgencyThreshold,
    VerificationMethod, urgency_key,
};
use subtle::ConstantTimeEq;

use crate::erasure::{ErasurePlan, ErasureRequest, plan_erasure};
use crate::error::RightsError;
use crate::export::{
    AccessExport, PortabilityExport, build_access_export, build_portability_export,
};
use crate::held::{SubjectHoldings, SubjectStatus};
use crate::rectification::{RectificationPlan, plan_rectification};
use crate::verification::{CodeChallenge, CodeError, CodeKey, CodePolicy};

/// The document kind of requests.
pub const REQUEST_KIND: &str = "request";

/// A stored request document's body, or why it cannot be read.
fn decode(id: &str, body: &[u8]) -> Result<StoredRequest, RightsError> {
    serde_json::from_slice(body).map_err(|e| RightsError::Corrupt {
        kind: "request",
        id: id.to_string(),
        detail: e.to_string(),
    })
}

/// Where a request is filed in the document store: under its subject's
/// vault id once known (`""`, no one, before), and `open` while it may
/// still take a step (neither closed nor withdrawn), `closed` after.
fn filing_of(stored: &StoredRequest) -> Filing<'_> {
    Filing {
        owner: stored.subject.as_deref().unwrap_or(""),
        state: if stored.request.is_open() && stored.withdrawn_at.is_none() {
            OPEN
        } else {
            "closed"
        },
    }
}

/// The filing state of the requests [`RequestService::list_open`] lists.
const OPEN: &str = "open";

/// A state no request is filed in: listing it yields the unfiled requests
/// only ([`RequestService::file_requests`]).
const UNFILED_ONLY: &str = "unfiled";

/// How the service behaves.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The provider's secret keying verification-code MACs.
    pub code_key: CodeKey,
    pub codes: CodePolicy,
    pub urgency: UrgencyThreshold,
}

impl ServiceConfig {
    /// Defaults: codes valid 30 minutes, locked after 5 wrong tries; due soon within 3 days.
    pub fn new(code_key: CodeKey) -> Self {
        ServiceConfig {
            code_key,
            codes: CodePolicy::default(),
            urgency: UrgencyThreshold::default(),
        }
    }
}

/// A code to send to the contact on file (or to the new value). The caller
/// sends it and forgets it; only its MAC is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub code: String,
    pub expires_at: DateTime<Utc>,
    /// For a rectification: the `category.field` the code verifies.
    pub field: Option<String>,
}

impl std::fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCode")
            .field("code", &"********")
            .field("expires_at", &self.expires_at)
            .field("field", &self.field)
            .finish()
    }
}

/// The request service.
pub struct RequestService<'a> {
    docs: &'a dyn DocStore,
    clock: &'a dyn Clock,
    decls: &'a Declarations,
    config: ServiceConfig,
}

/// Longest accepted contact reference.
const MAX_CONTACT_REF: usize = 256;

impl<'a> RequestService<'a> {
    pub fn new(
        docs: &'a dyn DocStore,
        clock: &'a dyn Clock,
        decls: &'a Declarations,
        config: ServiceConfig,
    ) -> Self {
        RequestService {
            docs,
            clock,
            decls,
            config,
        }
    }

    // ---- storage -------------------------------------------------------

    fn load(&self, id: &str) -> Result<(StoredRequest, u64), RightsError> {
        check_key(id)?;
        let doc = self
            .docs
            .get_doc(REQUEST_KIND, id)?
            .ok_or_else(|| RightsError::NotFound {
                kind: "request",
                id: id.to_string(),
            })?;
        let stored = decode(id, &doc.body)?;
        Ok((stored, doc.version))
    }

    /// A request that may still take steps: not withdrawn by its subject.
    fn load_live(&self, id: &str) -> Result<(StoredRequest, u64), RightsError> {
        let (stored, version) = self.load(id)?;
        if let Some(at) = stored.withdrawn_at {
            return Err(RightsError::Invalid {
                what: "request",
                how: format!(
                    "request {id} was withdrawn by the subject on {}; it takes no further step (open a new request)",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
            });
        }
        Ok((stored, version))
    }

    fn load_expecting(&self, id: &str, expected: u64) -> Result<StoredRequest, RightsError> {
        let (stored, found) = self.load_live(id)?;
        if found != expected {
            return Err(RightsError::StaleVersion {
                id: id.to_string(),
                expected,
                found,
            });
        }
        Ok(stored)
    }

    fn save(&self, stored: &StoredRequest, expected: Option<u64>) -> Result<u64, RightsError> {
        let body = serde_json::to_vec(stored).map_err(|e| RightsError::Render {
            format: "request document",
            detail: e.to_string(),
        })?;
        match self
            .docs
            .put_filed_doc(REQUEST_KIND, &stored.id, expected, filing_of(stored), &body)
        {
            Ok(v) => Ok(v),
            Err(DocError::Conflict {
                expected: Some(e),
                found: Some(f),
                ..
            }) => Err(RightsError::StaleVersion {
                id: stored.id.clone(),
                expected: e,
                found: f,
            }),
            Err(e) => Err(e.into()),
        }
    }

    fn view(&self, stored: &StoredRequest, version: u64) -> RequestView {
        let r = &stored.request;
        let now = self.clock.now();
        RequestView {
            id: stored.id.clone(),
            version,
            kind: r.kind(),
            channel: stored.channel,
            subject: stored.subject.clone(),
            contact_ref: stored.contact_ref.clone(),
            stage: r.stage(),
            status: r.status(),
            received_at: r.received_at(),
            statutory_deadline: r.statutory_deadline(),
            effective_deadline: r.effective_deadline(),
            promised_delay: r.promised_delay().map(|d| d.describe(Lang::En)),
            promised_due: r.promised_due(),
            next_due: r.next_due(),
            urgency: r.urgency(now, self.config.urgency),
            identity_verified_at: r.identity().map(|(_, at)| *at),
            history: r.history().to_vec(),
            account_closure: stored.account_closure,
            withdrawn_at: stored.withdrawn_at,
        }
    }

    // ---- requests ------------------------------------------------------

    /// Receive a request now: both deadlines start at this instant.
    pub fn create(&self, new: NewRequest) -> Result<RequestView, RightsError> {
        self.create_stored(new, false)
    }

    /// Receive an erasure request that closes the subject's account: its
    /// erasure plan always counts the declared grace period (Art. 17 with
    /// the provider's reactivation window), whoever computes it.
    pub fn create_account_closure(&self, new: NewRequest) -> Result<RequestView, RightsError> {
        if new.kind != RequestKind::Erasure {
            return Err(RightsError::Invalid {
                what: "account closure",
                how: format!(
                    "an account closure is an `erasure` request, not `{}`",
                    new.kind.key()
                ),
            });
        }
        self.create_stored(new, true)
    }

    fn create_stored(
        &self,
        new: NewRequest,
        account_closure: bool,
    ) -> Result<RequestView, RightsError> {
        let contact = new.contact_ref.trim();
        if contact.is_empty()
            || contact.len() > MAX_CONTACT_REF
            || contact.chars().any(char::is_control)
        {
            return Err(RightsError::Invalid {
                what: "contact reference",
                how: format!(
                    "give the reference of the contact on file (1–{MAX_CONTACT_REF} characters, no control characters)"
                ),
            });
        }
        if let Some(subject) = &new.subject {
            check_key(subject)?;
        }
        let now = self.clock.now();
        let promised = new.kind.right().and_then(|r| self.decls.promised_delay(r));
        let request = Request::new(new.kind, now, self.decls.holiday_calendar(), promised);
        for _ in 0..4 {
            let suffix: [u8; 5] = rand::random();
            let stored = StoredRequest {
                id: format!("R-{}-{}", now.format("%Y%m%d"), hex::encode(suffix)),
                request: request.clone(),
                channel: new.channel,
                subject: new.subject.clone(),
                contact_ref: contact.to_string(),
                identity_challenge: None,
                new_value_challenges: BTreeMap::new(),
                account_closure,
                withdrawn_at: None,
            };
            match self.docs.put_filed_doc(
                REQUEST_KIND,
                &stored.id,
                None,
                filing_of(&stored),
                &serde_json::to_vec(&stored).map_err(|e| RightsError::Render {
                    format: "request document",
                    detail: e.to_string(),
                })?,
            ) {
                Ok(v) => return Ok(self.view(&stored, v)),
                // An id collision (40 random bits, same day): draw another.
                Err(DocError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RightsError::Invalid {
            what: "request id",
            how: "no free id could be drawn; try again".into(),
        })
    }

    /// One request with its clocks.
    pub fn get(&self, id: &str) -> Result<RequestView, RightsError> {
        let (stored, version) = self.load(id)?;
        Ok(self.view(&stored, version))
    }

    /// Open requests, most urgent first (the earliest due date, whichever
    /// clock it comes from; then the oldest receipt). Requests are filed by
    /// state, so this reads the open ones (and any not yet filed), not the
    /// provider's whole history; the body still decides.
    pub fn list_open(&self) -> Result<Vec<RequestView>, RightsError> {
        let mut open = Vec::new();
        for doc in self.docs.list_docs_in(REQUEST_KIND, OPEN)? {
            let stored = decode(&doc.id, &doc.body)?;
            if stored.request.is_open() && stored.withdrawn_at.is_none() {
                open.push((urgency_key(&stored.request), stored, doc.version));
            }
        }
        open.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        Ok(open
            .into_iter()
            .map(|(_, stored, version)| self.view(&stored, version))
            .collect())
    }

    /// Every request of `subject`, open or closed, newest first (what the
    /// subject follows in the portal: status, receipt, both deadlines).
    /// Requests are filed under their subject, so this reads the subject's
    /// own (and any not yet filed, see [`RequestService::file_requests`]),
    /// not every request of the provider; the body still decides.
    pub fn list_for_subject(&self, subject: &str) -> Result<Vec<RequestView>, RightsError> {
        check_key(subject)?;
        let mut mine = Vec::new();
        for doc in self.docs.list_docs_of(REQUEST_KIND, subject)? {
            let stored = decode(&doc.id, &doc.body)?;
            if stored.subject.as_deref() == Some(subject) {
                mine.push(self.view(&stored, doc.version));
            }
        }
        mine.sort_by(|a, b| {
            b.received_at
                .cmp(&a.received_at)
                .then_with(|| b.id.cmp(&a.id))
        });
        Ok(mine)
    }

    /// Files (by subject and state) the requests stored before requests
    /// were filed (a database from an earlier version): each is rewritten
    /// once, unchanged but for its filing, so that listing a subject's
    /// requests or the open ones stops reading it. Returns how many were
    /// filed. A request changed meanwhile is left for its own save to file.
    pub fn file_requests(&self) -> Result<usize, RightsError> {
        let mut filed = 0;
        // No request is filed in this state, so only the unfiled are read —
        // not the requests filed under no one, which grow with every
        // requester never identified.
        for doc in self.docs.list_docs_in(REQUEST_KIND, UNFILED_ONLY)? {
            if doc.state.is_some() {
                continue;
            }
            let stored = decode(&doc.id, &doc.body)?;
            match self.docs.put_filed_doc(
                REQUEST_KIND,
                &doc.id,
                Some(doc.version),
                filing_of(&stored),
                &doc.body,
            ) {
                Ok(_) => filed += 1,
                Err(DocError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(filed)
    }

    /// The subject withdraws their own open request (e.g. reactivates the
    /// account during the closure's grace period): it closes at once and
    /// takes no further step. Only the request's own subject may do so.
    pub fn withdraw(
        &self,
        id: &str,
        expected: u64,
        subject: &str,
    ) -> Result<RequestView, RightsError> {
        let mut stored = self.load_expecting(id, expected)?;
        if stored.subject.as_deref() != Some(subject) {
            return Err(RightsError::SubjectMismatch { id: id.to_string() });
        }
        if !stored.request.is_open() {
            return Err(RightsError::Closed {
                id: id.to_string(),
                stage: stored.request.stage(),
            });
        }
        stored.withdrawn_at = Some(self.clock.now());
        let version = self.save(&stored, Some(expected))?;
        Ok(self.view(&stored, version))
    }

    fn step(
        &self,
        id: &str,
        expected: u64,
        step: Transition,
        at: DateTime<Utc>,
    ) -> Result<RequestView, RightsError> {
        let mut stored = self.load_expecting(id, expected)?;
        stored
            .request
            .apply(step, at)
            .map_err(|source| RightsError::Transition {
                id: id.to_string(),
                source,
            })?;
        let version = self.save(&stored, Some(expected))?;
        Ok(self.view(&stored, version))
    }

    /// The acknowledgment was sent.
    pub fn acknowledge(&self, id: &str, expected: u64) -> Result<RequestView, RightsError> {
        self.step(id, expected, Transition::Acknowledge, self.clock.now())
    }

    /// Work starts (only after identity verification).
    pub fn start(&self, id: &str, expected: u64) -> Result<RequestView, RightsError> {
        self.step(id, expected, Transition::Start, self.clock.now())
    }

    /// The answer was given.
    pub fn complete(&self, id: &str, expected: u64) -> Result<RequestView, RightsError> {
        self.step(id, expected, Transition::Complete, self.clock.now())
    }

    /// Refuse with a reason and the explanation the subject reads (Art. 12(4)).
    pub fn refuse(
        &self,
        id: &str,
        expected: u64,
        reason: RefusalReason,
        explanation: &str,
    ) -> Result<RequestView, RightsError> {
        self.step(
            id,
            expected,
            Transition::Refuse {
                reason,
                explanation: explanation.to_string(),
            },
            self.clock.now(),
        )
    }

    /// Extend by one or two further months with a justification; the subject
    /// was told at `subject_informed_at` (Art. 12(3)).
    pub fn extend(
        &self,
        id: &str,
        expected: u64,
        further_months: u32,
        justification: &str,
        subject_informed_at: DateTime<Utc>,
    ) -> Result<RequestView, RightsError> {
        self.step(
            id,
            expected,
            Transition::Extend {
                further_months,
                justification: justification.to_string(),
                subject_informed_at,
            },
            self.clock.now(),
        )
    }

    /// Staff record another proof of identity (kind, who, when), e.g. the
    /// subject signed in to their account, or showed a document (no copy kept).
    pub fn record_identity_proof(
        &self,
        id: &str,
        expected: u64,
        proof: IdentityProof,
        verified_at: DateTime<Utc>,
    ) -> Result<RequestView, RightsError> {
        let now = self.clock.now();
        if verified_at > now {
            return Err(RightsError::Invalid {
                what: "identity proof time",
                how: format!("{verified_at} is in the future; give when the proof was checked"),
            });
        }
        self.step(
            id,
            expected,
            Transition::VerifyIdentity { proof },
            verified_at,
        )
    }

    /// Link the request to the subject's vault id once the requester is identified.
    pub fn link_subject(
        &self,
        id: &str,
        expected: u64,
        subject: &str,
    ) -> Result<RequestView, RightsError> {
        check_key(subject)?;
        let mut stored = self.load_expecting(id, expected)?;
        if !stored.request.is_open() {
            return Err(RightsError::Closed {
                id: id.to_string(),
                stage: stored.request.stage(),
            });
        }
        stored.subject = Some(subject.to_string());
        let version = self.save(&stored, Some(expected))?;
        Ok(self.view(&stored, version))
    }

    // ---- identity verification (Art. 12(6)) -----------------------------

    /// Issue a single-use code for the contact on file. A new code replaces
    /// any earlier one (which stops working). The request must be
    /// acknowledged and not yet verified.
    pub fn issue_identity_code(
        &self,
        id: &str,
        expected: u64,
    ) -> Result<(RequestView, IssuedCode), RightsError> {
        let mut stored = self.load_expecting(id, expected)?;
        let stage = stored.request.stage();
        if stage != habeas_core::rights::Stage::Acknowledged {
            return Err(RightsError::Invalid {
                what: "identity code",
                how: format!(
                    "request {id} is `{stage}`; a code is issued once the request is acknowledged and before its identity is verified"
                ),
            });
        }
        let now = self.clock.now();
        let code = self.config.codes.format.generate();
        stored.identity_challenge = Some(CodeChallenge::issue(
            &self.config.code_key,
            &format!("identity:{id}"),
            &code,
            now,
            self.config.codes,
        ));
        let version = self.save(&stored, Some(expected))?;
        let expires_at = now + self.config.codes.ttl;
        Ok((
            self.view(&stored, version),
            IssuedCode {
                code,
                expires_at,
                field: None,
            },
        ))
    }

    /// The requester presents the code. Right: identity verified now.
    /// Wrong: the try is counted (and stored) and the code locks after the
    /// limit; expired, used or locked codes are refused.
    pub fn verify_identity_code(&self, id: &str, code: &str) -> Result<RequestView, RightsError> {
        let (mut stored, version) = self.load_live(id)?;
        let now = self.clock.now();
        let Some(challenge) = stored.identity_challenge.as_mut() else {
            return Err(RightsError::Code {
                id: id.to_string(),
                source: CodeError::NoChallenge,
            });
        };
        let before = challenge.clone();
        let outcome = challenge.check(&self.config.code_key, code, now);
        if let Err(source) = outcome {
            if stored.identity_challenge.as_ref() != Some(&before) {
                self.save(&stored, Some(version))?;
            }
            return Err(RightsError::Code {
                id: id.to_string(),
                source,
            });
        }
        stored
            .request
            .apply(
                Transition::VerifyIdentity {
                    proof: IdentityProof {
                        method: VerificationMethod::OtpToKnownContact,
                        verified_by: "system".into(),
                        reason: None,
                    },
                },
                now,
            )
            .map_err(|source| RightsError::Transition {
                id: id.to_string(),
                source,
            })?;
        let version = self.save(&stored, Some(version))?;
        Ok(self.view(&stored, version))
    }

    // ---- answers: nothing before verification ---------------------------

    /// Load a request for a disclosure: the right kind, open, identity
    /// verified, linked to the subject whose data is given.
    fn disclosable(
        &self,
        id: &str,
        kind: RequestKind,
        subject: &str,
    ) -> Result<(StoredRequest, u64), RightsError> {
        let (stored, version) = self.load_live(id)?;
        let r = &stored.request;
        if r.kind() != kind {
            return Err(RightsError::WrongKind {
                id: id.to_string(),
                kind: r.kind(),
                expected: kind.key(),
            });
        }
        if !r.is_open() {
            return Err(RightsError::Closed {
                id: id.to_string(),
                stage: r.stage(),
            });
        }
        // Art. 12(6): nothing is disclosed before the identity is verified.
        if r.identity().is_none() {
            return Err(RightsError::NotVerified {
                id: id.to_string(),
                stage: r.stage(),
            });
        }
        match stored.subject.as_deref() {
            None => Err(RightsError::NoSubject { id: id.to_string() }),
            Some(s) if s != subject => Err(RightsError::SubjectMismatch { id: id.to_string() }),
            Some(_) => Ok((stored, version)),
        }
    }

    /// The Art. 15 answer for a verified access request.
    pub fn access_export(
        &self,
        id: &str,
        holdings: &SubjectHoldings,
        lang: Lang,
    ) -> Result<AccessExport, RightsError> {
        self.disclosable(id, RequestKind::Access, &holdings.subject.id)?;
        let mut export = build_access_export(self.decls, holdings, lang, self.clock.now());
        export
            .subject
            .set_status(self.subject_status(&holdings.subject.id)?, lang);
        Ok(export)
    }

    /// Where the subject's account stands as the requests know it: an
    /// account closure received and neither carried out nor withdrawn
    /// makes it closing since the closure's receipt (Art. 15(1): the answer
    /// describes the processing as it stands; the data are erased when the
    /// grace period ends).
    pub fn subject_status(&self, subject: &str) -> Result<SubjectStatus, RightsError> {
        Ok(self
            .list_for_subject(subject)?
            .into_iter()
            .filter(|v| v.account_closure && v.is_open())
            .map(|v| v.received_at)
            .min()
            .map_or(SubjectStatus::Active, |since| SubjectStatus::Closing {
                since,
            }))
    }

    /// The Art. 20 export for a verified portability request.
    pub fn portability_export(
        &self,
        id: &str,
        holdings: &SubjectHoldings,
    ) -> Result<PortabilityExport, RightsError> {
        self.disclosable(id, RequestKind::Portability, &holdings.subject.id)?;
        Ok(build_portability_export(
            self.decls,
            holdings,
            self.clock.now(),
        ))
    }

    /// The Art. 17 plan for a verified erasure request.
    pub fn erasure_plan(
        &self,
        id: &str,
        holdings: &SubjectHoldings,
        request: &ErasureRequest,
    ) -> Result<ErasurePlan, RightsError> {
        let (stored, _) = self.disclosable(id, RequestKind::Erasure, &holdings.subject.id)?;
        // An account closure keeps its grace period whoever plans the erasure.
        let mut request = request.clone();
        request.account_closure |= stored.account_closure;
        Ok(plan_erasure(
            self.decls,
            holdings,
            &request,
            self.clock.now(),
        ))
    }

    /// [`RequestService::erasure_plan`] from metadata: each category the
    /// subject holds and its newest recording date
    /// (`vault_bridge::held_categories`), so nothing is decrypted to plan.
    /// The same plan as from the full holdings.
    pub fn erasure_plan_of(
        &self,
        id: &str,
        subject: &str,
        latest: &BTreeMap<String, DateTime<Utc>>,
        request: &ErasureRequest,
    ) -> Result<ErasurePlan, RightsError> {
        let (stored, _) = self.disclosable(id, RequestKind::Erasure, subject)?;
        let mut request = request.clone();
        request.account_closure |= stored.account_closure;
        Ok(crate::erasure::plan_erasure_of(
            self.decls,
            subject,
            latest,
            &request,
            self.clock.now(),
        ))
    }

    // ---- rectification (Art. 16) ---------------------------------------

    fn value_context(id: &str, key: &str) -> String {
        format!("new-value-content:{id}:{key}")
    }

    /// Plan a rectification on a verified request and issue a code for each
    /// critical identifier's new value (sent by the caller to that value).
    #[allow(clippy::too_many_arguments)]
    pub fn rectification_plan(
        &self,
        id: &str,
        expected: u64,
        subject: &str,
        category: &str,
        record_id: &str,
        current: &BTreeMap<String, String>,
        changes: &BTreeMap<String, String>,
    ) -> Result<(RectificationPlan, Vec<IssuedCode>, u64), RightsError> {
        let (mut stored, found) = self.disclosable(id, RequestKind::Rectification, subject)?;
        if found != expected {
            return Err(RightsError::StaleVersion {
                id: id.to_string(),
                expected,
                found,
            });
        }
        let plan = plan_rectification(self.decls, category, record_id, current, changes)?;
        let now = self.clock.now();
        let mut codes = Vec::new();
        for change in plan.needing_new_value_verification() {
            let key = format!("{category}.{}", change.field);
            let code = self.config.codes.format.generate();
            let challenge = CodeChallenge::issue(
                &self.config.code_key,
                &format!("new-value:{id}:{key}"),
                &code,
                now,
                self.config.codes,
            );
            let value_mac = hex::encode(
                self.config
                    .code_key
                    .mac(&Self::value_context(id, &key), change.new_value.trim()),
            );
            stored.new_value_challenges.insert(
                key.clone(),
                NewValueChallenge {
                    challenge,
                    value_mac,
                    verified_at: None,
                },
            );
            codes.push(IssuedCode {
                code,
                expires_at: now + self.config.codes.ttl,
                field: Some(key),
            });
        }
        let version = if codes.is_empty() {
            found
        } else {
            self.save(&stored, Some(found))?
        };
        Ok((plan, codes, version))
    }

    /// The subject presents the code received at the new value.
    pub fn confirm_new_value(
        &self,
        id: &str,
        category: &str,
        field: &str,
        new_value: &str,
        code: &str,
    ) -> Result<RequestView, RightsError> {
        let (mut stored, version) = self.load_live(id)?;
        let key = format!("{category}.{field}");
        let value_mac = hex::encode(
            self.config
                .code_key
                .mac(&Self::value_context(id, &key), new_value.trim()),
        );
        let Some(pending) = stored.new_value_challenges.get_mut(&key) else {
            return Err(RightsError::Code {
                id: id.to_string(),
                source: CodeError::NoChallenge,
            });
        };
        if !bool::from(value_mac.as_bytes().ct_eq(pending.value_mac.as_bytes())) {
            return Err(RightsError::Invalid {
                what: "new value",
                how: format!(
                    "the value given for `{key}` is not the one the code was sent to; plan the rectification again for another value"
                ),
            });
        }
        let now = self.clock.now();
        let before = pending.challenge.clone();
        match pending.challenge.check(&self.config.code_key, code, now) {
            Ok(()) => pending.verified_at = Some(now),
            Err(source) => {
                if pending.challenge != before {
                    self.save(&stored, Some(version))?;
                }
                return Err(RightsError::Code {
                    id: id.to_string(),
                    source,
                });
            }
        }
        let version = self.save(&stored, Some(version))?;
        Ok(self.view(&stored, version))
    }

    /// Whether every critical identifier of `plan` was verified with the
    /// very value the plan applies: only then may the engine apply it.
    pub fn rectification_ready(
        &self,
        id: &str,
        plan: &RectificationPlan,
    ) -> Result<bool, RightsError> {
        let (stored, _) = self.load(id)?;
        Ok(plan.needing_new_value_verification().all(|c| {
            let key = format!("{}.{}", plan.category, c.field);
            let mac = hex::encode(
                self.config
                    .code_key
                    .mac(&Self::value_context(id, &key), c.new_value.trim()),
            );
            stored.new_value_challenges.get(&key).is_some_and(|p| {
                p.verified_at.is_some() && bool::from(mac.as_bytes().ct_eq(p.value_mac.as_bytes()))
            })
        }))
    }
}
