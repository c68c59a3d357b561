//! `weld-registry-client`: WebAssembly components in OCI registries.
//!
//! - [`Reference`] parses and prints the references weld accepts wherever it takes a component
//!   (`oci://localhost:5000/demo/hello:1.0`, `ghcr.io/org/app@sha256:...`).
//! - [`Registry`] pushes and pulls components in the standard Wasm OCI artifact format ([`artifact`]): what weld
//!   pushes, wkg and oras pull, and the other way round. Blobs stream; every digest is checked.
//! - [`ContentCache`] keeps pulled content by digest, so a pinned reference needs no network and a tag still works when
//!   its registry is down.
//! - [`Registry::sign`] and [`Registry::verify`] sign and check components in cosign's format ([`signing`]), and
//!   [`Registry::with_trusted_keys`] makes pulls refuse a component no trusted key signed.
//! - [`Auth`] finds credentials (explicit ones, the docker config file and its credential helpers) and
//!   [`Transport`] says how to connect (HTTPS, a private CA, plain HTTP).
//!
//! The core is async: [`Registry::pull_async`], [`Registry::push_async`], [`Registry::resolve_async`],
//! [`Registry::sign_async`] and [`Registry::verify_async`] are awaited on the caller's tokio runtime. The methods
//! without the suffix are the blocking wrapper, which `weld` uses; they drive the same futures on a runtime of the
//! session's own, made on first use.
//!
//! Like weld's other libraries it never prints: progress goes to a [`Progress`] and errors are
//! [`RegistryError`]s naming the registry and the reference.
//!
//! ```
//! let r: weld_registry_client::Reference = "oci://localhost:5000/demo/hello:1.0".parse().unwrap();
//! assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag()), ("localhost:5000", "demo/hello", "1.0"));
//! ```

pub mod artifact;
mod atomic;
mod auth;
mod cache;
mod digest;
mod error;
pub mod layout;
mod progress;
mod pull;
mod pulled;
mod push;
mod reference;
mod retry;
mod session;
mod sign;
pub mod signing;
mod store;
mod transport;
mod verify;

pub use auth::{Auth, Login};
pub use cache::ContentCache;
pub use error::BoxError;
pub use error::RegistryError;
pub use progress::{Progress, Silent, Transfer};
pub use pulled::{PullOrigin, Pulled};
pub use push::{CREATED, PushOptions, Pushed, VERSION};
pub use reference::{Reference, ReferenceError};
pub use session::{DEFAULT_MAX_SIZE, Registry};
pub use sign::Signed;
pub use transport::Transport;
pub use verify::{Found, Verdict, Verification};

/// The OCI content digest of `bytes`, `sha256:` and 64 lowercase hex digits: what a manifest names a blob by, and
/// what a lockfile records for a file.
pub fn content_digest(bytes: &[u8]) -> String {
    digest::of(bytes)
}
