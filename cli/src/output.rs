//! Writing results: to stdout (never panicking on a closed pipe) or to files, atomically.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `text` to stdout. A closed pipe comes back as an error that `report` treats as a quiet exit.
pub fn print(text: &str) -> Result<()> {
    let mut out = anstream::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("failed to write to stdout")
}

/// Writes `value` to stdout as pretty JSON followed by a newline.
pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).context("failed to serialise JSON")?;
    text.push('\n');
    print(&text)
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, then a rename, so a reader
/// never sees a partial file and a failure leaves nothing behind.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| file.write_all(contents))
}

/// Copies the file `from` to `path` atomically, streaming it (a large file is never held in memory).
pub fn copy_atomic(from: &Path, path: &Path) -> Result<()> {
    let mut source = std::fs::File::open(from)
        .with_context(|| format!("failed to read `{}`", from.display()))?;
    write_atomic_with(path, |file| std::io::copy(&mut source, file).map(drop))
}

/// Fills a temporary file beside `path` with `fill`, syncs it and renames it to `path`.
fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".weld-")
        .permissions(new_file_permissions(path))
        .tempfile_in(dir)
        .with_context(|| format!("failed to create a file in `{}`", dir.display()))?;
    fill(tmp.as_file_mut())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    Ok(())
}

/// A duration in milliseconds with one decimal (`18.1 ms`).
pub fn millis(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
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

/// Writes a set of files (paths relative to `dir`) so that either all of them land or none does: they are written
/// to a fresh temporary directory beside `dir` first, then moved into place one rename each.
pub fn write_tree(dir: &Path, files: &[(PathBuf, String)]) -> Result<Vec<PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!("`{}` exists and is not a directory", dir.display());
    }
    let staging = tempfile::Builder::new()
        .prefix(".weld-")
        .tempdir_in(parent_dir(dir))
        .with_context(|| format!("failed to create a directory beside `{}`", dir.display()))?;
    for (rel, contents) in files {
        let path = staging.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("failed to write `{}`", path.display()))?;
    }
    let mut written = Vec::new();
    for (rel, _) in files {
        let target = dir.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::rename(staging.path().join(rel), &target)
            .with_context(|| format!("failed to write `{}`", target.display()))?;
        written.push(target);
    }
    Ok(written)
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `1 function`, `2 functions`: a count with its noun, plural when it is not one.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A byte count for people: `812 B`, `52.1 KiB`, `10.4 MiB`.
pub fn human_size(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(812), "812 B");
        assert_eq!(human_size(53_350), "52.1 KiB");
        assert_eq!(human_size(10 << 20), "10.0 MiB");
        assert_eq!(
            (count(1, "export"), count(0, "export")),
            ("1 export".into(), "0 exports".into())
        );
    }

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
    }
}
