//! Data-subject requests (GDPR Art. 12–22) as pure rules: what kinds of
//! request exist, which steps a request may take, when it is due by law and
//! by the provider's own promise, how urgent it is, and the access policy the
//! vault applies on every read and write.
//!
//! Why pure: the engine, the CLI and the web console all drive the same
//! request; keeping the rules here means one set of legal-fidelity tests and
//! no clock reads (every function takes `now` or the event time).

pub mod deadline;
pub mod keyword;
pub mod kind;
pub mod policy;
pub mod refusal;
pub mod request;
pub mod urgency;

pub use deadline::{
    StatutoryDeadline, add_months_clamped, extended_deadline, promised_due, statutory_deadline,
};
pub use keyword::UnknownKeyword;
pub use kind::RequestKind;
pub use kind::UnknownRequestKind;
pub use policy::{
    ActorScope, Decision, ObjectionStatus, Operation, PurposeFacts, RefusalCause, SubjectState,
    consents_by_activity, decide,
};
pub use refusal::{Art17Exemption, Refusal, RefusalReason};
pub use request::{
    Extension, HistoryEntry, IdentityProof, Request, Stage, Status, Transition, TransitionError,
    VerificationMethod,
};
pub use urgency::{
    DueDate, DueKind, Urgency, UrgencyThreshold, most_urgent_first, sort_most_urgent_first,
    urgency_key,
};
