//! C1 — privacy as code. A provider declares its processing in TOML files
//! (`declarations/*.toml`); this module loads them into one model
//! ([`Declarations`]), and [`check`] validates it with precise diagnostics.
//!
//! Everything here is pure: the CLI reads the files and passes
//! `(path, contents)` pairs to [`load`]. Each item remembers its file and
//! byte span, so a diagnostic always says `file:line:col`.
//!
//! The keys are documented in `docs/declarations.md`.

pub mod adequacy;
pub mod check;
pub mod diagnostic;
mod load;
pub mod model;
pub mod starter;
pub mod text;
pub mod vocab;

use std::collections::BTreeMap;
use std::ops::Range;

use serde_spanned::Spanned;

pub use check::check;
pub use diagnostic::{Diagnostic, Location, Severity, SourceFile};
pub use load::load;
pub use model::*;
pub use text::Text;
pub use vocab::*;

use crate::delay::Delay;
use crate::lang::Lang;

/// Every declaration, merged from all files.
#[derive(Debug, Clone, Default)]
pub struct Declarations {
    /// The files, in the order given to [`load`]; `FileId` indexes this.
    pub sources: Vec<SourceFile>,
    pub meta: Option<Spanned<Meta>>,
    pub organisation: Option<Spanned<Organisation>>,
    pub dpo: Option<Spanned<Dpo>>,
    pub rights: Option<Spanned<RightsPolicy>>,
    pub services: BTreeMap<Name, Service>,
    pub activities: BTreeMap<Name, Activity>,
    pub categories: BTreeMap<Name, DataCategory>,
    pub subjects: BTreeMap<Name, SubjectCategory>,
    pub recipients: BTreeMap<Name, Recipient>,
    pub locations: BTreeMap<Name, StorageLocation>,
    pub residency: BTreeMap<Name, ResidencyRule>,
    pub measures: BTreeMap<Name, SecurityMeasure>,
    pub roles: BTreeMap<Name, StaffRole>,
    pub consents: BTreeMap<Name, ConsentPurpose>,
}

/// The outcome of loading and checking.
#[derive(Debug, Clone)]
pub struct Checked {
    pub declarations: Declarations,
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Load then check: what `habeas check` does.
pub fn load_and_check(files: &[(String, String)]) -> Checked {
    let (declarations, mut diagnostics) = load(files);
    // Checking a model whose files did not parse would report every name of
    // the broken file as unknown: report the parse errors alone.
    if !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(check(&declarations));
    }
    Checked {
        declarations,
        diagnostics,
    }
}

/// A transfer outside the EEA, derived from a recipient's countries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer<'a> {
    pub recipient: &'a str,
    pub country: &'a str,
    pub safeguard: Option<Safeguard>,
    pub safeguard_ref: Option<&'a str>,
}

/// The authority a subject can complain to (Art. 13(2)(d), 77).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupervisoryAuthority {
    pub name_fr: &'static str,
    pub name_en: &'static str,
    pub address: &'static str,
    pub website: &'static str,
}

const CNIL: SupervisoryAuthority = SupervisoryAuthority {
    name_fr: "Commission nationale de l'informatique et des libertés (CNIL)",
    name_en: "Commission nationale de l'informatique et des libertés (CNIL)",
    address: "3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, France",
    website: "https://www.cnil.fr/fr/plaintes",
};

const APD: SupervisoryAuthority = SupervisoryAuthority {
    name_fr: "Autorité de protection des données (APD)",
    name_en: "Data Protection Authority (APD/GBA)",
    address: "Rue de la Presse 35, 1000 Bruxelles, Belgique",
    website: "https://www.autoriteprotectiondonnees.be",
};

impl Declarations {
    pub fn organisation(&self) -> Option<&Organisation> {
        self.organisation.as_ref().map(Spanned::get_ref)
    }

    pub fn dpo(&self) -> Option<&Dpo> {
        self.dpo.as_ref().map(Spanned::get_ref)
    }

    pub fn rights(&self) -> Option<&RightsPolicy> {
        self.rights.as_ref().map(Spanned::get_ref)
    }

    pub fn meta(&self) -> Option<&Meta> {
        self.meta.as_ref().map(Spanned::get_ref)
    }

    /// `version (updated)` for document headers.
    pub fn version_line(&self) -> (String, String) {
        match self.meta() {
            Some(m) => (m.version.get_ref().clone(), m.updated.get_ref().clone()),
            None => ("-".into(), "-".into()),
        }
    }

    pub fn category(&self, name: &str) -> Option<&DataCategory> {
        self.categories.get(name)
    }

    pub fn activity(&self, id: &str) -> Option<&Activity> {
        self.activities.get(id)
    }

    pub fn recipient(&self, name: &str) -> Option<&Recipient> {
        self.recipients.get(name)
    }

    pub fn subject(&self, name: &str) -> Option<&SubjectCategory> {
        self.subjects.get(name)
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.get(name)
    }

    pub fn measure(&self, name: &str) -> Option<&SecurityMeasure> {
        self.measures.get(name)
    }

    pub fn role(&self, name: &str) -> Option<&StaffRole> {
        self.roles.get(name)
    }

    /// The activities (purposes) processing a category, by id.
    pub fn purposes_of_category<'a>(
        &'a self,
        category: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Activity)> {
        self.activities
            .iter()
            .filter(move |(_, a)| a.categories.iter().any(|c| c.get_ref() == category))
            .map(|(id, a)| (id.get_ref().as_str(), a))
    }

    /// The categories a recipient receives: its `receives` list, or else
    /// every category of the activities that name it.
    pub fn received_by(&self, recipient: &str) -> Vec<&str> {
        let Some(r) = self.recipient(recipient) else {
            return Vec::new();
        };
        let mut out: Vec<&str> = if r.receives.is_empty() {
            self.activities
                .values()
                .filter(|a| a.recipients.iter().any(|x| x.get_ref() == recipient))
                .flat_map(|a| a.categories.iter().map(|c| c.get_ref().as_str()))
                .collect()
        } else {
            r.receives.iter().map(|c| c.get_ref().as_str()).collect()
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Activities where the provider is controller (Art. 30(1)) or processor (Art. 30(2)).
    pub fn activities_with_role(&self, role: Role) -> impl Iterator<Item = (&str, &Activity)> {
        self.activities
            .iter()
            .filter(move |(_, a)| a.role() == role)
            .map(|(id, a)| (id.get_ref().as_str(), a))
    }

    /// The categories a staff role may read for a given activity: those of the
    /// role that the activity also processes.
    pub fn role_categories_for(&self, role: &str, activity: &str) -> Vec<&str> {
        let (Some(role), Some(activity_decl)) = (self.role(role), self.activity(activity)) else {
            return Vec::new();
        };
        if !role.purposes.iter().any(|p| p.get_ref() == activity) {
            return Vec::new();
        }
        let activity = activity_decl;
        role.categories
            .iter()
            .map(|c| c.get_ref().as_str())
            .filter(|c| activity.categories.iter().any(|a| a.get_ref() == c))
            .collect()
    }

    /// Whether staff `role` may read `category` for `activity`: the role
    /// works for the activity, may read the category, and the activity
    /// processes it (Art. 5(1)(b), 32(4)). The access policy builds on this.
    pub fn role_may_read(&self, role: &str, category: &str, activity: &str) -> bool {
        self.role_categories_for(role, activity).contains(&category)
    }

    /// Every category a role may read, for any of its purposes.
    pub fn categories_of_role(&self, role: &str) -> Vec<&str> {
        let Some(r) = self.role(role) else {
            return Vec::new();
        };
        let mut out: Vec<&str> = r
            .purposes
            .iter()
            .flat_map(|p| self.role_categories_for(role, p.get_ref()))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The controllers an activity acts for, as declared on its services (Art. 30(2)(a)),
    /// in service order; services without `controllers` are skipped.
    pub fn controllers_of(&self, activity: &Activity, lang: Lang) -> Vec<String> {
        activity
            .services
            .iter()
            .filter_map(|s| self.service(s.get_ref()))
            .filter_map(|s| s.controllers.as_ref().map(|c| c.get(lang).to_string()))
            .collect()
    }

    /// Transfers outside the EEA made by an activity, through its recipients.
    pub fn transfers_of<'a>(&'a self, activity: &'a Activity) -> Vec<Transfer<'a>> {
        activity
            .recipients
            .iter()
            .filter_map(|name| self.recipients.get_key_value(name.get_ref().as_str()))
            .flat_map(|(name, r)| self.recipient_transfers(name.get_ref(), r))
            .collect()
    }

    /// Transfers outside the EEA made through a recipient.
    pub fn recipient_transfers<'a>(
        &'a self,
        name: &'a str,
        recipient: &'a Recipient,
    ) -> Vec<Transfer<'a>> {
        recipient
            .countries()
            .into_iter()
            .map(|c| c.get_ref().as_str())
            .filter(|c| !adequacy::is_eea(c))
            .map(|country| Transfer {
                recipient: name,
                country,
                safeguard: recipient.safeguard.as_ref().map(|s| *s.get_ref()),
                safeguard_ref: recipient.safeguard_ref.as_deref(),
            })
            .collect()
    }

    /// The promised delay for a right, if declared and valid.
    pub fn promised_delay(&self, right: Right) -> Option<Delay> {
        self.rights()?.delays.get(right)?.get_ref().parse().ok()
    }

    /// How long before a substantial notice change applies subjects are told
    /// (SPEC C8): the declared period, or 30 days.
    pub fn notice_change_period(&self) -> Delay {
        self.rights()
            .and_then(|r| r.notice_change_period.as_ref())
            .and_then(|p| p.get_ref().parse().ok())
            .unwrap_or(Delay::Days(30))
    }

    /// Grace period between an account-closure request and erasure.
    pub fn account_closure_grace(&self) -> Option<Delay> {
        self.rights()?
            .account_closure_grace
            .as_ref()?
            .get_ref()
            .parse()
            .ok()
    }

    pub fn holiday_calendar(&self) -> HolidayCalendar {
        self.rights().map(|r| r.calendar).unwrap_or_default()
    }

    /// The lead supervisory authority, from the organisation's country.
    pub fn authority(&self) -> SupervisoryAuthority {
        match self.organisation().map(|o| o.country.get_ref().as_str()) {
            Some("BE") => APD,
            _ => CNIL,
        }
    }

    /// Location of byte `offset` of file `file`.
    pub fn locate(&self, file: FileId, offset: usize) -> Option<Location> {
        self.sources.get(file.0).map(|s| s.locate(offset))
    }

    pub(crate) fn source(&self, file: FileId) -> Option<&SourceFile> {
        self.sources.get(file.0)
    }

    /// Location of a spanned value.
    pub fn locate_span(&self, file: FileId, span: &Range<usize>) -> Option<Location> {
        self.locate(file, span.start)
    }

    /// Rendering label of a name in a map, falling back to the name itself.
    pub fn category_label(&self, name: &str, lang: Lang) -> String {
        self.category(name)
            .map_or_else(|| name.to_string(), |c| c.name.get(lang).to_string())
    }

    pub fn subject_label(&self, name: &str, lang: Lang) -> String {
        self.subject(name)
            .map_or_else(|| name.to_string(), |c| c.name.get(lang).to_string())
    }

    /// [`Self::category_label`] of each of `names`, in order.
    pub fn category_labels(&self, names: &[Name], lang: Lang) -> Vec<String> {
        names
            .iter()
            .map(|n| self.category_label(n.get_ref(), lang))
            .collect()
    }

    /// [`Self::subject_label`] of each of `names`, in order.
    pub fn subject_labels(&self, names: &[Name], lang: Lang) -> Vec<String> {
        names
            .iter()
            .map(|n| self.subject_label(n.get_ref(), lang))
            .collect()
    }

    pub fn recipient_label(&self, name: &str, lang: Lang) -> String {
        self.recipient(name)
            .map_or_else(|| name.to_string(), |c| c.name.get(lang).to_string())
    }

    pub fn measure_label(&self, name: &str, lang: Lang) -> String {
        self.measure(name)
            .map_or_else(|| name.to_string(), |c| c.name.get(lang).to_string())
    }
}
