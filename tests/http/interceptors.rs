//! Interceptors over real sockets: NestJS's order (global → controller → route in, the reverse
//! out, after the guards), the route's metadata, a cache that answers without the handler, a
//! refusal before any SSE header, each event mapped or dropped on a live and on a replayed hub
//! stream, the close hook told once why a stream ended (disconnect, shutdown, error), a `HEAD` on
//! an SSE route through its interceptors, a missing interceptor at build time, and one swapped
//! in the testing module.

use crate::support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::stream::{self, Stream, StreamExt};
use http_body_util::BodyExt;
use nestish_core::header::{HeaderName, HeaderValue};
use nestish_core::hub::{Hub, HubEvent};
use nestish_core::intercept::{Call, CloseReason, Interceptor};
use nestish_core::testing::Test;
use nestish_core::{
    Error, Guard, GuardRequest, HttpError, IntoResponse, MessageEvent, Response, StatusCode,
    controller, get, inject, sse, use_interceptors,
};

/// What ran, in order.
#[derive(Default)]
pub struct Trail(Mutex<Vec<String>>);

impl Trail {
    fn push(&self, step: impl Into<String>) {
        self.0.lock().unwrap().push(step.into());
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Notes its way in and out, and appends its name to each event's data on an SSE route.
macro_rules! noting_interceptor {
    ($name:ident, $step:literal) => {
        pub struct $name(Arc<Trail>);

        impl Interceptor for $name {
            async fn intercept(&self, mut call: Call) -> Response {
                self.0.push(concat!($step, " in"));
                call.map_events(|event| {
                    event.map_data(|data| format!("{data}>{}", $step));
                    true
                });
                let response = call.proceed().await;
                self.0.push(concat!($step, " out"));
                response
            }
        }
    };
}

noting_interceptor!(GlobalNote, "global");
noting_interceptor!(ControllerNote, "controller");
noting_interceptor!(RouteNote, "route");

pub struct NotingGuard(Arc<Trail>);

impl Guard for NotingGuard {
    async fn can_activate(&self, _: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        self.0.push("guard");
        Ok(())
    }
}

pub struct OrderController {
    trail: Arc<Trail>,
}

#[controller("order")]
#[use_interceptors(ControllerNote)]
impl OrderController {
    #[inject]
    fn new(trail: Arc<Trail>) -> Self {
        Self { trail }
    }

    #[get]
    #[use_interceptors(RouteNote)]
    fn plain(&self) -> &'static str {
        self.trail.push("handler");
        "served"
    }

    #[sse("events")]
    #[use_interceptors(RouteNote)]
    fn events(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        self.trail.push("handler");
        stream::iter([MessageEvent::new("a"), MessageEvent::new("b")])
    }
}

#[tokio::test]
async fn interceptors_run_global_controller_route_in_and_the_reverse_out() {
    let trail = Arc::new(Trail::default());
    let app = Test::create_testing_module()
        .controllers::<(OrderController,)>()
        .provide_arc(Arc::clone(&trail))
        .provide(GlobalNote(Arc::clone(&trail)))
        .provide(ControllerNote(Arc::clone(&trail)))
        .provide(RouteNote(Arc::clone(&trail)))
        .provide(NotingGuard(Arc::clone(&trail)))
        .configure(|app| {
            app.use_global_interceptor::<GlobalNote>()
                .use_global_guard::<NotingGuard>()
        })
        .start()
        .await
        .unwrap();
    assert_eq!(app.get("/order").await.text(), "served");
    let expected = [
        "guard",
        "global in",
        "controller in",
        "route in",
        "handler",
        "route out",
        "controller out",
        "global out",
    ];
    assert_eq!(trail.take(), expected);
    // An event goes out through the route's map first, then the controller's, then the global.
    let mut events = app.sse("/order/events").await;
    assert_eq!(events.next_event().await.data, "a>route>controller>global");
    assert_eq!(events.next_event().await.data, "b>route>controller>global");
    assert_eq!(trail.take(), expected);
}

/// An answer as the cache keeps it.
type Kept = (StatusCode, nestish_core::HeaderMap, bytes::Bytes);

/// Caches each answer by URI, and says so in `x-cache`; notes the route it serves.
#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<String, Kept>>,
}

fn answer((status, headers, body): Kept) -> Response {
    let mut response = Response::new(nestish_core::Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

const X_CACHE: HeaderName = HeaderName::from_static("x-cache");
const X_ROUTE: HeaderName = HeaderName::from_static("x-route");

impl Interceptor for Cache {
    async fn intercept(&self, call: Call) -> Response {
        let key = call.request().uri.to_string();
        let route = *call.route();
        let described = format!(
            "{} {}::{} {} sse={}",
            route.verb(),
            route.controller(),
            route.method(),
            route.path(),
            route.is_sse()
        );
        let hit = self.entries.lock().unwrap().get(&key).cloned();
        let (mut response, cache) = match hit {
            Some(kept) => (answer(kept), "hit"),
            None => {
                let (head, body) = call.proceed().await.into_parts();
                let body = body.collect().await.unwrap().to_bytes();
                let kept = (head.status, head.headers, body);
                self.entries.lock().unwrap().insert(key, kept.clone());
                (answer(kept), "miss")
            }
        };
        let headers = response.headers_mut();
        headers.insert(X_CACHE, HeaderValue::from_static(cache));
        headers.insert(X_ROUTE, HeaderValue::from_str(&described).unwrap());
        response
    }
}

#[derive(Default)]
pub struct PricesController {
    computed: AtomicU64,
}

#[controller("prices", version = "2")]
#[use_interceptors(Cache)]
impl PricesController {
    #[get(":item")]
    fn price(&self, #[param("item")] item: String) -> String {
        let n = self.computed.fetch_add(1, Ordering::SeqCst) + 1;
        format!("{item} costs {n}")
    }
}

#[tokio::test]
async fn a_cache_answers_without_calling_the_handler_and_sees_the_route() {
    let app = Test::create_testing_module()
        .controllers::<(PricesController,)>()
        .provide(Cache::default())
        .configure(|app| {
            app.global_prefix("api")
                .enable_versioning(nestish_core::Versioning::uri())
        })
        .start()
        .await
        .unwrap();
    let first = app.get("/api/v2/prices/tea").await;
    assert_eq!(first.text(), "tea costs 1");
    assert_eq!(first.header("x-cache"), Some("miss"));
    assert_eq!(
        first.header("x-route"),
        Some("GET PricesController::price /api/v2/prices/:item sse=false")
    );
    let second = app.get("/api/v2/prices/tea").await;
    assert_eq!(second.text(), "tea costs 1", "the handler ran again");
    assert_eq!(second.header("x-cache"), Some("hit"));
    assert_eq!(app.get("/api/v2/prices/milk").await.text(), "milk costs 2");
}

/// What the close hooks were told: route, reason, events, bytes.
#[derive(Default)]
pub struct Closes(Mutex<Vec<(&'static str, CloseReason, u64, u64)>>);

impl Closes {
    fn all(&self) -> Vec<(&'static str, CloseReason, u64, u64)> {
        self.0.lock().unwrap().clone()
    }
}

/// On an SSE route: refuses `?full=1` with 429 before the stream opens; drops the events whose
/// data is `drop`, upper-cases the others; records how each stream closed.
pub struct Streams(Arc<Closes>);

impl Interceptor for Streams {
    async fn intercept(&self, mut call: Call) -> Response {
        if call.request().uri.query() == Some("full=1") {
            return HttpError::too_many_requests("full").into_response();
        }
        call.map_events(|event| {
            if event.data() == "drop" {
                return false;
            }
            event.map_data(str::to_uppercase);
            true
        });
        let closes = Arc::clone(&self.0);
        let route = call.route().path();
        call.on_close(move |closed| {
            closes.0.lock().unwrap().push((
                route,
                closed.reason(),
                closed.events(),
                closed.bytes(),
            ));
        });
        call.proceed().await
    }
}

pub struct LiveController {
    hub: Arc<Hub>,
}

#[controller("live")]
#[use_interceptors(Streams)]
impl LiveController {
    #[inject]
    fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }

    /// Three events, then open until the client or the server goes.
    #[sse("ticks")]
    fn ticks(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        let events = ["one", "drop", "two"].map(MessageEvent::new);
        stream::iter(events).chain(stream::pending())
    }

    /// One event, then an error.
    #[sse("failing")]
    fn failing(&self) -> impl Stream<Item = Result<MessageEvent, HttpError>> + Send + 'static {
        stream::iter([
            Ok(MessageEvent::new("one")),
            Err(HttpError::conflict("broken")),
        ])
    }

    /// The hub's `news`, replayed after `Last-Event-ID`, then live.
    #[sse("news")]
    fn news(
        &self,
        #[last_event_id] seen: Option<u64>,
    ) -> impl Stream<Item = HubEvent> + Send + 'static {
        self.hub.subscribe("news", seen)
    }
}

async fn live_app(closes: &Arc<Closes>, hub: &Arc<Hub>) -> nestish_core::testing::TestApp {
    Test::create_testing_module()
        .controllers::<(LiveController,)>()
        .provide(Streams(Arc::clone(closes)))
        .provide_arc(Arc::clone(hub))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_sse_interceptor_may_refuse_before_any_sse_header() {
    let (closes, hub) = (Arc::default(), Arc::new(Hub::new()));
    let app = live_app(&closes, &hub).await;
    let (head, body) = support::open_stream(app.addr(), "/live/ticks?full=1", &[])
        .await
        .err()
        .expect("refused");
    assert_eq!(head.status, 429);
    assert_eq!(
        body,
        HttpError::too_many_requests("full").to_json(),
        "NestJS's body"
    );
    assert_eq!(app.handle().open_streams(), 0);
    assert!(closes.all().is_empty(), "no stream opened, none closed");
}

#[tokio::test]
async fn live_events_are_mapped_and_dropped_and_a_disconnect_is_told_once() {
    let (closes, hub) = (Arc::default(), Arc::new(Hub::new()));
    let app = live_app(&closes, &hub).await;
    let mut conn = support::open_stream(app.addr(), "/live/ticks", &[])
        .await
        .expect("a stream");
    let expected = "\ndata: ONE\n\ndata: TWO\n\n";
    assert_eq!(conn.body_bytes(expected.len()).await, expected);
    drop(conn);
    support::eventually("the close hook is told", || !closes.all().is_empty()).await;
    app.shutdown().await.unwrap();
    // Two events sent (the dropped one was not), the opening line break among the bytes.
    assert_eq!(
        closes.all(),
        [(
            "/live/ticks",
            CloseReason::ClientGone,
            2,
            expected.len() as u64
        )]
    );
}

#[tokio::test]
async fn a_shutdown_and_an_error_are_told_as_such() {
    let (closes, hub) = (Arc::default(), Arc::new(Hub::new()));
    let app = live_app(&closes, &hub).await;
    let mut failing = app.sse("/live/failing").await;
    assert_eq!(failing.next_event().await.data, "ONE");
    let error = failing.next_event().await;
    assert_eq!(
        (error.event.as_str(), error.data.as_str()),
        ("error", "broken")
    );
    failing.end().await;
    support::eventually("the failed stream is told", || closes.all().len() == 1).await;
    assert_eq!(closes.all()[0].0, "/live/failing");
    assert_eq!(closes.all()[0].1, CloseReason::Error);

    let mut ticks = app.sse("/live/ticks").await;
    assert_eq!(ticks.next_event().await.data, "ONE");
    assert_eq!(ticks.next_event().await.data, "TWO");
    app.shutdown().await.unwrap();
    let all = closes.all();
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(
        (all[1].0, all[1].1, all[1].2),
        ("/live/ticks", CloseReason::Shutdown, 2)
    );
}

#[tokio::test]
async fn replayed_hub_events_are_mapped_and_dropped_like_live_ones() {
    let (closes, hub) = (Arc::default(), Arc::new(Hub::new()));
    let app = live_app(&closes, &hub).await;
    for text in ["old", "two", "drop", "three"] {
        hub.publish("news", text).await.unwrap();
    }
    // From id 1: 2, 3 (dropped) and 4 replayed from the history, then live ones.
    let mut news = app.sse("/live/news").last_event_id("1").await;
    let replayed = news.next_event().await;
    assert_eq!(
        (replayed.id.as_deref(), replayed.data.as_str()),
        (Some("2"), "TWO")
    );
    let replayed = news.next_event().await;
    assert_eq!(
        (replayed.id.as_deref(), replayed.data.as_str()),
        (Some("4"), "THREE")
    );
    hub.publish("news", "drop").await.unwrap();
    hub.publish("news", "live").await.unwrap();
    let live = news.next_event().await;
    assert_eq!(
        (live.id.as_deref(), live.data.as_str()),
        (Some("6"), "LIVE")
    );
}

#[tokio::test]
async fn an_interceptor_named_but_not_provided_fails_the_build() {
    let built = nestish_core::NestFactory::create()
        .controllers::<(LiveController,)>()
        .provide(Hub::new())
        .build();
    let Err(error) = built else {
        panic!("the build fails");
    };
    let Error::MissingInterceptor { interceptor, .. } = &error else {
        panic!("{error}");
    };
    assert!(interceptor.ends_with("Streams"), "{interceptor}");
    assert!(error.to_string().contains("/live/"), "{error}");
}

#[tokio::test]
async fn the_testing_module_swaps_an_interceptor_for_another_value() {
    let closes: Arc<Closes> = Arc::default();
    let stand_in: Arc<Closes> = Arc::default();
    let app = Test::create_testing_module()
        .controllers::<(LiveController,)>()
        .provide(Streams(Arc::clone(&closes)))
        .override_provider(Streams(Arc::clone(&stand_in)))
        .provide(Hub::new())
        .start()
        .await
        .unwrap();
    let mut failing = app.sse("/live/failing").await;
    failing.end().await;
    support::eventually("the stand-in is told", || stand_in.all().len() == 1).await;
    assert!(closes.all().is_empty());
}

/// Stands in for `Streams`: lets every event through as it is, and counts the streams that close.
pub struct CountingCloses(Arc<AtomicU64>);

impl Interceptor for CountingCloses {
    async fn intercept(&self, mut call: Call) -> Response {
        let closes = Arc::clone(&self.0);
        call.on_close(move |_| {
            closes.fetch_add(1, Ordering::SeqCst);
        });
        call.proceed().await
    }
}

#[tokio::test]
async fn the_testing_module_swaps_an_interceptor_for_one_of_another_type() {
    let counted = Arc::new(AtomicU64::new(0));
    // `Streams` itself is not provided: the stand-in is enough.
    let app = Test::create_testing_module()
        .controllers::<(LiveController,)>()
        .override_interceptor::<Streams>(CountingCloses(Arc::clone(&counted)))
        .provide(Hub::new())
        .start()
        .await
        .unwrap();
    // Not refused, not mapped: the stand-in runs where `Streams` would.
    let mut ticks = app.sse("/live/ticks?full=1").await;
    assert_eq!(ticks.next_event().await.data, "one");
    assert_eq!(ticks.next_event().await.data, "drop");
    app.shutdown().await.unwrap();
    assert_eq!(counted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_head_on_an_sse_route_goes_through_its_interceptors_without_opening_a_stream() {
    let (closes, hub) = (Arc::default(), Arc::new(Hub::new()));
    let app = live_app(&closes, &hub).await;
    let mut conn = support::Conn::open(app.addr()).await;
    conn.send("HEAD", "/live/ticks?full=1", &[]).await;
    assert_eq!(conn.head().await.status, 429, "refused as its GET is");
    conn.send("HEAD", "/live/ticks", &[]).await;
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    // Nothing of a body was written: the connection serves the next request.
    conn.send("GET", "/live/failing", &[]).await;
    assert_eq!(conn.head().await.status, 200);
    assert_eq!(
        conn.chunked_body().await,
        "\ndata: ONE\n\nevent: error\ndata: broken\n\n"
    );
    support::eventually("the stream of the GET is told", || !closes.all().is_empty()).await;
    let all = closes.all();
    assert_eq!(all.len(), 1, "only the GET opened a stream: {all:?}");
    assert_eq!(all[0].0, "/live/failing");
}
