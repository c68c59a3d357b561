//! Verifying cosign signatures of a component in a registry, and the policy that makes a pull refuse a component
//! no trusted key signed.
//!
//! A signature counts only if, in this order: its layer is a Simple Signing payload whose bytes match their
//! digest; its `dev.cosignproject.cosign/signature` annotation is base64 of an ECDSA P-256 signature that one of
//! the keys verifies over those bytes; and the payload, of type `cosign container image signature`, names the very
//! manifest digest being verified (cosign's `specs/SIGNATURE_SPEC.md`; like cosign, the payload's
//! `docker-reference` is not checked, so a component copied to another repository keeps its signatures).

use crate::digest;
use crate::error::RegistryError;
use crate::reference::Reference;
use crate::session::Registry;
use crate::signing::{
    PAYLOAD_MEDIA_TYPE, PublicKey, SIGNATURE_ANNOTATION, SIGNATURE_TYPE, SimpleSigning,
    signature_tag,
};
use crate::store::{Cached, Recorded, Remote, Store};
use base64::Engine as _;
use oci_client::RegistryOperation;
use oci_client::manifest::{OciDescriptor, OciImageManifest};

/// The largest signature payload weld downloads: cosign's are about 250 bytes.
const MAX_PAYLOAD: i64 = 64 * 1024;
/// The most signatures weld checks for one manifest; a signature manifest with more is refused as a whole, so
/// that a registry cannot stall a pull with thousands of them.
const MAX_SIGNATURES: usize = 256;

/// What the signatures stored beside a manifest say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The reference verified, as given.
    pub reference: String,
    /// The manifest digest the reference resolved to: what the signatures must name.
    pub manifest_digest: String,
    /// Where its signatures are (`host/repo:sha256-<hex>.sig`, `oci:DIR:sha256-<hex>.sig`).
    pub signature_reference: String,
    /// Each signature found, in the order of the signature manifest's layers; empty when there is none.
    pub signatures: Vec<Found>,
}

/// One signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The digest of its payload layer.
    pub payload_digest: String,
    /// What checking it gave.
    pub verdict: Verdict,
}

/// What checking one signature gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A trusted key verifies it, and it names the manifest.
    Verified {
        /// The index of the key among those given.
        key: usize,
        /// [`PublicKey::id`] of that key.
        key_id: String,
    },
    /// No key given verifies it: another signer's, or a signature or payload that was changed.
    NoTrustedKey,
    /// A trusted key verifies it, but it signs another manifest (a signature copied from elsewhere).
    OtherDigest {
        /// The digest the payload names.
        signed: String,
    },
    /// Not a well-formed cosign signature.
    Malformed {
        /// What is wrong with it.
        why: String,
    },
}

impl Verification {
    /// The first signature a trusted key verifies for this manifest, if any.
    pub fn verified(&self) -> Option<&Found> {
        self.signatures
            .iter()
            .find(|f| matches!(f.verdict, Verdict::Verified { .. }))
    }

    /// [`PublicKey::id`] of the key that verified the first signature a trusted key verifies, if any.
    pub fn verified_by(&self) -> Option<&str> {
        self.signatures.iter().find_map(|f| match &f.verdict {
            Verdict::Verified { key_id, .. } => Some(key_id.as_str()),
            _ => None,
        })
    }

    /// In words: `no signatures`, or `2 signatures: 1 verified by sha256:..., 1 by no trusted key`.
    pub fn summary(&self) -> String {
        if self.signatures.is_empty() {
            return format!("no signatures at {}", self.signature_reference);
        }
        let parts: Vec<String> = self
            .signatures
            .iter()
            .map(|f| match &f.verdict {
                Verdict::Verified { key_id, .. } => format!("verified by key {key_id}"),
                Verdict::NoTrustedKey => "not verified by any trusted key".to_owned(),
                Verdict::OtherDigest { signed } => {
                    format!("by a trusted key but for another manifest, {signed}")
                }
                Verdict::Malformed { why } => format!("malformed: {why}"),
            })
            .collect();
        let count = match parts.len() {
            1 => "1 signature".to_owned(),
            n => format!("{n} signatures"),
        };
        format!("{count}: {}", parts.join("; "))
    }
}

impl Registry {
    /// Makes pulls refuse, before they download the component, one that carries no signature any of `keys`
    /// verifies ([`RegistryError::Unverified`]). No keys: no policy, as by default.
    pub fn with_trusted_keys(mut self, keys: Vec<PublicKey>) -> Registry {
        self.trusted = keys;
        self
    }

    /// The keys of the policy ([`Registry::with_trusted_keys`]).
    pub fn trusted_keys(&self) -> &[PublicKey] {
        &self.trusted
    }

    /// Resolves `reference` and checks the signatures stored beside it against `keys`. Finding no signature, or
    /// none that verifies, is not an error: the [`Verification`] says so.
    pub fn verify(
        &self,
        reference: &Reference,
        keys: &[PublicKey],
    ) -> Result<Verification, RegistryError> {
        self.block_on(self.verify_async(reference, keys))
    }

    /// [`Registry::verify`], as a future to await on the caller's tokio runtime.
    pub async fn verify_async(
        &self,
        reference: &Reference,
        keys: &[PublicKey],
    ) -> Result<Verification, RegistryError> {
        let remote = Remote::open(self, reference, RegistryOperation::Pull).await?;
        let (_, manifest_digest) = remote.resolve(reference).await?;
        signatures(&remote, &reference.to_string(), &manifest_digest, keys).await
    }

    /// The policy check of a pull: an error unless a trusted key verifies a signature of `manifest_digest`;
    /// the id of that key, or `None` when there is no policy. The signatures read are kept in the content cache;
    /// when the registry cannot be reached, those kept are checked instead (and if none are kept, the registry's
    /// error is returned).
    pub(crate) async fn enforce(
        &self,
        reference: &Reference,
        manifest_digest: &str,
    ) -> Result<Option<String>, RegistryError> {
        if self.trusted.is_empty() {
            return Ok(None);
        }
        let name = reference.to_string();
        let online = match Remote::open(self, reference, RegistryOperation::Pull).await {
            Ok(remote) => {
                let recorded = Recorded {
                    inner: &remote,
                    cache: &self.cache,
                };
                enforce_in(&recorded, &name, manifest_digest, &self.trusted).await
            }
            Err(err) => Err(err),
        };
        match online {
            Err(err) if err.is_unreachable() => {
                let cached = Cached {
                    cache: &self.cache,
                    reference: reference.clone(),
                };
                match enforce_in(&cached, &name, manifest_digest, &self.trusted).await {
                    Err(RegistryError::Unverified { verification })
                        if verification.signatures.is_empty() =>
                    {
                        Err(err)
                    }
                    offline => offline.map(Some),
                }
            }
            online => online.map(Some),
        }
    }
}

/// An error unless one of `keys` verifies a signature of `manifest_digest` in `store`; else the id of that key.
pub(crate) async fn enforce_in(
    store: &dyn Store,
    reference: &str,
    manifest_digest: &str,
    keys: &[PublicKey],
) -> Result<String, RegistryError> {
    let verification = signatures(store, reference, manifest_digest, keys).await?;
    match verification.verified_by() {
        Some(key_id) => Ok(key_id.to_owned()),
        None => Err(RegistryError::Unverified {
            verification: Box::new(verification),
        }),
    }
}

/// Reads and checks every signature `store` holds for `manifest_digest` (which `reference` resolved to).
pub(crate) async fn signatures(
    store: &dyn Store,
    reference: &str,
    manifest_digest: &str,
    keys: &[PublicKey],
) -> Result<Verification, RegistryError> {
    let tag = signature_tag(manifest_digest);
    let layers = signature_manifest(store, &tag)
        .await?
        .map(|m| m.layers)
        .unwrap_or_default();
    if layers.len() > MAX_SIGNATURES {
        return Err(RegistryError::Protocol {
            registry: store.repository(),
            message: format!(
                "{} holds {} signatures, more than the {MAX_SIGNATURES} weld checks",
                store.tagged(&tag),
                layers.len()
            ),
        });
    }
    let mut signatures = Vec::new();
    // Payloads by digest: several signatures of one payload (one per key) fetch it once.
    let mut fetched = std::collections::HashMap::new();
    for layer in layers {
        let verdict = match payload(store, &layer, &mut fetched).await {
            Ok(Ok(payload)) => check(&layer, &payload, manifest_digest, keys),
            Ok(Err(why)) => Verdict::Malformed { why },
            // One signature that cannot be read leaves the others to be checked; a store out of reach stops all.
            Err(err) if err.is_unreachable() => return Err(err),
            Err(err) => Verdict::Malformed {
                why: format!("its payload cannot be read: {}", weld_wit::one_line(&err)),
            },
        };
        signatures.push(Found {
            payload_digest: layer.digest.clone(),
            verdict,
        });
    }
    Ok(Verification {
        reference: reference.to_owned(),
        manifest_digest: manifest_digest.to_owned(),
        signature_reference: store.tagged(&tag),
        signatures,
    })
}

/// The signature manifest under `tag` in `store`, or `None` if there is none.
pub(crate) async fn signature_manifest(
    store: &dyn Store,
    tag: &str,
) -> Result<Option<OciImageManifest>, RegistryError> {
    let Some(bytes) = store.manifest_at(tag).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| RegistryError::Protocol {
            registry: store.repository(),
            message: format!(
                "{}: the signature manifest is not an OCI image manifest ({e})",
                store.tagged(tag)
            ),
        })
}

/// The payload bytes of one signature layer, checked against its digest; `Err(why)` for a layer that cannot be a
/// cosign payload (the outer error is for a store that fails).
async fn payload(
    store: &dyn Store,
    layer: &OciDescriptor,
    fetched: &mut std::collections::HashMap<String, Vec<u8>>,
) -> Result<Result<Vec<u8>, String>, RegistryError> {
    if layer.media_type != PAYLOAD_MEDIA_TYPE {
        return Ok(Err(format!(
            "a layer of type {}, not {PAYLOAD_MEDIA_TYPE}",
            layer.media_type
        )));
    }
    if digest::hex(&layer.digest).is_none() || !(0..=MAX_PAYLOAD).contains(&layer.size) {
        return Ok(Err(format!(
            "a payload of digest `{}` and size {}; weld reads sha256 payloads up to {MAX_PAYLOAD} bytes",
            layer.digest, layer.size
        )));
    }
    if let Some(bytes) = fetched.get(&layer.digest) {
        return Ok(Ok(bytes.clone()));
    }
    let bytes = store.blob(layer).await?;
    if digest::of(&bytes) != layer.digest {
        return Ok(Err(format!(
            "the payload's bytes do not match its digest {}",
            layer.digest
        )));
    }
    fetched.insert(layer.digest.clone(), bytes.clone());
    Ok(Ok(bytes))
}

/// Checks one signature whose payload bytes are `payload`.
fn check(
    layer: &OciDescriptor,
    payload: &[u8],
    manifest_digest: &str,
    keys: &[PublicKey],
) -> Verdict {
    let Some(encoded) = layer
        .annotations
        .as_ref()
        .and_then(|a| a.get(SIGNATURE_ANNOTATION))
    else {
        return Verdict::Malformed {
            why: format!("no {SIGNATURE_ANNOTATION} annotation"),
        };
    };
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return Verdict::Malformed {
            why: format!("its {SIGNATURE_ANNOTATION} annotation is not base64"),
        };
    };
    let Some(key) = keys.iter().position(|k| k.verifies(payload, &signature)) else {
        return Verdict::NoTrustedKey;
    };
    let parsed: SimpleSigning = match serde_json::from_slice(payload) {
        Ok(parsed) => parsed,
        Err(e) => {
            return Verdict::Malformed {
                why: format!("its payload is not a Simple Signing document ({e})"),
            };
        }
    };
    if parsed.critical.kind != SIGNATURE_TYPE {
        return Verdict::Malformed {
            why: format!(
                "its payload's type is `{}`, not `{SIGNATURE_TYPE}`",
                parsed.critical.kind
            ),
        };
    }
    let signed = parsed.critical.image.docker_manifest_digest;
    if signed != manifest_digest {
        return Verdict::OtherDigest { signed };
    }
    Verdict::Verified {
        key,
        key_id: keys[key].id(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::PrivateKey;
    use std::collections::BTreeMap;

    fn layer(payload: &[u8], signature: Option<String>) -> OciDescriptor {
        OciDescriptor {
            media_type: PAYLOAD_MEDIA_TYPE.to_owned(),
            digest: digest::of(payload),
            size: payload.len() as i64,
            annotations: signature.map(|s| BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), s)])),
            ..Default::default()
        }
    }

    fn signed(key: &PrivateKey, payload: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(key.sign(payload))
    }

    #[test]
    fn each_way_a_signature_can_fail_gets_its_own_verdict() {
        let key = PrivateKey::generate();
        let trusted = [PrivateKey::generate().public(), key.public()];
        let payload = SimpleSigning::new("r/app", "sha256:aa").to_bytes();
        let check =
            |layer: &OciDescriptor, payload: &[u8]| check(layer, payload, "sha256:aa", &trusted);

        assert!(matches!(
            check(&layer(&payload, Some(signed(&key, &payload))), &payload),
            Verdict::Verified { key: 1, .. }
        ));
        let stranger = PrivateKey::generate();
        assert_eq!(
            check(
                &layer(&payload, Some(signed(&stranger, &payload))),
                &payload
            ),
            Verdict::NoTrustedKey
        );
        let mut tampered = payload.clone();
        tampered[20] ^= 1;
        assert_eq!(
            check(&layer(&payload, Some(signed(&key, &payload))), &tampered),
            Verdict::NoTrustedKey
        );
        let other = SimpleSigning::new("r/app", "sha256:bb").to_bytes();
        assert_eq!(
            check(&layer(&other, Some(signed(&key, &other))), &other),
            Verdict::OtherDigest {
                signed: "sha256:bb".to_owned()
            }
        );
        assert!(matches!(
            check(&layer(&payload, None), &payload),
            Verdict::Malformed { .. }
        ));
        assert!(matches!(
            check(&layer(&payload, Some("%%%".to_owned())), &payload),
            Verdict::Malformed { .. }
        ));
        let not_json = b"signed nonsense".to_vec();
        assert!(matches!(
            check(&layer(&not_json, Some(signed(&key, &not_json))), &not_json),
            Verdict::Malformed { .. }
        ));
    }
}
