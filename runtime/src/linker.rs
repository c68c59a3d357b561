//! The linkers of the host: every standard WASI 0.2 interface, and for the concurrent path WASI 0.3 beside it with
//! the response gate of a served request shadowing two functions of `wasi:http/types@0.2`.

use crate::host::Host;
use wasmtime::component::Linker;
use wasmtime::{Engine, Result};

/// A linker with all of WASI 0.2 (cli, clocks, filesystem, io, random, sockets) and wasi:http's types and
/// outgoing handler. Each is linked at the version wasmtime implements; wasmtime resolves any other 0.2.x import
/// to it, so components built against older or newer 0.2 releases instantiate too.
pub(crate) fn linker(engine: &Engine) -> Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
    Ok(linker)
}

/// The same interfaces as [`linker`], for guests called with wasmtime's `*_async` methods (`weld serve`, and
/// `weld run` of a component on the concurrent path), and beside them the WASI 0.3.0 set wasmtime implements
/// (`wasmtime_wasi::p3`: cli, clocks, filesystem, random, sockets; `wasmtime_wasi_http::p3`: http types and
/// client), whose functions are concurrent. Both draw on the same WASI context and HTTP hooks, so a component
/// importing 0.2 and 0.3 side by side (componentize-py's) gets one set of grants. Any 0.3.x import resolves to
/// the 0.3.0 host, as any 0.2.x does to wasmtime's 0.2.
pub(crate) fn linker_async(engine: &Engine) -> Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::body_gate::shadow(&mut linker)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker)?;
    wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
    Ok(linker)
}
