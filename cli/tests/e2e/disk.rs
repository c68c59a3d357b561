//! Disk faults: an output directory that is full or read-only. Each gives a clear error naming the file, exit 1,
//! inputs untouched and no temporary file left behind. The directories are small tmpfs mounts made by the test
//! (it needs root, as CI has; elsewhere it says so and skips).

use crate::util::{fixture, weld};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs with `options` (`size=16k`, `ro`), or says why it cannot and returns `None`.
    fn mount(options: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Tmpfs { dir }),
            Ok(out) => {
                skip(&String::from_utf8_lossy(&out.stderr));
                None
            }
            Err(e) => {
                skip(&e.to_string());
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// What the directory holds.
    fn entries(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// `weld compose app --plug greeter -o OUT`.
fn compose_to(out: &Path) -> crate::util::Run {
    weld(crate::util::compose_greet_args(out))
}

fn skip(why: &str) {
    crate::util::missing(&format!(
        "cannot mount a tmpfs for the disk fault tests ({}); it needs root",
        why.trim()
    ));
}

#[test]
fn a_full_disk_is_an_error_and_leaves_nothing_behind() {
    let Some(full) = Tmpfs::mount("size=16k") else {
        return;
    };
    let app = fixture("app");
    let before = std::fs::read(&app).unwrap();
    let out = full.path().join("hello.wasm");
    // The composition does not fit in 16 KiB.
    let err = compose_to(&out).fails();
    assert!(
        err.contains(&format!("failed to write `{}`", out.display()))
            && err.contains("No space left on device"),
        "{err}"
    );
    assert!(
        full.entries().is_empty(),
        "left behind: {:?}",
        full.entries()
    );
    assert_eq!(std::fs::read(&app).unwrap(), before, "the input changed");
}

#[test]
fn a_read_only_directory_is_an_error_and_leaves_nothing_behind() {
    let Some(read_only) = Tmpfs::mount("ro,size=64k") else {
        return;
    };
    let app = fixture("app");
    let err = compose_to(&read_only.path().join("hello.wasm")).fails();
    assert!(
        err.contains(&read_only.path().display().to_string())
            && err.contains("Read-only file system"),
        "{err}"
    );
    let wit_dir = read_only.path().join("wit");
    let err = weld([
        "wit".as_ref(),
        app.as_os_str(),
        "--out-dir".as_ref(),
        wit_dir.as_os_str(),
    ])
    .fails();
    assert!(err.contains("Read-only file system"), "{err}");
    assert!(read_only.entries().is_empty());
}

/// Regression: `-o` onto a symbolic link, a FIFO or a device replaced it with a plain file (as root, `-o /dev/null`
/// turned /dev/null into a file). A link is followed, a FIFO or device is written through, a directory refused.
#[test]
fn an_output_that_is_a_link_a_fifo_or_a_directory_is_written_through_or_refused_never_replaced() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.wasm");
    let link = dir.path().join("link.wasm");
    std::os::unix::fs::symlink("target.wasm", &link).unwrap();
    weld(crate::util::compose_greet_args(&link)).ok();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let composed = std::fs::read(&target).unwrap();
    assert!(composed.starts_with(b"\0asm"));

    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    weld(crate::util::compose_greet_args(&fifo)).ok();
    assert_eq!(reader.join().unwrap(), composed);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );

    let err = weld(crate::util::compose_greet_args(dir.path())).fails();
    assert!(err.contains("is a directory"), "{err}");
}
