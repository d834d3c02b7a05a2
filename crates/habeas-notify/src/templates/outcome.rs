//! The end of a request: done, or refused. A refusal must give the reasons
//! and tell the subject of the right to complain to a supervisory authority
//! and to seek a judicial remedy (Art. 12(4) GDPR). The same remedies close
//! the "done" notice: the subject may disagree with how it was done.

use chrono::NaiveDate;
use habeas_core::lang::Lang;
use habeas_core::rights::{RefusalReason, RequestKind};

use super::render::{Section, date};
use super::{
    Localized, Organisation, Recipient, TemplateError, compose, localized, ref_label, reference,
    remedies, signature,
};
use crate::mail::{MailKind, OutgoingMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDone {
    pub reference: String,
    pub kind: RequestKind,
    pub received: NaiveDate,
    pub completed: NaiveDate,
    /// What was done, e.g. which data was kept under a legal obligation
    /// after an erasure (Art. 17(3)(b)) or where to download an export.
    pub details: Option<Localized>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRefused {
    pub reference: String,
    pub kind: RequestKind,
    pub received: NaiveDate,
    pub reason: RefusalReason,
    /// The facts behind the reason, in plain words.
    pub explanation: Localized,
}

pub fn request_done(
    org: &Organisation,
    recipient: &Recipient,
    done: &RequestDone,
) -> Result<OutgoingMail, TemplateError> {
    let reference = reference(&done.reference)?;
    if done.completed < done.received {
        return Err(TemplateError::Invalid {
            field: "completed",
            rule: "a request cannot be completed before it was received".into(),
        });
    }
    compose(recipient, MailKind::RequestDone, Some(reference), |lang| {
        let mut s = Section::new(
            lang,
            format!(
                "{}{} ({})",
                lang.pick("Demande traitée : ", "Request completed: "),
                done.kind.label(lang),
                ref_label(lang, reference)
            ),
        );
        s.para(match lang {
            Lang::Fr => format!(
                "Votre demande {reference} ({}), reçue le {}, a été traitée le {}.",
                done.kind.label(lang),
                date(done.received, lang),
                date(done.completed, lang)
            ),
            Lang::En => format!(
                "Your request {reference} ({}), received on {}, was completed on {}.",
                done.kind.label(lang),
                date(done.received, lang),
                date(done.completed, lang)
            ),
        });
        if let Some(details) = &done.details {
            s.para(localized("details", details, lang)?);
        }
        s.para(remedies(org, lang));
        s.signature = signature(org, lang)?;
        Ok(s)
    })
}

pub fn request_refused(
    org: &Organisation,
    recipient: &Recipient,
    refused: &RequestRefused,
) -> Result<OutgoingMail, TemplateError> {
    let reference = reference(&refused.reference)?;
    if !refused.reason.applies_to(refused.kind) {
        return Err(TemplateError::Invalid {
            field: "reason",
            rule: format!(
                "`{}` cannot refuse a {} request",
                refused.reason.key(),
                refused.kind.key()
            ),
        });
    }
    compose(
        recipient,
        MailKind::RequestRefused,
        Some(reference),
        |lang| {
            let explanation = localized("explanation", &refused.explanation, lang)?;
            let mut s = Section::new(
                lang,
                format!(
                    "{}{} ({})",
                    lang.pick("Réponse à votre demande : ", "Answer to your request: "),
                    refused.kind.label(lang),
                    ref_label(lang, reference)
                ),
            );
            s.para(match lang {
            Lang::Fr => format!(
                "Nous ne pouvons pas donner suite à votre demande {reference} ({}), reçue le {}.",
                refused.kind.label(lang),
                date(refused.received, lang)
            ),
            Lang::En => format!(
                "We cannot act on your request {reference} ({}), received on {}.",
                refused.kind.label(lang),
                date(refused.received, lang)
            ),
        });
            s.facts(vec![
                (
                    lang.pick("Motif", "Reason").into(),
                    refused.reason.label(lang),
                ),
                (
                    lang.pick("Explication", "Explanation").into(),
                    explanation.into(),
                ),
            ]);
            // Art. 12(4): the reasons, the right to complain, the judicial remedy.
            s.para(remedies(org, lang));
            s.para(lang.pick(
            "Vous pouvez aussi nous écrire pour nous apporter des éléments nouveaux : nous réexaminerons alors votre demande.",
            "You may also write to us with new information: we will then look at your request again.",
        ));
            s.signature = signature(org, lang)?;
            Ok(s)
        },
    )
}

#[cfg(test)]
mod tests {
    use habeas_core::rights::Art17Exemption;

    use super::super::fixtures::*;
    use super::super::{Authority, Organisation};
    use super::*;

    fn done() -> RequestDone {
        RequestDone {
            reference: "DSR-2026-0042".into(),
            kind: RequestKind::Erasure,
            received: d(2026, 12, 4),
            completed: d(2026, 12, 9),
            details: Some(Localized::new(
                "Vos factures sont conservées 10 ans (Code de commerce, art. L123-22), puis supprimées.",
                "Your invoices are kept for 10 years (French Commercial Code, Art. L123-22), then deleted.",
            )),
        }
    }

    fn refused() -> RequestRefused {
        RequestRefused {
            reference: "DSR-2026-0043".into(),
            kind: RequestKind::Erasure,
            received: d(2026, 12, 4),
            reason: RefusalReason::ErasureExemption {
                exemption: Art17Exemption::LegalObligation,
            },
            explanation: Localized::new(
                "Les factures émises pour votre contrat doivent être conservées 10 ans.",
                "Invoices issued for your contract must be kept for 10 years.",
            ),
        }
    }

    #[test]
    fn snapshots() {
        for (lang, name) in LANGS {
            let mail = request_done(&org(), &to(lang), &done()).unwrap();
            insta::assert_snapshot!(format!("done_{name}"), show(&mail));
            let mail = request_refused(&org(), &to(lang), &refused()).unwrap();
            insta::assert_snapshot!(format!("refused_{name}"), show(&mail));
        }
    }

    #[test]
    fn a_refusal_names_the_authority_and_the_courts() {
        let belgian = Organisation {
            authority: Authority::Apd,
            ..org()
        };
        let mail = request_refused(&belgian, &to(Some(Lang::Fr)), &refused()).unwrap();
        assert!(mail.text.contains("Autorité de protection des données"));
        assert!(mail.text.contains("recours juridictionnel"));
        assert!(mail.text.contains("RGPD art. 17(3)(b)"));
    }

    #[test]
    fn a_reason_that_does_not_fit_the_request_is_refused() {
        let mut r = refused();
        r.kind = RequestKind::Access;
        let err = request_refused(&org(), &to(None), &r).unwrap_err();
        assert!(err.to_string().contains("erasure_exemption"), "{err}");
    }
}
