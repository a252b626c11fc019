//! NestJS's declarative controllers, and above all its `@Sse()` decorator, in Rust.
//!
//! Annotate an inherent impl with [`#[controller]`](controller), mark methods with
//! [`#[sse("path")]`](sse) or [`#[get]`](get) and friends, and return a [`Stream`] of
//! [`MessageEvent`]s: nestish serves it as `text/event-stream` over hyper, with every route found
//! at start-up through `inventory`.
//!
//! ```no_run
//! use futures::{Stream, StreamExt};
//! use nestish_core::{Html, MessageEvent, controller, get, sse};
//! use std::time::Duration;
//!
//! #[derive(Default)]
//! pub struct AppController;
//!
//! #[controller]
//! impl AppController {
//!     #[get("/")]
//!     fn index(&self) -> Html<&'static str> {
//!         Html("<script>new EventSource('/sse').onmessage = e => console.log(e.data)</script>")
//!     }
//!
//!     #[sse("sse")]
//!     fn sse(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
//!         nestish_core::interval(Duration::from_secs(1))
//!             .map(|_| MessageEvent::new(r#"{"hello":"world"}"#))
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), nestish_core::Error> {
//!     nestish_core::NestFactory::create().build()?.listen("127.0.0.1:3000").await
//! }
//! ```
//!
//! # Routes
//!
//! `#[controller("prefix")]` prefixes every route of the impl. Paths are normalised as NestJS
//! does: leading and trailing slashes do not matter, `""` and `"/"` mean the prefix itself. A
//! request path with one trailing slash finds the route without it. An unknown path answers
//! 404 and a known path with another method 405, both with NestJS's JSON error body.
//!
//! The prefix may be a `const &str` (`#[controller(ORDERS)]` or `#[controller(path = ORDERS)]`),
//! checked at start-up by the same rules, without parameters. [`AppBuilder::global_prefix`]
//! puts a prefix in front of every route (NestJS's `setGlobalPrefix`, with exclusions), and
//! [`AppBuilder::enable_versioning`] serves `#[controller("orders", version = "1")]` at
//! `/v1/orders` (NestJS's URI versioning): `/api/v1/orders` with both. A route's own
//! `version = "2"` overrides its controller's; `version = ["1", "2"]` serves both;
//! `version = VERSION_NEUTRAL` serves it without a version segment.
//!
//! Route methods take `&self` and may be `fn` or `async fn`. Each controller is built once, with
//! `Default`, and shared by every request.
//!
//! # Running the app
//!
//! [`App::listen`] serves HTTP/1.1 and HTTP/2 (h2c) on one port with every [`Limits`] bound.
//! An [`App`] is also a `tower::Service`, so it can be mounted in an axum `Router`
//! (`nest_service("/api", app)`), served by any hyper server, or called in-process with
//! `tower::ServiceExt::oneshot`; [`AppBuilder::layer`] wraps it in tower layers (tower-http's
//! CORS, compression, tracing, timeouts) wherever it runs.
//!
//! With the cargo feature `tls` (off by default), `App::listen_tls` serves HTTPS with rustls,
//! where browsers speak HTTP/2 (ALPN) and so are not held to six `EventSource`s per origin, as
//! they are over HTTP/1.1; `TlsConfig` reads the certificate and key from PEM.
//!
//! [`Stream`]: futures_core::Stream

#![deny(missing_docs)]
// On docs.rs (nightly, `--cfg docsrs`), each feature-gated item shows the feature it needs.
// `doc_cfg` now includes what `doc_auto_cfg` did: the badges come from the `#[cfg]`s themselves.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The layers, from the top: a module uses only the modules of the lines below its own
// (`tests/layering.rs` keeps this true, and lists the few exceptions with their reasons).
//   testing
//   app, module, private
//   apidoc
//   server
//   routing
//   guard, intercept
//   run, dialect
//   hub
//   sse
//   state
//   admission
//   extract, observe, filter
//   providers, response, config, metrics, shutdown
//   error, limits, panic, downcast, budget, controller_set, heartbeat, tally
//   openapi
// `app` builds the routes and runs `server`; `server` serves `routing`; `routing` runs the
// `guard`s and calls handlers that use `extract`, `response` and `sse`; `hub` feeds streams.
mod admission;
#[cfg(feature = "openapi")]
mod apidoc;
mod app;
mod budget;
#[cfg(feature = "config")]
mod config;
mod controller_set;
pub mod dialect;
mod downcast;
mod error;
pub mod extract;
pub mod filter;
pub mod guard;
mod heartbeat;
pub mod hub;
pub mod intercept;
mod limits;
#[cfg(feature = "metrics")]
pub mod metrics;
mod module;
mod observe;
#[cfg(feature = "openapi")]
pub mod openapi;
mod panic;
mod providers;
mod response;
mod routing;
pub mod run;
mod server;
mod shutdown;
mod sse;
mod state;
mod tally;
#[cfg(feature = "testing")]
pub mod testing;

// Not public API: what generated code names, in a module whose name carries the crate's version
// (`__private_0_1_0`), written by `build.rs`.
mod private;
include!(concat!(env!("OUT_DIR"), "/private.rs"));

pub use app::{App, AppBuilder, NestFactory, Server};
/// A cheaply cloneable chunk of bytes: a `#[body]` argument's raw form.
pub use bytes::Bytes;
#[cfg(feature = "config")]
pub use config::{ConfigProblem, ConfigProblems, ConfigSource};
pub use controller_set::ControllerSet;
pub use error::{BoxError, Error, RouteSource};
#[cfg(feature = "validation")]
pub use extract::Valid;
pub use extract::{ConnectionInfo, Guarded, RequestBody, RequestParts};
pub use guard::{Guard, GuardRequest};
pub use http::HeaderMap;
/// An HTTP method: a route's verb, and the method of a test request.
pub use http::Method;
pub use http::StatusCode;
/// Header names and values, for [`HttpError::with_header`] and responses with headers.
pub use http::header;
pub use limits::{Limits, StreamRate};
pub use module::{HubModule, Module, ModuleBuilder};
pub use providers::{
    Dependency, Factory, FactoryFuture, Inject, Lifecycle, NotProvided, Providers,
};
pub use response::{Body, Documented, Html, HttpError, IntoResponse, Json, Response};
pub use routing::placement::{GlobalPrefix, Versioning};
pub use routing::service::{Routes, RoutesFuture};
#[cfg(feature = "tls")]
pub use server::{TlsConfig, TlsError};
pub use sse::IntoSse;
pub use sse::{
    CloseSignal, EventError, EventWriter, ForbiddenChar, Interval, MessageEvent, Sse, SseEvent,
    SseItem, SseStream, interval,
};
pub use state::AppHandle;

/// Marks an inherent impl block as a controller whose route methods nestish serves.
///
/// `#[controller]`, `#[controller("prefix")]`, `#[controller(PREFIX)]` with a `const &str`
/// (checked at start-up, without parameters), or `#[controller(path = PREFIX)]`; with
/// `version = "1"`, `version = ["1", "2"]` or `version = VERSION_NEUTRAL` for the routes that
/// give no version of their own, when the app
/// [versions its routes](crate::AppBuilder::enable_versioning). Inside it, mark methods with [`#[sse]`](sse),
/// [`#[get]`](get), [`#[post]`](post), [`#[put]`](put), [`#[patch]`](patch) or
/// [`#[delete]`](delete). The controller type must implement `Default` (a unit struct needs
/// `#[derive(Default)]`); it is built once and shared by all requests.
///
/// ```
/// use nestish_core::{controller, get};
///
/// #[derive(Default)]
/// pub struct CatsController;
///
/// #[controller("cats")]
/// impl CatsController {
///     #[get]
///     fn find_all(&self) -> &'static str {
///         "This action returns all cats" // GET /cats
///     }
/// }
///
/// pub const DOGS: &str = "dogs";
///
/// #[derive(Default)]
/// pub struct DogsController;
///
/// #[controller(DOGS, version = "1")]
/// impl DogsController {
///     #[get] // GET /v1/dogs, with .enable_versioning(Versioning::uri())
///     fn find_all(&self) -> &'static str {
///         "version 1"
///     }
///
///     #[get(version = "2")] // GET /v2/dogs
///     fn find_all_v2(&self) -> &'static str {
///         "version 2"
///     }
///
///     #[get("count", version = VERSION_NEUTRAL)] // GET /dogs/count
///     fn count(&self) -> &'static str {
///         "2"
///     }
/// }
/// ```
pub use nestish_macros::controller;

/// An SSE route: `GET`, answered with `text/event-stream` and the method's stream of events.
///
/// Goes on a method of a [`#[controller]`](controller) impl. The method returns
/// `impl Stream<Item = I> + Send + 'static` where `I` is a [`MessageEvent`], anything that converts
/// into one, or a `Result` of one (see [`SseItem`]).
///
/// The stream belongs to its connection: when the client goes, it is dropped and its producer
/// stops. For work that must outlive its viewer (a model's answer), return a
/// [`run`]'s stream instead: a disconnect does not cancel a run.
///
/// Arguments, all optional: `#[sse("path", keep_alive = "15s", retry = "3s")]`
/// - the path, relative to the controller's prefix;
/// - `version`: the route's own version, as on [`#[controller]`](controller) (every route
///   attribute takes it);
/// - `keep_alive`: how long the stream may stay silent before a heartbeat comment (`:` and a
///   blank line) is written, as `"500ms"`, `"15s"` or `"2m"`; `keep_alive = false` switches
///   heartbeats off. Default: the application's, see
///   [`AppBuilder::sse_keep_alive`](crate::AppBuilder::sse_keep_alive) (15 s);
/// - `retry`: a reconnection delay written first on every stream of the route (`retry: 3000`).
///
/// The stream is sent whatever the request's `Accept` header says: browsers send
/// `text/event-stream`, but curl sends `*/*` and some clients send nothing, and NestJS serves
/// them all. `HEAD` gets the headers and no body, without calling the method.
///
/// ```
/// use futures::{Stream, stream};
/// use nestish_core::{MessageEvent, controller, sse};
///
/// #[derive(Default)]
/// pub struct EventsController;
///
/// #[controller("events")]
/// impl EventsController {
///     #[sse("once")] // GET /events/once
///     fn once(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
///         stream::iter([MessageEvent::new("hello")])
///     }
///
///     #[sse("quiet", keep_alive = false, retry = "10s")] // GET /events/quiet
///     fn quiet(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
///         stream::pending()
///     }
/// }
/// ```
pub use nestish_macros::sse;

/// A `GET` route (also answering `HEAD`), in a [`#[controller]`](controller) impl:
/// `#[get]`, `#[get("path")]`, `#[get("path", version = "2")]` (as every route attribute).
///
/// ```
/// # use nestish_core::{controller, get};
/// # #[derive(Default)] pub struct C;
/// #[controller]
/// impl C {
///     #[get("health")]
///     fn health(&self) -> &'static str { "ok" }
/// }
/// ```
pub use nestish_macros::get;

/// A `POST` route, in a [`#[controller]`](controller) impl.
///
/// ```
/// # use nestish_core::{controller, post, StatusCode};
/// # #[derive(Default)] pub struct C;
/// #[controller("jobs")]
/// impl C {
///     #[post]
///     async fn start(&self) -> (StatusCode, &'static str) { (StatusCode::ACCEPTED, "started") }
/// }
/// ```
pub use nestish_macros::post;

/// A `PUT` route, in a [`#[controller]`](controller) impl.
///
/// ```
/// # use nestish_core::{controller, put};
/// # #[derive(Default)] pub struct C;
/// #[controller("settings")]
/// impl C {
///     #[put]
///     fn replace(&self) {}
/// }
/// ```
pub use nestish_macros::put;

/// A `PATCH` route, in a [`#[controller]`](controller) impl.
///
/// ```
/// # use nestish_core::{controller, patch};
/// # #[derive(Default)] pub struct C;
/// #[controller("settings")]
/// impl C {
///     #[patch]
///     fn update(&self) {}
/// }
/// ```
pub use nestish_macros::patch;

/// Marks the constructor of a [`#[controller]`](controller) impl: nestish builds the controller
/// by calling it with the providers its arguments name (`Arc<T>`, or `Option<Arc<T>>`), as
/// NestJS's constructor injection does. Without one, the controller is built with `Default`.
///
/// A missing provider fails [`AppBuilder::build`] with a message naming the controller and the
/// type. See [`Providers`].
///
/// ```standalone_crate
/// use std::sync::Arc;
/// use nestish_core::{controller, get, inject};
///
/// pub struct Clock;
///
/// pub struct TimeController {
///     clock: Arc<Clock>,
/// }
///
/// #[controller("time")]
/// impl TimeController {
///     #[inject]
///     fn new(clock: Arc<Clock>) -> Self {
///         Self { clock }
///     }
///
///     #[get]
///     fn now(&self) -> &'static str {
///         let _ = &self.clock;
///         "now"
///     }
/// }
/// ```
pub use nestish_macros::inject;

/// A `DELETE` route, in a [`#[controller]`](controller) impl.
///
/// ```
/// # use nestish_core::{controller, delete, HttpError};
/// # #[derive(Default)] pub struct C;
/// #[controller("sessions")]
/// impl C {
///     #[delete]
///     fn logout(&self) -> Result<(), HttpError> { Err(HttpError::forbidden("not logged in")) }
/// }
/// ```
pub use nestish_macros::delete;

/// Guards the routes of a [`#[controller]`](controller) impl (on the impl) or one route (on its
/// method) with the [`Guard`]s it names, NestJS's `@UseGuards()`. They run before any argument
/// is extracted or any body byte read: global guards first, then the controller's, then the
/// route's, each in the order written. Every guard must be provided (see [`guard`]).
///
/// ```standalone_crate
/// use nestish_core::{Guard, GuardRequest, HttpError, controller, get, post, use_guards};
///
/// pub struct LoggedIn;
/// impl Guard for LoggedIn {
///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
///         request.cookie("session").map(drop).ok_or_else(|| HttpError::unauthorized("log in"))
///     }
/// }
///
/// pub struct Admin;
/// impl Guard for Admin {
///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
///         match request.cookie("role") {
///             Some("admin") => Ok(()),
///             _ => Err(HttpError::forbidden("admins only")),
///         }
///     }
/// }
///
/// #[derive(Default)]
/// pub struct SettingsController;
///
/// #[controller("settings")]
/// #[use_guards(LoggedIn)]
/// impl SettingsController {
///     #[get]
///     fn read(&self) -> &'static str { "dark mode" } // LoggedIn
///
///     #[post]
///     #[use_guards(Admin)]
///     fn write(&self) -> &'static str { "saved" } // LoggedIn, then Admin
/// }
///
/// let app = nestish_core::NestFactory::create()
///     .controllers::<(SettingsController,)>()
///     .provide(LoggedIn)
///     .provide(Admin)
///     .build()
///     .unwrap();
/// # let _ = app;
/// ```
pub use nestish_macros::use_guards;

/// Runs interceptors around a controller's routes (on its impl) or one route (on the method):
/// NestJS's `@UseInterceptors()`. Each named type implements
/// [`Interceptor`](intercept::Interceptor) and must be provided. Global ones
/// ([`AppBuilder::use_global_interceptor`]) run first, then the controller's, then the route's;
/// the response goes back out in the reverse order. See [`intercept`].
///
/// ```standalone_crate
/// use nestish_core::intercept::{Call, Interceptor};
/// use nestish_core::{Response, controller, get, use_interceptors};
///
/// pub struct Logged;
/// impl Interceptor for Logged {
///     async fn intercept(&self, call: Call) -> Response {
///         tracing::info!(route = call.route().path(), "in");
///         call.proceed().await
///     }
/// }
///
/// #[derive(Default)]
/// pub struct PingController;
///
/// #[controller("ping")]
/// #[use_interceptors(Logged)]
/// impl PingController {
///     #[get]
///     fn ping(&self) -> &'static str { "pong" }
/// }
///
/// let app = nestish_core::NestFactory::create()
///     .controllers::<(PingController,)>()
///     .provide(Logged)
///     .build()
///     .unwrap();
/// # let _ = app;
/// ```
pub use nestish_macros::use_interceptors;

/// Shapes the error answers of a controller's routes (on its impl) or of one route (on the
/// method) with exception filters: NestJS's `@UseFilters()`. Each named type implements
/// [`ExceptionFilter`](filter::ExceptionFilter) (its `Error` is NestJS's `@Catch(T)`) and must be
/// provided. The route's are tried first, then the controller's, then the global ones
/// ([`AppBuilder::use_global_filter`]); the first that catches the error answers. See
/// [`filter`].
///
/// ```standalone_crate
/// use nestish_core::filter::{ErrorHost, ErrorReply, ExceptionFilter};
/// use nestish_core::{HttpError, controller, get, use_filters};
///
/// pub struct TextErrors;
/// impl ExceptionFilter for TextErrors {
///     type Error = HttpError;
///     fn catch(&self, error: &HttpError, _: &ErrorHost<'_>) -> ErrorReply {
///         ErrorReply::text(error.status(), error.message())
///     }
/// }
///
/// #[derive(Default)]
/// pub struct FilesController;
///
/// #[controller("files")]
/// impl FilesController {
///     #[get(":name")]
///     #[use_filters(TextErrors)]
///     fn read(&self, #[param("name")] name: String) -> Result<String, HttpError> {
///         Err(HttpError::not_found(format!("no file {name}")))
///     }
/// }
///
/// let app = nestish_core::NestFactory::create()
///     .controllers::<(FilesController,)>()
///     .provide(TextErrors)
///     .build()
///     .unwrap();
/// # let _ = app;
/// ```
pub use nestish_macros::use_filters;

/// Derives [`SseEvent`](trait@SseEvent) on an enum: each variant is one event of a stream.
///
/// A variant's `event:` name is its own in snake_case, or `#[event(rename = "name")]`; its data
/// is its one field as JSON (`null` for a unit variant); `#[event(id = field)]` writes the
/// field's `Display` as the `id:`; `#[event(end)]` ends the stream after the event. An event
/// named `message` (`Message`, or renamed so) goes without its `event:` line, as a browser
/// dispatches an event that has none under that name.
///
/// ```
/// use nestish_core::SseEvent;
///
/// #[derive(serde::Serialize)]
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// struct Message {
///     seq: u64,
///     text: String,
/// }
///
/// #[derive(SseEvent)]
/// enum ChatEvents {
///     #[event(id = seq)]
///     Message(Message),
///     #[event(rename = "user-left")]
///     UserLeft(String),
///     #[event(end)]
///     Closed,
/// }
/// ```
pub use nestish_macros::SseEvent;
