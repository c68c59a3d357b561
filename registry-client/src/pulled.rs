//! What a pull gives back: where the verified component is, what it resolved to, and where it came from.

use crate::reference::Reference;
use std::path::PathBuf;
use std::time::SystemTime;

/// A component pulled from a registry, or found in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The reference asked for.
    pub reference: Reference,
    /// The digest of the manifest the reference resolved to: what a `@sha256:` reference would pin.
    pub manifest_digest: String,
    /// The digest of the component itself.
    pub layer_digest: String,
    /// The component's size in bytes.
    pub size: u64,
    /// The verified component, in the cache. Read it; do not change it.
    pub path: PathBuf,
    /// Where it came from.
    pub origin: PullOrigin,
    /// Under a signature policy, [`PublicKey::id`](crate::signing::PublicKey::id) of the trusted key that verified
    /// its signature; `None` without a policy.
    pub signed_by: Option<String>,
    /// The media type of the artifact's config: [`CONFIG_MEDIA_TYPE`](crate::artifact::CONFIG_MEDIA_TYPE) for a
    /// Wasm artifact, something else for what other tools push (see
    /// [`is_wasm_config`](crate::artifact::is_wasm_config)).
    pub config_media_type: String,
}

/// Where pulled content came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullOrigin {
    /// The manifest came from the registry; `downloaded` is false when the component was already cached.
    Registry {
        /// Whether the component's bytes crossed the network.
        downloaded: bool,
    },
    /// A digest reference found in the cache: no network needed.
    Cache,
    /// The registry could not be reached; the tag's last known digest was used.
    Offline {
        /// When the tag was last resolved.
        resolved: SystemTime,
        /// Why the registry could not be reached.
        why: String,
    },
}
