//! The host side of a run: the store's data (WASI context, resource table, HTTP hooks, limiter, the response
//! gate of a served request).

use crate::grants::HttpHosts;
use crate::limits::Limiter;
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use wasmtime::Result;
use wasmtime::component::ResourceTable;
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
    pub(crate) gate: Option<ResponseGate>,
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

/// The request a store serves: whether its response was set, and the response bodies made for it.
pub(crate) struct ResponseGate {
    pub(crate) set: Arc<AtomicBool>,
    pub(crate) bodies: HashSet<u32>,
}

impl ResponseGate {
    /// A gate that opens when `set` turns true (the guest's response was handed to the server).
    pub(crate) fn new(set: Arc<AtomicBool>) -> ResponseGate {
        ResponseGate {
            set,
            bodies: HashSet::new(),
        }
    }
}
