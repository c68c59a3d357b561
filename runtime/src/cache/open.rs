//! Opening the cache's own files so that nothing planted in the cache can block weld: every open is
//! non-blocking (a FIFO opened for reading or writing would otherwise wait for a partner forever), and anything but
//! a regular file is refused as `InvalidData`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Opens the regular file at `path`: for reading, and also for writing when `write` (creating it when `create`).
pub fn regular(path: &Path, write: bool, create: bool) -> std::io::Result<File> {
    let mut options = File::options();
    options.read(true).write(write).create(create);
    non_blocking(&mut options);
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("`{}` is not a regular file", path.display()),
        ));
    }
    Ok(file)
}

/// Opens without waiting for a partner: `O_NONBLOCK`, so a FIFO planted in the cache cannot hang the open.
#[cfg(unix)]
fn non_blocking(options: &mut std::fs::OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.custom_flags(libc::O_NONBLOCK);
}

/// Elsewhere an open does not wait on a FIFO's other end (Windows' named pipes live outside the file system).
#[cfg(not(unix))]
fn non_blocking(_: &mut std::fs::OpenOptions) {}

/// The whole contents of the regular file at `path`.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    regular(path, false, false)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = read(&fifo).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(
            regular(&fifo, true, true).unwrap_err().kind(),
            std::io::ErrorKind::InvalidData
        );
        std::fs::write(dir.path().join("f"), b"x").unwrap();
        assert_eq!(read(&dir.path().join("f")).unwrap(), b"x");
    }
}
