//! Notice that a restriction of processing is about to be lifted. Art. 18(3)
//! GDPR: a data subject who has obtained restriction "shall be informed by
//! the controller before the restriction of processing is lifted".

use chrono::NaiveDate;
use habeas_core::lang::Lang;

use super::render::{Section, date};
use super::{Organisation, Recipient, TemplateError, compose, signature};
use crate::mail::{MailKind, OutgoingMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestrictionLifted {
    /// The purpose (processing activity) whose restriction ends, as named in
    /// the register, e.g. "PA-0001 — Gestion des comptes clients".
    pub purpose: String,
    /// The day processing for that purpose resumes.
    pub lifted_on: NaiveDate,
}

pub fn restriction_lifted(
    org: &Organisation,
    recipient: &Recipient,
    x: &RestrictionLifted,
) -> Result<OutgoingMail, TemplateError> {
    if x.purpose.trim().is_empty() {
        return Err(TemplateError::Invalid {
            field: "purpose",
            rule: "must name the purpose whose restriction is lifted (Art. 18(3) GDPR)".into(),
        });
    }
    compose(recipient, MailKind::RestrictionLifted, None, |lang| {
        let mut s = Section::new(
            lang,
            lang.pick(
                "Fin de la limitation du traitement",
                "End of the restriction of processing",
            )
            .to_string(),
        );
        s.para(match lang {
            Lang::Fr => format!(
                "Vous aviez obtenu la limitation du traitement de vos données pour la finalité « {} » (article 18 du RGPD). Comme l'exige l'article 18(3), nous vous informons avant de lever cette limitation : le traitement pour cette finalité reprendra le {}.",
                x.purpose,
                date(x.lifted_on, lang)
            ),
            Lang::En => format!(
                "You had obtained the restriction of the processing of your data for the purpose \"{}\" (Article 18 GDPR). As Article 18(3) requires, we are telling you before the restriction is lifted: processing for this purpose resumes on {}.",
                x.purpose,
                date(x.lifted_on, lang)
            ),
        });
        s.para(lang.pick(
            "Vous pouvez vous opposer à ce traitement (article 21) ou demander à nouveau sa limitation si vous contestez l'exactitude de vos données ou la licéité du traitement.",
            "You may object to this processing (Article 21) or ask again for its restriction if you contest the accuracy of your data or the lawfulness of the processing.",
        ));
        s.para(super::remedies(org, lang));
        s.signature = signature(org, lang)?;
        Ok(s)
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn art18_3_the_subject_is_told_which_purpose_resumes_and_when() {
        let x = RestrictionLifted {
            purpose: "PA-0001 — Gestion des comptes clients".into(),
            lifted_on: d(2026, 12, 7),
        };
        let mail = restriction_lifted(&org(), &to(None), &x).unwrap();
        let text = show(&mail);
        assert!(text.contains("PA-0001"), "{text}");
        assert!(text.contains("18(3)"), "{text}");
        assert!(text.contains("Fin de la limitation"), "{text}");
        assert!(text.contains("End of the restriction"), "{text}");
    }

    #[test]
    fn a_purpose_is_required() {
        let x = RestrictionLifted {
            purpose: " ".into(),
            lifted_on: d(2026, 12, 7),
        };
        assert!(restriction_lifted(&org(), &to(None), &x).is_err());
    }
}
