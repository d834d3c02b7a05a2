//! Communication of a personal-data breach to a data subject. Art. 34(2)
//! GDPR: in clear and plain language, the nature of the breach and at least
//! the items of Art. 33(3)(b), (c) and (d) — the contact point (DPO), the
//! likely consequences, the measures taken or proposed, mitigation
//! included. The APD adds a short description of the data involved
//! (STANDARDS §3.4), and what the person can do themselves.

use chrono::NaiveDate;
use habeas_core::lang::Lang;

use super::render::{Section, date};
use super::{
    Localized, Organisation, Recipient, TemplateError, compose, localized, ref_label, reference,
    required, signature,
};
use crate::mail::{MailKind, OutgoingMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachCommunication {
    /// The breach register entry (Art. 33(5)).
    pub reference: String,
    /// When the provider became aware of the breach.
    pub discovered: NaiveDate,
    /// What happened (Art. 34(2): the nature of the breach).
    pub nature: Localized,
    /// Which of the person's data is involved.
    pub data_concerned: Localized,
    /// Art. 33(3)(c).
    pub likely_consequences: Localized,
    /// Art. 33(3)(d): measures taken or proposed, mitigation included.
    pub measures: Localized,
    /// What the person can do to protect themselves.
    pub recommendations: Option<Localized>,
}

pub fn breach_communication(
    org: &Organisation,
    recipient: &Recipient,
    b: &BreachCommunication,
) -> Result<OutgoingMail, TemplateError> {
    let reference = reference(&b.reference)?;
    compose(
        recipient,
        MailKind::BreachCommunication,
        Some(reference),
        |lang| {
            let nature = localized("nature", &b.nature, lang)?;
            let data = localized("data_concerned", &b.data_concerned, lang)?;
            let consequences = localized("likely_consequences", &b.likely_consequences, lang)?;
            let measures = localized("measures", &b.measures, lang)?;
            // Art. 33(3)(b): the DPO or other contact point.
            let contact = required("organisation.dpo_contact", &org.dpo_contact)?;
            let mut s = Section::new(
                lang,
                format!(
                    "{} ({})",
                    lang.pick(
                        "Information importante : incident de sécurité concernant vos données",
                        "Important: a security incident involving your data"
                    ),
                    ref_label(lang, reference)
                ),
            );
            s.para(match lang {
                Lang::Fr => format!(
                    "Le {}, nous avons découvert un incident de sécurité qui concerne certaines de vos données personnelles. Nous vous en informons comme l'exige l'article 34 du RGPD, parce que cet incident peut présenter un risque élevé pour vous.",
                    date(b.discovered, lang)
                ),
                Lang::En => format!(
                    "On {}, we discovered a security incident involving some of your personal data. We are informing you as Article 34 GDPR requires, because this incident may present a high risk to you.",
                    date(b.discovered, lang)
                ),
            });
            s.facts(vec![
                (
                    lang.pick("Ce qui s'est passé", "What happened").into(),
                    nature.into(),
                ),
                (
                    lang.pick("Données concernées", "Data involved").into(),
                    data.into(),
                ),
                (
                    lang.pick("Conséquences possibles", "Likely consequences")
                        .into(),
                    consequences.into(),
                ),
                (
                    lang.pick("Ce que nous avons fait", "What we have done")
                        .into(),
                    measures.into(),
                ),
            ]);
            if let Some(recommendations) = &b.recommendations {
                let text = localized("recommendations", recommendations, lang)?;
                s.para(format!(
                    "{}{text}",
                    lang.pick(
                        "Ce que nous vous conseillons : ",
                        "What we advise you to do: "
                    )
                ));
            }
            s.para(match lang {
                Lang::Fr => format!(
                    "Pour toute question, notre délégué à la protection des données vous répond : {contact} (référence {reference})."
                ),
                Lang::En => format!(
                    "For any question, our data protection officer will answer you: {contact} (reference {reference})."
                ),
            });
            s.para(super::remedies(org, lang));
            s.signature = signature(org, lang)?;
            Ok(s)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    pub fn breach() -> BreachCommunication {
        BreachCommunication {
            reference: "BRE-2026-0007".into(),
            discovered: d(2026, 12, 2),
            nature: Localized::new(
                "Un tiers a accédé sans autorisation à une sauvegarde de la base des comptes de messagerie.",
                "A third party gained unauthorised access to a backup of the mail account database.",
            ),
            data_concerned: Localized::new(
                "Votre adresse e-mail, votre nom et l'empreinte (hachée) de votre mot de passe.",
                "Your e-mail address, your name and the (hashed) fingerprint of your password.",
            ),
            likely_consequences: Localized::new(
                "Des messages d'hameçonnage (« phishing ») pourraient vous viser.",
                "You may be targeted by phishing messages.",
            ),
            measures: Localized::new(
                "L'accès a été coupé, la sauvegarde supprimée et tous les mots de passe réinitialisés.",
                "Access was cut off, the backup deleted and every password reset.",
            ),
            recommendations: Some(Localized::new(
                "Choisissez un nouveau mot de passe et méfiez-vous des messages qui vous demandent vos identifiants.",
                "Choose a new password and beware of messages asking for your credentials.",
            )),
        }
    }

    #[test]
    fn snapshots() {
        for (lang, name) in LANGS {
            let mail = breach_communication(&org(), &to(lang), &breach()).unwrap();
            insta::assert_snapshot!(format!("breach_{name}"), show(&mail));
        }
    }

    #[test]
    fn holds_every_item_of_article_34_2() {
        let mail = breach_communication(&org(), &to(Some(Lang::En)), &breach()).unwrap();
        for needle in [
            "What happened",
            "dpo@hebergeur.example",
            "Likely consequences",
            "What we have done",
        ] {
            assert!(mail.text.contains(needle), "{needle}");
        }
    }

    #[test]
    fn an_empty_measure_is_refused() {
        let mut b = breach();
        b.measures = Localized::same("");
        assert_eq!(
            breach_communication(&org(), &to(None), &b).unwrap_err(),
            TemplateError::Empty { field: "measures" }
        );
    }
}
