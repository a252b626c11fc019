//! An SSE route's settings: as its attribute declares them ([`SseOptions`]) and as its streams
//! use them once resolved against the application's ([`SseConfig`]).

use std::time::Duration;

use std::sync::Arc;

use crate::admission::Admission;
use crate::filter::Filters;
use crate::heartbeat::Wheel;
use crate::observe::RouteMetrics;
use crate::tally::Tally;

/// An SSE route's settings, as the response body uses them.
#[derive(Debug)]
pub(crate) struct SseConfig {
    /// The route's path, for logs.
    pub(crate) route: &'static str,
    /// The heartbeats of the route's interval (how long a stream may stay silent before a
    /// heartbeat comment); `None`: never.
    pub(crate) heartbeat: Option<Arc<Wheel>>,
    /// The reconnection delay sent first on the stream, if any.
    pub(crate) retry: Option<Duration>,
    /// How long the stream may last, if the application limits it.
    pub(crate) max_lifetime: Option<Duration>,
    /// The data of the `event: shutdown` written when the server shuts down, if any.
    pub(crate) shutdown_event: Option<&'static str>,
    /// The window a shutdown draws each stream's last `retry:` from.
    pub(crate) drain_window: Duration,
    /// The route's figures (SSE routes only).
    pub(crate) metrics: Option<RouteMetrics>,
    /// The app's counts, which its streams' events add to.
    pub(crate) tally: Arc<Tally>,
    /// The caps its streams are counted against, and the grace after their credentials expire.
    pub(crate) admission: Admission,
    /// The route's exception filters, for the `event: error` that ends a stream; `None` when
    /// it has none.
    pub(crate) filters: Option<Filters>,
}

/// An `#[sse]` route's own stream settings, as its attribute declares them.
#[derive(Clone, Copy, Debug)]
pub struct SseOptions {
    /// Heartbeats on this route.
    pub keep_alive: KeepAlive,
    /// `retry = "..."`: sent first on the stream.
    pub retry: Option<Duration>,
    /// `shutdown_event = "..."`: the data of an `event: shutdown` written when the server shuts
    /// down.
    pub shutdown_event: Option<&'static str>,
    /// `max_per_principal = n`: the most streams of this route one principal (as a guard named
    /// it) may hold open at once.
    pub max_per_principal: Option<u32>,
    /// `max_per_address = n`: the most streams of this route one client address may hold open
    /// at once.
    pub max_per_address: Option<u32>,
}

impl SseOptions {
    /// The settings of a route that declares none (and of a plain route).
    pub const DEFAULT: Self = Self {
        keep_alive: KeepAlive::AppDefault,
        retry: None,
        shutdown_event: None,
        max_per_principal: None,
        max_per_address: None,
    };
}

/// `keep_alive = ...` on an `#[sse]` route.
#[derive(Clone, Copy, Debug)]
pub enum KeepAlive {
    /// Not given: the application's setting.
    AppDefault,
    /// `keep_alive = false`.
    Off,
    /// `keep_alive = "15s"`.
    Every(Duration),
}
