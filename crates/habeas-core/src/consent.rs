//! The consent ledger (GDPR Art. 7): an append-only list of events per
//! subject and purpose, the state derived from it, the "may this purpose be
//! processed?" decision, and the proof of consent a controller must be able
//! to show (Art. 7(1)).
//!
//! Why events and not a flag: Art. 7(1) asks the controller to demonstrate
//! *that and how* consent was given, *when*, and *what the person was told*
//! (EDPB Guidelines 05/2020 §5.1). Each event therefore points to the exact
//! notice text shown (version + SHA-256), and the state is recomputed from
//! the events, so a withdrawal never erases the evidence of the earlier
//! consent — which keeps the processing before it lawful (Art. 7(3)).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A SHA-256 digest, written as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// The digest of exactly these bytes (the notice text as shown).
    pub fn of(bytes: &[u8]) -> Self {
        Sha256Digest(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{self}")
    }
}

/// A digest that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a SHA-256 digest is 64 hexadecimal digits; got {len} characters{detail}")]
pub struct BadDigest {
    pub len: usize,
    pub detail: String,
}

impl FromStr for Sha256Digest {
    type Err = BadDigest;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = s.strip_prefix("sha256:").unwrap_or(s);
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|e| BadDigest {
            len: s.chars().count(),
            detail: if s.len() == 64 {
                format!(" ({e})")
            } else {
                String::new()
            },
        })?;
        Ok(Sha256Digest(out))
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The notice text the subject was shown when they chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeShown {
    pub version: String,
    pub sha256: Sha256Digest,
}

impl NoticeShown {
    /// Whether `text` is exactly the text that was shown.
    pub fn matches(&self, text: &[u8]) -> bool {
        Sha256Digest::of(text) == self.sha256
    }
}

/// What the subject did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    /// A clear affirmative act (Art. 4(11)).
    Given,
    /// The subject said no when asked (kept too: CNIL cookie guidance asks
    /// that refusals be stored, so the subject is not asked again at once).
    Refused,
    /// Art. 7(3): withdrawal, as easy as giving.
    Withdrawn,
}

impl FromStr for ConsentAction {
    type Err = crate::rights::keyword::UnknownKeyword;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::rights::keyword::parse_keyword(
            s,
            &[
                ("given", ConsentAction::Given),
                ("give", ConsentAction::Given),
                ("refused", ConsentAction::Refused),
                ("refuse", ConsentAction::Refused),
                ("withdrawn", ConsentAction::Withdrawn),
                ("withdraw", ConsentAction::Withdrawn),
            ],
            "consent action",
            "give, refuse or withdraw",
        )
    }
}

/// One event of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub subject: String,
    /// The consent purpose declared in `[consents.<name>]`.
    pub purpose: String,
    pub action: ConsentAction,
    pub at: DateTime<Utc>,
    /// How the choice was collected: `portal`, `signup-form`, `api`,
    /// `email-link`, `paper`… (ISO/IEC TS 27560 "collection method").
    pub channel: String,
    pub notice: NoticeShown,
    /// Staff member who recorded it on the subject's behalf, if not the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
}

/// The consent state of one subject for one purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConsentState {
    /// Never asked, or no event recorded.
    Unknown,
    Given {
        since: DateTime<Utc>,
    },
    Refused {
        since: DateTime<Utc>,
    },
    Withdrawn {
        since: DateTime<Utc>,
    },
}

impl ConsentState {
    /// Only a consent given and not withdrawn allows processing (Art. 6(1)(a)).
    pub fn permits_processing(&self) -> bool {
        matches!(self, ConsentState::Given { .. })
    }

    fn after(self, event: &ConsentEvent) -> ConsentState {
        match event.action {
            ConsentAction::Given => ConsentState::Given { since: event.at },
            ConsentAction::Refused => ConsentState::Refused { since: event.at },
            ConsentAction::Withdrawn => ConsentState::Withdrawn { since: event.at },
        }
    }
}

/// Why an event was not recorded. The ledger is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    #[error("consent event: `{field}` is empty; give the {field} the choice is about")]
    Empty { field: &'static str },
    #[error(
        "nothing to withdraw: consent for this purpose is `{state}`; a withdrawal follows a consent given (Art. 7(3))"
    )]
    NothingToWithdraw { state: &'static str },
    #[error(
        "consent event dated {at} is earlier than the last event for this subject and purpose ({last}); the ledger is append-only"
    )]
    OutOfOrder {
        at: DateTime<Utc>,
        last: DateTime<Utc>,
    },
}

impl ConsentState {
    fn key(&self) -> &'static str {
        match self {
            ConsentState::Unknown => "unknown",
            ConsentState::Given { .. } => "given",
            ConsentState::Refused { .. } => "refused",
            ConsentState::Withdrawn { .. } => "withdrawn",
        }
    }
}

/// A stored event that breaks the ledger's rules, by its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("consent event #{index} (counting from 0): {error}")]
pub struct LedgerLoadError {
    pub index: usize,
    pub error: ConsentError,
}

/// The decision for processing one purpose of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ConsentDecision {
    Allow {
        given_at: DateTime<Utc>,
        notice: NoticeShown,
    },
    Deny {
        state: ConsentState,
    },
}

/// The append-only ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentLedger {
    events: Vec<ConsentEvent>,
}

impl ConsentLedger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuild a ledger from stored events, in recording order, checking
    /// each as [`ConsentLedger::record`] would.
    pub fn from_events(
        events: impl IntoIterator<Item = ConsentEvent>,
    ) -> Result<Self, LedgerLoadError> {
        let mut ledger = Self::new();
        for (index, e) in events.into_iter().enumerate() {
            ledger
                .record(e)
                .map_err(|error| LedgerLoadError { index, error })?;
        }
        Ok(ledger)
    }

    pub fn events(&self) -> &[ConsentEvent] {
        &self.events
    }

    fn for_pair<'a>(
        &'a self,
        subject: &'a str,
        purpose: &'a str,
    ) -> impl Iterator<Item = &'a ConsentEvent> + 'a {
        self.events
            .iter()
            .filter(move |e| e.subject == subject && e.purpose == purpose)
    }

    /// Append an event after checking it.
    pub fn record(&mut self, event: ConsentEvent) -> Result<(), ConsentError> {
        for (field, value) in [
            ("subject", &event.subject),
            ("purpose", &event.purpose),
            ("channel", &event.channel),
            ("notice version", &event.notice.version),
        ] {
            if value.trim().is_empty() {
                return Err(ConsentError::Empty { field });
            }
        }
        if let Some(last) = self.for_pair(&event.subject, &event.purpose).last()
            && event.at < last.at
        {
            return Err(ConsentError::OutOfOrder {
                at: event.at,
                last: last.at,
            });
        }
        let state = self.state(&event.subject, &event.purpose);
        if event.action == ConsentAction::Withdrawn && !state.permits_processing() {
            return Err(ConsentError::NothingToWithdraw { state: state.key() });
        }
        self.events.push(event);
        Ok(())
    }

    /// The current state (after the last event).
    pub fn state(&self, subject: &str, purpose: &str) -> ConsentState {
        self.for_pair(subject, purpose)
            .fold(ConsentState::Unknown, ConsentState::after)
    }

    /// The state at an instant: events at or before `at` count. Processing
    /// done while consent was given stays lawful after a withdrawal (Art. 7(3)).
    pub fn state_at(&self, subject: &str, purpose: &str, at: DateTime<Utc>) -> ConsentState {
        self.for_pair(subject, purpose)
            .filter(|e| e.at <= at)
            .fold(ConsentState::Unknown, ConsentState::after)
    }

    /// Every purpose of a subject with its current state.
    pub fn states_of(&self, subject: &str) -> BTreeMap<String, ConsentState> {
        let mut out = BTreeMap::new();
        for e in self.events.iter().filter(|e| e.subject == subject) {
            let state = out
                .get(&e.purpose)
                .copied()
                .unwrap_or(ConsentState::Unknown)
                .after(e);
            out.insert(e.purpose.clone(), state);
        }
        out
    }

    /// May `purpose` be processed for `subject` now (new processing only;
    /// a withdrawal takes effect at once, Art. 7(3))?
    pub fn may_process(&self, subject: &str, purpose: &str) -> ConsentDecision {
        let state = self.state(subject, purpose);
        match (state, self.for_pair(subject, purpose).last()) {
            (ConsentState::Given { since }, Some(last)) => ConsentDecision::Allow {
                given_at: since,
                notice: last.notice.clone(),
            },
            _ => ConsentDecision::Deny { state },
        }
    }

    /// The proof of consent for one subject (Art. 7(1)), every purpose with
    /// its full history.
    pub fn proof(&self, subject: &str, generated_at: DateTime<Utc>) -> ConsentProof {
        let mut purposes: BTreeMap<String, PurposeProof> = BTreeMap::new();
        for e in self.events.iter().filter(|e| e.subject == subject) {
            let entry = purposes
                .entry(e.purpose.clone())
                .or_insert_with(|| PurposeProof {
                    purpose: e.purpose.clone(),
                    state: ConsentState::Unknown,
                    events: Vec::new(),
                });
            entry.state = entry.state.after(e);
            entry.events.push(ProofEvent {
                action: e.action,
                at: e.at,
                channel: e.channel.clone(),
                notice: e.notice.clone(),
                recorded_by: e.recorded_by.clone(),
            });
        }
        ConsentProof {
            schema: CONSENT_PROOF_SCHEMA.to_string(),
            subject: subject.to_string(),
            generated_at,
            purposes: purposes.into_values().collect(),
        }
    }
}

/// The schema name and version of [`ConsentProof`] JSON.
pub const CONSENT_PROOF_SCHEMA: &str = "habeas.consent-proof/1";

/// Proof of consent for export (`habeas consent proof SUBJECT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentProof {
    pub schema: String,
    pub subject: String,
    pub generated_at: DateTime<Utc>,
    pub purposes: Vec<PurposeProof>,
}

/// One purpose in a proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeProof {
    pub purpose: String,
    pub state: ConsentState,
    pub events: Vec<ProofEvent>,
}

/// One event in a proof (the subject is the proof's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofEvent {
    pub action: ConsentAction,
    pub at: DateTime<Utc>,
    pub channel: String,
    pub notice: NoticeShown,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::utc;

    const NOTICE_V1: &str = "Nous vous enverrons notre lettre d'information mensuelle.";
    const NOTICE_V2: &str = "Nous vous enverrons notre lettre d'information hebdomadaire.";

    fn event(action: ConsentAction, at: &str, notice: (&str, &str)) -> ConsentEvent {
        ConsentEvent {
            subject: "subj-1".into(),
            purpose: "newsletter".into(),
            action,
            at: utc(at),
            channel: "portal".into(),
            notice: NoticeShown {
                version: notice.0.into(),
                sha256: Sha256Digest::of(notice.1.as_bytes()),
            },
            recorded_by: None,
        }
    }

    #[test]
    fn art7_3_withdrawal_takes_effect_at_once_for_new_processing() {
        let mut ledger = ConsentLedger::new();
        ledger
            .record(event(
                ConsentAction::Given,
                "2026-01-10T10:00:00Z",
                ("v1", NOTICE_V1),
            ))
            .unwrap();
        assert!(matches!(
            ledger.may_process("subj-1", "newsletter"),
            ConsentDecision::Allow { .. }
        ));
        ledger
            .record(event(
                ConsentAction::Withdrawn,
                "2026-02-01T10:00:00Z",
                ("v1", NOTICE_V1),
            ))
            .unwrap();
        assert_eq!(
            ledger.may_process("subj-1", "newsletter"),
            ConsentDecision::Deny {
                state: ConsentState::Withdrawn {
                    since: utc("2026-02-01T10:00:00Z")
                }
            }
        );
        // Processing before the withdrawal was lawful and stays provable.
        assert!(
            ledger
                .state_at("subj-1", "newsletter", utc("2026-01-20T00:00:00Z"))
                .permits_processing()
        );
        assert!(
            !ledger
                .state_at("subj-1", "newsletter", utc("2026-01-01T00:00:00Z"))
                .permits_processing()
        );
    }

    #[test]
    fn art7_3_withdraw_then_give_again_with_a_new_notice() {
        let mut ledger = ConsentLedger::new();
        ledger
            .record(event(
                ConsentAction::Given,
                "2026-01-10T10:00:00Z",
                ("v1", NOTICE_V1),
            ))
            .unwrap();
        ledger
            .record(event(
                ConsentAction::Withdrawn,
                "2026-02-01T10:00:00Z",
                ("v1", NOTICE_V1),
            ))
            .unwrap();
        ledger
            .record(event(
                ConsentAction::Given,
                "2026-03-01T10:00:00Z",
                ("v2", NOTICE_V2),
            ))
            .unwrap();
        match ledger.may_process("subj-1", "newsletter") {
            ConsentDecision::Allow { given_at, notice } => {
                assert_eq!(given_at, utc("2026-03-01T10:00:00Z"));
                assert_eq!(notice.version, "v2");
                assert!(notice.matches(NOTICE_V2.as_bytes()));
                assert!(!notice.matches(NOTICE_V1.as_bytes()));
            }
            other => panic!("expected allow, got {other:?}"),
        }
        // Another purpose is untouched (granularity, EDPB 05/2020 §3.1.3).
        assert_eq!(ledger.state("subj-1", "partners"), ConsentState::Unknown);
        assert_eq!(ledger.states_of("subj-1").len(), 1);
    }

    #[test]
    fn art6_1_a_no_consent_no_processing() {
        let mut ledger = ConsentLedger::new();
        assert_eq!(
            ledger.may_process("subj-1", "newsletter"),
            ConsentDecision::Deny {
                state: ConsentState::Unknown
            }
        );
        ledger
            .record(event(
                ConsentAction::Refused,
                "2026-01-10T10:00:00Z",
                ("v1", NOTICE_V1),
            ))
            .unwrap();
        assert!(matches!(
            ledger.may_process("subj-1", "newsletter"),
            ConsentDecision::Deny {
                state: ConsentState::Refused { .. }
            }
        ));
    }

    #[test]
    fn invalid_events_are_refused_and_change_nothing() {
        let mut ledger = ConsentLedger::new();
        let e = ledger
            .record(event(
                ConsentAction::Withdrawn,
                "2026-01-10T10:00:00Z",
                ("v1", NOTICE_V1),
            ))
            .unwrap_err();
        assert_eq!(e, ConsentError::NothingToWithdraw { state: "unknown" });
        ledger
            .record(event(
                ConsentAction::Given,
                "2026-01-10T10:00:00Z",
                ("v1", NOTICE_V1),
            ))
            .unwrap();
        let e = ledger
            .record(event(
                ConsentAction::Withdrawn,
                "2026-01-09T10:00:00Z",
                ("v1", NOTICE_V1),
            ))
            .unwrap_err();
        assert!(matches!(e, ConsentError::OutOfOrder { .. }));
        // Events of the same instant keep the order they are recorded in.
        let mut same_instant = ConsentLedger::new();
        for action in [ConsentAction::Given, ConsentAction::Withdrawn] {
            same_instant
                .record(event(action, "2026-01-10T10:00:00Z", ("v1", NOTICE_V1)))
                .unwrap();
        }
        assert_eq!(same_instant.events().len(), 2);
        let mut no_channel = event(
            ConsentAction::Given,
            "2026-01-11T10:00:00Z",
            ("v1", NOTICE_V1),
        );
        no_channel.channel = " ".into();
        assert_eq!(
            ledger.record(no_channel),
            Err(ConsentError::Empty { field: "channel" })
        );
        assert_eq!(ledger.events().len(), 1);
    }

    #[test]
    fn art7_1_proof_of_consent_round_trips_through_json() {
        let ledger = ConsentLedger::from_events([
            event(
                ConsentAction::Given,
                "2026-01-10T10:00:00Z",
                ("v1", NOTICE_V1),
            ),
            event(
                ConsentAction::Withdrawn,
                "2026-02-01T10:00:00Z",
                ("v1", NOTICE_V1),
            ),
            ConsentEvent {
                subject: "someone-else".into(),
                ..event(
                    ConsentAction::Given,
                    "2026-01-01T00:00:00Z",
                    ("v1", NOTICE_V1),
                )
            },
        ])
        .unwrap();
        let proof = ledger.proof("subj-1", utc("2026-12-04T12:00:00Z"));
        assert_eq!(proof.purposes.len(), 1);
        assert_eq!(
            proof.purposes[0].events.len(),
            2,
            "the other subject's event is not in the proof"
        );
        let json = serde_json::to_string_pretty(&proof).unwrap();
        assert!(json.contains(r#""schema": "habeas.consent-proof/1""#));
        assert!(json.contains(&Sha256Digest::of(NOTICE_V1.as_bytes()).to_string()));
        let back: ConsentProof = serde_json::from_str(&json).unwrap();
        assert_eq!(back, proof);
        assert!(
            back.purposes[0].events[0]
                .notice
                .matches(NOTICE_V1.as_bytes())
        );
    }

    #[test]
    fn consent_actions_parse_for_the_cli() {
        assert_eq!("Withdraw".parse(), Ok(ConsentAction::Withdrawn));
        assert_eq!("given".parse(), Ok(ConsentAction::Given));
        assert!(
            "maybe"
                .parse::<ConsentAction>()
                .unwrap_err()
                .to_string()
                .contains("give, refuse or withdraw")
        );
    }

    #[test]
    fn digests_parse_from_hex_with_precise_errors() {
        let d = Sha256Digest::of(b"abc");
        assert_eq!(
            d.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(format!("sha256:{d}").parse::<Sha256Digest>(), Ok(d));
        assert_eq!(format!("{d:?}"), format!("sha256:{d}"));
        let e = "abcd".parse::<Sha256Digest>().unwrap_err();
        assert_eq!(e.len, 4);
        assert_eq!(e.detail, "", "a wrong length needs no more detail");
        // 64 characters that are not all hex: the offending character is told.
        let e = format!("{}g", "a".repeat(63))
            .parse::<Sha256Digest>()
            .unwrap_err();
        assert_eq!(e.len, 64);
        assert!(e.detail.starts_with(" ("), "{e:?}");
        assert!(
            "zz".repeat(32)
                .parse::<Sha256Digest>()
                .unwrap_err()
                .to_string()
                .contains("64")
        );
        let from_ledger = ConsentLedger::from_events([event(
            ConsentAction::Withdrawn,
            "2026-01-10T10:00:00Z",
            ("v1", NOTICE_V1),
        )]);
        let e = from_ledger.unwrap_err();
        assert_eq!(e.index, 0);
        assert!(e.to_string().starts_with("consent event #0"));
    }
}
