//! The admission, at the moment containerd starts the shim for a container. containerd runs
//! `containerd-shim-weld-v1 -namespace NS -address SOCKET -id ID start` in the container's bundle folder once per
//! container (the runtime v2 shim protocol), before the container is made; what it prints on a failure is the
//! error containerd returns for the container, which `ctr` and the kubelet's events show.
//!
//! A container's root file system is not mounted yet then. A root the spec names by an absolute path (`ctr run
//! --rootfs`) is read where it is; otherwise containerd's API gives the mounts of the container's snapshot, and the
//! entry point is looked up in their folders ([`Layers`]).
//!
//! What is admitted reaches the container through the environment of the shim's server process, which this `start`
//! spawns and the container's process inherits (the guest never sees it). containerd runs one server for all the
//! containers of a Kubernetes pod (grouped by `io.kubernetes.cri.sandbox-id`), started for the pod's sandbox: a
//! pod's networking annotations are the sandbox's, which carries the pod's annotations as its containers do.

use crate::admission::Spec;
use crate::annotations::Asked;
use crate::layers::Layers;
use anyhow::Context as _;
use containerd_client::services::v1::GetContainerRequest;
use containerd_client::services::v1::containers_client::ContainersClient;
use containerd_client::services::v1::snapshots::MountsRequest;
use containerd_client::services::v1::snapshots::snapshots_client::SnapshotsClient;
use containerd_client::tonic::Request;
use containerd_client::types::Mount;
use containerd_client::with_namespace;
use std::ffi::OsString;
use std::path::PathBuf;

/// When the command line `args` (without the program) is containerd's `start`, admits the container or refuses it,
/// and sets weld's annotations in this process's environment ([`Asked::VAR`]) for the server it spawns. Any other command is left alone.
///
/// # Errors
/// The spec or the container's root cannot be read, or [`crate::admission::Refused`].
pub fn admit(args: &[OsString]) -> anyhow::Result<()> {
    let flags = containerd_shim::parse(args).context("cannot read containerd's command line")?;
    if flags.action != "start" {
        return Ok(());
    }
    let bundle = if flags.bundle.is_empty() {
        std::env::current_dir().context("cannot find the container's bundle folder")?
    } else {
        PathBuf::from(&flags.bundle)
    };
    let spec = Spec::read(&bundle)?;
    let root = if spec.is_pod_sandbox() {
        Layers(Vec::new())
    } else if spec.root.path.is_absolute() {
        Layers(vec![spec.root.path.clone()])
    } else {
        snapshot_layers(&flags.address, &flags.namespace, &flags.id)?
    };
    let path = std::env::var("PATH").unwrap_or_default();
    let asked = spec.admit(&root, &path)?;
    // Set even when empty: a value in containerd's own environment must not reach the containers.
    // SAFETY: `main` calls this before the shim library starts any thread.
    unsafe { std::env::set_var(Asked::VAR, asked.to_var()) };
    Ok(())
}

/// The folders of the snapshot of the container `id`: containerd's `Containers.Get`, then the snapshotter's
/// `Mounts` for its snapshot key.
fn snapshot_layers(address: &str, namespace: &str, id: &str) -> anyhow::Result<Layers> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start an async runtime to ask containerd")?;
    let mounts = runtime
        .block_on(async {
            let channel = containerd_client::connect(address).await?;
            let request = GetContainerRequest { id: id.to_owned() };
            let container = ContainersClient::new(channel.clone())
                .get(with_namespace!(request, namespace))
                .await?
                .into_inner()
                .container
                .context("containerd returned no container")?;
            let request = MountsRequest {
                snapshotter: container.snapshotter,
                key: container.snapshot_key,
            };
            let mounts = SnapshotsClient::new(channel)
                .mounts(with_namespace!(request, namespace))
                .await?
                .into_inner()
                .mounts;
            anyhow::Ok(mounts)
        })
        .with_context(|| {
            format!("cannot ask containerd at `{address}` for the root of container `{id}`")
        })?;
    layers_of(&mounts)
}

/// The folders a snapshot's mounts stack, the top one first: a bind mount's source, or an overlay's upper folder
/// then its lower folders.
///
/// # Errors
/// A mount of another kind (a block device, a FUSE file system), whose files cannot be read before it is mounted.
fn layers_of(mounts: &[Mount]) -> anyhow::Result<Layers> {
    let mut layers = Vec::new();
    for mount in mounts {
        match mount.r#type.as_str() {
            "bind" | "rbind" => layers.push(PathBuf::from(&mount.source)),
            "overlay" => {
                let option = |name: &str| {
                    mount
                        .options
                        .iter()
                        .find_map(|o| o.strip_prefix(name)?.strip_prefix('='))
                };
                layers.extend(option("upperdir").map(PathBuf::from));
                if let Some(lower) = option("lowerdir") {
                    layers.extend(lower.split(':').map(PathBuf::from));
                }
            }
            other => anyhow::bail!(
                "the container's root is a `{other}` mount, whose files weld cannot check before it is mounted; \
                 use the overlayfs or native snapshotter"
            ),
        }
    }
    Ok(Layers(layers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(kind: &str, source: &str, options: &[&str]) -> Mount {
        Mount {
            r#type: kind.into(),
            source: source.into(),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            ..Mount::default()
        }
    }

    #[test]
    fn a_snapshots_mounts_are_its_folders_top_first() {
        let overlay = mount(
            "overlay",
            "overlay",
            &[
                "index=off",
                "workdir=/s/3/work",
                "upperdir=/s/3/fs",
                "lowerdir=/s/2/fs:/s/1/fs",
            ],
        );
        let layers = layers_of(&[overlay]).unwrap();
        let expected: Vec<PathBuf> = ["/s/3/fs", "/s/2/fs", "/s/1/fs"].map(PathBuf::from).into();
        assert_eq!(layers.0, expected);
        // A view of one layer, or an empty active snapshot: a bind mount.
        let bind = mount("bind", "/s/1/fs", &["ro", "rbind"]);
        assert_eq!(layers_of(&[bind]).unwrap().0, [PathBuf::from("/s/1/fs")]);
        let err = layers_of(&[mount("ext4", "/dev/mapper/thin-1", &[])]).unwrap_err();
        assert!(err.to_string().contains("`ext4` mount"), "{err}");
    }

    #[test]
    fn other_commands_than_start_are_left_to_the_library() {
        let args: Vec<OsString> = ["-namespace", "k8s.io", "-id", "x", "delete"]
            .map(OsString::from)
            .into();
        admit(&args).unwrap();
    }
}
