use super::*;

fn engine() -> Engine {
    crate::engine::engine(Default::default(), None).unwrap()
}

/// The smallest component and core module binaries.
const COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";
const MODULE: &[u8] = b"\0asm\x01\0\0\0";

/// Marks an entry's record as checked long enough ago to be trusted, as a later run would.
fn settle(cache: &CodeCache, key: &Key) {
    let path = cache.record(key);
    let mut record: Record = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let meta = std::fs::metadata(cache.artifact(key)).unwrap();
    record.verified = Some(Stamp::of(&meta).record_settled());
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
}

/// Forgets the stamp an entry's record vouches for, as when the file changed since: the next lookup checks it.
fn unstamp(cache: &CodeCache, key: &Key) {
    let path = cache.record(key);
    let mut record: Record = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    record.verified = None;
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
}

/// Stores `artifact` as the entry of `key`.
fn put(cache: &CodeCache, key: &Key, artifact: &[u8]) {
    cache
        .store(
            key,
            artifact,
            Path::new("c.wasm"),
            Duration::ZERO,
            "Cranelift",
        )
        .unwrap();
}

/// A cache in a fresh folder, an engine and the artifact of the smallest component.
fn setup() -> (tempfile::TempDir, CodeCache, Engine, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let cache = CodeCache::new(dir.path().join("compiled"));
    let engine = engine();
    let artifact = engine.precompile_component(COMPONENT).unwrap();
    (dir, cache, engine, artifact)
}

/// The keys of the entries in `cache`, most recently used first.
fn keys_in(cache: &CodeCache) -> Vec<String> {
    let entries = cache.usage().unwrap().entries;
    entries.into_iter().map(|e| e.key).collect()
}

fn corrupt(lookup: Lookup) -> String {
    match lookup {
        Lookup::Corrupt(why) => why,
        other => panic!("expected a corrupt entry, got {other:?}"),
    }
}

#[test]
fn keys_depend_on_contents_and_settings() {
    let cache = CodeCache::new("/c");
    let plain = engine();
    let with = |settings| crate::engine::engine(settings, None).unwrap();
    let fuel = with(crate::EngineSettings {
        fuel: true,
        ..Default::default()
    });
    let interruptible = with(crate::EngineSettings {
        interruptible: true,
        ..Default::default()
    });
    let (a, b) = (Digest::of(b"a"), Digest::of(b"b"));
    assert_eq!(cache.key(&plain, &a), cache.key(&plain, &a));
    assert_ne!(cache.key(&plain, &a), cache.key(&plain, &b));
    assert_ne!(cache.key(&plain, &a), cache.key(&fuel, &a));
    assert_ne!(cache.key(&plain, &a), cache.key(&interruptible, &a));
    assert_eq!(Digest::from_hex(&hex(&a.0)), Some(a));
}

#[test]
fn store_then_lookup_maps_the_artifact_file_and_damage_is_caught() {
    let (_dir, cache, engine, artifact) = setup();
    let key = cache.key(&engine, &Digest::of(COMPONENT));
    assert!(matches!(cache.lookup(&key), Lookup::Miss));
    let stored = cache
        .store(
            &key,
            &artifact,
            Path::new("c.wasm"),
            Duration::ZERO,
            "Cranelift",
        )
        .unwrap();
    // The artifact file is wasmtime's serialization itself, so it can be mapped; the record vouches for it by the
    // stamp its writer took, so a lookup right after finds it without reading it.
    assert_eq!(std::fs::read(&stored).unwrap(), artifact);
    let record: Record =
        serde_json::from_slice(&std::fs::read(cache.record(&key)).unwrap()).unwrap();
    let meta = std::fs::metadata(&stored).unwrap();
    assert!(
        record
            .verified
            .is_some_and(|v| v.vouches_for(&Stamp::of(&meta)))
    );
    assert!(matches!(cache.lookup(&key), Lookup::Hit(path) if path == stored));
    settle(&cache, &key);
    assert!(matches!(cache.lookup(&key), Lookup::Hit(_)));

    // One byte flipped in place: the stamp moved, so the checksum is checked, and fails.
    let mut bytes = artifact.clone();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(cache.artifact(&key), &bytes).unwrap();
    assert!(corrupt(cache.lookup(&key)).contains("checksum"));

    // Truncated.
    std::fs::write(cache.artifact(&key), &artifact[..10]).unwrap();
    assert!(corrupt(cache.lookup(&key)).contains("length"));

    // A core module's artifact with a sound record, once checked, is still refused: it is not a component.
    let module = engine.precompile_module(MODULE).unwrap();
    put(&cache, &key, &module);
    unstamp(&cache, &key);
    assert!(corrupt(cache.lookup(&key)).contains("compiled component"));
}

#[test]
fn an_entry_swapped_for_another_of_the_same_length_is_refused() {
    let (_dir, cache, engine, artifact) = setup();
    let a = cache.key(&engine, &Digest::of(b"a"));
    let b = cache.key(&engine, &Digest::of(b"b"));
    let mut other = artifact.clone();
    let last = other.len() - 1;
    other[last] ^= 0xff;
    put(&cache, &a, &artifact);
    put(&cache, &b, &other);
    settle(&cache, &a);
    assert!(matches!(cache.lookup(&a), Lookup::Hit(_)));
    // b's artifact renamed over a's: same length, but another inode, so a's checksum is checked.
    std::fs::rename(cache.artifact(&b), cache.artifact(&a)).unwrap();
    assert!(corrupt(cache.lookup(&a)).contains("checksum"));
    // A record moved to another entry's name.
    put(&cache, &b, &other);
    std::fs::copy(cache.record(&b), cache.record(&a)).unwrap();
    assert!(corrupt(cache.lookup(&a)).contains("another entry"));
}

#[test]
fn usage_clean_and_eviction_go_by_last_use() {
    let (_dir, cache, engine, artifact) = setup();
    let keys: Vec<Key> = (0u8..3)
        .map(|i| cache.key(&engine, &Digest::of(&[i])))
        .collect();
    let hour = Duration::from_secs(3600);
    for (age, key) in keys.iter().enumerate() {
        put(&cache, key, &artifact);
        let used = SystemTime::now() - hour * (age as u32 * 2);
        let record = std::fs::File::options().write(true).open(cache.record(key));
        record.unwrap().set_modified(used).unwrap();
    }
    let usage = cache.usage().unwrap();
    assert_eq!(usage.entries.len(), 3);
    assert_eq!(usage.entries[0].key, keys[0].0, "most recently used first");
    let entry_bytes = usage.entries[0].bytes;
    assert_eq!(usage.total_bytes, 3 * entry_bytes);

    // A cap that fits two entries: the least recently used one goes, and the cache ends under 90% of the cap.
    let cleaned = cache
        .evict(2 * entry_bytes + entry_bytes / 2, None)
        .unwrap();
    assert_eq!(cleaned.entries, 1);
    let left = keys_in(&cache);
    assert_eq!(left, [keys[0].0.clone(), keys[1].0.clone()]);

    // A cap below one entry keeps the entry named, and only that.
    let cleaned = cache.evict(1, Some(&keys[1])).unwrap();
    assert_eq!(cleaned.entries, 1);
    let left = keys_in(&cache);
    assert_eq!(left, [keys[1].0.clone()]);
    put(&cache, &keys[0], &artifact);

    // Older than an hour: keys[1], used two hours ago.
    let cleaned = cache.clean(Some(hour)).unwrap();
    assert_eq!(cleaned.entries, 1);
    let cleaned = cache.clean(None).unwrap();
    assert_eq!(cleaned.entries, 1);
    assert_eq!(cache.usage().unwrap().total_bytes, 0);
}

/// Regression (a user's probe): `weld cache clean` removed the lock of a running fill, so the next run started a
/// second fill of the same entry.
#[test]
fn clean_keeps_the_lock_of_a_compile_still_running_and_removes_free_ones() {
    let (_dir, cache, engine, _) = setup();
    let running = cache.key(&engine, &Digest::of(b"running"));
    let ended = cache.key(&engine, &Digest::of(b"ended"));
    let held = cache.lock(&running).unwrap().expect("free");
    drop(cache.lock(&ended).unwrap().expect("free"));
    let cleaned = cache.clean(None).unwrap();
    assert_eq!(cleaned.other, 1, "{cleaned:?}");
    assert!(cache.locked(&running));
    assert!(!cache.dir.join("locks").join(&ended.0).exists());
    drop(held);
    cache.clean(None).unwrap();
    assert!(!cache.dir.join("locks").exists());
}

/// Regression (a user's probe): with a file or a FIFO where the folder `functions/` belongs, `weld cache` and
/// `weld cache clean` failed with "Not a directory", and a run said it could not cache what it had cached.
#[test]
#[cfg(unix)]
fn anything_planted_where_a_folder_belongs_is_listed_and_removed_as_a_file() {
    let (dir, cache, engine, artifact) = setup();
    let key = cache.key(&engine, &Digest::of(b"c"));
    put(&cache, &key, &artifact);
    std::fs::write(cache.dir.join("functions"), b"planted").unwrap();
    // A link to a folder elsewhere is removed, not followed: what it points to stays.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("ab")).unwrap();
    std::fs::write(elsewhere.join("ab/cdef"), b"not the cache's").unwrap();
    std::os::unix::fs::symlink(&elsewhere, cache.dir.join("index")).unwrap();
    let usage = cache.usage().unwrap();
    assert_eq!((usage.entries.len(), usage.functions.0), (1, 0));
    assert_eq!(usage.other.0, 2, "{usage:?}");
    assert_eq!(cache.evict(u64::MAX, None).unwrap().bytes, 0);
    let cleaned = cache.clean(None).unwrap();
    assert_eq!(
        (cleaned.entries, cleaned.functions, cleaned.other),
        (1, 0, 2)
    );
    assert!(elsewhere.join("ab/cdef").exists());
    assert_eq!(std::fs::read_dir(&cache.dir).unwrap().count(), 0);
}
