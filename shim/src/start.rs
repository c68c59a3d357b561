//! What the shim does before containerd-shim-wasm takes over its command line:
//! - at `start`: containerd runs `containerd-shim-weld-v1 -namespace NS -address SOCKET -id ID start` in the
//!   container's bundle folder, before the container is made, and returns what it prints on a failure as the
//!   container's error (which `ctr` and the kubelet's events show). The shim reads the bundle's spec there: weld's
//!   annotations must be ones it can take, and whether the container is a pod's sandbox.
//! - as the server (no command): the guard that lets only Wasm run ([`crate::exec_guard`]).
//!
//! What `start` decides reaches the containers through the environment of the server process it spawns, which the
//! containers' processes inherit (the guest never sees it). containerd runs one server for all the containers of a
//! Kubernetes pod, started for the pod's sandbox (by the `io.kubernetes.cri.sandbox-id` grouping up to containerd
//! 1.7; on containerd 2 the pod's containers are created in the sandbox's server without a `start` of their own): a
//! pod's weld annotations are the sandbox's, which carries the pod's annotations as its containers do.

use crate::admission::Spec;
use crate::annotations::Asked;
use crate::exec_guard;
use anyhow::Context as _;
use containerd_shimkit::sandbox::InstanceConfig;
use std::ffi::OsString;
use std::path::PathBuf;

/// Acts on containerd's command line `args` (without the program): admits the container at `start`, installs the
/// guard in the server. `-v` and `-info` are left alone.
///
/// # Errors
/// At `start`: the spec cannot be read, or an annotation cannot be taken. As the server: the kernel refuses the
/// guard.
pub fn prepare(args: &[OsString]) -> anyhow::Result<()> {
    let flags = containerd_shim::parse(args).context("cannot read containerd's command line")?;
    match flags.action.as_str() {
        "start" => {
            let bundle = if flags.bundle.is_empty() {
                std::env::current_dir().context("cannot find the container's bundle folder")?
            } else {
                PathBuf::from(&flags.bundle)
            };
            admit(bundle, &flags.namespace, &flags.id)
        }
        "" if !flags.version && !flags.info => {
            let listener = exec_guard::install().context(
                "cannot install the guard that lets only WebAssembly run (a seccomp user notification filter: \
                 Linux 5.5 or later, and root)",
            )?;
            let sandbox = std::env::var_os(exec_guard::SANDBOX_STATE).map(PathBuf::from);
            exec_guard::keep_from_zygote(&listener);
            exec_guard::supervise(listener, sandbox);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Checks the spec of the container `id` in `bundle` and leaves what the server it spawns needs in this process's
/// environment ([`admitted`]).
fn admit(bundle: PathBuf, namespace: &str, id: &str) -> anyhow::Result<()> {
    let (asked, sandbox) = admitted(bundle, namespace, id)?;
    // Set or taken out, always: a value in containerd's own environment must not reach the server.
    // SAFETY: `main` calls this before the shim library starts any thread.
    unsafe {
        std::env::set_var(Asked::VAR, asked.to_var());
        match sandbox {
            Some(state) => std::env::set_var(exec_guard::SANDBOX_STATE, state),
            None => std::env::remove_var(exec_guard::SANDBOX_STATE),
        }
    }
    Ok(())
}

/// What the server needs of the container `id` in `bundle`: weld's annotations ([`Asked::VAR`]) and, for a pod's
/// sandbox, where its first process's id will be ([`exec_guard::SANDBOX_STATE`]: youki's state file, in the root
/// folder containerd-shim-wasm gives the container).
fn admitted(
    bundle: PathBuf,
    namespace: &str,
    id: &str,
) -> anyhow::Result<(Asked, Option<PathBuf>)> {
    let spec = Spec::read(&bundle)?;
    let asked = spec.admit()?;
    let sandbox = if spec.is_pod_sandbox() {
        let config = InstanceConfig {
            bundle,
            namespace: namespace.to_owned(),
            ..InstanceConfig::default()
        };
        let root = config
            .determine_rootdir(crate::shim::NAME)
            .context("cannot find the folder of the container's state")?;
        Some(root.join(id).join("state.json"))
    } else {
        None
    };
    Ok((asked, sandbox))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_commands_than_start_and_the_server_are_left_to_the_library() {
        for args in [
            &["-namespace", "k8s.io", "-id", "x", "delete"][..],
            &["-v"],
            &["-info"],
        ] {
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            prepare(&args).unwrap();
        }
    }

    #[test]
    fn a_pods_sandbox_is_named_to_the_server_and_another_container_is_not() {
        let bundle = tempfile::tempdir().unwrap();
        let write = |annotations: &str| {
            let spec = format!(r#"{{"ociVersion":"1.0.2","annotations":{annotations}}}"#);
            std::fs::write(bundle.path().join("config.json"), spec).unwrap();
        };
        write(r#"{"io.kubernetes.cri.container-type":"sandbox","weld.dev/timeout":"2s"}"#);
        let (asked, state) = admitted(bundle.path().to_owned(), "k8s.io", "pause1").unwrap();
        let state = state.unwrap();
        assert!(
            state.ends_with("weld/k8s.io/pause1/state.json"),
            "{state:?}"
        );
        assert!(asked.to_var().contains("2s"));
        write(r#"{"io.kubernetes.cri.container-type":"container"}"#);
        let (_, state) = admitted(bundle.path().to_owned(), "k8s.io", "app1").unwrap();
        assert_eq!(state, None);
        write(r#"{"weld.dev/timeout":"soon"}"#);
        let err = admitted(bundle.path().to_owned(), "k8s.io", "bad").unwrap_err();
        assert!(format!("{err:#}").contains("weld.dev/timeout"), "{err:#}");
    }
}
