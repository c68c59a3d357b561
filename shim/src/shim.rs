//! The shim's identity for containerd and its compiler: components are compiled once, when the first container
//! of an image is created, and the code is kept in containerd's content store beside the image.

use crate::sandbox::WeldSandbox;
use anyhow::Context as _;
use containerd_shim_wasm::sandbox::context::WasmLayer;
use containerd_shim_wasm::shim::{Compiler, Shim, Version};
use std::path::Path;
use weld_runtime::{EngineSettings, Runtime};

/// The shim's name, from which containerd-shim-wasm derives the runtime's and the binary's, and the folder of its
/// containers' state (`/run/containerd/weld/NAMESPACE`).
pub const NAME: &str = "weld";

/// The shim: runtime `io.containerd.weld.v1`, binary `containerd-shim-weld-v1` (containerd-shim-wasm derives both
/// from the name).
pub struct WeldShim;

impl Shim for WeldShim {
    fn name() -> &'static str {
        NAME
    }

    fn version() -> Version {
        containerd_shim_wasm::shim::version!()
    }

    type Sandbox = WeldSandbox;

    async fn compiler() -> Option<impl Compiler> {
        match engine() {
            Ok(runtime) => Some(WeldCompiler(runtime)),
            Err(err) => {
                log::error!("weld cannot set up its engine to precompile: {err:#}");
                None
            }
        }
    }
}

/// The runtime both the compiler and the sandbox use. Its engine settings decide the compiled code, so they must
/// agree everywhere the code runs: the cache key is the engine's compatibility hash. The code is interruptible
/// (epoch checks), as `weld serve`'s engine needs for a handler, which runs the same stored code; a command pays a
/// load and a compare at each loop header for it.
pub fn engine() -> anyhow::Result<Runtime> {
    let settings = EngineSettings {
        interruptible: true,
        ..EngineSettings::default()
    };
    Runtime::new(settings, None).context("cannot set up the WebAssembly engine")
}

/// Compiles the component layers of an image with weld's engine, for containerd to keep.
pub struct WeldCompiler(Runtime);

impl Compiler for WeldCompiler {
    fn cache_key(&self) -> impl std::hash::Hash {
        self.0.engine().precompile_compatibility_hash()
    }

    async fn compile(&self, layers: &[WasmLayer]) -> anyhow::Result<Vec<Option<Vec<u8>>>> {
        layers
            .iter()
            .map(|layer| {
                if layer.precompiled {
                    return Ok(None);
                }
                let name = Path::new(layer.config.digest().as_ref());
                let component = self.0.compile(name, &layer.layer)?;
                Ok(Some(component.serialize()?))
            })
            .collect()
    }
}
