//! Signing a component as cosign does: a Simple Signing payload for the manifest digest, signed with an ECDSA P-256
//! key, added as a layer to the signature manifest tagged `sha256-<hex>.sig` beside the signed manifest (in a
//! registry repository or an OCI image layout). Signatures already there are kept (cosign appends too), and
//! signing twice with one key adds nothing: ECDSA signatures here are deterministic (RFC 6979), so the same key
//! over the same payload gives the same layer.

use crate::artifact::{MANIFEST_MEDIA_TYPE, wasm_layer};
use crate::digest;
use crate::error::RegistryError;
use crate::reference::Reference;
use crate::session::Registry;
use crate::signing::{
    PAYLOAD_MEDIA_TYPE, PrivateKey, SIGNATURE_ANNOTATION, SIGNATURE_CONFIG_MEDIA_TYPE,
    SimpleSigning, signature_config, signature_tag,
};
use crate::store::{Remote, Store};
use crate::verify::signature_manifest;
use base64::Engine as _;
use oci_client::RegistryOperation;
use oci_client::manifest::{OciDescriptor, OciImageManifest};
use std::collections::BTreeMap;

/// What a signing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The manifest digest signed.
    pub manifest_digest: String,
    /// Where the signature is stored (`host/repo:sha256-<hex>.sig`, `oci:DIR:sha256-<hex>.sig`).
    pub signature_reference: String,
    /// [`PublicKey::id`](crate::signing::PublicKey::id) of the key that signed.
    pub key_id: String,
    /// False when this key's signature of this manifest was already there.
    pub added: bool,
    /// How many signatures the manifest now has.
    pub signatures: usize,
}

impl Registry {
    /// Signs the component `reference` names (a tag is resolved to its manifest digest first) with `key`, and
    /// stores the signature in the registry where cosign stores it. The artifact must be a Wasm component.
    pub fn sign(&self, reference: &Reference, key: &PrivateKey) -> Result<Signed, RegistryError> {
        self.block_on(self.sign_async(reference, key))
    }

    /// [`Registry::sign`], as a future to await on the caller's tokio runtime.
    pub async fn sign_async(
        &self,
        reference: &Reference,
        key: &PrivateKey,
    ) -> Result<Signed, RegistryError> {
        let remote = Remote::open(self, reference, RegistryOperation::Push).await?;
        let (manifest, manifest_digest) = remote.resolve(reference).await?;
        wasm_layer(&reference.to_string(), &manifest)?;
        sign_in(&remote, &manifest_digest, key).await
    }
}

/// Signs manifest `manifest_digest` of `store` with `key`.
pub(crate) async fn sign_in(
    store: &dyn Store,
    manifest_digest: &str,
    key: &PrivateKey,
) -> Result<Signed, RegistryError> {
    let payload = SimpleSigning::new(&store.repository(), manifest_digest).to_bytes();
    let payload_digest = digest::of(&payload);
    let signature = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload));
    let tag = signature_tag(manifest_digest);
    let mut layers = signature_manifest(store, &tag)
        .await?
        .map(|m| m.layers)
        .unwrap_or_default();
    let signed = |added: bool, signatures: usize| Signed {
        manifest_digest: manifest_digest.to_owned(),
        signature_reference: store.tagged(&tag),
        key_id: key.public().id(),
        added,
        signatures,
    };
    let present = layers.iter().any(|l| {
        l.digest == payload_digest
            && l.annotations
                .as_ref()
                .and_then(|a| a.get(SIGNATURE_ANNOTATION))
                == Some(&signature)
    });
    if present {
        return Ok(signed(false, layers.len()));
    }
    store.put_blob(&payload, &payload_digest).await?;
    layers.push(OciDescriptor {
        media_type: PAYLOAD_MEDIA_TYPE.to_owned(),
        digest: payload_digest.clone(),
        size: payload.len() as i64,
        annotations: Some(BTreeMap::from([(
            SIGNATURE_ANNOTATION.to_owned(),
            signature,
        )])),
        ..Default::default()
    });
    let digests: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
    let config = signature_config(&digests);
    let config_digest = digest::of(&config);
    store.put_blob(&config, &config_digest).await?;
    let count = layers.len();
    let manifest = OciImageManifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
        config: OciDescriptor {
            media_type: SIGNATURE_CONFIG_MEDIA_TYPE.to_owned(),
            digest: config_digest,
            size: config.len() as i64,
            ..Default::default()
        },
        layers,
        subject: None,
        artifact_type: None,
        annotations: None,
    };
    let manifest = serde_json::to_vec(&manifest).expect("the manifest serialises");
    store.put_manifest(&manifest, &tag).await?;
    Ok(signed(true, count))
}
