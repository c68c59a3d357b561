//! Reading the start of a request body before the request takes a `max_concurrent` slot. An upload that
//! trickles a byte a second then waits on its connection, not in a slot with an instance, so a hundred of them
//! cannot lock other clients out. nginx does the same, and more: `proxy_request_buffering on` reads a whole body
//! before it passes the request on. weld reads at most [`ConnectionLimits::read_ahead`](super::ConnectionLimits)
//! bytes; the guest gets the rest as it arrives, so large bodies still stream.

use super::paced::{BodyTooSlow, Paced};
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming};
use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Why the start of a request body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UnreadBody {
    /// The client sent it slower than the pace allows.
    #[error(transparent)]
    TooSlow(BodyTooSlow),
    /// It is longer than the cap, in bytes (a chunked body, or one longer than it declared).
    #[error("the request body is over the cap of {0} bytes")]
    TooLarge(u64),
    /// The connection failed or closed before the body's end.
    #[error("the request body was cut off")]
    Cut(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A request body whose first frames were read ahead: those frames, then the rest as it arrives.
pub(super) struct Ahead<B = Incoming> {
    read: VecDeque<Frame<Bytes>>,
    rest: Option<Paced<B>>,
}

impl<B> Ahead<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    /// Reads `body` until it ends or more than `budget` bytes have come (a frame may take it past `budget`).
    /// A `budget` of 0 reads nothing.
    ///
    /// # Errors
    /// [`UnreadBody`]: too slow for the pace, over `cap` bytes, or cut off.
    pub(super) async fn read(
        mut body: Paced<B>,
        budget: u64,
        cap: u64,
    ) -> Result<Ahead<B>, UnreadBody> {
        let mut read = VecDeque::new();
        let mut received = 0u64;
        while received < budget && !body.is_end_stream() {
            match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
                None => {
                    return Ok(Ahead { read, rest: None });
                }
                Some(Ok(frame)) => {
                    received += frame.data_ref().map_or(0, |data| data.len() as u64);
                    if received > cap {
                        return Err(UnreadBody::TooLarge(cap));
                    }
                    read.push_back(frame);
                }
                Some(Err(err)) => {
                    return Err(match err.downcast::<BodyTooSlow>() {
                        Ok(slow) => UnreadBody::TooSlow(*slow),
                        Err(err) => UnreadBody::Cut(err),
                    });
                }
            }
        }
        let rest = (!body.is_end_stream()).then_some(body);
        Ok(Ahead { read, rest })
    }
}

impl<B> Body for Ahead<B>
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
        if let Some(frame) = self.read.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        match self.rest.as_mut() {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_empty() && self.rest.as_ref().is_none_or(Body::is_end_stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A body of the given data frames, then the trailers if any; never pending.
    struct Frames(VecDeque<Frame<Bytes>>);

    impl Body for Frames {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front().map(Ok))
        }

        fn is_end_stream(&self) -> bool {
            self.0.is_empty()
        }
    }

    fn paced(data: &[&'static [u8]], trailers: Option<http::HeaderMap>) -> Paced<Frames> {
        let mut frames: VecDeque<_> = data
            .iter()
            .map(|d| Frame::data(Bytes::from_static(d)))
            .collect();
        frames.extend(trailers.map(Frame::trailers));
        Paced::new(Frames(frames), Duration::from_secs(10))
    }

    async fn frames(mut body: Ahead<Frames>) -> Vec<Frame<Bytes>> {
        let mut out = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            out.push(frame.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn frames_read_ahead_come_first_then_the_rest_in_order() {
        let body = paced(&[b"ab", b"cd", b"ef"], None);
        let ahead = Ahead::read(body, 3, 100).await.unwrap();
        assert_eq!(ahead.read.len(), 2, "it stops once past the budget");
        let data: Vec<u8> = frames(ahead)
            .await
            .into_iter()
            .filter_map(|f| f.into_data().ok())
            .flat_map(|d| d.to_vec())
            .collect();
        assert_eq!(data, b"abcdef");
    }

    #[tokio::test]
    async fn a_body_that_ends_within_the_budget_is_read_whole_with_its_trailers() {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("x-sum", "1".parse().unwrap());
        let body = paced(&[b"ab"], Some(trailers));
        let ahead = Ahead::read(body, 1 << 10, 100).await.unwrap();
        assert!(ahead.rest.is_none());
        let frames = frames(ahead).await;
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].trailers_ref().unwrap()["x-sum"], "1");
    }

    #[tokio::test]
    async fn a_body_past_the_cap_is_refused_while_read_ahead() {
        let body = paced(&[b"abc", b"def"], None);
        let err = Ahead::read(body, 1 << 10, 4).await.err().unwrap();
        assert!(matches!(err, UnreadBody::TooLarge(4)), "{err:?}");
    }

    #[tokio::test]
    async fn a_budget_of_zero_reads_nothing() {
        let body = paced(&[b"ab"], None);
        let ahead = Ahead::read(body, 0, 100).await.unwrap();
        assert!(ahead.read.is_empty() && ahead.rest.is_some());
    }
}
