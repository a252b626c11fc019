//! [`NestFactory`] → [`AppBuilder`] → [`App`]: collect the routes, build the controllers, check.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::providers::Providers;
use crate::routing::record::{self, Controller, RouteKind};
use crate::routing::router::Router;
use crate::state::State;
use crate::{Error, Limits};

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
    /// Starts building the application from every `#[controller]` linked into the binary.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create();
    /// # let _ = builder;
    /// ```
    pub fn create() -> AppBuilder {
        AppBuilder {
            sse_keep_alive: Some(AppBuilder::DEFAULT_SSE_KEEP_ALIVE),
            limits: Limits::default(),
            signals: true,
            providers: Providers::default(),
        }
    }
}

/// Configures an application before [`build`](Self::build) checks it.
#[derive(Debug)]
#[must_use = "an AppBuilder does nothing until `.build()` is called"]
pub struct AppBuilder {
    sse_keep_alive: Option<Duration>,
    limits: Limits,
    signals: bool,
    providers: Providers,
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
        self.providers.insert(provider);
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

    /// Whether SIGINT and SIGTERM start a graceful shutdown (default `true`). Turn it off when
    /// the embedding program handles signals and calls [`ServerHandle::shutdown`](crate::ServerHandle::shutdown) itself.
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().handle_signals(false);
    /// # let _ = builder;
    /// ```
    pub fn handle_signals(mut self, on: bool) -> Self {
        self.signals = on;
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
    /// that was not registered (the message names both).
    ///
    /// ```standalone_crate
    /// let app = nestish_core::NestFactory::create().build().expect("routes are valid");
    /// # let _ = app;
    /// ```
    pub fn build(self) -> Result<App, Error> {
        self.check()?;
        let records = record::routes();
        let mut controllers: HashMap<TypeId, Controller> = HashMap::new();
        let mut routes = Vec::with_capacity(records.len());
        for record in &records {
            let controller = match controllers.entry((record.controller_type)()) {
                std::collections::hash_map::Entry::Occupied(built) => Arc::clone(built.get()),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    let built = (record.construct)(&self.providers).map_err(|missing| {
                        Error::MissingProvider {
                            controller: record.source.controller,
                            provider: missing.type_name,
                        }
                    })?;
                    Arc::clone(slot.insert(built))
                }
            };
            routes.push((*record, controller));
        }
        let state = Arc::new(State::default());
        let router = Router::new(routes, self.sse_keep_alive, self.limits, &state)?;
        if records.is_empty() {
            tracing::warn!(
                target: "nestish::routes",
                "no routes: no #[controller] is linked into this binary"
            );
        }
        for record in &records {
            let sse = if record.kind == RouteKind::Sse {
                " (SSE)"
            } else {
                ""
            };
            tracing::info!(
                target: "nestish::routes",
                controller = record.source.controller,
                "Mapped {{{}, {}}}{sse} route",
                record.path,
                record.verb.as_str(),
            );
        }
        Ok(App {
            router: Arc::new(router),
            state,
            limits: self.limits,
            signals: self.signals,
        })
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
        } else if limits.max_connections == 0 {
            "max_connections must be at least 1"
        } else if limits.sse_max_lifetime == Some(Duration::ZERO) {
            "sse_max_lifetime must be longer than zero; pass None for no limit"
        } else {
            return Ok(());
        };
        Err(Error::Config(problem))
    }
}

/// A built application, ready to [`listen`](Self::listen).
#[must_use = "an App serves nothing until `.listen(addr)` or `.bind(addr)` is called"]
pub struct App {
    pub(crate) router: Arc<Router>,
    pub(crate) state: Arc<State>,
    pub(crate) limits: Limits,
    pub(crate) signals: bool,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}
