//! The hub beyond the sample's chat: topic grants, runs, tenants and a Redis cluster.
//!
//! One test binary for several files, linked once: every app here names its controllers
//! (`.controllers::<...>()`, a module, or a testing module narrowed to them), so the files'
//! controllers, all in this binary's `inventory`, do not meet. `cargo test --test hubs FILE::`
//! runs one file's tests. Tests that need the process to themselves (a metrics recorder, signals,
//! resource limits, a counting allocator, a process-wide log capture, or an app of every linked
//! controller) keep a binary of their own (`tests/README.md`).

#[path = "../support/mod.rs"]
mod support;

mod hub_grants;
mod hub_redis_cluster;
mod runs;
mod tenants;
