//! habeas-web (being written).
