//! [`NestFactory`] → [`AppBuilder`] → [`App`]: collect the routes, build the controllers, check.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::Error;
use crate::providers::Providers;
use crate::registry::{self, Controller, RouteKind};
use crate::router::Router;

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
            body_limit: AppBuilder::DEFAULT_BODY_LIMIT,
            providers: Providers::default(),
        }
    }
}

/// Configures an application before [`build`](Self::build) checks it.
#[derive(Debug)]
#[must_use = "an AppBuilder does nothing until `.build()` is called"]
pub struct AppBuilder {
    sse_keep_alive: Option<Duration>,
    body_limit: usize,
    providers: Providers,
}

impl AppBuilder {
    /// How long an SSE stream may stay silent before nestish writes a heartbeat: 15 s.
    pub const DEFAULT_SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);

    /// The largest request body a `#[body]` argument reads: 1 MiB.
    pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

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
    /// answers 413. Default: [`DEFAULT_BODY_LIMIT`](Self::DEFAULT_BODY_LIMIT).
    ///
    /// ```
    /// let builder = nestish_core::NestFactory::create().body_limit(64 * 1024);
    /// # let _ = builder;
    /// ```
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
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
        if self.sse_keep_alive == Some(Duration::ZERO) {
            return Err(Error::Config(
                "sse_keep_alive must be longer than zero; pass None to switch heartbeats off",
            ));
        }
        let records = registry::routes();
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
        let router = Router::new(routes, self.sse_keep_alive, self.body_limit)?;
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
        })
    }
}

/// A built application, ready to [`listen`](Self::listen).
#[must_use = "an App serves nothing until `.listen(addr)` or `.bind(addr)` is called"]
pub struct App {
    pub(crate) router: Arc<Router>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}
