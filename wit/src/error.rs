//! Typed errors of this crate. Each one names the file it is about; the CLI renders them.

#[cfg(doc)]
use crate::diagnostic::SourceError;
use std::path::PathBuf;
use weld_files::BoxError;

/// Everything that can go wrong while reading WIT or a WebAssembly binary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read, or is not WebAssembly ([`weld_files::Error`]: it names the file).
    #[error(transparent)]
    Input(#[from] weld_files::Error),
    /// WIT failed to parse or resolve. Where wit-parser says where, the cause is a [`SourceError`] pointing into
    /// the file at fault (which may be a file under `deps/`).
    #[error("invalid WIT in `{}`", path.display())]
    Wit {
        /// The file or directory given.
        path: PathBuf,
        /// What wit-parser found: a [`SourceError`] when it says where, else its error with the causes.
        #[source]
        source: BoxError,
    },
    /// A binary is malformed or its component types could not be decoded.
    #[error("failed to decode `{}`", path.display())]
    Decode {
        /// The offending path.
        path: PathBuf,
        /// What is wrong, with the byte offset where known.
        #[source]
        source: BoxError,
    },
    /// A library weld calls (wit-parser's decoders and parser) panicked on this input instead of returning an
    /// error: a bug in that library, caught where weld calls it.
    #[error(
        "{library} cannot handle `{}` ({message}; a bug in {library} that weld caught)",
        path.display()
    )]
    LibraryPanic {
        /// The input.
        path: PathBuf,
        /// The library that panicked.
        library: &'static str,
        /// The panic's message.
        message: String,
    },
    /// A core module has no `component-type` custom section, so it has no WIT.
    #[error(
        "`{}` is a core module without component-type metadata, so it has no WIT \
         (only components, and core modules made with `wit-bindgen` or `wasm-tools component embed`, have one)",
        path.display()
    )]
    NoWitMetadata {
        /// The offending path.
        path: PathBuf,
    },
    /// `--world NAME` named no world of the input.
    #[error(
        "cannot select world `{name}` of `{}` (worlds here: {})",
        path.display(),
        if available.is_empty() { "none".to_owned() } else { available.join(", ") }
    )]
    UnknownWorld {
        /// The input.
        path: PathBuf,
        /// The world asked for.
        name: String,
        /// The worlds there are.
        available: Vec<String>,
        /// What wit-parser said.
        #[source]
        source: BoxError,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
