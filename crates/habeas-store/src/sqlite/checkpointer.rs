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
//! never blocks the writer nor the readers, it copies what it can. The WAL still restarts
//! from its beginning when the writer finds it fully copied and unread, as before.

use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// The writer's own automatic checkpoint, kept in case this thread cannot keep up (256 MiB
/// of 4 KiB pages); it used to be 8,192 pages.
pub const SAFETY_NET_FRAMES: i64 = 65_536;

/// How long commits accumulate before a checkpoint: one passive checkpoint (and one sync of
/// the database file) per interval at most while writes go on.
const INTERVAL: Duration = Duration::from_millis(100);

/// Handle to the checkpoint thread; dropping it stops the thread.
pub struct Checkpointer {
    tx: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Start the thread on `conn`, a read-write connection to the database in WAL mode.
    pub fn start(conn: Connection, name: &str) -> Result<Self> {
        let (tx, rx) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name(format!("habeas-checkpoint-{name}"))
            .spawn(move || run(&conn, &rx))
            .map_err(|e| StoreError::WriterGone(e.to_string()))?;
        Ok(Checkpointer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// A handle for the writer to say it committed.
    pub fn nudger(&self) -> Option<SyncSender<()>> {
        self.tx.clone()
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

fn run(conn: &Connection, rx: &Receiver<()>) {
    while rx.recv().is_ok() {
        std::thread::sleep(INTERVAL);
        let open = loop {
            match rx.try_recv() {
                Ok(()) => continue,
                Err(TryRecvError::Empty) => break true,
                Err(TryRecvError::Disconnected) => break false,
            }
        };
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        if let Err(e) = done {
            tracing::warn!(error = %e, "passive WAL checkpoint failed; the writer's own checkpoint remains");
        }
        if !open {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use rusqlite::{Connection, OpenFlags};

    use super::super::writer::Writer;

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
        let path = dir.path().join("ckpt.db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (x INTEGER NOT NULL); PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .expect("schema");
        let other = Connection::open(&path).expect("second connection");
        let writer = Writer::start_with_checkpointer(conn, other, "test").expect("writer");
        for x in 0..20 {
            writer
                .write(move |c| {
                    c.execute("INSERT INTO t (x) VALUES (?1)", [x])?;
                    Ok(())
                })
                .expect("insert");
        }
        // The writer's own checkpoint is far away (SAFETY_NET_FRAMES): only the thread
        // copies these commits into the file, a little after them.
        let deadline = Instant::now() + Duration::from_secs(10);
        while rows_in_file(&path) < 20 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(rows_in_file(&path), 20);
        drop(writer);
    }
}
