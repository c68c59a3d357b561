//! The guest's stdout: weld's own, except that a reader who closes it (`weld run c.wasm | head`) stops the guest at
//! its next write, as `SIGPIPE` stops a native program, instead of handing the guest an error it may ignore and
//! loop on. The run then ends with [`crate::RunError::OutputClosed`], which the CLI treats as a quiet success.

use bytes::Bytes;
use std::io::{self, Write as _};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

/// Whether a write to stdout found it closed by its reader: the process has one stdout, so one flag.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether the guest's stdout (weld's own) was found closed by its reader.
pub(crate) fn stdout_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// `result` of a write to stdout, noting a closed pipe.
fn noted<T>(result: io::Result<T>) -> io::Result<T> {
    if let Err(err) = &result
        && err.kind() == io::ErrorKind::BrokenPipe
    {
        CLOSED.store(true, Ordering::Relaxed);
    }
    result
}

/// Largest write the guest is offered at once: wasmtime-wasi's own bound for stdio.
const PERMIT: usize = 64 * 1024;

/// weld's stdout, handed to the guest.
pub(crate) struct GuestStdout;

impl IsTerminal for GuestStdout {
    fn is_terminal(&self) -> bool {
        io::IsTerminal::is_terminal(&io::stdout())
    }
}

impl StdoutStream for GuestStdout {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(Stream)
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(Stream)
    }
}

struct Stream;

/// A write error for the guest: a closed pipe ends the guest (a trap carrying the I/O error), anything else is
/// the guest's to handle.
fn guest_error(err: io::Error) -> StreamError {
    if err.kind() == io::ErrorKind::BrokenPipe {
        StreamError::Trap(wasmtime::Error::new(err))
    } else {
        StreamError::LastOperationFailed(wasmtime::Error::new(err))
    }
}

impl OutputStream for Stream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        io::stdout().write_all(&bytes).map_err(guest_error)
    }

    fn flush(&mut self) -> StreamResult<()> {
        io::stdout().flush().map_err(guest_error)
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for Stream {
    async fn ready(&mut self) {}
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        // WASI 0.3's stdout (wasmtime's consumer) gives the guest a `pipe` error code for a closed pipe, which it
        // may ignore: the run notes it and ends as a closed output (`runner.rs`).
        Poll::Ready(noted(io::stdout().write(buf)))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(noted(io::stdout().flush()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
