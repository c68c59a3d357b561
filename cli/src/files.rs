//! Writing files: atomically (a temporary file, then a rename), never a partial output, and never replacing a
//! link, a FIFO or a device with a file; sets of files that land all or none.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Makes a write past the file-size limit (`ulimit -f`, `RLIMIT_FSIZE`) fail with `EFBIG` instead of killing
/// weld with `SIGXFSZ`, so the write's error is reported like any other (the compiled-code cache only warns, and
/// the run goes on) and its temporary file is removed. `main` calls it once, first. An ignored signal stays
/// ignored across `exec`, so the programs weld starts (Docker credential helpers) get the same: their oversized
/// writes fail rather than kill them.
pub fn errors_for_oversized_writes() {
    // SAFETY: called before any thread starts; SIG_IGN installs no handler, only the disposition of one signal
    // changes, for the whole process.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, then a rename, so a reader
/// never sees a partial file and a failure leaves nothing behind.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| file.write_all(contents))
}

/// Writes `contents` to `path` atomically, readable and writable by the owner only (mode 0600): for private keys.
pub fn write_atomic_private(path: &Path, contents: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    write_atomic_mode(path, std::fs::Permissions::from_mode(0o600), |file| {
        file.write_all(contents)
    })
}

/// Copies the file `from` to `path` atomically, streaming it (a large file is never held in memory).
pub fn copy_atomic(from: &Path, path: &Path) -> Result<()> {
    let mut source = std::fs::File::open(from)
        .with_context(|| format!("failed to read `{}`", from.display()))?;
    write_atomic_with(path, |file| std::io::copy(&mut source, file).map(drop))
}

/// Fills a temporary file beside `path` with `fill`, syncs it and renames it to `path`.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    write_atomic_mode(path, new_file_permissions(path), fill)
}

/// [`write_atomic_with`] with the file's permissions given.
///
/// What is at `path` decides how: a symbolic link is followed (its target is replaced, the link stays); a device,
/// a FIFO or a socket is written to as it is (`-o /dev/stdout`, `-o /dev/null`), never replaced by a file; a
/// directory is refused.
fn write_atomic_mode(
    path: &Path,
    permissions: std::fs::Permissions,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => resolve_link(path)?,
        _ => path.to_path_buf(),
    };
    let path = target.as_path();
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            anyhow::bail!("cannot write `{}`: it is a directory", path.display())
        }
        Ok(meta) if !meta.is_file() => {
            // A device, a FIFO or a socket: written through, as a shell redirection would.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("failed to open `{}`", path.display()))?;
            return fill(&mut file)
                .with_context(|| format!("failed to write `{}`", path.display()));
        }
        _ => {}
    }
    let options = weld_files::WriteOptions {
        permissions: Some(permissions),
        sync: true,
        create_dir: false,
    };
    weld_files::write_whole(path, &options, |file| {
        fill(file)?;
        fail_point("write");
        Ok(())
    })?;
    Ok(())
}

/// Where the symbolic link `path` leads, followed to the end (the last target may not exist yet: it is created).
fn resolve_link(path: &Path) -> Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let next = std::fs::read_link(&at)
                    .with_context(|| format!("failed to read the link `{}`", at.display()))?;
                at = weld_files::parent_dir(&at).join(next);
            }
            _ => return Ok(at),
        }
    }
    anyhow::bail!(
        "cannot write `{}`: too many levels of symbolic links",
        path.display()
    )
}

/// The mode a written file gets: that of the file it replaces, else what any new file gets (0666 less the umask,
/// which the system applies), not the owner-only mode of a temporary file.
fn new_file_permissions(path: &Path) -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta.permissions(),
        _ => std::fs::Permissions::from_mode(0o666),
    }
}

/// Writes a set of files (paths relative to `dir`) so that either all of them land or none does.
///
/// Every file is first written to a fresh temporary directory beside `dir`. If `dir` does not exist, that directory
/// becomes `dir` with one rename: atomic, even across a crash. If it exists, its other files are kept, so each file
/// is moved in by a rename of its own, the file it replaces set aside first; if any step fails, the files moved in
/// are taken out and the ones set aside put back, and `dir` is as it was. Only a crash between those renames (a
/// kill, a power cut) can leave part of the set in an existing `dir`.
pub fn write_tree(dir: &Path, files: &[(PathBuf, String)]) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!("`{}` exists and is not a directory", dir.display());
    }
    let beside = |what: &str| {
        tempfile::Builder::new()
            .prefix(".weld-")
            .tempdir_in(weld_files::parent_dir(dir))
            .with_context(|| {
                format!(
                    "failed to create a {what} directory beside `{}`",
                    dir.display()
                )
            })
    };
    let staging = beside("staging")?;
    for (rel, contents) in files {
        let path = staging.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("failed to write `{}`", dir.join(rel).display()))?;
    }
    fail_point("write-tree");
    let written: Vec<PathBuf> = files.iter().map(|(rel, _)| dir.join(rel)).collect();
    if !dir.exists() {
        std::fs::rename(staging.path(), dir)
            .with_context(|| format!("failed to write `{}`", dir.display()))?;
        // Renamed away: nothing left for the guard to remove.
        let _ = staging.keep();
        return Ok(written);
    }
    let set_aside = beside("backup")?;
    let mut moves = Moves::default();
    for (rel, _) in files {
        if let Err(err) = moves.swap_in(staging.path(), set_aside.path(), dir, rel) {
            moves.undo(set_aside.path(), dir);
            return Err(err);
        }
    }
    Ok(written)
}

/// A test hook of debug builds: with `WELD_FAIL_POINT=<name>`, weld panics at the point of that name (`write`:
/// an output written but not yet renamed into place; `write-tree`: a WIT package staged), so the tests can show
/// that even a panic leaves no output behind. Release builds have no such hook.
fn fail_point(name: &str) {
    if cfg!(debug_assertions) && std::env::var("WELD_FAIL_POINT").is_ok_and(|v| v == name) {
        panic!("fail point `{name}` reached (WELD_FAIL_POINT)");
    }
}

/// What [`write_tree`] has changed in an existing directory, so that it can be undone.
#[derive(Default)]
struct Moves {
    /// Files moved in, each with whether the file it replaced was set aside.
    moved: Vec<(PathBuf, bool)>,
    /// Directories created for them, outermost first.
    created: Vec<PathBuf>,
}

impl Moves {
    /// Moves `rel` from `staging` into `dir`, setting aside into `backup` the file it replaces.
    fn swap_in(&mut self, staging: &Path, backup: &Path, dir: &Path, rel: &Path) -> Result<()> {
        let target = dir.join(rel);
        if let Some(parent) = target.parent() {
            let mut missing: Vec<&Path> = parent.ancestors().take_while(|p| !p.exists()).collect();
            missing.reverse();
            for new in missing {
                std::fs::create_dir(new)
                    .with_context(|| format!("failed to create `{}`", new.display()))?;
                self.created.push(new.to_path_buf());
            }
        }
        let replaced = target.exists();
        if replaced {
            let aside = backup.join(rel);
            if let Some(parent) = aside.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("failed to create `{}`", parent.display()))?;
            }
            std::fs::rename(&target, &aside)
                .with_context(|| format!("failed to replace `{}`", target.display()))?;
        }
        if let Err(err) = std::fs::rename(staging.join(rel), &target) {
            if replaced {
                let _ = std::fs::rename(backup.join(rel), &target);
            }
            return Err(err).with_context(|| format!("failed to write `{}`", target.display()));
        }
        self.moved.push((rel.to_path_buf(), replaced));
        Ok(())
    }

    /// Takes out what was moved in, puts back what was set aside, removes the directories made: best effort, as
    /// the first error is what gets reported.
    fn undo(self, backup: &Path, dir: &Path) {
        for (rel, replaced) in self.moved.iter().rev() {
            let target = dir.join(rel);
            let _ = std::fs::remove_file(&target);
            if *replaced {
                let _ = std::fs::rename(backup.join(rel), &target);
            }
        }
        for created in self.created.iter().rev() {
            let _ = std::fs::remove_dir(created);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_and_leave_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.wit");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn written_files_get_a_normal_mode_or_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.wasm");
        write_atomic(&path, b"one").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .map(|m| u32::from_str_radix(m.trim(), 8).unwrap())
            .unwrap();
        assert_eq!(mode, 0o666 & !umask, "the mode of any new file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_tree_lands_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pkg");
        let files = vec![
            (PathBuf::from("a.wit"), "package a:a;\n".to_string()),
            (PathBuf::from("deps/b.wit"), "package b:b;\n".to_string()),
        ];
        let written = write_tree(&out, &files).unwrap();
        assert_eq!(written.len(), 2);
        assert!(out.join("deps/b.wit").is_file());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "staging dir removed"
        );
        // Into the existing directory: replaced, and the staging and backup directories gone.
        let files = vec![(PathBuf::from("a.wit"), "package a:a@2.0.0;\n".to_string())];
        write_tree(&out, &files).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("a.wit")).unwrap(),
            "package a:a@2.0.0;\n"
        );
        assert!(out.join("deps/b.wit").is_file(), "other files are kept");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_tree_that_cannot_land_whole_leaves_the_directory_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pkg");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("a.wit"), "old").unwrap();
        // `deps` is a file, so `deps/b.wit` cannot be moved in after `a.wit` and `new/c.wit` were.
        std::fs::write(out.join("deps"), "in the way").unwrap();
        let files = vec![
            (PathBuf::from("a.wit"), "new".to_string()),
            (PathBuf::from("new/c.wit"), "new".to_string()),
            (PathBuf::from("deps/b.wit"), "new".to_string()),
        ];
        let err = write_tree(&out, &files).unwrap_err();
        assert!(format!("{err:#}").contains("deps"), "{err:#}");
        assert_eq!(std::fs::read_to_string(out.join("a.wit")).unwrap(), "old");
        assert!(
            !out.join("new").exists(),
            "directories made for the set are removed"
        );
        let mut left: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["a.wit", "deps"]);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no staging or backup directory left"
        );
    }
}
