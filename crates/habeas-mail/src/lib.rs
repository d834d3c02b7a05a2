//! habeas-mail: the mail privacy lists of SPEC C12.
//!
//! Each mail user keeps three lists — senders always accepted (`allow`),
//! senders always refused (`deny`) and personal correspondents (`perso`) — so
//! that personal mail can be marked at delivery and, when the user leaves,
//! handed over or destroyed without touching professional mail.
//!
//! The crate is pure except for the Maildir walker and the file store:
//! * [`entry`] — one normal form for addresses and domains (case, IDN, `+tag`);
//! * [`lists`] — the per-user lists, their settings and the contradiction rules;
//! * [`csv_io`] — bulk import/export, all or nothing;
//! * [`classify`] — header-based classification: perso / allow / deny / none;
//! * [`sieve`] — the provider-managed Sieve script run as Dovecot `sieve_before`;
//! * [`filter`] — the stdin→stdout filter that inserts `X-Habeas-Class`;
//! * [`maildir`] — finding, exporting (mboxrd) and purging personal messages;
//! * [`store`] — the [`store::MailListStore`] trait and its durable file store;
//! * [`rights`] — what access exports and erasure need (Art. 15, 17, 20).
//!
//! Legal frame: the lists hold third parties' addresses, processed for the user
//! as part of the service (GDPR Art. 6(1)(b)); they are part of the user's
//! access and portability exports (Art. 15, 20) and are erased with the
//! account (Art. 17).

pub mod classify;
pub mod csv_io;
pub mod entry;
pub mod filter;
pub mod lists;
pub mod maildir;
pub mod mutf7;
pub mod rights;
pub mod sieve;
pub mod store;
#[cfg(feature = "vault")]
pub mod vault_store;

pub use classify::{Class, MessageAddresses};
pub use entry::{Entry, EntryError};
pub use filter::{FilterAction, FilterOptions, FilterOutcome, filter_message};
pub use lists::{DenyAction, ListError, ListKind, Settings, TagStyle, UserLists};
pub use store::{FileStore, MailListStore, StoreError, user_key};
