//! The server under stress and at its limits: hostile clients, every limit, HTTP/2, shutdown and
//! panics.
//!
//! One test binary for several files, linked once: every app here names its controllers
//! (`.controllers::<...>()`, a module, or a testing module narrowed to them), so the files'
//! controllers, all in this binary's `inventory`, do not meet. `cargo test --test server FILE::`
//! runs one file's tests. Tests that need the process to themselves (a metrics recorder, signals,
//! resource limits, a counting allocator, a process-wide log capture, or an app of every linked
//! controller) keep a binary of their own (`tests/README.md`).

#[path = "../support/mod.rs"]
mod support;

mod hostile;
mod http2;
mod http2_limits;
mod limits;
mod panics;
mod shutdown;
