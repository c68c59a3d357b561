//! What the shim reads of a container's whole OCI spec (its bundle's `config.json`) before the container is made:
//! whether it is a pod's sandbox, and weld's annotations ([`crate::annotations`]). containerd-shim-wasm hands the
//! code that runs inside the container only the spec's arguments and environment, so this is read when containerd
//! starts the shim for the container (`containerd-shim-weld-v1 start`, in the bundle's folder).

use crate::annotations::{Asked, BadAnnotation};
use anyhow::Context as _;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The annotation Kubernetes' CRI (containerd's and CRI-O's) sets on every container it creates: `sandbox` for the
/// pod's sandbox (the pause container), `container` for the others.
const CONTAINER_TYPE: &str = "io.kubernetes.cri.container-type";

/// The part of an OCI runtime spec (runtime-spec `config.md`) the shim reads before the container is made.
#[derive(Debug, Default, Deserialize)]
pub struct Spec {
    /// Its annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl Spec {
    /// Reads `config.json` in the bundle folder `bundle`.
    ///
    /// # Errors
    /// The file cannot be read, or is not a runtime spec.
    pub fn read(bundle: &Path) -> anyhow::Result<Spec> {
        let path = bundle.join("config.json");
        let text =
            std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        serde_json::from_slice(&text)
            .with_context(|| format!("`{}` is not an OCI runtime spec", path.display()))
    }

    /// Whether the container is a Kubernetes pod's sandbox.
    pub fn is_pod_sandbox(&self) -> bool {
        self.annotations.get(CONTAINER_TYPE).map(String::as_str) == Some("sandbox")
    }

    /// weld's annotations, checked: ones weld knows, with values their flags take.
    ///
    /// # Errors
    /// [`BadAnnotation`].
    pub fn admit(&self) -> Result<Asked, BadAnnotation> {
        let asked = Asked::from_annotations(&self.annotations)?;
        asked.granted()?;
        Ok(asked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(annotations: &[(&str, &str)]) -> Spec {
        Spec {
            annotations: annotations
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn only_the_cris_sandbox_mark_makes_a_pods_sandbox() {
        assert!(spec(&[(CONTAINER_TYPE, "sandbox")]).is_pod_sandbox());
        assert!(!spec(&[(CONTAINER_TYPE, "container")]).is_pod_sandbox());
        assert!(!spec(&[]).is_pod_sandbox());
    }

    #[test]
    fn welds_annotations_must_be_ones_it_can_take() {
        let asked = spec(&[("weld.dev/allow-net", "127.0.0.1")])
            .admit()
            .unwrap();
        assert!(asked.granted().unwrap().net.is_some());
        let bad = spec(&[("weld.dev/allow-net", "not an address")])
            .admit()
            .unwrap_err();
        assert_eq!(bad.name, "weld.dev/allow-net");
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
        assert_eq!(spec.annotations["weld.dev/allow-net"], "");
        std::fs::write(
            bundle.path().join("config.json"),
            r#"{"annotations":["weld.dev/allow-net"]}"#,
        )
        .unwrap();
        let err = Spec::read(bundle.path()).unwrap_err();
        assert!(
            format!("{err:#}").contains("is not an OCI runtime spec"),
            "{err:#}"
        );
        let err = Spec::read(&bundle.path().join("missing")).unwrap_err();
        assert!(format!("{err:#}").contains("cannot read"), "{err:#}");
    }
}
