//! The nestish guide, as documentation: the project's README and each chapter of `guide/` are
//! pages here, so `cargo test` compiles (and runs, where it can) every Rust block they hold.
//! Read them on GitHub from `guide/README.md`, or with `cargo doc -p nestish-guide --open`.
#![doc = include_str!("../README.md")]

/// Controllers and routes.
#[doc = include_str!("../01-controllers-and-routes.md")]
pub mod controllers_and_routes {}

/// SSE and events.
#[doc = include_str!("../02-sse-and-events.md")]
pub mod sse_and_events {}

/// Guards, arguments and validation.
#[doc = include_str!("../03-guards-arguments-and-validation.md")]
pub mod guards_arguments_and_validation {}

/// Providers and lifecycle hooks.
#[doc = include_str!("../04-providers.md")]
pub mod providers {}

/// Modules and configuration.
#[doc = include_str!("../05-modules-and-configuration.md")]
pub mod modules_and_configuration {}

/// Interceptors and exception filters.
#[doc = include_str!("../06-interceptors-and-filters.md")]
pub mod interceptors_and_filters {}

/// The project's README.
#[doc = include_str!("../../README.md")]
pub mod readme {}

/// The event hub.
#[doc = include_str!("../07-the-hub.md")]
pub mod the_hub {}

/// Several instances: the hub on Redis.
#[doc = include_str!("../08-several-instances-and-redis.md")]
pub mod several_instances_and_redis {}

/// Model answers that survive: runs.
#[doc = include_str!("../09-runs.md")]
pub mod runs {}

/// TLS and HTTP/2.
#[doc = include_str!("../10-tls-and-http2.md")]
pub mod tls_and_http2 {}

/// Testing.
#[doc = include_str!("../11-testing.md")]
pub mod testing {}

/// OpenAPI and typed clients.
#[doc = include_str!("../12-openapi-and-typed-clients.md")]
pub mod openapi_and_typed_clients {}

/// Operating nestish.
#[doc = include_str!("../13-operating.md")]
pub mod operating {}

/// Reliability, and every limit with its default.
#[doc = include_str!("../14-limits-and-reliability.md")]
pub mod limits_and_reliability {}

/// Performance.
#[doc = include_str!("../15-performance.md")]
pub mod performance {}

/// The project's layout.
#[doc = include_str!("../16-layout.md")]
pub mod layout {}
