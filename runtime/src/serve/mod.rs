//! Serving a `wasi:http/incoming-handler@0.2` or `wasi:http/handler@0.3` component over HTTP/1.1 (hyper, as
//! wasmtime-wasi-http does): by default each request gets a fresh instance of one pre-linked component, with the
//! run's grants and its own limits, so no state crosses from one request to the next. wasmtime's own `serve`
//! reuses 0.3 instances between requests by default; weld does only when [`ServeSpec::reuse`] asks for it
//! ([`InstanceReuse`]), one request at a time per instance.
//!
//! [`Runtime::prepare_handler`](crate::Runtime::prepare_handler) checks and links the component once;
//! [`Server::serve`] accepts connections until its shutdown future completes, then drains. What happens is told
//! to a [`ServeLog`]: one [`Access`] record per request and the guest's output lines, each with the request's id.
//! Like the rest of the crate it never prints.

mod ahead;
mod handler;
mod output;
mod paced;
mod pool;
mod request;
mod service;
mod ticker;

pub use ahead::UnreadBody;
pub use handler::Handler;
pub use paced::{BodyTooSlow, MIN_BODY_RATE};
pub use pool::InstanceReuse;

use crate::error::RunError;
use crate::grants::Grants;
use crate::limits::RunLimits;
use request::Shared;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// Requests in flight at once unless `--max-concurrent` says otherwise: past it a request gets 503 at once
/// instead of queueing behind instances that may each hold tens of MiB (a CPython or StarlingMonkey heap).
pub const DEFAULT_MAX_CONCURRENT: usize = 64;

/// Largest request body unless `--max-body` says otherwise, in bytes (16 MiB). A larger declared length gets 413
/// before anything is instantiated; a chunked body that grows past it ends the guest's body stream with
/// `HTTP-request-body-size`.
pub const DEFAULT_MAX_BODY: u64 = 16 << 20;

/// The smallest read buffer hyper takes (`http1::Builder::max_buf_size` panics below it).
const MIN_READ_BUFFER: usize = 8192;

/// The memory each request's instance may grow to unless `--max-memory` says otherwise (1 GiB): without a cap,
/// `--max-concurrent` guests growing without bound could take what the machine has (64 at 4 GiB each is
/// 256 GiB). wasmtime's serve has no default cap.
pub const DEFAULT_MAX_MEMORY: u64 = 1 << 30;

/// How long a shutdown waits for requests in flight unless told otherwise.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(10);

/// What each request gets.
#[derive(Clone, Debug)]
pub struct ServeSpec {
    /// The capabilities every instance gets (the same flags as `weld run`).
    pub grants: Grants,
    /// RunLimits per request: memory per instance, wall-clock time from the request's arrival to the guest's end
    /// (response body included), fuel per instance.
    pub limits: RunLimits,
    /// Requests in flight at once; past it, 503 (at least 1).
    pub max_concurrent: usize,
    /// Largest request body, in bytes.
    pub max_body: u64,
    /// The guest's argv\[0\] (its only argument).
    pub argv0: String,
    /// How many requests an instance may serve, one after another (default: one, a fresh instance each).
    pub reuse: InstanceReuse,
    /// Headers set on every request before the guest sees it: each name's values here replace the client's
    /// values of that name (`wasmtime serve -H`).
    pub headers: http::HeaderMap,
    /// How long and how much the server keeps of a client before it has a whole request.
    pub connections: ConnectionLimits,
}

/// Bounds on clients that are slow on purpose (slowloris) or that keep connections open without using them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time from the start of a request's header section (or from the end of the previous request on a
    /// kept-alive connection) to its end; past it the connection is closed. hyper's `header_read_timeout`.
    pub header_read_timeout: Duration,
    /// Largest header section (request line, headers; also a chunked body's trailers), in bytes: past it the
    /// client gets 431 and the connection is closed. It also bounds what the server buffers of an unfinished
    /// header section.
    pub max_header_bytes: usize,
    /// Time a request body may take, plus a second for every [`MIN_BODY_RATE`] bytes it delivers; past it the
    /// body ends with [`BodyTooSlow`] (the guest reads `connection-read-timeout`), so a slow upload frees its
    /// `max_concurrent` slot. Apache's `mod_reqtimeout` rule.
    pub body_read_timeout: Duration,
    /// Bytes of a request body read before the request takes a `max_concurrent` slot (0: none). A body that
    /// ends within it (with its trailers) reaches the guest whole, so a slow upload of that size waits on its
    /// connection, not in a slot with an instance; a longer one streams on from there. nginx reads whole bodies
    /// first (`proxy_request_buffering on`). A guest that must answer before its client has sent this much (a
    /// request body used as a stream of messages) needs 0.
    pub read_ahead: u64,
}

impl Default for ConnectionLimits {
    /// 10 s to send a header section (hyper's default is 30 s; nginx's `client_header_timeout` is 60 s),
    /// 64 KiB of headers (nginx allows 4 buffers of 8 KiB by default; hyper about 400 KiB), 10 s plus a
    /// second per 500 bytes for a body (`mod_reqtimeout`'s `body=10,MinRate=500`), and 64 KiB of body read
    /// ahead.
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            read_ahead: DEFAULT_READ_AHEAD,
        }
    }
}

/// [`ConnectionLimits::header_read_timeout`] unless told otherwise.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// [`ConnectionLimits::body_read_timeout`] unless told otherwise.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// [`ConnectionLimits::read_ahead`] unless told otherwise (64 KiB).
pub const DEFAULT_READ_AHEAD: u64 = 64 << 10;

/// [`ConnectionLimits::max_header_bytes`] unless told otherwise (64 KiB).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 << 10;

/// Which of the guest's output streams a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestStream {
    /// stdout.
    Stdout,
    /// stderr.
    Stderr,
}

/// How a request ended.
#[derive(Debug)]
pub enum RequestOutcome {
    /// The guest answered and finished.
    Answered,
    /// Refused with 503: `max_concurrent` requests were in flight.
    Busy(usize),
    /// Refused with 413: the declared body length is over the cap.
    TooLarge(u64),
    /// Refused with 400 before any instance: what is wrong with the request.
    BadRequest(&'static str),
    /// Refused before any instance because the start of its body did not come: 408 when it came too slowly
    /// ([`UnreadBody::TooSlow`]), 400 when it was cut off. (A body over the cap is [`RequestOutcome::TooLarge`].)
    Unread(UnreadBody),
    /// The guest trapped, hit a limit, or could not be instantiated; before it answered, this was a 5xx.
    Failed(RunError),
    /// The guest returned without setting a response (500).
    NoResponse,
    /// The guest answered with a `wasi:http` error code instead of a response (500); its debug text.
    GuestError(String),
    /// The client went away before the whole response was sent.
    Gone,
    /// Still running when the shutdown's drain time ran out: its connection was closed. Its status is the one
    /// sent, or 503 when none was.
    Cut,
}

/// One request, when it is over: what the access log says.
#[derive(Debug)]
pub struct Access<'a> {
    /// The request's id, as in its guest output lines (from 1, in order of arrival).
    pub id: u64,
    /// Its method.
    pub method: &'a http::Method,
    /// Its path and query.
    pub target: &'a str,
    /// The status sent (or 500 for a guest that failed after sending its headers: that response was cut).
    pub status: u16,
    /// From the request's arrival to the end of the guest (its response body written).
    pub took: Duration,
    /// How it ended.
    pub outcome: &'a RequestOutcome,
}

/// Where a server tells what happens. Called from the server's threads, never while a lock of the server's is
/// held; it should not block for long.
pub trait ServeLog: Send + Sync + 'static {
    /// One line (without its newline) the guest of request `request` wrote to `stream`. A line longer than 16 KiB
    /// comes in pieces.
    fn guest_output(&self, request: u64, stream: GuestStream, line: &[u8]);
    /// A request is over.
    fn access(&self, record: &Access<'_>);
}

/// What a shutdown left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drained {
    /// Requests served in all.
    pub requests: u64,
    /// Connections still open when the drain time ran out (their requests were cut).
    pub cut: usize,
}

/// A server for one handler.
pub struct Server {
    shared: Arc<Shared>,
}

impl Server {
    /// A server that handles each request with a fresh instance of `handler`. Its engine should be interruptible
    /// ([`EngineSettings::interruptible`](crate::EngineSettings)): then requests take turns on the server's
    /// threads every few milliseconds, and a guest past its `--timeout` is stopped even when it never calls the
    /// host; otherwise a looping guest holds a thread until it ends.
    ///
    /// # Errors
    /// [`RunError::Grant`] when a grant cannot be given (a directory that does not exist): checked once here rather
    /// than failing every request.
    pub fn new(
        handler: Handler,
        spec: ServeSpec,
        log: Arc<dyn ServeLog>,
    ) -> Result<Server, RunError> {
        crate::grants::wasi_builder(&spec.grants, std::slice::from_ref(&spec.argv0))?;
        let permits = spec.max_concurrent.max(1);
        let reuse = spec.reuse;
        let ticker = Some(ticker::Ticker::start(handler.engine()));
        Ok(Server {
            shared: Arc::new(Shared {
                handler,
                spec,
                log,
                slots: Arc::new(Semaphore::new(permits)),
                permits,
                next_id: AtomicU64::new(1),
                in_flight: Default::default(),
                pool: pool::Pool::new(reuse),
                _ticker: ticker,
            }),
        })
    }

    /// Accepts connections on `listener` and serves their requests until `shutdown` completes. Then it stops
    /// accepting, lets each connection finish the request it is on (no new ones on kept-alive connections), and
    /// waits up to `drain` for them and their guests. Errors accepting a connection (too many open files, say)
    /// are waited out, not returned.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        drain: Duration,
    ) -> Drained {
        let (stop, stopping) = watch::channel(false);
        let mut connections = JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        let mut prune = tokio::time::interval(self.shared.pool.prune_every());
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = prune.tick(), if self.shared.spec.reuse.max_requests > 1 => self.shared.pool.prune(),
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        connections.spawn(self.connection(stream, peer, stopping.clone()));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        drop(listener);
        let _ = stop.send(true);
        let shared = self.shared.clone();
        let drained = tokio::time::timeout(drain, async {
            while connections.join_next().await.is_some() {}
            // Every slot back: every guest has finished, its response body included.
            let _ = shared.slots.acquire_many(shared.permits as u32).await;
        })
        .await;
        let cut = if drained.is_ok() {
            0
        } else {
            self.shared.cut_in_flight();
            connections.len()
        };
        connections.abort_all();
        Drained {
            requests: self.shared.next_id.load(Ordering::Relaxed) - 1,
            cut,
        }
    }

    /// Serves one connection's requests, one at a time (HTTP/1.1 keep-alive), until the client closes it or the
    /// server stops (after the request in flight).
    fn connection(
        &self,
        stream: tokio::net::TcpStream,
        _peer: SocketAddr,
        mut stopping: watch::Receiver<bool>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let shared = self.shared.clone();
        let limits = shared.spec.connections;
        async move {
            let _ = stream.set_nodelay(true);
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(shared.handle(req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_header_size(limits.max_header_bytes)
                // The read buffer holds at most the header section and one more read.
                .max_buf_size(limits.max_header_bytes.max(MIN_READ_BUFFER) + MIN_READ_BUFFER)
                .serve_connection(wasmtime_wasi_http::io::TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stopping.wait_for(|stop| *stop) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        }
    }
}
