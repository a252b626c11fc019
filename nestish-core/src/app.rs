//! [`NestFactory`] → [`AppBuilder`] → [`App`]: collect the routes, build the controllers, check.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::Error;
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
        }
    }
}

/// Configures an application before [`build`](Self::build) checks it.
#[derive(Debug)]
#[must_use = "an AppBuilder does nothing until `.build()` is called"]
pub struct AppBuilder {
    sse_keep_alive: Option<Duration>,
}

impl AppBuilder {
    /// How long an SSE stream may stay silent before nestish writes a heartbeat: 15 s.
    pub const DEFAULT_SSE_KEEP_ALIVE: Duration = Duration::from_secs(15);

    /// Sets how long an SSE stream may stay silent before nestish writes a heartbeat comment
    /// (`:` and a blank line, which clients ignore) to keep proxies and load balancers from
    /// closing it; `None` switches heartbeats off. Every frame written restarts the wait.
    /// Default: [`DEFAULT_SSE_KEEP_ALIVE`](Self::DEFAULT_SSE_KEEP_ALIVE). A route's own
    /// `#[sse("path", keep_alive = "5s")]` or `keep_alive = false` wins over this.
    ///
    /// ```
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
    /// [`Error::Config`] for a setting that cannot work (a zero heartbeat interval).
    ///
    /// ```
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
        let routes = records.iter().map(|record| {
            let controller = controllers
                .entry((record.controller_type)())
                .or_insert_with(record.construct);
            (*record, Arc::clone(controller))
        });
        let router = Router::new(routes, self.sse_keep_alive)?;
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
