//! The app's global interceptors and exception filters: NestJS's `app.useGlobalInterceptors()`
//! and `app.useGlobalFilters()`.

use super::AppBuilder;
use crate::filter::{ExceptionFilter, FilterRef};
use crate::intercept::{Interceptor, InterceptorRef};

impl AppBuilder {
    /// Runs `I` around every route of the app, NestJS's `app.useGlobalInterceptors()`: global
    /// interceptors run first on the way in, in the order given, before the controller's and the
    /// route's, and last on the way out (see [`intercept`](crate::intercept)). `I` must be
    /// provided, like any service.
    ///
    /// ```
    /// use nestish_core::intercept::{Call, Interceptor};
    ///
    /// pub struct Timing;
    ///
    /// impl Interceptor for Timing {
    ///     async fn intercept(&self, call: Call) -> nestish_core::Response {
    ///         let route = call.route().path();
    ///         let started = std::time::Instant::now();
    ///         let response = call.proceed().await;
    ///         tracing::info!(route, took_ms = started.elapsed().as_millis() as u64);
    ///         response
    ///     }
    /// }
    ///
    /// let builder = nestish_core::NestFactory::create()
    ///     .provide(Timing)
    ///     .use_global_interceptor::<Timing>();
    /// # let _ = builder;
    /// ```
    pub fn use_global_interceptor<I: Interceptor>(mut self) -> Self {
        self.advice.interceptors.push(InterceptorRef::of::<I>());
        self
    }

    /// Shapes the error answers of the whole app with `F`, NestJS's `app.useGlobalFilters()`:
    /// tried after a route's and its controller's filters, in the order given; the only filters
    /// of the answers to requests no route takes (404, 405). See [`filter`](crate::filter). `F`
    /// must be provided, like any service.
    ///
    /// ```
    /// use nestish_core::filter::{ErrorHost, ErrorReply, ExceptionFilter};
    /// use nestish_core::HttpError;
    ///
    /// pub struct Problems;
    ///
    /// impl ExceptionFilter for Problems {
    ///     type Error = HttpError;
    ///
    ///     fn catch(&self, error: &HttpError, _: &ErrorHost<'_>) -> ErrorReply {
    ///         ErrorReply::json(error.status(), &serde_json::json!({ "title": error.message() }))
    ///     }
    /// }
    ///
    /// let builder = nestish_core::NestFactory::create()
    ///     .provide(Problems)
    ///     .use_global_filter::<Problems>();
    /// # let _ = builder;
    /// ```
    pub fn use_global_filter<F: ExceptionFilter>(mut self) -> Self {
        self.advice.filters.push(FilterRef::of::<F>());
        self
    }
}
