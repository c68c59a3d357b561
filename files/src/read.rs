//! Reading a file of bounded size.

use crate::error::{Error, Result};
use std::path::Path;

/// The most bytes weld reads as one input file: 1 GiB. The largest components today's toolchains make (CPython,
/// StarlingMonkey, .NET runtimes inside) are tens of MB; a bound keeps a device such as `/dev/zero`, or a wrong
/// path to a disk image, from filling memory.
pub const MAX_INPUT: u64 = 1 << 30;

/// True for a character or block device. Only Unix has them; elsewhere nothing is one (the size bound still
/// applies to what is read).
#[cfg(unix)]
fn is_device(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_char_device() || kind.is_block_device()
}

/// See the Unix version: no devices elsewhere.
#[cfg(not(unix))]
fn is_device(_: &std::fs::FileType) -> bool {
    false
}

/// Reads a file that must be a file of at most [`MAX_INPUT`] bytes (a pipe is read too, up to that bound): a
/// directory, a device (`/dev/zero`), a larger file or pipe, or an unreadable path is an error naming it.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let read_err = |io| Error::Read {
        path: path.to_path_buf(),
        io,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.is_dir() {
        return Err(Error::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    if is_device(&meta.file_type()) {
        return Err(Error::Device {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > MAX_INPUT {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len().min(MAX_INPUT + 1) as usize);
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_INPUT + 1).read_to_end(&mut bytes))
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_a_device_and_a_missing_path_are_named_for_what_they_are() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_file(dir.path()),
            Err(Error::IsDirectory { .. })
        ));
        let missing = dir.path().join("missing.wasm");
        match read_file(&missing) {
            Err(Error::Read { path, io }) => {
                assert_eq!(path, missing);
                assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("{other:?}"),
        }
        #[cfg(unix)]
        assert!(matches!(
            read_file(Path::new("/dev/zero")),
            Err(Error::Device { .. })
        ));
    }

    #[test]
    fn a_file_over_the_bound_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.wasm");
        // Sparse: no gigabyte is written.
        std::fs::File::create(&path)
            .unwrap()
            .set_len(MAX_INPUT + 1)
            .unwrap();
        assert!(matches!(read_file(&path), Err(Error::TooLarge { .. })));
        std::fs::File::create(&path).unwrap().set_len(3).unwrap();
        assert_eq!(read_file(&path).unwrap(), [0, 0, 0]);
    }
}
