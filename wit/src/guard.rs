//! Catching the panics of the wasm-tools crates' decoders and parser, the one place weld-wit catches any.

use crate::error::{Error, Result};
use std::path::Path;

/// Runs a decoder of the wasm-tools crates, turning a panic into [`Error::LibraryPanic`]. Their decoders assume
/// some shapes that the validator accepts and a damaged or hostile file can still have (the property run found
/// one), and weld must answer such a file with an error, not an abort.
pub(crate) fn guarded<T>(path: &Path, decode: impl FnOnce() -> T) -> Result<T> {
    caught(decode).map_err(|message| Error::LibraryPanic {
        path: path.to_path_buf(),
        library: "wit-parser",
        message,
    })
}

/// Runs `work`, catching a panic as its message.
pub(crate) fn caught<T>(work: impl FnOnce() -> T) -> std::result::Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|p| panic_message(&*p))
}

/// The message of a panic's payload.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "no message".to_owned())
}
