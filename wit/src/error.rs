//! Typed errors of this crate. Each one names the file it is about; the CLI renders them.

use crate::diagnostic::BoxError;
#[cfg(doc)]
use crate::diagnostic::SourceError;
use std::path::PathBuf;

/// Everything that can go wrong while reading WIT or a WebAssembly binary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file or directory could not be read (missing, no permission, ...).
    #[error("failed to read `{}`", path.display())]
    Read {
        /// The path that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        io: std::io::Error,
    },
    /// A file was expected but the path is a directory.
    #[error("`{}` is a directory, expected a file", path.display())]
    IsDirectory {
        /// The offending path.
        path: PathBuf,
    },
    /// The path is a character or block device (`/dev/zero`, a disk), not a file.
    #[error("`{}` is a device, not a file", path.display())]
    Device {
        /// The offending path.
        path: PathBuf,
    },
    /// The file or pipe is larger than any input weld reads ([`crate::MAX_INPUT`]).
    #[error("`{}` is larger than {} GiB, the most weld reads as one input", path.display(), crate::MAX_INPUT >> 30)]
    TooLarge {
        /// The offending path.
        path: PathBuf,
    },
    /// The file is empty.
    #[error("`{}` is empty: expected a WebAssembly binary, WAT text or WIT text", path.display())]
    Empty {
        /// The offending path.
        path: PathBuf,
    },
    /// The bytes are neither a WebAssembly binary nor text weld understands.
    #[error("`{}` is not WebAssembly: {reason}", path.display())]
    UnknownFormat {
        /// The offending path.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The bytes are an ELF file, as precompiled code (`.cwasm`, what `weld compile` and `wasmtime compile` write)
    /// is, where WebAssembly was wanted.
    #[error(
        "`{}` is not WebAssembly: it is an ELF file, as precompiled code (.cwasm) is, and this command reads \
         WebAssembly",
        path.display()
    )]
    Precompiled {
        /// The offending path.
        path: PathBuf,
    },
    /// WAT text failed to parse; the cause carries line, column and the source line.
    #[error("invalid WebAssembly text in `{}`", path.display())]
    Wat {
        /// The offending path.
        path: PathBuf,
        /// The parser's error (`wat::Error` or `wast::Error`), rendered with the line and column.
        #[source]
        source: BoxError,
    },
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
