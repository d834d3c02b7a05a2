//! Announcement of a substantial change to the privacy notice, sent to every
//! subject with a registered address before the new version applies.
//!
//! Why in advance: information must reach subjects before they are
//! processed on new terms (Art. 13(3) and 14(4) GDPR for a new purpose),
//! and the Article 29 Working Party's transparency guidelines (WP260
//! rev.01, on changes to Art. 13/14 information) ask that substantial
//! changes be communicated ahead, so subjects can object or leave before
//! they apply. The period is the provider's declared one
//! (`[rights] notice_change_period`); `habeas-core::notice` enforces it.

use chrono::NaiveDate;
use habeas_core::lang::Lang;

use super::render::{Section, date};
use super::sign_in::safe_link;
use super::{Organisation, Recipient, TemplateError, compose, reference, signature};
use crate::mail::{MailKind, OutgoingMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeChange {
    /// The new version's label, also the message's reference.
    pub version: String,
    /// The version it replaces, if any.
    pub previous: Option<String>,
    /// The day the new version applies.
    pub effective: NaiveDate,
    /// The day it was published (the announcement's date).
    pub published: NaiveDate,
    /// Where the text and the changes can be read (`https://` only); `None`
    /// when the provider has no public address: the message then says to
    /// ask the data-protection contact.
    pub diff_link: Option<String>,
}

pub fn notice_change(
    org: &Organisation,
    recipient: &Recipient,
    c: &NoticeChange,
) -> Result<OutgoingMail, TemplateError> {
    let version = reference(&c.version).map_err(|_| TemplateError::Invalid {
        field: "version",
        rule: "use 1 to 64 printable ASCII characters without spaces, e.g. 2026-12".into(),
    })?;
    if c.effective < c.published {
        return Err(TemplateError::Invalid {
            field: "effective",
            rule: "the new version must apply on or after its publication date".into(),
        });
    }
    let link = c.diff_link.as_deref().map(safe_link).transpose()?;
    compose(recipient, MailKind::NoticeChange, Some(version), |lang| {
        let mut s = Section::new(
            lang,
            match lang {
                Lang::Fr => format!(
                    "Changement de la politique de confidentialité — {}",
                    org.name
                ),
                Lang::En => format!("Privacy notice change — {}", org.name),
            },
        );
        s.para(match lang {
            Lang::Fr => format!(
                "Nous modifions notre politique de confidentialité de manière importante. La nouvelle version ({version}) s'appliquera à partir du {}. Nous vous en informons à l'avance, comme le prévoient les articles 12 à 14 du RGPD, afin que vous puissiez en prendre connaissance et exercer vos droits avant cette date.",
                date(c.effective, lang)
            ),
            Lang::En => format!(
                "We are making a substantial change to our privacy notice. The new version ({version}) applies from {}. We are telling you in advance, as Articles 12 to 14 GDPR require, so that you can read it and exercise your rights before that date.",
                date(c.effective, lang)
            ),
        });
        let mut facts = vec![
            (
                lang.pick("Nouvelle version", "New version").into(),
                version.to_string(),
            ),
            (
                lang.pick("Publiée le", "Published on").into(),
                date(c.published, lang),
            ),
            (
                lang.pick("S'applique à partir du", "Applies from").into(),
                date(c.effective, lang),
            ),
        ];
        if let Some(previous) = &c.previous {
            facts.push((
                lang.pick("Remplace la version", "Replaces version").into(),
                previous.clone(),
            ));
        }
        s.facts(facts);
        match link {
            Some(link) => {
                s.para(lang.pick(
                    "Le texte complet et les changements par rapport à la version précédente :",
                    "The full text and the changes from the previous version:",
                ));
                s.link(lang.pick("Lire les changements", "Read the changes"), link);
            }
            None => {
                s.para(lang.pick(
                    "Pour recevoir le texte complet et les changements par rapport à la version précédente, écrivez à notre contact protection des données ci-dessous.",
                    "To receive the full text and the changes from the previous version, write to our data protection contact below.",
                ));
            }
        }
        s.para(lang.pick(
            "Vous pouvez à tout moment retirer un consentement, vous opposer à un traitement ou demander l'effacement de vos données (RGPD art. 7, 17 et 21).",
            "You may at any time withdraw a consent, object to processing or ask for your data to be erased (GDPR Art. 7, 17 and 21).",
        ));
        s.signature = signature(org, lang)?;
        Ok(s)
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn change() -> NoticeChange {
        NoticeChange {
            version: "2026-12".into(),
            previous: Some("2026-01".into()),
            effective: d(2027, 1, 4),
            published: d(2026, 12, 4),
            diff_link: Some("https://donnees.hebergeur.example/portail/politique#v-2026-12".into()),
        }
    }

    #[test]
    fn the_announcement_names_the_version_date_and_link_in_each_language() {
        let fr = notice_change(&org(), &to(Some(Lang::Fr)), &change()).unwrap();
        assert_eq!(
            fr.subject,
            "Changement de la politique de confidentialité — Hébergeur Exemple SAS"
        );
        assert!(
            fr.text.contains("à partir du 4 janvier 2027"),
            "{}",
            fr.text
        );
        assert!(fr.text.contains("portail/politique#v-2026-12"));
        assert_eq!(fr.kind, MailKind::NoticeChange);
        assert_eq!(fr.reference.as_deref(), Some("2026-12"));
        let both = notice_change(&org(), &to(None), &change()).unwrap();
        assert!(both.subject.contains("Changement de la politique"));
        assert!(both.subject.contains("Privacy notice change"));
        assert!(both.text.contains("applies from"));
        let fr_at = both.text.find("Nous modifions").unwrap();
        assert!(
            fr_at < both.text.find("We are making").unwrap(),
            "French first"
        );
    }

    #[test]
    fn without_a_public_address_the_message_says_whom_to_ask() {
        let mut c = change();
        c.diff_link = None;
        let en = notice_change(&org(), &to(Some(Lang::En)), &c).unwrap();
        assert!(en.text.contains("write to our data protection contact"));
        assert!(!en.text.contains("https://donnees"));
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let mut c = change();
        c.diff_link = Some("http://donnees.example/x".into());
        assert_eq!(
            notice_change(&org(), &to(None), &c).unwrap_err(),
            TemplateError::UnsafeLink { field: "link" }
        );
        let mut c = change();
        c.effective = d(2026, 11, 1);
        assert!(matches!(
            notice_change(&org(), &to(None), &c).unwrap_err(),
            TemplateError::Invalid {
                field: "effective",
                ..
            }
        ));
        let mut c = change();
        c.version = "deux mots".into();
        assert!(matches!(
            notice_change(&org(), &to(None), &c).unwrap_err(),
            TemplateError::Invalid {
                field: "version",
                ..
            }
        ));
    }
}
