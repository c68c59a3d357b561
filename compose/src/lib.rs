//! `weld-compose`: link WebAssembly components into one by plugging each import with another component's export.
//!
//! [`compose`] takes a root and the components that may satisfy its imports (the plugs) and matches imports to
//! exports transitively: an explicit wire first, then the one plug exporting the same name or a semver-compatible
//! version, always checked with the component-model subtype check of `wac-types`. Each plug is instantiated once and
//! shared. Open imports that differ only by a compatible version become one import of the newest (unless
//! [`Options::no_merge_imports`]), `--closed` is enforced, and the graph is encoded by weld's own encoder
//! (from each input's own types, so uses, aliases and world-level types stay as written) and validated before it is
//! returned, as a [`Composition`] that holds the inputs once (the component is weld's own bytes with the inputs
//! between them). The [`Report`] says what happened to every import and why; it is data, and
//! serialises as the stable JSON documented in docs/compose.md.
//!
//! Two other front doors lead to the same engine: [`ComposeFile`] reads a `weld.toml` compose file, finding its
//! components through a [`Resolver`] the caller supplies (files by default, a registry in the CLI), and
//! [`compose_wac`] composes a `.wac` document the way `wac compose` does. Errors at a place in such a file are
//! [`SourceError`]s: miette diagnostics with every label and help. Beside them, [`targets`] checks a component
//! against a world (as `wac targets` does), telling each difference as data.
//!
//! Nothing here prints, exits or reads stdin; the crate depends on weld-wit and wac, not on wasmtime, clap, tokio or
//! a network client.
//!
//! ```
//! use weld_compose::{Component, Options, Outcome, compose};
//!
//! // The root imports an interface; the plug exports it (re-exporting an instance it imports itself).
//! let root = wat::parse_str(r#"(component
//!     (import "demo:greet/hi@1.0.0" (instance (export "hi" (func (result string)))))
//! )"#)?;
//! let plug = wat::parse_str(r#"(component
//!     (import "demo:greet/base@1.0.0" (instance $base (export "hi" (func (result string)))))
//!     (export "demo:greet/hi@1.2.0" (instance $base))
//! )"#)?;
//! let composed = compose(
//!     Component::new("root.wasm", root),
//!     vec![Component::new("plug.wasm", plug)],
//!     &Options::default(),
//! )?;
//! let import = &composed.report.instances[0].imports[0];
//! assert!(matches!(&import.outcome, Outcome::Plugged { by, .. } if by == "plug.wasm"));
//! // What the plug itself needs stays open in the result.
//! assert_eq!(composed.report.imports, ["demo:greet/base@1.0.0"]);
//! // The component is held in pieces, the inputs not copied: write it out piece by piece, or take one buffer.
//! let mut out = Vec::new();
//! composed.write_to(&mut out)?;
//! assert_eq!(out, composed.to_bytes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod composition;
mod diff;
mod encode;
mod engine;
mod error;
mod file;
mod finish;
mod labels;
pub mod lock;
mod matching;
mod names;
mod report;
mod request;
mod resolver;
mod resources;
mod targets;
mod typefmt;
pub mod virt;
mod wac;

pub use composition::Composition;
pub use encode::EncodeError;
pub use engine::compose;
pub use error::{ComposeError, ImportOf, RequestError};
pub use file::ComposeFile;
pub use names::is_wasi;
pub use report::{
    Candidate, Difference, Import, Instance, Merge, OpenReason, Outcome, Problem, Rejection,
    Report, Rule,
};
pub use request::{Closed, Component, Options};
pub use resolver::{FileResolver, Resolver};
pub use targets::{Conformance, Mismatch, MissingExport, Side, TargetError, targets};
pub use wac::{WacDocument, compose_wac};
pub use weld_wit::{BoxError, SourceError};
