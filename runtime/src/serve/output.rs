//! A request's guest stdout and stderr: cut into lines and handed to the server's [`ServeLog`] with the request's
//! id, so that output from requests in flight at once never interleaves within a line.

use super::{GuestStream, ServeLog};
use bytes::Bytes;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Largest write the guest is offered at once: wasmtime-wasi's own bound for stdio.
const PERMIT: usize = 64 * 1024;

/// A line longer than this is handed on in pieces of this size, so a guest that never writes a newline cannot
/// grow weld's memory.
const MAX_LINE: usize = 16 * 1024;

/// One of a request's output streams, as WASI's stdout or stderr.
#[derive(Clone)]
pub(crate) struct GuestOutput {
    /// The id of the request the instance is serving (an instance kept between requests serves several).
    pub(crate) request: Arc<AtomicU64>,
    pub(crate) stream: GuestStream,
    pub(crate) log: Arc<dyn ServeLog>,
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(Lines::new(self.clone()))
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(Lines::new(self.clone()))
    }
}

/// Bytes written so far that do not yet end a line.
struct Lines {
    to: GuestOutput,
    pending: Vec<u8>,
}

impl Lines {
    fn new(to: GuestOutput) -> Self {
        Lines {
            to,
            pending: Vec::new(),
        }
    }

    fn emit(&self, line: &[u8]) {
        self.to.log.guest_output(
            self.to.request.load(Ordering::Relaxed),
            self.to.stream,
            line,
        );
    }

    fn push(&mut self, mut bytes: &[u8]) {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            if self.pending.is_empty() {
                self.emit(&bytes[..end]);
            } else {
                self.pending.extend_from_slice(&bytes[..end]);
                let line = std::mem::take(&mut self.pending);
                self.emit(&line);
            }
            bytes = &bytes[end + 1..];
        }
        self.pending.extend_from_slice(bytes);
        while self.pending.len() >= MAX_LINE {
            let rest = self.pending.split_off(MAX_LINE);
            let piece = std::mem::replace(&mut self.pending, rest);
            self.emit(&piece);
        }
    }

    fn finish(&mut self) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        self.finish();
    }
}

impl OutputStream for Lines {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for Lines {
    async fn ready(&mut self) {}
}

impl AsyncWrite for Lines {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.finish();
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::Access;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Collect(Mutex<Vec<(u64, String)>>);

    impl ServeLog for Collect {
        fn guest_output(&self, request: u64, _: GuestStream, line: &[u8]) {
            let line = String::from_utf8_lossy(line).into_owned();
            self.0.lock().unwrap().push((request, line));
        }
        fn access(&self, _: &Access) {}
    }

    fn lines(writes: &[&[u8]]) -> Vec<(u64, String)> {
        let log = Arc::new(Collect::default());
        let mut lines = Lines::new(GuestOutput {
            request: Arc::new(AtomicU64::new(7)),
            stream: GuestStream::Stdout,
            log: log.clone(),
        });
        for write in writes {
            lines.push(write);
        }
        drop(lines);
        log.0.lock().unwrap().clone()
    }

    #[test]
    fn writes_are_cut_into_lines_across_write_boundaries_and_the_rest_is_flushed_at_the_end() {
        let seen = lines(&[b"hel", b"lo\nwor", b"ld\n\nlast"]);
        let texts: Vec<&str> = seen.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(texts, ["hello", "world", "", "last"]);
        assert!(seen.iter().all(|(id, _)| *id == 7));
    }

    #[test]
    fn a_line_without_end_is_handed_on_in_bounded_pieces() {
        let long = vec![b'x'; MAX_LINE * 2 + 5];
        let seen = lines(&[&long]);
        let sizes: Vec<usize> = seen.iter().map(|(_, l)| l.len()).collect();
        assert_eq!(sizes, [MAX_LINE, MAX_LINE, 5]);
    }
}
