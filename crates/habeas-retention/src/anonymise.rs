//! Anonymisation at the end of retention: keep statistics, not people.
//!
//! A category declared with `on_expiry = "anonymise"` keeps, after its
//! retention period, only the fields listed in `keep_generalised`, each
//! coarsened so that it no longer singles anyone out (Art. 5(1)(e) GDPR
//! allows keeping data "in a form which permits identification" no longer
//! than necessary; recital 26: anonymous data are outside the GDPR). Every
//! other field is dropped. What each kept field becomes depends on its
//! declared type (and, for a few well-known names, on the name):
//!
//! | field | becomes |
//! |---|---|
//! | listed in `identifiers`, or of type `email` / `phone` | a keyed pseudonym (HMAC under the blind-index key, context `category.field`) |
//! | `date` named like a birth date (`birth`, `naissance`) | the year |
//! | other `date`, `datetime` | the month, `YYYY-MM` |
//! | `ip` | the network: IPv4 `/24`, IPv6 `/48` |
//! | `url` | scheme, host and path (no query, fragment or user info) |
//! | `integer` named `age` / `…_age` | a ten-year band, `30-39` (`90+`) |
//! | `string` named like a postcode (`postcode`, `postal_code`, `zip`, `code_postal`) | the French department (`75`, `2A`, `971`) or the Belgian postcode's first two digits (`10xx`) |
//! | other `string`, `integer`, `decimal`, `boolean`, `country` | kept as is: list only categorical values (a plan, a protocol) or amounts |
//! | `text` | dropped: free text cannot be generalised |
//!
//! Limits, said plainly: pseudonyms are personal data while the key exists
//! (Art. 4(5)); whether the result is anonymous also depends on how many
//! records share each combination (k-anonymity), which this per-record step
//! cannot see. A value that does not parse as its type is dropped, never
//! kept raw.

use std::collections::BTreeMap;
use std::net::IpAddr;

use habeas_core::declarations::{DataCategory, FieldType};
use habeas_core::lang::Lang;
use serde_json::Value;

/// Produces keyed pseudonyms. Implemented by the vault's
/// [`habeas_crypto::BlindIndexer`]; tests may use a fixed one.
pub trait Pseudonymiser {
    /// A stable pseudonym of `value` in `context`.
    fn pseudonym(&self, context: &str, value: &[u8]) -> String;
}

impl Pseudonymiser for habeas_crypto::BlindIndexer {
    fn pseudonym(&self, context: &str, value: &[u8]) -> String {
        habeas_crypto::BlindIndexer::pseudonym(self, context, value)
    }
}

/// What happens to one kept field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    Keep,
    Pseudonym,
    Year,
    Month,
    IpNetwork,
    UrlPath,
    AgeBand,
    Department,
    /// Listed but cannot be generalised: dropped.
    Drop,
}

/// The compiled anonymisation of one category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    category: String,
    fields: BTreeMap<String, Treatment>,
}

/// One anonymised record: the kept fields, and the names (only) of those
/// dropped because their value did not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct Anonymised {
    pub fields: BTreeMap<String, Value>,
    pub unparsable: Vec<String>,
}

impl Profile {
    /// The profile of a declared category (`name` is its key). Fields listed
    /// in `keep_generalised` but not declared are ignored (`habeas check`
    /// reports them, H016).
    pub fn for_category(name: &str, category: &DataCategory) -> Self {
        let fields = category
            .keep_generalised
            .iter()
            .filter_map(|f| {
                let field = f.get_ref().as_str();
                let kind = category.field(field)?;
                Some((
                    field.to_string(),
                    treatment(field, kind, category.is_identifier(field)),
                ))
            })
            .collect();
        Profile {
            category: name.to_string(),
            fields,
        }
    }

    /// The treatment of each kept field.
    pub fn treatments(&self) -> &BTreeMap<String, Treatment> {
        &self.fields
    }

    /// Anonymise one record's fields.
    pub fn apply(&self, record: &BTreeMap<String, Value>, keys: &dyn Pseudonymiser) -> Anonymised {
        let mut out = Anonymised {
            fields: BTreeMap::new(),
            unparsable: Vec::new(),
        };
        for (field, treatment) in &self.fields {
            let Some(value) = record.get(field) else {
                continue;
            };
            if value.is_null() {
                continue;
            }
            let context = format!("{}.{field}", self.category);
            match generalise(*treatment, value, &context, keys) {
                Some(Some(v)) => {
                    out.fields.insert(field.clone(), v);
                }
                Some(None) => {}
                None => out.unparsable.push(field.clone()),
            }
        }
        out
    }
}

/// The treatment of a kept field from its name, type and identifier flag.
pub fn treatment(field: &str, kind: FieldType, identifier: bool) -> Treatment {
    let name = field.to_ascii_lowercase();
    if identifier || matches!(kind, FieldType::Email | FieldType::Phone) {
        return Treatment::Pseudonym;
    }
    match kind {
        FieldType::Date if name.contains("birth") || name.contains("naissance") => Treatment::Year,
        FieldType::Date | FieldType::Datetime => Treatment::Month,
        FieldType::Ip => Treatment::IpNetwork,
        FieldType::Url => Treatment::UrlPath,
        FieldType::Integer if name == "age" || name.ends_with("_age") => Treatment::AgeBand,
        FieldType::String
            if ["postcode", "postal_code", "zip", "code_postal"]
                .iter()
                .any(|p| name.contains(p)) =>
        {
            Treatment::Department
        }
        FieldType::Text => Treatment::Drop,
        _ => Treatment::Keep,
    }
}

/// Whether statistics may group records by a field so treated: not by a
/// pseudonym (one value per person: every cell would be one subject) nor by
/// a field that cannot be generalised (free text).
pub fn groupable(treatment: Treatment) -> bool {
    !matches!(treatment, Treatment::Pseudonym | Treatment::Drop)
}

/// A field's value generalised by a [`groupable`] treatment, as the text a
/// statistics cell is keyed by. `None` when the value does not parse as its
/// type, or the treatment is not groupable.
pub fn generalised_text(treatment: Treatment, value: &Value) -> Option<String> {
    /// Never called: groupable treatments make no pseudonym.
    struct NoPseudonyms;
    impl Pseudonymiser for NoPseudonyms {
        fn pseudonym(&self, _: &str, _: &[u8]) -> String {
            String::new()
        }
    }
    if !groupable(treatment) {
        return None;
    }
    match generalise(treatment, value, "", &NoPseudonyms)?? {
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

impl Treatment {
    /// A stable code, as reports write it.
    pub fn code(self) -> &'static str {
        match self {
            Treatment::Keep => "as_is",
            Treatment::Pseudonym => "pseudonym",
            Treatment::Year => "year",
            Treatment::Month => "month",
            Treatment::IpNetwork => "ip_network",
            Treatment::UrlPath => "url_path",
            Treatment::AgeBand => "age_band",
            Treatment::Department => "department",
            Treatment::Drop => "dropped",
        }
    }

    /// What the treatment makes of a value, in words.
    pub fn describe(self, lang: Lang) -> &'static str {
        let (fr, en) = match self {
            Treatment::Keep => ("valeur telle quelle", "value as is"),
            Treatment::Pseudonym => ("pseudonyme à clé", "keyed pseudonym"),
            Treatment::Year => ("année", "year"),
            Treatment::Month => ("mois", "month"),
            Treatment::IpNetwork => (
                "réseau (IPv4 /24, IPv6 /48)",
                "network (IPv4 /24, IPv6 /48)",
            ),
            Treatment::UrlPath => ("schéma, hôte et chemin", "scheme, host and path"),
            Treatment::AgeBand => ("tranche de dix ans", "ten-year band"),
            Treatment::Department => (
                "département (FR) ou deux premiers chiffres (BE)",
                "department (FR) or first two digits (BE)",
            ),
            Treatment::Drop => ("supprimé", "dropped"),
        };
        lang.pick(fr, en)
    }
}

impl serde::Serialize for Treatment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// `Some(Some(v))`: kept as `v`; `Some(None)`: dropped by design; `None`: unparsable.
fn generalise(
    treatment: Treatment,
    value: &Value,
    context: &str,
    keys: &dyn Pseudonymiser,
) -> Option<Option<Value>> {
    let text = value.as_str();
    let kept = match treatment {
        Treatment::Drop => return Some(None),
        Treatment::Keep => value.clone(),
        Treatment::Pseudonym => {
            let raw = match value {
                Value::String(s) => s.trim().to_lowercase(),
                other => other.to_string(),
            };
            Value::String(keys.pseudonym(context, raw.as_bytes()))
        }
        Treatment::Year => Value::String(date_prefix(text?, 4)?),
        Treatment::Month => Value::String(date_prefix(text?, 7)?),
        Treatment::IpNetwork => Value::String(ip_network(text?)?),
        Treatment::UrlPath => Value::String(url_path(text?)?),
        Treatment::AgeBand => Value::String(age_band(value.as_i64()?)?),
        Treatment::Department => Value::String(department(text?)?),
    };
    Some(Some(kept))
}

/// `YYYY` or `YYYY-MM` of an ISO date or date-time.
fn date_prefix(text: &str, len: usize) -> Option<String> {
    let b = text.as_bytes();
    let ok = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (1..=12).contains(&text[5..7].parse::<u8>().ok()?);
    ok.then(|| text[..len].to_string())
}

fn ip_network(text: &str) -> Option<String> {
    match text.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

fn url_path(text: &str) -> Option<String> {
    let text = text.trim();
    let (scheme, rest) = text.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let rest = &rest[..end];
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() {
        return None;
    }
    Some(format!(
        "{}://{}{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase(),
        path
    ))
}

fn age_band(age: i64) -> Option<String> {
    match age {
        0..=89 => {
            let low = age / 10 * 10;
            Some(format!("{low}-{}", low + 9))
        }
        90..=130 => Some("90+".into()),
        _ => None,
    }
}

/// French department from a 5-digit postcode, or the area of a 4-digit Belgian one.
fn department(text: &str) -> Option<String> {
    let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match code.len() {
        5 => {
            let n: u32 = code.parse().ok()?;
            Some(match n {
                // Corsica: 200xx–201xx Corse-du-Sud, 202xx–206xx Haute-Corse.
                20000..=20199 => "2A".into(),
                20200..=20699 => "2B".into(),
                // Overseas departments use three digits.
                97000..=98999 => code[..3].to_string(),
                1000..=95999 => code[..2].to_string(),
                _ => return None,
            })
        }
        4 => {
            let n: u32 = code.parse().ok()?;
            (1000..=9999)
                .contains(&n)
                .then(|| format!("{}xx", &code[..2]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use habeas_core::declarations::load;
    use serde_json::json;

    struct Fixed;
    impl Pseudonymiser for Fixed {
        fn pseudonym(&self, context: &str, value: &[u8]) -> String {
            format!("p({context}:{})", value.len())
        }
    }

    #[test]
    fn statistics_group_by_generalised_text_never_by_pseudonyms() {
        assert_eq!(
            generalised_text(Treatment::IpNetwork, &json!("192.0.2.77")).as_deref(),
            Some("192.0.2.0/24")
        );
        assert_eq!(
            generalised_text(Treatment::Month, &json!("2026-03-14T10:00:00Z")).as_deref(),
            Some("2026-03")
        );
        assert_eq!(
            generalised_text(Treatment::Keep, &json!("pro")).as_deref(),
            Some("pro")
        );
        assert_eq!(
            generalised_text(Treatment::Keep, &json!(12)).as_deref(),
            Some("12")
        );
        assert_eq!(
            generalised_text(Treatment::Keep, &json!(true)).as_deref(),
            Some("true")
        );
        assert_eq!(
            generalised_text(Treatment::IpNetwork, &json!("not an ip")),
            None
        );
        assert_eq!(
            generalised_text(Treatment::Pseudonym, &json!("a@example.org")),
            None
        );
        assert_eq!(generalised_text(Treatment::Drop, &json!("free text")), None);
        assert!(groupable(Treatment::AgeBand));
        assert!(!groupable(Treatment::Pseudonym) && !groupable(Treatment::Drop));
        assert_eq!(Treatment::IpNetwork.code(), "ip_network");
        assert_eq!(Treatment::Month.describe(Lang::Fr), "mois");
        assert_eq!(
            serde_json::to_string(&Treatment::Keep).unwrap(),
            "\"as_is\""
        );
    }

    const CATEGORIES: &str = r#"
[categories.customers_stats]
name = { fr = "Clients", en = "Customers" }
retention = "3 years after contract end"
on_expiry = "anonymise"
keep_generalised = ["customer_number", "email", "birth_date", "signed_up", "ip", "page", "age", "postcode", "plan", "amount", "notes", "country"]
identifiers = ["customer_number"]
[categories.customers_stats.fields]
customer_number = "string"
name = "string"
email = "email"
birth_date = "date"
signed_up = "datetime"
ip = "ip"
page = "url"
age = "integer"
postcode = "string"
plan = "string"
amount = "decimal"
notes = "text"
country = "country"
"#;

    fn profile() -> Profile {
        let (decl, _) = load(&[("categories.toml".into(), CATEGORIES.into())]);
        let (name, cat) = decl.categories.iter().next().expect("category");
        Profile::for_category(name.get_ref(), cat)
    }

    #[test]
    fn a_customer_record_keeps_statistics_and_loses_the_person() {
        let record: BTreeMap<String, Value> = serde_json::from_value(json!({
            "customer_number": "C-0042",
            "name": "Alice Martin",
            "email": "alice@example.org",
            "birth_date": "1987-04-12",
            "signed_up": "2023-11-05T10:22:00Z",
            "ip": "192.0.2.77",
            "page": "https://User:pw@Shop.Example.org/offers/pro?ref=alice#top",
            "age": 38,
            "postcode": "75011",
            "plan": "pro",
            "amount": 59.9,
            "notes": "called about her divorce",
            "country": "FR"
        }))
        .unwrap();
        let out = profile().apply(&record, &Fixed);
        let expected: BTreeMap<String, Value> = serde_json::from_value(json!({
            "customer_number": "p(customers_stats.customer_number:6)",
            "email": "p(customers_stats.email:17)",
            "birth_date": "1987",
            "signed_up": "2023-11",
            "ip": "192.0.2.0/24",
            "page": "https://shop.example.org/offers/pro",
            "age": "30-39",
            "postcode": "75",
            "plan": "pro",
            "amount": 59.9,
            "country": "FR"
        }))
        .unwrap();
        assert_eq!(out.fields, expected);
        assert!(out.unparsable.is_empty());
        let shown = serde_json::to_string(&out.fields).unwrap();
        for secret in ["Alice", "alice", "C-0042", "divorce", ".77", "1987-04"] {
            assert!(!shown.contains(secret), "{secret} survived: {shown}");
        }
    }

    #[test]
    fn values_that_do_not_parse_are_dropped_and_named() {
        let record: BTreeMap<String, Value> = serde_json::from_value(json!({
            "birth_date": "12/04/1987",
            "ip": "not-an-ip",
            "age": 400,
            "postcode": "SW1A 1AA",
            "page": "javascript:alert(1)"
        }))
        .unwrap();
        let out = profile().apply(&record, &Fixed);
        assert!(out.fields.is_empty(), "{:?}", out.fields);
        assert_eq!(
            out.unparsable,
            ["age", "birth_date", "ip", "page", "postcode"]
        );
    }

    #[test]
    fn the_real_blind_indexer_gives_stable_context_bound_pseudonyms() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keys = habeas_crypto::KeyDir::create(&tmp.path().join("keys"), None).expect("keys");
        let indexer = keys.load_blind_indexer().expect("indexer");
        let record: BTreeMap<String, Value> = serde_json::from_value(
            json!({"customer_number": "C-0042", "email": "Alice@Example.org"}),
        )
        .unwrap();
        let a = profile().apply(&record, &indexer);
        let b = profile().apply(&record, &indexer);
        assert_eq!(a, b);
        assert_ne!(a.fields["customer_number"], a.fields["email"]);
        assert_eq!(a.fields["email"].as_str().map(str::len), Some(26));
    }

    #[test]
    fn generalisation_rules() {
        assert_eq!(
            ip_network("2001:db8:abcd:12::1").as_deref(),
            Some("2001:db8:abcd::/48")
        );
        assert_eq!(age_band(0).as_deref(), Some("0-9"));
        assert_eq!(age_band(95).as_deref(), Some("90+"));
        assert_eq!(age_band(-1), None);
        assert_eq!(department("20090").as_deref(), Some("2A"));
        assert_eq!(department("20200").as_deref(), Some("2B"));
        assert_eq!(department("97411").as_deref(), Some("974"));
        assert_eq!(department("1000").as_deref(), Some("10xx"));
        assert_eq!(department("00123"), None);
        assert_eq!(date_prefix("2026-13-01", 7), None);
        assert_eq!(
            url_path("https://example.org").as_deref(),
            Some("https://example.org/")
        );
        assert_eq!(treatment("notes", FieldType::Text, false), Treatment::Drop);
        assert_eq!(
            treatment("contact", FieldType::Phone, false),
            Treatment::Pseudonym
        );
    }
}
