//! The canonical finding types. Their names are the benchmark harness's interchange names
//! (`bench/pii/README.md`), so a JSONL report can be scored without a translation table.

use serde::Serialize;

/// A type of personal data the scanner recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PiiType {
    Email,
    Phone,
    Iban,
    CreditCard,
    FrNir,
    BeNrn,
    FrSiren,
    FrSiret,
    VatEu,
    IpAddress,
    DateOfBirth,
    Person,
    PostalAddress,
}

impl PiiType {
    /// Every type, in report order.
    pub const ALL: [PiiType; 13] = [
        PiiType::Email,
        PiiType::Phone,
        PiiType::Iban,
        PiiType::CreditCard,
        PiiType::FrNir,
        PiiType::BeNrn,
        PiiType::FrSiren,
        PiiType::FrSiret,
        PiiType::VatEu,
        PiiType::IpAddress,
        PiiType::DateOfBirth,
        PiiType::Person,
        PiiType::PostalAddress,
    ];

    /// The canonical (harness) name.
    pub fn name(self) -> &'static str {
        match self {
            PiiType::Email => "EMAIL",
            PiiType::Phone => "PHONE",
            PiiType::Iban => "IBAN",
            PiiType::CreditCard => "CREDIT_CARD",
            PiiType::FrNir => "FR_NIR",
            PiiType::BeNrn => "BE_NRN",
            PiiType::FrSiren => "FR_SIREN",
            PiiType::FrSiret => "FR_SIRET",
            PiiType::VatEu => "VAT_EU",
            PiiType::IpAddress => "IP_ADDRESS",
            PiiType::DateOfBirth => "DATE_OF_BIRTH",
            PiiType::Person => "PERSON",
            PiiType::PostalAddress => "POSTAL_ADDRESS",
        }
    }

    /// Sensitivity weight used by the per-file risk score (docs/scan.md, "Risk score").
    /// National identifiers and payment data weigh most: their leak enables identity theft
    /// or fraud, and the NIR's use is restricted by French law (Décret 2019-341).
    pub fn weight(self) -> u32 {
        match self {
            PiiType::CreditCard | PiiType::FrNir | PiiType::BeNrn => 10,
            PiiType::Iban => 8,
            PiiType::DateOfBirth => 5,
            PiiType::PostalAddress | PiiType::Phone => 3,
            PiiType::Email | PiiType::Person => 2,
            PiiType::IpAddress => 1,
            // Company identifiers: personal data only for sole traders.
            PiiType::FrSiren | PiiType::FrSiret | PiiType::VatEu => 1,
        }
    }

    /// Parse a canonical name (case-insensitive).
    pub fn from_name(s: &str) -> Option<PiiType> {
        PiiType::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for PiiType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
