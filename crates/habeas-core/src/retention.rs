//! Retention rules: a small readable grammar, and the due date it gives a record.
//!
//! GDPR Art. 5(1)(e) (storage limitation) requires personal data to be kept
//! no longer than necessary, and Art. 30(1)(f) asks the register for "the
//! envisaged time limits for erasure of the different categories of data".
//! The CNIL accepts either a duration or the criterion that fixes it
//! ("3 years after the end of the contract"), so a rule here is a period
//! plus the event it starts from, written the way a DPO would say it:
//!
//! ```text
//! 13 months after collection
//! 3 years after last interaction
//! 5 years after contract end; legal obligation: Décret 2021-1362 art. 1
//! 30 days after account closure
//! 12 months after collection; 36 months if linked to an incident
//! until domain cancelled
//! 30 days after domain cancelled
//! ```
//!
//! Grammar (case-insensitive, clauses separated by `;`):
//!
//! ```text
//! rule     := base (";" clause)*
//! base     := period "after" anchor | "until" event
//! clause   := period "if linked to an incident"
//!           | "legal obligation:" reference
//! period   := N ("day"|"days"|"week"|"weeks"|"month"|"months"|"year"|"years")
//! anchor   := "collection" | "last interaction" | "contract end"
//!           | "account closure" | event
//! event    := words (letters, digits, spaces, '-' or '_')
//! ```
//!
//! Due dates are computed from the dates a record carries ([`EventDates`]):
//! month arithmetic clamps to the end of the month (31 Jan + 1 month is
//! 28/29 Feb), as for the Art. 12(3) deadlines.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// A unit of a retention or delay period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodUnit {
    Days,
    Weeks,
    Months,
    Years,
}

/// A calendar period such as "13 months".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub amount: u32,
    pub unit: PeriodUnit,
}

impl Period {
    pub const fn new(amount: u32, unit: PeriodUnit) -> Self {
        Self { amount, unit }
    }

    /// ISO 8601 duration (`P13M`, `P10Y`, `P30D`, `P2W`), as DPV's
    /// `dpv:hasDuration` and the register exports expect.
    pub fn iso8601(&self) -> String {
        let unit = match self.unit {
            PeriodUnit::Days => 'D',
            PeriodUnit::Weeks => 'W',
            PeriodUnit::Months => 'M',
            PeriodUnit::Years => 'Y',
        };
        format!("P{}{}", self.amount, unit)
    }

    /// `start` plus this period; months and years clamp to the end of the
    /// month. `None` only when the date would overflow chrono's range.
    pub fn add_to(&self, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.unit {
            PeriodUnit::Days => start.checked_add_days(Days::new(u64::from(self.amount))),
            PeriodUnit::Weeks => start.checked_add_days(Days::new(u64::from(self.amount) * 7)),
            PeriodUnit::Months => start.checked_add_months(Months::new(self.amount)),
            PeriodUnit::Years => {
                start.checked_add_months(Months::new(self.amount.checked_mul(12)?))
            }
        }
    }

    /// `end` minus this period (months and years clamp to the end of the
    /// month). `None` only when the date would leave chrono's range.
    pub fn subtract_from(&self, end: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.unit {
            PeriodUnit::Days => end.checked_sub_days(Days::new(u64::from(self.amount))),
            PeriodUnit::Weeks => end.checked_sub_days(Days::new(u64::from(self.amount) * 7)),
            PeriodUnit::Months => end.checked_sub_months(Months::new(self.amount)),
            PeriodUnit::Years => end.checked_sub_months(Months::new(self.amount.checked_mul(12)?)),
        }
    }

    /// The shortest and longest number of days this period can span.
    pub fn bounds_days(&self) -> (u64, u64) {
        let n = u64::from(self.amount);
        match self.unit {
            PeriodUnit::Days => (n, n),
            PeriodUnit::Weeks => (n * 7, n * 7),
            PeriodUnit::Months => (n * 28, n * 31),
            PeriodUnit::Years => (n * 365, n * 366),
        }
    }

    /// Plain words, e.g. "13 mois" / "13 months".
    pub fn describe(&self, lang: Lang) -> String {
        let n = self.amount;
        match self.unit {
            PeriodUnit::Days => lang.count(n, ("jour", "jours"), ("day", "days")),
            PeriodUnit::Weeks => lang.count(n, ("semaine", "semaines"), ("week", "weeks")),
            PeriodUnit::Months => lang.count(n, ("mois", "mois"), ("month", "months")),
            PeriodUnit::Years => lang.count(n, ("an", "ans"), ("year", "years")),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(Lang::En))
    }
}

impl std::str::FromStr for Period {
    type Err = RetentionParseError;

    /// `N days|weeks|months|years`, nothing else (e.g. `12 months`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lead = text.len() - text.trim_start().len();
        let (period, end) = parse_period(text.trim(), lead)?;
        if end - lead != text.trim().len() {
            return Err(err(
                end,
                "unexpected text after the period",
                "write only a period, e.g. `12 months`",
            ));
        }
        Ok(period)
    }
}

/// The event a retention period starts from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// When the data was collected (always known).
    Collection,
    /// The subject's last active contact (CNIL: opening an e-mail is not one).
    LastInteraction,
    /// End of the contract with the subject.
    ContractEnd,
    /// Closure of the subject's account.
    AccountClosure,
    /// A provider-specific event, e.g. `domain cancelled`.
    Event(String),
}

impl Anchor {
    /// The anchor an event key names (`contract_end`, `domain_cancelled`):
    /// the inverse of [`Anchor::key`].
    pub fn from_key(key: &str) -> Anchor {
        match key {
            "collection" => Anchor::Collection,
            "last_interaction" => Anchor::LastInteraction,
            "contract_end" => Anchor::ContractEnd,
            "account_closure" => Anchor::AccountClosure,
            other => Anchor::Event(other.to_string()),
        }
    }

    /// The canonical key of the anchor, used in records' event-date maps.
    pub fn key(&self) -> &str {
        match self {
            Anchor::Collection => "collection",
            Anchor::LastInteraction => "last_interaction",
            Anchor::ContractEnd => "contract_end",
            Anchor::AccountClosure => "account_closure",
            Anchor::Event(name) => name,
        }
    }

    fn words(&self) -> String {
        match self {
            Anchor::Event(name) => name.replace('_', " "),
            other => other.key().replace('_', " "),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Anchor::Collection, Lang::Fr) => "la collecte".into(),
            (Anchor::Collection, Lang::En) => "collection".into(),
            (Anchor::LastInteraction, Lang::Fr) => "le dernier contact".into(),
            (Anchor::LastInteraction, Lang::En) => "the last contact".into(),
            (Anchor::ContractEnd, Lang::Fr) => "la fin du contrat".into(),
            (Anchor::ContractEnd, Lang::En) => "the end of the contract".into(),
            (Anchor::AccountClosure, Lang::Fr) => "la clôture du compte".into(),
            (Anchor::AccountClosure, Lang::En) => "the account closure".into(),
            (Anchor::Event(_), Lang::Fr) => format!("l'événement « {} »", self.words()),
            (Anchor::Event(_), Lang::En) => format!("the event \"{}\"", self.words()),
        }
    }
}

/// The first clause of a rule: a period after an anchor, or until an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionBase {
    After { period: Period, anchor: Anchor },
    Until { event: String },
}

/// A parsed retention rule. See the module docs for the grammar. It
/// (de)serializes as its canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RetentionRule {
    pub base: RetentionBase,
    /// The longer period applying when a record is linked to a security incident.
    pub incident_period: Option<Period>,
    /// The legal reference when the period is a legal obligation (Art. 17(3)(b)).
    pub legal_obligation: Option<String>,
}

/// The dates that drive a record's retention.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDates {
    pub collected_at: Option<DateTime<Utc>>,
    pub last_interaction: Option<DateTime<Utc>>,
    pub contract_end: Option<DateTime<Utc>>,
    pub account_closure: Option<DateTime<Utc>>,
    /// Provider-specific events by name (`domain_cancelled`).
    #[serde(default)]
    pub events: BTreeMap<String, DateTime<Utc>>,
    /// Whether the record is linked to a security incident.
    #[serde(default)]
    pub incident_linked: bool,
}

impl EventDates {
    /// Date `event` at `at`, as when the provider tells the vault that a
    /// contract ended or a customer was in touch after the record was
    /// written. The last interaction only moves forward: an older contact
    /// reported late must not pull the clock back (the CNIL's three years
    /// for prospects run from the *last* contact). The other events take
    /// the date given, so a mistaken date can be corrected. Collection is
    /// fixed at write: `false`, nothing changed.
    pub fn date_event(&mut self, event: &Anchor, at: DateTime<Utc>) -> bool {
        match event {
            Anchor::Collection => return false,
            Anchor::LastInteraction => {
                self.last_interaction = Some(self.last_interaction.map_or(at, |d| d.max(at)));
            }
            Anchor::ContractEnd => self.contract_end = Some(at),
            Anchor::AccountClosure => self.account_closure = Some(at),
            Anchor::Event(name) => {
                self.events.insert(name.clone(), at);
            }
        }
        true
    }

    /// The date of `anchor`, if it has happened.
    pub fn date_of(&self, anchor: &Anchor) -> Option<DateTime<Utc>> {
        match anchor {
            Anchor::Collection => self.collected_at,
            Anchor::LastInteraction => self.last_interaction.or(self.collected_at),
            Anchor::ContractEnd => self.contract_end,
            Anchor::AccountClosure => self.account_closure,
            Anchor::Event(name) => self.events.get(name).copied(),
        }
    }
}

impl RetentionRule {
    /// The anchor of the base period, or the awaited event for `until` rules.
    pub fn anchor(&self) -> Anchor {
        match &self.base {
            RetentionBase::After { anchor, .. } => anchor.clone(),
            RetentionBase::Until { event } => Anchor::Event(event.clone()),
        }
    }

    /// The base period (`None` for `until <event>` rules).
    pub fn period(&self) -> Option<Period> {
        match &self.base {
            RetentionBase::After { period, .. } => Some(*period),
            RetentionBase::Until { .. } => None,
        }
    }

    pub fn incident_period(&self) -> Option<Period> {
        self.incident_period
    }

    pub fn legal_obligation(&self) -> Option<&str> {
        self.legal_obligation.as_deref()
    }

    /// ISO 8601 duration of the base period (`None` for `until` rules).
    pub fn iso8601(&self) -> Option<String> {
        self.period().map(|p| p.iso8601())
    }

    /// When the record becomes due for erasure or anonymisation.
    ///
    /// `None` means "not yet known": the anchor event has not happened
    /// (the contract is still running, the domain is not cancelled).
    pub fn due(&self, dates: &EventDates) -> Option<DateTime<Utc>> {
        match &self.base {
            RetentionBase::After { period, anchor } => {
                let start = dates.date_of(anchor)?;
                let period = match (dates.incident_linked, self.incident_period) {
                    (true, Some(longer)) => longer,
                    _ => *period,
                };
                period.add_to(start)
            }
            RetentionBase::Until { event } => {
                let start = dates.events.get(event).copied()?;
                match (dates.incident_linked, self.incident_period) {
                    (true, Some(longer)) => longer.add_to(start),
                    _ => Some(start),
                }
            }
        }
    }

    /// The rule in plain words for notices and access answers.
    pub fn describe(&self, lang: Lang) -> String {
        let mut out = match &self.base {
            RetentionBase::After { period, anchor } => match lang {
                Lang::Fr => format!("{} après {}", period.describe(lang), anchor.describe(lang)),
                Lang::En => format!("{} after {}", period.describe(lang), anchor.describe(lang)),
            },
            RetentionBase::Until { event } => {
                let event = Anchor::Event(event.clone());
                match lang {
                    Lang::Fr => format!("jusqu'à {}", event.describe(lang)),
                    Lang::En => format!("until {}", event.describe(lang)),
                }
            }
        };
        if let Some(p) = self.incident_period {
            match lang {
                Lang::Fr => out.push_str(&format!(
                    " ; {} en cas de lien avec un incident de sécurité",
                    p.describe(lang)
                )),
                Lang::En => out.push_str(&format!(
                    "; {} when linked to a security incident",
                    p.describe(lang)
                )),
            }
        }
        if let Some(reference) = &self.legal_obligation {
            match lang {
                Lang::Fr => out.push_str(&format!(" (obligation légale : {reference})")),
                Lang::En => out.push_str(&format!(" (legal obligation: {reference})")),
            }
        }
        out
    }
}

impl fmt::Display for RetentionRule {
    /// The canonical text, which parses back to the same rule.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.base {
            RetentionBase::After { period, anchor } => {
                write!(f, "{period} after {}", anchor.words())?
            }
            RetentionBase::Until { event } => write!(f, "until {}", event.replace('_', " "))?,
        }
        if let Some(p) = self.incident_period {
            write!(f, "; {p} if linked to an incident")?;
        }
        if let Some(reference) = &self.legal_obligation {
            write!(f, "; legal obligation: {reference}")?;
        }
        Ok(())
    }
}

/// Why a retention rule did not parse, with the byte offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RetentionParseError {
    /// Byte offset into the rule text where the problem starts.
    pub offset: usize,
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

const RULE_HINT: &str = "write e.g. `13 months after collection`, `3 years after last interaction`, \
     `5 years after contract end`, `30 days after account closure` or `until domain cancelled`";

impl FromStr for RetentionRule {
    type Err = RetentionParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut clauses = split_clauses(text);
        let (base_offset, base_text) = clauses.next().unwrap_or((0, ""));
        let base = parse_base(base_text, base_offset)?;
        let mut rule = RetentionRule {
            base,
            incident_period: None,
            legal_obligation: None,
        };
        for (offset, clause) in clauses {
            parse_clause(&mut rule, clause, offset)?;
        }
        Ok(rule)
    }
}

impl Serialize for RetentionRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RetentionRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Splits on `;`, yielding each trimmed clause with its byte offset.
fn split_clauses(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.split(';').map(move |part| {
        let lead = part.len() - part.trim_start().len();
        let item = (start + lead, part.trim());
        start += part.len() + 1;
        item
    })
}

fn parse_base(text: &str, offset: usize) -> Result<RetentionBase, RetentionParseError> {
    if text.is_empty() {
        return Err(err(offset, "empty retention rule", RULE_HINT));
    }
    let lower = text.to_lowercase();
    if let Some(rest) = strip_word(&lower, "until") {
        let at = offset + text.len().saturating_sub(rest.len());
        let event = parse_event(rest, at)?;
        return Ok(RetentionBase::Until { event });
    }
    let (period, rest_at) = parse_period(text, offset)?;
    let rest = &text[rest_at - offset..];
    let rest_lower = rest.to_lowercase();
    let Some(anchor_text) = strip_word(rest_lower.trim_start(), "after") else {
        return Err(err(
            rest_at + (rest.len() - rest.trim_start().len()),
            "expected `after` and the event the period starts from",
            RULE_HINT,
        ));
    };
    let anchor_at = offset + text.len().saturating_sub(anchor_text.len());
    // The built-in anchors are matched on the event key, so `contract_end` and
    // `contract  end` are the contract's end, as the rule prints it.
    let name = parse_event(anchor_text, anchor_at)?;
    let anchor = match name.as_str() {
        "collection" => Anchor::Collection,
        "last_interaction" | "last_contact" => Anchor::LastInteraction,
        "contract_end" | "end_of_contract" => Anchor::ContractEnd,
        "account_closure" => Anchor::AccountClosure,
        _ => Anchor::Event(name),
    };
    Ok(RetentionBase::After { period, anchor })
}

fn parse_clause(
    rule: &mut RetentionRule,
    text: &str,
    offset: usize,
) -> Result<(), RetentionParseError> {
    const LEGAL: &str = "legal obligation";
    let is_legal = text
        .get(..LEGAL.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(LEGAL));
    if is_legal {
        let reference = text[LEGAL.len()..].trim_start();
        let Some(reference) = reference.strip_prefix(':') else {
            return Err(err(
                offset,
                "a legal obligation needs its legal reference after a colon",
                "write e.g. `legal obligation: Code de commerce art. L123-22`",
            ));
        };
        // Keep the reference's original case: it is cited as written.
        let start = text.len() - reference.len();
        let reference = text[start..].trim();
        if reference.is_empty() {
            return Err(err(
                offset + start,
                "the legal obligation has no legal reference",
                "name the law, e.g. `legal obligation: Code de commerce art. L123-22`",
            ));
        }
        if rule.legal_obligation.is_some() {
            return Err(err(
                offset,
                "the legal obligation is given twice",
                "keep one `legal obligation:` clause",
            ));
        }
        rule.legal_obligation = Some(reference.to_string());
        return Ok(());
    }
    let (period, rest_at) = parse_period(text, offset)?;
    let rest = text[rest_at - offset..].trim().to_lowercase();
    if !matches!(
        rest.as_str(),
        "if linked to an incident" | "if linked to a security incident" | "if incident"
    ) {
        return Err(err(
            rest_at,
            "unknown clause after the period",
            "write `; 36 months if linked to an incident` or `; legal obligation: <reference>`",
        ));
    }
    if rule.incident_period.is_some() {
        return Err(err(
            offset,
            "the incident period is given twice",
            "keep one `if linked to an incident` clause",
        ));
    }
    if let Some(base) = rule.period()
        && period.bounds_days().1 <= base.bounds_days().0
    {
        return Err(err(
            offset,
            "the incident period must be longer than the base period",
            "an incident extends retention, e.g. `12 months after collection; 36 months if linked to an incident`",
        ));
    }
    rule.incident_period = Some(period);
    Ok(())
}

/// Parses `N unit` at the start of `text`; returns the period and the
/// absolute offset just after the unit.
fn parse_period(text: &str, offset: usize) -> Result<(Period, usize), RetentionParseError> {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return Err(err(
            offset,
            "expected a number of days, weeks, months or years",
            RULE_HINT,
        ));
    }
    let amount: u32 = text[..digits].parse().map_err(|_| {
        err(
            offset,
            "the number is too large",
            "use a period of at most a few hundred years",
        )
    })?;
    if amount == 0 {
        return Err(err(
            offset,
            "a retention period of zero keeps nothing",
            "give a positive number, or use `until <event>`",
        ));
    }
    let after_number = &text[digits..];
    let unit_start = digits + (after_number.len() - after_number.trim_start().len());
    let unit_word: String = text[unit_start..]
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect();
    let unit = match unit_word.to_lowercase().as_str() {
        "day" | "days" => PeriodUnit::Days,
        "week" | "weeks" => PeriodUnit::Weeks,
        "month" | "months" => PeriodUnit::Months,
        "year" | "years" => PeriodUnit::Years,
        "" => {
            return Err(err(
                offset + unit_start,
                "the number has no unit",
                "add `days`, `weeks`, `months` or `years`",
            ));
        }
        _ => {
            return Err(err(
                offset + unit_start,
                format!("unknown unit `{unit_word}`"),
                "use `days`, `weeks`, `months` or `years`",
            ));
        }
    };
    if amount.checked_mul(12).is_none() || (unit == PeriodUnit::Years && amount > 1000) {
        return Err(err(
            offset,
            "the period is too long",
            "use a period of at most a few hundred years",
        ));
    }
    Ok((
        Period::new(amount, unit),
        offset + unit_start + unit_word.len(),
    ))
}

fn parse_event(text: &str, offset: usize) -> Result<String, RetentionParseError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(err(
            offset,
            "the event has no name",
            "name the event, e.g. `until domain cancelled`",
        ));
    }
    if let Some(bad) =
        text.find(|c: char| !(c.is_alphanumeric() || c == ' ' || c == '-' || c == '_'))
    {
        return Err(err(
            offset + bad,
            "an event name may only hold letters, digits, spaces, `-` and `_`",
            "name the event in words, e.g. `domain cancelled`",
        ));
    }
    // Spaces and underscores are one separator (the rule prints its event
    // with spaces), so `domain_ cancelled` is `domain_cancelled` and the
    // printed rule parses back to the same key (found by the fuzz target
    // `rule_values`).
    let name = text
        .split(|c: char| c.is_whitespace() || c == '_')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase();
    if name.is_empty() {
        return Err(err(
            offset,
            "the event has no name",
            "name the event, e.g. `until domain cancelled`",
        ));
    }
    Ok(name)
}

/// `text` without the leading keyword `word` and the spaces after it.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(word)?;
    (rest.starts_with(char::is_whitespace)).then(|| rest.trim_start())
}

fn err(offset: usize, message: impl Into<String>, hint: &str) -> RetentionParseError {
    RetentionParseError {
        offset,
        message: message.into(),
        hint: hint.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn rule(s: &str) -> RetentionRule {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn an_event_dated_later_sets_the_due_date_and_the_last_contact_only_moves_forward() {
        let contact = rule("1 year after contract end");
        let mut dates = EventDates {
            collected_at: Some(at("2020-03-01T10:00:00Z")),
            ..EventDates::default()
        };
        assert_eq!(contact.due(&dates), None, "the contract runs");
        assert!(dates.date_event(
            &Anchor::from_key("contract_end"),
            at("2024-01-30T23:00:00Z")
        ));
        assert_eq!(contact.due(&dates), Some(at("2025-01-30T23:00:00Z")));
        // A corrected contract end replaces the first.
        dates.date_event(&Anchor::ContractEnd, at("2024-06-30T22:00:00Z"));
        assert_eq!(contact.due(&dates), Some(at("2025-06-30T22:00:00Z")));

        let prospect = rule("3 years after last interaction");
        dates.date_event(&Anchor::LastInteraction, at("2024-05-01T08:00:00Z"));
        dates.date_event(&Anchor::LastInteraction, at("2023-01-01T08:00:00Z"));
        assert_eq!(
            prospect.due(&dates),
            Some(at("2027-05-01T08:00:00Z")),
            "an older contact reported late does not pull the clock back"
        );

        let domain = rule("30 days after domain cancelled");
        dates.date_event(
            &Anchor::from_key("domain_cancelled"),
            at("2026-01-01T00:00:00Z"),
        );
        assert_eq!(domain.due(&dates), Some(at("2026-01-31T00:00:00Z")));

        assert!(!dates.date_event(&Anchor::Collection, at("2026-01-01T00:00:00Z")));
        assert_eq!(
            dates.collected_at,
            Some(at("2020-03-01T10:00:00Z")),
            "collection is fixed"
        );
        for key in [
            "collection",
            "last_interaction",
            "contract_end",
            "account_closure",
            "x_y",
        ] {
            assert_eq!(Anchor::from_key(key).key(), key);
        }
    }

    #[test]
    fn event_names_have_one_form_whatever_their_separators() {
        for (text, anchor) in [
            (
                "30 days after domain_ cancelled",
                Anchor::Event("domain_cancelled".into()),
            ),
            (
                "30 days after Domain  Cancelled",
                Anchor::Event("domain_cancelled".into()),
            ),
            ("3 years after contract_end", Anchor::ContractEnd),
            ("3 years after last_contact", Anchor::LastInteraction),
        ] {
            let parsed = rule(text);
            assert_eq!(parsed.anchor(), anchor, "{text}");
            assert_eq!(rule(&parsed.to_string()), parsed, "{text} prints back");
        }
        for text in ["30 days after _", "until __ "] {
            assert!(
                text.parse::<RetentionRule>().is_err(),
                "{text} was accepted"
            );
        }
    }

    #[test]
    fn parses_every_anchor() {
        assert_eq!(
            rule("13 months after collection").anchor(),
            Anchor::Collection
        );
        assert_eq!(
            rule("3 years after last interaction").anchor(),
            Anchor::LastInteraction
        );
        assert_eq!(
            rule("5 Years After Contract End").anchor(),
            Anchor::ContractEnd
        );
        assert_eq!(
            rule("30 days after account closure").anchor(),
            Anchor::AccountClosure
        );
        assert_eq!(
            rule("30 days after domain cancelled").anchor(),
            Anchor::Event("domain_cancelled".into())
        );
        assert_eq!(
            rule("until domain cancelled").anchor(),
            Anchor::Event("domain_cancelled".into())
        );
    }

    #[test]
    fn canonical_text_round_trips() {
        for text in [
            "13 months after collection",
            "1 year after contract end; legal obligation: Décret 2021-1362 art. 1",
            "12 months after collection; 36 months if linked to an incident",
            "until domain cancelled",
            "2 weeks after account closure",
        ] {
            let parsed = rule(text);
            assert_eq!(parsed.to_string(), text);
            assert_eq!(parsed.to_string().parse::<RetentionRule>().unwrap(), parsed);
        }
    }

    #[test]
    fn legal_reference_keeps_its_case() {
        let r = rule("10 years after collection; legal obligation: Code de commerce art. L123-22");
        assert_eq!(r.legal_obligation(), Some("Code de commerce art. L123-22"));
        assert_eq!(r.iso8601().as_deref(), Some("P10Y"));
    }

    #[test]
    fn months_clamp_to_end_of_month() {
        let r = rule("1 month after collection");
        let dates = EventDates {
            collected_at: Some(at("2028-01-31T12:00:00Z")),
            ..Default::default()
        };
        assert_eq!(r.due(&dates), Some(at("2028-02-29T12:00:00Z")));
    }

    #[test]
    fn incident_link_takes_the_longer_period() {
        let r = rule("12 months after collection; 36 months if linked to an incident");
        let mut dates = EventDates {
            collected_at: Some(at("2026-03-01T00:00:00Z")),
            ..Default::default()
        };
        assert_eq!(r.due(&dates), Some(at("2027-03-01T00:00:00Z")));
        dates.incident_linked = true;
        assert_eq!(r.due(&dates), Some(at("2029-03-01T00:00:00Z")));
    }

    #[test]
    fn weeks_are_seven_days_and_periods_know_their_calendar_bounds() {
        let start = at("2026-03-01T00:00:00Z");
        let weeks = Period::new(2, PeriodUnit::Weeks);
        assert_eq!(weeks.add_to(start), Some(at("2026-03-15T00:00:00Z")));
        assert_eq!(
            Period::new(1, PeriodUnit::Weeks).add_to(start),
            Some(at("2026-03-08T00:00:00Z"))
        );
        assert_eq!(weeks.subtract_from(start), Some(at("2026-02-15T00:00:00Z")));
        // What the incident clause is compared with (its longest span must
        // exceed the base's shortest).
        assert_eq!(Period::new(2, PeriodUnit::Days).bounds_days(), (2, 2));
        assert_eq!(weeks.bounds_days(), (14, 14));
        assert_eq!(Period::new(2, PeriodUnit::Months).bounds_days(), (56, 62));
        assert_eq!(Period::new(2, PeriodUnit::Years).bounds_days(), (730, 732));
    }

    #[test]
    fn an_until_rule_linked_to_an_incident_runs_its_period_from_the_event() {
        let r = rule("until domain cancelled; 12 months if linked to an incident");
        let mut dates = EventDates::default();
        dates
            .events
            .insert("domain_cancelled".into(), at("2027-01-01T00:00:00Z"));
        assert_eq!(r.due(&dates), Some(at("2027-01-01T00:00:00Z")));
        dates.incident_linked = true;
        assert_eq!(r.due(&dates), Some(at("2028-01-01T00:00:00Z")));
    }

    #[test]
    fn a_period_error_points_into_the_text_as_written() {
        // Right after the period, counted in the text with its leading spaces.
        let e = "  12 months later".parse::<Period>().unwrap_err();
        assert_eq!(e.offset, 11, "{e:?}");
        assert!(e.message.contains("unexpected text"), "{e:?}");
    }

    #[test]
    fn not_due_until_the_anchor_happens() {
        let r = rule("5 years after contract end");
        let mut dates = EventDates {
            collected_at: Some(at("2020-01-01T00:00:00Z")),
            ..Default::default()
        };
        assert_eq!(r.due(&dates), None);
        dates.contract_end = Some(at("2026-06-30T00:00:00Z"));
        assert_eq!(r.due(&dates), Some(at("2031-06-30T00:00:00Z")));

        let until = rule("until domain cancelled");
        assert_eq!(until.due(&dates), None);
        dates
            .events
            .insert("domain_cancelled".into(), at("2027-01-01T00:00:00Z"));
        assert_eq!(until.due(&dates), Some(at("2027-01-01T00:00:00Z")));
    }

    #[test]
    fn last_interaction_falls_back_to_collection() {
        let r = rule("3 years after last interaction");
        let dates = EventDates {
            collected_at: Some(at("2024-05-10T00:00:00Z")),
            ..Default::default()
        };
        assert_eq!(r.due(&dates), Some(at("2027-05-10T00:00:00Z")));
    }

    #[test]
    fn errors_point_inside_the_text() {
        let e = "13 moons after collection"
            .parse::<RetentionRule>()
            .unwrap_err();
        assert_eq!(e.offset, 3);
        assert!(e.message.contains("moons"), "{e:?}");

        let e = "13 months before collection"
            .parse::<RetentionRule>()
            .unwrap_err();
        assert_eq!(e.offset, 10);

        let e = "13 months after collection; forever"
            .parse::<RetentionRule>()
            .unwrap_err();
        assert_eq!(e.offset, 28);

        let e = "12 months after collection; 6 months if linked to an incident"
            .parse::<RetentionRule>()
            .unwrap_err();
        assert!(e.message.contains("longer"));

        let e = "10 years after collection; legal obligation"
            .parse::<RetentionRule>()
            .unwrap_err();
        assert!(e.hint.contains("L123-22"));

        assert!("".parse::<RetentionRule>().is_err());
        assert!("0 days after collection".parse::<RetentionRule>().is_err());
        assert!(
            "99999999999 days after collection"
                .parse::<RetentionRule>()
                .is_err()
        );
        assert!("until".parse::<RetentionRule>().is_err());
        assert!("until domain <cancelled>".parse::<RetentionRule>().is_err());
        // Case folding that changes byte lengths must not panic.
        assert!(
            "12 months after collection; İİİİİİİİİİİİİİİİİİ"
                .parse::<RetentionRule>()
                .is_err()
        );
        let _ = "12 MONTHS AFTER İİ".parse::<RetentionRule>();
    }

    /// Every refusal points at the faulty word in the text as the provider
    /// wrote it, leading spaces and earlier clauses included.
    #[test]
    fn errors_point_at_the_faulty_word() {
        let at_word = |text: &str, word: &str| {
            let e = text.parse::<RetentionRule>().unwrap_err();
            assert_eq!(
                e.offset,
                text.find(word).expect("word in text"),
                "{text:?}: {e:?}"
            );
            e
        };
        at_word("  13 months before collection", "before");
        at_word("13 months   before collection", "before");
        at_word("until domain <cancelled>", "<");
        at_word("12 months after contract <end>", "<");
        let e = at_word("12 after collection", "after");
        assert_eq!(e.message, "unknown unit `after`");
        let e = "   12".parse::<RetentionRule>().unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (5, "the number has no unit")
        );
        // Where the missing reference should be: right after the colon.
        let text = "10 years after collection; legal obligation:   ";
        let e = text.parse::<RetentionRule>().unwrap_err();
        assert_eq!(e.offset, text.find(':').expect("colon") + 1, "{e:?}");
        assert!(e.message.contains("no legal reference"), "{e:?}");
    }

    #[test]
    fn a_period_too_long_for_the_calendar_is_refused() {
        for text in [
            "400000000 days after collection",
            "1001 years after collection",
        ] {
            let e = text.parse::<RetentionRule>().unwrap_err();
            assert_eq!(e.message, "the period is too long", "{text}");
        }
        assert!(
            "1000 years after collection"
                .parse::<RetentionRule>()
                .is_ok()
        );
        assert!(
            "5000 months after collection"
                .parse::<RetentionRule>()
                .is_ok()
        );
    }

    #[test]
    fn describes_in_both_languages() {
        let r =
            rule("10 years after contract end; legal obligation: Code de commerce art. L123-22");
        assert_eq!(
            r.describe(Lang::Fr),
            "10 ans après la fin du contrat (obligation légale : Code de commerce art. L123-22)"
        );
        assert_eq!(
            r.describe(Lang::En),
            "10 years after the end of the contract (legal obligation: Code de commerce art. L123-22)"
        );
    }

    #[test]
    fn deserializes_from_a_string() {
        #[derive(Deserialize)]
        struct Holder {
            retention: RetentionRule,
        }
        let h: Holder =
            serde_json::from_str(r#"{"retention":"13 months after collection"}"#).unwrap();
        assert_eq!(
            h.retention.period(),
            Some(Period::new(13, PeriodUnit::Months))
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in ".{0,80}") {
            let _ = s.parse::<RetentionRule>();
        }

        #[test]
        fn due_is_never_before_collection(days in 1u32..5000, secs in 0i64..2_000_000_000) {
            let r = RetentionRule {
                base: RetentionBase::After { period: Period::new(days, PeriodUnit::Days), anchor: Anchor::Collection },
                incident_period: None,
                legal_obligation: None,
            };
            let start = DateTime::from_timestamp(secs, 0).unwrap();
            let dates = EventDates { collected_at: Some(start), ..Default::default() };
            proptest::prop_assert!(r.due(&dates).unwrap() > start);
        }
    }
}
