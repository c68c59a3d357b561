//! The one way this crate writes a file: a temporary file beside the target, written and synced, then renamed over
//! it, so a reader sees the old file or the whole new one, never part of it.

use crate::error::RegistryError;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically, creating its folder.
///
/// # Errors
/// [`RegistryError::File`] naming the folder or the file that could not be made or written.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| RegistryError::file(dir, e))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| RegistryError::file(dir, e))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| RegistryError::file(path, e))?;
    file.persist(path)
        .map_err(|e| RegistryError::file(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_write_replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/er/file");
        super::write(&path, b"one").unwrap();
        super::write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
