//! [`Handler`]: a component checked to export `wasi:http/incoming-handler@0.2` or `wasi:http/handler@0.3`,
//! linked once.

use crate::error::RunError;
use crate::host::Host;
use crate::invoke::{Export, exports};
use std::path::Path;
use wasmtime::Engine;
use wasmtime::component::{Component, InstancePre};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p3::bindings::ServicePre;

/// The prefix of the export a WASI 0.2 handler has, at any 0.2 version (wasmtime resolves `@0.2.x` to the version
/// it implements, as it does for imports).
const INCOMING_HANDLER: &str = "wasi:http/incoming-handler@0.2.";

/// The prefix of the export a WASI 0.3 handler has (`wasi:http/service@0.3.x` exports it), at any 0.3 version.
const HANDLER_0_3: &str = "wasi:http/handler@0.3.";

/// The WASI release line of the handler interface among the export names `exported`: `"0.3"` when
/// `wasi:http/handler@0.3.x` is there (also when 0.2's is), `"0.2"` for `wasi:http/incoming-handler@0.2.x` alone.
fn handler_wasi<'a>(exported: impl Iterator<Item = &'a str>) -> Option<&'static str> {
    let mut wasi = None;
    for name in exported {
        if name.starts_with(HANDLER_0_3) {
            return Some("0.3");
        }
        if name.starts_with(INCOMING_HANDLER) {
            wasi = Some("0.2");
        }
    }
    wasi
}

/// A component that handles HTTP requests, linked against the asynchronous host: instantiating it per request is
/// cheap (no lookups, no type checks).
pub struct Handler {
    pub(super) kind: Kind,
}

/// Which `wasi:http` a handler speaks.
pub(super) enum Kind {
    /// `wasi:http/incoming-handler@0.2.x`: the guest answers through a response outparam.
    P2(ProxyPre<Host>),
    /// `wasi:http/handler@0.3.x`: an async `handle` that returns the response (WASI 0.3, a preview: wasmtime's p3
    /// host is experimental).
    P3(ServicePre<Host>),
}

impl Handler {
    /// Checks that `pre`'s component exports `wasi:http/incoming-handler@0.2.x` or `wasi:http/handler@0.3.x`; one
    /// that exports both is served as a 0.3 handler.
    ///
    /// # Errors
    /// [`RunError::NotAHandler`], naming what the component exports instead; [`RunError::Link`] when the export
    /// is there but not of the type wasmtime's bindings expect.
    pub(crate) fn new(pre: InstancePre<Host>, path: &Path) -> Result<Handler, RunError> {
        let component = pre.component();
        let engine = component.engine();
        let exported: Vec<String> = component
            .component_type()
            .exports(engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        let link = |e: wasmtime::Error| RunError::link(path, e);
        let wasi = handler_wasi(exported.iter().map(String::as_str));
        if wasi == Some("0.3") {
            let pre = ServicePre::new(pre).map_err(link)?;
            return Ok(Handler {
                kind: Kind::P3(pre),
            });
        }
        if wasi.is_none() {
            let command = exported
                .iter()
                .any(|n| n.starts_with("wasi:cli/run@0.2.") || n.starts_with("wasi:cli/run@0.3."));
            return Err(RunError::NotAHandler {
                path: path.to_owned(),
                command,
                functions: exports(engine, component)
                    .iter()
                    .map(Export::path)
                    .collect(),
            });
        }
        let pre = ProxyPre::new(pre).map_err(link)?;
        Ok(Handler {
            kind: Kind::P2(pre),
        })
    }

    /// Whether `component` exports a handler interface, by its export names alone (nothing linked or checked):
    /// what tells a handler from a command before linking either. [`Handler::new`] checks the types.
    pub fn is_exported_by(component: &Component) -> bool {
        let engine = component.engine();
        let exports = component.component_type();
        handler_wasi(exports.exports(engine).map(|(name, _)| name)).is_some()
    }

    /// The engine its code belongs to.
    pub fn engine(&self) -> &Engine {
        match &self.kind {
            Kind::P2(pre) => pre.engine(),
            Kind::P3(pre) => pre.engine(),
        }
    }

    /// The WASI release line of the handler's interface: `"0.2"` or `"0.3"`.
    pub fn wasi(&self) -> &'static str {
        match &self.kind {
            Kind::P2(_) => "0.2",
            Kind::P3(_) => "0.3",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EngineSettings, Runtime};

    #[test]
    fn a_handler_is_told_from_a_command_by_its_exports_alone() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = Runtime::new(EngineSettings::default(), None).unwrap();
        let exported = |fixture: &str| {
            let path = dir.path().join(format!("{fixture}.wasm"));
            std::fs::write(&path, weld_fixtures::build(fixture).unwrap()).unwrap();
            Handler::is_exported_by(&runtime.load(&path, false).unwrap().component)
        };
        assert!(exported("handler"));
        assert!(!exported("hello"));
        assert_eq!(
            handler_wasi(["wasi:http/incoming-handler@0.2.3"].into_iter()),
            Some("0.2")
        );
        let both = [
            "wasi:http/incoming-handler@0.2.0",
            "wasi:http/handler@0.3.0",
        ];
        assert_eq!(handler_wasi(both.into_iter()), Some("0.3"));
        assert_eq!(handler_wasi(["wasi:cli/run@0.2.0"].into_iter()), None);
    }
}
