//! The vault's administrative operations: application tokens, key rotation,
//! journal verification and retention, partition expiry, counts. Each change
//! is committed with its journal entry in one transaction (SPEC C6: every
//! token or administrative action is journaled).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use habeas_store::{OpOutput, WriteOp};

use crate::access::{self, Caller, Token};
use crate::error::{EngineError, Result};
use crate::journal::{self, Verdict};
use crate::vault::Vault;
use habeas_core::journal_retention::{Cutoff, last_droppable};

/// The most journal entries one step of the retention drops.
pub const JOURNAL_DROP_STEP: u64 = 50_000;

/// A segment of the journal the retention drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalDrop {
    /// The signed checkpoint it ends with: verification starts there after.
    pub through: u64,
    /// How many entries it holds.
    pub entries: u64,
    /// The time of its newest entry.
    pub newest: DateTime<Utc>,
}

impl Vault {
    /// Drop whole partitions of a high-volume category that ended before
    /// `before` (the store partitions by month). Returns `category/YYYY-MM`
    /// of each dropped partition.
    pub fn drop_partitions_before(
        &self,
        caller: &Caller,
        category: &str,
        before: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let parts = self.expire_timed(
            caller,
            "partition.drop",
            category,
            before,
            format!("before={}", before.to_rfc3339()),
        )?;
        Ok(parts
            .iter()
            .map(|p| format!("{}/{}", p.category, p.month_start.format("%Y-%m")))
            .collect())
    }

    /// Expire a high-volume category's partitions ending at or before
    /// `before` (Art. 5(1)(e)): first destroy their months' partition keys
    /// (every copy of their rows, backups included, becomes unreadable),
    /// then drop the tables — rows sealed under those keys without zeroing
    /// their pages — with one journal entry `action` whose outcome is
    /// `outcome` and the count of keys destroyed. A crash between the two
    /// steps leaves unreadable rows that the next expiry drops.
    pub(crate) fn expire_timed(
        &self,
        caller: &Caller,
        action: &str,
        category: &str,
        before: DateTime<Utc>,
        outcome: String,
    ) -> Result<Vec<habeas_store::DroppedPartition>> {
        let destroyed = self.keys.destroy_partitions_before(category, before)?;
        let e = self.entry(
            caller,
            action,
            None,
            Some(category),
            None,
            format!("{outcome} partition_keys_destroyed={destroyed}"),
        );
        let out = self.commit_unit(
            vec![WriteOp::DropTimedBefore {
                category: Some(category.to_string()),
                before,
                shredded_from_version: Some(crate::timed_keys::TIMED_KEY_VERSION),
            }],
            &[e],
        )?;
        Ok(match out.outputs.into_iter().next() {
            Some(OpOutput::Dropped(parts)) => parts,
            _ => Vec::new(),
        })
    }

    /// `habeas keys rotate`: rewrap every data key under a new KEK.
    pub fn rotate_keys(&self, caller: &Caller) -> Result<usize> {
        let (n, retired) = self.keys.rotate()?;
        self.journal_admin(
            caller,
            "keys.rotate",
            format!("rewrapped={n} retired_kek={}", retired.unwrap_or_default()),
        )?;
        Ok(n)
    }

    pub fn data_key_count(&self) -> Result<i64> {
        self.keys.count()
    }

    /// `habeas audit verify`.
    pub fn verify_journal(&self) -> Result<Verdict> {
        journal::verify(&*self.store, &self.public)
    }

    /// Drop journal entries up to a signed checkpoint (journal retention).
    pub fn drop_journal_through(&self, caller: &Caller, through: u64) -> Result<u64> {
        let signed = self
            .store
            .list_checkpoints()?
            .iter()
            .any(|c| c.seq == through);
        let present = self
            .store
            .journal_range(through, 1)?
            .first()
            .is_some_and(|r| r.seq == through);
        if !(signed && present) {
            return Err(EngineError::invalid(
                "not_a_checkpoint",
                format!(
                    "l'entrée #{through} n'est pas un point de contrôle signé présent ; choisissez un point de contrôle"
                ),
                format!("entry #{through} is not a present signed checkpoint; pick a checkpoint"),
            ));
        }
        let e = self.entry(
            caller,
            "journal.drop_segment",
            None,
            None,
            None,
            format!("through={through}"),
        );
        let out = self.commit_unit(
            vec![WriteOp::JournalDropBefore {
                before: through + 1,
            }],
            &[e],
        )?;
        Ok(match out.outputs.first() {
            Some(OpOutput::Count(n)) => *n,
            _ => 0,
        })
    }

    /// Signed checkpoints (entries covered), oldest first.
    pub fn checkpoints(&self) -> Result<Vec<u64>> {
        Ok(self
            .store
            .list_checkpoints()?
            .into_iter()
            .map(|c| c.seq)
            .collect())
    }

    /// The time of the journal entry `seq`, `None` when it is gone.
    pub fn journal_entry_time(&self, seq: u64) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .store
            .journal_range(seq, 1)?
            .into_iter()
            .next()
            .filter(|row| row.seq == seq)
            .map(|row| row.ts))
    }

    /// What the journal retention would drop for `cutoff`: every entry up
    /// to the newest signed checkpoint written before `cutoff.before`.
    /// Nothing when no checkpoint is that old.
    pub fn journal_retention_plan(&self, cutoff: &Cutoff) -> Result<Option<JournalDrop>> {
        let checkpoints = self.checkpoints()?;
        let Some(through) = last_droppable(&checkpoints, cutoff.before, |seq| {
            self.journal_entry_time(seq)
        })?
        else {
            return Ok(None);
        };
        let first = self
            .store
            .journal_range(0, 1)?
            .first()
            .map_or(through, |r| r.seq);
        let newest = self.journal_entry_time(through)?;
        Ok(newest.map(|newest| JournalDrop {
            through,
            entries: (through + 1).saturating_sub(first),
            newest,
        }))
    }

    /// Apply the journal retention for `cutoff`: the segment goes in steps
    /// of at most [`JOURNAL_DROP_STEP`] entries (from checkpoint to
    /// checkpoint), each its own transaction journaled as
    /// `journal.drop_segment`, so a first run over years of journal never
    /// holds the writer for long.
    pub fn apply_journal_retention(
        &self,
        caller: &Caller,
        cutoff: &Cutoff,
    ) -> Result<Option<JournalDrop>> {
        self.apply_journal_retention_in_steps(caller, cutoff, JOURNAL_DROP_STEP)
    }

    /// [`Vault::apply_journal_retention`] with steps of `step` entries.
    pub fn apply_journal_retention_in_steps(
        &self,
        caller: &Caller,
        cutoff: &Cutoff,
        step: u64,
    ) -> Result<Option<JournalDrop>> {
        let Some(plan) = self.journal_retention_plan(cutoff)? else {
            return Ok(None);
        };
        let checkpoints = self.checkpoints()?;
        let mut first = plan.through + 1 - plan.entries;
        while first <= plan.through {
            let within: Vec<u64> = checkpoints
                .iter()
                .copied()
                .filter(|&c| c >= first && c <= plan.through)
                .collect();
            // The furthest checkpoint within one step, else the nearest.
            let Some(next) = within
                .iter()
                .copied()
                .take_while(|&c| c + 1 - first <= step.max(1))
                .last()
                .or_else(|| within.first().copied())
            else {
                break;
            };
            self.drop_journal_through(caller, next)?;
            first = next + 1;
        }
        Ok(Some(plan))
    }

    /// Create an application token; the secret is returned once.
    pub fn create_token(
        &self,
        caller: &Caller,
        name: &str,
        purposes: &[String],
        categories: &[String],
    ) -> Result<(Token, String)> {
        access::check_scope(&self.decls, purposes, categories)?;
        let (row, token, secret) = access::new_token(name, purposes, categories, self.now())?;
        let e = self.entry(
            caller,
            "token.create",
            None,
            None,
            None,
            format!("name={name} purposes={}", purposes.join(",")),
        );
        self.commit_unit(vec![WriteOp::PutToken(row)], &[e])?;
        Ok((token, secret))
    }

    pub fn list_tokens(&self) -> Result<Vec<Token>> {
        access::list_tokens(&*self.store)
    }

    /// Revoke a token; `Ok(false)` if no active token has this id.
    pub fn revoke_token(&self, caller: &Caller, id: &str) -> Result<bool> {
        let e = self.entry(caller, "token.revoke", None, None, None, format!("id={id}"));
        let ops = match access::digest_of(&*self.store, id)? {
            Some(digest) => vec![WriteOp::RevokeToken {
                digest,
                at: self.now(),
            }],
            None => Vec::new(),
        };
        let out = self.commit_unit(ops, &[e])?;
        Ok(matches!(out.outputs.first(), Some(OpOutput::Flag(true))))
    }

    /// Authenticate a bearer token.
    pub fn authenticate(&self, presented: &str) -> Result<Token> {
        access::authenticate(&*self.store, presented)
    }

    /// Counts for `/metrics` and reports: subjects, records (high-volume rows
    /// included), journal entries kept.
    pub fn counts(&self) -> Result<HashMap<&'static str, i64>> {
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let mut out = HashMap::new();
        out.insert("subjects", as_i64(self.store.count_subjects()?));
        let mut records: u64 = self.store.count_by_category()?.values().sum();
        if self.decls.categories.values().any(|c| c.high_volume) {
            let (from, to) = (
                DateTime::<Utc>::UNIX_EPOCH,
                DateTime::<Utc>::from_timestamp(253_402_300_799, 0).unwrap_or_default(),
            );
            records += self.store.timed_impact(&[], from, to)?.rows;
        }
        out.insert("records", as_i64(records));
        let head = self.store.journal_head()?.map_or(0, |r| r.seq);
        let anchor = self.store.journal_anchor()?.map_or(0, |a| a.seq);
        out.insert("journal_entries", as_i64(head.saturating_sub(anchor)));
        Ok(out)
    }
}

/// One journal entry about a subject, as the subject may see it: when, what
/// kind of operation, which category, for which purpose — never who
/// (GDPR Art. 15(1); CJEU C-579/21: dates and purposes, not staff identities).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccessEvent {
    pub at: DateTime<Utc>,
    pub action: String,
    pub category: Option<String>,
    pub purpose: Option<String>,
}

impl Vault {
    /// The subject's journal entries, newest first (at most `limit`), without
    /// actors or details. The lookup itself is journaled for the subject.
    ///
    /// The subject's own visits to the portal (actor `portal` or
    /// `portal:<subject>`: a portal session only ever shows its own subject)
    /// are left out: Art. 15(1)(c) is about who the data were disclosed to,
    /// and a list filled with "you looked at your data" would hide the
    /// accesses that matter. They stay in the journal.
    pub fn access_log(
        &self,
        caller: &Caller,
        subject: &str,
        limit: usize,
    ) -> Result<Vec<AccessEvent>> {
        self.subject_row(subject)?;
        let own = format!("portal:{subject}");
        let rows = self
            .store
            .journal_for_subject(subject, &["portal", &own], limit)?;
        let e = self.entry(
            caller,
            "journal.read",
            Some(subject),
            None,
            caller.purpose.as_deref(),
            format!("entries={}", rows.len()),
        );
        self.commit_unit(Vec::new(), &[e])?;
        Ok(rows
            .into_iter()
            .map(|r| AccessEvent {
                at: r.ts,
                action: r.action,
                category: r.category,
                purpose: r.purpose,
            })
            .collect())
    }
}
