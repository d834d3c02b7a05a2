//! Errors of the breach register. Each says what is wrong, where, and how to
//! fix it, and never carries personal data: only field names, declared ids
//! and breach ids. A refused operation changes nothing.

use std::fmt;

use habeas_core::breach::BreachError;
use habeas_core::docs::DocError;

/// One problem with the input, tied to a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The field, e.g. `data_categories[1]`.
    pub field: String,
    /// What is wrong.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl InputError {
    pub fn new(
        field: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        InputError {
            field: field.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; {}", self.field, self.problem, self.fix)
    }
}

/// Why a register operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("the breach was not recorded: {}", join(.0))]
    Invalid(Vec<InputError>),
    #[error("no breach {0} in the register; `list` shows the ids")]
    NotFound(String),
    #[error(
        "breach {id} changed since version {expected} (now {found}); reload it, check the new events and apply the change again"
    )]
    Conflict {
        id: String,
        expected: u64,
        found: u64,
    },
    #[error("breach {0} is closed; reopen it (with the reason) before changing it")]
    Closed(String),
    #[error("breach {id}: {source}")]
    Clock {
        id: String,
        #[source]
        source: BreachError,
    },
    #[error("breach {id}: {what}")]
    Duty { id: String, what: String },
    #[error("breach {id} cannot be closed yet: {}", .remaining.join("; "))]
    NotClosable { id: String, remaining: Vec<String> },
    #[error("stored breach {id} cannot be read ({reason}); the document was not changed")]
    Corrupt { id: String, reason: String },
    #[error("no free breach id for year {0}: the register holds 9999 breaches that year")]
    IdsExhausted(i32),
    #[error(transparent)]
    Storage(DocError),
}

impl From<DocError> for RegisterError {
    fn from(e: DocError) -> Self {
        RegisterError::Storage(e)
    }
}

fn join(errors: &[InputError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}
