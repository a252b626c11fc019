//! Guards: NestJS's `@UseGuards()`. A guard decides, from the head of a request, whether its
//! route may serve it, before any argument is extracted and before any byte of the body is read.
//!
//! A guard is a type implementing [`Guard`] that the app provides, like any service, so it can
//! hold injected services (a session store, a rate limiter). Name guards with
//! [`#[use_guards(A, B)]`](crate::use_guards) on a controller's impl (every route of it) or on a
//! route method, and app-wide with
//! [`AppBuilder::use_global_guard`](crate::AppBuilder::use_global_guard). They run in NestJS's
//! order: global, then controller, then route, each in the order written; the first refusal
//! answers, and nothing after it runs.
//!
//! A refusal is an [`HttpError`]: 401 with `WWW-Authenticate`, 403, 429 with `Retry-After`...
//! A refused SSE request is answered with that error alone: no `text/event-stream` header is
//! sent and no stream is opened or counted. A guard named but not provided fails
//! [`AppBuilder::build`](crate::AppBuilder::build) with a message naming the guard and the route.
//!
//! ```standalone_crate
//! use std::sync::Arc;
//!
//! use futures::{Stream, stream};
//! use nestish_core::header::{HeaderValue, WWW_AUTHENTICATE};
//! use nestish_core::{
//!     Guard, GuardRequest, Guarded, HttpError, MessageEvent, NestFactory, controller, get,
//!     sse, use_guards,
//! };
//!
//! /// Who a request is from, once the guard has checked.
//! #[derive(Clone)]
//! pub struct User {
//!     pub name: String,
//! }
//!
//! /// The sessions the app knows: a service like any other.
//! pub struct Sessions;
//!
//! impl Sessions {
//!     fn user(&self, token: &str) -> Option<User> {
//!         (token == "s3cret").then(|| User { name: "ada".into() })
//!     }
//! }
//!
//! pub struct AuthGuard {
//!     sessions: Arc<Sessions>,
//! }
//!
//! impl Guard for AuthGuard {
//!     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
//!         let user = request.cookie("session").and_then(|token| self.sessions.user(token));
//!         let Some(user) = user else {
//!             return Err(HttpError::unauthorized("log in first")
//!                 .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Cookie")));
//!         };
//!         request.insert(user); // for the handler's `Guarded<User>` argument
//!         Ok(())
//!     }
//! }
//!
//! #[derive(Default)]
//! pub struct InboxController;
//!
//! #[controller("inbox")]
//! #[use_guards(AuthGuard)] // every route of the controller
//! impl InboxController {
//!     #[get("me")]
//!     fn me(&self, user: Guarded<User>) -> String {
//!         user.name.clone()
//!     }
//!
//!     #[sse("live")]
//!     fn live(&self, user: Guarded<User>) -> impl Stream<Item = MessageEvent> + Send + 'static {
//!         stream::iter([MessageEvent::new(format!("hello {}", user.name))])
//!     }
//! }
//!
//! let sessions = Arc::new(Sessions);
//! let app = NestFactory::create()
//!     .controllers::<(InboxController,)>()
//!     .provide(AuthGuard { sessions })
//!     .build()
//!     .expect("the guard is provided");
//! # let _ = app;
//! ```

pub(crate) mod chain;
mod request;

use std::future::Future;

pub use request::GuardRequest;

#[cfg(feature = "testing")]
pub(crate) use chain::GuardOverride;
pub(crate) use chain::{GuardRef, Guards, check, resolve_all, unprovided};

use crate::HttpError;

/// A check that runs before a route's handler: NestJS's `CanActivate`.
///
/// Implement it with an `async fn`; return `Ok(())` to let the request through (after storing,
/// with [`GuardRequest::insert`], what the handler should know), or the [`HttpError`] to answer
/// instead. See [the module](crate::guard) for where guards are named and in which order they run.
///
/// ```
/// use nestish_core::header::{HeaderValue, RETRY_AFTER};
/// use nestish_core::{Guard, GuardRequest, HttpError};
///
/// /// Refuses every request while the app is in maintenance.
/// pub struct MaintenanceGuard {
///     pub on: bool,
/// }
///
/// impl Guard for MaintenanceGuard {
///     async fn can_activate(&self, _: &mut GuardRequest<'_>) -> Result<(), HttpError> {
///         if self.on {
///             return Err(HttpError::service_unavailable("back soon")
///                 .with_header(RETRY_AFTER, HeaderValue::from_static("120")));
///         }
///         Ok(())
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a guard",
    label = "named as a guard, so it must implement `nestish_core::Guard`",
    note = "implement it: `impl Guard for {Self} {{ async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {{ ... }} }}`"
)]
pub trait Guard: Send + Sync + 'static {
    /// Lets the request through (`Ok`) or answers it with the error.
    ///
    /// # Errors
    ///
    /// The answer to a refused request: its status, message and headers.
    fn can_activate(
        &self,
        request: &mut GuardRequest<'_>,
    ) -> impl Future<Output = Result<(), HttpError>> + Send;

    /// How the guard authenticates a request, for the OpenAPI document (feature `openapi`):
    /// the routes it guards require this security scheme. `None` (the default) for a guard
    /// that checks something else than who asks.
    ///
    /// ```
    /// # #[cfg(feature = "openapi")] {
    /// use nestish_core::openapi::SecurityScheme;
    /// use nestish_core::{Guard, GuardRequest, HttpError};
    ///
    /// pub struct TokenGuard;
    ///
    /// impl Guard for TokenGuard {
    ///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
    ///         match request.header("authorization") {
    ///             Some("Bearer s3cret") => Ok(()),
    ///             _ => Err(HttpError::unauthorized("a token is needed")),
    ///         }
    ///     }
    ///
    ///     fn security_scheme() -> Option<SecurityScheme> {
    ///         Some(SecurityScheme::bearer("token"))
    ///     }
    /// }
    /// # }
    /// ```
    #[cfg(feature = "openapi")]
    fn security_scheme() -> Option<crate::openapi::SecurityScheme>
    where
        Self: Sized,
    {
        None
    }
}
