#!/usr/bin/env python3
"""lossyfs: a FUSE pass-through file system that forgets what was not synced.

Used by crates/habeas/tests/vault_power_loss.rs to simulate a power cut
(RELIABILITY.md §0.2: a SIGKILL cannot tell an acknowledged write that
reached stable storage from one still in the page cache).

    python3 lossyfs.py BACKING MOUNTPOINT

Every file under MOUNTPOINT is the file of the same name under BACKING.
Data written to a file stays in this process's memory (reads see it) until
the file is fsync'd or fdatasync'd: only then is it written to BACKING and
synced there. Opening the control file `MOUNTPOINT/.lossyfs-power-cut`
cuts the power: every unsynced byte is dropped, and every later operation
fails with EIO, as a dead disk would, until the file system is unmounted.

Looking up the control file `MOUNTPOINT/.lossyfs-disk-full` fills the
disk: every later write (and every truncate that would grow a file) fails
with ENOSPC, as on a file system out of blocks, until
`MOUNTPOINT/.lossyfs-disk-free` is looked up (space freed). Reads, syncs and
metadata changes keep working.

Looking up `MOUNTPOINT/.lossyfs-sync-fail` makes every later fsync fail with
EIO and drop the file's unsynced pages, as Linux does after a failed
writeback (the pages are marked clean, their data is gone, and a later
fsync reports success: "fsyncgate"); reads then see the durable bytes.
`MOUNTPOINT/.lossyfs-sync-ok` ends it.

Simplifications, stated so nobody over-reads the result: metadata changes
(create, unlink, rename, mkdir, chmod) reach BACKING at once, as on a file
system that journals metadata synchronously; only file data is lost. The
unit of loss is the 4 KiB page written since the last sync of that file, so
a torn page inside one write() is not simulated. Depends on fusepy (ISC
licence) and libfuse2.
"""

import errno
import os
import sys
import threading

from fuse import FUSE, FuseOSError, Operations

PAGE = 4096
CONTROL = "/.lossyfs-power-cut"
DISK_FULL = "/.lossyfs-disk-full"
DISK_FREE = "/.lossyfs-disk-free"
SYNC_FAIL = "/.lossyfs-sync-fail"
SYNC_OK = "/.lossyfs-sync-ok"


class Dirty:
    """The unsynced state of one file: its logical size and dirty pages."""

    def __init__(self, size):
        self.size = size
        self.pages = {}  # page index -> bytearray(PAGE)


class LossyFS(Operations):
    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.mutex = threading.RLock()
        self.dirty = {}  # path -> Dirty
        self.dead = False
        self.full = False
        self.sync_fails = False

    # -- helpers -----------------------------------------------------------

    def _full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def _check(self):
        if self.dead:
            raise FuseOSError(errno.EIO)

    def _state(self, path):
        d = self.dirty.get(path)
        if d is None:
            d = Dirty(os.lstat(self._full(path)).st_size)
            self.dirty[path] = d
        return d

    def _durable_page(self, path, index):
        try:
            with open(self._full(path), "rb") as f:
                f.seek(index * PAGE)
                data = f.read(PAGE)
        except FileNotFoundError:
            data = b""
        return bytearray(data.ljust(PAGE, b"\0"))

    def _page(self, path, d, index):
        page = d.pages.get(index)
        if page is None:
            page = self._durable_page(path, index)
            # Bytes past the logical size are zeros (a truncate hid them).
            start = index * PAGE
            if d.size < start + PAGE:
                keep = max(0, d.size - start)
                page[keep:] = b"\0" * (PAGE - keep)
            d.pages[index] = page
        return page

    def _sync(self, path):
        d = self.dirty.pop(path, None)
        if d is None:
            return
        fd = os.open(self._full(path), os.O_WRONLY)
        try:
            for index in sorted(d.pages):
                start = index * PAGE
                if start >= d.size:
                    continue
                os.pwrite(fd, bytes(d.pages[index][: min(PAGE, d.size - start)]), start)
            os.ftruncate(fd, d.size)
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- the control file ----------------------------------------------------

    def _power_cut(self):
        with self.mutex:
            self.dirty.clear()
            self.dead = True

    # -- file system operations ---------------------------------------------

    def getattr(self, path, fh=None):
        if path == CONTROL:
            self._power_cut()
            raise FuseOSError(errno.ENOENT)
        if path in (DISK_FULL, DISK_FREE):
            with self.mutex:
                self.full = path == DISK_FULL
            raise FuseOSError(errno.ENOENT)
        if path in (SYNC_FAIL, SYNC_OK):
            with self.mutex:
                self.sync_fails = path == SYNC_FAIL
            raise FuseOSError(errno.ENOENT)
        with self.mutex:
            self._check()
            st = os.lstat(self._full(path))
            attrs = {
                key: getattr(st, key)
                for key in (
                    "st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime",
                    "st_nlink", "st_size", "st_uid",
                )
            }
            d = self.dirty.get(path)
            if d is not None:
                attrs["st_size"] = d.size
            return attrs

    def access(self, path, mode):
        self._check()
        if not os.access(self._full(path), mode):
            raise FuseOSError(errno.EACCES)

    def readdir(self, path, fh):
        self._check()
        return [".", ".."] + os.listdir(self._full(path))

    def statfs(self, path):
        st = os.statvfs(self._full(path))
        return {
            key: getattr(st, key)
            for key in (
                "f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail",
                "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax",
            )
        }

    def mkdir(self, path, mode):
        self._check()
        os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        self._check()
        os.rmdir(self._full(path))

    def chmod(self, path, mode):
        self._check()
        os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        self._check()
        os.chown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        self._check()
        os.utime(self._full(path), times)

    def unlink(self, path):
        with self.mutex:
            self._check()
            self.dirty.pop(path, None)
            os.unlink(self._full(path))

    def rename(self, old, new):
        with self.mutex:
            self._check()
            os.rename(self._full(old), self._full(new))
            self.dirty.pop(new, None)
            if old in self.dirty:
                self.dirty[new] = self.dirty.pop(old)

    def open(self, path, flags):
        with self.mutex:
            self._check()
            fd = os.open(self._full(path), flags & ~(os.O_TRUNC | os.O_APPEND))
            if flags & os.O_TRUNC:
                self._state(path).size = 0
                self.dirty[path].pages.clear()
            return fd

    def create(self, path, mode, fi=None):
        with self.mutex:
            self._check()
            return os.open(self._full(path), os.O_WRONLY | os.O_CREAT, mode)

    def read(self, path, size, offset, fh):
        with self.mutex:
            self._check()
            d = self.dirty.get(path)
            if d is None:
                return os.pread(fh, size, offset)
            end = min(offset + size, d.size)
            out = bytearray()
            pos = offset
            while pos < end:
                index, within = divmod(pos, PAGE)
                take = min(PAGE - within, end - pos)
                page = d.pages.get(index)
                if page is None:
                    page = self._page(path, d, index)
                out += page[within : within + take]
                pos += take
            return bytes(out)

    def write(self, path, data, offset, fh):
        with self.mutex:
            self._check()
            if self.full:
                raise FuseOSError(errno.ENOSPC)
            d = self._state(path)
            pos = 0
            while pos < len(data):
                index, within = divmod(offset + pos, PAGE)
                take = min(PAGE - within, len(data) - pos)
                page = self._page(path, d, index)
                page[within : within + take] = data[pos : pos + take]
                pos += take
            d.size = max(d.size, offset + len(data))
            return len(data)

    def truncate(self, path, length, fh=None):
        with self.mutex:
            self._check()
            d = self._state(path)
            if self.full and length > d.size:
                raise FuseOSError(errno.ENOSPC)
            for index in list(d.pages):
                if index * PAGE >= length:
                    del d.pages[index]
            if length < d.size and length % PAGE:
                page = self._page(path, d, length // PAGE)
                page[length % PAGE :] = b"\0" * (PAGE - length % PAGE)
            d.size = length

    def flush(self, path, fh):
        # close() is not a sync: unsynced data stays volatile.
        self._check()

    def release(self, path, fh):
        os.close(fh)

    def fsync(self, path, datasync, fh):
        with self.mutex:
            self._check()
            if self.sync_fails:
                # The writeback failed: the data is lost, the error told once.
                self.dirty.pop(path, None)
                raise FuseOSError(errno.EIO)
            self._sync(path)

    def fsyncdir(self, path, datasync, fh):
        self._check()


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: lossyfs.py BACKING MOUNTPOINT")
    FUSE(LossyFS(sys.argv[1]), sys.argv[2], foreground=True, nothreads=True)


if __name__ == "__main__":
    main()
