//! Acknowledgment of a data-subject request: the subject learns it was
//! received, under which reference, and by when it will be answered — the
//! statutory month (Art. 12(3) GDPR) and the provider's own, shorter promise.

use chrono::NaiveDate;
use habeas_core::delay::Delay;
use habeas_core::lang::Lang;
use habeas_core::rights::RequestKind;

use super::render::{Section, date};
use super::{Organisation, Recipient, TemplateError, compose, ref_label, reference, signature};
use crate::mail::{MailKind, OutgoingMail};

/// The provider's promised delay for this kind of request and the date it
/// gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promise {
    pub delay: Delay,
    pub due: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgment {
    pub reference: String,
    pub kind: RequestKind,
    pub received: NaiveDate,
    /// The Art. 12(3) deadline (one month after receipt).
    pub statutory_deadline: NaiveDate,
    pub promise: Option<Promise>,
    /// Whether the subject will first be asked to prove who they are.
    pub identity_check: bool,
}

pub fn request_acknowledgment(
    org: &Organisation,
    recipient: &Recipient,
    ack: &Acknowledgment,
) -> Result<OutgoingMail, TemplateError> {
    let reference = reference(&ack.reference)?;
    if ack.statutory_deadline <= ack.received {
        return Err(TemplateError::Invalid {
            field: "statutory_deadline",
            rule: "the deadline must come after the date of receipt".into(),
        });
    }
    if let Some(promise) = ack.promise
        && (promise.due < ack.received || promise.due > ack.statutory_deadline)
    {
        return Err(TemplateError::Invalid {
            field: "promise.due",
            rule:
                "the promised date must lie between receipt and the statutory deadline (Art. 12(3))"
                    .into(),
        });
    }
    compose(
        recipient,
        MailKind::RequestAcknowledgment,
        Some(reference),
        |lang| {
            let kind = format!(
                "{} ({} {})",
                ack.kind.label(lang),
                lang.pick("RGPD art.", "GDPR Art."),
                ack.kind.article()
            );
            let mut s = Section::new(
                lang,
                format!(
                    "{}{} ({})",
                    lang.pick("Demande reçue : ", "Request received: "),
                    ack.kind.label(lang),
                    ref_label(lang, reference)
                ),
            );
            s.para(match lang {
                Lang::Fr => format!(
                    "Nous avons bien reçu votre demande et l'avons enregistrée sous la référence {reference}."
                ),
                Lang::En => format!(
                    "We have received your request and recorded it under the reference {reference}."
                ),
            });
            let mut facts = vec![
                (lang.pick("Demande", "Request").to_string(), kind),
                (
                    lang.pick("Reçue le", "Received on").to_string(),
                    date(ack.received, lang),
                ),
                (
                    lang.pick("Délai légal de réponse", "Legal deadline for our answer")
                        .to_string(),
                    match lang {
                        Lang::Fr => format!(
                            "au plus tard le {} (un mois, RGPD art. 12(3))",
                            date(ack.statutory_deadline, lang)
                        ),
                        Lang::En => format!(
                            "{} at the latest (one month, GDPR Art. 12(3))",
                            date(ack.statutory_deadline, lang)
                        ),
                    },
                ),
            ];
            if let Some(promise) = ack.promise {
                facts.push((
                    lang.pick("Notre engagement", "Our commitment").to_string(),
                    match (lang, promise.delay) {
                        (Lang::Fr, Delay::Immediate) => "immédiatement".to_string(),
                        (Lang::En, Delay::Immediate) => "immediately".to_string(),
                        (Lang::Fr, delay) => format!(
                            "{}, soit au plus tard le {}",
                            delay.describe(lang),
                            date(promise.due, lang)
                        ),
                        (Lang::En, delay) => format!(
                            "{}, that is by {}",
                            delay.describe(lang),
                            date(promise.due, lang)
                        ),
                    },
                ));
            }
            s.facts(facts);
            // Art. 12(3): the extension must be announced within the first
            // month, with reasons.
            s.para(match lang {
                Lang::Fr => format!(
                    "Si la demande est complexe ou si nous recevons un grand nombre de demandes, le délai légal peut être prolongé de deux mois ; nous vous en informerions alors avant le {}, en vous en donnant les raisons.",
                    date(ack.statutory_deadline, lang)
                ),
                Lang::En => format!(
                    "If the request is complex or we receive many requests, the legal deadline may be extended by two further months; we would then tell you so before {}, with the reasons.",
                    date(ack.statutory_deadline, lang)
                ),
            });
            if ack.identity_check {
                // Art. 12(6): reasonable doubts about identity; the code
                // goes to a contact already on file (EDPB 01/2022 §3.3).
                s.para(lang.pick(
                    "Pour protéger vos données, nous vérifierons d'abord que cette demande vient bien de vous : vous recevrez un code à l'adresse déjà enregistrée sur votre compte.",
                    "To protect your data, we will first check that this request comes from you: you will receive a code at the address already registered on your account.",
                ));
            }
            s.para(lang.pick(
                "Merci de rappeler cette référence dans vos échanges avec nous.",
                "Please quote this reference when you write to us.",
            ));
            s.signature = signature(org, lang)?;
            Ok(s)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn ack() -> Acknowledgment {
        Acknowledgment {
            reference: "DSR-2026-0042".into(),
            kind: RequestKind::Erasure,
            received: d(2026, 12, 4),
            statutory_deadline: d(2027, 1, 4),
            promise: Some(Promise {
                delay: Delay::Days(7),
                due: d(2026, 12, 11),
            }),
            identity_check: true,
        }
    }

    #[test]
    fn snapshots() {
        for (lang, name) in LANGS {
            let mail = request_acknowledgment(&org(), &to(lang), &ack()).unwrap();
            insta::assert_snapshot!(format!("acknowledgment_{name}"), show(&mail));
        }
    }

    #[test]
    fn states_both_deadlines() {
        let mail = request_acknowledgment(&org(), &to(Some(Lang::Fr)), &ack()).unwrap();
        assert!(mail.text.contains("au plus tard le 4 janvier 2027"));
        assert!(
            mail.text
                .contains("7 jours, soit au plus tard le 11 décembre 2026")
        );
        assert_eq!(mail.reference.as_deref(), Some("DSR-2026-0042"));
    }

    #[test]
    fn a_promise_beyond_the_statutory_month_is_refused() {
        let mut a = ack();
        a.promise = Some(Promise {
            delay: Delay::Months(2),
            due: d(2027, 2, 4),
        });
        let err = request_acknowledgment(&org(), &to(None), &a).unwrap_err();
        assert!(matches!(
            err,
            TemplateError::Invalid {
                field: "promise.due",
                ..
            }
        ));
    }
}
