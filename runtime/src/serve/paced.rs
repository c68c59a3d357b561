//! A request body that must keep a minimum pace: a client that uploads a byte a second would otherwise hold a
//! `--max-concurrent` slot (and its instance) for as long as it likes. The rule is Apache httpd's
//! `mod_reqtimeout` (`RequestReadTimeout body=10,MinRate=500`): the body may take `grace`, plus one second for
//! every [`MIN_BODY_RATE`] bytes received; past that it ends with [`BodyTooSlow`].

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// Bytes per second a request body earns one more second with (`mod_reqtimeout`'s `MinRate` default).
pub const MIN_BODY_RATE: u64 = 500;

/// Why a request body ended early: it arrived slower than the pace allows.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly: {received} bytes in {}; the pace is {MIN_BODY_RATE} bytes a second after the first {}", humantime::format_duration(*took), humantime::format_duration(*grace))]
pub struct BodyTooSlow {
    /// Bytes received when it was ended.
    pub received: u64,
    /// Time since the body began, rounded to milliseconds.
    pub took: Duration,
    /// The grace period.
    pub grace: Duration,
}

/// A request body (hyper's `Incoming`) with a deadline that moves with what arrives.
pub(super) struct Paced<B = Incoming> {
    inner: B,
    started: Instant,
    grace: Duration,
    received: u64,
    deadline: Pin<Box<Sleep>>,
    ended: bool,
}

impl<B> Paced<B> {
    pub(super) fn new(inner: B, grace: Duration) -> Paced<B> {
        let started = Instant::now();
        Paced {
            inner,
            started,
            grace,
            received: 0,
            deadline: Box::pin(tokio::time::sleep_until(started + grace)),
            ended: false,
        }
    }
}

impl<B> Body for Paced<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.received += data.len() as u64;
                    let earned =
                        Duration::from_secs_f64(self.received as f64 / MIN_BODY_RATE as f64);
                    let deadline = self.started + self.grace + earned;
                    self.deadline.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.ended = true;
                    let took = self.started.elapsed();
                    Poll::Ready(Some(Err(Box::new(BodyTooSlow {
                        received: self.received,
                        took: Duration::from_millis(took.as_millis() as u64),
                        grace: self.grace,
                    }))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}
