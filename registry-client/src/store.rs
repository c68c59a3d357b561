//! Where artifacts and their signatures are read and written: a repository in a registry ([`Remote`]) or an OCI
//! image layout on disk ([`crate::layout::Layout`]). Signing and verifying are written once, over this trait.

use crate::cache::ContentCache;
use crate::error::RegistryError;
use crate::reference::Reference;
use crate::reference::oci_reference;
use crate::retry::retried;
use crate::session::{Connection, Registry};
use oci_client::RegistryOperation;
use oci_client::manifest::OciDescriptor;
use std::sync::Arc;

/// A place holding manifests by tag and blobs by digest. Its reads and writes are async: a registry's go over the
/// network; a layout's and the cache's are small local files, read in place.
#[async_trait::async_trait]
pub(crate) trait Store: Sync {
    /// How messages name the manifest under `tag`: `host/repo:tag`, `oci:DIR:tag`.
    fn tagged(&self, tag: &str) -> String;
    /// The repository a signature payload names (`docker-reference`): `host/repo`, or the layout's directory.
    fn repository(&self) -> String;
    /// The manifest under `tag`, or `None` if there is none.
    async fn manifest_at(&self, tag: &str) -> Result<Option<Vec<u8>>, RegistryError>;
    /// The bytes of the blob `descriptor` names (not yet checked against its digest); an error, before more is
    /// read, if there are more than its size says.
    async fn blob(&self, descriptor: &OciDescriptor) -> Result<Vec<u8>, RegistryError>;
    /// Stores `bytes` as the blob `digest`, unless it is there.
    async fn put_blob(&self, bytes: &[u8], digest: &str) -> Result<(), RegistryError>;
    /// Stores `bytes` as an OCI image manifest and tags it `tag`.
    async fn put_manifest(&self, bytes: &[u8], tag: &str) -> Result<(), RegistryError>;
}

/// A repository of a registry, logged in for one kind of operation.
pub(crate) struct Remote<'a> {
    registry: &'a Registry,
    conn: Arc<Connection>,
    /// The repository (its tag and digest are not used).
    reference: Reference,
}

impl<'a> Remote<'a> {
    /// The repository of `reference`, logged in for `op`.
    pub(crate) async fn open(
        registry: &'a Registry,
        reference: &Reference,
        op: RegistryOperation,
    ) -> Result<Remote<'a>, RegistryError> {
        let conn = registry.connect(reference)?;
        let image = oci_reference(reference);
        retried(|| conn.login(reference, &image, op)).await?;
        Ok(Remote {
            registry,
            conn,
            reference: reference.clone(),
        })
    }

    pub(crate) fn at(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.reference.clone()
        }
    }

    /// The manifest `reference` resolves to, and its digest.
    pub(crate) async fn resolve(
        &self,
        reference: &Reference,
    ) -> Result<(Vec<u8>, String), RegistryError> {
        let image = oci_reference(reference);
        self.registry.manifest(&self.conn, reference, &image).await
    }
}

#[async_trait::async_trait]
impl Store for Remote<'_> {
    fn tagged(&self, tag: &str) -> String {
        self.at(tag).to_string()
    }

    fn repository(&self) -> String {
        format!("{}/{}", self.reference.registry, self.reference.repository)
    }

    async fn manifest_at(&self, tag: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        match self.resolve(&self.at(tag)).await {
            Ok((bytes, _)) => Ok(Some(bytes)),
            Err(RegistryError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn blob(&self, descriptor: &OciDescriptor) -> Result<Vec<u8>, RegistryError> {
        use futures_util::StreamExt as _;
        let image = oci_reference(&self.reference);
        let declared = descriptor.size.max(0) as usize;
        retried(|| async {
            let mut stream = self
                .conn
                .client
                .pull_blob_stream(&image, descriptor)
                .await
                .map_err(|e| self.conn.error(&self.reference, e))?;
            let mut bytes = Vec::with_capacity(declared.min(1 << 20));
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| RegistryError::BrokenTransfer {
                    registry: self.reference.registry.clone(),
                    digest: descriptor.digest.clone(),
                    source: e,
                })?;
                bytes.extend_from_slice(&chunk);
                if bytes.len() > declared {
                    return Err(RegistryError::Protocol {
                        registry: self.reference.registry.clone(),
                        message: format!(
                            "{}: blob {} is longer than the {declared} bytes its descriptor says",
                            self.reference, descriptor.digest
                        ),
                    });
                }
            }
            Ok(bytes)
        })
        .await
    }

    async fn put_blob(&self, bytes: &[u8], digest: &str) -> Result<(), RegistryError> {
        let image = oci_reference(&self.reference);
        let bytes = bytes::Bytes::copy_from_slice(bytes);
        retried(|| {
            self.registry
                .upload(&self.conn, &self.reference, &image, bytes.clone(), digest)
        })
        .await?;
        Ok(())
    }

    async fn put_manifest(&self, bytes: &[u8], tag: &str) -> Result<(), RegistryError> {
        let at = self.at(tag);
        let image = oci_reference(&at);
        let bytes = bytes::Bytes::copy_from_slice(bytes);
        retried(|| async {
            self.conn
                .client
                .push_manifest_raw(
                    &image,
                    bytes.clone(),
                    reqwest::header::HeaderValue::from_static(crate::artifact::MANIFEST_MEDIA_TYPE),
                )
                .await
                .map(drop)
                .map_err(|e| self.conn.error(&at, e))
        })
        .await
    }
}

/// A store read through, keeping what it reads in the content cache (manifests under their tags, blobs by
/// digest), so that the signatures a pull verified can be verified again when the registry is out of reach.
pub(crate) struct Recorded<'a> {
    /// Where the reads go.
    pub(crate) inner: &'a Remote<'a>,
    /// Where they are kept.
    pub(crate) cache: &'a ContentCache,
}

#[async_trait::async_trait]
impl Store for Recorded<'_> {
    fn tagged(&self, tag: &str) -> String {
        self.inner.tagged(tag)
    }

    fn repository(&self) -> String {
        self.inner.repository()
    }

    async fn manifest_at(&self, tag: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        let found = self.inner.manifest_at(tag).await?;
        if let Some(bytes) = &found {
            let digest = crate::digest::of(bytes);
            self.cache.store_bytes(bytes, &digest)?;
            self.cache.set_tag(&self.inner.at(tag), &digest)?;
        }
        Ok(found)
    }

    async fn blob(&self, descriptor: &OciDescriptor) -> Result<Vec<u8>, RegistryError> {
        let bytes = self.inner.blob(descriptor).await?;
        if crate::digest::of(&bytes) == descriptor.digest {
            self.cache.store_bytes(&bytes, &descriptor.digest)?;
        }
        Ok(bytes)
    }

    async fn put_blob(&self, bytes: &[u8], digest: &str) -> Result<(), RegistryError> {
        self.inner.put_blob(bytes, digest).await
    }

    async fn put_manifest(&self, bytes: &[u8], tag: &str) -> Result<(), RegistryError> {
        self.inner.put_manifest(bytes, tag).await
    }
}

/// What [`Recorded`] kept of a repository: read only, for checking signatures offline.
pub(crate) struct Cached<'a> {
    /// The content cache.
    pub(crate) cache: &'a ContentCache,
    /// The repository (its tag and digest are not used).
    pub(crate) reference: Reference,
}

impl Cached<'_> {
    fn at(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.reference.clone()
        }
    }

    fn read_only(&self) -> RegistryError {
        RegistryError::Protocol {
            registry: self.reference.registry.clone(),
            message: "the content cache is read here, not written".to_owned(),
        }
    }
}

#[async_trait::async_trait]
impl Store for Cached<'_> {
    fn tagged(&self, tag: &str) -> String {
        format!("{} (cached)", self.at(tag))
    }

    fn repository(&self) -> String {
        format!("{}/{}", self.reference.registry, self.reference.repository)
    }

    async fn manifest_at(&self, tag: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        Ok(self
            .cache
            .tag(&self.at(tag))
            .and_then(|entry| self.cache.read_blob(&entry.digest)))
    }

    async fn blob(&self, descriptor: &OciDescriptor) -> Result<Vec<u8>, RegistryError> {
        self.cache
            .read_blob(&descriptor.digest)
            .ok_or_else(|| RegistryError::NotFound {
                registry: self.reference.registry.clone(),
                reference: self.reference.to_string(),
                message: format!("{} is not in the content cache", descriptor.digest),
            })
    }

    async fn put_blob(&self, _: &[u8], _: &str) -> Result<(), RegistryError> {
        Err(self.read_only())
    }

    async fn put_manifest(&self, _: &[u8], _: &str) -> Result<(), RegistryError> {
        Err(self.read_only())
    }
}
