//! What is still owed for a breach, and the order the register lists
//! breaches in: overdue first, then due soon, then by deadline — the same
//! urgency scale as requests, from habeas-core's breach clock.
//!
//! Pure: the current time and the clock configuration are passed in.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use habeas_core::breach::{
    BreachClockConfig, BreachRegime, ClockStatus, Phase, SubjectCommunication,
};
use habeas_core::lang::Lang;
use habeas_core::rights::urgency::Urgency;
use serde::{Deserialize, Serialize};

use crate::model::{Breach, Certainty};

/// Where the authority notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "authority", rename_all = "snake_case")]
pub enum AuthorityStatus {
    /// Processor only: the controllers notify their authority (Art. 33(2)).
    ControllersNotify,
    /// The decision in force says the breach is unlikely to result in a risk:
    /// documented, not notified (Art. 33(1), 33(5)).
    NotRequired,
    /// The clock of habeas-core.
    Clock { status: ClockStatus },
}

/// One thing still to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "duty", rename_all = "snake_case")]
pub enum Duty {
    /// Record the risk level and the Art. 34 decision with its reasons.
    DecideRisk,
    /// Notify the authority (phase, deadline if any).
    NotifyAuthority {
        phase: Phase,
        due: Option<DateTime<Utc>>,
    },
    /// List the subjects to tell individually (Art. 34(1)).
    ListSubjects,
    /// Publish the public communication (Art. 34(3)(c)).
    PublishPublicCommunication,
    /// List the controller customers to tell (Art. 33(2)).
    ListControllers,
}

impl Duty {
    pub fn describe(&self, lang: Lang) -> String {
        match self {
            Duty::DecideRisk => lang
                .pick(
                    "évaluer le risque et consigner la décision art. 34 avec ses motifs",
                    "assess the risk and record the Art. 34 decision with its reasons",
                )
                .to_string(),
            Duty::NotifyAuthority { phase, due } => {
                let what = match phase {
                    Phase::Initial => lang.pick(
                        "notifier l'autorité de contrôle (art. 33(1))",
                        "notify the supervisory authority (Art. 33(1))",
                    ),
                    Phase::Complementary => lang.pick(
                        "envoyer la notification complémentaire (art. 33(4))",
                        "send the complementary notification (Art. 33(4))",
                    ),
                };
                match due {
                    Some(due) => format!(
                        "{what}{} {}",
                        lang.pick(" avant le", " before"),
                        due.format("%Y-%m-%d %H:%M UTC")
                    ),
                    None => what.to_string(),
                }
            }
            Duty::ListSubjects => lang
                .pick(
                    "établir la liste des personnes à informer (art. 34(1))",
                    "list the subjects to inform (Art. 34(1))",
                )
                .to_string(),
            Duty::PublishPublicCommunication => lang
                .pick(
                    "publier la communication publique (art. 34(3)(c))",
                    "publish the public communication (Art. 34(3)(c))",
                )
                .to_string(),
            Duty::ListControllers => lang
                .pick(
                    "établir la liste des clients responsables de traitement à prévenir (art. 33(2))",
                    "list the controller customers to notify (Art. 33(2))",
                )
                .to_string(),
        }
    }
}

/// Where the authority notification of `breach` stands at `now`.
pub fn authority_status(
    breach: &Breach,
    cfg: &BreachClockConfig,
    now: DateTime<Utc>,
) -> AuthorityStatus {
    match breach.clock() {
        None => AuthorityStatus::ControllersNotify,
        Some(_) if !breach.authority_notice_owed() && breach.notifications.is_empty() => {
            AuthorityStatus::NotRequired
        }
        Some(clock) => AuthorityStatus::Clock {
            status: clock.status(cfg, &breach.notifications, now),
        },
    }
}

/// What remains to do for `breach` at `now`, from its own record (the
/// delivery books are checked by the register when closing).
pub fn open_duties(breach: &Breach, cfg: &BreachClockConfig, now: DateTime<Utc>) -> Vec<Duty> {
    let mut duties = Vec::new();
    if breach.decision().is_none() {
        duties.push(Duty::DecideRisk);
    }
    if let AuthorityStatus::Clock { status } = authority_status(breach, cfg, now) {
        match status {
            ClockStatus::AwaitingInitial { due, .. } => duties.push(Duty::NotifyAuthority {
                phase: Phase::Initial,
                due: Some(due),
            }),
            ClockStatus::AwaitingComplement { due, .. } => duties.push(Duty::NotifyAuthority {
                phase: Phase::Complementary,
                due,
            }),
            ClockStatus::Complete { .. } => {}
        }
    }
    match breach.subject_communication() {
        Some(SubjectCommunication::Individual) if breach.listed_subjects == 0 => {
            duties.push(Duty::ListSubjects)
        }
        Some(SubjectCommunication::Public) if breach.public_communication.is_none() => {
            duties.push(Duty::PublishPublicCommunication)
        }
        _ => {}
    }
    if !breach.obligations.controller_services.is_empty() && breach.listed_controllers == 0 {
        duties.push(Duty::ListControllers);
    }
    duties
}

/// One line of the register listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachSummary {
    pub id: String,
    pub open: bool,
    pub certainty: Certainty,
    pub aware_at: DateTime<Utc>,
    pub regime: Option<BreachRegime>,
    pub authority: AuthorityStatus,
    /// The next authority deadline, if one runs.
    pub next_due: Option<DateTime<Utc>>,
    pub urgency: Option<Urgency>,
    pub duties: Vec<Duty>,
    /// The document version, to pass back with the next change.
    pub version: u64,
}

/// The summary of `breach` at `now`.
pub fn summarise(
    breach: &Breach,
    version: u64,
    cfg: &BreachClockConfig,
    now: DateTime<Utc>,
) -> BreachSummary {
    let authority = authority_status(breach, cfg, now);
    let (next_due, urgency) = match authority {
        AuthorityStatus::Clock {
            status: ClockStatus::AwaitingInitial { due, urgency },
        } => (Some(due), Some(urgency)),
        AuthorityStatus::Clock {
            status: ClockStatus::AwaitingComplement { due, urgency },
        } => (due, urgency),
        _ => (None, None),
    };
    let open = breach.is_open();
    BreachSummary {
        id: breach.id.clone(),
        open,
        certainty: breach.certainty,
        aware_at: breach.aware_at,
        regime: breach.obligations.authority,
        authority,
        next_due: next_due.filter(|_| open),
        urgency: urgency.filter(|_| open),
        duties: if open {
            open_duties(breach, cfg, now)
        } else {
            Vec::new()
        },
        version,
    }
}

/// Register order: open before closed; overdue, then due soon, then on
/// track, then breaches without a running clock; earlier deadline first;
/// then by id.
pub fn register_order(a: &BreachSummary, b: &BreachSummary) -> Ordering {
    let rank = |s: &BreachSummary| (!s.open, s.urgency.map_or(3, |u| u as u8));
    rank(a)
        .cmp(&rank(b))
        .then_with(|| match (a.next_due, b.next_due) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.id.cmp(&b.id))
}
