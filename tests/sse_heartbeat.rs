//! Heartbeats, the per-route `retry`, and what the `Accept` header does not change, over TCP.

mod support;

use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::{MessageEvent, NestFactory, controller, sse};
use support::Conn;

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

    /// One event after 600 ms, then silence: with heartbeats off, that event is the first thing
    /// after the opening line break, although the app's heartbeat interval is 100 ms.
    #[sse("off", keep_alive = false)]
    fn off(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::once(tokio::time::sleep(Duration::from_millis(600)))
            .map(|()| MessageEvent::new("late"))
            .chain(silent())
    }

    #[sse("retry", retry = "3s", keep_alive = false)]
    fn retry(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter([MessageEvent::new("x")]).chain(silent())
    }
}

/// What `/hb/retry` sends: its `retry` first, then its one event.
const RETRY_FIRST: &str = "retry: 3000\n\ndata: x\n\n";

async fn start_with_keep_alive(keep_alive: Option<Duration>) -> std::net::SocketAddr {
    support::start_with(NestFactory::create().sse_keep_alive(keep_alive)).await
}

async fn open(addr: std::net::SocketAddr, path: &str, headers: &[&str]) -> Conn {
    let mut conn = Conn::open(addr).await;
    conn.send("GET", path, headers).await;
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    conn
}

#[tokio::test]
async fn a_silent_route_sends_heartbeat_comments() {
    let addr = start_with_keep_alive(None).await;
    let mut conn = open(addr, "/hb/fast", &[]).await;
    assert_eq!(conn.chunk().await.as_deref(), Some(&b"\n"[..]));
    for _ in 0..3 {
        assert_eq!(conn.chunk().await.as_deref(), Some(&b":\n\n"[..]));
    }
}

#[tokio::test]
async fn the_app_wide_interval_applies_to_routes_without_their_own() {
    let addr = start_with_keep_alive(Some(Duration::from_millis(100))).await;
    let mut conn = open(addr, "/hb/app-default", &[]).await;
    assert_eq!(conn.chunk().await.as_deref(), Some(&b"\n"[..]));
    assert_eq!(conn.chunk().await.as_deref(), Some(&b":\n\n"[..]));
}

#[tokio::test]
async fn keep_alive_false_switches_heartbeats_off() {
    let addr = start_with_keep_alive(Some(Duration::from_millis(100))).await;
    let mut conn = open(addr, "/hb/off", &[]).await;
    assert_eq!(conn.chunk().await.as_deref(), Some(&b"\n"[..]));
    assert_eq!(conn.chunk().await.as_deref(), Some(&b"data: late\n\n"[..]));
}

#[tokio::test]
async fn a_route_retry_is_the_first_thing_on_the_stream() {
    let addr = start_with_keep_alive(None).await;
    let mut conn = open(addr, "/hb/retry", &[]).await;
    assert_eq!(conn.body_bytes(RETRY_FIRST.len()).await, RETRY_FIRST);
}

#[tokio::test]
async fn the_stream_is_sent_whatever_the_accept_header_says() {
    let addr = start_with_keep_alive(None).await;
    for accept in [
        "Accept: text/html",
        "Accept: */*",
        "Accept: application/json",
    ] {
        let mut conn = open(addr, "/hb/retry", &[accept]).await;
        assert_eq!(conn.body_bytes(RETRY_FIRST.len()).await, RETRY_FIRST);
    }
    // No Accept header at all, as curl without options.
    let mut conn = open(addr, "/hb/retry", &[]).await;
    assert_eq!(conn.body_bytes(RETRY_FIRST.len()).await, RETRY_FIRST);
}
