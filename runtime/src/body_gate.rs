//! A WASI 0.2 handler that writes more of its response body than the host buffers before it sets the response
//! (`response-outparam.set`) would wait for ever: nothing reads the body before the response is sent. wasmtime's
//! own `serve` hangs on it (wasmtime issue 12141; shared case 18). weld fails such a request at once instead,
//! with an error that says what happened.
//!
//! How: the host's `outgoing-response.body` and `outgoing-body.write` are shadowed in the linker, so that the
//! output stream of a response body is wrapped in [`Gated`] while a [`ResponseGate`](crate::host::ResponseGate)
//! is set in the store (by `weld serve`, per request). When the guest waits for room in that stream while its response is not set, the
//! wait ends at once and the next write check fails with [`BodyBeforeResponse`]. Without a gate (`weld run`)
//! both functions behave as wasmtime's.

use crate::host::Host;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use wasmtime::component::{Linker, Resource};
use wasmtime::{Result, StoreContextMut};
use wasmtime_wasi::p2::{DynOutputStream, OutputStream, Pollable, StreamError, StreamResult};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::HostOutgoingResponse as _;
use wasmtime_wasi_http::p2::body::HostOutgoingBody;
use wasmtime_wasi_http::p2::types::HostOutgoingResponse;

/// The `wasi:http/types` instance wasmtime-wasi-http 48 links (any 0.2.x import resolves to it).
const HTTP_TYPES: &str = "wasi:http/types@0.2.12";

/// Why a request failed: its handler waited for room in its response body before setting the response.
#[derive(Debug, thiserror::Error)]
#[error(
    "the handler wrote more of its response body than the host buffers before setting its response \
     (response-outparam.set): nothing reads the body until the response is set, so it would have waited for \
     ever; set the response first, then write the body"
)]
pub struct BodyBeforeResponse;

/// Shadows `outgoing-response.body` and `outgoing-body.write` of the linker's `wasi:http/types@0.2`.
pub(crate) fn shadow(linker: &mut Linker<Host>) -> Result<()> {
    linker.allow_shadowing(true);
    let mut types = linker.instance(HTTP_TYPES)?;
    types.func_wrap(
        "[method]outgoing-response.body",
        |mut store: StoreContextMut<'_, Host>, (response,): (Resource<HostOutgoingResponse>,)| {
            let host = store.data_mut();
            let body = host.http().body(response)?;
            if let (Ok(body), Some(gate)) = (&body, host.gate.as_mut()) {
                gate.bodies.insert(body.rep());
            }
            Ok((body,))
        },
    )?;
    types.func_wrap(
        "[method]outgoing-body.write",
        |mut store: StoreContextMut<'_, Host>, (id,): (Resource<HostOutgoingBody>,)| {
            let host = store.data_mut();
            let set = host
                .gate
                .as_mut()
                .and_then(|gate| gate.bodies.remove(&id.rep()).then(|| gate.set.clone()));
            let http = host.http();
            let Some(stream) = http.table.get_mut(&id)?.take_output_stream() else {
                return Ok((Err(()),));
            };
            let stream: DynOutputStream = match set {
                Some(set) => Box::new(Gated {
                    inner: stream,
                    set,
                    waited: false,
                }),
                None => stream,
            };
            let stream = http.table.push_child(stream, &id)?;
            Ok((Ok(stream),))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// A response body's stream that does not let the guest wait for room while its response is unset.
struct Gated {
    inner: DynOutputStream,
    set: Arc<AtomicBool>,
    /// Whether the guest waited for room while the response was unset.
    waited: bool,
}

impl Gated {
    fn set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }
}

#[async_trait::async_trait]
impl OutputStream for Gated {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.inner.write(bytes)
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.inner.flush()
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        let room = self.inner.check_write()?;
        if room == 0 && self.waited && !self.set() {
            return Err(StreamError::Trap(wasmtime::Error::new(BodyBeforeResponse)));
        }
        Ok(room)
    }

    async fn cancel(&mut self) {
        self.inner.cancel().await;
    }
}

#[async_trait::async_trait]
impl Pollable for Gated {
    async fn ready(&mut self) {
        if !self.set() && matches!(self.inner.check_write(), Ok(0)) {
            // Room comes only once the response is sent: waiting would be for ever.
            self.waited = true;
            return;
        }
        self.inner.ready().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that never has room.
    struct Full;

    impl OutputStream for Full {
        fn write(&mut self, _: bytes::Bytes) -> StreamResult<()> {
            Ok(())
        }
        fn flush(&mut self) -> StreamResult<()> {
            Ok(())
        }
        fn check_write(&mut self) -> StreamResult<usize> {
            Ok(0)
        }
    }

    #[async_trait::async_trait]
    impl Pollable for Full {
        async fn ready(&mut self) {
            std::future::pending::<()>().await;
        }
    }

    #[tokio::test]
    async fn waiting_for_room_before_the_response_is_set_fails_at_once() {
        let set = Arc::new(AtomicBool::new(false));
        let mut gated = Gated {
            inner: Box::new(Full),
            set: set.clone(),
            waited: false,
        };
        // Asking is fine; waiting is what would never end.
        assert_eq!(gated.check_write().unwrap(), 0);
        let failed = gated.write_ready().await.unwrap_err();
        let StreamError::Trap(err) = failed else {
            panic!("not a trap: {failed:?}");
        };
        assert!(
            err.downcast_ref::<BodyBeforeResponse>().is_some(),
            "{err:?}"
        );
        // Once the response is set, a full stream is only a stream to wait for.
        set.store(true, Ordering::Release);
        assert_eq!(gated.check_write().unwrap(), 0);
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(50), gated.ready()).await;
        assert!(
            waited.is_err(),
            "a stream with no room is waited for once the response is set"
        );
    }
}
