//! The application: providers (injected, async, dyn), modules, lifecycle hooks, configuration,
//! the testing module and operating (health routes, built-in routes).
//!
//! One test binary for several files, linked once: every app here names its controllers
//! (`.controllers::<...>()`, a module, or a testing module narrowed to them), so the files'
//! controllers, all in this binary's `inventory`, do not meet. `cargo test --test app FILE::`
//! runs one file's tests. Tests that need the process to themselves (a metrics recorder, signals,
//! resource limits, a counting allocator, a process-wide log capture, or an app of every linked
//! controller) keep a binary of their own (`tests/README.md`).

#[path = "../support/mod.rs"]
mod support;

mod async_providers;
mod config;
mod dyn_providers;
mod injection;
mod lifecycle;
mod modules;
mod operating;
mod tally;
mod testing;
