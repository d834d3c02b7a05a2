//! Extension of the answer deadline. Art. 12(3) GDPR: the month may be
//! extended by two further months where necessary, taking into account the
//! complexity and number of requests; the subject must be told within the
//! first month, with the reasons.

use chrono::NaiveDate;
use habeas_core::calendar::HolidayCalendar;
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
    /// The new deadline: at most three months after receipt, that date moved to the next
    /// working day when it is a Saturday, Sunday or public holiday (Reg. 1182/71 art. 3(4)).
    pub new_deadline: NaiveDate,
    /// The provider's public holidays, by which the three months' last day moves.
    pub calendar: HolidayCalendar,
    /// Why more time is needed (Art. 12(3): "together with the reasons").
    pub reasons: Localized,
}

pub fn deadline_extension(
    org: &Organisation,
    recipient: &Recipient,
    x: &DeadlineExtension,
) -> Result<OutgoingMail, TemplateError> {
    let reference = reference(&x.reference)?;
    // Art. 12(3): "by two further months" — at most three months in all, whose last day
    // moves to the next working day when it is not one (Reg. 1182/71 art. 3(4)), as the
    // deadline itself does (habeas_core::rights::extended_deadline).
    let limit = x.calendar.roll_forward(add_months_clamped(x.received, 3));
    if x.new_deadline <= x.original_deadline || x.new_deadline > limit {
        return Err(TemplateError::Invalid {
            field: "new_deadline",
            rule: format!(
                "must come after the original deadline and on or before {limit} (receipt + 3 months, Art. 12(3) GDPR, moved to a working day)"
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
            calendar: HolidayCalendar::Fr,
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
        // 30 Nov + 3 months clamps to 28 Feb 2027, a Sunday: the period ends on Monday
        // 1 March (Reg. 1182/71 art. 3(4)), which an extension may reach; 2 March is too late.
        x.new_deadline = d(2027, 3, 1);
        assert!(deadline_extension(&org(), &to(None), &x).is_ok());
        x.new_deadline = d(2027, 3, 2);
        let err = deadline_extension(&org(), &to(None), &x).unwrap_err();
        assert!(err.to_string().contains("2027-03-01"), "{err}");
        // Received on Sunday 6 December 2026: 6 March 2027 is a Saturday, the legal
        // deadline Monday 8 March, as `extended_deadline` computes it.
        x.received = d(2026, 12, 6);
        x.original_deadline = d(2027, 1, 6);
        x.new_deadline = habeas_core::rights::extended_deadline(
            habeas_core::calendar::end_of_local_day(d(2026, 12, 6)) - chrono::Duration::hours(1),
            HolidayCalendar::Fr,
            2,
        )
        .legal;
        assert_eq!(x.new_deadline, d(2027, 3, 8));
        assert!(deadline_extension(&org(), &to(None), &x).is_ok());
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
