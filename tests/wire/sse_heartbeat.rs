//! Heartbeats, the per-route `retry`, and what the `Accept` header does not change, over TCP,
//! read through the testing module under tokio's paused clock: a 15 s heartbeat takes no real
//! time, and its timing is exact.

use crate::support;

use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::testing::{Received, Test, TestApp};
use nestish_core::{MessageEvent, controller, sse};
use tokio::time::Instant;

#[derive(Default)]
pub struct HeartbeatController;

/// Never yields.
fn silent() -> impl Stream<Item = MessageEvent> + Send + 'static {
    stream::pending()
}

#[controller("hb")]
impl HeartbeatController {
    #[sse("fast", keep_alive = "100ms")]
    fn fast(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        silent()
    }

    #[sse("app-default")]
    fn app_default(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        silent()
    }

    /// One event after 60 s, then silence: with heartbeats off, that event is the first thing
    /// on the stream, although the app's heartbeat interval is 100 ms.
    #[sse("off", keep_alive = false)]
    fn off(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::once(tokio::time::sleep(Duration::from_secs(60)))
            .map(|()| MessageEvent::new("late"))
            .chain(silent())
    }

    #[sse("retry", retry = "3s", keep_alive = false)]
    fn retry(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter([MessageEvent::new("x")]).chain(silent())
    }
}

async fn app(keep_alive: Option<Duration>) -> TestApp {
    Test::create_testing_module()
        .controllers::<(HeartbeatController,)>()
        .configure(|app| app.sse_keep_alive(keep_alive))
        .start()
        .await
        .expect("the heartbeat app starts")
}

/// Waits for `count` heartbeats, each `every` after the one before (to the millisecond, under
/// the paused clock).
async fn heartbeats(app: &TestApp, path: &str, every: Duration, count: usize) {
    let mut events = app.sse(path).timeout(every * 2).await;
    let mut last = Instant::now();
    for _ in 0..count {
        assert_eq!(
            events.next_received().await,
            Received::Comment(String::new())
        );
        assert_eq!(last.elapsed().as_millis(), every.as_millis());
        last = Instant::now();
    }
}

#[tokio::test(start_paused = true)]
async fn a_silent_route_sends_heartbeat_comments() {
    let app = app(None).await;
    heartbeats(&app, "/hb/fast", Duration::from_millis(100), 3).await;
}

#[tokio::test(start_paused = true)]
async fn the_app_wide_interval_applies_to_routes_without_their_own() {
    let app = app(Some(Duration::from_millis(100))).await;
    heartbeats(&app, "/hb/app-default", Duration::from_millis(100), 2).await;
    // The default: 15 s, no real time spent waiting for it.
    let app = self::app(Some(nestish_core::AppBuilder::DEFAULT_SSE_KEEP_ALIVE)).await;
    heartbeats(&app, "/hb/app-default", Duration::from_secs(15), 2).await;
}

#[tokio::test(start_paused = true)]
async fn keep_alive_false_switches_heartbeats_off() {
    let app = app(Some(Duration::from_millis(100))).await;
    let mut events = app.sse("/hb/off").timeout(Duration::from_secs(61)).await;
    let Received::Event(late) = events.next_received().await else {
        panic!("a heartbeat came first: {:?}", events.seen());
    };
    assert_eq!(late.data, "late");
}

#[tokio::test]
async fn a_route_retry_is_the_first_thing_on_the_stream() {
    let app = app(None).await;
    let mut events = app.sse("/hb/retry").await;
    let first = events.next_received().await;
    let Received::Event(event) = first else {
        panic!("{first:?}")
    };
    assert_eq!(event.data, "x");
    assert_eq!(event.retry, Some(Duration::from_secs(3)));
}

#[tokio::test]
async fn the_stream_is_sent_whatever_the_accept_header_says() {
    let app = app(None).await;
    for accept in ["text/html", "*/*", "application/json"] {
        let mut events = app.get("/hb/retry").header("accept", accept).sse().await;
        assert_eq!(events.next_event().await.data, "x", "Accept: {accept}");
    }
    // No Accept header at all, as curl without options: what goes on the wire is the point,
    // so a raw request.
    let mut conn = support::Conn::open(app.addr()).await;
    conn.send("GET", "/hb/retry", &[]).await;
    assert_eq!(conn.head().await.status, 200);
    let retry_first = "retry: 3000\n\ndata: x\n\n";
    assert_eq!(conn.body_bytes(retry_first.len()).await, retry_first);
}
