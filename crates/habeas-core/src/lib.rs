//! Habeas domain rules. Pure code: no IO, no async, no clock reads (time is
//! injected through [`clock::Clock`]). Storage, HTTP and CLI are thin layers
//! around what lives here, so every legal rule can be unit-tested alone.

pub mod breach;
pub mod calendar;
pub mod clock;
pub mod consent;
pub mod declarations;
pub mod delay;
pub mod docs;
pub mod journal_retention;
pub mod lang;
pub mod notice;
pub mod register;
pub mod retention;
pub mod rights;
pub mod settings;
pub mod stats;
#[cfg(test)]
mod test_support;
