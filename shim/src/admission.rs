//! What the shim decides from a container's whole OCI spec (its bundle's `config.json`) before the container is
//! made: whether it may run under weld at all (only Wasm, and a pod's sandbox), and whether weld can take its
//! annotations ([`crate::annotations`]). containerd-shim-wasm hands the code that runs inside the container only the spec's arguments and
//! environment, so this is decided when containerd starts the shim for the container (`containerd-shim-weld-v1
//! start`, run in the bundle's folder), where the spec is at hand.

use crate::annotations::{Asked, BadAnnotation};
use crate::layers::Layers;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
/// The annotation Kubernetes' CRI (containerd's and CRI-O's) sets on every container it creates: `sandbox` for the
/// pod's sandbox (the pause container), `container` for the others.
const CONTAINER_TYPE: &str = "io.kubernetes.cri.container-type";

/// The part of an OCI runtime spec (runtime-spec `config.md`) the admission reads.
#[derive(Debug, Default, Deserialize)]
pub struct Spec {
    /// The container's process.
    #[serde(default)]
    pub process: Process,
    /// Its root file system.
    #[serde(default)]
    pub root: Root,
    /// Its annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// The spec's `process`.
#[derive(Debug, Default, Deserialize)]
pub struct Process {
    /// `args`: the first is the entry point.
    #[serde(default)]
    pub args: Vec<String>,
    /// `cwd`: the folder a relative entry point is found from.
    #[serde(default)]
    pub cwd: String,
}

/// The spec's `root`.
#[derive(Debug, Default, Deserialize)]
pub struct Root {
    /// `path`: the root file system, absolute or relative to the bundle.
    #[serde(default)]
    pub path: PathBuf,
}

/// Why a container may not run under weld.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Its entry point is a native program (an ELF file or a `#!` script), and it is not a pod's sandbox.
    #[error(
        "the container's entry point `{entry}` is a native program, not WebAssembly: the runtime io.containerd.weld.v1 runs only Wasm components and modules (and a Kubernetes pod's sandbox)"
    )]
    Native {
        /// The entry point as the spec names it.
        entry: String,
    },
    /// One of weld's annotations cannot be taken.
    #[error(transparent)]
    Annotation(#[from] BadAnnotation),
}

impl Spec {
    /// Reads `config.json` in the bundle folder `bundle`.
    ///
    /// # Errors
    /// The file cannot be read, or is not a runtime spec.
    pub fn read(bundle: &Path) -> anyhow::Result<Spec> {
        let path = bundle.join("config.json");
        let text = std::fs::read(&path).map_err(|err| {
            anyhow::anyhow!(err).context(format!("cannot read `{}`", path.display()))
        })?;
        serde_json::from_slice(&text).map_err(|err| {
            anyhow::anyhow!(err).context(format!("`{}` is not an OCI runtime spec", path.display()))
        })
    }

    /// Whether the container is a Kubernetes pod's sandbox.
    pub fn is_pod_sandbox(&self) -> bool {
        self.annotations.get(CONTAINER_TYPE).map(String::as_str) == Some("sandbox")
    }

    /// Admits the container whose root file system is `root`, where `path` (the shim's own `PATH`) finds an
    /// entry point without a `/`, and returns weld's annotations. A native entry point is refused unless the
    /// container is a pod's sandbox; weld's annotations must be ones it knows, with values its flags take.
    ///
    /// # Errors
    /// [`Refused`].
    pub fn admit(&self, root: &Layers, path: &str) -> Result<Asked, Refused> {
        if let Some(entry) = self.process.args.first()
            && !self.is_pod_sandbox()
            && is_native(root, entry, &self.process.cwd, path)
        {
            return Err(Refused::Native {
                entry: entry.clone(),
            });
        }
        let asked = Asked::from_annotations(&self.annotations)?;
        asked.granted()?;
        Ok(asked)
    }
}

/// Whether the entry point `entry` would run as a native program: containerd-shim-wasm's own rule (its
/// `is_linux_container`), which it applies inside the container before weld's code is asked. An entry point with
/// a `/` is found from `cwd`, one without in the folders of `path`; the first file found whose mode lets anyone
/// execute it decides, and it is native when it starts with ELF's magic number or `#!`. A `#func` ending names a
/// function, not a file.
fn is_native(root: &Layers, entry: &str, cwd: &str, path: &str) -> bool {
    let file = entry.split_once('#').map_or(entry, |(file, _)| file);
    if file.is_empty() {
        return false;
    }
    let cwd = Path::new("/").join(cwd);
    let candidates: Vec<PathBuf> = if file.contains('/') {
        vec![cwd.join(file)]
    } else {
        std::env::split_paths(path)
            .map(|dir| cwd.join(dir).join(file))
            .collect()
    };
    let Some((host, _)) = candidates.iter().find_map(|candidate| {
        root.find(candidate)
            .filter(|(_, meta)| meta.permissions().mode() & 0o001 != 0)
    }) else {
        return false;
    };
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(host).and_then(|mut file| file.read_exact(&mut magic));
    read.is_ok() && (magic == *b"\x7fELF" || magic.starts_with(b"#!"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotations::ALLOW_NET;
    use std::os::unix::fs::symlink;

    const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

    fn root_with(files: &[(&str, &[u8], u32)]) -> (tempfile::TempDir, Layers) {
        let dir = tempfile::tempdir().unwrap();
        for (path, bytes, mode) in files {
            let file = dir.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, bytes).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(*mode)).unwrap();
        }
        let layers = Layers(vec![dir.path().to_owned()]);
        (dir, layers)
    }

    fn spec(args: &[&str], annotations: &[(&str, &str)]) -> Spec {
        Spec {
            process: Process {
                args: args.iter().map(|a| (*a).to_owned()).collect(),
                cwd: "/".into(),
            },
            annotations: annotations
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Spec::default()
        }
    }

    #[test]
    fn a_native_entry_point_is_refused_unless_the_container_is_a_pods_sandbox() {
        let (_dir, root) = root_with(&[
            ("pause", b"\x7fELF\x02\x01", 0o755),
            ("usr/bin/app", b"#!/bin/sh\necho hi\n", 0o755),
            ("hello.wasm", b"\0asm\x0d\0\x01\0", 0o755),
        ]);
        symlink("usr/bin", root.0[0].join("bin")).unwrap();
        for entry in ["/pause", "app", "/bin/app", "bin/app#main"] {
            let refused = spec(&[entry], &[]).admit(&root, PATH).unwrap_err();
            assert!(
                matches!(&refused, Refused::Native { entry: e } if e == entry),
                "{refused}"
            );
        }
        let sandbox = spec(&["/pause"], &[(CONTAINER_TYPE, "sandbox")]);
        assert!(sandbox.admit(&root, PATH).is_ok());
        let container = spec(&["/pause"], &[(CONTAINER_TYPE, "container")]);
        assert!(container.admit(&root, PATH).is_err());
        // Wasm, a missing file (a Wasm artifact's root is empty) and no entry point are for the library to judge.
        for args in [&["/hello.wasm"][..], &["hello.wasm"], &["/missing"], &[]] {
            assert!(spec(args, &[]).admit(&root, PATH).is_ok(), "{args:?}");
        }
    }

    #[test]
    fn a_file_nobody_may_execute_is_not_run_natively() {
        // containerd-shim-wasm runs as native only a file whose mode lets others execute it.
        let (_dir, root) = root_with(&[("tool", b"\x7fELF", 0o750)]);
        assert!(spec(&["/tool"], &[]).admit(&root, PATH).is_ok());
    }

    #[test]
    fn welds_annotations_must_be_ones_it_can_take() {
        let (_dir, root) = root_with(&[]);
        let asked = spec(&[], &[(ALLOW_NET, "127.0.0.1")])
            .admit(&root, PATH)
            .unwrap();
        assert!(asked.granted().unwrap().net.is_some());
        let bad = spec(&[], &[(ALLOW_NET, "not an address")])
            .admit(&root, PATH)
            .unwrap_err();
        assert!(
            matches!(&bad, Refused::Annotation(b) if b.name == ALLOW_NET),
            "{bad}"
        );
    }

    #[test]
    fn the_spec_is_read_from_the_bundle() {
        let bundle = tempfile::tempdir().unwrap();
        std::fs::write(
            bundle.path().join("config.json"),
            r#"{"ociVersion":"1.0.2","process":{"args":["/hello.wasm"],"cwd":"/"},"root":{"path":"rootfs"},
               "annotations":{"weld.dev/allow-net":""}}"#,
        )
        .unwrap();
        let spec = Spec::read(bundle.path()).unwrap();
        assert_eq!(spec.process.args, ["/hello.wasm"]);
        assert_eq!(spec.root.path, Path::new("rootfs"));
        assert_eq!(spec.annotations["weld.dev/allow-net"], "");
        std::fs::write(
            bundle.path().join("config.json"),
            r#"{"process":{"args":"/hello.wasm"}}"#,
        )
        .unwrap();
        let err = Spec::read(bundle.path()).unwrap_err();
        assert!(
            format!("{err:#}").contains("is not an OCI runtime spec"),
            "{err:#}"
        );
    }
}
