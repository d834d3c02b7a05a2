//! What the data-subject rights need from the mail lists, ready for the
//! coordinator to wire into access exports and erasure.
//!
//! * Access and portability (GDPR Art. 15, 20): the lists and settings as
//!   JSON, the same lists as CSV (re-importable elsewhere), and the Sieve
//!   script the provider runs for the user (STANDARDS.md §8.4).
//! * Erasure (Art. 17): [`crate::store::MailListStore::erase`]; the next
//!   `habeas mail sieve --all` then removes the user's script.

use serde::Serialize;

use crate::lists::UserLists;
use crate::{csv_io, sieve};

/// One user's mail-list data for an access export.
#[derive(Debug, Clone, Serialize)]
pub struct AccessExport {
    /// Category name declared for these data.
    pub category: &'static str,
    pub lists: UserLists,
    /// `list,entry` CSV, as `habeas mail list export` writes it.
    pub csv: String,
    /// The provider-managed Sieve script applied to the user's mail.
    pub sieve: String,
}

/// The declared data category of the lists.
pub const CATEGORY: &str = "mail_lists";

impl AccessExport {
    pub fn new(lists: &UserLists) -> AccessExport {
        AccessExport {
            category: CATEGORY,
            lists: lists.clone(),
            csv: String::from_utf8_lossy(&csv_io::export(lists)).into_owned(),
            sieve: sieve::generate(lists),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lists::ListKind;

    #[test]
    fn export_carries_json_csv_and_script() {
        let mut l = UserLists::new("me@corp.example");
        l.add(ListKind::Perso, "mum@family.example").unwrap();
        let export = AccessExport::new(&l);
        let json = serde_json::to_value(&export).unwrap();
        assert_eq!(json["category"], "mail_lists");
        assert_eq!(json["lists"]["perso"][0], "mum@family.example");
        assert!(export.csv.contains("perso,mum@family.example"));
        assert!(export.sieve.contains("\"mum@family.example\""));
    }
}
