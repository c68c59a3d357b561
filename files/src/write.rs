//! Writing a file whole: a temporary file beside it, filled, then renamed over it, so a reader sees the old file
//! or the whole new one, never part of it, and a failure leaves nothing behind.

use std::fs::{File, Permissions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// How [`write_whole`] writes.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The file's permissions; `None`: the temporary file's own (owner read and write, 0600 on Unix).
    pub permissions: Option<Permissions>,
    /// Sync the contents to disk before the rename, so that a crash leaves the old file or the whole new one;
    /// without it (a cache whose entries carry their own checksums) the rename alone is atomic for readers.
    pub sync: bool,
    /// Create the target's folder (and its parents) when it is missing.
    pub create_dir: bool,
}

/// Why a file could not be written whole. Nothing is left behind either way.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The temporary file could not be made in the target's folder (missing, read-only, full).
    #[error("failed to create a file in `{}`", dir.display())]
    Create {
        /// The folder.
        dir: PathBuf,
        /// The I/O error, without the temporary file's name (weld's own, not the user's).
        #[source]
        source: std::io::Error,
    },
    /// Filling, syncing or renaming the file failed.
    #[error("failed to write `{}`", path.display())]
    Write {
        /// The target.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The folder `path` is in: its parent, or `.` for a bare file name.
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `path` whole: a temporary file named `.weld-*` in its folder is filled by `fill`, synced if asked, and
/// renamed over `path`. Returns the written file, open, so that its metadata is the one written even if another
/// file is renamed to `path` meanwhile. `path` is written as named: a symbolic link there is replaced, not
/// followed (a caller that means to follow links resolves them first).
///
/// # Errors
/// [`WriteError::Create`] naming the folder, [`WriteError::Write`] naming `path`.
pub fn write_whole(
    path: &Path,
    options: &WriteOptions,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<File, WriteError> {
    let dir = parent_dir(path);
    let create = |source| WriteError::Create {
        dir: dir.to_path_buf(),
        source: without_temp_path(source),
    };
    let write = |source| WriteError::Write {
        path: path.to_path_buf(),
        source,
    };
    if options.create_dir {
        std::fs::create_dir_all(dir).map_err(create)?;
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".weld-");
    if let Some(permissions) = &options.permissions {
        builder.permissions(permissions.clone());
    }
    let mut temp = builder.tempfile_in(dir).map_err(create)?;
    fill(temp.as_file_mut()).map_err(write)?;
    if options.sync {
        temp.as_file().sync_all().map_err(write)?;
    }
    temp.persist(path).map_err(|e| write(e.error))
}

/// [`write_whole`] of `bytes`.
pub fn write_bytes(path: &Path, options: &WriteOptions, bytes: &[u8]) -> Result<File, WriteError> {
    write_whole(path, options, |file| file.write_all(bytes))
}

/// An error of tempfile's without the temporary file's name it appends (`... at path "dir/.weld-XXXX"`, tempfile's
/// `PathError`, whose cause it does not expose): the name is weld's own, the folder is in the message around it.
fn without_temp_path(err: std::io::Error) -> std::io::Error {
    let text = err.to_string();
    match text.split_once(" at path \"") {
        Some((message, _)) => std::io::Error::new(err.kind(), message.to_owned()),
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/er/file");
        let options = WriteOptions {
            create_dir: true,
            sync: true,
            ..WriteOptions::default()
        };
        write_bytes(&path, &options, b"one").unwrap();
        let file = write_bytes(&path, &options, b"two").unwrap();
        assert_eq!(file.metadata().unwrap().len(), 3);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_missing_folder_is_named_without_the_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/file");
        let err = write_bytes(&path, &WriteOptions::default(), b"x").unwrap_err();
        let WriteError::Create { dir: named, source } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(named, &dir.path().join("missing"));
        assert!(!source.to_string().contains(".weld-"), "{source}");
    }

    #[test]
    fn a_failed_fill_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        std::fs::write(&path, b"old").unwrap();
        let err = write_whole(&path, &WriteOptions::default(), |_| {
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(matches!(err, WriteError::Write { .. }));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
