//! [`RequestBody`]: the body of a request, whatever server delivered it.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;

use crate::BoxError;
use crate::downcast::take_as;

/// The body of a request as a route sees it: hyper's body when nestish's own server delivered
/// the request, any other [`http_body::Body`] when the app runs inside another server (axum, a
/// hand-written hyper server) or is called in-process.
///
/// Routes read it through a `#[body]` argument; a layer of yours sees it as the request's body.
///
/// ```
/// use http_body_util::{BodyExt, Full};
/// use nestish_core::RequestBody;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let body = RequestBody::new(Full::new(bytes::Bytes::from_static(b"hello")));
/// let bytes = body.collect().await.unwrap().to_bytes();
/// assert_eq!(bytes, "hello");
/// # }
/// ```
pub struct RequestBody(Kind);

enum Kind {
    Empty,
    // Unboxed, so a request to nestish's own server costs no allocation for its body.
    Incoming(hyper::body::Incoming),
    Boxed(Pin<Box<dyn http_body::Body<Data = Bytes, Error = BoxError> + Send>>),
}

impl RequestBody {
    /// Wraps any body whose error converts into a [`BoxError`]. A `RequestBody` or hyper's
    /// `Incoming` is taken as it is, without a box.
    ///
    /// ```
    /// let body = nestish_core::RequestBody::new(http_body_util::Empty::<bytes::Bytes>::new());
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
        if let Some(incoming) = take_as::<hyper::body::Incoming, _>(&mut body) {
            return Self::incoming(incoming);
        }
        match body {
            Some(body) => Self(Kind::Boxed(Box::pin(body.map_err(Into::into)))),
            None => Self::empty(),
        }
    }

    /// A body with no bytes.
    ///
    /// ```
    /// assert!(http_body::Body::is_end_stream(&nestish_core::RequestBody::empty()));
    /// ```
    #[must_use]
    pub fn empty() -> Self {
        Self(Kind::Empty)
    }

    pub(crate) fn incoming(body: hyper::body::Incoming) -> Self {
        Self(Kind::Incoming(body))
    }
}

impl Default for RequestBody {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Kind::Empty => "RequestBody::Empty",
            Kind::Incoming(_) => "RequestBody::Incoming",
            Kind::Boxed(_) => "RequestBody::Boxed",
        })
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.0 {
            Kind::Empty => Poll::Ready(None),
            Kind::Incoming(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
            Kind::Boxed(body) => body.as_mut().poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Kind::Empty => true,
            Kind::Incoming(body) => body.is_end_stream(),
            Kind::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Kind::Empty => SizeHint::with_exact(0),
            Kind::Incoming(body) => body.size_hint(),
            Kind::Boxed(body) => body.size_hint(),
        }
    }
}
