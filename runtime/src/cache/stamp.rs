//! A file's identity as `stat` sees it, and when it may stand in for reading the file.
//!
//! The rule is git's index and ccache's direct mode: a file whose size, modification and change times, inode and
//! device all match what was recorded when its contents were last read is taken to hold the same contents. A
//! change time cannot be set back by a user (`touch -d` sets the modification time only), and a file replaced
//! by another (a rename, a copy) gets another inode or new times.
//!
//! Racy stamps: file times have a granularity (a clock tick on Linux), so a file written again within the tick
//! in which it was stamped can keep all of its stamp. As in git ("racy git"), a stamp taken less than
//! [`SETTLE`] after the file's last change is not trusted: the contents are read and checked again, and a new,
//! settled stamp is recorded then.
//!
//! One exception: the stamp weld takes of a file it has just written itself ([`Stamp::record_written`]), through
//! the handle it wrote with, after renaming it into place. The contents are weld's own bytes, not read back, so
//! nothing about them is racy; what stays racy is a later write into the same inode within the same tick, which
//! only a process that writes weld's cache files in place, within milliseconds of their creation, could make.
//! A file renamed over it has another inode, and any write after that tick moves its change time.

use serde::{Deserialize, Serialize};
use std::fs::Metadata;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long after a file's last change its stamp becomes trustworthy.
pub const SETTLE: Duration = Duration::from_secs(2);

/// A file's size, times (nanoseconds since the epoch), inode and device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    len: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
    dev: u64,
}

/// A stamp and when it was taken.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Recorded {
    stamp: Stamp,
    at_ns: i128,
    /// Taken by the writer of the file, of the bytes it had just written (see the module documentation).
    #[serde(default)]
    written: bool,
}

impl Stamp {
    /// The stamp of a file's metadata.
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        let ns = |secs: i64, nanos: i64| i128::from(secs) * 1_000_000_000 + i128::from(nanos);
        Stamp {
            len: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            ino: meta.ino(),
            dev: meta.dev(),
        }
    }

    /// The stamp of a file's metadata where there are no inodes or change times: its size, modification and
    /// creation times (a file renamed over another then differs by its creation time).
    #[cfg(not(unix))]
    pub fn of(meta: &Metadata) -> Stamp {
        let ns = |t: std::io::Result<SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i128)
        };
        Stamp {
            len: meta.len(),
            mtime_ns: ns(meta.modified()),
            ctime_ns: ns(meta.created()),
            ino: 0,
            dev: 0,
        }
    }

    /// The file's size in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file changed long enough ago ([`SETTLE`]) for this stamp, taken now, to stand for its
    /// contents: what a caller keeping its own index by stamps (weld's `run --plug`) asks before trusting one.
    pub fn is_settled(self) -> bool {
        self.record().settled()
    }

    /// This stamp, recorded now.
    pub(crate) fn record(self) -> Recorded {
        Recorded {
            stamp: self,
            at_ns: now_ns(),
            written: false,
        }
    }

    /// This stamp, taken by weld of a file it has just written and renamed into place, through the handle it wrote
    /// with: it vouches for the file at once, without waiting for it to settle.
    pub(crate) fn record_written(self) -> Recorded {
        Recorded {
            written: true,
            ..self.record()
        }
    }

    /// This stamp, recorded as if [`SETTLE`] had already passed: for tests of what a settled stamp vouches for.
    #[cfg(test)]
    pub fn record_settled(self) -> Recorded {
        Recorded {
            stamp: self,
            at_ns: now_ns() + SETTLE.as_nanos() as i128 + 1,
            written: false,
        }
    }
}

impl Recorded {
    /// Whether a file that now has `current` may be taken to be unchanged since this was recorded: the stamps
    /// match, and the file had settled when it was taken.
    pub fn vouches_for(&self, current: &Stamp) -> bool {
        let settle = SETTLE.as_nanos() as i128;
        self.stamp == *current
            && (self.written || self.stamp.mtime_ns.max(self.stamp.ctime_ns) + settle <= self.at_ns)
    }

    /// Whether it would vouch for its own stamp: false while the file is still settling, and then recording it is
    /// pointless.
    pub fn settled(&self) -> bool {
        self.vouches_for(&self.stamp)
    }
}

/// Nanoseconds since the epoch, now.
fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp_of(path: &std::path::Path) -> Stamp {
        Stamp::of(&std::fs::metadata(path).unwrap())
    }

    /// Sets a file's modification time back, as if it had been written long ago; its change time still moves.
    fn age(path: &std::path::Path) {
        let old = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }

    #[test]
    fn a_fresh_stamp_is_not_trusted_until_the_file_settles() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"one").unwrap();
        let fresh = stamp_of(&file).record();
        assert!(!fresh.settled(), "a file written just now is racy");
        assert!(!fresh.vouches_for(&stamp_of(&file)));
        // Recorded as if SETTLE had passed: trusted while nothing changes.
        let settled = stamp_of(&file).record_settled();
        assert!(settled.vouches_for(&stamp_of(&file)));
        // Rewritten with the same length, even with the modification time set back: the change time moved.
        std::fs::write(&file, b"two").unwrap();
        age(&file);
        assert!(!settled.vouches_for(&stamp_of(&file)));
        // Replaced by another file of the same length (a new inode).
        let other = dir.path().join("g");
        std::fs::write(&other, b"one").unwrap();
        let before = stamp_of(&file);
        std::fs::rename(&other, &file).unwrap();
        assert_ne!(before, stamp_of(&file));
    }

    #[test]
    fn the_writer_s_own_stamp_vouches_at_once_until_the_file_changes_or_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"one").unwrap();
        let written = stamp_of(&file).record_written();
        assert!(written.vouches_for(&stamp_of(&file)));
        // Replaced by another file of the same length: another inode.
        let other = dir.path().join("g");
        std::fs::write(&other, b"one").unwrap();
        std::fs::rename(&other, &file).unwrap();
        assert!(!written.vouches_for(&stamp_of(&file)));
    }
}
