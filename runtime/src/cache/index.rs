//! The input index: which contents (SHA-256) a component file had when weld last read it, so that a cached run
//! finds its code from a `stat` and one small read instead of hashing the whole component.
//!
//! One small JSON file per input path, under `index/`, named by the SHA-256 of the path. A record is used only
//! when it vouches for the file's current [`Stamp`] (see [`super::stamp`] for the rule); otherwise the file is
//! read and hashed, and a new record written once the file has settled.

use super::stamp::{Recorded, Stamp};
use super::{Digest, hex, write_atomically};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::path::{Path, PathBuf};

/// What the index keeps for one input path.
#[derive(Serialize, Deserialize)]
struct Record {
    path: PathBuf,
    seen: Recorded,
    sha256: String,
}

/// The input index in one directory.
#[derive(Clone, Debug)]
pub struct Index {
    dir: PathBuf,
}

impl Index {
    /// The index kept in `dir`.
    pub fn new(dir: PathBuf) -> Index {
        Index { dir }
    }

    /// The recorded digest of `path`'s contents, when the file is unchanged since it was recorded; `None` when it
    /// must be read (no record, a changed or unsettled file, or any error: the index is only ever a shortcut).
    pub fn known(&self, path: &Path) -> Option<Digest> {
        let current = Stamp::of(&std::fs::metadata(path).ok()?);
        let record: Record =
            serde_json::from_slice(&super::open::read(&self.file(path)?).ok()?).ok()?;
        if record.path != absolute(path)? || !record.seen.vouches_for(&current) {
            return None;
        }
        Digest::from_hex(&record.sha256)
    }

    /// Records that `path`, whose stamp before it was read was `before`, holds contents with `digest`. Nothing is
    /// recorded when the file changed while it was read, or has not settled yet; failures are ignored.
    pub fn remember(&self, path: &Path, before: &Stamp, digest: &Digest) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        let seen = Stamp::of(&meta).record();
        let (Some(file), Some(path)) = (self.file(path), absolute(path)) else {
            return;
        };
        if Stamp::of(&meta) != *before || !seen.settled() {
            return;
        }
        let record = Record {
            path,
            seen,
            sha256: hex(&digest.0),
        };
        if let Ok(json) = serde_json::to_vec(&record) {
            let _ = write_atomically(&file, &json);
        }
    }

    /// The record's file for `path`.
    fn file(&self, path: &Path) -> Option<PathBuf> {
        let path = absolute(path)?;
        let name = <Sha256 as sha2::Digest>::digest(path.as_os_str().as_encoded_bytes());
        Some(self.dir.join(hex(&name)))
    }
}

/// `path` made absolute (not canonical: the same file reached through two links gets two records, both sound).
fn absolute(path: &Path) -> Option<PathBuf> {
    std::path::absolute(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::stamp::SETTLE;
    use std::time::Duration;

    fn stamp(path: &Path) -> Stamp {
        Stamp::of(&std::fs::metadata(path).unwrap())
    }

    #[test]
    fn a_settled_file_is_known_until_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::new(dir.path().join("index"));
        let file = dir.path().join("c.wasm");
        std::fs::write(&file, b"one").unwrap();
        // Just written: racy, so not recorded.
        index.remember(&file, &stamp(&file), &Digest::of(b"one"));
        assert_eq!(index.known(&file), None);
        std::thread::sleep(SETTLE + Duration::from_millis(100));
        index.remember(&file, &stamp(&file), &Digest::of(b"one"));
        assert_eq!(index.known(&file), Some(Digest::of(b"one")));
        // Rewritten with contents of the same length: no longer known.
        std::fs::write(&file, b"two").unwrap();
        assert_eq!(index.known(&file), None);
        // A file that changed while it was read (its stamp before the read is stale) is not recorded.
        std::thread::sleep(SETTLE + Duration::from_millis(100));
        let before_read = stamp(&file);
        std::fs::write(&file, b"three").unwrap();
        index.remember(&file, &before_read, &Digest::of(b"two"));
        assert_eq!(index.known(&file), None);
    }
}
