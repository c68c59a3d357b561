//! `containerd-shim-weld-v1`: containerd starts it for the runtime `io.containerd.weld.v1` (a Kubernetes
//! RuntimeClass whose handler names that runtime), and it runs each container's component with weld's host.
//! docs/kubernetes.md says how to install and use it.

use containerd_shim_wasm::shim::Cli as _;

mod admission;
mod annotations;
mod context;
mod exec_guard;
mod grants;
mod limits;
mod sandbox;
mod serve;
mod shim;
mod start;

fn main() {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    if let Err(err) = start::prepare(&args) {
        // containerd returns what `start` prints as the container's error; the server's goes to containerd's log.
        eprintln!("weld: error: {err:#}");
        std::process::exit(1);
    }
    shim::WeldShim::run(None);
}
