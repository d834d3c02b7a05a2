//! The portal sign-in message: a link (and, for another device, a code)
//! sent to an address already registered, which is how subjects prove who
//! they are on the self-service portal (EDPB Guidelines 01/2022 §3.3:
//! prefer the existing channel).

use chrono::{DateTime, FixedOffset};
use habeas_core::lang::Lang;

use super::render::{Section, date_time};
use super::{Organisation, Recipient, TemplateError, compose, one_time_code, signature};
use crate::mail::{MailKind, OutgoingMail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSignIn {
    /// The one-time sign-in link; must be `https://`.
    pub link: String,
    /// A code to type instead of following the link.
    pub code: Option<String>,
    pub expires_at: DateTime<FixedOffset>,
}

/// A link is put in `href`: only `https://` without spaces, quotes or
/// angle brackets, so it cannot become `javascript:` or break out of the
/// attribute.
pub(crate) fn safe_link(link: &str) -> Result<&str, TemplateError> {
    let link = link.trim();
    let ok = link.len() > "https://".len()
        && link[.."https://".len()].eq_ignore_ascii_case("https://")
        && !link
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>'));
    if ok {
        Ok(link)
    } else {
        Err(TemplateError::UnsafeLink { field: "link" })
    }
}

pub fn portal_sign_in(
    org: &Organisation,
    recipient: &Recipient,
    sign_in: &PortalSignIn,
) -> Result<OutgoingMail, TemplateError> {
    let link = safe_link(&sign_in.link)?;
    let code = sign_in.code.as_deref().map(one_time_code).transpose()?;
    compose(recipient, MailKind::PortalSignIn, None, |lang| {
        let mut s = Section::new(
            lang,
            match lang {
                Lang::Fr => format!("Connexion à l'espace « Mes données » — {}", org.name),
                Lang::En => format!("Sign in to \"My data\" — {}", org.name),
            },
        );
        s.para(lang.pick(
            "Pour vous connecter à votre espace « Mes données », suivez ce lien :",
            "To sign in to your \"My data\" space, follow this link:",
        ));
        s.link(lang.pick("Se connecter", "Sign in"), link);
        if let Some(code) = code {
            s.para(lang.pick(
                "Ou saisissez ce code sur la page de connexion :",
                "Or enter this code on the sign-in page:",
            ));
            s.code(code);
        }
        s.para(match lang {
            Lang::Fr => format!(
                "Ce lien ne sert qu'une fois et expire le {}.",
                date_time(sign_in.expires_at, lang)
            ),
            Lang::En => format!(
                "This link works once and expires on {}.",
                date_time(sign_in.expires_at, lang)
            ),
        });
        s.para(lang.pick(
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : personne ne peut se connecter sans ce lien.",
            "If you did not ask to sign in, ignore this message: nobody can sign in without this link.",
        ));
        s.signature = signature(org, lang)?;
        Ok(s)
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn sign_in() -> PortalSignIn {
        PortalSignIn {
            link: "https://donnees.hebergeur.example/connexion?t=Zk3v9Q&lang=fr".into(),
            code: Some("7KQ-29F".into()),
            expires_at: DateTime::parse_from_rfc3339("2026-12-04T16:07:00+01:00").unwrap(),
        }
    }

    #[test]
    fn snapshots() {
        for (lang, name) in LANGS {
            let mail = portal_sign_in(&org(), &to(lang), &sign_in()).unwrap();
            insta::assert_snapshot!(format!("sign_in_{name}"), show(&mail));
        }
    }

    #[test]
    fn only_https_links_without_quotes_are_accepted() {
        for bad in [
            "javascript:alert(1)",
            "http://donnees.example/x",
            "https://x.example/\" onclick=\"x",
            "https://x.example/a b",
            "https://",
        ] {
            let mut s = sign_in();
            s.link = bad.into();
            assert_eq!(
                portal_sign_in(&org(), &to(None), &s).unwrap_err(),
                TemplateError::UnsafeLink { field: "link" },
                "{bad}"
            );
        }
    }

    #[test]
    fn the_link_is_escaped_in_html() {
        let mail = portal_sign_in(&org(), &to(Some(Lang::En)), &sign_in()).unwrap();
        let html = mail.html.unwrap();
        assert!(
            html.contains(
                "href=\"https://donnees.hebergeur.example/connexion?t=Zk3v9Q&amp;lang=fr\""
            )
        );
    }
}
