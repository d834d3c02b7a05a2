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
/// attribute. Plain `http://` is accepted for a loopback host only
/// (`127.0.0.1`, `[::1]`, `localhost`: the link never leaves the machine,
/// as for `habeas demo`), never for a name or address others reach.
pub(crate) fn safe_link(link: &str) -> Result<&str, TemplateError> {
    let link = link.trim();
    let rest = strip_scheme(link, "https://").or_else(|| {
        strip_scheme(link, "http://").filter(|rest| {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            loopback_host(authority)
        })
    });
    let ok = rest.is_some_and(|r| !r.is_empty())
        && !link
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>'));
    if ok {
        Ok(link)
    } else {
        Err(TemplateError::UnsafeLink { field: "link" })
    }
}

/// `link` after `scheme` (compared without case), if it starts with it.
fn strip_scheme<'a>(link: &'a str, scheme: &str) -> Option<&'a str> {
    link.get(..scheme.len())
        .filter(|s| s.eq_ignore_ascii_case(scheme))
        .map(|_| &link[scheme.len()..])
}

/// Whether an URL's `host[:port]` names this machine.
fn loopback_host(authority: &str) -> bool {
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
            "http://127.0.0.1.evil.example/x",
            "http://localhost.evil.example/x",
            "http://127.0.0.1@evil.example/x",
            "http://192.0.2.10:8080/portail",
            "http://",
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

    /// `habeas demo` serves on http://127.0.0.1:8080: its sign-in links work.
    #[test]
    fn plain_http_links_are_accepted_to_this_machine_only() {
        for good in [
            "http://127.0.0.1:8080/portail/lien?c=a&k=1",
            "HTTP://localhost:8080/portail",
            "http://[::1]:8080/portail",
            "http://127.0.0.2/portail",
            "https://donnees.example/portail",
        ] {
            let mut s = sign_in();
            s.link = good.into();
            assert!(portal_sign_in(&org(), &to(None), &s).is_ok(), "{good}");
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
