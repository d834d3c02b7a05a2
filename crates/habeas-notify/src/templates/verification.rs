//! The identity-verification code. Art. 12(6) GDPR lets a controller with
//! reasonable doubts ask for what confirms identity; the EDPB (Guidelines
//! 01/2022 §3.3) prefers a one-time code sent to a contact already on file
//! over collecting more data. The message says how long the code is valid
//! and that someone who asked for nothing can ignore it.

use chrono::{DateTime, FixedOffset};
use habeas_core::lang::Lang;

use super::render::{Section, date_time};
use super::{
    Organisation, Recipient, TemplateError, compose, one_time_code, ref_label, reference, signature,
};
use crate::mail::{MailKind, OutgoingMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationCode {
    /// The request being verified.
    pub reference: String,
    pub code: String,
    pub expires_at: DateTime<FixedOffset>,
}

pub fn verification_code(
    org: &Organisation,
    recipient: &Recipient,
    v: &VerificationCode,
) -> Result<OutgoingMail, TemplateError> {
    let reference = reference(&v.reference)?;
    let code = one_time_code(&v.code)?;
    compose(
        recipient,
        MailKind::VerificationCode,
        Some(reference),
        |lang| {
            let mut s = Section::new(
                lang,
                format!(
                    "{} ({})",
                    lang.pick("Votre code de vérification", "Your verification code"),
                    ref_label(lang, reference)
                ),
            );
            s.para(match lang {
            Lang::Fr => format!(
                "Pour confirmer que la demande {reference} vient bien de vous, saisissez ce code :"
            ),
            Lang::En => format!(
                "To confirm that request {reference} comes from you, enter this code:"
            ),
        });
            s.code(code);
            s.para(match lang {
            Lang::Fr => format!(
                "Ce code expire le {}. Ne le communiquez à personne : nos équipes ne vous le demanderont jamais.",
                date_time(v.expires_at, lang)
            ),
            Lang::En => format!(
                "This code expires on {}. Do not share it: our staff will never ask you for it.",
                date_time(v.expires_at, lang)
            ),
        });
            s.para(lang.pick(
            "Si vous n'avez fait aucune demande, ignorez ce message : sans ce code, rien ne sera fait.",
            "If you did not make any request, ignore this message: without this code, nothing will be done.",
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

    fn code() -> VerificationCode {
        VerificationCode {
            reference: "DSR-2026-0042".into(),
            code: "482 913".into(),
            expires_at: DateTime::parse_from_rfc3339("2026-12-04T15:52:00+01:00").unwrap(),
        }
    }

    #[test]
    fn snapshots() {
        for (lang, name) in LANGS {
            let mail = verification_code(&org(), &to(lang), &code()).unwrap();
            insta::assert_snapshot!(format!("verification_{name}"), show(&mail));
        }
    }

    #[test]
    fn a_code_with_markup_is_refused() {
        let mut c = code();
        c.code = "<script>".into();
        assert!(verification_code(&org(), &to(None), &c).is_err());
    }
}
