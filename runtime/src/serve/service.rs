//! One request to a WASI 0.3 handler (`wasi:http/handler@0.3.x`): the guest's async `handle` is called inside
//! the store's event loop, its response (or error code) goes back to hyper as soon as it returns, and the loop
//! keeps running until every task of the guest has exited, so that a body and trailers the guest writes after
//! returning the response stream out to the client.

use super::request::{Capped, Reply};
use crate::host::Host;
use std::future::poll_fn;
use wasmtime::Store;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p3::bindings::ServicePre;

/// What reports an error reading the request's body to the guest's response (wasmtime-wasi-http's
/// `request_io_result`).
type RequestIo = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send + 'static>,
>;

/// Instantiates the handler in `store` and serves `req` with it, answering through `reply`. Returns when the
/// guest has no task left (its body written), or with the trap or host error that stopped it.
pub(super) async fn handle(
    pre: &ServicePre<Host>,
    store: &mut Store<Host>,
    req: hyper::Request<Capped>,
    reply: &Reply,
) -> wasmtime::Result<()> {
    let service = pre.instantiate_async(&mut *store).await?;
    store
        .run_concurrent(async |accessor| {
            let (request, request_io) = accessor.with(|mut access| -> wasmtime::Result<_> {
                let http = access.data_mut().http();
                let (request, request_io) =
                    wasmtime_wasi_http::p3::Request::from_http(http.hooks, req);
                // The future is `'static`; boxed, it no longer names the borrow of the hooks it was made with.
                let request_io: RequestIo = Box::pin(request_io);
                let request = http.table.push(request)?;
                Ok((request, request_io))
            })?;
            let answer = service
                .wasi_http_handler()
                .call_handle(accessor, request)
                .await?;
            match answer {
                Ok(response) => {
                    let response = accessor.with(|mut access| {
                        let response = access.data_mut().http().table.delete(response)?;
                        response.into_http_with_getter(&mut access, request_io, Host::http)
                    })?;
                    reply.answered(response);
                }
                Err(code) => reply.refused(format!("{code:?}")),
            }
            poll_fn(|cx| accessor.poll_no_interesting_tasks(cx)).await;
            wasmtime::Result::Ok(())
        })
        .await?
}
