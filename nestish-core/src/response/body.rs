//! [`Body`]: the response body type of every nestish route.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

use crate::BoxError;
use crate::downcast::take_as;

/// A response body: bytes known up front, or a stream (as an SSE route sends).
///
/// Converts from `String`, `&'static str`, `Vec<u8>` and [`Bytes`].
///
/// ```
/// use nestish_core::{Body, Response};
///
/// let response: Response = Response::new(Body::from("hello"));
/// assert_eq!(http_body::Body::size_hint(response.body()).exact(), Some(5));
/// ```
pub struct Body(Kind);

enum Kind {
    Full(Option<Bytes>),
    Stream(Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send>>),
}

impl Body {
    /// A body with no bytes.
    ///
    /// ```
    /// assert!(http_body::Body::is_end_stream(&nestish_core::Body::empty()));
    /// ```
    #[must_use]
    pub fn empty() -> Self {
        Self(Kind::Full(None))
    }

    /// A body streamed from any [`http_body::Body`]; a `Body` is taken as it is. An error from
    /// it ends the response early (hyper closes the connection, or resets the HTTP/2 stream).
    ///
    /// ```
    /// use http_body_util::Full;
    /// use nestish_core::Body;
    ///
    /// let body = Body::new(Full::new(bytes::Bytes::from_static(b"streamed")));
    /// # let _ = body;
    /// ```
    pub fn new<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let mut body = Some(body);
        if let Some(own) = take_as::<Self, _>(&mut body) {
            return own;
        }
        match body {
            Some(body) => Self(Kind::Stream(Box::pin(body.map_err(Into::into)))),
            None => Self::empty(),
        }
    }

    /// A stream body whose error type is [`BoxError`] already, boxed as it is: an SSE body is
    /// polled for every event it sends, so it goes without the error-converting layer of
    /// [`Body::new`].
    pub(crate) fn stream<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes, Error = BoxError> + Send + 'static,
    {
        Self(Kind::Stream(Box::pin(body)))
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Full(bytes) => f.debug_tuple("Body::Full").field(bytes).finish(),
            Kind::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Self(Kind::Full((!bytes.is_empty()).then_some(bytes)))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Bytes::from_static(text.as_bytes()).into()
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes::from(bytes).into()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.0 {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Stream(body) => body.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Stream(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream(body) => body.size_hint(),
        }
    }
}
