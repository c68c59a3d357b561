//! How a compose file's components become bytes: the caller decides, as wac-resolver lets wac's callers decide.
//! weld's CLI resolves `oci://` references through its registry client and everything else as a file; an embedder
//! may read from memory, a build system's outputs or its own store.

use std::path::Path;
use weld_wit::BoxError;

/// Finds the component a compose file names.
pub trait Resolver {
    /// The bytes of the component `reference` names (a value of `[components]`, as written), for a compose file in
    /// the folder `base` (relative paths are relative to it). WAT text is the resolver's to compile.
    ///
    /// # Errors
    /// Whatever stops it; the error becomes the cause of a diagnostic that points at the value.
    fn resolve(&self, reference: &str, base: &Path) -> Result<Vec<u8>, BoxError>;
}

/// Resolves every reference as a file path (`.wasm`, or `.wat` compiled), relative to the compose file.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileResolver;

impl Resolver for FileResolver {
    fn resolve(&self, reference: &str, base: &Path) -> Result<Vec<u8>, BoxError> {
        Ok(weld_files::read_wasm(&base.join(reference))?)
    }
}
