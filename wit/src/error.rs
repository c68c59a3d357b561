//! Typed errors of this crate. Each one names the file it is about; the CLI renders them.

use std::path::PathBuf;

/// Everything that can go wrong while reading WIT or a WebAssembly binary.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file or directory could not be read (missing, no permission, ...).
    #[error("failed to read `{}`: {io}", path.display())]
    Read {
        /// The path that could not be read.
        path: PathBuf,
        /// The underlying I/O error, part of the message (not a separate cause, so it is said once).
        io: std::io::Error,
    },
    /// A file was expected but the path is a directory.
    #[error("`{}` is a directory, expected a file", path.display())]
    IsDirectory {
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
    /// WAT text failed to parse; the message carries line and column.
    #[error("invalid WebAssembly text in `{}`:\n{message}", path.display())]
    Wat {
        /// The offending path.
        path: PathBuf,
        /// The rendered parse error.
        message: String,
    },
    /// WIT failed to parse or resolve; the message carries `--> file:line:col` and the source line.
    #[error("invalid WIT in `{}`:\n{message}", path.display())]
    Wit {
        /// The file or directory given.
        path: PathBuf,
        /// The rendered error from wit-parser.
        message: String,
    },
    /// A binary is malformed or its component types could not be decoded.
    #[error("failed to decode `{}`: {message}", path.display())]
    Decode {
        /// The offending path.
        path: PathBuf,
        /// What is wrong, with the byte offset where known.
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
    #[error("`{}`: {message}", path.display())]
    UnknownWorld {
        /// The input.
        path: PathBuf,
        /// The world asked for.
        name: String,
        /// What wit-parser said, with the worlds available.
        message: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
