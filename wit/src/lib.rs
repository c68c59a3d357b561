//! `weld-wit`: what is this WebAssembly file?
//!
//! This crate answers that question for weld: it loads WIT from a directory, a `.wit` file, a component or a core
//! module carrying component-type metadata ([`load`]), renders it as WIT text ([`to_wit`]) or as a stable JSON model
//! ([`model::Document`]), summarises the WASI capabilities a world needs ([`Capabilities`]), takes a binary apart
//! ([`inspect`]) and validates it ([`validate`]).
//!
//! It never prints, never exits and never reads argv: errors are typed ([`Error`]) and keep their causes; errors at a
//! place in a text file are [`SourceError`]s, miette diagnostics the CLI draws with the line and the span.
//!
//! ```
//! let src = weld_wit::WitSource::from_wit_text(
//!     "example.wit",
//!     "package demo:hi@1.0.0;\ninterface greet { hi: func(name: string) -> string; }\n",
//! ).unwrap();
//! assert!(weld_wit::to_wit(&src).unwrap().contains("hi: func(name: string) -> string;"));
//! ```

mod capabilities;
mod diagnostic;
mod error;
mod guard;
mod inspect;
pub mod model;
mod render;
mod signature;
mod source;
mod validate;
mod wit_error;

pub use capabilities::{Capabilities, Capability, interface_capability, is_root, wasi_release};
pub use diagnostic::{BoxError, SourceError, line_column, one_line};
pub use error::Error;
pub use guard::panic_message;
pub use inspect::{
    CustomSection, Extern, Inspection, Limits, Node, NodeKind, Producer, inspect, inspect_bytes,
};
pub use render::{WitFile, package_files, to_wit};
pub use source::{Features, SourceKind, WitSource, is_wit_package, load, load_with};
pub use validate::{
    FileKind, Invalid, Validated, component_model_async, features, validate, validate_file,
    validate_pieces,
};
