//! A thin VFS over SQLite's `unix` one that gathers the writer's WAL frames into one write per
//! commit.
//!
//! Why: SQLite writes each WAL frame as two `pwrite` calls (its 24-byte header, then the page).
//! Under single-record HTTP writes the writer thread commits ~650 times a second, ~50 frames a
//! commit, and those ~94,000 calls a second were 30 % of its CPU (perf, session 14,
//! docs/benchmarks-vault.md); the writer thread is the busiest of the process. Here the bytes a
//! connection writes to its WAL file in a row are kept in memory and written in a few large
//! calls ([`WRITE_AT_MOST`] bytes each) when SQLite syncs the WAL (every commit: the writers
//! run with `synchronous=FULL`), reads those bytes back, asks for the file's size, truncates
//! it, sends it a file control or closes it; when a write does not follow on; when
//! [`FLUSH_AT`] bytes are waiting; and in the database file's barrier that publishes a commit.
//! Every other file (the database, temporary files) and every other method passes straight to
//! `unix`.
//!
//! What it keeps: the bytes reach the file in the order SQLite wrote them, before the sync
//! SQLite asked for returns — so what a sync made durable is exactly what it was without this
//! layer. Between a write and the next sync, SQLite promises nothing about those bytes to
//! anyone but this connection, and this connection reads them through the layer. Other
//! connections learn of new frames only from the WAL index header, which SQLite publishes
//! after the commit's sync (`walFrames`: frames, sync, `walIndexAppend`, then
//! `walIndexWriteHdr`) and around a barrier on the database file ([`x_shm_barrier`]), which
//! writes any bytes still waiting — so a commit without a sync (`synchronous` below `FULL`,
//! which Habeas does not use) is in the file before readers accept it too. On a device without
//! `SQLITE_IOCAP_POWERSAFE_OVERWRITE` SQLite pads a commit partly after its sync: the WAL file
//! then gathers nothing ([`database_of`]).
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name the writer connections open with.
pub(crate) const NAME: &CStr = c"habeas-walbuf";

/// Bytes kept before they are written without waiting for the sync (a bulk transaction spills
/// frames long before it commits).
const FLUSH_AT: usize = 4 << 20;

/// Bytes per write to `unix`: its `xWrite` writes at most 0x1ffff bytes per call
/// (`seekAndWrite` masks the length with it, and answers `SQLITE_FULL` for the rest), so the
/// waiting bytes go in chunks of 31 whole 4 KiB pages.
const WRITE_AT_MOST: usize = 0x1f000;

/// Bytes written from gathered WAL frames, for the tests to see that gathering is on.
#[cfg(test)]
static GATHERED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// SQLite's file object for this VFS. SQLite allocates `szOsFile` bytes (8-byte aligned,
/// `sqlite3_vfs` docs) and hands their address to [`x_open`]; this struct sits at the start
/// and the `unix` file object right after it, at [`REAL_OFFSET`].
#[repr(C)]
struct ShimFile {
    /// First, so that `*mut sqlite3_file` and `*mut ShimFile` are the same address.
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    /// The frames waiting, for a WAL file that gathers them; null for every other file.
    pending: *mut Pending,
    /// For such a WAL file, its database's file object (through this VFS); for a database
    /// file, its WAL file while that is open. Null otherwise.
    peer: *mut ShimFile,
}

/// Bytes written by SQLite but not yet to the file: `bytes` belong at offset `start`.
#[derive(Default)]
struct Pending {
    start: i64,
    bytes: Vec<u8>,
}

impl Pending {
    fn end(&self) -> i64 {
        self.start + self.bytes.len() as i64
    }

    fn overlaps(&self, offset: i64, len: i64) -> bool {
        !self.bytes.is_empty() && offset < self.end() && self.start < offset + len
    }
}

/// Where the `unix` file object starts inside ours (rounded up to 8 bytes).
const REAL_OFFSET: usize = std::mem::size_of::<ShimFile>().next_multiple_of(8);

/// Register the VFS once per process; `Err` says why it could not be (the callers then open
/// with SQLite's default VFS: slower, the same behaviour).
pub(crate) fn register() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED.get_or_init(register_once).clone()
}

fn register_once() -> Result<(), String> {
    // SAFETY: `sqlite3_vfs_find(NULL)` initialises SQLite if needed and returns the default
    // VFS, a static that lives as long as the process; it is only read here.
    let base = unsafe { ffi::sqlite3_vfs_find(ptr::null()) };
    if base.is_null() {
        return Err("SQLite has no default VFS".into());
    }
    // SAFETY: `base` is non-null and points to a registered `sqlite3_vfs`; `zName` is a
    // NUL-terminated static string.
    let (base_name, base_size) = unsafe { (CStr::from_ptr((*base).zName), (*base).szOsFile) };
    // Every method but `xOpen` is `unix`'s own, called with this VFS's pointer: `unix`'s
    // methods either ignore that pointer (`NotUsed` in os_unix.c) or read its `mxPathname`,
    // copied below. Another default VFS might read more: refuse it.
    if base_name != c"unix" {
        return Err(format!("the default VFS is {base_name:?}, not \"unix\""));
    }
    // SAFETY: `base` is a valid `sqlite3_vfs` (above); the copy is a plain struct of
    // pointers and integers.
    let mut vfs: ffi::sqlite3_vfs = unsafe { ptr::read(base) };
    vfs.iVersion = vfs.iVersion.min(3);
    vfs.szOsFile = (REAL_OFFSET + base_size as usize) as c_int;
    vfs.pNext = ptr::null_mut();
    vfs.zName = NAME.as_ptr();
    vfs.pAppData = base.cast();
    vfs.xOpen = Some(x_open);
    // Leaked on purpose: SQLite keeps the pointer for the life of the process.
    let vfs = Box::into_raw(Box::new(vfs));
    // SAFETY: `vfs` points to a fully initialised `sqlite3_vfs` that is never freed or moved;
    // `0`: not the default VFS.
    let rc = unsafe { ffi::sqlite3_vfs_register(vfs, 0) };
    if rc != ffi::SQLITE_OK {
        return Err(format!("sqlite3_vfs_register failed ({rc})"));
    }
    Ok(())
}

static IO_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(x_close),
    xRead: Some(x_read),
    xWrite: Some(x_write),
    xTruncate: Some(x_truncate),
    xSync: Some(x_sync),
    xFileSize: Some(x_file_size),
    xLock: Some(x_lock),
    xUnlock: Some(x_unlock),
    xCheckReservedLock: Some(x_check_reserved_lock),
    xFileControl: Some(x_file_control),
    xSectorSize: Some(x_sector_size),
    xDeviceCharacteristics: Some(x_device_characteristics),
    xShmMap: Some(x_shm_map),
    xShmLock: Some(x_shm_lock),
    xShmBarrier: Some(x_shm_barrier),
    xShmUnmap: Some(x_shm_unmap),
    xFetch: Some(x_fetch),
    xUnfetch: Some(x_unfetch),
};

/// SAFETY (for every `x_*` below): SQLite calls these only on a file object [`x_open`]
/// initialised and returned `SQLITE_OK` for (it never calls the methods of a file whose
/// `pMethods` is null), one call at a time per file object (a connection's files are used
/// by the thread holding the connection), and never after `xClose`. So `file` points to a live
/// `ShimFile` whose `real` is a live `unix` file object with non-null `pMethods`, and
/// `pending` is null or the `Box` made in `x_open`, used by no one else.
unsafe fn parts(file: *mut ffi::sqlite3_file) -> (*mut ffi::sqlite3_file, *mut Pending) {
    // SAFETY: see above; `ShimFile` starts with the `sqlite3_file` SQLite passes.
    unsafe {
        let shim = file.cast::<ShimFile>();
        ((*shim).real, (*shim).pending)
    }
}

/// The `unix` method `$m` of `real`: `unix` files are version 3, so every method is set; a
/// missing one answers `SQLITE_IOERR` rather than crash.
macro_rules! real_call {
    ($real:expr, $m:ident, $($arg:expr),*) => {
        match (*(*$real).pMethods).$m {
            Some(method) => method($real, $($arg),*),
            None => ffi::SQLITE_IOERR,
        }
    };
}

/// The `unix` method `$m` of `$file`, once the waiting bytes that overlap `$range` (all of
/// them for `None`) are in the file ([`flushed`]); the failed write's code otherwise.
macro_rules! flushed_call {
    ($file:expr, $range:expr, $m:ident, $($arg:expr),*) => {
        match flushed($file, $range) {
            Ok(real) => real_call!(real, $m, $($arg),*),
            Err(rc) => rc,
        }
    };
}

/// Write the waiting bytes, if any, in chunks of [`WRITE_AT_MOST`]; they are dropped from
/// memory either way (a failed write fails the sync or read that asked for it, and SQLite
/// rolls back).
unsafe fn flush(real: *mut ffi::sqlite3_file, pending: *mut Pending) -> c_int {
    if pending.is_null() {
        return ffi::SQLITE_OK;
    }
    // SAFETY: the contract of `parts`; each chunk is at most `WRITE_AT_MOST` bytes.
    unsafe {
        let pending = &mut *pending;
        if pending.bytes.is_empty() {
            return ffi::SQLITE_OK;
        }
        #[cfg(test)]
        GATHERED.fetch_add(
            pending.bytes.len() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        let mut rc = ffi::SQLITE_OK;
        let mut offset = pending.start;
        for chunk in pending.bytes.chunks(WRITE_AT_MOST) {
            rc = real_call!(
                real,
                xWrite,
                chunk.as_ptr().cast::<c_void>(),
                chunk.len() as c_int,
                offset
            );
            if rc != ffi::SQLITE_OK {
                break;
            }
            offset += chunk.len() as i64;
        }
        pending.bytes.clear();
        rc
    }
}

/// The `unix` file of `file`, once the waiting bytes that overlap `range` (all of them for
/// `None`) are in the file; `Err`: the code of the write that failed.
///
/// SAFETY: the contract of `parts`.
unsafe fn flushed(
    file: *mut ffi::sqlite3_file,
    range: Option<(i64, c_int)>,
) -> Result<*mut ffi::sqlite3_file, c_int> {
    unsafe {
        let (real, pending) = parts(file);
        let needed = match range {
            // Only bytes still in memory could be read stale from the file.
            Some((offset, amount)) => {
                !pending.is_null() && (*pending).overlaps(offset, i64::from(amount))
            }
            None => true,
        };
        let rc = if needed {
            flush(real, pending)
        } else {
            ffi::SQLITE_OK
        };
        if rc == ffi::SQLITE_OK {
            Ok(real)
        } else {
            Err(rc)
        }
    }
}

unsafe extern "C" fn x_open(
    vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite passes this VFS (whose `pAppData` is `unix`, set in `register_once`) and
    // `szOsFile` writable bytes at `file`, so `file + REAL_OFFSET` has `unix`'s `szOsFile`
    // bytes, 8-byte aligned. `ptr::write`: the memory is uninitialised.
    unsafe {
        let base = (*vfs).pAppData.cast::<ffi::sqlite3_vfs>();
        let real = file
            .cast::<u8>()
            .add(REAL_OFFSET)
            .cast::<ffi::sqlite3_file>();
        let Some(open) = (*base).xOpen else {
            (*file).pMethods = ptr::null();
            return ffi::SQLITE_CANTOPEN;
        };
        let rc = open(base, name, real, flags, out_flags);
        if rc != ffi::SQLITE_OK || (*real).pMethods.is_null() {
            // SQLite does not call the methods of, nor close, a file with null methods.
            (*file).pMethods = ptr::null();
            return if rc == ffi::SQLITE_OK {
                ffi::SQLITE_CANTOPEN
            } else {
                rc
            };
        }
        let shim = file.cast::<ShimFile>();
        let db = if flags & ffi::SQLITE_OPEN_WAL != 0 && !name.is_null() {
            database_of(name)
        } else {
            ptr::null_mut()
        };
        let pending = if db.is_null() {
            ptr::null_mut()
        } else {
            (*db).peer = shim;
            Box::into_raw(Box::<Pending>::default())
        };
        ptr::write(
            shim,
            ShimFile {
                base: ffi::sqlite3_file {
                    pMethods: &IO_METHODS,
                },
                real,
                pending,
                peer: db,
            },
        );
        ffi::SQLITE_OK
    }
}

/// The database file object of the WAL file `wal_name` being opened, if it is one of this
/// VFS's and the WAL file may gather frames; else null (the WAL file then writes through).
///
/// Gathering needs both: the database's file, whose barrier writes the waiting frames before
/// SQLite publishes a commit (`x_shm_barrier`), and a WAL file on which SQLite writes nothing
/// after a commit's sync — true unless the device lacks `SQLITE_IOCAP_POWERSAFE_OVERWRITE`
/// (then SQLite pads the commit to a sector boundary, partly after the sync).
///
/// SQLite decides on the padding from the database file's characteristics (`sqlite3WalOpen`),
/// so they are the ones read here.
///
/// SAFETY: `wal_name` is the name SQLite passed to `x_open` for a WAL file (the form
/// `sqlite3_database_file_object` requires: the pager's own buffer); the database file it
/// returns is open (the pager opens the WAL after it), and ours if its methods are these.
unsafe fn database_of(wal_name: *const c_char) -> *mut ShimFile {
    unsafe {
        let db = ffi::sqlite3_database_file_object(wal_name);
        if db.is_null() || !ptr::eq((*db).pMethods, &IO_METHODS) {
            return ptr::null_mut();
        }
        if x_device_characteristics(db) & ffi::SQLITE_IOCAP_POWERSAFE_OVERWRITE == 0 {
            return ptr::null_mut();
        }
        db.cast::<ShimFile>()
    }
}

unsafe extern "C" fn x_close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: the contract of `parts`; `pending` came from `Box::into_raw` and is freed once,
    // here, after which SQLite never uses this file object again. `peer` is live while set:
    // whichever of a database file and its WAL file closes first clears the other's.
    unsafe {
        let (real, pending) = parts(file);
        let shim = file.cast::<ShimFile>();
        let flushed = flush(real, pending);
        if !pending.is_null() {
            drop(Box::from_raw(pending));
            (*shim).pending = ptr::null_mut();
            let db = (*shim).peer;
            if !db.is_null() && ptr::eq((*db).peer, shim) {
                (*db).peer = ptr::null_mut();
            }
            (*shim).peer = ptr::null_mut();
        } else if !(*shim).peer.is_null() {
            // A database file closed before its WAL file (SQLite closes the WAL first; should
            // that change, the WAL file must not reach back into this one once freed).
            (*(*shim).peer).peer = ptr::null_mut();
            (*shim).peer = ptr::null_mut();
        }
        let closed = real_call!(real, xClose,);
        if flushed != ffi::SQLITE_OK {
            flushed
        } else {
            closed
        }
    }
}

unsafe extern "C" fn x_read(
    file: *mut ffi::sqlite3_file,
    buf: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: the contract of `parts`; `buf` is SQLite's, passed on unchanged.
    unsafe { flushed_call!(file, Some((offset, amount)), xRead, buf, amount, offset) }
}

unsafe extern "C" fn x_write(
    file: *mut ffi::sqlite3_file,
    buf: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: the contract of `parts`; SQLite's `buf` holds `amount` (≥ 0) readable bytes for
    // the duration of the call, and they are copied before it returns.
    unsafe {
        let (real, pending) = parts(file);
        if pending.is_null() || amount < 0 {
            return real_call!(real, xWrite, buf, amount, offset);
        }
        let waiting = &mut *pending;
        if !waiting.bytes.is_empty() && offset != waiting.end() {
            // Not in a row with the waiting bytes (a rewritten frame, a new WAL header):
            // those go first, so the file sees the writes in SQLite's order.
            let rc = flush(real, pending);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        let waiting = &mut *pending;
        if waiting.bytes.is_empty() {
            waiting.start = offset;
        }
        waiting.bytes.extend_from_slice(std::slice::from_raw_parts(
            buf.cast::<u8>(),
            amount as usize,
        ));
        if waiting.bytes.len() >= FLUSH_AT {
            return flush(real, pending);
        }
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn x_truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    // SAFETY: the contract of `parts`.
    unsafe { flushed_call!(file, None, xTruncate, size) }
}

unsafe extern "C" fn x_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: the contract of `parts`.
    unsafe { flushed_call!(file, None, xSync, flags) }
}

unsafe extern "C" fn x_file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    // SAFETY: the contract of `parts`; `size` is SQLite's out-pointer, passed on.
    unsafe { flushed_call!(file, None, xFileSize, size) }
}

unsafe extern "C" fn x_file_control(
    file: *mut ffi::sqlite3_file,
    op: c_int,
    arg: *mut c_void,
) -> c_int {
    // SAFETY: the contract of `parts`; `arg` is passed on unchanged. A file control may
    // size or inspect the file: the waiting bytes go first.
    unsafe { flushed_call!(file, None, xFileControl, op, arg) }
}

// The methods below pass straight to `unix` (SAFETY: the contract of `parts`; every pointer
// argument is SQLite's, passed on unchanged).

unsafe extern "C" fn x_lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { real_call!(parts(file).0, xLock, level) }
}

unsafe extern "C" fn x_unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    unsafe { real_call!(parts(file).0, xUnlock, level) }
}

unsafe extern "C" fn x_check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    unsafe { real_call!(parts(file).0, xCheckReservedLock, out) }
}

unsafe extern "C" fn x_sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let real = parts(file).0;
        match (*(*real).pMethods).xSectorSize {
            Some(method) => method(real),
            None => 4096,
        }
    }
}

unsafe extern "C" fn x_device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    unsafe {
        let real = parts(file).0;
        match (*(*real).pMethods).xDeviceCharacteristics {
            Some(method) => method(real),
            None => 0,
        }
    }
}

unsafe extern "C" fn x_shm_map(
    file: *mut ffi::sqlite3_file,
    region: c_int,
    size: c_int,
    extend: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe { real_call!(parts(file).0, xShmMap, region, size, extend, out) }
}

unsafe extern "C" fn x_shm_lock(
    file: *mut ffi::sqlite3_file,
    offset: c_int,
    n: c_int,
    flags: c_int,
) -> c_int {
    unsafe { real_call!(parts(file).0, xShmLock, offset, n, flags) }
}

/// A database file's barrier. SQLite calls it between the two copies of the WAL index header
/// it writes to publish a commit (`walIndexWriteHdr`): the WAL's waiting bytes must be in the
/// file before readers can accept that header. With `synchronous=FULL` the commit's sync has
/// already written them and this finds none; it is what keeps readers right if a writer ever
/// commits without a sync. If that write fails there is no error to return and publishing the
/// commit would hand readers frames that are not in the file: the process stops instead.
unsafe extern "C" fn x_shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: the contract of `parts`; `peer` of a database file is its open WAL file (set
    // and cleared by that file's open and close), used on this connection's thread only.
    unsafe {
        let wal = (*file.cast::<ShimFile>()).peer;
        if !wal.is_null() && flush((*wal).real, (*wal).pending) != ffi::SQLITE_OK {
            eprintln!(
                "habeas: SQLite WAL frames could not be written before a commit was published; stopping"
            );
            std::process::abort();
        }
        let real = parts(file).0;
        if let Some(method) = (*(*real).pMethods).xShmBarrier {
            method(real);
        }
    }
}

unsafe extern "C" fn x_shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    unsafe { real_call!(parts(file).0, xShmUnmap, delete) }
}

unsafe extern "C" fn x_fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    unsafe { flushed_call!(file, Some((offset, amount)), xFetch, offset, amount, out) }
}

unsafe extern "C" fn x_unfetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    page: *mut c_void,
) -> c_int {
    unsafe { real_call!(parts(file).0, xUnfetch, offset, page) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{Connection, OpenFlags, params};

    fn writer(path: &std::path::Path) -> Connection {
        register().expect("registered");
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags_and_vfs(path, flags, NAME).expect("open");
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .expect("wal");
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "synchronous", "FULL")
            .expect("full");
        conn
    }

    fn reader(path: &std::path::Path) -> Connection {
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("reader")
    }

    fn wal_len(path: &std::path::Path) -> u64 {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    /// A table `t` on a new database at `dir/name`, opened by a writer through this VFS.
    fn new_table(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, Connection) {
        let path = dir.join(name);
        let w = writer(&path);
        w.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)")
            .expect("create");
        (path, w)
    }

    /// Rows `round * n .. (round + 1) * n`, random bytes of `len`, in one transaction.
    fn commit_round(w: &Connection, round: i64, n: i64, len: i64) {
        let tx = w.unchecked_transaction().expect("begin");
        for k in 0..n {
            tx.execute(
                "INSERT INTO t (k, v) VALUES (?1, randomblob(?2))",
                params![round * n + k, len],
            )
            .expect("insert");
        }
        tx.commit().expect("commit");
    }

    fn assert_intact(conn: &Connection) {
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .expect("check");
        assert_eq!(ok, "ok");
    }

    fn count(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .expect("count")
    }

    #[test]
    fn a_commit_is_in_the_wal_file_and_seen_by_other_connections() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, w) = new_table(dir.path(), "a.db");
        let r = reader(&path);
        for round in 0..50i64 {
            let gathered = GATHERED.load(std::sync::atomic::Ordering::Relaxed);
            commit_round(&w, round, 20, 500);
            // The commit's frames went through this layer's buffer (≥ 20 rows of 500 bytes).
            assert!(GATHERED.load(std::sync::atomic::Ordering::Relaxed) >= gathered + 10_000);
            // Every frame of the commit is in the file once COMMIT returns (the sync wrote
            // them): another connection, reading the file, sees the rows…
            assert_eq!(count(&r), (round + 1) * 20);
            if round % 10 == 9 {
                // …and so does a copy of the files taken now, as after a crash of this
                // process (what it still held in memory would be lost).
                let copy = dir.path().join(format!("copy{round}.db"));
                std::fs::copy(&path, &copy).expect("copy db");
                let mut wal = path.as_os_str().to_owned();
                wal.push("-wal");
                let mut copy_wal = copy.as_os_str().to_owned();
                copy_wal.push("-wal");
                std::fs::copy(&wal, &copy_wal).expect("copy wal");
                let c = Connection::open(&copy).expect("open copy");
                assert_eq!(count(&c), (round + 1) * 20);
            }
        }
        let frames = (wal_len(&path) - 32) % (4096 + 24);
        assert_eq!(frames, 0, "the WAL holds whole frames");
    }

    #[test]
    fn a_transaction_larger_than_the_cache_reads_back_its_spilled_pages() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("b.db");
        let w = writer(&path);
        // A 20-page cache: the transaction below spills frames to the WAL long before it
        // commits, then reads those pages back through this layer.
        w.pragma_update(None, "cache_size", 20).expect("cache");
        w.execute_batch(
            "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL, n INTEGER NOT NULL)",
        )
        .expect("create");
        let blob = |k: i64| k.to_le_bytes().repeat(13);
        let tx = w.unchecked_transaction().expect("begin");
        let mut updated = 0i64;
        for k in 0..20_000i64 {
            tx.execute(
                "INSERT INTO t (k, v, n) VALUES (?1, ?2, 0)",
                params![k, blob(k)],
            )
            .expect("insert");
            if k % 997 == 0 {
                // Update a row written long ago: its page comes back from the WAL.
                updated += tx
                    .execute("UPDATE t SET n = n + 1 WHERE k = ?1", [k / 2])
                    .expect("update") as i64;
            }
        }
        let (sum, n): (i64, i64) = tx
            .query_row(
                "SELECT sum(k), sum(n) FROM t WHERE length(v) = 104",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("sum");
        assert_eq!(sum, (0..20_000i64).sum::<i64>());
        assert_eq!(n, updated);
        let v: Vec<u8> = tx
            .query_row("SELECT v FROM t WHERE k = 12345", [], |r| r.get(0))
            .expect("row");
        assert_eq!(v, blob(12345));
        tx.commit().expect("commit");
        let r = reader(&path);
        assert_eq!(count(&r), 20_000);
        assert_intact(&r);
    }

    #[test]
    fn the_wal_starting_over_and_a_rolled_back_transaction_keep_every_commit() {
        let dir = tempfile::tempdir().expect("dir");
        let (path, w) = new_table(dir.path(), "c.db");
        let checkpoints = writer(&path);
        for round in 0..40i64 {
            commit_round(&w, round, 50, 300);
            // A transaction undone: its frames, if any reached the file, are not committed.
            let tx = w.unchecked_transaction().expect("begin");
            tx.execute("DELETE FROM t", []).expect("delete");
            drop(tx);
            if round % 3 == 0 {
                // A whole checkpoint: the next write starts the WAL over from its header.
                let _: (i64, i64, i64) = checkpoints
                    .query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .expect("checkpoint");
            }
            assert_eq!(count(&reader(&path)), (round + 1) * 50);
        }
        drop(w);
        drop(checkpoints);
        // Reopened from the files alone (the WAL replayed by a fresh connection).
        let again = reader(&path);
        assert_eq!(count(&again), 2_000);
        assert_intact(&again);
    }

    #[test]
    fn a_commit_without_a_sync_is_still_in_the_file_before_readers_see_it() {
        // Not how Habeas runs (writers sync every commit), but the layer must not depend on
        // it: the database's barrier writes the waiting frames before the commit is published.
        for level in ["NORMAL", "OFF"] {
            let dir = tempfile::tempdir().expect("dir");
            let (path, w) = new_table(dir.path(), "d.db");
            w.pragma_update(None, "synchronous", level).expect("level");
            let r = reader(&path);
            for round in 0..30i64 {
                commit_round(&w, round, 20, 700);
                assert_eq!(count(&r), (round + 1) * 20, "{level}");
            }
            assert_intact(&r);
        }
    }

    #[test]
    fn pending_bytes_overlap_only_their_own_range() {
        let pending = Pending {
            start: 100,
            bytes: vec![0; 50],
        };
        assert!(pending.overlaps(100, 1));
        assert!(pending.overlaps(149, 10));
        assert!(pending.overlaps(90, 11));
        assert!(!pending.overlaps(150, 10));
        assert!(!pending.overlaps(90, 10));
        assert!(!Pending::default().overlaps(0, 100));
    }
}
