//! The texts people receive about a breach, as plain data (subject line and
//! text, French or English) for the mailer to send:
//! - the letter to each subject when the risk is high (Art. 34(1)), in clear
//!   and plain language with at least the items of Art. 33(3)(b)–(d)
//!   (Art. 34(2));
//! - the public notice that replaces it when individual letters would take
//!   disproportionate effort (Art. 34(3)(c));
//! - the notice to each controller customer when the provider is their
//!   processor (Art. 33(2)), with what they need for their own notification.
//!
//! Pure: the breach, the declarations and the language are passed in.

use std::fmt::Write;

use habeas_core::breach::SubjectCommunication;
use habeas_core::declarations::Declarations;
use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};

use crate::fmt::{day, number, when};
use crate::model::Breach;
use crate::scope::service_label;

/// A message ready for the mailer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub lang: Lang,
    pub subject: String,
    pub body: String,
}

/// Why a draft cannot be written yet. Nothing was produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("breach {id}: {what}")]
    NotOwed { id: String, what: &'static str },
    #[error(
        "breach {id}: the letter must say {} (Art. 34(2)); complete the register first",
        .missing.join(", ")
    )]
    Incomplete {
        id: String,
        missing: Vec<&'static str>,
    },
}

/// The figures for one controller customer, when the engine computed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CustomerImpact {
    pub subjects: Option<u64>,
    pub records: Option<u64>,
}

/// The Art. 34 letter to each subject. Refused unless the decision in force
/// requires individual communication, and until the register holds what the
/// letter must say.
pub fn subject_letter(
    breach: &Breach,
    decls: &Declarations,
    lang: Lang,
) -> Result<Draft, DraftError> {
    if breach.subject_communication() != Some(SubjectCommunication::Individual) {
        return Err(DraftError::NotOwed {
            id: breach.id.clone(),
            what: "no individual communication is owed under the decision in force (Art. 34(1), 34(3))",
        });
    }
    check_art34_content(breach)?;
    let org = org_name(decls);
    let subject = format!(
        "{org}{}",
        lang.pick(
            " : incident de sécurité concernant vos données personnelles",
            ": security incident affecting your personal data"
        )
    );
    let mut body = String::new();
    body.push_str(lang.pick("Bonjour,\n\n", "Hello,\n\n"));
    body.push_str(lang.pick(
        "Nous vous informons d'un incident de sécurité qui concerne certaines de vos données personnelles.\n",
        "We are writing to tell you about a security incident that affects some of your personal data.\n",
    ));
    art34_sections(&mut body, breach, decls, lang);
    sign(&mut body, apologies(lang), decls);
    Ok(Draft {
        lang,
        subject,
        body,
    })
}

/// The public communication of Art. 34(3)(c). Refused unless the decision in
/// force chose it.
pub fn public_notice(
    breach: &Breach,
    decls: &Declarations,
    lang: Lang,
) -> Result<Draft, DraftError> {
    if breach.subject_communication() != Some(SubjectCommunication::Public) {
        return Err(DraftError::NotOwed {
            id: breach.id.clone(),
            what: "no public communication is owed: it needs a high-risk decision with the exemption disproportionate_effort (Art. 34(3)(c))",
        });
    }
    check_art34_content(breach)?;
    let org = org_name(decls);
    let subject = format!(
        "{org}{}",
        lang.pick(
            " : avis public d'incident de sécurité",
            ": public notice of a security incident"
        )
    );
    let mut body = String::new();
    let _ = writeln!(
        body,
        "{org}{}",
        lang.pick(
            " informe le public d'un incident de sécurité touchant des données personnelles. Vous êtes concerné si vous faites partie des personnes suivantes :",
            " informs the public of a security incident affecting personal data. You are concerned if you are among the following persons:"
        )
    );
    for s in &breach.subject_categories {
        let _ = writeln!(body, "- {}", decls.subject_label(s, lang));
    }
    art34_sections(&mut body, breach, decls, lang);
    sign(&mut body, apologies(lang), decls);
    Ok(Draft {
        lang,
        subject,
        body,
    })
}

/// The notice to one controller customer (Art. 33(2)): sent without undue
/// delay, even incomplete; what is not known yet is said so, and the rest
/// follows (Art. 33(4)). Refused when the provider is not their processor.
pub fn controller_notice(
    breach: &Breach,
    decls: &Declarations,
    impact: CustomerImpact,
    lang: Lang,
) -> Result<Draft, DraftError> {
    if breach.obligations.controller_services.is_empty() {
        return Err(DraftError::NotOwed {
            id: breach.id.clone(),
            what: "the provider is not processor for what this breach concerns (Art. 33(2))",
        });
    }
    let unknown = lang.pick("en cours d'analyse", "being assessed");
    let org = org_name(decls);
    let services: Vec<String> = breach
        .obligations
        .controller_services
        .iter()
        .map(|s| service_label(decls, s, lang))
        .collect();
    let subject = format!(
        "[{}] {}",
        breach.id,
        lang.pick(
            "Violation de données personnelles : information du responsable de traitement (art. 33(2) RGPD)",
            "Personal data breach: notice to the controller (GDPR Art. 33(2))"
        )
    );
    let mut b = String::new();
    let _ = writeln!(b, "{}\n", lang.pick("Madame, Monsieur,", "Dear customer,"));
    let _ = writeln!(
        b,
        "{org}{} {}{}",
        lang.pick(
            ", votre sous-traitant pour le(s) service(s)",
            ", your processor for the service(s)"
        ),
        services.join(", "),
        lang.pick(
            ", vous informe d'une violation de données personnelles qui concerne des données que nous traitons pour votre compte.",
            ", informs you of a personal data breach affecting data we process on your behalf."
        )
    );
    let _ = writeln!(
        b,
        "\n{} {} ({} {}).",
        lang.pick(
            "Nous en avons pris connaissance le",
            "We became aware of it on"
        ),
        when(breach.aware_at),
        lang.pick("référence :", "reference:"),
        breach.id
    );
    heading(&mut b, lang.pick("Les faits", "What happened"));
    body_line(&mut b, breach.description.get(lang));
    for n in &breach.natures {
        let _ = writeln!(b, "- {}", n.label(lang));
    }
    heading(
        &mut b,
        lang.pick(
            "Données et personnes concernées",
            "Data and persons concerned",
        ),
    );
    let data = labels(&breach.data_categories, |c| decls.category_label(c, lang));
    let persons = labels(&breach.subject_categories, |s| decls.subject_label(s, lang));
    let or_unknown = |v: Vec<String>| {
        if v.is_empty() {
            unknown.to_string()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(
        b,
        "{} {}\n{} {}",
        lang.pick("Données :", "Data:"),
        or_unknown(data),
        lang.pick("Personnes :", "Persons:"),
        or_unknown(persons)
    );
    let count = |n: Option<u64>| n.map_or_else(|| unknown.to_string(), |n| number(n, lang));
    let _ = writeln!(
        b,
        "{} {}\n{} {}",
        lang.pick(
            "Personnes concernées parmi les vôtres, environ :",
            "Your data subjects concerned, approximately:"
        ),
        count(impact.subjects),
        lang.pick(
            "Enregistrements concernés, environ :",
            "Records concerned, approximately:"
        ),
        count(impact.records)
    );
    heading(
        &mut b,
        lang.pick("Conséquences probables", "Likely consequences"),
    );
    list_or(&mut b, &texts(&breach.consequences, lang), unknown);
    heading(
        &mut b,
        lang.pick("Mesures prises ou envisagées", "Measures taken or proposed"),
    );
    let mut measures = texts(&breach.measures_taken, lang);
    measures.extend(texts(&breach.measures_planned, lang));
    list_or(&mut b, &measures, unknown);
    heading(&mut b, lang.pick("Votre contact", "Your contact"));
    body_line(&mut b, &contact_or(breach, unknown));
    heading(&mut b, lang.pick("Vos obligations", "Your obligations"));
    body_line(
        &mut b,
        lang.pick(
            "En tant que responsable de traitement, il vous appartient d'évaluer le risque, de notifier votre autorité de contrôle dans les 72 heures après en avoir pris connaissance si la violation présente un risque (art. 33(1) RGPD), et d'informer les personnes concernées si le risque est élevé (art. 34). Nous vous transmettrons les informations complémentaires dès qu'elles seront connues (art. 33(4)) et vous aiderons à respecter ces obligations (art. 28(3)(f)).",
            "As the controller, it is for you to assess the risk, to notify your supervisory authority within 72 hours of becoming aware if the breach presents a risk (GDPR Art. 33(1)), and to inform the data subjects if the risk is high (Art. 34). We will send further information as soon as it is known (Art. 33(4)) and assist you with these obligations (Art. 28(3)(f)).",
        ),
    );
    sign(&mut b, lang.pick("Cordialement,", "Kind regards,"), decls);
    Ok(Draft {
        lang,
        subject,
        body: b,
    })
}

/// Art. 34(2): the nature of the breach and Art. 33(3)(b), (c), (d).
fn check_art34_content(breach: &Breach) -> Result<(), DraftError> {
    let mut missing = Vec::new();
    if breach.natures.is_empty() || breach.description.is_blank() {
        missing.push("the nature of the breach (description, natures)");
    }
    if !breach.dpo.is_reachable() {
        missing.push("the contact point (dpo)");
    }
    if breach.consequences.is_empty() {
        missing.push("the likely consequences (consequences)");
    }
    if breach.measures_taken.is_empty() && breach.measures_planned.is_empty() {
        missing.push("the measures taken or proposed (measures_taken, measures_planned)");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DraftError::Incomplete {
            id: breach.id.clone(),
            missing,
        })
    }
}

fn art34_sections(b: &mut String, breach: &Breach, decls: &Declarations, lang: Lang) {
    heading(b, lang.pick("Ce qui s'est passé", "What happened"));
    body_line(b, breach.description.get(lang));
    let natures: Vec<&str> = breach.natures.iter().map(|n| n.plain(lang)).collect();
    let _ = writeln!(
        b,
        "{} {}{} {}.",
        lang.pick("Le", "On"),
        day(breach.aware_at, lang),
        lang.pick(", nous avons constaté que", ", we found that"),
        natures.join(lang.pick(" et ", " and "))
    );
    heading(b, lang.pick("Les données concernées", "The data concerned"));
    for c in &breach.data_categories {
        let _ = writeln!(b, "- {}", decls.category_label(c, lang));
    }
    heading(
        b,
        lang.pick(
            "Les conséquences possibles pour vous",
            "What this may mean for you",
        ),
    );
    for t in texts(&breach.consequences, lang) {
        let _ = writeln!(b, "- {t}");
    }
    heading(b, lang.pick("Ce que nous avons fait", "What we have done"));
    for t in texts(&breach.measures_taken, lang) {
        let _ = writeln!(b, "- {t}");
    }
    if !breach.measures_planned.is_empty() {
        heading(b, lang.pick("Ce que nous allons faire", "What we will do"));
        for t in texts(&breach.measures_planned, lang) {
            let _ = writeln!(b, "- {t}");
        }
    }
    if !breach.subject_advice.is_empty() {
        heading(b, lang.pick("Ce que vous pouvez faire", "What you can do"));
        for t in texts(&breach.subject_advice, lang) {
            let _ = writeln!(b, "- {t}");
        }
    }
    heading(b, lang.pick("Pour toute question", "If you have questions"));
    let _ = writeln!(
        b,
        "{} {}",
        lang.pick(
            "Notre délégué à la protection des données :",
            "Our data protection officer:"
        ),
        breach.dpo.one_line()
    );
    let authority = decls.authority();
    let _ = writeln!(
        b,
        "{} {} ({}).",
        lang.pick(
            "Vous pouvez aussi adresser une réclamation à l'autorité de contrôle :",
            "You may also lodge a complaint with the supervisory authority:"
        ),
        lang.pick(authority.name_fr, authority.name_en),
        authority.website
    );
}

fn org_name(decls: &Declarations) -> String {
    decls
        .organisation()
        .map_or_else(String::new, |o| o.name.get_ref().clone())
}

fn sign(b: &mut String, closing: &str, decls: &Declarations) {
    let _ = write!(b, "\n{closing}\n{}\n", org_name(decls));
}

fn apologies(lang: Lang) -> &'static str {
    lang.pick("Avec nos excuses,", "With our apologies,")
}

fn heading(b: &mut String, title: &str) {
    let _ = write!(b, "\n{title}\n");
}

fn body_line(b: &mut String, text: &str) {
    let _ = writeln!(b, "{}", text.trim());
}

fn texts(list: &[habeas_core::declarations::Text], lang: Lang) -> Vec<String> {
    list.iter()
        .map(|t| t.get(lang).trim().to_string())
        .collect()
}

fn labels(ids: &[String], label: impl Fn(&str) -> String) -> Vec<String> {
    ids.iter().map(|id| label(id)).collect()
}

fn list_or(b: &mut String, items: &[String], unknown: &str) {
    if items.is_empty() {
        let _ = writeln!(b, "- {unknown}");
    }
    for i in items {
        let _ = writeln!(b, "- {i}");
    }
}

fn contact_or(breach: &Breach, unknown: &str) -> String {
    if breach.dpo.is_reachable() {
        breach.dpo.one_line()
    } else {
        unknown.to_string()
    }
}
