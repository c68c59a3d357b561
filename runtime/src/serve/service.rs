//! One request to a WASI 0.3 handler (`wasi:http/handler@0.3.x`): the guest's async `handle` is called inside
//! the store's event loop, its response (or error code) goes back to hyper as soon as it returns, and the loop
//! keeps running until every task of the guest has exited, so that a body and trailers the guest writes after
//! returning the response stream out to the client.

use super::request::{Capped, Reply};
use crate::host::Host;
use http_body_util::BodyExt;
use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use wasmtime::Store;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::p3::bindings::Service;

/// `req` with the scheme `http` and the authority of its `Host` header in its URI, where an HTTP/1.1 request in
/// origin form has neither: the guest reads them with `get-scheme` and `get-authority`, as a 0.2 handler does.
fn with_authority(req: hyper::Request<Capped>) -> hyper::Request<Capped> {
    let (mut head, body) = req.into_parts();
    if head.uri.authority().is_none()
        && let Some(authority) = head
            .headers
            .get(http::header::HOST)
            .and_then(|host| host.to_str().ok()?.parse::<http::uri::Authority>().ok())
    {
        let mut parts = head.uri.clone().into_parts();
        parts.scheme = Some(http::uri::Scheme::HTTP);
        parts.authority = Some(authority);
        if parts.path_and_query.is_none() {
            parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
        }
        if let Ok(uri) = http::Uri::from_parts(parts) {
            head.uri = uri;
        }
    }
    hyper::Request::from_parts(head, body)
}

/// A response body that tells, by dropping its sender, when hyper is done with it.
struct Watched {
    body: HyperOutgoingBody,
    /// Why the body failed, if it did.
    failed: Arc<Mutex<Option<String>>>,
    _done: Option<oneshot::Sender<()>>,
}

impl hyper::body::Body for Watched {
    type Data = bytes::Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        let frame = std::pin::Pin::new(&mut self.body).poll_frame(cx);
        if let std::task::Poll::Ready(Some(Err(e))) = &frame {
            *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// What reports an error reading the request's body to the guest's response (wasmtime-wasi-http's
/// `request_io_result`).
type RequestIo = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send + 'static>,
>;

/// Serves `req` with the handler's instance `service` in `store`, answering through `reply`. Returns when the
/// guest has no task left (its body written), or with the trap or host error that stopped it.
pub(super) async fn handle(
    service: &Service,
    store: &mut Store<Host>,
    req: hyper::Request<Capped>,
    reply: &Reply,
) -> wasmtime::Result<()> {
    let req = with_authority(req);
    // Dropped by hyper once it has sent the response body to its end, or given up on it (the client went).
    let (body_done, body_sent) = oneshot::channel::<()>();
    let mut body_done = Some(body_done);
    let body_failed = Arc::new(Mutex::new(None));
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
                    let done = body_done.take();
                    reply.answered(response.map(|body| {
                        Watched {
                            body,
                            failed: body_failed.clone(),
                            _done: done,
                        }
                        .boxed_unsync()
                    }));
                }
                Err(code) => reply.refused(format!("{code:?}")),
            }
            drop(body_done.take());
            // The body and trailers may still be coming from the guest's tasks, or from a host stream the guest
            // handed on (a file's `read-via-stream`): the event loop runs until both are done.
            poll_fn(|cx| accessor.poll_no_interesting_tasks(cx)).await;
            let _ = body_sent.await;
            // A body that failed on its way out (a length it did not keep, its trailers an error): hyper cut the
            // connection, and the access line says why.
            let failed = body_failed.lock().unwrap_or_else(|e| e.into_inner()).take();
            match failed {
                Some(why) => Err(wasmtime::format_err!("the response body failed: {why}")),
                None => wasmtime::Result::Ok(()),
            }
        })
        .await?
}
