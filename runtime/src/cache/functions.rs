//! Compiled functions shared between components: the on-disk store behind Cranelift's incremental compilation
//! cache (`wasmtime::Config::enable_incremental_compilation`).
//!
//! Cranelift keys each function by a hash of its IR and of the compiler's settings, so a language runtime
//! (CPython, StarlingMonkey) embedded in two different components is compiled once and reused by the second.
//! One file per function under `functions/`, sharded by the first two hex digits of its key's SHA-256, written
//! atomically. A file is re-stamped when used, so eviction is least-recently-used here too. Cranelift checks
//! what it gets back (a value it cannot decode is recompiled), and the store is only written by weld.

use super::{hex, write_atomically};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;
use wasmtime::CacheStore;

/// Functions in one directory, with counts of what was asked and found.
#[derive(Debug)]
pub struct FunctionStore {
    dir: PathBuf,
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

impl FunctionStore {
    /// The store in `dir` (created when first written).
    pub fn new(dir: PathBuf) -> FunctionStore {
        FunctionStore {
            dir,
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

    /// The file of `key`.
    fn file(&self, key: &[u8]) -> PathBuf {
        let name = hex(&Sha256::digest(key));
        self.dir.join(&name[..2]).join(&name[2..])
    }
}

impl CacheStore for FunctionStore {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let mut file = super::open::regular(&self.file(key), true, false).ok()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).ok()?;
        let _ = file.set_modified(SystemTime::now());
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(Cow::Owned(bytes))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let file = self.file(key);
        let Some(shard) = file.parent() else {
            return false;
        };
        std::fs::create_dir_all(shard).is_ok() && write_atomically(shard, &file, &value).is_ok()
    }
}
