//! The event stream on the wire: golden vectors, SSE handlers and heartbeats, parsers we did not
//! write reading them back, backpressure, churn and disconnects.
//!
//! One test binary for several files, linked once: every app here names its controllers
//! (`.controllers::<...>()`, a module, or a testing module narrowed to them), so the files'
//! controllers, all in this binary's `inventory`, do not meet. `cargo test --test wire FILE::`
//! runs one file's tests. Tests that need the process to themselves (a metrics recorder, signals,
//! resource limits, a counting allocator, a process-wide log capture, or an app of every linked
//! controller) keep a binary of their own (`tests/README.md`).

#[path = "../support/mod.rs"]
mod support;

mod backpressure;
mod churn;
mod dialects;
mod disconnect;
mod node_eventsource;
mod sse_golden;
mod sse_handlers;
mod sse_heartbeat;
mod sse_typed;
mod sse_wire;
