//! `weld-files`: how weld reads an input file and writes an output whole.
//!
//! - [`read_file`]: a file of at most [`MAX_INPUT`] bytes; a directory, a device, a larger file or an unreadable
//!   path is an [`Error`] naming the path.
//! - [`wasm_bytes`] and [`read_wasm`]: a WebAssembly binary as is, WAT text compiled to a binary.
//! - [`write_whole`] and [`write_bytes`]: a file written through a temporary file beside it and a rename, so a
//!   reader never sees part of it and a failure leaves nothing behind; every crate of weld writes this way.
//! - [`COMPONENT_MODEL_ASYNC`]: the component-model async extensions weld enables, as data that the validator
//!   (`weld-wit`) and the engine (`weld-runtime`) both read.
//!
//! The crate parses no binary and depends on no version of wasmparser: the runtime takes it beside wasmtime's
//! version line, the WIT crate beside its own. It never prints and never exits.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("add.wat");
//! std::fs::write(&path, "(module (func (export \"add\")))").unwrap();
//! let wasm = weld_files::read_wasm(&path).unwrap();
//! assert!(wasm.starts_with(b"\0asm"));
//! ```

mod error;
mod features;
mod read;
mod wasm;
mod write;

pub use error::{BoxError, Error, Result};
pub use features::{AsyncExtensions, COMPONENT_MODEL_ASYNC};
pub use read::{MAX_INPUT, read_file};
pub use wasm::{looks_like_wat, not_wasm, read_wasm, wasm_bytes};
pub use write::{WriteError, WriteOptions, parent_dir, write_bytes, write_whole};
