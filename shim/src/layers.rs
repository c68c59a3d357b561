//! Finding a file in a container's root file system before containerd mounts it. The root is a stack of folders,
//! the top one first: the folder of `ctr run --rootfs`, the one folder of a bind-mounted snapshot, or an overlay
//! snapshot's upper folder and lower folders. A path is looked up as the kernel's overlay file system resolves it
//! (Documentation/filesystems/overlayfs.rst): the top layer holding a name decides it, a whiteout (a character
//! device numbered 0/0) hides the name in the layers below, a folder marked opaque (`trusted.overlay.opaque=y`) hides
//! the same folder below it, and symbolic links resolve inside the root, never outside it.

use std::ffi::{CString, OsString};
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Component, Path, PathBuf};

/// At most this many symbolic links are followed in one lookup, as Linux's `MAXSYMLINKS` (40).
const MAX_LINKS: usize = 40;

/// A container's root file system as a stack of host folders, the top one first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layers(pub Vec<PathBuf>);

impl Layers {
    /// The host path of the file that `path` names inside the root, its symbolic links followed, and its
    /// metadata; `None` when no file is visible there (a missing name, a whiteout, a folder, a file used as a
    /// folder, a loop of links). A relative `path` starts at the root.
    pub fn find(&self, path: &Path) -> Option<(PathBuf, Metadata)> {
        let mut pending: Vec<OsString> = Vec::new();
        push_front(&mut pending, path);
        let mut dir = PathBuf::new();
        let mut visible = self.all();
        let mut links = 0;
        while let Some(name) = pending.pop() {
            if name == "/" || name == ".." {
                if name == "/" {
                    dir = PathBuf::new();
                } else {
                    dir.pop();
                }
                visible = self.visible_dirs(&dir)?;
                continue;
            }
            let (host, meta) = self.entry(&visible, &dir.join(&name))?;
            if meta.file_type().is_symlink() {
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                let target = std::fs::read_link(&host).ok()?;
                push_front(&mut pending, &target);
            } else if meta.is_dir() {
                dir.push(&name);
                visible = self.visible_dirs(&dir)?;
            } else {
                return pending.is_empty().then_some((host, meta));
            }
        }
        None
    }

    fn all(&self) -> Vec<usize> {
        (0..self.0.len()).collect()
    }

    /// The entry `path` (a name in a folder whose copies are `visible`): the top layer's, unless a whiteout hides
    /// it.
    fn entry(&self, visible: &[usize], path: &Path) -> Option<(PathBuf, Metadata)> {
        visible
            .iter()
            .find_map(|&layer| {
                let host = self.0[layer].join(path);
                let meta = std::fs::symlink_metadata(&host).ok()?;
                Some((host, meta))
            })
            .filter(|(_, meta)| !is_whiteout(meta))
    }

    /// The layers whose copy of the folder `dir` (free of links) make up what the root shows there: from the top,
    /// each layer that has it as a folder, down to the first that marks it opaque or has a non-folder there.
    /// `None` when the top entry is not a folder.
    fn visible_dirs(&self, dir: &Path) -> Option<Vec<usize>> {
        let mut visible = self.all();
        let mut walked = PathBuf::new();
        for part in dir.components() {
            walked.push(part);
            let mut next = Vec::new();
            for &layer in &visible {
                let host = self.0[layer].join(&walked);
                let Ok(meta) = std::fs::symlink_metadata(&host) else {
                    continue;
                };
                if !meta.is_dir() {
                    break;
                }
                next.push(layer);
                if is_opaque(&host) {
                    break;
                }
            }
            if next.is_empty() {
                return None;
            }
            visible = next;
        }
        Some(visible)
    }
}

/// Puts `path`'s components in front of `pending` (a stack: the next component is last); an absolute path starts
/// again at the root.
fn push_front(pending: &mut Vec<OsString>, path: &Path) {
    for part in path.components().rev() {
        match part {
            Component::RootDir => pending.push("/".into()),
            Component::Normal(name) => pending.push(name.to_owned()),
            Component::ParentDir => pending.push("..".into()),
            Component::CurDir | Component::Prefix(_) => {}
        }
    }
}

/// A whiteout: a character device numbered 0/0.
fn is_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// Whether the folder `host` carries overlayfs's opaque mark.
fn is_opaque(host: &Path) -> bool {
    let Ok(path) = CString::new(host.as_os_str().as_bytes()) else {
        return false;
    };
    let mut value = [0u8; 1];
    // SAFETY: both strings are NUL-terminated and `value` is a writable buffer of the length passed.
    let len = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            c"trusted.overlay.opaque".as_ptr(),
            value.as_mut_ptr().cast(),
            value.len(),
        )
    };
    len == 1 && value[0] == b'y'
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn layers(count: usize) -> (tempfile::TempDir, Layers) {
        let dir = tempfile::tempdir().unwrap();
        let paths = (0..count)
            .map(|i| {
                let layer = dir.path().join(format!("layer{i}"));
                std::fs::create_dir(&layer).unwrap();
                layer
            })
            .collect();
        (dir, Layers(paths))
    }

    fn write(layer: &Path, path: &str, text: &str) {
        let file = layer.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }

    fn found_text(layers: &Layers, path: &str) -> Option<String> {
        let (host, _) = layers.find(Path::new(path))?;
        std::fs::read_to_string(host).ok()
    }

    #[test]
    fn the_top_layer_holding_a_name_decides_it() {
        let (_dir, root) = layers(2);
        write(&root.0[0], "usr/bin/app", "top");
        write(&root.0[1], "usr/bin/app", "bottom");
        write(&root.0[1], "usr/bin/other", "bottom");
        assert_eq!(found_text(&root, "/usr/bin/app").as_deref(), Some("top"));
        assert_eq!(
            found_text(&root, "usr/bin/other").as_deref(),
            Some("bottom")
        );
        assert_eq!(found_text(&root, "/usr/bin/missing"), None);
    }

    #[test]
    fn links_resolve_inside_the_root_across_layers() {
        let (_dir, root) = layers(2);
        // A merged-/usr image: /bin is a link in the lower layer, the file is in the upper.
        symlink("usr/bin", root.0[1].join("bin")).unwrap();
        write(&root.0[0], "usr/bin/sh", "shell");
        std::fs::create_dir_all(root.0[0].join("opt")).unwrap();
        symlink("/bin/sh", root.0[0].join("opt/sh")).unwrap();
        symlink("../../bin/sh", root.0[0].join("opt/relative")).unwrap();
        // A link that climbs out of the root stays in it.
        symlink("../../../../../../usr/bin/sh", root.0[0].join("opt/climb")).unwrap();
        for path in ["/bin/sh", "/opt/sh", "/opt/relative", "/opt/climb"] {
            assert_eq!(found_text(&root, path).as_deref(), Some("shell"), "{path}");
        }
        symlink("loop", root.0[0].join("loop")).unwrap();
        assert_eq!(root.find(Path::new("/loop")).map(|(p, _)| p), None);
        // A folder is not a file.
        assert_eq!(root.find(Path::new("/usr/bin")).map(|(p, _)| p), None);
    }

    #[test]
    fn whiteouts_and_opaque_folders_hide_what_is_below() {
        let (_dir, root) = layers(2);
        write(&root.0[1], "bin/gone", "bottom");
        write(&root.0[1], "etc/kept", "bottom");
        write(&root.0[1], "opt/hidden", "bottom");
        // A whiteout and the opaque mark need root (mknod, trusted.* attributes), as the crate's tests do.
        // SAFETY: geteuid only reads the process's user id.
        if unsafe { libc::geteuid() } == 0 {
            std::fs::create_dir_all(root.0[0].join("bin")).unwrap();
            let whiteout = CString::new(root.0[0].join("bin/gone").as_os_str().as_bytes()).unwrap();
            // SAFETY: a NUL-terminated path; mknod creates a file or fails.
            let made = unsafe { libc::mknod(whiteout.as_ptr(), libc::S_IFCHR, 0) };
            assert_eq!(made, 0, "{}", std::io::Error::last_os_error());
            assert_eq!(found_text(&root, "/bin/gone"), None);
            write(&root.0[0], "opt/new", "top");
            let opt = CString::new(root.0[0].join("opt").as_os_str().as_bytes()).unwrap();
            // SAFETY: NUL-terminated strings and a one-byte value of the length passed.
            let set = unsafe {
                libc::lsetxattr(
                    opt.as_ptr(),
                    c"trusted.overlay.opaque".as_ptr(),
                    b"y".as_ptr().cast(),
                    1,
                    0,
                )
            };
            assert_eq!(set, 0, "{}", std::io::Error::last_os_error());
            assert_eq!(found_text(&root, "/opt/hidden"), None);
            assert_eq!(found_text(&root, "/opt/new").as_deref(), Some("top"));
        }
        // A file in the upper layer where the lower has a folder: the folder's files are gone.
        write(&root.0[0], "etc", "a file now");
        assert_eq!(found_text(&root, "/etc/kept"), None);
        assert_eq!(found_text(&root, "/etc").as_deref(), Some("a file now"));
    }
}
