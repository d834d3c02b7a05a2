//! `habeas scan --report`: which declared data categories (GDPR Art. 30(1)(c) register,
//! `habeas_core::declarations`) cover each type found, and which files hold types that no
//! declaration covers — personal data processed without being in the register.
//!
//! A category covers a type when its DPV concept is one of the type's concepts (or a broader
//! one, e.g. `pd:Contact` for e-mail and phone), when it declares a field of the matching
//! field type (`email`, `phone`, `ip`), or when one of its field names says so (`iban`,
//! `birth_date`, `siret`…).

use std::collections::BTreeMap;

use habeas_core::declarations::{Declarations, FieldType};

use crate::kind::PiiType;

fn dpv_terms(t: PiiType) -> &'static [&'static str] {
    match t {
        PiiType::Email => &["pd:EmailAddress", "pd:Contact", "pd:Communication"],
        PiiType::Phone => &["pd:TelephoneNumber", "pd:Contact"],
        PiiType::Iban => &["pd:BankAccount", "pd:FinancialAccount", "pd:Financial"],
        PiiType::CreditCard => &[
            "pd:CreditCardNumber",
            "pd:PaymentCardNumber",
            "pd:FinancialAccount",
            "pd:Financial",
        ],
        PiiType::FrNir | PiiType::BeNrn => &[
            "pd:NationalIdentificationNumber",
            "pd:OfficialID",
            "pd:GovernmentIdentifier",
        ],
        PiiType::FrSiren | PiiType::FrSiret | PiiType::VatEu => {
            &["pd:Professional", "pd:Employment"]
        }
        PiiType::IpAddress => &["pd:IPAddress", "pd:Tracking", "pd:BrowsingBehaviour"],
        PiiType::DateOfBirth => &["pd:DateOfBirth", "pd:Age", "pd:Identifying"],
        PiiType::Person => &["pd:Name", "pd:Identifying"],
        PiiType::PostalAddress => &[
            "pd:PostalAddress",
            "pd:Address",
            "pd:Contact",
            "pd:Location",
        ],
    }
}

fn field_words(t: PiiType) -> &'static [&'static str] {
    match t {
        PiiType::Email => &["email", "mail", "courriel"],
        PiiType::Phone => &["phone", "telephone", "téléphone", "tel", "mobile", "gsm"],
        PiiType::Iban => &["iban", "bank", "rib"],
        PiiType::CreditCard => &["card", "carte", "pan"],
        PiiType::FrNir => &["nir", "secu", "social_security", "ssn"],
        PiiType::BeNrn => &["nrn", "rrn", "national_number", "registre_national", "niss"],
        PiiType::FrSiren => &["siren"],
        PiiType::FrSiret => &["siret"],
        PiiType::VatEu => &["vat", "tva", "btw"],
        PiiType::IpAddress => &["ip"],
        PiiType::DateOfBirth => &["birth", "naissance", "dob"],
        PiiType::Person => &["name", "nom", "prenom", "prénom"],
        PiiType::PostalAddress => &["address", "adresse", "street", "rue", "postcode", "postal"],
    }
}

fn field_type_for(t: PiiType) -> Option<FieldType> {
    match t {
        PiiType::Email => Some(FieldType::Email),
        PiiType::Phone => Some(FieldType::Phone),
        PiiType::IpAddress => Some(FieldType::Ip),
        _ => None,
    }
}

/// For each type, the names of the declared categories that cover it (empty: undeclared).
pub fn covering(decl: &Declarations) -> BTreeMap<PiiType, Vec<String>> {
    let mut out = BTreeMap::new();
    for t in PiiType::ALL {
        let mut cats = Vec::new();
        for (name, c) in &decl.categories {
            let dpv = c.dpv_term();
            let by_dpv = dpv_terms(t).contains(&dpv);
            let by_type =
                field_type_for(t).is_some_and(|ft| c.fields.values().any(|f| *f.get_ref() == ft));
            let by_name = c.field_names().any(|f| {
                let f = f.to_lowercase();
                field_words(t)
                    .iter()
                    .any(|w| f == *w || f.split(['_', '-']).any(|p| p == *w))
            });
            if by_dpv || by_type || by_name {
                cats.push(name.get_ref().clone());
            }
        }
        out.insert(t, cats);
    }
    out
}
