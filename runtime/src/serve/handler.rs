//! [`Handler`]: a component checked to export `wasi:http/incoming-handler@0.2`, linked once.

use crate::error::RunError;
use crate::host::Host;
use crate::invoke::{Export, exports};
use std::path::Path;
use wasmtime::Engine;
use wasmtime::component::InstancePre;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

/// The prefix of the export a handler has, at any 0.2 version (wasmtime resolves `@0.2.x` to the version it
/// implements, as it does for imports).
const INCOMING_HANDLER: &str = "wasi:http/incoming-handler@0.2.";

/// A component that handles HTTP requests, linked against the asynchronous host: instantiating it per request is
/// cheap (no lookups, no type checks).
pub struct Handler {
    pub(super) pre: ProxyPre<Host>,
}

impl Handler {
    /// Checks that `pre`'s component exports `wasi:http/incoming-handler@0.2.x`.
    ///
    /// # Errors
    /// [`RunError::NotAHandler`], naming what the component exports instead.
    pub(crate) fn new(pre: InstancePre<Host>, path: &Path) -> Result<Handler, RunError> {
        let component = pre.component();
        let engine = component.engine();
        let exported: Vec<String> = component
            .component_type()
            .exports(engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        if !exported
            .iter()
            .any(|name| name.starts_with(INCOMING_HANDLER))
        {
            let command = exported.iter().any(|n| n.starts_with("wasi:cli/run@0.2."));
            return Err(RunError::NotAHandler {
                path: path.to_owned(),
                command,
                functions: exports(engine, component)
                    .iter()
                    .map(Export::path)
                    .collect(),
            });
        }
        let pre = ProxyPre::new(pre).map_err(|e| RunError::Link {
            path: path.to_owned(),
            source: e.into(),
        })?;
        Ok(Handler { pre })
    }

    /// The engine its code belongs to.
    pub fn engine(&self) -> &Engine {
        self.pre.engine()
    }
}
