//! NestJS's `Test.createTestingModule`, for nestish: an app of the controllers and providers a
//! test names, served on a loopback port, and a client that reads its event streams one event
//! at a time. Behind the `testing` cargo feature: enable it in `[dev-dependencies]` only.
//!
//! ```toml
//! [dev-dependencies]
//! nestish-core = { version = "0.1", features = ["testing"] }
//! ```
//!
//! The app runs on nestish's own server over a real socket, so what a test sees is what a
//! browser would: headers, status, every byte of the stream, heartbeats, the clean end.
//!
//! ```standalone_crate
//! use futures::{Stream, StreamExt, stream};
//! use nestish_core::testing::Test;
//! use nestish_core::{MessageEvent, controller, get, sse};
//!
//! #[derive(Default)]
//! pub struct NewsController;
//!
//! #[controller("news")]
//! impl NewsController {
//!     #[get("latest")]
//!     fn latest(&self) -> &'static str {
//!         "rust 2024 is out"
//!     }
//!
//!     #[sse("live")]
//!     fn live(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
//!         stream::iter([MessageEvent::new("first").id("1").unwrap()]).chain(stream::pending())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // In a test: #[tokio::test] async fn live_news() { ... }
//! let app = Test::create_testing_module()
//!     .controllers::<(NewsController,)>()
//!     .start()
//!     .await
//!     .unwrap();
//! assert_eq!(app.get("/news/latest").await.text(), "rust 2024 is out");
//!
//! let mut events = app.sse("/news/live").await;
//! let first = events.next_event().await;
//! assert_eq!((first.data.as_str(), first.id.as_deref()), ("first", Some("1")));
//! # }
//! ```
//!
//! Replace a service with a fake, as NestJS's `overrideProvider(...).useValue(...)` does:
//! `Test::module(my_app_builder()).override_provider(FakeClock::at(noon))`. The override wins
//! over whatever the builder registered for that type.

mod client;
mod contract;
mod parse;
mod sse;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

pub use client::{DEFAULT_TIMEOUT, TestClient, TestRequest, TestResponse};
pub use parse::{Event, Received};
pub use sse::{EventStream, SseRequest, StreamError};

use crate::filter::{ExceptionFilter, FilterOverride};
use crate::guard::GuardOverride;
use crate::intercept::{Interceptor, InterceptorOverride};
use crate::{
    AppBuilder, AppHandle, ControllerSet, Error, Factory, Guard, Method, Module, NestFactory,
};

/// Where a testing module starts: NestJS's `Test`.
///
/// ```
/// let module = nestish_core::testing::Test::create_testing_module();
/// # let _ = module;
/// ```
#[derive(Debug)]
pub struct Test;

impl Test {
    /// A testing module of every `#[controller]` linked into the test binary; narrow it with
    /// [`TestingModule::controllers`].
    ///
    /// ```
    /// let module = nestish_core::testing::Test::create_testing_module();
    /// # let _ = module;
    /// ```
    pub fn create_testing_module() -> TestingModule {
        Self::module(NestFactory::create())
    }

    /// A testing module of module `M` and what it imports (see
    /// [`NestFactory::create_module`]), NestJS's `Test.createTestingModule({ imports: [M] })`;
    /// any provider can then be overridden, however the module makes it.
    ///
    /// ```
    /// use nestish_core::{Module, ModuleBuilder};
    ///
    /// pub struct AppModule;
    ///
    /// impl Module for AppModule {
    ///     fn register(module: ModuleBuilder) -> ModuleBuilder {
    ///         module
    ///     }
    /// }
    ///
    /// let module = nestish_core::testing::Test::create_module::<AppModule>();
    /// # let _ = module;
    /// ```
    pub fn create_module<M: Module>() -> TestingModule {
        Self::module(NestFactory::create_module::<M>())
    }

    /// A testing module of an app builder the application already has (its controllers,
    /// providers, layers and limits), to test the app as it ships, with overrides.
    ///
    /// ```
    /// use nestish_core::NestFactory;
    ///
    /// fn app() -> nestish_core::AppBuilder {
    ///     NestFactory::create().body_limit(64 * 1024)
    /// }
    ///
    /// let module = nestish_core::testing::Test::module(app());
    /// # let _ = module;
    /// ```
    pub fn module(builder: AppBuilder) -> TestingModule {
        TestingModule {
            builder,
            overrides: Vec::new(),
            check_contract: true,
        }
    }
}

/// A provider given to [`TestingModule::override_provider`], applied last.
type Override = Box<dyn FnOnce(AppBuilder) -> AppBuilder + Send>;

/// An app being set up for a test: [`start`](Self::start) it.
#[must_use = "a TestingModule serves nothing until `.start().await`"]
pub struct TestingModule {
    builder: AppBuilder,
    overrides: Vec<Override>,
    /// Whether answers and events are checked against the routes' description.
    check_contract: bool,
}

impl fmt::Debug for TestingModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestingModule")
            .field("builder", &self.builder)
            .field("overrides", &self.overrides.len())
            .field("check_contract", &self.check_contract)
            .finish()
    }
}

impl TestingModule {
    /// Serves only these controllers (see [`AppBuilder::controllers`]).
    ///
    /// ```
    /// # use nestish_core::{controller, get};
    /// # #[derive(Default)] pub struct HealthController;
    /// # #[controller("health")] impl HealthController { #[get] fn ok(&self) -> &'static str { "ok" } }
    /// let module = nestish_core::testing::Test::create_testing_module()
    ///     .controllers::<(HealthController,)>();
    /// # let _ = module;
    /// ```
    pub fn controllers<S: ControllerSet>(self) -> Self {
        self.configure(AppBuilder::controllers::<S>)
    }

    /// Registers a provider (see [`AppBuilder::provide`]).
    ///
    /// ```
    /// pub struct Clock;
    /// let module = nestish_core::testing::Test::create_testing_module().provide(Clock);
    /// # let _ = module;
    /// ```
    pub fn provide<T: Send + Sync + 'static>(self, provider: T) -> Self {
        self.configure(|builder| builder.provide(provider))
    }

    /// Registers a provider the test keeps a handle to (see [`AppBuilder::provide_arc`]), to
    /// look at what the app did to it.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[derive(Default)]
    /// pub struct Outbox(Mutex<Vec<String>>);
    ///
    /// let outbox = Arc::new(Outbox::default());
    /// let module = nestish_core::testing::Test::create_testing_module().provide_arc(Arc::clone(&outbox));
    /// # let _ = module;
    /// ```
    pub fn provide_arc<T: Send + Sync + 'static>(self, provider: Arc<T>) -> Self {
        self.configure(|builder| builder.provide_arc(provider))
    }

    /// Replaces the provider of type `T`, whatever the builder registered for it and in
    /// whatever order: NestJS's `overrideProvider(T).useValue(fake)`.
    ///
    /// ```
    /// pub struct Clock { pub now: u64 }
    ///
    /// fn app() -> nestish_core::AppBuilder {
    ///     nestish_core::NestFactory::create().provide(Clock { now: 0 })
    /// }
    ///
    /// let module = nestish_core::testing::Test::module(app()).override_provider(Clock { now: 42 });
    /// # let _ = module;
    /// ```
    pub fn override_provider<T: Send + Sync + 'static>(self, provider: T) -> Self {
        self.override_provider_arc(Arc::new(provider))
    }

    /// As [`override_provider`](Self::override_provider), with a handle the test keeps.
    ///
    /// ```
    /// use std::sync::Arc;
    /// pub struct Clock { pub now: u64 }
    ///
    /// let fake = Arc::new(Clock { now: 42 });
    /// let module = nestish_core::testing::Test::create_testing_module()
    ///     .override_provider_arc(Arc::clone(&fake));
    /// # let _ = module;
    /// ```
    pub fn override_provider_arc<T: Send + Sync + 'static>(mut self, provider: Arc<T>) -> Self {
        self.overrides
            .push(Box::new(move |builder| builder.provide_arc(provider)));
        self
    }

    /// Registers a provider made by an async factory (see [`AppBuilder::provide_factory`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// pub struct Config { pub seed: u64 }
    /// pub struct Random { pub seed: u64 }
    ///
    /// let module = nestish_core::testing::Test::create_testing_module()
    ///     .provide(Config { seed: 7 })
    ///     .provide_factory(|config: Arc<Config>| async move {
    ///         Ok::<_, std::convert::Infallible>(Random { seed: config.seed })
    ///     });
    /// # let _ = module;
    /// ```
    pub fn provide_factory<Args, F: Factory<Args>>(self, factory: F) -> Self {
        self.configure(|builder| builder.provide_factory(factory))
    }

    /// Replaces the provider of the factory's type with what this factory makes, whatever the
    /// builder registered for it (a value or another factory) and in whatever order: NestJS's
    /// `overrideProvider(T).useFactory(...)`. A value stands in for a factory with
    /// [`override_provider`](Self::override_provider).
    ///
    /// ```
    /// pub struct Database { pub url: String }
    ///
    /// let module = nestish_core::testing::Test::create_testing_module()
    ///     .override_factory(|| async {
    ///         Ok::<_, std::convert::Infallible>(Database { url: "sqlite::memory:".into() })
    ///     });
    /// # let _ = module;
    /// ```
    pub fn override_factory<Args, F: Factory<Args>>(mut self, factory: F) -> Self {
        self.overrides
            .push(Box::new(move |builder| builder.provide_factory(factory)));
        self
    }

    /// Replaces the provider of trait object type `T` (see
    /// [`AppBuilder::provide_dyn`]): the app's real service for a fake.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// pub trait Clock: Send + Sync {
    ///     fn now(&self) -> u64;
    /// }
    ///
    /// pub struct Frozen(u64);
    ///
    /// impl Clock for Frozen {
    ///     fn now(&self) -> u64 {
    ///         self.0
    ///     }
    /// }
    ///
    /// let module = nestish_core::testing::Test::create_testing_module()
    ///     .override_provider_dyn::<dyn Clock>(Arc::new(Frozen(42)));
    /// # let _ = module;
    /// ```
    pub fn override_provider_dyn<T: ?Sized + Send + Sync + 'static>(
        mut self,
        provider: Arc<T>,
    ) -> Self {
        self.overrides
            .push(Box::new(move |builder| builder.provide_dyn(provider)));
        self
    }

    /// Runs `stand_in` wherever the app runs guard `G` (globally, on a controller, on a route),
    /// whatever provider of `G` the builder registered: NestJS's
    /// `overrideGuard(G).useValue(...)`. `G` itself need not be provided.
    ///
    /// ```
    /// use nestish_core::{Guard, GuardRequest, HttpError};
    ///
    /// pub struct SessionGuard; // the real one reads a session store
    /// # impl Guard for SessionGuard {
    /// #     async fn can_activate(&self, _: &mut GuardRequest<'_>) -> Result<(), HttpError> { Ok(()) }
    /// # }
    ///
    /// /// Lets everyone in, as user 1.
    /// pub struct AsUserOne;
    ///
    /// impl Guard for AsUserOne {
    ///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
    ///         request.insert(1_u64);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let module = nestish_core::testing::Test::create_testing_module()
    ///     .override_guard::<SessionGuard>(AsUserOne);
    /// # let _ = module;
    /// ```
    pub fn override_guard<G: Guard>(mut self, stand_in: impl Guard) -> Self {
        let stand_in = GuardOverride::<G>::new(stand_in);
        self.overrides
            .push(Box::new(move |builder| builder.provide(stand_in)));
        self
    }

    /// Runs `stand_in` wherever the app runs interceptor `I` (globally, on a controller, on a
    /// route), whatever provider of `I` the builder registered: NestJS's
    /// `overrideInterceptor(I).useValue(...)`. `I` itself need not be provided. (A stand-in of
    /// `I`'s own type is `override_provider`.)
    ///
    /// ```
    /// use nestish_core::intercept::{Call, Interceptor};
    /// use nestish_core::Response;
    ///
    /// pub struct RedisCache; // the real one talks to Redis
    /// # impl Interceptor for RedisCache {
    /// #     async fn intercept(&self, call: Call) -> Response { call.proceed().await }
    /// # }
    ///
    /// /// Caches nothing.
    /// pub struct NoCache;
    ///
    /// impl Interceptor for NoCache {
    ///     async fn intercept(&self, call: Call) -> Response {
    ///         call.proceed().await
    ///     }
    /// }
    ///
    /// let module = nestish_core::testing::Test::create_testing_module()
    ///     .override_interceptor::<RedisCache>(NoCache);
    /// # let _ = module;
    /// ```
    pub fn override_interceptor<I: Interceptor>(mut self, stand_in: impl Interceptor) -> Self {
        let stand_in = InterceptorOverride::<I>::new(stand_in);
        self.overrides
            .push(Box::new(move |builder| builder.provide(stand_in)));
        self
    }

    /// Tries `stand_in` wherever the app tries exception filter `F` (globally, on a controller,
    /// on a route), whatever provider of `F` the builder registered: NestJS's
    /// `overrideFilter(F).useValue(...)`. `F` itself need not be provided.
    ///
    /// ```
    /// use nestish_core::filter::{ErrorHost, ErrorReply, ExceptionFilter};
    /// use nestish_core::HttpError;
    ///
    /// pub struct ReportingFilter; // the real one reports each error to a tracker
    /// # impl ExceptionFilter for ReportingFilter {
    /// #     type Error = HttpError;
    /// #     fn catch(&self, e: &HttpError, _: &ErrorHost<'_>) -> ErrorReply { ErrorReply::from(e) }
    /// # }
    ///
    /// /// NestJS's body, reported nowhere.
    /// pub struct Quiet;
    ///
    /// impl ExceptionFilter for Quiet {
    ///     type Error = HttpError;
    ///     fn catch(&self, error: &HttpError, _: &ErrorHost<'_>) -> ErrorReply {
    ///         ErrorReply::from(error)
    ///     }
    /// }
    ///
    /// let module = nestish_core::testing::Test::create_testing_module()
    ///     .override_filter::<ReportingFilter>(Quiet);
    /// # let _ = module;
    /// ```
    pub fn override_filter<F: ExceptionFilter>(mut self, stand_in: impl ExceptionFilter) -> Self {
        let stand_in = FilterOverride::<F>::new(stand_in);
        self.overrides
            .push(Box::new(move |builder| builder.provide(stand_in)));
        self
    }

    /// Whether every answer and every event the app's clients read is checked against its
    /// route's description (feature `openapi`; on by default): a JSON body against the schema of
    /// its status, an event's name against the route's events and its JSON data against that
    /// event's schema. A mismatch fails the test, naming the request, the route, the event (name
    /// and index in its stream), each failing place as a JSON pointer, and what was expected
    /// there. Switch it off here for the whole app, or per request with
    /// [`TestRequest::check_contract`]. Without `openapi` there is nothing to check against.
    ///
    /// ```
    /// let module = nestish_core::testing::Test::create_testing_module().check_contract(false);
    /// # let _ = module;
    /// ```
    pub fn check_contract(mut self, check: bool) -> Self {
        self.check_contract = check;
        self
    }

    /// Anything else the app builder offers: layers, limits, heartbeats.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let module = nestish_core::testing::Test::create_testing_module()
    ///     .configure(|app| app.sse_keep_alive(Some(Duration::from_secs(1))));
    /// # let _ = module;
    /// ```
    pub fn configure(mut self, f: impl FnOnce(AppBuilder) -> AppBuilder) -> Self {
        self.builder = f(self.builder);
        self
    }

    /// Builds the app and serves it on `127.0.0.1`, on a free port, on the current tokio
    /// runtime, without signal handling (a test's Ctrl-C stays the test runner's).
    ///
    /// # Errors
    ///
    /// What [`AppBuilder::init`] or [`App::bind`](crate::App::bind) returns: a duplicate
    /// route, a missing provider, a failed factory, a refused setting.
    ///
    /// ```
    /// # async fn run() -> Result<(), nestish_core::Error> {
    /// let app = nestish_core::testing::Test::create_testing_module().start().await?;
    /// # let _ = app; Ok(()) }
    /// ```
    pub async fn start(self) -> Result<TestApp, Error> {
        let builder = self
            .overrides
            .into_iter()
            .fold(self.builder, |builder, apply| apply(builder));
        #[cfg_attr(not(feature = "openapi"), allow(unused_mut))]
        let mut builder = builder.handle_signals(false);
        #[cfg(feature = "openapi")]
        {
            builder.describe = self.check_contract;
        }
        let app = builder.init().await?;
        #[cfg_attr(not(feature = "openapi"), allow(unused_mut))]
        let mut contract = contract::Contract::default();
        #[cfg(feature = "openapi")]
        if let (true, Some(api)) = (self.check_contract, &app.api) {
            contract = contract::Contract::new(Arc::clone(api));
        }
        let shutdown_patience = app.limits.shutdown_timeout + DEFAULT_TIMEOUT;
        let server = app.bind("127.0.0.1:0").await?;
        let addr = server.local_addr();
        let handle = server.handle();
        let serving = tokio::spawn(server.serve());
        Ok(TestApp {
            client: TestClient::new(addr, contract),
            handle,
            serving: Some(serving),
            shutdown_patience,
        })
    }
}

/// A running test app, from [`TestingModule::start`]: send it requests, open its event
/// streams, read its counts. Dropped, it starts a graceful shutdown.
///
/// ```
/// # async fn show(app: nestish_core::testing::TestApp) {
/// let response = app.post("/chat/messages").json(&serde_json::json!({"text": "hi"})).await;
/// assert_eq!(response.status(), 201);
/// app.shutdown().await.unwrap();
/// # }
/// ```
pub struct TestApp {
    client: TestClient,
    handle: AppHandle,
    serving: Option<JoinHandle<Result<(), Error>>>,
    /// The app's shutdown timeout and [`DEFAULT_TIMEOUT`] more.
    shutdown_patience: Duration,
}

impl fmt::Debug for TestApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestApp")
            .field("addr", &self.addr())
            .field("open_connections", &self.handle.open_connections())
            .field("open_streams", &self.handle.open_streams())
            .finish()
    }
}

impl TestApp {
    /// The address the app listens on.
    ///
    /// ```
    /// # fn show(app: &nestish_core::testing::TestApp) {
    /// let url = format!("http://{}/sse", app.addr()); // for a browser or another client
    /// # let _ = url;
    /// # }
    /// ```
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.client.addr()
    }

    /// A client of the app (the shortcuts below use one too).
    ///
    /// ```
    /// # fn show(app: &nestish_core::testing::TestApp) {
    /// let client = app.client();
    /// # let _ = client;
    /// # }
    /// ```
    #[must_use]
    pub fn client(&self) -> TestClient {
        self.client.clone()
    }

    /// The app's handle: its counts, and a shutdown.
    ///
    /// ```
    /// # fn show(app: &nestish_core::testing::TestApp) {
    /// assert_eq!(app.handle().open_streams(), 0);
    /// # }
    /// ```
    #[must_use]
    pub fn handle(&self) -> &AppHandle {
        &self.handle
    }

    /// A request of any method (see [`TestClient::request`]): `OPTIONS`, `HEAD`, or one of
    /// the app's own.
    ///
    /// ```
    /// # async fn show(app: &nestish_core::testing::TestApp) {
    /// use nestish_core::Method;
    /// let response = app.request(Method::OPTIONS, "/orders").await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        self.client.request(method, path)
    }

    /// `GET path` (see [`TestClient::get`]).
    ///
    /// ```
    /// # async fn show(app: &nestish_core::testing::TestApp) {
    /// assert_eq!(app.get("/").await.status(), 200);
    /// # }
    /// ```
    pub fn get(&self, path: &str) -> TestRequest {
        self.client.get(path)
    }

    /// `POST path` (see [`TestClient::post`]).
    ///
    /// ```
    /// # async fn show(app: &nestish_core::testing::TestApp) {
    /// let response = app.post("/jobs").json(&serde_json::json!({"name": "build"})).await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn post(&self, path: &str) -> TestRequest {
        self.client.post(path)
    }

    /// `PUT path` (see [`TestClient::put`]).
    ///
    /// ```
    /// # async fn show(app: &nestish_core::testing::TestApp) {
    /// let response = app.put("/settings").text("dark").await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn put(&self, path: &str) -> TestRequest {
        self.client.put(path)
    }

    /// `PATCH path` (see [`TestClient::patch`]).
    ///
    /// ```
    /// # async fn show(app: &nestish_core::testing::TestApp) {
    /// let response = app.patch("/settings").text("light").await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn patch(&self, path: &str) -> TestRequest {
        self.client.patch(path)
    }

    /// `DELETE path` (see [`TestClient::delete`]).
    ///
    /// ```
    /// # async fn show(app: &nestish_core::testing::TestApp) {
    /// let response = app.delete("/sessions/current").await;
    /// # let _ = response;
    /// # }
    /// ```
    pub fn delete(&self, path: &str) -> TestRequest {
        self.client.delete(path)
    }

    /// Opens an event stream (see [`TestClient::sse`]).
    ///
    /// ```
    /// # async fn show(app: &nestish_core::testing::TestApp) {
    /// let mut events = app.sse("/sse").await;
    /// let first = events.next_event().await;
    /// # let _ = first;
    /// # }
    /// ```
    pub fn sse(&self, path: &str) -> SseRequest {
        self.client.sse(path)
    }

    /// Waits until no stream and no connection is open any more: after the test's clients
    /// are dropped, the server has seen them go and dropped every stream.
    ///
    /// # Panics
    ///
    /// When the counts do not reach zero within [`DEFAULT_TIMEOUT`], showing them.
    ///
    /// ```
    /// # async fn show(app: &nestish_core::testing::TestApp) {
    /// let events = app.sse("/sse").await;
    /// drop(events); // the page is closed
    /// app.settled().await;
    /// assert_eq!(app.handle().open_streams(), 0);
    /// # }
    /// ```
    pub async fn settled(&self) {
        let counts = || (self.handle.open_streams(), self.handle.open_connections());
        let zero = async {
            while counts() != (0, 0) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        if tokio::time::timeout(DEFAULT_TIMEOUT, zero).await.is_err() {
            let (streams, connections) = counts();
            panic!(
                "still open after {DEFAULT_TIMEOUT:?}: {streams} stream(s), {connections} connection(s)"
            );
        }
    }

    /// Shuts the app down gracefully and waits until its server has returned: every stream
    /// ended cleanly (after its route's `shutdown_event`), in-flight requests finished.
    ///
    /// # Errors
    ///
    /// What the server returned.
    ///
    /// # Panics
    ///
    /// When the server task panicked, or has not returned past the shutdown timeout and
    /// [`DEFAULT_TIMEOUT`] more.
    ///
    /// ```
    /// # async fn show(app: nestish_core::testing::TestApp) {
    /// app.shutdown().await.expect("a clean shutdown");
    /// # }
    /// ```
    pub async fn shutdown(mut self) -> Result<(), Error> {
        self.handle.shutdown();
        let Some(serving) = self.serving.take() else {
            return Ok(());
        };
        let patience = self.shutdown_patience;
        match tokio::time::timeout(patience, serving).await {
            Ok(Ok(served)) => served,
            Ok(Err(panicked)) => panic!("the server task failed: {panicked}"),
            Err(_) => panic!("the server did not return within {patience:?} of the shutdown"),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}
