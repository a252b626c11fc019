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
use http::{HeaderMap, HeaderName, HeaderValue};

use super::SseSetup;
use super::SseStream;
use super::body::SseBody;
use crate::{Body, Response};

const X_ACCEL_BUFFERING: HeaderName = HeaderName::from_static("x-accel-buffering");

/// The 200 response that streams `stream`'s events.
pub(crate) fn sse_response<S: SseStream>(stream: S, setup: SseSetup) -> Response {
    let mut response = Response::new(Body::new(SseBody::new(stream, setup)));
    *response.headers_mut() = headers();
    response
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
