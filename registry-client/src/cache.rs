//! The local content cache: verified blobs by digest, and the digest each tag last resolved to.
//!
//! ```text
//! ROOT/blobs/sha256/<hex>             a manifest or a layer, written only once its digest was checked
//! ROOT/tags/<registry>/<repo>/<tag>   the manifest digest the tag resolved to, and when
//! ROOT/tmp/                           downloads in progress (renamed into blobs/ when verified)
//! ```
//!
//! Every read re-checks the digest, so a damaged entry is noticed, removed and fetched again rather than used.

use crate::digest;
use crate::error::RegistryError;
use crate::reference::Reference;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The content cache under one directory.
#[derive(Debug, Clone)]
pub struct ContentCache {
    root: PathBuf,
}

/// What a tag resolved to when it was last looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TagEntry {
    pub(crate) digest: String,
    pub(crate) resolved: SystemTime,
}

impl ContentCache {
    /// A cache in `root` (created when first written).
    pub fn new(root: impl Into<PathBuf>) -> ContentCache {
        ContentCache { root: root.into() }
    }

    /// The directory of the cache.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, digest: &str) -> Option<PathBuf> {
        digest::hex(digest).map(|hex| self.root.join("blobs/sha256").join(hex))
    }

    /// The path of the blob `digest`, if it is cached and still has that digest. A damaged entry is removed.
    pub(crate) fn blob(&self, digest: &str) -> Option<PathBuf> {
        let path = self.blob_path(digest)?;
        let mut file = std::fs::File::open(&path).ok()?;
        let mut hasher = digest::Hasher::default();
        let mut buf = vec![0; 1 << 20];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buf[..n]),
                Err(_) => return None,
            }
        }
        if hasher.finish() == digest {
            Some(path)
        } else {
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    /// The bytes of the blob `digest`, if cached and intact.
    pub(crate) fn read_blob(&self, digest: &str) -> Option<Vec<u8>> {
        let path = self.blob_path(digest)?;
        let bytes = std::fs::read(&path).ok()?;
        if digest::of(&bytes) == digest {
            Some(bytes)
        } else {
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    /// A new temporary file for a download, on the same file system as the blobs.
    pub(crate) fn temp_file(&self) -> Result<tempfile::NamedTempFile, RegistryError> {
        let dir = self.root.join("tmp");
        std::fs::create_dir_all(&dir).map_err(|e| RegistryError::file(&dir, e))?;
        tempfile::NamedTempFile::new_in(&dir).map_err(|e| RegistryError::file(&dir, e))
    }

    /// Moves a downloaded file whose content was verified to have `digest` into the cache. Concurrent stores of
    /// the same digest are harmless: each rename puts identical bytes in place.
    pub(crate) fn store_file(
        &self,
        file: tempfile::NamedTempFile,
        digest: &str,
    ) -> Result<PathBuf, RegistryError> {
        let path = self.ensure_blob_dir(digest)?;
        file.persist(&path)
            .map_err(|e| RegistryError::file(&path, e.error))?;
        Ok(path)
    }

    /// Stores `bytes`, whose digest is `digest`.
    pub(crate) fn store_bytes(&self, bytes: &[u8], digest: &str) -> Result<PathBuf, RegistryError> {
        let path = self.ensure_blob_dir(digest)?;
        crate::atomic::write(&path, bytes)?;
        Ok(path)
    }

    fn ensure_blob_dir(&self, digest: &str) -> Result<PathBuf, RegistryError> {
        let path = self.blob_path(digest).ok_or_else(|| {
            RegistryError::file(&self.root, format!("`{digest}` is not a sha256 digest"))
        })?;
        let dir = path.parent().expect("blob paths have a parent");
        std::fs::create_dir_all(dir).map_err(|e| RegistryError::file(dir, e))?;
        Ok(path)
    }

    fn tag_path(&self, reference: &Reference) -> PathBuf {
        // `:` of a port is kept out of file names, for file systems that refuse it.
        self.root
            .join("tags")
            .join(reference.registry.replace(':', "_"))
            .join(&reference.repository)
            .join(reference.tag())
    }

    /// What the tag of `reference` last resolved to.
    pub(crate) fn tag(&self, reference: &Reference) -> Option<TagEntry> {
        let path = self.tag_path(reference);
        let digest = std::fs::read_to_string(&path).ok()?;
        let digest = digest.trim();
        digest::hex(digest)?;
        let resolved = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
        Some(TagEntry {
            digest: digest.to_owned(),
            resolved,
        })
    }

    /// Records that the tag of `reference` resolved to `digest`.
    pub(crate) fn set_tag(&self, reference: &Reference, digest: &str) -> Result<(), RegistryError> {
        crate::atomic::write(&self.tag_path(reference), format!("{digest}\n").as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_checked_on_every_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ContentCache::new(dir.path());
        let digest = digest::of(b"component");
        assert!(cache.blob(&digest).is_none());
        let path = cache.store_bytes(b"component", &digest).unwrap();
        assert_eq!(cache.blob(&digest), Some(path.clone()));
        assert_eq!(cache.read_blob(&digest).unwrap(), b"component");
        std::fs::write(&path, b"tampered!").unwrap();
        assert!(cache.blob(&digest).is_none());
        assert!(!path.exists(), "a damaged entry is removed");
        assert!(cache.store_bytes(b"x", "sha256:../../x").is_err());
    }

    #[test]
    fn tags_remember_their_last_digest() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ContentCache::new(dir.path());
        let r: Reference = "localhost:5000/demo/hello:1.0".parse().unwrap();
        assert!(cache.tag(&r).is_none());
        let digest = digest::of(b"manifest");
        cache.set_tag(&r, &digest).unwrap();
        assert_eq!(cache.tag(&r).unwrap().digest, digest);
        let latest: Reference = "localhost:5000/demo/hello".parse().unwrap();
        assert!(cache.tag(&latest).is_none());
    }
}
