//! Compiled functions shared between components: the on-disk store behind Cranelift's incremental compilation
//! cache (`wasmtime::Config::enable_incremental_compilation`).
//!
//! Cranelift keys each function by a hash of its IR and of the compiler's settings, so a language runtime
//! (CPython, StarlingMonkey) embedded in two different components is compiled once and reused by the second.
//! One file per function under `functions/`, sharded by the first two hex digits of its key's SHA-256, written
//! atomically. A file is re-stamped when used, so eviction is least-recently-used here too.
//!
//! Cranelift runs what it gets back once it decodes (`cranelift_codegen::incremental_cache::try_finish_recompile`
//! checks only a version marker), so a file swapped for another, or damaged, would become wrong native code.
//! Each file is therefore sealed: it starts with a tag, the SHA-256 of its key and the SHA-256 of its value, and a
//! file whose seal does not match its name and contents is a miss: the function is compiled again and the file
//! rewritten. The compiled-code entries keep the same guarantee with their records (`CodeCache::lookup`).
//!
//! Small values a process has read or been given to store (whether or not the write succeeded) are also kept in
//! memory: one compile looks up the same key thousands of times (Winch's trampolines, compiled by Cranelift,
//! depend only on the function's signature, and a language runtime has tens of thousands of functions with a few
//! hundred signatures), and each lookup on disk would be an open, a read and a re-stamp. The memory is bounded
//! ([`REMEMBERED_UP_TO`] per value, [`REMEMBERED_AT_MOST`] in all), so a whole Cranelift compile of a 30 MB
//! component, or a long-lived server, does not hold its compiled code twice.

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

/// The most bytes of values kept in memory: the 550 distinct trampolines of a 30 MB Python+JS composition take
/// about 0.3 MiB; what comes after the first 8 MiB is read from disk again.
const REMEMBERED_AT_MOST: usize = 8 << 20;

/// What a sealed file starts with, before the two digests.
const TAG: &[u8; 8] = b"weldfn1\n";

/// The length of a seal: the tag, the key's SHA-256, the value's SHA-256.
const SEAL: usize = TAG.len() + 32 + 32;

/// `value` sealed for the key whose SHA-256 is `digest`.
fn seal(digest: &[u8; 32], value: &[u8]) -> Vec<u8> {
    let mut file = Vec::with_capacity(SEAL + value.len());
    file.extend_from_slice(TAG);
    file.extend_from_slice(digest);
    file.extend_from_slice(&Sha256::digest(value));
    file.extend_from_slice(value);
    file
}

/// The value in `file` when its seal is for the key whose SHA-256 is `digest` and matches the value; else None.
fn unseal(digest: &[u8; 32], mut file: Vec<u8>) -> Option<Vec<u8>> {
    let (head, value) = file.split_at_checked(SEAL)?;
    let (tag, digests) = head.split_at(TAG.len());
    let (key, sum) = digests.split_at(32);
    if tag != TAG || key != digest || sum != Sha256::digest(value).as_slice() {
        return None;
    }
    file.drain(..SEAL);
    Some(file)
}

/// Functions in one directory, with counts of what was asked and found.
pub struct FunctionStore {
    dir: PathBuf,
    /// Small values this process has read or stored.
    seen: Mutex<Memo>,
    lookups: AtomicU64,
    hits: AtomicU64,
}

/// Values kept in memory by their file's name, and their bytes in all.
#[derive(Default)]
struct Memo {
    values: HashMap<[u8; 32], Vec<u8>>,
    bytes: usize,
}

impl std::fmt::Debug for FunctionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionStore")
            .field("dir", &self.dir)
            .field("reuse", &self.reuse())
            .finish_non_exhaustive()
    }
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
        seen.values.get(digest).cloned()
    }

    /// Remembers the value of `digest` when it is small (up to [`REMEMBERED_UP_TO`] bytes) and there is room
    /// (up to [`REMEMBERED_AT_MOST`] bytes in all).
    fn remember(&self, digest: [u8; 32], value: &[u8]) {
        if value.len() > REMEMBERED_UP_TO {
            return;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.bytes + value.len() > REMEMBERED_AT_MOST || seen.values.contains_key(&digest) {
            return;
        }
        seen.bytes += value.len();
        seen.values.insert(digest, value.to_vec());
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
                let mut sealed = Vec::new();
                file.read_to_end(&mut sealed).ok()?;
                let bytes = unseal(&digest, sealed)?;
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
        let written = write_atomically(&file, &seal(&digest, &value)).is_ok();
        self.remember(digest, &value);
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_under_its_own_key_and_unchanged() {
        let key: [u8; 32] = Sha256::digest(b"key").into();
        let other: [u8; 32] = Sha256::digest(b"other").into();
        let file = seal(&key, b"value");
        assert_eq!(unseal(&key, file.clone()).as_deref(), Some(&b"value"[..]));
        assert_eq!(unseal(&other, file.clone()), None);
        let mut damaged = file.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(unseal(&key, damaged), None);
        assert_eq!(unseal(&key, file[..SEAL - 1].to_vec()), None);
        assert_eq!(unseal(&key, b"value".to_vec()), None);
    }

    #[test]
    fn what_is_kept_in_memory_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = FunctionStore::new(dir.path().to_owned());
        for i in 0u32..2100 {
            store.insert(&i.to_le_bytes(), vec![0; REMEMBERED_UP_TO]);
        }
        store.insert(b"big", vec![0; REMEMBERED_UP_TO + 1]);
        let seen = store.seen.lock().unwrap();
        assert_eq!(seen.values.len(), REMEMBERED_AT_MOST / REMEMBERED_UP_TO);
        assert_eq!(seen.bytes, REMEMBERED_AT_MOST);
        drop(seen);
        // What is not kept is still found, on disk.
        assert_eq!(
            store.get(&2099u32.to_le_bytes()).map(|v| v.len()),
            Some(REMEMBERED_UP_TO)
        );
        assert!(store.get(b"big").is_some());
    }

    #[test]
    fn a_file_swapped_for_another_or_damaged_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let store = FunctionStore::new(dir.path().to_owned());
        assert!(store.insert(b"one", b"first".to_vec()));
        assert!(store.insert(b"two", b"second".to_vec()));
        let one = store.file(&Sha256::digest(b"one").into());
        let two = store.file(&Sha256::digest(b"two").into());
        // A new process (nothing in memory) reads the files.
        let fresh = || FunctionStore::new(dir.path().to_owned());
        assert_eq!(fresh().get(b"one").as_deref(), Some(&b"first"[..]));
        std::fs::copy(&two, &one).unwrap();
        assert_eq!(fresh().get(b"one"), None);
        let mut damaged = std::fs::read(&two).unwrap();
        *damaged.last_mut().unwrap() ^= 1;
        std::fs::write(&two, damaged).unwrap();
        let reader = fresh();
        assert_eq!(reader.get(b"two"), None);
        assert_eq!(
            reader.reuse(),
            Reuse {
                lookups: 1,
                hits: 0
            }
        );
        // What Cranelift does on a miss, insert what it compiled, repairs the file.
        assert!(reader.insert(b"two", b"second".to_vec()));
        assert_eq!(fresh().get(b"two").as_deref(), Some(&b"second"[..]));
    }
}
