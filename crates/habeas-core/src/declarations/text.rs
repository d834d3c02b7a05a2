//! Bilingual text. Declarations feed user-facing documents (the register, the
//! privacy notice) in French and English, so every label a person reads can
//! be given in both languages. A plain string serves both when the wording
//! does not change (a company name, an address).

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::lang::Lang;

/// A text in French and English: `"Hébergix"` or `{ fr = "…", en = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Text {
    pub fr: String,
    pub en: String,
}

impl Text {
    /// The same wording in both languages.
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            fr: text.clone(),
            en: text,
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.fr, &self.en)
    }

    /// Whether both versions are blank.
    pub fn is_blank(&self) -> bool {
        self.fr.trim().is_empty() && self.en.trim().is_empty()
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a string, or a table `{ fr = "…", en = "…" }`"#)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
        Ok(Text::same(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
        let mut fr = None;
        let mut en = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "fr" => fr = Some(map.next_value::<String>()?),
                "en" => en = Some(map.next_value::<String>()?),
                other => return Err(de::Error::unknown_field(other, &["fr", "en"])),
            }
        }
        match (fr, en) {
            (Some(fr), Some(en)) => Ok(Text { fr, en }),
            (None, _) => Err(de::Error::missing_field("fr")),
            (_, None) => Err(de::Error::missing_field("en")),
        }
    }
}
