//! What a cache holds, cleaning it, and least-recently-used eviction under its size cap.

use super::{CodeCache, Key, Record};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// One compiled component in the cache.
#[derive(Clone, Debug)]
pub struct EntryInfo {
    /// Its key (the artifact's file name without `.cwasm`).
    pub key: String,
    /// Bytes on disk: the artifact and its record.
    pub bytes: u64,
    /// The component file it was compiled from, when its record says.
    pub source: Option<PathBuf>,
    /// How long the compile took, in milliseconds, when its record says.
    pub compile_ms: Option<u64>,
    /// The compiler that made the code: `Cranelift` (the optimised tier; also every record that does not say)
    /// or `Winch` (the baseline tier, kept until the optimised code replaces it).
    pub compiler: String,
    /// When it was written.
    pub created: SystemTime,
    /// When a run last used it (to a minute).
    pub last_used: SystemTime,
}

/// What a cache holds.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// The compiled components, most recently used first.
    pub entries: Vec<EntryInfo>,
    /// Shared functions (the incremental compilation cache): how many, and their bytes.
    pub functions: (u64, u64),
    /// Everything else (the input index, leftovers of older formats): files and bytes.
    pub other: (u64, u64),
    /// Bytes in all.
    pub total_bytes: u64,
}

/// What a clean or an eviction removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Compiled components removed.
    pub entries: u64,
    /// Shared functions removed.
    pub functions: u64,
    /// Other files removed.
    pub other: u64,
    /// Bytes freed.
    pub bytes: u64,
}

/// What one removable unit is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Entry,
    Function,
    Other,
}

/// A removable unit: an entry (artifact and record together), one shared function, or one other file.
struct Item {
    kind: Kind,
    paths: Vec<PathBuf>,
    bytes: u64,
    created: SystemTime,
    last_used: SystemTime,
    record: Option<Record>,
}

impl CodeCache {
    /// What the cache holds. A missing directory is an empty cache.
    pub fn usage(&self) -> std::io::Result<Usage> {
        let mut usage = Usage::default();
        for item in self.items()? {
            usage.total_bytes += item.bytes;
            match item.kind {
                Kind::Entry => usage.entries.push(EntryInfo {
                    key: file_stem(&item.paths[0]),
                    bytes: item.bytes,
                    source: item.record.as_ref().map(|r| r.source.clone()),
                    compile_ms: item.record.as_ref().map(|r| r.compile_ms),
                    compiler: item
                        .record
                        .as_ref()
                        .and_then(|r| r.compiler.clone())
                        .unwrap_or_else(|| "Cranelift".to_owned()),
                    created: item.created,
                    last_used: item.last_used,
                }),
                Kind::Function => {
                    usage.functions.0 += 1;
                    usage.functions.1 += item.bytes;
                }
                Kind::Other => {
                    usage.other.0 += 1;
                    usage.other.1 += item.bytes;
                }
            }
        }
        usage
            .entries
            .sort_by_key(|e| std::cmp::Reverse(e.last_used));
        Ok(usage)
    }

    /// Removes everything last used more than `older_than` ago, or, when `None`, everything in the cache's
    /// directory (unknown files too) but the locks of compiles still running, so that a running `weld cache
    /// fill` keeps its entry to itself. A run that has an entry mapped keeps its pages (the file is unlinked, not
    /// truncated).
    pub fn clean(&self, older_than: Option<Duration>) -> std::io::Result<Cleaned> {
        let cutoff = older_than.map(|age| SystemTime::now() - age);
        let mut cleaned = Cleaned::default();
        for item in self.items()? {
            if cutoff.is_none_or(|cutoff| item.last_used < cutoff) {
                remove(&item, &mut cleaned)?;
            }
        }
        if cutoff.is_none() {
            let locks = self.dir.join("locks");
            for dir in dirs(&self.dir)? {
                if dir == locks {
                    remove_free_locks(&locks, &mut cleaned)?;
                } else {
                    std::fs::remove_dir_all(dir)?;
                }
            }
        }
        Ok(cleaned)
    }

    /// When the cache holds more than `cap` bytes, removes what was used least recently until it holds at most
    /// 90% of `cap`, so that eviction does not run again on the next store. The entry `keep` (the one just
    /// stored) stays, even when it alone is over the cap.
    pub fn evict(&self, cap: u64, keep: Option<&Key>) -> std::io::Result<Cleaned> {
        let mut items = self.items()?;
        let mut total: u64 = items.iter().map(|i| i.bytes).sum();
        let mut cleaned = Cleaned::default();
        if total <= cap {
            return Ok(cleaned);
        }
        items.sort_by_key(|i| i.last_used);
        let goal = cap / 10 * 9;
        let kept = keep.map(|key| self.artifact(key));
        for item in items {
            if total <= goal {
                break;
            }
            if kept.as_ref() == item.paths.first() {
                continue;
            }
            total -= item.bytes;
            remove(&item, &mut cleaned)?;
        }
        Ok(cleaned)
    }

    /// Everything in the cache, as removable units.
    fn items(&self) -> std::io::Result<Vec<Item>> {
        let mut items = Vec::new();
        for (path, meta) in files(&self.dir)? {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.ends_with(".json") && path.with_extension("cwasm").exists() {
                continue; // counted with its artifact
            }
            let mut item = Item::file(Kind::Other, path.clone(), &meta);
            let record_path = path.with_extension("json");
            if name.ends_with(".cwasm") && record_path.exists() {
                item.kind = Kind::Entry;
                if let Ok(record_meta) = std::fs::metadata(&record_path) {
                    item.bytes += record_meta.len();
                    item.last_used = record_meta.modified().unwrap_or(item.created);
                }
                item.record = super::open::read(&record_path)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice(&bytes).ok());
                item.paths.push(record_path);
            }
            items.push(item);
        }
        // Folders inside the cache are only read when they are folders: a file, a FIFO or a link planted where one
        // belongs is an unknown file of the cache's own folder (listed above), removed as such.
        if let Some(functions) = own_dir(self.dir.join("functions")) {
            for shard in dirs(&functions)? {
                for (path, meta) in files(&shard)? {
                    items.push(Item::file(Kind::Function, path, &meta));
                }
            }
        }
        if let Some(index) = own_dir(self.dir.join("index")) {
            for (path, meta) in files(&index)? {
                items.push(Item::file(Kind::Other, path, &meta));
            }
        }
        Ok(items)
    }
}

impl Item {
    /// A unit of one file, last used when it was last modified.
    fn file(kind: Kind, path: PathBuf, meta: &std::fs::Metadata) -> Item {
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        Item {
            kind,
            paths: vec![path],
            bytes: meta.len(),
            created: modified,
            last_used: modified,
            record: None,
        }
    }
}

/// Removes an item's files (already gone is fine) and counts it.
fn remove(item: &Item, cleaned: &mut Cleaned) -> std::io::Result<()> {
    for path in &item.paths {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    match item.kind {
        Kind::Entry => cleaned.entries += 1,
        Kind::Function => cleaned.functions += 1,
        Kind::Other => cleaned.other += 1,
    }
    cleaned.bytes += item.bytes;
    Ok(())
}

/// Removes the compile locks in `locks` that no process holds (a lock held is a `weld cache fill` running), and
/// the folder when none is left.
fn remove_free_locks(locks: &Path, cleaned: &mut Cleaned) -> std::io::Result<()> {
    for (path, meta) in files(locks)? {
        // Held while the file is removed, so no compile takes it in between: one that opened it before finds it
        // held (and leaves the compile to a later run) or, once it is gone, opens a new one (`CodeCache::lock`).
        let taken = match super::open::regular(&path, true, false) {
            Ok(file) => file.try_lock().is_ok().then_some(Some(file)),
            Err(_) => Some(None), // not a lock weld made
        };
        if let Some(_held) = taken {
            remove(&Item::file(Kind::Other, path, &meta), cleaned)?;
        }
    }
    let _ = std::fs::remove_dir(locks); // fails while a lock is left
    Ok(())
}

/// `dir` when it is a directory itself, not a link to one nor anything else.
fn own_dir(dir: PathBuf) -> Option<PathBuf> {
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    meta.is_dir().then_some(dir)
}

/// Everything but directories directly in `dir` (regular files, and whatever else was planted there: FIFOs,
/// sockets, links), with their metadata; none when it does not exist.
fn files(dir: &Path) -> std::io::Result<Vec<(PathBuf, std::fs::Metadata)>> {
    entries(dir, |meta| !meta.is_dir())
}

/// The directories directly in `dir`; none when it does not exist.
fn dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(entries(dir, |meta| meta.is_dir())?
        .into_iter()
        .map(|(path, _)| path)
        .collect())
}

/// The entries of `dir` whose metadata passes `keep`.
fn entries(
    dir: &Path,
    keep: impl Fn(&std::fs::Metadata) -> bool,
) -> std::io::Result<Vec<(PathBuf, std::fs::Metadata)>> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in read {
        let entry = entry?;
        let Ok(meta) = entry.metadata() else {
            continue; // removed meanwhile
        };
        if keep(&meta) {
            out.push((entry.path(), meta));
        }
    }
    Ok(out)
}

/// A path's file name without its extension.
fn file_stem(path: &Path) -> String {
    path.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}
