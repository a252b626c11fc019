//! [`AnyError`]: whatever error an answer is made from, as a catch-all exception filter sees it.

use http::StatusCode;

use crate::{BoxError, HttpError};

/// Any error, as a catch-all exception filter catches it: NestJS's `@Catch()` with no type.
/// A filter whose [`Error`](crate::filter::ExceptionFilter::Error) is `AnyError` catches every
/// error the filters see: an [`HttpError`] (nestish's own 400, 404, 405, 408, 413 and 415, a
/// guard's refusal, a panic's 500), and every [`Exception`](crate::filter::Exception) a route
/// returns. Bound after filters of one type (later in the list, or at a wider level), it
/// catches what they leave.
///
/// ```
/// use nestish_core::filter::{AnyError, ErrorHost, ErrorReply, ExceptionFilter};
///
/// /// Every error in the app's own format.
/// pub struct Everything;
///
/// impl ExceptionFilter for Everything {
///     type Error = AnyError;
///
///     fn catch(&self, error: &AnyError, host: &ErrorHost<'_>) -> ErrorReply {
///         // An exception's own text stays in the log, not in the answer.
///         let message = error.http_error().map_or("Internal server error", |e| e.message());
///         ErrorReply::json(
///             error.status(),
///             &serde_json::json!({ "error": message, "path": host.path() }),
///         )
///     }
/// }
/// ```
pub struct AnyError(pub(crate) BoxError);

impl AnyError {
    /// The error as type `E`, if it is one.
    ///
    /// ```
    /// # fn f(error: &nestish_core::filter::AnyError) {
    /// let io = error.downcast_ref::<std::io::Error>();
    /// # let _ = io; }
    /// ```
    #[must_use]
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref()
    }

    /// The error as an [`HttpError`], if it is one (nestish's own errors all are).
    ///
    /// ```
    /// # fn f(error: &nestish_core::filter::AnyError) {
    /// let message = error.http_error().map(|e| e.message());
    /// # let _ = message; }
    /// ```
    #[must_use]
    pub fn http_error(&self) -> Option<&HttpError> {
        self.downcast_ref()
    }

    /// The status nestish would answer it with: an [`HttpError`]'s own, 500 for any other.
    ///
    /// ```
    /// # fn f(error: &nestish_core::filter::AnyError) {
    /// let server_side = error.status().is_server_error();
    /// # let _ = server_side; }
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.http_error()
            .map_or(StatusCode::INTERNAL_SERVER_ERROR, HttpError::status)
    }
}

impl std::fmt::Display for AnyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Debug for AnyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for AnyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}
