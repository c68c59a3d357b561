//! What cosign signs and how it stores it (cosign's `specs/SIGNATURE_SPEC.md`): a Simple Signing payload naming the
//! manifest digest, uploaded as a layer of an OCI image manifest tagged `sha256-<hex>.sig` beside the signed
//! manifest, with the base64 signature in the layer's `dev.cosignproject.cosign/signature` annotation.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Media type of a Simple Signing payload layer.
pub const PAYLOAD_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// `critical.type` of a cosign signature.
pub const SIGNATURE_TYPE: &str = "cosign container image signature";
/// Media type of the signature manifest's config: an image config, as cosign (go-containerregistry) writes one.
pub(crate) const SIGNATURE_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// A Simple Signing payload (containers-signature(5), "JSON Data Format"), as cosign writes it:
/// `{"critical":{"identity":{"docker-reference":R},"image":{"docker-manifest-digest":D},"type":T},"optional":null}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleSigning {
    /// What the signature is about.
    pub critical: Critical,
    /// Claims besides (cosign `-a KEY=VALUE`); `null` when none.
    #[serde(default)]
    pub optional: Option<BTreeMap<String, serde_json::Value>>,
}

/// The part of a payload a verifier must check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Critical {
    /// The repository the signer named (cosign's spec says verifiers ignore it).
    pub identity: Identity,
    /// The signed manifest.
    pub image: Image,
    /// Always [`SIGNATURE_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
}

/// The repository a payload names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `registry/repository`, no tag.
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

/// The manifest a payload signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// `sha256:<hex>` of the signed manifest. Read case-insensitively as Go reads it: the spec's own example
    /// spells it `Docker-manifest-digest`.
    #[serde(rename = "docker-manifest-digest", alias = "Docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl SimpleSigning {
    /// The payload cosign writes for manifest `digest` in `repository` (`registry/repository`).
    pub fn new(repository: &str, digest: &str) -> SimpleSigning {
        SimpleSigning {
            critical: Critical {
                identity: Identity {
                    docker_reference: repository.to_owned(),
                },
                image: Image {
                    docker_manifest_digest: digest.to_owned(),
                },
                kind: SIGNATURE_TYPE.to_owned(),
            },
            optional: None,
        }
    }

    /// The bytes that are signed and uploaded.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a payload serialises")
    }
}

/// The tag under which the signatures of manifest `digest` are stored: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

/// The config blob of a signature manifest: an image config listing the payloads as uncompressed layers, as
/// go-containerregistry writes it for cosign.
pub(crate) fn signature_config(payload_digests: &[&str]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": payload_digests.iter().map(|_| serde_json::json!({"created": "0001-01-01T00:00:00Z"})).collect::<Vec<_>>(),
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": payload_digests},
        "config": {},
    }))
    .expect("the config serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_byte_for_byte_what_cosign_writes() {
        let payload = SimpleSigning::new("127.0.0.1:5000/demo/app", "sha256:abc");
        assert_eq!(
            String::from_utf8(payload.to_bytes()).unwrap(),
            r#"{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/demo/app"},"image":{"docker-manifest-digest":"sha256:abc"},"type":"cosign container image signature"},"optional":null}"#
        );
    }

    #[test]
    fn payloads_with_claims_or_the_specs_capitalisation_are_read() {
        let text = r#"{"critical":{"identity":{"docker-reference":"r"},"image":{"Docker-manifest-digest":"sha256:1"},"type":"cosign container image signature"},"optional":{"creator":"Bob","timestamp":1458239713}}"#;
        let payload: SimpleSigning = serde_json::from_str(text).unwrap();
        assert_eq!(payload.critical.image.docker_manifest_digest, "sha256:1");
        assert_eq!(payload.optional.unwrap()["creator"], "Bob");
    }

    #[test]
    fn signatures_are_tagged_after_the_digest() {
        assert_eq!(signature_tag("sha256:0a1b"), "sha256-0a1b.sig");
    }
}
