//! What a filter is given besides the error ([`ErrorHost`]) and what it answers ([`ErrorReply`]).

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use serde::Serialize;

use crate::{Body, HttpError, IntoResponse, Response};

/// Where an error happened, for a filter to describe it (NestJS's `ArgumentsHost`).
///
/// ```
/// use nestish_core::filter::ErrorHost;
///
/// fn described(host: &ErrorHost<'_>) -> String {
///     format!("{} {}", host.method().map_or("-", |m| m.as_str()), host.path().unwrap_or("-"))
/// }
/// # let _ = described;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ErrorHost<'a> {
    pub(crate) method: Option<&'a Method>,
    pub(crate) path: Option<&'a str>,
    pub(crate) route: Option<&'static str>,
    pub(crate) in_stream: bool,
}

impl<'a> ErrorHost<'a> {
    /// The request's method; `None` inside an SSE stream, whose request is gone by then.
    ///
    /// ```
    /// # fn f(host: &nestish_core::filter::ErrorHost<'_>) {
    /// let _ = host.method();
    /// # }
    /// ```
    #[must_use]
    pub fn method(&self) -> Option<&'a Method> {
        self.method
    }

    /// The request's path as the client sent it (`/orders/7`); `None` inside an SSE stream.
    ///
    /// ```
    /// # fn f(host: &nestish_core::filter::ErrorHost<'_>) {
    /// let path = host.path().or(host.route()).unwrap_or("/");
    /// # let _ = path; }
    /// ```
    #[must_use]
    pub fn path(&self) -> Option<&'a str> {
        self.path
    }

    /// The route's path template (`/orders/:id`); `None` when no route took the request (404,
    /// 405).
    ///
    /// ```
    /// # fn f(host: &nestish_core::filter::ErrorHost<'_>) {
    /// let _ = host.route();
    /// # }
    /// ```
    #[must_use]
    pub fn route(&self) -> Option<&'static str> {
        self.route
    }

    /// Whether the error ended an SSE stream that had begun: the reply's status and headers
    /// are then unused, and its body is the data of the stream's last event, `event: error`.
    ///
    /// ```
    /// # fn f(host: &nestish_core::filter::ErrorHost<'_>) {
    /// let _ = host.in_stream();
    /// # }
    /// ```
    #[must_use]
    pub fn in_stream(&self) -> bool {
        self.in_stream
    }
}

/// A filter's answer to an error: status, headers and body.
///
/// ```
/// use nestish_core::filter::ErrorReply;
/// use nestish_core::StatusCode;
///
/// let reply = ErrorReply::json(StatusCode::CONFLICT, &serde_json::json!({ "code": "taken" }));
/// assert_eq!(reply.status(), 409);
/// assert_eq!(reply.body(), r#"{"code":"taken"}"#);
/// ```
#[derive(Clone, Debug)]
pub struct ErrorReply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl ErrorReply {
    /// `value` as JSON (`application/json; charset=utf-8`). A value that cannot be serialised
    /// gives NestJS's 500, and the serde error goes to the log.
    ///
    /// ```
    /// let reply = nestish_core::filter::ErrorReply::json(
    ///     nestish_core::StatusCode::BAD_REQUEST,
    ///     &serde_json::json!({ "ok": false }),
    /// );
    /// assert_eq!(reply.headers()["content-type"], "application/json; charset=utf-8");
    /// ```
    #[must_use]
    pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self::with_type(status, body.into(), "application/json; charset=utf-8"),
            Err(error) => {
                tracing::error!(%error, "cannot serialize an exception filter's reply");
                Self::from(&HttpError::internal())
            }
        }
    }

    /// `text` as `text/plain; charset=utf-8`.
    ///
    /// ```
    /// let reply = nestish_core::filter::ErrorReply::text(nestish_core::StatusCode::GONE, "gone");
    /// assert_eq!(reply.body(), "gone");
    /// ```
    #[must_use]
    pub fn text(status: StatusCode, text: impl Into<String>) -> Self {
        Self::with_type(status, text.into().into(), "text/plain; charset=utf-8")
    }

    fn with_type(status: StatusCode, body: Bytes, content_type: &'static str) -> Self {
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        Self {
            status,
            headers,
            body,
        }
    }

    /// Adds a header (a second value of the same name is appended).
    ///
    /// ```
    /// use nestish_core::header::{HeaderValue, RETRY_AFTER};
    ///
    /// let reply = nestish_core::filter::ErrorReply::text(nestish_core::StatusCode::TOO_MANY_REQUESTS, "wait")
    ///     .header(RETRY_AFTER, HeaderValue::from_static("3"));
    /// assert_eq!(reply.headers()["retry-after"], "3");
    /// ```
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The status.
    ///
    /// ```
    /// # let reply = nestish_core::filter::ErrorReply::text(nestish_core::StatusCode::GONE, "");
    /// assert_eq!(reply.status(), 410);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers, `Content-Type` among them.
    ///
    /// ```
    /// # let reply = nestish_core::filter::ErrorReply::text(nestish_core::StatusCode::GONE, "");
    /// assert_eq!(reply.headers().len(), 1);
    /// ```
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body (as UTF-8, lossily: what an SSE stream's `event: error` carries).
    ///
    /// ```
    /// # let reply = nestish_core::filter::ErrorReply::text(nestish_core::StatusCode::GONE, "gone");
    /// assert_eq!(reply.body(), "gone");
    /// ```
    #[must_use]
    pub fn body(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// NestJS's answer to `error`, as nestish sends it without a filter: a filter's fallback.
///
/// ```
/// use nestish_core::HttpError;
/// use nestish_core::filter::ErrorReply;
///
/// let reply = ErrorReply::from(&HttpError::not_found("no cat"));
/// assert_eq!(reply.body(), r#"{"statusCode":404,"message":"no cat","error":"Not Found"}"#);
/// ```
impl From<&HttpError> for ErrorReply {
    fn from(error: &HttpError) -> Self {
        let mut reply = Self::with_type(
            error.status(),
            error.to_json().into(),
            "application/json; charset=utf-8",
        );
        for (name, value) in error.headers() {
            reply.headers.append(name, value.clone());
        }
        reply
    }
}

impl IntoResponse for ErrorReply {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }

    /// Any status, in the app's own format (a filter's to choose).
    #[cfg(feature = "openapi")]
    fn describe(_: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        use crate::openapi::{ResponseDoc, Status};
        let what = "An error answer in the format the app's filters give it";
        vec![ResponseDoc::new(Status::Default, what, None)]
    }
}
