//! [`NestFactory`] → [`AppBuilder`] → [`App`]: collect the routes, build the controllers, check.

use std::any::TypeId;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;

use crate::guard::{self, Guard, GuardRef};
use crate::module::{Module, ModuleBuilder, ModuleGraph};
use crate::providers::Providers;
use crate::providers::factory::{Factory, Pending};
use crate::providers::lifecycle::{HookRef, Hooks};
use crate::routing::advised::GlobalAdvice;
use crate::routing::record::Request;
use crate::routing::service::RoutesFuture;
use crate::state::State;
use crate::{
    AppHandle, BoxError, ControllerSet, Error, GlobalPrefix, Lifecycle, Limits, RequestBody,
    Response, Routes, Versioning,
};

/// The entry point, named after NestJS's: `NestFactory::create().build()?.listen(addr).await`.
///
/// ```no_run
/// #[tokio::main]
/// async fn main() -> Result<(), nestish_core::Error> {
///     nestish_core::NestFactory::create()
///         .build()?
///         .listen("127.0.0.1:3000")
///         .await
/// }
/// ```
#[derive(Debug)]
pub struct NestFactory;

impl NestFactory {
    /// Starts building the application from module `M` (NestJS's `NestFactory.create(AppModule)`):
    /// exactly the controllers of `M` and the modules it imports, their providers, and
    /// NestJS's encapsulation, checked at start-up (see [`Module`]). Providers given to the
    /// builder itself are global.
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
    /// let builder = nestish_core::NestFactory::create_module::<AppModule>();
    /// # let _ = builder;
    /// ```
    pub fn create_module<M: Module>() -> AppBuilder {
        Self::create().with_modules(ModuleBuilder::of::<M>())
    }

    /// Starts building the application from every `#[controller]` linked into the binary.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create();
    /// # let _ = builder;
    /// ```
    pub fn create() -> AppBuilder {
        let state = Arc::new(State::default());
        let mut providers = Providers::default();
        // Injectable from the start, so a controller or a health check can read the counts
        // and see a shutdown coming.
        providers.insert(Arc::new(AppHandle {
            state: Arc::clone(&state),
        }));
        AppBuilder {
            sse_keep_alive: Some(AppBuilder::DEFAULT_SSE_KEEP_ALIVE),
            access_log: None,
            limits: Limits::default(),
            signals: true,
            reuse_port: false,
            providers,
            layers: Vec::new(),
            chosen: None,
            state,
            health: None,
            metrics: None,
            metrics_guards: Vec::new(),
            global_guards: Vec::new(),
            advice: GlobalAdvice::default(),
            global_prefix: None,
            versioning: None,
            factories: Vec::new(),
            hooks: Vec::new(),
            problems: Vec::new(),
            reported: Vec::new(),
            modules: None,
            #[cfg(feature = "openapi")]
            openapi: None,
            #[cfg(feature = "openapi")]
            describe: false,
        }
    }
}

mod advice;
mod serve;
mod start;

pub use serve::Server;

/// A layer given to [`AppBuilder::layer`], kept until the routes exist, with its type's name.
type LayerFn = (Box<dyn FnOnce(Routes) -> Routes + Send>, &'static str);

/// Configures an application before [`build`](Self::build) checks it.
#[must_use = "an AppBuilder does nothing until `.build()` is called"]
pub struct AppBuilder {
    sse_keep_alive: Option<Duration>,
    /// Whether nestish logs an access line per request; `None` until chosen (on).
    access_log: Option<bool>,
    limits: Limits,
    signals: bool,
    reuse_port: bool,
    providers: Providers,
    layers: Vec<LayerFn>,
    /// The controllers to serve, when not every linked one.
    pub(crate) chosen: Option<Vec<(TypeId, &'static str)>>,
    /// The application's shared state, made first so that its handle can be injected.
    state: Arc<State>,
    /// Where the health routes answer, if they do.
    health: Option<String>,
    /// Where the Prometheus text is served, if it is.
    metrics: Option<String>,
    /// Guards of the metrics route.
    metrics_guards: Vec<GuardRef>,
    /// Guards of every route, run before the controller's and the route's.
    global_guards: Vec<GuardRef>,
    /// Interceptors and exception filters of every route (see `app/advice.rs`).
    advice: GlobalAdvice,
    /// In front of every route's path, but those it excludes.
    global_prefix: Option<GlobalPrefix>,
    /// URI versioning, when on.
    versioning: Option<Versioning>,
    /// Providers made by async factories at [`init`](Self::init), one per type.
    factories: Vec<Pending>,
    /// The providers whose lifecycle hooks are called, as registered.
    hooks: Vec<HookRef>,
    /// Mistakes found while configuring (a configuration that cannot be read), reported by
    /// [`build`](Self::build) with the rest.
    pub(crate) problems: Vec<Error>,
    /// The providers those mistakes leave out, not to be reported missing again.
    reported: Vec<TypeId>,
    /// The module graph, for an app made from modules.
    pub(crate) modules: Option<ModuleGraph>,
    /// The OpenAPI document to serve, if any.
    #[cfg(feature = "openapi")]
    openapi: Option<crate::openapi::OpenApi>,
    /// Describe the routes even without a document to serve: the testing module's contract
    /// check reads the description.
    #[cfg(feature = "openapi")]
    pub(crate) describe: bool,
}

impl fmt::Debug for AppBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppBuilder")
            .field("sse_keep_alive", &self.sse_keep_alive)
            .field("limits", &self.limits)
            .field("signals", &self.signals)
            .field("reuse_port", &self.reuse_port)
            .field("providers", &self.providers)
            .field("layers", &self.layers.len())
            .field("chosen", &self.chosen)
            .field("global_guards", &self.global_guards.len())
            .field("health", &self.health)
            .field("metrics", &self.metrics)
            .field("metrics_guards", &self.metrics_guards.len())
            .field("global_prefix", &self.global_prefix)
            .field("versioning", &self.versioning)
            .field("factories", &self.factories.len())
            .finish_non_exhaustive()
    }
}

impl AppBuilder {
    /// How long an SSE stream may stay silent before nestish writes a heartbeat: 15 s.
    pub const DEFAULT_SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);

    /// Registers a provider: a service that controllers receive, as `Arc<T>`, through their
    /// `#[inject]` constructor (see [`Providers`]). One per type; a second replaces the first.
    ///
    /// ```
    /// pub struct EventBus;
    ///
    /// let builder = nestish_core::NestFactory::create().provide(EventBus);
    /// # let _ = builder;
    /// ```
    pub fn provide<T: Send + Sync + 'static>(self, provider: T) -> Self {
        self.provide_arc(Arc::new(provider))
    }

    /// Registers a provider that the caller keeps a handle to as well.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// pub struct Metrics;
    ///
    /// let metrics = Arc::new(Metrics);
    /// let builder = nestish_core::NestFactory::create().provide_arc(Arc::clone(&metrics));
    /// # let _ = builder;
    /// ```
    pub fn provide_arc<T: Send + Sync + 'static>(mut self, provider: Arc<T>) -> Self {
        self.factories.retain(|f| f.output != TypeId::of::<T>());
        self.providers.insert(provider);
        self
    }

    /// Registers a provider made at start-up by an async factory, NestJS's
    /// `{ provide: Pool, useFactory: async (config) => ..., inject: [Config] }`: the factory's
    /// arguments (`Arc<T>` or `Option<Arc<T>>`, at most eight) are the providers it takes, and
    /// its future gives `Result<Provider, E>`. [`init`](Self::init) awaits every factory once,
    /// each after the factories of the providers it takes; the app then starts with `.init().await`
    /// rather than `.build()`. One provider per type: a factory replaces a value of its type
    /// given before, and a value given after replaces the factory (as a test's override does).
    ///
    /// Start-up fails naming the provider when its factory fails ([`Error::Factory`]) or takes
    /// a provider that does not exist, and naming each of them when factories take each other
    /// in a cycle ([`Error::ProviderCycle`]).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// pub struct Config { pub database_url: String }
    /// pub struct Database { pub url: String }
    ///
    /// impl Database {
    ///     async fn connect(url: &str) -> Result<Self, std::io::Error> {
    ///         Ok(Self { url: url.to_owned() })
    ///     }
    /// }
    ///
    /// let builder = nestish_core::NestFactory::create()
    ///     .provide(Config { database_url: "postgres://localhost/app".into() })
    ///     .provide_factory(|config: Arc<Config>| async move {
    ///         Database::connect(&config.database_url).await
    ///     });
    /// # let _ = builder;
    /// ```
    pub fn provide_factory<Args, F: Factory<Args>>(mut self, factory: F) -> Self {
        let factory = Pending::new(factory);
        self.providers.remove(factory.output);
        self.factories.retain(|f| f.output != factory.output);
        self.factories.push(factory);
        self
    }

    /// Registers a provider behind a trait, NestJS's `{ provide: Llm, useClass: OpenAi }`:
    /// controllers take it as `Arc<dyn Trait>`, and a test replaces it with a fake
    /// ([`TestingModule::override_provider_dyn`](crate::testing::TestingModule::override_provider_dyn)).
    /// The trait must be `Send + Sync`. One per trait object type; a second replaces the first.
    ///
    /// ```standalone_crate
    /// use std::sync::Arc;
    /// use nestish_core::{controller, get, inject};
    ///
    /// pub trait Llm: Send + Sync {
    ///     fn complete(&self, prompt: &str) -> String;
    /// }
    ///
    /// pub struct Echo;
    ///
    /// impl Llm for Echo {
    ///     fn complete(&self, prompt: &str) -> String {
    ///         prompt.to_owned()
    ///     }
    /// }
    ///
    /// pub struct CompletionController {
    ///     llm: Arc<dyn Llm>,
    /// }
    ///
    /// #[controller("complete")]
    /// impl CompletionController {
    ///     #[inject]
    ///     fn new(llm: Arc<dyn Llm>) -> Self {
    ///         Self { llm }
    ///     }
    ///
    ///     #[get]
    ///     fn complete(&self) -> String {
    ///         self.llm.complete("hello")
    ///     }
    /// }
    ///
    /// let app = nestish_core::NestFactory::create()
    ///     .provide_dyn::<dyn Llm>(Arc::new(Echo))
    ///     .build()
    ///     .unwrap();
    /// # let _ = app;
    /// ```
    pub fn provide_dyn<T: ?Sized + Send + Sync + 'static>(mut self, provider: Arc<T>) -> Self {
        self.factories.retain(|f| f.output != TypeId::of::<T>());
        self.providers.insert(provider);
        self
    }

    /// Wraps every route in a [tower] layer: tower-http's `CorsLayer`, `CompressionLayer`,
    /// `TraceLayer` or `TimeoutLayer`, or one of yours. Layers given later wrap those given
    /// earlier, so the last one sees a request first, as in axum.
    ///
    /// The layers belong to the app: they apply wherever it runs (nestish's server, inside
    /// axum, in-process). nestish's server keeps its own limits around them (connection cap,
    /// header, body and stall timeouts). A layer's response body may be any `http_body::Body`
    /// of [`Bytes`](crate::Bytes); a layer's error is answered 500 with NestJS's body and logged.
    ///
    /// An SSE response goes through the layers like any other: tower-http's compression skips
    /// `text/event-stream` by default, and its `TimeoutLayer` bounds the time to the response
    /// head, not the stream.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_http::timeout::TimeoutLayer;
    ///
    /// let builder = nestish_core::NestFactory::create().layer(
    ///     TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(10)),
    /// );
    /// # let _ = builder;
    /// ```
    ///
    /// [tower]: https://docs.rs/tower
    pub fn layer<L, B>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<Routes> + Send + 'static,
        L::Service: tower_service::Service<Request, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower_service::Service<Request>>::Error: Into<BoxError>,
        <L::Service as tower_service::Service<Request>>::Future: Send + 'static,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.layers.push((
            Box::new(move |routes: Routes| routes.layer(&layer)),
            std::any::type_name::<L>(),
        ));
        self
    }

    /// Guards every route of the app with `G`, NestJS's `app.useGlobalGuards()`: global guards
    /// run first, in the order given, before the controller's and the route's (see
    /// [`guard`](crate::guard)). `G` must be provided, like any service.
    ///
    /// ```
    /// use nestish_core::{Guard, GuardRequest, HttpError};
    ///
    /// pub struct DenyBots;
    ///
    /// impl Guard for DenyBots {
    ///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
    ///         match request.header("user-agent") {
    ///             Some(agent) if agent.contains("bot") => Err(HttpError::forbidden("no bots")),
    ///             _ => Ok(()),
    ///         }
    ///     }
    /// }
    ///
    /// let builder = nestish_core::NestFactory::create()
    ///     .provide(DenyBots)
    ///     .use_global_guard::<DenyBots>();
    /// # let _ = builder;
    /// ```
    pub fn use_global_guard<G: Guard>(mut self) -> Self {
        self.global_guards.push(guard::GuardRef::of::<G>());
        self
    }

    /// Serves only these controllers (a tuple: `(Chat,)`, `(Chat, Jobs)`), not every
    /// `#[controller]` linked into the binary, so a test or a second app builds exactly the
    /// routes it means. Only the providers these controllers need must be registered.
    ///
    /// ```
    /// use nestish_core::{controller, get};
    ///
    /// #[derive(Default)]
    /// pub struct HealthController;
    ///
    /// #[controller("health")]
    /// impl HealthController {
    ///     #[get]
    ///     fn ok(&self) -> &'static str { "ok" }
    /// }
    ///
    /// let builder = nestish_core::NestFactory::create().controllers::<(HealthController,)>();
    /// # let _ = builder;
    /// ```
    pub fn controllers<S: ControllerSet>(mut self) -> Self {
        self.chosen = Some(S::types());
        self
    }

    /// The handle of the application being built: its counts and its shutdown, before
    /// [`build`](Self::build) (the same handle [`App::handle`] gives later). Controllers and
    /// providers can also take it as a provider, `Arc<AppHandle>`, in their `#[inject]`
    /// constructor.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create();
    /// let handle = builder.handle();
    /// assert!(!handle.is_shutting_down());
    /// # let _ = builder;
    /// ```
    pub fn handle(&self) -> AppHandle {
        AppHandle {
            state: Arc::clone(&self.state),
        }
    }

    /// Serves every route under `prefix`, NestJS's `app.setGlobalPrefix('api')`: `/api/cats`
    /// for `#[controller("cats")]`, the health and metrics routes included, but the paths
    /// [excluded](GlobalPrefix::exclude). A version segment, if any, comes after it
    /// (`/api/v1/cats`). Checked by [`build`](Self::build): it may hold no parameter.
    ///
    /// ```
    /// use nestish_core::GlobalPrefix;
    ///
    /// let builder = nestish_core::NestFactory::create()
    ///     .global_prefix(GlobalPrefix::new("api").exclude("health/*"));
    /// let builder = builder.global_prefix("api"); // no exclusion
    /// # let _ = builder;
    /// ```
    pub fn global_prefix(mut self, prefix: impl Into<GlobalPrefix>) -> Self {
        self.global_prefix = Some(prefix.into());
        self
    }

    /// Turns on URI versioning, NestJS's `app.enableVersioning({ type: VersioningType.URI })`:
    /// a route of `#[controller("cats", version = "1")]` (or with its own `version = "2"`) is
    /// served at `/v1/cats`; `version = ["1", "2"]` serves both; `VERSION_NEUTRAL` and routes
    /// without a version have no version segment, unless
    /// [a default version](Versioning::default_version) is set. Without it, a route that
    /// declares a version fails [`build`](Self::build) ([`Error::VersioningOff`]).
    ///
    /// ```
    /// use nestish_core::Versioning;
    ///
    /// let builder = nestish_core::NestFactory::create().enable_versioning(Versioning::uri());
    /// # let _ = builder;
    /// ```
    pub fn enable_versioning(mut self, versioning: Versioning) -> Self {
        self.versioning = Some(versioning);
        self
    }

    /// Answers health checks under `prefix`, as NestJS's terminus does: `GET {prefix}/live`
    /// (liveness: 200 while the process serves) and `GET {prefix}/ready` (readiness: 200, and
    /// 503 from the moment a graceful shutdown starts, so a load balancer sends new clients
    /// elsewhere while open streams drain), each with terminus's JSON body.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().health_routes("/health");
    /// # let _ = builder;
    /// ```
    pub fn health_routes(mut self, prefix: &str) -> Self {
        self.health = Some(prefix.to_owned());
        self
    }

    /// Serves the application's metrics in Prometheus's text format at `GET path` (see
    /// [`metrics`](crate::metrics)): installs a Prometheus recorder as the process's `metrics`
    /// recorder, once per process. Needs the `metrics` cargo feature.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().metrics_route("/metrics");
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "metrics")]
    pub fn metrics_route(mut self, path: &str) -> Self {
        self.metrics = Some(path.to_owned());
        self
    }

    /// Guards the metrics route with `G`, as `#[use_guards(G)]` guards a route: the metrics
    /// say how the app is used, so serve them only to whom should read them (Prometheus with a
    /// token, say). `G` must be provided, like any guard; several run in the order given. The
    /// app's global guards do not apply to the metrics and health routes. A guard sees the
    /// request's route as `(metrics)`.
    ///
    /// ```standalone_crate
    /// use nestish_core::{Guard, GuardRequest, HttpError};
    ///
    /// pub struct ScraperGuard;
    ///
    /// impl Guard for ScraperGuard {
    ///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
    ///         match request.header("authorization") {
    ///             Some("Bearer s3cret") => Ok(()),
    ///             _ => Err(HttpError::unauthorized("a token is needed")),
    ///         }
    ///     }
    /// }
    ///
    /// let app = nestish_core::NestFactory::create()
    ///     .provide(ScraperGuard)
    ///     .metrics_route("/metrics")
    ///     .metrics_guard::<ScraperGuard>()
    ///     .build()
    ///     .expect("the guard is provided");
    /// # let _ = app;
    /// ```
    #[cfg(feature = "metrics")]
    pub fn metrics_guard<G: Guard>(mut self) -> Self {
        self.metrics_guards.push(guard::GuardRef::of::<G>());
        self
    }

    /// Serves the application's OpenAPI 3.2 document at `/openapi.json`, its 3.1 form at
    /// `/openapi-3.1.json` and a documentation page (Swagger UI, served by the app) at `/docs`
    /// (feature `openapi`; see [`openapi`](crate::openapi)). The documents are built once, when
    /// the app is, from every route's own description, and served from memory. Their paths are
    /// served as given, outside the global prefix and versions.
    ///
    /// ```
    /// use nestish_core::openapi::OpenApi;
    ///
    /// let builder = nestish_core::NestFactory::create().openapi(OpenApi::new("Chat", "1.0.0"));
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "openapi")]
    pub fn openapi(mut self, openapi: crate::openapi::OpenApi) -> Self {
        self.openapi = Some(openapi);
        self
    }

    /// Sets every server limit at once (each also has a setter of its own). [`Limits`] is
    /// `#[non_exhaustive]`: start from its default and change the fields you mean.
    ///
    /// ```
    /// use std::time::Duration;
    /// use nestish_core::Limits;
    ///
    /// let mut limits = Limits::default();
    /// limits.stall_timeout = Duration::from_secs(10);
    /// limits.max_connections = 50_000;
    /// let builder = nestish_core::NestFactory::create().limits(limits);
    /// # let _ = builder;
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the largest request body, in bytes, that a `#[body]` argument reads; a larger one
    /// answers 413. Default 1 MiB (see [`Limits`]).
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().body_limit(64 * 1024);
    /// # let _ = builder;
    /// ```
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.limits.body_limit = bytes;
        self
    }

    /// Sets how long a `#[body]` argument waits for the whole request body, and for each next
    /// piece of it; past either the answer is 408 and the connection is closed. Defaults 30 s
    /// and 10 s (see [`Limits`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create()
    ///     .body_timeouts(Duration::from_secs(10), Duration::from_secs(2));
    /// # let _ = builder;
    /// ```
    pub fn body_timeouts(mut self, whole: Duration, idle: Duration) -> Self {
        self.limits.body_read_timeout = whole;
        self.limits.body_idle_timeout = idle;
        self
    }

    /// Sets each connection's buffer: the largest request head (431 past it) and the most a
    /// response may queue for a client that does not read. Default 64 KiB; at least 8 KiB.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().buffer_size(16 * 1024);
    /// # let _ = builder;
    /// ```
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.limits.buffer_size = bytes;
        self
    }

    /// Sets the most header fields a request may have (431 past it). Default 100.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().max_headers(50);
    /// # let _ = builder;
    /// ```
    pub fn max_headers(mut self, count: usize) -> Self {
        self.limits.max_headers = count;
        self
    }

    /// Sets how long a client may take to send a request head before its connection is closed
    /// (against slowloris). Default 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create().header_read_timeout(Duration::from_secs(5));
    /// # let _ = builder;
    /// ```
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// Sets how long a client may leave the server's writes blocked without taking a byte
    /// before its connection is closed and its stream dropped. Default 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create().stall_timeout(Duration::from_secs(10));
    /// # let _ = builder;
    /// ```
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.limits.stall_timeout = timeout;
        self
    }

    /// Sets the most open connections; one more is answered 503 and closed. Default 16,384.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().max_connections(1_000);
    /// # let _ = builder;
    /// ```
    pub fn max_connections(mut self, count: usize) -> Self {
        self.limits.max_connections = count;
        self
    }

    /// Sets each connection's kernel send buffer (`SO_SNDBUF`), or `None` for the kernel's
    /// autotuning: with the connection buffer, what a client that does not read can make the
    /// host hold. Default 128 KiB (see [`Limits::send_buffer`]).
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().send_buffer(Some(64 * 1024));
    /// # let _ = builder;
    /// ```
    pub fn send_buffer(mut self, bytes: Option<usize>) -> Self {
        self.limits.send_buffer = bytes;
        self
    }

    /// Sets how many connections the kernel queues before the server accepts them (the listen
    /// backlog), so a storm of reconnecting browsers is not turned away. Default 1,024 (the
    /// kernel may cap it: `net.core.somaxconn`).
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().backlog(4_096);
    /// # let _ = builder;
    /// ```
    pub fn backlog(mut self, connections: u32) -> Self {
        self.limits.backlog = connections;
        self
    }

    /// Sets how long an SSE stream may last before it is ended cleanly (the browser then
    /// reconnects, to this or another instance); `None` for no limit, the default.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create()
    ///     .sse_max_lifetime(Some(Duration::from_secs(3600)));
    /// # let _ = builder;
    /// ```
    pub fn sse_max_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.limits.sse_max_lifetime = lifetime;
        self
    }

    /// Sets how many streams a client may open at once on one HTTP/2 connection; one more is
    /// refused with `REFUSED_STREAM` (a browser then waits for one to close). Default 200.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().http2_max_concurrent_streams(500);
    /// # let _ = builder;
    /// ```
    pub fn http2_max_concurrent_streams(mut self, streams: u32) -> Self {
        self.limits.http2_max_concurrent_streams = streams;
        self
    }

    /// Sets how long an HTTP/2 connection may have no open stream before it is sent GOAWAY and
    /// closed. Default 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create().http2_idle_timeout(Duration::from_secs(60));
    /// # let _ = builder;
    /// ```
    pub fn http2_idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.http2_idle_timeout = timeout;
        self
    }

    /// Sets how long an HTTP/2 client may send nothing before the server PINGs it (`None`: no
    /// PINGs), and how long it then has to answer before its connection is closed. Default
    /// 30 s and 20 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create()
    ///     .http2_keep_alive(Some(Duration::from_secs(60)), Duration::from_secs(10));
    /// # let _ = builder;
    /// ```
    pub fn http2_keep_alive(mut self, interval: Option<Duration>, timeout: Duration) -> Self {
        self.limits.http2_keep_alive_interval = interval;
        self.limits.http2_keep_alive_timeout = timeout;
        self
    }

    /// Sets the most, in bytes, that all the SSE streams of one HTTP/2 connection may have
    /// queued together for a client that does not read. Default 256 KiB, at least 16 KiB.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().http2_connection_buffer(256 * 1024);
    /// # let _ = builder;
    /// ```
    pub fn http2_connection_buffer(mut self, bytes: usize) -> Self {
        self.limits.http2_connection_buffer = bytes;
        self
    }

    /// Sets how many frames that do no work (PRIORITY, WINDOW_UPDATE, PING, SETTINGS, empty
    /// DATA) an HTTP/2 client may send beyond what the server's frames earn it, before GOAWAY.
    /// Default 1,000, at least 100.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().http2_noop_frame_budget(5_000);
    /// # let _ = builder;
    /// ```
    pub fn http2_noop_frame_budget(mut self, frames: u32) -> Self {
        self.limits.http2_noop_frame_budget = frames;
        self
    }

    /// Sets how long a client of a TLS listener may take to finish the TLS handshake before its
    /// connection is closed (feature `tls`). Default 10 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create().tls_handshake_timeout(Duration::from_secs(5));
    /// # let _ = builder;
    /// ```
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.limits.tls_handshake_timeout = timeout;
        self
    }

    /// Sets how long a graceful shutdown waits for open connections before closing them.
    /// Default 10 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create().shutdown_timeout(Duration::from_secs(3));
    /// # let _ = builder;
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.limits.shutdown_timeout = timeout;
        self
    }

    /// Sets the window a shutdown spreads reconnections over: every SSE stream it ends gets a
    /// `retry:` (the browser's reconnection delay) drawn at random between zero and `window`,
    /// so that its clients come back to the remaining instances spread out, each resuming by
    /// `Last-Event-ID`, rather than all in the same instant. Default 5 s; zero sends `retry: 0` to every stream.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create().drain_window(Duration::from_secs(10));
    /// # let _ = builder;
    /// ```
    pub fn drain_window(mut self, window: Duration) -> Self {
        self.limits.drain_window = window;
        self
    }

    /// Sets how long an SSE stream goes on after its credentials' expiry (as a guard gave it,
    /// [`GuardRequest::credentials_expire_at`](crate::GuardRequest::credentials_expire_at)),
    /// for the client to refresh them; then the stream ends with a `retry:` and the client
    /// reconnects, is authenticated again and resumes by `Last-Event-ID`. Default 5 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let builder = nestish_core::NestFactory::create().credential_grace(Duration::from_secs(30));
    /// # let _ = builder;
    /// ```
    pub fn credential_grace(mut self, grace: Duration) -> Self {
        self.limits.credential_grace = grace;
        self
    }

    /// Caps the SSE streams one principal (as a guard named it,
    /// [`GuardRequest::principal`](crate::GuardRequest::principal)) may hold open at once on
    /// this instance, all routes together: one more is answered 429 with `Retry-After` and the
    /// app's error body, before any SSE header. A route may cap its own streams too
    /// (`#[sse("events", max_per_principal = 3)]`). Default `None`: no cap. At least 1.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().max_streams_per_principal(Some(20));
    /// # let _ = builder;
    /// ```
    pub fn max_streams_per_principal(mut self, cap: Option<u32>) -> Self {
        self.limits.max_streams_per_principal = cap;
        self
    }

    /// Caps the SSE streams one client address may hold open at once on this instance, all
    /// routes together: one more is answered 429 with `Retry-After` and the app's error body,
    /// before any SSE header (`#[sse("events", max_per_address = 20)]` for one route). Default
    /// `None`: no cap, since clients behind one NAT share an address. At least 1.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().max_streams_per_address(Some(100));
    /// # let _ = builder;
    /// ```
    pub fn max_streams_per_address(mut self, cap: Option<u32>) -> Self {
        self.limits.max_streams_per_address = cap;
        self
    }

    /// Caps the SSE streams one client address may *open* in a given time on this instance,
    /// all routes together (an IPv6 address counts by its /64, which one client holds): one
    /// more is answered 429 with `Retry-After` (the seconds until it may) and the app's error
    /// body, before any SSE header. The count is governor's GCRA: a burst of `count`, then one
    /// each `per / count`. Default `None`. Up to 100,000 addresses are tracked at once, those
    /// that opened a stream within `per`; past that, 503 with `Retry-After: 1`.
    ///
    /// ```
    /// use nestish_core::StreamRate;
    /// let builder = nestish_core::NestFactory::create()
    ///     .new_streams_per_address(Some(StreamRate::per_second(5)));
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "rate-limit")]
    pub fn new_streams_per_address(mut self, rate: Option<crate::StreamRate>) -> Self {
        self.limits.new_streams_per_address = rate;
        self
    }

    /// Sets how long an SSE stream may stay silent before nestish writes a heartbeat comment
    /// (`:` and a blank line, which clients ignore) to keep proxies and load balancers from
    /// closing it; `None` switches heartbeats off. Every frame written restarts the wait.
    /// Default: [`DEFAULT_SSE_KEEP_ALIVE`](Self::DEFAULT_SSE_KEEP_ALIVE). A route's own
    /// `#[sse("path", keep_alive = "5s")]` or `keep_alive = false` wins over this.
    ///
    /// ```standalone_crate
    /// use std::time::Duration;
    ///
    /// let app = nestish_core::NestFactory::create()
    ///     .sse_keep_alive(Some(Duration::from_secs(30)))
    ///     .build()
    ///     .unwrap();
    /// # let _ = app;
    /// ```
    pub fn sse_keep_alive(mut self, interval: Option<Duration>) -> Self {
        self.sse_keep_alive = interval;
        self
    }

    /// Whether nestish logs one access line per request (default `true`): target
    /// `nestish::request`, `answered` (2xx, 3xx) and `refused` (4xx) at `INFO`, `failed` (5xx)
    /// at `WARN`, each with `method`, `route` (the template), `peer`, `version`, `status` and
    /// `ms` (the time to the response head, to the microsecond). Turn it off when another
    /// layer writes the access log, such as tower-http's `TraceLayer` with its `on_response` at
    /// `INFO`, so each request still gets one line; the request span stays either way, so
    /// the handler's own lines still name their route.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().access_log(false);
    /// # let _ = builder;
    /// ```
    pub fn access_log(mut self, on: bool) -> Self {
        self.access_log = Some(on);
        self
    }

    /// Whether SIGINT and SIGTERM start a graceful shutdown (default `true`). Turn it off when
    /// the embedding program handles signals and calls [`AppHandle::shutdown`](crate::AppHandle::shutdown) itself.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().handle_signals(false);
    /// # let _ = builder;
    /// ```
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.signals = on;
        self
    }

    /// Whether the listening socket is bound with `SO_REUSEPORT` (default `false`), so several
    /// processes, each with this on, listen on one port and the kernel spreads new connections
    /// among them by a hash of the client's address and port. That is how a machine runs one
    /// process per core, and how one host serves more streams than one process may hold
    /// descriptors for. Each process is its own app: its own limits (`max_connections` counts
    /// its own connections), providers and in-process hub (a [`Hub`](crate::hub::Hub) on Redis makes
    /// the processes one). A process that stops takes its queued, not yet accepted connections
    /// with it. Unix only: elsewhere, binding with it on fails with [`Error::Bind`](crate::Error::Bind).
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().reuse_port(true);
    /// # let _ = builder;
    /// ```
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.reuse_port = on;
        self
    }

    /// Collects every route that a `#[controller]` linked into the binary declares, sorts them,
    /// builds each controller once, and logs the route table (`Mapped {/sse, GET} (SSE) route`,
    /// at `INFO`, target `nestish::routes`).
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateRoute`] when two methods answer the same HTTP method and path (the
    /// message names both), [`Error::InvalidRoute`] when the router refuses a path, and
    /// [`Error::Config`] for a setting that cannot work (a zero heartbeat interval), and
    /// [`Error::MissingProvider`] when a controller's `#[inject]` constructor needs a provider
    /// that was not registered (the message names both), [`Error::MissingGuard`] when a
    /// route's guard was not provided (the message names the guard and the route),
    /// [`Error::MissingMetricsGuard`] when the metrics route's guard was not, [`Error::Layer`] when a layer
    /// refuses its configuration, and [`Error::UnknownController`] when a type given to
    /// [`controllers`](Self::controllers) has no `#[controller]` impl.
    ///
    /// ```standalone_crate
    /// let app = nestish_core::NestFactory::create().build().expect("routes are valid");
    /// # let _ = app;
    /// ```
    pub fn build(mut self) -> Result<App, Error> {
        if let Some(factory) = self.factories.first() {
            return Err(Error::NeedsInit {
                provider: factory.name,
                why: "is made by an async factory",
            });
        }
        if let Some(hooks) = self.hooks.first() {
            return Err(Error::NeedsInit {
                provider: hooks.name,
                why: "has lifecycle hooks",
            });
        }
        let plan = self.plan()?;
        self.finish(plan)
    }

    /// Starts the application as NestJS's `await app.init()` does: checks it as
    /// [`build`](Self::build) does, then awaits each provider's async factory, in dependency
    /// order (see [`provide_factory`](Self::provide_factory)), then builds it. An app without
    /// async factories may use either.
    ///
    /// # Errors
    ///
    /// Those of [`build`](Self::build); every missing provider, guard or factory argument at
    /// once ([`Error::Several`] when there are more than one); [`Error::ProviderCycle`] naming
    /// the providers whose factories take each other; [`Error::Factory`] naming the provider
    /// whose factory failed.
    ///
    /// ```standalone_crate
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::sync::Arc;
    ///
    /// pub struct Settings { pub url: String }
    /// pub struct Pool { pub url: String }
    ///
    /// let app = nestish_core::NestFactory::create()
    ///     .provide(Settings { url: "postgres://db".into() })
    ///     .provide_factory(|settings: Arc<Settings>| async move {
    ///         Ok::<_, std::io::Error>(Pool { url: settings.url.clone() })
    ///     })
    ///     .init()
    ///     .await
    ///     .expect("every provider is made");
    /// # let _ = app;
    /// # }
    /// ```
    pub async fn init(mut self) -> Result<App, Error> {
        let plan = self.plan()?;
        let mut factories: Vec<_> = std::mem::take(&mut self.factories)
            .into_iter()
            .map(Some)
            .collect();
        // Hooks run in the order providers are made: values first, as registered, then what
        // factories make, each after what it takes.
        let mut hook_refs = std::mem::take(&mut self.hooks);
        hook_refs.sort_by_key(|hook| {
            plan.order.iter().position(|&index| {
                factories[index]
                    .as_ref()
                    .is_some_and(|factory| factory.output == hook.type_id)
            })
        });
        for &index in &plan.order {
            if let Some(factory) = factories[index].take() {
                factory.run(&mut self.providers).await?;
            }
        }
        let hooks = Hooks::new(&hook_refs, &self.providers);
        let mut app = self.finish(plan)?;
        hooks.start().await?;
        app.hooks = hooks;
        Ok(app)
    }

    /// Reads configuration `T` from `source` (NestJS's `ConfigModule.forRoot()`), and provides it
    /// as `Arc<T>` to controllers, guards and async factories (feature `config`). A field is
    /// set by the variable of its name in upper case (`port` by `PORT`), from the environment
    /// or the `.env` file; `Option` and `#[serde(default)]` fields may be absent. When variables
    /// are missing or bad, [`build`](Self::build) and [`init`](Self::init) fail with
    /// [`Error::Configuration`] naming each of them (not their values, which may be secret).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use nestish_core::ConfigSource;
    ///
    /// #[derive(serde::Deserialize)]
    /// pub struct AppConfig {
    ///     pub port: u16,
    ///     pub redis_url: Option<String>,
    /// }
    ///
    /// let builder = nestish_core::NestFactory::create()
    ///     .config::<AppConfig>(ConfigSource::new().vars([("PORT", "3000")]))
    ///     .provide_factory(|config: Arc<AppConfig>| async move {
    ///         Ok::<_, std::io::Error>(format!("listening on {}", config.port))
    ///     });
    /// # let _ = builder;
    /// ```
    #[cfg(feature = "config")]
    pub fn config<T: serde::de::DeserializeOwned + Send + Sync + 'static>(
        self,
        source: crate::ConfigSource,
    ) -> Self {
        let read = crate::config::read::<T>(&source);
        self.configured(read)
    }

    /// As [`config`](Self::config), then checks `T`'s garde rules (features `config` and
    /// `validation`): every variable that breaks one is named, with the missing and bad ones,
    /// in one error.
    ///
    /// ```
    /// use nestish_core::ConfigSource;
    ///
    /// #[derive(serde::Deserialize, garde::Validate)]
    /// pub struct AppConfig {
    ///     #[garde(range(min = 1))]
    ///     pub port: u16,
    /// }
    ///
    /// let error = nestish_core::NestFactory::create()
    ///     .validated_config::<AppConfig>(ConfigSource::new().without_env_file().vars([("PORT", "0")]))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(error.to_string().contains("PORT: invalid"));
    /// ```
    #[cfg(all(feature = "config", feature = "validation"))]
    pub fn validated_config<T>(self, source: crate::ConfigSource) -> Self
    where
        T: serde::de::DeserializeOwned + garde::Validate + Send + Sync + 'static,
        T::Context: Default,
    {
        let read = crate::config::read_validated::<T>(&source);
        self.configured(read)
    }

    /// Provides a configuration read, or keeps its problems for start-up to report.
    #[cfg(feature = "config")]
    fn configured<T: Send + Sync + 'static>(
        mut self,
        read: Result<T, Vec<crate::ConfigProblem>>,
    ) -> Self {
        match read {
            Ok(config) => self.provide(config),
            Err(problems) => {
                self.reported.push(TypeId::of::<T>());
                self.problems.push(crate::config::named::<T>(problems));
                self
            }
        }
    }

    /// Calls the [`Lifecycle`] hooks of provider `T` (given as a value or made by a factory), as
    /// NestJS calls those of a provider that implements `OnModuleInit` and its kin: start-up
    /// ones in dependency order at [`init`](Self::init), shutdown ones in reverse when the
    /// server stops. Rust cannot see that a provider implements a trait, so it is said here.
    ///
    /// ```
    /// use nestish_core::{BoxError, Lifecycle};
    ///
    /// pub struct Cache;
    ///
    /// impl Lifecycle for Cache {
    ///     async fn on_application_bootstrap(&self) -> Result<(), BoxError> {
    ///         Ok(()) // warm it
    ///     }
    /// }
    ///
    /// let builder = nestish_core::NestFactory::create().provide(Cache).lifecycle::<Cache>();
    /// # let _ = builder;
    /// ```
    pub fn lifecycle<T: Lifecycle>(mut self) -> Self {
        let hook = HookRef::of::<T>();
        if !self.hooks.iter().any(|h| h.type_id == hook.type_id) {
            self.hooks.push(hook);
        }
        self
    }

    /// Refuses settings that cannot work.
    fn check(&self) -> Result<(), Error> {
        let limits = &self.limits;
        let problem = if self.sse_keep_alive == Some(Duration::ZERO) {
            "sse_keep_alive must be longer than zero; pass None to switch heartbeats off"
        } else if limits.buffer_size < 8 * 1024 {
            "buffer_size must be at least 8 KiB (8192 bytes)"
        } else if limits.stall_timeout.is_zero() {
            "stall_timeout must be longer than zero"
        } else if limits.header_read_timeout.is_zero() {
            "header_read_timeout must be longer than zero"
        } else if limits.tls_handshake_timeout.is_zero() {
            "tls_handshake_timeout must be longer than zero"
        } else if limits.body_read_timeout.is_zero() || limits.body_idle_timeout.is_zero() {
            "body_read_timeout and body_idle_timeout must be longer than zero"
        } else if limits.max_connections == 0 {
            "max_connections must be at least 1"
        } else if limits.http2_max_concurrent_streams == 0 {
            "http2_max_concurrent_streams must be at least 1"
        } else if limits.http2_idle_timeout.is_zero() {
            "http2_idle_timeout must be longer than zero"
        } else if limits.http2_keep_alive_timeout.is_zero()
            || limits.http2_keep_alive_interval == Some(Duration::ZERO)
        {
            "http2_keep_alive_interval and http2_keep_alive_timeout must be longer than zero; \
             pass None as the interval for no PINGs"
        } else if limits.http2_connection_buffer < 16 * 1024 {
            "http2_connection_buffer must be at least 16 KiB (16384 bytes)"
        } else if limits.http2_noop_frame_budget < 100 {
            "http2_noop_frame_budget must be at least 100"
        } else if limits.sse_max_lifetime == Some(Duration::ZERO) {
            "sse_max_lifetime must be longer than zero; pass None for no limit"
        } else if limits.max_streams_per_principal == Some(0)
            || limits.max_streams_per_address == Some(0)
        {
            "max_streams_per_principal and max_streams_per_address must be at least 1; pass None \
             for no cap"
        } else if limits
            .new_streams_per_address
            .is_some_and(|rate| rate.count == 0 || rate.per.is_zero())
        {
            "new_streams_per_address must allow at least 1 stream in a time longer than zero; \
             pass None for no cap"
        } else if limits.new_streams_per_address.is_some() && !cfg!(feature = "rate-limit") {
            "new_streams_per_address needs nestish-core's cargo feature `rate-limit`"
        } else {
            return Ok(());
        };
        Err(Error::Config(problem))
    }
}

/// A built application: serve it on nestish's own server with [`listen`](Self::listen), or
/// use it as the [`tower::Service`](tower_service::Service) it is, anywhere one fits.
///
/// As a service it takes an `http::Request<B>` with any body `B` of [`Bytes`](crate::Bytes)
/// (axum's, hyper's, `http_body_util::Full`…), is always ready, is cheap to clone, and never
/// fails: every request gets a response, 404 and 405 included. The guarantees of the stream
/// itself hold wherever it runs (heartbeats, a clean end on [`AppHandle::shutdown`](crate::AppHandle::shutdown),
/// the stream dropped when the response is); those of the connection (connection cap, header
/// and stall timeouts, the shutdown deadline) are nestish's server's.
///
/// ```standalone_crate
/// use http_body_util::{BodyExt, Empty};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = nestish_core::NestFactory::create().build().unwrap();
/// let request = http::Request::get("/nowhere").body(Empty::<bytes::Bytes>::new()).unwrap();
/// let response = app.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 404);
/// let body = response.into_body().collect().await.unwrap().to_bytes();
/// assert_eq!(body, r#"{"statusCode":404,"message":"Cannot GET /nowhere","error":"Not Found"}"#);
/// # }
/// ```
#[derive(Clone)]
#[must_use = "an App serves nothing until `.listen(addr)` or `.bind(addr)` is called, or it is used as a service"]
pub struct App {
    pub(crate) routes: Routes,
    pub(crate) state: Arc<State>,
    pub(crate) limits: Limits,
    pub(crate) signals: bool,
    /// Bind with `SO_REUSEPORT` ([`AppBuilder::reuse_port`]).
    pub(crate) reuse_port: bool,
    /// The providers' lifecycle hooks, for the server's shutdown.
    pub(crate) hooks: Hooks,
    /// The routes as the OpenAPI document describes them, when it is served.
    #[cfg(feature = "openapi")]
    pub(crate) api: Option<Arc<crate::openapi::Api>>,
}

impl App {
    /// The routes as the served OpenAPI document describes them: the model a client generator
    /// walks (feature `openapi`). `None` unless [`AppBuilder::openapi`] was called.
    ///
    /// ```standalone_crate
    /// let app = nestish_core::NestFactory::create()
    ///     .openapi(nestish_core::openapi::OpenApi::new("Chat", "1.0.0"))
    ///     .build()
    ///     .expect("the app builds");
    /// assert!(app.api().is_some());
    /// ```
    #[cfg(feature = "openapi")]
    #[must_use]
    pub fn api(&self) -> Option<&crate::openapi::Api> {
        self.api.as_deref()
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl<B> tower_service::Service<http::Request<B>> for App
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RoutesFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> RoutesFuture {
        self.routes.dispatch(request.map(RequestBody::new))
    }
}
