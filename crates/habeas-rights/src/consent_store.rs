//! The consent ledger, persisted (Art. 7 GDPR): one document of kind
//! `consent` per subject, holding the subject's events in recording order.
//!
//! Why per subject: the proof of consent (Art. 7(1)) and the "may this
//! purpose be processed?" decision are always asked about one subject, and
//! two subjects' choices never contend for the same document. Each write
//! re-reads the ledger, lets `habeas_core::consent::ConsentLedger` check the
//! event (order, nothing to withdraw…), and stores it with the version it
//! read; when another writer appended meanwhile, it re-reads and re-checks
//! (an append is safe to retry because the check runs on the fresh ledger).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use habeas_core::clock::Clock;
use habeas_core::consent::{
    ConsentAction, ConsentEvent, ConsentLedger, ConsentProof, ConsentState, NoticeShown,
};
use habeas_core::declarations::Declarations;
use habeas_core::docs::{DocError, DocStore, check_key};

use crate::error::RightsError;

/// The document kind of consent ledgers.
pub const CONSENT_KIND: &str = "consent";

/// How many times an append is retried after a concurrent write.
const RETRIES: usize = 3;

/// What the subject was shown when choosing (Art. 7(1) proof) when no
/// privacy-notice version is published: the declarations' version and the
/// SHA-256 of the declared consent text in `lang`. Refuses a purpose that is
/// not a `[consents.<name>]` key. Prefer [`ConsentStore::shown`], which uses
/// the published version in force when there is one.
pub fn notice_shown(
    decls: &Declarations,
    purpose: &str,
    lang: habeas_core::lang::Lang,
) -> Result<NoticeShown, RightsError> {
    let Some((_, declared)) = decls.consents.iter().find(|(k, _)| k.get_ref() == purpose) else {
        return Err(RightsError::UnknownConsentPurpose {
            purpose: purpose.chars().take(64).collect(),
            known: decls
                .consents
                .keys()
                .map(|k| k.get_ref().as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    Ok(NoticeShown {
        version: decls
            .meta()
            .map(|m| m.version.get_ref().clone())
            .unwrap_or_else(|| "unversioned".into()),
        sha256: habeas_core::consent::Sha256Digest::of(declared.text.get(lang).as_bytes()),
    })
}

/// The persisted consent ledgers.
pub struct ConsentStore<'a> {
    docs: &'a dyn DocStore,
    clock: &'a dyn Clock,
    decls: &'a Declarations,
}

impl<'a> ConsentStore<'a> {
    pub fn new(docs: &'a dyn DocStore, clock: &'a dyn Clock, decls: &'a Declarations) -> Self {
        ConsentStore { docs, clock, decls }
    }

    /// What the subject is shown now when choosing for `purpose` (Art. 7(1)
    /// proof): the privacy-notice version in force — its label and the
    /// SHA-256 of its text, from the published history
    /// ([`crate::notices::NoticeStore`]) — once one is published; before
    /// that, [`notice_shown`] (declarations version, hash of the declared
    /// consent text). Refuses a purpose that is not declared.
    pub fn shown(
        &self,
        purpose: &str,
        lang: habeas_core::lang::Lang,
    ) -> Result<NoticeShown, RightsError> {
        let declared = notice_shown(self.decls, purpose, lang)?;
        let notices = crate::notices::NoticeStore::new(self.docs, self.clock, self.decls);
        Ok(match notices.in_force()? {
            Some(v) => NoticeShown {
                version: v.version,
                sha256: v.sha256,
            },
            None => declared,
        })
    }

    /// The subject's ledger and its stored version (`None`: no event yet).
    pub fn ledger(&self, subject: &str) -> Result<(ConsentLedger, Option<u64>), RightsError> {
        check_key(subject)?;
        let Some(doc) = self.docs.get_doc(CONSENT_KIND, subject)? else {
            return Ok((ConsentLedger::new(), None));
        };
        let corrupt = |detail: String| RightsError::Corrupt {
            kind: "consent ledger",
            id: subject.to_string(),
            detail,
        };
        let stored: ConsentLedger =
            serde_json::from_slice(&doc.body).map_err(|e| corrupt(e.to_string()))?;
        // Re-check every event: a ledger edited outside Habeas is refused.
        let ledger = ConsentLedger::from_events(stored.events().iter().cloned())
            .map_err(|e| corrupt(e.to_string()))?;
        Ok((ledger, Some(doc.version)))
    }

    /// Record an event (given, refused or withdrawn) after checking it.
    /// Returns the ledger's new version.
    pub fn record(&self, event: ConsentEvent) -> Result<u64, RightsError> {
        if !self.decls.consents.contains_key(event.purpose.as_str()) {
            return Err(RightsError::UnknownConsentPurpose {
                purpose: event.purpose.chars().take(64).collect(),
                known: self
                    .decls
                    .consents
                    .keys()
                    .map(|k| k.get_ref().as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let mut last_conflict = None;
        for _ in 0..RETRIES {
            let (mut ledger, version) = self.ledger(&event.subject)?;
            ledger
                .record(event.clone())
                .map_err(|source| RightsError::Consent {
                    subject: event.subject.clone(),
                    source,
                })?;
            let body = serde_json::to_vec(&ledger).map_err(|e| RightsError::Render {
                format: "consent ledger",
                detail: e.to_string(),
            })?;
            match self
                .docs
                .put_doc(CONSENT_KIND, &event.subject, version, &body)
            {
                Ok(v) => return Ok(v),
                Err(e @ DocError::Conflict { .. }) => last_conflict = Some(e),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last_conflict
            .map(RightsError::from)
            .unwrap_or_else(|| RightsError::Invalid {
                what: "consent ledger",
                how: "could not be written; try again".into(),
            }))
    }

    /// The subject gives consent for `purpose` now, having been shown `notice`.
    pub fn give(
        &self,
        subject: &str,
        purpose: &str,
        channel: &str,
        notice: NoticeShown,
    ) -> Result<u64, RightsError> {
        self.record(self.event(subject, purpose, ConsentAction::Given, channel, notice))
    }

    /// The subject withdraws consent for `purpose` now (Art. 7(3): as easy
    /// as giving it; effective at once for new processing).
    pub fn withdraw(
        &self,
        subject: &str,
        purpose: &str,
        channel: &str,
        notice: NoticeShown,
    ) -> Result<u64, RightsError> {
        self.record(self.event(subject, purpose, ConsentAction::Withdrawn, channel, notice))
    }

    fn event(
        &self,
        subject: &str,
        purpose: &str,
        action: ConsentAction,
        channel: &str,
        notice: NoticeShown,
    ) -> ConsentEvent {
        ConsentEvent {
            subject: subject.to_string(),
            purpose: purpose.to_string(),
            action,
            at: self.clock.now(),
            channel: channel.to_string(),
            notice,
            recorded_by: None,
        }
    }

    /// Every consent purpose of the subject with its current state.
    pub fn states(&self, subject: &str) -> Result<BTreeMap<String, ConsentState>, RightsError> {
        Ok(self.ledger(subject)?.0.states_of(subject))
    }

    /// The proof of consent (Art. 7(1)), generated now.
    pub fn consent_proof(&self, subject: &str) -> Result<ConsentProof, RightsError> {
        let now: DateTime<Utc> = self.clock.now();
        Ok(self.ledger(subject)?.0.proof(subject, now))
    }

    /// The proof as `habeas.consent-proof/1` JSON bytes.
    pub fn consent_proof_json(&self, subject: &str) -> Result<Vec<u8>, RightsError> {
        let proof = self.consent_proof(subject)?;
        serde_json::to_vec_pretty(&proof).map_err(|e| RightsError::Render {
            format: "consent proof JSON",
            detail: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use habeas_core::clock::ManualClock;
    use habeas_core::docs::MemoryDocs;
    use habeas_core::lang::Lang;

    fn decls() -> Declarations {
        let files = [(
            "d.toml".to_string(),
            "[consents.newsletter]\nactivity = \"PA-1\"\ntext = { fr = \"J'accepte\", en = \"I agree\" }\n"
                .to_string(),
        )];
        habeas_core::declarations::load_and_check(&files).declarations
    }

    #[test]
    fn consent_references_the_notice_version_in_force_once_one_is_published() {
        let d = decls();
        let docs = MemoryDocs::new();
        let clock = ManualClock::new("2026-12-04T10:00:00Z".parse().unwrap());
        let store = ConsentStore::new(&docs, &clock, &d);
        let before = store.shown("newsletter", Lang::Fr).unwrap();
        assert_eq!(before, notice_shown(&d, "newsletter", Lang::Fr).unwrap());
        assert!(before.matches("J'accepte".as_bytes()));

        let notices = crate::notices::NoticeStore::new(&docs, &clock, &d);
        notices
            .publish(crate::notices::NewNotice {
                version: "2026-12".into(),
                text: "Politique v1\n".into(),
                effective_at: clock.now(),
                substantial: false,
            })
            .unwrap();
        let shown = store.shown("newsletter", Lang::Fr).unwrap();
        assert_eq!(shown.version, "2026-12");
        assert!(shown.matches(b"Politique v1\n"));
        store
            .give("sub_1", "newsletter", "web_form", shown)
            .unwrap();
        let proof = store.consent_proof_json("sub_1").unwrap();
        assert!(String::from_utf8(proof).unwrap().contains("2026-12"));
        assert!(store.shown("unknown", Lang::Fr).is_err());
    }
}
