//! The on-disk cache of compiled code: a later run of the same component maps its code from a file instead of
//! compiling it.
//!
//! Layout of the cache's directory:
//! - `KEY.cwasm`: a component's Cranelift code, exactly as wasmtime serialized it, so that
//!   `Component::deserialize_file` maps it (copy-on-write memory images, nothing read up front).
//! - `KEY.json`: the entry's record: the key, the artifact's length and SHA-256, the source file, and the
//!   [`Stamp`] the artifact had when its checksum was last checked. The record's modification time is the
//!   entry's last use (for least-recently-used eviction).
//! - `index/`: the input [`Index`], from a component file's stamp to its contents' SHA-256.
//! - `functions/`: the [`FunctionStore`] of Cranelift's incremental compilation cache.
//!
//! An entry's KEY is the SHA-256 of the component's contents, the engine's compatibility hash (wasmtime version,
//! target, settings such as fuel) and weld's version, so code compiled under other settings is never picked up.
//!
//! Integrity without reading the artifact on every run: the record binds the entry to its key, its length and its
//! checksum. A run checks the key and length, and then the checksum only when the artifact's stamp differs from
//! the stamp recorded at the last check. An artifact damaged in place, or swapped for another entry's (by a
//! rename or a copy), has another stamp, fails the checksum and is rebuilt, never handed to wasmtime; so does an
//! entry whose record belongs to another key.

mod functions;
mod index;
mod open;
mod stamp;
mod usage;

pub use functions::{FunctionStore, Reuse};
pub use index::Index;
pub use stamp::Stamp;
pub use usage::{Cleaned, EntryInfo, Usage};

use serde::{Deserialize, Serialize};
use sha2::Sha256;
use stamp::Recorded;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use wasmtime::{Engine, Precompiled};

/// The default size cap of a cache: 2 GiB. Compiled code is about twice the size of its wasm, so this holds the
/// code of the ten or so 30-100 MB components of a Python or JavaScript project with room to spare, and the
/// functions they share.
pub const DEFAULT_CAP: u64 = 2 << 30;

/// A record's last-use time is refreshed when it is older than this, so a run in a loop does not write on
/// every start.
const TOUCH_AFTER: Duration = Duration::from_secs(60);

/// A SHA-256 digest of a component's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(<Sha256 as sha2::Digest>::digest(bytes).into())
    }

    /// Parses 64 hex digits.
    fn from_hex(text: &str) -> Option<Digest> {
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Digest(out))
    }
}

/// An entry's name: see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key(String);

/// A cache of compiled components in one directory.
#[derive(Clone, Debug)]
pub struct CodeCache {
    dir: PathBuf,
    cap: u64,
}

/// What a cache lookup found.
#[derive(Debug)]
pub enum Lookup {
    /// A sound entry: the artifact's file, checked.
    Hit(PathBuf),
    /// No entry.
    Miss,
    /// An entry that failed the checks, and why; it should be rebuilt.
    Corrupt(String),
}

/// An entry's record (`KEY.json`).
#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    len: u64,
    sha256: String,
    source: PathBuf,
    compile_ms: u64,
    /// The compiler that made the code (records written before weld kept Winch's code have none: Cranelift).
    #[serde(default)]
    compiler: Option<String>,
    verified: Option<Recorded>,
}

impl CodeCache {
    /// A cache in `dir` (created when first written), capped at [`DEFAULT_CAP`].
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CodeCache {
            dir: dir.into(),
            cap: DEFAULT_CAP,
        }
    }

    /// The same cache with another size cap, in bytes: after each store, entries and shared functions are evicted,
    /// least recently used first, until the cache is under 90% of it.
    pub fn with_cap(self, cap: u64) -> Self {
        CodeCache { cap, ..self }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its size cap, in bytes.
    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// Its input index.
    pub fn index(&self) -> Index {
        Index::new(self.dir.join("index"))
    }

    /// A store of shared functions for Cranelift's incremental compilation, in this cache.
    pub fn functions(&self) -> FunctionStore {
        FunctionStore::new(self.dir.join("functions"))
    }

    /// The key of a component with contents `digest` compiled by `engine`.
    pub fn key(&self, engine: &Engine, digest: &Digest) -> Key {
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let mut key = <Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut key, b"weld compiled code, format 3\0");
        sha2::Digest::update(&mut key, env!("CARGO_PKG_VERSION").as_bytes());
        sha2::Digest::update(&mut key, engine_hash.finish().to_le_bytes());
        sha2::Digest::update(&mut key, digest.0);
        Key(hex(&sha2::Digest::finalize(key)))
    }

    /// The artifact's file of `key`.
    pub fn artifact(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.cwasm", key.0))
    }

    /// The record's file of `key`.
    fn record(&self, key: &Key) -> PathBuf {
        self.dir.join(format!("{}.json", key.0))
    }

    /// Finds and checks the entry of `key` (see the module documentation for what is checked when).
    pub fn lookup(&self, key: &Key) -> Lookup {
        let artifact = self.artifact(key);
        let meta = match std::fs::metadata(&artifact) {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => return Lookup::Corrupt("its code is not a regular file".into()),
            // No cache directory (or a file where it should be): no entry.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Lookup::Miss;
            }
            Err(e) => return Lookup::Corrupt(format!("its code cannot be read: {e}")),
        };
        let record_file = self.record(key);
        let mut record: Record = match open::read(&record_file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
        {
            Ok(record) => record,
            Err(why) => return Lookup::Corrupt(format!("its record is unreadable: {why}")),
        };
        let stamp = Stamp::of(&meta);
        if record.key != key.0 {
            return Lookup::Corrupt("its record belongs to another entry".into());
        }
        if stamp.len() != record.len {
            return Lookup::Corrupt(
                "its length does not match its record (truncated, or another entry's file)".into(),
            );
        }
        if !record.verified.is_some_and(|v| v.vouches_for(&stamp)) {
            if let Err(why) = check(&artifact, &record.sha256) {
                return Lookup::Corrupt(why.into());
            }
            let verified = stamp.record();
            if verified.settled() {
                record.verified = Some(verified);
                if let Ok(json) = serde_json::to_vec(&record) {
                    let _ = write_atomically(&record_file, &json);
                }
            }
        }
        touch(&record_file);
        Lookup::Hit(artifact)
    }

    /// Whether entries can be written: the directory exists or can be made, and a file can be created in it.
    pub fn writable(&self) -> bool {
        std::fs::create_dir_all(&self.dir).is_ok()
            && tempfile::NamedTempFile::new_in(&self.dir).is_ok()
    }

    /// Whether another process holds the compile lock of `key` (see [`CodeCache::lock`]).
    pub fn locked(&self, key: &Key) -> bool {
        matches!(self.lock(key), Ok(None))
    }

    /// Takes the compile lock of `key` (`locks/KEY`, an advisory lock held until the file is dropped), or `None`
    /// when another process holds it. A lock file removed (by `weld cache clean`) between the open and the lock
    /// is opened again, so the lock held is always the one at the path, which the next process will see.
    pub fn lock(&self, key: &Key) -> std::io::Result<Option<std::fs::File>> {
        let dir = self.dir.join("locks");
        let path = dir.join(&key.0);
        loop {
            std::fs::create_dir_all(&dir)?;
            let file = open::regular(&path, true, true)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
            let held = file.metadata()?;
            match std::fs::metadata(&path) {
                Ok(now) if same_file(&now, &held) => {
                    return Ok(Some(file));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Removes the entry of `key` (its record first, so that a reader never takes a lone artifact for an entry),
    /// if there is one: a baseline entry once the optimised one replaced it.
    pub fn remove(&self, key: &Key) -> std::io::Result<()> {
        for path in [self.record(key), self.artifact(key)] {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Stores `artifact` (compiled from `source` in `took`) as the entry of `key`, then evicts down to the cap.
    /// The record goes first and the artifact second, each written to a temporary file and renamed into place, so
    /// a reader never sees half an entry, and racing writers each leave a whole one.
    /// `compiler` names the compiler that made it (`Cranelift`, `Winch`), shown by `weld cache`.
    pub fn store(
        &self,
        key: &Key,
        artifact: &[u8],
        source: &Path,
        took: Duration,
        compiler: &str,
    ) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)?;
        let record = Record {
            key: key.0.clone(),
            len: artifact.len() as u64,
            sha256: hex(&<Sha256 as sha2::Digest>::digest(artifact)),
            source: std::path::absolute(source).unwrap_or_else(|_| source.to_owned()),
            compile_ms: took.as_millis() as u64,
            compiler: Some(compiler.to_owned()),
            verified: None,
        };
        let json = serde_json::to_vec(&record).map_err(std::io::Error::other)?;
        write_atomically(&self.record(key), &json)?;
        let path = self.artifact(key);
        let written = write_atomically(&path, artifact)?;
        // The record vouches for the bytes just written by their own stamp, so that a run right after this one maps
        // the code without reading it (stamp.rs says why that is sound). If this second write fails, the record
        // without it still holds: the next run checks the checksum instead.
        let record = Record {
            verified: Some(Stamp::of(&written).record_written()),
            ..record
        };
        if let Ok(json) = serde_json::to_vec(&record) {
            let _ = write_atomically(&self.record(key), &json);
        }
        self.evict(self.cap, Some(key))?;
        Ok(path)
    }
}

/// Reads an artifact whole and checks its checksum and kind.
fn check(artifact: &Path, sha256: &str) -> Result<(), &'static str> {
    let bytes = open::read(artifact).map_err(|_| "its code cannot be read")?;
    if hex(&<Sha256 as sha2::Digest>::digest(&bytes)) != sha256 {
        return Err("its checksum does not match its record (damaged, or another entry's file)");
    }
    if Engine::detect_precompiled(&bytes) != Some(Precompiled::Component) {
        return Err("it does not hold a compiled component");
    }
    Ok(())
}

/// Marks a record as used now, when its last use is older than [`TOUCH_AFTER`]; failures are ignored.
fn touch(record: &Path) {
    let Ok(file) = open::regular(record, true, false) else {
        return;
    };
    let now = SystemTime::now();
    let stale = file
        .metadata()
        .and_then(|m| m.modified())
        .map_or(true, |t| {
            now.duration_since(t).unwrap_or_default() > TOUCH_AFTER
        });
    if stale {
        let _ = file.set_modified(now);
    }
}

/// Writes `bytes` to `target` whole ([`weld_files::write_bytes`], its folder made if need be, no sync: an entry
/// carries its own checksum) and returns the written file's metadata, taken through the handle it was written with
/// after the rename (another file renamed to `target` meanwhile does not change it).
fn write_atomically(target: &Path, bytes: &[u8]) -> std::io::Result<std::fs::Metadata> {
    let options = weld_files::WriteOptions {
        create_dir: true,
        ..weld_files::WriteOptions::default()
    };
    weld_files::write_bytes(target, &options, bytes)
        .map_err(std::io::Error::other)?
        .metadata()
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two metadata are of one file: the same device and inode.
#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

/// Without inodes, one file is one whose creation time and size match: a lock file removed and created again
/// between the open and the lock has a later creation time.
#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.created().ok() == b.created().ok() && a.len() == b.len()
}

#[cfg(test)]
mod tests;
