//! The two languages of user-facing text. French first: Habeas serves French
//! and Belgian providers, and their notices are written in French.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language Habeas renders user-facing text in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The BCP 47 tag (`fr`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// "N word" with the singular or plural of the word in this language,
    /// e.g. `count(13, ("mois", "mois"), ("month", "months"))`.
    pub fn count(self, n: u32, fr: (&str, &str), en: (&str, &str)) -> String {
        let (one, many) = match self {
            Lang::Fr => fr,
            Lang::En => en,
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }

    /// Pick the French or English text.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// Error for a language tag Habeas does not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}`: use `fr` or `en`")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fr" | "fr-fr" | "fr-be" | "french" | "français" => Ok(Lang::Fr),
            "en" | "en-gb" | "en-us" | "english" | "anglais" => Ok(Lang::En),
            other => Err(UnknownLang(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_and_refuses_others() {
        assert_eq!("FR-be".parse::<Lang>(), Ok(Lang::Fr));
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        assert!("de".parse::<Lang>().is_err());
    }

    #[test]
    fn counts_with_singular_and_plural() {
        assert_eq!(Lang::Fr.count(1, ("an", "ans"), ("year", "years")), "1 an");
        assert_eq!(
            Lang::En.count(10, ("an", "ans"), ("year", "years")),
            "10 years"
        );
    }
}
