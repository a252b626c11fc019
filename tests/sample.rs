//! The sample's wire, over raw TCP: the 28-sse page, its stream's headers and first events byte
//! for byte. Its behaviour (jobs, chat) is tested in `nestish-sample/tests`, as a user would.

mod support;

use support::{Conn, get};

#[tokio::test]
async fn index_page_opens_an_event_source_on_sse() {
    let addr = support::start_with(nestish_sample::app().expect("the default users")).await;
    let (head, body) = get(addr, "/").await;
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(body.contains("new EventSource('/sse')"), "{body}");
}

#[tokio::test]
async fn sse_sends_stream_headers_then_hello_world_every_second() {
    let addr = support::start_with(nestish_sample::app().expect("the default users")).await;
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
        ("x-accel-buffering", "no"),
        ("transfer-encoding", "chunked"),
    ] {
        assert_eq!(head.header(name), Some(value), "header {name}");
    }
    // NestJS's `Pragma`, `Expires` and `Connection: keep-alive` change nothing for an SSE
    // response over HTTP/1.1, and each connection would hold them for its whole life.
    for name in ["pragma", "expires", "connection"] {
        assert_eq!(head.header(name), None, "header {name}");
    }
    // The lone line break arrives before any event, so the browser's `open` fires at once.
    assert_eq!(conn.chunk().await.as_deref(), Some(&b"\n"[..]));
    let event = "data: {\"hello\":\"world\"}\n\n";
    assert_eq!(conn.body_bytes(event.len()).await, event);
    assert_eq!(conn.body_bytes(event.len()).await, event);
}
