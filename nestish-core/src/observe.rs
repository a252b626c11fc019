//! What nestish reports about itself: the close reasons of streams, and the `metrics` it keeps
//! when the `metrics` feature is on (each call here is then an atomic add on a handle made once,
//! never a lookup or a lock per event; with the feature off, each is nothing at all).

use std::time::Duration;

#[cfg(feature = "metrics")]
use metrics::{Counter, Gauge, Histogram};

/// Why an SSE stream closed: the `reason` of its close log line and of
/// `nestish_sse_closes_total`, and what an interceptor's close hook is told.
///
/// ```
/// use nestish_core::intercept::CloseReason;
///
/// assert_eq!(CloseReason::ClientGone.as_str(), "client_gone");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client went away (closed the page, reset the stream, lost the network).
    ClientGone,
    /// The stream ended: the handler's stream returned `None`.
    Ended,
    /// The stream yielded an error (or panicked): `event: error` was its last event.
    Error,
    /// The server shut down.
    Shutdown,
    /// The client took no byte for the stall timeout.
    StallTimeout,
    /// The stream reached the application's maximum lifetime.
    Lifetime,
    /// The stream's credentials expired or were revoked.
    Credentials,
}

impl CloseReason {
    /// Its name in logs and metrics: `client_gone`, `ended`, `error`, `shutdown`,
    /// `stall_timeout`, `lifetime`, `credentials`.
    ///
    /// ```
    /// assert_eq!(nestish_core::intercept::CloseReason::Shutdown.as_str(), "shutdown");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientGone => "client_gone",
            Self::Ended => "ended",
            Self::Error => "error",
            Self::Shutdown => "shutdown",
            Self::StallTimeout => "stall_timeout",
            Self::Lifetime => "lifetime",
            Self::Credentials => "credentials",
        }
    }
}

thread_local! {
    /// Set by a connection while it drops what it served because of a stall, so the streams it
    /// drops know why they end.
    static DROPPING_FOR: std::cell::Cell<Option<CloseReason>> = const { std::cell::Cell::new(None) };
}

/// Runs `drop_them` (which drops streams) with `reason` as the reason of every stream it ends.
pub(crate) fn dropping_for(reason: CloseReason, drop_them: impl FnOnce()) {
    DROPPING_FOR.with(|cause| cause.set(Some(reason)));
    drop_them();
    DROPPING_FOR.with(|cause| cause.set(None));
}

/// Why a stream that is dropped before it ended is ending.
pub(crate) fn drop_reason() -> CloseReason {
    DROPPING_FOR
        .with(std::cell::Cell::get)
        .unwrap_or(CloseReason::ClientGone)
}

/// One SSE route's figures, made when the app is built and shared by its streams.
#[derive(Debug)]
pub(crate) struct RouteMetrics {
    #[cfg(feature = "metrics")]
    route: &'static str,
    #[cfg(feature = "metrics")]
    events: Counter,
    #[cfg(feature = "metrics")]
    bytes: Counter,
    #[cfg(feature = "metrics")]
    open: Gauge,
    #[cfg(feature = "metrics")]
    first_event: Histogram,
}

impl RouteMetrics {
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn new(route: &'static str) -> Self {
        Self {
            #[cfg(feature = "metrics")]
            route,
            #[cfg(feature = "metrics")]
            events: metrics::counter!("nestish_sse_events_total", "route" => route),
            #[cfg(feature = "metrics")]
            bytes: metrics::counter!("nestish_sse_bytes_total", "route" => route),
            #[cfg(feature = "metrics")]
            open: metrics::gauge!("nestish_sse_open_streams", "route" => route),
            #[cfg(feature = "metrics")]
            first_event: metrics::histogram!(
                "nestish_sse_time_to_first_event_seconds",
                "route" => route
            ),
        }
    }

    /// A stream of the route opened.
    #[inline]
    pub(crate) fn opened(&self) {
        #[cfg(feature = "metrics")]
        self.open.increment(1.0);
    }

    /// A frame went out with `events` events in `bytes` bytes.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn sent(&self, events: u64, bytes: u64) {
        #[cfg(feature = "metrics")]
        {
            self.events.increment(events);
            self.bytes.increment(bytes);
        }
    }

    /// The stream's first event went out, `after` it opened.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn first_event(&self, after: Duration) {
        #[cfg(feature = "metrics")]
        self.first_event.record(after.as_secs_f64());
    }

    /// A stream of the route closed.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn closed(&self, reason: CloseReason) {
        #[cfg(feature = "metrics")]
        {
            self.open.decrement(1.0);
            metrics::counter!(
                "nestish_sse_closes_total",
                "route" => self.route,
                "reason" => reason.as_str()
            )
            .increment(1);
        }
    }
}

/// A request was answered: its route template (not its raw path, so the labels stay few),
/// method, status, and the time to its response head.
#[inline]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn answered(route: &'static str, method: &http::Method, status: u16, took: Duration) {
    #[cfg(feature = "metrics")]
    {
        let method = crate::metrics::method_label(method);
        metrics::counter!(
            "nestish_requests_total",
            "route" => route,
            "method" => method,
            "status" => crate::metrics::status_label(status)
        )
        .increment(1);
        metrics::histogram!(
            "nestish_request_duration_seconds",
            "route" => route,
            "method" => method
        )
        .record(took.as_secs_f64());
    }
}

/// The number of open connections changed by `delta`.
#[inline]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn connections(delta: f64) {
    #[cfg(feature = "metrics")]
    metrics::gauge!("nestish_open_connections").increment(delta);
}

/// An event was published on a hub topic of class `class`.
#[inline]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn published(class: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "nestish_hub_published_total",
        "topic_class" => crate::metrics::topic_class(class)
    )
    .increment(1);
}

/// A subscriber of a topic of class `class` was told `event: missed`.
#[inline]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn missed(class: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "nestish_hub_missed_total",
        "topic_class" => crate::metrics::topic_class(class)
    )
    .increment(1);
}

/// A subscriber of a topic of class `class` fell behind the live buffer and was resynchronised.
#[inline]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn resynced(class: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "nestish_hub_resynced_total",
        "topic_class" => crate::metrics::topic_class(class)
    )
    .increment(1);
}

/// The in-process hub removed `count` idle topics to stay within its bounds.
#[inline]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn evicted(count: u64) {
    #[cfg(feature = "metrics")]
    metrics::counter!("nestish_hub_evicted_total").increment(count);
}
