//! Minimisation at the door (GDPR Art. 5(1)(c), Art. 25): a record must name
//! a declared category and carry only that category's declared fields, each
//! of its declared type. Anything else is refused with an error naming the
//! field and the category — and never echoing the value, which may be
//! personal data.
//!
//! Values are also normalised here: phone numbers to E.164 (so the blind
//! index of `06 12 34 56 78` and `+33612345678` is one), e-mail addresses by
//! the crypto crate's rule.

use std::collections::BTreeMap;
use std::net::IpAddr;

use habeas_core::declarations::{Declarations, FieldType};
use habeas_core::retention::EventDates;
use serde_json::Value;

use crate::error::{EngineError, Refusal, Result};

mod phone;

/// Longest accepted `string`/`url`/`email`… value, in bytes.
pub const MAX_SHORT_VALUE: usize = 1024;
/// Longest accepted `text` value, in bytes.
pub const MAX_TEXT_VALUE: usize = 64 * 1024;

/// A record as a client sends it (one JSON object, or one JSON Lines line).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    /// The subject it belongs to (`sub_…`), unless the URL names it.
    #[serde(default)]
    pub subject: Option<String>,
    /// In a bulk write: a reference local to the batch; the first line with
    /// a new reference creates a subject, later lines reuse it. Not stored.
    #[serde(default)]
    pub subject_ref: Option<String>,
    /// A declared data category.
    pub category: String,
    /// Field name → value; only the category's declared fields.
    pub fields: serde_json::Map<String, Value>,
    /// How the data was collected (`web_form`, `import`, `api` …).
    #[serde(default)]
    pub source: Option<String>,
    /// Declared activities this record serves; default: every activity
    /// declared for the category.
    #[serde(default)]
    pub purposes: Vec<String>,
    /// When it was collected; default: now.
    #[serde(default)]
    pub collected_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The event dates that drive retention.
    #[serde(default)]
    pub events: EventDates,
}

/// A record that passed validation: normalised values, ready to seal.
#[derive(Debug, Clone)]
pub struct ValidRecord {
    pub category: String,
    /// Normalised values, by field name (sorted).
    pub fields: BTreeMap<String, Value>,
    /// `(index kind, normalised value)` of each identifier field present.
    pub identifiers: Vec<(String, String)>,
    pub source: String,
    pub purposes: Vec<String>,
    pub events: EventDates,
    /// The retention due date, or `None` while its anchor event has not happened.
    pub due_at: Option<chrono::DateTime<chrono::Utc>>,
    pub high_volume: bool,
}

fn field_error(
    code: &'static str,
    category: &str,
    field: &str,
    fr: String,
    en: String,
) -> EngineError {
    EngineError::Invalid(Refusal::new(code, fr, en).category(category).field(field))
}

/// A category that is not declared, refused with the declared ones named.
pub(crate) fn unknown_category(decls: &Declarations, name: &str) -> EngineError {
    let known: Vec<&str> = decls
        .categories
        .keys()
        .map(|k| k.get_ref().as_str())
        .collect();
    EngineError::Invalid(
        Refusal::new(
            "unknown_category",
            format!(
                "catégorie « {name} » non déclarée ; catégories déclarées : {}",
                known.join(", ")
            ),
            format!(
                "category `{name}` is not declared; declared categories: {}",
                known.join(", ")
            ),
        )
        .category(name),
    )
}
/// Validate `input` against the declarations at time `now`.
pub fn validate(
    decls: &Declarations,
    input: RecordInput,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ValidRecord> {
    let name = input.category.as_str();
    let Some(category) = decls.category(name) else {
        return Err(unknown_category(decls, name));
    };
    if input.fields.is_empty() {
        return Err(EngineError::Invalid(
            Refusal::new(
                "no_fields",
                format!("l'enregistrement de la catégorie « {name} » n'a aucun champ"),
                format!("the record of category `{name}` has no field"),
            )
            .category(name),
        ));
    }
    let mut fields = BTreeMap::new();
    let mut identifiers = Vec::new();
    for (field, value) in input.fields {
        let Some(kind) = category.field(&field) else {
            let declared: Vec<&str> = category.field_names().collect();
            return Err(field_error(
                "unknown_field",
                name,
                &field,
                format!(
                    "le champ « {field} » n'est pas déclaré pour la catégorie « {name} » (champs déclarés : {}) ; \
                     déclarez-le dans declarations/ ou retirez-le",
                    declared.join(", ")
                ),
                format!(
                    "field `{field}` is not declared for category `{name}` (declared fields: {}); \
                     declare it in declarations/ or remove it",
                    declared.join(", ")
                ),
            ));
        };
        let normalised = check_value(name, &field, kind, value)?;
        if category.is_identifier(&field)
            && let Value::String(text) = &normalised
        {
            identifiers.push((index_kind(kind, &field), text.clone()));
        }
        fields.insert(field, normalised);
    }
    let purposes = check_purposes(decls, name, input.purposes)?;
    let mut events = input.events;
    events.collected_at = Some(input.collected_at.or(events.collected_at).unwrap_or(now));
    let due_at = category.retention_rule().and_then(|rule| rule.due(&events));
    Ok(ValidRecord {
        category: name.to_string(),
        fields,
        identifiers,
        source: check_source(input.source)?,
        purposes,
        events,
        due_at,
        high_volume: category.high_volume,
    })
}

/// The blind-index kind of an identifier field: e-mail and phone share one
/// index across categories; others are indexed under their field name.
pub fn index_kind(kind: FieldType, field: &str) -> String {
    match kind {
        FieldType::Email => "email".into(),
        FieldType::Phone => "phone".into(),
        _ => field.to_string(),
    }
}

fn check_source(source: Option<String>) -> Result<String> {
    let source = source.unwrap_or_else(|| "api".to_string());
    let ok = !source.is_empty()
        && source.len() <= 64
        && source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if ok {
        Ok(source)
    } else {
        Err(EngineError::invalid(
            "bad_source",
            "« source » doit être un nom court (lettres, chiffres, _ - .), 64 caractères au plus",
            "`source` must be a short name (letters, digits, _ - .), at most 64 characters",
        ))
    }
}

fn check_purposes(decls: &Declarations, category: &str, asked: Vec<String>) -> Result<Vec<String>> {
    let declared: Vec<&str> = decls
        .purposes_of_category(category)
        .map(|(id, _)| id)
        .collect();
    if asked.is_empty() {
        return Ok(declared.iter().map(|s| s.to_string()).collect());
    }
    for purpose in &asked {
        if !declared.contains(&purpose.as_str()) {
            // Art. 5(1)(b): data collected for declared purposes only.
            return Err(EngineError::Invalid(
                Refusal::new(
                    "purpose_not_declared",
                    format!(
                        "la finalité « {purpose} » ne traite pas la catégorie « {category} » (finalités déclarées : {})",
                        declared.join(", ")
                    ),
                    format!(
                        "purpose `{purpose}` does not process category `{category}` (declared purposes: {})",
                        declared.join(", ")
                    ),
                )
                .category(category),
            ));
        }
    }
    Ok(asked)
}

fn check_value(category: &str, field: &str, kind: FieldType, value: Value) -> Result<Value> {
    // What the field expects, in French and in English.
    let wrong = |(attendu, expected): (&str, &str)| {
        field_error(
            "wrong_type",
            category,
            field,
            format!("le champ « {field} » de la catégorie « {category} » attend : {attendu}"),
            format!("field `{field}` of category `{category}` expects: {expected}"),
        )
    };
    let text = |value: Value, max: usize, expected: (&str, &str)| -> Result<String> {
        match value {
            Value::String(s) if !s.trim().is_empty() && s.len() <= max => Ok(s),
            Value::String(s) if s.len() > max => Err(field_error(
                "value_too_long",
                category,
                field,
                format!("le champ « {field} » de la catégorie « {category} » dépasse {max} octets"),
                format!("field `{field}` of category `{category}` is longer than {max} bytes"),
            )),
            _ => Err(wrong(expected)),
        }
    };
    let out = match kind {
        FieldType::String => Value::String(text(
            value,
            MAX_SHORT_VALUE,
            ("une chaîne non vide", "a non-empty string"),
        )?),
        FieldType::Text => Value::String(text(
            value,
            MAX_TEXT_VALUE,
            ("un texte non vide", "a non-empty text"),
        )?),
        FieldType::Email => {
            let raw = text(
                value,
                MAX_SHORT_VALUE,
                ("une adresse e-mail", "an e-mail address"),
            )?;
            let normalised = habeas_crypto::normalize_email(&raw).map_err(|_| {
                wrong((
                    "une adresse e-mail comme nom@example.org",
                    "an e-mail address such as name@example.org",
                ))
            })?;
            Value::String(normalised)
        }
        FieldType::Phone => {
            let raw = text(
                value,
                MAX_SHORT_VALUE,
                ("un numéro de téléphone", "a phone number"),
            )?;
            Value::String(normalise_phone(&raw).ok_or_else(|| {
                wrong((
                    "un numéro de téléphone valide, international (+33 6 12 34 56 78) ou national français (06 12 34 56 78)",
                    "a valid phone number, international (+33 6 12 34 56 78) or French national (06 12 34 56 78)",
                ))
            })?)
        }
        FieldType::Date => {
            const DATE: (&str, &str) = ("une date AAAA-MM-JJ", "a date YYYY-MM-DD");
            let raw = text(value, 32, DATE)?;
            chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d").map_err(|_| wrong(DATE))?;
            Value::String(raw)
        }
        FieldType::Datetime => {
            let raw = text(
                value,
                64,
                ("une date-heure RFC 3339", "an RFC 3339 date-time"),
            )?;
            let parsed = chrono::DateTime::parse_from_rfc3339(&raw).map_err(|_| {
                wrong((
                    "une date-heure RFC 3339 comme 2026-01-31T12:00:00Z",
                    "an RFC 3339 date-time such as 2026-01-31T12:00:00Z",
                ))
            })?;
            Value::String(parsed.with_timezone(&chrono::Utc).to_rfc3339())
        }
        FieldType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Value::Number(n),
            _ => return Err(wrong(("un entier", "an integer"))),
        },
        FieldType::Decimal => match value {
            Value::Number(n) => Value::Number(n),
            Value::String(s) if is_decimal(&s) => Value::String(s),
            _ => {
                return Err(wrong((
                    "un nombre décimal (nombre JSON ou \"12.34\")",
                    "a decimal number (JSON number or \"12.34\")",
                )));
            }
        },
        FieldType::Boolean => match value {
            Value::Bool(b) => Value::Bool(b),
            _ => return Err(wrong(("true ou false", "true or false"))),
        },
        FieldType::Ip => {
            let raw = text(value, 64, ("une adresse IP", "an IP address"))?;
            let ip: IpAddr = raw
                .trim()
                .parse()
                .map_err(|_| wrong(("une adresse IPv4 ou IPv6", "an IPv4 or IPv6 address")))?;
            Value::String(ip.to_string())
        }
        FieldType::Url => {
            let raw = text(value, MAX_SHORT_VALUE, ("une URL", "a URL"))?;
            let ok = (raw.starts_with("https://") || raw.starts_with("http://"))
                && !raw.chars().any(char::is_whitespace);
            if !ok {
                return Err(wrong((
                    "une URL http:// ou https:// sans espace",
                    "an http:// or https:// URL without spaces",
                )));
            }
            Value::String(raw)
        }
        FieldType::Country => {
            let raw = text(
                value,
                64,
                (
                    "un code pays ISO 3166-1 alpha-2",
                    "an ISO 3166-1 alpha-2 country code",
                ),
            )?;
            if raw.len() != 2 || !raw.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(wrong((
                    "un code pays ISO 3166-1 alpha-2 comme FR",
                    "an ISO 3166-1 alpha-2 country code such as FR",
                )));
            }
            Value::String(raw.to_ascii_uppercase())
        }
    };
    Ok(out)
}

fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
}

/// A phone number in E.164 (`+33612345678`); national numbers are read as
/// French (the providers Habeas serves are French and Belgian; Belgian
/// numbers must be sent in international form).
///
/// Input already in E.164 form takes a fast path that gives the same answer
/// ([`phone`]); everything else, and every number it doubts, the full parser.
pub fn normalise_phone(raw: &str) -> Option<String> {
    if phone::is_valid_e164(raw) {
        return Some(raw.to_string());
    }
    normalise_full(raw)
}

/// The full path: libphonenumber's parser (national numbers read as French),
/// validity check and E.164 formatting.
fn normalise_full(raw: &str) -> Option<String> {
    let number = phonenumber::parse(Some(phonenumber::country::Id::FR), raw).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    Some(number.format().mode(phonenumber::Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_normalise_to_e164() {
        assert_eq!(
            normalise_phone("06 12 34 56 78").as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            normalise_phone("+33 6 12 34 56 78").as_deref(),
            Some("+33612345678")
        );
        assert_eq!(
            normalise_phone("+32 470 12 34 56").as_deref(),
            Some("+32470123456")
        );
        assert_eq!(normalise_phone("12"), None);
        assert_eq!(normalise_phone("not a phone"), None);
    }

    #[test]
    fn decimals() {
        assert!(is_decimal("12.34"));
        assert!(is_decimal("-3"));
        assert!(!is_decimal("1."));
        assert!(!is_decimal("1e5"));
        assert!(!is_decimal(""));
    }
}
