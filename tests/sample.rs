//! The 28-sse sample, end to end over TCP: its page, its headers and its first events, byte for byte.

mod support;

// Linking the sample links its controller, which the app finds through `inventory`.
use nestish_sample as _;

use support::{Conn, get};

#[tokio::test]
async fn index_page_opens_an_event_source_on_sse() {
    let addr = support::start().await;
    let (head, body) = get(addr, "/").await;
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(body.contains("new EventSource('/sse')"), "{body}");
}

#[tokio::test]
async fn sse_sends_nest_headers_then_hello_world_every_second() {
    let addr = support::start().await;
    let mut conn = Conn::open(addr).await;
    conn.send("GET", "/sse", &["Accept: text/event-stream"])
        .await;
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    for (name, value) in [
        ("content-type", "text/event-stream"),
        (
            "cache-control",
            "private, no-cache, no-store, must-revalidate, max-age=0, no-transform",
        ),
        ("connection", "keep-alive"),
        ("pragma", "no-cache"),
        ("expires", "0"),
        ("x-accel-buffering", "no"),
        ("transfer-encoding", "chunked"),
    ] {
        assert_eq!(head.header(name), Some(value), "header {name}");
    }
    // The lone line break arrives before any event, so the browser's `open` fires at once.
    assert_eq!(conn.chunk().await.as_deref(), Some(&b"\n"[..]));
    let event = "data: {\"hello\":\"world\"}\n\n";
    assert_eq!(conn.body_bytes(event.len()).await, event);
    assert_eq!(conn.body_bytes(event.len()).await, event);
}
