//! What can go wrong in the rights service, each case saying what, where and
//! how to fix it. Messages name request ids, kinds and stages, never personal
//! data (no field value, contact or code is ever part of one).

use habeas_core::consent::ConsentError;
use habeas_core::docs::DocError;
use habeas_core::rights::{RequestKind, Stage, TransitionError};

use crate::rectification::RectificationError;
use crate::verification::CodeError;

#[derive(Debug, thiserror::Error)]
pub enum RightsError {
    #[error(transparent)]
    Doc(#[from] DocError),
    #[error("no {kind} `{id}` is stored; check the id ({})", where_listed(kind))]
    NotFound { kind: &'static str, id: String },
    #[error(
        "request {id} is at version {found}, not {expected}: someone changed it meanwhile; reload it and try again"
    )]
    StaleVersion {
        id: String,
        expected: u64,
        found: u64,
    },
    #[error("stored {kind} `{id}` cannot be read ({detail}); restore it from a backup")]
    Corrupt {
        kind: &'static str,
        id: String,
        detail: String,
    },
    #[error("request {id}: {source}")]
    Transition {
        id: String,
        #[source]
        source: TransitionError,
    },
    #[error(
        "request {id} is `{stage}`: nothing is disclosed or changed before the requester's identity is verified (Art. 12(6) GDPR); verify it first"
    )]
    NotVerified { id: String, stage: Stage },
    #[error("request {id} is closed (`{stage}`); open a new request")]
    Closed { id: String, stage: Stage },
    #[error("request {id} is a `{kind}` request; this needs a `{expected}` request")]
    WrongKind {
        id: String,
        kind: RequestKind,
        expected: &'static str,
    },
    #[error("request {id} is not linked to a subject; link it to the subject's vault id first")]
    NoSubject { id: String },
    #[error(
        "request {id} is about another subject than the data given; export the holdings of the request's own subject"
    )]
    SubjectMismatch { id: String },
    #[error("request {id}: {source}")]
    Code {
        id: String,
        #[source]
        source: CodeError,
    },
    #[error(transparent)]
    CodeSetup(#[from] CodeError),
    #[error("consent ledger of subject `{subject}`: {source}")]
    Consent {
        subject: String,
        #[source]
        source: ConsentError,
    },
    #[error(
        "consent purpose `{purpose}` is not declared; declare it in `[consents.{purpose}]` or use one of: {known}"
    )]
    UnknownConsentPurpose { purpose: String, known: String },
    #[error("{what}: {how}")]
    Invalid { what: &'static str, how: String },
    #[error(transparent)]
    Rectification(#[from] RectificationError),
    #[error("writing the {format} export failed: {detail}")]
    Render {
        format: &'static str,
        detail: String,
    },
}

/// Where the ids of a [`RightsError::NotFound`]'s `kind` are listed.
fn where_listed(kind: &str) -> &'static str {
    match kind {
        "notice version" | "notice announcement" => {
            "`habeas notice list` lists the published versions"
        }
        _ => "`habeas requests list` lists the requests",
    }
}

#[cfg(test)]
mod tests {
    use super::RightsError;

    #[test]
    fn a_missing_id_points_to_where_its_kind_is_listed() {
        let missing = |kind| RightsError::NotFound {
            kind,
            id: "x".into(),
        };
        assert_eq!(
            missing("request").to_string(),
            "no request `x` is stored; check the id (`habeas requests list` lists the requests)"
        );
        for kind in ["notice version", "notice announcement"] {
            assert!(
                missing(kind)
                    .to_string()
                    .ends_with("(`habeas notice list` lists the published versions)"),
                "{kind}"
            );
        }
    }
}
