//! [`Error`]: why an application could not be built or could not listen.

use std::fmt;
use std::io;

/// A boxed error of any kind: what a failed stream item, a request body or a layer's service
/// carries.
///
/// ```
/// let error: nestish_core::BoxError = "the feed is gone".into();
/// assert_eq!(error.to_string(), "the feed is gone");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why [`AppBuilder::build`](crate::AppBuilder::build) or [`App::listen`](crate::App::listen)
/// failed. Each message names the culprit.
///
/// ```no_run
/// # async fn run() {
/// match nestish_core::NestFactory::create().build() {
///     Ok(app) => { let _ = app.listen("127.0.0.1:3000").await; }
///     Err(error) => eprintln!("cannot start: {error}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two route methods answer the same HTTP method and path.
    #[error("duplicate route {{{path}, {method}}}: {first} and {second} both declare it")]
    DuplicateRoute {
        /// The HTTP method, `GET` for an SSE route.
        method: &'static str,
        /// The full path, prefix included.
        path: &'static str,
        /// The route that sorts first.
        first: &'static RouteSource,
        /// The other one.
        second: &'static RouteSource,
    },
    /// The router refused a path (a conflict between two routes' patterns).
    #[error("route {{{path}}} of {source_route} cannot be registered: {reason}")]
    InvalidRoute {
        /// The full path.
        path: &'static str,
        /// Where the route was declared.
        source_route: &'static RouteSource,
        /// What the router said.
        reason: String,
    },
    /// A controller's `#[inject]` constructor needs a provider that was not registered.
    #[error(
        "cannot build {controller}: its #[inject] constructor needs a provider of type `{provider}`; \
         register one with NestFactory::create().provide(...)"
    )]
    MissingProvider {
        /// The controller's name.
        controller: &'static str,
        /// The missing type, as `std::any::type_name` writes it.
        provider: &'static str,
    },
    /// A route is guarded by a type that was not provided.
    #[error(
        "route {{{path}}} of {route} is guarded by `{guard}`, but no provider of it was registered; \
         register one with NestFactory::create().provide(...)"
    )]
    MissingGuard {
        /// The guard's type, as `std::any::type_name` writes it.
        guard: &'static str,
        /// The route's full path.
        path: &'static str,
        /// Where the route was declared.
        route: &'static RouteSource,
    },
    /// The async factory of a provider takes a provider that was not registered.
    #[error(
        "cannot make `{provider}`: its factory takes a provider of type `{dependency}`; \
         register one with NestFactory::create().provide(...) or .provide_factory(...)"
    )]
    FactoryDependency {
        /// The provider the factory makes.
        provider: &'static str,
        /// The missing type.
        dependency: &'static str,
    },
    /// Async factories take each other's providers in a circle, so none can be made first.
    #[error("the factories of these providers take each other in a cycle: {}", .members.join(" -> "))]
    ProviderCycle {
        /// The providers on the cycle, the first repeated at the end.
        members: Vec<&'static str>,
    },
    /// A provider's async factory failed.
    #[error("cannot make `{provider}`: its factory failed: {source}")]
    Factory {
        /// The provider the factory makes.
        provider: &'static str,
        /// The factory's error.
        source: BoxError,
    },
    /// [`AppBuilder::build`](crate::AppBuilder::build) was called on an app with an async
    /// provider, which only [`AppBuilder::init`](crate::AppBuilder::init) can await.
    #[error("`{provider}` {why}: start the app with `.init().await` rather than `.build()`")]
    NeedsInit {
        /// The provider.
        provider: &'static str,
        /// What it has that needs awaiting: "is made by an async factory", "has lifecycle hooks".
        why: &'static str,
    },
    /// Lifecycle hooks were registered for a type that nothing provides.
    #[error(
        "the lifecycle hooks of `{0}` are registered, but no provider of it is; register one \
         with NestFactory::create().provide(...) or .provide_factory(...)"
    )]
    HooksWithoutProvider(&'static str),
    /// A provider's `on_module_init` or `on_application_bootstrap` hook failed.
    #[error("the {hook} hook of `{provider}` failed: {source}")]
    Hook {
        /// The provider.
        provider: &'static str,
        /// The hook, `on_module_init` or `on_application_bootstrap`.
        hook: &'static str,
        /// Its error.
        source: BoxError,
    },
    /// A configuration read with [`AppBuilder::config`](crate::AppBuilder::config) has missing
    /// or bad variables: each is named (feature `config`).
    #[cfg(feature = "config")]
    #[error("{0}")]
    Configuration(crate::ConfigProblems),
    /// A controller or a module's factory takes a provider that its module can not see: not
    /// its own, and not exported by a module it imports (NestJS's encapsulation).
    #[error(
        "{consumer} of {module} takes `{provider}`, which {module} can not see: it is provided by \
         {owner}; export it from {owner} and import {owner} into {module}"
    )]
    Invisible {
        /// The consumer's module.
        module: &'static str,
        /// The controller, or "the factory of `T`".
        consumer: String,
        /// The provider's type.
        provider: &'static str,
        /// The module that provides it.
        owner: &'static str,
    },
    /// A module exports a provider it neither holds nor imports from a module that exports it.
    #[error(
        "{module} exports `{provider}`, which it neither provides nor imports from a module that \
         exports it"
    )]
    ExportNotProvided {
        /// The module.
        module: &'static str,
        /// The provider's type.
        provider: &'static str,
    },
    /// Two modules provide the same type (nestish keeps one instance of each type).
    #[error(
        "`{provider}` is provided by both {first} and {second}; provide it in one and export it"
    )]
    ProvidedTwice {
        /// The provider's type.
        provider: &'static str,
        /// The module met first.
        first: &'static str,
        /// The other.
        second: &'static str,
    },
    /// Modules that import each other in a circle.
    #[error("these modules import each other in a cycle: {}", .0.join(" -> "))]
    ModuleCycle(Vec<&'static str>),
    /// Several start-up mistakes, each its own error, found together (every missing provider at
    /// once, rather than one a build).
    #[error("{} start-up problems:{}", .0.len(), list(.0))]
    Several(Vec<Error>),
    /// A type given to [`AppBuilder::controllers`](crate::AppBuilder::controllers) has no
    /// `#[controller]` impl linked into the binary.
    #[error(
        "{0} was chosen as a controller, but no #[controller] impl of it with routes is linked into this binary"
    )]
    UnknownController(&'static str),
    /// A path known only at start-up breaks the rules a route path follows: a `const`
    /// controller prefix, the global prefix or one of its exclusions, a version.
    #[error("invalid route path {path:?} in {what}: {reason}")]
    InvalidPath {
        /// What the path is, like "the prefix of OrdersController".
        what: String,
        /// The path as given.
        path: String,
        /// What is wrong with it, and how to write it.
        reason: String,
    },
    /// A route (or its controller) declares a `version`, but the app does not version its
    /// routes.
    #[error(
        "{route} declares a version, but versioning is off; turn it on with \
         NestFactory::create().enable_versioning(Versioning::uri()), or remove the version"
    )]
    VersioningOff {
        /// The route.
        route: &'static RouteSource,
    },
    /// A [`GlobalPrefix::exclude`](crate::GlobalPrefix::exclude) path that matches no route.
    #[error(
        "the global prefix exclusion {0:?} matches no route; write a controller's prefix and \
         route path joined, like \"health/live\", or a subtree, like \"health/*\""
    )]
    UnusedExclusion(String),
    /// An application setting that cannot work.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
    /// A layer given to [`AppBuilder::layer`](crate::AppBuilder::layer) panicked when applied,
    /// as tower-http's `CorsLayer` does for credentials with a wildcard; its message, and which
    /// layer it was (the first given is 1).
    #[error("layer {index} ({type_name}) cannot be applied: {message}")]
    Layer {
        /// Its place among the layers, from 1.
        index: usize,
        /// Its type.
        type_name: &'static str,
        /// What it said.
        message: String,
    },
    /// A health or metrics route (see [`AppBuilder::health_routes`](crate::AppBuilder::health_routes))
    /// answers a path that a controller's route answers too.
    #[error("the built-in route {{{path}, GET}} conflicts with {route}, which declares it too")]
    BuiltinConflict {
        /// The built-in route's path.
        path: String,
        /// The controller's route.
        route: &'static RouteSource,
    },
    /// The metrics route is guarded by a type that was not provided.
    #[error(
        "the metrics route is guarded by `{guard}`, but no provider of it was registered; \
         register one with NestFactory::create().provide(...)"
    )]
    MissingMetricsGuard {
        /// The guard's type, as `std::any::type_name` writes it.
        guard: &'static str,
    },
    /// A route names an interceptor (`#[use_interceptors]`, or a global one) that was not
    /// provided.
    #[error(
        "route {{{path}}} of {route} is intercepted by `{interceptor}`, but no provider of it \
         was registered; register one with NestFactory::create().provide(...)"
    )]
    MissingInterceptor {
        /// The interceptor's type, as `std::any::type_name` writes it.
        interceptor: &'static str,
        /// The route's full path.
        path: &'static str,
        /// Where the route was declared.
        route: &'static RouteSource,
    },
    /// A route names an exception filter (`#[use_filters]`, or a global one) that was not
    /// provided.
    #[error(
        "route {{{path}}} of {route} has the exception filter `{filter}`, but no provider of it \
         was registered; register one with NestFactory::create().provide(...)"
    )]
    MissingFilter {
        /// The filter's type, as `std::any::type_name` writes it.
        filter: &'static str,
        /// The route's full path.
        path: &'static str,
        /// Where the route was declared.
        route: &'static RouteSource,
    },
    /// A global exception filter was not provided.
    #[error(
        "the global exception filter `{filter}` was not provided; \
         register one with NestFactory::create().provide(...)"
    )]
    MissingGlobalFilter {
        /// The filter's type, as `std::any::type_name` writes it.
        filter: &'static str,
    },
    /// The metrics recorder could not be installed (another `metrics` recorder is the
    /// process's already).
    #[error("cannot serve metrics: {0}")]
    Metrics(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address as given (its `Debug` form).
        addr: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// The TLS certificate or key cannot be used (feature `tls`); the message names the file.
    #[cfg(feature = "tls")]
    #[error(transparent)]
    Tls(#[from] crate::TlsError),
}

impl Error {
    /// One error from `problems`: none is `Ok`, one is itself, more are [`Error::Several`].
    pub(crate) fn from_all(mut problems: Vec<Error>) -> Result<(), Error> {
        match problems.len() {
            0 => Ok(()),
            1 => Err(problems.remove(0)),
            _ => Err(Error::Several(problems)),
        }
    }
}

/// Each error on a line of its own.
fn list(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|error| format!("\n  - {error}"))
        .collect()
}

/// Where a route was declared: the controller, the method and the source location.
///
/// ```
/// # use nestish_core::RouteSource;
/// # fn show(source: &RouteSource) {
/// println!("{source}"); // AppController::sse (src/app.rs:14)
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteSource {
    /// The controller type's name.
    pub controller: &'static str,
    /// The route method's name.
    pub method: &'static str,
    /// The source file, as `file!()` gives it.
    pub file: &'static str,
    /// The line of the route method.
    pub line: u32,
}

impl fmt::Display for RouteSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}::{} ({}:{})",
            self.controller, self.method, self.file, self.line
        )
    }
}
