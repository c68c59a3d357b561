//! Linking: every import checked against what the host provides, then linked once.

use super::{Loaded, Runtime};
use crate::concurrent;
use crate::error::RunError;
use crate::host::Host;
use crate::imports;
use wasmtime::Engine;
use wasmtime::component::{InstancePre, Linker};

impl Runtime {
    /// Checks every import and links the component once; the result instantiates quickly, any number of times.
    /// A component that imports WASI 0.3 or exports an async function is linked for wasmtime's concurrent path,
    /// which [`Runtime::run_command`] and [`Runtime::invoke`] then take.
    pub fn prepare(&self, loaded: &Loaded) -> Result<InstancePre<Host>, RunError> {
        let tier = self.tier(loaded.compiler)?;
        let linker = if concurrent::needed(&loaded.component) {
            tier.concurrent()?
        } else {
            &tier.linker
        };
        link(loaded, &tier.engine, linker)
    }

    /// The names of everything `loaded` imports, in the component's order.
    ///
    /// # Errors
    /// [`RunError::Engine`] when the engine of its compiler cannot be built.
    pub fn import_names(&self, loaded: &Loaded) -> Result<Vec<String>, RunError> {
        let tier = self.tier(loaded.compiler)?;
        Ok(loaded
            .component
            .component_type()
            .imports(&tier.engine)
            .map(|(name, _)| name.to_owned())
            .collect())
    }

    /// Like [`Runtime::prepare`] for a `wasi:http/incoming-handler@0.2` or `wasi:http/handler@0.3` component,
    /// linked against the asynchronous host (WASI 0.2 and 0.3) that [`Server`](crate::Server) calls it with.
    ///
    /// # Errors
    /// [`RunError::NotAHandler`] when the component exports no such interface (it names what it exports), and
    /// those of [`Runtime::prepare`].
    pub fn prepare_handler(&self, loaded: &Loaded) -> Result<crate::Handler, RunError> {
        let tier = self.tier(loaded.compiler)?;
        let pre = link(loaded, &tier.engine, tier.concurrent()?)?;
        crate::Handler::new(pre, &loaded.path)
    }
}

/// Checks every import of `loaded` against what `linker` provides, and links it.
fn link(
    loaded: &Loaded,
    engine: &Engine,
    linker: &Linker<Host>,
) -> Result<InstancePre<Host>, RunError> {
    let needs = imports::needs(engine, &loaded.component);
    if !needs.missing.is_empty() {
        return Err(RunError::Missing {
            path: loaded.path.clone(),
            imports: needs.missing,
        });
    }
    let link_error = |e: wasmtime::Error| RunError::link(&loaded.path, e);
    if needs.types_only.is_empty() {
        return linker
            .instantiate_pre(&loaded.component)
            .map_err(link_error);
    }
    // An interface of types alone is satisfied by an empty instance of that name.
    let mut linker = linker.clone();
    for name in &needs.types_only {
        linker.instance(name).map_err(link_error)?;
    }
    linker
        .instantiate_pre(&loaded.component)
        .map_err(link_error)
}
