//! habeas-store
