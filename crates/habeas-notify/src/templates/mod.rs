//! The notices Habeas sends, as typed functions returning an
//! [`OutgoingMail`]. One module per notice; each says which article it
//! serves. Text is written French first: with a known language the message
//! is in that language, with an unknown one it holds the French block, then
//! the English block.
//!
//! Values typed by staff (reasons, descriptions) come as [`Localized`]
//! pairs, so a bilingual message never shows French text under an English
//! heading. Inputs are checked (empty fields, missing translation, unsafe
//! links, impossible dates) and a bad one gives a [`TemplateError`] naming
//! the field, never a half-written notice.

mod acknowledgment;
mod breach;
mod extension;
mod notice_change;
mod outcome;
mod render;
mod restriction;
mod sign_in;
mod subprocessor;
mod verification;

pub use acknowledgment::{Acknowledgment, Promise, request_acknowledgment};
pub use breach::{BreachCommunication, breach_communication};
pub use extension::{DeadlineExtension, deadline_extension};
pub use notice_change::{NoticeChange, notice_change};
pub use outcome::{RequestDone, RequestRefused, request_done, request_refused};
pub use render::{date, date_time, escape};
pub use restriction::{RestrictionLifted, restriction_lifted};
pub use sign_in::{PortalSignIn, portal_sign_in};
pub use subprocessor::{SubprocessorChange, SubprocessorChangeKind, subprocessor_change};
pub use verification::{VerificationCode, verification_code};

use habeas_core::lang::Lang;

use crate::address::MailAddress;
use crate::mail::{MailKind, OutgoingMail};
use render::Section;

/// Who sends the notices: the controller (or, for Art. 28 notices, the
/// processor) and where people reach its data-protection contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub name: String,
    /// The DPO or privacy contact point (an address or a web form).
    pub dpo_contact: String,
    /// The authority subjects can complain to (Art. 77).
    pub authority: Authority,
}

/// The supervisory authority named in Art. 12(4) notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// Commission nationale de l'informatique et des libertés (France).
    Cnil,
    /// Autorité de protection des données / Gegevensbeschermingsautoriteit
    /// (Belgium).
    Apd,
}

impl Authority {
    fn name(self, lang: Lang) -> &'static str {
        match self {
            Authority::Cnil => lang.pick(
                "la Commission nationale de l'informatique et des libertés (CNIL)",
                "the French data protection authority (CNIL)",
            ),
            Authority::Apd => lang.pick(
                "l'Autorité de protection des données (APD)",
                "the Belgian Data Protection Authority (APD/GBA)",
            ),
        }
    }

    fn url(self, lang: Lang) -> &'static str {
        match self {
            Authority::Cnil => "https://www.cnil.fr/fr/plaintes",
            Authority::Apd => lang.pick(
                "https://www.autoriteprotectiondonnees.be",
                "https://www.dataprotectionauthority.be",
            ),
        }
    }
}

/// Who receives a notice, and in which language (`None`: unknown, so both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub to: MailAddress,
    pub lang: Option<Lang>,
}

/// A text written by staff, in both languages. Use [`Localized::same`] for
/// text that reads the same in both (a product name, a URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized {
    pub fr: String,
    pub en: String,
}

impl Localized {
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Localized {
        Localized {
            fr: fr.into(),
            en: en.into(),
        }
    }

    pub fn same(text: impl Into<String>) -> Localized {
        let text = text.into();
        Localized {
            fr: text.clone(),
            en: text,
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.fr, &self.en)
    }
}

/// Why a notice could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("notice field `{field}` is empty: fill it in")]
    Empty { field: &'static str },
    #[error(
        "notice field `{field}` has no {lang} text, and the message needs it: write the {lang} version, or send in the other language"
    )]
    MissingTranslation { field: &'static str, lang: Lang },
    #[error("notice field `{field}` must be an https:// link without spaces or quotes")]
    UnsafeLink { field: &'static str },
    #[error("notice field `{field}`: {rule}")]
    Invalid { field: &'static str, rule: String },
}

/// Builds the sections for the recipient's language(s) and assembles the
/// message. `write` is called once per language, French first.
pub(crate) fn compose(
    recipient: &Recipient,
    kind: MailKind,
    reference: Option<&str>,
    write: impl Fn(Lang) -> Result<Section, TemplateError>,
) -> Result<OutgoingMail, TemplateError> {
    let langs: Vec<Lang> = match recipient.lang {
        Some(lang) => vec![lang],
        None => Lang::ALL.to_vec(),
    };
    let sections = langs
        .into_iter()
        .map(write)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OutgoingMail {
        to: recipient.to.clone(),
        subject: render::subject(&sections),
        text: render::text(&sections),
        html: Some(render::html(&sections)),
        lang: recipient.lang,
        kind,
        reference: reference.map(str::to_string),
    })
}

/// A required single-language value.
pub(crate) fn required<'a>(field: &'static str, value: &'a str) -> Result<&'a str, TemplateError> {
    let value = value.trim();
    if value.is_empty() {
        Err(TemplateError::Empty { field })
    } else {
        Ok(value)
    }
}

/// A required staff text in `lang`.
pub(crate) fn localized<'a>(
    field: &'static str,
    value: &'a Localized,
    lang: Lang,
) -> Result<&'a str, TemplateError> {
    let text = value.get(lang).trim();
    if !text.is_empty() {
        return Ok(text);
    }
    if value.get(other(lang)).trim().is_empty() {
        Err(TemplateError::Empty { field })
    } else {
        Err(TemplateError::MissingTranslation { field, lang })
    }
}

fn other(lang: Lang) -> Lang {
    match lang {
        Lang::Fr => Lang::En,
        Lang::En => Lang::Fr,
    }
}

/// A reference as it appears in a header: short, printable, no spaces.
pub(crate) fn reference(value: &str) -> Result<&str, TemplateError> {
    let value = required("reference", value)?;
    if value.len() > 64 || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(TemplateError::Invalid {
            field: "reference",
            rule: "use 1 to 64 printable ASCII characters without spaces, e.g. DSR-2026-0042"
                .into(),
        });
    }
    Ok(value)
}

/// The closing lines every notice ends with.
pub(crate) fn signature(org: &Organisation, lang: Lang) -> Result<Vec<String>, TemplateError> {
    let name = required("organisation.name", &org.name)?;
    let contact = required("organisation.dpo_contact", &org.dpo_contact)?;
    Ok(vec![
        name.to_string(),
        format!(
            "{}{}{contact}",
            lang.pick("Contact protection des données", "Data protection contact"),
            lang.pick(" : ", ": ")
        ),
        lang.pick(
            "Ce message est envoyé automatiquement ; pour nous écrire, utilisez le contact ci-dessus.",
            "This message is sent automatically; to write to us, use the contact above.",
        )
        .to_string(),
    ])
}

/// Art. 77 and 79 GDPR: the right to lodge a complaint with a supervisory
/// authority and to an effective judicial remedy.
pub(crate) fn remedies(org: &Organisation, lang: Lang) -> String {
    let authority = org.authority;
    match lang {
        Lang::Fr => format!(
            "Si vous estimez que vos droits ne sont pas respectés, vous pouvez introduire une réclamation auprès de {}, {}, et former un recours juridictionnel (RGPD art. 77 et 79).",
            authority.name(lang),
            authority.url(lang)
        ),
        Lang::En => format!(
            "If you consider that your rights are not respected, you may lodge a complaint with {}, {}, and seek a judicial remedy (GDPR Art. 77 and 79).",
            authority.name(lang),
            authority.url(lang)
        ),
    }
}

/// "réf. X" / "ref. X".
pub(crate) fn ref_label(lang: Lang, reference: &str) -> String {
    format!("{} {reference}", lang.pick("réf.", "ref."))
}

/// A one-time code: 4 to 12 letters or digits (groups separated by spaces
/// or dashes are fine).
pub(crate) fn one_time_code(value: &str) -> Result<&str, TemplateError> {
    let value = required("code", value)?;
    let significant = value.chars().filter(|c| !matches!(c, ' ' | '-')).count();
    if !(4..=12).contains(&significant)
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-'))
    {
        return Err(TemplateError::Invalid {
            field: "code",
            rule: "a one-time code is 4 to 12 ASCII letters or digits".into(),
        });
    }
    Ok(value)
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Shared inputs for the template tests.
    use super::*;

    pub fn org() -> Organisation {
        Organisation {
            name: "Hébergeur Exemple SAS".into(),
            dpo_contact: "dpo@hebergeur.example".into(),
            authority: Authority::Cnil,
        }
    }

    pub fn to(lang: Option<Lang>) -> Recipient {
        Recipient {
            to: "claire.dupont@example.org".parse().unwrap(),
            lang,
        }
    }

    pub fn d(y: i32, m: u32, day: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The whole message as one snapshot: headers we set, text, HTML.
    pub fn show(mail: &OutgoingMail) -> String {
        format!(
            "Subject: {}\nContent-Language: {}\nKind: {}\nReference: {}\n\n===== text =====\n{}\n===== html =====\n{}",
            mail.subject,
            mail.content_language(),
            mail.kind,
            mail.reference.as_deref().unwrap_or("-"),
            mail.text,
            mail.html.as_deref().unwrap_or("-"),
        )
    }

    pub const LANGS: [(Option<Lang>, &str); 3] = [
        (Some(Lang::Fr), "fr"),
        (Some(Lang::En), "en"),
        (None, "both"),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_translation_names_the_field_and_language() {
        let text = Localized::new("Panne du serveur", "");
        assert_eq!(localized("nature", &text, Lang::Fr), Ok("Panne du serveur"));
        assert_eq!(
            localized("nature", &text, Lang::En),
            Err(TemplateError::MissingTranslation {
                field: "nature",
                lang: Lang::En
            })
        );
        assert_eq!(
            localized("nature", &Localized::same(" "), Lang::En),
            Err(TemplateError::Empty { field: "nature" })
        );
    }

    #[test]
    fn codes_and_references_are_checked() {
        assert!(one_time_code("482 913").is_ok());
        assert!(one_time_code("12").is_err());
        assert!(one_time_code("<b>1234</b>").is_err());
        assert!(reference("DSR-2026-0042").is_ok());
        assert!(reference("DSR 42").is_err());
    }
}
