//! The audit journal (SPEC C6; issue 3 point 7): who did what, to which
//! subject and category, for which purpose, when — never the values.
//!
//! Entries are hash-chained (`habeas_crypto::chain_hash`) over a canonical
//! encoding that includes the sequence number, so editing, deleting or
//! reordering rows breaks the chain at the first touched entry. Every
//! [`CHECKPOINT_EVERY`] entries (and at least every
//! [`CHECKPOINT_MAX_AGE_SECS`] seconds of activity, and at clean shutdown),
//! a checkpoint of the chain head is signed with the Ed25519 journal key kept
//! outside the database, so an attacker who rewrites rows *and* recomputes
//! hashes is still caught at the next checkpoint.
//!
//! The store appends the entries in the same transaction as the data they
//! describe and continues the chain from the head it reads inside that
//! transaction ([`habeas_store::Store::commit`]); this module supplies the
//! hashing and signing ([`ChainSealer`]) and the verification. Reads wait for
//! their entry to be durable before answering (RELIABILITY.md §0.3, Art. 5(2)
//! accountability, Art. 32(1)(d)).
//!
//! Stored checkpoint: `hash` is the chain head, `signature` the 64-byte
//! Ed25519 signature followed by the signing time (Unix seconds, 8 bytes big
//! endian), which is part of the signed message.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

pub use habeas_crypto::chain_hash;
use habeas_crypto::{Checkpoint, CheckpointSignature, GENESIS, JournalPublicKey, JournalSigner};
use habeas_store::{JournalAnchor, JournalDraft, JournalRow, JournalSealer, Store};

use crate::error::Result;

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

impl Entry {
    /// The store's form of this entry.
    pub fn draft(&self) -> JournalDraft {
        JournalDraft {
            ts: chrono::DateTime::from_timestamp_millis(self.at).unwrap_or_default(),
            actor: self.actor.clone(),
            action: self.action.clone(),
            subject_id: self.subject.clone(),
            category: self.category.clone(),
            purpose: self.purpose.clone(),
            details: self.outcome.clone(),
        }
    }

    fn of_row(r: &JournalRow) -> Entry {
        Entry {
            at: r.ts.timestamp_millis(),
            actor: r.actor.clone(),
            action: r.action.clone(),
            subject: r.subject_id.clone(),
            category: r.category.clone(),
            purpose: r.purpose.clone(),
            outcome: r.details.clone(),
        }
    }
}

impl crate::vault::Vault {
    /// Journal an access refused outside the vault's own checks (a staff
    /// role check of the console, SPEC C6: refused, journaled and alerted),
    /// with the subject and category in their columns, not in the text: the
    /// subject's access log (Art. 15(1)(c)) and `habeas audit` find it by
    /// subject, and pages that must not show subject ids need not cut them
    /// out of `outcome`. The purpose is the caller's. Ids and names only:
    /// `outcome` must hold no value.
    pub fn journal_refusal(
        &self,
        caller: &crate::access::Caller,
        action: &str,
        subject: Option<&str>,
        category: Option<&str>,
        outcome: String,
    ) -> Result<()> {
        let e = self.entry(caller, action, subject, category, None, outcome);
        self.commit_unit(Vec::new(), &[e]).map(|_| ())
    }
}

/// The canonical bytes hashed into the chain.
pub fn canonical(seq: u64, e: &Entry) -> Vec<u8> {
    encode(
        seq,
        e.at,
        [&e.actor, &e.action, &e.outcome],
        [&e.subject, &e.category, &e.purpose],
    )
}

/// The canonical bytes of a draft, as [`canonical`] encodes its [`Entry`]: the store links
/// every entry it appends, and borrowing the draft's fields spares a copy of each string on
/// the single writer thread.
fn canonical_draft(seq: u64, d: &JournalDraft) -> Vec<u8> {
    encode(
        seq,
        d.ts.timestamp_millis(),
        [&d.actor, &d.action, &d.details],
        [&d.subject_id, &d.category, &d.purpose],
    )
}

/// `[seq, at, actor, action, subject, category, purpose, outcome]` as JSON.
fn encode(
    seq: u64,
    at: i64,
    [actor, action, outcome]: [&String; 3],
    [subject, category, purpose]: [&Option<String>; 3],
) -> Vec<u8> {
    let tuple = (seq, at, actor, action, subject, category, purpose, outcome);
    let mut out = Vec::with_capacity(256);
    match serde_json::to_writer(&mut out, &tuple) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

fn to32(bytes: &[u8]) -> [u8; 32] {
    let mut out = GENESIS;
    if bytes.len() == 32 {
        out.copy_from_slice(bytes);
    }
    out
}

/// Hashes entries and signs checkpoints for the store's commits.
pub struct ChainSealer {
    signer: JournalSigner,
    last_signed_at: Mutex<i64>,
    /// Sign at the next commit whatever the counts (clean shutdown).
    force: AtomicBool,
}

impl ChainSealer {
    pub fn new(signer: JournalSigner) -> Self {
        ChainSealer {
            signer,
            last_signed_at: Mutex::new(chrono::Utc::now().timestamp()),
            force: AtomicBool::new(false),
        }
    }

    /// Make the next commit sign a checkpoint of the head (if it has unsigned entries).
    pub fn force_next(&self) {
        self.force.store(true, Ordering::SeqCst);
    }
}

impl JournalSealer for ChainSealer {
    fn link(&self, seq: u64, prev_hash: &[u8], draft: &JournalDraft) -> Vec<u8> {
        chain_hash(&to32(prev_hash), &canonical_draft(seq, draft)).to_vec()
    }

    fn checkpoint(
        &self,
        head: &JournalAnchor,
        last_signed: u64,
    ) -> Option<habeas_store::Checkpoint> {
        if head.seq <= last_signed {
            return None;
        }
        let now = chrono::Utc::now().timestamp();
        let mut last_at = self.last_signed_at.lock().ok()?;
        let due = head.seq >= last_signed + CHECKPOINT_EVERY
            || now - *last_at >= CHECKPOINT_MAX_AGE_SECS
            || self.force.swap(false, Ordering::SeqCst);
        if !due {
            return None;
        }
        *last_at = now;
        let cp = Checkpoint {
            entries: head.seq,
            head: to32(&head.hash),
            unix_time: now,
        };
        let mut signature = self.signer.sign_checkpoint(&cp).to_bytes().to_vec();
        signature.extend_from_slice(&now.to_be_bytes());
        Some(habeas_store::Checkpoint {
            seq: head.seq,
            hash: head.hash.clone(),
            signature,
        })
    }
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

/// Rows read per page during verification.
const PAGE: usize = 10_000;

/// Parse and check one stored checkpoint; `Err(reason)` when it does not verify.
fn check_checkpoint(
    cp: &habeas_store::Checkpoint,
    public: &JournalPublicKey,
) -> std::result::Result<Checkpoint, &'static str> {
    if cp.signature.len() != 72 || cp.hash.len() != 32 {
        return Err("malformed checkpoint or signature");
    }
    let (sig, time) = cp.signature.split_at(64);
    let mut t = [0u8; 8];
    t.copy_from_slice(time);
    let body = Checkpoint {
        entries: cp.seq,
        head: to32(&cp.hash),
        unix_time: i64::from_be_bytes(t),
    };
    let sig = CheckpointSignature::from_bytes(sig).map_err(|_| "malformed signature")?;
    public
        .verify_checkpoint(&body, &sig)
        .map_err(|_| "signature does not verify with keys/journal-signing.pub")?;
    Ok(body)
}

/// Verify the whole journal against the public key.
pub fn verify(store: &dyn Store, public: &JournalPublicKey) -> Result<Verdict> {
    let mut checkpoints: Vec<(u64, Checkpoint)> = Vec::new();
    for cp in store.list_checkpoints()? {
        match check_checkpoint(&cp, public) {
            Ok(body) => checkpoints.push((cp.seq, body)),
            Err(reason) => {
                return Ok(Verdict::Broken {
                    entry: cp.seq,
                    reason: format!("signed checkpoint at entry #{}: {reason}", cp.seq),
                });
            }
        }
    }
    let (anchor_seq, anchor_head) = store
        .journal_anchor()?
        .map_or((0, GENESIS), |a| (a.seq, to32(&a.hash)));
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
    let mut expected = anchor_seq + 1;
    let mut prev = anchor_head;
    let mut next_cp = checkpoints
        .iter()
        .filter(|(n, _)| *n > anchor_seq)
        .peekable();
    // Page by position: read from the smallest seq present so reordered or
    // negative rows are still seen.
    let mut from = 0u64;
    loop {
        let rows = store.journal_range(from, PAGE)?;
        let Some(last_row) = rows.last() else { break };
        from = last_row.seq + 1;
        for row in &rows {
            let seq = row.seq;
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
            let hash = chain_hash(&prev, &canonical(seq, &Entry::of_row(row)));
            if row.hash.as_slice() != hash.as_slice() {
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
        if rows.len() < PAGE {
            break;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_is_linked_over_the_bytes_its_entry_is_verified_with() {
        let e = Entry {
            at: 1_733_000_000_123,
            actor: "token:0123456789abcdef:crm".into(),
            action: "write".into(),
            subject: Some("sub_1".into()),
            category: Some("contact".into()),
            purpose: None,
            outcome: "records=1 \"q\" é".into(),
        };
        let expected = r#"[7,1733000000123,"token:0123456789abcdef:crm","write","sub_1","contact",null,"records=1 \"q\" é"]"#;
        // The format of every journal already written: it must not drift.
        assert_eq!(String::from_utf8(canonical(7, &e)).unwrap(), expected);
        assert_eq!(canonical_draft(7, &e.draft()), canonical(7, &e));
    }
}
