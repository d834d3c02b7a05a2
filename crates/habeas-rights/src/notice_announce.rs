//! Sending the announcement of a substantial privacy-notice version
//! (Art. 12–14 GDPR; see [`crate::notices`]) to every subject with an
//! e-mail address on file, through the configured mailer.
//!
//! Who: the holders of any declared category with an e-mail field (found
//! from metadata, nothing decrypted), then each one's newest address, read
//! through the vault under [`NOTICE_PURPOSE`] (journaled). Each delivery is
//! recorded in the announcement document (sent, or failed with a technical
//! reason, never the address); a failed or pending one is tried again by
//! the next run. The run is journaled once, by counts.

use chrono::{DateTime, Utc};
use habeas_core::declarations::vocab::FieldType;
use habeas_engine::{Caller, EngineError, Vault};
use habeas_notify::templates::{NoticeChange, Recipient, notice_change};
use habeas_notify::{MailAddress, Mailer};
use serde::Serialize;

use crate::error::RightsError;
use crate::notices::{AnnouncementCounts, Delivery, NOTICE_PURPOSE, NoticeStore};
use crate::vault_bridge::{BridgeError, organisation};

/// The vault caller reading addresses for an announcement.
pub fn notice_caller(actor: &str) -> Caller {
    Caller::operator(actor, NOTICE_PURPOSE)
}

/// What one announcement run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnnounceReport {
    pub version: String,
    /// Subjects with an address on file, listed now.
    pub listed: u64,
    pub sent: u64,
    pub failed: u64,
    /// Totals of the announcement after this run.
    pub total: AnnouncementCounts,
}

/// Categories with an e-mail field, and that field, as declared.
fn email_fields(vault: &Vault) -> Vec<(String, String)> {
    let decls = vault.declarations();
    let mut out = Vec::new();
    for (name, _) in decls.categories.iter() {
        let Some(c) = decls.category(name.get_ref()) else {
            continue;
        };
        if c.high_volume {
            continue;
        }
        for field in c.field_names() {
            if c.field(field) == Some(FieldType::Email) {
                out.push((name.get_ref().clone(), field.to_string()));
            }
        }
    }
    out
}

/// The subject's newest valid address among `fields`.
fn newest_address(
    vault: &Vault,
    caller: &Caller,
    subject: &str,
    fields: &[(String, String)],
) -> Result<Option<MailAddress>, EngineError> {
    let mut best: Option<(DateTime<Utc>, MailAddress)> = None;
    for (category, field) in fields {
        let view = match vault.read(caller, subject, Some(category)) {
            Ok(v) => v,
            Err(EngineError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        for r in &view.records {
            let Some(addr) = r
                .fields
                .get(field)
                .and_then(|v| v.as_str())
                .and_then(|v| v.parse::<MailAddress>().ok())
            else {
                continue;
            };
            if best.as_ref().is_none_or(|(at, _)| r.collected_at > *at) {
                best = Some((r.collected_at, addr));
            }
        }
    }
    Ok(best.map(|(_, a)| a))
}

/// Queue the announcement of substantial `version` to every subject with an
/// address on file, then send every pending or failed delivery.
/// `diff_link`: the public page showing the text and its diff (`https://`).
pub fn announce(
    vault: &Vault,
    mailer: &dyn Mailer,
    store: &NoticeStore<'_>,
    version: &str,
    diff_link: Option<String>,
    actor: &str,
) -> Result<AnnounceReport, BridgeError> {
    let detail = store.detail(version)?;
    if !detail.summary.substantial {
        return Err(RightsError::Invalid {
            what: "notice announcement",
            how: format!(
                "version `{version}` is not substantial: no announcement is owed (publish a substantial version to announce it)"
            ),
        }
        .into());
    }
    let caller = notice_caller(actor);
    let fields = email_fields(vault);
    let categories: Vec<String> = {
        let mut c: Vec<String> = fields.iter().map(|(c, _)| c.clone()).collect();
        c.dedup();
        c
    };
    let now = Utc::now();
    let mut subjects: Vec<String> = vault
        .holders(&caller, &categories, DateTime::<Utc>::MIN_UTC, now)?
        .into_iter()
        .map(|h| h.subject)
        .collect();
    subjects.sort();
    subjects.dedup();
    let listed = subjects.len() as u64;
    store.queue(version, subjects)?;

    let (history, _) = store.history()?;
    let previous = history
        .diff_from_previous(version)
        .map(|d| d.from)
        .filter(|p| !p.is_empty());
    let calendar = vault.declarations().holiday_calendar();
    let change = NoticeChange {
        version: version.to_string(),
        previous,
        effective: calendar.local_date(detail.summary.effective_at),
        published: calendar.local_date(detail.summary.published_at),
        diff_link,
    };
    let org = organisation(vault.declarations());
    let Some((announcement, _)) = store.announcement(version)? else {
        return Err(RightsError::NotFound {
            kind: "notice announcement",
            id: version.to_string(),
        }
        .into());
    };
    let (mut sent, mut failed) = (0u64, 0u64);
    for (subject, delivery) in &announcement.recipients {
        if matches!(delivery, Delivery::Sent { .. }) {
            continue;
        }
        let outcome = match newest_address(vault, &caller, subject, &fields) {
            Ok(Some(to)) => {
                let mail = notice_change(&org, &Recipient { to, lang: None }, &change)?;
                match mailer.send(&mail) {
                    Ok(_) => Delivery::Sent { at: Utc::now() },
                    Err(e) => Delivery::Failed {
                        at: Utc::now(),
                        reason: e.to_string().chars().take(200).collect(),
                    },
                }
            }
            Ok(None) => Delivery::Failed {
                at: Utc::now(),
                reason: "no valid e-mail address on file: reach this person another way".into(),
            },
            Err(e) => Delivery::Failed {
                at: Utc::now(),
                reason: format!(
                    "address not readable: {}",
                    e.to_string().chars().take(160).collect::<String>()
                ),
            },
        };
        match outcome {
            Delivery::Sent { .. } => sent += 1,
            _ => failed += 1,
        }
        store.record_delivery(version, subject, outcome)?;
    }
    let total = store
        .announcement(version)?
        .map(|(a, _)| a.counts())
        .unwrap_or_default();
    vault.journal_admin(
        &caller,
        "notice.announce",
        format!(
            "version={version} listed={listed} sent={sent} failed={failed} total_sent={} total_pending={} total_failed={}",
            total.sent, total.pending, total.failed
        ),
    )?;
    Ok(AnnounceReport {
        version: version.to_string(),
        listed,
        sent,
        failed,
        total,
    })
}
