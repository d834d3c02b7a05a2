//! habeas-crypto
