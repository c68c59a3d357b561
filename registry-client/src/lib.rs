//! `weld-registry-client`: WebAssembly components in OCI registries.
//!
//! So far this crate knows how to name an artifact: [`Reference`] parses and prints the references weld accepts
//! wherever it takes a component (`oci://localhost:5000/demo/hello:1.0`, `ghcr.io/org/app@sha256:...`). Pushing,
//! pulling and the content cache come with the registry work.
//!
//! ```
//! let r: weld_registry_client::Reference = "oci://localhost:5000/demo/hello:1.0".parse().unwrap();
//! assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag()), ("localhost:5000", "demo/hello", "1.0"));
//! ```
#![deny(missing_docs)]

mod reference;

pub use reference::{Reference, ReferenceError};
