//! Interceptors: NestJS's `@UseInterceptors()`. Code around a route's handler, with the route's
//! metadata at hand, and, on an SSE route, around each event of each stream and its end.
//!
//! An interceptor is a type implementing [`Interceptor`] that the app provides, like any service
//! (so it can hold injected services, and a test can swap it with `override_provider`). Name
//! interceptors with [`#[use_interceptors(A, B)]`](crate::use_interceptors) on a controller's
//! impl or a route method, and app-wide with
//! [`AppBuilder::use_global_interceptor`](crate::AppBuilder::use_global_interceptor). They run in
//! NestJS's order: global, then controller, then route on the way in, each in the order written,
//! after the guards and before the arguments are read; the response goes back out through them
//! in the reverse order.
//!
//! [`Interceptor::intercept`] is given the request as a [`Call`]: its head and its route
//! ([`RouteInfo`]). It may answer at once without [`proceed`](Call::proceed)ing (a cache, a
//! refusal: on an SSE route, before any SSE header is sent), and it gets the handler's response
//! back to change or to time. On an SSE route it may set hooks on the stream the call opens:
//! [`map_events`](Call::map_events) sees each event on its way out (live, or replayed from a
//! hub's history alike) where it already is, and keeps, rewrites or drops it; [`on_close`](Call::on_close) is told once how the
//! stream ended, with its counts. Hooks run inside the stream's own polling and dropping: they
//! hold nothing open, and a stream ends when it would without them. A `HEAD` on an SSE route
//! goes through them as its `GET` would, and the chain ends in the SSE headers alone: no stream
//! opens, so its hooks are never called.
//!
//! A route with no interceptor runs none of this: its handler is called as before, and its
//! events are written without a detour.
//!
//! ```standalone_crate
//! use std::time::Instant;
//!
//! use futures::{Stream, stream};
//! use nestish_core::intercept::{Call, Interceptor};
//! use nestish_core::{MessageEvent, NestFactory, Response, controller, sse, use_interceptors};
//!
//! /// Logs each call's time, and how each stream ended.
//! pub struct Timing;
//!
//! impl Interceptor for Timing {
//!     async fn intercept(&self, mut call: Call) -> Response {
//!         let route = call.route().path();
//!         call.on_close(move |closed| {
//!             tracing::info!(route, events = closed.events(), reason = closed.reason().as_str(), "closed");
//!         });
//!         let started = Instant::now();
//!         let response = call.proceed().await;
//!         tracing::info!(route, status = response.status().as_u16(), took = ?started.elapsed());
//!         response
//!     }
//! }
//!
//! /// Stamps each event's data.
//! pub struct Stamp;
//!
//! impl Interceptor for Stamp {
//!     async fn intercept(&self, mut call: Call) -> Response {
//!         call.map_events(|event| {
//!             event.map_data(|data| format!("[stamped] {data}"));
//!             true
//!         });
//!         call.proceed().await
//!     }
//! }
//!
//! #[derive(Default)]
//! pub struct FeedController;
//!
//! #[controller("feed")]
//! #[use_interceptors(Timing)]
//! impl FeedController {
//!     #[sse]
//!     #[use_interceptors(Stamp)]
//!     fn feed(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
//!         stream::iter([MessageEvent::new("hello")])
//!     }
//! }
//!
//! let app = NestFactory::create()
//!     .controllers::<(FeedController,)>()
//!     .provide(Timing)
//!     .provide(Stamp)
//!     .build()
//!     .expect("the interceptors are provided");
//! # let _ = app;
//! ```

mod call;
mod chain;

pub use crate::observe::CloseReason;
pub use crate::sse::{StreamClosed, StreamEvent};
pub use call::{Call, RouteInfo};
#[cfg(feature = "testing")]
pub(crate) use chain::InterceptorOverride;
pub use chain::InterceptorRef;
pub(crate) use chain::{Interceptors, resolve_all, unprovided};

use std::future::Future;

use crate::Response;

/// Code around a route's handler: NestJS's `NestInterceptor`.
///
/// ```
/// use nestish_core::intercept::{Call, Interceptor};
/// use nestish_core::header::{HeaderName, HeaderValue};
/// use nestish_core::Response;
///
/// /// Adds `x-route` to every answer: the route's path template.
/// pub struct RouteHeader;
///
/// impl Interceptor for RouteHeader {
///     async fn intercept(&self, call: Call) -> Response {
///         let route = call.route().path();
///         let mut response = call.proceed().await;
///         response
///             .headers_mut()
///             .insert(HeaderName::from_static("x-route"), HeaderValue::from_static(route));
///         response
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an interceptor",
    label = "named in #[use_interceptors] or use_global_interceptor",
    note = "implement `nestish_core::intercept::Interceptor` for it: `async fn intercept(&self, call: Call) -> Response`"
)]
pub trait Interceptor: Send + Sync + 'static {
    /// Runs around the rest of the chain: [`call.proceed()`](Call::proceed) runs the next
    /// interceptor, or the handler after the last; not calling it answers without them.
    fn intercept(&self, call: Call) -> impl Future<Output = Response> + Send;
}
