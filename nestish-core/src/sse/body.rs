//! The response body of an SSE route: polls the user's stream and writes each event as it comes.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http_body::{Frame, SizeHint};

use super::encode::{encode, encode_data};
use super::{BoxError, SseItem};
use crate::HttpError;

/// Events already produced by the stream are sent together in one frame, up to these caps, so a
/// fast stream costs one write per batch rather than one per event; a connection never waits for
/// more than the stream has ready, and never holds the others up for longer than one batch.
const MAX_FRAME_EVENTS: usize = 64;
const MAX_FRAME_BYTES: usize = 16 * 1024;

/// Streams `S`'s events as an HTTP body. Dropped, with the stream, when the client goes away.
pub(crate) struct SseBody<S> {
    /// `None` once the stream has ended or failed: it is dropped as soon as it is finished.
    stream: Option<Pin<Box<S>>>,
    buf: BytesMut,
    route: &'static str,
}

impl<S> SseBody<S>
where
    S: Stream + Send + 'static,
    S::Item: SseItem,
{
    pub(crate) fn new(stream: S, route: &'static str) -> Self {
        let mut buf = BytesMut::with_capacity(512);
        // A lone line break first, as NestJS sends: it puts the headers on the wire at once, so
        // the browser's `open` fires before the first event. Clients ignore an empty line.
        buf.extend_from_slice(b"\n");
        Self {
            stream: Some(Box::pin(stream)),
            buf,
            route,
        }
    }

    fn fail(&mut self, error: BoxError) {
        let message = match error.downcast_ref::<HttpError>() {
            Some(http) => http.message().to_owned(),
            None => {
                tracing::error!(route = self.route, %error, "SSE stream failed");
                "Internal server error".to_owned()
            }
        };
        self.buf.extend_from_slice(b"event: error\n");
        encode_data(&message, &mut self.buf);
        self.buf.extend_from_slice(b"\n");
        self.stream = None;
    }
}

impl<S> http_body::Body for SseBody<S>
where
    S: Stream + Send + 'static,
    S::Item: SseItem,
{
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = &mut *self;
        let mut events = 0;
        while let Some(stream) = this.stream.as_mut() {
            if events == MAX_FRAME_EVENTS || this.buf.len() >= MAX_FRAME_BYTES {
                break;
            }
            match stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(item)) => {
                    events += 1;
                    match item.into_event() {
                        Ok(event) => encode(&event, &mut this.buf),
                        Err(error) => this.fail(error),
                    }
                }
                Poll::Ready(None) => this.stream = None,
                Poll::Pending => break,
            }
        }
        if !this.buf.is_empty() {
            Poll::Ready(Some(Ok(Frame::data(this.buf.split().freeze()))))
        } else if this.stream.is_none() {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }

    fn is_end_stream(&self) -> bool {
        self.stream.is_none() && self.buf.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
