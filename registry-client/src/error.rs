//! What can go wrong talking to a registry, each naming the registry and the reference.

use crate::reference::ReferenceError;
use std::path::PathBuf;

/// A boxed error from a library underneath (reqwest, hyper, rustls, oci-client), its causes kept: weld's one
/// definition, from `weld-wit`.
pub use weld_wit::BoxError;

/// An error of a push, a pull or the content cache.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The reference does not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// No connection to the registry, or one that broke: refused, reset, closed before an answer, no route, DNS,
    /// a timeout.
    #[error("cannot reach registry {registry} ({url})")]
    Unreachable {
        /// `host[:port]`.
        registry: String,
        /// The URL weld tried.
        url: String,
        /// What the network said.
        #[source]
        source: BoxError,
    },
    /// A transfer that had started broke off (the connection closed or stalled mid-blob).
    #[error("the transfer of {digest} from registry {registry} broke off")]
    BrokenTransfer {
        /// `host[:port]`.
        registry: String,
        /// The blob.
        digest: String,
        /// What the network said.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed: an unknown CA, a name mismatch, or a plain-HTTP server.
    #[error("TLS with registry {registry} failed")]
    Tls {
        /// `host[:port]`.
        registry: String,
        /// What TLS said.
        #[source]
        source: BoxError,
    },
    /// The registry wants credentials, or refused the ones given.
    #[error("registry {registry} refused {reference}: {status}; {credentials}")]
    Unauthorized {
        /// `host[:port]`.
        registry: String,
        /// The artifact asked for.
        reference: String,
        /// `401 unauthorized` or `403 denied`, with the registry's words.
        status: String,
        /// Which credentials were sent (or why none were).
        credentials: String,
        /// Whether none were sent.
        anonymous: bool,
    },
    /// The repository, tag or digest does not exist.
    #[error("{reference}: not found in registry {registry} ({message})")]
    NotFound {
        /// `host[:port]`.
        registry: String,
        /// The artifact asked for.
        reference: String,
        /// The registry's words.
        message: String,
    },
    /// The layer is larger than the session's size cap ([`Registry::with_max_size`](crate::Registry)): refused
    /// from its manifest, before any of it is downloaded.
    #[error(
        "{reference}: its layer is {size} bytes, over the cap of {max} bytes on what a pull downloads; nothing was downloaded"
    )]
    TooLarge {
        /// The artifact asked for.
        reference: String,
        /// The layer's size, as its manifest declares it.
        size: u64,
        /// The cap.
        max: u64,
    },
    /// The artifact is something other than a Wasm component.
    #[error("{reference} is not a WebAssembly artifact: {found}")]
    NotWasm {
        /// The artifact asked for.
        reference: String,
        /// What it is instead.
        found: String,
    },
    /// Content whose digest differs from the one that names it: tampered with, or corrupted.
    #[error(
        "{reference}: the {what} {expected} failed verification: its content hashes to {actual}; nothing was written"
    )]
    DigestMismatch {
        /// The artifact asked for.
        reference: String,
        /// `manifest` or `layer`.
        what: &'static str,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },
    /// A pull under a signature policy ([`Registry::with_trusted_keys`](crate::Registry::with_trusted_keys))
    /// found no signature a trusted key verifies; the component was not fetched (downloaded or copied from a layout).
    #[error(
        "{} ({}) has no signature that a trusted key verifies: {}; the component was not fetched",
        verification.reference, verification.manifest_digest, verification.summary()
    )]
    Unverified {
        /// What the signatures said.
        verification: Box<crate::Verification>,
    },
    /// An OCI image layout that is missing or malformed.
    #[error("{}: {message}", dir.display())]
    Layout {
        /// The layout's directory.
        dir: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A directory read as an OCI image layout is not one: it lacks the file that says so, or its index.
    #[error("{}: not an OCI image layout: it has no {missing}", dir.display())]
    NotALayout {
        /// The directory.
        dir: PathBuf,
        /// The file it lacks: `oci-layout` or `index.json` (OCI image layout specification, "Content").
        missing: &'static str,
    },
    /// A layout holds nothing under the tag or digest asked for.
    #[error("{reference}: no such tag or digest in the layout")]
    NotInLayout {
        /// The reference asked for.
        reference: String,
    },
    /// A file given to push is not a valid component.
    #[error("{}: {message}; nothing was pushed", path.display())]
    InvalidComponent {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
        /// The error underneath, when there is one (the validator's, or the WIT decoder's).
        #[source]
        source: Option<BoxError>,
    },
    /// The registry failed (a 5xx status, or 429 too many requests) after weld's retries.
    #[error("registry {registry} answered {status} (after {attempts} attempts): {message}")]
    Server {
        /// `host[:port]`.
        registry: String,
        /// The HTTP status.
        status: u16,
        /// How many times weld tried.
        attempts: u32,
        /// The registry's words, or the URL.
        message: String,
    },
    /// The registry answered something the distribution protocol does not allow.
    #[error("registry {registry}: {message}")]
    Protocol {
        /// `host[:port]`.
        registry: String,
        /// What happened.
        message: String,
    },
    /// A failure of the client underneath that weld has no better name for.
    #[error("registry {registry}: the request failed")]
    Client {
        /// `host[:port]`.
        registry: String,
        /// The client's error.
        #[source]
        source: BoxError,
    },
    /// Reading or writing a local file (the input, the output, the cache, a CA file).
    #[error("cannot use `{}`", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: BoxError,
    },
}

impl RegistryError {
    /// A [`RegistryError::File`] about `path`.
    pub(crate) fn file(path: impl Into<PathBuf>, err: impl Into<BoxError>) -> RegistryError {
        RegistryError::File {
            path: path.into(),
            source: err.into(),
        }
    }

    /// True if the registry could not be reached at all (so cached content may stand in).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            RegistryError::Unreachable { .. } | RegistryError::BrokenTransfer { .. }
        )
    }

    /// True for failures that may pass: no connection, a connection that broke, a 5xx or 429 answer.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            RegistryError::Unreachable { .. }
                | RegistryError::BrokenTransfer { .. }
                | RegistryError::Server { .. }
        )
    }
}
