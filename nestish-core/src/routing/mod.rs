//! From a request to its route's response: the records `#[controller]` submits, the router that
//! matches method and path, the handler shims' future, and the service that dispatches.

pub(crate) mod advised;
pub(crate) mod builtin;
pub(crate) mod dispatch;
pub(crate) mod guarded;
pub(crate) mod handler;
pub(crate) mod placement;
pub(crate) mod record;
pub(crate) mod router;
pub(crate) mod service;
