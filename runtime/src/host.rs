//! The host side of a run: the store's data (WASI context, resource table, HTTP hooks, limiter) and the linker
//! that provides every standard WASI 0.2 interface and, for the concurrent path, WASI 0.3.

use crate::grants::HttpHosts;
use crate::limits::Limiter;
use std::future::Future;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Result};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

/// The data of a run's store.
pub struct Host {
    wasi: WasiCtx,
    table: ResourceTable,
    http: WasiHttpCtx,
    hooks: HttpHooks,
    /// The memory and table limits, and whether one was hit.
    pub limiter: Limiter,
    /// Set by `weld serve` for a WASI 0.2 request: a response body written before the response fails at once.
    pub(crate) gate: Option<crate::body_gate::ResponseGate>,
}

impl Host {
    /// A host with this WASI context, these HTTP grants and limits.
    pub fn new(wasi: WasiCtx, http: Option<HttpHosts>, limiter: Limiter) -> Self {
        Host {
            wasi,
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            hooks: HttpHooks { allowed: http },
            limiter,
            gate: None,
        }
    }
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Outgoing requests go out only to what `--allow-http` granted; others fail with `HTTP-request-denied`, which
/// the guest sees as the result of 0.2's `outgoing-handler.handle` or 0.3's `client.send` (both go through these
/// hooks).
struct HttpHooks {
    allowed: Option<HttpHosts>,
}

/// The future a request's send returns.
type Sent = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for HttpHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Sent {
        let uri = request.uri();
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let granted = self
            .allowed
            .as_ref()
            .is_some_and(|hosts| uri.host().is_some_and(|host| hosts.allows(host, port)));
        if !granted {
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        drop(fut);
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), HttpError>> + Send>,
            ))
        })
    }
}

/// A linker with all of WASI 0.2 (cli, clocks, filesystem, io, random, sockets) and wasi:http's types and
/// outgoing handler. Each is linked at the version wasmtime implements; wasmtime resolves any other 0.2.x import
/// to it, so components built against older or newer 0.2 releases instantiate too.
pub fn linker(engine: &Engine) -> Result<Linker<Host>> {
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
pub fn linker_async(engine: &Engine) -> Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::body_gate::shadow(&mut linker)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker)?;
    wasmtime_wasi_http::p3::add_to_linker(&mut linker)?;
    Ok(linker)
}
