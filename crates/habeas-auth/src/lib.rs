//! Staff accounts, sign-in and web sessions for Habeas (GDPR Art. 32: access
//! to personal data only by authorised staff, with strong authentication).
//!
//! Why a crate of its own: the rules that keep a login flood from starving the
//! server, stop password guessing and TOTP replay, and decide what a staff
//! member may read must be the same for the console, the CLI and any later
//! front end, and testable without HTTP. Everything here is pure rules plus
//! thin services over the [`habeas_core::docs::DocStore`] contract (kinds
//! `staff` and `session`) with an injected [`habeas_core::clock::Clock`].
//!
//! Map:
//! - [`config`]: every parameter (argon2id cost, lock-out, timeouts, MFA roles);
//! - [`password`]: the password policy and argon2id hashing;
//! - [`pool`]: the bounded hashing pool ("busy, retry" instead of queuing);
//! - [`limiter`]: lock-out per account and per source address, checked before hashing;
//! - [`totp`], [`qr`], [`recovery`]: second factor, enrolment QR code, recovery codes;
//! - [`account`], [`roles`]: the stored staff account and the declared roles;
//! - [`service`]: [`Auth`] (long-lived state) and [`AuthService`] (one store, one clock);
//! - [`staff`], [`login`], [`session`]: the use cases;
//! - [`cookie`], [`csrf`], [`gate`]: what the HTTP layer sets and checks, and
//!   which pages a session may open at its stage;
//! - [`authz`]: the authorisation matrix over core's access policy, with the deny event;
//! - [`console`]: which roles may take which console workflow action.
//!
//! The service methods block (argon2id runs on the pool and the caller waits
//! for its answer): call them from a blocking thread in async code.

pub mod account;
pub mod authz;
pub mod config;
pub mod console;
pub mod cookie;
pub mod csrf;
pub mod error;
pub mod gate;
pub mod limiter;
pub mod login;
pub mod password;
pub mod pool;
pub mod qr;
pub mod recovery;
pub mod roles;
mod secret;
pub mod service;
pub mod session;
pub mod staff;
pub mod totp;

pub use account::{StaffAccount, StaffStatus, StaffSummary};
pub use authz::{
    AccessDenied, AccessQuery, DenyHook, DenyReason, StaffAccess, authorise, authorise_and_report,
    role_allows,
};
pub use config::{AuthConfig, HashParams, LockoutPolicy, MfaPolicy, SessionPolicy, ThrottleRule};
pub use console::{ConsoleAction, ConsolePolicy};
pub use csrf::{CsrfKey, CsrfMismatch};
pub use error::AuthError;
pub use gate::{Gate, GateRefusal};
pub use login::{LoginAttempt, LoginError, LoginSuccess, Stage};
pub use pool::{HashPool, PoolBusy};
pub use roles::RoleCatalog;
pub use secret::Secret;
pub use service::{Auth, AuthService};
pub use session::{Session, SessionError, SessionToken};
pub use staff::{CreatedStaff, NewStaff, ResetOutcome, ResetScope, TotpOffer};
