//! The breach register service (Art. 33(5) GDPR): opens, changes and closes
//! breaches by appending events to one document per breach, through the
//! [`DocStore`] contract, with the time from an injected [`Clock`].
//!
//! Every change names the version it was made on; if someone else changed the
//! breach meanwhile, the store refuses and nothing is written (optimistic
//! concurrency), so no event is ever lost or overwritten. Every input is
//! checked against the declarations and the breach clocks of habeas-core
//! before anything is stored.

use chrono::{DateTime, Datelike, Utc};
use habeas_core::breach::{
    Art34Decision, AuthorityNotification, BreachClockConfig, SubjectCommunication,
};
use habeas_core::clock::Clock;
use habeas_core::declarations::Declarations;
use habeas_core::docs::{DocError, DocStore};
use habeas_core::journal_retention::Incident as JournalIncident;
use habeas_core::lang::Lang;
use serde::{Deserialize, Serialize};

use crate::delivery::RetryPolicy;
use crate::duties::{BreachSummary, open_duties, register_order, summarise};
use crate::error::{InputError, RegisterError};
use crate::event::{BreachEvent, BreachPatch, Change, NewBreach, apply_patch, fold};
use crate::id::{format_id, next_number};
use crate::model::{Audience, Breach, DpoContact, Obligations};
use crate::scope;

mod deliveries;

/// Document kind of the breach logs.
pub const BREACH_KIND: &str = "breach";
/// Document kind of the delivery books (id `<breach>.<audience>`).
pub const DELIVERY_KIND: &str = "breach_delivery";
/// Schema id of a stored breach log.
pub const BREACH_SCHEMA: &str = "habeas.breach/1";

/// How many ids are tried when two staff members open a breach at once.
const OPEN_TRIES: u32 = 20;

/// A breach log as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredBreach {
    schema: String,
    events: Vec<BreachEvent>,
}

/// A breach with its log and the version to pass back with the next change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub breach: Breach,
    pub version: u64,
    pub events: Vec<BreachEvent>,
}

/// The register listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Listing {
    pub breaches: Vec<BreachSummary>,
    /// Stored breaches that could not be read.
    pub damaged: Vec<Damaged>,
}

/// A stored breach that could not be read, and why (no contents quoted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Damaged {
    pub id: String,
    pub reason: String,
}

/// The register over a document store.
pub struct BreachRegister<'a> {
    docs: &'a dyn DocStore,
    clock: &'a dyn Clock,
    decls: &'a Declarations,
    config: BreachClockConfig,
    retry: RetryPolicy,
}

impl<'a> BreachRegister<'a> {
    pub fn new(
        docs: &'a dyn DocStore,
        clock: &'a dyn Clock,
        decls: &'a Declarations,
        config: BreachClockConfig,
    ) -> Self {
        BreachRegister {
            docs,
            clock,
            decls,
            config,
            retry: RetryPolicy::default(),
        }
    }

    /// Use another retry policy for deliveries.
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn config(&self) -> &BreachClockConfig {
        &self.config
    }

    /// The document store the register writes to (holds live there too).
    pub(crate) fn docs(&self) -> &'a dyn DocStore {
        self.docs
    }

    pub(crate) fn clock(&self) -> &'a dyn Clock {
        self.clock
    }

    /// Enter a breach in the register; its id is `B-<year>-<n>`.
    pub fn open(&self, by: &str, new: NewBreach) -> Result<Snapshot, RegisterError> {
        check_actor(by)?;
        let now = self.clock.now();
        let dpo = scope::contact_point(self.decls);
        let draft = fold(
            "B-0000-0000",
            &[event(1, now, by, opening(&new, &dpo, &Default::default()))],
        )
        .ok_or_else(|| RegisterError::Invalid(Vec::new()))?;
        let errors = scope::validate(&draft, self.decls, now);
        if !errors.is_empty() {
            return Err(RegisterError::Invalid(errors));
        }
        let obligations = scope::obligations(&draft, self.decls);
        let change = opening(&new, &dpo, &obligations);
        let year = now.year();
        let used: Vec<String> = self
            .docs
            .list_docs(BREACH_KIND)?
            .into_iter()
            .map(|d| d.id)
            .collect();
        let mut number = next_number(year, used.iter().map(String::as_str));
        for _ in 0..OPEN_TRIES {
            if number > 9999 {
                break;
            }
            let id = format_id(year, number);
            let stored = StoredBreach {
                schema: BREACH_SCHEMA.to_string(),
                events: vec![event(1, now, by, change.clone())],
            };
            match self.docs.put_doc(BREACH_KIND, &id, None, &encode(&stored)?) {
                Ok(version) => return self.snapshot(&id, stored, version),
                Err(DocError::Conflict { .. }) => number += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RegisterError::IdsExhausted(year))
    }

    /// Change fields of an open breach (a typed patch, appended as one event).
    pub fn update(
        &self,
        id: &str,
        expected_version: u64,
        by: &str,
        patch: BreachPatch,
    ) -> Result<Snapshot, RegisterError> {
        check_actor(by)?;
        if patch.is_empty() {
            return Err(RegisterError::Invalid(vec![InputError::new(
                "patch",
                "the change sets no field",
                "give at least one field to change",
            )]));
        }
        let (stored, breach) = self.load_for_change(id, expected_version)?;
        let now = self.clock.now();
        let mut preview = breach.clone();
        apply_patch(&mut preview, &patch);
        let mut errors = scope::validate(&preview, self.decls, now);
        if patch.aware_at.is_some()
            && let Some(first) = preview.notifications.first()
            && first.at < preview.aware_at
        {
            errors.push(InputError::new(
                "aware_at",
                format!(
                    "a notice was already sent on {}, before this awareness",
                    first.at
                ),
                "awareness cannot come after a notice about the breach",
            ));
        }
        if !errors.is_empty() {
            return Err(RegisterError::Invalid(errors));
        }
        let obligations = Some(scope::obligations(&preview, self.decls))
            .filter(|o| patch.changes_scope() && *o != breach.obligations);
        self.append(
            id,
            expected_version,
            stored,
            by,
            Change::Updated {
                patch: Box::new(patch),
                obligations,
            },
        )
    }

    /// Record a notice sent to the authority. The core clock refuses a
    /// second initial notice, a complement before the initial one, and a late
    /// notice without the reasons for the delay (Art. 33(1), 33(4)).
    pub fn record_notification(
        &self,
        id: &str,
        expected_version: u64,
        by: &str,
        notification: AuthorityNotification,
        export_digest: Option<String>,
    ) -> Result<Snapshot, RegisterError> {
        check_actor(by)?;
        let (stored, breach) = self.load_for_change(id, expected_version)?;
        let now = self.clock.now();
        if notification.at > now {
            return Err(RegisterError::Invalid(vec![InputError::new(
                "notification.at",
                format!("{} is in the future (now {now})", notification.at),
                "record a notice once it has been sent",
            )]));
        }
        if let Some(d) = &export_digest
            && (d.len() != 64 || !d.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(RegisterError::Invalid(vec![InputError::new(
                "export_digest",
                "not a SHA-256 digest in hexadecimal",
                "pass AuthorityExport::digest() of the notice sent, or nothing",
            )]));
        }
        let Some(clock) = breach.clock() else {
            return Err(RegisterError::Duty {
                id: id.to_string(),
                what: "the provider is processor for everything this breach concerns: the controllers notify their authority (Art. 33(2)); notify the controllers, or add the controller service concerned to the breach".into(),
            });
        };
        clock
            .check_notification(&self.config, &breach.notifications, &notification)
            .map_err(|source| RegisterError::Clock {
                id: id.to_string(),
                source,
            })?;
        self.append(
            id,
            expected_version,
            stored,
            by,
            Change::Notified {
                notification,
                export_digest,
            },
        )
    }

    /// Record the Art. 34 decision (risk level, exemption and why). A new
    /// decision replaces the previous one in force; both stay in the log.
    pub fn record_decision(
        &self,
        id: &str,
        expected_version: u64,
        by: &str,
        decision: Art34Decision,
    ) -> Result<Snapshot, RegisterError> {
        check_actor(by)?;
        let (stored, _) = self.load_for_change(id, expected_version)?;
        let now = self.clock.now();
        decision.validate().map_err(|source| RegisterError::Clock {
            id: id.to_string(),
            source,
        })?;
        if decision.decided_at > now {
            return Err(RegisterError::Invalid(vec![InputError::new(
                "decision.decided_at",
                format!("{} is in the future (now {now})", decision.decided_at),
                "give when the decision was taken",
            )]));
        }
        self.append(
            id,
            expected_version,
            stored,
            by,
            Change::Decided { decision },
        )
    }

    /// Record that the public communication of Art. 34(3)(c) was published.
    pub fn record_public_communication(
        &self,
        id: &str,
        expected_version: u64,
        by: &str,
        published_at: DateTime<Utc>,
        channel: &str,
    ) -> Result<Snapshot, RegisterError> {
        check_actor(by)?;
        let (stored, breach) = self.load_for_change(id, expected_version)?;
        if breach.subject_communication() != Some(SubjectCommunication::Public) {
            return Err(RegisterError::Duty {
                id: id.to_string(),
                what: "no public communication is owed: record an Art. 34 decision with the exemption disproportionate_effort (Art. 34(3)(c)) first".into(),
            });
        }
        let now = self.clock.now();
        if channel.trim().is_empty() || published_at > now || published_at < breach.aware_at {
            return Err(RegisterError::Invalid(vec![InputError::new(
                "public_communication",
                "the channel is blank, or the date is in the future or before awareness",
                "say where it was published (e.g. the status page URL) and when",
            )]));
        }
        self.append(
            id,
            expected_version,
            stored,
            by,
            Change::PublicCommunication {
                published_at,
                channel: channel.trim().to_string(),
            },
        )
    }

    /// Close a breach once nothing is owed: a decision recorded, the
    /// authority notified when required, the subjects or controllers listed
    /// and every delivery settled (sent, or failed after all retries).
    pub fn close(
        &self,
        id: &str,
        expected_version: u64,
        by: &str,
        reason: &str,
    ) -> Result<Snapshot, RegisterError> {
        check_actor(by)?;
        check_reason(reason)?;
        let (stored, breach) = self.load_for_change(id, expected_version)?;
        let now = self.clock.now();
        let mut remaining: Vec<String> = open_duties(&breach, &self.config, now)
            .iter()
            .map(|d| d.describe(Lang::En))
            .collect();
        for audience in [Audience::Subjects, Audience::Controllers] {
            if let Some(counts) = self.delivery_counts(id, audience)?
                && counts.pending > 0
            {
                remaining.push(format!(
                    "{} {} notice(s) still pending delivery",
                    counts.pending,
                    audience.key()
                ));
            }
        }
        if !remaining.is_empty() {
            return Err(RegisterError::NotClosable {
                id: id.to_string(),
                remaining,
            });
        }
        self.append(
            id,
            expected_version,
            stored,
            by,
            Change::Closed {
                reason: reason.trim().to_string(),
            },
        )
    }

    /// Reopen a closed breach (new facts), with the reason.
    pub fn reopen(
        &self,
        id: &str,
        expected_version: u64,
        by: &str,
        reason: &str,
    ) -> Result<Snapshot, RegisterError> {
        check_actor(by)?;
        check_reason(reason)?;
        let (stored, version, breach) = self.load(id)?;
        check_version(id, expected_version, version)?;
        if breach.is_open() {
            return Err(RegisterError::Duty {
                id: id.to_string(),
                what: "the breach is already open".into(),
            });
        }
        self.append(
            id,
            expected_version,
            stored,
            by,
            Change::Reopened {
                reason: reason.trim().to_string(),
            },
        )
    }

    /// One breach with its whole log.
    pub fn show(&self, id: &str) -> Result<Snapshot, RegisterError> {
        let (stored, version, _) = self.load(id)?;
        self.snapshot(id, stored, version)
    }

    /// Every breach, overdue and due soon first (see [`register_order`]).
    /// A document that cannot be read does not hide the others: it is
    /// listed apart, by id, for someone to inspect.
    pub fn list(&self) -> Result<Listing, RegisterError> {
        let now = self.clock.now();
        let mut listing = Listing::default();
        for doc in self.docs.list_docs(BREACH_KIND)? {
            match decode(&doc.id, &doc.body) {
                Ok((_, breach)) => {
                    listing
                        .breaches
                        .push(summarise(&breach, doc.version, &self.config, now));
                }
                Err(e) => listing.damaged.push(Damaged {
                    id: doc.id,
                    reason: e.to_string(),
                }),
            }
        }
        listing.breaches.sort_by(register_order);
        Ok(listing)
    }

    /// The breaches as the journal retention sees them
    /// (`habeas_core::journal_retention`): each keeps the journal from the
    /// earliest of its window's start, its detection and the awareness. A
    /// document that cannot be read keeps the whole journal (its window is
    /// unknown) and stays open until someone repairs it.
    pub fn journal_incidents(&self) -> Result<Vec<JournalIncident>, RegisterError> {
        let mut out = Vec::new();
        for doc in self.docs.list_docs(BREACH_KIND)? {
            out.push(match decode(&doc.id, &doc.body) {
                Ok((_, b)) => JournalIncident {
                    from: b
                        .window
                        .start
                        .map_or(b.detected_at, |start| start.min(b.detected_at))
                        .min(b.aware_at),
                    aware_at: b.aware_at,
                    open: b.is_open(),
                    id: doc.id,
                },
                Err(_) => JournalIncident {
                    id: doc.id,
                    from: DateTime::<Utc>::MIN_UTC,
                    aware_at: self.clock.now(),
                    open: true,
                },
            });
        }
        Ok(out)
    }

    /// The journal retention's cut-off now under `policy`, held back by
    /// the breaches of this register (the daily job and the console's
    /// journal page ask the same question).
    pub fn journal_cutoff(
        &self,
        policy: &habeas_core::journal_retention::JournalRetention,
    ) -> Result<habeas_core::journal_retention::Cutoff, RegisterError> {
        Ok(policy.cutoff(&self.journal_incidents()?, self.clock.now()))
    }

    fn load(&self, id: &str) -> Result<(StoredBreach, u64, Breach), RegisterError> {
        let doc = self
            .docs
            .get_doc(BREACH_KIND, id)?
            .ok_or_else(|| RegisterError::NotFound(id.to_string()))?;
        let (stored, breach) = decode(id, &doc.body)?;
        Ok((stored, doc.version, breach))
    }

    /// Load an open breach at the expected version.
    fn load_for_change(
        &self,
        id: &str,
        expected_version: u64,
    ) -> Result<(StoredBreach, Breach), RegisterError> {
        let (stored, version, breach) = self.load(id)?;
        check_version(id, expected_version, version)?;
        if !breach.is_open() {
            return Err(RegisterError::Closed(id.to_string()));
        }
        Ok((stored, breach))
    }

    fn append(
        &self,
        id: &str,
        expected_version: u64,
        mut stored: StoredBreach,
        by: &str,
        change: Change,
    ) -> Result<Snapshot, RegisterError> {
        let seq = stored.events.last().map_or(1, |e| e.seq + 1);
        stored
            .events
            .push(event(seq, self.clock.now(), by.trim(), change));
        match self
            .docs
            .put_doc(BREACH_KIND, id, Some(expected_version), &encode(&stored)?)
        {
            Ok(version) => self.snapshot(id, stored, version),
            Err(DocError::Conflict { found, .. }) => Err(RegisterError::Conflict {
                id: id.to_string(),
                expected: expected_version,
                found: found.unwrap_or(0),
            }),
            Err(e) => Err(e.into()),
        }
    }

    fn snapshot(
        &self,
        id: &str,
        stored: StoredBreach,
        version: u64,
    ) -> Result<Snapshot, RegisterError> {
        let breach = state(id, &stored)?;
        Ok(Snapshot {
            breach,
            version,
            events: stored.events,
        })
    }
}

fn opening(new: &NewBreach, dpo: &DpoContact, obligations: &Obligations) -> Change {
    Change::Opened {
        breach: Box::new(new.clone()),
        dpo: dpo.clone(),
        obligations: obligations.clone(),
    }
}

fn event(seq: u64, at: DateTime<Utc>, by: &str, change: Change) -> BreachEvent {
    BreachEvent {
        seq,
        at,
        by: by.to_string(),
        change,
    }
}

fn check_version(id: &str, expected: u64, found: u64) -> Result<(), RegisterError> {
    if expected == found {
        Ok(())
    } else {
        Err(RegisterError::Conflict {
            id: id.to_string(),
            expected,
            found,
        })
    }
}

fn check_actor(by: &str) -> Result<(), RegisterError> {
    if by.trim().is_empty() || by.len() > 128 || by.chars().any(char::is_control) {
        return Err(RegisterError::Invalid(vec![InputError::new(
            "by",
            "who made the change is missing or malformed",
            "give the staff account or system id (1–128 printable characters)",
        )]));
    }
    Ok(())
}

fn check_reason(reason: &str) -> Result<(), RegisterError> {
    if reason.trim().is_empty() {
        return Err(RegisterError::Invalid(vec![InputError::new(
            "reason",
            "no reason given",
            "say why (Art. 33(5): document the remedial action and the outcome)",
        )]));
    }
    Ok(())
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, RegisterError> {
    serde_json::to_vec(value).map_err(|e| RegisterError::Storage(DocError::Storage(e.to_string())))
}

fn decode(id: &str, body: &[u8]) -> Result<(StoredBreach, Breach), RegisterError> {
    let stored: StoredBreach =
        serde_json::from_slice(body).map_err(|e| RegisterError::Corrupt {
            id: id.to_string(),
            reason: format!("not a breach log: line {} column {}", e.line(), e.column()),
        })?;
    let breach = state(id, &stored)?;
    Ok((stored, breach))
}

fn state(id: &str, stored: &StoredBreach) -> Result<Breach, RegisterError> {
    if stored.schema != BREACH_SCHEMA {
        return Err(RegisterError::Corrupt {
            id: id.to_string(),
            reason: format!("unknown schema `{}`", stored.schema),
        });
    }
    fold(id, &stored.events).ok_or_else(|| RegisterError::Corrupt {
        id: id.to_string(),
        reason: "the log does not start with the opening".into(),
    })
}
