//! The response head of an SSE route: NestJS's header set.

use http::header::{CACHE_CONTROL, CONNECTION, CONTENT_TYPE, EXPIRES, PRAGMA};
use http::{HeaderMap, HeaderName, HeaderValue, Version};

use super::SseSetup;
use super::SseStream;
use super::body::SseBody;
use crate::{Body, Response};

const X_ACCEL_BUFFERING: HeaderName = HeaderName::from_static("x-accel-buffering");

/// The 200 response that streams `stream`'s events.
pub(crate) fn sse_response<S: SseStream>(stream: S, version: Version, setup: SseSetup) -> Response {
    let mut response = Response::new(Body::new(SseBody::new(stream, setup)));
    insert_headers(response.headers_mut(), version);
    response
}

/// The answer to `HEAD` on an SSE route: the headers a `GET` would get, no body, no stream.
pub(crate) fn head_response(version: Version) -> Response {
    let mut response = Response::new(Body::empty());
    insert_headers(response.headers_mut(), version);
    response
}

fn insert_headers(headers: &mut HeaderMap, version: Version) {
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    // Nothing between the server and the browser may cache, transform or buffer the stream.
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(
            "private, no-cache, no-store, must-revalidate, max-age=0, no-transform",
        ),
    );
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(EXPIRES, HeaderValue::from_static("0"));
    headers.insert(X_ACCEL_BUFFERING, HeaderValue::from_static("no"));
    // HTTP/1.0 has no chunked encoding: such a body ends with the connection, so only a 1.1
    // client is told the connection stays open.
    if version == Version::HTTP_11 {
        headers.insert(CONNECTION, HeaderValue::from_static("keep-alive"));
    }
}
