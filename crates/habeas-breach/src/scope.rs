//! A breach against the declarations: the services, categories, subjects and
//! processors it names must be declared (an unknown name is refused with the
//! list of declared ones), and what the provider owes is derived from them:
//! which clock runs (72 h or 24 h) and whether controller customers must be
//! told because the provider is their processor.
//!
//! Pure: the caller passes the declarations and the current time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use habeas_core::breach::BreachRegime;
use habeas_core::declarations::{Declarations, Name, Role};
use habeas_core::lang::Lang;

use crate::error::InputError;
use crate::model::{Breach, DpoContact, EstimateMethod, Obligations};

/// Every problem of `breach` (after an opening or a patch), or none.
pub fn validate(breach: &Breach, decls: &Declarations, now: DateTime<Utc>) -> Vec<InputError> {
    let mut errors = Vec::new();
    check_facts(breach, now, &mut errors);
    check_declared(
        "services",
        &breach.services,
        &decls.services,
        "services.toml ([services.<id>])",
        &mut errors,
    );
    check_declared(
        "data_categories",
        &breach.data_categories,
        &decls.categories,
        "categories.toml ([categories.<id>])",
        &mut errors,
    );
    check_declared(
        "subject_categories",
        &breach.subject_categories,
        &decls.subjects,
        "subjects.toml ([subjects.<id>])",
        &mut errors,
    );
    check_declared(
        "processors_involved",
        &breach.processors_involved,
        &decls.recipients,
        "recipients.toml ([recipients.<id>])",
        &mut errors,
    );
    check_free_ids("systems", &breach.systems, &mut errors);
    for (field, texts) in [
        ("consequences", &breach.consequences),
        ("measures_taken", &breach.measures_taken),
        ("measures_planned", &breach.measures_planned),
        ("subject_advice", &breach.subject_advice),
    ] {
        for (i, t) in texts.iter().enumerate() {
            if t.fr.trim().is_empty() || t.en.trim().is_empty() {
                errors.push(InputError::new(
                    format!("{field}[{i}]"),
                    "an entry is blank in French or English",
                    "write the entry in both languages, or remove it",
                ));
            }
        }
    }
    errors
}

fn check_facts(breach: &Breach, now: DateTime<Utc>, errors: &mut Vec<InputError>) {
    if breach.natures.is_empty() {
        errors.push(InputError::new(
            "natures",
            "no nature given",
            "give at least one of confidentiality, integrity, availability (Art. 4(12))",
        ));
    }
    if breach.description.fr.trim().is_empty() || breach.description.en.trim().is_empty() {
        errors.push(InputError::new(
            "description",
            "the description of the facts is blank in French or English",
            "describe what happened in both languages (Art. 33(5): document the facts)",
        ));
    }
    if breach.aware_at < breach.detected_at {
        errors.push(InputError::new(
            "aware_at",
            format!(
                "awareness ({}) is before detection ({})",
                breach.aware_at, breach.detected_at
            ),
            "awareness comes with or after the detection of the incident",
        ));
    }
    for (field, at) in [
        ("detected_at", Some(breach.detected_at)),
        ("aware_at", Some(breach.aware_at)),
        ("reported_by_processor_at", breach.reported_by_processor_at),
    ] {
        if let Some(at) = at.filter(|at| *at > now) {
            errors.push(InputError::new(
                field,
                format!("{at} is in the future (now {now})"),
                "give the moment it happened, in UTC",
            ));
        }
    }
    let w = &breach.window;
    if let (Some(start), Some(end)) = (w.start, w.end)
        && end < start
    {
        errors.push(InputError::new(
            "window.end",
            format!("the end ({end}) is before the start ({start})"),
            "swap them or correct one",
        ));
    }
    if w.ongoing && w.end.is_some() {
        errors.push(InputError::new(
            "window.ongoing",
            "the breach is said to be ongoing but has an end",
            "remove the end, or set ongoing to false",
        ));
    }
    if let Some(impact) = &breach.impact {
        let blank = match &impact.method {
            EstimateMethod::Vault { query } => query.trim().is_empty(),
            EstimateMethod::Staff { by, basis } => by.trim().is_empty() || basis.trim().is_empty(),
        };
        if blank {
            errors.push(InputError::new(
                "impact.method",
                "the estimate does not say how it was obtained",
                "give the vault query, or who estimated and on what basis (Art. 33(3)(a))",
            ));
        }
        if impact.computed_at > now {
            errors.push(InputError::new(
                "impact.computed_at",
                format!("{} is in the future (now {now})", impact.computed_at),
                "give when the numbers were computed",
            ));
        }
    }
}

fn check_declared<T>(
    field: &str,
    given: &[String],
    declared: &BTreeMap<Name, T>,
    where_declared: &str,
    errors: &mut Vec<InputError>,
) {
    let mut seen = BTreeSet::new();
    for (i, name) in given.iter().enumerate() {
        if !seen.insert(name.as_str()) {
            errors.push(InputError::new(
                format!("{field}[{i}]"),
                format!("`{name}` is listed twice"),
                "list it once",
            ));
        } else if !declared.contains_key(name.as_str()) {
            let known: Vec<&str> = declared.keys().map(|k| k.get_ref().as_str()).collect();
            errors.push(InputError::new(
                format!("{field}[{i}]"),
                format!("`{name}` is not declared in {where_declared}"),
                format!("use one of: {}", known.join(", ")),
            ));
        }
    }
}

fn check_free_ids(field: &str, given: &[String], errors: &mut Vec<InputError>) {
    let mut seen = BTreeSet::new();
    for (i, name) in given.iter().enumerate() {
        if name.trim().is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
            errors.push(InputError::new(
                format!("{field}[{i}]"),
                "blank, longer than 200 characters or with control characters",
                "name the system by its host or cluster name",
            ));
        } else if !seen.insert(name.as_str()) {
            errors.push(InputError::new(
                format!("{field}[{i}]"),
                format!("`{name}` is listed twice"),
                "list it once",
            ));
        }
    }
}

/// What the provider owes, from the declared roles of the activities that
/// process the breached categories on the breached services.
///
/// - A service declared `breach_regime = "eprivacy"` puts the 24 h clock on
///   the provider itself (Reg. 611/2013 art. 2 binds the provider of the
///   public e-communications service, whatever its GDPR role).
/// - Otherwise a controller activity means the 72 h clock (Art. 33(1)).
/// - A processor activity means telling its services' controllers without
///   undue delay (Art. 33(2)); if only processor activities are concerned,
///   the provider runs no authority clock: the controllers notify.
/// - When nothing is declared that matches, or the breach names neither
///   services nor categories yet, the provider is taken as controller: the
///   conservative reading, the clock runs.
pub fn obligations(breach: &Breach, decls: &Declarations) -> Obligations {
    if breach.services.is_empty() && breach.data_categories.is_empty() {
        // Scope not known yet: the clock runs; customers are told once the
        // services or categories say whose data it is.
        return Obligations {
            authority: Some(BreachRegime::Gdpr),
            controller_services: Vec::new(),
        };
    }
    let in_scope = |list: &[Name], wanted: &[String]| {
        wanted.is_empty() || list.iter().any(|n| wanted.contains(n.get_ref()))
    };
    let activities: Vec<_> = decls
        .activities
        .values()
        .filter(|a| in_scope(&a.services, &breach.services))
        .filter(|a| in_scope(&a.categories, &breach.data_categories))
        .collect();
    let service_role = |id: &str| decls.service(id).map(|s| s.role);
    let mut controller = activities.iter().any(|a| a.role() == Role::Controller);
    let mut controller_services: BTreeSet<String> = BTreeSet::new();
    for a in activities.iter().filter(|a| a.role() == Role::Processor) {
        for s in &a.services {
            let wanted = breach.services.is_empty() || breach.services.contains(s.get_ref());
            if wanted && service_role(s.get_ref()) == Some(Role::Processor) {
                controller_services.insert(s.get_ref().clone());
            }
        }
    }
    if activities.is_empty() {
        // Nothing declared matches: go by the services' roles, and take the
        // provider as controller when no service says otherwise.
        controller = breach.services.is_empty();
        for s in &breach.services {
            if service_role(s) == Some(Role::Processor) {
                controller_services.insert(s.clone());
            } else {
                controller = true;
            }
        }
    }
    let eprivacy = breach.services.iter().any(|s| {
        decls
            .service(s)
            .is_some_and(|s| s.breach_regime == BreachRegime::Eprivacy)
    });
    let authority = if eprivacy {
        Some(BreachRegime::Eprivacy)
    } else if controller {
        Some(BreachRegime::Gdpr)
    } else {
        None
    };
    Obligations {
        authority,
        controller_services: controller_services.into_iter().collect(),
    }
}

/// The contact point of Art. 33(3)(b): the declared DPO, or else the
/// organisation's own contact details.
pub fn contact_point(decls: &Declarations) -> DpoContact {
    if let Some(dpo) = decls.dpo() {
        return DpoContact {
            name: dpo.name.clone(),
            email: dpo.email.as_ref().map(|e| e.get_ref().clone()),
            phone: dpo.phone.clone(),
            address: dpo.address.clone(),
        };
    }
    match decls.organisation() {
        Some(o) => DpoContact {
            name: Some(o.name.get_ref().clone()),
            email: o.email.as_ref().map(|e| e.get_ref().clone()),
            phone: o.phone.clone(),
            address: o.address.as_ref().map(|a| a.get_ref().clone()),
        },
        None => DpoContact::default(),
    }
}

/// The label of a declared service.
pub fn service_label(decls: &Declarations, id: &str, lang: Lang) -> String {
    decls
        .service(id)
        .map_or_else(|| id.to_string(), |s| s.name.get(lang).to_string())
}
