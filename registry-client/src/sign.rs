//! Signing a component in a registry as cosign does: a Simple Signing payload for the manifest digest, signed with
//! an ECDSA P-256 key, added as a layer to the signature manifest tagged `sha256-<hex>.sig` in the same repository.
//! Signatures already there are kept (cosign appends too), and signing twice with one key adds nothing: ECDSA
//! signatures here are deterministic (RFC 6979), so the same key over the same payload gives the same layer.

use crate::artifact::{MANIFEST_MEDIA_TYPE, wasm_layer};
use crate::digest;
use crate::error::RegistryError;
use crate::pull::oci_reference;
use crate::reference::Reference;
use crate::retry::retried;
use crate::session::Registry;
use crate::signing::{
    PAYLOAD_MEDIA_TYPE, PrivateKey, SIGNATURE_ANNOTATION, SIGNATURE_CONFIG_MEDIA_TYPE,
    SimpleSigning, signature_config,
};
use crate::verify::signature_reference;
use base64::Engine as _;
use oci_client::RegistryOperation;
use oci_client::manifest::{OciDescriptor, OciImageManifest};
use std::collections::BTreeMap;

/// What a signing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The reference signed.
    pub reference: Reference,
    /// The manifest digest signed.
    pub manifest_digest: String,
    /// Where the signature is stored (`REPO:sha256-<hex>.sig`).
    pub signature_reference: Reference,
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
        let conn = self.connect(reference)?;
        let image = oci_reference(reference);
        self.runtime.block_on(async {
            retried(|| conn.login(reference, &image, RegistryOperation::Push)).await?;
            let (manifest, manifest_digest) = self.manifest(&conn, reference, &image).await?;
            wasm_layer(reference, &manifest)?;
            let payload = SimpleSigning::new(
                &format!("{}/{}", reference.registry, reference.repository),
                &manifest_digest,
            )
            .to_bytes();
            let payload_digest = digest::of(&payload);
            let signature = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload));
            let signature_reference = signature_reference(reference, &manifest_digest);
            let mut layers = self
                .signature_manifest(&conn, &signature_reference)
                .await?
                .map(|m| m.layers)
                .unwrap_or_default();
            let signed = |added: bool, signatures: usize| Signed {
                reference: reference.clone(),
                manifest_digest: manifest_digest.clone(),
                signature_reference: signature_reference.clone(),
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
            let signature_image = oci_reference(&signature_reference);
            let payload = bytes::Bytes::from(payload);
            retried(|| {
                self.upload(
                    &conn,
                    &signature_reference,
                    &signature_image,
                    payload.clone(),
                    &payload_digest,
                )
            })
            .await?;
            layers.push(OciDescriptor {
                media_type: PAYLOAD_MEDIA_TYPE.to_owned(),
                digest: payload_digest.clone(),
                size: payload.len() as i64,
                annotations: Some(BTreeMap::from([(
                    SIGNATURE_ANNOTATION.to_owned(),
                    signature.clone(),
                )])),
                ..Default::default()
            });
            let digests: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
            let config = bytes::Bytes::from(signature_config(&digests));
            let config_digest = digest::of(&config);
            retried(|| {
                self.upload(
                    &conn,
                    &signature_reference,
                    &signature_image,
                    config.clone(),
                    &config_digest,
                )
            })
            .await?;
            let count = layers.len();
            let manifest = OciImageManifest {
                schema_version: 2,
                media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
                config: OciDescriptor {
                    media_type: SIGNATURE_CONFIG_MEDIA_TYPE.to_owned(),
                    digest: config_digest.clone(),
                    size: config.len() as i64,
                    ..Default::default()
                },
                layers,
                subject: None,
                artifact_type: None,
                annotations: None,
            };
            let manifest =
                bytes::Bytes::from(serde_json::to_vec(&manifest).expect("the manifest serialises"));
            retried(|| async {
                conn.client
                    .push_manifest_raw(
                        &signature_image,
                        manifest.clone(),
                        reqwest::header::HeaderValue::from_static(MANIFEST_MEDIA_TYPE),
                    )
                    .await
                    .map_err(|e| conn.error(&signature_reference, e))
            })
            .await?;
            Ok(signed(true, count))
        })
    }
}
