//! `containerd-shim-weld-v1`: containerd starts it for the runtime `io.containerd.weld.v1` (a Kubernetes
//! RuntimeClass whose handler names that runtime), and it runs each container's component with weld's host.
//! docs/kubernetes.md says how to install and use it.

use containerd_shim_wasm::shim::Cli as _;

mod context;
mod grants;
mod limits;
mod sandbox;
mod serve;
mod shim;

fn main() {
    shim::WeldShim::run(None);
}
