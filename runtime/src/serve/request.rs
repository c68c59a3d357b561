//! One request: a slot under `max_concurrent`, a fresh store with the grants and limits, the guest's
//! `handle` call in a task of its own (its response body may stream after the headers are sent), the response,
//! and one access record when the guest is done.

use super::ahead::{Ahead, UnreadBody};
use super::handler::Kind;
use super::output::GuestOutput;
use super::paced::{BodyTooSlow, Paced};
use super::pool::{Current, Instance, Kept, Pool};
use super::ticker::Ticker;
use super::{Access, GuestStream, Handler, RequestOutcome, ServeLog, ServeSpec};
use crate::error::RunError;
use crate::host::Host;
use crate::host::ResponseGate;
use crate::limits::LimitHit;
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use wasmtime::component::Resource;
use wasmtime::{Store, UpdateDeadline};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::p2::types::{HostIncomingRequest, HostResponseOutparam};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::{Error as HttpError, WasiHttpView};

/// What every request's task shares.
pub(super) struct Shared {
    pub(super) handler: Handler,
    pub(super) spec: ServeSpec,
    pub(super) log: Arc<dyn ServeLog>,
    /// One permit per request in flight; a guest gives its permit back when it is done.
    pub(super) slots: Arc<Semaphore>,
    pub(super) permits: usize,
    pub(super) next_id: AtomicU64,
    /// The requests not yet recorded (from their arrival to their guest's end), with their replies: recorded by
    /// whoever takes them out, the request when it is done or the drain when its time ran out.
    pub(super) in_flight: Mutex<HashMap<u64, (Seen, Arc<Reply>)>>,
    /// Instances kept between requests (empty unless the spec's reuse allows more than one request each).
    pub(super) pool: Pool,
    pub(super) _ticker: Option<Ticker>,
}

/// A request as the access log names it.
#[derive(Clone)]
pub(super) struct Seen {
    id: u64,
    method: http::Method,
    target: String,
    arrived: Instant,
}

impl Shared {
    /// Answers one request. Never fails: what goes wrong is a 5xx (or 503, 413) and an access record.
    pub(super) async fn handle(
        self: Arc<Self>,
        req: hyper::Request<Incoming>,
    ) -> Response<HyperOutgoingBody> {
        let seen = Seen {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            method: req.method().clone(),
            target: req
                .uri()
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            arrived: Instant::now(),
        };
        // From here until its record is written, the request is in flight: whoever takes it out records it.
        let (sender, answer) = oneshot::channel();
        let reply = Arc::new(Reply::new(sender));
        self.in_flight()
            .insert(seen.id, (seen.clone(), reply.clone()));
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|len| len > self.spec.max_body) {
            let outcome = RequestOutcome::TooLarge(self.spec.max_body);
            return self.refuse(&seen, StatusCode::PAYLOAD_TOO_LARGE, outcome);
        }
        // wasi:http gives the guest the request's authority; without one it cannot make the request.
        if req.uri().authority().is_none() && !req.headers().contains_key(http::header::HOST) {
            let outcome = RequestOutcome::BadRequest("the request has no Host header");
            return self.refuse(&seen, StatusCode::BAD_REQUEST, outcome);
        }
        let (mut parts, body) = req.into_parts();
        let limits = self.spec.connections;
        let paced = Paced::new(body, limits.body_read_timeout);
        let body = match Ahead::read(paced, limits.read_ahead, self.spec.max_body).await {
            Ok(body) => body,
            Err(UnreadBody::TooLarge(cap)) => {
                return self.refuse(
                    &seen,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    RequestOutcome::TooLarge(cap),
                );
            }
            Err(unread) => {
                let status = match unread {
                    UnreadBody::TooSlow(_) => StatusCode::REQUEST_TIMEOUT,
                    _ => StatusCode::BAD_REQUEST,
                };
                return self.refuse(&seen, status, RequestOutcome::Unread(unread));
            }
        };
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            let outcome = RequestOutcome::Busy(self.permits);
            return self.refuse(&seen, StatusCode::SERVICE_UNAVAILABLE, outcome);
        };
        set_headers(&mut parts.headers, &self.spec.headers);
        let req = hyper::Request::from_parts(parts, capped(body, self.spec.max_body));
        let id = seen.id;
        let kept = match self.pool.take() {
            Some(kept) => Ok(kept),
            None => self.store(),
        };
        let started = kept.and_then(|mut kept| {
            self.begin(&mut kept, &seen)?;
            let call = match &self.handler.kind {
                Kind::P2(pre) => {
                    let gate = ResponseGate::new(reply.set.clone());
                    kept.store.data_mut().gate = Some(gate);
                    let (incoming, out) = p2_arguments(&mut kept.store, req, &reply)?;
                    Call::P2(pre.clone(), incoming, out)
                }
                Kind::P3(pre) => Call::P3(pre.clone(), Box::new(req)),
            };
            Ok((kept, call))
        });
        match started {
            Ok((kept, call)) => {
                tokio::spawn(self.clone().guest(seen, kept, call, reply, slot));
            }
            Err(err) => {
                let status = failure_status(&err);
                reply.send(text(status, &failure_text(&err, seen.id)));
                self.record_taken(&seen, status.as_u16(), &RequestOutcome::Failed(err));
            }
        }
        answer.await.unwrap_or_else(|_| {
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the handler's task ended without an answer (request {id})\n"),
            )
        })
    }

    /// A request answered without a guest (busy, too large, a body not sent in time).
    fn refuse(
        &self,
        seen: &Seen,
        status: StatusCode,
        outcome: RequestOutcome,
    ) -> Response<HyperOutgoingBody> {
        let body = match &outcome {
            RequestOutcome::Busy(n) => format!(
                "server busy: {} in flight, the most this server takes at once; try again\n",
                requests(*n)
            ),
            RequestOutcome::BadRequest(why) => format!("bad request: {why}\n"),
            RequestOutcome::TooLarge(cap) => {
                format!("request body too large: this server takes at most {cap} bytes\n")
            }
            RequestOutcome::Unread(unread) => format!("{unread}\n"),
            _ => String::new(),
        };
        self.record_taken(seen, status.as_u16(), &outcome);
        text(status, &body)
    }

    /// Records `seen` unless somebody else took it out of the requests in flight first (the drain, which
    /// records what it cuts).
    fn record_taken(&self, seen: &Seen, status: u16, outcome: &RequestOutcome) {
        if self.in_flight().remove(&seen.id).is_some() {
            self.record(seen, status, outcome);
        }
    }

    fn record(&self, seen: &Seen, status: u16, outcome: &RequestOutcome) {
        self.log.access(&Access {
            id: seen.id,
            method: &seen.method,
            target: &seen.target,
            status,
            took: seen.arrived.elapsed(),
            outcome,
        });
    }

    /// A new store: the grants, the guest's output going to the log under the id of the request it serves, the
    /// limits, and an epoch callback that stops a guest past its request's deadline and otherwise lets the other
    /// requests have the thread at each tick.
    fn store(&self) -> Result<Kept, RunError> {
        let current = Current::default();
        let output = |stream| GuestOutput {
            request: current.id.clone(),
            stream,
            log: self.log.clone(),
        };
        let mut wasi =
            crate::grants::wasi_builder(&self.spec.grants, std::slice::from_ref(&self.spec.argv0))?;
        wasi.stdout(output(GuestStream::Stdout))
            .stderr(output(GuestStream::Stderr));
        let mut store = crate::store::store_for(
            self.handler.engine(),
            wasi.build(),
            &self.spec.grants,
            &self.spec.limits,
        )?;
        let deadline = current.deadline.clone();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            let deadline = *deadline.lock().unwrap_or_else(|e| e.into_inner());
            Ok(match deadline {
                Some(deadline) if Instant::now() >= deadline => UpdateDeadline::Interrupt,
                _ => UpdateDeadline::Yield(1),
            })
        });
        Ok(Kept::new(store, current))
    }

    /// Makes `kept` serve `seen`: its id and deadline, and a full tank of fuel (an instance kept between requests
    /// gets the limit afresh for each).
    fn begin(&self, kept: &mut Kept, seen: &Seen) -> Result<(), RunError> {
        kept.current.id.store(seen.id, Ordering::Relaxed);
        *kept
            .current
            .deadline
            .lock()
            .unwrap_or_else(|e| e.into_inner()) =
            self.spec.limits.timeout.map(|t| seen.arrived + t);
        if let (Some(fuel), true) = (self.spec.limits.fuel, kept.served > 0) {
            kept.store
                .set_fuel(fuel)
                .map_err(|_| RunError::FuelNotCompiled)?;
        }
        Ok(())
    }

    /// Instantiates the handler and calls it, within the request's time limit; answers for a guest that did not,
    /// and records the request.
    async fn guest(
        self: Arc<Self>,
        seen: Seen,
        kept: Kept,
        call: Call,
        reply: Arc<Reply>,
        slot: OwnedSemaphorePermit,
    ) {
        let limits = self.spec.limits;
        let Kept {
            mut store,
            instance,
            current,
            served,
            ..
        } = kept;
        let call = async {
            match call {
                Call::P2(pre, incoming, out) => {
                    let proxy = match instance {
                        Some(Instance::P2(proxy)) => proxy,
                        _ => pre.instantiate_async(&mut store).await?,
                    };
                    proxy
                        .wasi_http_incoming_handler()
                        .call_handle(&mut store, incoming, out)
                        .await?;
                    Ok(Instance::P2(proxy))
                }
                Call::P3(pre, req) => {
                    let service = match instance {
                        Some(Instance::P3(service)) => service,
                        _ => pre.instantiate_async(&mut store).await?,
                    };
                    super::service::handle(&service, &mut store, *req, &reply).await?;
                    Ok(Instance::P3(service))
                }
            }
        };
        let result = match limits.timeout {
            Some(timeout) => tokio::time::timeout_at((seen.arrived + timeout).into(), call)
                .await
                .unwrap_or_else(|_| Err(wasmtime::Error::new(wasmtime::Trap::Interrupt))),
            None => call.await,
        };
        let result =
            result.map_err(|e| crate::store::settle(RunError::from_guest(e), &store, &limits));
        // Before the store goes (and with it the response body's sender): a body the guest was still writing
        // must end in an error, not look complete to the client.
        if result.is_err() {
            reply.failed.store(true, Ordering::Release);
        }
        let (instance, outcome) = match result {
            Err(err) => {
                let status = failure_status(&err);
                reply.send(text(status, &failure_text(&err, seen.id)));
                (None, RequestOutcome::Failed(err))
            }
            Ok(_) if reply.status() == 0 => {
                reply.send(text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!(
                        "the handler returned without setting a response (request {})\n",
                        seen.id
                    ),
                ));
                (None, RequestOutcome::NoResponse)
            }
            Ok(instance) => match reply
                .guest_error
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
            {
                Some(code) => (None, RequestOutcome::GuestError(code)),
                None if !reply.delivered() => (None, RequestOutcome::Gone),
                None => (Some(instance), RequestOutcome::Answered),
            },
        };
        // Only an instance that answered a request in full may serve another; the store of any other goes now.
        match instance {
            Some(instance) => {
                let mut kept = Kept::new(store, current);
                kept.instance = Some(instance);
                kept.served = served + 1;
                self.pool.put(kept);
            }
            None => drop(store),
        }
        drop(slot);
        self.record_taken(&seen, reply.status(), &outcome);
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (Seen, Arc<Reply>)>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the requests still unfinished (their body still arriving, or their guest running) as cut by the
    /// shutdown (their connections are about
    /// to be closed), so that no request leaves the access log without a line. Returns how many there were.
    pub(super) fn cut_in_flight(&self) -> usize {
        let mut cut: Vec<(Seen, Arc<Reply>)> = self.in_flight().drain().map(|(_, v)| v).collect();
        cut.sort_by_key(|(seen, _)| seen.id);
        for (seen, reply) in &cut {
            let status = match reply.status() {
                0 => StatusCode::SERVICE_UNAVAILABLE.as_u16(),
                sent => sent,
            };
            self.record(seen, status, &RequestOutcome::Cut);
        }
        cut.len()
    }
}

/// The guest call a request makes, by the handler's kind.
enum Call {
    /// `wasi:http/incoming-handler@0.2.x#handle(request, response-outparam)`.
    P2(
        ProxyPre<Host>,
        Resource<HostIncomingRequest>,
        Resource<HostResponseOutparam>,
    ),
    /// `wasi:http/handler@0.3.x#handle(request)`; the request is made a resource inside the guest's event loop.
    P3(ServicePre<Host>, Box<hyper::Request<Capped>>),
}

/// A WASI 0.2 handler's two arguments: the incoming request, and the outparam through which its response comes
/// back to `reply`.
fn p2_arguments(
    store: &mut Store<Host>,
    req: hyper::Request<Capped>,
    reply: &Arc<Reply>,
) -> Result<
    (
        Resource<HostIncomingRequest>,
        Resource<HostResponseOutparam>,
    ),
    RunError,
> {
    let host_error = |e: wasmtime::Error| RunError::Engine(e.into());
    let incoming = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)
        .map_err(host_error)?;
    let reply = reply.clone();
    let out = store
        .data_mut()
        .http()
        .new_response_outparam_from_callback(move |result| match result {
            Ok(response) => reply.answered(response),
            Err(code) => reply.refused(format!("{code:?}")),
        })
        .map_err(host_error)?;
    Ok((incoming, out))
}

/// The response's way back to hyper: the guest's own (through `response-outparam.set`), else the server's.
pub(super) struct Reply {
    sender: Mutex<Option<oneshot::Sender<Response<HyperOutgoingBody>>>>,
    /// The status sent; 0 before one was.
    status: AtomicU16,
    /// Whether hyper took the response (false: the client had gone).
    delivered: AtomicBool,
    /// The error code the guest answered with instead of a response.
    guest_error: Mutex<Option<String>>,
    /// Whether the guest failed (trap, limit): its response body, if one was sent, is cut.
    failed: Arc<AtomicBool>,
    /// Whether hyper let go of the response body before its end: the client went while it was being sent.
    left: Arc<AtomicBool>,
    /// Whether a response was sent (the guest's, or the server's own).
    set: Arc<AtomicBool>,
}

impl Reply {
    fn new(sender: oneshot::Sender<Response<HyperOutgoingBody>>) -> Reply {
        Reply {
            sender: Mutex::new(Some(sender)),
            status: AtomicU16::new(0),
            delivered: AtomicBool::new(false),
            guest_error: Mutex::new(None),
            failed: Arc::new(AtomicBool::new(false)),
            left: Arc::new(AtomicBool::new(false)),
            set: Arc::new(AtomicBool::new(false)),
        }
    }

    fn status(&self) -> u16 {
        self.status.load(Ordering::Acquire)
    }

    /// Whether the client took the whole response: hyper took it, and did not drop its body before the end.
    fn delivered(&self) -> bool {
        self.delivered.load(Ordering::Acquire) && !self.left.load(Ordering::Acquire)
    }

    /// Sends `response` unless one was sent.
    fn send(&self, response: Response<HyperOutgoingBody>) {
        let Some(sender) = self.sender.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        self.status
            .store(response.status().as_u16(), Ordering::Release);
        self.set.store(true, Ordering::Release);
        if sender.send(response).is_ok() {
            self.delivered.store(true, Ordering::Release);
        }
    }

    /// The guest's response; its body is cut if the guest fails while writing it.
    pub(super) fn answered(&self, response: Response<HyperOutgoingBody>) {
        let failed = self.failed.clone();
        let left = self.left.clone();
        self.send(response.map(|body| {
            Cut {
                body,
                failed,
                left,
                ended: false,
            }
            .boxed_unsync()
        }));
    }

    /// The guest answered with an error code instead of a response (`text_of` names it): a 500 naming it.
    pub(super) fn refused(&self, text_of: String) {
        let body = format!("the handler answered with the error {text_of}\n");
        *self.guest_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(text_of);
        self.send(text(StatusCode::INTERNAL_SERVER_ERROR, &body));
    }
}

/// The guest's response body, which ends in an error instead of its end when the guest failed while writing it
/// (so that hyper cuts the connection rather than sending the last chunk of a body that is not whole).
/// It also tells, when hyper drops it before its end, that the client went while the body was being sent.
struct Cut {
    body: HyperOutgoingBody,
    failed: Arc<AtomicBool>,
    left: Arc<AtomicBool>,
    /// Whether the body's end was reached (its last frame, or hyper saw the end of the stream).
    ended: bool,
}

impl Drop for Cut {
    fn drop(&mut self) {
        if !self.ended && !hyper::body::Body::is_end_stream(&self.body) {
            self.left.store(true, Ordering::Release);
        }
    }
}

impl hyper::body::Body for Cut {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, HttpError>>> {
        match std::pin::Pin::new(&mut self.body).poll_frame(cx) {
            std::task::Poll::Ready(None) if self.failed.load(Ordering::Acquire) => {
                std::task::Poll::Ready(Some(Err(HttpError::InternalError(Some(
                    "the handler failed while writing the body".into(),
                )))))
            }
            std::task::Poll::Ready(None) => {
                self.ended = true;
                std::task::Poll::Ready(None)
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// Replaces the values in `headers` of every name `set` has with `set`'s values of it.
fn set_headers(headers: &mut http::HeaderMap, set: &http::HeaderMap) {
    for name in set.keys() {
        headers.remove(name);
    }
    for (name, value) in set {
        headers.append(name, value.clone());
    }
}

/// `1 request` or `N requests`.
fn requests(n: usize) -> String {
    if n == 1 {
        "1 request".into()
    } else {
        format!("{n} requests")
    }
}

/// A request body that ends with `HTTP-request-body-size` past the cap.
pub(super) type Capped = http_body_util::combinators::MapErr<
    Limited<Ahead>,
    fn(Box<dyn std::error::Error + Send + Sync>) -> HttpError,
>;

fn capped(body: Ahead, cap: u64) -> Capped {
    Limited::new(body, usize::try_from(cap).unwrap_or(usize::MAX)).map_err(body_error)
}

fn body_error(err: Box<dyn std::error::Error + Send + Sync>) -> HttpError {
    if err.is::<LengthLimitError>() {
        return HttpError::HttpRequestBodySize(None);
    }
    if err.is::<BodyTooSlow>() {
        return HttpError::ConnectionReadTimeout;
    }
    match err.downcast::<hyper::Error>() {
        Ok(err) => HttpError::Hyper(*err),
        Err(_) => HttpError::ConnectionTerminated,
    }
}

/// A plain-text response of the server's own.
fn text(status: StatusCode, body: &str) -> Response<HyperOutgoingBody> {
    let mut response = Response::new(
        Full::new(Bytes::from(body.to_owned()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// 504 for the time limit, 500 for anything else the guest did.
fn failure_status(err: &RunError) -> StatusCode {
    match err {
        RunError::Limit(LimitHit::Timeout(_)) => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A limit is named (it says nothing of the guest's insides); anything else points to the server's log.
fn failure_text(err: &RunError, id: u64) -> String {
    match err {
        RunError::Limit(hit) => format!("{hit} (request {id})\n"),
        _ => format!("the handler failed (request {id}); the server's log says why\n"),
    }
}
