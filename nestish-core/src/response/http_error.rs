//! [`HttpError`]: a request that cannot be served, answered with NestJS's JSON error body.

use std::fmt;

use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};

use crate::{Body, IntoResponse, Response};

/// An HTTP error answer, NestJS's `HttpException`: a status and a message, sent as
/// `{"statusCode":404,"message":"...","error":"Not Found"}`.
///
/// Return it from a route as `Result<T, HttpError>`, or from a [`Guard`](crate::Guard) to refuse
/// a request. Yielded as `Err` by an SSE stream, it ends the stream with an `event: error` whose
/// data is [`message`](Self::message). It may carry response headers
/// ([`with_header`](Self::with_header)): a 401's `WWW-Authenticate`, a 429's `Retry-After`.
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
    /// Boxed, and only when there are some: an `HttpError` travels in every `Result` of the
    /// request path, and most have none.
    headers: Option<Box<HeaderMap>>,
    /// Every message of a [`validation`](Self::validation) error, sent as an array; `message`
    /// then joins them.
    messages: Option<Box<[String]>>,
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
            headers: None,
            messages: None,
        }
    }

    /// 400 Bad Request with one message per problem, NestJS's `ValidationPipe` answer:
    /// `{"statusCode":400,"message":["name: length is lower than 1", ...],"error":"Bad Request"}`.
    /// [`message`](Self::message) joins them with `; ` (an SSE `event: error` carries that).
    ///
    /// ```
    /// use nestish_core::HttpError;
    ///
    /// let error = HttpError::validation(vec!["name: empty".into(), "age: too high".into()]);
    /// assert_eq!(
    ///     error.to_json(),
    ///     r#"{"statusCode":400,"message":["name: empty","age: too high"],"error":"Bad Request"}"#
    /// );
    /// assert_eq!(error.message(), "name: empty; age: too high");
    /// assert_eq!(error.messages(), ["name: empty", "age: too high"]);
    /// ```
    #[must_use]
    pub fn validation(messages: Vec<String>) -> Self {
        let mut error = Self::bad_request(messages.join("; "));
        error.messages = Some(messages.into_boxed_slice());
        error
    }

    /// Each message: those of a [`validation`](Self::validation) error, or the one message.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::conflict("taken").messages(), ["taken"]);
    /// ```
    #[must_use]
    pub fn messages(&self) -> &[String] {
        match &self.messages {
            Some(messages) => messages,
            None => std::slice::from_ref(&self.message),
        }
    }

    /// Adds a header to the answer (a second value of the same name is appended, not replaced).
    ///
    /// ```
    /// use nestish_core::header::{HeaderValue, WWW_AUTHENTICATE};
    /// use nestish_core::{HttpError, IntoResponse};
    ///
    /// let refused = HttpError::unauthorized("log in first")
    ///     .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Cookie realm=\"chat\""));
    /// let response = refused.into_response();
    /// assert_eq!(response.status(), 401);
    /// assert_eq!(response.headers()["www-authenticate"], "Cookie realm=\"chat\"");
    /// ```
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers
            .get_or_insert_with(Default::default)
            .append(name, value);
        self
    }

    /// The headers the answer carries besides `Content-Type`.
    ///
    /// ```
    /// let error = nestish_core::HttpError::conflict("taken");
    /// assert!(error.headers().is_empty());
    /// ```
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        static NONE: std::sync::OnceLock<HeaderMap> = std::sync::OnceLock::new();
        match &self.headers {
            Some(headers) => headers,
            None => NONE.get_or_init(HeaderMap::new),
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

    /// 401 Unauthorized: who the client is is unknown. HTTP asks a 401 to say how to
    /// authenticate in a `WWW-Authenticate` header: add one with [`with_header`](Self::with_header).
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::unauthorized("no session").status(), 401);
    /// ```
    #[must_use]
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
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

    /// 409 Conflict.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::conflict("name taken").status(), 409);
    /// ```
    #[must_use]
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// 410 Gone.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::gone("job expired").status(), 410);
    /// ```
    #[must_use]
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, message)
    }

    /// 422 Unprocessable Entity.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::unprocessable_entity("no").status(), 422);
    /// ```
    #[must_use]
    pub fn unprocessable_entity(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 429 Too Many Requests; add a `Retry-After` header with [`with_header`](Self::with_header).
    ///
    /// ```
    /// use nestish_core::HttpError;
    /// use nestish_core::header::{HeaderValue, RETRY_AFTER};
    ///
    /// let error = HttpError::too_many_requests("slow down")
    ///     .with_header(RETRY_AFTER, HeaderValue::from_static("30"));
    /// assert_eq!(error.headers()["retry-after"], "30");
    /// ```
    #[must_use]
    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, message)
    }

    /// 503 Service Unavailable.
    ///
    /// ```
    /// assert_eq!(nestish_core::HttpError::service_unavailable("down").status(), 503);
    /// ```
    #[must_use]
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
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
        let message = match &self.messages {
            Some(messages) => serde_json::Value::from(messages.to_vec()).to_string(),
            None => string(&self.message),
        };
        format!(
            r#"{{"statusCode":{},"message":{},"error":{}}}"#,
            self.status.as_u16(),
            message,
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

/// The status, its headers, and NestJS's JSON body as `application/json; charset=utf-8`; no
/// body for the statuses that may not have one (204 No Content, which tells an `EventSource` not
/// to reconnect, and 304 Not Modified).
impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body_less = matches!(
            self.status,
            StatusCode::NO_CONTENT | StatusCode::NOT_MODIFIED
        );
        let mut response = if body_less {
            Response::new(Body::empty())
        } else {
            let mut response = Response::new(Body::from(self.to_json()));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            response
        };
        *response.status_mut() = self.status;
        if let Some(headers) = &self.headers {
            // Kept on the error too: a filter's reply may carry them (a 401's challenge).
            response.headers_mut().extend((**headers).clone());
        }
        // For the exception filters, which catch by type wherever the answer was made.
        if super::raised::wanted() {
            response
                .extensions_mut()
                .insert(super::Raised::answered(Box::new(self)));
        }
        response
    }
    #[cfg(feature = "openapi")]
    fn describe(_: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        use crate::openapi::{Content, ResponseDoc, Status};
        // Any error status the route chooses, with NestJS's body.
        let body = || Some(Content::json(crate::openapi::error_body_ref()));
        vec![
            ResponseDoc::new(Status::Class(4), "The route refuses the request", body()),
            ResponseDoc::new(Status::Class(5), "The route fails", body()),
        ]
    }
}
