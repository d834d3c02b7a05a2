//! habeas-mail
