//! Exception filters: NestJS's `@Catch()` and `@UseFilters()`. A filter shapes the answer to an
//! error of one type: its status, headers and body, so that an app's errors share one format.
//!
//! A filter is a type implementing [`ExceptionFilter`] that the app provides, like any service.
//! Its [`Error`](ExceptionFilter::Error) is what it catches (NestJS's `@Catch(T)`): nestish's
//! [`HttpError`], or an error type of yours that a route returns as `Result<T, E>` (mark it with
//! [`Exception`]), or [`AnyError`] for every error (NestJS's `@Catch()` with no type). Name filters with [`#[use_filters(F)]`](crate::use_filters) on a controller's
//! impl or a route method, and app-wide with
//! [`AppBuilder::use_global_filter`](crate::AppBuilder::use_global_filter). For one error, the
//! route's filters are tried first, then the controller's, then the global ones, each in the
//! order written; the first that catches the error's type answers.
//!
//! Every error answer goes through them: a handler's error or panic (its 500), a guard's or an
//! interceptor's refusal, nestish's own 400 (a bad argument), 404 and 405 (no such route; the
//! global filters only), 408, 413 and 415 (the body). On an SSE route, an error before the stream opens is answered by the
//! filter's reply instead of any SSE header; an error inside the stream ends it with an
//! `event: error` whose data is the reply's body. An [`Exception`] that no filter catches is
//! answered 500 with NestJS's body, and logged.
//!
//! ```standalone_crate
//! use nestish_core::filter::{ErrorHost, ErrorReply, Exception, ExceptionFilter};
//! use nestish_core::{HttpError, Json, NestFactory, controller, get, use_filters};
//!
//! /// The app's own error: what its routes return.
//! #[derive(Debug, thiserror::Error)]
//! #[error("no order {0}")]
//! pub struct NoSuchOrder(pub u64);
//!
//! impl Exception for NoSuchOrder {}
//!
//! pub struct OrderErrors;
//!
//! impl ExceptionFilter for OrderErrors {
//!     type Error = NoSuchOrder;
//!
//!     fn catch(&self, error: &NoSuchOrder, host: &ErrorHost<'_>) -> ErrorReply {
//!         ErrorReply::json(
//!             nestish_core::StatusCode::NOT_FOUND,
//!             &serde_json::json!({ "code": "no_such_order", "order": error.0, "path": host.path() }),
//!         )
//!     }
//! }
//!
//! #[derive(Default)]
//! pub struct OrdersController;
//!
//! #[controller("orders")]
//! #[use_filters(OrderErrors)]
//! impl OrdersController {
//!     #[get(":id")]
//!     fn one(&self, #[param("id")] id: u64) -> Result<Json<u64>, NoSuchOrder> {
//!         if id == 1 { Ok(Json(1)) } else { Err(NoSuchOrder(id)) }
//!     }
//! }
//!
//! let app = NestFactory::create()
//!     .controllers::<(OrdersController,)>()
//!     .provide(OrderErrors)
//!     .build()
//!     .expect("the filter is provided");
//! # let _ = app;
//! ```

mod chain;
mod reply;

pub use crate::response::AnyError;
#[cfg(feature = "testing")]
pub(crate) use chain::FilterOverride;
pub use chain::FilterRef;
pub(crate) use chain::{Filters, apply, in_stream, resolve_all, unprovided};
pub use reply::{ErrorHost, ErrorReply};

use crate::response::Raised;
use crate::{HttpError, IntoResponse, Response};

/// Shapes the answer to errors of one type: NestJS's `ExceptionFilter` with `@Catch(T)`.
///
/// `catch` is synchronous: it builds an answer from the error and where it happened, as a
/// NestJS filter writes its response. Bind it with
/// [`#[use_filters]`](crate::use_filters) or
/// [`AppBuilder::use_global_filter`](crate::AppBuilder::use_global_filter); the app must
/// provide it.
///
/// ```
/// use nestish_core::filter::{ErrorHost, ErrorReply, ExceptionFilter};
/// use nestish_core::HttpError;
///
/// /// NestJS's body, plus where and when.
/// pub struct WithPath;
///
/// impl ExceptionFilter for WithPath {
///     type Error = HttpError;
///
///     fn catch(&self, error: &HttpError, host: &ErrorHost<'_>) -> ErrorReply {
///         ErrorReply::json(
///             error.status(),
///             &serde_json::json!({
///                 "statusCode": error.status().as_u16(),
///                 "message": error.message(),
///                 "path": host.path(),
///             }),
///         )
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an exception filter",
    label = "named in #[use_filters] or use_global_filter",
    note = "implement `nestish_core::filter::ExceptionFilter` for it, with `type Error` the error type it catches"
)]
pub trait ExceptionFilter: Send + Sync + 'static {
    /// The error type it catches: [`HttpError`], an [`Exception`] of yours, or [`AnyError`]
    /// to catch every error (NestJS's `@Catch()` with no type).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The answer to `error`.
    fn catch(&self, error: &Self::Error, host: &ErrorHost<'_>) -> ErrorReply;
}

/// An error type of yours that a route may return as `Result<T, E>` (or an `#[sse]` route as
/// `Result<impl Stream, E>`), for an [`ExceptionFilter`] to catch. Uncaught, it answers 500
/// with NestJS's body (`Internal server error`), and the error goes to the log.
///
/// ```
/// use nestish_core::filter::Exception;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("the account is frozen")]
/// pub struct Frozen;
///
/// impl Exception for Frozen {}
/// ```
pub trait Exception: std::error::Error + Send + Sync + 'static {}

/// An [`Exception`] as the answer of a route: 500 with NestJS's body, unless a filter catches it.
// Not recommended in errors: a type that is no response is reported with `IntoResponse`'s own
// message, not as a missing `Exception`.
#[diagnostic::do_not_recommend]
impl<E: Exception> IntoResponse for E {
    fn into_response(self) -> Response {
        let mut response = HttpError::internal().into_response();
        if !crate::response::raised_wanted() {
            // No app of this process has filters: nothing will catch it.
            crate::response::uncaught(&(Box::new(self) as crate::BoxError));
            return response;
        }
        response
            .extensions_mut()
            .insert(Raised::uncaught_is_logged(Box::new(self)));
        response
    }

    /// What a filter makes of it, or 500 with NestJS's body when none catches it.
    #[cfg(feature = "openapi")]
    fn describe(_: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::ResponseDoc> {
        use crate::openapi::{ResponseDoc, Status};
        let what = "The route's error, as the app's filters answer it (500 with NestJS's body \
                    when none catches it)";
        vec![ResponseDoc::new(Status::Default, what, None)]
    }
}
