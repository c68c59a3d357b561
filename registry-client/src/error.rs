//! What can go wrong talking to a registry, each naming the registry and the reference.

use crate::reference::ReferenceError;
use std::path::PathBuf;

/// An error of a push, a pull or the content cache.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The reference does not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// No connection to the registry (refused, no route, DNS, timeout).
    #[error("cannot reach registry {registry} ({url}): {message}")]
    Unreachable {
        /// `host[:port]`.
        registry: String,
        /// The URL weld tried.
        url: String,
        /// What the network said.
        message: String,
    },
    /// The TLS handshake failed: an unknown CA, a name mismatch, or a plain-HTTP server.
    #[error(
        "TLS with registry {registry} failed: {message}\n  (a private CA: --ca-file FILE; a plain-HTTP registry: --insecure)"
    )]
    Tls {
        /// `host[:port]`.
        registry: String,
        /// What TLS said.
        message: String,
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
        /// Which credentials were sent, and how to give others.
        credentials: String,
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
    /// A file given to push is not a valid component.
    #[error("{}: {message}; nothing was pushed", path.display())]
    InvalidComponent {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
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
    /// The registry answered something the distribution protocol does not allow, or an error weld has no better
    /// name for.
    #[error("registry {registry}: {message}")]
    Protocol {
        /// `host[:port]`.
        registry: String,
        /// What happened.
        message: String,
    },
    /// Reading or writing a local file (the input, the output, the cache, a CA file).
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl RegistryError {
    /// A [`RegistryError::File`] from an I/O error.
    pub(crate) fn file(path: impl Into<PathBuf>, err: impl std::fmt::Display) -> RegistryError {
        RegistryError::File {
            path: path.into(),
            message: err.to_string(),
        }
    }

    /// True if the registry could not be reached at all (so cached content may stand in).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, RegistryError::Unreachable { .. })
    }

    /// True for failures that may pass: no connection, a connection that broke, a 5xx or 429 answer.
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            RegistryError::Unreachable { .. } | RegistryError::Server { .. }
        )
    }
}
