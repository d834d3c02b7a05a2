//! lossyfs (`tests/tools/lossyfs.py`) from the tests: a FUSE pass-through
//! mount that can cut the power (drop what was not synced) or fill the disk
//! (ENOSPC on every write until space is freed). Shared by the power-loss
//! and full-disk tests.
//!
//! Needs python3 with fusepy, libfuse2 and /dev/fuse (`.ci/run` installs
//! them); without them the tests skip loudly, and fail under
//! `HABEAS_REQUIRE_TOOLS=1`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const LOSSYFS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/lossyfs.py");

/// Why the simulator cannot run here, if it cannot.
pub fn missing_tool() -> Option<String> {
    if !Path::new("/dev/fuse").exists() {
        return Some("/dev/fuse is missing".into());
    }
    let fusepy = Command::new("python3").args(["-c", "import fuse"]).output();
    match fusepy {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!(
            "python3 cannot load fusepy/libfuse2 (pip install fusepy; apt-get install libfuse2 fuse): {}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        )),
        Err(e) => Some(format!("python3 is missing: {e}")),
    }
}

pub fn tools_or_skip(test: &str) -> bool {
    let Some(why) = missing_tool() else {
        return true;
    };
    assert!(
        std::env::var("HABEAS_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "HABEAS_REQUIRE_TOOLS=1 but {why}"
    );
    eprintln!("SKIPPED: {test}: {why}");
    false
}

/// A lossyfs mount of `backing` on a fresh directory.
pub struct Lossy {
    child: Child,
    mountpoint: tempfile::TempDir,
    unmounted: bool,
}

impl Lossy {
    pub fn mount(backing: &Path) -> Lossy {
        let mountpoint = tempfile::tempdir().expect("mountpoint");
        let child = Command::new("python3")
            .arg(LOSSYFS)
            .arg(backing)
            .arg(mountpoint.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start lossyfs");
        let target = mountpoint.path().to_string_lossy().into_owned();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
            if mounts
                .lines()
                .any(|l| l.split(' ').nth(1) == Some(target.as_str()))
            {
                break;
            }
            assert!(Instant::now() < deadline, "lossyfs did not mount");
            std::thread::sleep(Duration::from_millis(50));
        }
        Lossy {
            child,
            mountpoint,
            unmounted: false,
        }
    }

    pub fn path(&self) -> PathBuf {
        self.mountpoint.path().to_path_buf()
    }

    /// Drop every unsynced byte; every later access fails (EIO). Kill the
    /// processes using the mount, then [`Lossy::unmount`].
    pub fn cut_power(&self) {
        // Looking the control file up is the power cut (it never exists).
        let _ = std::fs::metadata(self.path().join(".lossyfs-power-cut"));
    }

    /// Every later write fails with ENOSPC until [`Lossy::free_disk`].
    pub fn fill_disk(&self) {
        let _ = std::fs::metadata(self.path().join(".lossyfs-disk-full"));
    }

    /// Every later fsync fails with EIO and loses the file's unsynced data
    /// (Linux after a failed writeback) until [`Lossy::sync_ok`].
    pub fn fail_syncs(&self) {
        let _ = std::fs::metadata(self.path().join(".lossyfs-sync-fail"));
    }

    pub fn sync_ok(&self) {
        let _ = std::fs::metadata(self.path().join(".lossyfs-sync-ok"));
    }

    pub fn free_disk(&self) {
        let _ = std::fs::metadata(self.path().join(".lossyfs-disk-free"));
    }

    pub fn unmount(&mut self) {
        if self.unmounted {
            return;
        }
        self.unmounted = true;
        let ok = Command::new("fusermount")
            .arg("-u")
            .arg(self.mountpoint.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.mountpoint.path())
                .status();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Lossy {
    fn drop(&mut self) {
        self.unmount();
        let _ = self.child.kill();
    }
}
