//! [`HttpError`]: a request that cannot be served, answered with NestJS's JSON error body.

use std::fmt;

use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};

use crate::{Body, IntoResponse, Response};

/// An HTTP error answer, NestJS's `HttpException`: a status and a message, sent as
/// `{"statusCode":404,"message":"...","error":"Not Found"}`.
///
/// Return it from a route as `Result<T, HttpError>`. Yielded as `Err` by an SSE stream, it ends
/// the stream with an `event: error` whose data is [`message`](Self::message).
///
/// ```
/// use nestish_core::{HttpError, IntoResponse, StatusCode};
///
/// let error = HttpError::not_found("No cat with id 7");
/// assert_eq!(error.status(), StatusCode::NOT_FOUND);
/// assert_eq!(
///     error.to_json(),
///     r#"{"statusCode":404,"message":"No cat with id 7","error":"Not Found"}"#
/// );
/// assert_eq!(error.into_response().status(), 404);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    status: StatusCode,
    message: String,
}

impl HttpError {
    /// An error with any status and message.
    ///
    /// ```
    /// use nestish_core::{HttpError, StatusCode};
    ///
    /// let error = HttpError::new(StatusCode::CONFLICT, "already subscribed");
    /// assert_eq!(error.message(), "already subscribed");
    /// ```
    #[must_use]
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 400 Bad Request.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::bad_request("no").status(), 400);
    /// ```
    #[must_use]
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 403 Forbidden.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::forbidden("no").status(), 403);
    /// ```
    #[must_use]
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404 Not Found.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::not_found("no").status(), 404);
    /// ```
    #[must_use]
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 500 Internal Server Error, with NestJS's message.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::internal().message(), "Internal server error");
    /// ```
    #[must_use]
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }

    /// The response status.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::forbidden("x").status().as_u16(), 403);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message shown to the client.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::bad_request("bad page").message(), "bad page");
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON body NestJS sends for this error.
    ///
    /// ```
    /// let json = nestish_core::HttpError::bad_request("x").to_json();
    /// assert_eq!(json, r#"{"statusCode":400,"message":"x","error":"Bad Request"}"#);
    /// ```
    #[must_use]
    pub fn to_json(&self) -> String {
        // Written by hand to keep NestJS's field order; the strings are escaped as JSON.
        let string = |text: &str| serde_json::Value::from(text).to_string();
        format!(
            r#"{{"statusCode":{},"message":{},"error":{}}}"#,
            self.status.as_u16(),
            string(&self.message),
            string(self.status.canonical_reason().unwrap_or("Error")),
        )
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for HttpError {}

/// The status, and NestJS's JSON body as `application/json; charset=utf-8`; no body for the
/// statuses that may not have one (204 No Content, which tells an `EventSource` not to reconnect,
/// and 304 Not Modified).
impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        if matches!(
            self.status,
            StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
        ) {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = self.status;
            return response;
        }
        let mut response = Response::new(Body::from(self.to_json()));
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}
