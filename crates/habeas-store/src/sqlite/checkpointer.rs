//! WAL checkpoints of the data store, off the writer thread.
//!
//! Why: with SQLite's automatic checkpoint, the commit that takes the WAL past the threshold
//! copies the whole WAL into the database file and syncs it before it returns — on the one
//! writer thread, so every caller whose job is in that batch (an audited read's journal
//! entry) waits for it too. Measured during a purge of 200k records among 1M: page commits
//! took 22 ms at the median and 156 ms at p99, the tail being those checkpoints
//! (docs/benchmarks-retention.md, session 7). Here the writer's automatic checkpoint is a
//! distant safety net ([`SAFETY_NET_FRAMES`]) and this thread, with its own connection, runs
//! `PRAGMA wal_checkpoint(PASSIVE)` a little after commits happened: a passive checkpoint
//! never blocks the writer nor the readers, it copies what it can.
//!
//! The WAL restarts from its beginning only when the writer begins a transaction and finds
//! it wholly copied and no reader in it. Under a steady load that never happened: commits
//! land during every pass of this thread, so the WAL grew to the safety net (then 256 MiB), and
//! the commit that reached it checkpointed inline — once a second, 15–40 ms for every caller
//! in that batch, the p99 of single-record `POST`s (docs/benchmarks-vault.md, session 11).
//! So once the WAL holds [`CATCH_UP_FRAMES`] and a pass copied (nearly) all of it, this
//! thread makes passes in a row until one finds at most [`WRITER_SHARE`] new frames, then
//! asks the writer ([`CheckpointLink::committed`]) to copy the few frames committed since,
//! right after its next commit is answered: the next transaction then finds the WAL copied
//! and starts it over. A long commit (an import's chain, a purge's steps) drops the request
//! ([`CheckpointLink::committed_long`]): the writer never copies a long transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// The writer's own automatic checkpoint, kept in case this thread cannot keep up (1.5 GiB
/// of 4 KiB pages, above [`CATCH_UP_FRAMES`]); it used to be 8,192 pages, then 65,536. It
/// also bounds the WAL during a bulk import, whose long commits never ask for a catch-up:
/// 1.6 GB at most in a 1M-record import (0.34 GB with 65,536).
pub const SAFETY_NET_FRAMES: i64 = 393_216;

/// WAL frames (1 GiB of 4 KiB pages) past which a pass that copied the whole WAL asks the
/// writer to finish the copy, so that the WAL can start over. Each start-over costs the writer
/// a sync of the database file — 50–65 ms under heavy writes at 1M subjects, every caller
/// waiting — so under a steady load it should be rare: at 64 MiB it came every 0.5–1 s and was
/// the p99 of POSTs, audited reads and finds at 1M subjects (docs/benchmarks-vault.md,
/// session 17). Readers do not pay for a long WAL: they search only the frames not yet copied.
/// Under a light load the WAL starts over long before this, by itself. The price is disk: the
/// WAL file keeps its largest size until truncated (docs/storage.md).
pub const CATCH_UP_FRAMES: i64 = 262_144;

// The writer's own checkpoint must not fire before the catch-up would: it copies inline, on the
// writer, whatever the thread has not copied yet.
const _: () = assert!(SAFETY_NET_FRAMES > CATCH_UP_FRAMES);

/// Frames the writer may be left to copy when it finishes a long WAL, and how many passes in
/// a row this thread makes to get there.
const WRITER_SHARE: i64 = 32;
const CATCH_UP_PASSES: usize = 8;

/// How long commits accumulate before a checkpoint: one passive checkpoint (and one sync of
/// the database file) per interval at most while writes go on.
const INTERVAL: Duration = Duration::from_millis(100);

/// Handle to the checkpoint thread; dropping it stops the thread.
pub struct Checkpointer {
    tx: Option<SyncSender<()>>,
    catch_up: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The writer's side of the checkpoint thread.
pub struct CheckpointLink {
    nudge: SyncSender<()>,
    catch_up: Arc<AtomicBool>,
}

impl CheckpointLink {
    /// The writer committed a long transaction (an import's chain, a purge's steps): wake the
    /// checkpoint thread, and drop its request if any — the WAL just gained more than a few
    /// pages, which that thread copies better than the writer.
    pub fn committed_long(&self) {
        let _ = self.nudge.try_send(());
        self.catch_up.store(false, Ordering::Release);
    }

    /// The writer committed a batch of jobs: wake the checkpoint thread and, if it asked for
    /// it, copy what the WAL gained since its last pass. `conn` is the writer's connection,
    /// outside any transaction.
    pub fn committed(&self, conn: &Connection) {
        // Full: a nudge is already pending, which is enough.
        let _ = self.nudge.try_send(());
        if self.catch_up.swap(false, Ordering::AcqRel) {
            // A few milliseconds of commits to copy; a failure (the checkpoint thread's own
            // pass holding the checkpoint lock) only leaves the WAL to grow a little longer.
            if let Err(e) = passive(conn) {
                tracing::debug!(error = %e, "catch-up WAL checkpoint skipped");
            }
        }
    }
}

impl Checkpointer {
    /// Start the thread on `conn`, a read-write connection to the database in WAL mode;
    /// `catch_up_frames` is [`CATCH_UP_FRAMES`] but in tests.
    pub fn start(conn: Connection, name: &str, catch_up_frames: i64) -> Result<Self> {
        let (tx, rx) = sync_channel(1);
        let catch_up = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&catch_up);
        let thread = std::thread::Builder::new()
            .name(format!("habeas-checkpoint-{name}"))
            .spawn(move || run(&conn, &rx, &flag, catch_up_frames))
            .map_err(|e| StoreError::WriterGone(e.to_string()))?;
        Ok(Checkpointer {
            tx: Some(tx),
            catch_up,
            thread: Some(thread),
        })
    }

    /// A handle for the writer to say it committed.
    pub fn link(&self) -> Option<CheckpointLink> {
        Some(CheckpointLink {
            nudge: self.tx.clone()?,
            catch_up: Arc::clone(&self.catch_up),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: &Connection, rx: &Receiver<()>, catch_up: &AtomicBool, catch_up_frames: i64) {
    while rx.recv().is_ok() {
        std::thread::sleep(INTERVAL);
        let open = loop {
            match rx.try_recv() {
                Ok(()) => continue,
                Err(TryRecvError::Empty) => break true,
                Err(TryRecvError::Disconnected) => break false,
            }
        };
        let long_and_copied = match passive(conn) {
            Ok((frames, copied)) => {
                frames >= catch_up_frames
                    && frames - copied <= WRITER_SHARE
                    && settles(conn, frames)
            }
            Err(e) => {
                tracing::warn!(error = %e, "passive WAL checkpoint failed; the writer's own checkpoint remains");
                false
            }
        };
        if long_and_copied {
            catch_up.store(true, Ordering::Release);
        }
        if !open {
            break;
        }
    }
}

/// The WAL is long and copied up to `frames`: copy again at once until a pass finds only a
/// few new frames (true), so that the writer's share (the frames committed during the last
/// pass, and a sync of the database file over them) is small. False when a pass could not
/// copy nearly everything (readers in the way) or the WAL kept growing too fast.
fn settles(conn: &Connection, mut frames: i64) -> bool {
    for _ in 0..CATCH_UP_PASSES {
        match passive(conn) {
            Ok((now, copied)) if now - copied > WRITER_SHARE => return false,
            Ok((now, _)) if now - frames <= WRITER_SHARE => return true,
            Ok((now, _)) => frames = now,
            Err(_) => return false,
        }
    }
    false
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: (frames in the WAL, frames copied).
fn passive(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(1)?, r.get(2)?))
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use rusqlite::{Connection, OpenFlags};

    use super::super::writer::Writer;

    /// A database in WAL mode (4 KiB pages) with a table `t (columns)`, its path, and two
    /// connections to it: the writer's and the checkpoint thread's.
    fn wal_database(
        dir: &std::path::Path,
        columns: &str,
    ) -> (std::path::PathBuf, Connection, Connection) {
        let path = dir.join("wal.db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(&format!(
            "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE t ({columns}); \
             PRAGMA wal_checkpoint(TRUNCATE);"
        ))
        .expect("schema");
        let other = Connection::open(&path).expect("second connection");
        (path, conn, other)
    }

    /// `count` commits through `writer`, each running `sql` with its number as `?1`.
    fn insert_rows(writer: &Writer, count: i64, sql: &'static str) {
        for x in 0..count {
            writer
                .write(move |c| {
                    c.execute(sql, [x])?;
                    Ok(())
                })
                .expect("insert");
        }
    }

    /// Rows of `t` in the database file itself, ignoring the WAL.
    fn rows_in_file(path: &std::path::Path) -> i64 {
        let uri = format!("file:{}?immutable=1", path.display());
        let conn = Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
        )
        .expect("open the file alone");
        conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("count")
    }

    #[test]
    fn commits_reach_the_database_file_through_the_checkpoint_thread() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, conn, other) = wal_database(dir.path(), "x INTEGER NOT NULL");
        let writer = Writer::start_with_checkpointer(conn, other, "test").expect("writer");
        insert_rows(&writer, 20, "INSERT INTO t (x) VALUES (?1)");
        // The writer's own checkpoint is far away (SAFETY_NET_FRAMES): only the thread
        // copies these commits into the file, a little after them.
        let deadline = Instant::now() + Duration::from_secs(10);
        while rows_in_file(&path) < 20 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(rows_in_file(&path), 20);
        drop(writer);
    }

    /// Frames the WAL file has room for (it keeps its size when it starts over).
    fn wal_frames(path: &std::path::Path) -> u64 {
        let wal = std::fs::metadata(path.with_extension("db-wal")).map_or(0, |m| m.len());
        wal.saturating_sub(32) / (4096 + 24)
    }

    /// Frames of the WAL after 3,000 commits through a writer whose checkpoint thread has the
    /// WAL start over past `catch_up_frames`, beside a reader always in and out of the WAL
    /// with short reads, as the HTTP readers are.
    fn wal_frames_after_steady_writes_and_reads(catch_up_frames: i64) -> u64 {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, conn, other) = wal_database(dir.path(), "x INTEGER NOT NULL, pad BLOB NOT NULL");
        let writer = Writer::start_with_catch_up(conn, other, "test", catch_up_frames)
            .expect("writer with checkpoints");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (path, stop) = (path.clone(), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || {
                let c = Connection::open(&path).expect("reader");
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _: i64 = c
                        .query_row("SELECT COALESCE(MAX(rowid), 0) FROM t", [], |r| r.get(0))
                        .expect("read");
                }
            })
        };
        // Each commit adds a page of its own and its parent's: ~9,000 frames, written over
        // ~1 s, several passes of the checkpoint thread.
        insert_rows(
            &writer,
            3_000,
            "INSERT INTO t (x, pad) VALUES (?1, zeroblob(3000))",
        );
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().expect("reader thread");
        let frames = wal_frames(&path);
        drop(writer);
        frames
    }

    #[test]
    fn a_long_wal_starts_over_under_steady_writes_and_reads() {
        // Without the catch-up the WAL holds every frame (9,123 measured): it can only start
        // over when a write transaction finds it wholly copied, which steady writes never
        // leave time for. With it, the WAL starts over after most passes: 1,500–1,700 frames
        // in session 11, 4,065–4,108 on another day's machine (a fixed bound of 4,000 failed
        // there) — hence a bound relative to the same run's WAL without the catch-up.
        let without = wal_frames_after_steady_writes_and_reads(i64::MAX);
        let with = wal_frames_after_steady_writes_and_reads(64);
        assert!(
            with * 3 < without * 2,
            "the WAL grew to {with} frames for 3,000 commits ({without} without the catch-up): \
             it did not start over"
        );
    }
}
