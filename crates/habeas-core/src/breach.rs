//! Personal-data breach clocks and the Art. 34 decision.
//!
//! Two regimes, chosen per service in the declarations ([`BreachRegime`]):
//! - GDPR Art. 33(1): notify the supervisory authority without undue delay
//!   and, where feasible, within **72 hours** of becoming aware; a later
//!   notification carries the reasons for the delay. Art. 33(4): the
//!   information may be given in phases (initial, then complementary).
//! - Regulation (EU) 611/2013 art. 2 (providers of publicly available
//!   electronic communications services): notify within **24 hours** of
//!   detection where feasible; if the information is incomplete, an initial
//!   notice in 24 hours and the second one at the latest **3 days** after
//!   the initial notice (art. 2(3)). A provider "detects" a breach when it has
//!   sufficient awareness of it (art. 2(2)), so both clocks start at
//!   awareness.
//!
//! Hours are counted from the exact moment of awareness, not from the next
//! full hour as Reg. (EEC, Euratom) 1182/71 art. 3(1) would: the earlier,
//! conservative deadline.
//!
//! The hours and days are configuration ([`BreachClockConfig`]) with the
//! legal values as defaults: the Digital Omnibus proposal would change them
//! (STANDARDS §3.5, §10).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::saturating_add;
pub use crate::declarations::vocab::BreachRegime;
use std::str::FromStr;

use crate::lang::Lang;
use crate::rights::keyword::{UnknownKeyword, parse_keyword};
use crate::rights::urgency::{Urgency, UrgencyThreshold};

/// Deadlines of both regimes, in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreachClockConfig {
    /// Art. 33(1): hours from awareness to the authority notice.
    pub gdpr_hours: u32,
    /// Reg. 611/2013 art. 2(2): hours from detection to the (initial) notice.
    pub eprivacy_initial_hours: u32,
    /// Reg. 611/2013 art. 2(3): days from the initial to the complete notice.
    pub eprivacy_complete_days: u32,
    /// How long before a deadline a breach counts as due soon.
    pub due_soon_hours: u32,
}

impl Default for BreachClockConfig {
    fn default() -> Self {
        BreachClockConfig {
            gdpr_hours: 72,
            eprivacy_initial_hours: 24,
            eprivacy_complete_days: 3,
            due_soon_hours: 12,
        }
    }
}

impl BreachClockConfig {
    fn threshold(&self) -> UrgencyThreshold {
        UrgencyThreshold(Duration::hours(i64::from(self.due_soon_hours)))
    }
}

/// Which notice to the authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The first notice (possibly complete).
    Initial,
    /// Further information (Art. 33(4); Reg. 611/2013 art. 2(3)).
    Complementary,
}

/// A notice sent to the supervisory authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityNotification {
    pub phase: Phase,
    pub at: DateTime<Utc>,
    /// Whether this notice gives all the required information (then no
    /// further phase is owed).
    pub complete: bool,
    /// Reasons for a late notice (Art. 33(1)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_reason: Option<String>,
    /// The authority's case reference, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// Where the authority notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ClockStatus {
    /// No notice sent yet.
    AwaitingInitial {
        due: DateTime<Utc>,
        urgency: Urgency,
    },
    /// Initial notice sent, incomplete. `due` is set under Reg. 611/2013;
    /// under the GDPR the rest is owed "without undue further delay" (Art. 33(4)).
    AwaitingComplement {
        due: Option<DateTime<Utc>>,
        urgency: Option<Urgency>,
    },
    /// All information given; `late` if any phase missed its deadline.
    Complete { late: bool },
}

/// Why a notice cannot be recorded as given. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BreachError {
    #[error(
        "the notice is dated {at}, before the provider became aware of the breach ({aware_at})"
    )]
    BeforeAwareness {
        at: DateTime<Utc>,
        aware_at: DateTime<Utc>,
    },
    #[error("an initial notice was already sent on {at}; send a complementary one (Art. 33(4))")]
    InitialAlreadySent { at: DateTime<Utc> },
    #[error("a complementary notice needs an initial one first (Art. 33(4))")]
    NoInitialYet,
    #[error("all information was already given on {at}; nothing is owed")]
    AlreadyComplete { at: DateTime<Utc> },
    #[error("the notice is dated {at}, before the previous one ({previous})")]
    OutOfOrder {
        at: DateTime<Utc>,
        previous: DateTime<Utc>,
    },
    #[error(
        "the notice is {late_by_hours} h late (deadline {due}): give the reasons for the delay ({basis})"
    )]
    LateWithoutReason {
        due: DateTime<Utc>,
        late_by_hours: i64,
        basis: &'static str,
    },
    #[error("the Art. 34 decision needs `{field}` (Art. 33(5): document the decision and why)")]
    MissingDecisionField { field: &'static str },
    #[error(
        "an Art. 34(3) exemption only matters when the risk is high; with risk `{risk}` no communication is owed"
    )]
    ExemptionWithoutHighRisk { risk: &'static str },
}

/// The clock of one breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachClock {
    pub regime: BreachRegime,
    /// When the provider became aware (Art. 33(1)) or detected it (Reg. 611/2013 art. 2(2)).
    pub aware_at: DateTime<Utc>,
}

impl BreachClock {
    /// Deadline of the first notice.
    pub fn initial_due(&self, cfg: &BreachClockConfig) -> DateTime<Utc> {
        let hours = match self.regime {
            BreachRegime::Gdpr => cfg.gdpr_hours,
            BreachRegime::Eprivacy => cfg.eprivacy_initial_hours,
        };
        saturating_add(self.aware_at, Duration::hours(i64::from(hours)))
    }

    /// Deadline of the complete notice after an incomplete initial one sent
    /// at `initial_at`: 3 days later under Reg. 611/2013; none under the GDPR.
    pub fn complement_due(
        &self,
        cfg: &BreachClockConfig,
        initial_at: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match self.regime {
            BreachRegime::Gdpr => None,
            BreachRegime::Eprivacy => Some(saturating_add(
                initial_at,
                Duration::days(i64::from(cfg.eprivacy_complete_days)),
            )),
        }
    }

    fn late_basis(&self, phase: Phase) -> &'static str {
        match (self.regime, phase) {
            (BreachRegime::Gdpr, _) => "GDPR Art. 33(1)",
            (BreachRegime::Eprivacy, Phase::Initial) => "Reg. (EU) 611/2013 art. 2(2)",
            (BreachRegime::Eprivacy, Phase::Complementary) => "Reg. (EU) 611/2013 art. 2(3)",
        }
    }

    /// Check a notice against those already sent (in order).
    pub fn check_notification(
        &self,
        cfg: &BreachClockConfig,
        sent: &[AuthorityNotification],
        new: &AuthorityNotification,
    ) -> Result<(), BreachError> {
        if new.at < self.aware_at {
            return Err(BreachError::BeforeAwareness {
                at: new.at,
                aware_at: self.aware_at,
            });
        }
        if let Some(last) = sent.last() {
            if new.at < last.at {
                return Err(BreachError::OutOfOrder {
                    at: new.at,
                    previous: last.at,
                });
            }
            if let Some(done) = sent.iter().find(|n| n.complete) {
                return Err(BreachError::AlreadyComplete { at: done.at });
            }
        }
        let initial = sent.iter().find(|n| n.phase == Phase::Initial);
        let due = match (new.phase, initial) {
            (Phase::Initial, Some(first)) => {
                return Err(BreachError::InitialAlreadySent { at: first.at });
            }
            (Phase::Initial, None) => Some(self.initial_due(cfg)),
            (Phase::Complementary, None) => return Err(BreachError::NoInitialYet),
            (Phase::Complementary, Some(first)) => self.complement_due(cfg, first.at),
        };
        let has_reason = new
            .delay_reason
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty());
        if let Some(due) = due
            && new.at > due
            && !has_reason
        {
            let late = new.at - due;
            return Err(BreachError::LateWithoutReason {
                due,
                late_by_hours: (late.num_minutes() + 59) / 60,
                basis: self.late_basis(new.phase),
            });
        }
        Ok(())
    }

    /// Where the authority notification stands at `now`.
    pub fn status(
        &self,
        cfg: &BreachClockConfig,
        sent: &[AuthorityNotification],
        now: DateTime<Utc>,
    ) -> ClockStatus {
        let threshold = cfg.threshold();
        let Some(initial) = sent.iter().find(|n| n.phase == Phase::Initial) else {
            let due = self.initial_due(cfg);
            return ClockStatus::AwaitingInitial {
                due,
                urgency: Urgency::classify(due, now, threshold),
            };
        };
        let initial_late = initial.at > self.initial_due(cfg);
        let complement_due = self.complement_due(cfg, initial.at);
        match sent.iter().find(|n| n.complete) {
            Some(done) => {
                let complement_late = done.phase == Phase::Complementary
                    && complement_due.is_some_and(|d| done.at > d);
                ClockStatus::Complete {
                    late: initial_late || complement_late,
                }
            }
            None => ClockStatus::AwaitingComplement {
                due: complement_due,
                urgency: complement_due.map(|d| Urgency::classify(d, now, threshold)),
            },
        }
    }
}

/// How likely and severe the risk to people is (Art. 33(1), 34(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Unlikely to result in a risk: documented (Art. 33(5)), not notified.
    Unlikely,
    /// A risk: the authority is notified (Art. 33(1)).
    Risk,
    /// A high risk: the subjects are told too (Art. 34(1)).
    High,
}

impl RiskLevel {
    pub fn key(self) -> &'static str {
        match self {
            RiskLevel::Unlikely => "unlikely",
            RiskLevel::Risk => "risk",
            RiskLevel::High => "high",
        }
    }

    /// Art. 33(1): the authority is notified unless the breach is unlikely
    /// to result in a risk.
    pub fn authority_notification_required(self) -> bool {
        self != RiskLevel::Unlikely
    }
}

impl FromStr for RiskLevel {
    type Err = UnknownKeyword;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword(
            s,
            &[
                ("unlikely", RiskLevel::Unlikely),
                ("risk", RiskLevel::Risk),
                ("high", RiskLevel::High),
            ],
            "risk level",
            "unlikely, risk or high",
        )
    }
}

impl FromStr for Phase {
    type Err = UnknownKeyword;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword(
            s,
            &[
                ("initial", Phase::Initial),
                ("complementary", Phase::Complementary),
            ],
            "notification phase",
            "initial or complementary",
        )
    }
}

/// The conditions of Art. 34(3) under which subjects need not be told individually.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Art34Exemption {
    /// (a) the data were unintelligible to anyone not authorised (e.g.
    /// encryption with an uncompromised key).
    Unintelligible,
    /// (b) later measures make the high risk no longer likely.
    SubsequentMeasures,
    /// (c) individual notice would take disproportionate effort: a public
    /// communication replaces it.
    DisproportionateEffort,
}

impl Art34Exemption {
    pub fn article(self) -> &'static str {
        match self {
            Art34Exemption::Unintelligible => "34(3)(a)",
            Art34Exemption::SubsequentMeasures => "34(3)(b)",
            Art34Exemption::DisproportionateEffort => "34(3)(c)",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Art34Exemption::Unintelligible => lang.pick(
                "données rendues incompréhensibles",
                "data rendered unintelligible",
            ),
            Art34Exemption::SubsequentMeasures => lang.pick(
                "mesures ultérieures écartant le risque élevé",
                "later measures remove the high risk",
            ),
            Art34Exemption::DisproportionateEffort => lang.pick(
                "efforts disproportionnés : communication publique",
                "disproportionate effort: public communication",
            ),
        }
    }
}

impl FromStr for Art34Exemption {
    type Err = UnknownKeyword;
    /// `unintelligible` (or `a`), `subsequent_measures` (`b`),
    /// `disproportionate_effort` (`c`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_keyword(
            s,
            &[
                ("unintelligible", Art34Exemption::Unintelligible),
                ("a", Art34Exemption::Unintelligible),
                ("subsequent_measures", Art34Exemption::SubsequentMeasures),
                ("b", Art34Exemption::SubsequentMeasures),
                (
                    "disproportionate_effort",
                    Art34Exemption::DisproportionateEffort,
                ),
                ("c", Art34Exemption::DisproportionateEffort),
            ],
            "Art. 34(3) exemption",
            "unintelligible (a), subsequent_measures (b) or disproportionate_effort (c)",
        )
    }
}

/// The recorded decision on telling subjects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Art34Decision {
    pub risk: RiskLevel,
    /// Why this risk level (kinds of data, numbers, consequences…).
    pub reasoning: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Art34Exemption>,
    /// Why the exemption applies (required with one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption_reasoning: Option<String>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// What the decision means for the subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectCommunication {
    /// Art. 34(1): tell each subject without undue delay, in clear and plain language.
    Individual,
    /// Art. 34(3)(c): a public communication or similar measure instead.
    Public,
    /// No communication owed (risk not high, or exemption (a) or (b)).
    NotRequired,
}

impl Art34Decision {
    /// Check the record and say what it requires.
    pub fn validate(&self) -> Result<SubjectCommunication, BreachError> {
        let blank = |s: &str| s.trim().is_empty();
        if blank(&self.reasoning) {
            return Err(BreachError::MissingDecisionField { field: "reasoning" });
        }
        if blank(&self.decided_by) {
            return Err(BreachError::MissingDecisionField {
                field: "decided_by",
            });
        }
        match (self.risk, self.exemption) {
            (RiskLevel::High, None) => Ok(SubjectCommunication::Individual),
            (RiskLevel::High, Some(exemption)) => {
                if self.exemption_reasoning.as_deref().is_none_or(blank) {
                    return Err(BreachError::MissingDecisionField {
                        field: "exemption_reasoning",
                    });
                }
                Ok(match exemption {
                    Art34Exemption::DisproportionateEffort => SubjectCommunication::Public,
                    Art34Exemption::Unintelligible | Art34Exemption::SubsequentMeasures => {
                        SubjectCommunication::NotRequired
                    }
                })
            }
            (risk, Some(_)) => Err(BreachError::ExemptionWithoutHighRisk { risk: risk.key() }),
            (_, None) => Ok(SubjectCommunication::NotRequired),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::utc;

    /// Friday 4 December 2026, 19:30 Paris.
    const FRIDAY_EVENING: &str = "2026-12-04T18:30:00Z";

    fn clock(regime: BreachRegime) -> BreachClock {
        BreachClock {
            regime,
            aware_at: utc(FRIDAY_EVENING),
        }
    }

    fn notice(
        phase: Phase,
        at: &str,
        complete: bool,
        reason: Option<&str>,
    ) -> AuthorityNotification {
        AuthorityNotification {
            phase,
            at: utc(at),
            complete,
            delay_reason: reason.map(str::to_string),
            reference: None,
        }
    }

    #[test]
    fn art33_1_breach_noticed_friday_evening_is_due_monday_evening() {
        let cfg = BreachClockConfig::default();
        // 72 hours run through the weekend: Monday 7 December, 19:30 Paris.
        assert_eq!(
            clock(BreachRegime::Gdpr).initial_due(&cfg),
            utc("2026-12-07T18:30:00Z")
        );
    }

    #[test]
    fn reg611_2013_art2_breach_noticed_friday_evening_is_due_saturday_evening() {
        let cfg = BreachClockConfig::default();
        let c = clock(BreachRegime::Eprivacy);
        assert_eq!(c.initial_due(&cfg), utc("2026-12-05T18:30:00Z"));
        // Incomplete initial notice on Saturday morning: the rest within 3 days.
        let first = notice(Phase::Initial, "2026-12-05T09:00:00Z", false, None);
        c.check_notification(&cfg, &[], &first).unwrap();
        assert_eq!(
            c.complement_due(&cfg, first.at),
            Some(utc("2026-12-08T09:00:00Z"))
        );
        assert_eq!(
            c.status(
                &cfg,
                std::slice::from_ref(&first),
                utc("2026-12-07T23:00:00Z")
            ),
            ClockStatus::AwaitingComplement {
                due: Some(utc("2026-12-08T09:00:00Z")),
                urgency: Some(Urgency::DueSoon)
            }
        );
        let late = notice(Phase::Complementary, "2026-12-08T10:00:00Z", true, None);
        let e = c
            .check_notification(&cfg, std::slice::from_ref(&first), &late)
            .unwrap_err();
        assert!(e.to_string().contains("611/2013 art. 2(3)"), "{e}");
    }

    #[test]
    fn breach_keywords_parse_for_the_cli() {
        assert_eq!("HIGH".parse(), Ok(RiskLevel::High));
        assert_eq!("c".parse(), Ok(Art34Exemption::DisproportionateEffort));
        assert_eq!(
            "subsequent-measures".parse(),
            Ok(Art34Exemption::SubsequentMeasures)
        );
        assert_eq!("complementary".parse(), Ok(Phase::Complementary));
        let e = "severe".parse::<RiskLevel>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown risk level `severe`: use unlikely, risk or high"
        );
    }

    #[test]
    fn thresholds_are_configuration() {
        // The Digital Omnibus proposal's 96 hours, should it be adopted.
        let cfg = BreachClockConfig {
            gdpr_hours: 96,
            ..Default::default()
        };
        assert_eq!(
            clock(BreachRegime::Gdpr).initial_due(&cfg),
            utc("2026-12-08T18:30:00Z")
        );
        let parsed: BreachClockConfig = toml::from_str("eprivacy_initial_hours = 12").unwrap();
        assert_eq!(parsed.eprivacy_initial_hours, 12);
        assert_eq!(parsed.gdpr_hours, 72);
        assert!(toml::from_str::<BreachClockConfig>("gdpr_hourz = 1").is_err());
    }

    #[test]
    fn art33_1_late_notification_requires_reasons() {
        let cfg = BreachClockConfig::default();
        let c = clock(BreachRegime::Gdpr);
        let late = notice(Phase::Initial, "2026-12-08T09:00:00Z", true, None);
        let e = c.check_notification(&cfg, &[], &late).unwrap_err();
        assert_eq!(
            e,
            BreachError::LateWithoutReason {
                due: utc("2026-12-07T18:30:00Z"),
                late_by_hours: 15,
                basis: "GDPR Art. 33(1)"
            }
        );
        let explained = notice(
            Phase::Initial,
            "2026-12-08T09:00:00Z",
            true,
            Some("forensic scope unknown until Tuesday"),
        );
        c.check_notification(&cfg, &[], &explained).unwrap();
        assert_eq!(
            c.status(&cfg, &[explained], utc("2026-12-09T00:00:00Z")),
            ClockStatus::Complete { late: true }
        );
        // On time: no reason needed.
        c.check_notification(
            &cfg,
            &[],
            &notice(Phase::Initial, "2026-12-07T18:29:00Z", true, None),
        )
        .unwrap();
    }

    /// "Not later than 72 hours after having become aware" (Art. 33(1)):
    /// a notice at the 72nd hour itself is on time, one a second later is
    /// late; notices may share an instant but not go back in time.
    #[test]
    fn art33_1_the_deadline_is_met_up_to_its_very_instant() {
        let cfg = BreachClockConfig::default();
        let c = clock(BreachRegime::Gdpr);
        let due = "2026-12-07T18:30:00Z";
        let on_time = notice(Phase::Initial, due, false, None);
        c.check_notification(&cfg, &[], &on_time).unwrap();
        assert!(matches!(
            c.check_notification(
                &cfg,
                &[],
                &notice(Phase::Initial, "2026-12-07T18:30:01Z", false, None)
            ),
            Err(BreachError::LateWithoutReason { .. })
        ));
        // Told at the very moment of awareness: accepted.
        c.check_notification(
            &cfg,
            &[],
            &notice(Phase::Initial, FRIDAY_EVENING, false, None),
        )
        .unwrap();
        // A complement at the initial notice's instant is in order; earlier is not.
        let same = notice(Phase::Complementary, due, true, None);
        c.check_notification(&cfg, std::slice::from_ref(&on_time), &same)
            .unwrap();
        let before = notice(Phase::Complementary, "2026-12-07T18:00:00Z", true, None);
        assert!(matches!(
            c.check_notification(&cfg, std::slice::from_ref(&on_time), &before),
            Err(BreachError::OutOfOrder { .. })
        ));
        let now = utc("2026-12-08T00:00:00Z");
        assert_eq!(
            c.status(&cfg, &[on_time.clone(), same], now),
            ClockStatus::Complete { late: false }
        );
    }

    /// Reg. 611/2013 art. 2(3): the complete notice within 3 days of an
    /// incomplete initial one — on time at the third day's instant, late after.
    #[test]
    fn reg611_2013_art2_3_a_late_complement_makes_the_notification_late() {
        let cfg = BreachClockConfig::default();
        let c = clock(BreachRegime::Eprivacy);
        let first = notice(Phase::Initial, "2026-12-05T09:00:00Z", false, None);
        let status = |complement_at: &str| {
            let complement = notice(
                Phase::Complementary,
                complement_at,
                true,
                Some("scope established by forensics"),
            );
            c.status(
                &cfg,
                &[first.clone(), complement],
                utc("2026-12-20T00:00:00Z"),
            )
        };
        assert_eq!(
            status("2026-12-08T09:00:00Z"),
            ClockStatus::Complete { late: false }
        );
        assert_eq!(
            status("2026-12-08T09:00:01Z"),
            ClockStatus::Complete { late: true }
        );
        // A complete initial notice, on time: nothing late.
        let whole = notice(Phase::Initial, "2026-12-05T09:00:00Z", true, None);
        assert_eq!(
            c.status(&cfg, &[whole], utc("2026-12-20T00:00:00Z")),
            ClockStatus::Complete { late: false }
        );
    }

    #[test]
    fn art34_3_exemptions_are_named_by_their_point() {
        let named = [
            (
                Art34Exemption::Unintelligible,
                "34(3)(a)",
                "données rendues incompréhensibles",
            ),
            (
                Art34Exemption::SubsequentMeasures,
                "34(3)(b)",
                "mesures ultérieures écartant le risque élevé",
            ),
            (
                Art34Exemption::DisproportionateEffort,
                "34(3)(c)",
                "efforts disproportionnés : communication publique",
            ),
        ];
        for (exemption, article, label) in named {
            assert_eq!(exemption.article(), article);
            assert_eq!(exemption.label(Lang::Fr), label);
        }
        assert_eq!(
            Art34Exemption::Unintelligible.label(Lang::En),
            "data rendered unintelligible"
        );
    }

    #[test]
    fn art33_4_phases_initial_then_complementary() {
        let cfg = BreachClockConfig::default();
        let c = clock(BreachRegime::Gdpr);
        let comp = notice(Phase::Complementary, "2026-12-05T10:00:00Z", true, None);
        assert_eq!(
            c.check_notification(&cfg, &[], &comp),
            Err(BreachError::NoInitialYet)
        );
        let first = notice(Phase::Initial, "2026-12-05T09:00:00Z", false, None);
        let second_initial = notice(Phase::Initial, "2026-12-05T11:00:00Z", false, None);
        assert!(matches!(
            c.check_notification(&cfg, std::slice::from_ref(&first), &second_initial),
            Err(BreachError::InitialAlreadySent { .. })
        ));
        // GDPR: the complement has no fixed deadline, only "without undue further delay".
        assert_eq!(
            c.status(
                &cfg,
                std::slice::from_ref(&first),
                utc("2026-12-20T00:00:00Z")
            ),
            ClockStatus::AwaitingComplement {
                due: None,
                urgency: None
            }
        );
        c.check_notification(&cfg, std::slice::from_ref(&first), &comp)
            .unwrap();
        let both = [first, comp];
        assert_eq!(
            c.status(&cfg, &both, utc("2026-12-06T00:00:00Z")),
            ClockStatus::Complete { late: false }
        );
        let more = notice(Phase::Complementary, "2026-12-06T10:00:00Z", true, None);
        assert!(matches!(
            c.check_notification(&cfg, &both, &more),
            Err(BreachError::AlreadyComplete { .. })
        ));
        let early = notice(Phase::Initial, "2026-12-04T18:00:00Z", true, None);
        assert!(matches!(
            c.check_notification(&cfg, &[], &early),
            Err(BreachError::BeforeAwareness { .. })
        ));
    }

    #[test]
    fn breach_clock_flags_due_soon_and_overdue() {
        let cfg = BreachClockConfig::default();
        let c = clock(BreachRegime::Gdpr);
        let at = |now: &str| match c.status(&cfg, &[], utc(now)) {
            ClockStatus::AwaitingInitial { urgency, .. } => urgency,
            other => panic!("{other:?}"),
        };
        assert_eq!(at("2026-12-05T10:00:00Z"), Urgency::OnTrack);
        assert_eq!(at("2026-12-07T07:00:00Z"), Urgency::DueSoon);
        assert_eq!(at("2026-12-07T18:30:00Z"), Urgency::Overdue);
    }

    fn decision(
        risk: RiskLevel,
        exemption: Option<Art34Exemption>,
        why: Option<&str>,
    ) -> Art34Decision {
        Art34Decision {
            risk,
            reasoning: "connection logs of 1 200 subjects, IP addresses and timestamps".into(),
            exemption,
            exemption_reasoning: why.map(str::to_string),
            decided_by: "dpo".into(),
            decided_at: utc("2026-12-05T10:00:00Z"),
        }
    }

    #[test]
    fn art34_1_high_risk_means_telling_each_subject() {
        assert_eq!(
            decision(RiskLevel::High, None, None).validate(),
            Ok(SubjectCommunication::Individual)
        );
        assert_eq!(
            decision(RiskLevel::Risk, None, None).validate(),
            Ok(SubjectCommunication::NotRequired)
        );
        assert!(RiskLevel::Risk.authority_notification_required());
        assert!(!RiskLevel::Unlikely.authority_notification_required());
    }

    #[test]
    fn art34_3_exemptions_need_reasons_and_c_means_public_communication() {
        let enc = Some(Art34Exemption::Unintelligible);
        assert_eq!(
            decision(RiskLevel::High, enc, None).validate(),
            Err(BreachError::MissingDecisionField {
                field: "exemption_reasoning"
            })
        );
        assert_eq!(
            decision(
                RiskLevel::High,
                enc,
                Some("AES-256-GCM, keys in HSM, not exfiltrated")
            )
            .validate(),
            Ok(SubjectCommunication::NotRequired)
        );
        assert_eq!(
            decision(
                RiskLevel::High,
                Some(Art34Exemption::DisproportionateEffort),
                Some("no contact data held")
            )
            .validate(),
            Ok(SubjectCommunication::Public)
        );
        assert_eq!(
            decision(RiskLevel::Risk, enc, Some("x")).validate(),
            Err(BreachError::ExemptionWithoutHighRisk { risk: "risk" })
        );
        let mut no_reason = decision(RiskLevel::High, None, None);
        no_reason.reasoning = " ".into();
        assert_eq!(
            no_reason.validate(),
            Err(BreachError::MissingDecisionField { field: "reasoning" })
        );
    }
}
