//! The response head of an SSE route: the headers of NestJS's set that have an effect.
//!
//! NestJS also sends `Pragma: no-cache`, `Expires: 0` and, on HTTP/1.1, `Connection:
//! keep-alive`. None of them changes what a client or a proxy does with an event stream:
//! `Cache-Control` overrides `Expires` and is the only cache directive HTTP/1.1 caches read
//! (RFC 9111 §5.3, §5.4: `Pragma` has no defined meaning in a response), and an HTTP/1.1
//! connection is persistent by default (RFC 9112 §9.3). They are not free either: hyper keeps
//! each connection's last response header map for the next request, so an SSE client holds its
//! map for as long as it listens, and three headers fit a map a third the size of six's.

use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::SseSetup;
use super::SseStream;
use super::body::SseBody;
use crate::{Body, Response};

const X_ACCEL_BUFFERING: HeaderName = HeaderName::from_static("x-accel-buffering");

/// The 200 response that streams `stream`'s events.
pub(crate) fn sse_response<S: SseStream>(stream: S, setup: SseSetup) -> Response {
    let body = Body::stream(SseBody::new(stream, setup));
    let mut response = Response::new(body);
    *response.headers_mut() = headers();
    response
}

/// An `#[sse]` method's stream with a status or headers of its own: return `Sse<impl Stream>`
/// (or a `Result` of one) instead of the bare stream.
///
/// ```
/// use futures::{Stream, stream};
/// use nestish_core::header::{HeaderValue, SET_COOKIE};
/// use nestish_core::{MessageEvent, Sse, controller, sse};
///
/// #[derive(Default)]
/// pub struct FeedController;
///
/// #[controller("feed")]
/// impl FeedController {
///     #[sse]
///     fn feed(&self) -> Sse<impl Stream<Item = MessageEvent> + Send + 'static> {
///         Sse::new(stream::iter([MessageEvent::new("hello")]))
///             .header(SET_COOKIE, HeaderValue::from_static("seen=1; Path=/feed"))
///     }
/// }
/// ```
#[derive(Debug)]
#[must_use = "an Sse does nothing unless returned from an #[sse] method"]
pub struct Sse<S> {
    stream: S,
    status: StatusCode,
    headers: HeaderMap,
}

impl<S: SseStream> Sse<S> {
    /// `stream`, answered 200 with the event-stream headers alone, as a bare stream is.
    ///
    /// ```
    /// let sse = nestish_core::Sse::new(futures::stream::empty::<nestish_core::MessageEvent>());
    /// # let _ = sse;
    /// ```
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            status: StatusCode::OK,
            headers: HeaderMap::new(),
        }
    }

    /// Adds a header (a second of the same name is appended). One that nestish sets on every
    /// stream (`Content-Type`, `Cache-Control`, `X-Accel-Buffering`) is replaced by yours.
    ///
    /// ```
    /// use nestish_core::header::{HeaderName, HeaderValue};
    ///
    /// let sse = nestish_core::Sse::new(futures::stream::empty::<nestish_core::MessageEvent>())
    ///     .header(HeaderName::from_static("x-stream-epoch"), HeaderValue::from_static("7"));
    /// # let _ = sse;
    /// ```
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets the status (200 unless set). A browser's `EventSource` reads a stream only from a
    /// 200 answer.
    ///
    /// ```
    /// use nestish_core::{Sse, StatusCode};
    ///
    /// let sse = Sse::new(futures::stream::empty::<nestish_core::MessageEvent>())
    ///     .status(StatusCode::CREATED);
    /// # let _ = sse;
    /// ```
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The response that streams the events, with the head asked for.
    pub(crate) fn into_response(self, setup: SseSetup) -> Response {
        let mut response = sse_response(self.stream, setup);
        *response.status_mut() = self.status;
        // `extend` replaces the values of a name both maps have.
        response.headers_mut().extend(self.headers);
        response
    }
}

/// What an `#[sse]` method returns: a stream of events ([`SseStream`]), or an [`Sse`] of one
/// (the stream with a status and headers of its own). A fallible method returns a `Result` of
/// either, whose error answers instead (its status and NestJS's body), before any SSE header.
///
/// ```
/// use futures::{Stream, StreamExt};
/// use nestish_core::{IntoSse, MessageEvent, Sse};
///
/// fn bare() -> impl IntoSse {
///     futures::stream::iter([MessageEvent::new("hello")])
/// }
///
/// fn with_head() -> impl IntoSse {
///     Sse::new(futures::stream::iter(["hello"]))
/// }
/// # let _ = (bare, with_head);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a stream of server-sent events",
    label = "an #[sse] method must return a stream of events",
    note = "return `impl Stream<Item = MessageEvent> + Send + 'static`, or `Sse<impl Stream<...>>` for a status and headers of its own; items may also be `Json<T>`, `String`, `&'static str`, a hub's `HubEvent`, anything with `From<T> for MessageEvent`, or a `Result` of one"
)]
pub trait IntoSse: Send + 'static {
    /// The `text/event-stream` response.
    #[doc(hidden)]
    fn into_sse(self, setup: SseSetup) -> Response;

    /// The events the stream may carry, for the OpenAPI document (feature `openapi`).
    #[cfg(feature = "openapi")]
    #[doc(hidden)]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc>;
}

// Not recommended in errors: a wrong return type is reported with `IntoSse`'s own message.
#[diagnostic::do_not_recommend]
impl<S: SseStream> IntoSse for S {
    fn into_sse(self, setup: SseSetup) -> Response {
        sse_response(self, setup)
    }

    #[cfg(feature = "openapi")]
    #[doc(hidden)]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc> {
        <S::Item as super::SseItem>::describe(schemas)
    }
}

impl<S: SseStream> IntoSse for Sse<S> {
    fn into_sse(self, setup: SseSetup) -> Response {
        self.into_response(setup)
    }

    #[cfg(feature = "openapi")]
    #[doc(hidden)]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc> {
        <S::Item as super::SseItem>::describe(schemas)
    }
}

/// The answer to `HEAD` on an SSE route: the headers a `GET` would get, no body, no stream.
pub(crate) fn head_response() -> Response {
    let mut response = Response::new(Body::empty());
    *response.headers_mut() = headers();
    response
}

fn headers() -> HeaderMap {
    // Sized for exactly these: a map grown one insert at a time starts at six entries.
    let mut headers = HeaderMap::with_capacity(3);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    // Nothing between the server and the browser may cache, transform or buffer the stream:
    // caches by `Cache-Control`, nginx by `X-Accel-Buffering` (it buffers proxied responses).
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(
            "private, no-cache, no-store, must-revalidate, max-age=0, no-transform",
        ),
    );
    headers.insert(X_ACCEL_BUFFERING, HeaderValue::from_static("no"));
    headers
}
