//! The one way this crate writes a file: whole, synced, through weld-files' writer.

use crate::error::RegistryError;
use std::path::Path;

/// Writes `bytes` to `path` whole, synced, its folder made if need be ([`weld_files::write_bytes`]): the one way
/// this crate writes a file.
///
/// # Errors
/// [`RegistryError::File`] naming the folder or the file that could not be made or written.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    let options = weld_files::WriteOptions {
        create_dir: true,
        sync: true,
        ..weld_files::WriteOptions::default()
    };
    match weld_files::write_bytes(path, &options, bytes) {
        Ok(_) => Ok(()),
        Err(weld_files::WriteError::Create { dir, source }) => {
            Err(RegistryError::file(dir, source))
        }
        Err(weld_files::WriteError::Write { path, source }) => {
            Err(RegistryError::file(path, source))
        }
    }
}
