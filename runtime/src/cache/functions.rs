//! Compiled functions shared between components: the on-disk store behind Cranelift's incremental compilation
//! cache (`wasmtime::Config::enable_incremental_compilation`).
//!
//! Cranelift keys each function by a hash of its IR and of the compiler's settings, so a language runtime
//! (CPython, StarlingMonkey) embedded in two different components is compiled once and reused by the second.
//! One file per function under `functions/`, sharded by the first two hex digits of its key's SHA-256, written
//! atomically. A file is re-stamped when used, so eviction is least-recently-used here too. Cranelift checks
//! what it gets back (a value it cannot decode is recompiled), and the store is only written by weld.
//!
//! What a process has read or written is also kept in memory: one compile looks up the same key thousands of
//! times (Winch's trampolines, compiled by Cranelift, depend only on the function's signature, and a language
//! runtime has tens of thousands of functions with a few hundred signatures), and each lookup on disk would be an
//! open, a read and a re-stamp. Only small values are kept (see [`REMEMBERED_UP_TO`]), so a whole Cranelift
//! compile of a 30 MB component does not hold its compiled code twice.

use super::{hex, write_atomically};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;
use wasmtime::CacheStore;

/// Values up to this many bytes are kept in memory once read or written: a trampoline is a few hundred bytes,
/// the values most often looked up again, while a language runtime's big functions are seldom repeated.
const REMEMBERED_UP_TO: usize = 4096;

/// Functions in one directory, with counts of what was asked and found.
#[derive(Debug)]
pub struct FunctionStore {
    dir: PathBuf,
    /// Values this process has read or written, by their file's name.
    seen: Mutex<HashMap<[u8; 32], Vec<u8>>>,
    lookups: AtomicU64,
    hits: AtomicU64,
}

/// How many functions a compile looked up in the store, and found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reuse {
    /// Functions looked up.
    pub lookups: u64,
    /// Functions found, so not compiled again.
    pub hits: u64,
}

impl Reuse {
    /// The lookups and hits since `before` (counts taken earlier from the same store).
    pub fn since(self, before: Reuse) -> Reuse {
        Reuse {
            lookups: self.lookups.saturating_sub(before.lookups),
            hits: self.hits.saturating_sub(before.hits),
        }
    }
}

impl FunctionStore {
    /// The store in `dir` (created when first written).
    pub fn new(dir: PathBuf) -> FunctionStore {
        FunctionStore {
            dir,
            seen: Mutex::default(),
            lookups: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }
    }

    /// The counts so far.
    pub fn reuse(&self) -> Reuse {
        Reuse {
            lookups: self.lookups.load(Ordering::Relaxed),
            hits: self.hits.load(Ordering::Relaxed),
        }
    }

    /// The file of `key`, named after its digest.
    fn file(&self, digest: &[u8; 32]) -> PathBuf {
        let name = hex(digest);
        self.dir.join(&name[..2]).join(&name[2..])
    }

    /// The value of `digest` this process has read or written.
    fn seen(&self, digest: &[u8; 32]) -> Option<Vec<u8>> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(digest).cloned()
    }

    /// Remembers the value of `digest` when it is small (up to [`REMEMBERED_UP_TO`] bytes).
    fn remember(&self, digest: [u8; 32], value: &[u8]) {
        if value.len() > REMEMBERED_UP_TO {
            return;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.insert(digest, value.to_vec());
    }
}

impl CacheStore for FunctionStore {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let digest: [u8; 32] = Sha256::digest(key).into();
        let bytes = match self.seen(&digest) {
            Some(bytes) => bytes,
            None => {
                let mut file = super::open::regular(&self.file(&digest), true, false).ok()?;
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).ok()?;
                let _ = file.set_modified(SystemTime::now());
                self.remember(digest, &bytes);
                bytes
            }
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(Cow::Owned(bytes))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let digest: [u8; 32] = Sha256::digest(key).into();
        let file = self.file(&digest);
        let Some(shard) = file.parent() else {
            return false;
        };
        let written = std::fs::create_dir_all(shard).is_ok()
            && write_atomically(shard, &file, &value).is_ok();
        self.remember(digest, &value);
        written
    }
}
