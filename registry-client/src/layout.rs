//! OCI image layouts (image-spec `image-layout.md`): a directory holding `oci-layout`, `index.json` and
//! `blobs/sha256/<hex>`, named `oci:DIR[:TAG]` as skopeo names it. weld writes the same Wasm artifact there as it
//! pushes to a registry, reads it back with every digest checked, and keeps cosign signatures in it under their
//! `sha256-<hex>.sig` tags, so a layout can be signed, verified and copied to a registry with skopeo, offline.
//!
//! A tag is the `org.opencontainers.image.ref.name` annotation of an `index.json` entry, as skopeo and oras write
//! it. Writes are atomic file by file (a temporary file, then a rename); two writers updating one layout at the
//! same moment may lose one's tag.

use crate::artifact::{MANIFEST_MEDIA_TYPE, wasm_layer};
use crate::digest::{self, Hasher};
use crate::error::RegistryError;
use crate::push::{Built, PushOptions, Pushed, build};
use crate::session::Registry;
use crate::signing::{PrivateKey, PublicKey};
use crate::store::Store;
use crate::{Signed, Verification};
use oci_client::manifest::OciDescriptor;
use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The annotation of an `index.json` entry that names its tag.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// What `oci-layout` holds.
const LAYOUT_FILE: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;
/// Media type of `index.json`.
const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// `oci:DIR[:TAG]` or `oci:DIR@sha256:<hex>`: an artifact in an OCI image layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayoutReference {
    /// The layout's directory.
    pub dir: PathBuf,
    /// The tag, if one was given.
    pub tag: Option<String>,
    /// The manifest digest, if one was given.
    pub digest: Option<String>,
}

/// Why a string is not a layout reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutReferenceError {
    /// No directory after `oci:`.
    #[error("`{0}` names no directory: write `oci:DIR[:TAG]`")]
    NoDirectory(String),
    /// The tag breaks the OCI grammar.
    #[error(
        "`{0}` is not a tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
    )]
    BadTag(String),
    /// The digest is not `sha256:` and 64 lowercase hex digits.
    #[error("`{0}` is not a digest: expected `sha256:` followed by 64 lowercase hex digits")]
    BadDigest(String),
    /// Both a tag and a digest, which could disagree.
    #[error("`{0}` gives a tag and a digest: give one (`oci:DIR:TAG` or `oci:DIR@sha256:...`)")]
    TagAndDigest(String),
}

impl LayoutReference {
    /// The prefix of a layout reference.
    pub const SCHEME: &'static str = "oci:";

    /// True if `s` names a layout: it starts with `oci:` but not `oci://` (a registry).
    pub fn is_layout(s: &str) -> bool {
        s.starts_with(Self::SCHEME) && !s.starts_with(crate::Reference::SCHEME)
    }

    /// The tag a push writes: the one given, or `latest`.
    pub fn tag(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }
}

impl FromStr for LayoutReference {
    type Err = LayoutReferenceError;

    fn from_str(s: &str) -> Result<LayoutReference, LayoutReferenceError> {
        let rest = s
            .strip_prefix(Self::SCHEME)
            .filter(|_| Self::is_layout(s))
            .ok_or_else(|| LayoutReferenceError::NoDirectory(s.to_owned()))?;
        let (rest, digest) = match rest.rsplit_once('@') {
            Some((rest, digest)) if digest.starts_with("sha256:") => {
                if digest::hex(digest).is_none() {
                    return Err(LayoutReferenceError::BadDigest(digest.to_owned()));
                }
                (rest, Some(digest.to_owned()))
            }
            _ => (rest, None),
        };
        // As skopeo reads it (containers/image's `oci` transport): the first `:` ends the directory, which
        // therefore holds none.
        let (dir, tag) = match rest.split_once(':') {
            Some((dir, tag)) => (dir, Some(tag)),
            None => (rest, None),
        };
        if dir.is_empty() {
            return Err(LayoutReferenceError::NoDirectory(s.to_owned()));
        }
        if tag.is_some() && digest.is_some() {
            return Err(LayoutReferenceError::TagAndDigest(s.to_owned()));
        }
        if let Some(tag) = tag.filter(|t| !crate::reference::valid_tag(t)) {
            return Err(LayoutReferenceError::BadTag(tag.to_owned()));
        }
        Ok(LayoutReference {
            dir: PathBuf::from(dir),
            tag: tag.map(str::to_owned),
            digest,
        })
    }
}

impl fmt::Display for LayoutReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::SCHEME, self.dir.display())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// A component read from a layout, verified and copied into the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FromLayout {
    /// The reference read.
    pub reference: LayoutReference,
    /// The manifest digest it resolved to.
    pub manifest_digest: String,
    /// The component's digest.
    pub layer_digest: String,
    /// The component's size in bytes.
    pub size: u64,
    /// The verified component, in the cache. Read it; do not change it.
    pub path: PathBuf,
    /// Under a signature policy, the id of the trusted key that verified it.
    pub signed_by: Option<String>,
    /// The media type of the artifact's config (see [`Pulled::config_media_type`](crate::Pulled)).
    pub config_media_type: String,
}

/// True for the tags cosign attaches to an artifact (`sha256-<hex>.sig`, `.att`, `.sbom`): not artifacts to read.
fn is_attached(tag: &str) -> bool {
    tag.starts_with("sha256-") && [".sig", ".att", ".sbom"].iter().any(|s| tag.ends_with(s))
}

/// The largest manifest weld reads from a layout, as registries cap them: 4 MiB.
const MAX_MANIFEST: u64 = 4 << 20;

/// An OCI image layout on disk.
pub(crate) struct Layout {
    dir: PathBuf,
}

impl Layout {
    fn new(dir: &Path) -> Layout {
        Layout {
            dir: dir.to_path_buf(),
        }
    }

    fn blob_path(&self, digest: &str) -> Result<PathBuf, RegistryError> {
        let hex = digest::hex(digest)
            .ok_or_else(|| self.bad(format!("`{digest}` is not a sha256 digest")))?;
        Ok(self.dir.join("blobs/sha256").join(hex))
    }

    fn bad(&self, message: String) -> RegistryError {
        RegistryError::Layout {
            dir: self.dir.clone(),
            message,
        }
    }

    /// `index.json`, or an empty index when `create` and there is no layout yet. An existing layout must say it
    /// is one, in `oci-layout`, with version 1.x.
    fn index(&self, create: bool) -> Result<serde_json::Value, RegistryError> {
        let marker = self.dir.join("oci-layout");
        match std::fs::read(&marker) {
            Ok(bytes) => {
                let version = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v["imageLayoutVersion"].as_str().map(str::to_owned));
                if !version.as_deref().is_some_and(|v| v.starts_with("1.")) {
                    return Err(self.bad(format!(
                        "its oci-layout names layout version {}; weld reads 1.x",
                        version.as_deref().unwrap_or("none")
                    )));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RegistryError::NotALayout {
                    dir: self.dir.clone(),
                    missing: "oci-layout file",
                });
            }
            Err(e) => return Err(RegistryError::file(&marker, e)),
        }
        let path = self.dir.join("index.json");
        match std::fs::read(&path) {
            Ok(bytes) => {
                let index: serde_json::Value = serde_json::from_slice(&bytes)
                    .map_err(|e| self.bad(format!("index.json is not JSON ({e})")))?;
                if !index["manifests"].is_array() {
                    return Err(self.bad("index.json has no `manifests` list".to_owned()));
                }
                Ok(index)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => Ok(serde_json::json!({
                "schemaVersion": 2,
                "mediaType": INDEX_MEDIA_TYPE,
                "manifests": [],
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(RegistryError::NotALayout {
                dir: self.dir.clone(),
                missing: "index.json",
            }),
            Err(e) => Err(RegistryError::file(&path, e)),
        }
    }

    /// Writes `bytes` to `path` atomically.
    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
        crate::atomic::write(path, bytes)
    }

    /// The descriptor of the manifest `tag` or `digest` names; with neither, the layout's only artifact.
    fn find(&self, reference: &LayoutReference) -> Result<Option<OciDescriptor>, RegistryError> {
        let index = self.index(false)?;
        let entries: Vec<OciDescriptor> = serde_json::from_value(index["manifests"].clone())
            .map_err(|e| self.bad(format!("index.json lists a malformed manifest ({e})")))?;
        let tag_of = |d: &OciDescriptor| {
            d.annotations
                .as_ref()
                .and_then(|a| a.get(REF_NAME))
                .cloned()
        };
        if let Some(digest) = &reference.digest {
            return Ok(entries.into_iter().find(|d| d.digest == *digest));
        }
        match &reference.tag {
            Some(tag) => Ok(entries
                .into_iter()
                .find(|d| tag_of(d).as_deref() == Some(tag))),
            None => {
                let artifacts: Vec<OciDescriptor> = entries
                    .into_iter()
                    .filter(|d| !tag_of(d).is_some_and(|t| is_attached(&t)))
                    .collect();
                match artifacts.len() {
                    1 => Ok(artifacts.into_iter().next()),
                    0 => Ok(None),
                    _ => {
                        let tags: Vec<String> = artifacts.iter().filter_map(tag_of).collect();
                        Err(self.bad(format!(
                            "it holds {} artifacts ({}): name one, `{reference}:TAG`",
                            artifacts.len(),
                            tags.join(", ")
                        )))
                    }
                }
            }
        }
    }

    /// A manifest's bytes (at most [`MAX_MANIFEST`]), checked against its digest.
    fn read_blob(&self, digest: &str) -> Result<Vec<u8>, RegistryError> {
        let path = self.blob_path(digest)?;
        let bytes = self.read_at_most(&path, MAX_MANIFEST)?;
        let actual = digest::of(&bytes);
        if actual != digest {
            return Err(RegistryError::DigestMismatch {
                reference: format!("{}{}", LayoutReference::SCHEME, self.dir.display()),
                what: "blob",
                expected: digest.to_owned(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// The file at `path`, refused if it has more than `max` bytes.
    fn read_at_most(&self, path: &Path, max: u64) -> Result<Vec<u8>, RegistryError> {
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
            .map_err(|e| RegistryError::file(path, e))?;
        if bytes.len() as u64 > max {
            return Err(self.bad(format!(
                "{} has more than the {max} bytes expected of it",
                path.display()
            )));
        }
        Ok(bytes)
    }

    /// True if the blob file `path` is there and its content hashes to `digest` (a damaged blob is rewritten).
    fn holds(&self, path: &Path, digest: &str) -> bool {
        let Ok(mut file) = std::fs::File::open(path) else {
            return false;
        };
        let mut hasher = Hasher::default();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            match file.read(&mut buffer) {
                Ok(0) => return hasher.finish() == digest,
                Ok(n) => hasher.update(&buffer[..n]),
                Err(_) => return false,
            }
        }
    }

    /// The manifest `reference` names and its digest.
    fn resolve(&self, reference: &LayoutReference) -> Result<(Vec<u8>, String), RegistryError> {
        let digest = match self.find(reference)? {
            Some(descriptor) => descriptor.digest,
            None => match &reference.digest {
                Some(digest) if self.blob_path(digest)?.is_file() => digest.clone(),
                _ => {
                    return Err(RegistryError::NotInLayout {
                        reference: reference.to_string(),
                    });
                }
            },
        };
        Ok((self.read_blob(&digest)?, digest))
    }

    /// Adds or replaces the index entry tagged `tag`.
    fn tag(&self, manifest: &[u8], digest: &str, tag: &str) -> Result<(), RegistryError> {
        let mut index = self.index(true)?;
        let entries = index["manifests"]
            .as_array_mut()
            .expect("checked in index()");
        entries.retain(|e| e["annotations"][REF_NAME].as_str() != Some(tag));
        entries.push(serde_json::json!({
            "mediaType": MANIFEST_MEDIA_TYPE,
            "digest": digest,
            "size": manifest.len(),
            "annotations": {REF_NAME: tag},
        }));
        let marker = self.dir.join("oci-layout");
        if !marker.is_file() {
            self.write(&marker, LAYOUT_FILE.as_bytes())?;
        }
        let text = serde_json::to_vec(&index).expect("the index serialises");
        self.write(&self.dir.join("index.json"), &text)
    }

    /// Writes `bytes` as the blob `digest`, unless an intact copy is there.
    fn put(&self, bytes: &[u8], digest: &str) -> Result<(), RegistryError> {
        let path = self.blob_path(digest)?;
        if self.holds(&path, digest) {
            return Ok(());
        }
        self.write(&path, bytes)
    }
}

#[async_trait::async_trait]
impl Store for Layout {
    fn tagged(&self, tag: &str) -> String {
        format!("{}{}:{tag}", LayoutReference::SCHEME, self.dir.display())
    }

    /// The layout's directory name, not its path: a signature should not carry where it was made.
    fn repository(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "layout".to_owned())
    }

    async fn manifest_at(&self, tag: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        let reference = LayoutReference {
            dir: self.dir.clone(),
            tag: Some(tag.to_owned()),
            digest: None,
        };
        match self.find(&reference)? {
            Some(descriptor) => Ok(Some(self.read_blob(&descriptor.digest)?)),
            None => Ok(None),
        }
    }

    async fn blob(&self, descriptor: &OciDescriptor) -> Result<Vec<u8>, RegistryError> {
        let path = self.blob_path(&descriptor.digest)?;
        self.read_at_most(&path, descriptor.size.max(0) as u64)
    }

    async fn put_blob(&self, bytes: &[u8], digest: &str) -> Result<(), RegistryError> {
        self.put(bytes, digest)
    }

    async fn put_manifest(&self, bytes: &[u8], tag: &str) -> Result<(), RegistryError> {
        let digest = digest::of(bytes);
        self.put(bytes, &digest)?;
        self.tag(bytes, &digest, tag)
    }
}

impl Registry {
    /// Validates `bytes` (read from `path`) as a component and writes it to the OCI image layout `reference`
    /// names (created if need be) as the same Wasm artifact a push makes, tagged with its tag (`latest` if none).
    pub fn push_to_layout(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        reference: &LayoutReference,
        options: PushOptions,
    ) -> Result<Pushed, RegistryError> {
        let fallback = reference
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Built {
            layer,
            layer_digest,
            config,
            manifest,
            manifest_digest,
        } = build(
            path,
            bytes,
            &crate::artifact::layer_title(path, &fallback),
            options,
        )?;
        let layout = Layout::new(&reference.dir);
        let uploaded = !layout.holds(&layout.blob_path(&layer_digest)?, &layer_digest);
        layout.put(&layer, &layer_digest)?;
        layout.put(&config, &digest::of(&config))?;
        layout.put(&manifest, &manifest_digest)?;
        layout.tag(&manifest, &manifest_digest, reference.tag())?;
        Ok(Pushed {
            reference: LayoutReference {
                tag: Some(reference.tag().to_owned()),
                ..reference.clone()
            }
            .to_string(),
            manifest_digest,
            layer_digest,
            size: layer.len() as u64,
            uploaded,
        })
    }

    /// Reads the component `reference` names from its layout: the manifest must be a Wasm artifact, the layer
    /// no larger than the session's cap, every digest must match; under a signature policy, a signature in the
    /// layout must verify. The layer is copied into the cache while it is hashed, so what is returned is what was
    /// checked.
    pub fn pull_from_layout(
        &self,
        reference: &LayoutReference,
    ) -> Result<FromLayout, RegistryError> {
        let layout = Layout::new(&reference.dir);
        let (manifest, manifest_digest) = layout.resolve(reference)?;
        let (layer, config_media_type) = wasm_layer(&reference.to_string(), &manifest)?;
        if layer.size < 0 || layer.size as u64 > self.max_size {
            return Err(RegistryError::TooLarge {
                reference: reference.to_string(),
                size: layer.size.max(0) as u64,
                max: self.max_size,
            });
        }
        let signed_by = if self.trusted.is_empty() {
            None
        } else {
            Some(self.block_on(crate::verify::enforce_in(
                &layout,
                &reference.to_string(),
                &manifest_digest,
                &self.trusted,
            ))?)
        };
        let path = match self.cache.blob(&layer.digest) {
            Some(path) => path,
            None => self.copy_in(&layout, reference, &layer)?,
        };
        Ok(FromLayout {
            reference: reference.clone(),
            manifest_digest,
            layer_digest: layer.digest.clone(),
            size: layer.size as u64,
            path,
            signed_by,
            config_media_type,
        })
    }

    /// Copies the layer `layer` of `layout` into the cache, hashing it on the way; nothing is kept if its digest
    /// or size is not the manifest's.
    fn copy_in(
        &self,
        layout: &Layout,
        reference: &LayoutReference,
        layer: &OciDescriptor,
    ) -> Result<PathBuf, RegistryError> {
        let source = layout.blob_path(&layer.digest)?;
        let mut input =
            std::fs::File::open(&source).map_err(|e| RegistryError::file(&source, e))?;
        let mut file = self.cache.temp_file()?;
        let mut hasher = Hasher::default();
        let mut size = 0u64;
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = input
                .read(&mut buffer)
                .map_err(|e| RegistryError::file(&source, e))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > layer.size as u64 {
                return Err(layout.bad(format!(
                    "{reference}: the layer {} is longer than the {} bytes its manifest says",
                    layer.digest, layer.size
                )));
            }
            hasher.update(&buffer[..n]);
            file.write_all(&buffer[..n])
                .map_err(|e| RegistryError::file(file.path(), e))?;
        }
        let actual = hasher.finish();
        if size != layer.size as u64 {
            return Err(layout.bad(format!(
                "{reference}: the layer {} has {size} bytes, its manifest says {}",
                layer.digest, layer.size
            )));
        }
        if actual != layer.digest {
            return Err(RegistryError::DigestMismatch {
                reference: reference.to_string(),
                what: "layer",
                expected: layer.digest.clone(),
                actual,
            });
        }
        self.cache.store_file(file, &layer.digest)
    }

    /// Signs the component `reference` names in its layout with `key`, storing the signature in the layout under
    /// `sha256-<hex>.sig`, as cosign stores it in a registry.
    pub fn sign_in_layout(
        &self,
        reference: &LayoutReference,
        key: &PrivateKey,
    ) -> Result<Signed, RegistryError> {
        let layout = Layout::new(&reference.dir);
        let (manifest, manifest_digest) = layout.resolve(reference)?;
        wasm_layer(&reference.to_string(), &manifest)?;
        self.block_on(crate::sign::sign_in(&layout, &manifest_digest, key))
    }

    /// Checks the signatures the layout holds for the component `reference` names against `keys`.
    pub fn verify_in_layout(
        &self,
        reference: &LayoutReference,
        keys: &[PublicKey],
    ) -> Result<Verification, RegistryError> {
        let layout = Layout::new(&reference.dir);
        let (_, manifest_digest) = layout.resolve(reference)?;
        self.block_on(crate::verify::signatures(
            &layout,
            &reference.to_string(),
            &manifest_digest,
            keys,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_references_read_as_skopeo_reads_them() {
        let r: LayoutReference = "oci:out/app:1.0".parse().unwrap();
        assert_eq!(
            (r.dir, r.tag.as_deref(), r.digest),
            (PathBuf::from("out/app"), Some("1.0"), None)
        );
        let r: LayoutReference = "oci:./dir".parse().unwrap();
        assert_eq!((r.dir.to_str().unwrap(), r.tag), ("./dir", None));
        let digest = format!("sha256:{}", "a".repeat(64));
        let r: LayoutReference = format!("oci:dir@{digest}").parse().unwrap();
        assert_eq!(r.digest.as_deref(), Some(digest.as_str()));
        assert_eq!(r.to_string(), format!("oci:dir@{digest}"));
        assert!(matches!(
            "oci:".parse::<LayoutReference>(),
            Err(LayoutReferenceError::NoDirectory(_))
        ));
        assert!(matches!(
            "oci:dir:-x".parse::<LayoutReference>(),
            Err(LayoutReferenceError::BadTag(_))
        ));
        assert!(matches!(
            "oci:dir@sha256:zz".parse::<LayoutReference>(),
            Err(LayoutReferenceError::BadDigest(_))
        ));
        assert!(
            !LayoutReference::is_layout("oci://host/repo") && LayoutReference::is_layout("oci:dir")
        );
    }
}
