//! The on-disk cache of compiled code: a second run of the same component skips Cranelift.
//!
//! An entry is named by the SHA-256 of the component's bytes, the engine's compatibility hash (wasmtime version,
//! target, settings such as fuel) and weld's version, so code compiled under other settings is never picked up.
//! It holds a magic header, the SHA-256 of its own name and the artifact, then the artifact: a truncated,
//! corrupted or foreign file fails the check and is rebuilt, never handed to wasmtime, and so does a sound entry
//! moved to another entry's name (which would otherwise run one component's code for another).

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::{Engine, Precompiled};

/// The first bytes of every entry.
const MAGIC: &[u8; 8] = b"weldcw\x00\x02";
/// Header length: the magic and the SHA-256 of the entry's name and artifact.
const HEADER: usize = MAGIC.len() + 32;

/// A cache of compiled components in one directory.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
}

/// What a cache lookup found.
pub enum Lookup {
    /// A sound entry, checked.
    Hit(Entry),
    /// No entry.
    Miss,
    /// An entry that failed the checks, and why; it should be rebuilt.
    Corrupt(String),
}

/// A checked entry as read from disk; it derefs to the serialized component (the bytes after the header), so
/// loading one copies nothing.
pub struct Entry(Vec<u8>);

impl AsRef<[u8]> for Entry {
    fn as_ref(&self) -> &[u8] {
        &self.0[HEADER..]
    }
}

impl Cache {
    /// A cache in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Cache { dir: dir.into() }
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry for `wasm` compiled by `engine`.
    pub fn entry(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
        engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let mut key = Sha256::new();
        key.update(env!("CARGO_PKG_VERSION").as_bytes());
        key.update(engine_hash.finish().to_le_bytes());
        key.update(wasm);
        self.dir.join(format!("{}.cwasm", hex(&key.finalize())))
    }

    /// Reads and checks an entry.
    pub fn lookup(&self, entry: &Path) -> Lookup {
        let bytes = match std::fs::read(entry) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Corrupt(format!("cannot read it: {e}")),
        };
        match check(entry, &bytes) {
            Ok(()) => Lookup::Hit(Entry(bytes)),
            Err(why) => Lookup::Corrupt(why.to_string()),
        }
    }

    /// Stores `artifact` as `entry`, atomically (a temporary file renamed into place), so a reader never sees
    /// half an entry and racing writers each leave a whole one.
    pub fn store(&self, entry: &Path, artifact: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        std::io::Write::write_all(&mut file, MAGIC)?;
        std::io::Write::write_all(&mut file, &seal(entry, artifact))?;
        std::io::Write::write_all(&mut file, artifact)?;
        file.persist(entry).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The checksum an entry stored at `entry` carries: over its file name (the cache key) and the artifact.
fn seal(entry: &Path, artifact: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(entry.file_name().unwrap_or_default().as_encoded_bytes());
    hash.update(artifact);
    hash.finalize().into()
}

/// Checks an entry's header, digest (which binds it to its name) and kind.
fn check(entry: &Path, bytes: &[u8]) -> Result<(), &'static str> {
    if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not a weld cache entry");
    }
    let artifact = &bytes[HEADER..];
    if seal(entry, artifact) != bytes[MAGIC.len()..HEADER] {
        return Err(
            "its checksum does not match its contents and name (damaged, or another entry's file)",
        );
    }
    if Engine::detect_precompiled(artifact) != Some(Precompiled::Component) {
        return Err("it does not hold a compiled component");
    }
    Ok(())
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        crate::engine::engine(Default::default()).unwrap()
    }

    /// The smallest component and core module binaries.
    const COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";
    const MODULE: &[u8] = b"\0asm\x01\0\0\0";

    #[test]
    fn entries_depend_on_bytes_and_settings() {
        let cache = Cache::new("/c");
        let plain = engine();
        let with = |settings| crate::engine::engine(settings).unwrap();
        let fuel = with(crate::EngineSettings {
            fuel: true,
            ..Default::default()
        });
        let interruptible = with(crate::EngineSettings {
            interruptible: true,
            ..Default::default()
        });
        assert_eq!(cache.entry(&plain, b"a"), cache.entry(&plain, b"a"));
        assert_ne!(cache.entry(&plain, b"a"), cache.entry(&plain, b"b"));
        assert_ne!(cache.entry(&plain, b"a"), cache.entry(&fuel, b"a"));
        assert_ne!(cache.entry(&plain, b"a"), cache.entry(&interruptible, b"a"));
    }

    #[test]
    fn store_then_lookup_round_trips_and_damage_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("compiled"));
        let engine = engine();
        let artifact = engine.precompile_component(COMPONENT).unwrap();
        let entry = cache.entry(&engine, COMPONENT);
        assert!(matches!(cache.lookup(&entry), Lookup::Miss));
        cache.store(&entry, &artifact).unwrap();
        match cache.lookup(&entry) {
            Lookup::Hit(entry) => assert_eq!(entry.as_ref(), artifact),
            _ => panic!("expected a hit"),
        }
        // One flipped byte in the artifact: the checksum catches it.
        let mut bytes = std::fs::read(&entry).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&entry, &bytes).unwrap();
        assert!(matches!(cache.lookup(&entry), Lookup::Corrupt(why) if why.contains("checksum")));
        // A sound entry of another component, moved to this one's name.
        let other = cache.entry(&engine, b"\0asm\x0d\0\x01\0\0");
        cache.store(&other, &artifact).unwrap();
        std::fs::rename(&other, &entry).unwrap();
        assert!(
            matches!(cache.lookup(&entry), Lookup::Corrupt(why) if why.contains("another entry"))
        );
        // A truncated file, and a file that is not an entry at all.
        std::fs::write(&entry, &bytes[..10]).unwrap();
        assert!(
            matches!(cache.lookup(&entry), Lookup::Corrupt(why) if why.contains("not a weld cache entry"))
        );
        // A core module's artifact with a valid header is still refused: it is not a component.
        let module = engine.precompile_module(MODULE).unwrap();
        cache.store(&entry, &module).unwrap();
        assert!(
            matches!(cache.lookup(&entry), Lookup::Corrupt(why) if why.contains("compiled component"))
        );
    }
}
