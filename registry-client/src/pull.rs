//! Pulling a component: resolve the reference to a manifest, check it is a Wasm artifact, stream its layer into
//! the cache while checking its digest. A digest reference already in the cache needs no network at all; a tag
//! whose registry cannot be reached falls back to the digest it last resolved to.

use crate::artifact::{ACCEPTED_MANIFESTS, wasm_layer};
use crate::digest::{self, Hasher};
use crate::error::RegistryError;
use crate::pulled::{PullOrigin, Pulled};
use crate::reference::Reference;
use crate::reference::oci_reference;
use crate::retry::retried;
use crate::session::{Connection, Registry};
use futures_util::StreamExt as _;
use oci_client::RegistryOperation;
use oci_client::errors::{DigestError, OciDistributionError};
use oci_client::manifest::OciDescriptor;
use std::io::Write as _;
use std::path::PathBuf;

impl Registry {
    /// Pulls the component `reference` names into the cache and returns where it is. A tag is resolved once
    /// per session.
    pub fn pull(&self, reference: &Reference) -> Result<Pulled, RegistryError> {
        self.block_on(self.pull_async(reference))
    }

    /// [`Registry::pull`], as a future to await on the caller's tokio runtime.
    pub async fn pull_async(&self, reference: &Reference) -> Result<Pulled, RegistryError> {
        let key = reference.to_string();
        if let Some(pulled) = self.resolved.lock().expect("not poisoned").get(&key) {
            return Ok(pulled.clone());
        }
        let pulled = match &reference.digest {
            Some(digest) => match self.cached(reference, digest)? {
                Some(pulled) => Pulled {
                    signed_by: self.enforce(reference, digest).await?,
                    ..pulled
                },
                None => self.fetch(reference).await?,
            },
            None => match self.fetch(reference).await {
                Ok(pulled) => pulled,
                Err(err) if err.is_unreachable() => self.offline(reference, err).await?,
                Err(err) => return Err(err),
            },
        };
        self.resolved
            .lock()
            .expect("not poisoned")
            .insert(key, pulled.clone());
        Ok(pulled)
    }

    /// The manifest digest `reference` resolves to now, asking the registry (no cache, no download): how a lock
    /// checks that a tag has not moved.
    pub fn resolve(&self, reference: &Reference) -> Result<String, RegistryError> {
        self.block_on(self.resolve_async(reference))
    }

    /// [`Registry::resolve`], as a future to await on the caller's tokio runtime.
    pub async fn resolve_async(&self, reference: &Reference) -> Result<String, RegistryError> {
        let remote = crate::store::Remote::open(self, reference, RegistryOperation::Pull).await?;
        Ok(remote.resolve(reference).await?.1)
    }

    /// The cached content of manifest `digest`, if the manifest and its layer are both cached and intact.
    fn cached(&self, reference: &Reference, digest: &str) -> Result<Option<Pulled>, RegistryError> {
        let Some(manifest) = self.cache.read_blob(digest) else {
            return Ok(None);
        };
        let (layer, config_media_type) = wasm_layer(&reference.to_string(), &manifest)?;
        Ok(self.cache.blob(&layer.digest).map(|path| Pulled {
            config_media_type,
            reference: reference.clone(),
            manifest_digest: digest.to_owned(),
            layer_digest: layer.digest.clone(),
            size: layer.size.max(0) as u64,
            path,
            origin: PullOrigin::Cache,
            signed_by: None,
        }))
    }

    /// A tag whose registry is unreachable: its last known digest, if that content is cached.
    /// Under a signature policy, the signatures kept in the cache when it was last pulled must verify.
    async fn offline(
        &self,
        reference: &Reference,
        err: RegistryError,
    ) -> Result<Pulled, RegistryError> {
        let Some(tag) = self.cache.tag(reference) else {
            return Err(err);
        };
        match self.cached(reference, &tag.digest)? {
            Some(pulled) => Ok(Pulled {
                signed_by: self.enforce(reference, &tag.digest).await?,
                origin: PullOrigin::Offline {
                    resolved: tag.resolved,
                    why: weld_wit::one_line(&err),
                },
                ..pulled
            }),
            None => Err(err),
        }
    }

    /// Resolves `reference` with the registry and downloads what the cache lacks.
    async fn fetch(&self, reference: &Reference) -> Result<Pulled, RegistryError> {
        let conn = self.connect(reference)?;
        let image = oci_reference(reference);
        retried(|| conn.login(reference, &image, RegistryOperation::Pull)).await?;
        let (manifest, manifest_digest) = self.manifest(&conn, reference, &image).await?;
        let (layer, config_media_type) = wasm_layer(&reference.to_string(), &manifest)?;
        if digest::hex(&layer.digest).is_none() || layer.size < 0 {
            return Err(RegistryError::NotWasm {
                reference: reference.to_string(),
                found: format!(
                    "its layer has digest `{}` and size {}; weld takes sha256 digests",
                    layer.digest, layer.size
                ),
            });
        }
        if layer.size as u64 > self.max_size {
            return Err(RegistryError::TooLarge {
                reference: reference.to_string(),
                size: layer.size as u64,
                max: self.max_size,
            });
        }
        let signed_by = self.enforce(reference, &manifest_digest).await?;
        let (path, downloaded) = match self.cache.blob(&layer.digest) {
            Some(path) => (path, false),
            None => (
                retried(|| self.download(&conn, reference, &image, &layer)).await?,
                true,
            ),
        };
        self.cache.store_bytes(&manifest, &manifest_digest)?;
        if reference.digest.is_none() {
            self.cache.set_tag(reference, &manifest_digest)?;
        }
        Ok(Pulled {
            reference: reference.clone(),
            manifest_digest,
            layer_digest: layer.digest.clone(),
            size: layer.size as u64,
            path,
            origin: PullOrigin::Registry { downloaded },
            signed_by,
            config_media_type,
        })
    }

    /// The manifest `image` resolves to, and its digest, checked against the digest `reference` pins if any.
    pub(crate) async fn manifest(
        &self,
        conn: &Connection,
        reference: &Reference,
        image: &oci_client::Reference,
    ) -> Result<(Vec<u8>, String), RegistryError> {
        let (manifest, _) = retried(|| async {
            conn.client
                .pull_manifest_raw(image, &conn.chosen.auth, ACCEPTED_MANIFESTS)
                .await
                .map_err(|e| match e {
                    // oci-client checks the manifest against the digest asked for or announced.
                    OciDistributionError::DigestError(DigestError::VerificationError {
                        expected,
                        actual,
                    }) => RegistryError::DigestMismatch {
                        reference: reference.to_string(),
                        what: "manifest",
                        expected,
                        actual,
                    },
                    e => conn.error(reference, e),
                })
        })
        .await?;
        let manifest_digest = digest::of(&manifest);
        if let Some(expected) = &reference.digest
            && *expected != manifest_digest
        {
            return Err(RegistryError::DigestMismatch {
                reference: reference.to_string(),
                what: "manifest",
                expected: expected.clone(),
                actual: manifest_digest,
            });
        }
        Ok((manifest.to_vec(), manifest_digest))
    }

    /// Streams the layer into a temporary file while hashing it; moves it into the cache only if the digest and
    /// size match the manifest.
    async fn download(
        &self,
        conn: &Connection,
        reference: &Reference,
        image: &oci_client::Reference,
        layer: &OciDescriptor,
    ) -> Result<PathBuf, RegistryError> {
        let mismatch = |actual: String| RegistryError::DigestMismatch {
            reference: reference.to_string(),
            what: "layer",
            expected: layer.digest.clone(),
            actual,
        };
        let expected_size = layer.size as u64;
        let mut stream = conn
            .client
            .pull_blob_stream(image, layer)
            .await
            .map_err(|e| conn.error(reference, e))?;
        let mut file = self.cache.temp_file()?;
        let transfer = self
            .progress
            .start(&format!("pull {reference}"), expected_size);
        let mut hasher = Hasher::default();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    let digest = e
                        .get_ref()
                        .and_then(|inner| inner.downcast_ref::<DigestError>());
                    return Err(match digest {
                        Some(DigestError::VerificationError { actual, .. }) => {
                            mismatch(actual.clone())
                        }
                        _ => RegistryError::BrokenTransfer {
                            registry: reference.registry.clone(),
                            digest: layer.digest.clone(),
                            source: e,
                        },
                    });
                }
            };
            size += chunk.len() as u64;
            if size > expected_size {
                return Err(RegistryError::Protocol {
                    registry: reference.registry.clone(),
                    message: format!(
                        "{reference}: the layer is longer than the {expected_size} bytes its manifest says"
                    ),
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .map_err(|e| RegistryError::file(file.path(), e))?;
            transfer.advance(chunk.len() as u64);
        }
        drop(transfer);
        let actual = hasher.finish();
        if actual != layer.digest {
            return Err(mismatch(actual));
        }
        if size != expected_size {
            return Err(RegistryError::Protocol {
                registry: reference.registry.clone(),
                message: format!(
                    "{reference}: the layer has {size} bytes, its manifest says {expected_size}"
                ),
            });
        }
        file.as_file()
            .sync_all()
            .map_err(|e| RegistryError::file(file.path(), e))?;
        self.cache.store_file(file, &layer.digest)
    }
}
