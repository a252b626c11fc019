//! The application's figures, through the [`metrics`](https://docs.rs/metrics) facade (the
//! `metrics` cargo feature), and a Prometheus text route for them
//! ([`AppBuilder::metrics_route`](crate::AppBuilder::metrics_route)).
//!
//! | metric | kind | labels | what it counts |
//! |---|---|---|---|
//! | `nestish_open_connections` | gauge | | client connections open now (nestish's server) |
//! | `nestish_requests_total` | counter | `route`, `method`, `status` | requests answered (an SSE request when its head goes out) |
//! | `nestish_request_duration_seconds` | histogram | `route`, `method` | from the request to its response head |
//! | `nestish_sse_open_streams` | gauge | `route` | SSE streams open now |
//! | `nestish_sse_events_total` | counter | `route` | events sent (heartbeats not included) |
//! | `nestish_sse_bytes_total` | counter | `route` | bytes of event stream sent, heartbeats included |
//! | `nestish_sse_time_to_first_event_seconds` | histogram | `route` | from a stream's start to its first event |
//! | `nestish_sse_closes_total` | counter | `route`, `reason` | streams closed: `client_gone`, `ended`, `error`, `shutdown`, `stall_timeout`, `lifetime` |
//! | `nestish_hub_published_total` | counter | `topic_class` | events published on the hub |
//! | `nestish_hub_missed_total` | counter | `topic_class` | subscriptions told `event: missed` (their id was older than the history) |
//! | `nestish_hub_resynced_total` | counter | `topic_class` | subscribers that fell behind the live buffer and were resynchronised |
//!
//! | `nestish_hub_evicted_total` | counter | | idle topics the in-process hub removed to stay within its bounds |
//!
//! No label is text a client chose, so every label set stays small however many users or topics
//! there are: `route` is the route's template (`/jobs/:name/progress`), never the raw path
//! (requests no route takes count under `route="(no route)"`); `method` is one of eight or
//! `other`; `status` is what the app answered; a hub topic's class is the label the app declares
//! with [`HubConfig::classify`](crate::hub::HubConfig::classify) (by default `all`, one class),
//! and at most [`MAX_TOPIC_CLASSES`](crate::hub::MAX_TOPIC_CLASSES) classes are counted apart:
//! any class after those counts as `topic_class="(overflow)"` ([`OVERFLOW`]).
//!
//! The metrics route is public unless guarded:
//! [`AppBuilder::metrics_guard`](crate::AppBuilder::metrics_guard) runs a guard before it
//! answers, as `#[use_guards]` does for a route.
//!
//! Counting costs no lock per event: each route's counters are made once, when the app is
//! built, and a frame of events adds to them atomically.
//!
//! ```standalone_crate
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), nestish_core::Error> {
//! let app = nestish_core::NestFactory::create()
//!     .metrics_route("/metrics") // GET /metrics: Prometheus text
//!     .build()?;
//! # let _ = app; Ok(()) }
//! ```

use std::sync::{OnceLock, PoisonError, RwLock};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::Error;

/// The process's Prometheus recorder, installed on first use and shared by every app of the
/// process (`metrics` has one global recorder).
pub(crate) fn prometheus() -> Result<PrometheusHandle, Error> {
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .map_err(|error| error.to_string())
        })
        .clone()
        .map_err(Error::Metrics)
}

/// A method as a label, without an allocation for the usual ones.
pub(crate) fn method_label(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::HEAD => "HEAD",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::PATCH => "PATCH",
        http::Method::DELETE => "DELETE",
        http::Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A status as a label.
pub(crate) fn status_label(status: u16) -> metrics::SharedString {
    metrics::SharedString::from(status.to_string())
}

/// A hub topic's class as a label: the class the app declared, while fewer than
/// [`MAX_TOPIC_CLASSES`](crate::hub::MAX_TOPIC_CLASSES) classes have been seen by this process;
/// [`OVERFLOW`] for any class after those, so a classifier that hands out many classes cannot
/// grow the metrics without bound.
pub(crate) fn topic_class(class: &'static str) -> &'static str {
    static SEEN: RwLock<Vec<&'static str>> = RwLock::new(Vec::new());
    let known = |seen: &[&'static str]| seen.contains(&class);
    if known(&SEEN.read().unwrap_or_else(PoisonError::into_inner)) {
        return class;
    }
    let mut seen = SEEN.write().unwrap_or_else(PoisonError::into_inner);
    if known(&seen) {
        return class;
    }
    if seen.len() < crate::limits::MAX_TOPIC_CLASSES {
        seen.push(class);
        return class;
    }
    OVERFLOW
}

/// The label of what is past a label's cap.
pub const OVERFLOW: &str = "(overflow)";
