//! A data-subject request and the steps it may take.
//!
//! received → acknowledged → identity verified → in progress → done, or
//! refused from any open step (reason required, Art. 12(4)); an extension of
//! Art. 12(3) may be granted once on any open request, before the first
//! month ends. Every step is checked here and a refused step changes
//! nothing, so the engine can journal exactly what happened.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::deadline::{StatutoryDeadline, extended_deadline, promised_due, statutory_deadline};
use super::keyword::{UnknownKeyword, parse_keyword};
use super::kind::RequestKind;
use super::refusal::{Refusal, RefusalReason};
use crate::calendar::HolidayCalendar;
use crate::delay::Delay;
use crate::lang::Lang;

/// Where a request stands in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Received,
    Acknowledged,
    IdentityVerified,
    InProgress,
    Done,
    Refused,
}

impl Stage {
    pub fn key(self) -> &'static str {
        match self {
            Stage::Received => "received",
            Stage::Acknowledged => "acknowledged",
            Stage::IdentityVerified => "identity_verified",
            Stage::InProgress => "in_progress",
            Stage::Done => "done",
            Stage::Refused => "refused",
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, Stage::Done | Stage::Refused)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// What a listing shows: the stage, or `extended` for an open request whose
/// deadline was extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Received,
    Acknowledged,
    IdentityVerified,
    InProgress,
    Extended,
    Done,
    Refused,
}

impl Status {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Received => lang.pick("reçue", "received"),
            Status::Acknowledged => lang.pick("accusé de réception envoyé", "acknowledged"),
            Status::IdentityVerified => lang.pick("identité vérifiée", "identity verified"),
            Status::InProgress => lang.pick("en cours", "in progress"),
            Status::Extended => lang.pick("prolongée", "extended"),
            Status::Done => lang.pick("traitée", "done"),
            Status::Refused => lang.pick("refusée", "refused"),
        }
    }
}

/// How identity was verified (STANDARDS §2.2; EDPB Guidelines 01/2022 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationMethod {
    /// The subject was signed in to their account (the preferred channel).
    Session,
    /// A single-use code or link sent to a contact already on file.
    OtpToKnownContact,
    /// A document was shown; no copy is kept. Needs a proportionality reason.
    Document,
}

impl FromStr for VerificationMethod {
    type Err = UnknownKeyword;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword(
            s,
            &[
                ("session", VerificationMethod::Session),
                (
                    "otp_to_known_contact",
                    VerificationMethod::OtpToKnownContact,
                ),
                ("document", VerificationMethod::Document),
            ],
            "verification method",
            "session, otp-to-known-contact or document",
        )
    }
}

/// Who verified the requester's identity, how and why that was proportionate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityProof {
    pub method: VerificationMethod,
    /// Staff member or `system` for an automatic check.
    pub verified_by: String,
    /// Why this method is proportionate; required for `document`.
    pub reason: Option<String>,
}

/// An extension of Art. 12(3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// 1 or 2 further months.
    pub further_months: u32,
    /// Complexity or number of requests, in words.
    pub justification: String,
    pub decided_at: DateTime<Utc>,
    /// When the subject was told, with the reasons (within the first month).
    pub subject_informed_at: DateTime<Utc>,
}

/// A step asked of the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Transition {
    Acknowledge,
    VerifyIdentity {
        proof: IdentityProof,
    },
    Start,
    Complete,
    Refuse {
        reason: RefusalReason,
        explanation: String,
    },
    Extend {
        further_months: u32,
        justification: String,
        subject_informed_at: DateTime<Utc>,
    },
}

impl Transition {
    pub fn key(&self) -> &'static str {
        match self {
            Transition::Acknowledge => "acknowledge",
            Transition::VerifyIdentity { .. } => "verify_identity",
            Transition::Start => "start",
            Transition::Complete => "complete",
            Transition::Refuse { .. } => "refuse",
            Transition::Extend { .. } => "extend",
        }
    }
}

/// One applied step, for the request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub step: String,
    pub at: DateTime<Utc>,
}

/// Why a step was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot `{step}` a request that is `{stage}`: {hint}")]
    WrongStage {
        step: &'static str,
        stage: Stage,
        hint: &'static str,
    },
    #[error("the request is already `{stage}`; a closed request takes no further step")]
    Closed { stage: Stage },
    #[error(
        "the step is dated {at}, before the last recorded step ({last}); give the time the step happened"
    )]
    TimeGoesBackwards {
        at: DateTime<Utc>,
        last: DateTime<Utc>,
    },
    #[error(
        "a refusal needs an explanation for the subject (Art. 12(4): reasons, right to complain and to a judicial remedy)"
    )]
    MissingExplanation,
    #[error("refusal reason `{reason}` (Art. {article}) does not apply to a `{kind}` request")]
    ReasonNotForKind {
        reason: &'static str,
        article: String,
        kind: RequestKind,
    },
    #[error("refusal reason `other` needs the legal ground it rests on")]
    MissingLegalGround,
    #[error(
        "identity was verified on {verified_at}: the request can no longer be refused as `cannot_identify` (Art. 11(2))"
    )]
    AlreadyIdentified { verified_at: DateTime<Utc> },
    #[error("identity proof needs who verified it (`verified_by`)")]
    MissingVerifier,
    #[error(
        "verification by document needs a proportionality reason (EDPB Guidelines 01/2022 §3.3); prefer a code sent to a contact on file"
    )]
    DocumentNeedsReason,
    #[error("an extension needs a justification (Art. 12(3): complexity or number of requests)")]
    MissingJustification,
    #[error("an extension is of 1 or 2 further months (Art. 12(3)), not {requested}")]
    ExtensionLength { requested: u32 },
    #[error(
        "the request was already extended on {decided_at}; Art. 12(3) allows one extension of at most two months"
    )]
    AlreadyExtended { decided_at: DateTime<Utc> },
    #[error(
        "the first month ended on {deadline}: an extension must be decided within it (Art. 12(3))"
    )]
    ExtensionTooLate { deadline: NaiveDate },
    #[error(
        "the subject must be told of the extension within the first month (by {deadline}, Art. 12(3)); informed at {informed_at}"
    )]
    SubjectNotInformedInTime {
        informed_at: DateTime<Utc>,
        deadline: NaiveDate,
    },
}

/// A data-subject request with its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    kind: RequestKind,
    received_at: DateTime<Utc>,
    calendar: HolidayCalendar,
    /// The provider's promised delay for this kind of request, if declared.
    promised: Option<Delay>,
    stage: Stage,
    identity: Option<(IdentityProof, DateTime<Utc>)>,
    refusal: Option<Refusal>,
    extension: Option<Extension>,
    history: Vec<HistoryEntry>,
}

impl Request {
    /// A request received at `received_at`.
    pub fn new(
        kind: RequestKind,
        received_at: DateTime<Utc>,
        calendar: HolidayCalendar,
        promised: Option<Delay>,
    ) -> Self {
        Request {
            kind,
            received_at,
            calendar,
            promised,
            stage: Stage::Received,
            identity: None,
            refusal: None,
            extension: None,
            history: vec![HistoryEntry {
                step: "receive".into(),
                at: received_at,
            }],
        }
    }

    pub fn kind(&self) -> RequestKind {
        self.kind
    }
    pub fn received_at(&self) -> DateTime<Utc> {
        self.received_at
    }
    pub fn calendar(&self) -> HolidayCalendar {
        self.calendar
    }
    pub fn promised_delay(&self) -> Option<Delay> {
        self.promised
    }
    pub fn stage(&self) -> Stage {
        self.stage
    }
    pub fn identity(&self) -> Option<&(IdentityProof, DateTime<Utc>)> {
        self.identity.as_ref()
    }
    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusal.as_ref()
    }
    pub fn extension(&self) -> Option<&Extension> {
        self.extension.as_ref()
    }
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }
    pub fn is_open(&self) -> bool {
        !self.stage.is_closed()
    }

    /// When the request was done or refused.
    pub fn closed_at(&self) -> Option<DateTime<Utc>> {
        if self.is_open() {
            None
        } else {
            self.history.last().map(|h| h.at)
        }
    }

    /// Whether the answer (done or refused) came before the end of the
    /// deadline in force (Art. 12(3) and 12(4)); `None` while open.
    pub fn answered_in_time(&self) -> Option<bool> {
        self.closed_at()
            .map(|at| at < self.effective_deadline().legal_end())
    }

    pub fn status(&self) -> Status {
        match self.stage {
            Stage::Done => Status::Done,
            Stage::Refused => Status::Refused,
            _ if self.extension.is_some() => Status::Extended,
            Stage::Received => Status::Received,
            Stage::Acknowledged => Status::Acknowledged,
            Stage::IdentityVerified => Status::IdentityVerified,
            Stage::InProgress => Status::InProgress,
        }
    }

    /// The one-month deadline of Art. 12(3).
    pub fn statutory_deadline(&self) -> StatutoryDeadline {
        statutory_deadline(self.received_at, self.calendar)
    }

    /// The deadline in force: extended if an extension was granted.
    pub fn effective_deadline(&self) -> StatutoryDeadline {
        match &self.extension {
            Some(ext) => extended_deadline(self.received_at, self.calendar, ext.further_months),
            None => self.statutory_deadline(),
        }
    }

    /// When the provider's own promise falls due.
    pub fn promised_due(&self) -> Option<DateTime<Utc>> {
        self.promised
            .map(|d| promised_due(d, self.received_at, self.calendar))
    }

    /// Apply a step at `at`. On error nothing changes.
    pub fn apply(&mut self, step: Transition, at: DateTime<Utc>) -> Result<(), TransitionError> {
        if self.stage.is_closed() {
            return Err(TransitionError::Closed { stage: self.stage });
        }
        let last = self.history.last().map_or(self.received_at, |h| h.at);
        if at < last {
            return Err(TransitionError::TimeGoesBackwards { at, last });
        }
        let key = step.key();
        match step {
            Transition::Acknowledge => {
                self.expect(
                    Stage::Received,
                    key,
                    "a request is acknowledged once, on receipt",
                )?;
                self.stage = Stage::Acknowledged;
            }
            Transition::VerifyIdentity { proof } => {
                self.expect(
                    Stage::Acknowledged,
                    key,
                    "acknowledge the request first; identity is verified once",
                )?;
                if proof.verified_by.trim().is_empty() {
                    return Err(TransitionError::MissingVerifier);
                }
                let has_reason = proof
                    .reason
                    .as_deref()
                    .is_some_and(|r| !r.trim().is_empty());
                if proof.method == VerificationMethod::Document && !has_reason {
                    return Err(TransitionError::DocumentNeedsReason);
                }
                self.identity = Some((proof, at));
                self.stage = Stage::IdentityVerified;
            }
            Transition::Start => {
                // Nothing is disclosed or changed before verification (Art. 12(6)).
                self.expect(
                    Stage::IdentityVerified,
                    key,
                    "verify the requester's identity first",
                )?;
                self.stage = Stage::InProgress;
            }
            Transition::Complete => {
                self.expect(
                    Stage::InProgress,
                    key,
                    "start the work before completing it",
                )?;
                self.stage = Stage::Done;
            }
            Transition::Refuse {
                reason,
                explanation,
            } => {
                self.check_refusal(&reason, &explanation)?;
                self.refusal = Some(Refusal {
                    reason,
                    explanation,
                    at,
                });
                self.stage = Stage::Refused;
            }
            Transition::Extend {
                further_months,
                justification,
                subject_informed_at,
            } => {
                self.check_extension(further_months, &justification, subject_informed_at, at)?;
                self.extension = Some(Extension {
                    further_months,
                    justification,
                    decided_at: at,
                    subject_informed_at,
                });
            }
        }
        self.history.push(HistoryEntry {
            step: key.into(),
            at,
        });
        Ok(())
    }

    fn expect(
        &self,
        stage: Stage,
        step: &'static str,
        hint: &'static str,
    ) -> Result<(), TransitionError> {
        if self.stage == stage {
            Ok(())
        } else {
            Err(TransitionError::WrongStage {
                step,
                stage: self.stage,
                hint,
            })
        }
    }

    fn check_refusal(
        &self,
        reason: &RefusalReason,
        explanation: &str,
    ) -> Result<(), TransitionError> {
        if explanation.trim().is_empty() {
            return Err(TransitionError::MissingExplanation);
        }
        if let RefusalReason::Other { legal_ground } = reason
            && legal_ground.trim().is_empty()
        {
            return Err(TransitionError::MissingLegalGround);
        }
        if !reason.applies_to(self.kind) {
            return Err(TransitionError::ReasonNotForKind {
                reason: reason.key(),
                article: reason.article(),
                kind: self.kind,
            });
        }
        if let (RefusalReason::CannotIdentify, Some((_, verified_at))) = (reason, &self.identity) {
            return Err(TransitionError::AlreadyIdentified {
                verified_at: *verified_at,
            });
        }
        Ok(())
    }

    fn check_extension(
        &self,
        further_months: u32,
        justification: &str,
        informed_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        if let Some(ext) = &self.extension {
            return Err(TransitionError::AlreadyExtended {
                decided_at: ext.decided_at,
            });
        }
        if !(1..=2).contains(&further_months) {
            return Err(TransitionError::ExtensionLength {
                requested: further_months,
            });
        }
        if justification.trim().is_empty() {
            return Err(TransitionError::MissingJustification);
        }
        let first_month = self.statutory_deadline();
        if at >= first_month.legal_end() {
            return Err(TransitionError::ExtensionTooLate {
                deadline: first_month.legal,
            });
        }
        if informed_at < self.received_at || informed_at >= first_month.legal_end() {
            return Err(TransitionError::SubjectNotInformedInTime {
                informed_at,
                deadline: first_month.legal,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rights::refusal::Art17Exemption;
    use crate::test_support::{d, utc};

    fn otp() -> Transition {
        Transition::VerifyIdentity {
            proof: IdentityProof {
                method: VerificationMethod::OtpToKnownContact,
                verified_by: "system".into(),
                reason: None,
            },
        }
    }

    fn received(kind: RequestKind) -> Request {
        Request::new(kind, utc("2026-03-10T09:00:00Z"), HolidayCalendar::Fr, None)
    }

    fn extend(months: u32, informed: &str) -> Transition {
        Transition::Extend {
            further_months: months,
            justification: "10 000 records across 12 systems".into(),
            subject_informed_at: utc(informed),
        }
    }

    #[test]
    fn art12_workflow_runs_received_to_done() {
        let mut r = received(RequestKind::Access);
        r.apply(Transition::Acknowledge, utc("2026-03-10T09:00:01Z"))
            .unwrap();
        r.apply(otp(), utc("2026-03-10T10:00:00Z")).unwrap();
        r.apply(Transition::Start, utc("2026-03-11T08:00:00Z"))
            .unwrap();
        r.apply(Transition::Complete, utc("2026-03-12T08:00:00Z"))
            .unwrap();
        assert_eq!(r.stage(), Stage::Done);
        assert_eq!(r.status(), Status::Done);
        let steps: Vec<_> = r.history().iter().map(|h| h.step.as_str()).collect();
        assert_eq!(
            steps,
            [
                "receive",
                "acknowledge",
                "verify_identity",
                "start",
                "complete"
            ]
        );
    }

    #[test]
    fn art12_6_work_cannot_start_before_identity_is_verified() {
        let mut r = received(RequestKind::Erasure);
        r.apply(Transition::Acknowledge, utc("2026-03-10T09:00:01Z"))
            .unwrap();
        let before = r.clone();
        let e = r
            .apply(Transition::Start, utc("2026-03-10T10:00:00Z"))
            .unwrap_err();
        assert!(
            matches!(
                e,
                TransitionError::WrongStage {
                    step: "start",
                    stage: Stage::Acknowledged,
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("verify the requester's identity first")
        );
        assert_eq!(r, before, "a refused step changes nothing");
        // Complete straight from received, verify before acknowledging: refused too.
        let mut r = received(RequestKind::Access);
        assert!(
            r.apply(Transition::Complete, utc("2026-03-10T10:00:00Z"))
                .is_err()
        );
        assert!(r.apply(otp(), utc("2026-03-10T10:00:00Z")).is_err());
        assert_eq!(r.stage(), Stage::Received);
    }

    #[test]
    fn closed_requests_take_no_further_step() {
        let mut r = received(RequestKind::Access);
        r.apply(
            Transition::Refuse {
                reason: RefusalReason::Excessive,
                explanation: "fifth identical request this week".into(),
            },
            utc("2026-03-10T10:00:00Z"),
        )
        .unwrap();
        let e = r
            .apply(Transition::Acknowledge, utc("2026-03-10T11:00:00Z"))
            .unwrap_err();
        assert_eq!(
            e,
            TransitionError::Closed {
                stage: Stage::Refused
            }
        );
    }

    #[test]
    fn steps_cannot_be_dated_before_the_previous_one() {
        let mut r = received(RequestKind::Access);
        let e = r
            .apply(Transition::Acknowledge, utc("2026-03-09T09:00:00Z"))
            .unwrap_err();
        assert!(matches!(e, TransitionError::TimeGoesBackwards { .. }));
    }

    #[test]
    fn art12_4_refusal_requires_an_explanation() {
        let mut r = received(RequestKind::Access);
        let e = r
            .apply(
                Transition::Refuse {
                    reason: RefusalReason::ManifestlyUnfounded,
                    explanation: "  ".into(),
                },
                utc("2026-03-10T10:00:00Z"),
            )
            .unwrap_err();
        assert_eq!(e, TransitionError::MissingExplanation);
        assert!(r.is_open());
    }

    #[test]
    fn art17_3_exemption_refuses_only_erasure() {
        let legal = RefusalReason::ErasureExemption {
            exemption: Art17Exemption::LegalObligation,
        };
        let mut access = received(RequestKind::Access);
        let e = access
            .apply(
                Transition::Refuse {
                    reason: legal.clone(),
                    explanation: "x".into(),
                },
                utc("2026-03-10T10:00:00Z"),
            )
            .unwrap_err();
        assert!(e.to_string().contains("17(3)(b)"), "{e}");
        let mut erasure = received(RequestKind::Erasure);
        erasure
            .apply(
                Transition::Refuse {
                    reason: legal,
                    explanation: "invoices kept 10 years (C. com. L123-22)".into(),
                },
                utc("2026-03-10T10:00:00Z"),
            )
            .unwrap();
        assert_eq!(erasure.refusal().unwrap().reason.article(), "17(3)(b)");
    }

    #[test]
    fn art7_3_consent_withdrawal_is_never_refused_as_excessive() {
        let mut r = received(RequestKind::ConsentWithdrawal);
        let e = r
            .apply(
                Transition::Refuse {
                    reason: RefusalReason::Excessive,
                    explanation: "many".into(),
                },
                utc("2026-03-10T10:00:00Z"),
            )
            .unwrap_err();
        assert!(matches!(e, TransitionError::ReasonNotForKind { .. }));
    }

    #[test]
    fn art11_2_cannot_identify_only_before_verification() {
        let mut r = received(RequestKind::Access);
        r.apply(Transition::Acknowledge, utc("2026-03-10T09:00:01Z"))
            .unwrap();
        r.apply(otp(), utc("2026-03-10T10:00:00Z")).unwrap();
        let e = r
            .apply(
                Transition::Refuse {
                    reason: RefusalReason::CannotIdentify,
                    explanation: "x".into(),
                },
                utc("2026-03-10T11:00:00Z"),
            )
            .unwrap_err();
        assert!(matches!(e, TransitionError::AlreadyIdentified { .. }));
        let mut r = received(RequestKind::Access);
        r.apply(
            Transition::Refuse {
                reason: RefusalReason::CannotIdentify,
                explanation: "no account matches".into(),
            },
            utc("2026-03-20T11:00:00Z"),
        )
        .unwrap();
    }

    #[test]
    fn identity_by_document_needs_a_proportionality_reason() {
        let mut r = received(RequestKind::Access);
        r.apply(Transition::Acknowledge, utc("2026-03-10T09:00:01Z"))
            .unwrap();
        let doc = |reason: Option<&str>| Transition::VerifyIdentity {
            proof: IdentityProof {
                method: VerificationMethod::Document,
                verified_by: "dpo".into(),
                reason: reason.map(str::to_string),
            },
        };
        assert_eq!(
            r.apply(doc(None), utc("2026-03-10T10:00:00Z")),
            Err(TransitionError::DocumentNeedsReason)
        );
        r.apply(
            doc(Some("no contact on file; account holds health data")),
            utc("2026-03-10T10:00:00Z"),
        )
        .unwrap();
        assert_eq!(r.stage(), Stage::IdentityVerified);
    }

    #[test]
    fn art12_3_extension_moves_the_deadline_by_two_months() {
        let mut r = received(RequestKind::Access);
        assert_eq!(r.effective_deadline().legal, d(2026, 4, 10));
        r.apply(
            extend(2, "2026-03-20T10:00:00Z"),
            utc("2026-03-20T10:00:00Z"),
        )
        .unwrap();
        assert_eq!(r.status(), Status::Extended);
        assert_eq!(
            r.stage(),
            Stage::Received,
            "an extension does not skip steps"
        );
        // Counted from receipt: 10 March + 3 months = Wednesday 10 June 2026.
        assert_eq!(r.effective_deadline().conservative, d(2026, 6, 10));
        assert_eq!(r.effective_deadline().legal, d(2026, 6, 10));
        assert_eq!(
            r.statutory_deadline().legal,
            d(2026, 4, 10),
            "the first month is still shown"
        );
    }

    #[test]
    fn art12_3_extension_only_once() {
        let mut r = received(RequestKind::Access);
        r.apply(
            extend(1, "2026-03-20T10:00:00Z"),
            utc("2026-03-20T10:00:00Z"),
        )
        .unwrap();
        let e = r
            .apply(
                extend(1, "2026-03-21T10:00:00Z"),
                utc("2026-03-21T10:00:00Z"),
            )
            .unwrap_err();
        assert!(matches!(e, TransitionError::AlreadyExtended { .. }));
        assert_eq!(r.extension().unwrap().further_months, 1);
    }

    #[test]
    fn art12_3_extension_at_most_two_further_months() {
        let mut r = received(RequestKind::Access);
        for months in [0, 3] {
            let e = r
                .apply(
                    extend(months, "2026-03-20T10:00:00Z"),
                    utc("2026-03-20T10:00:00Z"),
                )
                .unwrap_err();
            assert_eq!(e, TransitionError::ExtensionLength { requested: months });
        }
        let e = r
            .apply(
                Transition::Extend {
                    further_months: 2,
                    justification: "".into(),
                    subject_informed_at: utc("2026-03-20T10:00:00Z"),
                },
                utc("2026-03-20T10:00:00Z"),
            )
            .unwrap_err();
        assert_eq!(e, TransitionError::MissingJustification);
        assert!(r.extension().is_none());
    }

    #[test]
    fn art12_3_extension_only_within_the_first_month() {
        // First month ends at the end of Friday 10 April 2026, Paris (22:00 UTC).
        let mut r = received(RequestKind::Access);
        r.clone()
            .apply(
                extend(2, "2026-04-10T21:59:00Z"),
                utc("2026-04-10T21:59:00Z"),
            )
            .unwrap();
        let e = r
            .apply(
                extend(2, "2026-04-10T22:00:00Z"),
                utc("2026-04-10T22:00:00Z"),
            )
            .unwrap_err();
        assert_eq!(
            e,
            TransitionError::ExtensionTooLate {
                deadline: d(2026, 4, 10)
            }
        );
    }

    #[test]
    fn art12_3_subject_must_be_told_of_the_extension_within_the_first_month() {
        let mut r = received(RequestKind::Access);
        let e = r
            .apply(
                extend(2, "2026-04-12T09:00:00Z"),
                utc("2026-03-20T10:00:00Z"),
            )
            .unwrap_err();
        assert!(
            matches!(e, TransitionError::SubjectNotInformedInTime { .. }),
            "{e}"
        );
        assert!(e.to_string().contains("2026-04-10"));
    }

    #[test]
    fn request_kinds_parse_and_cite_their_article() {
        assert_eq!(
            "consent-withdrawal".parse::<RequestKind>(),
            Ok(RequestKind::ConsentWithdrawal)
        );
        assert_eq!("Erasure".parse::<RequestKind>(), Ok(RequestKind::Erasure));
        assert!("forget-me".parse::<RequestKind>().is_err());
        assert_eq!(RequestKind::Portability.article(), "20");
        assert_eq!(RequestKind::ConsentWithdrawal.article(), "7(3)");
        assert_eq!(RequestKind::Objection.label(Lang::Fr), "Droit d'opposition");
    }

    #[test]
    fn refusal_reasons_parse_for_the_cli_and_read_in_both_languages() {
        assert_eq!(
            "excessive".parse::<RefusalReason>(),
            Ok(RefusalReason::Excessive)
        );
        assert_eq!(
            "erasure-exemption:legal-obligation".parse::<RefusalReason>(),
            Ok(RefusalReason::ErasureExemption {
                exemption: Art17Exemption::LegalObligation
            })
        );
        assert_eq!(
            "other: abusive request".parse::<RefusalReason>(),
            Ok(RefusalReason::Other {
                legal_ground: "abusive request".into()
            })
        );
        let e = "erasure_exemption".parse::<RefusalReason>().unwrap_err();
        assert!(e.expected.contains("after the colon"), "{e}");
        let e = "erasure_exemption:vacation"
            .parse::<RefusalReason>()
            .unwrap_err();
        assert!(e.to_string().contains("legal_obligation"), "{e}");
        assert!("bored".parse::<RefusalReason>().is_err());
        assert_eq!(
            RefusalReason::ManifestlyUnfounded.label(Lang::Fr),
            "demande manifestement infondée (RGPD art. 12(5))"
        );
        assert_eq!(
            RefusalReason::ErasureExemption {
                exemption: Art17Exemption::LegalClaims
            }
            .label(Lang::En),
            "establishment, exercise or defence of legal claims (GDPR Art. 17(3)(e))"
        );
        assert_eq!(
            "OTP-to-known-contact".parse(),
            Ok(VerificationMethod::OtpToKnownContact)
        );
    }

    #[test]
    fn art12_3_answer_in_time_is_judged_against_the_deadline_in_force() {
        let mut r = received(RequestKind::Access);
        assert_eq!(r.answered_in_time(), None);
        r.apply(Transition::Acknowledge, utc("2026-03-10T09:00:01Z"))
            .unwrap();
        r.apply(otp(), utc("2026-03-10T10:00:00Z")).unwrap();
        r.apply(Transition::Start, utc("2026-03-11T08:00:00Z"))
            .unwrap();
        let mut late = r.clone();
        late.apply(Transition::Complete, utc("2026-04-10T22:00:00Z"))
            .unwrap();
        assert_eq!(late.closed_at(), Some(utc("2026-04-10T22:00:00Z")));
        assert_eq!(late.answered_in_time(), Some(false));
        r.apply(
            extend(1, "2026-03-20T10:00:00Z"),
            utc("2026-03-20T10:00:00Z"),
        )
        .unwrap();
        r.apply(Transition::Complete, utc("2026-04-10T22:00:00Z"))
            .unwrap();
        assert_eq!(r.answered_in_time(), Some(true));
    }

    #[test]
    fn request_round_trips_through_json() {
        let mut r = received(RequestKind::Objection);
        r.apply(Transition::Acknowledge, utc("2026-03-10T09:00:01Z"))
            .unwrap();
        r.apply(
            Transition::Refuse {
                reason: RefusalReason::Other {
                    legal_ground: "Digital Omnibus art. 12(5) (if adopted)".into(),
                },
                explanation: "x".into(),
            },
            utc("2026-03-10T09:10:00Z"),
        )
        .unwrap();
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains(r#""reason":"other""#), "{json}");
        let back: Request = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }

    use proptest::prelude::*;

    fn any_step() -> impl Strategy<Value = Transition> {
        prop_oneof![
            Just(Transition::Acknowledge),
            Just(otp()),
            Just(Transition::Start),
            Just(Transition::Complete),
            Just(Transition::Refuse {
                reason: RefusalReason::Excessive,
                explanation: "x".into()
            }),
            Just(Transition::Refuse {
                reason: RefusalReason::CannotIdentify,
                explanation: "x".into()
            }),
            (0u32..4).prop_map(|m| extend(m, "2026-03-11T09:00:00Z")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn workflow_invariants_hold_for_any_sequence_of_steps(
            steps in proptest::collection::vec((any_step(), 0i64..200_000), 0..12)
        ) {
            let mut r = received(RequestKind::Access);
            let mut at = r.received_at();
            let mut applied = 0;
            for (step, secs) in steps {
                at += chrono::Duration::seconds(secs);
                let before = r.clone();
                match r.apply(step, at) {
                    Ok(()) => applied += 1,
                    Err(_) => prop_assert_eq!(&r, &before, "a refused step changes nothing"),
                }
            }
            prop_assert_eq!(r.history().len(), 1 + applied);
            prop_assert_eq!(r.refusal().is_some(), r.stage() == Stage::Refused);
            if matches!(r.stage(), Stage::IdentityVerified | Stage::InProgress | Stage::Done) {
                prop_assert!(r.identity().is_some(), "nothing proceeds without identity");
            }
            if r.stage() == Stage::Done {
                let steps: Vec<_> = r.history().iter().map(|h| h.step.as_str()).collect();
                prop_assert!(steps.contains(&"start") && steps.contains(&"verify_identity"));
            }
            if let Some(ext) = r.extension() {
                prop_assert!((1..=2).contains(&ext.further_months));
                prop_assert!(ext.decided_at < r.statutory_deadline().legal_end());
                prop_assert_eq!(r.history().iter().filter(|h| h.step == "extend").count(), 1);
            }
            let times: Vec<_> = r.history().iter().map(|h| h.at).collect();
            prop_assert!(times.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
