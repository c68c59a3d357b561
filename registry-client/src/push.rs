//! Pushing a component: validate it, describe its world in the config, upload the layer (streamed, skipped if the
//! registry has it) and the config, and only then the manifest, which is what creates the tag. A push that fails
//! part-way leaves at most unreferenced blobs, never a tag pointing at half an artifact.

use crate::artifact::{self, MANIFEST_MEDIA_TYPE, WasmConfig};
use crate::digest;
use crate::error::RegistryError;
use crate::reference::Reference;
use crate::reference::oci_reference;
use crate::retry::retried;
use crate::session::{Connection, Registry};
use futures_util::StreamExt as _;
use oci_client::RegistryOperation;
use oci_client::errors::OciDistributionError;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// The annotation keys weld fills in.
pub const CREATED: &str = "org.opencontainers.image.created";
/// The annotation key of the artifact's version.
pub const VERSION: &str = "org.opencontainers.image.version";

/// What to push besides the component.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// When the artifact was made: the config's `created` and the `org.opencontainers.image.created`
    /// annotation.
    pub created: SystemTime,
    /// Annotations of the manifest (`org.opencontainers.image.version`, and any the user gives).
    pub annotations: BTreeMap<String, String>,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// Where it went (`host/repo:tag`, `oci:DIR:tag`).
    pub reference: String,
    /// The digest of the manifest: `REF@<digest>` pulls exactly this artifact.
    pub manifest_digest: String,
    /// The digest of the component.
    pub layer_digest: String,
    /// The component's size in bytes.
    pub size: u64,
    /// False when the registry already had the component's bytes, so only the config and manifest moved.
    pub uploaded: bool,
}

/// A component made into a Wasm artifact, ready to store: the layer, the config and the manifest.
pub(crate) struct Built {
    /// The component's bytes.
    pub(crate) layer: bytes::Bytes,
    /// Their digest.
    pub(crate) layer_digest: String,
    /// The config blob.
    pub(crate) config: Vec<u8>,
    /// The manifest.
    pub(crate) manifest: Vec<u8>,
    /// Its digest.
    pub(crate) manifest_digest: String,
}

/// Validates `bytes` (read from `path`) as a component and makes the artifact, its layer titled `title`.
pub(crate) fn build(
    path: &Path,
    bytes: Vec<u8>,
    title: &str,
    options: PushOptions,
) -> Result<Built, RegistryError> {
    // Hashing and validating both read every byte: do them side by side.
    let (world, layer_digest) = std::thread::scope(|scope| {
        let hashing = scope.spawn(|| digest::of(&bytes));
        let world = artifact::describe(path, &bytes);
        (world, hashing.join().expect("hashing does not panic"))
    });
    let world = world?;
    let created = humantime::format_rfc3339_seconds(options.created).to_string();
    let config = WasmConfig {
        created: created.clone(),
        author: None,
        architecture: "wasm".to_owned(),
        os: "wasip2".to_owned(),
        layer_digests: vec![layer_digest.clone()],
        component: Some(world),
    };
    let config = serde_json::to_vec(&config).expect("the config serialises");
    let mut annotations = options.annotations;
    annotations.entry(CREATED.to_owned()).or_insert(created);
    let manifest = artifact::manifest(
        &config,
        (&layer_digest, bytes.len() as u64, title),
        annotations,
    );
    let manifest = serde_json::to_vec(&manifest).expect("the manifest serialises");
    let manifest_digest = digest::of(&manifest);
    Ok(Built {
        layer: bytes::Bytes::from(bytes),
        layer_digest,
        config,
        manifest,
        manifest_digest,
    })
}

/// Size of the pieces a component is streamed in.
const CHUNK: usize = 1 << 20;

impl Registry {
    /// Validates `bytes` (read from `path`) as a component and pushes it to `reference` (a tag).
    pub fn push(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        reference: &Reference,
        options: PushOptions,
    ) -> Result<Pushed, RegistryError> {
        self.block_on(self.push_async(path, bytes, reference, options))
    }

    /// [`Registry::push`], as a future to await on the caller's tokio runtime. Validating the component runs on
    /// the caller's thread before the first transfer.
    pub async fn push_async(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        reference: &Reference,
        options: PushOptions,
    ) -> Result<Pushed, RegistryError> {
        let built = build(
            path,
            bytes,
            &artifact::layer_title(path, reference.repository.rsplit('/').next().unwrap_or("")),
            options,
        )?;
        let Built {
            layer: bytes,
            layer_digest,
            config,
            manifest,
            manifest_digest,
        } = built;
        let conn = self.connect(reference)?;
        let image = oci_reference(reference);
        let size = bytes.len() as u64;
        retried(|| conn.login(reference, &image, RegistryOperation::Push)).await?;
        let uploaded =
            retried(|| self.upload(&conn, reference, &image, bytes.clone(), &layer_digest)).await?;
        let config = bytes::Bytes::from(config);
        let config_digest = digest::of(&config);
        retried(|| self.upload(&conn, reference, &image, config.clone(), &config_digest)).await?;
        let manifest = bytes::Bytes::from(manifest);
        retried(|| async {
            conn.client
                .push_manifest_raw(
                    &image,
                    manifest.clone(),
                    reqwest::header::HeaderValue::from_static(MANIFEST_MEDIA_TYPE),
                )
                .await
                .map_err(|e| conn.error(reference, e))
        })
        .await?;
        Ok(Pushed {
            reference: reference.to_string(),
            manifest_digest,
            layer_digest,
            size,
            uploaded,
        })
    }

    /// Uploads one blob unless the repository already has it; true if it was uploaded.
    pub(crate) async fn upload(
        &self,
        conn: &Connection,
        reference: &Reference,
        image: &oci_client::Reference,
        blob: bytes::Bytes,
        blob_digest: &str,
    ) -> Result<bool, RegistryError> {
        let exists = conn
            .client
            .blob_exists(image, blob_digest)
            .await
            .map_err(|e| conn.error(reference, e))?;
        if exists {
            return Ok(false);
        }
        let size = blob.len() as u64;
        let transfer = self.progress.start(&format!("push {reference}"), size);
        let pieces: Vec<bytes::Bytes> = (0..blob.len())
            .step_by(CHUNK)
            .map(|at| blob.slice(at..(at + CHUNK).min(blob.len())))
            .collect();
        let stream = futures_util::stream::iter(pieces).map(move |piece| {
            transfer.advance(piece.len() as u64);
            Ok::<_, OciDistributionError>(piece)
        });
        conn.client
            .push_blob_stream(image, stream, blob_digest, Some(size))
            .await
            .map_err(|e| conn.error(reference, e))?;
        Ok(true)
    }
}
