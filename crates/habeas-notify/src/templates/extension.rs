//! Extension of the answer deadline. Art. 12(3) GDPR: the month may be
//! extended by two further months where necessary, taking into account the
//! complexity and number of requests; the subject must be told within the
//! first month, with the reasons.

use chrono::NaiveDate;
use habeas_core::lang::Lang;
use habeas_core::rights::{RequestKind, add_months_clamped};

use super::render::{Section, date};
use super::{
    Localized, Organisation, Recipient, TemplateError, compose, localized, ref_label, reference,
    signature,
};
use crate::mail::{MailKind, OutgoingMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineExtension {
    pub reference: String,
    pub kind: RequestKind,
    pub received: NaiveDate,
    /// The first deadline (one month after receipt).
    pub original_deadline: NaiveDate,
    /// The new deadline, at most three months after receipt.
    pub new_deadline: NaiveDate,
    /// Why more time is needed (Art. 12(3): "together with the reasons").
    pub reasons: Localized,
}

pub fn deadline_extension(
    org: &Organisation,
    recipient: &Recipient,
    x: &DeadlineExtension,
) -> Result<OutgoingMail, TemplateError> {
    let reference = reference(&x.reference)?;
    // Art. 12(3): "by two further months" — at most three months in all.
    let limit = add_months_clamped(x.received, 3);
    if x.new_deadline <= x.original_deadline || x.new_deadline > limit {
        return Err(TemplateError::Invalid {
            field: "new_deadline",
            rule: format!(
                "must come after the original deadline and on or before {limit} (receipt + 3 months, Art. 12(3) GDPR)"
            ),
        });
    }
    compose(
        recipient,
        MailKind::DeadlineExtension,
        Some(reference),
        |lang| {
            let reasons = localized("reasons", &x.reasons, lang)?;
            let mut s = Section::new(
                lang,
                format!(
                    "{} ({})",
                    lang.pick("Délai de réponse prolongé", "Answer deadline extended"),
                    ref_label(lang, reference)
                ),
            );
            s.para(match lang {
            Lang::Fr => format!(
                "Votre demande {reference} ({}), reçue le {}, demande plus de temps que prévu. Comme le permet l'article 12(3) du RGPD, nous prolongeons le délai de réponse.",
                x.kind.label(lang),
                date(x.received, lang)
            ),
            Lang::En => format!(
                "Your request {reference} ({}), received on {}, needs more time than planned. As Article 12(3) GDPR allows, we are extending the deadline for our answer.",
                x.kind.label(lang),
                date(x.received, lang)
            ),
        });
            s.facts(vec![
                (
                    lang.pick("Délai initial", "Original deadline").into(),
                    date(x.original_deadline, lang),
                ),
                (
                    lang.pick("Nouveau délai", "New deadline").into(),
                    date(x.new_deadline, lang),
                ),
                (lang.pick("Raisons", "Reasons").into(), reasons.into()),
            ]);
            s.para(lang.pick(
            "Nous vous répondrons dès que possible, sans attendre cette date si nous le pouvons.",
            "We will answer as soon as we can, before that date if possible.",
        ));
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

    fn ext() -> DeadlineExtension {
        DeadlineExtension {
            reference: "DSR-2026-0042".into(),
            kind: RequestKind::Access,
            received: d(2026, 11, 30),
            original_deadline: d(2026, 12, 30),
            new_deadline: d(2027, 2, 28),
            reasons: Localized::new(
                "Vos données sont réparties entre trois services d'hébergement & de messagerie à rassembler.",
                "Your data is spread across three hosting & mail services that we must gather.",
            ),
        }
    }

    #[test]
    fn snapshots() {
        for (lang, name) in LANGS {
            let mail = deadline_extension(&org(), &to(lang), &ext()).unwrap();
            insta::assert_snapshot!(format!("extension_{name}"), show(&mail));
        }
    }

    #[test]
    fn no_more_than_two_further_months() {
        let mut x = ext();
        // 30 Nov + 3 months clamps to 28 Feb: 1 March is one day too late.
        x.new_deadline = d(2027, 3, 1);
        let err = deadline_extension(&org(), &to(None), &x).unwrap_err();
        assert!(err.to_string().contains("2027-02-28"), "{err}");
    }

    #[test]
    fn reasons_are_required_in_the_message_language() {
        let mut x = ext();
        x.reasons = Localized::new("Trop de demandes simultanées.", "");
        assert!(deadline_extension(&org(), &to(Some(Lang::Fr)), &x).is_ok());
        assert_eq!(
            deadline_extension(&org(), &to(None), &x).unwrap_err(),
            TemplateError::MissingTranslation {
                field: "reasons",
                lang: Lang::En
            }
        );
    }
}
