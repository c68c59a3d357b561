//! Typed errors of reading an input. Each one names the file it is about; the CLI renders them.

use std::path::PathBuf;

/// A boxed error from a library that has no typed error of its own (anyhow, wasmtime, a parser): its causes stay
/// reachable through [`std::error::Error::source`]. weld's one definition; the other crates re-export it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a file could not be read as input, or is not WebAssembly.
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
        /// The parser's error (`wat::Error`), rendered with the line and column.
        #[source]
        source: BoxError,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
