//! Routes and the request pipeline: plain routes, parameters, validation, guards, filters,
//! interceptors, tower layers, custom arguments, headers, prefixes and versions, request spans,
//! the contract check, the OpenAPI document and the TypeScript client of a small app.
//!
//! One test binary for several files, linked once: every app here names its controllers
//! (`.controllers::<...>()`, a module, or a testing module narrowed to them), so the files'
//! controllers, all in this binary's `inventory`, do not meet. `cargo test --test http FILE::`
//! runs one file's tests. Tests that need the process to themselves (a metrics recorder, signals,
//! resource limits, a counting allocator, a process-wide log capture, or an app of every linked
//! controller) keep a binary of their own (`tests/README.md`).

#[path = "../support/mod.rs"]
mod support;

mod argument_traits;
mod contract_check;
mod custom_arguments;
mod filters;
mod guards;
mod interceptors;
mod layers;
mod openapi;
mod params;
mod plain_routes;
mod prefix_versions;
mod request_spans;
mod response_headers;
mod typescript_small;
mod validation;
