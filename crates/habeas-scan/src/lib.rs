//! habeas-scan
