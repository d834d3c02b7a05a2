//! The delivery books of a breach through the register: listing the
//! subjects (Art. 34(1)) or controller customers (Art. 33(2)) to tell, and
//! recording each attempt the mailer makes. A book is its own document
//! (kind `breach_delivery`, id `<breach>.<audience>`), so thousands of
//! attempts never bloat the breach log, whose event only counts the listing.

use habeas_core::breach::SubjectCommunication;
use habeas_core::docs::DocError;

use super::{BreachRegister, DELIVERY_KIND, Snapshot, check_actor, encode};
use crate::delivery::{DeliveryBook, DeliveryCounts, Outcome};
use crate::error::{InputError, RegisterError};
use crate::event::Change;
use crate::model::{Audience, Breach};

/// How many times a delivery record is retried when two senders write the same book.
const DELIVERY_WRITE_TRIES: usize = 5;

impl BreachRegister<'_> {
    /// Add subjects (Art. 34(1)) or controller customers (Art. 33(2)) to the
    /// breach's delivery book; ids come from the engine. Subjects can only be
    /// listed when the decision in force requires telling them individually.
    pub fn list_recipients(
        &self,
        id: &str,
        expected_version: u64,
        by: &str,
        audience: Audience,
        recipients: &[String],
    ) -> Result<Snapshot, RegisterError> {
        check_actor(by)?;
        let (stored, breach) = self.load_for_change(id, expected_version)?;
        self.check_audience(&breach, audience)?;
        let book_id = book_id(id, audience);
        let existing = self.docs.get_doc(DELIVERY_KIND, &book_id)?;
        let (mut book, book_version) = match &existing {
            Some(doc) => (decode_book(&book_id, &doc.body)?, Some(doc.version)),
            None => (DeliveryBook::new(id, audience), None),
        };
        let added = book.add(recipients).map_err(|e| {
            RegisterError::Invalid(vec![InputError::new(
                "recipients",
                e.to_string(),
                "give opaque subject or customer ids",
            )])
        })?;
        if added == 0 {
            return Err(RegisterError::Invalid(vec![InputError::new(
                "recipients",
                "every recipient given is already listed",
                "nothing to add",
            )]));
        }
        // The book first: if the event below then conflicts, the caller
        // reloads and lists again, which adds nothing twice.
        self.docs
            .put_doc(DELIVERY_KIND, &book_id, book_version, &encode(&book)?)?;
        self.append(
            id,
            expected_version,
            stored,
            by,
            Change::RecipientsListed { audience, added },
        )
    }

    /// The delivery book of a breach for an audience, if recipients were listed.
    pub fn delivery_book(
        &self,
        id: &str,
        audience: Audience,
    ) -> Result<Option<DeliveryBook>, RegisterError> {
        let book_id = book_id(id, audience);
        match self.docs.get_doc(DELIVERY_KIND, &book_id)? {
            Some(doc) => Ok(Some(decode_book(&book_id, &doc.body)?)),
            None => Ok(None),
        }
    }

    /// Counts per delivery status, under the register's retry policy.
    pub fn delivery_counts(
        &self,
        id: &str,
        audience: Audience,
    ) -> Result<Option<DeliveryCounts>, RegisterError> {
        Ok(self
            .delivery_book(id, audience)?
            .map(|b| b.counts(&self.retry)))
    }

    /// Recipients to send to now (never tried, or due for a retry).
    pub fn due_deliveries(
        &self,
        id: &str,
        audience: Audience,
    ) -> Result<Vec<String>, RegisterError> {
        let now = self.clock.now();
        Ok(self
            .delivery_book(id, audience)?
            .map(|b| {
                b.due(now, &self.retry)
                    .into_iter()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Record one delivery attempt (by the mailer), at the clock's time.
    /// Concurrent senders writing the same book are serialised by retrying
    /// on a version conflict: attempts are never lost.
    pub fn record_delivery(
        &self,
        id: &str,
        audience: Audience,
        recipient: &str,
        outcome: Outcome,
    ) -> Result<DeliveryBook, RegisterError> {
        let book_id = book_id(id, audience);
        let now = self.clock.now();
        for _ in 0..DELIVERY_WRITE_TRIES {
            let doc =
                self.docs
                    .get_doc(DELIVERY_KIND, &book_id)?
                    .ok_or_else(|| RegisterError::Duty {
                        id: id.to_string(),
                        what: format!("no {} listed yet: list them first", audience.key()),
                    })?;
            let mut book = decode_book(&book_id, &doc.body)?;
            book.record(recipient, now, outcome.clone())
                .map_err(|e| RegisterError::Duty {
                    id: id.to_string(),
                    what: e.to_string(),
                })?;
            match self
                .docs
                .put_doc(DELIVERY_KIND, &book_id, Some(doc.version), &encode(&book)?)
            {
                Ok(_) => return Ok(book),
                Err(DocError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(RegisterError::Storage(DocError::Storage(format!(
            "delivery book {book_id} kept changing; try again"
        ))))
    }

    fn check_audience(&self, breach: &Breach, audience: Audience) -> Result<(), RegisterError> {
        let refuse = |what: &str| {
            Err(RegisterError::Duty {
                id: breach.id.clone(),
                what: what.to_string(),
            })
        };
        match audience {
            Audience::Subjects => match breach.subject_communication() {
                Some(SubjectCommunication::Individual) => Ok(()),
                None => refuse(
                    "record the Art. 34 decision before listing subjects: only a high risk without exemption requires telling them (Art. 34(1))",
                ),
                Some(_) => refuse(
                    "the decision in force requires no individual communication (risk not high, or an Art. 34(3) exemption): no subject list is needed",
                ),
            },
            Audience::Controllers if breach.obligations.controller_services.is_empty() => refuse(
                "the provider is not processor for what this breach concerns: there are no controller customers to notify (Art. 33(2))",
            ),
            Audience::Controllers => Ok(()),
        }
    }
}

pub(super) fn book_id(breach: &str, audience: Audience) -> String {
    format!("{breach}.{}", audience.key())
}

pub(super) fn decode_book(id: &str, body: &[u8]) -> Result<DeliveryBook, RegisterError> {
    serde_json::from_slice(body).map_err(|e| RegisterError::Corrupt {
        id: id.to_string(),
        reason: format!(
            "not a delivery book: line {} column {}",
            e.line(),
            e.column()
        ),
    })
}
