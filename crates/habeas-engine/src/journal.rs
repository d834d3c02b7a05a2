//! The audit journal (SPEC C6; issue 3 point 7): who did what, to which
//! subject and category, for which purpose, when — never the values.
//!
//! Entries are hash-chained (`habeas_crypto::chain_hash`) over a canonical
//! encoding that includes the sequence number, so editing, deleting or
//! reordering rows breaks the chain at the first touched entry. Every
//! [`CHECKPOINT_EVERY`] entries (and at least every
//! [`CHECKPOINT_MAX_AGE_SECS`] seconds of activity, and at clean shutdown),
//! the writer signs a checkpoint of the chain head with the Ed25519 journal
//! key kept outside the database, so an attacker who rewrites rows *and*
//! recomputes hashes is still caught at the next checkpoint.
//!
//! Entries are appended by the group-commit writer (`writer.rs`) in the
//! same transaction as the data they describe; reads wait for their entry
//! to be durable before answering (RELIABILITY.md §0.3, Art. 5(2)
//! accountability, Art. 32(1)(d)).
//!
//! Retention of the journal itself: [`drop_segment_through`] removes entries
//! up to a signed checkpoint and keeps that checkpoint's head as the anchor
//! the rest verifies from.

pub use habeas_crypto::chain_hash;
use habeas_crypto::{Checkpoint, CheckpointSignature, GENESIS, JournalPublicKey};
use rusqlite::{Connection, OptionalExtension};

use crate::error::{EngineError, Result};

/// Sign a checkpoint after this many entries.
pub const CHECKPOINT_EVERY: u64 = 1000;
/// …or after this many seconds with unsigned entries.
pub const CHECKPOINT_MAX_AGE_SECS: i64 = 10;

/// One journal entry, before it has a sequence number.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// Unix milliseconds.
    pub at: i64,
    /// `token:<id>:<name>`, `cli`, `demo` …
    pub actor: String,
    /// `write`, `read`, `find`, `refused`, `subject.create`, `token.create`, `keys.rotate` …
    pub action: String,
    pub subject: Option<String>,
    pub category: Option<String>,
    pub purpose: Option<String>,
    /// `ok`, `denied: <reason code>`, counts (`records=3`) — never values.
    pub outcome: String,
}

/// The canonical bytes hashed into the chain.
pub fn canonical(seq: u64, e: &Entry) -> Vec<u8> {
    let tuple = (
        seq,
        e.at,
        &e.actor,
        &e.action,
        &e.subject,
        &e.category,
        &e.purpose,
        &e.outcome,
    );
    serde_json::to_vec(&tuple).unwrap_or_default()
}

/// The writer's view of the chain: last sequence number and head hash.
#[derive(Debug, Clone, Copy)]
pub struct ChainHead {
    pub seq: u64,
    pub head: [u8; 32],
    pub last_checkpoint: u64,
}

/// Load the chain head from the database (at start, and after a failed commit).
pub fn load_head(conn: &Connection) -> Result<ChainHead> {
    let last: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let anchor = load_anchor(conn)?;
    let last_checkpoint: i64 = conn.query_row(
        "SELECT COALESCE(MAX(entries), 0) FROM journal_checkpoints",
        [],
        |r| r.get(0),
    )?;
    let (seq, head) = match last {
        Some((seq, hash)) => (seq as u64, to32(&hash)),
        None => anchor,
    };
    Ok(ChainHead {
        seq,
        head,
        last_checkpoint: last_checkpoint as u64,
    })
}

fn load_anchor(conn: &Connection) -> Result<(u64, [u8; 32])> {
    let anchor: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT entries, head FROM journal_anchor WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(anchor.map_or((0, GENESIS), |(n, h)| (n as u64, to32(&h))))
}

fn to32(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if bytes.len() == 32 {
        out.copy_from_slice(bytes);
    }
    out
}

/// Append `entry` after `head` inside the caller's transaction.
pub fn append(conn: &Connection, head: &mut ChainHead, entry: &Entry) -> Result<u64> {
    let seq = head.seq + 1;
    let hash = chain_hash(&head.head, &canonical(seq, entry));
    conn.prepare_cached(
        "INSERT INTO journal (seq, at, actor, action, subject, category, purpose, outcome, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        seq as i64,
        entry.at,
        entry.actor,
        entry.action,
        entry.subject,
        entry.category,
        entry.purpose,
        entry.outcome,
        &hash[..],
    ])?;
    head.seq = seq;
    head.head = hash;
    Ok(seq)
}

/// Sign and store a checkpoint of `head` inside the caller's transaction.
pub fn checkpoint(
    conn: &Connection,
    head: &mut ChainHead,
    signer: &habeas_crypto::JournalSigner,
    unix_time: i64,
) -> Result<()> {
    if head.seq == head.last_checkpoint {
        return Ok(());
    }
    let cp = Checkpoint {
        entries: head.seq,
        head: head.head,
        unix_time,
    };
    let sig = signer.sign_checkpoint(&cp);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO journal_checkpoints (entries, body, signature) VALUES (?1, ?2, ?3)",
    )?
    .execute(rusqlite::params![
        head.seq as i64,
        &cp.to_bytes()[..],
        &sig.to_bytes()[..]
    ])?;
    head.last_checkpoint = head.seq;
    Ok(())
}

/// The outcome of `habeas audit verify`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    /// Every entry chains and every checkpoint signature holds.
    Intact {
        /// First entry still kept (earlier segments dropped by retention).
        first: u64,
        last: u64,
        checkpoints: u64,
        /// Entries after the last signed checkpoint (protected by the chain only).
        unsigned_tail: u64,
    },
    /// The first broken entry, and why.
    Broken { entry: u64, reason: String },
}

/// Verify the whole journal against the public key.
pub fn verify(conn: &Connection, public: &JournalPublicKey) -> Result<Verdict> {
    let mut checkpoints: Vec<(u64, Checkpoint)> = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT entries, body, signature FROM journal_checkpoints ORDER BY entries")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        for row in rows {
            let (entries, body, sig) = row?;
            let entries = entries as u64;
            let broken = |reason: &str| Verdict::Broken {
                entry: entries,
                reason: format!("signed checkpoint at entry #{entries}: {reason}"),
            };
            let Ok(cp) = Checkpoint::from_bytes(&body) else {
                return Ok(broken("malformed checkpoint"));
            };
            let Ok(sig) = CheckpointSignature::from_bytes(&sig) else {
                return Ok(broken("malformed signature"));
            };
            if public.verify_checkpoint(&cp, &sig).is_err() || cp.entries != entries {
                return Ok(broken(
                    "signature does not verify with keys/journal-signing.pub",
                ));
            }
            checkpoints.push((entries, cp));
        }
    }
    let (anchor_seq, anchor_head) = load_anchor(conn)?;
    if anchor_seq > 0 {
        let signed = checkpoints
            .iter()
            .any(|(n, cp)| *n == anchor_seq && cp.head == anchor_head);
        if !signed {
            return Ok(Verdict::Broken {
                entry: anchor_seq + 1,
                reason: format!(
                    "the retention anchor (entries up to #{anchor_seq} dropped) matches no signed checkpoint"
                ),
            });
        }
    }
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, subject, category, purpose, outcome, hash FROM journal ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected = anchor_seq + 1;
    let mut prev = anchor_head;
    let mut next_cp = checkpoints
        .iter()
        .filter(|(n, _)| *n > anchor_seq)
        .peekable();
    while let Some(row) = rows.next()? {
        let seq = row.get::<_, i64>(0)? as u64;
        if seq != expected {
            return Ok(Verdict::Broken {
                entry: expected,
                reason: if seq > expected {
                    format!("entry #{expected} is missing (the next entry present is #{seq})")
                } else {
                    format!("entry #{seq} appears out of order after #{}", expected - 1)
                },
            });
        }
        let entry = Entry {
            at: row.get(1)?,
            actor: row.get(2)?,
            action: row.get(3)?,
            subject: row.get(4)?,
            category: row.get(5)?,
            purpose: row.get(6)?,
            outcome: row.get(7)?,
        };
        let stored: Vec<u8> = row.get(8)?;
        let hash = chain_hash(&prev, &canonical(seq, &entry));
        if stored.as_slice() != hash.as_slice() {
            return Ok(Verdict::Broken {
                entry: seq,
                reason: format!(
                    "entry #{seq} was altered, or an entry before it was removed or moved: its content does not match the chain"
                ),
            });
        }
        if let Some((n, cp)) = next_cp.peek()
            && *n == seq
        {
            if cp.head != hash {
                return Ok(Verdict::Broken {
                    entry: seq,
                    reason: format!(
                        "entries up to #{seq} were rewritten (hashes recomputed): the chain head differs from the signed checkpoint"
                    ),
                });
            }
            next_cp.next();
        }
        prev = hash;
        expected += 1;
    }
    let last = expected - 1;
    if let Some((n, _)) = next_cp.peek() {
        return Ok(Verdict::Broken {
            entry: last + 1,
            reason: format!(
                "entries #{} to #{n} are missing: a signed checkpoint covers #{n} but the journal ends at #{last}",
                last + 1
            ),
        });
    }
    let signed: u64 = checkpoints.last().map_or(anchor_seq, |(n, _)| *n);
    Ok(Verdict::Intact {
        first: anchor_seq + 1,
        last,
        checkpoints: checkpoints.len() as u64,
        unsigned_tail: last.saturating_sub(signed),
    })
}

/// Drop journal entries up to and including `through`, which must be a
/// signed checkpoint; later entries keep verifying from its head.
pub fn drop_segment_through(conn: &Connection, through: u64) -> Result<u64> {
    let head: Option<Vec<u8>> = conn
        .query_row(
            "SELECT hash FROM journal WHERE seq = ?1",
            [through as i64],
            |r| r.get(0),
        )
        .optional()?;
    let signed: Option<i64> = conn
        .query_row(
            "SELECT entries FROM journal_checkpoints WHERE entries = ?1",
            [through as i64],
            |r| r.get(0),
        )
        .optional()?;
    let (Some(head), Some(_)) = (head, signed) else {
        return Err(EngineError::invalid(
            "not_a_checkpoint",
            format!(
                "l'entrée #{through} n'est pas un point de contrôle signé présent ; choisissez un point de contrôle"
            ),
            format!("entry #{through} is not a present signed checkpoint; pick a checkpoint"),
        ));
    };
    let dropped = conn.execute("DELETE FROM journal WHERE seq <= ?1", [through as i64])?;
    conn.execute(
        "INSERT INTO journal_anchor (id, entries, head) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET entries = excluded.entries, head = excluded.head",
        rusqlite::params![through as i64, head],
    )?;
    conn.execute(
        "DELETE FROM journal_checkpoints WHERE entries < ?1",
        [through as i64],
    )?;
    Ok(dropped as u64)
}
