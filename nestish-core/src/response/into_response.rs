//! What a plain (non-SSE) route may return: [`IntoResponse`] and its wrappers [`Html`], [`Json`].

use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde::Serialize;

use super::Documented;
use crate::{Body, HttpError};

/// An HTTP response with a nestish [`Body`].
pub type Response = http::Response<Body>;

/// Turns a route method's return value into the response.
///
/// | returned | status | `Content-Type` |
/// |---|---|---|
/// | `String`, `&'static str` | 200 | `text/plain; charset=utf-8` |
/// | [`Html<T>`] | 200 | `text/html; charset=utf-8` |
/// | [`Json<T>`] | 200 | `application/json; charset=utf-8` |
/// | `()` | 200, empty body | none |
/// | `(StatusCode, T)` | the given one | `T`'s |
/// | `(HeaderMap, T)`, `(StatusCode, HeaderMap, T)` | `T`'s or the given one, with the headers | `T`'s, unless given |
/// | `Result<T, E>` | `T`'s or `E`'s (`E` is usually [`HttpError`], or an `Exception` of yours for an exception filter to answer: see [`filter`](crate::filter)) | |
/// | [`Response`] | as built | as built |
///
/// ```
/// use nestish_core::{HttpError, IntoResponse, Json, StatusCode};
///
/// let created = (StatusCode::CREATED, Json(vec![1, 2, 3])).into_response();
/// assert_eq!(created.status(), 201);
/// assert_eq!(created.headers()["content-type"], "application/json; charset=utf-8");
///
/// let missing: Result<String, HttpError> = Err(HttpError::not_found("gone"));
/// assert_eq!(missing.into_response().status(), 404);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a route",
    label = "does not implement `IntoResponse`",
    note = "return `String`, `&'static str`, `Html<T>`, `Json<T>`, `()`, `(StatusCode, T)`, `(StatusCode, HeaderMap, T)`, `Result<T, HttpError>`, `Result<T, E>` with `impl nestish_core::filter::Exception for E`, or a `Response`"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;

    /// Every answer a value of this type may be, for the OpenAPI document (feature `openapi`).
    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc>;
}

/// The documents' shorthands for what the return types answer.
#[cfg(feature = "openapi")]
mod doc {
    pub(super) use crate::openapi::{Content, ResponseDoc, Status};

    /// One answer with status 200.
    pub(super) fn ok(content: Option<Content>) -> Vec<ResponseDoc> {
        vec![ResponseDoc::new(Status::Code(200), "OK", content)]
    }
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        let _ = schemas;
        // Built by hand: its status and body are the route's to say.
        let any = "The response the route builds: its status and body are not typed";
        vec![doc::ResponseDoc::new(doc::Status::Default, any, None)]
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(Body::empty())
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        let _ = schemas;
        doc::ok(None)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_content_type(self.into(), "text/plain; charset=utf-8")
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        let _ = schemas;
        doc::ok(Some(doc::Content::text("text/plain")))
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_content_type(self.into(), "text/plain; charset=utf-8")
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        let _ = schemas;
        doc::ok(Some(doc::Content::text("text/plain")))
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        *response.status_mut() = self.0;
        response
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        // The status is chosen at run time.
        let mut answers = T::describe(schemas);
        for answer in &mut answers {
            answer.status = doc::Status::Default;
        }
        answers
    }
}

/// The headers are added to `T`'s; one that `T` sets too (`Content-Type`) is replaced.
///
/// ```
/// use nestish_core::header::{HeaderValue, LOCATION, SET_COOKIE};
/// use nestish_core::{HeaderMap, IntoResponse, StatusCode};
///
/// let mut headers = HeaderMap::new();
/// headers.insert(SET_COOKIE, HeaderValue::from_static("session=abc; HttpOnly; Path=/"));
/// headers.insert(LOCATION, HeaderValue::from_static("/chat"));
/// let response = (StatusCode::SEE_OTHER, headers, "logged in").into_response();
/// assert_eq!(response.status(), 303);
/// assert_eq!(response.headers()["set-cookie"], "session=abc; HttpOnly; Path=/");
/// assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
/// ```
impl<T: IntoResponse> IntoResponse for (StatusCode, http::HeaderMap, T) {
    fn into_response(self) -> Response {
        let (status, headers, value) = self;
        let mut response = (headers, value).into_response();
        *response.status_mut() = status;
        response
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        <(StatusCode, T)>::describe(schemas)
    }
}

/// `T`'s response, with these headers added (see `(StatusCode, HeaderMap, T)`).
impl<T: IntoResponse> IntoResponse for (http::HeaderMap, T) {
    fn into_response(self) -> Response {
        let (headers, value) = self;
        let mut response = value.into_response();
        response.headers_mut().extend(headers);
        response
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        T::describe(schemas)
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(error) => error.into_response(),
        }
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        let mut answers = T::describe(schemas);
        answers.extend(E::describe(schemas));
        answers
    }
}

/// An HTML page: `text/html; charset=utf-8`.
///
/// ```
/// use nestish_core::{Html, IntoResponse};
///
/// let page = Html("<h1>hi</h1>").into_response();
/// assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Html<T>(pub T);

impl<T: Into<Body>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        with_content_type(self.0.into(), "text/html; charset=utf-8")
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        let _ = schemas;
        doc::ok(Some(doc::Content::text("text/html")))
    }
}

/// A value serialised as JSON: `application/json; charset=utf-8`.
///
/// A value that cannot be serialised answers 500 with NestJS's error body, and the serde error
/// goes to the log.
///
/// ```
/// use nestish_core::{IntoResponse, Json};
///
/// let response = Json(serde_json::json!({ "ok": true })).into_response();
/// assert_eq!(response.status(), 200);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

/// Its schema is its value's, under its value's name (feature `openapi`).
#[cfg(feature = "openapi")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Json<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// A `#[body] order: Json<Order>` reads as the order: `order.item`.
impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Serialize + Documented> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => with_content_type(bytes.into(), "application/json; charset=utf-8"),
            Err(error) => {
                tracing::error!(%error, "cannot serialize the JSON response");
                HttpError::internal().into_response()
            }
        }
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        doc::ok(Some(doc::Content::json(schemas.subschema_for::<T>())))
    }
}

fn with_content_type(body: Body, content_type: &'static str) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
