//! The breach register and the processor's duties (SPEC C7, C9; issue #9).
//!
//! A provider must document every personal-data breach (Art. 33(5) GDPR),
//! notify the authority within 72 hours (Art. 33(1)) or 24 hours for a public
//! electronic-communications service (Reg. 611/2013), tell the subjects when
//! the risk is high (Art. 34), and, as a processor, tell its controller
//! customers without undue delay (Art. 33(2)) and announce sub-processor
//! changes before they apply (Art. 28(2)).
//!
//! Shape: pure rules (model, events, scope, duties, exports, drafts, diff)
//! and one thin service, [`BreachRegister`], generic over the
//! [`habeas_core::docs::DocStore`] contract and an injected clock. The clocks
//! themselves are habeas-core's (`habeas_core::breach`).

pub mod delivery;
pub mod duties;
pub mod error;
pub mod event;
pub mod export;
mod fmt;
pub mod id;
pub mod incident;
pub mod letters;
pub mod model;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod register;
pub mod scope;
pub mod subprocessors;
pub mod vault_bridge;

pub use delivery::{DeliveryBook, DeliveryStatus, Outcome, RetryPolicy};
pub use duties::{AuthorityStatus, BreachSummary, Duty};
pub use error::{InputError, RegisterError};
pub use event::{BreachEvent, BreachPatch, Change, NewBreach};
pub use export::{AuthorityExport, Form};
pub use letters::Draft;
pub use model::{
    Audience, Breach, BreachStatus, Certainty, DpoContact, EstimateMethod, ImpactEstimate, Nature,
    Obligations, Origin, TimeWindow,
};
pub use register::{BreachRegister, Listing, Snapshot};
